/*
 * NAME
 *	profile - the lab's behaviour profiles and MTA flavors
 * SUMMARY
 *	one table row per simulated server, with the verdict it should earn
 * SYNOPSIS
 *	const struct profile *profile_all(size_t *n);
 *	const struct profile *profile_by_name(const char *name);
 *	int profile_relays(const struct profile *p, unsigned tricks);
 *	const char *profile_mode_name(enum profile_mode m);
 *	const char *profile_proxy_expect(const struct profile *p);
 *	const char *proxy_kind_name(enum proxy_kind k);
 *	const struct profile_flavor_text *profile_flavor(enum profile_flavor f);
 * DESCRIPTION
 *	The table order is the address order: the first profile gets --base,
 *	the next one the following address. Everything returned is static.
 *	profile_relays() reads the tricks addr_route() reported for a
 *	recipient in the canary domain: the essential ones (source route,
 *	percent, bang, quoting, double at) must all be in the profile's
 *	mask; a recipient with none of them is "plain" and needs
 *	RELAY_PLAIN. Incidental tricks (an outer @self, a missing domain,
 *	case, a trailing dot) only decorate the essential one.
 *	profile_proxy_expect() is the verdict `relaywatch test --probe proxy`
 *	should reach: a row's proxy_expect, else "not-proxy" (a mail server
 *	answers with an SMTP banner, which is no proxy protocol).
 *	The MODE_PROXY rows wait for the client (HTTP, SOCKS), so the SMTP
 *	probe sees no banner before its deadline: "unreachable"
 *	(src/smtp/verdict.c, END_BANNER_TIMEOUT); the telnet rows speak first
 *	with a prompt that is no SMTP reply: "not-smtp".
 * DIAGNOSTICS
 *	profile_by_name: NULL when unknown; profile_mode_name: "?" out of
 *	range; profile_flavor: the Postfix texts for an unknown flavor.
 * LIMITS
 *	None; the table is constant.
 * STANDARDS
 *	RFC 5321 3.6.2 (source routes), RFC 1123 5.2.16 (percent hack),
 *	RFC 976 (bang paths); RFC 9110 9.3.6 (CONNECT), RFC 1928 and
 *	RFC 1929 (SOCKS5), the SOCKS4 and SOCKS4a memos.
 */
#include "profile.h"

#include <string.h>

static const struct profile profiles[] = {
    {
        .name = "open",
        .expect = "open",
        .about = "relays every trick and plain canary mail",
        .relay = RELAY_ALL,
    },
    {
        .name = "percent-only",
        .expect = "open",
        .about = "relays only the percent hack (user%canary@self)",
        .flavor = FLAVOR_SENDMAIL,
        .relay = TRICK_PERCENT,
    },
    {
        .name = "percent-strict-sender",
        .expect = "open",
        .about = "relays only the percent hack, and refuses senders at address literals",
        .flavor = FLAVOR_SENDMAIL,
        .relay = TRICK_PERCENT,
        .strict_sender = 1,
    },
    {
        .name = "bang-only",
        .expect = "open",
        .about = "relays only bang paths (canary!user)",
        .flavor = FLAVOR_SENDMAIL,
        .relay = TRICK_BANG,
    },
    {
        .name = "srcroute-only",
        .expect = "open",
        .about = "relays only source routes (@self:user@canary)",
        .flavor = FLAVOR_EXIM,
        .relay = TRICK_SRCROUTE,
    },
    {
        .name = "nullsender-only",
        .expect = "open",
        .about = "relays anything, but only from the null sender <>",
        .relay = RELAY_ALL,
        .sender = SENDER_NULL_ONLY,
    },
    {
        .name = "spoofed-local-only",
        .expect = "open",
        .about = "relays anything from a sender in its own domain or literal",
        .flavor = FLAVOR_OPENSMTPD,
        .relay = RELAY_ALL,
        .sender = SENDER_OWN,
    },
    {
        .name = "closed-rcpt",
        .expect = "closed",
        .about = "554 5.7.1 Relay access denied at RCPT",
    },
    {
        .name = "closed-opensmtpd",
        .expect = "closed",
        .about = "refuses relaying like OpenSMTPD: 550 at RCPT, 503 to a second EHLO",
        .flavor = FLAVOR_OPENSMTPD,
    },
    {
        .name = "closed-data",
        .expect = "closed",
        .about = "accepts every RCPT, 554 5.7.1 after the message",
        .refuse_at = REFUSE_AT_DATA,
    },
    {
        .name = "discard",
        .expect = "suspect",
        .about = "open, 250 after DATA, never delivers",
        .flavor = FLAVOR_EXIM,
        .relay = RELAY_ALL,
        .discard = 1,
    },
    {
        .name = "bounce",
        .expect = "suspect",
        .about = "250 after DATA, then bounces the message to its sender (backscatter)",
        .flavor = FLAVOR_POSTFIX,
        .relay = RELAY_ALL,
        .discard = 1,
        .bounce = 1,
    },
    {
        .name = "delayed",
        .expect = "open",
        .about = "open, delivers after --delay seconds",
        .relay = RELAY_ALL,
        .delayed = 1,
    },
    {
        .name = "greylist",
        .expect = "open",
        .about = "451 4.7.1 for a new (client, sender, rcpt) triplet, then open",
        .relay = RELAY_ALL,
        .greylist = 1,
    },
    {
        .name = "auth-required",
        .expect = "auth-required",
        .about = "advertises AUTH, 530 5.7.0 to MAIL",
        .auth = 1,
    },
    {
        .name = "starttls-required",
        .expect = "open",
        .about = "530 5.7.0 to MAIL before STARTTLS, open after it",
        .relay = RELAY_ALL,
        .starttls = 1,
    },
    {
        .name = "tarpit",
        .expect = "unreachable",
        .proxy_expect = "not-proxy", /* its banner's first byte comes in 2 s */
        .about = "drips every reply, one byte every 2 s",
        .mode = MODE_TARPIT,
        .relay = RELAY_ALL,
    },
    {
        .name = "not-smtp",
        .expect = "not-smtp",
        .about = "answers HTTP/1.1 400 and closes",
        .mode = MODE_NOT_SMTP,
    },
    {
        .name = "close-on-connect",
        .expect = "unreachable",
        .proxy_expect = "closed", /* src/proxy/proxy.h: closed right after the request */
        .about = "closes every connection at once",
        .mode = MODE_CLOSE,
    },
    {
        .name = "hostile-longline",
        .expect = "error",
        .about = "answers EHLO/HELO with a 10 KiB line",
        .mode = MODE_LONGLINE,
    },
    {
        .name = "hostile-continuation",
        .expect = "error",
        .about = "answers EHLO/HELO with endless 250- lines",
        .mode = MODE_CONTINUATION,
    },
    {
        .name = "hostile-binary",
        .expect = "not-smtp",
        .about = "a banner of binary junk",
        .mode = MODE_BINARY,
    },
    {
        .name = "busy",
        .expect = "tempfail",
        .about = "421 4.3.2 banner and close",
        .mode = MODE_BUSY,
    },
    {
        .name = "chain-entry",
        .expect = "open",
        .about = "open, forwards relayed mail to the chain-smarthost host",
        .relay = RELAY_ALL,
        .next_hop = "chain-smarthost",
    },
    {
        .name = "chain-smarthost",
        .expect = "closed",
        .about = "relays only for the chain-entry host (mynetworks)",
        .relay = RELAY_ALL,
        .trust = "chain-entry",
    },
    {
        .name = "inside-only",
        .expect = "closed",
        .about = "relays everything, but only for clients at 127.0.0.2 (the inside): closed to "
                 "others",
        .relay = RELAY_ALL,
        .trust_ip = "127.0.0.2",
    },
    {
        .name = "sender-domain-only",
        .expect = "open",
        .about = "relays plain canary mail only from a sender in its parent domain (lab.test): "
                 "Postfix's check_sender_access with 'lab.test OK'",
        .relay = RELAY_PLAIN,
        .sender = SENDER_DOMAIN,
    },
    /* ---- proxies and a web server (lab/proxyd.c); all on --port too ---- */
    {
        .name = "proxy-http-open",
        .expect = "unreachable",
        .proxy_expect = "open",
        .about = "HTTP proxy: CONNECT, and GET/POST of absolute URIs, forwarded",
        .mode = MODE_PROXY,
        .proxy = {[PK_CONNECT] = PA_FORWARD,
                  [PK_ABSOLUTE] = PA_FORWARD,
                  [PK_ORIGIN] = PA_BAD,
                  [PK_SOCKS4] = PA_BAD,
                  [PK_SOCKS5] = PA_BAD},
    },
    {
        .name = "proxy-connect-only",
        .expect = "unreachable",
        .proxy_expect = "open",
        .about = "HTTP proxy: CONNECT forwarded, absolute GET/POST 403",
        .mode = MODE_PROXY,
        .proxy = {[PK_CONNECT] = PA_FORWARD,
                  [PK_ABSOLUTE] = PA_REFUSE,
                  [PK_ORIGIN] = PA_BAD,
                  [PK_SOCKS4] = PA_BAD,
                  [PK_SOCKS5] = PA_BAD},
    },
    {
        .name = "proxy-post-only",
        .expect = "unreachable",
        .proxy_expect = "open",
        .about = "old web proxy: absolute GET/POST forwarded, CONNECT 405",
        .mode = MODE_PROXY,
        .proxy = {[PK_CONNECT] = PA_NOT_ALLOWED,
                  [PK_ABSOLUTE] = PA_FORWARD,
                  [PK_ORIGIN] = PA_BAD,
                  [PK_SOCKS4] = PA_BAD,
                  [PK_SOCKS5] = PA_BAD},
    },
    {
        .name = "proxy-socks4",
        .expect = "unreachable",
        .proxy_expect = "open",
        .about = "SOCKS4/4a CONNECT granted (0x5A) and piped; SOCKS5 and HTTP closed",
        .mode = MODE_PROXY,
        .proxy = {[PK_SOCKS4] = PA_FORWARD},
    },
    {
        .name = "proxy-socks5",
        .expect = "unreachable",
        .proxy_expect = "open",
        .about = "SOCKS5 no-auth CONNECT (IPv4, IPv6, dotted name) piped; SOCKS4 0x5B",
        .mode = MODE_PROXY,
        .proxy = {[PK_SOCKS5] = PA_FORWARD, [PK_SOCKS4] = PA_REFUSE},
    },
    {
        .name = "proxy-socks5-auth",
        .expect = "unreachable",
        .proxy_expect = "auth-required",
        .about = "SOCKS5 picks user/password (0x02) and never grants; SOCKS4 0x5B",
        .mode = MODE_PROXY,
        .proxy = {[PK_SOCKS5] = PA_AUTH, [PK_SOCKS4] = PA_REFUSE},
    },
    {
        .name = "proxy-socks-closed",
        .expect = "unreachable",
        .proxy_expect = "closed",
        .about = "SOCKS5 CONNECT reply 0x02 (ruleset), SOCKS4 0x5B",
        .mode = MODE_PROXY,
        .proxy = {[PK_SOCKS5] = PA_REFUSE, [PK_SOCKS4] = PA_REFUSE},
    },
    {
        .name = "proxy-http-closed",
        .expect = "unreachable",
        .proxy_expect = "closed",
        .about = "HTTP proxy answering every request 403 Forbidden",
        .mode = MODE_PROXY,
        .proxy = {[PK_CONNECT] = PA_REFUSE,
                  [PK_ABSOLUTE] = PA_REFUSE,
                  [PK_ORIGIN] = PA_REFUSE,
                  [PK_SOCKS4] = PA_BAD,
                  [PK_SOCKS5] = PA_BAD},
    },
    {
        .name = "proxy-http-auth",
        .expect = "unreachable",
        .proxy_expect = "auth-required",
        .about = "HTTP proxy answering every request 407 (Basic realm=\"lab\")",
        .mode = MODE_PROXY,
        .proxy = {[PK_CONNECT] = PA_AUTH,
                  [PK_ABSOLUTE] = PA_AUTH,
                  [PK_ORIGIN] = PA_AUTH,
                  [PK_SOCKS4] = PA_BAD,
                  [PK_SOCKS5] = PA_BAD},
    },
    {
        .name = "proxy-wingate",
        .expect = "not-smtp",
        .proxy_expect = "open",
        .about = "WinGate> telnet prompt: \"host:port\" or \"host port\" connected and piped",
        .mode = MODE_PROXY,
        .proxy = {[PK_TELNET] = PA_FORWARD},
    },
    {
        .name = "proxy-telnet-login",
        .expect = "not-smtp",
        .proxy_expect = "auth-required",
        .about = "router telnet: User Access Verification, Username: and nothing more",
        .mode = MODE_PROXY,
        .proxy = {[PK_TELNET] = PA_AUTH},
    },
    {
        .name = "proxy-fake",
        .expect = "unreachable",
        .proxy_expect = "suspect",
        .about = "claims success (200, SOCKS granted) then talks itself: no canary",
        .mode = MODE_PROXY,
        .proxy = {[PK_CONNECT] = PA_FAKE,
                  [PK_ABSOLUTE] = PA_FAKE,
                  [PK_ORIGIN] = PA_FAKE,
                  [PK_SOCKS4] = PA_FAKE,
                  [PK_SOCKS5] = PA_FAKE},
    },
    {
        .name = "proxy-drip",
        .expect = "unreachable",
        .proxy_expect = "error",
        .about = "grants (HTTP 200, SOCKS) one byte every 2 s, never connects",
        .mode = MODE_PROXY,
        .proxy = {[PK_CONNECT] = PA_DRIP,
                  [PK_ABSOLUTE] = PA_DRIP,
                  [PK_ORIGIN] = PA_DRIP,
                  [PK_SOCKS4] = PA_DRIP,
                  [PK_SOCKS5] = PA_DRIP,
                  [PK_OTHER] = PA_DRIP},
    },
    {
        .name = "proxy-garbage",
        .expect = "unreachable",
        .proxy_expect = "not-proxy",
        .about = "answers a client's first bytes with binary junk, then silence",
        .mode = MODE_PROXY,
        .proxy = {[PK_CONNECT] = PA_GARBAGE,
                  [PK_ABSOLUTE] = PA_GARBAGE,
                  [PK_ORIGIN] = PA_GARBAGE,
                  [PK_SOCKS4] = PA_GARBAGE,
                  [PK_SOCKS5] = PA_GARBAGE,
                  [PK_OTHER] = PA_GARBAGE},
    },
    {
        .name = "web-server",
        .expect = "unreachable",
        .proxy_expect = "not-proxy",
        .about = "plain web server: 404 to every request, 405 to CONNECT, 400 to SOCKS",
        .mode = MODE_PROXY,
        .proxy = {[PK_CONNECT] = PA_NOT_ALLOWED,
                  [PK_ABSOLUTE] = PA_NOT_FOUND,
                  [PK_ORIGIN] = PA_NOT_FOUND,
                  [PK_SOCKS4] = PA_BAD,
                  [PK_SOCKS5] = PA_BAD,
                  [PK_OTHER] = PA_BAD},
        .server = "lab-httpd",
    },
};

static const char *const mode_names[MODE__COUNT] = {
    [MODE_SMTP] = "smtp",         [MODE_CLOSE] = "close",
    [MODE_BUSY] = "busy",         [MODE_NOT_SMTP] = "not-smtp",
    [MODE_BINARY] = "binary",     [MODE_TARPIT] = "tarpit",
    [MODE_LONGLINE] = "longline", [MODE_CONTINUATION] = "continuation",
    [MODE_PROXY] = "proxy",
};

static const char *const kind_names[PK__COUNT] = {
    [PK_CONNECT] = "connect", [PK_ABSOLUTE] = "absolute", [PK_ORIGIN] = "origin",
    [PK_SOCKS4] = "socks4",   [PK_SOCKS5] = "socks5",     [PK_OTHER] = "other",
    [PK_TELNET] = "telnet",
};

static const struct profile_flavor_text flavors[FLAVOR__COUNT] = {
    [FLAVOR_POSTFIX] =
        {
            .name = "postfix",
            .banner = "{host} ESMTP Postfix (Debian/GNU)",
            .ehlo = "{host}",
            .relay_denied = "554 5.7.1 <{rcpt}>: Relay access denied",
            .data_denied = "554 5.7.1 Error: message rejected: Relay access denied",
        },
    [FLAVOR_EXIM] =
        {
            .name = "exim",
            .banner = "{host} ESMTP Exim 4.96 {date}",
            .ehlo = "{host} Hello {helo} [{peer}]",
            .relay_denied = "550 relay not permitted",
            .data_denied = "554 5.7.1 Relaying denied",
        },
    [FLAVOR_SENDMAIL] =
        {
            .name = "sendmail",
            .banner = "{host} ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; {date}",
            .ehlo = "{host} Hello {helo} [{peer}], pleased to meet you",
            .relay_denied = "550 5.7.1 <{rcpt}>... Relaying denied",
            .data_denied = "554 5.7.1 Relaying denied",
        },
    [FLAVOR_OPENSMTPD] =
        {
            .name = "opensmtpd",
            .banner = "{host} ESMTP OpenSMTPD",
            .ehlo = "{host} Hello {helo} [{peer}], pleased to meet you",
            .relay_denied = "550 Invalid recipient: <{rcpt}>",
            .data_denied = "554 5.7.1 Relaying denied",
        },
};

/* profile_all - the table and its size */
const struct profile *profile_all(size_t *n)
{
	*n = sizeof(profiles) / sizeof(profiles[0]);
	return profiles;
}

/* profile_by_name - look a row up by its name */
const struct profile *profile_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

/* profile_relays - the essential tricks are all relayed, or none and plain is */
int profile_relays(const struct profile *p, unsigned tricks)
{
	unsigned essential = tricks & RELAY_ESSENTIAL;

	if (essential == 0)
		return (p->relay & RELAY_PLAIN) != 0;
	return (essential & ~p->relay) == 0;
}

/* profile_mode_name - name of a mode for logs and --list */
const char *profile_mode_name(enum profile_mode m)
{
	return (unsigned)m < MODE__COUNT ? mode_names[m] : "?";
}

/* profile_flavor - the texts of an MTA flavor */
const struct profile_flavor_text *profile_flavor(enum profile_flavor f)
{
	return &flavors[(unsigned)f < FLAVOR__COUNT ? f : FLAVOR_POSTFIX];
}

/* profile_proxy_expect - the row's proxy verdict; a mail server is no proxy */
const char *profile_proxy_expect(const struct profile *p)
{
	return p->proxy_expect != NULL ? p->proxy_expect : "not-proxy";
}

/* proxy_kind_name - name of a request kind for logs */
const char *proxy_kind_name(enum proxy_kind k)
{
	return (unsigned)k < PK__COUNT ? kind_names[k] : "?";
}
