/*
 * NAME
 *	scan_work - a distributed scan's progress across its workers, and
 *	vantage names
 * SUMMARY
 *	relaywatch scan --status ID [--json]
 * SYNOPSIS
 *	int scan_status(struct store *st, int64_t scan, int json, long long now_ms);
 *	int vantage_name_ok(const char *s);
 * DESCRIPTION
 *	scan_status reads the scan, its shards (store_shards_list) and the
 *	workers seen within RW_WORKER_LIVE seconds, and prints: the scan's
 *	state and size; per vantage the shards done, running (claimed with
 *	a lease that holds), waiting (pending, or claimed with a lease that
 *	ran out: a worker died) and taken over (claimed more than once), the
 *	results written and their verdicts (the shards' counts summed); the
 *	live workers with their vantage, shard and sessions in flight. A
 *	scan that was not planned with --shards has no shards: its progress
 *	row is shown instead. --json gives the same as one object:
 *	{"scan", "state", "total", "shards", "vantages": [{"vantage", "shards",
 *	"done", "running", "waiting", "taken_over", "results", "counts"}],
 *	"workers": [{"name", "vantage", "shard", "inflight", "seen"}]}.
 * DIAGNOSTICS
 *	Exit 0; 2 no such scan; 3 a store error (message on stderr).
 * LIMITS
 *	RW_WORKER_VANTAGES_MAX vantages shown; every shard is read (at most
 *	RW_STORE_SHARDS_MAX per vantage).
 */
#include "scan_work.h"

#include "../core/limits.h"
#include "../smtp/result.h"
#include "cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int vantage_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* One vantage's totals. */
struct vtot {
	const char *name;
	int64_t shards, done, running, waiting, taken_over, results;
	json_t *counts; /* verdict -> results, summed over its shards */
};

/* add_counts - a shard's counts JSON into t's (verdict members only) */
static void add_counts(struct vtot *t, const char *counts)
{
	json_t *c = json_loads(counts ? counts : "{}", 0, NULL);

	for (int v = 0; c && v < V__COUNT; v++) {
		const char *k = verdict_name((enum verdict)v);
		json_int_t n = json_integer_value(json_object_get(c, k));

		if (n)
			json_object_set_new(
			    t->counts, k,
			    json_integer(json_integer_value(json_object_get(t->counts, k)) + n));
	}
	json_decref(c);
}

int scan_status(struct store *st, int64_t scan, int json, long long now_ms)
{
	struct store_scan sc = {0};
	struct store_shards l = {0};
	struct store_workers w = {0};
	struct vtot v[RW_WORKER_VANTAGES_MAX] = {0};
	size_t nv = 0;
	int found = store_scan_get(st, scan, &sc), rc = EXIT_CLEAN;

	if (found <= 0) {
		fprintf(stderr, "relaywatch scan: --status %lld: %s\n", (long long)scan,
		        found < 0 ? store_error(st) : "no such scan in the store");
		return found < 0 ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if (store_shards_list(st, scan, &l) < 0 ||
	    store_workers_list(st, now_ms - RW_WORKER_LIVE * 1000LL, &w) < 0) {
		fprintf(stderr, "relaywatch scan: --status %lld: %s\n", (long long)scan,
		        store_error(st));
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct store_shard *h = &l.v[i];
		size_t k = 0;

		while (k < nv && strcmp(v[k].name, h->vantage) != 0)
			k++;
		if (k == nv) {
			if (nv == RW_WORKER_VANTAGES_MAX)
				continue;
			v[nv].name = h->vantage;
			v[nv++].counts = json_object();
		}
		v[k].shards++;
		v[k].results += h->done;
		v[k].taken_over += h->claims > 1;
		if (strcmp(h->state, "done") == 0)
			v[k].done++;
		else if (strcmp(h->state, "claimed") == 0 && h->lease_ms >= now_ms)
			v[k].running++;
		else
			v[k].waiting++;
		add_counts(&v[k], h->counts);
	}
	if (json) {
		json_t *o =
		    json_pack("{s:I, s:s, s:I, s:I}", "scan", (json_int_t)scan, "state", sc.state,
		              "total", (json_int_t)sc.total, "shards", (json_int_t)l.n);
		json_t *jv = json_array(), *jw = json_array();

		for (size_t k = 0; k < nv; k++)
			json_array_append_new(
			    jv,
			    json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:O}", "vantage",
			              v[k].name, "shards", (json_int_t)v[k].shards, "done",
			              (json_int_t)v[k].done, "running", (json_int_t)v[k].running,
			              "waiting", (json_int_t)v[k].waiting, "taken_over",
			              (json_int_t)v[k].taken_over, "results",
			              (json_int_t)v[k].results, "counts", v[k].counts));
		for (size_t i = 0; i < w.n; i++)
			json_array_append_new(jw, json_pack("{s:s, s:s, s:I, s:I, s:I}", "name",
			                                    w.v[i].name, "vantage", w.v[i].vantage,
			                                    "shard", (json_int_t)w.v[i].shard,
			                                    "inflight", (json_int_t)w.v[i].inflight,
			                                    "seen",
			                                    (json_int_t)(w.v[i].seen_ms / 1000)));
		json_object_set_new(o, "vantages", jv);
		json_object_set_new(o, "workers", jw);
		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
		goto out;
	}
	printf("scan %lld: %s, %lld target(s) x port(s), %zu shard(s)\n", (long long)scan, sc.state,
	       (long long)sc.total, l.n);
	if (l.n == 0) {
		struct store_progress pr = {0};

		if (store_progress_load(st, scan, &pr) > 0)
			printf("one process: %lld result(s), walk position %lld, %s\n",
			       (long long)pr.done, (long long)pr.position,
			       pr.counts ? pr.counts : "{}");
		store_progress_clear(&pr);
		printf("not planned for workers (relaywatch scan --shards N --no-run plans one)\n");
	}
	for (size_t k = 0; k < nv; k++) {
		const char *key;
		json_t *n;

		printf(
		    "vantage %-12s %lld/%lld shards done, %lld running, %lld waiting, %lld taken "
		    "over; %lld result(s):",
		    v[k].name[0] ? v[k].name : "(any)", (long long)v[k].done,
		    (long long)v[k].shards, (long long)v[k].running, (long long)v[k].waiting,
		    (long long)v[k].taken_over, (long long)v[k].results);
		json_object_foreach(v[k].counts, key, n)
		    printf(" %s %lld", key, (long long)json_integer_value(n));
		putchar('\n');
	}
	for (size_t i = 0; i < w.n; i++)
		printf("worker %-16s vantage %-12s shard %-6lld %lld in flight, seen %llds ago\n",
		       w.v[i].name, w.v[i].vantage[0] ? w.v[i].vantage : "(any)",
		       (long long)w.v[i].shard, (long long)w.v[i].inflight,
		       (long long)((now_ms - w.v[i].seen_ms) / 1000));
out:
	for (size_t k = 0; k < nv; k++)
		json_decref(v[k].counts);
	store_scan_clear(&sc);
	store_shards_free(&l);
	store_workers_free(&w);
	return rc;
}
