/*
 * NAME
 *	store - the store interface: backend registry and checked calls
 * SUMMARY
 *	store_open(url) picks a backend; store_* check state, then call it
 * SYNOPSIS
 *	const struct store_ops *store_by_name(const char *name);
 *	struct store *store_open(const char *url, char *err, size_t errlen);
 *	const char *store_path(const char *url);
 *	void store_redact(const char *url, char *buf, size_t len);
 *	struct store *store_close(struct store *st);
 *	int store_migrate(st, now); int store_batch_begin(st, flags); ...
 *	(every store_* call of store.h)
 *	char *store_path_choose(const struct store_path_env *env);
 *	char *store_default_path(void);
 *	char *store_local_path(void);
 * DESCRIPTION
 *	store_open reads "scheme:rest" when the scheme names a backend
 *	("sqlite:PATH"; "postgresql://..." and "postgres://..." go whole to
 *	libpq), a libpq "keyword=value ..." string ("host=/run/postgresql
 *	dbname=relaywatch") as PostgreSQL's; anything else is a plain
 *	SQLite path (a path that must start with a scheme-like word or
 *	"keyword=" can be written "./word:..."; ":memory:" is SQLite's
 *	private in-memory database). store_path tells a file from a server,
 *	so callers skip what only a file needs (directories, stat);
 *	store_redact masks a URL's password for messages and logs.
 *	The wrappers do what every backend would otherwise repeat: refuse
 *	data calls until the schema is current, enforce the batch order
 *	(begin twice, or commit without begin, is a caller bug: rw_panic),
 *	spoil a batch on the first failed call inside it and roll back at
 *	its commit, validate scan states, and clear output structs first,
 *	so that on error they hold nothing to free.
 *	store_path_choose picks the default store path from what
 *	store_default_path reads of the process (environment, euid, whether
 *	STORE_SYSTEM_DIR is writable); the result is owned (free()).
 * DIAGNOSTICS
 *	-1 and store_error(st); store_open: NULL and err.
 * LIMITS
 *	RW_STORE_ERR_MAX (error text), RW_STORE_PARAMS_MAX (scan params).
 * STANDARDS
 *	RFC 3986 3.1 (scheme syntax), loosely; XDG Base Directory
 *	Specification 0.8 (XDG_DATA_HOME).
 */
#include "store_int.h"
#include "../core/xalloc.h"

#include <ctype.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct store_ops *const backends[] = {
    &store_sqlite_ops,
    &store_pg_ops,
};

/* The URL schemes: the backend, and whether it reads the whole URL
 * (libpq parses its own URIs) or what follows "scheme:". */
static const struct {
	const char *scheme;
	const struct store_ops *ops;
	int whole;
} schemes[] = {
    {"sqlite", &store_sqlite_ops, 0},
    {"postgresql", &store_pg_ops, 1},
    {"postgres", &store_pg_ops, 1},
};

static const char *const scan_states[] = {"running", "stopped", "done"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* store_by_name - the backend registered under name, or NULL */
const struct store_ops *store_by_name(const char *name)
{
	for (size_t i = 0; i < NELEM(backends); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* scheme_len - length of a leading "word:" scheme (letters first), or 0 */
static size_t scheme_len(const char *url)
{
	size_t n = 0;

	if (!isalpha((unsigned char)url[0]))
		return 0;
	while (isalnum((unsigned char)url[n]) || url[n] == '+' || url[n] == '-' || url[n] == '.')
		n++;
	return url[n] == ':' ? n : 0;
}

/* resolve - the backend of url and the location it reads */
static const struct store_ops *resolve(const char *url, const char **location)
{
	size_t n = scheme_len(url);

	*location = url;
	for (size_t i = 0; n > 0 && i < NELEM(schemes); i++)
		if (strlen(schemes[i].scheme) == n && strncmp(url, schemes[i].scheme, n) == 0) {
			if (!schemes[i].whole)
				*location = url + n + 1;
			return schemes[i].ops;
		}
	if (n == 0 && store_pg_conninfo(url))
		return &store_pg_ops;
	return &store_sqlite_ops;
}

/* store_path - the file an SQLite URL names, or NULL */
const char *store_path(const char *url)
{
	const char *location;

	if (resolve(url, &location) != &store_sqlite_ops || strcmp(location, ":memory:") == 0 ||
	    *location == '\0')
		return NULL;
	return location;
}

/* store_redact - url with any password masked */
void store_redact(const char *url, char *buf, size_t len)
{
	const char *location;

	if (resolve(url, &location) == &store_pg_ops)
		store_pg_redact(url, buf, len);
	else
		snprintf(buf, len, "%s", url);
}

/* store_open - open a store by URL or plain SQLite path */
struct store *store_open(const char *url, char *err, size_t errlen)
{
	const char *location;
	const struct store_ops *ops = resolve(url, &location);
	struct store *st;

	if (*location == '\0') {
		snprintf(err, errlen, "%s: empty database location", ops->name);
		return NULL;
	}
	st = ops->open(location, err, errlen);
	if (st == NULL)
		return NULL;
	st->ops = ops;
	st->in_batch = st->spoiled = 0;
	st->err[0] = '\0';
	return st;
}

/* store_close - roll back an open batch and free st; NULL is fine */
struct store *store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
	return NULL;
}

/* store_seterr - set the text store_error() returns */
void store_seterr(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

/* store_late_reason - the reason of a result a late arrival upgraded */
void store_late_reason(char *buf, size_t len, const char *test, const char *peer)
{
	snprintf(buf, len, "message arrived at the sink after the wait: test %s via %s",
	         test && *test ? test : "?", peer && *peer ? peer : "?");
}

/* store_error - the last error text; borrowed until the next call */
const char *store_error(const struct store *st)
{
	return st->err;
}

/* store_backend - the backend's registry name */
const char *store_backend(const struct store *st)
{
	return st->ops->name;
}

/* store_schema_version - the database's schema version */
int store_schema_version(const struct store *st)
{
	return st->version;
}

/* store_in_batch - nonzero inside a batch */
int store_in_batch(const struct store *st)
{
	return st->in_batch;
}

/* ready - data calls need the current schema */
static int ready(struct store *st)
{
	if (st->version == STORE_SCHEMA_VERSION)
		return 0;
	store_seterr(st, "%s: schema version %d, this program needs %d: run migrate", st->ops->name,
	             st->version, STORE_SCHEMA_VERSION);
	if (st->in_batch)
		st->spoiled = 1;
	return -1;
}

/* page - pg with the limit in 1..RW_STORE_PAGE_MAX and offset >= 0 */
static struct store_page page(const struct store_page *pg)
{
	struct store_page p = {RW_STORE_PAGE_MAX, 0};

	if (pg != NULL) {
		if (pg->limit > 0 && pg->limit < RW_STORE_PAGE_MAX)
			p.limit = pg->limit;
		if (pg->offset > 0)
			p.offset = pg->offset;
	}
	return p;
}

/* done - note a failure inside a batch; pass the callback's result on */
static int done(struct store *st, int rc)
{
	if (rc < 0 && st->in_batch)
		st->spoiled = 1;
	return rc;
}

/* store_migrate - bring the schema to STORE_SCHEMA_VERSION */
int store_migrate(struct store *st, int64_t now)
{
	if (st->in_batch)
		rw_panic("%s: migrate inside a batch", __func__);
	return st->ops->migrate(st, now);
}

/* store_batch_begin - start one write transaction */
int store_batch_begin(struct store *st, unsigned flags)
{
	int rc;

	if (st->in_batch)
		rw_panic("%s: batch already open", __func__);
	if (ready(st) < 0)
		return -1;
	rc = st->ops->batch_begin(st, flags);
	if (rc == 0) {
		st->in_batch = 1;
		st->spoiled = 0;
	}
	return rc;
}

/* store_batch_commit - commit, or roll back a spoiled batch and fail */
int store_batch_commit(struct store *st)
{
	int rc;

	if (!st->in_batch)
		rw_panic("%s: no batch open", __func__);
	if (st->spoiled) {
		char first[RW_STORE_ERR_MAX];

		snprintf(first, sizeof(first), "%s", st->err);
		st->ops->batch_abort(st);
		st->in_batch = st->spoiled = 0;
		store_seterr(st, "batch rolled back after an error: %s", first);
		return -1;
	}
	rc = st->ops->batch_commit(st);
	st->in_batch = st->spoiled = 0; /* a failed commit has rolled back */
	return rc;
}

/* store_batch_abort - roll back every write since begin */
int store_batch_abort(struct store *st)
{
	int rc;

	if (!st->in_batch)
		rw_panic("%s: no batch open", __func__);
	rc = st->ops->batch_abort(st);
	st->in_batch = st->spoiled = 0;
	return rc;
}

/* store_scan_create - a new running scan; its id in *id */
int store_scan_create(struct store *st, const struct store_scan *sc, int64_t *id)
{
	if (ready(st) < 0)
		return -1;
	if (sc->params && strlen(sc->params) > RW_STORE_PARAMS_MAX) {
		store_seterr(st, "scan params: %zu bytes, more than %ld", strlen(sc->params),
		             (long)RW_STORE_PARAMS_MAX);
		return done(st, -1);
	}
	return done(st, st->ops->scan_create(st, sc, id));
}

/* store_scan_get - 1 and *out filled, 0 no such scan */
int store_scan_get(struct store *st, int64_t id, struct store_scan *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->scan_get(st, id, out));
}

/* store_scan_list - a page of scans, newest first */
int store_scan_list(struct store *st, const struct store_page *pg, struct store_scans *out)
{
	struct store_page p;

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	p = page(pg);
	return done(st, st->ops->scan_list(st, &p, out));
}

/* store_scan_state_set - running, stopped or done; 0 when no such scan */
int store_scan_state_set(struct store *st, int64_t id, const char *state, int64_t now)
{
	size_t i;

	if (ready(st) < 0)
		return -1;
	for (i = 0; i < NELEM(scan_states); i++)
		if (strcmp(state, scan_states[i]) == 0)
			break;
	if (i == NELEM(scan_states)) {
		store_seterr(st, "scan state \"%s\": not running, stopped or done", state);
		return done(st, -1);
	}
	return done(st, st->ops->scan_state_set(st, id, state, now));
}

/* store_progress_save - replace the scan's progress */
int store_progress_save(struct store *st, const struct store_progress *p)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->progress_save(st, p));
}

/* store_progress_load - 1 and *out filled, 0 none saved */
int store_progress_load(struct store *st, int64_t scan, struct store_progress *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->progress_load(st, scan, out));
}

/* store_result_put - 1 inserted, 0 its key was already there */
int store_result_put(struct store *st, const struct store_result *r, int64_t *id)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->result_put(st, r, id));
}

/* store_results_list - a page of a scan's results, optionally one verdict */
int store_results_list(struct store *st, int64_t scan, const char *verdict,
                       const struct store_page *pg, struct store_results *out)
{
	struct store_page p;

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	p = page(pg);
	return done(st, st->ops->results_list(st, scan, verdict, &p, out));
}

/* store_results_count - the number of rows results_list pages through */
int store_results_count(struct store *st, int64_t scan, const char *verdict, int64_t *n)
{
	*n = 0;
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->results_count(st, scan, verdict, n));
}

/* store_results_of - a page of one address's results, newest first */
int store_results_of(struct store *st, const char *target, const struct store_page *pg,
                     struct store_results *out)
{
	struct store_page p;

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	p = page(pg);
	return done(st, st->ops->results_of(st, target, &p, out));
}

/* store_tally - rows per value of one column */
int store_tally(struct store *st, enum store_tally what, struct store_tallies *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if ((unsigned)what >= STORE_TALLY__COUNT) {
		store_seterr(st, "tally %d: no such tally", (int)what);
		return done(st, -1);
	}
	return done(st, st->ops->tally(st, what, out));
}

/* store_tallies_free - free the keys and the rows */
void store_tallies_free(struct store_tallies *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		free(l->v[i].key);
	if (l) {
		free(l->v);
		l->v = NULL;
		l->n = 0;
	}
}

/* store_arrival_put - 1 inserted, 0 the same record was already there */
int store_arrival_put(struct store *st, const struct store_arrival *a, int64_t *id)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->arrival_put(st, a, id));
}

/* store_arrivals_list - a page of a scan's arrivals */
int store_arrivals_list(struct store *st, int64_t scan, const struct store_page *pg,
                        struct store_arrivals *out)
{
	struct store_page p;

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	p = page(pg);
	return done(st, st->ops->arrivals_list(st, scan, &p, out));
}

/* store_arrivals_since - a scan's arrivals after id `after`, id order */
int store_arrivals_since(struct store *st, int64_t scan, int64_t after, int64_t limit,
                         struct store_arrivals *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (limit <= 0 || limit > RW_STORE_PAGE_MAX)
		limit = RW_STORE_PAGE_MAX;
	return done(st, st->ops->arrivals_since(st, scan, after < 0 ? 0 : after, limit, out));
}

/* store_result_keys - (target, port) of each of the scan's results */
int store_result_keys(struct store *st, int64_t scan, const char *probe,
                      void (*fn)(void *arg, const char *target, unsigned port), void *arg)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->result_keys(st, scan, probe, fn, arg));
}

/* store_path_choose - the default store path for env; owned or NULL */
char *store_path_choose(const struct store_path_env *env)
{
	if (env->db && env->db[0])
		return xstrdup(env->db);
	if (env->root || env->system_ok)
		return xstrdup(STORE_SYSTEM_DIR "/" STORE_FILE);
	/* the spec: a relative XDG_DATA_HOME is invalid and ignored */
	if (env->xdg && env->xdg[0] == '/')
		return xasprintf("%s/relaywatch/" STORE_FILE, env->xdg);
	if (env->home && env->home[0] == '/')
		return xasprintf("%s/.local/share/relaywatch/" STORE_FILE, env->home);
	return NULL;
}

/* default_path - store_default_path, with or without $RELAYWATCH_DB */
static char *default_path(int use_env)
{
	struct store_path_env env = {
	    .db = use_env ? getenv("RELAYWATCH_DB") : NULL,
	    .xdg = getenv("XDG_DATA_HOME"),
	    .home = getenv("HOME"),
	    .root = geteuid() == 0,
	    .system_ok = access(STORE_SYSTEM_DIR, W_OK) == 0,
	};
	struct passwd pw, *res = NULL;
	char buf[4096];

	if ((env.home == NULL || env.home[0] == '\0') &&
	    getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		env.home = res->pw_dir;
	return store_path_choose(&env);
}

/* store_default_path - the default store of this process; owned or NULL */
char *store_default_path(void)
{
	return default_path(1);
}

/* store_local_path - this host's default SQLite file, $RELAYWATCH_DB aside */
char *store_local_path(void)
{
	return default_path(0);
}

/* store_scan_clear - free the scan's params; sc is zeroed */
void store_scan_clear(struct store_scan *sc)
{
	free(sc->params);
	memset(sc, 0, sizeof(*sc));
}

/* store_progress_clear - free loaded counts; p is zeroed */
void store_progress_clear(struct store_progress *p)
{
	free(p->counts);
	memset(p, 0, sizeof(*p));
}

/* store_scans_free - free a list of scans; l is emptied */
void store_scans_free(struct store_scans *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_scan_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Listed rows own their strings, which the public struct declares const
 * (so a caller can fill one from literals for a put). */
static void free_const(const char *s)
{
	free((void *)(uintptr_t)s);
}

/* store_results_free - free a list of results; l is emptied */
void store_results_free(struct store_results *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct store_result *r = &l->v[i];

		free_const(r->target);
		free_const(r->probe);
		free_const(r->vantage);
		free_const(r->verdict);
		free_const(r->reason);
		free_const(r->evidence);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* store_arrivals_free - free a list of arrivals; l is emptied */
void store_arrivals_free(struct store_arrivals *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct store_arrival *a = &l->v[i];

		free_const(a->token);
		free_const(a->target);
		free_const(a->test);
		free_const(a->peer);
		free_const(a->received);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
