/*
 * NAME
 *	pg_scan - the PostgreSQL backend's scanner calls and its ops table
 * SUMMARY
 *	store_pg_ops: scans, progress, results, arrivals, tallies (and
 *	pg.c's session calls, pg_desk.c's and pg_web.c's tables)
 * SYNOPSIS
 *	extern const struct store_ops store_pg_ops;
 * DESCRIPTION
 *	The callbacks of struct store_ops (store.h) past the session, on
 *	pg.c's connection (pg_int.h), statement for statement as sqlite.c:
 *	every value a parameter, text ordered by bytes (COLLATE "C") as
 *	SQLite orders it, whatever the database's locale. The texts both
 *	backends run are scan_sql.h's.
 *	The late-arrival rule (store.h): result_put of an smtp suspect and
 *	arrival_put of a tied relayed arrival take a transaction-level
 *	advisory lock on the key (scan, target, port), hashed (FNV-1a), before
 *	they read and write, in their own transaction unless a batch is
 *	open: an arrival and a result of one key written at once by two
 *	processes serialise, and the second sees the first (READ COMMITTED
 *	takes a new snapshot per statement, after the lock). Other results
 *	and arrivals are one INSERT each.
 *	result_keys pages by id (keyset), as SQLite's; the page's rows are
 *	held in the result, no statement open, while the callback runs.
 * DIAGNOSTICS
 *	-1 with "postgresql: what: the server's message (SQLSTATE)".
 * LIMITS
 *	RW_STORE_PAGE_MAX (via store.c).
 * STANDARDS
 *	PostgreSQL 10+ (ON CONFLICT, RETURNING, advisory locks).
 */
#include "pg_int.h"
#include "scan_sql.h"
#include "../core/log.h"
#include "../core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stmt_id {
	S_SCAN_INSERT,
	S_SCAN_GET,
	S_SCAN_LIST,
	S_SCAN_STATE,
	S_PROGRESS_SAVE,
	S_PROGRESS_LOAD,
	S_KEY_LOCK,
	S_RESULT_PUT,
	S_RESULTS_ALL,
	S_RESULTS_VERDICT,
	S_COUNT_ALL,
	S_COUNT_VERDICT,
	S_ARRIVAL_PUT,
	S_ARRIVALS_SCAN,
	S_ARRIVALS_NONE,
	S_ARRIVALS_SINCE,
	S_ARRIVALS_SINCE_NONE,
	S_ARRIVAL_PROOF,
	S_UPGRADE,
	S_KEYS_ALL,
	S_KEYS_PROBE,
	S_RESULTS_OF,
	S_TALLY_SCANS,
	S_TALLY_RESULTS,
	S_TALLY_INCIDENTS,
	S_TALLY_OUTBOX,
	S_TALLY_ARRIVALS,
	S_TALLY_BLOCKS,
	S__COUNT
};

/* Text orders by bytes (COLLATE "C"), as SQLite's: the same keys come in
 * the same order whatever the database's locale. */
#define COLLATE_C " COLLATE \"C\""

static const struct {
	const char *name; /* for error texts */
	const char *sql;
} stmts[S__COUNT] = {
    [S_SCAN_INSERT] = {"scan create", SCAN_SQL_INSERT},
    [S_SCAN_GET] = {"scan get", SCAN_SQL_GET},
    [S_SCAN_LIST] = {"scan list", SCAN_SQL_LIST},
    [S_SCAN_STATE] = {"scan state", SCAN_SQL_STATE},
    [S_PROGRESS_SAVE] = {"progress save", SCAN_SQL_PROGRESS_SAVE},
    [S_PROGRESS_LOAD] = {"progress load", SCAN_SQL_PROGRESS_LOAD},
    /* PostgreSQL's alone: SQLite serialises on its write lock instead */
    [S_KEY_LOCK] = {"key lock", "SELECT pg_advisory_xact_lock($1::bigint)"},
    [S_RESULT_PUT] = {"result put", SCAN_SQL_RESULT_PUT},
    [S_RESULTS_ALL] = {"results list", SCAN_SQL_RESULTS_ALL},
    [S_RESULTS_VERDICT] = {"results list", SCAN_SQL_RESULTS_VERDICT},
    [S_RESULTS_OF] = {"results of", SCAN_SQL_RESULTS_OF},
    [S_TALLY_SCANS] = {"tally scans", SCAN_SQL_TALLY_SCANS(COLLATE_C)},
    [S_TALLY_RESULTS] = {"tally results", SCAN_SQL_TALLY_RESULTS(COLLATE_C)},
    [S_TALLY_INCIDENTS] = {"tally incidents", SCAN_SQL_TALLY_INCIDENTS(COLLATE_C)},
    [S_TALLY_OUTBOX] = {"tally outbox", SCAN_SQL_TALLY_OUTBOX(COLLATE_C)},
    /* its own text: relayed is an integer, not a truth value, here, and
     * ORDER BY cannot collate an output column's name, hence the
     * subquery */
    [S_TALLY_ARRIVALS] = {"tally arrivals",
                          "SELECT k, n FROM (SELECT CASE WHEN relayed = 1 THEN 'relayed'"
                          " ELSE 'quoted' END AS k, COUNT(*) AS n FROM arrivals GROUP BY 1) t"
                          " ORDER BY k COLLATE \"C\""},
    [S_TALLY_BLOCKS] = {"tally blocks", SCAN_SQL_TALLY_BLOCKS(COLLATE_C)},
    [S_COUNT_ALL] = {"results count", SCAN_SQL_COUNT_ALL},
    [S_COUNT_VERDICT] = {"results count", SCAN_SQL_COUNT_VERDICT},
    [S_ARRIVAL_PUT] = {"arrival put", SCAN_SQL_ARRIVAL_PUT},
    [S_ARRIVALS_SCAN] = {"arrivals list", SCAN_SQL_ARRIVALS_SCAN},
    [S_ARRIVALS_NONE] = {"arrivals list", SCAN_SQL_ARRIVALS_NONE},
    [S_ARRIVALS_SINCE] = {"arrivals since", SCAN_SQL_ARRIVALS_SINCE},
    [S_ARRIVALS_SINCE_NONE] = {"arrivals since", SCAN_SQL_ARRIVALS_SINCE_NONE},
    [S_ARRIVAL_PROOF] = {"arrival proof", SCAN_SQL_ARRIVAL_PROOF},
    [S_UPGRADE] = {"late arrival", SCAN_SQL_UPGRADE},
    [S_KEYS_ALL] = {"result keys", SCAN_SQL_KEYS_ALL},
    [S_KEYS_PROBE] = {"result keys", SCAN_SQL_KEYS_PROBE},
};

static struct pg_store *P(struct store *st)
{
	return (struct pg_store *)st;
}

/* q - run one of this file's statements */
static PGresult *q(struct pg_store *s, enum stmt_id id, struct pg_args *a)
{
	return pg_exec(s, stmts[id].name, stmts[id].sql, a);
}

/* pg_scan_create - insert a running scan, RETURNING its id */
static int pg_scan_create(struct store *st, const struct store_scan *sc, int64_t *id)
{
	struct pg_args a = {0};
	int rc;

	pg_int(&a, sc->created);
	pg_int(&a, (int64_t)sc->seed); /* the 64-bit pattern */
	pg_int(&a, sc->total);
	pg_text(&a, sc->params, "{}");
	rc = pg_one_id(P(st), stmts[S_SCAN_INSERT].name, stmts[S_SCAN_INSERT].sql, &a, id);
	return rc == 1 ? 0 : rc == 0 ? pg_fail(P(st), "scan create: no row", NULL) : -1;
}

/* scan_row - SCAN_COLS into sc */
static void scan_row(const PGresult *r, int i, struct store_scan *sc)
{
	sc->id = pg_i64(r, i, 0);
	sc->created = pg_i64(r, i, 1);
	sc->finished = pg_i64(r, i, 2);
	snprintf(sc->state, sizeof(sc->state), "%s", PQgetvalue(r, i, 3));
	sc->seed = (uint64_t)pg_i64(r, i, 4);
	sc->total = pg_i64(r, i, 5);
	sc->params = pg_dup(r, i, 6);
}

/* pg_scan_get - one scan by id */
static int pg_scan_get(struct store *st, int64_t id, struct store_scan *out)
{
	struct pg_args a = {0};
	PGresult *r;
	int found;

	pg_int(&a, id);
	if ((r = q(P(st), S_SCAN_GET, &a)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0))
		scan_row(r, 0, out);
	PQclear(r);
	return found;
}

/* pg_scan_list - a page of scans, newest first */
static int pg_scan_list(struct store *st, const struct store_page *pg, struct store_scans *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, pg->limit);
	pg_int(&a, pg->offset);
	if ((r = q(P(st), S_SCAN_LIST, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, scan_row);
	return 0;
}

/* pg_scan_state_set - state and finished time; 1 updated, 0 no such scan */
static int pg_scan_state_set(struct store *st, int64_t id, const char *state, int64_t now)
{
	struct pg_args a = {0};
	int64_t n;

	pg_text(&a, state, "");
	pg_int(&a, strcmp(state, "running") == 0 ? 0 : now);
	pg_int(&a, id);
	n = pg_count(P(st), stmts[S_SCAN_STATE].name, stmts[S_SCAN_STATE].sql, &a);
	return n < 0 ? -1 : n > 0;
}

/* pg_progress_save - upsert the scan's progress row */
static int pg_progress_save(struct store *st, const struct store_progress *p)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, p->scan);
	pg_int(&a, p->position);
	pg_int(&a, p->done);
	pg_text(&a, p->counts, "{}");
	pg_int(&a, p->updated);
	if ((r = q(P(st), S_PROGRESS_SAVE, &a)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* pg_progress_load - the scan's progress row, if any */
static int pg_progress_load(struct store *st, int64_t scan, struct store_progress *out)
{
	struct pg_args a = {0};
	PGresult *r;
	int found;

	pg_int(&a, scan);
	if ((r = q(P(st), S_PROGRESS_LOAD, &a)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0)) {
		out->scan = scan;
		out->position = pg_i64(r, 0, 0);
		out->done = pg_i64(r, 0, 1);
		out->counts = pg_dup(r, 0, 2);
		out->updated = pg_i64(r, 0, 3);
	}
	PQclear(r);
	return found;
}

/* key_lock - the transaction's advisory lock on (scan, target, port),
 * keyed by its FNV-1a hash (a collision only serialises two keys) */
static int key_lock(struct pg_store *s, int64_t scan, const char *target, unsigned port)
{
	char key[512];
	uint64_t h = 14695981039346656037ULL;
	struct pg_args a = {0};
	PGresult *r;

	snprintf(key, sizeof(key), "%lld/%s/%u", (long long)scan, target ? target : "", port);
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	pg_int(&a, (int64_t)h);
	if ((r = q(s, S_KEY_LOCK, &a)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* proof - the first relayed arrival tied to (scan, target, port): 1 and
 * the late-arrival reason in buf, 0 none, -1 error */
static int proof(struct pg_store *s, int64_t scan, const char *target, unsigned port, char *buf,
                 size_t len)
{
	struct pg_args a = {0};
	PGresult *r;
	int found;

	pg_int(&a, scan);
	pg_text(&a, target, "");
	pg_int(&a, port);
	if ((r = q(s, S_ARRIVAL_PROOF, &a)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0))
		store_late_reason(buf, len, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	PQclear(r);
	return found;
}

/* result_insert - the INSERT of result_put, upgraded when proven */
static int result_insert(struct pg_store *s, const struct store_result *r, int late, int64_t *id)
{
	const char *verdict = r->verdict, *reason = r->reason;
	char why[STORE_REASON_MAX];
	int64_t updated = 0;
	struct pg_args a = {0};

	if (late) {
		int p = proof(s, r->scan, r->target, r->port, why, sizeof(why));

		if (p < 0)
			return -1;
		if (p == 1) {
			verdict = "open";
			reason = why;
			updated = r->tested;
		}
	}
	pg_int(&a, r->scan);
	pg_text(&a, r->target, NULL);
	pg_int(&a, r->port);
	pg_text(&a, r->probe, NULL);
	pg_text(&a, r->vantage, "");
	pg_text(&a, verdict, NULL);
	pg_text(&a, reason, "");
	pg_text(&a, r->evidence, "{}");
	pg_int(&a, r->tested);
	pg_int(&a, updated);
	return pg_one_id(s, stmts[S_RESULT_PUT].name, stmts[S_RESULT_PUT].sql, &a, id);
}

/* pg_result_put - insert unless the key exists: 1 inserted, 0 there; an
 * smtp suspect reads the proof under the key's lock, in a transaction */
static int pg_result_put(struct store *st, const struct store_result *r, int64_t *id)
{
	struct pg_store *s = P(st);
	int late = strcmp(r->probe, "smtp") == 0 && strcmp(r->verdict, "suspect") == 0;
	int own, rc;

	if (!late)
		return result_insert(s, r, 0, id);
	if (pg_own_begin(s, &own) < 0)
		return -1;
	rc = key_lock(s, r->scan, r->target, r->port);
	if (rc == 0)
		rc = result_insert(s, r, 1, id);
	return pg_own_end(s, own, rc);
}

/* result_row - RESULT_COLS into res (owned strings) */
static void result_row(const PGresult *r, int i, struct store_result *res)
{
	res->id = pg_i64(r, i, 0);
	res->scan = pg_i64(r, i, 1);
	res->target = pg_dup(r, i, 2);
	res->port = (unsigned)pg_int32(r, i, 3);
	res->probe = pg_dup(r, i, 4);
	res->vantage = pg_dup(r, i, 5);
	res->verdict = pg_dup(r, i, 6);
	res->reason = pg_dup(r, i, 7);
	res->evidence = pg_dup(r, i, 8);
	res->tested = pg_i64(r, i, 9);
	res->updated = pg_i64(r, i, 10);
}

/* pg_results_list - a page of a scan's results, optionally one verdict */
static int pg_results_list(struct store *st, int64_t scan, const char *verdict,
                           const struct store_page *pg, struct store_results *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, scan);
	if (verdict != NULL)
		pg_text(&a, verdict, NULL);
	pg_int(&a, pg->limit);
	pg_int(&a, pg->offset);
	if ((r = q(P(st), verdict ? S_RESULTS_VERDICT : S_RESULTS_ALL, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, result_row);
	return 0;
}

/* pg_results_count - rows matching scan and optional verdict */
static int pg_results_count(struct store *st, int64_t scan, const char *verdict, int64_t *n)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, scan);
	if (verdict != NULL)
		pg_text(&a, verdict, NULL);
	if ((r = q(P(st), verdict ? S_COUNT_VERDICT : S_COUNT_ALL, &a)) == NULL)
		return -1;
	*n = pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* pg_results_of - a page of one address's results, newest first */
static int pg_results_of(struct store *st, const char *target, const struct store_page *pg,
                         struct store_results *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_text(&a, target, NULL);
	pg_int(&a, pg->limit);
	pg_int(&a, pg->offset);
	if ((r = q(P(st), S_RESULTS_OF, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, result_row);
	return 0;
}

/* tally_row - (key, count) */
static void tally_row(const PGresult *r, int i, struct store_tally_row *t)
{
	t->key = pg_dup(r, i, 0);
	t->n = pg_i64(r, i, 1);
}

/* pg_tally - (key, count) rows of one GROUP BY statement */
static int pg_tally(struct store *st, enum store_tally what, struct store_tallies *out)
{
	static const enum stmt_id by[STORE_TALLY__COUNT] = {
	    [STORE_TALLY_SCANS] = S_TALLY_SCANS,         [STORE_TALLY_RESULTS] = S_TALLY_RESULTS,
	    [STORE_TALLY_INCIDENTS] = S_TALLY_INCIDENTS, [STORE_TALLY_OUTBOX] = S_TALLY_OUTBOX,
	    [STORE_TALLY_ARRIVALS] = S_TALLY_ARRIVALS,   [STORE_TALLY_BLOCKS] = S_TALLY_BLOCKS,
	};
	PGresult *r = q(P(st), by[what], NULL);

	if (r == NULL)
		return -1;
	PG_ROWS(r, out, tally_row);
	return 0;
}

/* upgrade - the late-arrival rule for a new tied arrival */
static int upgrade(struct pg_store *s, const struct store_arrival *ar)
{
	char reason[STORE_REASON_MAX];
	struct pg_args a = {0};
	int64_t n;

	store_late_reason(reason, sizeof(reason), ar->test, ar->peer);
	pg_text(&a, reason, "");
	pg_int(&a, ar->arrived);
	pg_int(&a, ar->scan);
	pg_text(&a, ar->target, "");
	pg_int(&a, ar->port);
	if ((n = pg_count(s, stmts[S_UPGRADE].name, stmts[S_UPGRADE].sql, &a)) < 0)
		return -1;
	if (n > 0)
		rw_log(LOG_INFO,
		       "store=postgresql event=late-arrival scan=%lld target=%s port=%u"
		       " test=%s peer=%s verdict=open",
		       (long long)ar->scan, ar->target, ar->port, ar->test ? ar->test : "",
		       ar->peer);
	return 0;
}

/* arrival_insert - the INSERT of arrival_put: 1 inserted (*tied: its
 * scan exists here), 0 a replay, -1 error */
static int arrival_insert(struct pg_store *s, const struct store_arrival *ar, int64_t *id,
                          int *tied)
{
	struct pg_args a = {0};
	PGresult *r;
	int inserted;

	*tied = 0;
	pg_text(&a, ar->token, NULL);
	pg_id(&a, ar->scan);
	pg_text(&a, ar->target, "");
	pg_int(&a, ar->port);
	pg_text(&a, ar->test, "");
	pg_text(&a, ar->peer, NULL);
	pg_text(&a, ar->received, "[]");
	pg_int(&a, ar->arrived);
	pg_int(&a, ar->relayed ? 1 : 0);
	if ((r = q(s, S_ARRIVAL_PUT, &a)) == NULL)
		return -1;
	if ((inserted = PQntuples(r) > 0)) {
		if (id != NULL)
			*id = pg_i64(r, 0, 0);
		*tied = !PQgetisnull(r, 0, 1);
	}
	PQclear(r);
	return inserted;
}

/* pg_arrival_put - insert unless the same record exists; a new proof
 * upgrades its suspect result in the same transaction, under the key's
 * lock */
static int pg_arrival_put(struct store *st, const struct store_arrival *a, int64_t *id)
{
	struct pg_store *s = P(st);
	int proves = a->scan > 0 && a->relayed && a->target && a->target[0];
	int own, tied, rc;

	if (!proves)
		return arrival_insert(s, a, id, &tied);
	if (pg_own_begin(s, &own) < 0)
		return -1;
	rc = key_lock(s, a->scan, a->target, a->port);
	if (rc == 0)
		rc = arrival_insert(s, a, id, &tied);
	if (rc == 1 && tied && upgrade(s, a) < 0)
		rc = -1;
	return pg_own_end(s, own, rc);
}

/* arrival_row - ARRIVAL_COLS into ar (owned strings) */
static void arrival_row(const PGresult *r, int i, struct store_arrival *ar)
{
	ar->id = pg_i64(r, i, 0);
	ar->token = pg_dup(r, i, 1);
	ar->scan = pg_i64(r, i, 2); /* NULL reads 0 */
	ar->target = pg_dup(r, i, 3);
	ar->port = (unsigned)pg_int32(r, i, 4);
	ar->test = pg_dup(r, i, 5);
	ar->peer = pg_dup(r, i, 6);
	ar->received = pg_dup(r, i, 7);
	ar->arrived = pg_i64(r, i, 8);
	ar->relayed = pg_int32(r, i, 9);
}

/* pg_arrivals_list - a page of a scan's arrivals (scan 0: no scan) */
static int pg_arrivals_list(struct store *st, int64_t scan, const struct store_page *pg,
                            struct store_arrivals *out)
{
	struct pg_args a = {0};
	PGresult *r;

	if (scan > 0)
		pg_int(&a, scan);
	pg_int(&a, pg->limit);
	pg_int(&a, pg->offset);
	if ((r = q(P(st), scan > 0 ? S_ARRIVALS_SCAN : S_ARRIVALS_NONE, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, arrival_row);
	return 0;
}

/* pg_arrivals_since - a scan's arrivals after id `after`, id order */
static int pg_arrivals_since(struct store *st, int64_t scan, int64_t after, int64_t limit,
                             struct store_arrivals *out)
{
	struct pg_args a = {0};
	PGresult *r;

	if (scan > 0)
		pg_int(&a, scan);
	pg_int(&a, after);
	pg_int(&a, limit);
	if ((r = q(P(st), scan > 0 ? S_ARRIVALS_SINCE : S_ARRIVALS_SINCE_NONE, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, arrival_row);
	return 0;
}

/* pg_result_keys - every result's (target, port) in id order, a page of
 * keys at a time; the page's result is held, no statement open, while
 * fn runs */
static int pg_result_keys(struct store *st, int64_t scan, const char *probe,
                          void (*fn)(void *arg, const char *target, unsigned port), void *arg)
{
	int64_t last = 0;
	int n;

	do {
		struct pg_args a = {0};
		PGresult *r;

		pg_int(&a, scan);
		pg_int(&a, last);
		if (probe != NULL)
			pg_text(&a, probe, NULL);
		pg_int(&a, RW_STORE_PAGE_MAX);
		if ((r = q(P(st), probe ? S_KEYS_PROBE : S_KEYS_ALL, &a)) == NULL)
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

const struct store_ops store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .migrate = pg_migrate,
    .batch_begin = pg_batch_begin,
    .batch_commit = pg_batch_commit,
    .batch_abort = pg_batch_abort,
    .scan_create = pg_scan_create,
    .scan_get = pg_scan_get,
    .scan_list = pg_scan_list,
    .scan_state_set = pg_scan_state_set,
    .progress_save = pg_progress_save,
    .progress_load = pg_progress_load,
    .result_put = pg_result_put,
    .results_list = pg_results_list,
    .results_count = pg_results_count,
    .arrival_put = pg_arrival_put,
    .arrivals_list = pg_arrivals_list,
    .arrivals_since = pg_arrivals_since,
    .result_keys = pg_result_keys,
    .results_of = pg_results_of,
    .tally = pg_tally,
    .desk = &store_pg_desk_ops,
    .web = &store_pg_web_ops,
    .work = &store_pg_work_ops,
};
