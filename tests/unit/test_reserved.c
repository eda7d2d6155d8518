/*
 * test_reserved - the default exclusion list: which addresses it holds and
 * why, that its table is canonical, and that its zmap blocklist text reads
 * back as the same set
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/scan/reserved.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_lookup(void **state)
{
	static const struct {
		const char *addr, *want; /* want: a prefix of the reason, NULL none */
	} cases[] = {
	    {"0.0.0.0", "RFC 1122 3.2.1.3: this host"},
	    {"10.1.2.3", "RFC 1918"},
	    {"172.16.0.1", "RFC 1918"},
	    {"172.31.255.255", "RFC 1918"},
	    {"172.32.0.0", NULL},
	    {"192.168.255.255", "RFC 1918"},
	    {"100.64.0.1", "RFC 6598"},
	    {"100.128.0.0", NULL},
	    {"127.0.0.1", "RFC 1122 3.2.1.3: loopback"},
	    {"169.254.1.1", "RFC 3927"},
	    {"192.0.0.9", "RFC 6890"},
	    {"192.0.2.7", "RFC 5737"},
	    {"198.18.0.1", "RFC 2544"},
	    {"198.19.255.255", "RFC 2544"},
	    {"198.20.0.0", NULL},
	    {"198.51.100.25", "RFC 5737"},
	    {"203.0.113.1", "RFC 5737"},
	    {"224.0.0.1", "RFC 5771"},
	    {"239.255.255.255", "RFC 5771"},
	    {"240.0.0.1", "RFC 1112"},
	    {"255.255.255.254", "RFC 1112"},
	    {"255.255.255.255", "RFC 919"}, /* most specific wins over 240/4 */
	    {"8.8.8.8", NULL},
	    {"1.1.1.1", NULL},
	    {"193.0.0.1", NULL},
	    {"::", "RFC 4291 2.5.2"}, /* inside ::/96 too: most specific */
	    {"::1", "RFC 4291 2.5.3"},
	    {"::2", "RFC 4291 2.5.5.1"},
	    {"::ffff:8.8.8.8", "RFC 4291 2.5.5.2"},
	    {"64:ff9b::808:808", "RFC 6052"},
	    {"100::1", "RFC 6666"},
	    {"2001::1", "RFC 4380"},
	    {"2001:2::1", "RFC 5180"},
	    {"2001:4:112::1", "RFC 2928"},
	    {"2001:db8::25", "RFC 3849"},
	    {"2002:c000:204::1", "RFC 3056"},
	    {"3fff::1", "RFC 9637"},
	    {"fd00::1", "RFC 4193"},
	    {"fe80::1", "RFC 4291 2.5.6"},
	    {"fec0::1", "RFC 3879"},
	    {"ff02::1", "RFC 4291 2.7"},
	    {"2a00:1450::1", NULL},
	    {"2001:200::1", NULL}, /* just past 2001::/23 */
	    {"2620:0:2d0::1", NULL},
	};
	struct ipset *set = reserved_set();

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct ipset_addr a;
		const char *got;

		if (ipset_addr_parse(cases[i].addr, &a) < 0)
			fail_msg("%s: does not parse", cases[i].addr);
		got = reserved_lookup(&a);
		if (cases[i].want == NULL
		        ? got != NULL
		        : got == NULL || strncmp(got, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("%s: got %s, want %s", cases[i].addr, got ? got : "(none)",
			         cases[i].want ? cases[i].want : "(none)");
		/* the set and the lookup agree */
		if (ipset_contains(set, &a) != (got != NULL))
			fail_msg("%s: set says %d, lookup says %s", cases[i].addr,
			         ipset_contains(set, &a), got ? got : "(none)");
	}
	ipset_free(set);
}

/* every row is a canonical prefix with an RFC reason */
static void test_table(void **state)
{
	size_t n;
	const struct reserved_block *t = reserved_table(&n);

	(void)state;
	if (n < 30)
		fail_msg("table has %zu rows, want at least 30", n);
	for (size_t i = 0; i < n; i++) {
		struct ipset_range r;
		struct ipset_addr start;
		char text[128], *slash;
		const char *e = ipset_range_parse(t[i].cidr, &r);

		if (e)
			fail_msg("%s: got %s, want a prefix", t[i].cidr, e);
		/* no host bits: the address before '/' is the block's first */
		snprintf(text, sizeof(text), "%s", t[i].cidr);
		if ((slash = strchr(text, '/')) == NULL)
			fail_msg("%s: got no '/', want a CIDR", t[i].cidr);
		*slash = '\0';
		if (ipset_addr_parse(text, &start) < 0 || ip128_cmp(start.v, r.lo) != 0)
			fail_msg("%s: got host bits set, want a canonical prefix", t[i].cidr);
		if (strncmp(t[i].reason, "RFC ", 4) != 0)
			fail_msg("%s: reason %s, want it to name its RFC", t[i].cidr, t[i].reason);
		for (size_t j = 0; j < i; j++)
			if (strcmp(t[i].cidr, t[j].cidr) == 0)
				fail_msg("%s: listed twice", t[i].cidr);
	}
}

static void test_counts(void **state)
{
	struct ipset *s = reserved_set();
	struct ip128 c4 = ipset_count(s, IPSET_V4);

	(void)state;
	/* 0/8 10/8 127/8 (3 x 2^24) + 100.64/10 (2^22) + 169.254/16 + 172.16/12
	 * (2^20) + 192.168/16 + 198.18/15 (2^17) + 8 x /24 + 224/4 + 240/4 */
	uint64_t want = 3 * (UINT64_C(1) << 24) + (UINT64_C(1) << 22) + (UINT64_C(1) << 16) +
	                (UINT64_C(1) << 20) + (UINT64_C(1) << 16) + (UINT64_C(1) << 17) + 8 * 256 +
	                2 * (UINT64_C(1) << 28);
	if (c4.hi || c4.lo != want)
		fail_msg("IPv4 reserved count got %llu, want %llu", (unsigned long long)c4.lo,
		         (unsigned long long)want);
	ipset_free(s);
}

/* the blocklist text reads back, line by line, as the same set */
static void test_blocklist(void **state)
{
	struct dbuf out;
	struct ipset *back = ipset_new(), *want = reserved_set();
	size_t n, rows = 0, comments = 0;
	char *text, *line, *save = NULL;

	(void)state;
	reserved_table(&n);
	dbuf_init(&out, 0);
	reserved_blocklist(&out);
	text = dbuf_steal(&out);
	if (strstr(text, "10.0.0.0/8           # RFC 1918: private use\n") == NULL)
		fail_msg("got no aligned 10.0.0.0/8 line with its reason in:\n%s", text);
	if (strstr(text, "fe80::/10            # RFC 4291 2.5.6: link local\n") == NULL)
		fail_msg("got no fe80::/10 line with its reason");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *end;
		const char *e;

		if (line[0] == '#') {
			comments++;
			continue;
		}
		if (hash == NULL)
			fail_msg("%s: got a line without a reason, want '# RFC ...'", line);
		end = hash;
		while (end > line && end[-1] == ' ')
			end--;
		*end = '\0';
		if ((e = ipset_add_text(back, line)) != NULL)
			fail_msg("%s: got %s reading it back", line, e);
		rows++;
	}
	if (rows != n || comments != 2)
		fail_msg("got %zu rows and %zu comments, want %zu and 2", rows, comments, n);
	if (!ipset_equal(back, want))
		fail_msg("blocklist read back: got a different set than reserved_set()");
	free(text);
	ipset_free(back);
	ipset_free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_blocklist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
