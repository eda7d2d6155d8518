/*
 * NAME
 *	ratelimit_login - failed logins per client address and user name
 * SUMMARY
 *	a fixed table of (key, first failure, count); pure: now is passed in
 * SYNOPSIS
 *	struct login_limit *login_limit_new(size_t slots, int fails,
 *	    long long window);
 *	int login_limit_blocked(l, key, now); void login_limit_fail(l, key,
 *	now); void login_limit_reset(l, key); login_limit_free(l);
 * DESCRIPTION
 *	A key's window opens at its first failure; `fails` failures inside it
 *	limit the key until the window has passed, then it starts afresh.
 *	Memory is bounded: a full table reuses an expired slot, else the
 *	least recently seen key's (an attacker who cycles through more keys
 *	than the table holds forgets his own first: the per-address key
 *	still stops one address). Keys are compared in full; a linear scan
 *	suffices for logins.
 * DIAGNOSTICS
 *	none.
 * LIMITS
 *	slots (RW_WEB_LOGIN_SLOTS), LOGIN_LIMIT_KEY_MAX bytes of key.
 */
#include "ratelimit_login.h"
#include "../core/xalloc.h"

#include <stdlib.h>
#include <string.h>

struct slot {
	char key[LOGIN_LIMIT_KEY_MAX + 1]; /* "" = free */
	long long first;                   /* the window's start */
	long long seen;                    /* the last failure */
	int count;
};

struct login_limit {
	size_t n;
	int fails;
	long long window;
	struct slot *v;
};

struct login_limit *login_limit_new(size_t slots, int fails, long long window)
{
	struct login_limit *l = xcalloc(1, sizeof(*l));

	l->n = slots ? slots : 1;
	l->fails = fails;
	l->window = window;
	l->v = xcalloc(l->n, sizeof(*l->v));
	return l;
}

struct login_limit *login_limit_free(struct login_limit *l)
{
	if (l != NULL) {
		free(l->v);
		free(l);
	}
	return NULL;
}

/* find - the slot of key, or NULL */
static struct slot *find(struct login_limit *l, const char *key)
{
	char k[LOGIN_LIMIT_KEY_MAX + 1];

	strncpy(k, key, LOGIN_LIMIT_KEY_MAX);
	k[LOGIN_LIMIT_KEY_MAX] = '\0';
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].key[0] && strcmp(l->v[i].key, k) == 0)
			return &l->v[i];
	return NULL;
}

/* login_limit_blocked - key has its failures within the window */
int login_limit_blocked(struct login_limit *l, const char *key, long long now)
{
	struct slot *s = find(l, key);

	return s != NULL && s->count >= l->fails && now - s->first < l->window;
}

/* login_limit_fail - one more failure of key */
void login_limit_fail(struct login_limit *l, const char *key, long long now)
{
	struct slot *s = find(l, key);

	if (s == NULL) {
		struct slot *old = &l->v[0];

		for (size_t i = 0; i < l->n; i++) {
			struct slot *c = &l->v[i];

			if (c->key[0] == '\0' || now - c->first >= l->window) {
				old = c;
				break;
			}
			if (c->seen < old->seen)
				old = c;
		}
		s = old;
		memset(s, 0, sizeof(*s));
		strncpy(s->key, key, LOGIN_LIMIT_KEY_MAX);
	}
	if (s->count == 0 || now - s->first >= l->window) {
		s->first = now;
		s->count = 0;
	}
	s->count++;
	s->seen = now;
}

/* login_limit_reset - key starts afresh */
void login_limit_reset(struct login_limit *l, const char *key)
{
	struct slot *s = find(l, key);

	if (s != NULL)
		memset(s, 0, sizeof(*s));
}
