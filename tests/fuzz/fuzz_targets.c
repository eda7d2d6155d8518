/*
 * NAME
 *	fuzz_targets - libFuzzer target for the scan's target-file parser
 * SUMMARY
 *	operator files and other scanners' output (masscan -oL, zmap CSV)
 *	fed in fuzzer-chosen chunks, in scan mode and in set mode
 * DESCRIPTION
 *	Byte 0 picks the chunk sizes; the rest is the file. Each mode runs
 *	whole and chunked (and, without NUL bytes, one targets_line() per
 *	line, as command-line arguments are read); every run is folded into
 *	a hash (groups, names, counts, kept errors) that must be the same.
 *	Checked against targets.h: errors counted and the first
 *	RW_SCAN_ERRORS_KEPT kept, printable, each with a line number in
 *	range and in order; an over-long or NUL line reported on exactly
 *	its line; the line count; groups by ascending port within 65535;
 *	the list within RW_SCAN_ADDRS_MAX and targets_count() the sum over
 *	groups; names valid host names. Set mode must hold the union of
 *	the scan's groups, and exactly that when only names and the size
 *	bound made the difference.
 *	The first LINES_CHECKED lines also go through ipset_range_parse()
 *	(a range parses back from its own text) and targets_ports_parse()
 *	(ascending, no duplicates, parses back).
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/limits.h"
#include "../../src/core/xalloc.h"
#include "../../src/scan/ipset.h"
#include "../../src/scan/targets.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_targets: %s:%d: %s", __FILE__, __LINE__, #cond);            \
	} while (0)

#define SOURCE "f"
/* lines also read as one range and as a port list (a port list costs a
 * sweep of 65535 bits) */
#define LINES_CHECKED 16

enum feed { FEED_WHOLE, FEED_CHUNKS, FEED_LINES };

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t mixs(uint64_t h, const char *s)
{
	return mix(h, s, strlen(s) + 1);
}

static uint64_t mixu(uint64_t h, uint64_t v)
{
	return mix(h, &v, sizeof(v));
}

/* mix_set - a set's merged intervals */
static uint64_t mix_set(uint64_t h, struct ipset *s)
{
	for (int f = 0; f < 2; f++) {
		size_t n;
		const struct ipset_range *r = ipset_ranges(s, (enum ipset_fam)f, &n);

		h = mixu(h, n);
		for (size_t i = 0; i < n; i++) {
			CHECK(r[i].fam == (enum ipset_fam)f);
			CHECK(ip128_cmp(r[i].lo, r[i].hi) <= 0);
			CHECK(i == 0 || ip128_cmp(r[i - 1].hi, r[i].lo) < 0);
			h = mix(h, &r[i].lo, sizeof(r[i].lo));
			h = mix(h, &r[i].hi, sizeof(r[i].hi));
		}
	}
	return h;
}

/* what the input says about its lines, computed without the parser */
struct lines {
	unsigned long n;
	unsigned char *overlong, *nul; /* indexed by line number (1..n) */
};

static void lines_scan(const uint8_t *d, size_t len, struct lines *ls)
{
	size_t nonnul = 0, i;
	int nul = 0, any = 0;

	ls->n = 0;
	for (i = 0; i < len; i++)
		ls->n += d[i] == '\n';
	ls->n += len && d[len - 1] != '\n';
	ls->overlong = xcalloc(ls->n + 2, 1);
	ls->nul = xcalloc(ls->n + 2, 1);
	for (i = 0, ls->n = 0; i <= len; i++) {
		if (i == len && !any)
			break;
		if (i == len || d[i] == '\n') {
			ls->n++;
			ls->overlong[ls->n] = nonnul > RW_SCAN_LINE_MAX;
			ls->nul[ls->n] = nul && nonnul <= RW_SCAN_LINE_MAX;
			nonnul = 0;
			nul = any = 0;
			continue;
		}
		any = 1;
		if (d[i] == '\0')
			nul = 1;
		else
			nonnul++;
	}
}

/* check_errors - kept texts, their line numbers, the line-level errors */
static uint64_t check_errors(const struct targets_parser *p, const struct lines *ls, uint64_t h)
{
	unsigned long kept = p->nerrors < RW_SCAN_ERRORS_KEPT ? p->nerrors : RW_SCAN_ERRORS_KEPT;
	unsigned long prev = 1, last = 0;
	char longmsg[64];

	snprintf(longmsg, sizeof(longmsg), "line longer than %d bytes", RW_SCAN_LINE_MAX);
	CHECK(p->line == ls->n);
	for (unsigned long i = 0; i < RW_SCAN_ERRORS_KEPT; i++) {
		const char *e = p->errors[i], *rest;
		char *end;
		unsigned long ln;

		if (i >= kept) {
			CHECK(e == NULL);
			continue;
		}
		CHECK(e != NULL);
		for (const char *c = e; *c; c++)
			CHECK(isprint((unsigned char)*c));
		CHECK(strncmp(e, SOURCE ":", 2) == 0);
		ln = strtoul(e + 2, &end, 10);
		CHECK(end > e + 2 && end[0] == ':' && end[1] == ' ');
		CHECK(ln >= prev && ln >= 1 && ln <= p->line);
		rest = end + 2;
		CHECK(strcmp(rest, longmsg) != 0 || ls->overlong[ln]);
		CHECK(strcmp(rest, "NUL byte in line") != 0 || ls->nul[ln]);
		if (ls->overlong[ln])
			CHECK(strcmp(rest, longmsg) == 0);
		if (ls->nul[ln])
			CHECK(strcmp(rest, "NUL byte in line") == 0);
		prev = last = ln;
		h = mixs(h, e);
	}
	/* every over-long or NUL line up to where the kept errors stop */
	for (unsigned long ln = 1; ln <= ls->n; ln++) {
		int found = 0;

		if (!ls->overlong[ln] && !ls->nul[ln])
			continue;
		if (p->nerrors > RW_SCAN_ERRORS_KEPT && ln > last)
			break;
		for (unsigned long i = 0; i < kept && !found; i++)
			found = strtoul(p->errors[i] + 2, NULL, 10) == ln;
		CHECK(found);
	}
	return h;
}

/* check_name - what add_name() stored is a host name (RFC 1123 2.1) */
static void check_name(const struct targets_name *nm, unsigned long lines)
{
	size_t len = strlen(nm->name);
	char where[32];

	CHECK(len >= 1 && len <= RW_DOMAIN_MAX + 1);
	CHECK(strspn(nm->name,
	             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == len);
	CHECK(nm->name[0] != '-' && nm->name[0] != '.');
	CHECK(strstr(nm->name, "..") == NULL);
	CHECK(nm->port <= 65535);
	CHECK(strncmp(nm->where, SOURCE ":", 2) == 0);
	CHECK(strtoul(nm->where + 2, NULL, 10) >= 1 && strtoul(nm->where + 2, NULL, 10) <= lines);
	snprintf(where, sizeof(where), "%s:%lu", SOURCE, strtoul(nm->where + 2, NULL, 10));
	CHECK(strcmp(where, nm->where) == 0);
}

/* check_targets - the list's bounds and sizes; folded into h */
static uint64_t check_targets(struct targets *t, const struct targets_parser *p, uint64_t h)
{
	size_t ng, nn;
	const struct targets_group *g = targets_groups(t, &ng);
	const struct targets_name *nm = targets_names(t, &nn);
	uint64_t sum = 0, sum3 = 0;

	for (size_t i = 0; i < ng; i++) {
		uint64_t n = ipset_size(g[i].set);

		CHECK(g[i].port <= 65535);
		CHECK(i == 0 || g[i - 1].port < g[i].port);
		CHECK(n <= RW_SCAN_ADDRS_MAX);
		sum += n;
		sum3 += g[i].port ? n : 3 * n;
		CHECK(sum <= RW_SCAN_ADDRS_MAX);
		h = mixu(h, g[i].port);
		h = mix_set(h, g[i].set);
	}
	CHECK(targets_count(t, 1) == sum);
	CHECK(targets_count(t, 3) == sum3);
	CHECK(nn == p->names && nn <= RW_SCAN_NAMES_MAX);
	for (size_t i = 0; i < nn; i++) {
		check_name(&nm[i], p->line);
		h = mixs(h, nm[i].name);
		h = mixu(h, nm[i].port);
		h = mixs(h, nm[i].where);
	}
	return h;
}

/* feed - the whole input, chunks from `seed`, or one targets_line() per line */
static void feed(struct targets_parser *p, const uint8_t *d, size_t n, enum feed how, unsigned seed)
{
	unsigned r = seed;
	size_t off = 0;

	if (how == FEED_WHOLE) {
		targets_feed(p, (const char *)d, n);
	} else if (how == FEED_CHUNKS) {
		while (off < n) {
			size_t chunk;

			r = r * 1103515245u + 12345u;
			chunk = 1 + (r >> 16) % (seed & 1 ? 7 : 900);
			if (chunk > n - off)
				chunk = n - off;
			targets_feed(p, (const char *)d + off, chunk);
			off += chunk;
		}
	} else {
		char *line = xmalloc(n + 1);

		while (off < n) {
			const uint8_t *nl = memchr(d + off, '\n', n - off);
			size_t ll = nl ? (size_t)(nl - (d + off)) : n - off;

			memcpy(line, d + off, ll);
			line[ll] = '\0';
			targets_line(p, line);
			off += ll + 1;
		}
		free(line);
		return; /* no targets_end(): each line was whole */
	}
	targets_end(p);
}

struct result {
	uint64_t h;
	unsigned long specs, names, nerrors;
	struct ipset *all; /* the union (scan mode) or the set (set mode) */
};

/* run - one parse in scan mode (set == 0) or set mode */
static struct result run(const uint8_t *d, size_t n, const struct lines *ls, int setmode,
                         enum feed how, unsigned seed)
{
	struct targets_parser p;
	struct targets *t = NULL;
	struct result res = {.h = 14695981039346656037ull, .all = ipset_new()};

	if (setmode) {
		targets_parser_init_set(&p, SOURCE, res.all);
	} else {
		t = targets_new();
		targets_parser_init(&p, SOURCE, t);
	}
	feed(&p, d, n, how, seed);
	CHECK(p.t == t && (setmode ? p.set == res.all : p.set == NULL));
	res.h = check_errors(&p, ls, res.h);
	res.h = mixu(mixu(mixu(res.h, p.specs), p.names), p.skipped);
	res.h = mixu(mixu(res.h, p.nerrors), p.line);
	if (setmode) {
		CHECK(p.names == 0);
		res.h = mix_set(res.h, res.all);
	} else {
		size_t ng;
		const struct targets_group *g = targets_groups(t, &ng);

		res.h = check_targets(t, &p, res.h);
		for (size_t i = 0; i < ng; i++)
			ipset_add_set(res.all, g[i].set);
	}
	res.specs = p.specs;
	res.names = p.names;
	res.nerrors = p.nerrors;
	targets_parser_free(&p);
	targets_free(t);
	return res;
}

/* both - whole, chunked, and line by line when that reads the same bytes */
static struct result both(const uint8_t *d, size_t n, const struct lines *ls, int setmode,
                          unsigned seed)
{
	struct result whole = run(d, n, ls, setmode, FEED_WHOLE, 0), other;

	other = run(d, n, ls, setmode, FEED_CHUNKS, seed);
	CHECK(other.h == whole.h);
	ipset_free(other.all);
	if (memchr(d, '\0', n) == NULL) {
		other = run(d, n, ls, setmode, FEED_LINES, 0);
		CHECK(other.h == whole.h);
		ipset_free(other.all);
	}
	return whole;
}

/* check_range - ipset_range_parse() on one line: well formed, reparses */
static void check_range(const char *s)
{
	struct ipset_range r, again;
	char text[112];
	const char *e = ipset_range_parse(s, &r);
	struct ipset *set;

	if (e != NULL) {
		CHECK(e[0] != '\0');
		return;
	}
	CHECK(r.fam == IPSET_V4 || r.fam == IPSET_V6);
	CHECK(ip128_cmp(r.lo, r.hi) <= 0);
	CHECK(r.fam == IPSET_V6 || (r.hi.hi == 0 && r.hi.lo <= UINT32_MAX));
	ipset_range_text(&r, text, sizeof(text));
	CHECK(ipset_range_parse(text, &again) == NULL);
	CHECK(again.fam == r.fam && ip128_cmp(again.lo, r.lo) == 0 &&
	      ip128_cmp(again.hi, r.hi) == 0);
	set = ipset_new();
	CHECK(ipset_add_text(set, s) == NULL);
	CHECK(ip128_cmp(ipset_count(set, r.fam), ipset_range_count(&r)) == 0);
	ipset_free(set);
}

/* check_ports - targets_ports_parse() on one line: sorted, unique, reparses */
static void check_ports(const char *s)
{
	struct targets_ports p, again;
	char text[RW_SCAN_PORTS_MAX * 6 + 1];
	size_t len = 0;
	const char *e = targets_ports_parse(s, &p);

	if (e != NULL) {
		CHECK(e[0] != '\0' && p.n == 0);
		return;
	}
	CHECK(p.n >= 1 && p.n <= RW_SCAN_PORTS_MAX);
	for (size_t i = 0; i < p.n; i++) {
		CHECK(p.port[i] >= 1);
		CHECK(i == 0 || p.port[i - 1] < p.port[i]);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%u", i ? "," : "",
		                        p.port[i]);
	}
	CHECK(targets_ports_parse(text, &again) == NULL);
	CHECK(again.n == p.n && memcmp(again.port, p.port, p.n * sizeof(p.port[0])) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result scan, set;
	struct lines ls;
	unsigned seed;
	char *line;

	if (size < 1)
		return 0;
	seed = data[0] | 0x100u;
	data++;
	size--;
	lines_scan(data, size, &ls);

	scan = both(data, size, &ls, 0, seed);
	set = both(data, size, &ls, 1, seed);
	/* set mode takes every range scan mode took; names are its errors, and
	 * the size bound is scan mode's alone */
	CHECK(set.specs >= scan.specs);
	CHECK(set.nerrors + (set.specs - scan.specs) == scan.nerrors + scan.names);
	{
		struct ipset *extra = ipset_copy(scan.all);

		ipset_subtract(extra, set.all);
		CHECK(ipset_empty(extra));
		ipset_free(extra);
	}
	if (set.specs == scan.specs)
		CHECK(ipset_equal(scan.all, set.all));
	ipset_free(scan.all);
	ipset_free(set.all);
	free(ls.overlong);
	free(ls.nul);

	/* the same bytes, line by line, as one spec and as a port list */
	line = xmalloc(size + 1);
	for (size_t off = 0, k = 0; off < size && k < LINES_CHECKED; k++) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t ll = nl ? (size_t)(nl - (data + off)) : size - off;

		memcpy(line, data + off, ll);
		line[ll] = '\0';
		check_range(line);
		check_ports(line);
		off += ll + 1;
	}
	free(line);
	return 0;
}
