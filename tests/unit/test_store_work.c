/*
 * test_store_work - the store's distributed-scan calls (schema version 5):
 * shards planned once per vantage, claimed once each, a lease that ends is
 * taken over and the old holder can no longer move the shard, saves go
 * with the results' batch, worker heartbeats, result keys per vantage.
 *
 * One fresh store per test (store_fx.h): a SQLite file, or with
 * RW_TEST_STORE_URL a PostgreSQL schema of its own (store_pg.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/core/limits.h"
#include "../../src/store/store.h"
#include "store_fx.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1700000000000LL /* ms */

struct fx {
	char dir[256];
	struct fx_db d;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	char err[RW_STORE_ERR_MAX];

	snprintf(f->dir, sizeof(f->dir), "%s/test_store_work.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	if (fxdb_make(&f->d, f->dir) < 0)
		return -1;
	if ((f->st = store_open(f->d.url, err, sizeof(err))) == NULL) {
		fprintf(stderr, "open %s: %s\n", f->d.url, err);
		return -1;
	}
	if (store_migrate(f->st, NOW / 1000) < 0) {
		fprintf(stderr, "migrate: %s\n", store_error(f->st));
		return -1;
	}
	return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	fxdb_drop(&f->d);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* new_scan - a running scan of 1000 targets */
static int64_t new_scan(struct store *st)
{
	struct store_scan sc = {.created = NOW / 1000, .seed = 7, .total = 1000, .params = "{}"};
	int64_t id;

	if (store_scan_create(st, &sc, &id) < 0)
		fail_msg("scan create: %s", store_error(st));
	return id;
}

/* claim - worker w (vantage v) claims at now: the shard's id, 0 none */
static int64_t claim(struct store *st, const char *w, const char *v, int64_t now, int64_t scan,
                     struct store_shard *out)
{
	int rc = store_shard_claim(st, w, v, now, 30000, out);

	if (rc < 0)
		fail_msg("claim: %s", store_error(st));
	if (rc == 0)
		return 0;
	if (out->scan != scan)
		fail_msg("claim: shard of scan %lld, want %lld", (long long)out->scan,
		         (long long)scan);
	return out->id;
}

/* plan once, claim each once, vantages kept apart */
static void test_plan_claim(void **state)
{
	struct fx *f = *state;
	const char *vs[] = {"inside", "outside"};
	struct store_shard a, b, c, x;
	struct store_shards l;
	int64_t scan = new_scan(f->st), added = -1, got[4];

	assert_int_equal(store_shards_plan(f->st, scan, vs, 2, 2, NOW, &added), 0);
	assert_int_equal(added, 4);
	assert_int_equal(store_shards_plan(f->st, scan, vs, 2, 2, NOW, &added), 0);
	assert_int_equal(added, 0);
	assert_int_equal(store_shards_plan(f->st, scan, vs, 2, 0, NOW, &added), -1);
	assert_int_equal(store_shards_list(f->st, scan, &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].state, "pending");
	assert_string_equal(l.v[0].vantage, "inside");
	assert_int_equal(l.v[1].shard, 1);
	assert_int_equal(l.v[1].shards, 2);
	store_shards_free(&l);

	got[0] = claim(f->st, "w1", "inside", NOW, scan, &a);
	got[1] = claim(f->st, "w2", "inside", NOW, scan, &b);
	got[2] = claim(f->st, "w3", "outside", NOW, scan, &c);
	assert_true(got[0] && got[1] && got[2]);
	assert_true(got[0] != got[1]);
	assert_string_equal(a.vantage, "inside");
	assert_string_equal(b.vantage, "inside");
	assert_string_equal(c.vantage, "outside");
	assert_string_equal(a.state, "claimed");
	assert_string_equal(a.worker, "w1");
	assert_int_equal(a.lease_ms, NOW + 30000);
	assert_int_equal(a.claims, 1);
	/* inside is all taken; another vantage gets nothing of it */
	assert_int_equal(claim(f->st, "w4", "inside", NOW + 1, scan, &x), 0);
	assert_int_equal(claim(f->st, "w5", "elsewhere", NOW + 1, scan, &x), 0);
	store_shard_clear(&a);
	store_shard_clear(&b);
	store_shard_clear(&c);
	assert_int_equal(store_shard_claim(f->st, "", "inside", NOW, 1000, &x), -1);
	assert_int_equal(store_shard_claim(f->st, "w", "inside", NOW, 0, &x), -1);
}

/* a lease that ended is taken over; the old holder changes nothing */
static void test_takeover(void **state)
{
	struct fx *f = *state;
	struct store_shard a, b;
	struct store_shards l;
	int64_t scan = new_scan(f->st), id;

	assert_int_equal(store_shards_plan(f->st, scan, NULL, 0, 1, NOW, NULL), 0);
	id = claim(f->st, "w1", "", NOW, scan, &a);
	assert_true(id > 0);
	assert_int_equal(store_shard_save(f->st, id, "w1", 10, 9, "{\"open\":1}", NOW + 1000), 1);
	assert_int_equal(store_shard_renew(f->st, id, "w1", NOW + 40000, NOW + 1000), 1);
	assert_int_equal(store_shard_renew(f->st, id, "w2", NOW + 40000, NOW + 1000), 0);
	/* still leased at +39.999 s: nothing to claim; at +40.001 s it is w2's */
	assert_int_equal(claim(f->st, "w2", "any", NOW + 39999, scan, &b), 0);
	assert_int_equal(claim(f->st, "w2", "any", NOW + 40001, scan, &b), id);
	assert_int_equal(b.claims, 2);
	assert_int_equal(b.walk_pos, 10);
	assert_int_equal(b.done, 9);
	assert_string_equal(b.counts, "{\"open\":1}");
	assert_int_equal(store_shard_save(f->st, id, "w1", 20, 19, "{}", NOW + 41000), 0);
	assert_int_equal(store_shard_renew(f->st, id, "w1", NOW + 90000, NOW + 41000), 0);
	assert_int_equal(store_shard_finish(f->st, id, "w1", NOW + 41000), 0);
	assert_int_equal(store_shard_save(f->st, id, "w2", 30, 29, "{}", NOW + 42000), 1);
	assert_int_equal(store_shard_finish(f->st, id, "w2", NOW + 43000), 1);
	assert_int_equal(store_shard_finish(f->st, id, "w2", NOW + 43000), 0);
	/* done: never claimed again, however old its lease */
	store_shard_clear(&a);
	assert_int_equal(claim(f->st, "w3", "", NOW + 999999, scan, &a), 0);
	assert_int_equal(store_shards_list(f->st, scan, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].state, "done");
	assert_string_equal(l.v[0].worker, "w2");
	assert_int_equal(l.v[0].walk_pos, 30);
	store_shards_free(&l);
	store_shard_clear(&a);
	store_shard_clear(&b);
}

/* a stopped or done scan's shards are not handed out */
static void test_scan_state(void **state)
{
	struct fx *f = *state;
	struct store_shard a;
	int64_t scan = new_scan(f->st);

	assert_int_equal(store_shards_plan(f->st, scan, NULL, 0, 3, NOW, NULL), 0);
	assert_int_equal(store_scan_state_set(f->st, scan, "stopped", NOW / 1000), 1);
	assert_int_equal(claim(f->st, "w1", "", NOW, scan, &a), 0);
	assert_int_equal(store_scan_state_set(f->st, scan, "running", NOW / 1000), 1);
	assert_true(claim(f->st, "w1", "", NOW, scan, &a) > 0);
	store_shard_clear(&a);
}

/* the save goes with the results' batch: an abort keeps neither */
static void test_save_in_batch(void **state)
{
	struct fx *f = *state;
	struct store_shard a, b;
	struct store_shards l;
	int64_t scan = new_scan(f->st), id, n = -1;
	struct store_result r = {.scan = scan,
	                         .target = "192.0.2.1",
	                         .port = 25,
	                         .probe = "smtp",
	                         .vantage = "inside",
	                         .verdict = "closed",
	                         .reason = "550",
	                         .tested = NOW / 1000};

	assert_int_equal(
	    store_shards_plan(f->st, scan, (const char *[]){"inside"}, 1, 1, NOW, NULL), 0);
	id = claim(f->st, "w1", "inside", NOW, scan, &a);
	assert_int_equal(store_batch_begin(f->st, 0), 0);
	assert_int_equal(store_result_put(f->st, &r, NULL), 1);
	assert_int_equal(store_shard_save(f->st, id, "w1", 1, 1, "{}", NOW), 1);
	assert_int_equal(store_batch_abort(f->st), 0);
	assert_int_equal(store_results_count(f->st, scan, NULL, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_shards_list(f->st, scan, &l), 0);
	assert_int_equal(l.v[0].walk_pos, 0);
	store_shards_free(&l);
	/* the same key from another vantage is another result */
	assert_int_equal(store_result_put(f->st, &r, NULL), 1);
	assert_int_equal(store_result_put(f->st, &r, NULL), 0);
	r.vantage = "outside";
	assert_int_equal(store_result_put(f->st, &r, NULL), 1);
	(void)b;
	store_shard_clear(&a);
}

static int nkeys;
static void count_key(void *arg, const char *target, unsigned port)
{
	(void)arg;
	if (strcmp(target, "192.0.2.1") == 0 && port == 25)
		nkeys++;
}

/* result keys of one vantage only */
static void test_keys_vantage(void **state)
{
	struct fx *f = *state;
	int64_t scan = new_scan(f->st);
	struct store_result r = {.scan = scan,
	                         .target = "192.0.2.1",
	                         .port = 25,
	                         .probe = "smtp",
	                         .vantage = "a",
	                         .verdict = "open",
	                         .reason = "x",
	                         .tested = NOW / 1000};

	assert_int_equal(store_result_put(f->st, &r, NULL), 1);
	r.vantage = "b";
	r.target = "192.0.2.2";
	assert_int_equal(store_result_put(f->st, &r, NULL), 1);
	nkeys = 0;
	assert_int_equal(store_result_keys_vantage(f->st, scan, "smtp", "a", count_key, NULL), 0);
	assert_int_equal(nkeys, 1);
	nkeys = 0;
	assert_int_equal(store_result_keys_vantage(f->st, scan, "smtp", "b", count_key, NULL), 0);
	assert_int_equal(nkeys, 0);
	assert_int_equal(store_result_keys_vantage(f->st, scan, "proxy", "a", count_key, NULL), 0);
	assert_int_equal(nkeys, 0);
}

/* heartbeats: upsert by name; the list is those seen since a time */
static void test_workers(void **state)
{
	struct fx *f = *state;
	struct store_workers l;
	struct store_worker w = {.name = "tw-1",
	                         .vantage = "core",
	                         .started_ms = NOW,
	                         .seen_ms = NOW,
	                         .shard = 0,
	                         .inflight = 0};

	assert_int_equal(store_worker_beat(f->st, &w), 0);
	w.name = "tw-2";
	w.seen_ms = NOW + 5000;
	w.inflight = 12;
	assert_int_equal(store_worker_beat(f->st, &w), 0);
	w.inflight = 40;
	assert_int_equal(store_worker_beat(f->st, &w), 0);
	assert_int_equal(store_workers_list(f->st, NOW + 1000, &l), 0);
	size_t mine = 0;
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.v[i].name, "tw-2") == 0) {
			mine++;
			assert_int_equal(l.v[i].inflight, 40);
			assert_string_equal(l.v[i].vantage, "core");
		} else
			assert_string_not_equal(l.v[i].name, "tw-1");
	assert_int_equal(mine, 1);
	store_workers_free(&l);
	w.name = "";
	assert_int_equal(store_worker_beat(f->st, &w), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_plan_claim, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_takeover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_save_in_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keys_vantage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_workers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
