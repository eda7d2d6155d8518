/*
 * NAME
 *	targets - target specs and files, port lists, exclusions and scope
 * SUMMARY
 *	turn what users and other scanners write into sets of (address, port)
 * SYNOPSIS
 *	const char *targets_ports_parse(s, &ports);
 *	struct targets *targets_new(void); targets_free(t);
 *	const char *targets_add(t, range, port); targets_groups(t, &n);
 *	targets_names(t, &n); uint64_t targets_count(t, nports);
 *	void targets_apply(t, rules, n);
 *	void targets_parser_init(p, source, t); targets_parser_init_set(p, source, set);
 *	void targets_feed(p, data, len); targets_end(p); targets_line(p, line);
 *	void targets_parser_free(p);
 * DESCRIPTION
 *	A target list is one ipset per port (port 0: each --ports port) and
 *	a list of host names for the caller to resolve. targets_add() checks
 *	the bound before storing: one range, and the whole list, stay within
 *	RW_SCAN_ADDRS_MAX, so an IPv6 /64 is refused with an error rather
 *	than enumerated. targets_apply() is set arithmetic on every group
 *	(intersection with a scope, difference with an exclusion) and counts
 *	what each rule removed.
 *	The parser takes bytes split anywhere, cuts lines (a line past
 *	RW_SCAN_LINE_MAX is skipped to its end and reported, never grown),
 *	and detects each line's form on its own: comment or blank; masscan
 *	-oL (open/closed/banner, proto, port, address, time; only "open tcp"
 *	lines are targets); a zmap CSV header naming saddr (and maybe sport
 *	and success), whose rows give the address and port; or plain specs:
 *	a.b.c.d, a CIDR, a-b, nmap's a.b.c.d-e, an IPv6 address, CIDR or
 *	range, a host name, each with an optional :port ([v6]:port).
 *	Text with a ':' or '/' or no letter is numeric; anything else is a
 *	host name and must be one (RFC 1123 2.1 labels). The parser owns its
 *	error texts; the list owns its sets and names.
 * DIAGNOSTICS
 *	each bad line or spec adds "source:line: spec: what is wrong" to
 *	p->errors (the first RW_SCAN_ERRORS_KEPT) and counts in p->nerrors.
 *	Other functions return NULL or a static error text.
 * LIMITS
 *	RW_SCAN_ADDRS_MAX, RW_SCAN_LINE_MAX, RW_SCAN_PORTS_MAX,
 *	RW_SCAN_NAMES_MAX, RW_SCAN_ERRORS_KEPT; RW_DOMAIN_MAX per name.
 * STANDARDS
 *	RFC 1123 2.1 and RFC 3696 2 (host names; a numeric last label is
 *	no name), RFC 4632 (CIDR), RFC 3986 3.2.2 ([v6]:port).
 */
#include "targets.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct targets {
	struct targets_group *g; /* by ascending port */
	size_t ng;
	struct targets_name *names;
	size_t nnames, names_alloc;
	uint64_t upper; /* >= addresses held, summed over groups */
};

/* port_value - "1".."65535" into *out; 0 or -1 */
static int port_value(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* targets_ports_parse - comma list of ports and lo-hi ranges */
const char *targets_ports_parse(const char *s, struct targets_ports *out)
{
	unsigned char *bits = xcalloc(1, 65536 / 8);
	const char *e = NULL;
	size_t n = 0;

	out->n = 0;
	out->gprobes = 0;
	memset(out->probe, TARGETS_PROBE_SMTP, sizeof(out->probe));
	if (*s == '\0')
		e = "empty port list";
	while (e == NULL && *s) {
		size_t len = strcspn(s, ",");
		const char *dash = memchr(s, '-', len);
		unsigned lo, hi;

		if (len == 0) {
			e = "empty element in port list";
			break;
		}
		if (dash) {
			if (port_value(s, (size_t)(dash - s), &lo) < 0 ||
			    port_value(dash + 1, len - (size_t)(dash - s) - 1, &hi) < 0)
				e = "port range end is not a port (1-65535)";
			else if (hi < lo)
				e = "port range ends before it starts";
		} else if (port_value(s, len, &lo) < 0) {
			e = "not a port (1-65535)";
		} else {
			hi = lo;
		}
		/* count before marking: 1-65535 never loops past the cap */
		for (unsigned p = lo; e == NULL && p <= hi; p++) {
			if (bits[p / 8] & (1u << (p % 8)))
				continue;
			if (n == RW_SCAN_PORTS_MAX)
				e = "more ports than RW_SCAN_PORTS_MAX (64)";
			else
				bits[p / 8] |= (unsigned char)(1u << (p % 8)), n++;
		}
		s += len;
		if (e == NULL && *s == ',' && *++s == '\0')
			e = "empty element in port list";
	}
	if (e == NULL)
		for (unsigned p = 1; p < 65536; p++)
			if (bits[p / 8] & (1u << (p % 8)))
				out->port[out->n++] = (unsigned short)p;
	free(bits);
	return e;
}

/* targets_new - empty list */
struct targets *targets_new(void)
{
	return xcalloc(1, sizeof(struct targets));
}

/* targets_free - the sets, the names and the list */
struct targets *targets_free(struct targets *t)
{
	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < t->ng; i++)
		ipset_free(t->g[i].set);
	for (size_t i = 0; i < t->nnames; i++) {
		free(t->names[i].name);
		free(t->names[i].where);
	}
	free(t->g);
	free(t->names);
	free(t);
	return NULL;
}

/* group - the set for a port, created in port order */
static struct ipset *group(struct targets *t, unsigned port)
{
	size_t i = 0;

	while (i < t->ng && t->g[i].port < port)
		i++;
	if (i < t->ng && t->g[i].port == port)
		return t->g[i].set;
	t->g = xrealloc(t->g, (t->ng + 1) * sizeof(*t->g));
	memmove(&t->g[i + 1], &t->g[i], (t->ng - i) * sizeof(*t->g));
	t->g[i] = (struct targets_group){.port = port, .set = ipset_new()};
	t->ng++;
	return t->g[i].set;
}

/* held - addresses held now, summed over groups */
static uint64_t held(struct targets *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->ng; i++) {
		uint64_t n = ipset_size(t->g[i].set);

		sum = sum > UINT64_MAX - n ? UINT64_MAX : sum + n;
	}
	return sum;
}

/* targets_add - store a range after checking the bound */
const char *targets_add(struct targets *t, const struct ipset_range *r, unsigned port)
{
	uint64_t n = ip128_u64(ipset_range_count(r));

	if (port > 65535)
		return "port above 65535";
	if (n > RW_SCAN_ADDRS_MAX)
		return "more than 2^32 addresses, the most one scan takes (an IPv6 prefix must "
		       "be /96 or longer)";
	if (t->upper + n > RW_SCAN_ADDRS_MAX) {
		/* the running sum counts overlaps twice: near the bound, count
		 * exactly what the range would add */
		struct ipset *fresh = ipset_new();
		uint64_t now = held(t), adds;

		ipset_add(fresh, r);
		for (size_t i = 0; i < t->ng; i++)
			if (t->g[i].port == port)
				ipset_subtract(fresh, t->g[i].set);
		adds = ipset_size(fresh);
		ipset_free(fresh);
		t->upper = now;
		if (now + adds > RW_SCAN_ADDRS_MAX)
			return "the scan would pass 2^32 addresses, the most one scan takes";
		n = adds;
	}
	ipset_add(group(t, port), r);
	t->upper += n;
	return NULL;
}

const struct targets_group *targets_groups(const struct targets *t, size_t *n)
{
	*n = t->ng;
	return t->g;
}

const struct targets_name *targets_names(const struct targets *t, size_t *n)
{
	*n = t->nnames;
	return t->names;
}

/* targets_count - (address, port) pairs to test */
uint64_t targets_count(struct targets *t, size_t nports)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->ng; i++) {
		uint64_t n = ipset_size(t->g[i].set), k = t->g[i].port ? 1 : nports;

		if (k && n > UINT64_MAX / k)
			return UINT64_MAX;
		n *= k;
		sum = sum > UINT64_MAX - n ? UINT64_MAX : sum + n;
	}
	return sum;
}

/* targets_apply - scope and exclusions on every group, counted per rule */
void targets_apply(struct targets *t, struct targets_rule *rules, size_t n)
{
	for (size_t i = 0; i < t->ng; i++) {
		for (size_t k = 0; k < n; k++) {
			uint64_t before, after;

			if (rules[k].set == NULL)
				continue;
			before = ipset_size(t->g[i].set);
			if (rules[k].kind == TARGETS_SCOPE)
				ipset_intersect(t->g[i].set, rules[k].set);
			else
				ipset_subtract(t->g[i].set, rules[k].set);
			after = ipset_size(t->g[i].set);
			rules[k].removed += before - after;
		}
	}
	t->upper = held(t);
}

/* ---- the line parser ---- */

static void parser_init(struct targets_parser *p, const char *source)
{
	memset(p, 0, offsetof(struct targets_parser, buf));
	p->buf[0] = '\0';
	p->source = source;
	p->csv_saddr = p->csv_sport = p->csv_success = -1;
}

void targets_parser_init(struct targets_parser *p, const char *source, struct targets *t)
{
	parser_init(p, source);
	p->t = t;
}

void targets_parser_init_set(struct targets_parser *p, const char *source, struct ipset *set)
{
	parser_init(p, source);
	p->set = set;
}

void targets_parser_free(struct targets_parser *p)
{
	unsigned long kept = p->nerrors < RW_SCAN_ERRORS_KEPT ? p->nerrors : RW_SCAN_ERRORS_KEPT;

	for (unsigned long i = 0; i < kept; i++) {
		free(p->errors[i]);
		p->errors[i] = NULL;
	}
}

/* report - one error: "source:line: spec: what" (spec shown safely, cut) */
static void report(struct targets_parser *p, const char *spec, const char *what)
{
	char shown[84];
	size_t i = 0;

	if (p->nerrors++ >= RW_SCAN_ERRORS_KEPT)
		return;
	if (spec) {
		for (; spec[i] && i < 80; i++)
			shown[i] = isprint((unsigned char)spec[i]) ? spec[i] : '?';
		if (spec[i])
			memcpy(shown + 77, "...", 3), i = 80;
		shown[i] = '\0';
		p->errors[p->nerrors - 1] =
		    xasprintf("%s:%lu: %s: %s", p->source, p->line, shown, what);
	} else {
		p->errors[p->nerrors - 1] = xasprintf("%s:%lu: %s", p->source, p->line, what);
	}
}

/* name_error - NULL when s is a host name (RFC 1123 2.1 labels) */
static const char *name_error(const char *s)
{
	size_t len = strlen(s), label = 0, last;

	if (len && s[len - 1] == '.')
		len--; /* the root: "mail.example.org." */
	if (len > RW_DOMAIN_MAX)
		return "host name longer than 255";
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';

		if (c == '.') {
			if (label == 0)
				return "empty label in host name";
			if (s[i - 1] == '-')
				return "host name label ends with '-'";
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return "character not allowed in a host name (letters, digits, '-', '.')";
		if (c == '-' && label == 0)
			return "host name label starts with '-'";
		if (++label > 63)
			return "host name label longer than 63";
	}
	for (last = len; last > 0 && s[last - 1] != '.'; last--)
		;
	if (strspn(s + last, "0123456789-") >= len - last)
		return "numeric last label: neither an address nor a host name";
	return NULL;
}

/* is_numeric - text an address parser must take: ':' or '/', or no letter */
static int is_numeric(const char *s)
{
	if (strpbrk(s, ":/"))
		return 1;
	for (; *s; s++)
		if (isalpha((unsigned char)*s))
			return 0;
	return 1;
}

static void add_name(struct targets_parser *p, const char *tok, const char *name, unsigned port)
{
	struct targets *t = p->t;

	if (t->nnames == RW_SCAN_NAMES_MAX) {
		report(p, tok, "more host names than RW_SCAN_NAMES_MAX (65536)");
		return;
	}
	if (t->nnames == t->names_alloc) {
		t->names_alloc = t->names_alloc ? 2 * t->names_alloc : 16;
		t->names = xrealloc(t->names, t->names_alloc * sizeof(*t->names));
	}
	t->names[t->nnames++] = (struct targets_name){
	    .name = xstrdup(name),
	    .port = port,
	    .where = xasprintf("%s:%lu", p->source, p->line),
	};
	p->names++;
}

/* add_range - into the set (set mode) or the list (scan mode) */
static void add_range(struct targets_parser *p, const char *tok, const struct ipset_range *r,
                      unsigned port)
{
	const char *e;

	if (p->set) {
		ipset_add(p->set, r);
		p->specs++;
	} else if ((e = targets_add(p->t, r, port)) != NULL) {
		report(p, tok, e);
	} else {
		p->specs++;
	}
}

/* spec - one plain spec, maybe with :port */
static void spec(struct targets_parser *p, const char *tok)
{
	char host[RW_SCAN_LINE_MAX + 1];
	unsigned port = 0;
	const char *e, *colon = strchr(tok, ':');
	struct ipset_range r;

	if (tok[0] == '[' || (colon && strchr(colon + 1, ':') == NULL)) {
		if ((e = netaddr_split(tok, host, sizeof(host), &port, 0)) != NULL) {
			report(p, tok, e);
			return;
		}
	} else {
		snprintf(host, sizeof(host), "%s", tok);
	}
	if (!is_numeric(host)) {
		if ((e = name_error(host)) != NULL)
			report(p, tok, e);
		else if (p->set)
			report(
			    p, tok,
			    "a host name; exclusions and scope take addresses, ranges and CIDRs");
		else
			add_name(p, tok, host, port);
		return;
	}
	if ((e = ipset_range_parse(host, &r)) != NULL)
		report(p, tok, e);
	else
		add_range(p, tok, &r, port);
}

static int word_in(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return 1;
	return 0;
}

/* masscan - "open tcp 25 192.0.2.7 1700000000" (masscan -oL) */
static void masscan(struct targets_parser *p, char **tok, size_t n)
{
	struct ipset_addr a;
	struct ipset_range r;
	unsigned port;

	if (strcmp(tok[0], "open") != 0) {
		p->skipped++; /* closed ports and banners name no new target */
		return;
	}
	if (n != 5)
		report(p, tok[0],
		       "masscan -oL line without its 5 fields (open tcp PORT ADDR TIME)");
	else if (strcmp(tok[1], "tcp") != 0)
		report(p, tok[1], "masscan line for a protocol other than tcp");
	else if (port_value(tok[2], strlen(tok[2]), &port) < 0)
		report(p, tok[2], "masscan port is not a port (1-65535)");
	else if (ipset_addr_parse(tok[3], &a) < 0)
		report(p, tok[3], "masscan address is not an IP address");
	else if (tok[4][strspn(tok[4], "0123456789")] != '\0')
		report(p, tok[4], "masscan time is not a number");
	else {
		r = (struct ipset_range){a.fam, a.v, a.v};
		add_range(p, tok[3], &r, port);
	}
}

/* csv_split - cut at commas in place; the number of fields, or max + 1
 * when there are more (then only f[0..max-1] are set) */
static size_t csv_split(char *s, char **f, size_t max)
{
	size_t n = 0;

	for (;;) {
		if (n == max)
			return max + 1;
		f[n++] = s;
		s = strchr(s, ',');
		if (s == NULL)
			return n;
		*s++ = '\0';
	}
}

/* csv_header - zmap's "-O csv" first line; 1 when it is one */
static int csv_header(struct targets_parser *p, char *line)
{
	char *f[RW_SCAN_LINE_MAX / 2 + 1], copy[RW_SCAN_LINE_MAX + 1];
	size_t n;

	if (line[strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789_,")] != '\0')
		return 0;
	snprintf(copy, sizeof(copy), "%s", line);
	n = csv_split(copy, f, RW_SCAN_LINE_MAX / 2);
	p->csv_cols = 0;
	p->csv_saddr = p->csv_sport = p->csv_success = -1;
	if (n > RW_SCAN_LINE_MAX / 2) { /* f[max] was never set */
		report(p, NULL, "CSV header with more than 512 columns (RW_SCAN_LINE_MAX / 2)");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (f[i][0] == '\0') {
			report(p, NULL, "CSV header with an empty column name");
			return 1;
		}
		if (strcmp(f[i], "saddr") == 0)
			p->csv_saddr = (long)i;
		else if (strcmp(f[i], "sport") == 0)
			p->csv_sport = (long)i;
		else if (strcmp(f[i], "success") == 0)
			p->csv_success = (long)i;
	}
	if (p->csv_saddr < 0) {
		report(p, line, "CSV header without a saddr column");
		return 1;
	}
	p->csv_cols = n;
	return 1;
}

/* csv_row - one row under the last header */
static void csv_row(struct targets_parser *p, char *line)
{
	char *f[RW_SCAN_LINE_MAX / 2 + 1], msg[96];
	size_t n;
	struct ipset_addr a;
	struct ipset_range r;
	unsigned port = 0;

	if (p->csv_cols == 0) {
		report(p, line, "a ',' but no zmap CSV header naming saddr before it");
		return;
	}
	n = csv_split(line, f, RW_SCAN_LINE_MAX / 2);
	if (n != p->csv_cols) {
		snprintf(msg, sizeof(msg), "%zu CSV fields, the header names %zu", n, p->csv_cols);
		report(p, NULL, msg);
		return;
	}
	if (p->csv_success >= 0 && strcmp(f[p->csv_success], "0") == 0) {
		p->skipped++; /* zmap's closed or failed probe */
		return;
	}
	if (ipset_addr_parse(f[p->csv_saddr], &a) < 0) {
		report(p, f[p->csv_saddr], "saddr is not an IP address");
		return;
	}
	if (p->csv_sport >= 0 && port_value(f[p->csv_sport], strlen(f[p->csv_sport]), &port) < 0) {
		report(p, f[p->csv_sport], "sport is not a port (1-65535)");
		return;
	}
	r = (struct ipset_range){a.fam, a.v, a.v};
	add_range(p, f[p->csv_saddr], &r, port);
}

/* parse_line - detect the form of one line and take it */
static void parse_line(struct targets_parser *p, char *s)
{
	static const char *const states[] = {"open", "closed", "banner", NULL};
	static const char *const protos[] = {"tcp", "udp", "sctp", "icmp", NULL};
	char *tok[RW_SCAN_LINE_MAX / 2 + 1];
	size_t n = 0, len;

	while (*s == ' ' || *s == '\t')
		s++;
	/* a comment runs from a '#' that starts a word to the end */
	for (char *h = strchr(s, '#'); h; h = strchr(h + 1, '#'))
		if (h == s || h[-1] == ' ' || h[-1] == '\t') {
			*h = '\0';
			break;
		}
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		s[--len] = '\0';
	if (len == 0)
		return;
	if (strchr(s, ',') || strcmp(s, "saddr") == 0) {
		if (!csv_header(p, s))
			csv_row(p, s);
		return;
	}
	for (char *save = NULL, *w = strtok_r(s, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		tok[n++] = w;
	if (n >= 2 && word_in(tok[0], states) && word_in(tok[1], protos)) {
		masscan(p, tok, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		spec(p, tok[i]);
}

/* end_line - a complete line is in p->buf */
static void end_line(struct targets_parser *p)
{
	char msg[64];

	p->line++;
	p->buf[p->len] = '\0';
	if (p->overlong) {
		snprintf(msg, sizeof(msg), "line longer than %d bytes", RW_SCAN_LINE_MAX);
		report(p, NULL, msg);
	} else if (p->nul) {
		report(p, NULL, "NUL byte in line");
	} else {
		parse_line(p, p->buf);
	}
	p->len = 0;
	p->overlong = p->nul = 0;
}

/* targets_feed - cut lines; past the limit, flag and skip to end of line */
void targets_feed(struct targets_parser *p, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = data[i];

		if (c == '\n')
			end_line(p);
		else if (p->overlong)
			continue;
		else if (c == '\0')
			p->nul = 1;
		else if (p->len == RW_SCAN_LINE_MAX)
			p->overlong = 1;
		else
			p->buf[p->len++] = c;
	}
}

/* targets_end - a last line without its newline */
void targets_end(struct targets_parser *p)
{
	if (p->len || p->overlong || p->nul)
		end_line(p);
}

/* targets_line - one whole line, e.g. a command-line argument */
void targets_line(struct targets_parser *p, const char *line)
{
	size_t n = strlen(line);

	p->len = 0;
	p->overlong = n > RW_SCAN_LINE_MAX;
	p->nul = 0;
	if (!p->overlong) {
		memcpy(p->buf, line, n);
		p->len = n;
	}
	end_line(p);
}

static const char *const probe_names[TARGETS_PROBE__COUNT] = {
    [TARGETS_PROBE_SMTP] = "smtp",
    [TARGETS_PROBE_PROXY] = "proxy",
};

/* targets_probe_name - the stored name of a probe */
const char *targets_probe_name(unsigned probe)
{
	return probe < TARGETS_PROBE__COUNT ? probe_names[probe] : "?";
}

/* targets_probe_by_name - a probe's enum value from its name, or -1 */
int targets_probe_by_name(const char *name)
{
	for (unsigned i = 0; i < TARGETS_PROBE__COUNT; i++)
		if (strcmp(name, probe_names[i]) == 0)
			return (int)i;
	return -1;
}

/* targets_ports_probes - every port of `in` once per probe of `mask`
 * (ascending by port, then probe), and mask for the targets' own ports;
 * NULL, or a static error past RW_SCAN_PORTS_MAX */
const char *targets_ports_probes(const struct targets_ports *in, unsigned mask,
                                 struct targets_ports *out)
{
	struct targets_ports o = {.gprobes = mask};

	for (size_t i = 0; i < in->n; i++)
		for (unsigned b = 0; b < TARGETS_PROBE__COUNT; b++) {
			if (!(mask & (1u << b)))
				continue;
			if (o.n == RW_SCAN_PORTS_MAX)
				return "more ports x probes than RW_SCAN_PORTS_MAX (64)";
			o.port[o.n] = in->port[i];
			o.probe[o.n++] = (unsigned char)b;
		}
	*out = o;
	return NULL;
}
