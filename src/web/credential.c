/*
 * NAME
 *	credential - random ids, API tokens, SHA-256 digests, user names
 * SUMMARY
 *	the forms of the web console's secrets, made and checked in one place
 * SYNOPSIS
 *	int credential_random_hex(char out[65]);
 *	int credential_token_new(char out[CREDENTIAL_TOKEN_LEN + 1]);
 *	int credential_sha256_hex(const char *s, char out[65]);
 *	int credential_is_hex(const char *s, size_t len);
 *	int credential_token_ok(const char *s);
 *	int credential_user_ok(const char *s);
 * DESCRIPTION
 *	Session ids, CSRF tokens and API tokens are 32 bytes of RAND_bytes
 *	in hex (256 bits: no guessing, no need for a slow hash); the store
 *	keeps only their SHA-256 (credential_sha256_hex), so a copy of the
 *	database opens no session. The checks refuse anything not in the
 *	exact form before it reaches the store.
 * DIAGNOSTICS
 *	-1 when OpenSSL's random source or digest fails.
 * LIMITS
 *	WEB_USER_MAX (auth.h).
 */
#include "credential.h"
#include "auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <string.h>

/* hex - len bytes into 2 * len lowercase digits and a NUL */
static void hex(const unsigned char *b, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * len] = '\0';
}

/* credential_random_hex - 256 random bits in hex */
int credential_random_hex(char out[65])
{
	unsigned char b[32];

	out[0] = '\0';
	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	hex(b, sizeof(b), out);
	return 0;
}

/* credential_token_new - "rwt_" and 256 random bits in hex */
int credential_token_new(char out[CREDENTIAL_TOKEN_LEN + 1])
{
	memcpy(out, CREDENTIAL_TOKEN_PREFIX, 4);
	if (credential_random_hex(out + 4) < 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* credential_sha256_hex - the digest of s's bytes */
int credential_sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	out[0] = '\0';
	if (EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) != 1 || len != sizeof(md))
		return -1;
	hex(md, sizeof(md), out);
	return 0;
}

/* credential_is_hex - exactly len lowercase hex digits */
int credential_is_hex(const char *s, size_t len)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* credential_token_ok - "rwt_" + 64 hex */
int credential_token_ok(const char *s)
{
	return s != NULL && strncmp(s, CREDENTIAL_TOKEN_PREFIX, 4) == 0 &&
	       credential_is_hex(s + 4, 64);
}

/* credential_user_ok - [A-Za-z0-9._-]{1,WEB_USER_MAX} */
int credential_user_ok(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > WEB_USER_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}
