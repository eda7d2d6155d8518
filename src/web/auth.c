/*
 * NAME
 *	auth - who is asking the web console: logins, sessions, API tokens
 * SUMMARY
 *	web_auth_* and web_role_* (auth.h) on the store's users, sessions
 *	and api_tokens
 * SYNOPSIS
 *	struct web_auth *web_auth_new(struct store *st, long long session_ttl);
 *	enum web_login web_auth_login(a, user, password, client, now, sid);
 *	int web_auth_session(a, sid, now, &who); int web_auth_logout(a, sid);
 *	int web_auth_bearer(a, token, now, &who);
 *	int web_auth_csrf_ok(const struct web_who *who, const char *token);
 *	const char *web_role_name(enum web_role r); int web_role_by_name(name);
 * DESCRIPTION
 *	web_auth_login refuses at once (WEB_LOGIN_LIMITED, no KDF run) when
 *	the client address or the name has RW_WEB_LOGIN_FAILS failures in
 *	the window; otherwise it checks the password (an unknown or disabled
 *	user costs the same scrypt run as a known one, so the answer's time
 *	does not tell names apart), counts a failure against both keys, and
 *	on success forgets the name's failures (not the address's: one good
 *	account must not reset a guesser's budget), drops expired sessions
 *	and stores a new one: id and CSRF token 32 random bytes in hex, the
 *	store keeping the id's SHA-256 only, expiring after session_ttl.
 *	web_auth_session and web_auth_bearer accept only ids and tokens of
 *	the exact form, then require the row, an unexpired session and a user
 *	that exists and is not disabled, and read the role from the user's
 *	row at each request (a role change or a disable takes effect at
 *	once). A bearer token's last_used is stamped. web_auth_csrf_ok
 *	compares with CRYPTO_memcmp. The handle borrows st; one thread.
 * DIAGNOSTICS
 *	WEB_LOGIN_ERROR or -1 on a store or OpenSSL failure (logged).
 * LIMITS
 *	RW_WEB_LOGIN_FAILS, RW_WEB_LOGIN_WINDOW, RW_WEB_LOGIN_SLOTS;
 *	RW_WEB_PASSWORD_MAX bytes of password; WEB_USER_MAX.
 */
#include "auth.h"
#include "credential.h"
#include "ratelimit_login.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"
#include "../store/store.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct web_auth {
	struct store *st; /* borrowed */
	long long ttl;
	struct login_limit *limit;
};

/* A well-formed hash no password matches in practice: unknown and
 * disabled users are checked against it so they cost a KDF run too. */
static const char dummy_hash[] = "scrypt$15$8$1$00000000000000000000000000000000$"
                                 "0000000000000000000000000000000000000000000000000000000000000000";

static const char *const role_names[] = {
    [WEB_ROLE_NONE] = "none",
    [WEB_ROLE_VIEWER] = "viewer",
    [WEB_ROLE_OPERATOR] = "operator",
};

/* web_role_name - the role's name */
const char *web_role_name(enum web_role r)
{
	return (unsigned)r < sizeof(role_names) / sizeof(role_names[0]) ? role_names[r] : "none";
}

/* web_role_by_name - viewer or operator (never "none"), or -1 */
int web_role_by_name(const char *name)
{
	for (int r = WEB_ROLE_VIEWER; name != NULL && r <= WEB_ROLE_OPERATOR; r++)
		if (strcmp(name, role_names[r]) == 0)
			return r;
	return -1;
}

struct web_auth *web_auth_new(struct store *st, long long session_ttl)
{
	struct web_auth *a = xcalloc(1, sizeof(*a));

	a->st = st;
	a->ttl = session_ttl > 0 ? session_ttl : 1;
	a->limit = login_limit_new(RW_WEB_LOGIN_SLOTS, RW_WEB_LOGIN_FAILS, RW_WEB_LOGIN_WINDOW);
	return a;
}

struct web_auth *web_auth_free(struct web_auth *a)
{
	if (a != NULL) {
		login_limit_free(a->limit);
		free(a);
	}
	return NULL;
}

/* who_of - fill *who from a usable user: 0, or -1 (none, disabled, error) */
static int who_of(struct web_auth *a, const char *name, const char *csrf, struct web_who *who)
{
	struct store_user u;
	int rc = store_user_get(a->st, name, &u), role;

	if (rc < 0)
		rw_log(LOG_ERR, "web auth event=user-get user=%s error=\"%s\"", name,
		       store_error(a->st));
	role = rc == 1 ? web_role_by_name(u.role) : -1;
	if (rc != 1 || u.disabled || role < 0 || strlen(u.name) > WEB_USER_MAX) {
		store_user_clear(&u);
		return -1;
	}
	memset(who, 0, sizeof(*who));
	snprintf(who->user, sizeof(who->user), "%s", u.name);
	who->role = (enum web_role)role;
	snprintf(who->csrf, sizeof(who->csrf), "%s", csrf);
	store_user_clear(&u);
	return 0;
}

/* keys - the limiter's keys of a client address and a name */
static void keys(const char *client, const char *user, char *ka, char *ku, size_t len)
{
	snprintf(ka, len, "a:%s", client ? client : "");
	snprintf(ku, len, "u:%s", user ? user : "");
}

/* web_auth_login - check a name and password; a new session on success */
enum web_login web_auth_login(struct web_auth *a, const char *user, const char *password,
                              const char *client, long long now, char sid[WEB_ID_HEX + 1])
{
	char ka[LOGIN_LIMIT_KEY_MAX + 1], ku[LOGIN_LIMIT_KEY_MAX + 1];
	char idhash[65], csrf[WEB_ID_HEX + 1];
	struct store_user u = {0};
	int found = 0, ok;

	sid[0] = '\0';
	keys(client, user, ka, ku, sizeof(ka));
	if (login_limit_blocked(a->limit, ka, now) || login_limit_blocked(a->limit, ku, now)) {
		rw_log(LOG_WARNING, "web auth event=login-limited user=%s client=%s",
		       credential_user_ok(user) ? user : "-", client ? client : "-");
		return WEB_LOGIN_LIMITED;
	}
	if (credential_user_ok(user) && (found = store_user_get(a->st, user, &u)) < 0) {
		rw_log(LOG_ERR, "web auth event=login user=%s error=\"%s\"", user,
		       store_error(a->st));
		return WEB_LOGIN_ERROR;
	}
	ok = web_password_check(password ? password : "", found == 1 ? u.hash : dummy_hash);
	ok = ok && found == 1 && !u.disabled && web_role_by_name(u.role) > 0;
	store_user_clear(&u);
	if (!ok) {
		login_limit_fail(a->limit, ka, now);
		login_limit_fail(a->limit, ku, now);
		rw_log(LOG_NOTICE, "web auth event=login-bad user=%s client=%s",
		       credential_user_ok(user) ? user : "-", client ? client : "-");
		return WEB_LOGIN_BAD;
	}
	login_limit_reset(a->limit, ku);
	if (credential_random_hex(sid) < 0 || credential_random_hex(csrf) < 0 ||
	    credential_sha256_hex(sid, idhash) < 0) {
		sid[0] = '\0';
		rw_log(LOG_ERR, "web auth event=login user=%s error=\"random source\"", user);
		return WEB_LOGIN_ERROR;
	}
	struct store_session s = {
	    .id = idhash, .user = user, .csrf = csrf, .created = now, .expires = now + a->ttl};

	if (store_session_expire(a->st, now, NULL) < 0 || store_session_put(a->st, &s) < 0) {
		rw_log(LOG_ERR, "web auth event=login user=%s error=\"%s\"", user,
		       store_error(a->st));
		sid[0] = '\0';
		return WEB_LOGIN_ERROR;
	}
	rw_log(LOG_INFO, "web auth event=login user=%s client=%s", user, client ? client : "-");
	return WEB_LOGIN_OK;
}

/* web_auth_session - the user of a live session */
int web_auth_session(struct web_auth *a, const char *sid, long long now, struct web_who *who)
{
	struct store_session s;
	char idhash[65];
	int rc;

	if (!credential_is_hex(sid, WEB_ID_HEX) || credential_sha256_hex(sid, idhash) < 0)
		return -1;
	if ((rc = store_session_get(a->st, idhash, &s)) != 1) {
		if (rc < 0)
			rw_log(LOG_ERR, "web auth event=session error=\"%s\"", store_error(a->st));
		return -1;
	}
	if (now >= s.expires) {
		store_session_del(a->st, idhash);
		rc = -1;
	} else {
		rc = who_of(a, s.user, s.csrf, who);
	}
	store_session_clear(&s);
	return rc;
}

/* web_auth_logout - forget the session */
int web_auth_logout(struct web_auth *a, const char *sid)
{
	char idhash[65];

	if (!credential_is_hex(sid, WEB_ID_HEX) || credential_sha256_hex(sid, idhash) < 0)
		return -1;
	return store_session_del(a->st, idhash) == 1 ? 0 : -1;
}

/* web_auth_bearer - the user of an API token */
int web_auth_bearer(struct web_auth *a, const char *token, long long now, struct web_who *who)
{
	struct store_apitoken t;
	char hash[65];
	int rc;

	if (!credential_token_ok(token) || credential_sha256_hex(token, hash) < 0)
		return -1;
	if ((rc = store_apitoken_get(a->st, hash, &t)) != 1) {
		if (rc < 0)
			rw_log(LOG_ERR, "web auth event=bearer error=\"%s\"", store_error(a->st));
		return -1;
	}
	if ((rc = who_of(a, t.user, "", who)) == 0 && store_apitoken_used(a->st, t.id, now) < 0)
		rw_log(LOG_WARNING, "web auth event=bearer user=%s error=\"%s\"", t.user,
		       store_error(a->st));
	store_apitoken_clear(&t);
	return rc;
}

/* web_auth_csrf_ok - the form's token is the session's */
int web_auth_csrf_ok(const struct web_who *who, const char *token)
{
	if (who == NULL || token == NULL || strlen(who->csrf) != WEB_ID_HEX ||
	    strlen(token) != WEB_ID_HEX)
		return 0;
	return CRYPTO_memcmp(who->csrf, token, WEB_ID_HEX) == 0;
}
