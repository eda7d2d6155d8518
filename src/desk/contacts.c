/*
 * NAME
 *	contacts - parse the netblock owners file (relaywatch contacts import)
 * SYNOPSIS
 *	int contact_parse_line(const char *line, struct contact *c, char *err, size_t errlen);
 *	int contact_email_ok(const char *e);
 * DESCRIPTION
 *	See contacts.h for the format. The CIDR goes through ipset's parser
 *	and is written back normalised (host bits cleared), so the store
 *	keys one netblock one way. Errors name the field that is wrong; the
 *	caller adds file and line.
 * LIMITS
 *	CONTACT_EMAILS_MAX emails; field sizes of struct contact; lines as
 *	RW_SCAN_LINE_MAX.
 * STANDARDS
 *	RFC 4180 (CSV quoting), RFC 5321 (mailbox length).
 */
#include "contacts.h"

#include "../core/limits.h"
#include "../scan/ipset.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NFIELDS 4

/* split - CSV fields of line into f[] (each NUL-terminated, trimmed);
 * the count, or -1 on an unterminated quote or a field too long */
static int split(const char *line, char f[NFIELDS][RW_SCAN_LINE_MAX + 1])
{
	int n = 0;
	const char *p = line;

	for (;;) {
		size_t k = 0;
		int quoted = 0;

		if (n == NFIELDS)
			return -1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			quoted = 1;
			p++;
			for (;;) {
				if (*p == '\0')
					return -1;
				if (*p == '"' && p[1] == '"') {
					p++;
				} else if (*p == '"') {
					p++;
					break;
				}
				if (k == RW_SCAN_LINE_MAX)
					return -1;
				f[n][k++] = *p++;
			}
			while (*p == ' ' || *p == '\t')
				p++;
		} else {
			while (*p && *p != ',') {
				if (k == RW_SCAN_LINE_MAX)
					return -1;
				f[n][k++] = *p++;
			}
		}
		if (!quoted)
			while (k > 0 &&
			       (f[n][k - 1] == ' ' || f[n][k - 1] == '\t' || f[n][k - 1] == '\r'))
				k--;
		f[n++][k] = '\0';
		if (*p == '\r')
			p++;
		if (*p == '\0')
			return n;
		if (*p != ',')
			return -1;
		p++;
	}
}

int contact_email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	size_t n = strlen(e);

	if (at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@') || n > 253)
		return 0;
	for (const char *p = e; *p; p++)
		if (!isgraph((unsigned char)*p) || strchr(",<>\"();:[]\\", *p))
			return 0;
	return strchr(at + 1, '.') != NULL;
}

int contact_parse_line(const char *line, struct contact *c, char *err, size_t errlen)
{
	static char f[NFIELDS][RW_SCAN_LINE_MAX + 1];
	struct ipset_range r;
	struct ip128 cnt;
	const char *e;
	char *save = NULL, *tok, emails[RW_SCAN_LINE_MAX + 1];
	int n;

	memset(c, 0, sizeof(*c));
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#' || *line == '\r' || strncasecmp(line, "cidr", 4) == 0)
		return 0;
	if (strlen(line) > RW_SCAN_LINE_MAX || (n = split(line, f)) < 0) {
		snprintf(err, errlen, "not CSV of 4 fields (cidr,customer,emails,account)");
		return -1;
	}
	if (n < 3) {
		snprintf(err, errlen, "%d field(s): want cidr,customer,emails[,account]", n);
		return -1;
	}
	if (strchr(f[0], '/') == NULL || (e = ipset_range_parse(f[0], &r)) != NULL) {
		snprintf(err, errlen, "cidr '%.64s': %s", f[0],
		         strchr(f[0], '/') ? e : "not a CIDR");
		return -1;
	}
	cnt = ipset_range_count(&r);
	c->prefix = r.fam == IPSET_V4 ? 32 : 128;
	/* the count is a power of two: the prefix is the width minus its log */
	for (struct ip128 one = {0, 1}; ip128_cmp(one, cnt) < 0 && c->prefix > 0; c->prefix--)
		one = (struct ip128){(one.hi << 1) | (one.lo >> 63), one.lo << 1};
	if (ipset_range_text(&r, c->netblock, sizeof(c->netblock)) == NULL ||
	    strchr(c->netblock, '/') == NULL) {
		if (c->prefix == (r.fam == IPSET_V4 ? 32u : 128u))
			snprintf(c->netblock + strlen(c->netblock),
			         sizeof(c->netblock) - strlen(c->netblock), "/%u", c->prefix);
	}
	if (strlen(f[1]) >= sizeof(c->customer) || (n > 3 && strlen(f[3]) >= sizeof(c->account))) {
		snprintf(err, errlen, "%s too long",
		         strlen(f[1]) >= sizeof(c->customer) ? "customer" : "account");
		return -1;
	}
	snprintf(c->customer, sizeof(c->customer), "%s", f[1]);
	if (n > 3)
		snprintf(c->account, sizeof(c->account), "%s", f[3]);
	snprintf(emails, sizeof(emails), "%s", f[2]);
	for (tok = strtok_r(emails, " \t;", &save); tok; tok = strtok_r(NULL, " \t;", &save)) {
		if (!contact_email_ok(tok)) {
			snprintf(err, errlen, "email '%.64s' is not a mailbox", tok);
			return -1;
		}
		if (c->nemails == CONTACT_EMAILS_MAX) {
			snprintf(err, errlen, "more than %d emails", CONTACT_EMAILS_MAX);
			return -1;
		}
		snprintf(c->emails[c->nemails++], sizeof(c->emails[0]), "%s", tok);
	}
	if (c->nemails == 0) {
		snprintf(err, errlen, "no admin email");
		return -1;
	}
	return 1;
}
