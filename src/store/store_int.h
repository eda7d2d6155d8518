/*
 * store_int.h - what the store's backends share and callers never see
 */
#ifndef RW_STORE_INT_H
#define RW_STORE_INT_H

#include "../core/limits.h"
#include "store.h"

/* The head of every backend's handle (the backend's struct starts with
 * it). Only store.c writes version after open, in_batch and spoiled. */
struct store {
	const struct store_ops *ops;
	int version;  /* schema version of the database */
	int in_batch; /* between batch_begin and commit/abort */
	int spoiled;  /* a call failed inside the batch: commit rolls back */
	char err[RW_STORE_ERR_MAX];
};

/* store_seterr - set the error text that store_error() returns */
void store_seterr(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The reason a late arrival writes (store.h's rule): "message arrived at
 * the sink after the wait: test T via PEER", cut to len. One text for
 * every backend. */
#define STORE_REASON_MAX 256
void store_late_reason(char *buf, size_t len, const char *test, const char *peer);

/* One migration step: applied in one transaction, in order, to a database
 * at version - 1. The SQL is the subset SQLite and PostgreSQL both accept;
 * only the surrogate key differs, so each dialect's text comes from one
 * macro (schema.c). */
struct store_migration {
	int version;
	const char *name;
	const char *sql; /* one or more statements separated by ';' */
};

/* The steps for SQLite, versions 1..STORE_SCHEMA_VERSION in order. */
extern const struct store_migration store_migrations_sqlite[];
extern const size_t store_migrations_sqlite_n;
/* The same steps in PostgreSQL's dialect, the same version numbers. */
extern const struct store_migration store_migrations_pg[];
extern const size_t store_migrations_pg_n;

/* The backends in this build. */
extern const struct store_ops store_sqlite_ops;
extern const struct store_desk_ops store_sqlite_desk_ops;
extern const struct store_web_ops store_sqlite_web_ops;
extern const struct store_work_ops store_sqlite_work_ops;
extern const struct store_ops store_pg_ops;
/* The comment on schema_version that marks a PostgreSQL schema as ours
 * (SQLite's application_id) */
#define STORE_PG_MARK "relaywatch store"
/* store_pg_conninfo - s is a libpq "keyword=value ..." string (pg.c) */
int store_pg_conninfo(const char *s);
/* store_pg_redact - loc with its password masked, into buf (pg.c) */
void store_pg_redact(const char *loc, char *buf, size_t len);
extern const struct store_desk_ops store_pg_desk_ops;
extern const struct store_web_ops store_pg_web_ops;
extern const struct store_work_ops store_pg_work_ops;

#endif
