/*
 * NAME
 *	sqlite - the SQLite store backend (the embedded default)
 * SUMMARY
 *	store_sqlite_ops: one file, WAL, prepared statements, batched writes
 * SYNOPSIS
 *	extern const struct store_ops store_sqlite_ops;
 * DESCRIPTION
 *	open creates missing parent directories (0700) and the file (0600,
 *	O_EXCL, O_NOFOLLOW) itself, so SQLite never creates it with the
 *	umask's mode; the -wal and -shm files inherit the file's mode. The
 *	session runs in WAL mode with synchronous=NORMAL (a process crash
 *	loses no commit; a power cut may lose the last ones), foreign keys
 *	on and a busy timeout. A STORE_DURABLE batch runs with
 *	synchronous=FULL. The file is stamped with an application_id; a file
 *	stamped by another program, or holding tables but no schema_version,
 *	is refused, as is a schema newer than this program. Processes that
 *	open one new file at the same moment race to turn it to WAL, and
 *	SQLite reports that race without waiting: open retries it.
 *	migrate applies each step of store_migrations_sqlite under BEGIN
 *	IMMEDIATE, re-reading the version inside the lock, so concurrent
 *	migrators apply each step once.
 *	Statements are prepared on first use and kept for the handle's life.
 *	Their SQL is the dialect PostgreSQL reads too: $N parameters (SQLite
 *	numbers them by first appearance, checked at prepare), RETURNING,
 *	ON CONFLICT. Every value is bound, none is spliced into SQL. The
 *	texts both backends run are scan_sql.h's, shared with pg_scan.c.
 *	Batches are BEGIN IMMEDIATE .. COMMIT: the write lock is taken at
 *	begin, so a batch never fails half-way for a lock upgrade.
 *	arrival_put and result_put read and write (the late-arrival rule of
 *	store.h): outside a batch each runs in its own BEGIN IMMEDIATE, so
 *	an arrival and a result for one key, written at once by two
 *	processes, serialise and the second sees the first. An arrival's
 *	scan is tied by a subquery in its INSERT, so a token naming a scan
 *	this store does not hold is stored untied without a race.
 *	result_keys pages by id (keyset), not OFFSET, so walking a scan's
 *	results costs one index range per page.
 * DIAGNOSTICS
 *	-1 with "sqlite: what: sqlite's message (extended code)" in
 *	store_error().
 * LIMITS
 *	RW_STORE_BUSY_MS (lock wait, and the WAL switch's retries every
 *	WAL_RETRY_MS), RW_STORE_PAGE_MAX (via store.c).
 * STANDARDS
 *	SQLite 3.35+ (RETURNING); https://sqlite.org/wal.html.
 */
#include "sqlite_int.h"
#include "scan_sql.h"
#include "../core/log.h"
#include "../core/xalloc.h"

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 0x72777374, "rwst", in the file header: `file` and we can tell the file
 * is ours. Decimal, because the PRAGMA takes it as text. */
#define SQLITE_APP_ID 1920430964
/* Pause between tries to switch a new file to WAL. */
#define WAL_RETRY_MS 10
#define STR_(x)      #x
#define STR(x)       STR_(x)

enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SYNC_FULL,
	S_SYNC_NORMAL,
	S_SCAN_INSERT,
	S_SCAN_GET,
	S_SCAN_LIST,
	S_SCAN_STATE,
	S_PROGRESS_SAVE,
	S_PROGRESS_LOAD,
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
_Static_assert(S__COUNT <= SQLITE_CORE_STMTS, "room for every statement");

static const struct {
	const char *name; /* for error texts */
	const char *sql;
} stmts[S__COUNT] = {
    /* SQLite's alone: pg.c runs its own transactions */
    [S_BEGIN] = {"begin", "BEGIN IMMEDIATE"},
    [S_COMMIT] = {"commit", "COMMIT"},
    [S_ROLLBACK] = {"rollback", "ROLLBACK"},
    [S_SYNC_FULL] = {"synchronous", "PRAGMA synchronous = FULL"},
    [S_SYNC_NORMAL] = {"synchronous", "PRAGMA synchronous = NORMAL"},
    [S_SCAN_INSERT] = {"scan create", SCAN_SQL_INSERT},
    [S_SCAN_GET] = {"scan get", SCAN_SQL_GET},
    [S_SCAN_LIST] = {"scan list", SCAN_SQL_LIST},
    [S_SCAN_STATE] = {"scan state", SCAN_SQL_STATE},
    [S_PROGRESS_SAVE] = {"progress save", SCAN_SQL_PROGRESS_SAVE},
    [S_PROGRESS_LOAD] = {"progress load", SCAN_SQL_PROGRESS_LOAD},
    [S_RESULT_PUT] = {"result put", SCAN_SQL_RESULT_PUT},
    [S_RESULTS_ALL] = {"results list", SCAN_SQL_RESULTS_ALL},
    [S_RESULTS_VERDICT] = {"results list", SCAN_SQL_RESULTS_VERDICT},
    [S_RESULTS_OF] = {"results of", SCAN_SQL_RESULTS_OF},
    [S_TALLY_SCANS] = {"tally scans", SCAN_SQL_TALLY_SCANS("")},
    [S_TALLY_RESULTS] = {"tally results", SCAN_SQL_TALLY_RESULTS("")},
    [S_TALLY_INCIDENTS] = {"tally incidents", SCAN_SQL_TALLY_INCIDENTS("")},
    [S_TALLY_OUTBOX] = {"tally outbox", SCAN_SQL_TALLY_OUTBOX("")},
    /* its own text: SQLite reads the integer relayed as a truth value and
     * orders by the output column's name (pg_scan.c can do neither) */
    [S_TALLY_ARRIVALS] = {"tally arrivals",
                          "SELECT CASE WHEN relayed THEN 'relayed' ELSE 'quoted' END AS k,"
                          " COUNT(*) FROM arrivals GROUP BY k ORDER BY k"},
    [S_TALLY_BLOCKS] = {"tally blocks", SCAN_SQL_TALLY_BLOCKS("")},
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

static struct sqlite_store *S(struct store *st)
{
	return (struct sqlite_store *)st;
}

/* sqlite_fail - set "sqlite: what: message (extended code)"; returns -1 */
int sqlite_fail(struct sqlite_store *s, const char *what)
{
	store_seterr(&s->base, "sqlite: %s: %s (%d)", what, sqlite3_errmsg(s->db),
	             sqlite3_extended_errcode(s->db));
	return -1;
}

/* sqlite_prepare - the statement in *slot, prepared once per handle;
 * NULL on error */
sqlite3_stmt *sqlite_prepare(struct sqlite_store *s, sqlite3_stmt **slot, const char *name,
                             const char *sql)
{
	sqlite3_stmt *q;

	if (*slot != NULL)
		return *slot;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
		sqlite_fail(s, name);
		return NULL;
	}
	/* $N must be the Nth parameter, as PostgreSQL reads it */
	for (int i = 1; i <= sqlite3_bind_parameter_count(q); i++) {
		const char *n = sqlite3_bind_parameter_name(q, i);

		if (n == NULL || n[0] != '$' || atoi(n + 1) != i)
			rw_panic("%s: %s: parameter %d is %s", __func__, name, i,
			         n ? n : "anonymous");
	}
	*slot = q;
	return q;
}

/* prepare - one of this file's statements */
static sqlite3_stmt *prepare(struct sqlite_store *s, enum stmt_id id)
{
	return sqlite_prepare(s, &s->stmt[id], stmts[id].name, stmts[id].sql);
}

/* sqlite_finish - reset q for its next use; rc is passed through */
int sqlite_finish(sqlite3_stmt *q, int rc)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc;
}

/* run - step a statement that returns no rows */
static int run(struct sqlite_store *s, enum stmt_id id)
{
	sqlite3_stmt *q = prepare(s, id);

	if (q == NULL)
		return -1;
	if (sqlite3_step(q) != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, stmts[id].name));
	return sqlite_finish(q, 0);
}

/* sqlite_bind_text - bind s, or dflt when s is NULL */
int sqlite_bind_text(sqlite3_stmt *q, int i, const char *str, const char *dflt)
{
	return sqlite3_bind_text(q, i, str ? str : dflt, -1, SQLITE_STATIC);
}

/* sqlite_col_dup - an owned copy of a text column ("" for NULL) */
char *sqlite_col_dup(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return xstrdup(t ? (const char *)t : "");
}

/* query_int - the first column of a constant query's first row (0 if none) */
static int query_int(struct sqlite_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *q;
	int rc;

	*out = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return sqlite_fail(s, sql);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	else if (rc != SQLITE_DONE) {
		sqlite_fail(s, sql);
		sqlite3_finalize(q);
		return -1;
	}
	sqlite3_finalize(q);
	return 0;
}

/* query_text - the first column of a constant query's first row into buf */
static int query_text(struct sqlite_store *s, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *q;
	int rc;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return sqlite_fail(s, sql);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_text(q, 0) != NULL)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite_fail(s, sql);
		sqlite3_finalize(q);
		return -1;
	}
	sqlite3_finalize(q);
	return 0;
}

/* read_version - the schema version (0 when there is no schema_version) */
static int read_version(struct sqlite_store *s, int64_t *v)
{
	int64_t has;

	*v = 0;
	if (query_int(s,
	              "SELECT COUNT(*) FROM sqlite_master"
	              " WHERE type = 'table' AND name = 'schema_version'",
	              &has) < 0)
		return -1;
	if (!has)
		return 0;
	return query_int(s, "SELECT COALESCE(MAX(version), 0) FROM schema_version", v);
}

/* make_parents - mkdir -p the directories above path, new ones 0700 */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path);

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "sqlite: %s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
		*p = '/';
	}
	free(dir);
	return 0;
}

/* make_file - create the database file 0600 unless it exists */
static int make_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0 && errno != EEXIST) {
		snprintf(err, errlen, "sqlite: %s: %s", path, strerror(errno));
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

static void sq_close(struct store *st);

/* transient - an error that a process opening the same new file at the
 * same moment causes: two connections turning it to WAL at once get BUSY
 * without the busy handler (each holds the shared lock the other needs),
 * or an fstat of a -wal file the other just removed */
static int transient(int code)
{
	return (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ||
	       code == SQLITE_IOERR_FSTAT;
}

/* use_wal - switch to WAL (a no-op when it already is), retrying the
 * races of concurrent first opens for about RW_STORE_BUSY_MS */
static int use_wal(struct sqlite_store *s, char *mode, size_t len)
{
	const struct timespec pause = {0, WAL_RETRY_MS * 1000000L};

	for (int i = 0;; i++) {
		if (query_text(s, "PRAGMA journal_mode = WAL", mode, len) == 0)
			return 0;
		if (!transient(sqlite3_extended_errcode(s->db)) ||
		    i >= RW_STORE_BUSY_MS / WAL_RETRY_MS)
			return -1;
		nanosleep(&pause, NULL);
	}
}

/* setup - session settings, ownership and version checks after open */
static int setup(struct sqlite_store *s, int memory)
{
	char mode[32];
	int64_t app, tables, v;

	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, RW_STORE_BUSY_MS);
	if (use_wal(s, mode, sizeof(mode)) < 0)
		return -1;
	if (!memory && strcmp(mode, "wal") != 0) {
		store_seterr(&s->base, "sqlite: %s: cannot use WAL (journal_mode %s)", s->path,
		             mode);
		return -1;
	}
	if (run(s, S_SYNC_NORMAL) < 0 ||
	    sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(s, "pragma");
	if (query_int(s, "PRAGMA application_id", &app) < 0 ||
	    query_int(s,
	              "SELECT COUNT(*) FROM sqlite_master"
	              " WHERE type = 'table' AND name NOT LIKE 'sqlite%'",
	              &tables) < 0 ||
	    read_version(s, &v) < 0)
		return -1;
	if ((app != 0 && app != SQLITE_APP_ID) || (app == 0 && tables > 0 && v == 0)) {
		store_seterr(&s->base, "sqlite: %s: not a relaywatch database", s->path);
		return -1;
	}
	if (v > STORE_SCHEMA_VERSION) {
		store_seterr(&s->base,
		             "sqlite: %s: schema version %lld is newer than this program's %d",
		             s->path, (long long)v, STORE_SCHEMA_VERSION);
		return -1;
	}
	s->base.version = (int)v;
	return 0;
}

/* sq_open - open or create the database at path */
static struct store *sq_open(const char *path, char *err, size_t errlen)
{
	struct sqlite_store *s;
	int memory = strcmp(path, ":memory:") == 0;

	if (!memory && (make_parents(path, err, errlen) < 0 || make_file(path, err, errlen) < 0))
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->base.ops = &store_sqlite_ops;
	s->path = xstrdup(path);
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: %s: %s", path,
		         s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sq_close(&s->base);
		return NULL;
	}
	if (setup(s, memory) < 0) {
		snprintf(err, errlen, "%s", s->base.err);
		sq_close(&s->base);
		return NULL;
	}
	return &s->base;
}

/* sq_close - roll back an open batch, finalize, close, free */
static void sq_close(struct store *st)
{
	struct sqlite_store *s = S(st);

	if (s->db != NULL && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	for (int i = 0; i < SQLITE_DESK_STMTS; i++)
		sqlite3_finalize(s->desk[i]);
	for (int i = 0; i < SQLITE_WEB_STMTS; i++)
		sqlite3_finalize(s->web[i]);
	for (int i = 0; i < SQLITE_WORK_STMTS; i++)
		sqlite3_finalize(s->work[i]);
	if (sqlite3_close(s->db) != SQLITE_OK)
		rw_panic("%s: %s: %s", __func__, s->path, sqlite3_errmsg(s->db));
	free(s->path);
	free(s);
}

/* rollback - end a failed transaction; the error text is kept */
static void rollback(struct sqlite_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* sqlite_own_begin - BEGIN IMMEDIATE unless a batch is open; *own says which */
int sqlite_own_begin(struct sqlite_store *s, int *own)
{
	*own = sqlite3_get_autocommit(s->db) != 0;
	return *own ? run(s, S_BEGIN) : 0;
}

/* sqlite_own_end - commit (rc >= 0) or roll back what own_begin began; inside
 * a batch the batch decides. Returns rc, or -1 when the commit fails. */
int sqlite_own_end(struct sqlite_store *s, int own, int rc)
{
	if (!own)
		return rc;
	if (rc >= 0 && run(s, S_COMMIT) == 0)
		return rc;
	rollback(s);
	return -1;
}

/* migrate_step - under the write lock: 1 applied a step, 0 up to date */
static int migrate_step(struct sqlite_store *s, int64_t now)
{
	const struct store_migration *m;
	sqlite3_stmt *q;
	char *msg = NULL;
	int64_t v;

	if (sqlite3_exec(s->db,
	                 "CREATE TABLE IF NOT EXISTS schema_version ("
	                 " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	                 " applied BIGINT NOT NULL)",
	                 NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(s, "schema_version");
	if (read_version(s, &v) < 0)
		return -1;
	s->base.version = (int)v;
	if (v > STORE_SCHEMA_VERSION) {
		store_seterr(&s->base,
		             "sqlite: %s: schema version %lld is newer than this program's %d",
		             s->path, (long long)v, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (v == STORE_SCHEMA_VERSION)
		return 0;
	m = &store_migrations_sqlite[v];
	if (m->version != v + 1)
		rw_panic("%s: step %lld holds version %d", __func__, (long long)v, m->version);
	if (sqlite3_exec(s->db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_seterr(&s->base, "sqlite: migrate to %d (%s): %s", m->version, m->name,
		             msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT INTO schema_version (version, name, applied)"
	                       " VALUES ($1, $2, $3)",
	                       -1, &q, NULL) != SQLITE_OK)
		return sqlite_fail(s, "schema_version");
	sqlite3_bind_int(q, 1, m->version);
	sqlite3_bind_text(q, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	if (sqlite3_step(q) != SQLITE_DONE) {
		sqlite_fail(s, "schema_version");
		sqlite3_finalize(q);
		return -1;
	}
	sqlite3_finalize(q);
	if (sqlite3_exec(s->db, "PRAGMA application_id = " STR(SQLITE_APP_ID), NULL, NULL, NULL) !=
	    SQLITE_OK)
		return sqlite_fail(s, "application_id");
	rw_log(LOG_INFO, "store=sqlite path=%s migrate from=%lld to=%d name=\"%s\"", s->path,
	       (long long)v, m->version, m->name);
	return 1;
}
_Static_assert(SQLITE_APP_ID == 0x72777374, "application_id is \"rwst\"");

/* sq_migrate - apply every missing step, one transaction each */
static int sq_migrate(struct store *st, int64_t now)
{
	struct sqlite_store *s = S(st);
	int rc;

	do {
		if (run(s, S_BEGIN) < 0)
			return -1;
		rc = migrate_step(s, now);
		if (rc < 0) {
			rollback(s);
			return -1;
		}
		if (run(s, S_COMMIT) < 0) {
			rollback(s);
			return -1;
		}
		if (rc == 1)
			s->base.version++;
	} while (rc == 1);
	return 0;
}

/* sq_batch_begin - BEGIN IMMEDIATE, synchronous=FULL for a durable batch */
static int sq_batch_begin(struct store *st, unsigned flags)
{
	struct sqlite_store *s = S(st);

	s->durable = (flags & STORE_DURABLE) != 0;
	if (s->durable && run(s, S_SYNC_FULL) < 0)
		return -1;
	if (run(s, S_BEGIN) < 0) {
		if (s->durable)
			run(s, S_SYNC_NORMAL);
		return -1;
	}
	return 0;
}

/* end_batch - back to synchronous=NORMAL after a durable batch */
static void end_batch(struct sqlite_store *s)
{
	if (s->durable) {
		char keep[RW_STORE_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", s->base.err);
		run(s, S_SYNC_NORMAL);
		snprintf(s->base.err, sizeof(s->base.err), "%s", keep);
		s->durable = 0;
	}
}

/* sq_batch_commit - COMMIT; on failure roll back */
static int sq_batch_commit(struct store *st)
{
	struct sqlite_store *s = S(st);
	int rc = run(s, S_COMMIT);

	if (rc < 0)
		rollback(s);
	end_batch(s);
	return rc;
}

/* sq_batch_abort - ROLLBACK */
static int sq_batch_abort(struct store *st)
{
	struct sqlite_store *s = S(st);
	int rc = run(s, S_ROLLBACK);

	end_batch(s);
	return rc;
}

/* sq_scan_create - insert a running scan, RETURNING its id */
static int sq_scan_create(struct store *st, const struct store_scan *sc, int64_t *id)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, S_SCAN_INSERT);

	if (q == NULL)
		return -1;
	if (sqlite3_bind_int64(q, 1, sc->created) | sqlite3_bind_int64(q, 2, (int64_t)sc->seed) |
	    sqlite3_bind_int64(q, 3, sc->total) | sqlite_bind_text(q, 4, sc->params, "{}"))
		return sqlite_finish(q, sqlite_fail(s, "scan create"));
	if (sqlite3_step(q) != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "scan create"));
	*id = sqlite3_column_int64(q, 0);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, "scan create"));
	return sqlite_finish(q, 0);
}

/* scan_row - fill sc from a row of SCAN_COLS */
static void scan_row(sqlite3_stmt *q, struct store_scan *sc)
{
	const unsigned char *state = sqlite3_column_text(q, 3);

	sc->id = sqlite3_column_int64(q, 0);
	sc->created = sqlite3_column_int64(q, 1);
	sc->finished = sqlite3_column_int64(q, 2);
	snprintf(sc->state, sizeof(sc->state), "%s", state ? (const char *)state : "");
	sc->seed = (uint64_t)sqlite3_column_int64(q, 4);
	sc->total = sqlite3_column_int64(q, 5);
	sc->params = sqlite_col_dup(q, 6);
}

/* sq_scan_get - one scan by id */
static int sq_scan_get(struct store *st, int64_t id, struct store_scan *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, S_SCAN_GET);
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return sqlite_finish(q, 0);
	if (rc != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "scan get"));
	scan_row(q, out);
	return sqlite_finish(q, 1);
}

/* sqlite_grow - room for one more row in a list of rows of size sz */
void *sqlite_grow(void *v, size_t n, size_t *alloc, size_t sz)
{
	if (n < *alloc)
		return v;
	*alloc = *alloc ? *alloc * 2 : 16;
	return xrealloc(v, *alloc * sz);
}

/* sq_scan_list - a page of scans, newest first */
static int sq_scan_list(struct store *st, const struct store_page *pg, struct store_scans *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, S_SCAN_LIST);
	size_t alloc = 0;
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, pg->limit);
	sqlite3_bind_int64(q, 2, pg->offset);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		out->v = sqlite_grow(out->v, out->n, &alloc, sizeof(*out->v));
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		scan_row(q, &out->v[out->n++]);
	}
	if (rc != SQLITE_DONE) {
		store_scans_free(out);
		return sqlite_finish(q, sqlite_fail(s, "scan list"));
	}
	return sqlite_finish(q, 0);
}

/* sq_scan_state_set - state and finished time; 1 updated, 0 no such scan */
static int sq_scan_state_set(struct store *st, int64_t id, const char *state, int64_t now)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, S_SCAN_STATE);
	int rc, found = 0;

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, state, "");
	sqlite3_bind_int64(q, 2, strcmp(state, "running") == 0 ? 0 : now);
	sqlite3_bind_int64(q, 3, id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		found = 1;
	if (rc != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, "scan state"));
	return sqlite_finish(q, found);
}

/* sq_progress_save - upsert the scan's progress row */
static int sq_progress_save(struct store *st, const struct store_progress *p)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, S_PROGRESS_SAVE);

	if (q == NULL)
		return -1;
	if (sqlite3_bind_int64(q, 1, p->scan) | sqlite3_bind_int64(q, 2, p->position) |
	    sqlite3_bind_int64(q, 3, p->done) | sqlite_bind_text(q, 4, p->counts, "{}") |
	    sqlite3_bind_int64(q, 5, p->updated))
		return sqlite_finish(q, sqlite_fail(s, "progress save"));
	if (sqlite3_step(q) != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, "progress save"));
	return sqlite_finish(q, 0);
}

/* sq_progress_load - the scan's progress row, if any */
static int sq_progress_load(struct store *st, int64_t scan, struct store_progress *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, S_PROGRESS_LOAD);
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, scan);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return sqlite_finish(q, 0);
	if (rc != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "progress load"));
	out->scan = scan;
	out->position = sqlite3_column_int64(q, 0);
	out->done = sqlite3_column_int64(q, 1);
	out->counts = sqlite_col_dup(q, 2);
	out->updated = sqlite3_column_int64(q, 3);
	return sqlite_finish(q, 1);
}

/* insert_once - step an INSERT .. ON CONFLICT DO NOTHING RETURNING id */
static int insert_once(struct sqlite_store *s, sqlite3_stmt *q, const char *what, int64_t *id)
{
	int rc = sqlite3_step(q), inserted = 0;

	if (rc == SQLITE_ROW) {
		inserted = 1;
		if (id != NULL)
			*id = sqlite3_column_int64(q, 0);
		rc = sqlite3_step(q);
	}
	if (rc != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, what));
	return sqlite_finish(q, inserted);
}

/* proof - the first relayed arrival tied to (scan, target, port): 1 and
 * the late-arrival reason in buf, 0 none, -1 error */
static int proof(struct sqlite_store *s, int64_t scan, const char *target, unsigned port, char *buf,
                 size_t len)
{
	sqlite3_stmt *q = prepare(s, S_ARRIVAL_PROOF);
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, scan);
	sqlite_bind_text(q, 2, target, "");
	sqlite3_bind_int(q, 3, (int)port);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return sqlite_finish(q, 0);
	if (rc != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "arrival proof"));
	store_late_reason(buf, len, (const char *)sqlite3_column_text(q, 0),
	                  (const char *)sqlite3_column_text(q, 1));
	return sqlite_finish(q, 1);
}

/* result_insert - the INSERT of result_put, upgraded when proven */
static int result_insert(struct sqlite_store *s, const struct store_result *r, int64_t *id)
{
	sqlite3_stmt *q;
	const char *verdict = r->verdict, *reason = r->reason;
	char late[STORE_REASON_MAX];
	int64_t updated = 0;

	if (strcmp(r->probe, "smtp") == 0 && strcmp(r->verdict, "suspect") == 0) {
		int p = proof(s, r->scan, r->target, r->port, late, sizeof(late));

		if (p < 0)
			return -1;
		if (p == 1) {
			verdict = "open";
			reason = late;
			updated = r->tested;
		}
	}
	if ((q = prepare(s, S_RESULT_PUT)) == NULL)
		return -1;
	if (sqlite3_bind_int64(q, 1, r->scan) | sqlite_bind_text(q, 2, r->target, NULL) |
	    sqlite3_bind_int(q, 3, (int)r->port) | sqlite_bind_text(q, 4, r->probe, NULL) |
	    sqlite_bind_text(q, 5, r->vantage, "") | sqlite_bind_text(q, 6, verdict, NULL) |
	    sqlite_bind_text(q, 7, reason, "") | sqlite_bind_text(q, 8, r->evidence, "{}") |
	    sqlite3_bind_int64(q, 9, r->tested) | sqlite3_bind_int64(q, 10, updated))
		return sqlite_finish(q, sqlite_fail(s, "result put"));
	return insert_once(s, q, "result put", id);
}

/* sq_result_put - insert unless the key exists: 1 inserted, 0 there */
static int sq_result_put(struct store *st, const struct store_result *r, int64_t *id)
{
	struct sqlite_store *s = S(st);
	int own;

	if (sqlite_own_begin(s, &own) < 0)
		return -1;
	return sqlite_own_end(s, own, result_insert(s, r, id));
}

/* result_row - fill r from a row of RESULT_COLS (owned strings) */
static void result_row(sqlite3_stmt *q, struct store_result *r)
{
	r->id = sqlite3_column_int64(q, 0);
	r->scan = sqlite3_column_int64(q, 1);
	r->target = sqlite_col_dup(q, 2);
	r->port = (unsigned)sqlite3_column_int(q, 3);
	r->probe = sqlite_col_dup(q, 4);
	r->vantage = sqlite_col_dup(q, 5);
	r->verdict = sqlite_col_dup(q, 6);
	r->reason = sqlite_col_dup(q, 7);
	r->evidence = sqlite_col_dup(q, 8);
	r->tested = sqlite3_column_int64(q, 9);
	r->updated = sqlite3_column_int64(q, 10);
}

/* sq_results_list - a page of a scan's results, optionally one verdict */
static int sq_results_list(struct store *st, int64_t scan, const char *verdict,
                           const struct store_page *pg, struct store_results *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, verdict ? S_RESULTS_VERDICT : S_RESULTS_ALL);
	size_t alloc = 0;
	int rc, i = 1;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, i++, scan);
	if (verdict != NULL)
		sqlite_bind_text(q, i++, verdict, NULL);
	sqlite3_bind_int64(q, i++, pg->limit);
	sqlite3_bind_int64(q, i, pg->offset);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		out->v = sqlite_grow(out->v, out->n, &alloc, sizeof(*out->v));
		result_row(q, &out->v[out->n++]);
	}
	if (rc != SQLITE_DONE) {
		store_results_free(out);
		return sqlite_finish(q, sqlite_fail(s, "results list"));
	}
	return sqlite_finish(q, 0);
}

/* sq_results_count - rows matching scan and optional verdict */
static int sq_results_count(struct store *st, int64_t scan, const char *verdict, int64_t *n)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, verdict ? S_COUNT_VERDICT : S_COUNT_ALL);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, scan);
	if (verdict != NULL)
		sqlite_bind_text(q, 2, verdict, NULL);
	if (sqlite3_step(q) != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "results count"));
	*n = sqlite3_column_int64(q, 0);
	return sqlite_finish(q, 0);
}

/* sq_results_of - a page of one address's results, newest first */
static int sq_results_of(struct store *st, const char *target, const struct store_page *pg,
                         struct store_results *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, S_RESULTS_OF);
	size_t alloc = 0;
	int rc;

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, target, NULL);
	sqlite3_bind_int64(q, 2, pg->limit);
	sqlite3_bind_int64(q, 3, pg->offset);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		out->v = sqlite_grow(out->v, out->n, &alloc, sizeof(*out->v));
		result_row(q, &out->v[out->n++]);
	}
	if (rc != SQLITE_DONE) {
		store_results_free(out);
		return sqlite_finish(q, sqlite_fail(s, "results of"));
	}
	return sqlite_finish(q, 0);
}

/* sq_tally - (key, count) rows of one GROUP BY statement */
static int sq_tally(struct store *st, enum store_tally what, struct store_tallies *out)
{
	static const enum stmt_id by[STORE_TALLY__COUNT] = {
	    [STORE_TALLY_SCANS] = S_TALLY_SCANS,         [STORE_TALLY_RESULTS] = S_TALLY_RESULTS,
	    [STORE_TALLY_INCIDENTS] = S_TALLY_INCIDENTS, [STORE_TALLY_OUTBOX] = S_TALLY_OUTBOX,
	    [STORE_TALLY_ARRIVALS] = S_TALLY_ARRIVALS,   [STORE_TALLY_BLOCKS] = S_TALLY_BLOCKS,
	};
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, by[what]);
	size_t alloc = 0;
	int rc;

	if (q == NULL)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		out->v = sqlite_grow(out->v, out->n, &alloc, sizeof(*out->v));
		out->v[out->n].key = sqlite_col_dup(q, 0);
		out->v[out->n++].n = sqlite3_column_int64(q, 1);
	}
	if (rc != SQLITE_DONE) {
		store_tallies_free(out);
		return sqlite_finish(q, sqlite_fail(s, "tally"));
	}
	return sqlite_finish(q, 0);
}

/* upgrade - the late-arrival rule for a new tied arrival */
static int upgrade(struct sqlite_store *s, const struct store_arrival *a)
{
	sqlite3_stmt *q = prepare(s, S_UPGRADE);
	char reason[STORE_REASON_MAX];

	if (q == NULL)
		return -1;
	store_late_reason(reason, sizeof(reason), a->test, a->peer);
	sqlite_bind_text(q, 1, reason, "");
	sqlite3_bind_int64(q, 2, a->arrived);
	sqlite3_bind_int64(q, 3, a->scan);
	sqlite_bind_text(q, 4, a->target, "");
	sqlite3_bind_int(q, 5, (int)a->port);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, "late arrival"));
	if (sqlite3_changes(s->db) > 0)
		rw_log(LOG_INFO,
		       "store=sqlite event=late-arrival scan=%lld target=%s port=%u"
		       " test=%s peer=%s verdict=open",
		       (long long)a->scan, a->target, a->port, a->test ? a->test : "", a->peer);
	return sqlite_finish(q, 0);
}

/* arrival_insert - the INSERT of arrival_put: 1 inserted (*tied: its
 * scan exists here), 0 a replay, -1 error */
static int arrival_insert(struct sqlite_store *s, const struct store_arrival *a, int64_t *id,
                          int *tied)
{
	sqlite3_stmt *q = prepare(s, S_ARRIVAL_PUT);
	int b, rc, inserted = 0;

	*tied = 0;
	if (q == NULL)
		return -1;
	b = sqlite_bind_text(q, 1, a->token, NULL);
	b |= a->scan > 0 ? sqlite3_bind_int64(q, 2, a->scan) : sqlite3_bind_null(q, 2);
	b |= sqlite_bind_text(q, 3, a->target, "") | sqlite3_bind_int(q, 4, (int)a->port) |
	     sqlite_bind_text(q, 5, a->test, "") | sqlite_bind_text(q, 6, a->peer, NULL) |
	     sqlite_bind_text(q, 7, a->received, "[]") | sqlite3_bind_int64(q, 8, a->arrived) |
	     sqlite3_bind_int(q, 9, a->relayed ? 1 : 0);
	if (b)
		return sqlite_finish(q, sqlite_fail(s, "arrival put"));
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		inserted = 1;
		if (id != NULL)
			*id = sqlite3_column_int64(q, 0);
		*tied = sqlite3_column_type(q, 1) != SQLITE_NULL;
		rc = sqlite3_step(q);
	}
	if (rc != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, "arrival put"));
	return sqlite_finish(q, inserted);
}

/* sq_arrival_put - insert unless the same record exists; a new proof
 * upgrades its suspect result in the same transaction */
static int sq_arrival_put(struct store *st, const struct store_arrival *a, int64_t *id)
{
	struct sqlite_store *s = S(st);
	int own, tied, rc;

	if (sqlite_own_begin(s, &own) < 0)
		return -1;
	rc = arrival_insert(s, a, id, &tied);
	if (rc == 1 && tied && a->relayed && a->target && a->target[0] && upgrade(s, a) < 0)
		rc = -1;
	return sqlite_own_end(s, own, rc);
}

/* arrival_row - fill a from a row of ARRIVAL_COLS (owned strings) */
static void arrival_row(sqlite3_stmt *q, struct store_arrival *a)
{
	a->id = sqlite3_column_int64(q, 0);
	a->token = sqlite_col_dup(q, 1);
	a->scan = sqlite3_column_int64(q, 2); /* NULL reads 0 */
	a->target = sqlite_col_dup(q, 3);
	a->port = (unsigned)sqlite3_column_int(q, 4);
	a->test = sqlite_col_dup(q, 5);
	a->peer = sqlite_col_dup(q, 6);
	a->received = sqlite_col_dup(q, 7);
	a->arrived = sqlite3_column_int64(q, 8);
	a->relayed = sqlite3_column_int(q, 9);
}

/* sq_arrivals_list - a page of a scan's arrivals (scan 0: no scan) */
static int sq_arrivals_list(struct store *st, int64_t scan, const struct store_page *pg,
                            struct store_arrivals *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, scan > 0 ? S_ARRIVALS_SCAN : S_ARRIVALS_NONE);
	size_t alloc = 0;
	int rc, i = 1;

	if (q == NULL)
		return -1;
	if (scan > 0)
		sqlite3_bind_int64(q, i++, scan);
	sqlite3_bind_int64(q, i++, pg->limit);
	sqlite3_bind_int64(q, i, pg->offset);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		out->v = sqlite_grow(out->v, out->n, &alloc, sizeof(*out->v));
		arrival_row(q, &out->v[out->n++]);
	}
	if (rc != SQLITE_DONE) {
		store_arrivals_free(out);
		return sqlite_finish(q, sqlite_fail(s, "arrivals list"));
	}
	return sqlite_finish(q, 0);
}

/* sq_arrivals_since - a scan's arrivals after id `after`, id order */
static int sq_arrivals_since(struct store *st, int64_t scan, int64_t after, int64_t limit,
                             struct store_arrivals *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prepare(s, scan > 0 ? S_ARRIVALS_SINCE : S_ARRIVALS_SINCE_NONE);
	size_t alloc = 0;
	int rc, i = 1;

	if (q == NULL)
		return -1;
	if (scan > 0)
		sqlite3_bind_int64(q, i++, scan);
	sqlite3_bind_int64(q, i++, after);
	sqlite3_bind_int64(q, i, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		out->v = sqlite_grow(out->v, out->n, &alloc, sizeof(*out->v));
		arrival_row(q, &out->v[out->n++]);
	}
	if (rc != SQLITE_DONE) {
		store_arrivals_free(out);
		return sqlite_finish(q, sqlite_fail(s, "arrivals since"));
	}
	return sqlite_finish(q, 0);
}

/* One page of keys, copied out so no statement is open during the calls. */
struct key_page {
	size_t n, alloc;
	struct key {
		char *target;
		unsigned port;
	} * v;
	int64_t last; /* id of the page's last row */
};

/* keys_page - the next page of keys after page->last */
static int keys_page(struct sqlite_store *s, int64_t scan, const char *probe, struct key_page *page)
{
	sqlite3_stmt *q = prepare(s, probe ? S_KEYS_PROBE : S_KEYS_ALL);
	int rc, i = 1;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, i++, scan);
	sqlite3_bind_int64(q, i++, page->last);
	if (probe != NULL)
		sqlite_bind_text(q, i++, probe, NULL);
	sqlite3_bind_int64(q, i, RW_STORE_PAGE_MAX);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		page->v = sqlite_grow(page->v, page->n, &page->alloc, sizeof(*page->v));
		page->last = sqlite3_column_int64(q, 0);
		page->v[page->n].target = sqlite_col_dup(q, 1);
		page->v[page->n++].port = (unsigned)sqlite3_column_int(q, 2);
	}
	if (rc != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, "result keys"));
	return sqlite_finish(q, 0);
}

/* sq_result_keys - every result's (target, port) in id order, a page of
 * keys at a time */
static int sq_result_keys(struct store *st, int64_t scan, const char *probe,
                          void (*fn)(void *arg, const char *target, unsigned port), void *arg)
{
	struct sqlite_store *s = S(st);
	struct key_page page = {0};
	int rc = 0;

	do {
		for (size_t i = 0; i < page.n; i++)
			free(page.v[i].target);
		page.n = 0;
		if ((rc = keys_page(s, scan, probe, &page)) < 0)
			break;
		for (size_t i = 0; i < page.n; i++)
			fn(arg, page.v[i].target, page.v[i].port);
	} while (page.n == RW_STORE_PAGE_MAX);
	for (size_t i = 0; i < page.n; i++)
		free(page.v[i].target);
	free(page.v);
	return rc;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .migrate = sq_migrate,
    .batch_begin = sq_batch_begin,
    .batch_commit = sq_batch_commit,
    .batch_abort = sq_batch_abort,
    .scan_create = sq_scan_create,
    .scan_get = sq_scan_get,
    .scan_list = sq_scan_list,
    .scan_state_set = sq_scan_state_set,
    .progress_save = sq_progress_save,
    .progress_load = sq_progress_load,
    .result_put = sq_result_put,
    .results_list = sq_results_list,
    .results_count = sq_results_count,
    .arrival_put = sq_arrival_put,
    .arrivals_list = sq_arrivals_list,
    .arrivals_since = sq_arrivals_since,
    .result_keys = sq_result_keys,
    .results_of = sq_results_of,
    .tally = sq_tally,
    .desk = &store_sqlite_desk_ops,
    .web = &store_sqlite_web_ops,
    .work = &store_sqlite_work_ops,
};
