/*
 * test_permute - the scan order: every index exactly once, the same order
 * for the same seed, exact resume from any saved position, shards that
 * cover the space once, and consecutive targets in different /24s
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/limits.h"
#include "../../src/scan/permute.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* walk - run pm to the end into out[] (at most max); returns the count */
static uint64_t walk(struct permute *pm, uint64_t *out, uint64_t max)
{
	uint64_t i = 0, idx;

	while (permute_next(pm, &idx) == 0) {
		if (i == max)
			fail_msg("more than %llu indexes", (unsigned long long)max);
		out[i++] = idx;
	}
	return i;
}

/* check_once - each index of [0, n) appears exactly once in got[0..len) */
static void check_once(const char *name, uint64_t n, const uint64_t *got, uint64_t len)
{
	unsigned char *seen = calloc(n ? n : 1, 1);

	assert_non_null(seen);
	if (len != n)
		fail_msg("%s n=%llu: got %llu indexes, want %llu", name, (unsigned long long)n,
		         (unsigned long long)len, (unsigned long long)n);
	for (uint64_t i = 0; i < len; i++) {
		if (got[i] >= n)
			fail_msg("%s n=%llu: got index %llu, want < n", name, (unsigned long long)n,
			         (unsigned long long)got[i]);
		if (seen[got[i]]++)
			fail_msg("%s n=%llu: got index %llu twice, want once", name,
			         (unsigned long long)n, (unsigned long long)got[i]);
	}
	free(seen);
}

static const uint64_t sizes[] = {0,     1,     2,     3,      255,    256,    1000,   4099,
                                 65536, 65537, 77777, 131071, 524287, 999983, 1000000};

/* test_cover - every size, several seeds: each index once, then done for good */
static void test_cover(void **state)
{
	static const uint64_t seeds[] = {0, 1, 0xdeadbeefcafeULL};
	uint64_t *got = malloc(sizeof(uint64_t) * 1000000);

	(void)state;
	assert_non_null(got);
	for (size_t i = 0; i < NELEM(sizes); i++) {
		for (size_t j = 0; j < NELEM(seeds); j++) {
			struct permute pm;
			uint64_t idx;
			char name[64];

			if (sizes[i] > 100000 && j > 0)
				continue; /* one seed is enough for the big ones */
			snprintf(name, sizeof(name), "seed=%llu", (unsigned long long)seeds[j]);
			assert_null(permute_init(&pm, sizes[i], seeds[j]));
			check_once(name, sizes[i], got, walk(&pm, got, 1000000));
			if (permute_next(&pm, &idx) != 1)
				fail_msg("%s n=%llu: got more after done, want done", name,
				         (unsigned long long)sizes[i]);
			if (permute_emitted(&pm) != sizes[i])
				fail_msg("%s n=%llu: got emitted %llu, want n", name,
				         (unsigned long long)sizes[i],
				         (unsigned long long)permute_emitted(&pm));
		}
	}
	free(got);
}

/* test_prime - the group is the smallest usable prime above n */
static void test_prime(void **state)
{
	static const struct {
		uint64_t n, want;
	} cases[] = {
	    {0, 2},
	    {1, 2},
	    {2, 3},
	    {3, 5},
	    {255, 257},
	    {256, 257},
	    {1000, 1009},
	    {65536, 65537},
	    {1000000, 1000003},
	    {1ULL << 24, 16777259},
	    {1ULL << 32, 4294967311ULL},
	    {1ULL << 48, 281474976710677ULL},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct permute pm;

		assert_null(permute_init(&pm, cases[i].n, 7));
		if (pm.prime != cases[i].want)
			fail_msg("n=%llu: got p=%llu, want %llu", (unsigned long long)cases[i].n,
			         (unsigned long long)pm.prime, (unsigned long long)cases[i].want);
	}
}

/* test_huge - 2^48 indexes: init is cheap, the walk starts with distinct
 * indexes below n, and a resume deep in the cycle is checked */
static void test_huge(void **state)
{
	struct permute pm, again;
	uint64_t n = RW_SCAN_SPACE_MAX, got[4096];

	(void)state;
	assert_null(permute_init(&pm, n, 42));
	for (size_t i = 0; i < NELEM(got); i++) {
		assert_int_equal(permute_next(&pm, &got[i]), 0);
		if (got[i] >= n)
			fail_msg("got index %llu, want < 2^48", (unsigned long long)got[i]);
		for (size_t j = 0; j < i; j++)
			if (got[j] == got[i])
				fail_msg("got index %llu twice in %zu", (unsigned long long)got[i],
				         i);
	}
	struct permute_pos pos = permute_state(&pm);
	assert_null(permute_resume(&again, n, 42, &pos));
	for (int i = 0; i < 100; i++) {
		uint64_t a, b;

		assert_int_equal(permute_next(&pm, &a), 0);
		assert_int_equal(permute_next(&again, &b), 0);
		assert_int_equal(a, b);
	}
	assert_non_null(permute_init(&pm, n + 1, 42));
}

/* order - the whole order of n under seed into a fresh array */
static uint64_t *order(uint64_t n, uint64_t seed, uint32_t shard, uint32_t shards, uint64_t *len)
{
	struct permute pm;
	uint64_t *out = malloc(sizeof(uint64_t) * (n + 1));

	assert_non_null(out);
	assert_null(permute_init(&pm, n, seed));
	assert_null(permute_shard(&pm, shard, shards));
	*len = walk(&pm, out, n);
	return out;
}

/* test_seed - the same seed gives the same order, another seed another one */
static void test_seed(void **state)
{
	static const uint64_t seeds[] = {0, 1, 2, 3, 1000, 0xffffffffffffffffULL};
	static const uint64_t ns[] = {1000, 65536};

	(void)state;
	for (size_t k = 0; k < NELEM(ns); k++) {
		uint64_t *o[NELEM(seeds)], len;

		for (size_t i = 0; i < NELEM(seeds); i++) {
			uint64_t *again;

			o[i] = order(ns[k], seeds[i], 0, 1, &len);
			again = order(ns[k], seeds[i], 0, 1, &len);
			if (memcmp(o[i], again, sizeof(uint64_t) * len) != 0)
				fail_msg("n=%llu seed=%llu: got two orders, want one",
				         (unsigned long long)ns[k], (unsigned long long)seeds[i]);
			free(again);
		}
		for (size_t i = 0; i < NELEM(seeds); i++)
			for (size_t j = i + 1; j < NELEM(seeds); j++)
				if (memcmp(o[i], o[j], sizeof(uint64_t) * len) == 0)
					fail_msg("n=%llu seeds %llu and %llu: got the same order, "
					         "want different",
					         (unsigned long long)ns[k],
					         (unsigned long long)seeds[i],
					         (unsigned long long)seeds[j]);
		for (size_t i = 0; i < NELEM(seeds); i++)
			free(o[i]);
	}
}

/* test_resume - from every saved position (sampled for big n) the resumed
 * iterator hands out exactly the remainder, shards included */
static void test_resume(void **state)
{
	static const struct {
		uint64_t n;
		uint32_t shard, shards;
		uint64_t every; /* save every this many indexes */
	} cases[] = {
	    {1, 0, 1, 1},    {3, 0, 1, 1},       {256, 0, 1, 1},    {1000, 0, 1, 1},
	    {1000, 2, 3, 1}, {65536, 0, 1, 997}, {65536, 5, 8, 97}, {999983, 0, 1, 99991},
	};

	(void)state;
	for (size_t c = 0; c < NELEM(cases); c++) {
		uint64_t n = cases[c].n, len, *all;
		struct permute pm;

		all = order(n, 99, cases[c].shard, cases[c].shards, &len);
		assert_null(permute_init(&pm, n, 99));
		assert_null(permute_shard(&pm, cases[c].shard, cases[c].shards));
		for (uint64_t k = 0; k <= len; k++) {
			uint64_t idx;

			if (k % cases[c].every == 0 || k == len) {
				struct permute_pos pos = permute_state(&pm);
				struct permute r;
				uint64_t i = k;
				const char *err = permute_resume(&r, n, 99, &pos);

				if (err)
					fail_msg("n=%llu at %llu: got %s, want resumed",
					         (unsigned long long)n, (unsigned long long)k, err);
				while (permute_next(&r, &idx) == 0) {
					if (i >= len || idx != all[i])
						fail_msg(
						    "n=%llu resumed at %llu: got %llu at %llu, "
						    "want %llu",
						    (unsigned long long)n, (unsigned long long)k,
						    (unsigned long long)idx, (unsigned long long)i,
						    i < len ? (unsigned long long)all[i] : 0ULL);
					i++;
				}
				if (i != len)
					fail_msg(
					    "n=%llu resumed at %llu: got %llu indexes, want %llu",
					    (unsigned long long)n, (unsigned long long)k,
					    (unsigned long long)i, (unsigned long long)len);
				if (permute_emitted(&r) != len)
					fail_msg(
					    "n=%llu resumed at %llu: got emitted %llu, want %llu",
					    (unsigned long long)n, (unsigned long long)k,
					    (unsigned long long)permute_emitted(&r),
					    (unsigned long long)len);
			}
			if (k < len)
				assert_int_equal(permute_next(&pm, &idx), 0);
		}
		free(all);
	}
}

/* test_resume_refused - a position from another n, seed or shard, or a
 * corrupted one, is refused rather than silently scanning another order */
static void test_resume_refused(void **state)
{
	struct permute pm, r;
	struct permute_pos pos;
	uint64_t idx;

	(void)state;
	assert_null(permute_init(&pm, 65536, 5));
	for (int i = 0; i < 1000; i++)
		assert_int_equal(permute_next(&pm, &idx), 0);
	pos = permute_state(&pm);

	static const struct {
		const char *name;
		uint64_t n, seed, dstep, delem, demitted;
		uint32_t shard, shards;
	} cases[] = {
	    {"other seed", 65536, 6, 0, 0, 0, 0, 1},
	    {"other n", 65000, 5, 0, 0, 0, 0, 1},
	    {"step moved", 65536, 5, 1, 0, 0, 0, 1},
	    {"element changed", 65536, 5, 0, 1, 0, 0, 1},
	    {"emitted past steps", 65536, 5, 0, 0, 1000000, 0, 1},
	    {"step past the end", 65536, 5, 1ULL << 40, 0, 0, 0, 1},
	    {"shard out of range", 65536, 5, 0, 0, 0, 3, 3},
	    {"shards zero", 65536, 5, 0, 0, 0, 0, 0},
	    {"shard without shards", 65536, 5, 0, 0, 0, 1, 1},
	    {"other shard", 65536, 5, 0, 0, 0, 1, 2},
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct permute_pos bad = pos;

		bad.step += cases[i].dstep;
		bad.elem += cases[i].delem;
		bad.emitted += cases[i].demitted;
		bad.shard = cases[i].shard;
		bad.shards = cases[i].shards;
		if (permute_resume(&r, cases[i].n, cases[i].seed, &bad) == NULL)
			fail_msg("%s: got resumed, want an error", cases[i].name);
	}
	assert_null(permute_resume(&r, 65536, 5, &pos));
}

/* test_shards - K shards of one order cover [0, n) exactly once, and each
 * shard is a contiguous slice of the unsharded cycle */
static void test_shards(void **state)
{
	static const uint64_t ns[] = {1, 2, 1000, 65536, 77777};
	static const uint32_t ks[] = {1, 2, 3, 7, 64};

	(void)state;
	for (size_t a = 0; a < NELEM(ns); a++) {
		for (size_t b = 0; b < NELEM(ks); b++) {
			uint64_t n = ns[a], len, total = 0, *whole = order(n, 3, 0, 1, &len);
			uint64_t *got = malloc(sizeof(uint64_t) * (n + 1));
			char name[64];

			assert_non_null(got);
			for (uint32_t k = 0; k < ks[b]; k++) {
				uint64_t *part = order(n, 3, k, ks[b], &len);

				if (total + len > n)
					fail_msg("n=%llu K=%u: got more than n indexes",
					         (unsigned long long)n, ks[b]);
				/* concatenated in shard order, the slices are the whole order */
				if (memcmp(part, whole + total, sizeof(uint64_t) * len) != 0)
					fail_msg("n=%llu shard %u/%u: got another slice, want the "
					         "cycle's",
					         (unsigned long long)n, k, ks[b]);
				memcpy(got + total, part, sizeof(uint64_t) * len);
				total += len;
				free(part);
			}
			snprintf(name, sizeof(name), "K=%u", ks[b]);
			check_once(name, n, got, total);
			free(got);
			free(whole);
		}
	}

	struct permute pm;
	uint64_t idx;

	assert_null(permute_init(&pm, 100, 1));
	assert_non_null(permute_shard(&pm, 2, 2));
	assert_non_null(permute_shard(&pm, 0, 0));
	assert_int_equal(permute_next(&pm, &idx), 0);
	assert_non_null(permute_shard(&pm, 0, 2));
}

/* test_spread - consecutive indexes of a /16 rarely share a /24 (index/256),
 * and the order is not near the identity */
static void test_spread(void **state)
{
	static const uint64_t seeds[] = {0, 1, 2, 7, 12345, 0xfeedfaceULL};
	const uint64_t n = 65536;

	(void)state;
	for (size_t s = 0; s < NELEM(seeds); s++) {
		uint64_t len, same = 0, ascending = 0;
		uint64_t *o = order(n, seeds[s], 0, 1, &len);

		for (uint64_t i = 1; i < len; i++) {
			same += o[i] / 256 == o[i - 1] / 256;
			ascending += o[i] > o[i - 1];
		}
		print_message("seed=%llu: %llu of %llu consecutive pairs share a /24 (%.3f%%)\n",
		              (unsigned long long)seeds[s], (unsigned long long)same,
		              (unsigned long long)(len - 1), 100.0 * same / (len - 1));
		if (same * 100 >= len - 1)
			fail_msg("seed=%llu: got %llu pairs in one /24, want under 1%% of %llu",
			         (unsigned long long)seeds[s], (unsigned long long)same,
			         (unsigned long long)(len - 1));
		/* a random order ascends half the time; a walk by a tiny generator
		 * or through a near-identity would not */
		if (ascending < len * 45 / 100 || ascending > len * 55 / 100)
			fail_msg("seed=%llu: got %llu ascending steps, want about half of %llu",
			         (unsigned long long)seeds[s], (unsigned long long)ascending,
			         (unsigned long long)len);
		free(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cover),  cmocka_unit_test(test_prime),
	    cmocka_unit_test(test_huge),   cmocka_unit_test(test_seed),
	    cmocka_unit_test(test_resume), cmocka_unit_test(test_resume_refused),
	    cmocka_unit_test(test_shards), cmocka_unit_test(test_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
