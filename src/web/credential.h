/*
 * credential.h - the secrets of the web console: random ids, API tokens,
 * their SHA-256 digests, user names (src/web/auth.c, src/cmd/cmd_user.c)
 */
#ifndef RW_WEB_CREDENTIAL_H
#define RW_WEB_CREDENTIAL_H

#include <stddef.h>

#define CREDENTIAL_TOKEN_PREFIX "rwt_"
/* "rwt_" + 64 hex */
#define CREDENTIAL_TOKEN_LEN (4 + 64)

/* credential_random_hex - 32 random bytes (RAND_bytes) as 64 hex digits
 * in out (65 bytes): 0, or -1 when the random source fails */
int credential_random_hex(char out[65]);
/* credential_token_new - a new API token "rwt_" + 64 hex in out: 0 or -1 */
int credential_token_new(char out[CREDENTIAL_TOKEN_LEN + 1]);
/* credential_sha256_hex - SHA-256 of s as 64 hex digits in out: 0 or -1 */
int credential_sha256_hex(const char *s, char out[65]);
/* credential_is_hex - s is exactly len lowercase hex digits */
int credential_is_hex(const char *s, size_t len);
/* credential_token_ok - s has a token's form ("rwt_" + 64 hex) */
int credential_token_ok(const char *s);
/* credential_user_ok - a user name: [A-Za-z0-9._-]{1,WEB_USER_MAX} */
int credential_user_ok(const char *s);

#endif
