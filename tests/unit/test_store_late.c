/*
 * test_store_late - the store's schema version 2 on SQLite or
 * (RW_TEST_STORE_URL) PostgreSQL (store_fx.h): late arrivals
 * upgrade suspect results once, a version 1 file migrates, a scan polls
 * its arrivals by id, resume walks result keys, scan params may be large
 *
 * Each test runs in its own mkdtemp directory (removed by the teardown).
 * The race test forks a writer of arrivals while the parent writes the
 * results of the same keys; whichever comes second must upgrade.
 * Failures print "what: got X, want Y".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/core/limits.h"
#include "../../src/store/store.h"
#include "../../src/store/store_int.h"

#include "store_fx.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOW      1700000000LL
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct fx {
	char dir[256];
	struct fx_db d;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/test_store_late.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return fxdb_make(&f->d, f->dir);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fxdb_drop(&f->d);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* open_ready - open and migrate, failing the test on error */
static struct store *open_ready(const char *url)
{
	char err[RW_STORE_ERR_MAX];
	struct store *st = store_open(url, err, sizeof(err));

	if (st == NULL)
		fail_msg("open %s: %s", url, err);
	if (store_migrate(st, NOW) < 0)
		fail_msg("migrate %s: %s", url, store_error(st));
	return st;
}

static int64_t new_scan(struct store *st, const char *params)
{
	struct store_scan sc = {.created = NOW, .seed = 7, .total = 100, .params = (char *)params};
	int64_t id = 0;

	if (store_scan_create(st, &sc, &id) < 0)
		fail_msg("scan create: %s", store_error(st));
	return id;
}

/* result - put one result; returns store_result_put's answer */
static int result(struct store *st, int64_t scan, const char *target, unsigned port,
                  const char *probe, const char *verdict, int64_t tested)
{
	struct store_result r = {.scan = scan,
	                         .target = target,
	                         .port = port,
	                         .probe = probe,
	                         .vantage = "",
	                         .verdict = verdict,
	                         .reason = "scan's reason",
	                         .evidence = "{\"verdict\":\"x\"}",
	                         .tested = tested};

	return store_result_put(st, &r, NULL);
}

/* arrive - put one arrival; returns store_arrival_put's answer */
static int arrive(struct store *st, int64_t scan, const char *target, unsigned port,
                  const char *test, const char *peer, int quoted, int64_t when)
{
	char token[128];
	struct store_arrival a = {.token = token,
	                          .scan = scan,
	                          .target = target,
	                          .port = port,
	                          .test = test,
	                          .peer = peer,
	                          .arrived = when,
	                          .relayed = !quoted};

	snprintf(token, sizeof(token), "rw1-%lld-%u-%s-%s", (long long)scan, port, test, target);
	return store_arrival_put(st, &a, NULL);
}

/* get - the one result of (scan, target, port, probe) into *out (owned
 * strings in l, which the caller frees); 0 when absent */
static int get(struct store *st, int64_t scan, const char *target, unsigned port, const char *probe,
               struct store_results *l, const struct store_result **out)
{
	struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};

	if (store_results_list(st, scan, NULL, &pg, l) < 0)
		fail_msg("list: %s", store_error(st));
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].target, target) == 0 && l->v[i].port == port &&
		    strcmp(l->v[i].probe, probe) == 0) {
			*out = &l->v[i];
			return 1;
		}
	return 0;
}

/* expect - the stored verdict, reason (NULL: the scan's) and updated */
static int expect(struct store *st, const char *name, int64_t scan, const char *target,
                  unsigned port, const char *probe, const char *verdict, const char *reason,
                  int64_t updated)
{
	struct store_results l;
	const struct store_result *r = NULL;
	int bad = 0;

	if (!get(st, scan, target, port, probe, &l, &r)) {
		print_error("%s: no result for %s:%u\n", name, target, port);
		store_results_free(&l);
		return 1;
	}
	if (strcmp(r->verdict, verdict) != 0) {
		print_error("%s: verdict got %s, want %s\n", name, r->verdict, verdict);
		bad = 1;
	}
	if (strcmp(r->reason, reason ? reason : "scan's reason") != 0) {
		print_error("%s: reason got \"%s\", want \"%s\"\n", name, r->reason,
		            reason ? reason : "scan's reason");
		bad = 1;
	}
	if (r->updated != updated) {
		print_error("%s: updated got %" PRId64 ", want %" PRId64 "\n", name, r->updated,
		            updated);
		bad = 1;
	}
	if (strcmp(r->evidence, "{\"verdict\":\"x\"}") != 0) {
		print_error("%s: evidence changed: %s\n", name, r->evidence);
		bad = 1;
	}
	store_results_free(&l);
	return bad;
}

#define LATE_7 "message arrived at the sink after the wait: test plain via 192.0.2.7"

/* the rule of store.h, one step at a time: which arrival upgrades what */
static void test_late_upgrade(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t s1 = new_scan(st, "{}"), s2 = new_scan(st, "{}");
	int bad = 0;

	assert_int_equal(result(st, s1, "192.0.2.7", 25, "smtp", "suspect", NOW), 1);
	assert_int_equal(result(st, s1, "192.0.2.8", 25, "smtp", "suspect", NOW), 1);
	assert_int_equal(result(st, s1, "192.0.2.9", 25, "smtp", "closed", NOW), 1);
	assert_int_equal(result(st, s1, "192.0.2.7", 25, "http-connect", "suspect", NOW), 1);
	assert_int_equal(result(st, s2, "192.0.2.10", 25, "smtp", "suspect", NOW), 1);

	/* a bounce quoting the token: kept, proves nothing */
	assert_int_equal(arrive(st, s1, "192.0.2.7", 25, "plain", "192.0.2.99", 1, NOW + 50), 1);
	bad += expect(st, "quoted", s1, "192.0.2.7", 25, "smtp", "suspect", NULL, 0);
	/* the proof: suspect -> open, once */
	assert_int_equal(arrive(st, s1, "192.0.2.7", 25, "plain", "192.0.2.7", 0, NOW + 60), 1);
	bad += expect(st, "arrival", s1, "192.0.2.7", 25, "smtp", "open", LATE_7, NOW + 60);
	bad += expect(st, "other probe", s1, "192.0.2.7", 25, "http-connect", "suspect", NULL, 0);
	/* a second test's arrival and a replayed record change nothing */
	assert_int_equal(arrive(st, s1, "192.0.2.7", 25, "percent", "192.0.2.1", 0, NOW + 70), 1);
	assert_int_equal(arrive(st, s1, "192.0.2.7", 25, "plain", "192.0.2.7", 0, NOW + 60), 0);
	bad += expect(st, "second arrival", s1, "192.0.2.7", 25, "smtp", "open", LATE_7, NOW + 60);
	/* other port, other scan, a closed result, no scan: untouched */
	assert_int_equal(arrive(st, s1, "192.0.2.8", 587, "plain", "192.0.2.8", 0, NOW + 80), 1);
	assert_int_equal(arrive(st, s2, "192.0.2.8", 25, "plain", "192.0.2.8", 0, NOW + 80), 1);
	assert_int_equal(arrive(st, 0, "192.0.2.8", 25, "plain", "192.0.2.8", 0, NOW + 81), 1);
	assert_int_equal(arrive(st, s2 + 5, "192.0.2.8", 25, "plain", "192.0.2.8", 0, NOW + 82), 1);
	assert_int_equal(arrive(st, s1, "192.0.2.9", 25, "plain", "192.0.2.9", 0, NOW + 80), 1);
	bad += expect(st, "other port/scan", s1, "192.0.2.8", 25, "smtp", "suspect", NULL, 0);
	bad += expect(st, "closed", s1, "192.0.2.9", 25, "smtp", "closed", NULL, 0);
	bad += expect(st, "scan 2", s2, "192.0.2.10", 25, "smtp", "suspect", NULL, 0);
	assert_int_equal(bad, 0);
	store_close(st);
}

/* an arrival before its result: kept; the suspect result is then stored open */
static void test_late_before_result(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t s1 = new_scan(st, "{}");
	struct store_arrivals l;
	int bad = 0;

	assert_int_equal(arrive(st, s1, "192.0.2.7", 25, "plain", "192.0.2.7", 0, NOW + 5), 1);
	assert_int_equal(arrive(st, s1, "192.0.2.8", 25, "plain", "192.0.2.99", 1, NOW + 5), 1);
	assert_int_equal(store_arrivals_list(st, s1, NULL, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].relayed, 1);
	assert_int_equal(l.v[1].relayed, 0);
	store_arrivals_free(&l);

	assert_int_equal(result(st, s1, "192.0.2.7", 25, "smtp", "suspect", NOW + 30), 1);
	assert_int_equal(result(st, s1, "192.0.2.8", 25, "smtp", "suspect", NOW + 30), 1);
	assert_int_equal(result(st, s1, "192.0.2.7", 587, "smtp", "suspect", NOW + 30), 1);
	bad += expect(st, "proven", s1, "192.0.2.7", 25, "smtp", "open", LATE_7, NOW + 30);
	bad += expect(st, "only quoted", s1, "192.0.2.8", 25, "smtp", "suspect", NULL, 0);
	bad += expect(st, "other port", s1, "192.0.2.7", 587, "smtp", "suspect", NULL, 0);
	/* the scan's own verdict is never touched: closed stays closed */
	assert_int_equal(arrive(st, s1, "192.0.2.9", 25, "plain", "192.0.2.9", 0, NOW + 5), 1);
	assert_int_equal(result(st, s1, "192.0.2.9", 25, "smtp", "closed", NOW + 30), 1);
	bad += expect(st, "closed", s1, "192.0.2.9", 25, "smtp", "closed", NULL, 0);
	assert_int_equal(bad, 0);
	store_close(st);
}

/* the upgrade is part of the arrival's transaction: an aborted batch
 * leaves neither; a committed one both */
static void test_late_in_batch(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t s1 = new_scan(st, "{}");
	int bad = 0;

	assert_int_equal(result(st, s1, "192.0.2.7", 25, "smtp", "suspect", NOW), 1);
	assert_int_equal(store_batch_begin(st, 0), 0);
	assert_int_equal(arrive(st, s1, "192.0.2.7", 25, "plain", "192.0.2.7", 0, NOW + 60), 1);
	bad += expect(st, "inside", s1, "192.0.2.7", 25, "smtp", "open", LATE_7, NOW + 60);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM results WHERE verdict = 'open'"), 0);
	assert_int_equal(store_batch_abort(st), 0);
	bad += expect(st, "aborted", s1, "192.0.2.7", 25, "smtp", "suspect", NULL, 0);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM arrivals"), 0);

	assert_int_equal(store_batch_begin(st, STORE_DURABLE), 0);
	assert_int_equal(arrive(st, s1, "192.0.2.7", 25, "plain", "192.0.2.7", 0, NOW + 60), 1);
	assert_int_equal(store_batch_commit(st), 0);
	bad += expect(st, "committed", s1, "192.0.2.7", 25, "smtp", "open", LATE_7, NOW + 60);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM arrivals"), 1);
	assert_int_equal(bad, 0);
	store_close(st);
}

#define RACE_KEYS 200

/* a sink process writes arrivals while the scan writes the suspect
 * results of the same keys: every key ends open, whoever came second */
static void test_late_race(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t s1 = new_scan(st, "{}");
	char target[64];
	pid_t pid;
	int status;

	store_close(st);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[RW_STORE_ERR_MAX];
		struct store *cs = store_open(f->d.url, err, sizeof(err));

		if (cs == NULL)
			_exit(2);
		for (int i = 0; i < RACE_KEYS; i++) {
			snprintf(target, sizeof(target), "198.51.100.%d", i);
			if (arrive(cs, s1, target, 25, "plain", target, 0, NOW + i) != 1)
				_exit(3);
		}
		store_close(cs);
		_exit(0);
	}
	st = open_ready(f->d.url);
	for (int i = 0; i < RACE_KEYS; i++) {
		snprintf(target, sizeof(target), "198.51.100.%d", i);
		assert_int_equal(result(st, s1, target, 25, "smtp", "suspect", NOW + i), 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM results WHERE verdict = 'open'"
	                                 " AND updated > 0"),
	                 RACE_KEYS);
	store_close(st);
}

/* a version 1 file (as released) migrates to 2: old rows keep their
 * values and read updated 0, relayed 0 (not proof); the rule works on them */
static void test_migrate_v1(void **state)
{
	struct fx *f = *state;
	char err[RW_STORE_ERR_MAX];
	struct store *st;
	struct store_results l;
	int bad = 0;

	fxdb_at_version(&f->d, 1,
	                "INSERT INTO scans (created, seed, total) VALUES (1, 2, 3);"
	                "INSERT INTO results (scan, target, port, probe, verdict,"
	                " reason, evidence, tested) VALUES (1, '192.0.2.7', 25, 'smtp',"
	                " 'suspect', 'scan''s reason', '{\"verdict\":\"x\"}', 5);"
	                "INSERT INTO arrivals (token, scan, target, port, test, peer,"
	                " arrived) VALUES ('t', 1, '192.0.2.8', 25, 'plain', 'p', 6);");
	st = store_open(f->d.url, err, sizeof(err));
	if (st == NULL)
		fail_msg("open v1: %s", err);
	assert_int_equal(store_schema_version(st), 1);
	assert_int_equal(store_results_list(st, 1, NULL, NULL, &l), -1);
	assert_non_null(strstr(store_error(st), "run migrate"));
	assert_int_equal(store_migrate(st, NOW), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM schema_version"),
	                 STORE_SCHEMA_VERSION);
	assert_int_equal(fxdb_int(&f->d, "SELECT applied FROM schema_version WHERE version = 2"),
	                 NOW);
	assert_int_equal(fxdb_int(&f->d, "SELECT relayed FROM arrivals"), 0);
	bad += expect(st, "v1 row", 1, "192.0.2.7", 25, "smtp", "suspect", NULL, 0);
	/* a v1 arrival is not known to be proof (it may have been a bounce) */
	assert_int_equal(result(st, 1, "192.0.2.8", 25, "smtp", "suspect", NOW), 1);
	bad += expect(st, "v1 arrival", 1, "192.0.2.8", 25, "smtp", "suspect", NULL, 0);
	assert_int_equal(arrive(st, 1, "192.0.2.7", 25, "plain", "192.0.2.7", 0, NOW + 9), 1);
	bad += expect(st, "v1 result", 1, "192.0.2.7", 25, "smtp", "open", LATE_7, NOW + 9);
	assert_int_equal(bad, 0);
	store_close(st);
	fxdb_integrity(&f->d);
}

/* polling: every arrival of the scan once, in id order, in pages */
static void test_arrivals_since(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t s1 = new_scan(st, "{}"), s2 = new_scan(st, "{}"), after = 0, last = 0;
	static const int64_t limits[] = {1, 7, 0, RW_STORE_PAGE_MAX + 5};
	char target[64];
	int seen = 0, polls = 0;
	struct store_arrivals l;

	assert_int_equal(store_batch_begin(st, 0), 0);
	for (int i = 0; i < 2100; i++) {
		snprintf(target, sizeof(target), "203.0.113.%d", i % 256);
		assert_int_equal(arrive(st, i % 3 ? s1 : s2, target, 25 + (unsigned)(i / 256),
		                        "plain", target, i % 5 == 0, NOW + i),
		                 1);
	}
	assert_int_equal(store_batch_commit(st), 0);
	/* 1400 of scan 1: limits 1, 7, then two pages of the maximum */
	for (size_t k = 0; polls < 10; polls++) {
		int64_t lim = limits[k < NELEM(limits) ? k : NELEM(limits) - 1];

		k++;
		assert_int_equal(store_arrivals_since(st, s1, after, lim, &l), 0);
		if (l.n == 0)
			break;
		assert_true(l.n <=
		            (size_t)(lim > 0 && lim < RW_STORE_PAGE_MAX ? lim : RW_STORE_PAGE_MAX));
		for (size_t i = 0; i < l.n; i++) {
			if (l.v[i].id <= last || l.v[i].scan != s1)
				fail_msg("row %d: id %" PRId64 " after %" PRId64 ", scan %" PRId64,
				         seen, l.v[i].id, last, l.v[i].scan);
			last = l.v[i].id;
			seen++;
		}
		after = l.v[l.n - 1].id;
		store_arrivals_free(&l);
	}
	assert_int_equal(seen, 1400);
	assert_int_equal(polls, 4);
	/* a new one shows up on the next poll; nothing before it again */
	assert_int_equal(arrive(st, s1, "203.0.113.1", 9, "late", "x", 0, NOW + 9999), 1);
	assert_int_equal(store_arrivals_since(st, s1, after, 0, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].test, "late");
	store_arrivals_free(&l);
	/* untied ones (scan 0) */
	assert_int_equal(arrive(st, 0, "", 0, "", "x", 0, NOW), 1);
	assert_int_equal(store_arrivals_since(st, 0, 0, 0, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].scan, 0);
	store_arrivals_free(&l);
	store_close(st);
}

struct walk {
	struct store *st;
	int64_t scan;
	int n;
	unsigned last_port;
	char last[64];
	int order_bad;
};

/* on_key - check the order and that the store can be used meanwhile */
static void on_key(void *arg, const char *target, unsigned port)
{
	struct walk *w = arg;
	char want[64];
	int64_t n;

	snprintf(want, sizeof(want), "192.0.2.%d", w->n % 256);
	if (strcmp(target, want) != 0 || port != 25 + (unsigned)(w->n / 256))
		w->order_bad++;
	if (w->n % 500 == 0 && store_results_count(w->st, w->scan, NULL, &n) < 0)
		w->order_bad++;
	w->n++;
}

/* resume: every key once, in id order, across pages; probe filter */
static void test_result_keys(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t s1 = new_scan(st, "{}"), s2 = new_scan(st, "{}");
	struct walk w = {.st = st, .scan = s1};
	char target[64];

	assert_int_equal(store_batch_begin(st, 0), 0);
	for (int i = 0; i < 2 * RW_STORE_PAGE_MAX + 17; i++) {
		snprintf(target, sizeof(target), "192.0.2.%d", i % 256);
		assert_int_equal(
		    result(st, s1, target, 25 + (unsigned)(i / 256), "smtp", "closed", NOW), 1);
		if (i % 2)
			assert_int_equal(result(st, s2, target, 25, "smtp", "closed", NOW) >= 0, 1);
		if (i % 100 == 0)
			assert_int_equal(result(st, s1, target, 9999, "socks5", "closed", NOW), 1);
	}
	assert_int_equal(store_batch_commit(st), 0);
	assert_int_equal(store_result_keys(st, s1, "smtp", on_key, &w), 0);
	assert_int_equal(w.n, 2 * RW_STORE_PAGE_MAX + 17);
	assert_int_equal(w.order_bad, 0);

	memset(&w, 0, sizeof(w));
	w.st = st;
	w.scan = s1;
	assert_int_equal(store_result_keys(st, s1 + 10, NULL, on_key, &w), 0);
	assert_int_equal(w.n, 0);
	store_close(st);
}

static int nkeys;

/* count_key - count the calls */
static void count_key(void *arg, const char *target, unsigned port)
{
	nkeys++;
}

/* every probe with NULL; exact page multiples end without an extra call */
static void test_result_keys_all(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t s1 = new_scan(st, "{}");
	char target[64];

	assert_int_equal(store_batch_begin(st, 0), 0);
	for (int i = 0; i < RW_STORE_PAGE_MAX; i++) {
		snprintf(target, sizeof(target), "192.0.2.%d", i % 256);
		assert_int_equal(result(st, s1, target, 25 + (unsigned)(i / 256),
		                        i % 2 ? "smtp" : "socks5", "closed", NOW),
		                 1);
	}
	assert_int_equal(store_batch_commit(st), 0);
	nkeys = 0;
	assert_int_equal(store_result_keys(st, s1, NULL, count_key, NULL), 0);
	assert_int_equal(nkeys, RW_STORE_PAGE_MAX);
	nkeys = 0;
	assert_int_equal(store_result_keys(st, s1, "socks5", count_key, NULL), 0);
	assert_int_equal(nkeys, RW_STORE_PAGE_MAX / 2);
	store_close(st);
}

/* params of megabytes round-trip; past RW_STORE_PARAMS_MAX refused */
static void test_big_params(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	size_t big = 8u << 20;
	char *p = malloc(big + 1), *huge;
	struct store_scan sc = {.created = NOW, .seed = 1, .total = 1}, got;
	int64_t id = 0;

	memset(p, 'a', big);
	memcpy(p, "{\"targets\":\"", 12);
	memcpy(p + big - 2, "\"}", 2);
	p[big] = '\0';
	sc.params = p;
	assert_int_equal(store_scan_create(st, &sc, &id), 0);
	assert_int_equal(store_scan_get(st, id, &got), 1);
	assert_int_equal(strlen(got.params), big);
	assert_int_equal(memcmp(got.params, p, big), 0);
	store_scan_clear(&got);

	huge = malloc((size_t)RW_STORE_PARAMS_MAX + 2);
	memset(huge, 'b', (size_t)RW_STORE_PARAMS_MAX + 1);
	huge[RW_STORE_PARAMS_MAX + 1] = '\0';
	sc.params = huge;
	assert_int_equal(store_scan_create(st, &sc, &id), -1);
	assert_non_null(strstr(store_error(st), "scan params"));
	free(huge);
	free(p);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_late_upgrade, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_late_before_result, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_late_in_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_late_race, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arrivals_since, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_result_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_result_keys_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_big_params, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
