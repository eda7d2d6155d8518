/*
 * test_ratelimit - the token bucket over simulated seconds (totals, bursts,
 * no window above the rate, exact waits) and the per-subnet limiter (caps,
 * release, a full table, /24 and /64 grouping, a model check)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/core/limits.h"
#include "../../src/core/netaddr.h"
#include "../../src/scan/ratelimit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	uint64_t rate, burst, ms;
	uint64_t want; /* taken by a greedy taker polling every ms in [0, ms) */
} rates[] = {
    {"1/s", 1, 1, 10000, 10},
    {"10/s", 10, 1, 10000, 100},
    {"7/s burst 3", 7, 3, 10000, 72},
    {"100/s burst 10", 100, 10, 10000, 1009},
    {"1000/s", 1000, 1, 10000, 10000},
    {"2500/s burst 5", 2500, 5, 10000, 25002},
    {"1/s burst 50", 1, 50, 5000, 54},
    /* each ms refills 3 tokens into a bucket of 2: one is lost every ms */
    {"3000/s burst 2", 3000, 2, 1000, 2000},
};

/* test_bucket_rate - totals over simulated seconds, and no window of any
 * length holds more than burst + rate * length */
static void test_bucket_rate(void **state)
{
	static const uint64_t windows[] = {1, 2, 10, 100, 333, 999, 1000, 1001, 2500};

	(void)state;
	for (size_t c = 0; c < NELEM(rates); c++) {
		uint64_t ms = rates[c].ms, total = 0;
		uint64_t *sum = calloc(ms + 1, sizeof(uint64_t)); /* taken before t */
		struct bucket b;

		assert_non_null(sum);
		bucket_init(&b, rates[c].rate, rates[c].burst, 0);
		for (uint64_t t = 0; t < ms; t++) {
			while (bucket_take(&b, t))
				total++;
			sum[t + 1] = total;
		}
		if (total != rates[c].want)
			fail_msg("%s: got %llu taken in %llu ms, want %llu", rates[c].name,
			         (unsigned long long)total, (unsigned long long)ms,
			         (unsigned long long)rates[c].want);
		for (size_t w = 0; w < NELEM(windows); w++) {
			uint64_t len = windows[w];
			/* takes at times t .. t+len-1: len-1 ms of refill after a full bucket */
			uint64_t max = (rates[c].burst * 1000 + rates[c].rate * (len - 1)) / 1000;

			for (uint64_t t = 0; t + len <= ms; t++)
				if (sum[t + len] - sum[t] > max)
					fail_msg("%s: got %llu taken in %llu ms from %llu, want at "
					         "most %llu",
					         rates[c].name,
					         (unsigned long long)(sum[t + len] - sum[t]),
					         (unsigned long long)len, (unsigned long long)t,
					         (unsigned long long)max);
		}
		free(sum);
	}
}

/* test_bucket_wait - a scheduler that sleeps bucket_wait_ms() finds a token
 * then, and not a millisecond earlier */
static void test_bucket_wait(void **state)
{
	(void)state;
	for (size_t c = 0; c < NELEM(rates); c++) {
		struct bucket b, early;
		uint64_t now = 0, taken = 0;

		bucket_init(&b, rates[c].rate, rates[c].burst, 0);
		while (now < rates[c].ms) {
			uint64_t w = bucket_wait_ms(&b, now);

			if (w > 0) {
				early = b;
				if (bucket_take(&early, now + w - 1))
					fail_msg(
					    "%s at %llu: got a token at wait-1 = %llu, want none",
					    rates[c].name, (unsigned long long)now,
					    (unsigned long long)(w - 1));
			}
			now += w;
			if (!bucket_take(&b, now))
				fail_msg("%s at %llu: got no token after waiting %llu ms",
				         rates[c].name, (unsigned long long)now,
				         (unsigned long long)w);
			if (now < rates[c].ms)
				taken++;
		}
		/* sleeping exactly as told loses nothing against polling every ms */
		if (taken != rates[c].want)
			fail_msg("%s: got %llu taken by waiting, want %llu", rates[c].name,
			         (unsigned long long)taken, (unsigned long long)rates[c].want);
	}
}

/* test_bucket_burst - idle time refills to burst and no further; the clock
 * going back adds nothing; rate 0 is no limit; huge values do not wrap */
static void test_bucket_burst(void **state)
{
	struct bucket b;
	int n;

	(void)state;
	bucket_init(&b, 10, 5, 1000);
	for (n = 0; bucket_take(&b, 1000); n++)
		;
	assert_int_equal(n, 5);
	for (n = 0; bucket_take(&b, 1000 + 3600 * 1000); n++)
		;
	assert_int_equal(n, 5); /* an idle hour is still a burst of 5 */
	assert_int_equal(bucket_wait_ms(&b, 3601000), 100);
	assert_int_equal(bucket_take(&b, 3600999), 0); /* clock went back 1 ms */
	assert_int_equal(bucket_wait_ms(&b, 3600999), 101);
	assert_int_equal(bucket_take(&b, 3601099), 0);
	assert_int_equal(bucket_take(&b, 3601100), 1);

	bucket_init(&b, 0, 1, 0);
	for (n = 0; n < 100000; n++)
		assert_int_equal(bucket_take(&b, 0), 1);
	assert_int_equal(bucket_wait_ms(&b, 0), 0);

	bucket_init(&b, 0, 0, 0); /* burst 0 means 1 */
	assert_int_equal(b.burst, 1);

	bucket_init(&b, UINT64_MAX, UINT64_MAX, 0);
	assert_int_equal(bucket_take(&b, UINT64_MAX), 1);
	assert_true(b.milli <= b.burst * 1000);
	bucket_init(&b, 1, 1, 0);
	assert_int_equal(bucket_take(&b, 0), 1);
	assert_int_equal(bucket_wait_ms(&b, 0), 1000);
	assert_int_equal(bucket_take(&b, UINT64_MAX), 1);
	assert_int_equal(bucket_take(&b, UINT64_MAX), 0);
}

/* sa - a numeric address as a sockaddr (static storage per slot) */
static const struct sockaddr *sa(const char *addr)
{
	static struct sockaddr_storage ss[4];
	static int next;
	socklen_t len;
	struct sockaddr_storage *s = &ss[next++ % 4];

	if (netaddr_numeric(addr, 25, s, &len) != 0)
		fail_msg("%s: not a numeric address", addr);
	return (const struct sockaddr *)s;
}

enum op { ACQ, REL };

struct step {
	enum op op;
	const char *addr;
	enum subnet_status want; /* for ACQ */
	unsigned inflight;       /* in the address's subnet afterwards */
};

static const char *status_name[] = {
    [SUBNET_OK] = "ok",
    [SUBNET_BUSY] = "busy",
    [SUBNET_FULL] = "full",
    [SUBNET_BADADDR] = "badaddr",
};

/* run_script - apply steps to a fresh table, checking each */
static void run_script(const char *name, const struct subnet_limits *l, const struct step *s,
                       size_t n, size_t want_subnets)
{
	struct subnet_table *t = subnet_new(l);

	for (size_t i = 0; i < n; i++) {
		if (s[i].op == ACQ) {
			enum subnet_status got = subnet_acquire(t, sa(s[i].addr));

			if (got != s[i].want)
				fail_msg("%s step %zu acquire %s: got %s, want %s", name, i,
				         s[i].addr, status_name[got], status_name[s[i].want]);
		} else {
			subnet_release(t, sa(s[i].addr));
		}
		if (subnet_inflight(t, sa(s[i].addr)) != s[i].inflight)
			fail_msg("%s step %zu %s: got %u in flight, want %u", name, i, s[i].addr,
			         subnet_inflight(t, sa(s[i].addr)), s[i].inflight);
	}
	if (subnet_count(t) != want_subnets)
		fail_msg("%s: got %zu subnets, want %zu", name, subnet_count(t), want_subnets);
	t = subnet_free(t);
	assert_null(t);
}

/* test_subnet_cap - per-subnet caps, release and re-acquire, /24 and /64 */
static void test_subnet_cap(void **state)
{
	static const struct step v4[] = {
	    {ACQ, "192.0.2.1", SUBNET_OK, 1},
	    {ACQ, "192.0.2.200", SUBNET_OK, 2},
	    {ACQ, "192.0.2.7", SUBNET_BUSY, 2},
	    {ACQ, "192.0.3.7", SUBNET_OK, 1},   /* the next /24 */
	    {ACQ, "192.0.1.255", SUBNET_OK, 1}, /* the one before */
	    {REL, "192.0.2.1", 0, 1},
	    {ACQ, "192.0.2.9", SUBNET_OK, 2}, /* a slot again */
	    {ACQ, "192.0.2.10", SUBNET_BUSY, 2},
	    {ACQ, "::ffff:192.0.2.99", SUBNET_BUSY, 2}, /* IPv4-mapped counts as IPv4 */
	    {REL, "192.0.2.200", 0, 1},
	    {REL, "192.0.2.9", 0, 0},
	    {REL, "192.0.3.7", 0, 0},
	    {ACQ, "0.0.0.1", SUBNET_OK, 1},
	    {ACQ, "::1", SUBNET_OK, 1}, /* prefix 0 too, but IPv6: another subnet */
	};
	static const struct step v6[] = {
	    {ACQ, "2001:db8:0:1::1", SUBNET_OK, 1},
	    {ACQ, "2001:db8:0:1:ffff:ffff:ffff:ffff", SUBNET_OK, 2},
	    {ACQ, "2001:db8:0:1:8000::25", SUBNET_BUSY, 2},
	    {ACQ, "2001:db8:0:2::1", SUBNET_OK, 1},
	    {ACQ, "2001:db8:0:0:ffff::1", SUBNET_OK, 1},
	    {ACQ, "2001:db9:0:1::1", SUBNET_OK, 1},
	    {REL, "2001:db8:0:1::1", 0, 1},
	    {ACQ, "2001:db8:0:1::2", SUBNET_OK, 2},
	    {REL, "2001:db8:0:1::3", 0, 1}, /* any address of the subnet releases */
	};
	struct subnet_limits l;

	(void)state;
	subnet_limits_defaults(&l);
	assert_int_equal(l.per_subnet, RW_SCAN_PER_SUBNET);
	assert_int_equal(l.v4_prefix, 24);
	assert_int_equal(l.v6_prefix, 64);
	l.per_subnet = 2;
	run_script("ipv4 /24", &l, v4, NELEM(v4), 3);
	run_script("ipv6 /64", &l, v6, NELEM(v6), 4);
}

/* test_subnet_prefix - other subnet sizes, and per_subnet 0 (no limit) */
static void test_subnet_prefix(void **state)
{
	static const struct step wide[] = {
	    {ACQ, "198.51.0.1", SUBNET_OK, 1},
	    {ACQ, "198.51.255.1", SUBNET_BUSY, 1}, /* same /16 */
	    {ACQ, "198.52.0.1", SUBNET_OK, 1},
	    {ACQ, "2001:db8:0:ffff::1", SUBNET_OK, 1},
	    {ACQ, "2001:db8:0:1::1", SUBNET_BUSY, 1}, /* same /48 */
	    {ACQ, "2001:db8:1::1", SUBNET_OK, 1},
	};
	static const struct step host[] = {
	    {ACQ, "203.0.113.1", SUBNET_OK, 1},
	    {ACQ, "203.0.113.1", SUBNET_BUSY, 1},
	    {ACQ, "203.0.113.2", SUBNET_OK, 1}, /* /32: per host */
	};
	static const struct step none[] = {
	    {ACQ, "203.0.113.1", SUBNET_OK, 0},
	    {ACQ, "203.0.113.1", SUBNET_OK, 0},
	    {REL, "203.0.113.1", 0, 0},
	};
	struct subnet_limits l = {
	    .per_subnet = 1, .v4_prefix = 16, .v6_prefix = 48, .max_subnets = 16};

	(void)state;
	run_script("ipv4 /16, ipv6 /48", &l, wide, NELEM(wide), 4);
	l.v4_prefix = 32;
	run_script("ipv4 /32", &l, host, NELEM(host), 2);
	l.per_subnet = 0;
	run_script("no limit", &l, none, NELEM(none), 0);
}

/* test_subnet_full - a full table refuses new subnets (fail safe) but still
 * admits into subnets it tracks, and takes new ones once one empties */
static void test_subnet_full(void **state)
{
	static const struct step s[] = {
	    {ACQ, "10.0.0.1", SUBNET_OK, 1},   {ACQ, "10.0.1.1", SUBNET_OK, 1},
	    {ACQ, "10.0.2.1", SUBNET_OK, 1},   {ACQ, "2001:db8::1", SUBNET_FULL, 0},
	    {ACQ, "10.0.3.1", SUBNET_FULL, 0}, {ACQ, "10.0.0.2", SUBNET_OK, 2},
	    {REL, "10.0.1.1", 0, 0},           {ACQ, "10.0.3.1", SUBNET_OK, 1},
	    {ACQ, "10.0.4.1", SUBNET_FULL, 0},
	};
	struct subnet_limits l = {
	    .per_subnet = 2, .v4_prefix = 24, .v6_prefix = 64, .max_subnets = 3};
	struct subnet_table *t;
	struct sockaddr bad = {.sa_family = AF_UNIX};

	(void)state;
	run_script("3 subnets", &l, s, NELEM(s), 3);
	l.max_subnets = 0;
	t = subnet_new(&l);
	assert_int_equal(subnet_acquire(t, sa("10.0.0.1")), SUBNET_FULL);
	assert_int_equal(subnet_acquire(t, &bad), SUBNET_BADADDR);
	subnet_free(t);
	assert_null(subnet_free(NULL));
}

/* test_subnet_model - random acquire/release on a crowded small table
 * agrees with a plain array, so deletion never loses a probe chain */
static void test_subnet_model(void **state)
{
	enum { SUBNETS = 300, TRACK = 200, PER = 3, OPS = 200000 };
	static unsigned model[SUBNETS];
	struct subnet_limits l = {
	    .per_subnet = PER, .v4_prefix = 24, .v6_prefix = 64, .max_subnets = TRACK};
	struct subnet_table *t = subnet_new(&l);
	uint64_t x = 88172645463325252ULL; /* xorshift64 */
	size_t used = 0;

	(void)state;
	memset(model, 0, sizeof(model));
	for (int i = 0; i < OPS; i++) {
		char addr[64];
		unsigned k;
		enum subnet_status got, want;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (unsigned)(x % SUBNETS);
		/* even subnets IPv4 /24s, odd ones IPv6 /64s */
		if (k % 2)
			snprintf(addr, sizeof(addr), "2001:db8:%x:%x::%x", k / 256, k % 256,
			         (unsigned)(x >> 40) & 0xffff);
		else
			snprintf(addr, sizeof(addr), "10.%u.%u.%u", k / 256, k % 256,
			         (unsigned)(x >> 40) & 0xff);
		if ((x >> 20) % 2 && model[k] > 0) {
			subnet_release(t, sa(addr));
			if (--model[k] == 0)
				used--;
		} else {
			want = model[k] >= PER                  ? SUBNET_BUSY
			       : model[k] == 0 && used >= TRACK ? SUBNET_FULL
			                                        : SUBNET_OK;
			got = subnet_acquire(t, sa(addr));
			if (got != want)
				fail_msg("op %d acquire %s: got %s, want %s", i, addr,
				         status_name[got], status_name[want]);
			if (got == SUBNET_OK && model[k]++ == 0)
				used++;
		}
		if (subnet_inflight(t, sa(addr)) != model[k])
			fail_msg("op %d %s: got %u in flight, want %u", i, addr,
			         subnet_inflight(t, sa(addr)), model[k]);
		if (subnet_count(t) != used)
			fail_msg("op %d: got %zu subnets, want %zu", i, subnet_count(t), used);
	}
	subnet_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket_rate),   cmocka_unit_test(test_bucket_wait),
	    cmocka_unit_test(test_bucket_burst),  cmocka_unit_test(test_subnet_cap),
	    cmocka_unit_test(test_subnet_prefix), cmocka_unit_test(test_subnet_full),
	    cmocka_unit_test(test_subnet_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
