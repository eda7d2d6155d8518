/*
 * test_targets - target specs and files (plain, masscan -oL, zmap CSV),
 * every bad-line form with its line number, port lists, size bounds, and
 * exclusions and scope as set arithmetic with per-rule counts. Every parser
 * case runs whole, one byte at a time and split at every point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/dbuf.h"
#include "../../src/core/xalloc.h"
#include "../../src/scan/reserved.h"
#include "../../src/scan/targets.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* set_text - one set's ranges, "," separated */
static void set_text(struct ipset *s, struct dbuf *b)
{
	int first = 1;

	for (int f = 0; f < 2; f++) {
		size_t n;
		const struct ipset_range *r = ipset_ranges(s, (enum ipset_fam)f, &n);

		for (size_t i = 0; i < n; i++) {
			char t[128];

			dbuf_printf(b, "%s%s", first ? "" : ",",
			            ipset_range_text(&r[i], t, sizeof(t)));
			first = 0;
		}
	}
}

/* render - "ranges | 25: ranges" for groups, names, errors ("\n" joined) */
static void render(struct targets *t, struct targets_parser *p, char **set, char **names,
                   char **errors)
{
	struct dbuf b;
	size_t n;
	const struct targets_group *g = targets_groups(t, &n);
	const struct targets_name *nm;

	dbuf_init(&b, 0);
	for (size_t i = 0, shown = 0; i < n; i++) {
		if (ipset_empty(g[i].set))
			continue;
		dbuf_printf(&b, "%s", shown++ ? " | " : "");
		if (g[i].port)
			dbuf_printf(&b, "%u: ", g[i].port);
		set_text(g[i].set, &b);
	}
	*set = dbuf_steal(&b);
	nm = targets_names(t, &n);
	for (size_t i = 0; i < n; i++)
		dbuf_printf(&b, "%s%s/%u@%s", i ? "," : "", nm[i].name, nm[i].port, nm[i].where);
	*names = dbuf_steal(&b);
	for (unsigned long i = 0; i < p->nerrors && i < RW_SCAN_ERRORS_KEPT; i++)
		dbuf_printf(&b, "%s%s", i ? "\n" : "", p->errors[i]);
	*errors = dbuf_steal(&b);
}

enum how { WHOLE, BYTES, SPLIT };

struct outcome {
	char *set, *names, *errors;
	unsigned long specs, nnames, skipped, nerrors, lines;
};

static void outcome_free(struct outcome *o)
{
	free(o->set);
	free(o->names);
	free(o->errors);
}

/* run - parse `in` as file "t", fed whole, byte by byte, or split at k */
static struct outcome run(const char *in, enum how how, size_t k)
{
	struct targets *t = targets_new();
	struct targets_parser p;
	struct outcome o;
	size_t len = strlen(in);

	targets_parser_init(&p, "t", t);
	if (how == WHOLE) {
		targets_feed(&p, in, len);
	} else if (how == BYTES) {
		for (size_t i = 0; i < len; i++)
			targets_feed(&p, in + i, 1);
	} else {
		targets_feed(&p, in, k);
		targets_feed(&p, in + k, len - k);
	}
	targets_end(&p);
	render(t, &p, &o.set, &o.names, &o.errors);
	o.specs = p.specs;
	o.nnames = p.names;
	o.skipped = p.skipped;
	o.nerrors = p.nerrors;
	o.lines = p.line;
	targets_parser_free(&p);
	targets_free(t);
	return o;
}

struct pcase {
	const char *name, *in;
	const char *set, *names, *errors;
};

/* check - one case three ways; each way must give the wanted outcome */
static void check(const struct pcase *c)
{
	size_t len = strlen(c->in);

	for (int how = WHOLE; how <= SPLIT; how++) {
		for (size_t k = 0; k <= (how == SPLIT ? len : 0); k++) {
			struct outcome o = run(c->in, (enum how)how, k);
			const char *way = how == WHOLE ? "whole" : how == BYTES ? "bytes" : "split";

			if (strcmp(o.set, c->set) != 0)
				fail_msg("%s (%s %zu): set got [%s], want [%s]", c->name, way, k,
				         o.set, c->set);
			if (strcmp(o.names, c->names) != 0)
				fail_msg("%s (%s %zu): names got [%s], want [%s]", c->name, way, k,
				         o.names, c->names);
			if (strcmp(o.errors, c->errors) != 0)
				fail_msg("%s (%s %zu): errors got\n[%s]\nwant\n[%s]", c->name, way,
				         k, o.errors, c->errors);
			outcome_free(&o);
		}
	}
}

static void test_plain(void **state)
{
	static const struct pcase cases[] = {
	    {"one address", "192.0.2.7\n", "192.0.2.7", "", ""},
	    {"cidr", "192.0.2.0/24\n", "192.0.2.0/24", "", ""},
	    {"host bits", "192.0.2.99/24\n", "192.0.2.0/24", "", ""},
	    {"full range", "192.0.2.1-192.0.2.20\n", "192.0.2.1-192.0.2.20", "", ""},
	    {"nmap last octet", "192.0.2.1-20\n", "192.0.2.1-192.0.2.20", "", ""},
	    {"v6 address", "2001:db8::25\n", "2001:db8::25", "", ""},
	    {"v6 cidr /120", "2001:db8::/120\n", "2001:db8::/120", "", ""},
	    {"v6 range", "2001:db8::1-2001:db8::9\n", "2001:db8::1-2001:db8::9", "", ""},
	    {"host name", "mail.example.org\n", "", "mail.example.org/0@t:1", ""},
	    {"host name with dot", "mail.example.org.\n", "", "mail.example.org./0@t:1", ""},
	    {"single label", "mailhost\n", "", "mailhost/0@t:1", ""},
	    {"hyphen name", "mx-1.example.net\n", "", "mx-1.example.net/0@t:1", ""},
	    {"host:port", "mail.example.org:2525\n", "", "mail.example.org/2525@t:1", ""},
	    {"v4:port", "192.0.2.7:465\n", "465: 192.0.2.7", "", ""},
	    {"cidr:port", "192.0.2.0/30:587\n", "587: 192.0.2.0/30", "", ""},
	    {"range:port", "192.0.2.1-3:25\n", "25: 192.0.2.1-192.0.2.3", "", ""},
	    {"[v6]:port", "[2001:db8::25]:587\n", "587: 2001:db8::25", "", ""},
	    {"[v6]", "[2001:db8::25]\n", "2001:db8::25", "", ""},
	    {"[v6 cidr]:port", "[2001:db8::/126]:25\n", "25: 2001:db8::/126", "", ""},
	    {"no newline at end", "192.0.2.7", "192.0.2.7", "", ""},
	    {"crlf", "192.0.2.6\r\n192.0.2.7\r\n", "192.0.2.6/31", "", ""},
	    {"comments and blanks",
	     "# targets\n\n   \n192.0.2.7  # the mail host\n\t192.0.2.9\t\n#192.0.2.8\n",
	     "192.0.2.7,192.0.2.9", "", ""},
	    {"several specs on a line", "192.0.2.1 192.0.2.2\t192.0.2.3 mx.example\n",
	     "192.0.2.1-192.0.2.3", "mx.example/0@t:1", ""},
	    {"ports and default together", "192.0.2.7\n192.0.2.7:25\n192.0.2.8:25\n",
	     "192.0.2.7 | 25: 192.0.2.7-192.0.2.8", "", ""},
	    {"overlaps merge", "192.0.2.0/25\n192.0.2.128/25\n192.0.2.7\n", "192.0.2.0/24", "", ""},
	    {"both families", "2001:db8::1\n192.0.2.1\n", "192.0.2.1,2001:db8::1", "", ""},
	    {"names keep their lines", "\na.example\n\n\nb.example:26\n", "",
	     "a.example/0@t:2,b.example/26@t:5", ""},
	    {"zmap default output", "192.0.2.2\n192.0.2.3\n", "192.0.2.2/31", "", ""},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++)
		check(&cases[i]);
}

/* every bad-line form, each named with its line; good lines still count */
static void test_bad_lines(void **state)
{
	static const struct pcase cases[] = {
	    {"bad octet", "192.0.2.0\n192.0.2.256\n192.0.2.1\n", "192.0.2.0/31", "",
	     "t:2: 192.0.2.256: not an IP address"},
	    {"prefix too long", "x.example\n192.0.2.0/33\n", "", "x.example/0@t:1",
	     "t:2: 192.0.2.0/33: IPv4 prefix length above 32"},
	    {"v6 prefix too long", "2001:db8::/129\n", "", "",
	     "t:1: 2001:db8::/129: IPv6 prefix length above 128"},
	    {"reversed range", "192.0.2.20-1\n", "", "",
	     "t:1: 192.0.2.20-1: range ends before it starts"},
	    {"octet range above 255", "192.0.2.1-300\n", "", "",
	     "t:1: 192.0.2.1-300: last octet above 255"},
	    {"mixed range", "192.0.2.1-2001:db8::1\n", "", "",
	     "t:1: 192.0.2.1-2001:db8::1: range mixes IPv4 and IPv6"},
	    {"nmap octet lists are not taken", "192.0.2-3.1\n", "", "",
	     "t:1: 192.0.2-3.1: not an IP address before '-'"},
	    {"short dotted", "10.1\n", "", "", "t:1: 10.1: not an IP address"},
	    {"bad port", "192.0.2.7:0\nmail.example:65536\nmail.example:2x\n", "", "",
	     "t:1: 192.0.2.7:0: bad port\nt:2: mail.example:65536: bad port\n"
	     "t:3: mail.example:2x: bad port"},
	    {"unclosed bracket", "[2001:db8::1\n", "", "", "t:1: [2001:db8::1: missing ']'"},
	    {"junk after bracket", "[2001:db8::1]25\n", "", "",
	     "t:1: [2001:db8::1]25: junk after ']'"},
	    {"underscore name", "_smtp.example\n", "", "",
	     "t:1: _smtp.example: character not allowed in a host name (letters, digits, "
	     "'-', '.')"},
	    {"empty label", "mail..example\n", "", "",
	     "t:1: mail..example: empty label in host name"},
	    {"hyphen edges", "-mail.example\nmail-.example\n", "", "",
	     "t:1: -mail.example: host name label starts with '-'\n"
	     "t:2: mail-.example: host name label ends with '-'"},
	    {"numeric last label", "mail.123\n", "", "",
	     "t:1: mail.123: numeric last label: neither an address nor a host name"},
	    {"long label",
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example\n", "", "",
	     "t:1: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example: "
	     "host name label longer than 63"},
	    {"zone id", "fe80::1%eth0\n", "", "", "t:1: fe80::1%eth0: not an IP address"},
	    {"comma without header", "192.0.2.1,192.0.2.2\n", "", "",
	     "t:1: 192.0.2.1,192.0.2.2: a ',' but no zmap CSV header naming saddr before it"},
	    {"one bad spec among good ones", "192.0.2.0 999.1.1.1 192.0.2.1\n", "192.0.2.0/31", "",
	     "t:1: 999.1.1.1: not an IP address"},
	    {"many bad lines, parsing goes on",
	     "192.0.2.1\nbad_1\n192.0.2.2\n300.0.0.0/8\n\n# x\n192.0.2.3\n::g\n",
	     "192.0.2.1-192.0.2.3", "",
	     "t:2: bad_1: character not allowed in a host name (letters, digits, '-', '.')\n"
	     "t:4: 300.0.0.0/8: not an IP address before '/'\nt:8: ::g: not an IP address"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++)
		check(&cases[i]);
}

/* a NUL byte, an over-long line: reported by line, the next line is read */
static void test_nul_and_long(void **state)
{
	char in[3 * RW_SCAN_LINE_MAX];
	size_t len = 0;
	struct targets *t = targets_new();
	struct targets_parser p;
	char *set, *names, *errors;
	const char *want_set = "192.0.2.1-192.0.2.4";
	char want_err[256];

	(void)state;
	len += (size_t)sprintf(in + len, "192.0.2.1\n192.0.2.9");
	in[len++] = '\0';
	len += (size_t)sprintf(in + len, "\n192.0.2.2\n");
	memset(in + len, 'a', RW_SCAN_LINE_MAX + 1); /* one byte too many */
	len += RW_SCAN_LINE_MAX + 1;
	len += (size_t)sprintf(in + len, "\n192.0.2.3\n");
	/* exactly RW_SCAN_LINE_MAX bytes is still a line */
	memset(in + len, ' ', RW_SCAN_LINE_MAX - 9);
	len += RW_SCAN_LINE_MAX - 9;
	len += (size_t)sprintf(in + len, "192.0.2.4\n");

	targets_parser_init(&p, "t", t);
	for (size_t i = 0; i < len; i++)
		targets_feed(&p, in + i, 1);
	targets_end(&p);
	render(t, &p, &set, &names, &errors);
	snprintf(want_err, sizeof(want_err),
	         "t:2: NUL byte in line\nt:4: line longer than %d bytes", RW_SCAN_LINE_MAX);
	if (strcmp(set, want_set) != 0)
		fail_msg("set got [%s], want [%s]", set, want_set);
	if (strcmp(errors, want_err) != 0)
		fail_msg("errors got [%s], want [%s]", errors, want_err);
	if (p.line != 6)
		fail_msg("lines got %lu, want 6", p.line);
	free(set);
	free(names);
	free(errors);
	targets_parser_free(&p);
	targets_free(t);
}

static void test_masscan(void **state)
{
	static const struct pcase cases[] = {
	    {"masscan -oL",
	     "#masscan\n"
	     "open tcp 25 192.0.2.7 1700000000\n"
	     "open tcp 465 192.0.2.7 1700000001\n"
	     "banner tcp 25 192.0.2.7 1700000002 smtp 220 mail.example ESMTP Postfix\n"
	     "closed tcp 25 192.0.2.8 1700000003\n"
	     "open tcp 587 2001:db8::25 1700000004\n"
	     "open tcp 25 192.0.2.9 1700000005\n"
	     "# end\n",
	     "25: 192.0.2.7,192.0.2.9 | 465: 192.0.2.7 | 587: 2001:db8::25", "", ""},
	    {"masscan bad lines",
	     "open tcp 25 192.0.2.7\n"
	     "open udp 25 192.0.2.7 1700000000\n"
	     "open tcp 0 192.0.2.7 1700000000\n"
	     "open tcp 25 192.0.2.300 1700000000\n"
	     "open tcp 25 192.0.2.7 17000x\n"
	     "open tcp 25 192.0.2.7 1700000000 extra\n"
	     "open tcp 26 192.0.2.7 1700000000\n",
	     "26: 192.0.2.7", "",
	     "t:1: open: masscan -oL line without its 5 fields (open tcp PORT ADDR TIME)\n"
	     "t:2: udp: masscan line for a protocol other than tcp\n"
	     "t:3: 0: masscan port is not a port (1-65535)\n"
	     "t:4: 192.0.2.300: masscan address is not an IP address\n"
	     "t:5: 17000x: masscan time is not a number\n"
	     "t:6: open: masscan -oL line without its 5 fields (open tcp PORT ADDR TIME)"},
	    {"a host named open", "open\nopen.example\n", "", "open/0@t:1,open.example/0@t:2", ""},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++)
		check(&cases[i]);
	struct outcome o = run(cases[0].in, WHOLE, 0);

	if (o.specs != 4 || o.skipped != 2 || o.lines != 8)
		fail_msg("masscan counts got specs %lu skipped %lu lines %lu, want 4 2 8", o.specs,
		         o.skipped, o.lines);
	outcome_free(&o);
}

static void test_zmap(void **state)
{
	static const struct pcase cases[] = {
	    {"zmap csv with sport and success",
	     "saddr,daddr,sport,dport,seqnum,acknum,window,classification,success,repeat,"
	     "cooldown,timestamp_str,timestamp_ts,timestamp_us\n"
	     "192.0.2.10,198.51.100.1,25,40000,1,0,65535,synack,1,0,0,2024-01-01T00:00:00.000+"
	     "0000,1704067200,0\n"
	     "192.0.2.11,198.51.100.1,25,40001,1,0,0,rst,0,0,0,2024-01-01T00:00:00.000+0000,"
	     "1704067200,1\n"
	     "192.0.2.12,198.51.100.1,587,40002,1,0,65535,synack,1,0,0,2024-01-01T00:00:00."
	     "000+"
	     "0000,1704067200,2\n",
	     "25: 192.0.2.10 | 587: 192.0.2.12", "", ""},
	    {"zmap saddr only", "saddr\n192.0.2.0\n192.0.2.1\n2001:db8::1\n",
	     "192.0.2.0/31,2001:db8::1", "", ""},
	    {"saddr not first", "classification,saddr\nsynack,192.0.2.5\n", "192.0.2.5", "", ""},
	    {"zmap bad rows",
	     "saddr,sport\n"
	     "192.0.2.1,25\n"
	     "192.0.2.2\n" /* no comma: a plain line, taken */
	     "192.0.2.3,25,9\n"
	     "192.0.2.x,25\n"
	     "192.0.2.4,0\n"
	     "192.0.2.0/24,25\n",
	     "192.0.2.2 | 25: 192.0.2.1", "",
	     "t:4: 3 CSV fields, the header names 2\n"
	     "t:5: 192.0.2.x: saddr is not an IP address\n"
	     "t:6: 0: sport is not a port (1-65535)\n"
	     "t:7: 192.0.2.0/24: saddr is not an IP address"},
	    {"header without saddr", "daddr,sport\n192.0.2.1,25\n", "", "",
	     "t:1: daddr,sport: CSV header without a saddr column\n"
	     "t:2: 192.0.2.1,25: a ',' but no zmap CSV header naming saddr before it"},
	    {"empty column name", "saddr,,sport\n", "", "",
	     "t:1: CSV header with an empty column name"},
	    {"two outputs concatenated", "saddr\n192.0.2.1\nsaddr,sport\n192.0.2.2,465\n",
	     "192.0.2.1 | 465: 192.0.2.2", "", ""},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++)
		check(&cases[i]);
}

/* a header line of 513 columns, the last empty (fuzz_targets seed
 * csv_header_512_columns): csv_header() read a column pointer csv_split()
 * never set. Refused, and the next line is still read. */
static void test_zmap_too_many_columns(void **state)
{
	char in[2 * RW_SCAN_LINE_MAX];
	size_t len = 0;
	struct pcase c = {"513 columns", in, "192.0.2.9", "",
	                  "t:1: CSV header with more than 512 columns (RW_SCAN_LINE_MAX / 2)"};
	struct pcase ok = {"510 columns", in, "192.0.2.8", "", ""};
	struct outcome o;

	(void)state;
	for (int i = 0; i < RW_SCAN_LINE_MAX / 2; i++)
		len += (size_t)sprintf(in + len, "a,");
	sprintf(in + len, "\n192.0.2.9\n"); /* the line is RW_SCAN_LINE_MAX bytes */
	check(&c);

	/* 510 columns, the most a header naming saddr fits in a line: rows
	 * are read under it */
	len = (size_t)sprintf(in, "saddr");
	for (int i = 1; i < 510; i++)
		len += (size_t)sprintf(in + len, ",a");
	len += (size_t)sprintf(in + len, "\n192.0.2.8");
	for (int i = 1; i < 510; i++)
		len += (size_t)sprintf(in + len, ",");
	sprintf(in + len, "\n");
	check(&ok);

	/* 512 columns is not too many: a header, here one without saddr */
	len = 0;
	for (int i = 0; i < RW_SCAN_LINE_MAX / 2; i++)
		len += (size_t)sprintf(in + len, "%sa", i ? "," : "");
	sprintf(in + len, "\n");
	o = run(in, WHOLE, 0);
	if (o.nerrors != 1 || strstr(o.errors, ": CSV header without a saddr column") == NULL)
		fail_msg("512 columns: errors got [%s], want one without a saddr column", o.errors);
	outcome_free(&o);
}

static void test_ports(void **state)
{
	static const struct {
		const char *in, *want, *err;
	} cases[] = {
	    {"25", "25", NULL},
	    {"25,465,587", "25,465,587", NULL},
	    {"587,25,465,25", "25,465,587", NULL},
	    {"2525-2530", "2525,2526,2527,2528,2529,2530", NULL},
	    {"25,2525-2527,26", "25,26,2525,2526,2527", NULL},
	    {"1", "1", NULL},
	    {"65535", "65535", NULL},
	    {"100-100", "100", NULL},
	    {"1-64", NULL, NULL}, /* 64 ports: at the bound */
	    {"1-65", NULL, "more ports than RW_SCAN_PORTS_MAX (64)"},
	    {"1-65535", NULL, "more ports than RW_SCAN_PORTS_MAX (64)"},
	    {"", NULL, "empty port list"},
	    {"25,", NULL, "empty element in port list"},
	    {",25", NULL, "empty element in port list"},
	    {"25,,26", NULL, "empty element in port list"},
	    {"0", NULL, "not a port (1-65535)"},
	    {"65536", NULL, "not a port (1-65535)"},
	    {"smtp", NULL, "not a port (1-65535)"},
	    {"25 ", NULL, "not a port (1-65535)"},
	    {"-25", NULL, "port range end is not a port (1-65535)"},
	    {"25-", NULL, "port range end is not a port (1-65535)"},
	    {"30-20", NULL, "port range ends before it starts"},
	    {"1-2-3", NULL, "port range end is not a port (1-65535)"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct targets_ports pl;
		const char *e = targets_ports_parse(cases[i].in, &pl);
		char got[512] = "";
		size_t used = 0;

		if (cases[i].err) {
			if (e == NULL || strcmp(e, cases[i].err) != 0)
				fail_msg("%s: got %s, want error %s", cases[i].in, e ? e : "ok",
				         cases[i].err);
			continue;
		}
		if (e)
			fail_msg("%s: got error %s, want ok", cases[i].in, e);
		for (size_t k = 0; k < pl.n; k++)
			used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%u",
			                         k ? "," : "", pl.port[k]);
		if (cases[i].want && strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].in, got, cases[i].want);
		if (!cases[i].want && pl.n != RW_SCAN_PORTS_MAX)
			fail_msg("%s: got %zu ports, want %d", cases[i].in, pl.n,
			         RW_SCAN_PORTS_MAX);
	}
}

/* IPv6 sizes: a /120 is 256, a /96 is the bound, a /64 is refused clearly */
static void test_sizes(void **state)
{
	static const struct {
		const char *name, *in, *set, *errors;
		uint64_t count;
	} cases[] = {
	    {"v6 /120", "2001:db8::/120\n", "2001:db8::/120", "", 256},
	    {"v6 /96 at the bound", "2001:db8::/96\n", "2001:db8::/96", "", UINT64_C(1) << 32},
	    {"all of v4", "0.0.0.0/0\n", "0.0.0.0/0", "", UINT64_C(1) << 32},
	    {"v6 /95", "2001:db8::/95\n", "",
	     "t:1: 2001:db8::/95: more than 2^32 addresses, the most one scan takes (an IPv6 "
	     "prefix must be /96 or longer)",
	     0},
	    {"v6 /64 refused, not enumerated", "2001:db8::/64\n192.0.2.1\n", "192.0.2.1",
	     "t:1: 2001:db8::/64: more than 2^32 addresses, the most one scan takes (an IPv6 "
	     "prefix must be /96 or longer)",
	     1},
	    {"v6 ::/0", "::/0\n", "",
	     "t:1: ::/0: more than 2^32 addresses, the most one scan takes (an IPv6 prefix "
	     "must be /96 or longer)",
	     0},
	    {"v6 huge range", "2001:db8::-2001:db8::1:0:0\n", "",
	     "t:1: 2001:db8::-2001:db8::1:0:0: more than 2^32 addresses, the most one scan "
	     "takes (an IPv6 prefix must be /96 or longer)",
	     0},
	    {"two /97 fill the bound, a third spills",
	     "2001:db8::/97\n2001:db8::8000:0/97\n"
	     "2001:db8:1::/120\n",
	     "2001:db8::/96",
	     "t:3: 2001:db8:1::/120: the scan would pass 2^32 addresses, the most one scan "
	     "takes",
	     UINT64_C(1) << 32},
	    {"the same /96 twice adds nothing", "2001:db8::/96\n2001:db8::/96\n2001:db8::7\n",
	     "2001:db8::/96", "", UINT64_C(1) << 32},
	    {"all v4 and one more on a port", "0.0.0.0/0\n192.0.2.1:25\n", "0.0.0.0/0",
	     "t:2: 192.0.2.1:25: the scan would pass 2^32 addresses, the most one scan takes",
	     UINT64_C(1) << 32},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct targets *t = targets_new();
		struct targets_parser p;
		char *set, *names, *errors;

		targets_parser_init(&p, "t", t);
		targets_feed(&p, cases[i].in, strlen(cases[i].in));
		targets_end(&p);
		render(t, &p, &set, &names, &errors);
		if (strcmp(set, cases[i].set) != 0)
			fail_msg("%s: set got [%s], want [%s]", cases[i].name, set, cases[i].set);
		if (strcmp(errors, cases[i].errors) != 0)
			fail_msg("%s: errors got [%s], want [%s]", cases[i].name, errors,
			         cases[i].errors);
		if (targets_count(t, 1) != cases[i].count)
			fail_msg("%s: count got %llu, want %llu", cases[i].name,
			         (unsigned long long)targets_count(t, 1),
			         (unsigned long long)cases[i].count);
		free(set);
		free(names);
		free(errors);
		targets_parser_free(&p);
		targets_free(t);
	}
}

static void test_count_ports(void **state)
{
	static const char in[] = "192.0.2.0/24\n192.0.2.7:2525\n2001:db8::/120\nmx.example\n";
	struct targets *t = targets_new();
	struct targets_parser p;

	(void)state;
	targets_parser_init(&p, "t", t);
	targets_feed(&p, in, strlen(in));
	/* (256 + 256) addresses x 3 ports, + 1 on its own port; names not yet */
	if (targets_count(t, 3) != 512 * 3 + 1)
		fail_msg("count got %llu, want %d", (unsigned long long)targets_count(t, 3),
		         512 * 3 + 1);
	if (targets_count(t, 0) != 1)
		fail_msg("count with no ports got %llu, want 1",
		         (unsigned long long)targets_count(t, 0));
	targets_parser_free(&p);
	targets_free(t);
}

/* parse_set - an exclusion or scope file into a set */
static struct ipset *parse_set(const char *in, char **errors)
{
	struct ipset *s = ipset_new();
	struct targets_parser p;
	struct dbuf b;

	targets_parser_init_set(&p, "x", s);
	targets_feed(&p, in, strlen(in));
	targets_end(&p);
	dbuf_init(&b, 0);
	for (unsigned long i = 0; i < p.nerrors; i++)
		dbuf_printf(&b, "%s%s", i ? "\n" : "", p.errors[i]);
	*errors = dbuf_steal(&b);
	targets_parser_free(&p);
	return s;
}

static void test_set_mode(void **state)
{
	static const struct {
		const char *name, *in, *set, *errors;
	} cases[] = {
	    {"zmap blocklist lines", "10.0.0.0/8  # RFC 1918\n192.0.2.7\n", "10.0.0.0/8,192.0.2.7",
	     ""},
	    {"no size bound", "::/0\n0.0.0.0/0\n", "0.0.0.0/0,::/0", ""},
	    {"ports are dropped, the host excluded", "192.0.2.7:25\n[2001:db8::1]:587\n",
	     "192.0.2.7,2001:db8::1", ""},
	    {"masscan results as exclusions", "open tcp 25 192.0.2.7 1700000000\n", "192.0.2.7",
	     ""},
	    {"names refused", "mail.example\n192.0.2.1\n", "192.0.2.1",
	     "x:1: mail.example: a host name; exclusions and scope take addresses, ranges and "
	     "CIDRs"},
	    {"bad line named", "192.0.2.1\n192.0.2.0/40\n", "192.0.2.1",
	     "x:2: 192.0.2.0/40: IPv4 prefix length above 32"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		char *errors;
		struct ipset *s = parse_set(cases[i].in, &errors);
		struct dbuf b;
		char *got;

		dbuf_init(&b, 0);
		set_text(s, &b);
		got = dbuf_steal(&b);
		if (strcmp(got, cases[i].set) != 0)
			fail_msg("%s: set got [%s], want [%s]", cases[i].name, got, cases[i].set);
		if (strcmp(errors, cases[i].errors) != 0)
			fail_msg("%s: errors got [%s], want [%s]", cases[i].name, errors,
			         cases[i].errors);
		free(got);
		free(errors);
		ipset_free(s);
	}
}

/* the default exclusion file, as written, is read back as the same set */
static void test_reserved_roundtrip(void **state)
{
	struct dbuf b;
	char *text, *errors;
	struct ipset *back, *want = reserved_set();

	(void)state;
	dbuf_init(&b, 0);
	reserved_blocklist(&b);
	text = dbuf_steal(&b);
	back = parse_set(text, &errors);
	if (errors[0])
		fail_msg("blocklist read back: got errors [%s], want none", errors);
	if (!ipset_equal(back, want))
		fail_msg("blocklist read back: got another set than reserved_set()");
	free(text);
	free(errors);
	ipset_free(back);
	ipset_free(want);
}

static struct targets *parse_targets(const char *in)
{
	struct targets *t = targets_new();
	struct targets_parser p;

	targets_parser_init(&p, "t", t);
	targets_feed(&p, in, strlen(in));
	targets_end(&p);
	if (p.nerrors)
		fail_msg("targets: got error %s", p.errors[0]);
	targets_parser_free(&p);
	return t;
}

static char *targets_text(struct targets *t)
{
	struct targets_parser p;
	char *set, *names, *errors;

	targets_parser_init(&p, "t", t);
	render(t, &p, &set, &names, &errors);
	free(names);
	free(errors);
	return set;
}

static void test_apply(void **state)
{
	static const struct {
		const char *name, *targets, *exclude, *scope;
		const char *want;
		uint64_t scope_removed, reserved_removed, exclude_removed;
	} cases[] = {
	    {"exclusion punches a hole", "198.51.99.0/24\n", "198.51.99.128/25\n", NULL,
	     "198.51.99.0/25", 0, 0, 128},
	    {"reserved removed first", "192.0.2.0/23\n", "192.0.2.0/24\n", NULL, "192.0.3.0/24", 0,
	     256, 0},
	    {"scope keeps only its part", "100.0.0.0/16\n", "", "100.0.128.0/17\n",
	     "100.0.128.0/17", 32768, 0, 0},
	    {"scope, reserved and exclusion together",
	     "10.255.255.0/24\n11.0.0.0/24\n11.0.1.0/24:25\n2001:db8::/120\n2a00::/120\n",
	     "11.0.0.7\n11.0.1.0/25\n", "0.0.0.0/0\n2001:db8::/32\n",
	     "11.0.0.0-11.0.0.6,11.0.0.8-11.0.0.255 | 25: 11.0.1.128/25", 256, 256 + 256, 1 + 128},
	    {"excluded by both: counted once, by the first", "198.18.0.0/24\n", "198.18.0.0/25\n",
	     NULL, "", 0, 256, 0},
	    {"excluded address on every port", "8.8.8.8\n8.8.8.8:25\n8.8.8.8:587\n", "8.8.8.8\n",
	     NULL, "", 0, 0, 3},
	    {"v4 exclusion does not touch v6", "2a00::/126\n", "0.0.0.0/0\n", NULL, "2a00::/126", 0,
	     0, 0},
	    {"empty scope removes everything", "8.8.8.0/30\n", "", "", "", 4, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct targets *t = parse_targets(cases[i].targets);
		char *e1, *e2 = NULL, *got;
		struct ipset *excl = parse_set(cases[i].exclude, &e1);
		struct ipset *scope = cases[i].scope ? parse_set(cases[i].scope, &e2) : NULL;
		struct ipset *res = reserved_set();
		struct targets_rule rules[] = {
		    {"scope", TARGETS_SCOPE, scope, 0},
		    {"reserved", TARGETS_EXCLUDE, res, 0},
		    {"--exclude", TARGETS_EXCLUDE, excl, 0},
		};

		targets_apply(t, rules, N(rules));
		got = targets_text(t);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got [%s], want [%s]", cases[i].name, got, cases[i].want);
		if (rules[0].removed != cases[i].scope_removed ||
		    rules[1].removed != cases[i].reserved_removed ||
		    rules[2].removed != cases[i].exclude_removed)
			fail_msg("%s: removed got scope %llu reserved %llu exclude %llu, want "
			         "%llu %llu %llu",
			         cases[i].name, (unsigned long long)rules[0].removed,
			         (unsigned long long)rules[1].removed,
			         (unsigned long long)rules[2].removed,
			         (unsigned long long)cases[i].scope_removed,
			         (unsigned long long)cases[i].reserved_removed,
			         (unsigned long long)cases[i].exclude_removed);
		/* applying again removes nothing more */
		targets_apply(t, rules, N(rules));
		if (rules[0].removed + rules[1].removed + rules[2].removed !=
		    cases[i].scope_removed + cases[i].reserved_removed + cases[i].exclude_removed)
			fail_msg("%s: a second apply removed more", cases[i].name);
		/* the rules in the other order give the same targets */
		struct targets *t2 = parse_targets(cases[i].targets);
		struct targets_rule rev[] = {rules[2], rules[1], rules[0]};
		char *got2;

		targets_apply(t2, rev, N(rev));
		got2 = targets_text(t2);
		if (strcmp(got2, got) != 0)
			fail_msg("%s: reversed rules got [%s], want [%s]", cases[i].name, got2,
			         got);
		free(got);
		free(got2);
		free(e1);
		free(e2);
		ipset_free(excl);
		ipset_free(scope);
		ipset_free(res);
		targets_free(t);
		targets_free(t2);
	}
}

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	uint64_t z = (rnd_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* join - lines in the order given by idx */
static char *join(char **lines, const size_t *idx, size_t n)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		dbuf_printf(&b, "%s\n", lines[idx[i]]);
	return dbuf_steal(&b);
}

static void shuffle(size_t *idx, size_t n)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(rnd() % (i + 1)), tmp = idx[i];

		idx[i] = idx[j];
		idx[j] = tmp;
	}
}

/*
 * The safety property: target and exclusion files in any line order give
 * the same targets and the same counts, and no excluded address survives.
 */
static void test_order_independent(void **state)
{
	(void)state;
	rnd_state = 3;
	for (int round = 0; round < 20; round++) {
		char *tl[40], *xl[40];
		size_t nt = 1 + (size_t)(rnd() % 40), nx = (size_t)(rnd() % 40);
		size_t ti[40], xi[40];
		char *want = NULL;
		uint64_t want_removed = 0;

		for (size_t i = 0; i < nt; i++) {
			unsigned a = (unsigned)(rnd() % 512), len = (unsigned)(rnd() % 24);
			unsigned port = rnd() % 3 ? 0 : 25;

			if (a + len > 511)
				len = 511 - a;
			if (rnd() % 2)
				tl[i] = xasprintf("8.8.%u.%u-%u%s", a / 256, a % 256,
				                  (a % 256) + len > 255 ? 255 : (a % 256) + len,
				                  port ? ":25" : "");
			else
				tl[i] = xasprintf(port ? "[2a00::%x/%u]:25" : "2a00::%x/%u",
				                  a & ~7u, 125 + (unsigned)(rnd() % 4));
			ti[i] = i;
		}
		for (size_t i = 0; i < nx; i++) {
			unsigned a = (unsigned)(rnd() % 512);

			xl[i] = rnd() % 2
			            ? xasprintf("8.8.%u.%u/%u", a / 256, a % 256,
			                        28 + (unsigned)(rnd() % 5))
			            : xasprintf("2a00::%x-2a00::%x", a, a + (unsigned)(rnd() % 9));
			xi[i] = i;
		}
		for (int perm = 0; perm < 15; perm++) {
			char *tin, *xin, *errs, *got;
			struct targets *t;
			struct ipset *x;

			shuffle(ti, nt);
			if (nx)
				shuffle(xi, nx);
			tin = join(tl, ti, nt);
			xin = join(xl, xi, nx);
			t = parse_targets(tin);
			x = parse_set(xin, &errs);
			if (errs[0])
				fail_msg("exclusions: got %s", errs);
			struct targets_rule r = {"--exclude", TARGETS_EXCLUDE, x, 0};

			targets_apply(t, &r, 1);
			got = targets_text(t);
			if (want == NULL) {
				want = got;
				want_removed = r.removed;
			} else {
				if (strcmp(got, want) != 0)
					fail_msg("round %d perm %d: got [%s], want [%s]", round,
					         perm, got, want);
				if (r.removed != want_removed)
					fail_msg("round %d perm %d: removed got %llu, want %llu",
					         round, perm, (unsigned long long)r.removed,
					         (unsigned long long)want_removed);
				free(got);
			}
			/* no survivor is excluded */
			size_t ng;
			const struct targets_group *g = targets_groups(t, &ng);

			for (size_t k = 0; k < ng; k++) {
				uint64_t n = ipset_size(g[k].set);

				for (uint64_t j = 0; j < n; j++) {
					struct ipset_addr a;

					assert_int_equal(ipset_nth(g[k].set, j, &a), 0);
					if (ipset_contains(x, &a))
						fail_msg("round %d: an excluded address survived",
						         round);
				}
			}
			free(tin);
			free(xin);
			free(errs);
			ipset_free(x);
			targets_free(t);
		}
		free(want);
		for (size_t i = 0; i < nt; i++)
			free(tl[i]);
		for (size_t i = 0; i < nx; i++)
			free(xl[i]);
	}
}

/* command-line arguments go through targets_line, one "line" each */
static void test_args(void **state)
{
	static const char *const argv[] = {"198.51.100.0/22", "2001:db8::/120", "mx.example:2525",
	                                   "bad..name", "192.0.2.1-5"};
	struct targets *t = targets_new();
	struct targets_parser p;
	char *set, *names, *errors;

	(void)state;
	targets_parser_init(&p, "argument", t);
	for (size_t i = 0; i < N(argv); i++)
		targets_line(&p, argv[i]);
	render(t, &p, &set, &names, &errors);
	if (strcmp(set, "192.0.2.1-192.0.2.5,198.51.100.0/22,2001:db8::/120") != 0)
		fail_msg("set got [%s]", set);
	if (strcmp(names, "mx.example/2525@argument:3") != 0)
		fail_msg("names got [%s]", names);
	if (strcmp(errors, "argument:4: bad..name: empty label in host name") != 0)
		fail_msg("errors got [%s]", errors);
	free(set);
	free(names);
	free(errors);
	targets_parser_free(&p);
	targets_free(t);
}

/* errors past RW_SCAN_ERRORS_KEPT are counted, not kept; texts are safe */
static void test_error_bounds(void **state)
{
	struct targets *t = targets_new();
	struct targets_parser p;
	char line[RW_SCAN_LINE_MAX];

	(void)state;
	targets_parser_init(&p, "t", t);
	for (int i = 0; i < RW_SCAN_ERRORS_KEPT + 50; i++)
		targets_feed(&p, "x_y\n", 4);
	targets_feed(&p, "1.2.3.4\n", 8);
	if (p.nerrors != RW_SCAN_ERRORS_KEPT + 50 || p.specs != 1)
		fail_msg("got %lu errors %lu specs, want %d and 1", p.nerrors, p.specs,
		         RW_SCAN_ERRORS_KEPT + 50);
	targets_parser_free(&p);

	/* a long bad spec is cut in the message; control bytes are masked */
	targets_parser_init(&p, "t", t);
	memset(line, 'a', 300);
	line[0] = '\033';
	strcpy(line + 300, "_\n");
	targets_feed(&p, line, strlen(line));
	if (p.nerrors != 1 || strlen(p.errors[0]) > 200 || strchr(p.errors[0], '\033') ||
	    strstr(p.errors[0], "...: ") == NULL)
		fail_msg("got [%s], want a cut, masked spec", p.nerrors ? p.errors[0] : "");
	targets_parser_free(&p);
	targets_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_nul_and_long),
	    cmocka_unit_test(test_masscan),
	    cmocka_unit_test(test_zmap),
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_count_ports),
	    cmocka_unit_test(test_set_mode),
	    cmocka_unit_test(test_reserved_roundtrip),
	    cmocka_unit_test(test_apply),
	    cmocka_unit_test(test_order_independent),
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_error_bounds),
	    cmocka_unit_test(test_zmap_too_many_columns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
