/*
 * NAME
 *	received - Received: trace fields of a delivered message
 * SUMMARY
 *	pull the Received chain out of a header section and read each hop
 * SYNOPSIS
 *	int received_extract(const char *msg, size_t len, char **out, int max);
 *	void received_hop_parse(const char *value, struct received_hop *hop);
 * DESCRIPTION
 *	received_extract() walks the header section of msg (lines ending in
 *	CRLF or bare LF; a line starting with SP or TAB continues the field
 *	before it) up to the empty line that ends it, and stores the value of
 *	every Received: field, unfolded, with runs of white space and control
 *	bytes collapsed to one space, top (newest) first. out[] gets owned
 *	strings (free() each); the count is returned. Input is peer data:
 *	nothing in it can make this read past len or store past the caps.
 *
 *	received_hop_parse() reads one value the way RFC 5321 4.4 writes it,
 *	skipping comments and quoted strings at the top level: the word after
 *	"from", the first [address] anywhere in the from clause (IPv4, IPv6,
 *	"IPv6:" prefix, Exim's "[addr]:port"), and the word after "by". When
 *	the from clause has no bracketed address but a comment that is exactly
 *	an address (Microsoft Exchange "(10.1.2.3)", qmail "(192.0.2.1)"),
 *	that one is used. Fields not found are "". Reading stops at the ';'
 *	before the date; hop is the caller's and is zeroed first.
 * DIAGNOSTICS
 *	none: malformed input gives fewer values or empty hop fields;
 *	empty Received: values are skipped.
 * LIMITS
 *	RW_RECEIVED_VALUE_MAX (1 KiB) per value, excess dropped; max values;
 *	hop names and address truncated to the sizes of struct received_hop.
 * STANDARDS
 *	RFC 5322 2.2.3 (folding), 3.6.7 (trace fields); RFC 5321 4.4.
 */
#include "received.h"
#include "../core/limits.h"
#include "../core/xalloc.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The value being unfolded, bounded. */
struct rvalue {
	char buf[RW_RECEIVED_VALUE_MAX + 1];
	size_t len;
	int space; /* white space seen since the last stored byte */
};

/* rv_add - append bytes, collapsing white space; past the cap drop */
static void rv_add(struct rvalue *v, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c == 0x7f) {
			v->space = 1;
			continue;
		}
		if (v->space && v->len > 0) {
			if (v->len >= RW_RECEIVED_VALUE_MAX)
				return;
			v->buf[v->len++] = ' ';
		}
		v->space = 0;
		if (v->len >= RW_RECEIVED_VALUE_MAX)
			return;
		v->buf[v->len++] = (char)c;
	}
}

/* is_received - the line starts a Received: field ("Received :" is the
 * obsolete form of RFC 5322 4.5, still accepted) */
static int is_received(const char *p, size_t n, size_t *vstart)
{
	static const char name[] = "received";
	size_t i = sizeof(name) - 1;

	if (n < i || strncasecmp(p, name, i) != 0)
		return 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= n || p[i] != ':')
		return 0;
	*vstart = i + 1;
	return 1;
}

/* received_extract - Received: values of the header section, top first */
int received_extract(const char *msg, size_t len, char **out, int max)
{
	struct rvalue v;
	int n = 0, in_received = 0;
	size_t pos = 0;

	v.len = 0;
	v.space = 0;
	while (pos < len) {
		const char *line = msg + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		size_t vstart;

		pos += nl ? ll + 1 : ll;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break; /* the empty line ending the header section */
		if (line[0] == ' ' || line[0] == '\t') {
			if (in_received) {
				v.space = 1;
				rv_add(&v, line, ll);
			}
			continue;
		}
		if (in_received && n < max && v.len > 0)
			out[n++] = xstrndup(v.buf, v.len);
		in_received = 0;
		if (n < max && is_received(line, ll, &vstart)) {
			in_received = 1;
			v.len = 0;
			v.space = 0;
			rv_add(&v, line + vstart, ll - vstart);
		}
	}
	if (in_received && n < max && v.len > 0)
		out[n++] = xstrndup(v.buf, v.len);
	return n;
}

/* copy_word - bounded copy of a word */
static void copy_word(char *dst, size_t dstlen, const char *p, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* ip_text - p[0..n) is an address (after an optional "IPv6:"): store it */
static int ip_text(const char *p, size_t n, char *out, size_t outlen)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char tmp[64];

	if (n > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, bin) != 1 && inet_pton(AF_INET6, tmp, bin) != 1)
		return 0;
	copy_word(out, outlen, tmp, n);
	return 1;
}

/* Where the parser is inside the value, at top level. */
enum hop_clause {
	HC_NONE, /* before "from"/"by", or in a clause we do not read */
	HC_FROM, /* inside the from clause */
	HC_BY,   /* inside the by clause */
};

/* is_keyword - a word that opens a clause of RFC 5321 4.4 */
static int is_keyword(const char *w, size_t n)
{
	static const char *const kw[] = {"from", "by", "via", "with", "id", "for"};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strlen(kw[i]) == n && strncasecmp(w, kw[i], n) == 0)
			return 1;
	return 0;
}

/* received_hop_parse - from name, first from-clause address, by name */
void received_hop_parse(const char *value, struct received_hop *hop)
{
	enum hop_clause clause = HC_NONE;
	const char *p = value;
	char fallback[64] = "";
	int want_name = 0; /* the next top-level word is the clause's name */
	int seen_from = 0, seen_by = 0;

	memset(hop, 0, sizeof(*hop));
	while (*p && *p != ';') {
		if (*p == '(') {
			/* a comment, maybe nested; in the from clause look for
			 * an [address] in it, or a comment that is one */
			const char *start = p + 1;
			int depth = 0;

			do {
				if (*p == '\\' && p[1]) {
					p += 2;
					continue;
				}
				if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
				else if (*p == '[' && clause == HC_FROM && !hop->from_ip[0]) {
					const char *e = strchr(p, ']');
					const char *c = strchr(p, ')');

					if (e && (!c || e < c))
						ip_text(p + 1, (size_t)(e - p - 1), hop->from_ip,
						        sizeof(hop->from_ip));
				}
				p++;
			} while (*p && depth > 0);
			if (clause == HC_FROM && !fallback[0] && depth == 0)
				ip_text(start, (size_t)(p - 1 - start), fallback, sizeof(fallback));
			continue;
		}
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		/* a top-level word */
		const char *w = p;
		size_t n;

		while (*p && *p != ' ' && *p != '\t' && *p != '(' && *p != ';')
			p++;
		n = (size_t)(p - w);
		if (!want_name && is_keyword(w, n)) {
			clause = HC_NONE;
			if (n == 4 && strncasecmp(w, "from", 4) == 0 && !seen_from && !seen_by) {
				clause = HC_FROM;
				seen_from = want_name = 1;
			} else if (n == 2 && strncasecmp(w, "by", 2) == 0 && !seen_by) {
				clause = HC_BY;
				seen_by = want_name = 1;
			}
			continue;
		}
		if (want_name) {
			want_name = 0;
			if (clause == HC_FROM)
				copy_word(hop->from, sizeof(hop->from), w, n);
			else
				copy_word(hop->by, sizeof(hop->by), w, n);
		}
		/* "from [192.0.2.1] (helo=...)" (Exim), or an address loose in
		 * the clause */
		if (clause == HC_FROM && !hop->from_ip[0]) {
			const char *b = memchr(w, '[', n);
			const char *e = b ? memchr(b, ']', n - (size_t)(b - w)) : NULL;

			if (e)
				ip_text(b + 1, (size_t)(e - b - 1), hop->from_ip,
				        sizeof(hop->from_ip));
		}
	}
	if (!hop->from_ip[0] && fallback[0])
		copy_word(hop->from_ip, sizeof(hop->from_ip), fallback, strlen(fallback));
}
