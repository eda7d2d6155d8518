/*
 * NAME
 *	pg_work - the PostgreSQL backend's distributed-scan calls
 * SUMMARY
 *	store_pg_work_ops: shards (plan, claim, renew, save, finish, list),
 *	worker heartbeats, result keys of one vantage (schema version 5)
 * SYNOPSIS
 *	extern const struct store_work_ops store_pg_work_ops;
 * DESCRIPTION
 *	The callbacks of struct store_work_ops (store.h) on the session of
 *	pg.c (pg_int.h), statement for statement as sqlite_work.c, every
 *	value a parameter. The claim's inner SELECT takes the shard row with
 *	FOR UPDATE SKIP LOCKED: workers claiming at the same moment each get
 *	another shard and none waits for another's transaction; the outer
 *	UPDATE re-checks nothing else, since the locked row cannot change
 *	under it. Renew, save and finish match on the holder's name and
 *	state 'claimed', as SQLite's.
 * DIAGNOSTICS
 *	-1 with "postgresql: what: the server's message (SQLSTATE)".
 * LIMITS
 *	RW_STORE_PAGE_MAX keys per query for result_keys_vantage.
 * STANDARDS
 *	PostgreSQL 10+ (ON CONFLICT, RETURNING, SKIP LOCKED).
 */
#include "pg_int.h"

#include "work_sql.h"

#include <stdlib.h>
#include <string.h>

enum kstmt {
	K_PLAN,
	K_CLAIM,
	K_RENEW,
	K_SAVE,
	K_FINISH,
	K_LIST,
	K_BEAT,
	K_WORKERS,
	K_KEYS,
	K__COUNT
};

static const struct {
	const char *name;
	const char *sql;
} kstmts[K__COUNT] = {
    [K_PLAN] = {"shards plan", WORK_SQL_PLAN},
    [K_CLAIM] = {"shard claim", WORK_SQL_CLAIM(" FOR UPDATE OF sh SKIP LOCKED")},
    [K_RENEW] = {"shard renew", WORK_SQL_RENEW},
    [K_SAVE] = {"shard save", WORK_SQL_SAVE},
    [K_FINISH] = {"shard finish", WORK_SQL_FINISH},
    [K_LIST] = {"shards list", WORK_SQL_LIST},
    [K_BEAT] = {"worker beat", WORK_SQL_BEAT},
    [K_WORKERS] = {"workers list", WORK_SQL_WORKERS("name COLLATE \"C\"")},
    [K_KEYS] = {"result keys", WORK_SQL_KEYS},
};

static struct pg_store *P(struct store *st)
{
	return (struct pg_store *)st;
}

/* q - run one of this file's statements */
static PGresult *q(struct pg_store *s, enum kstmt id, struct pg_args *a)
{
	return pg_exec(s, kstmts[id].name, kstmts[id].sql, a);
}

/* one_id - a statement of this file returning at most one row: 1, 0, -1 */
static int one_id(struct pg_store *s, enum kstmt id, struct pg_args *a)
{
	return pg_one_id(s, kstmts[id].name, kstmts[id].sql, a, NULL);
}

/* shard_row - SHARD_COLS into h */
static void shard_row(const PGresult *r, int i, struct store_shard *h)
{
	h->id = pg_i64(r, i, 0);
	h->scan = pg_i64(r, i, 1);
	h->vantage = pg_dup(r, i, 2);
	h->shard = pg_i64(r, i, 3);
	h->shards = pg_i64(r, i, 4);
	h->state = pg_dup(r, i, 5);
	h->worker = pg_dup(r, i, 6);
	h->lease_ms = pg_i64(r, i, 7);
	h->claims = pg_i64(r, i, 8);
	h->walk_pos = pg_i64(r, i, 9);
	h->done = pg_i64(r, i, 10);
	h->counts = pg_dup(r, i, 11);
	h->updated_ms = pg_i64(r, i, 12);
}

/* worker_row - WORKER_COLS into w */
static void worker_row(const PGresult *r, int i, struct store_worker *w)
{
	w->name = pg_dup(r, i, 0);
	w->vantage = pg_dup(r, i, 1);
	w->started_ms = pg_i64(r, i, 2);
	w->seen_ms = pg_i64(r, i, 3);
	w->shard = pg_i64(r, i, 4);
	w->inflight = pg_i64(r, i, 5);
}

static int pk_shards_plan(struct store *st, int64_t scan, const char *const *vantages, size_t nv,
                          int64_t n, int64_t now_ms, int64_t *added)
{
	static const char *const any[] = {""};
	struct pg_store *s = P(st);
	int own, rc = 0;

	if (nv == 0 || vantages == NULL)
		vantages = any, nv = 1;
	*added = 0;
	if (pg_own_begin(s, &own) < 0)
		return -1;
	for (size_t v = 0; v < nv && rc >= 0; v++)
		for (int64_t k = 0; k < n && rc >= 0; k++) {
			struct pg_args a = {0};

			pg_int(&a, scan);
			pg_text(&a, vantages[v], "");
			pg_int(&a, k);
			pg_int(&a, n);
			pg_int(&a, now_ms);
			if ((rc = one_id(s, K_PLAN, &a)) > 0)
				(*added)++;
		}
	return pg_own_end(s, own, rc < 0 ? -1 : 0);
}

static int pk_shard_claim(struct store *st, const char *worker, const char *vantage, int64_t now_ms,
                          int64_t lease_ms, struct store_shard *out)
{
	struct pg_args a = {0};
	PGresult *r;
	int found;

	pg_text(&a, worker, NULL);
	pg_int(&a, now_ms + lease_ms);
	pg_int(&a, now_ms);
	pg_text(&a, vantage, "");
	if ((r = q(P(st), K_CLAIM, &a)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0))
		shard_row(r, 0, out);
	PQclear(r);
	return found;
}

static int pk_shard_renew(struct store *st, int64_t id, const char *worker, int64_t until_ms,
                          int64_t now_ms)
{
	struct pg_args a = {0};

	pg_int(&a, until_ms);
	pg_int(&a, now_ms);
	pg_int(&a, id);
	pg_text(&a, worker, NULL);
	return one_id(P(st), K_RENEW, &a);
}

static int pk_shard_save(struct store *st, int64_t id, const char *worker, int64_t walk_pos,
                         int64_t done, const char *counts, int64_t now_ms)
{
	struct pg_args a = {0};

	pg_int(&a, walk_pos);
	pg_int(&a, done);
	pg_text(&a, counts, "{}");
	pg_int(&a, now_ms);
	pg_int(&a, id);
	pg_text(&a, worker, NULL);
	return one_id(P(st), K_SAVE, &a);
}

static int pk_shard_finish(struct store *st, int64_t id, const char *worker, int64_t now_ms)
{
	struct pg_args a = {0};

	pg_int(&a, now_ms);
	pg_int(&a, id);
	pg_text(&a, worker, NULL);
	return one_id(P(st), K_FINISH, &a);
}

static int pk_shards_list(struct store *st, int64_t scan, struct store_shards *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, scan);
	if ((r = q(P(st), K_LIST, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, shard_row);
	return 0;
}

static int pk_worker_beat(struct store *st, const struct store_worker *w)
{
	struct pg_args a = {0};

	pg_text(&a, w->name, NULL);
	pg_text(&a, w->vantage, "");
	pg_int(&a, w->started_ms);
	pg_int(&a, w->seen_ms);
	pg_int(&a, w->shard);
	pg_int(&a, w->inflight);
	return pg_count(P(st), kstmts[K_BEAT].name, kstmts[K_BEAT].sql, &a) < 0 ? -1 : 0;
}

static int pk_workers_list(struct store *st, int64_t since_ms, struct store_workers *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, since_ms);
	if ((r = q(P(st), K_WORKERS, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, worker_row);
	return 0;
}

/* pk_result_keys_vantage - as pg_result_keys, for one probe and vantage */
static int pk_result_keys_vantage(struct store *st, int64_t scan, const char *probe,
                                  const char *vantage,
                                  void (*fn)(void *arg, const char *target, unsigned port),
                                  void *arg)
{
	int64_t last = 0;
	int n;

	do {
		struct pg_args a = {0};
		PGresult *r;

		pg_int(&a, scan);
		pg_int(&a, last);
		pg_text(&a, probe, NULL);
		pg_text(&a, vantage, "");
		pg_int(&a, RW_STORE_PAGE_MAX);
		if ((r = q(P(st), K_KEYS, &a)) == NULL)
			return -1;
		n = PQntuples(r);
		for (int i = 0; i < n; i++) {
			last = pg_i64(r, i, 0);
			fn(arg, PQgetvalue(r, i, 1), (unsigned)pg_int32(r, i, 2));
		}
		PQclear(r);
	} while (n == RW_STORE_PAGE_MAX);
	return 0;
}

const struct store_work_ops store_pg_work_ops = {
    .shards_plan = pk_shards_plan,
    .shard_claim = pk_shard_claim,
    .shard_renew = pk_shard_renew,
    .shard_save = pk_shard_save,
    .shard_finish = pk_shard_finish,
    .shards_list = pk_shards_list,
    .worker_beat = pk_worker_beat,
    .workers_list = pk_workers_list,
    .result_keys_vantage = pk_result_keys_vantage,
};
