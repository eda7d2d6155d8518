/*
 * NAME
 *	store_web - the web console's checked store calls
 * SUMMARY
 *	store_user_* / store_session_* / store_apitoken_*: check, then call
 *	the backend's store_web_ops
 * SYNOPSIS
 *	int store_user_put(struct store *st, const struct store_user *u);
 *	int store_session_get(struct store *st, const char *id,
 *	    struct store_session *out);
 *	int store_apitoken_put(st, t, &id); ... (every web call of store.h)
 * DESCRIPTION
 *	The wrappers keep store.c's promises (schema current, outputs
 *	cleared, a failure spoils the open batch) and refuse what no backend
 *	should see: a NULL or empty name, id or hash, a role other than
 *	"viewer" or "operator". What a session id or token is, and hashing
 *	it, is the caller's (src/web/auth.c): the store keeps text.
 * DIAGNOSTICS
 *	-1 and store_error(st).
 * LIMITS
 *	none of its own (users are few: store_user_list reads them all).
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const roles[] = {"viewer", "operator"};

/* ready - the schema is current */
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

/* done - a failure spoils the open batch */
static int done(struct store *st, int rc)
{
	if (rc < 0 && st->in_batch)
		st->spoiled = 1;
	return rc;
}

/* need - a non-empty argument, or -1 with the error set */
static int need(struct store *st, const char *what, const char *s)
{
	if (s != NULL && *s != '\0')
		return 0;
	store_seterr(st, "%s: missing", what);
	return done(st, -1);
}

/* free_const - free a returned string */
static void free_const(const char *s)
{
	free((void *)s);
}

/* store_user_put - upsert by name: 1 inserted, 0 updated */
int store_user_put(struct store *st, const struct store_user *u)
{
	int ok = 0;

	if (ready(st) < 0 || need(st, "user put: name", u->name) < 0 ||
	    need(st, "user put: hash", u->hash) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		ok |= u->role != NULL && strcmp(u->role, roles[i]) == 0;
	if (!ok) {
		store_seterr(st, "user put: role \"%s\": not viewer or operator",
		             u->role ? u->role : "(null)");
		return done(st, -1);
	}
	return done(st, st->ops->web->user_put(st, u));
}

/* store_user_get - 1 and *out, 0 no such user */
int store_user_get(struct store *st, const char *name, struct store_user *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0 || need(st, "user get: name", name) < 0)
		return -1;
	if ((rc = st->ops->web->user_get(st, name, out)) < 0)
		store_user_clear(out);
	return done(st, rc);
}

/* store_user_list - every user, by name */
int store_user_list(struct store *st, struct store_users *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (st->ops->web->user_list(st, out) < 0) {
		store_users_free(out);
		return done(st, -1);
	}
	return 0;
}

/* store_user_del - 1 deleted with its sessions and tokens, 0 none */
int store_user_del(struct store *st, const char *name)
{
	if (ready(st) < 0 || need(st, "user del: name", name) < 0)
		return -1;
	return done(st, st->ops->web->user_del(st, name));
}

/* store_session_put - insert a session (id: the hash of the cookie's) */
int store_session_put(struct store *st, const struct store_session *s)
{
	if (ready(st) < 0 || need(st, "session put: id", s->id) < 0 ||
	    need(st, "session put: user", s->user) < 0)
		return -1;
	return done(st, st->ops->web->session_put(st, s));
}

/* store_session_get - 1 and *out, 0 none */
int store_session_get(struct store *st, const char *id, struct store_session *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0 || need(st, "session get: id", id) < 0)
		return -1;
	if ((rc = st->ops->web->session_get(st, id, out)) < 0)
		store_session_clear(out);
	return done(st, rc);
}

/* store_session_del - 1 deleted, 0 none */
int store_session_del(struct store *st, const char *id)
{
	if (ready(st) < 0 || need(st, "session del: id", id) < 0)
		return -1;
	return done(st, st->ops->web->session_del(st, id));
}

/* store_session_expire - delete the sessions expired at now */
int store_session_expire(struct store *st, int64_t now, int64_t *n)
{
	int64_t tmp = 0;

	if (n != NULL)
		*n = 0;
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->web->session_expire(st, now, n ? n : &tmp));
}

/* store_apitoken_put - 1 and *id */
int store_apitoken_put(struct store *st, const struct store_apitoken *t, int64_t *id)
{
	int64_t tmp;

	if (ready(st) < 0 || need(st, "apitoken put: hash", t->hash) < 0 ||
	    need(st, "apitoken put: user", t->user) < 0)
		return -1;
	return done(st, st->ops->web->apitoken_put(st, t, id ? id : &tmp));
}

/* store_apitoken_get - 1 and *out, 0 none */
int store_apitoken_get(struct store *st, const char *hash, struct store_apitoken *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0 || need(st, "apitoken get: hash", hash) < 0)
		return -1;
	if ((rc = st->ops->web->apitoken_get(st, hash, out)) < 0)
		store_apitoken_clear(out);
	return done(st, rc);
}

/* store_apitoken_list - user's tokens (NULL: all), id order */
int store_apitoken_list(struct store *st, const char *user, struct store_apitokens *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (st->ops->web->apitoken_list(st, user, out) < 0) {
		store_apitokens_free(out);
		return done(st, -1);
	}
	return 0;
}

/* store_apitoken_del - 1 deleted, 0 no such token of user */
int store_apitoken_del(struct store *st, const char *user, int64_t id)
{
	if (ready(st) < 0 || need(st, "apitoken del: user", user) < 0)
		return -1;
	return done(st, st->ops->web->apitoken_del(st, user, id));
}

/* store_apitoken_used - last_used = now: 1, 0 none */
int store_apitoken_used(struct store *st, int64_t id, int64_t now)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->web->apitoken_used(st, id, now));
}

/* store_user_clear - free a returned user; u is zeroed */
void store_user_clear(struct store_user *u)
{
	free_const(u->name);
	free_const(u->role);
	free_const(u->hash);
	memset(u, 0, sizeof(*u));
}

/* store_session_clear - free a returned session; s is zeroed */
void store_session_clear(struct store_session *s)
{
	free_const(s->id);
	free_const(s->user);
	free_const(s->csrf);
	memset(s, 0, sizeof(*s));
}

/* store_apitoken_clear - free a returned token; t is zeroed */
void store_apitoken_clear(struct store_apitoken *t)
{
	free_const(t->hash);
	free_const(t->user);
	free_const(t->label);
	memset(t, 0, sizeof(*t));
}

/* store_users_free - free a list of users */
void store_users_free(struct store_users *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_user_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* store_apitokens_free - free a list of tokens */
void store_apitokens_free(struct store_apitokens *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_apitoken_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
