/*
 * NAME
 *	sqlite_work - the SQLite backend's distributed-scan calls
 * SUMMARY
 *	store_sqlite_work_ops: shards (plan, claim, renew, save, finish,
 *	list), worker heartbeats, result keys of one vantage (schema
 *	version 5)
 * SYNOPSIS
 *	extern const struct store_work_ops store_sqlite_work_ops;
 * DESCRIPTION
 *	The callbacks of struct store_work_ops (store.h) on the session of
 *	sqlite.c (sqlite_int.h), as sqlite_web.c does it: statements
 *	prepared once per handle, $N parameters, every value bound.
 *	A claim is one UPDATE .. WHERE id = (SELECT .. LIMIT 1) RETURNING:
 *	SQLite runs it under the database's write lock, so two workers never
 *	get the same shard (PostgreSQL's backend adds FOR UPDATE SKIP
 *	LOCKED to the inner SELECT for the same effect without waiting).
 *	Renew, save and finish match on the holder's name and state
 *	'claimed': a worker whose lease was taken over changes nothing.
 * DIAGNOSTICS
 *	-1 with "sqlite: what: sqlite's message (extended code)".
 * LIMITS
 *	RW_STORE_PAGE_MAX keys per query for result_keys_vantage.
 * STANDARDS
 *	SQLite 3.35+ (RETURNING).
 */
#include "sqlite_int.h"

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
_Static_assert(K__COUNT <= SQLITE_WORK_STMTS, "room for every work statement");

static const struct {
	const char *name;
	const char *sql;
} kstmts[K__COUNT] = {
    [K_PLAN] = {"shards plan", WORK_SQL_PLAN},
    [K_CLAIM] = {"shard claim", WORK_SQL_CLAIM("")},
    [K_RENEW] = {"shard renew", WORK_SQL_RENEW},
    [K_SAVE] = {"shard save", WORK_SQL_SAVE},
    [K_FINISH] = {"shard finish", WORK_SQL_FINISH},
    [K_LIST] = {"shards list", WORK_SQL_LIST},
    [K_BEAT] = {"worker beat", WORK_SQL_BEAT},
    [K_WORKERS] = {"workers list", WORK_SQL_WORKERS("name")},
    [K_KEYS] = {"result keys", WORK_SQL_KEYS},
};

static struct sqlite_store *S(struct store *st)
{
	return (struct sqlite_store *)st;
}

/* prep - one of this file's statements */
static sqlite3_stmt *prep(struct sqlite_store *s, enum kstmt id)
{
	return sqlite_prepare(s, &s->work[id], kstmts[id].name, kstmts[id].sql);
}

/* step_row - step q for at most one row: 1 a row (fn fills out), 0 none */
static int step_row(struct sqlite_store *s, sqlite3_stmt *q, const char *what,
                    void (*fn)(sqlite3_stmt *q, void *out), void *out)
{
	int rc = sqlite3_step(q), found = 0;

	if (rc == SQLITE_ROW) {
		if (fn)
			fn(q, out);
		found = 1;
		rc = sqlite3_step(q);
	}
	if (rc != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, what));
	return sqlite_finish(q, found);
}

/* shard_row - SHARD_COLS into out */
static void shard_row(sqlite3_stmt *q, void *out)
{
	struct store_shard *h = out;

	h->id = sqlite3_column_int64(q, 0);
	h->scan = sqlite3_column_int64(q, 1);
	h->vantage = sqlite_col_dup(q, 2);
	h->shard = sqlite3_column_int64(q, 3);
	h->shards = sqlite3_column_int64(q, 4);
	h->state = sqlite_col_dup(q, 5);
	h->worker = sqlite_col_dup(q, 6);
	h->lease_ms = sqlite3_column_int64(q, 7);
	h->claims = sqlite3_column_int64(q, 8);
	h->walk_pos = sqlite3_column_int64(q, 9);
	h->done = sqlite3_column_int64(q, 10);
	h->counts = sqlite_col_dup(q, 11);
	h->updated_ms = sqlite3_column_int64(q, 12);
}

/* worker_row - WORKER_COLS into out */
static void worker_row(sqlite3_stmt *q, void *out)
{
	struct store_worker *w = out;

	w->name = sqlite_col_dup(q, 0);
	w->vantage = sqlite_col_dup(q, 1);
	w->started_ms = sqlite3_column_int64(q, 2);
	w->seen_ms = sqlite3_column_int64(q, 3);
	w->shard = sqlite3_column_int64(q, 4);
	w->inflight = sqlite3_column_int64(q, 5);
}

/* wk_shards_plan - n shards per vantage, one transaction */
static int wk_shards_plan(struct store *st, int64_t scan, const char *const *vantages, size_t nv,
                          int64_t n, int64_t now_ms, int64_t *added)
{
	static const char *const any[] = {""};
	struct sqlite_store *s = S(st);
	int own, rc = 0;

	if (nv == 0 || vantages == NULL)
		vantages = any, nv = 1;
	*added = 0;
	if (sqlite_own_begin(s, &own) < 0)
		return -1;
	for (size_t v = 0; v < nv && rc >= 0; v++)
		for (int64_t k = 0; k < n && rc >= 0; k++) {
			sqlite3_stmt *q = prep(s, K_PLAN);

			if (q == NULL) {
				rc = -1;
				break;
			}
			sqlite3_bind_int64(q, 1, scan);
			sqlite_bind_text(q, 2, vantages[v], "");
			sqlite3_bind_int64(q, 3, k);
			sqlite3_bind_int64(q, 4, n);
			sqlite3_bind_int64(q, 5, now_ms);
			if ((rc = step_row(s, q, "shards plan", NULL, NULL)) > 0)
				(*added)++;
		}
	return sqlite_own_end(s, own, rc < 0 ? -1 : 0);
}

/* wk_shard_claim - lease the first claimable shard */
static int wk_shard_claim(struct store *st, const char *worker, const char *vantage, int64_t now_ms,
                          int64_t lease_ms, struct store_shard *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, K_CLAIM);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, worker, NULL);
	sqlite3_bind_int64(q, 2, now_ms + lease_ms);
	sqlite3_bind_int64(q, 3, now_ms);
	sqlite_bind_text(q, 4, vantage, "");
	return step_row(s, q, "shard claim", shard_row, out);
}

/* wk_shard_renew - extend the holder's lease */
static int wk_shard_renew(struct store *st, int64_t id, const char *worker, int64_t until_ms,
                          int64_t now_ms)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, K_RENEW);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, until_ms);
	sqlite3_bind_int64(q, 2, now_ms);
	sqlite3_bind_int64(q, 3, id);
	sqlite_bind_text(q, 4, worker, NULL);
	return step_row(s, q, "shard renew", NULL, NULL);
}

/* wk_shard_save - the holder's low-water mark and counters */
static int wk_shard_save(struct store *st, int64_t id, const char *worker, int64_t walk_pos,
                         int64_t done, const char *counts, int64_t now_ms)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, K_SAVE);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, walk_pos);
	sqlite3_bind_int64(q, 2, done);
	sqlite_bind_text(q, 3, counts, "{}");
	sqlite3_bind_int64(q, 4, now_ms);
	sqlite3_bind_int64(q, 5, id);
	sqlite_bind_text(q, 6, worker, NULL);
	return step_row(s, q, "shard save", NULL, NULL);
}

/* wk_shard_finish - the holder's shard is done */
static int wk_shard_finish(struct store *st, int64_t id, const char *worker, int64_t now_ms)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, K_FINISH);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, now_ms);
	sqlite3_bind_int64(q, 2, id);
	sqlite_bind_text(q, 3, worker, NULL);
	return step_row(s, q, "shard finish", NULL, NULL);
}

/* rows - every row of q into a list of sz-byte items */
static int rows(struct sqlite_store *s, sqlite3_stmt *q, const char *what, void **v, size_t *n,
                size_t sz, void (*fn)(sqlite3_stmt *q, void *out))
{
	size_t alloc = 0;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*v = sqlite_grow(*v, *n, &alloc, sz);
		memset((char *)*v + *n * sz, 0, sz);
		fn(q, (char *)*v + *n * sz);
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, what));
	return sqlite_finish(q, 0);
}

/* wk_shards_list - the scan's shards */
static int wk_shards_list(struct store *st, int64_t scan, struct store_shards *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, K_LIST);
	void *v = NULL;
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, scan);
	rc = rows(s, q, "shards list", &v, &out->n, sizeof(*out->v), shard_row);
	out->v = v;
	return rc;
}

/* wk_worker_beat - upsert the worker's row */
static int wk_worker_beat(struct store *st, const struct store_worker *w)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, K_BEAT);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, w->name, NULL);
	sqlite_bind_text(q, 2, w->vantage, "");
	sqlite3_bind_int64(q, 3, w->started_ms);
	sqlite3_bind_int64(q, 4, w->seen_ms);
	sqlite3_bind_int64(q, 5, w->shard);
	sqlite3_bind_int64(q, 6, w->inflight);
	return step_row(s, q, "worker beat", NULL, NULL) < 0 ? -1 : 0;
}

/* wk_workers_list - the workers seen since since_ms */
static int wk_workers_list(struct store *st, int64_t since_ms, struct store_workers *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, K_WORKERS);
	void *v = NULL;
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, since_ms);
	rc = rows(s, q, "workers list", &v, &out->n, sizeof(*out->v), worker_row);
	out->v = v;
	return rc;
}

/* One page of keys. */
struct kpage {
	size_t n, alloc;
	int64_t last;
	struct {
		char *target;
		unsigned port;
	} * v;
};

/* wk_result_keys_vantage - (target, port) of the scan's results of one
 * probe and vantage, id order, a page at a time; no statement open
 * while fn runs */
static int wk_result_keys_vantage(struct store *st, int64_t scan, const char *probe,
                                  const char *vantage,
                                  void (*fn)(void *arg, const char *target, unsigned port),
                                  void *arg)
{
	struct sqlite_store *s = S(st);
	struct kpage p = {0};
	int rc = 0;

	do {
		sqlite3_stmt *q;

		for (size_t i = 0; i < p.n; i++)
			free(p.v[i].target);
		p.n = 0;
		if ((q = prep(s, K_KEYS)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(q, 1, scan);
		sqlite3_bind_int64(q, 2, p.last);
		sqlite_bind_text(q, 3, probe, NULL);
		sqlite_bind_text(q, 4, vantage, "");
		sqlite3_bind_int64(q, 5, RW_STORE_PAGE_MAX);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			p.v = sqlite_grow(p.v, p.n, &p.alloc, sizeof(*p.v));
			p.last = sqlite3_column_int64(q, 0);
			p.v[p.n].target = sqlite_col_dup(q, 1);
			p.v[p.n++].port = (unsigned)sqlite3_column_int(q, 2);
		}
		if (rc != SQLITE_DONE) {
			rc = sqlite_finish(q, sqlite_fail(s, "result keys"));
			break;
		}
		rc = sqlite_finish(q, 0);
		for (size_t i = 0; i < p.n; i++)
			fn(arg, p.v[i].target, p.v[i].port);
	} while (p.n == RW_STORE_PAGE_MAX);
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i].target);
	free(p.v);
	return rc;
}

const struct store_work_ops store_sqlite_work_ops = {
    .shards_plan = wk_shards_plan,
    .shard_claim = wk_shard_claim,
    .shard_renew = wk_shard_renew,
    .shard_save = wk_shard_save,
    .shard_finish = wk_shard_finish,
    .shards_list = wk_shards_list,
    .worker_beat = wk_worker_beat,
    .workers_list = wk_workers_list,
    .result_keys_vantage = wk_result_keys_vantage,
};
