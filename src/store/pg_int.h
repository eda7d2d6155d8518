/*
 * pg_int.h - what the PostgreSQL backend's files share (pg.c: the
 * session; pg_scan.c: the scanner's calls and store_pg_ops; pg_desk.c:
 * the abuse desk's calls; pg_web.c: the web console's)
 */
#ifndef RW_PG_INT_H
#define RW_PG_INT_H

#include "store_int.h"

#include <libpq-fe.h>

/* the most parameters one statement binds */
#define PG_PARAMS_MAX 16

struct pg_store {
	struct store base; /* first: a struct store * is a struct pg_store * */
	PGconn *conn;
	char *where; /* the location as messages show it (password masked) */
	int tx;      /* a transaction is open: a batch, or one call's own */
};

/* One statement's parameters, all sent as text (integers as decimal,
 * never spliced into SQL) except bytes, sent binary. NULL is a NULL.
 * Used once: pg_exec frees the copies it holds. */
struct pg_args {
	int n;
	const char *v[PG_PARAMS_MAX];
	int len[PG_PARAMS_MAX];
	int fmt[PG_PARAMS_MAX];
	char num[PG_PARAMS_MAX][24];
	char *own[PG_PARAMS_MAX]; /* text made valid UTF-8 (pg_text) */
};

/* pg_text - append str (borrowed until the statement ran), or dflt when
 * str is NULL (NULL dflt: SQL NULL). A text column holds UTF-8 only: a
 * str that is not valid UTF-8 is sent as a copy with each byte of an
 * invalid sequence as '?' (SQLite would keep the bytes; doc/postgresql.md) */
void pg_text(struct pg_args *a, const char *str, const char *dflt);
/* pg_int - append a 64-bit integer */
void pg_int(struct pg_args *a, int64_t v);
/* pg_id - append an optional reference: NULL for 0 */
void pg_id(struct pg_args *a, int64_t id);
/* pg_bytes - append len bytes at p (borrowed) as binary; NULL p: NULL */
void pg_bytes(struct pg_args *a, const void *p, size_t len);

/* pg_exec - run sql with a (NULL: none): the result (PQclear it) when the
 * statement succeeded, else NULL with "postgresql: what: message
 * (SQLSTATE)" set. A failure inside a batch rolls the batch's
 * transaction back and opens a fresh one, so later calls still run (the
 * batch is spoiled: store.c rolls back at its commit). Outside any
 * transaction a broken connection is reset first. */
PGresult *pg_exec(struct pg_store *s, const char *what, const char *sql, struct pg_args *a);
/* pg_fail - set the error of a failed statement (r may be NULL); -1 */
int pg_fail(struct pg_store *s, const char *what, const PGresult *r);
/* pg_count - run a statement and return how many rows it returned or
 * changed (RETURNING rows, else the command's count); -1 on error */
int64_t pg_count(struct pg_store *s, const char *what, const char *sql, struct pg_args *a);
/* pg_one_id - a statement returning at most one row: 1 and its first
 * column in *id (when not NULL), 0 no row, -1 error */
int pg_one_id(struct pg_store *s, const char *what, const char *sql, struct pg_args *a,
              int64_t *id);

/* pg_i64 / pg_int32 - a column as a number (NULL reads 0) */
int64_t pg_i64(const PGresult *r, int row, int col);
int pg_int32(const PGresult *r, int row, int col);
/* pg_dup - an owned copy of a text column ("" for NULL) */
char *pg_dup(const PGresult *r, int row, int col);
/* pg_grow - v with room for row n of size sz (*alloc rows allocated) */
void *pg_grow(void *v, size_t n, size_t *alloc, size_t sz);

/* pg_own_begin - BEGIN unless a transaction is open; *own says which */
int pg_own_begin(struct pg_store *s, int *own);
/* pg_own_end - commit (rc >= 0) or roll back what own_begin began;
 * inside a batch the batch decides. rc, or -1 when the commit fails */
int pg_own_end(struct pg_store *s, int own, int rc);

/* pg.c's session calls, for store_pg_ops (pg_scan.c): store.h's
 * contracts of open, close, migrate and the batch */
struct store *pg_open(const char *location, char *err, size_t errlen);
void pg_close(struct store *st);
int pg_migrate(struct store *st, int64_t now);
int pg_batch_begin(struct store *st, unsigned flags);
int pg_batch_commit(struct store *st);
int pg_batch_abort(struct store *st);

/* PG_ROWS - every row of the result r into the list l through
 * rowfn(r, row, item), then PQclear(r); the list owns what rowfn copies */
#define PG_ROWS(r, l, rowfn)                                                                       \
	do {                                                                                       \
		size_t alloc_ = 0;                                                                 \
		for (int row_ = 0; row_ < PQntuples(r); row_++) {                                  \
			(l)->v = pg_grow((l)->v, (l)->n, &alloc_, sizeof(*(l)->v));                \
			memset(&(l)->v[(l)->n], 0, sizeof(*(l)->v));                               \
			rowfn(r, row_, &(l)->v[(l)->n++]);                                         \
		}                                                                                  \
		PQclear(r);                                                                        \
	} while (0)

#endif
