/*
 * sqlite_int.h - what the SQLite backend's files share (sqlite.c: the
 * scanner's calls and the session; sqlite_desk.c: the abuse desk's calls;
 * sqlite_web.c: the web console's; sqlite_work.c: the distributed scan's)
 */
#ifndef RW_SQLITE_INT_H
#define RW_SQLITE_INT_H

#include "store_int.h"

#include <sqlite3.h>

/* prepared-statement slots of each file (each asserts it fits) */
#define SQLITE_CORE_STMTS 32
#define SQLITE_DESK_STMTS 64
#define SQLITE_WEB_STMTS  16
#define SQLITE_WORK_STMTS 16

struct sqlite_store {
	struct store base; /* first: a struct store * is a struct sqlite_store * */
	sqlite3 *db;
	char *path;
	int durable;                           /* the open batch runs with synchronous=FULL */
	sqlite3_stmt *stmt[SQLITE_CORE_STMTS]; /* sqlite.c's */
	sqlite3_stmt *desk[SQLITE_DESK_STMTS]; /* sqlite_desk.c's */
	sqlite3_stmt *web[SQLITE_WEB_STMTS];   /* sqlite_web.c's */
	sqlite3_stmt *work[SQLITE_WORK_STMTS]; /* sqlite_work.c's */
};

/* sqlite_prepare - the statement in *slot, prepared on first use and kept
 * for the handle's life ($N parameters checked); NULL and the error set */
sqlite3_stmt *sqlite_prepare(struct sqlite_store *s, sqlite3_stmt **slot, const char *name,
                             const char *sql);
/* sqlite_fail - set "sqlite: what: message (extended code)"; returns -1 */
int sqlite_fail(struct sqlite_store *s, const char *what);
/* sqlite_finish - reset q for its next use; rc is passed through */
int sqlite_finish(sqlite3_stmt *q, int rc);
/* sqlite_bind_text - bind str (borrowed until the step), or dflt when NULL */
int sqlite_bind_text(sqlite3_stmt *q, int i, const char *str, const char *dflt);
/* sqlite_col_dup - an owned copy of a text column ("" for NULL) */
char *sqlite_col_dup(sqlite3_stmt *q, int i);
/* sqlite_grow - v with room for row n of size sz (*alloc rows allocated) */
void *sqlite_grow(void *v, size_t n, size_t *alloc, size_t sz);
/* sqlite_own_begin - BEGIN IMMEDIATE unless a batch is open; *own says which */
int sqlite_own_begin(struct sqlite_store *s, int *own);
/* sqlite_own_end - commit (rc >= 0) or roll back what own_begin began;
 * inside a batch the batch decides. rc, or -1 when the commit fails */
int sqlite_own_end(struct sqlite_store *s, int own, int rc);

#endif
