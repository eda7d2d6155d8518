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
 * DIAGNOSTICS
 *	profile_by_name: NULL when unknown; profile_mode_name: "?" out of
 *	range; profile_flavor: the Postfix texts for an unknown flavor.
 * LIMITS
 *	None; the table is constant.
 * STANDARDS
 *	RFC 5321 3.6.2 (source routes), RFC 1123 5.2.16 (percent hack),
 *	RFC 976 (bang paths).
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
};

static const char *const mode_names[MODE__COUNT] = {
    [MODE_SMTP] = "smtp",         [MODE_CLOSE] = "close",
    [MODE_BUSY] = "busy",         [MODE_NOT_SMTP] = "not-smtp",
    [MODE_BINARY] = "binary",     [MODE_TARPIT] = "tarpit",
    [MODE_LONGLINE] = "longline", [MODE_CONTINUATION] = "continuation",
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
