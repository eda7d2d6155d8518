/*
 * test_sched - the scan scheduler: every target handed out once, never an
 * excluded or out-of-scope one, concurrency/rate/subnet limits held, one
 * retry after its delay, the low-water mark, and a resume that hands out
 * exactly what the interrupted run had not finished
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/scan/sched.h"

/* space - a targets object holding the given specs (on --ports) */
static struct targets *space(const char *const *specs, size_t n)
{
	struct targets *t = targets_new();

	for (size_t i = 0; i < n; i++) {
		struct ipset_range r;

		assert_null(ipset_range_parse(specs[i], &r));
		assert_null(targets_add(t, &r, 0));
	}
	return t;
}

/* key - address and port as one number (IPv4 only here) */
static uint64_t key(const struct sched_item *it)
{
	return (it->addr.v.lo << 16) | it->port;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* run - drive s like the scan loop, ending each session at once; keys of
 * the items handed out into got; stops after `stop_after` items when not 0
 * (the rest stays unfinished, as after kill -9) */
static size_t run(struct sched *s, uint64_t *got, size_t max, size_t stop_after)
{
	struct sched_item it;
	uint64_t wait, now = 1000;
	size_t n = 0;
	int steps = 0;

	for (;;) {
		enum sched_step st = sched_next(s, now, &it, &wait);

		assert_true(++steps < 1000000);
		if (st == SCHED_DONE)
			break;
		if (st == SCHED_WAIT) {
			now += wait;
			continue;
		}
		assert_int_equal(st, SCHED_GO);
		assert_true(n < max);
		got[n++] = key(&it);
		sched_end(s, &it);
		sched_final(s, &it);
		if (stop_after && n == stop_after)
			break;
	}
	return n;
}

static struct sched_config base_config(struct targets *t, const struct targets_ports *p)
{
	struct sched_config c = {.targets = t, .ports = p, .seed = 7, .concurrency = 100};

	subnet_limits_defaults(&c.subnet);
	c.subnet.per_subnet = 0;
	return c;
}

/* every address x port once, for several sizes */
static void test_covers_once(void **state)
{
	const char *sizes[] = {"10.0.0.1", "10.0.0.0/30", "10.0.0.0/24", "10.1.0.0/20"};
	struct targets_ports ports = {.n = 2, .port = {25, 587}};

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct targets *t = space(&sizes[k], 1);
		struct sched_config c = base_config(t, &ports);
		const char *err;
		struct sched *s = sched_new(&c, &err);
		struct sched_stats st;
		uint64_t *got = calloc(2 * 4096, sizeof(*got));
		size_t n;

		assert_non_null(s);
		n = run(s, got, 2 * 4096, 0);
		sched_stats(s, &st);
		assert_int_equal(n, st.total);
		qsort(got, n, sizeof(*got), cmp_u64);
		for (size_t i = 1; i < n; i++)
			assert_true(got[i] != got[i - 1]);
		assert_int_equal(sched_low_water(s), st.total);
		free(got);
		sched_free(s);
		targets_free(t);
	}
}

/* shards: the slices together hand out every address x port exactly once;
 * a slice resumed from its low-water mark after a stop hands out the rest
 * of its own part only */
static void test_shards(void **state)
{
	const char *spec = "10.1.0.0/22";
	struct targets *t = space(&spec, 1);
	struct targets_ports ports = {.n = 2, .port = {25, 587}};
	const uint32_t K = 5;
	size_t cap = 2 * 1024, n = 0;
	uint64_t *got = calloc(2 * cap, sizeof(*got));

	(void)state;
	for (uint32_t k = 0; k < K; k++) {
		struct sched_config c = base_config(t, &ports);
		const char *err;
		struct sched *s;
		size_t first, mine;
		uint64_t lw;

		c.shard = k;
		c.shards = K;
		s = sched_new(&c, &err);
		assert_non_null(s);
		/* stop a third of the way (as a lost lease would), resume from the mark */
		first = run(s, got + n, 2 * cap - n, 130);
		lw = sched_low_water(s);
		assert_int_equal(lw, first);
		sched_free(s);
		s = sched_new(&c, &err);
		sched_skip_before(s, lw);
		mine = run(s, got + n + first, 2 * cap - n - first, 0);
		assert_true(first + mine > cap / K / 2); /* each slice has its share */
		n += first + mine;
		sched_free(s);
	}
	assert_int_equal(n, cap);
	qsort(got, n, sizeof(*got), cmp_u64);
	for (size_t i = 1; i < n; i++)
		assert_true(got[i] != got[i - 1]);
	{
		struct sched_config c = base_config(t, &ports);
		const char *err;

		c.shard = K;
		c.shards = K;
		assert_null(sched_new(&c, &err));
		assert_non_null(err);
	}
	free(got);
	targets_free(t);
}

/* sched_set_limits: a worker's share changes while it runs (per-subnet
 * cap up and down, the rate's bucket renewed) */
static void test_set_limits(void **state)
{
	const char *spec = "10.2.0.0/24";
	struct targets *t = space(&spec, 1);
	struct targets_ports ports = {.n = 1, .port = {25}};
	struct sched_config c = base_config(t, &ports);
	struct sched_item it[8];
	uint64_t wait;
	const char *err;
	struct sched *s;

	(void)state;
	c.subnet.per_subnet = 2;
	s = sched_new(&c, &err);
	assert_non_null(s);
	assert_int_equal(sched_next(s, 1000, &it[0], &wait), SCHED_GO);
	assert_int_equal(sched_next(s, 1000, &it[1], &wait), SCHED_GO);
	assert_int_equal(sched_next(s, 1000, &it[2], &wait), SCHED_FULL);
	sched_set_limits(s, 0, 3); /* a worker left: a larger share */
	assert_int_equal(sched_next(s, 1000, &it[2], &wait), SCHED_GO);
	assert_int_equal(sched_next(s, 1000, &it[3], &wait), SCHED_FULL);
	sched_set_limits(s, 0, 1); /* two joined: the running ones keep their slots */
	sched_end(s, &it[0]);
	sched_final(s, &it[0]);
	assert_int_equal(sched_next(s, 1000, &it[3], &wait), SCHED_FULL);
	sched_end(s, &it[1]);
	sched_final(s, &it[1]);
	sched_end(s, &it[2]);
	sched_final(s, &it[2]);
	assert_int_equal(sched_next(s, 1000, &it[3], &wait), SCHED_GO);
	sched_end(s, &it[3]);
	sched_final(s, &it[3]);
	/* the rate: one a second now; the next waits about a second */
	sched_set_limits(s, 1, 1);
	assert_int_equal(sched_next(s, 2000, &it[4], &wait), SCHED_GO);
	sched_end(s, &it[4]);
	sched_final(s, &it[4]);
	assert_int_equal(sched_next(s, 2000, &it[5], &wait), SCHED_WAIT);
	assert_true(wait > 0 && wait <= 1000);
	sched_free(s);
	targets_free(t);
}

/* excluded and out-of-scope addresses are never handed out */
static void test_never_and_scope(void **state)
{
	const char *spec = "10.0.0.0/24";
	struct targets *t = space(&spec, 1);
	struct targets_ports ports = {.n = 1, .port = {25}};
	struct sched_config c = base_config(t, &ports);
	struct ipset *never = ipset_new(), *scope = ipset_new();
	uint64_t got[256];
	const char *err;
	struct sched *s;
	struct sched_stats st;
	size_t n;

	(void)state;
	assert_null(ipset_add_text(never, "10.0.0.0/28"));
	assert_null(ipset_add_text(scope, "10.0.0.0/25"));
	c.never = never;
	c.scope = scope;
	s = sched_new(&c, &err);
	n = run(s, got, 256, 0);
	assert_int_equal(n, 128 - 16);
	for (size_t i = 0; i < n; i++) {
		unsigned last = (unsigned)((got[i] >> 16) & 0xff);

		assert_true(last >= 16 && last < 128);
	}
	sched_stats(s, &st);
	assert_int_equal(st.refused, 256 - n);
	assert_int_equal(sched_low_water(s), 256);
	sched_free(s);
	ipset_free(never);
	ipset_free(scope);
	targets_free(t);
}

/* concurrency, per-subnet and rate limits */
static void test_limits(void **state)
{
	const char *spec = "10.0.0.0/22";
	struct targets *t = space(&spec, 1);
	struct targets_ports ports = {.n = 1, .port = {25}};
	struct sched_config c = base_config(t, &ports);
	struct sched_item it, held[64];
	uint64_t wait;
	const char *err;
	struct sched *s;
	size_t n = 0;

	(void)state;
	c.concurrency = 10;
	s = sched_new(&c, &err);
	while (sched_next(s, 0, &it, &wait) == SCHED_GO)
		held[n++] = it;
	assert_int_equal(n, 10);
	assert_int_equal(sched_next(s, 0, &it, &wait), SCHED_FULL);
	sched_end(s, &held[0]);
	assert_int_equal(sched_next(s, 0, &it, &wait), SCHED_GO);
	sched_free(s);

	/* at most 2 per /24 (4 /24s); the next in order waits for its subnet */
	c.concurrency = 100;
	c.subnet.per_subnet = 2;
	s = sched_new(&c, &err);
	n = 0;
	while (sched_next(s, 0, &it, &wait) == SCHED_GO)
		held[n++] = it;
	assert_true(n >= 2 && n <= 8);
	for (unsigned net = 0; net < 4; net++) {
		int k = 0;

		for (size_t i = 0; i < n; i++)
			k += ((held[i].addr.v.lo >> 8) & 3) == net;
		assert_true(k <= 2);
	}
	assert_int_equal(sched_next(s, 0, &it, &wait), SCHED_FULL);
	sched_end(s, &held[0]);
	sched_end(s, &held[1]);
	assert_int_equal(sched_next(s, 0, &it, &wait), SCHED_GO);
	sched_free(s);

	/* 10 per second: the 11th waits */
	c.subnet.per_subnet = 0;
	c.rate = 10;
	s = sched_new(&c, &err);
	n = 0;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(sched_next(s, 5000, &it, &wait), SCHED_GO);
		sched_end(s, &it);
	}
	assert_int_equal(sched_next(s, 5000, &it, &wait), SCHED_WAIT);
	assert_true(wait > 0 && wait <= 100);
	sched_free(s);
	targets_free(t);
}

/* one retry, after its delay, holding the low-water mark until final */
static void test_retry(void **state)
{
	const char *spec = "10.0.0.0/30";
	struct targets *t = space(&spec, 1);
	struct targets_ports ports = {.n = 1, .port = {25}};
	struct sched_config c = base_config(t, &ports);
	struct sched_item it, first;
	uint64_t wait;
	const char *err;
	struct sched *s;
	int gos = 0;

	(void)state;
	c.retry_after_ms = 60000;
	s = sched_new(&c, &err);
	assert_int_equal(sched_next(s, 0, &first, &wait), SCHED_GO);
	first.data = &gos;
	sched_end(s, &first);
	assert_int_equal(sched_retry(s, &first, 0), 1);
	while (sched_next(s, 0, &it, &wait) == SCHED_GO) {
		sched_end(s, &it);
		sched_final(s, &it);
		gos++;
	}
	assert_int_equal(gos, 3);
	assert_int_equal(sched_low_water(s), 0); /* the first is not final */
	assert_int_equal(sched_next(s, 0, &it, &wait), SCHED_WAIT);
	assert_int_equal(wait, 60000);
	assert_int_equal(sched_next(s, 60000, &it, &wait), SCHED_GO);
	assert_int_equal(it.retry, 1);
	assert_ptr_equal(it.data, &gos);
	assert_int_equal(key(&it), key(&first));
	sched_end(s, &it);
	assert_int_equal(sched_retry(s, &it, 60000), 0); /* only once */
	sched_final(s, &it);
	assert_int_equal(sched_low_water(s), 4);
	assert_int_equal(sched_next(s, 60000, &it, &wait), SCHED_DONE);
	sched_free(s);

	/* stopped: the queued retry comes back as a drop */
	s = sched_new(&c, &err);
	assert_int_equal(sched_next(s, 0, &first, &wait), SCHED_GO);
	sched_end(s, &first);
	assert_int_equal(sched_retry(s, &first, 0), 1);
	sched_stop(s);
	assert_int_equal(sched_next(s, 0, &it, &wait), SCHED_DROP);
	assert_int_equal(key(&it), key(&first));
	assert_int_equal(sched_next(s, 0, &it, &wait), SCHED_DONE);
	sched_free(s);
	targets_free(t);
}

/* kill -9 after some results, resume from the low-water mark plus the
 * results stored beyond it: the union is the whole space, once */
static void test_resume(void **state)
{
	const char *specs[] = {"10.2.0.0/23", "10.3.0.7"};
	struct targets *t = space(specs, 2);
	struct targets_ports ports = {.n = 2, .port = {25, 465}};
	struct sched_config c = base_config(t, &ports);
	struct sched_item it, held[300];
	uint64_t wait, lw, *all = calloc(4096, sizeof(*all));
	const char *err;
	struct sched *s;
	size_t n = 0, nall = 0, nheld = 0;

	(void)state;
	s = sched_new(&c, &err);
	/* 300 in flight, 700 finished out of order: every third held open */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(sched_next(s, 0, &it, &wait), SCHED_GO);
		sched_end(s, &it);
		if (i % 3 == 0 && nheld < 300) {
			held[nheld++] = it;
			continue;
		}
		sched_final(s, &it);
		all[nall++] = key(&it);
	}
	lw = sched_low_water(s);
	assert_true(lw < 1000);
	sched_free(s);

	/* the resumed run: skip below lw, and the results stored after it */
	s = sched_new(&c, &err);
	sched_skip_before(s, lw);
	for (size_t i = 0; i < nall; i++) {
		struct ipset_addr a = {.fam = IPSET_V4, .v = {.hi = 0, .lo = all[i] >> 16}};

		sched_skip(s, &a, (unsigned)(all[i] & 0xffff));
	}
	n = run(s, all + nall, 4096 - nall, 0);
	/* every held one is handed out again */
	for (size_t h = 0; h < nheld; h++) {
		int found = 0;

		for (size_t i = nall; i < nall + n && !found; i++)
			found = all[i] == key(&held[h]);
		assert_true(found);
	}
	nall += n;
	assert_int_equal(nall, 2 * (512 + 1));
	qsort(all, nall, sizeof(*all), cmp_u64);
	for (size_t i = 1; i < nall; i++)
		assert_true(all[i] != all[i - 1]);
	free(all);
	sched_free(s);
	targets_free(t);
}

/* run_probes - like run, keys with the probe: (addr << 24) | (port << 8) | probe */
static size_t run_probes(struct sched *s, uint64_t *got, size_t max)
{
	struct sched_item it;
	uint64_t wait, now = 1000;
	size_t n = 0;
	int steps = 0;
	enum sched_step st;

	while ((st = sched_next(s, now, &it, &wait)) != SCHED_DONE) {
		assert_true(++steps < 1000000);
		if (st == SCHED_WAIT) {
			now += wait;
			continue;
		}
		assert_int_equal(st, SCHED_GO);
		assert_true(n < max);
		got[n++] = (it.addr.v.lo << 24) | ((uint64_t)it.port << 8) | it.probe;
		sched_end(s, &it);
		sched_final(s, &it);
	}
	return n;
}

/* --probe smtp,proxy: every (address, port, probe) pair of the space once,
 * a target's own port gets every probe, a resume skips by probe, and a
 * relay-only space walks exactly as before the probe dimension */
static void test_probes(void **state)
{
	const char *specs[] = {"10.4.0.0/26"};
	struct targets *t = space(specs, 1);
	struct targets_ports ports = {
	    .n = 3,
	    .port = {25, 25, 3128},
	    .probe = {TARGETS_PROBE_SMTP, TARGETS_PROBE_PROXY, TARGETS_PROBE_PROXY},
	    .gprobes = 3};
	struct targets_ports plain = {.n = 2, .port = {25, 587}};
	struct targets_ports plain2 = plain;
	struct ipset_range r;
	struct sched_config c;
	const char *err;
	struct sched *s;
	uint64_t *got = calloc(4096, sizeof(*got)), *got2 = calloc(4096, sizeof(*got2));
	size_t n, smtp = 0, proxy = 0;

	(void)state;
	assert_null(ipset_range_parse("10.5.0.1", &r));
	assert_null(targets_add(t, &r, 8080));
	c = base_config(t, &ports);
	s = sched_new(&c, &err);
	n = run_probes(s, got, 4096);
	assert_int_equal(n, 64 * 3 + 2);
	qsort(got, n, sizeof(*got), cmp_u64);
	for (size_t i = 0; i < n; i++) {
		if (i)
			assert_true(got[i] != got[i - 1]);
		smtp += (got[i] & 0xff) == TARGETS_PROBE_SMTP;
		proxy += (got[i] & 0xff) == TARGETS_PROBE_PROXY;
	}
	assert_int_equal(smtp, 64 + 1);
	assert_int_equal(proxy, 2 * 64 + 1);
	sched_free(s);

	/* resume: the proxy results of 10.4.0.0/26 on 3128 are stored */
	s = sched_new(&c, &err);
	for (unsigned i = 0; i < 64; i++) {
		struct ipset_addr a = {.fam = IPSET_V4, .v = {.lo = 0x0a040000u + i}};

		sched_skip_probe(s, &a, 3128, TARGETS_PROBE_PROXY);
	}
	n = run_probes(s, got, 4096);
	assert_int_equal(n, 64 * 2 + 2);
	for (size_t i = 0; i < n; i++)
		assert_false(((got[i] >> 8) & 0xffff) == 3128);
	sched_free(s);
	targets_free(t);

	/* relays only: probe[] all smtp, gprobes 0 or smtp, same walk */
	t = space(specs, 1);
	c = base_config(t, &plain);
	s = sched_new(&c, &err);
	n = run_probes(s, got, 4096);
	sched_free(s);
	plain2.gprobes = 1u << TARGETS_PROBE_SMTP;
	c = base_config(t, &plain2);
	s = sched_new(&c, &err);
	assert_int_equal(run_probes(s, got2, 4096), n);
	assert_memory_equal(got, got2, n * sizeof(*got));
	sched_free(s);
	targets_free(t);
	free(got);
	free(got2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_covers_once), cmocka_unit_test(test_never_and_scope),
	    cmocka_unit_test(test_limits),      cmocka_unit_test(test_retry),
	    cmocka_unit_test(test_resume),      cmocka_unit_test(test_probes),
	    cmocka_unit_test(test_shards),      cmocka_unit_test(test_set_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
