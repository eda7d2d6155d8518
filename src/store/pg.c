/*
 * NAME
 *	pg - the PostgreSQL store backend (libpq): the session
 * SUMMARY
 *	connect, parameters and results, transactions, migrations; the
 *	calls live in pg_scan.c, pg_desk.c and pg_web.c
 * SYNOPSIS
 *	struct store *pg_open(const char *location, char *err, size_t errlen);
 *	void pg_close(struct store *st);
 *	int pg_migrate(struct store *st, int64_t now);
 *	int pg_batch_begin(st, flags); pg_batch_commit(st); pg_batch_abort(st);
 *	PGresult *pg_exec(s, what, sql, args); pg_text, pg_int, pg_id,
 *	pg_bytes, pg_count, pg_one_id, pg_i64, pg_dup, pg_own_begin/end
 *	int store_pg_conninfo(const char *s);
 *	void store_pg_redact(const char *loc, char *buf, size_t len);
 * DESCRIPTION
 *	pg_open hands the whole location to libpq (a "postgresql://" or
 *	"postgres://" URI, or a "host=... dbname=..." string) after
 *	defaults the location may override: connect_timeout
 *	RW_STORE_CONNECT_S, application_name relaywatch, client_encoding
 *	UTF8. The database must exist; the tables live in the connection's
 *	current schema (the first of search_path: options=-csearch_path=X
 *	picks one). The session waits RW_STORE_BUSY_MS for a lock
 *	(lock_timeout), as SQLite's busy timeout. A schema with tables but
 *	no schema_version, or whose schema_version lacks the relaywatch
 *	comment (STORE_PG_MARK, PostgreSQL's application_id), is refused, as
 *	is a schema newer than this program or a server older than 10.
 *	pg_migrate applies each step of store_migrations_pg in its own
 *	transaction under a transaction-level advisory lock, re-reading the
 *	version inside it, so concurrent migrators apply each step once.
 *	Every value is a parameter (PQexecParams; text, bytes binary), none
 *	is spliced into SQL. Batches are BEGIN .. COMMIT at READ COMMITTED;
 *	a STORE_DURABLE batch sets synchronous_commit on for its commit,
 *	other commits follow the server's setting. PostgreSQL aborts a
 *	transaction at its first error: inside a batch pg_exec then rolls
 *	back and begins again, so later calls run (store.c's spoiled batch
 *	rolls back at commit either way). A call's own transaction
 *	(pg_own_begin) is the batch when one is open.
 *	A broken connection is reset before the next call outside a
 *	transaction: a restarted server costs the calls in flight only.
 *	store_pg_redact masks a location's password ("user:PASSWORD@" or
 *	password=...) for messages; open's errors are scrubbed of it too.
 * DIAGNOSTICS
 *	-1 with "postgresql: what: the server's message (SQLSTATE)" in
 *	store_error(); open: NULL and "postgresql: LOCATION: libpq's
 *	message", the password masked in both.
 * LIMITS
 *	RW_STORE_CONNECT_S, RW_STORE_BUSY_MS, PG_PARAMS_MAX.
 * STANDARDS
 *	PostgreSQL 10+ (identity columns, ON CONFLICT with partial-index
 *	inference, RETURNING); libpq connection strings and URIs
 *	(PostgreSQL 15 manual, 34.1.1).
 */
#include "pg_int.h"
#include "../core/log.h"
#include "../core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x)  STR_(x)
/* the advisory lock of migrations (two-int form: apart from the keys'
 * one-bigint locks); 0x72777374, "rwst", as SQLite's application_id */
#define PG_LOCK_CLASS 1920430964

static struct pg_store *P(struct store *st)
{
	return (struct pg_store *)st;
}

/* seq_len - the length of the valid UTF-8 sequence at p, 0 if invalid
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF) */
static size_t seq_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80 ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* utf8_bad - the first byte of s that is no valid UTF-8, or NULL */
static const char *utf8_bad(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = seq_len(p);

		if (n == 0)
			return (const char *)p;
		p += n;
	}
	return NULL;
}

/* utf8_clean - an owned copy of s, each byte of an invalid sequence '?' */
static char *utf8_clean(const char *s)
{
	char *out = xstrdup(s);

	for (unsigned char *p = (unsigned char *)out; *p;) {
		size_t n = seq_len(p);

		if (n == 0)
			*p++ = '?';
		else
			p += n;
	}
	return out;
}

/* pg_text - append a text parameter (dflt for NULL) */
void pg_text(struct pg_args *a, const char *str, const char *dflt)
{
	const char *v = str ? str : dflt;

	if (a->n >= PG_PARAMS_MAX)
		rw_panic("%s: more than %d parameters", __func__, PG_PARAMS_MAX);
	if (v != NULL && utf8_bad(v) != NULL)
		v = a->own[a->n] = utf8_clean(v);
	a->v[a->n] = v;
	a->len[a->n] = 0;
	a->fmt[a->n++] = 0;
}

/* pg_int - append an integer parameter as decimal text */
void pg_int(struct pg_args *a, int64_t v)
{
	if (a->n >= PG_PARAMS_MAX)
		rw_panic("%s: more than %d parameters", __func__, PG_PARAMS_MAX);
	snprintf(a->num[a->n], sizeof(a->num[0]), "%lld", (long long)v);
	pg_text(a, a->num[a->n], NULL);
}

/* pg_id - append an optional reference: NULL for 0 */
void pg_id(struct pg_args *a, int64_t id)
{
	if (id > 0)
		pg_int(a, id);
	else
		pg_text(a, NULL, NULL);
}

/* pg_bytes - append bytes, sent binary */
void pg_bytes(struct pg_args *a, const void *p, size_t len)
{
	pg_text(a, NULL, NULL);
	a->v[a->n - 1] = p;
	a->len[a->n - 1] = (int)len;
	a->fmt[a->n - 1] = 1;
}

/* first_line - msg up to its first line end, into buf */
static const char *first_line(const char *msg, char *buf, size_t len)
{
	size_t n = strcspn(msg ? msg : "", "\n");

	snprintf(buf, len, "%.*s", (int)n, msg ? msg : "");
	return buf;
}

/* pg_fail - "postgresql: what: message (SQLSTATE)"; returns -1 */
int pg_fail(struct pg_store *s, const char *what, const PGresult *r)
{
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char line[RW_STORE_ERR_MAX];

	if (msg != NULL)
		store_seterr(&s->base, "postgresql: %s: %s (%s)", what, msg, code ? code : "?");
	else
		store_seterr(&s->base, "postgresql: %s: %s", what,
		             first_line(PQerrorMessage(s->conn), line, sizeof(line)));
	return -1;
}

/* command - a statement without parameters or rows, its error kept */
static int command(struct pg_store *s, const char *what, const char *sql)
{
	PGresult *r = pg_exec(s, what, sql, NULL);

	PQclear(r);
	return r ? 0 : -1;
}

/* rollback - end the open transaction; the error text is kept */
static void rollback(struct pg_store *s)
{
	char keep[RW_STORE_ERR_MAX];

	snprintf(keep, sizeof(keep), "%s", s->base.err);
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	s->tx = 0;
	snprintf(s->base.err, sizeof(s->base.err), "%s", keep);
}

/* commit - COMMIT; an aborted transaction "commits" as ROLLBACK: -1 */
static int commit(struct pg_store *s)
{
	PGresult *r = pg_exec(s, "commit", "COMMIT", NULL);
	int ok = r && strcmp(PQcmdStatus(r), "COMMIT") == 0;

	if (r && !ok)
		store_seterr(&s->base, "postgresql: commit: the transaction was rolled back");
	PQclear(r);
	if (!ok)
		rollback(s);
	s->tx = 0;
	return ok ? 0 : -1;
}

/* begin - BEGIN (READ COMMITTED, the default) */
static int begin(struct pg_store *s)
{
	if (command(s, "begin", "BEGIN ISOLATION LEVEL READ COMMITTED") < 0)
		return -1;
	s->tx = 1;
	return 0;
}

/* session - what every connection (and a reset one) runs first */
static int session(struct pg_store *s)
{
	return command(s, "session", "SET lock_timeout = " STR(RW_STORE_BUSY_MS));
}

/* args_done - free the copies a statement's arguments held */
static void args_done(struct pg_args *a)
{
	for (int i = 0; a != NULL && i < a->n; i++) {
		free(a->own[i]);
		a->own[i] = NULL;
	}
}

/* pg_exec - run one statement; recover a batch from its error */
PGresult *pg_exec(struct pg_store *s, const char *what, const char *sql, struct pg_args *a)
{
	PGresult *r;
	ExecStatusType rs;

	if (!s->tx && PQstatus(s->conn) == CONNECTION_BAD) {
		PQreset(s->conn);
		if (PQstatus(s->conn) == CONNECTION_OK && strcmp(what, "session") != 0 &&
		    session(s) < 0) {
			args_done(a);
			return NULL;
		}
	}
	r = PQexecParams(s->conn, sql, a ? a->n : 0, NULL, a ? a->v : NULL, a ? a->len : NULL,
	                 a ? a->fmt : NULL, 0);
	args_done(a);
	rs = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		return r;
	pg_fail(s, what, r);
	PQclear(r);
	if (s->base.in_batch && PQtransactionStatus(s->conn) == PQTRANS_INERROR) {
		/* the batch is spoiled; its writes go at commit anyway */
		char keep[RW_STORE_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", s->base.err);
		PQclear(PQexec(s->conn, "ROLLBACK"));
		PQclear(PQexec(s->conn, "BEGIN"));
		snprintf(s->base.err, sizeof(s->base.err), "%s", keep);
	}
	return NULL;
}

/* pg_count - rows returned, else rows changed; -1 on error */
int64_t pg_count(struct pg_store *s, const char *what, const char *sql, struct pg_args *a)
{
	PGresult *r = pg_exec(s, what, sql, a);
	int64_t n;

	if (r == NULL)
		return -1;
	n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return n;
}

/* pg_one_id - at most one row: 1 and its first column, 0 none */
int pg_one_id(struct pg_store *s, const char *what, const char *sql, struct pg_args *a, int64_t *id)
{
	PGresult *r = pg_exec(s, what, sql, a);
	int found;

	if (r == NULL)
		return -1;
	found = PQntuples(r) > 0;
	if (found && id != NULL)
		*id = pg_i64(r, 0, 0);
	PQclear(r);
	return found;
}

/* pg_i64 - a column as a 64-bit integer (NULL: 0) */
int64_t pg_i64(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* pg_int32 - a column as an int (NULL: 0) */
int pg_int32(const PGresult *r, int row, int col)
{
	return (int)pg_i64(r, row, col);
}

/* pg_dup - an owned copy of a text column ("" for NULL) */
char *pg_dup(const PGresult *r, int row, int col)
{
	return xstrdup(PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

/* pg_grow - room for one more row */
void *pg_grow(void *v, size_t n, size_t *alloc, size_t sz)
{
	if (n < *alloc)
		return v;
	*alloc = *alloc ? *alloc * 2 : 16;
	return xrealloc(v, *alloc * sz);
}

/* pg_own_begin - BEGIN unless a transaction is open */
int pg_own_begin(struct pg_store *s, int *own)
{
	*own = !s->tx;
	return *own ? begin(s) : 0;
}

/* pg_own_end - commit or roll back what pg_own_begin began */
int pg_own_end(struct pg_store *s, int own, int rc)
{
	if (!own)
		return rc;
	if (rc >= 0 && commit(s) == 0)
		return rc;
	rollback(s);
	return -1;
}

/* quiet - drop the server's notices ("relation already exists, skipping") */
static void quiet(void *arg, const char *message)
{
	rw_debug("store=postgresql notice=\"%.*s\"", (int)strcspn(message, "\n"), message);
}

/* secret - the password span of a location: *at and *len, 0 none.
 * "scheme://user:PASSWORD@host..." or "password=PASSWORD" (a URI's
 * query or a key=value string, quoted or not). */
static int secret(const char *loc, const char **at, size_t *len)
{
	const char *p = strstr(loc, "://");

	if (p != NULL) {
		const char *auth = p + 3, *end = auth + strcspn(auth, "/?#"), *amp = NULL;

		for (const char *c = auth; c < end; c++)
			if (*c == '@')
				amp = c;
		if (amp != NULL) {
			const char *colon = memchr(auth, ':', (size_t)(amp - auth));

			if (colon != NULL && colon + 1 < amp) {
				*at = colon + 1;
				*len = (size_t)(amp - *at);
				return 1;
			}
		}
	}
	for (p = loc; (p = strstr(p, "password")) != NULL; p += 8) {
		const char *v = p + 8;

		if (p != loc && strchr(" \t?&", p[-1]) == NULL)
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v++ != '=')
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		*at = v;
		if (*v == '\'') {
			const char *e = v + 1;

			while (*e && *e != '\'')
				e += e[0] == '\\' && e[1] ? 2 : 1;
			*len = (size_t)(e - v) + (*e == '\'');
		} else
			*len = strcspn(v, " \t&#");
		return *len > 0;
	}
	return 0;
}

/* store_pg_redact - loc with its password as "***" into buf */
void store_pg_redact(const char *loc, char *buf, size_t len)
{
	const char *at;
	size_t n;

	if (!secret(loc, &at, &n))
		snprintf(buf, len, "%s", loc);
	else
		snprintf(buf, len, "%.*s***%s", (int)(at - loc), loc, at + n);
}

/* scrub - every copy of loc's password in msg masked (libpq may quote a
 * malformed part of a URI back) */
static void scrub(const char *loc, char *msg, size_t len)
{
	const char *at, *from = msg, *hit;
	size_t n, o = 0;
	char *out;

	if (!secret(loc, &at, &n) || n < 2 || memmem(msg, strlen(msg), at, n) == NULL)
		return;
	out = xmalloc(len);
	while ((hit = memmem(from, strlen(from), at, n)) != NULL && o < len) {
		o += (size_t)snprintf(out + o, len - o, "%.*s***", (int)(hit - from), from);
		from = hit + n;
	}
	if (o < len)
		snprintf(out + o, len - o, "%s", from);
	snprintf(msg, len, "%s", out);
	free(out);
}

/* store_pg_conninfo - s is a libpq "keyword=value ..." string: its first
 * word is a connection keyword libpq knows, followed by '=' */
int store_pg_conninfo(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");
	PQconninfoOption *opts;
	int known = 0;

	if (n == 0 || s[n + strspn(s + n, " \t")] != '=')
		return 0;
	if ((opts = PQconndefaults()) == NULL)
		return 0;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strlen(o->keyword) == n && strncmp(o->keyword, s, n) == 0)
			known = 1;
	PQconninfoFree(opts);
	return known;
}

/* read_version - ownership and the schema version of the current schema */
static int read_version(struct pg_store *s, int64_t *v)
{
	PGresult *r = pg_exec(s, "open",
	                      "SELECT (SELECT COUNT(*) FROM pg_catalog.pg_tables"
	                      "  WHERE schemaname = current_schema()),"
	                      " c.oid IS NOT NULL, obj_description(c.oid, 'pg_class')"
	                      " FROM (SELECT to_regclass(quote_ident(current_schema())"
	                      "  || '.schema_version') AS oid) c",
	                      NULL);
	int64_t tables;
	int has;
	const char *mark;

	*v = 0;
	if (r == NULL)
		return -1;
	tables = pg_i64(r, 0, 0);
	has = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	mark = PQgetisnull(r, 0, 2) ? "" : PQgetvalue(r, 0, 2);
	if ((has && strcmp(mark, STORE_PG_MARK) != 0) || (!has && tables > 0)) {
		store_seterr(&s->base, "postgresql: %s: not a relaywatch database", s->where);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (!has)
		return 0;
	r = pg_exec(s, "open", "SELECT COALESCE(MAX(version), 0) FROM schema_version", NULL);
	if (r == NULL)
		return -1;
	*v = pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* newer - refuse a schema this program does not know; -1 */
static int newer(struct pg_store *s, int64_t v)
{
	store_seterr(&s->base,
	             "postgresql: %s: schema version %lld is newer than this program's %d",
	             s->where, (long long)v, STORE_SCHEMA_VERSION);
	return -1;
}

/* setup - the session, the server's version, ownership and version */
static int setup(struct pg_store *s)
{
	int64_t v;

	PQsetNoticeProcessor(s->conn, quiet, NULL);
	if (PQserverVersion(s->conn) < 100000) {
		store_seterr(&s->base, "postgresql: %s: server version %d, 10 or later needed",
		             s->where, PQserverVersion(s->conn));
		return -1;
	}
	if (session(s) < 0 || read_version(s, &v) < 0)
		return -1;
	if (v > STORE_SCHEMA_VERSION)
		return newer(s, v);
	s->base.version = (int)v;
	return 0;
}

/* pg_open - connect with the defaults the location may override */
struct store *pg_open(const char *location, char *err, size_t errlen)
{
	static const char *const keys[] = {"connect_timeout", "application_name", "client_encoding",
	                                   "dbname", NULL};
	const char *vals[] = {STR(RW_STORE_CONNECT_S), "relaywatch", "UTF8", location, NULL};
	struct pg_store *s = xcalloc(1, sizeof(*s));
	char where[RW_STORE_ERR_MAX / 2], line[RW_STORE_ERR_MAX];

	store_pg_redact(location, where, sizeof(where));
	s->base.ops = &store_pg_ops;
	s->where = xstrdup(where);
	/* later keywords win: the location's own settings override ours */
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "postgresql: %s: %s", where,
		         s->conn ? first_line(PQerrorMessage(s->conn), line, sizeof(line))
		                 : "out of memory");
		scrub(location, err, errlen);
		pg_close(&s->base);
		return NULL;
	}
	if (setup(s) < 0) {
		snprintf(err, errlen, "%s", s->base.err);
		scrub(location, err, errlen);
		pg_close(&s->base);
		return NULL;
	}
	return &s->base;
}

/* pg_close - roll back an open transaction, disconnect, free */
void pg_close(struct store *st)
{
	struct pg_store *s = P(st);

	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK &&
	    PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	PQfinish(s->conn);
	free(s->where);
	free(s);
}

/* migrate_step - inside the transaction and the lock: 1 applied a step,
 * 0 up to date */
static int migrate_step(struct pg_store *s, int64_t now)
{
	const struct store_migration *m;
	struct pg_args a = {0};
	char lock[64];
	int64_t v;
	PGresult *r;

	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, 1)", PG_LOCK_CLASS);
	if (command(s, "migrate lock", lock) < 0 || read_version(s, &v) < 0)
		return -1;
	if (v == 0 && (command(s, "schema_version",
	                       "CREATE TABLE IF NOT EXISTS schema_version ("
	                       " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	                       " applied BIGINT NOT NULL)") < 0 ||
	               command(s, "schema_version",
	                       "COMMENT ON TABLE schema_version IS '" STORE_PG_MARK "'") < 0))
		return -1;
	s->base.version = (int)v;
	if (v > STORE_SCHEMA_VERSION)
		return newer(s, v);
	if (v == STORE_SCHEMA_VERSION)
		return 0;
	m = &store_migrations_pg[v];
	if (m->version != v + 1)
		rw_panic("%s: step %lld holds version %d", __func__, (long long)v, m->version);
	/* several statements: the simple protocol, no parameters */
	r = PQexec(s->conn, m->sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		char what[128];

		snprintf(what, sizeof(what), "migrate to %d (%s)", m->version, m->name);
		pg_fail(s, what, r);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	pg_int(&a, m->version);
	pg_text(&a, m->name, NULL);
	pg_int(&a, now);
	if ((r = pg_exec(s, "schema_version",
	                 "INSERT INTO schema_version (version, name, applied) VALUES ($1, $2, $3)",
	                 &a)) == NULL)
		return -1;
	PQclear(r);
	rw_log(LOG_INFO, "store=postgresql db=%s migrate from=%lld to=%d name=\"%s\"", s->where,
	       (long long)v, m->version, m->name);
	return 1;
}

/* pg_migrate - apply every missing step, one transaction each */
int pg_migrate(struct store *st, int64_t now)
{
	struct pg_store *s = P(st);
	int rc;

	do {
		if (begin(s) < 0)
			return -1;
		rc = migrate_step(s, now);
		if (rc < 0) {
			rollback(s);
			return -1;
		}
		if (commit(s) < 0)
			return -1;
		if (rc == 1)
			s->base.version++;
	} while (rc == 1);
	return 0;
}

/* pg_batch_begin - BEGIN; a durable batch forces synchronous_commit */
int pg_batch_begin(struct store *st, unsigned flags)
{
	struct pg_store *s = P(st);

	if (begin(s) < 0)
		return -1;
	if ((flags & STORE_DURABLE) &&
	    command(s, "synchronous_commit", "SET LOCAL synchronous_commit = on") < 0) {
		rollback(s);
		return -1;
	}
	return 0;
}

/* pg_batch_commit - COMMIT; on failure it has rolled back */
int pg_batch_commit(struct store *st)
{
	return commit(P(st));
}

/* pg_batch_abort - ROLLBACK */
int pg_batch_abort(struct store *st)
{
	rollback(P(st));
	return 0;
}
