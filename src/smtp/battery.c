/*
 * NAME
 *	battery - the relay test battery, one row per trick
 * SUMMARY
 *	static table of relay attempts and the expansion of their templates
 * SYNOPSIS
 *	const struct battery_test *const *battery_get(const char *name, size_t *n);
 *	const struct battery_test *battery_by_id(const char *id);
 *	const struct battery_test *battery_all(size_t *n);
 *	int battery_expand(const char *tmpl, const struct battery_vars *v,
 *	                   char *out, size_t outlen);
 * DESCRIPTION
 *	The table holds nmap smtp-open-relay's 16 combinations and the
 *	classic relay-tester forms, merged where they coincide. Every
 *	recipient is built from {user} and {canary} alone plus hops that name
 *	the target itself ({ip}, {host}): interpreted by the target, each one
 *	ends at the operator's canary and nowhere else (test_battery proves
 *	it with addr_route). battery_get returns the rows of a named set in
 *	table order; the lists are built once from the rows' sets bits and
 *	stay read-only. Rows and lists are static: callers keep pointers.
 *	battery_expand substitutes placeholders; each variable must have its
 *	syntax (domain or literal, local part, bare address) so that text
 *	from a banner cannot add a hop, a second command or a CRLF.
 * DIAGNOSTICS
 *	battery_get, battery_by_id: NULL when unknown. battery_expand: -1
 *	(out "") on overflow, an unknown or unclosed placeholder, or a
 *	missing or ill-formed variable.
 * LIMITS
 *	RW_BATTERY_MAX rows; RW_PATH_MAX per expanded path (callers' buffer).
 * STANDARDS
 *	RFC 5321 4.1.2 (paths), 4.1.3 (address literals), appendix C;
 *	RFC 1123 5.2.16; RFC 976.
 */
#include "battery.h"
#include "../core/limits.h"
#include "../core/xalloc.h"

#include <string.h>
#include <threads.h>

#define QF     (BATTERY_QUICK | BATTERY_FULL)
#define F      BATTERY_FULL
#define SENDER "{user}@{canary}" /* default sender when a row does not vary it */
#define RCPT   "{user}@{canary}"

static const struct battery_test table[] = {
    /* senders, with the plain recipient */
    {.id = "plain",
     .sets = QF,
     .trick = "plain recipient at the canary, sender at the canary (classic)",
     .mail_from = SENDER,
     .rcpt_to = RCPT},
    {.id = "null-sender",
     .sets = QF,
     .trick = "null sender <> (nmap 1, classic)",
     .mail_from = "",
     .rcpt_to = RCPT},
    {.id = "sender-rawip",
     .sets = F,
     .trick = "sender at the target's bare address (nmap 2)",
     .mail_from = "{user}@{rawip}",
     .rcpt_to = RCPT},
    {.id = "sender-host",
     .sets = F,
     .trick = "sender spoofed local at the target's host name (nmap 3)",
     .mail_from = "{user}@{host}",
     .rcpt_to = RCPT},
    {.id = "sender-ip",
     .sets = F,
     .trick = "sender spoofed local at the target's address literal (nmap 4, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = RCPT},
    {.id = "sender-postmaster",
     .sets = QF,
     .trick = "sender spoofed as the target's postmaster (classic)",
     .mail_from = "postmaster@{host}",
     .rcpt_to = RCPT},
    {.id = "sender-domain",
     .sets = F,
     .trick = "sender spoofed in the target's own domain, the name given or its banner's "
              "(check_sender_access, 'senders =' or relay_mail_from trusting a domain)",
     .mail_from = "{user}@{domain}",
     .rcpt_to = RCPT,
     .no_bounce = 1},
    {.id = "sender-parent",
     .sets = F,
     .trick = "sender spoofed in the parent domain of the target's name "
              "(mail.example.org: example.org)",
     .mail_from = "{user}@{parent}",
     .rcpt_to = RCPT,
     .no_bounce = 1},
    {.id = "sender-unqualified",
     .sets = F,
     .trick = "unqualified sender, no domain (classic)",
     .mail_from = "{user}",
     .rcpt_to = RCPT},
    /* recipients; the nmap rows keep nmap's sender at the target's literal */
    {.id = "percent-ip",
     .sets = QF,
     .trick = "percent hack at the target's address literal (nmap 5, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "{user}%{canary}@{ip}"},
    {.id = "percent-host",
     .sets = F,
     .trick = "percent hack at the target's host name (nmap 6, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "{user}%{canary}@{host}"},
    {.id = "quoted",
     .sets = QF,
     .trick = "whole address quoted as a local part (nmap 7, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "\"{user}@{canary}\""},
    {.id = "quoted-percent",
     .sets = F,
     .trick = "percent hack quoted as a local part (nmap 8, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "\"{user}%{canary}\""},
    {.id = "double-at-ip",
     .sets = QF,
     .trick = "address at the canary, at the target's literal again (nmap 9, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "{user}@{canary}@{ip}"},
    {.id = "quoted-ip",
     .sets = F,
     .trick = "quoted address at the target's address literal (nmap 10, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "\"{user}@{canary}\"@{ip}"},
    {.id = "double-at-host",
     .sets = F,
     .trick = "address at the canary, at the target's host name again (nmap 11, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "{user}@{canary}@{host}"},
    {.id = "source-route-ip",
     .sets = QF,
     .trick = "source route through the target's address literal (nmap 12, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "@{ip}:{user}@{canary}"},
    {.id = "source-route-host",
     .sets = F,
     .trick = "source route through the target's host name (nmap 13, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "@{host}:{user}@{canary}"},
    {.id = "bang",
     .sets = F,
     .trick = "UUCP bang path, unqualified (nmap 14, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "{canary}!{user}"},
    {.id = "bang-ip",
     .sets = QF,
     .trick = "bang path at the target's address literal (nmap 15, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "{canary}!{user}@{ip}"},
    {.id = "bang-host",
     .sets = F,
     .trick = "bang path at the target's host name (nmap 16, classic)",
     .mail_from = "{user}@{ip}",
     .rcpt_to = "{canary}!{user}@{host}"},
    /* classic forms nmap does not try */
    {.id = "unqualified",
     .sets = F,
     .trick = "unqualified recipient, percent hack with no @ at all (classic)",
     .mail_from = SENDER,
     .rcpt_to = "{user}%{canary}"},
    {.id = "trailing-dot",
     .sets = F,
     .trick = "canary domain with a trailing dot (classic)",
     .mail_from = SENDER,
     .rcpt_to = "{user}@{canary}."},
    {.id = "upper-case",
     .sets = F,
     .trick = "canary domain in upper case (classic)",
     .mail_from = SENDER,
     .rcpt_to = "{user}@{CANARY}"},
    {.id = "mixed-case",
     .sets = F,
     .trick = "canary domain in mixed case (classic)",
     .mail_from = SENDER,
     .rcpt_to = "{user}@{Canary}"},
    /* HELO forms */
    {.id = "helo-host",
     .sets = F,
     .trick = "HELO with the target's own host name (classic)",
     .helo = "{host}",
     .mail_from = SENDER,
     .rcpt_to = RCPT},
    {.id = "helo-ip",
     .sets = F,
     .trick = "HELO with the target's own address literal (classic)",
     .helo = "{ip}",
     .mail_from = SENDER,
     .rcpt_to = RCPT},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))
_Static_assert(NTABLE <= RW_BATTERY_MAX, "battery larger than RW_BATTERY_MAX");

/* the named sets, filled once from the rows' bits */
static const struct {
	const char *name;
	unsigned bit;
} sets[] = {
    {"quick", BATTERY_QUICK},
    {"full", BATTERY_FULL},
};
#define NSETS (sizeof(sets) / sizeof(sets[0]))

static const struct battery_test *lists[NSETS][NTABLE];
static size_t counts[NSETS];
static once_flag lists_once = ONCE_FLAG_INIT;

/* build_lists - the rows of each set, in table order */
static void build_lists(void)
{
	for (size_t s = 0; s < NSETS; s++)
		for (size_t i = 0; i < NTABLE; i++)
			if (table[i].sets & sets[s].bit)
				lists[s][counts[s]++] = &table[i];
}

/* battery_get - rows of the named set */
const struct battery_test *const *battery_get(const char *name, size_t *n)
{
	call_once(&lists_once, build_lists);
	for (size_t s = 0; name && s < NSETS; s++)
		if (strcmp(name, sets[s].name) == 0) {
			*n = counts[s];
			return lists[s];
		}
	*n = 0;
	return NULL;
}

/* battery_by_id - one row by its stable id */
const struct battery_test *battery_by_id(const char *id)
{
	for (size_t i = 0; id && i < NTABLE; i++)
		if (strcmp(table[i].id, id) == 0)
			return &table[i];
	return NULL;
}

/* battery_all - the whole table */
const struct battery_test *battery_all(size_t *n)
{
	*n = NTABLE;
	return table;
}

enum var_kind {
	VK_DOMAIN, /* host name (letters, digits, - _ .) or an address literal */
	VK_LOCAL,  /* dot-atom local part without routing characters */
	VK_RAWIP,  /* bare address: hex digits, '.', ':' */
};

enum var_case { VC_ASIS, VC_UPPER, VC_MIXED };

static const struct placeholder {
	const char *name;
	size_t off; /* of the variable in struct battery_vars */
	enum var_kind kind;
	enum var_case vcase;
} placeholders[] = {
    {"user", offsetof(struct battery_vars, user), VK_LOCAL, VC_ASIS},
    {"canary", offsetof(struct battery_vars, canary), VK_DOMAIN, VC_ASIS},
    {"CANARY", offsetof(struct battery_vars, canary), VK_DOMAIN, VC_UPPER},
    {"Canary", offsetof(struct battery_vars, canary), VK_DOMAIN, VC_MIXED},
    {"ip", offsetof(struct battery_vars, ip), VK_DOMAIN, VC_ASIS},
    {"rawip", offsetof(struct battery_vars, rawip), VK_RAWIP, VC_ASIS},
    {"host", offsetof(struct battery_vars, host), VK_DOMAIN, VC_ASIS},
    {"me", offsetof(struct battery_vars, me), VK_DOMAIN, VC_ASIS},
    {"domain", offsetof(struct battery_vars, domain), VK_DOMAIN, VC_ASIS},
    {"parent", offsetof(struct battery_vars, parent), VK_DOMAIN, VC_ASIS},
};

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define HEX   "0123456789abcdefABCDEF"

/* characters each kind of variable may hold */
static const char *const kind_chars[] = {
    [VK_DOMAIN] = ALNUM ".-_",
    [VK_LOCAL] = ALNUM ".-_+",
    [VK_RAWIP] = HEX ".:",
};

/* well_formed - the variable holds only what its kind allows */
static int well_formed(const char *s, enum var_kind kind)
{
	size_t n = strlen(s);

	if (n == 0 || n > RW_DOMAIN_MAX)
		return 0;
	if (kind == VK_DOMAIN && s[0] == '[') {
		/* [a.b.c.d] or [IPv6:...]: the inside is an address and its tag */
		return n >= 3 && s[n - 1] == ']' && strspn(s + 1, ALNUM ".:") == n - 2;
	}
	return strspn(s, kind_chars[kind]) == n;
}

/* convert - one character in the placeholder's case; at_start: first of a label */
static char convert(char c, enum var_case vc, int at_start)
{
	int up = vc == VC_UPPER || (vc == VC_MIXED && at_start);

	if (vc == VC_ASIS)
		return c;
	if (up && c >= 'a' && c <= 'z')
		return (char)(c - 32);
	if (!up && c >= 'A' && c <= 'Z')
		return (char)(c + 32);
	return c;
}

/* battery_expand - substitute the placeholders of tmpl into out */
int battery_expand(const char *tmpl, const struct battery_vars *v, char *out, size_t outlen)
{
	size_t o = 0;

	if (!out || outlen == 0)
		return -1;
	for (const char *p = tmpl; p && *p;) {
		const struct placeholder *ph = NULL;
		const char *close, *val;

		if (*p != '{') {
			if (o + 1 >= outlen)
				goto fail;
			out[o++] = *p++;
			continue;
		}
		close = strchr(p, '}');
		if (!close)
			goto fail;
		for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
			if (strlen(placeholders[i].name) == (size_t)(close - p - 1) &&
			    strncmp(placeholders[i].name, p + 1, (size_t)(close - p - 1)) == 0)
				ph = &placeholders[i];
		if (!ph)
			goto fail;
		val = *(const char *const *)((const char *)v + ph->off);
		if (!val || !well_formed(val, ph->kind))
			goto fail;
		for (size_t i = 0; val[i]; i++) {
			if (o + 1 >= outlen)
				goto fail;
			out[o++] = convert(val[i], ph->vcase, i == 0 || val[i - 1] == '.');
		}
		p = close + 1;
	}
	out[o] = '\0';
	return 0;
fail:
	out[0] = '\0';
	return -1;
}
