/*
 * NAME
 *	pg_web - the PostgreSQL backend's web console calls
 * SUMMARY
 *	store_pg_web_ops: users, sessions and API tokens (schema version 4)
 * SYNOPSIS
 *	extern const struct store_web_ops store_pg_web_ops;
 * DESCRIPTION
 *	The callbacks of struct store_web_ops (store.h), on the session of
 *	pg.c (pg_int.h), as sqlite_web.c (the texts both run are
 *	web_sql.h's): one statement each, every value a parameter. user_put
 *	tells an insert from an update in its one upsert (RETURNING
 *	xmax = 0). Deleting a user deletes its sessions and tokens through
 *	the foreign keys (ON DELETE CASCADE). Users list by name in byte
 *	order (COLLATE "C"), as SQLite's.
 * DIAGNOSTICS
 *	-1 with "postgresql: what: the server's message (SQLSTATE)".
 * LIMITS
 *	none beyond the wrapper's (store_web.c).
 * STANDARDS
 *	PostgreSQL 10+ (ON CONFLICT, RETURNING).
 */
#include "pg_int.h"
#include "web_sql.h"

#include <stdlib.h>
#include <string.h>

enum wstmt {
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

/* Text orders by bytes (COLLATE "C"), as SQLite's */
#define COLLATE_C " COLLATE \"C\""

static const struct {
	const char *name;
	const char *sql;
} wstmts[W__COUNT] = {
    [W_USER_PUT] = {"user put", WEB_SQL_USER_PUT(" RETURNING id, xmax = 0")},
    [W_USER_GET] = {"user get", WEB_SQL_USER_GET},
    [W_USER_LIST] = {"user list", WEB_SQL_USER_LIST(COLLATE_C)},
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

static struct pg_store *P(struct store *st)
{
	return (struct pg_store *)st;
}

/* q - run one of this file's statements */
static PGresult *q(struct pg_store *s, enum wstmt id, struct pg_args *a)
{
	return pg_exec(s, wstmts[id].name, wstmts[id].sql, a);
}

/* one_id - one of this file's statements returning at most one row */
static int one_id(struct pg_store *s, enum wstmt id, struct pg_args *a, int64_t *out)
{
	return pg_one_id(s, wstmts[id].name, wstmts[id].sql, a, out);
}

/* user_row - USER_COLS into u */
static void user_row(const PGresult *r, int i, struct store_user *u)
{
	u->id = pg_i64(r, i, 0);
	u->name = pg_dup(r, i, 1);
	u->role = pg_dup(r, i, 2);
	u->hash = pg_dup(r, i, 3);
	u->created = pg_i64(r, i, 4);
	u->disabled = pg_int32(r, i, 5);
}

/* session_row - SESSION_COLS into v */
static void session_row(const PGresult *r, int i, struct store_session *v)
{
	v->id = pg_dup(r, i, 0);
	v->user = pg_dup(r, i, 1);
	v->csrf = pg_dup(r, i, 2);
	v->created = pg_i64(r, i, 3);
	v->expires = pg_i64(r, i, 4);
}

/* token_row - TOKEN_COLS into t */
static void token_row(const PGresult *r, int i, struct store_apitoken *t)
{
	t->id = pg_i64(r, i, 0);
	t->hash = pg_dup(r, i, 1);
	t->user = pg_dup(r, i, 2);
	t->label = pg_dup(r, i, 3);
	t->created = pg_i64(r, i, 4);
	t->last_used = pg_i64(r, i, 5);
}

/* ONE - at most one row of r into out through rowfn: 1, 0 none, -1 */
#define ONE(r, out, rowfn)                                                                         \
	do {                                                                                       \
		int found_;                                                                        \
		if ((r) == NULL)                                                                   \
			return -1;                                                                 \
		if ((found_ = PQntuples(r) > 0))                                                   \
			rowfn(r, 0, out);                                                          \
		PQclear(r);                                                                        \
		return found_;                                                                     \
	} while (0)

/* wb_user_put - upsert by name: 1 inserted, 0 updated */
static int wb_user_put(struct store *st, const struct store_user *u)
{
	struct pg_args a = {0};
	PGresult *r;
	int inserted;

	pg_text(&a, u->name, NULL);
	pg_text(&a, u->role, NULL);
	pg_text(&a, u->hash, NULL);
	pg_int(&a, u->created);
	pg_int(&a, u->disabled ? 1 : 0);
	if ((r = q(P(st), W_USER_PUT, &a)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return pg_fail(P(st), "user put: no row", NULL);
	}
	inserted = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	return inserted;
}

/* wb_user_get - one user by name */
static int wb_user_get(struct store *st, const char *name, struct store_user *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_text(&a, name, NULL);
	r = q(P(st), W_USER_GET, &a);
	ONE(r, out, user_row);
}

/* wb_user_list - every user by name */
static int wb_user_list(struct store *st, struct store_users *out)
{
	PGresult *r = q(P(st), W_USER_LIST, NULL);

	if (r == NULL)
		return -1;
	PG_ROWS(r, out, user_row);
	return 0;
}

/* wb_user_del - the user (its sessions and tokens cascade) */
static int wb_user_del(struct store *st, const char *name)
{
	struct pg_args a = {0};

	pg_text(&a, name, NULL);
	return one_id(P(st), W_USER_DEL, &a, NULL);
}

/* wb_session_put - insert one session */
static int wb_session_put(struct store *st, const struct store_session *v)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_text(&a, v->id, NULL);
	pg_text(&a, v->user, NULL);
	pg_text(&a, v->csrf, "");
	pg_int(&a, v->created);
	pg_int(&a, v->expires);
	if ((r = q(P(st), W_SESSION_PUT, &a)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* wb_session_get - one session by its hashed id */
static int wb_session_get(struct store *st, const char *id, struct store_session *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_text(&a, id, NULL);
	r = q(P(st), W_SESSION_GET, &a);
	ONE(r, out, session_row);
}

/* wb_session_del - forget one session */
static int wb_session_del(struct store *st, const char *id)
{
	struct pg_args a = {0};

	pg_text(&a, id, NULL);
	return one_id(P(st), W_SESSION_DEL, &a, NULL);
}

/* wb_session_expire - delete every session past its expiry */
static int wb_session_expire(struct store *st, int64_t now, int64_t *n)
{
	struct pg_args a = {0};
	int64_t gone;

	pg_int(&a, now);
	gone = pg_count(P(st), wstmts[W_SESSION_EXPIRE].name, wstmts[W_SESSION_EXPIRE].sql, &a);
	if (gone < 0)
		return -1;
	if (n != NULL)
		*n = gone;
	return 0;
}

/* wb_apitoken_put - insert a token: 1 and its id */
static int wb_apitoken_put(struct store *st, const struct store_apitoken *t, int64_t *id)
{
	struct pg_args a = {0};
	int rc;

	pg_text(&a, t->hash, NULL);
	pg_text(&a, t->user, NULL);
	pg_text(&a, t->label, "");
	pg_int(&a, t->created);
	rc = one_id(P(st), W_TOKEN_PUT, &a, id);
	return rc == 0 ? pg_fail(P(st), "apitoken put: no row", NULL) : rc;
}

/* wb_apitoken_get - one token by its hash */
static int wb_apitoken_get(struct store *st, const char *hash, struct store_apitoken *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_text(&a, hash, NULL);
	r = q(P(st), W_TOKEN_GET, &a);
	ONE(r, out, token_row);
}

/* wb_apitoken_list - a user's tokens (NULL: all), id order */
static int wb_apitoken_list(struct store *st, const char *user, struct store_apitokens *out)
{
	struct pg_args a = {0};
	PGresult *r;

	if (user != NULL)
		pg_text(&a, user, NULL);
	if ((r = q(P(st), user ? W_TOKEN_LIST : W_TOKEN_LIST_ALL, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, token_row);
	return 0;
}

/* wb_apitoken_del - token id when it is user's */
static int wb_apitoken_del(struct store *st, const char *user, int64_t id)
{
	struct pg_args a = {0};

	pg_int(&a, id);
	pg_text(&a, user, NULL);
	return one_id(P(st), W_TOKEN_DEL, &a, NULL);
}

/* wb_apitoken_used - stamp last_used */
static int wb_apitoken_used(struct store *st, int64_t id, int64_t now)
{
	struct pg_args a = {0};

	pg_int(&a, now);
	pg_int(&a, id);
	return one_id(P(st), W_TOKEN_USED, &a, NULL);
}

const struct store_web_ops store_pg_web_ops = {
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
