/*
 * NAME
 *	auth_stub - STUB of auth.h for the console's branch; DELETE AT MERGE
 * SUMMARY
 *	one operator token from $RW_WEB_TEST_TOKEN, nothing else
 * SYNOPSIS
 *	the functions of auth.h
 * DESCRIPTION
 *	TEMPORARY. Lets src/web/server.c link and be tested before the real
 *	src/web/auth.c lands. web_auth_bearer() accepts exactly the token in
 *	the environment variable RW_WEB_TEST_TOKEN (when set and at least 16
 *	bytes) as user "test", role operator; every other token, session,
 *	login and password is refused. When auth.c is merged, delete this
 *	file: the two define the same symbols and the link fails until then.
 * DIAGNOSTICS
 *	-1, WEB_LOGIN_BAD or 0 for everything but the one token.
 * LIMITS
 *	none.
 * STANDARDS
 *	none.
 */
#include "auth.h"

#include "../core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct web_auth {
	struct store *st;
};

struct web_auth *web_auth_new(struct store *st, long long session_ttl)
{
	struct web_auth *a = xcalloc(1, sizeof(*a));

	(void)session_ttl;
	a->st = st;
	return a;
}

struct web_auth *web_auth_free(struct web_auth *a)
{
	free(a);
	return NULL;
}

enum web_login web_auth_login(struct web_auth *a, const char *user, const char *password,
                              const char *client, long long now, char sid[WEB_ID_HEX + 1])
{
	sid[0] = '\0';
	return WEB_LOGIN_BAD;
}

int web_auth_session(struct web_auth *a, const char *sid, long long now, struct web_who *who)
{
	return -1;
}

int web_auth_logout(struct web_auth *a, const char *sid)
{
	return -1;
}

int web_auth_bearer(struct web_auth *a, const char *token, long long now, struct web_who *who)
{
	const char *want = getenv("RW_WEB_TEST_TOKEN");

	if (want == NULL || strlen(want) < 16 || strcmp(token, want) != 0)
		return -1;
	memset(who, 0, sizeof(*who));
	snprintf(who->user, sizeof(who->user), "test");
	who->role = WEB_ROLE_OPERATOR;
	return 0;
}

int web_auth_csrf_ok(const struct web_who *who, const char *token)
{
	return 0;
}

const char *web_role_name(enum web_role r)
{
	return r == WEB_ROLE_OPERATOR ? "operator" : r == WEB_ROLE_VIEWER ? "viewer" : "none";
}

int web_role_by_name(const char *name)
{
	return strcmp(name, "operator") == 0 ? WEB_ROLE_OPERATOR
	       : strcmp(name, "viewer") == 0 ? WEB_ROLE_VIEWER
	       : strcmp(name, "none") == 0   ? WEB_ROLE_NONE
	                                     : -1;
}

int web_password_hash(const char *password, char out[WEB_HASH_MAX])
{
	return -1;
}

int web_password_check(const char *password, const char *hash)
{
	return 0;
}
