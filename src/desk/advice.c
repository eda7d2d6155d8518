/*
 * NAME
 *	advice - repair advice for an open relay, per fingerprinted MTA and trick,
 *	and for an open proxy, per proxy software
 * SUMMARY
 *	static tables: the general fix per MTA, extra text per trick, the fix
 *	per proxy software with its fingerprints
 * SYNOPSIS
 *	const struct advice *advice_for(const char *mta);
 *	const struct advice *advice_all(size_t *n);
 *	const char *advice_trick(const char *mta, const char *test_id);
 *	void advice_write(struct dbuf *out, const char *mta,
 *		const char *const *ids, size_t nids);
 *	void advice_verify(struct dbuf *out, const char *mta,
 *		const char *retest_command);
 *	const struct proxy_advice *advice_proxy_for(const char *software,
 *		const char *const *protos, size_t nprotos);
 *	void advice_proxy_write(struct dbuf *out, const struct proxy_advice *a,
 *		const char *software);
 *	void advice_proxy_verify(struct dbuf *out, const struct proxy_advice *a,
 *		const char *hostport, const char *const *protos, size_t nprotos,
 *		const char *retest_command);
 * DESCRIPTION
 *	Rows are keyed by fingerprint_guess()'s names (src/smtp/fingerprint.c).
 *	advice_for() never fails: an MTA without a row of its own gets the
 *	"unknown" row. Battery test ids map to a trick class (percent, bang,
 *	source route, quoted, double @, null sender, forged local sender,
 *	domain spelling, HELO); advice_trick() prefers the MTA's text for the
 *	class, else the generic one. advice_write() writes the general fix and
 *	each class's text once, however many of its tests worked. A recipient
 *	trick sent with the target's own literal as sender (the nmap rows) is
 *	no evidence of its own when sender-ip, that sender with the plain
 *	recipient, relayed too: it gets no advice of its own, only a line naming
 *	it after the sender's (Sendmail's relay_mail_from, Postfix's
 *	check_sender_access let every such row through). The texts
 *	name settings from each MTA's own manual (postconf(5), Sendmail's
 *	cf/README, Exim's spec and exim_checkaccess(8), smtpd.conf(5), qmail's
 *	qmail-smtpd(8) and qmail-control(5), makesmtpaccess(8), Haraka's relay
 *	plugin, Microsoft's receive connector docs, hMailServer's IP ranges).
 *	Proxies: the "software" string of a proxy result (Server, Via or
 *	Proxy-Agent) is matched case-insensitively against proxy_prints, the
 *	proxies before the web servers that also show up in their headers;
 *	Dante and 3proxy seldom name themselves, so a nameless proxy that let
 *	us through SOCKS gets the SOCKS row (both), a telnet prompt WinGate's.
 *	The texts follow tinyproxy.conf(5), squid.conf's http_access,
 *	sockd.conf(5), 3proxy.cfg(3), mod_proxy's ProxyRequests, nginx's
 *	proxy_pass, the ISA/TMG console and WinGate's service bindings.
 * DIAGNOSTICS
 *	none.
 * LIMITS
 *	none; out is the caller's (capped or not).
 * STANDARDS
 *	RFC 5321 3.6.1 (relaying), appendix C (source routes); RFC 976 (bang).
 */
#include "advice.h"

#include "../smtp/battery.h"

#include <string.h>
#include <strings.h>

static const struct advice rows[] = {
    {.mta = "postfix",
     .product = "Postfix",
     .fix = "Postfix relays for clients in mynetworks, for SASL-authenticated clients and to\n"
            "the domains in relay_domains; every other recipient must fail\n"
            "reject_unauth_destination. Look at: postconf -n | grep -E "
            "'mynetworks|relay|restrictions'\n"
            "- mynetworks: only your own hosts, e.g.\n"
            "    mynetworks = 127.0.0.0/8 [::1]/128 192.0.2.0/24\n"
            "  never 0.0.0.0/0 or a provider's whole range. When mynetworks is unset,\n"
            "  mynetworks_style decides (host is the narrowest).\n"
            "- smtpd_relay_restrictions (Postfix 2.10 and later):\n"
            "    smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,\n"
            "        reject_unauth_destination\n"
            "  Older versions: reject_unauth_destination in smtpd_recipient_restrictions,\n"
            "  right after the permit_mynetworks and permit_sasl_authenticated entries; no\n"
            "  check_*_access table answering OK and no other permit may come before it.\n"
            "- relay_domains: only domains you are a backup MX or gateway for.\n"
            "Then: postfix reload\n",
     .verify =
         "postconf smtpd_relay_restrictions smtpd_recipient_restrictions mynetworks relay_domains\n"
         "From a host outside mynetworks, RCPT TO:<someone@example.net> must be refused:\n"
         "554 5.7.1 Relay access denied (454 4.7.1 with defer_unauth_destination).\n"},
    {.mta = "sendmail",
     .product = "Sendmail",
     .fix = "Sendmail (8.9 and later) relays only where its configuration allows it. In\n"
            "sendmail.mc look for, and remove what you do not need:\n"
            "- FEATURE(`promiscuous_relay') relays for everyone: remove it.\n"
            "- FEATURE(`relay_entire_domain'), FEATURE(`relay_based_on_MX'),\n"
            "  FEATURE(`relay_local_from'), FEATURE(`relay_mail_from') and\n"
            "  FEATURE(`loose_relay_check') each widen relaying.\n"
            "- The access database (/etc/mail/access): RELAY only for your own networks\n"
            "  (e.g. Connect:192.0.2 RELAY), never for a provider's range.\n"
            "- /etc/mail/relay-domains (class R): only your own domains.\n"
            "Rebuild sendmail.cf from sendmail.mc (m4, or make in /etc/mail), rebuild the\n"
            "access map (makemap hash /etc/mail/access < /etc/mail/access) and restart sendmail.\n",
     .verify = "In address test mode, as a client outside your networks:\n"
               "  sendmail -bt\n"
               "  > .D{client_addr}203.0.113.9\n"
               "  > check_rcpt <someone@example.net>\n"
               "must end in an error (Relaying denied). By SMTP from outside, RCPT TO a foreign\n"
               "address must be refused with 550 5.7.1 Relaying denied.\n"},
    {.mta = "exim",
     .product = "Exim",
     .fix =
         "Exim relays for hosts in the relay_from_hosts host list, for authenticated\n"
         "clients and to the domains in relay_to_domains; acl_check_rcpt enforces it with\n"
         "  accept  hosts = +relay_from_hosts\n"
         "  require message = relay not permitted\n"
         "          domains = +local_domains : +relay_to_domains\n"
         "- hostlist relay_from_hosts: only your own networks (e.g. localhost : 192.0.2.0/24).\n"
         "  Debian: dc_relay_nets in /etc/exim4/update-exim4.conf.conf, then update-exim4.conf.\n"
         "- domainlist relay_to_domains: only domains you are a backup MX for, never *\n"
         "  (Debian: dc_relay_domains).\n"
         "- acl_check_rcpt must keep that require statement; no accept before it may match\n"
         "  every host (hosts = *, or a condition that is always true).\n"
         "Then restart Exim.\n",
     .verify =
         "exim_checkaccess 203.0.113.9 someone@example.net   (runs exim -bh; nothing is sent)\n"
         "must answer Rejected: 550 relay not permitted (or your ACL's text), not accepted.\n"
         "exim -bh 203.0.113.9 plays a whole SMTP session from that address with the ACL trace.\n"},
    {.mta = "exchange",
     .product = "Microsoft Exchange",
     .fix = "Exchange relays for anonymous clients only through a receive connector that\n"
            "grants ms-Exch-SMTP-Accept-Any-Recipient to NT AUTHORITY\\ANONYMOUS LOGON; the\n"
            "\"Anonymous users\" permission group alone only lets anyone deliver to your own\n"
            "accepted domains. In the Exchange Management Shell:\n"
            "- Find such connectors:\n"
            "    Get-ReceiveConnector | Get-ADPermission | Where-Object {\n"
            "      $_.ExtendedRights -like \"ms-Exch-SMTP-Accept-Any-Recipient\" -and\n"
            "      $_.User -like \"*ANONYMOUS LOGON\" } | Format-Table Identity,User\n"
            "- Limit a relay connector to the hosts that must relay:\n"
            "    Set-ReceiveConnector \"SERVER\\Relay\" -RemoteIPRanges 192.0.2.10,192.0.2.11\n"
            "  never 0.0.0.0-255.255.255.255; or take the right away:\n"
            "    Remove-ADPermission -Identity \"SERVER\\Relay\" -User \"NT AUTHORITY\\ANONYMOUS "
            "LOGON\"\n"
            "      -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient\n"
            "- A connector with AuthMechanism ExternalAuthoritative (\"Externally secured\")\n"
            "  relays for every address in its RemoteIPRanges: keep those ranges to your own.\n",
     .verify = "Get-ReceiveConnector | Format-List "
               "Identity,Bindings,RemoteIPRanges,PermissionGroups,AuthMechanism\n"
               "From an outside address, RCPT TO a foreign domain must be refused (Exchange 2013\n"
               "and later: 550 5.7.54 Unable to relay recipient in non-accepted domain).\n"},
    {.mta = "opensmtpd",
     .product = "OpenSMTPD",
     .fix = "In smtpd.conf the match rules are read in order and the first one that matches\n"
            "wins. A rule such as\n"
            "  match from any for any action \"relay\"\n"
            "relays for the whole Internet. Relaying needs an origin you trust, e.g.\n"
            "  action \"local\" maildir alias <aliases>\n"
            "  action \"outbound\" relay\n"
            "  match from any for domain <your-domains> action \"local\"\n"
            "  match from local for any action \"outbound\"\n"
            "  match auth from any for any action \"outbound\"\n"
            "  match from src <trusted-nets> for any action \"outbound\"   (only if hosts must "
            "relay)\n"
            "Before 6.4 the syntax was \"accept from any for any relay\": the same fix applies\n"
            "(accept from local for any relay). Then check and restart smtpd.\n",
     .verify = "smtpd -n must print \"configuration OK\"; from an outside address, RCPT TO a\n"
               "foreign domain must get a 5xx refusal.\n"},
    {.mta = "qmail",
     .product = "qmail",
     .fix = "qmail-smtpd relays only for clients with RELAYCLIENT set, and takes other mail\n"
            "only for the domains in control/rcpthosts (and morercpthosts).\n"
            "- /var/qmail/control/rcpthosts must exist and list only your domains: without it\n"
            "  qmail-smtpd accepts mail for any recipient.\n"
            "- RELAYCLIENT only for your networks, in tcpserver's rules (e.g. /etc/tcp.smtp):\n"
            "    127.:allow,RELAYCLIENT=\"\"\n"
            "    192.0.2.:allow,RELAYCLIENT=\"\"\n"
            "    :allow\n"
            "  then: tcprules /etc/tcp.smtp.cdb /etc/tcp.smtp.tmp < /etc/tcp.smtp\n"
            "  Check that tcpserver runs with -x /etc/tcp.smtp.cdb and that no run script sets\n"
            "  RELAYCLIENT for every client.\n",
     .verify =
         "qmail-showctl must say \"SMTP clients may send messages to recipients at ...\",\n"
         "not \"to any recipient\". From an outside address, RCPT TO a foreign domain must get\n"
         "553 sorry, that domain isn't in my list of allowed rcpthosts.\n"},
    {.mta = "courier",
     .product = "Courier",
     .fix = "Courier relays for clients whose smtpaccess entry sets RELAYCLIENT and for\n"
            "authenticated clients (ESMTPAUTH in the esmtpd file); other mail it takes only\n"
            "for its own domains (locals, hosteddomains, esmtpacceptmailfor).\n"
            "- /etc/courier/smtpaccess/*: allow,RELAYCLIENT only for your networks, e.g.\n"
            "    127.0.0.1<TAB>allow,RELAYCLIENT\n"
            "    192.0.2<TAB>allow,RELAYCLIENT\n"
            "  nothing that covers every address; then run makesmtpaccess (changes take\n"
            "  effect only after it).\n"
            "- esmtpacceptmailfor (or esmtpacceptmailfor.dir and makeacceptmailfor): only\n"
            "  domains you serve.\n",
     .verify = "grep -r RELAYCLIENT /etc/courier/smtpaccess must show only your networks; from an\n"
               "outside address, RCPT TO a foreign domain must get a 5xx refusal.\n"},
    {.mta = "haraka",
     .product = "Haraka",
     .fix = "Haraka relays when connection.relaying is set: by SMTP AUTH (the auth plugins)\n"
            "or by the relay plugin. In config/relay.ini:\n"
            "  [relay]\n"
            "  acl=true           -> config/relay_acl_allow: only your networks, CIDR, one a line\n"
            "  dest_domains=true  -> config/relay_dest_domains.ini: only your domains\n"
            "- remove 0.0.0.0/0 or ::/0 from relay_acl_allow;\n"
            "- in relay_dest_domains.ini no domain (nor \"any\") may have \"action\": \"accept\"\n"
            "  unless you really relay for it;\n"
            "- no local plugin may set connection.relaying = true for every connection.\n"
            "Older installs use the relay_acl plugin with the same two files. Restart Haraka.\n",
     .verify = "haraka -h relay shows the plugin's settings; from an outside address, RCPT TO a\n"
               "foreign domain must get a 5xx refusal.\n"},
    {.mta = "hmailserver",
     .product = "hMailServer",
     .fix = "hMailServer decides per IP range (Settings > Advanced > IP Ranges). In the\n"
            "\"Internet\" range (0.0.0.0 - 255.255.255.255):\n"
            "- under \"Allow deliveries from\", untick \"External to external e-mail addresses\",\n"
            "  or tick it under \"Require SMTP authentication\";\n"
            "- tick \"Local to external e-mail addresses\" under \"Require SMTP authentication\"\n"
            "  (a forged local sender is otherwise enough).\n"
            "Only a range holding just your own hosts (\"My computer\") may deliver external to\n"
            "external without authentication; a range of higher priority that covers other\n"
            "addresses overrides the Internet range, so check them all. Save.\n",
     .verify = "Settings > Advanced > IP Ranges: no range but your own hosts allows external to\n"
               "external without authentication; from an outside address, RCPT TO a foreign\n"
               "domain must get a 5xx refusal (530 or 550).\n"},
    {.mta = "zimbra",
     .product = "Zimbra (Postfix)",
     .fix = "Zimbra's MTA is Postfix, and its mynetworks comes from zimbraMtaMyNetworks:\n"
            "  zmprov getServer $(zmhostname) zimbraMtaMyNetworks\n"
            "  zmprov modifyServer $(zmhostname) zimbraMtaMyNetworks '127.0.0.0/8 [::1]/128 "
            "192.0.2.0/24'\n"
            "(modifyConfig for the global value), then zmmtactl reload. Only your own\n"
            "networks belong there. Postfix's rules apply otherwise: smtpd_relay_restrictions\n"
            "must end in reject_unauth_destination.\n",
     .verify = "postconf mynetworks (as the zimbra user); from an outside address, RCPT TO a\n"
               "foreign domain must be refused (554 5.7.1 Relay access denied).\n"},
    {.mta = "unknown",
     .product = "an unidentified mail server",
     .fix = "The server's software could not be identified. Whatever it is:\n"
            "- relaying (mail to domains you do not host) must be allowed only to your own\n"
            "  hosts and to authenticated users (SMTP AUTH, best on port 587);\n"
            "- look for settings named relay, mynetworks, trusted networks, \"allow relaying\",\n"
            "  relay restrictions or an IP allow-list, and remove any entry that covers the\n"
            "  whole Internet (0.0.0.0/0, ::/0, *) or a provider's ranges;\n"
            "- a device or application that must send mail (printer, scanner, web form)\n"
            "  should authenticate, or be allowed by its own address only.\n",
     .verify = "From an address outside your networks, connect to port 25 and give\n"
               "MAIL FROM:<you@example.org> and RCPT TO:<someone@example.net>: the RCPT must be\n"
               "refused with a 5xx reply.\n"},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

enum trick {
	T_NONE,
	T_PERCENT,
	T_BANG,
	T_ROUTE,
	T_QUOTED,
	T_DOUBLE_AT,
	T_NULL,
	T_SENDER,
	T_SPELLING,
	T_HELO,
	T__COUNT
};

/* battery ids (src/smtp/battery.c) by the trick class they try */
static const struct {
	const char *id;
	enum trick trick;
} by_id[] = {
    {"percent-ip", T_PERCENT},
    {"percent-host", T_PERCENT},
    {"quoted-percent", T_PERCENT},
    {"unqualified", T_PERCENT},
    {"bang", T_BANG},
    {"bang-ip", T_BANG},
    {"bang-host", T_BANG},
    {"source-route-ip", T_ROUTE},
    {"source-route-host", T_ROUTE},
    {"quoted", T_QUOTED},
    {"quoted-ip", T_QUOTED},
    {"double-at-ip", T_DOUBLE_AT},
    {"double-at-host", T_DOUBLE_AT},
    {"null-sender", T_NULL},
    {"sender-rawip", T_SENDER},
    {"sender-host", T_SENDER},
    {"sender-ip", T_SENDER},
    {"sender-postmaster", T_SENDER},
    {"sender-domain", T_SENDER},
    {"sender-parent", T_SENDER},
    {"sender-unqualified", T_SENDER},
    {"trailing-dot", T_SPELLING},
    {"upper-case", T_SPELLING},
    {"mixed-case", T_SPELLING},
    {"helo-host", T_HELO},
    {"helo-ip", T_HELO},
};

/* extra text per (MTA, trick); mta "*" is the generic text */
static const struct {
	const char *mta;
	enum trick trick;
	const char *text;
} tricks[] = {
    {"postfix", T_PERCENT,
     "Percent hack (user%domain@yourhost) accepted: set allow_percent_hack = no unless\n"
     "local users need it, and keep allow_untrusted_routing = no (the default), which\n"
     "refuses sender-specified routing (user[@%!]remote[@%!]site) from untrusted clients.\n"},
    {"postfix", T_BANG,
     "Bang path (domain!user@yourhost) accepted: set swap_bangpath = no unless you\n"
     "need UUCP-style addresses, and keep allow_untrusted_routing = no (the default).\n"},
    {"postfix", T_QUOTED,
     "Quoted address (\"user@domain\"@yourhost) accepted: keep resolve_dequoted_address =\n"
     "yes (the default), so the resolver sees the @ inside the quotes and the relay\n"
     "check treats the address as routed; keep allow_untrusted_routing = no.\n"},
    {"postfix", T_DOUBLE_AT,
     "Routed address (user@domain@yourhost) accepted: keep allow_untrusted_routing = no\n"
     "(the default) and check that no access table answers OK for your own domain\n"
     "before reject_unauth_destination.\n"},
    {"postfix", T_SENDER,
     "Relaying worked with a sender in your own domain: no check_sender_access (or other\n"
     "sender restriction) may answer OK before reject_unauth_destination in\n"
     "smtpd_relay_restrictions / smtpd_recipient_restrictions; anyone can forge an\n"
     "envelope sender. Use permit_sasl_authenticated or permit_mynetworks instead.\n"},
    {"sendmail", T_PERCENT,
     "Percent hack (user%domain@yourhost) accepted: remove FEATURE(`loose_relay_check'),\n"
     "which makes Sendmail strip @yourhost and relay user%domain without checking it.\n"},
    {"sendmail", T_BANG,
     "Bang path accepted: FEATURE(`nouucp', `reject') refuses addresses with ! in the\n"
     "local part from clients that may not relay.\n"},
    {"sendmail", T_SENDER,
     "Relaying worked with a sender in your own domain: remove FEATURE(`relay_local_from')\n"
     "and FEATURE(`relay_mail_from') (or From: ... RELAY entries in the access database);\n"
     "anyone can forge an envelope sender.\n"},
    {"exim", T_PERCENT,
     "Percent hack accepted: the main option percent_hack_domains should be unset (it\n"
     "names the domains for which Exim rewrites user%domain@yours to user@domain).\n"},
    {"exim", T_BANG,
     "Bang path accepted: a rewriting rule that turns a!b@yourdomain into b@a opens a\n"
     "relay (Exim's FAQ warns of it): remove it, or give it the S flag so it applies only\n"
     "at SMTP time before the ACL sees the address.\n"},
    {"exim", T_SENDER,
     "Relaying worked with a sender in your own domain: acl_check_rcpt must not accept\n"
     "on senders = ... (or any sender condition) before the relay require statement.\n"},
    {"qmail", T_PERCENT,
     "Percent hack accepted: control/percenthack lists the domains for which qmail-send\n"
     "rewrites user%host@domain; empty it unless you need it.\n"},
    {"hmailserver", T_SENDER,
     "Relaying worked with a sender in your own domain: in the Internet IP range,\n"
     "\"Local to external e-mail addresses\" must require SMTP authentication.\n"},
    {"*", T_PERCENT,
     "Percent hack (user%domain@yourhost) accepted and passed on: turn off percent-hack\n"
     "routing, or make the relay check apply to the address after rewriting.\n"},
    {"*", T_BANG,
     "UUCP bang path (domain!user) accepted and passed on: turn off bang-path routing;\n"
     "no Internet mail needs it (RFC 976 is from 1986).\n"},
    {"*", T_ROUTE,
     "Source route (@yourhost:user@domain) followed: RFC 5321 (appendix C) says to\n"
     "ignore the route and deliver to user@domain, and the relay check must judge that\n"
     "final address.\n"},
    {"*", T_QUOTED,
     "Quoted local part (\"user@domain\") unquoted and routed to the domain inside it:\n"
     "the relay check must see the @ inside the quotes.\n"},
    {"*", T_DOUBLE_AT,
     "Address with two @ (user@domain@yourhost) routed to the inner domain: the relay\n"
     "check must look at the whole address, not only the last domain.\n"},
    {"*", T_NULL,
     "Relaying worked with the null sender <>: relaying must never depend on the sender;\n"
     "<> is for bounces, not a sign of trust.\n"},
    {"*", T_SENDER,
     "Relaying worked when the sender claimed to be local (postmaster@yourhost,\n"
     "user@[your address]): the envelope sender is chosen by the client. Allow relaying\n"
     "by the client's address or by SMTP AUTH only.\n"},
    {"*", T_SPELLING,
     "Relaying depended on how the domain was spelled (trailing dot, upper or mixed\n"
     "case): domain comparisons in the relay check must ignore case and a final dot.\n"},
    {"*", T_HELO,
     "Relaying worked when the client said HELO with your server's own name or address:\n"
     "the HELO name is chosen by the client; never grant relaying on it.\n"},
};

/* advice_for - the MTA's row, else the unknown one */
const struct advice *advice_for(const char *mta)
{
	for (size_t i = 0; mta && i < NROWS; i++)
		if (strcasecmp(rows[i].mta, mta) == 0)
			return &rows[i];
	return &rows[NROWS - 1];
}

const struct advice *advice_all(size_t *n)
{
	*n = NROWS;
	return rows;
}

/* trick_of - the class a battery id tries; T_NONE for plain or unknown ids */
static enum trick trick_of(const char *id)
{
	for (size_t i = 0; id && i < sizeof(by_id) / sizeof(by_id[0]); i++)
		if (strcmp(by_id[i].id, id) == 0)
			return by_id[i].trick;
	return T_NONE;
}

/* trick_text - the MTA's text for a class, else the generic one */
static const char *trick_text(const char *mta, enum trick k)
{
	const char *generic = NULL;

	if (k == T_NONE)
		return NULL;
	for (size_t i = 0; i < sizeof(tricks) / sizeof(tricks[0]); i++) {
		if (tricks[i].trick != k)
			continue;
		if (mta && strcasecmp(tricks[i].mta, mta) == 0)
			return tricks[i].text;
		if (strcmp(tricks[i].mta, "*") == 0 && !generic)
			generic = tricks[i].text;
	}
	return generic;
}

const char *advice_trick(const char *mta, const char *test_id)
{
	return trick_text(mta, trick_of(test_id));
}

/* the battery's plain recipient, and the sender of rows that do not vary it */
#define PLAIN_RCPT "{user}@{canary}"

/* sender_explains - whether id's relay is explained by its sender alone:
 * its row varies the recipient with a sender that is not the canary's (the
 * nmap rows send from the target's own literal), and the row with the same
 * sender and the plain recipient (sender-ip) relayed too */
static int sender_explains(const char *id, const char *const *ids, size_t nids)
{
	const struct battery_test *r = battery_by_id(id), *s;

	if (!r || strcmp(r->rcpt_to, PLAIN_RCPT) == 0 || strcmp(r->mail_from, PLAIN_RCPT) == 0)
		return 0;
	for (size_t i = 0; i < nids; i++)
		if (ids[i] && (s = battery_by_id(ids[i])) != NULL &&
		    strcmp(s->rcpt_to, PLAIN_RCPT) == 0 && strcmp(s->mail_from, r->mail_from) == 0)
			return 1;
	return 0;
}

/* advice_write - the general fix, then each trick class once; recipient
 * tricks that relayed only as far as their sender explains are named after
 * the sender's advice instead of getting advice of their own */
void advice_write(struct dbuf *out, const char *mta, const char *const *ids, size_t nids)
{
	const struct advice *a = advice_for(mta);
	int seen[T__COUNT] = {0};
	struct dbuf expl; /* " id" of each test its sender explains */

	if (strcmp(a->mta, "unknown") == 0 && mta && mta[0])
		dbuf_printf(out,
		            "(The server looks like %s; there is no advice of its own for it.)\n",
		            mta);
	dbuf_adds(out, a->fix);
	dbuf_init(&expl, 0);
	for (size_t i = 0; i < nids; i++) {
		enum trick k = trick_of(ids[i]);
		const char *t;

		if (k == T_NONE)
			continue;
		if (k != T_SENDER && sender_explains(ids[i], ids, nids)) {
			dbuf_printf(&expl, " %s", ids[i]);
			continue;
		}
		if (seen[k])
			continue;
		seen[k] = 1;
		if ((t = trick_text(mta, k)) != NULL) {
			dbuf_addc(out, '\n');
			dbuf_adds(out, t);
		}
	}
	if (dbuf_str(&expl)[0])
		dbuf_printf(
		    out,
		    "\nThese tests relayed too, but with a sender at your server's own address,\n"
		    "which relayed with a plain recipient as well: the sender is what let them\n"
		    "through, and the fix above for it covers them:%s.\n",
		    dbuf_str(&expl));
	dbuf_free(&expl);
}

/* advice_verify - the manual check, then our retest */
void advice_verify(struct dbuf *out, const char *mta, const char *retest_command)
{
	dbuf_adds(out, advice_for(mta)->verify);
	if (retest_command && retest_command[0])
		dbuf_printf(out, "Then ask for a retest; it runs:\n  %s\n", retest_command);
}

/* open proxies --------------------------------------------------------- */

#define DANTE_FIX                                                                                  \
	"Dante (sockd.conf, or danted.conf on Debian): the client rules decide who may\n"          \
	"connect, the socks rules what they may ask for. Allow only your own networks\n"           \
	"and ask for a password:\n"                                                                \
	"  internal: eth1 port = 1080          (the inside interface, not 0.0.0.0)\n"              \
	"  socksmethod: username               (Dante 1.2/1.3: method: username)\n"                \
	"  client pass { from: 192.0.2.0/24 to: 0.0.0.0/0 }\n"                                     \
	"  client block { from: 0.0.0.0/0 to: 0.0.0.0/0 log: connect error }\n"                    \
	"  socks pass { from: 192.0.2.0/24 to: 0.0.0.0/0 }\n"                                      \
	"  socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 log: connect error }\n"                     \
	"A client pass or socks pass rule from 0.0.0.0/0 lets anyone through.\n"                   \
	"Then restart danted.\n"
#define DANTE_VERIFY "sockd -V (danted -V) checks the configuration and exits.\n"
#define THREEPROXY_FIX                                                                             \
	"3proxy (3proxy.cfg): without auth, or with \"auth none\", every service is open to\n"     \
	"all. Before the service lines (proxy, socks), require a user, or at least your\n"         \
	"networks, and end with a deny:\n"                                                         \
	"  users alice:CL:secret\n"                                                                \
	"  auth strong                  (or auth iponly to allow by address only)\n"               \
	"  allow alice                  (iponly: allow * 192.0.2.0/24)\n"                          \
	"  deny *\n"                                                                               \
	"  socks -p1080 -i192.0.2.1     (-i: listen on the inside address only)\n"                 \
	"  proxy -p3128 -i192.0.2.1\n"                                                             \
	"Then restart 3proxy.\n"
#define THREEPROXY_VERIFY                                                                          \
	"Read 3proxy.cfg again: every proxy or socks line comes after an auth line other\n"        \
	"than none, and the ACL ends in deny *.\n"

static const struct proxy_advice proxy_rows[] = {
    {.name = "tinyproxy",
     .product = "tinyproxy",
     .fix = "tinyproxy (tinyproxy.conf) lets every client in when the file has no Allow or\n"
            "Deny line, and CONNECTs to any port when it has no ConnectPort line:\n"
            "  Listen 192.0.2.1        (the inside address; or Allow alone is enough)\n"
            "  Allow 127.0.0.1\n"
            "  Allow 192.0.2.0/24      (your own networks only)\n"
            "  ConnectPort 443         (CONNECT only to HTTPS)\n"
            "Or require a password: BasicAuth user secret (tinyproxy 1.10 and later).\n"
            "Then restart tinyproxy.\n",
     .verify =
         "grep -E '^(Listen|Allow|Deny|ConnectPort|BasicAuth)' /etc/tinyproxy/tinyproxy.conf\n"
         "must show your networks only; a client outside them must get 403 Access denied.\n"},
    {.name = "squid",
     .product = "Squid",
     .fix = "Squid applies the http_access rules in squid.conf in order, the first match wins:\n"
            "allow your own networks, then deny everybody else:\n"
            "  acl localnet src 192.0.2.0/24\n"
            "  acl SSL_ports port 443\n"
            "  acl CONNECT method CONNECT\n"
            "  http_access deny CONNECT !SSL_ports\n"
            "  http_access allow localhost\n"
            "  http_access allow localnet\n"
            "  http_access deny all\n"
            "No http_access allow all (nor an allow of an acl src all) may come before the\n"
            "deny all. Or require a login (auth_param and http_access allow <proxy_auth acl>).\n"
            "Then: squid -k parse && squid -k reconfigure\n",
     .verify = "squid -k parse must show no error; a client outside your networks must get\n"
               "403 Forbidden (ERR_ACCESS_DENIED).\n"},
    {.name = "dante", .product = "Dante", .fix = DANTE_FIX, .verify = DANTE_VERIFY},
    {.name = "3proxy", .product = "3proxy", .fix = THREEPROXY_FIX, .verify = THREEPROXY_VERIFY},
    {.name = "socks",
     .product = "a SOCKS proxy (Dante or 3proxy?)",
     .fix = "The SOCKS proxy did not name its software; on servers it is most often Dante\n"
            "or 3proxy. On a desktop or a router an unexpected SOCKS proxy is often malware:\n"
            "find the process listening on the port (ss -ltnp, netstat -abno) first.\n"
            "\n" DANTE_FIX "\n" THREEPROXY_FIX,
     .verify = DANTE_VERIFY THREEPROXY_VERIFY},
    {.name = "apache",
     .product = "Apache httpd (mod_proxy)",
     .fix = "Apache forwards requests for any site when ProxyRequests is On (mod_proxy\n"
            "with mod_proxy_http, and mod_proxy_connect for CONNECT). A reverse proxy\n"
            "(ProxyPass) does not need it:\n"
            "  ProxyRequests Off\n"
            "If you do need a forward proxy, restrict it to your networks:\n"
            "  <Proxy \"*\">\n"
            "    Require ip 192.0.2.0/24\n"
            "  </Proxy>\n"
            "and drop AllowCONNECT unless it is needed. Check every virtual host and\n"
            "included file. Then: apachectl configtest && apachectl graceful\n",
     .verify = "apachectl -S and grep -ri ProxyRequests /etc/apache2 /etc/httpd must show no\n"
               "ProxyRequests On outside a <Proxy> block that requires your networks.\n"},
    {.name = "nginx",
     .product = "nginx",
     .fix = "nginx is no forward proxy unless a location passes requests to whatever host\n"
            "the client names, e.g.\n"
            "  proxy_pass $scheme://$host$request_uri;     (or http://$http_host)\n"
            "together with a resolver. Remove such catch-alls: proxy_pass only to fixed\n"
            "upstreams, and let a default server refuse unknown Host names:\n"
            "  server { listen 80 default_server; return 444; }\n"
            "Remove the proxy_connect directives of the third-party CONNECT module too.\n"
            "Then: nginx -t && nginx -s reload\n",
     .verify = "nginx -T | grep -nE 'proxy_pass|proxy_connect|resolver' must show no proxy_pass\n"
               "to a variable host.\n"},
    {.name = "isa",
     .product = "Microsoft ISA Server / Forefront TMG",
     .fix = "ISA Server and Forefront TMG proxy for the networks whose Web Proxy tab enables\n"
            "the listener:\n"
            "- Networks > External > Properties > Web Proxy: untick \"Enable Web Proxy clients\";\n"
            "  keep the listener on the Internal network only;\n"
            "- Firewall Policy: no access rule may allow HTTP/HTTPS from External (or from\n"
            "  All Networks) to External; apply the rules to \"All Authenticated Users\" and\n"
            "  require authentication on the Internal network's Web Proxy tab.\n"
            "Apply the changes. Both products are out of support: plan a replacement.\n",
     .verify = "In the management console, Monitoring > Configuration shows the change\n"
               "applied; from outside, the proxy port must refuse or answer 407/403.\n"},
    {.name = "wingate",
     .product = "WinGate",
     .fix = "WinGate's proxy services (Telnet proxy, SOCKS, WWW proxy) listen on every\n"
            "interface unless bound. In GateKeeper / WinGate Management > Services:\n"
            "- disable the Telnet proxy service (nobody needs it), or bind it to the\n"
            "  inside interface only (the service's Bindings: your LAN adapter);\n"
            "- bind the SOCKS and WWW proxy services to the LAN too, and require users to\n"
            "  authenticate.\n"
            "A router whose telnet prompt connects onward: turn off telnet on its WAN side.\n",
     .verify = "From outside, telnet to the port must be refused or ask for a login, never show\n"
               "a WinGate> prompt.\n"},
    {.name = "unknown",
     .product = "an unidentified proxy",
     .fix = "The proxy's software could not be identified. Whatever it is:\n"
            "- find it: the process listening on the port (ss -ltnp, netstat -abno); an\n"
            "  unexpected proxy on a desktop, a router or a web server is often malware or\n"
            "  a compromised application: clean the host, do not only close the port;\n"
            "- allow only your own networks (an allow-list of addresses), or require\n"
            "  authentication, and listen on the inside interface only;\n"
            "- CONNECT only to port 443, if at all.\n",
     .verify = "From an address outside your networks, the proxy port must refuse the\n"
               "connection or answer 403/407 (SOCKS: request rejected).\n"},
};

#define NPROXY (sizeof(proxy_rows) / sizeof(proxy_rows[0]))

/* the software string's fingerprints: lower-case needles, the row they pick;
 * proxies before the web servers, which also appear in Via of others */
static const struct {
	const char *needle, *row;
} proxy_prints[] = {
    {"tinyproxy", "tinyproxy"}, {"squid", "squid"},
    {"dante", "dante"},         {"3proxy", "3proxy"},
    {"wingate", "wingate"},     {"microsoft-isa", "isa"},
    {"isa server", "isa"},      {"isaserver", "isa"},
    {"forefront", "isa"},       {"tmg", "isa"},
    {"apache", "apache"},       {"nginx", "nginx"},
    {"openresty", "nginx"},
};

static const struct proxy_advice *proxy_row(const char *name)
{
	for (size_t i = 0; i < NPROXY; i++)
		if (strcmp(proxy_rows[i].name, name) == 0)
			return &proxy_rows[i];
	return &proxy_rows[NPROXY - 1];
}

/* has_proto - one of protos starts with prefix */
static int has_proto(const char *const *protos, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		if (protos[i] && strncmp(protos[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

/* advice_proxy_for - by the software's fingerprint, else by the protocols */
const struct proxy_advice *advice_proxy_for(const char *software, const char *const *protos,
                                            size_t nprotos)
{
	for (size_t i = 0; software && i < sizeof(proxy_prints) / sizeof(proxy_prints[0]); i++)
		if (strcasestr(software, proxy_prints[i].needle))
			return proxy_row(proxy_prints[i].row);
	if (has_proto(protos, nprotos, "telnet"))
		return proxy_row("wingate");
	if (has_proto(protos, nprotos, "socks"))
		return proxy_row("socks");
	return proxy_row("unknown");
}

const struct proxy_advice *advice_proxy_all(size_t *n)
{
	*n = NPROXY;
	return proxy_rows;
}

/* advice_proxy_write - the row's fix, naming the software when unknown */
void advice_proxy_write(struct dbuf *out, const struct proxy_advice *a, const char *software)
{
	if (strcmp(a->name, "unknown") == 0 && software && software[0])
		dbuf_printf(out,
		            "(The proxy says it is %s; there is no advice of its own for it.)\n",
		            software);
	dbuf_adds(out, a->fix);
}

/* the check from outside, per protocol (curl(1) options) */
static const struct {
	const char *proto, *fmt; /* fmt: %s host:port */
} proxy_checks[] = {
    {"http-connect", "curl -v -p -x http://%s https://example.com/"},
    {"http-get", "curl -v -x http://%s http://example.com/"},
    {"http-post", "curl -v -x http://%s -d x=1 http://example.com/"},
    {"socks5", "curl -v --socks5 %s http://example.com/"},
    {"socks4a", "curl -v --socks4a %s http://example.com/"},
    {"socks4", "curl -v --socks4 %s http://example.com/"},
    {"telnet", "telnet %s   (no prompt that connects onward)"},
};

/* advice_proxy_verify - the row's check, one command per protocol, the retest */
void advice_proxy_verify(struct dbuf *out, const struct proxy_advice *a, const char *hostport,
                         const char *const *protos, size_t nprotos, const char *retest_command)
{
	int any = 0;

	dbuf_adds(out, a->verify);
	for (size_t i = 0; hostport && i < nprotos; i++)
		for (size_t k = 0; protos[i] && k < sizeof(proxy_checks) / sizeof(proxy_checks[0]);
		     k++) {
			if (strcmp(protos[i], proxy_checks[k].proto) != 0)
				continue;
			if (!any++)
				dbuf_adds(out,
				          "From a host outside your networks each of these must "
				          "fail:\n");
			dbuf_adds(out, "  ");
			dbuf_printf(out, proxy_checks[k].fmt, hostport);
			dbuf_addc(out, '\n');
		}
	if (retest_command && retest_command[0])
		dbuf_printf(out, "Then ask for a retest; it runs:\n  %s\n", retest_command);
}
