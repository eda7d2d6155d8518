/*
 * test_zone - the DNSBL zone writer: reversed names (octets, nibbles),
 * DNS name checks, the TXT text and its escaping per format (hostile
 * reasons and URLs: newlines, quotes, semicolons, backslashes, '$',
 * control and 8-bit bytes), skipped entries (not an address, the RFC 5782
 * test addresses), the test entries, the required BIND names, and that
 * every line of a zone is one the format expects
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/enforce/zone.h"
#include "../../src/net/dnsbl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* render - entries through a writer into an owned string; NULL with err */
static char *render(const struct zone_opts *o, const struct zone_entry *e, size_t n,
                    struct zone_stats *st, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct zone_writer *w = zone_writer_new(o, f, err, errlen);

	if (w == NULL) {
		fclose(f);
		free(buf);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *why;

		assert_true(zone_writer_add(w, &e[i], &why) >= 0);
	}
	assert_int_equal(zone_writer_finish(w, st), 0);
	zone_writer_free(w);
	fclose(f);
	return buf;
}

/* count - lines of s that contain sub */
static int count(const char *s, const char *sub)
{
	int n = 0;

	for (const char *l = s; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		char line[1024];

		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		n += strstr(line, sub) != NULL;
		l = e ? e + 1 : NULL;
	}
	return n;
}

static void test_reverse(void **state)
{
	static const struct {
		const char *addr, *want;
		int fam;
	} cases[] = {
	    {"192.0.2.7", "7.2.0.192", 4},
	    {"127.0.0.2", "2.0.0.127", 4},
	    {"2001:db8::7", "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2", 6},
	    {"::ffff:7f00:2", "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", 6},
	    {"192.0.2.7\n1.2.3.4", NULL, 0},
	    {"010.0.0.1", NULL, 0},
	    {"host.example", NULL, 0},
	    {"", NULL, 0},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		char out[DNSBL_REVERSE_MAX];
		int fam = dnsbl_reverse(cases[i].addr, out, sizeof(out));

		if (cases[i].want == NULL) {
			if (fam >= 0)
				fail_msg("%s: got %s, want an error", cases[i].addr, out);
			continue;
		}
		if (fam < 0 || strcmp(out, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].addr, fam < 0 ? "error" : out,
			         cases[i].want);
	}
}

static void test_names(void **state)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
	    {"bl.example.net", 1},
	    {"bl.example.net.", 1},
	    {"a_b-c.example", 1},
	    {"", 0},
	    {".", 0},
	    {"a..b", 0},
	    {"bl example", 0},
	    {"bl;x", 0},
	    {"bl\nNS evil", 0},
	    {"bl\"x", 0},
	    {"bl\\.x", 0},
	    {".bl", 0},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x", 0}, /* 64 */
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++)
		if (zone_name_ok(cases[i].name) != cases[i].ok)
			fail_msg("'%s': got %d, want %d", cases[i].name, !cases[i].ok, cases[i].ok);
}

static void test_txt(void **state)
{
	static const struct {
		const char *name;
		struct zone_opts o;
		const char *want;
	} cases[] = {
	    {"retest url",
	     {.retest_url = "https://bl.test/r?ip=", .incident_url = "x"},
	     "open relay, incident 7; retest: https://bl.test/r?ip=192.0.2.7"},
	    {"incident url",
	     {.incident_url = "https://desk/i/", .contact = "a@b"},
	     "open relay, incident 7; retest: https://desk/i/7"},
	    {"contact",
	     {.contact = "abuse@example.net"},
	     "open relay, incident 7; retest: mail abuse@example.net"},
	    {"nothing", {0}, "open relay, incident 7"},
	};
	char buf[ZONE_TXT_MAX + 1], url[600];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		zone_txt(&cases[i].o, "192.0.2.7", 7, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%s: got '%s', want '%s'", cases[i].name, buf, cases[i].want);
	}
	memset(url, 'u', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	struct zone_opts o = {.retest_url = url};
	assert_int_equal(zone_txt(&o, "192.0.2.7", 7, buf, sizeof(buf)), ZONE_TXT_MAX);
	assert_int_equal(strlen(buf), ZONE_TXT_MAX);
}

/* a URL that tries every way out of a TXT */
#define HOSTILE "h\"q;s\\b$d\nNS evil.\r\x01\xff"

static void test_rbldnsd(void **state)
{
	struct zone_opts o = {.format = ZONE_RBLDNSD, .retest_url = HOSTILE};
	struct zone_entry e[] = {
	    {"192.0.2.7", 1},       {"2001:db8::7", 2},     {"192.0.2.8\n1.2.3.4", 3},
	    {"127.0.0.1", 4},       {"127.0.0.2", 5},       {"::ffff:7f00:1", 6},
	    {"2001:DB8:0:0::8", 7}, {"198.51.100.1; x", 8}, {"", 9},
	};
	struct zone_stats st;
	char err[128], *z;

	(void)state;
	z = render(&o, e, N(e), &st, err, sizeof(err));
	assert_non_null(z);
	assert_int_equal(st.listed4, 1);
	assert_int_equal(st.listed6, 2);
	assert_int_equal(st.skipped, 6);
	/* every line: a comment, a special, a default, an exclusion or an entry */
	for (char *l = z, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (!(l[0] == '#' || l[0] == '$' || l[0] == ':' || l[0] == '!' ||
		      strncmp(l, "192.0.2.7 :127.0.0.2:", 21) == 0 ||
		      strncmp(l, "127.0.0.2 :127.0.0.2:", 21) == 0 ||
		      strncmp(l, "2001:db8::7/128 :127.0.0.2:", 27) == 0 ||
		      strncmp(l, "2001:db8::8/128 :127.0.0.2:", 27) == 0 ||
		      strncmp(l, "::ffff:7f00:2/128 :127.0.0.2:", 29) == 0))
			fail_msg("unexpected line '%s'", l);
		*nl = '\n';
	}
	assert_int_equal(count(z, "192.0.2.7 :127.0.0.2:open relay, incident 1; retest: "
	                          "h\"q;s\\b$$d?NS evil.??\xff"
	                          "192.0.2.7"),
	                 1);
	assert_int_equal(count(z, "!127.0.0.1"), 1);
	assert_int_equal(count(z, "!::ffff:7f00:1/128"), 1);
	assert_int_equal(count(z, "127.0.0.2 :127.0.0.2:" ZONE_TEST_TXT), 1);
	assert_int_equal(count(z, "$DATASET ip4set"), 1);
	assert_int_equal(count(z, "$DATASET ip6trie"), 1);
	/* IPv6 after the ip6trie header, IPv4 before it */
	assert_true(strstr(z, "2001:db8::7/128") > strstr(z, "$DATASET ip6trie"));
	assert_true(strstr(z, "192.0.2.7 ") < strstr(z, "$DATASET ip6trie"));
	assert_null(strstr(z, "1.2.3.4"));
	free(z);
}

static void test_bind(void **state)
{
	struct zone_opts o = {.format = ZONE_BIND,
	                      .zone = "bl.test",
	                      .ns = "ns1.example.net",
	                      .hostmaster = "dns-admin@example.net",
	                      .serial = 1700000000,
	                      .incident_url = HOSTILE};
	struct zone_entry e[] = {{"192.0.2.7", 1}, {"2001:db8::7", 2}, {"x\ny", 3}};
	struct zone_stats st;
	char err[128], *z;

	(void)state;
	z = render(&o, e, N(e), &st, err, sizeof(err));
	assert_non_null(z);
	assert_int_equal(st.listed4 + st.listed6, 2);
	assert_int_equal(count(z, "$ORIGIN bl.test."), 1);
	assert_int_equal(count(z, "@ IN SOA ns1.example.net. dns-admin.example.net. 1700000000 "),
	                 1);
	assert_int_equal(count(z, "@ IN NS ns1.example.net."), 1);
	assert_int_equal(count(z, " IN A 127.0.0.2"), 4);
	assert_int_equal(count(z, " IN TXT "), 4);
	assert_int_equal(count(z, "7.2.0.192 IN TXT \"open relay, incident 1; retest: "
	                          "h\\\"q;s\\\\b$d\\010NS evil.\\013\\001\\2551\""),
	                 1);
	assert_int_equal(count(z, "2.0.0.127 IN TXT \"" ZONE_TEST_TXT "\""), 1);
	assert_int_equal(count(z, "1.0.0.127"), 0);
	assert_int_equal(count(z, "^NS evil"), 0);
	/* every line: a comment, a directive, or a record */
	for (char *l = z, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (!(l[0] == ';' || l[0] == '$' || l[0] == '@' || strstr(l, " IN A 127.0.0.2") ||
		      strstr(l, " IN TXT \"")))
			fail_msg("unexpected line '%s'", l);
		*nl = '\n';
	}
	free(z);
}

static void test_bad_opts(void **state)
{
	static const struct {
		const char *name;
		struct zone_opts o;
		const char *want; /* a word of the error */
	} cases[] = {
	    {"bind without zone", {.format = ZONE_BIND, .ns = "ns.x"}, "dnsbl_zone"},
	    {"bind without ns", {.format = ZONE_BIND, .zone = "bl.x"}, "dnsbl_ns"},
	    {"bad zone", {.format = ZONE_RBLDNSD, .zone = "bl.x\n$NS evil"}, "dnsbl_zone"},
	    {"bad ns", {.format = ZONE_BIND, .zone = "bl.x", .ns = "ns x"}, "dnsbl_ns"},
	    {"dotted local part",
	     {.format = ZONE_BIND, .zone = "bl.x", .ns = "ns.x", .hostmaster = "a.b@x"},
	     "dnsbl_hostmaster"},
	    {"bad hostmaster",
	     {.format = ZONE_BIND, .zone = "bl.x", .ns = "ns.x", .hostmaster = "a b"},
	     "dnsbl_hostmaster"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		char err[160] = "", *z = render(&cases[i].o, NULL, 0, NULL, err, sizeof(err));

		if (z != NULL) {
			fail_msg("%s: accepted:\n%s", cases[i].name, z);
		}
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: got '%s', want it to name %s", cases[i].name, err,
			         cases[i].want);
	}
}

static void test_format_parse(void **state)
{
	enum zone_format f;

	(void)state;
	assert_int_equal(zone_format_parse("rbldnsd", &f), 0);
	assert_int_equal(f, ZONE_RBLDNSD);
	assert_int_equal(zone_format_parse("bind", &f), 0);
	assert_int_equal(f, ZONE_BIND);
	assert_int_equal(zone_format_parse("nsd", &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reverse),      cmocka_unit_test(test_names),
	    cmocka_unit_test(test_txt),          cmocka_unit_test(test_rbldnsd),
	    cmocka_unit_test(test_bind),         cmocka_unit_test(test_bad_opts),
	    cmocka_unit_test(test_format_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
