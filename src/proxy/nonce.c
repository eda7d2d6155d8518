/*
 * NAME
 *	nonce - the proxy canary's signed statement, and probe ids
 * SUMMARY
 *	make, verify and find "rwp1-" nonces; make and read probe ids
 * SYNOPSIS
 *	void nonce_make(const struct token_key *key, const struct nonce_fields *f,
 *	                char *out, size_t outlen);
 *	enum token_status nonce_verify(const struct token_key *key, const char *s,
 *	                               long long now, long long max_age,
 *	                               struct nonce_fields *f);
 *	const char *nonce_find(const char *buf, size_t len, size_t *n);
 *	int nonce_id_valid(const char *s);
 *	void nonce_probe_id(const char *tag, char out[NONCE_ID_MAX + 1]);
 *	int nonce_path_id(const char *target, char *id, size_t idlen);
 * DESCRIPTION
 *	The syntax is in nonce.h. Every field is canonical (decimal without
 *	leading zeros, lower-case hex), so a nonce has exactly one spelling
 *	and nonce_find can cut it out of any bytes (an HTML page, a telnet
 *	stream, an HTTP/0.9 answer) by its character set alone. The MAC
 *	reuses the relay tokens' key and HMAC (token_hmac) under the domain
 *	prefix "proxy|", so a relay token is never a valid nonce.
 * DIAGNOSTICS
 *	nonce_verify: TOKEN_MALFORMED, TOKEN_FORGED, TOKEN_EXPIRED or
 *	TOKEN_VALID. nonce_make panics on fields outside the syntax.
 * LIMITS
 *	NONCE_MAX bytes of text, NONCE_ID_MAX characters of probe id, a peer
 *	address of at most 63 characters.
 * STANDARDS
 *	RFC 2104 (HMAC).
 */
#include "nonce.h"
#include "../core/xalloc.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <string.h>

#define NONCE_PREFIX     "rwp1-"
#define NONCE_PREFIX_LEN 5
#define NONCE_DIGITS     20 /* ULLONG_MAX has 20 digits */

static const char hexdig[] = "0123456789abcdef";

/* is_alnum, is_idchar - ASCII sets, whatever the locale */
static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_idchar(int c)
{
	return is_alnum(c) || c == '.';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* nonce_id_valid - "rwp" tag "." 16 hex, [A-Za-z0-9.], <= NONCE_ID_MAX */
int nonce_id_valid(const char *s)
{
	size_t n = strnlen(s, NONCE_ID_MAX + 1);

	if (n < 4 || n > NONCE_ID_MAX || strncmp(s, "rwp", 3) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_idchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* bind_valid - "0" or a probe id */
static int bind_valid(const char *s)
{
	return strcmp(s, "0") == 0 || nonce_id_valid(s);
}

/* mac - HMAC over the decoded fields with the "proxy|" domain prefix */
static void mac(const struct token_key *key, const struct nonce_fields *f,
                unsigned char out[TOKEN_HMAC_LEN])
{
	char msg[NONCE_MAX * 2];
	int n = snprintf(msg, sizeof(msg), "proxy|%lld|%llu|%s|%s", f->time, f->serial, f->peer,
	                 f->bind);

	if (n < 0 || (size_t)n >= sizeof(msg))
		rw_panic("%s: fields do not fit", __func__);
	token_hmac(key, msg, (size_t)n, out);
}

/* nonce_make - sign f into out */
void nonce_make(const struct token_key *key, const struct nonce_fields *f, char *out, size_t outlen)
{
	unsigned char m[TOKEN_HMAC_LEN];
	char *p;
	size_t plen = strnlen(f->peer, sizeof(f->peer));
	int n;

	if (f->time < 0 || plen == 0 || plen >= sizeof(f->peer) || !bind_valid(f->bind) ||
	    outlen < NONCE_MAX)
		rw_panic("%s: fields outside the syntax", __func__);
	n = snprintf(out, outlen, NONCE_PREFIX "%lld-%llu-", f->time, f->serial);
	p = out + n;
	for (size_t i = 0; i < plen; i++) {
		*p++ = hexdig[(unsigned char)f->peer[i] >> 4];
		*p++ = hexdig[(unsigned char)f->peer[i] & 15];
	}
	p += snprintf(p, (size_t)(out + outlen - p), "-%s-", f->bind);
	mac(key, f, m);
	for (size_t i = 0; i < sizeof(m); i++) {
		*p++ = hexdig[m[i] >> 4];
		*p++ = hexdig[m[i] & 15];
	}
	*p = '\0';
}

/* number - canonical decimal field [s, e): no sign, no leading zero */
static int number(const char *s, const char *e, unsigned long long *v)
{
	unsigned long long x = 0;

	if (e <= s || e - s > NONCE_DIGITS || (*s == '0' && e - s > 1))
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9' || x > (~0ULL - 9) / 10)
			return -1;
		x = x * 10 + (unsigned)(*s - '0');
	}
	*v = x;
	return 0;
}

/* nonce_verify - parse and check one nonce */
enum token_status nonce_verify(const struct token_key *key, const char *s, long long now,
                               long long max_age, struct nonce_fields *f)
{
	const char *part[5], *end;
	unsigned char m[TOKEN_HMAC_LEN], want[TOKEN_HMAC_LEN];
	unsigned long long t;
	size_t np = 0, len = strnlen(s, NONCE_MAX);

	memset(f, 0, sizeof(*f));
	if (len >= NONCE_MAX || strncmp(s, NONCE_PREFIX, NONCE_PREFIX_LEN) != 0)
		return TOKEN_MALFORMED;
	end = s + len;
	part[np++] = s + NONCE_PREFIX_LEN;
	for (const char *p = part[0]; p < end; p++)
		if (*p == '-') {
			if (np == 5)
				return TOKEN_MALFORMED;
			part[np++] = p + 1;
		}
	if (np != 5)
		return TOKEN_MALFORMED;
	/* time, serial */
	if (number(part[0], part[1] - 1, &t) < 0 || t > (unsigned long long)(~0ULL >> 1) ||
	    number(part[1], part[2] - 1, &f->serial) < 0)
		return TOKEN_MALFORMED;
	f->time = (long long)t;
	/* peer, hex of its text */
	{
		size_t hl = (size_t)(part[3] - 1 - part[2]);

		if (hl == 0 || hl % 2 || hl / 2 >= sizeof(f->peer))
			return TOKEN_MALFORMED;
		for (size_t i = 0; i < hl / 2; i++) {
			int hi = hexval((unsigned char)part[2][2 * i]);
			int lo = hexval((unsigned char)part[2][2 * i + 1]);

			if (hi < 0 || lo < 0 || (hi << 4 | lo) <= ' ' || (hi << 4 | lo) >= 0x7f)
				return TOKEN_MALFORMED;
			f->peer[i] = (char)(hi << 4 | lo);
		}
	}
	/* bind */
	{
		size_t bl = (size_t)(part[4] - 1 - part[3]);

		if (bl == 0 || bl > NONCE_ID_MAX)
			return TOKEN_MALFORMED;
		memcpy(f->bind, part[3], bl);
		f->bind[bl] = '\0';
		if (!bind_valid(f->bind))
			return TOKEN_MALFORMED;
	}
	/* mac */
	if ((size_t)(end - part[4]) != 2 * TOKEN_HMAC_LEN)
		return TOKEN_MALFORMED;
	for (size_t i = 0; i < TOKEN_HMAC_LEN; i++) {
		int hi = hexval((unsigned char)part[4][2 * i]),
		    lo = hexval((unsigned char)part[4][2 * i + 1]);

		if (hi < 0 || lo < 0)
			return TOKEN_MALFORMED;
		m[i] = (unsigned char)(hi << 4 | lo);
	}
	mac(key, f, want);
	if (CRYPTO_memcmp(m, want, sizeof(m)) != 0)
		return TOKEN_FORGED;
	if (f->time > now + TOKEN_FUTURE_SKEW || (max_age > 0 && now - f->time > max_age))
		return TOKEN_EXPIRED;
	return TOKEN_VALID;
}

/* is_noncechar - what a nonce is made of */
static int is_noncechar(int c)
{
	return is_alnum(c) || c == '-' || c == '.';
}

/* nonce_find - the first "rwp1-" run of nonce characters */
const char *nonce_find(const char *buf, size_t len, size_t *n)
{
	for (size_t i = 0; i + NONCE_PREFIX_LEN <= len; i++) {
		size_t j;

		if (memcmp(buf + i, NONCE_PREFIX, NONCE_PREFIX_LEN) != 0 ||
		    (i > 0 && is_noncechar((unsigned char)buf[i - 1])))
			continue;
		for (j = i; j < len && is_noncechar((unsigned char)buf[j]); j++)
			;
		*n = j - i;
		return buf + i;
	}
	return NULL;
}

/* nonce_probe_id - "rwp" tag "." 16 random hex digits */
void nonce_probe_id(const char *tag, char out[NONCE_ID_MAX + 1])
{
	unsigned char r[8];
	char t[9];
	size_t k = 0;

	for (const char *p = tag; *p && k < 8; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			t[k++] = *p;
	t[k] = '\0';
	if (RAND_bytes(r, sizeof(r)) != 1)
		rw_panic("%s: RAND_bytes failed", __func__);
	k = (size_t)snprintf(out, NONCE_ID_MAX + 1, "rwp%s.", t);
	for (size_t i = 0; i < sizeof(r); i++) {
		out[k++] = hexdig[r[i] >> 4];
		out[k++] = hexdig[r[i] & 15];
	}
	out[k] = '\0';
}

/* nonce_path_id - the id of "/rwp/<id>", in origin or absolute form */
int nonce_path_id(const char *target, char *id, size_t idlen)
{
	const char *p = target;
	size_t n;

	if (strncmp(p, "http://", 7) == 0 || strncmp(p, "HTTP://", 7) == 0) {
		p = strchr(p + 7, '/');
		if (p == NULL)
			return -1;
	}
	if (strncmp(p, "/rwp/", 5) != 0)
		return -1;
	p += 5;
	for (n = 0; p[n] && is_idchar((unsigned char)p[n]); n++)
		if (n >= NONCE_ID_MAX)
			return -1;
	if (p[n] && p[n] != '?' && p[n] != '/' && p[n] != '#')
		return -1;
	if (n >= idlen)
		return -1;
	memcpy(id, p, n);
	id[n] = '\0';
	return nonce_id_valid(id) ? 0 : -1;
}
