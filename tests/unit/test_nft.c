/*
 * test_nft - the nftables table as text: ports, addresses (hostile ones
 * refused, the rest re-formatted), sets and diffs, the scripts (golden
 * files tests/unit/data/nft/<case>.ref), `nft -j` parsing of real output,
 * and the command backend's argv templates
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/enforce/fw_run.h"
#include "../../src/enforce/nft.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* slurp - a data file, owned */
static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/nft/%s", RW_TEST_DATA, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* golden - got must equal the .ref file (RW_UPDATE_GOLDEN=1 writes it) */
static void golden(const char *name, const char *got)
{
	char path[512];

	if (getenv("RW_UPDATE_GOLDEN")) {
		snprintf(path, sizeof(path), "%s/nft/%s", RW_TEST_DATA, name);
		FILE *fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(got, fp);
		fclose(fp);
	}
	char *want = slurp(name, NULL);
	if (strcmp(want, got) != 0)
		fail_msg("%s: got\n%s\nwant\n%s", name, got, want);
	free(want);
}

/* show - a set as "dir addr;..." */
static const char *show(const struct nft_set *s, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && o < len; i++) {
		char a[64];

		o += (size_t)snprintf(buf + o, len - o, "%s%s %s", i ? ";" : "",
		                      s->v[i].dir == NFT_IN ? "in" : "out",
		                      nft_elem_addr(&s->v[i], a, sizeof(a)));
	}
	return buf;
}

static void test_ports(void **state)
{
	static const struct {
		const char *in, *want; /* "25,465" or "!" and the error */
	} cases[] = {
	    {NULL, "25"},
	    {"", "25"},
	    {"25", "25"},
	    {"587, 25 465", "25,465,587"},
	    {"25,25,25", "25"},
	    {",25,", "25"},
	    {"0", "!ports: each 1..65535"},
	    {"65536", "!ports: each 1..65535"},
	    {"25;flush ruleset", "!ports: a list of numbers separated by commas or spaces"},
	    {"25-30", "!ports: a list of numbers separated by commas or spaces"},
	    {"smtp", "!ports: a list of numbers separated by commas or spaces"},
	    {"9999999", "!ports: a list of numbers separated by commas or spaces"},
	    {", ,", "!ports: none given"},
	    {"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"},
	    {"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "!ports: too many (16 at most)"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct nft_ports p;
		char got[256] = "";
		const char *e = nft_ports_parse(cases[i].in, &p);

		if (e)
			snprintf(got, sizeof(got), "!%s", e);
		else
			for (size_t j = 0, o = 0; j < p.n; j++)
				o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%u",
				                      j ? "," : "", p.v[j]);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("ports '%s': got %s, want %s",
			         cases[i].in ? cases[i].in : "(null)", got, cases[i].want);
	}
}

static void test_addr(void **state)
{
	static const struct {
		const char *in, *want; /* re-formatted, or NULL: refused */
	} cases[] = {
	    {"192.0.2.7", "192.0.2.7"},
	    {"2001:DB8:0:0::25", "2001:db8::25"},
	    {"::ffff:192.0.2.7", "::ffff:192.0.2.7"},
	    {"::", "::"},
	    /* hostile or not an address: never into a script */
	    {"192.0.2.7 }", NULL},
	    {"192.0.2.7; flush ruleset", NULL},
	    {"192.0.2.7\nflush ruleset", NULL},
	    {"192.0.2.7\n", NULL},
	    {" 192.0.2.7", NULL},
	    {"\"192.0.2.7\"", NULL},
	    {"192.0.2.0/24", NULL},
	    {"fe80::1%eth0", NULL},
	    {"192.0.2.256", NULL},
	    {"mail.example.net", NULL},
	    {"", NULL},
	    {NULL, NULL},
	    {"1111:2222:3333:4444:5555:6666:7777:8888:9999", NULL},
	    {"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001", NULL},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct nft_set s = {0};
		int rc = nft_set_add(&s, cases[i].in, 1);
		char a[64];

		if (cases[i].want == NULL) {
			if (rc != -1 || s.n != 0)
				fail_msg("addr '%s': accepted, want refused", cases[i].in);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(s.n, 1);
			if (strcmp(nft_elem_addr(&s.v[0], a, sizeof(a)), cases[i].want) != 0)
				fail_msg("addr '%s': got %s, want %s", cases[i].in, a,
				         cases[i].want);
		}
		nft_set_clear(&s);
	}
	/* a direction is required */
	struct nft_set s = {0};
	assert_int_equal(nft_set_add(&s, "192.0.2.7", 0), -1);
	assert_int_equal(nft_dir_mask("both"), 3);
	assert_int_equal(nft_dir_mask("inbound"), 1);
	assert_int_equal(nft_dir_mask("outbound"), 2);
	assert_int_equal(nft_dir_mask(""), 0);
	assert_int_equal(nft_dir_mask("inbound; drop"), 0);
	nft_set_clear(&s);
}

static void test_diff(void **state)
{
	static const struct {
		const char *name;
		const char *want[4], *have[4]; /* "i ADDR" / "o ADDR" / "b ADDR" */
		const char *add, *del;
	} cases[] = {
	    {"nothing", {NULL}, {NULL}, "", ""},
	    {"all new",
	     {"b 192.0.2.7", "i 2001:db8::1"},
	     {NULL},
	     "in 192.0.2.7;in 2001:db8::1;out 192.0.2.7",
	     ""},
	    {"all gone", {NULL}, {"i 192.0.2.7", "o 192.0.2.8"}, "", "in 192.0.2.7;out 192.0.2.8"},
	    {"same", {"b 192.0.2.7"}, {"o 192.0.2.7", "i 192.0.2.7"}, "", ""},
	    {"mixed",
	     {"i 192.0.2.1", "o 192.0.2.2", "i 192.0.2.9"},
	     {"o 192.0.2.2", "i 192.0.2.3", "i 192.0.2.9"},
	     "in 192.0.2.1",
	     "in 192.0.2.3"},
	    {"duplicates",
	     {"i 192.0.2.1", "i 192.0.2.1", "b 192.0.2.1"},
	     {"i 192.0.2.1"},
	     "out 192.0.2.1",
	     ""},
	    {"same text, other form", {"i 2001:db8:0::1"}, {"i 2001:DB8::1"}, "", ""},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct nft_set want = {0}, have = {0}, add = {0}, del = {0};
		char g1[512], g2[512];

		for (int k = 0; k < 4 && cases[i].want[k]; k++)
			nft_set_add(&want, cases[i].want[k] + 2,
			            cases[i].want[k][0] == 'i'   ? 1
			            : cases[i].want[k][0] == 'o' ? 2
			                                         : 3);
		for (int k = 0; k < 4 && cases[i].have[k]; k++)
			nft_set_add(&have, cases[i].have[k] + 2,
			            cases[i].have[k][0] == 'i'   ? 1
			            : cases[i].have[k][0] == 'o' ? 2
			                                         : 3);
		nft_set_sort(&want);
		nft_set_sort(&have);
		nft_diff(&want, &have, &add, &del);
		if (strcmp(show(&add, g1, sizeof(g1)), cases[i].add) != 0 ||
		    strcmp(show(&del, g2, sizeof(g2)), cases[i].del) != 0)
			fail_msg("%s: got add '%s' del '%s', want add '%s' del '%s'", cases[i].name,
			         g1, g2, cases[i].add, cases[i].del);
		nft_set_clear(&want);
		nft_set_clear(&have);
		nft_set_clear(&add);
		nft_set_clear(&del);
	}
}

/* the complete script of a table that is not there */
static void test_script_full(void **state)
{
	struct nft_ports p;
	struct nft_state cur;
	struct nft_set add = {0}, del = {0};
	char *s;

	(void)state;
	assert_null(nft_ports_parse("25,465", &p));
	nft_state_absent(&cur);
	nft_set_add(&add, "192.0.2.7", 3);
	nft_set_add(&add, "2001:db8::25", 1);
	nft_set_add(&add, "198.51.100.1", 1);
	nft_set_sort(&add);
	s = nft_script(&p, &cur, &add, &del);
	assert_non_null(s);
	golden("full.ref", s);
	/* never another table */
	for (char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, "add ", 4) == 0 || strncmp(l, "flush ", 6) == 0 ||
		    strncmp(l, "delete ", 7) == 0)
			assert_non_null(strstr(l, " inet relaywatch"));
	free(s);
	/* an empty desired set still creates the table, with nothing in it */
	nft_set_clear(&add);
	s = nft_script(&p, &cur, &add, &del);
	assert_non_null(s);
	assert_null(strstr(s, "element"));
	free(s);
	nft_set_clear(&add);
}

/* real `nft -j list table inet relaywatch` output (nftables 1.0.6) */
static void test_parse_complete(void **state)
{
	size_t len;
	char *json = slurp("list_complete.json", &len), err[256], got[512];
	struct nft_ports p, other;
	struct nft_state st;
	struct nft_set want = {0}, add = {0}, del = {0};

	(void)state;
	assert_null(nft_ports_parse("465 25", &p));
	assert_null(nft_state_parse(json, len, &p, &st, err, sizeof(err)));
	assert_true(st.present);
	assert_true(st.complete);
	assert_string_equal(show(&st.elems, got, sizeof(got)),
	                    "in 192.0.2.7;in 2001:db8::25;out 192.0.2.7");
	/* nothing to change: no script at all */
	nft_set_add(&want, "192.0.2.7", 3);
	nft_set_add(&want, "2001:db8::25", 1);
	nft_set_sort(&want);
	nft_diff(&want, &st.elems, &add, &del);
	assert_int_equal(add.n + del.n, 0);
	assert_null(nft_script(&p, &st, &add, &del));
	/* one lifted, one new: elements only, deletes first */
	nft_set_clear(&want);
	nft_set_add(&want, "192.0.2.7", 1);
	nft_set_add(&want, "2001:db8::25", 1);
	nft_set_add(&want, "2001:db8::26", 2);
	nft_set_sort(&want);
	nft_diff(&want, &st.elems, &add, &del);
	char *s = nft_script(&p, &st, &add, &del);
	assert_non_null(s);
	golden("diff.ref", s);
	free(s);
	nft_state_clear(&st);
	/* other ports: the rules are rewritten, in the same transaction */
	assert_null(nft_ports_parse("25", &other));
	assert_null(nft_state_parse(json, len, &other, &st, err, sizeof(err)));
	assert_true(st.present);
	assert_false(st.complete);
	s = nft_script(&other, &st, &add, &del);
	assert_non_null(strstr(s, "flush chain inet relaywatch forward\n"));
	assert_non_null(strstr(s, "tcp dport { 25 } ip daddr @blocked_in4 drop"));
	free(s);
	nft_state_clear(&st);
	nft_set_clear(&want);
	nft_set_clear(&add);
	nft_set_clear(&del);
	free(json);
}

static void test_parse_cases(void **state)
{
	static const struct {
		const char *name, *json;
		int present, complete;
		const char *elems; /* or "!" and the error's start */
	} cases[] = {
	    {"empty ruleset", "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}]}", 0, 0,
	     ""},
	    {"table only",
	     "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"relaywatch\"}}]}", 1,
	     0, ""},
	    {"another table's sets",
	     "{\"nftables\": [{\"set\": {\"family\": \"inet\", \"name\": \"blocked_in4\", "
	     "\"table\": "
	     "\"foreign\", \"type\": \"ipv4_addr\", \"elem\": [\"10.0.0.1\"]}}]}",
	     0, 0, ""},
	    {"ip family is not ours",
	     "{\"nftables\": [{\"set\": {\"family\": \"ip\", \"name\": \"blocked_in4\", \"table\": "
	     "\"relaywatch\", \"type\": \"ipv4_addr\", \"elem\": [\"10.0.0.1\"]}}]}",
	     0, 0, ""},
	    {"elements with timeouts, prefixes, junk",
	     "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"relaywatch\"}},"
	     "{\"set\": {\"family\": \"inet\", \"name\": \"blocked_in4\", \"table\": "
	     "\"relaywatch\","
	     " \"type\": \"ipv4_addr\", \"elem\": [\"10.0.0.2\", {\"elem\": {\"val\": \"10.0.0.1\","
	     " \"timeout\": 3600}}, {\"prefix\": {\"addr\": \"10.1.0.0\", \"len\": 16}}, 7,"
	     " \"2001:db8::1\", \"10.0.0.3 }\"]}},"
	     "{\"set\": {\"family\": \"inet\", \"name\": \"blocked_out6\", \"table\": "
	     "\"relaywatch\","
	     " \"type\": \"ipv6_addr\", \"elem\": [\"2001:db8::1\", \"10.0.0.9\"]}}]}",
	     1, 0, "in 10.0.0.1;in 10.0.0.2;out 2001:db8::1"},
	    {"not JSON", "Error: No such file", 0, 0, "!not JSON"},
	    {"no array", "{\"nftables\": 3}", 0, 0, "!no nftables array"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct nft_ports p;
		struct nft_state st;
		char err[256], got[512];
		const char *e;

		nft_ports_parse("25", &p);
		e = nft_state_parse(cases[i].json, strlen(cases[i].json), &p, &st, err,
		                    sizeof(err));
		if (cases[i].elems[0] == '!') {
			if (e == NULL ||
			    strncmp(e, cases[i].elems + 1, strlen(cases[i].elems + 1)) != 0)
				fail_msg("%s: got %s, want %s", cases[i].name, e ? e : "success",
				         cases[i].elems);
			continue;
		}
		if (e)
			fail_msg("%s: %s", cases[i].name, e);
		if (st.present != cases[i].present || st.complete != cases[i].complete ||
		    strcmp(show(&st.elems, got, sizeof(got)), cases[i].elems) != 0)
			fail_msg("%s: got present %d complete %d '%s', want %d %d '%s'",
			         cases[i].name, st.present, st.complete, got, cases[i].present,
			         cases[i].complete, cases[i].elems);
		nft_state_clear(&st);
	}
}

/* a foreign rule in one of our chains makes the table incomplete: ours
 * are rewritten (flush chain), and only in our chains */
static void test_parse_foreign_rule(void **state)
{
	size_t len;
	char *json = slurp("list_complete.json", &len), err[256];
	struct nft_ports p;
	struct nft_state st;
	/* a copy of the input chain's first rule with another comment */
	char *at = strstr(json, "\"relaywatch tcp dport 25,465\"");

	(void)state;
	assert_non_null(at);
	memcpy(at + 1, "someone else's rule", 19);
	nft_ports_parse("25,465", &p);
	assert_null(nft_state_parse(json, len, &p, &st, err, sizeof(err)));
	assert_true(st.present);
	assert_false(st.complete);
	nft_state_clear(&st);
	free(json);
}

static void test_template(void **state)
{
	static const struct {
		const char *tmpl, *addr, *dir;
		const char *want; /* words joined by '|', or "!" and the error */
	} cases[] = {
	    {"ipset add relaywatch {addr}", "192.0.2.7", "inbound",
	     "ipset|add|relaywatch|192.0.2.7"},
	    {"  /usr/local/bin/block   {direction}\t{addr} -q ", "2001:db8::1", "outbound",
	     "/usr/local/bin/block|outbound|2001:db8::1|-q"},
	    /* the value is one argument whatever it holds: no shell, no splitting */
	    {"echo {addr}", "1.2.3.4; rm -rf /", "inbound", "echo|1.2.3.4; rm -rf /"},
	    {"sh -c {addr}", "$(reboot)", "inbound", "sh|-c|$(reboot)"},
	    {"block --ip={addr}", "x", "inbound", "!{addr} and {direction} must be whole words"},
	    {"block {addr} --dir={direction}", "x", "inbound",
	     "!{addr} and {direction} must be whole words"},
	    {"block {direction}", "x", "inbound", "!the command needs an {addr} word"},
	    {"{addr}", "x", "inbound", "!a program to run first, then its arguments"},
	    {"   ", "x", "inbound", "!a program to run first, then its arguments"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		const char *e = fw_template_check(cases[i].tmpl);
		char got[512] = "";

		if (e) {
			snprintf(got, sizeof(got), "!%s", e);
			assert_null(fw_template_argv(cases[i].tmpl, cases[i].addr, cases[i].dir));
		} else {
			char **v = fw_template_argv(cases[i].tmpl, cases[i].addr, cases[i].dir);

			assert_non_null(v);
			for (size_t k = 0, o = 0; v[k]; k++)
				o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
				                      k ? "|" : "", v[k]);
			fw_argv_free(v);
		}
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("template '%s': got %s, want %s", cases[i].tmpl, got,
			         cases[i].want);
	}
}

/* fw_run: stdin fed, stdout and stderr kept, exit status, the deadline */
static void test_run(void **state)
{
	struct fw_result r;
	char err[256], why[256];
	char *cat[] = {"cat", NULL};
	char *fail_[] = {"sh", "-c", "echo 'Error: boom' >&2; exit 3", NULL};
	char *slow[] = {"sleep", "10", NULL};
	char *none[] = {"relaywatch-no-such-program", NULL};

	(void)state;
	assert_int_equal(fw_run(cat, "hello\n", 6, 5000, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "hello\n");
	fw_result_clear(&r);
	assert_int_equal(fw_run(fail_, NULL, 0, 5000, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 3);
	assert_string_equal(fw_result_why(&r, why, sizeof(why)), "exit 3: Error: boom");
	fw_result_clear(&r);
	assert_int_equal(fw_run(slow, NULL, 0, 200, &r, err, sizeof(err)), 0);
	assert_true(r.timed_out);
	assert_int_equal(r.status, -1);
	fw_result_clear(&r);
	assert_int_equal(fw_run(none, NULL, 0, 5000, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 127);
	assert_non_null(strstr(r.err, "cannot run"));
	fw_result_clear(&r);
	/* a child that exits without reading a large stdin: no SIGPIPE death */
	size_t big = 1 << 20;
	char *in = malloc(big);
	char *quit[] = {"true", NULL};
	memset(in, 'x', big);
	assert_int_equal(fw_run(quit, in, big, 5000, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 0);
	fw_result_clear(&r);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_script_full),
	    cmocka_unit_test(test_parse_complete),
	    cmocka_unit_test(test_parse_cases),
	    cmocka_unit_test(test_parse_foreign_rule),
	    cmocka_unit_test(test_template),
	    cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
