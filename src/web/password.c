/*
 * NAME
 *	password - scrypt password hashes for the web console's users
 * SUMMARY
 *	web_password_hash, web_password_check (auth.h)
 * SYNOPSIS
 *	int web_password_hash(const char *password, char out[WEB_HASH_MAX]);
 *	int web_password_check(const char *password, const char *hash);
 * DESCRIPTION
 *	web_password_hash derives a key with OpenSSL 3's EVP_KDF "SCRYPT"
 *	from the password and a fresh salt (RAND_bytes) and writes
 *	"scrypt$LOGN$R$P$<salt hex>$<key hex>": the text carries its own
 *	parameters, so hashes made with other costs keep working when the
 *	defaults change. web_password_check parses such a text (bounded
 *	parameters: a stored hash cannot make us allocate gigabytes),
 *	derives the key again and compares in constant time (CRYPTO_memcmp).
 *	Stack copies of keys are cleansed (OPENSSL_cleanse).
 * DIAGNOSTICS
 *	hash: 0, or -1 when the KDF or the random source fails. check: 1
 *	match, 0 no match, a malformed hash or a KDF failure.
 * LIMITS
 *	RW_WEB_SCRYPT_LOG_N, _R, _P, RW_WEB_SALT_LEN, RW_WEB_KEY_LEN,
 *	RW_WEB_PASSWORD_MAX; accepted in a hash: log N 10..20, r 1..32,
 *	p 1..16, 128 * r * N at most RW_WEB_SCRYPT_MAXMEM / 2, salt 8..64
 *	bytes, key 16..64 bytes.
 * STANDARDS
 *	RFC 7914 (scrypt).
 */
#include "auth.h"
#include "../core/limits.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_MAX 64
#define KEY_MAX  64

/* Parameters of one hash. */
struct scrypt_params {
	unsigned log_n, r, p;
	unsigned char salt[SALT_MAX];
	size_t salt_len;
	unsigned char key[KEY_MAX];
	size_t key_len;
};

/* derive - scrypt(password, salt) into key[len]: 0, or -1 */
static int derive(const char *password, const struct scrypt_params *sp, unsigned char *key,
                  size_t len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t n = (uint64_t)1 << sp->log_n, maxmem = RW_WEB_SCRYPT_MAXMEM;
	uint32_t r = sp->r, p = sp->p;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
	                                      strlen(password)),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)sp->salt, sp->salt_len),
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
	    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
	    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
	    OSSL_PARAM_construct_end(),
	};
	int rc = ctx != NULL && EVP_KDF_derive(ctx, key, len, params) == 1 ? 0 : -1;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* hex - len bytes as lowercase hex into out (2 * len + 1) */
static void hex(const unsigned char *b, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * len] = '\0';
}

/* unhex - the hex run at s up to '$' or the end into b (at most max
 * bytes): its byte count, or 0 when malformed; *end after it */
static size_t unhex(const char *s, unsigned char *b, size_t max, const char **end)
{
	size_t n = 0;

	for (; *s && *s != '$'; s += 2) {
		int hi, lo;

		if (n == max || s[1] == '\0')
			return 0;
		hi = s[0] >= '0' && s[0] <= '9'   ? s[0] - '0'
		     : s[0] >= 'a' && s[0] <= 'f' ? s[0] - 'a' + 10
		                                  : -1;
		lo = s[1] >= '0' && s[1] <= '9'   ? s[1] - '0'
		     : s[1] >= 'a' && s[1] <= 'f' ? s[1] - 'a' + 10
		                                  : -1;
		if (hi < 0 || lo < 0)
			return 0;
		b[n++] = (unsigned char)(hi << 4 | lo);
	}
	*end = s;
	return n;
}

/* number - a decimal 1..max at *s up to '$': the value, or 0; *s after the '$' */
static unsigned number(const char **s, unsigned max)
{
	unsigned v = 0;
	const char *p = *s;

	if (*p < '1' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max)
			return 0;
	}
	if (*p != '$')
		return 0;
	*s = p + 1;
	return v;
}

/* parse - a hash text into *sp: 0, or -1 when malformed or out of bounds */
static int parse(const char *h, struct scrypt_params *sp)
{
	const char *s = h;

	memset(sp, 0, sizeof(*sp));
	if (strncmp(s, "scrypt$", 7) != 0)
		return -1;
	s += 7;
	if ((sp->log_n = number(&s, 20)) < 10 || (sp->r = number(&s, 32)) == 0 ||
	    (sp->p = number(&s, 16)) == 0)
		return -1;
	if (128ULL * sp->r * ((uint64_t)1 << sp->log_n) > RW_WEB_SCRYPT_MAXMEM / 2)
		return -1;
	if ((sp->salt_len = unhex(s, sp->salt, SALT_MAX, &s)) < 8 || *s != '$')
		return -1;
	if ((sp->key_len = unhex(s + 1, sp->key, KEY_MAX, &s)) < 16 || *s != '\0')
		return -1;
	return 0;
}

/* web_password_hash - a new hash text for password */
int web_password_hash(const char *password, char out[WEB_HASH_MAX])
{
	struct scrypt_params sp = {.log_n = RW_WEB_SCRYPT_LOG_N,
	                           .r = RW_WEB_SCRYPT_R,
	                           .p = RW_WEB_SCRYPT_P,
	                           .salt_len = RW_WEB_SALT_LEN,
	                           .key_len = RW_WEB_KEY_LEN};
	char salt[2 * SALT_MAX + 1], key[2 * KEY_MAX + 1];
	int n;

	out[0] = '\0';
	if (password == NULL || strlen(password) > RW_WEB_PASSWORD_MAX ||
	    RAND_bytes(sp.salt, (int)sp.salt_len) != 1 ||
	    derive(password, &sp, sp.key, sp.key_len) < 0)
		return -1;
	hex(sp.salt, sp.salt_len, salt);
	hex(sp.key, sp.key_len, key);
	n = snprintf(out, WEB_HASH_MAX, "scrypt$%u$%u$%u$%s$%s", sp.log_n, sp.r, sp.p, salt, key);
	OPENSSL_cleanse(&sp, sizeof(sp));
	OPENSSL_cleanse(key, sizeof(key));
	if (n < 0 || n >= WEB_HASH_MAX) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* web_password_check - 1 when password matches hash */
int web_password_check(const char *password, const char *hash)
{
	struct scrypt_params sp;
	unsigned char key[KEY_MAX];
	int ok;

	if (password == NULL || hash == NULL || strlen(password) > RW_WEB_PASSWORD_MAX ||
	    parse(hash, &sp) < 0)
		return 0;
	ok = derive(password, &sp, key, sp.key_len) == 0 &&
	     CRYPTO_memcmp(key, sp.key, sp.key_len) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(&sp, sizeof(sp));
	return ok;
}
