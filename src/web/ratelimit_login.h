/*
 * ratelimit_login.h - how many logins failed lately, per key (a client
 * address, a user name): a fixed-size table, the time passed in
 */
#ifndef RW_WEB_RATELIMIT_LOGIN_H
#define RW_WEB_RATELIMIT_LOGIN_H

#include <stddef.h>

#define LOGIN_LIMIT_KEY_MAX 96 /* longer keys are cut (names are <= 64, addresses <= 46) */

struct login_limit;

/* login_limit_new - remember up to slots keys; a key with `fails`
 * failures in the window (seconds) since its first is limited until that
 * window passes. Owned: login_limit_free (NULL ok; returns NULL). */
struct login_limit *login_limit_new(size_t slots, int fails, long long window);
struct login_limit *login_limit_free(struct login_limit *l);
/* login_limit_blocked - 1 when key is limited at now, else 0 */
int login_limit_blocked(struct login_limit *l, const char *key, long long now);
/* login_limit_fail - count one failure of key at now (a full table
 * forgets its least recently seen key) */
void login_limit_fail(struct login_limit *l, const char *key, long long now);
/* login_limit_reset - forget key's failures */
void login_limit_reset(struct login_limit *l, const char *key);

#endif
