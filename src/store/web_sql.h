/*
 * web_sql.h - the web console's SQL (users, sessions, API tokens), one
 * text for both backends (sqlite_web.c, pg_web.c): the statements are the
 * dialects' common subset; only user_put's RETURNING and the users' text
 * order differ, passed in as the macros' arguments. SQLite's user id read,
 * which PostgreSQL's upsert makes needless, stays in sqlite_web.c.
 */
#ifndef RW_WEB_SQL_H
#define RW_WEB_SQL_H

#define USER_COLS    "id, name, role, hash, created, disabled"
#define SESSION_COLS "id, user_name, csrf, created, expires"
#define TOKEN_COLS   "id, hash, user_name, label, created, last_used"

/* RETURNING: " RETURNING id" (SQLite: the caller read the id before) or
 * " RETURNING id, xmax = 0" (PostgreSQL: inserted or updated, in one) */
#define WEB_SQL_USER_PUT(RETURNING)                                                                \
	"INSERT INTO users (name, role, hash, created, disabled)"                                  \
	" VALUES ($1, $2, $3, $4, $5)"                                                             \
	" ON CONFLICT (name) DO UPDATE SET role = excluded.role,"                                  \
	" hash = excluded.hash, disabled = excluded.disabled" RETURNING
#define WEB_SQL_USER_GET "SELECT " USER_COLS " FROM users WHERE name = $1"
/* COLLATE: "" (SQLite orders text by bytes) or " COLLATE \"C\""
 * (PostgreSQL, whatever the database's locale) */
#define WEB_SQL_USER_LIST(COLLATE) "SELECT " USER_COLS " FROM users ORDER BY name" COLLATE
#define WEB_SQL_USER_DEL           "DELETE FROM users WHERE name = $1 RETURNING id"
#define WEB_SQL_SESSION_PUT                                                                        \
	"INSERT INTO sessions (id, user_name, csrf, created, expires)"                             \
	" VALUES ($1, $2, $3, $4, $5)"
#define WEB_SQL_SESSION_GET    "SELECT " SESSION_COLS " FROM sessions WHERE id = $1"
#define WEB_SQL_SESSION_DEL    "DELETE FROM sessions WHERE id = $1 RETURNING created"
#define WEB_SQL_SESSION_EXPIRE "DELETE FROM sessions WHERE expires <= $1"
#define WEB_SQL_TOKEN_PUT                                                                          \
	"INSERT INTO api_tokens (hash, user_name, label, created)"                                 \
	" VALUES ($1, $2, $3, $4) RETURNING id"
#define WEB_SQL_TOKEN_GET      "SELECT " TOKEN_COLS " FROM api_tokens WHERE hash = $1"
#define WEB_SQL_TOKEN_LIST_ALL "SELECT " TOKEN_COLS " FROM api_tokens ORDER BY id"
#define WEB_SQL_TOKEN_LIST                                                                         \
	"SELECT " TOKEN_COLS " FROM api_tokens"                                                    \
	" WHERE user_name = $1 ORDER BY id"
#define WEB_SQL_TOKEN_DEL  "DELETE FROM api_tokens WHERE id = $1 AND user_name = $2 RETURNING id"
#define WEB_SQL_TOKEN_USED "UPDATE api_tokens SET last_used = $1 WHERE id = $2 RETURNING id"

#endif
