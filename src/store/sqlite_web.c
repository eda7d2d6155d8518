/*
 * NAME
 *	sqlite_web - the SQLite backend's web console calls
 * SUMMARY
 *	store_sqlite_web_ops: users, sessions and API tokens (schema
 *	version 4)
 * SYNOPSIS
 *	extern const struct store_web_ops store_sqlite_web_ops;
 * DESCRIPTION
 *	The callbacks of struct store_web_ops (store.h), on the session of
 *	sqlite.c (sqlite_int.h), as sqlite_desk.c does it: statements
 *	prepared once per handle, $N parameters, every value bound, the
 *	texts both backends run in web_sql.h. Each call is one statement,
 *	so each is its own transaction outside a batch. Deleting a user
 *	deletes its sessions and tokens through the foreign keys (ON DELETE
 *	CASCADE; sqlite.c turns foreign keys on).
 *	The column naming a user is user_name: "user" is a keyword in
 *	PostgreSQL.
 * DIAGNOSTICS
 *	-1 with "sqlite: what: sqlite's message (extended code)".
 * LIMITS
 *	none beyond the wrapper's (store_web.c).
 * STANDARDS
 *	SQLite 3.35+ (RETURNING).
 */
#include "sqlite_int.h"
#include "web_sql.h"

#include <stdlib.h>
#include <string.h>

enum wstmt {
	W_USER_EXISTS,
	W_USER_PUT,
	W_USER_GET,
	W_USER_LIST,
	W_USER_DEL,
	W_SESSION_PUT,
	W_SESSION_GET,
	W_SESSION_DEL,
	W_SESSION_EXPIRE,
	W_TOKEN_PUT,
	W_TOKEN_GET,
	W_TOKEN_LIST_ALL,
	W_TOKEN_LIST,
	W_TOKEN_DEL,
	W_TOKEN_USED,
	W__COUNT
};
_Static_assert(W__COUNT <= SQLITE_WEB_STMTS, "room for every web statement");

static const struct {
	const char *name;
	const char *sql;
} wstmts[W__COUNT] = {
    /* SQLite's alone: its upsert does not say whether it inserted, so
     * user_put reads the id first (pg_web.c's RETURNING asks xmax) */
    [W_USER_EXISTS] = {"user put", "SELECT id FROM users WHERE name = $1"},
    [W_USER_PUT] = {"user put", WEB_SQL_USER_PUT(" RETURNING id")},
    [W_USER_GET] = {"user get", WEB_SQL_USER_GET},
    [W_USER_LIST] = {"user list", WEB_SQL_USER_LIST("")},
    [W_USER_DEL] = {"user del", WEB_SQL_USER_DEL},
    [W_SESSION_PUT] = {"session put", WEB_SQL_SESSION_PUT},
    [W_SESSION_GET] = {"session get", WEB_SQL_SESSION_GET},
    [W_SESSION_DEL] = {"session del", WEB_SQL_SESSION_DEL},
    [W_SESSION_EXPIRE] = {"session expire", WEB_SQL_SESSION_EXPIRE},
    [W_TOKEN_PUT] = {"apitoken put", WEB_SQL_TOKEN_PUT},
    [W_TOKEN_GET] = {"apitoken get", WEB_SQL_TOKEN_GET},
    [W_TOKEN_LIST_ALL] = {"apitoken list", WEB_SQL_TOKEN_LIST_ALL},
    [W_TOKEN_LIST] = {"apitoken list", WEB_SQL_TOKEN_LIST},
    [W_TOKEN_DEL] = {"apitoken del", WEB_SQL_TOKEN_DEL},
    [W_TOKEN_USED] = {"apitoken used", WEB_SQL_TOKEN_USED},
};

static struct sqlite_store *S(struct store *st)
{
	return (struct sqlite_store *)st;
}

/* prep - one of this file's statements */
static sqlite3_stmt *prep(struct sqlite_store *s, enum wstmt id)
{
	return sqlite_prepare(s, &s->web[id], wstmts[id].name, wstmts[id].sql);
}

/* step_id - step a statement returning at most one row's first column:
 * 1 and *id, 0 no row, -1 error */
static int step_id(struct sqlite_store *s, sqlite3_stmt *q, const char *what, int64_t *id)
{
	int rc = sqlite3_step(q), found = 0;

	if (rc == SQLITE_ROW) {
		found = 1;
		if (id != NULL)
			*id = sqlite3_column_int64(q, 0);
		rc = sqlite3_step(q);
	}
	if (rc != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, what));
	return sqlite_finish(q, found);
}

/* user_row - USER_COLS into u */
static void user_row(sqlite3_stmt *q, struct store_user *u)
{
	u->id = sqlite3_column_int64(q, 0);
	u->name = sqlite_col_dup(q, 1);
	u->role = sqlite_col_dup(q, 2);
	u->hash = sqlite_col_dup(q, 3);
	u->created = sqlite3_column_int64(q, 4);
	u->disabled = sqlite3_column_int(q, 5);
}

/* session_row - SESSION_COLS into v */
static void session_row(sqlite3_stmt *q, struct store_session *v)
{
	v->id = sqlite_col_dup(q, 0);
	v->user = sqlite_col_dup(q, 1);
	v->csrf = sqlite_col_dup(q, 2);
	v->created = sqlite3_column_int64(q, 3);
	v->expires = sqlite3_column_int64(q, 4);
}

/* token_row - TOKEN_COLS into t */
static void token_row(sqlite3_stmt *q, struct store_apitoken *t)
{
	t->id = sqlite3_column_int64(q, 0);
	t->hash = sqlite_col_dup(q, 1);
	t->user = sqlite_col_dup(q, 2);
	t->label = sqlite_col_dup(q, 3);
	t->created = sqlite3_column_int64(q, 4);
	t->last_used = sqlite3_column_int64(q, 5);
}

/* ONE - step q for at most one row into out: 1, 0 none, -1 */
#define ONE(s, q, what, out, rowfn)                                                                \
	do {                                                                                       \
		int rc_ = sqlite3_step(q), found_ = 0;                                             \
		if (rc_ == SQLITE_ROW) {                                                           \
			rowfn(q, out);                                                             \
			found_ = 1;                                                                \
			rc_ = sqlite3_step(q);                                                     \
		}                                                                                  \
		if (rc_ != SQLITE_DONE)                                                            \
			return sqlite_finish(q, sqlite_fail(s, what));                             \
		return sqlite_finish(q, found_);                                                   \
	} while (0)

/* ROWS - every row of q into the list l (as sqlite_desk.c's) */
#define ROWS(s, q, what, l, rowfn)                                                                 \
	do {                                                                                       \
		size_t alloc_ = 0;                                                                 \
		int rc_;                                                                           \
		while ((rc_ = sqlite3_step(q)) == SQLITE_ROW) {                                    \
			(l)->v = sqlite_grow((l)->v, (l)->n, &alloc_, sizeof(*(l)->v));            \
			memset(&(l)->v[(l)->n], 0, sizeof(*(l)->v));                               \
			rowfn(q, &(l)->v[(l)->n++]);                                               \
		}                                                                                  \
		if (rc_ != SQLITE_DONE)                                                            \
			return sqlite_finish(q, sqlite_fail(s, what));                             \
		return sqlite_finish(q, 0);                                                        \
	} while (0)

/* wb_user_put - upsert by name: 1 inserted, 0 updated */
static int wb_user_put(struct store *st, const struct store_user *u)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	int own, had, rc;

	if (sqlite_own_begin(s, &own) < 0)
		return -1;
	if ((q = prep(s, W_USER_EXISTS)) == NULL)
		return sqlite_own_end(s, own, -1);
	sqlite_bind_text(q, 1, u->name, NULL);
	if ((had = step_id(s, q, "user put", NULL)) < 0)
		return sqlite_own_end(s, own, -1);
	if ((q = prep(s, W_USER_PUT)) == NULL)
		return sqlite_own_end(s, own, -1);
	sqlite_bind_text(q, 1, u->name, NULL);
	sqlite_bind_text(q, 2, u->role, NULL);
	sqlite_bind_text(q, 3, u->hash, NULL);
	sqlite3_bind_int64(q, 4, u->created);
	sqlite3_bind_int(q, 5, u->disabled ? 1 : 0);
	rc = step_id(s, q, "user put", NULL);
	if (rc == 0)
		rc = sqlite_fail(s, "user put: no row");
	return sqlite_own_end(s, own, rc < 0 ? -1 : !had);
}

/* wb_user_get - one user by name */
static int wb_user_get(struct store *st, const char *name, struct store_user *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_USER_GET);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, name, NULL);
	ONE(s, q, "user get", out, user_row);
}

/* wb_user_list - every user by name */
static int wb_user_list(struct store *st, struct store_users *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_USER_LIST);

	if (q == NULL)
		return -1;
	ROWS(s, q, "user list", out, user_row);
}

/* wb_user_del - the user (its sessions and tokens cascade) */
static int wb_user_del(struct store *st, const char *name)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_USER_DEL);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, name, NULL);
	return step_id(s, q, "user del", NULL);
}

/* wb_session_put - insert one session */
static int wb_session_put(struct store *st, const struct store_session *v)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_SESSION_PUT);
	int rc;

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, v->id, NULL);
	sqlite_bind_text(q, 2, v->user, NULL);
	sqlite_bind_text(q, 3, v->csrf, "");
	sqlite3_bind_int64(q, 4, v->created);
	sqlite3_bind_int64(q, 5, v->expires);
	if ((rc = sqlite3_step(q)) != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, "session put"));
	return sqlite_finish(q, 0);
}

/* wb_session_get - one session by its hashed id */
static int wb_session_get(struct store *st, const char *id, struct store_session *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_SESSION_GET);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, id, NULL);
	ONE(s, q, "session get", out, session_row);
}

/* wb_session_del - forget one session */
static int wb_session_del(struct store *st, const char *id)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_SESSION_DEL);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, id, NULL);
	return step_id(s, q, "session del", NULL);
}

/* wb_session_expire - delete every session past its expiry */
static int wb_session_expire(struct store *st, int64_t now, int64_t *n)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_SESSION_EXPIRE);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, "session expire"));
	if (n != NULL)
		*n = sqlite3_changes(s->db);
	return sqlite_finish(q, 0);
}

/* wb_apitoken_put - insert a token: 1 and its id */
static int wb_apitoken_put(struct store *st, const struct store_apitoken *t, int64_t *id)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_TOKEN_PUT);
	int rc;

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, t->hash, NULL);
	sqlite_bind_text(q, 2, t->user, NULL);
	sqlite_bind_text(q, 3, t->label, "");
	sqlite3_bind_int64(q, 4, t->created);
	rc = step_id(s, q, "apitoken put", id);
	return rc == 0 ? sqlite_fail(s, "apitoken put: no row") : rc;
}

/* wb_apitoken_get - one token by its hash */
static int wb_apitoken_get(struct store *st, const char *hash, struct store_apitoken *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_TOKEN_GET);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, hash, NULL);
	ONE(s, q, "apitoken get", out, token_row);
}

/* wb_apitoken_list - a user's tokens (NULL: all), id order */
static int wb_apitoken_list(struct store *st, const char *user, struct store_apitokens *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, user ? W_TOKEN_LIST : W_TOKEN_LIST_ALL);

	if (q == NULL)
		return -1;
	if (user != NULL)
		sqlite_bind_text(q, 1, user, NULL);
	ROWS(s, q, "apitoken list", out, token_row);
}

/* wb_apitoken_del - token id when it is user's */
static int wb_apitoken_del(struct store *st, const char *user, int64_t id)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_TOKEN_DEL);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	sqlite_bind_text(q, 2, user, NULL);
	return step_id(s, q, "apitoken del", NULL);
}

/* wb_apitoken_used - stamp last_used */
static int wb_apitoken_used(struct store *st, int64_t id, int64_t now)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, W_TOKEN_USED);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, id);
	return step_id(s, q, "apitoken used", NULL);
}

const struct store_web_ops store_sqlite_web_ops = {
    .user_put = wb_user_put,
    .user_get = wb_user_get,
    .user_list = wb_user_list,
    .user_del = wb_user_del,
    .session_put = wb_session_put,
    .session_get = wb_session_get,
    .session_del = wb_session_del,
    .session_expire = wb_session_expire,
    .apitoken_put = wb_apitoken_put,
    .apitoken_get = wb_apitoken_get,
    .apitoken_list = wb_apitoken_list,
    .apitoken_del = wb_apitoken_del,
    .apitoken_used = wb_apitoken_used,
};
