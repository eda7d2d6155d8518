/*
 * store_fx.h - the store tests' database: one fresh store per test, on
 * either backend, so one suite runs twice (doc/postgresql.md)
 *
 * Without RW_TEST_STORE_URL a test's store is a new SQLite file in its
 * mkdtemp directory, as always. With RW_TEST_STORE_URL naming a
 * PostgreSQL database ("postgresql:///db?host=/tmp/dir", what
 * tests/integration/store_pg.sh passes), each test gets a schema of its
 * own in that database (CREATE SCHEMA, the URL's search_path set to it
 * through libpq's options) and fxdb_drop drops it. The raw helpers read
 * or write the database beside the store, on a second connection of the
 * same backend, for what the store cannot show about itself; a check only
 * one backend can make is guarded by d->pg (SQLite's PRAGMAs, a file's
 * mode), and a test of SQLite alone calls fxdb_sqlite_only (a cmocka
 * skip on PostgreSQL, named in its output).
 * Included by each store test (static functions: one copy per binary).
 */
#ifndef RW_TEST_STORE_FX_H
#define RW_TEST_STORE_FX_H

#include "../../src/store/store_int.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx_db {
	int pg;           /* 1: PostgreSQL (RW_TEST_STORE_URL), 0: SQLite */
	char url[1024];   /* the store's URL for store_open */
	char schema[64];  /* PostgreSQL: the test's schema */
	const char *base; /* PostgreSQL: RW_TEST_STORE_URL */
};

/* fxdb_quiet - drop the server's notices (DROP ... CASCADE lists what) */
__attribute__((unused)) static void fxdb_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* fxdb_pg_conn - a connection to conninfo, failing the test otherwise */
static PGconn *fxdb_pg_conn(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "store_fx: %s: %s", conninfo, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, fxdb_quiet, NULL);
	return c;
}

/* fxdb_pg_run - run sql on the base database (schema create / drop) */
__attribute__((unused)) static int fxdb_pg_run(const char *conninfo, const char *sql)
{
	PGconn *c = fxdb_pg_conn(conninfo);
	PGresult *r;
	int ok;

	if (c == NULL)
		return -1;
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "store_fx: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* fxdb_make - a new, empty store for one test: 0, or -1 (setup fails) */
__attribute__((unused)) static int fxdb_make(struct fx_db *d, const char *dir)
{
	static unsigned seq;
	const char *base = getenv("RW_TEST_STORE_URL");
	static int told;
	char sql[128];

	memset(d, 0, sizeof(*d));
	if (base == NULL || base[0] == '\0') {
		snprintf(d->url, sizeof(d->url), "%s/store.db", dir);
		return 0;
	}
	d->pg = 1;
	d->base = base;
	snprintf(d->schema, sizeof(d->schema), "rwt_%ld_%u", (long)getpid(), ++seq);
	if (strstr(base, "://") != NULL)
		snprintf(d->url, sizeof(d->url), "%s%coptions=-csearch_path%%3D%s", base,
		         strchr(base, '?') ? '&' : '?', d->schema);
	else
		snprintf(d->url, sizeof(d->url), "%s options='-csearch_path=%s'", base, d->schema);
	if (!told++)
		fprintf(stderr, "store_fx: backend postgresql, %s, a schema per test\n", base);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", d->schema);
	return fxdb_pg_run(base, sql);
}

/* fxdb_drop - the test's schema (PostgreSQL); the caller removes dir */
__attribute__((unused)) static void fxdb_drop(struct fx_db *d)
{
	char sql[128];

	if (!d->pg)
		return;
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", d->schema);
	fxdb_pg_run(d->base, sql);
}

/* fxdb_sqlite_only - skip the rest of this test on PostgreSQL */
#define fxdb_sqlite_only(d, why)                                                                   \
	do {                                                                                       \
		if ((d)->pg) {                                                                     \
			print_message("skip on postgresql: %s\n", why);                            \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* fxdb_sq_open - a raw SQLite connection to path */
static sqlite3 *fxdb_sq_open(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* fxdb_text - first column of sql's first row as text into buf ("" none) */
static char *fxdb_text(const struct fx_db *d, const char *sql, char *buf, size_t len)
{
	buf[0] = '\0';
	if (d->pg) {
		PGconn *c = fxdb_pg_conn(d->url);
		PGresult *r;

		assert_non_null(c);
		r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
			snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = fxdb_sq_open(d->url);
		sqlite3_stmt *q;

		if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
			fail_msg("%s: %s", sql, sqlite3_errmsg(db));
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
			snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	return buf;
}

/* fxdb_int - first column of sql's first row; -1 when there is none */
__attribute__((unused)) static int64_t fxdb_int(const struct fx_db *d, const char *sql)
{
	char buf[64];

	fxdb_text(d, sql, buf, sizeof(buf));
	return buf[0] ? strtoll(buf, NULL, 10) : -1;
}

/* fxdb_try - run sql (SQLite: foreign keys on): 0 done, 1 refused by a
 * constraint or trigger, -1 any other error */
__attribute__((unused)) static int fxdb_try(const struct fx_db *d, const char *sql)
{
	int rc;

	if (d->pg) {
		PGconn *c = fxdb_pg_conn(d->url);
		PGresult *r;
		const char *code;

		assert_non_null(c);
		r = PQexec(c, sql);
		code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK
		         ? 0
		     : code && (strncmp(code, "23", 2) == 0 || strcmp(code, "P0001") == 0) ? 1
		                                                                           : -1;
		if (rc < 0)
			print_error("%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = fxdb_sq_open(d->url);

		sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		rc = rc == SQLITE_OK ? 0 : (rc & 0xff) == SQLITE_CONSTRAINT ? 1 : -1;
		sqlite3_close(db);
	}
	return rc;
}

/* fxdb_exec - run sql, failing the test on any error */
__attribute__((unused)) static void fxdb_exec(const struct fx_db *d, const char *sql)
{
	if (fxdb_try(d, sql) != 0)
		fail_msg("%s: refused", sql);
}

/* fxdb_at_version - build by hand a store as an older program left it:
 * schema_version and the steps 1..v of the backend's dialect, marked as
 * relaywatch's, then `rows` (portable SQL: the old rows) */
__attribute__((unused)) static void fxdb_at_version(const struct fx_db *d, int v, const char *rows)
{
	const struct store_migration *m = d->pg ? store_migrations_pg : store_migrations_sqlite;
	char sql[256];

	if (d->pg) {
		PGconn *c = fxdb_pg_conn(d->url);
		PGresult *r;

		assert_non_null(c);
		r = PQexec(c, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
		              " name TEXT NOT NULL, applied BIGINT NOT NULL);"
		              "COMMENT ON TABLE schema_version IS '" STORE_PG_MARK "'");
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		for (int i = 0; i < v; i++) {
			r = PQexec(c, m[i].sql);
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				fail_msg("step %d: %s", i + 1, PQerrorMessage(c));
			PQclear(r);
		}
		PQfinish(c);
	} else {
		sqlite3 *db;

		assert_int_equal(sqlite3_open(d->url, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db,
		                              "PRAGMA journal_mode = WAL;"
		                              "PRAGMA application_id = 1920430964;"
		                              "CREATE TABLE schema_version (version INTEGER"
		                              " PRIMARY KEY, name TEXT NOT NULL,"
		                              " applied BIGINT NOT NULL);",
		                              NULL, NULL, NULL),
		                 SQLITE_OK);
		for (int i = 0; i < v; i++)
			assert_int_equal(sqlite3_exec(db, m[i].sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	for (int i = 1; i <= v; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d, 'v%d', %d)", i,
		         i, i);
		fxdb_exec(d, sql);
	}
	if (rows != NULL)
		fxdb_exec(d, rows);
}

/* fxdb_integrity - the database's own consistency check (SQLite's
 * integrity_check; PostgreSQL checks as it writes: nothing to read) */
__attribute__((unused)) static void fxdb_integrity(const struct fx_db *d)
{
	char buf[64];

	if (!d->pg)
		assert_string_equal(fxdb_text(d, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
}

#endif
