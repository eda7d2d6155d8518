/*
 * NAME
 *	store_work - the distributed scan's checked store calls
 * SUMMARY
 *	store_shard_* / store_worker_*: check, then call the backend's
 *	store_work_ops
 * SYNOPSIS
 *	int store_shards_plan(st, scan, vantages, nv, n, now_ms, &added);
 *	int store_shard_claim(st, worker, vantage, now_ms, lease_ms, &out);
 *	int store_shard_renew(st, id, worker, until_ms, now_ms);
 *	int store_shard_save(st, id, worker, walk_pos, done, counts, now_ms);
 *	int store_shard_finish(st, id, worker, now_ms);
 *	int store_shards_list(st, scan, &out);
 *	int store_worker_beat(st, &w); int store_workers_list(st, since, &out);
 *	int store_result_keys_vantage(st, scan, probe, vantage, fn, arg);
 * DESCRIPTION
 *	The wrappers keep store.c's promises (schema current, outputs
 *	cleared, a failure spoils the open batch) and refuse what no backend
 *	should see: no worker name, n < 1 or more than RW_STORE_SHARDS_MAX
 *	shards, a lease under 1 ms, a negative position. A backend without
 *	these calls says so.
 * DIAGNOSTICS
 *	-1 and store_error(st).
 * LIMITS
 *	RW_STORE_SHARDS_MAX shards per vantage.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

/* ready - the schema is current and the backend has the calls */
static int ready(struct store *st)
{
	if (st->version != STORE_SCHEMA_VERSION)
		store_seterr(st, "%s: schema version %d, this program needs %d: run migrate",
		             st->ops->name, st->version, STORE_SCHEMA_VERSION);
	else if (st->ops->work == NULL)
		store_seterr(st, "%s: no distributed scans in this backend", st->ops->name);
	else
		return 0;
	if (st->in_batch)
		st->spoiled = 1;
	return -1;
}

/* done - a failure spoils the open batch */
static int done(struct store *st, int rc)
{
	if (rc < 0 && st->in_batch)
		st->spoiled = 1;
	return rc;
}

/* bad - set the error and spoil the batch: -1 */
static int bad(struct store *st, const char *what)
{
	store_seterr(st, "%s", what);
	return done(st, -1);
}

/* no_worker - the worker's name is missing */
static int no_worker(const char *worker)
{
	return worker == NULL || *worker == '\0';
}

int store_shards_plan(struct store *st, int64_t scan, const char *const *vantages, size_t nv,
                      int64_t n, int64_t now_ms, int64_t *added)
{
	int64_t dummy;

	if (ready(st) < 0)
		return -1;
	if (n < 1 || n > RW_STORE_SHARDS_MAX)
		return bad(st, "shards plan: the count is out of range");
	for (size_t i = 0; vantages && i < nv; i++)
		if (vantages[i] == NULL)
			return bad(st, "shards plan: a NULL vantage");
	return done(st, st->ops->work->shards_plan(st, scan, vantages, nv, n, now_ms,
	                                           added ? added : &dummy));
}

int store_shard_claim(struct store *st, const char *worker, const char *vantage, int64_t now_ms,
                      int64_t lease_ms, struct store_shard *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (no_worker(worker) || lease_ms < 1)
		return bad(st, "shard claim: no worker name, or a lease under 1 ms");
	if ((rc = st->ops->work->shard_claim(st, worker, vantage ? vantage : "", now_ms, lease_ms,
	                                     out)) <= 0)
		store_shard_clear(out);
	return done(st, rc);
}

int store_shard_renew(struct store *st, int64_t id, const char *worker, int64_t until_ms,
                      int64_t now_ms)
{
	if (ready(st) < 0)
		return -1;
	if (no_worker(worker))
		return bad(st, "shard renew: no worker name");
	return done(st, st->ops->work->shard_renew(st, id, worker, until_ms, now_ms));
}

int store_shard_save(struct store *st, int64_t id, const char *worker, int64_t walk_pos, int64_t n,
                     const char *counts, int64_t now_ms)
{
	if (ready(st) < 0)
		return -1;
	if (no_worker(worker) || walk_pos < 0 || n < 0)
		return bad(st, "shard save: no worker name, or a negative position");
	return done(st, st->ops->work->shard_save(st, id, worker, walk_pos, n, counts, now_ms));
}

int store_shard_finish(struct store *st, int64_t id, const char *worker, int64_t now_ms)
{
	if (ready(st) < 0)
		return -1;
	if (no_worker(worker))
		return bad(st, "shard finish: no worker name");
	return done(st, st->ops->work->shard_finish(st, id, worker, now_ms));
}

int store_shards_list(struct store *st, int64_t scan, struct store_shards *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (st->ops->work->shards_list(st, scan, out) < 0) {
		store_shards_free(out);
		return done(st, -1);
	}
	return 0;
}

int store_worker_beat(struct store *st, const struct store_worker *w)
{
	if (ready(st) < 0)
		return -1;
	if (no_worker(w->name))
		return bad(st, "worker beat: no worker name");
	return done(st, st->ops->work->worker_beat(st, w));
}

int store_workers_list(struct store *st, int64_t since_ms, struct store_workers *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (st->ops->work->workers_list(st, since_ms, out) < 0) {
		store_workers_free(out);
		return done(st, -1);
	}
	return 0;
}

int store_result_keys_vantage(struct store *st, int64_t scan, const char *probe,
                              const char *vantage,
                              void (*fn)(void *arg, const char *target, unsigned port), void *arg)
{
	if (ready(st) < 0)
		return -1;
	if (probe == NULL || *probe == '\0')
		return bad(st, "result keys: no probe");
	return done(st, st->ops->work->result_keys_vantage(st, scan, probe, vantage ? vantage : "",
	                                                   fn, arg));
}

/* free_const - free a returned string */
static void free_const(const char *s)
{
	free((void *)s);
}

void store_shard_clear(struct store_shard *s)
{
	free_const(s->vantage);
	free_const(s->state);
	free_const(s->worker);
	free_const(s->counts);
	memset(s, 0, sizeof(*s));
}

void store_shards_free(struct store_shards *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_shard_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void store_workers_free(struct store_workers *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free_const(l->v[i].name);
		free_const(l->v[i].vantage);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
