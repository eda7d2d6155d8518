/*
 * test_ipset - address interval sets: parsing, merging, counts, set
 * arithmetic against a brute-force bitmap, and order independence (the
 * same ranges added in any order give the same set and the same answers)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "../../src/scan/ipset.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct ipset *build(const char *const *specs)
{
	struct ipset *s = ipset_new();

	for (size_t i = 0; specs[i]; i++) {
		const char *e = ipset_add_text(s, specs[i]);

		if (e)
			fail_msg("%s: got error %s, want ok", specs[i], e);
	}
	return s;
}

/* dump - the set's merged ranges as text, "," separated */
static char *dump(struct ipset *s, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (int f = 0; f < 2; f++) {
		size_t n;
		const struct ipset_range *r = ipset_ranges(s, (enum ipset_fam)f, &n);

		for (size_t i = 0; i < n; i++) {
			char t[128];

			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "",
			                         ipset_range_text(&r[i], t, sizeof(t)));
			if (used >= len)
				fail_msg("dump buffer too small");
		}
	}
	return out;
}

static void test_parse(void **state)
{
	static const struct {
		const char *in, *want, *err;
	} cases[] = {
	    {"192.0.2.7", "192.0.2.7", NULL},
	    {"192.0.2.0/24", "192.0.2.0/24", NULL},
	    {"192.0.2.77/24", "192.0.2.0/24", NULL}, /* host bits ignored, like nmap */
	    {"0.0.0.0/0", "0.0.0.0/0", NULL},
	    {"255.255.255.255/32", "255.255.255.255", NULL},
	    {"192.0.2.1-20", "192.0.2.1-192.0.2.20", NULL},
	    {"192.0.2.0-255", "192.0.2.0/24", NULL},
	    {"192.0.2.1-192.0.3.4", "192.0.2.1-192.0.3.4", NULL},
	    {"192.0.2.8-192.0.2.15", "192.0.2.8/29", NULL},
	    {"192.0.2.9-9", "192.0.2.9", NULL},
	    {"2001:db8::/120", "2001:db8::/120", NULL},
	    {"2001:db8::1:2/112", "2001:db8::1:0/112", NULL},
	    {"::/0", "::/0", NULL},
	    {"::1", "::1", NULL},
	    {"2001:db8::1-2001:db8::ff", "2001:db8::1-2001:db8::ff", NULL},
	    {"::ffff:192.0.2.1", "::ffff:192.0.2.1", NULL},
	    {"192.0.2.0/33", NULL, "IPv4 prefix length above 32"},
	    {"2001:db8::/129", NULL, "IPv6 prefix length above 128"},
	    {"192.0.2.0/", NULL, "prefix length is not a number"},
	    {"192.0.2.0/2x", NULL, "prefix length is not a number"},
	    {"192.0.2.0/-1", NULL, "both '/' and '-'"},
	    {"192.0.2.0/0024", NULL, "prefix length is not a number"},
	    {"192.0.2/24", NULL, "not an IP address before '/'"},
	    {"192.0.2.256", NULL, "not an IP address"},
	    {"192.0.2.20-1", NULL, "range ends before it starts"},
	    {"192.0.2.1-256", NULL, "last octet above 255"},
	    {"192.0.2.1-", NULL, "nothing after '-'"},
	    {"192.0.2.1-::1", NULL, "range mixes IPv4 and IPv6"},
	    {"192.0.2.9-192.0.2.1", NULL, "range ends before it starts"},
	    {"192.0.2.1-x", NULL, "not an IP address after '-'"},
	    {"2001:db8::9-1", NULL, "not an IP address after '-'"},
	    {"10.0.0.1/8-9", NULL, "both '/' and '-'"},
	    {"fe80::1%eth0", NULL, "not an IP address"},
	    {"", NULL, "not an IP address"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct ipset_range r;
		char buf[128];
		const char *e = ipset_range_parse(cases[i].in, &r);

		if (cases[i].err) {
			if (e == NULL || strcmp(e, cases[i].err) != 0)
				fail_msg("%s: got %s, want error %s", cases[i].in, e ? e : "ok",
				         cases[i].err);
			continue;
		}
		if (e)
			fail_msg("%s: got error %s, want %s", cases[i].in, e, cases[i].want);
		ipset_range_text(&r, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].in, buf, cases[i].want);
	}
}

static void test_merge(void **state)
{
	static const struct {
		const char *name;
		const char *specs[6];
		const char *want;
	} cases[] = {
	    {"adjacent merge", {"192.0.2.0/25", "192.0.2.128/25"}, "192.0.2.0/24"},
	    {"overlap", {"192.0.2.10-30", "192.0.2.20-40"}, "192.0.2.10-192.0.2.40"},
	    {"contained", {"10.0.0.0/8", "10.1.2.3", "10.9.0.0/16"}, "10.0.0.0/8"},
	    {"gap kept", {"192.0.2.1", "192.0.2.3"}, "192.0.2.1,192.0.2.3"},
	    {"top of v4", {"255.255.255.255", "255.255.255.254"}, "255.255.255.254/31"},
	    {"top of v6", {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"}, "::/0"},
	    {"families apart", {"::ffff:0:0/96", "0.0.0.0/0"}, "0.0.0.0/0,::ffff:0.0.0.0/96"},
	    {"v6 adjacent across 64 bits",
	     {"2001:db8::/65", "2001:db8:0:0:8000::/65"},
	     "2001:db8::/64"},
	    {"duplicates", {"192.0.2.7", "192.0.2.7", "192.0.2.7"}, "192.0.2.7"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct ipset *s = build(cases[i].specs);
		char got[512];

		if (strcmp(dump(s, got, sizeof(got)), cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].name, got, cases[i].want);
		ipset_free(s);
	}
}

static void test_count(void **state)
{
	static const struct {
		const char *name;
		const char *specs[5];
		uint64_t v4, v6hi, v6lo, size;
	} cases[] = {
	    {"empty", {NULL}, 0, 0, 0, 0},
	    {"/24", {"192.0.2.0/24"}, 256, 0, 0, 256},
	    {"overlaps counted once",
	     {"192.0.2.0/24", "192.0.2.128/25", "192.0.2.7"},
	     256,
	     0,
	     0,
	     256},
	    {"v6 /120", {"2001:db8::/120"}, 0, 0, 256, 256},
	    {"v4 and v6", {"192.0.2.0/30", "2001:db8::/126"}, 4, 0, 4, 8},
	    {"all v4", {"0.0.0.0/0"}, UINT64_C(1) << 32, 0, 0, UINT64_C(1) << 32},
	    {"v6 /64", {"2001:db8::/64"}, 0, 1, 0, UINT64_MAX},
	    {"v6 /1", {"::/1"}, 0, UINT64_C(1) << 63, 0, UINT64_MAX},
	    {"all v6 saturates", {"::/0"}, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX},
	    {"all v6 in halves", {"::/1", "8000::/1"}, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct ipset *s = build(cases[i].specs);
		struct ip128 c4 = ipset_count(s, IPSET_V4), c6 = ipset_count(s, IPSET_V6);

		if (c4.hi != 0 || c4.lo != cases[i].v4)
			fail_msg("%s: v4 got %llu, want %llu", cases[i].name,
			         (unsigned long long)c4.lo, (unsigned long long)cases[i].v4);
		if (c6.hi != cases[i].v6hi || c6.lo != cases[i].v6lo)
			fail_msg("%s: v6 got %llx:%llx, want %llx:%llx", cases[i].name,
			         (unsigned long long)c6.hi, (unsigned long long)c6.lo,
			         (unsigned long long)cases[i].v6hi,
			         (unsigned long long)cases[i].v6lo);
		if (ipset_size(s) != cases[i].size)
			fail_msg("%s: size got %llu, want %llu", cases[i].name,
			         (unsigned long long)ipset_size(s),
			         (unsigned long long)cases[i].size);
		if (ipset_empty(s) != (cases[i].size == 0))
			fail_msg("%s: empty got %d", cases[i].name, ipset_empty(s));
		ipset_free(s);
	}
}

static void test_contains(void **state)
{
	static const char *const specs[] = {"10.0.0.0/8", "192.0.2.1-20",    "2001:db8::/32", "::1",
	                                    "0.0.0.0",    "255.255.255.255", "ffff::/16",     NULL};
	static const struct {
		const char *addr;
		int want;
	} cases[] = {
	    {"10.0.0.0", 1},
	    {"10.255.255.255", 1},
	    {"11.0.0.0", 0},
	    {"9.255.255.255", 0},
	    {"192.0.2.0", 0},
	    {"192.0.2.1", 1},
	    {"192.0.2.20", 1},
	    {"192.0.2.21", 0},
	    {"0.0.0.0", 1},
	    {"0.0.0.1", 0},
	    {"255.255.255.255", 1},
	    {"255.255.255.254", 0},
	    {"2001:db8::", 1},
	    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1},
	    {"2001:db9::", 0},
	    {"::1", 1},
	    {"::2", 0},
	    {"::", 0},
	    {"::ffff:10.0.0.1", 0}, /* v4-mapped is IPv6 */
	    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1},
	};
	struct ipset *s = build(specs);

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct ipset_addr a;

		if (ipset_addr_parse(cases[i].addr, &a) < 0)
			fail_msg("%s: does not parse", cases[i].addr);
		if (ipset_contains(s, &a) != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].addr, ipset_contains(s, &a),
			         cases[i].want);
	}
	ipset_free(s);
}

/*
 * Brute force over a small universe: 512 IPv4 addresses 10.0.0.0/23 and
 * 512 IPv6 addresses 2001:db8::/119, as one bitmap of 1024 bits.
 */
#define U 1024

static void bit_addr(unsigned i, struct ipset_addr *a)
{
	if (i < U / 2) {
		a->fam = IPSET_V4;
		a->v = (struct ip128){0, 0x0a000000u + i};
	} else {
		a->fam = IPSET_V6;
		a->v = (struct ip128){UINT64_C(0x20010db800000000), i - U / 2};
	}
}

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	/* splitmix64: deterministic, seeded per test */
	uint64_t z = (rnd_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

struct rr {
	unsigned lo, hi; /* bit indexes, same half */
};

static void rand_ranges(struct rr *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned half = (unsigned)(rnd() % 2) * (U / 2);
		unsigned lo = (unsigned)(rnd() % (U / 2)), len = (unsigned)(rnd() % 40);

		if (rnd() % 4 == 0)
			len = 0;
		if (lo + len >= U / 2)
			len = U / 2 - 1 - lo;
		r[i] = (struct rr){half + lo, half + lo + len};
	}
}

static void add_rr(struct ipset *s, const struct rr *r, unsigned char *bits)
{
	struct ipset_addr a, b;
	struct ipset_range x;

	bit_addr(r->lo, &a);
	bit_addr(r->hi, &b);
	x = (struct ipset_range){a.fam, a.v, b.v};
	ipset_add(s, &x);
	if (bits)
		for (unsigned i = r->lo; i <= r->hi; i++)
			bits[i] = 1;
}

static void check_bits(struct ipset *s, const unsigned char *bits, const char *what)
{
	uint64_t want = 0, k = 0;

	for (unsigned i = 0; i < U; i++) {
		struct ipset_addr a, got;

		bit_addr(i, &a);
		if (ipset_contains(s, &a) != bits[i])
			fail_msg("%s: bit %u got %d, want %d", what, i, ipset_contains(s, &a),
			         bits[i]);
		if (!bits[i])
			continue;
		want++;
		/* ipset_nth walks the same addresses in the same order */
		if (ipset_nth(s, k, &got) < 0 || got.fam != a.fam || ip128_cmp(got.v, a.v))
			fail_msg("%s: nth(%llu) got another address than bit %u", what,
			         (unsigned long long)k, i);
		k++;
	}
	if (ipset_size(s) != want)
		fail_msg("%s: size got %llu, want %llu", what, (unsigned long long)ipset_size(s),
		         (unsigned long long)want);
	struct ipset_addr past;

	if (ipset_nth(s, want, &past) != -1)
		fail_msg("%s: nth(size) got an address, want -1", what);
}

/* the property nmap lacked: any order of the same inputs, the same set */
static void test_order_independent(void **state)
{
	(void)state;
	rnd_state = 42;
	for (int round = 0; round < 30; round++) {
		struct rr in[60];
		unsigned char bits[U] = {0};
		size_t n = 1 + (size_t)(rnd() % N(in));
		struct ipset *first = ipset_new();

		rand_ranges(in, n);
		for (size_t i = 0; i < n; i++)
			add_rr(first, &in[i], bits);
		check_bits(first, bits, "first order");
		for (int perm = 0; perm < 20; perm++) {
			struct ipset *s = ipset_new();

			for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
				size_t j = (size_t)(rnd() % (i + 1));
				struct rr t = in[i];

				in[i] = in[j];
				in[j] = t;
			}
			/* interleave adds with reads so normalisation happens midway too */
			for (size_t i = 0; i < n; i++) {
				add_rr(s, &in[i], NULL);
				if (rnd() % 8 == 0)
					(void)ipset_size(s);
			}
			if (!ipset_equal(s, first)) {
				char a[8192], b[8192];

				fail_msg("round %d perm %d: got %s, want %s", round, perm,
				         dump(s, a, sizeof(a)), dump(first, b, sizeof(b)));
			}
			check_bits(s, bits, "permuted");
			ipset_free(s);
		}
		ipset_free(first);
	}
}

static void test_arith_random(void **state)
{
	(void)state;
	rnd_state = 7;
	for (int round = 0; round < 200; round++) {
		struct rr ra[30], rb[30];
		unsigned char ba[U] = {0}, bb[U] = {0}, diff[U], both[U];
		size_t na = (size_t)(rnd() % N(ra)), nb = (size_t)(rnd() % N(rb));
		struct ipset *a = ipset_new(), *b = ipset_new(), *d, *x;

		rand_ranges(ra, na);
		rand_ranges(rb, nb);
		for (size_t i = 0; i < na; i++)
			add_rr(a, &ra[i], ba);
		for (size_t i = 0; i < nb; i++)
			add_rr(b, &rb[i], bb);
		for (unsigned i = 0; i < U; i++) {
			diff[i] = ba[i] && !bb[i];
			both[i] = ba[i] && bb[i];
		}
		d = ipset_copy(a);
		ipset_subtract(d, b);
		check_bits(d, diff, "a - b");
		x = ipset_copy(a);
		ipset_intersect(x, b);
		check_bits(x, both, "a & b");
		/* (a - b) and (a & b) partition a */
		ipset_add_set(d, x);
		if (!ipset_equal(d, a))
			fail_msg("round %d: (a-b) | (a&b) got a different set than a", round);
		check_bits(a, ba, "a unchanged");
		ipset_free(a);
		ipset_free(b);
		ipset_free(d);
		ipset_free(x);
	}
}

static void test_arith_edges(void **state)
{
	static const struct {
		const char *name;
		const char *a[4], *b[4];
		const char *minus, *and;
	} cases[] = {
	    {"all v6 minus top",
	     {"::/0"},
	     {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	     "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	    {"all v6 minus bottom",
	     {"::/0"},
	     {"::"},
	     "::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	     "::"},
	    {"all v4 minus rfc1918",
	     {"0.0.0.0/0"},
	     {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"},
	     "0.0.0.0-9.255.255.255,11.0.0.0-172.15.255.255,172.32.0.0-192.167.255.255,"
	     "192.169.0.0-255.255.255.255",
	     "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"},
	    {"hole punch",
	     {"192.0.2.0/24"},
	     {"192.0.2.128/25", "192.0.2.0"},
	     "192.0.2.1-192.0.2.127",
	     "192.0.2.0,192.0.2.128/25"},
	    {"disjoint families", {"192.0.2.0/24"}, {"::ffff:192.0.2.0/120"}, "192.0.2.0/24", ""},
	    {"empty b", {"2001:db8::/120"}, {NULL}, "2001:db8::/120", ""},
	    {"empty a", {NULL}, {"::/0"}, "", ""},
	    {"b covers a",
	     {"198.51.100.0/24", "2001:db8::/120"},
	     {"0.0.0.0/0", "::/0"},
	     "",
	     "198.51.100.0/24,2001:db8::/120"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct ipset *a = build(cases[i].a), *b = build(cases[i].b);
		struct ipset *d = ipset_copy(a), *x = ipset_copy(a);
		char got[512];

		ipset_subtract(d, b);
		ipset_intersect(x, b);
		if (strcmp(dump(d, got, sizeof(got)), cases[i].minus) != 0)
			fail_msg("%s: a-b got %s, want %s", cases[i].name, got, cases[i].minus);
		if (strcmp(dump(x, got, sizeof(got)), cases[i].and) != 0)
			fail_msg("%s: a&b got %s, want %s", cases[i].name, got, cases[i].and);
		ipset_free(a);
		ipset_free(b);
		ipset_free(d);
		ipset_free(x);
	}
}

static void test_nth_big(void **state)
{
	static const char *const specs[] = {"192.0.2.0/31", "2001:db8::/64", NULL};
	static const struct {
		uint64_t i;
		const char *want; /* NULL: -1 */
	} cases[] = {
	    {0, "192.0.2.0"},
	    {1, "192.0.2.1"},
	    {2, "2001:db8::"},
	    {3, "2001:db8::1"},
	    {UINT64_MAX, "2001:db8::ffff:ffff:ffff:fffd"},
	};
	struct ipset *s = build(specs);

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct ipset_addr a;
		char buf[64];
		int rc = ipset_nth(s, cases[i].i, &a);

		if (rc < 0 || strcmp(ipset_addr_text(&a, buf, sizeof(buf)), cases[i].want) != 0)
			fail_msg("nth(%llu): got %s, want %s", (unsigned long long)cases[i].i,
			         rc < 0 ? "-1" : buf, cases[i].want);
	}
	ipset_free(s);
}

static void test_sockaddr(void **state)
{
	static const char *const cases[] = {"192.0.2.7", "::1", "2001:db8::25", "::ffff:192.0.2.7",
	                                    "255.255.255.255"};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct ipset_addr a, back;
		struct sockaddr_storage ss;
		char buf[64];

		assert_int_equal(ipset_addr_parse(cases[i], &a), 0);
		socklen_t len = ipset_addr_to_sa(&a, 2525, &ss);

		if (len !=
		    (a.fam == IPSET_V4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)))
			fail_msg("%s: length got %u", cases[i], (unsigned)len);
		if (ipset_addr_from_sa((struct sockaddr *)&ss, &back) < 0 || back.fam != a.fam ||
		    ip128_cmp(back.v, a.v) ||
		    strcmp(ipset_addr_text(&back, buf, sizeof(buf)), cases[i]) != 0)
			fail_msg("%s: round trip got %s", cases[i], buf);
		if (ntohs(((struct sockaddr_in *)&ss)->sin_port) != 2525)
			fail_msg("%s: port lost", cases[i]);
	}
}

static void test_ip128(void **state)
{
	static const struct {
		struct ip128 a, b, sum;
	} cases[] = {
	    {{0, 1}, {0, 2}, {0, 3}},
	    {{0, UINT64_MAX}, {0, 1}, {1, 0}},
	    {{UINT64_MAX, UINT64_MAX}, {0, 1}, {UINT64_MAX, UINT64_MAX}},
	    {{UINT64_MAX, 0}, {1, 0}, {UINT64_MAX, UINT64_MAX}},
	    {{UINT64_MAX, 5}, {0, UINT64_MAX}, {UINT64_MAX, UINT64_MAX}},
	    {{UINT64_MAX - 1, 5}, {0, UINT64_MAX}, {UINT64_MAX, 4}},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct ip128 got = ip128_add(cases[i].a, cases[i].b);

		if (ip128_cmp(got, cases[i].sum) != 0)
			fail_msg("case %zu: got %llx:%llx, want %llx:%llx", i,
			         (unsigned long long)got.hi, (unsigned long long)got.lo,
			         (unsigned long long)cases[i].sum.hi,
			         (unsigned long long)cases[i].sum.lo);
	}
}

/* a list as the config's scope holds it; the bad spec is named */
static void test_add_list(void **state)
{
	struct ipset *s = ipset_new();
	struct ipset_addr a;
	char bad[64] = "";

	(void)state;
	assert_null(
	    ipset_add_list(s, "192.0.2.0/24, 198.51.100.7\t2001:db8::/126", bad, sizeof(bad)));
	assert_int_equal(ipset_size(s), 256 + 1 + 4);
	assert_int_equal(ipset_addr_parse("198.51.100.7", &a), 0);
	assert_true(ipset_contains(s, &a));
	assert_non_null(ipset_add_list(s, "10.0.0.1, nope, 10.0.0.2", bad, sizeof(bad)));
	assert_string_equal(bad, "nope");
	ipset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_count),
	    cmocka_unit_test(test_contains),
	    cmocka_unit_test(test_order_independent),
	    cmocka_unit_test(test_arith_random),
	    cmocka_unit_test(test_arith_edges),
	    cmocka_unit_test(test_nth_big),
	    cmocka_unit_test(test_sockaddr),
	    cmocka_unit_test(test_ip128),
	    cmocka_unit_test(test_add_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
