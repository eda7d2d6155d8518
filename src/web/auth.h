/*
 * auth.h - who is asking the web console: users, sessions, CSRF, API tokens
 *
 * Users live in the store (schema: users, sessions, api_tokens), their
 * passwords hashed with scrypt (OpenSSL 3 EVP_KDF "SCRYPT"; the hash text
 * carries its parameters and salt). A session is a random id (256 bits,
 * hex) kept in the store with its user, expiry and CSRF token; the cookie
 * holds the id only. An API token ("rwt_" + 64 hex) is stored hashed
 * (SHA-256) and names a user; scripts send it as "Authorization: Bearer".
 * Logins are rate-limited per client address and per user name (a small
 * in-memory window). Viewers read; operators act.
 */
#ifndef RW_WEB_AUTH_H
#define RW_WEB_AUTH_H

#include <stddef.h>

struct store;

enum web_role { WEB_ROLE_NONE, WEB_ROLE_VIEWER, WEB_ROLE_OPERATOR };

#define WEB_ID_HEX   64 /* session ids, CSRF tokens: 32 random bytes in hex */
#define WEB_USER_MAX 64 /* user names: [A-Za-z0-9._-]{1,64} */

struct web_who {
	char user[WEB_USER_MAX + 1];
	enum web_role role;
	char csrf[WEB_ID_HEX + 1]; /* the session's CSRF token ("" for API tokens) */
};

enum web_login { WEB_LOGIN_OK, WEB_LOGIN_BAD, WEB_LOGIN_LIMITED, WEB_LOGIN_ERROR };

struct web_auth;

/* web_auth_new - st borrowed (must outlive it); session_ttl in seconds */
struct web_auth *web_auth_new(struct store *st, long long session_ttl);
struct web_auth *web_auth_free(struct web_auth *a); /* NULL ok; returns NULL */

/* web_auth_login - check name and password (rate-limited by client address
 * and name); on WEB_LOGIN_OK a new session id (hex, NUL-terminated) in sid */
enum web_login web_auth_login(struct web_auth *a, const char *user, const char *password,
                              const char *client, long long now, char sid[WEB_ID_HEX + 1]);
/* web_auth_session - a session id from the cookie: 0 and *who, or -1
 * (unknown, expired: no data) */
int web_auth_session(struct web_auth *a, const char *sid, long long now, struct web_who *who);
/* web_auth_logout - forget a session; 0 or -1 */
int web_auth_logout(struct web_auth *a, const char *sid);
/* web_auth_bearer - an API token: 0 and *who (csrf ""), or -1 */
int web_auth_bearer(struct web_auth *a, const char *token, long long now, struct web_who *who);
/* web_auth_csrf_ok - a form's token equals the session's (constant time) */
int web_auth_csrf_ok(const struct web_who *who, const char *token);

/* web_role_name - "viewer", "operator", "none"; web_role_by_name - or -1 */
const char *web_role_name(enum web_role r);
int web_role_by_name(const char *name);

/* password hashes (scrypt N=2^15, r=8, p=1, 16-byte salt, 32-byte key):
 * "scrypt$15$8$1$<salt hex>$<key hex>" */
#define WEB_HASH_MAX 160
/* web_password_hash - 0, or -1 when the KDF is unavailable */
int web_password_hash(const char *password, char out[WEB_HASH_MAX]);
/* web_password_check - 1 match, 0 no match or malformed hash */
int web_password_check(const char *password, const char *hash);

#endif
