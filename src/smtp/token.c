/*
 * NAME
 *	token - signed test tokens carried in every test message
 * SUMMARY
 *	make, verify and find "rw1-..." tokens; load or create the HMAC key
 * SYNOPSIS
 *	int token_key_load(const char *path, int create, struct token_key *key,
 *	                   char *err, size_t errlen);
 *	void token_make(const struct token_key *key, const struct token_fields *f,
 *	                char *out, size_t outlen);
 *	enum token_status token_verify(const struct token_key *key, const char *tok,
 *	                               long long now, long long max_age,
 *	                               struct token_fields *f);
 *	const char *token_find(const char *buf, size_t len, size_t *toklen);
 *	const char *token_status_name(enum token_status s);
 *	void token_hmac(const struct token_key *key, const void *msg, size_t len,
 *	                unsigned char mac[TOKEN_HMAC_LEN]);
 * DESCRIPTION
 *	token_key_load reads 64 hex digits (one trailing newline allowed).
 *	When the file is missing and create is set, a key is drawn with
 *	RAND_bytes and written with O_CREAT|O_EXCL mode 0600 (the parent
 *	directory is created 0700 when missing); a race with another creator
 *	loses politely by reading the winner's file. An existing file must be
 *	owned by this user or root and give no access to group or others:
 *	whoever can read or plant the key can forge an "open" verdict.
 *	token_make signs; the MAC input is scan|port|test|time|target with
 *	the decoded values (test id with '-', target as text). The syntax is
 *	canonical (decimal without leading zeros, lower-case hex), so each
 *	token text maps to exactly one field tuple: no two texts share a MAC.
 *	Fields that break the syntax (empty, wrong characters, a '.' in the
 *	test id, too long for outlen) are a caller bug: rw_panic.
 *	token_verify parses strictly, fills *f when the syntax reads (even if
 *	forged), checks the MAC with CRYPTO_memcmp, then the age.
 *	token_find returns the first "rw1-" run of token characters with the
 *	five separators a token has; trailing '.' (sentence end) is not part
 *	of it. Pointers it returns point into buf.
 * DIAGNOSTICS
 *	token_key_load: -1 and "path: problem" in err. token_verify: status.
 * LIMITS
 *	RW_TOKEN_MAX (whole token with NUL: a target of up to 55 characters,
 *	every IPv6 address included, fits); TOKEN_FUTURE_SKEW seconds of
 *	clock difference between signer and verifier.
 * STANDARDS
 *	RFC 2104 / FIPS 198-1 (HMAC), truncated to 128 bits per RFC 2104 5.
 */
#include "token.h"
#include "../core/limits.h"
#include "../core/xalloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_PREFIX      "rw1-"
#define TOKEN_PREFIX_LEN  4
#define TOKEN_MAC_LEN     TOKEN_HMAC_LEN /* bytes of HMAC-SHA256 kept */
#define TOKEN_FIELDS      6              /* scan port test time target mac */
#define TOKEN_TIME_DIGITS 19             /* LLONG_MAX has 19 digits */
#define KEY_FILE_MAX      128            /* a key file is 64 or 65 bytes */

static const char hexdig[] = "0123456789abcdef";

static const char *const status_names[] = {
    [TOKEN_VALID] = "valid",
    [TOKEN_MALFORMED] = "malformed",
    [TOKEN_FORGED] = "forged",
    [TOKEN_EXPIRED] = "expired",
};

/* token_status_name - stable lower-case name for logs and the store */
const char *token_status_name(enum token_status s)
{
	if ((unsigned)s < sizeof(status_names) / sizeof(status_names[0]) && status_names[s])
		return status_names[s];
	return "unknown";
}

/* hexval - value of a lower-case hex digit, or -1 (upper case is not canonical) */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* is_alnum - ASCII letters and digits, whatever the locale */
static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_tokchar - characters a token is made of */
static int is_tokchar(int c)
{
	return is_alnum(c) || c == '-' || c == '.';
}

/* mac_ctx - an HMAC-SHA256 context keyed with key, ready for data. The
 * keyed context is made once per key and duplicated for each token: an
 * HMAC() call fetches the algorithms anew every time, which a scan
 * signing 25 tokens per address cannot afford. One cached key (the
 * program uses one); the caller frees the copy. */
static EVP_MAC_CTX *mac_ctx(const struct token_key *key)
{
	static EVP_MAC_CTX *keyed;
	static unsigned char cached[TOKEN_KEY_LEN];
	EVP_MAC_CTX *c;

	if (keyed == NULL || CRYPTO_memcmp(cached, key->k, TOKEN_KEY_LEN) != 0) {
		EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM params[] = {
		    OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		    OSSL_PARAM_construct_end(),
		};

		EVP_MAC_CTX_free(keyed);
		keyed = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
		EVP_MAC_free(hmac);
		if (keyed == NULL || !EVP_MAC_init(keyed, key->k, TOKEN_KEY_LEN, params))
			rw_panic("%s: HMAC-SHA256 unavailable", __func__);
		memcpy(cached, key->k, TOKEN_KEY_LEN);
	}
	if ((c = EVP_MAC_CTX_dup(keyed)) == NULL)
		rw_panic("%s: out of memory", __func__);
	return c;
}

/* token_hmac - HMAC-SHA256(key, msg), its first TOKEN_HMAC_LEN bytes */
void token_hmac(const struct token_key *key, const void *msg, size_t len,
                unsigned char mac[TOKEN_HMAC_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	EVP_MAC_CTX *c = mac_ctx(key);

	if (!EVP_MAC_update(c, msg, len) || !EVP_MAC_final(c, md, &mdlen, sizeof(md)) ||
	    mdlen < TOKEN_HMAC_LEN)
		rw_panic("%s: HMAC-SHA256 failed", __func__);
	EVP_MAC_CTX_free(c);
	memcpy(mac, md, TOKEN_HMAC_LEN);
	OPENSSL_cleanse(md, sizeof(md));
}

/* compute_mac - HMAC-SHA256 over the decoded fields, first TOKEN_MAC_LEN bytes */
static void compute_mac(const struct token_key *key, const struct token_fields *f,
                        unsigned char mac[TOKEN_MAC_LEN])
{
	char msg[RW_TOKEN_MAX * 2];
	int n;

	n = snprintf(msg, sizeof(msg), "%s|%u|%s|%lld|%s", f->scan, f->port, f->test, f->time,
	             f->target);
	if (n < 0 || (size_t)n >= sizeof(msg))
		rw_panic("%s: fields do not fit", __func__);
	token_hmac(key, msg, (size_t)n, mac);
}

/* check_fields - the syntax token_make promises; NULL or what is wrong */
static const char *check_fields(const struct token_fields *f)
{
	size_t i;

	if (!f->scan[0] || strnlen(f->scan, sizeof(f->scan)) >= sizeof(f->scan))
		return "scan id empty or unterminated";
	for (i = 0; f->scan[i]; i++)
		if (!is_alnum((unsigned char)f->scan[i]))
			return "scan id not [A-Za-z0-9]";
	if (!f->test[0] || strnlen(f->test, sizeof(f->test)) >= sizeof(f->test))
		return "test id empty or unterminated";
	for (i = 0; f->test[i]; i++)
		if (!is_alnum((unsigned char)f->test[i]) && f->test[i] != '-')
			return "test id not [A-Za-z0-9-]";
	if (!f->target[0] || strnlen(f->target, sizeof(f->target)) >= sizeof(f->target))
		return "target empty or unterminated";
	for (i = 0; f->target[i]; i++)
		if ((unsigned char)f->target[i] <= ' ' || (unsigned char)f->target[i] >= 0x7f)
			return "target not printable ASCII";
	if (f->port > 65535)
		return "port out of range";
	if (f->time < 0)
		return "negative time";
	return NULL;
}

/* token_make - sign fields into out */
void token_make(const struct token_key *key, const struct token_fields *f, char *out, size_t outlen)
{
	unsigned char mac[TOKEN_MAC_LEN];
	char test[sizeof(f->test)];
	char *p = out, *end = out + outlen;
	const char *why = check_fields(f);
	size_t i;
	int n;

	if (why)
		rw_panic("%s: %s", __func__, why);
	for (i = 0; f->test[i]; i++)
		test[i] = f->test[i] == '-' ? '.' : f->test[i];
	test[i] = '\0';
	compute_mac(key, f, mac);

	n = snprintf(p, outlen, TOKEN_PREFIX "%s-%u-%s-%lld-", f->scan, f->port, test, f->time);
	if (n < 0 || (size_t)n >= outlen)
		rw_panic("%s: token does not fit %zu bytes", __func__, outlen);
	p += n;
	if ((size_t)(end - p) < 2 * strlen(f->target) + 1 + 2 * TOKEN_MAC_LEN + 1)
		rw_panic("%s: token does not fit %zu bytes", __func__, outlen);
	for (i = 0; f->target[i]; i++) {
		*p++ = hexdig[(unsigned char)f->target[i] >> 4];
		*p++ = hexdig[(unsigned char)f->target[i] & 15];
	}
	*p++ = '-';
	for (i = 0; i < TOKEN_MAC_LEN; i++) {
		*p++ = hexdig[mac[i] >> 4];
		*p++ = hexdig[mac[i] & 15];
	}
	*p = '\0';
}

/* parse_num - canonical decimal (no sign, no leading zero) of at most maxdig digits */
static int parse_num(const char *s, size_t len, size_t maxdig, long long *v)
{
	long long x = 0;

	if (len == 0 || len > maxdig || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (x > (9223372036854775807LL - (s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

/* parse_hex - canonical lower-case hex of exactly 2*n digits into n bytes */
static int parse_hex(const char *s, size_t len, unsigned char *out, size_t n)
{
	if (len != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* parse - strict syntax into *f and the MAC bytes; 0 or -1 */
static int parse(const char *tok, struct token_fields *f, unsigned char mac[TOKEN_MAC_LEN])
{
	const char *field[TOKEN_FIELDS];
	size_t flen[TOKEN_FIELDS];
	const char *p, *start;
	size_t len = strnlen(tok, RW_TOKEN_MAX);
	long long v;
	int nf = 0;

	if (len >= RW_TOKEN_MAX || strncmp(tok, TOKEN_PREFIX, TOKEN_PREFIX_LEN) != 0)
		return -1;
	start = p = tok + TOKEN_PREFIX_LEN;
	for (;; p++) {
		if (*p == '-' || *p == '\0') {
			if (nf == TOKEN_FIELDS)
				return -1;
			field[nf] = start;
			flen[nf++] = (size_t)(p - start);
			if (*p == '\0')
				break;
			start = p + 1;
		} else if (!is_tokchar((unsigned char)*p)) {
			return -1;
		}
	}
	if (nf != TOKEN_FIELDS)
		return -1;
	memset(f, 0, sizeof(*f));

	/* scan: [A-Za-z0-9]{1,32} */
	if (flen[0] == 0 || flen[0] >= sizeof(f->scan))
		return -1;
	for (size_t i = 0; i < flen[0]; i++)
		if (!is_alnum((unsigned char)field[0][i]))
			return -1;
	memcpy(f->scan, field[0], flen[0]);

	if (parse_num(field[1], flen[1], 5, &v) < 0 || v > 65535)
		return -1;
	f->port = (unsigned)v;

	/* test: [A-Za-z0-9.], '.' stands for the id's '-' */
	if (flen[2] == 0 || flen[2] >= sizeof(f->test))
		return -1;
	for (size_t i = 0; i < flen[2]; i++) {
		char c = field[2][i];

		if (!is_alnum((unsigned char)c) && c != '.')
			return -1;
		f->test[i] = c == '.' ? '-' : c;
	}

	if (parse_num(field[3], flen[3], TOKEN_TIME_DIGITS, &v) < 0)
		return -1;
	f->time = v;

	/* target: hex of printable ASCII text */
	if (flen[4] == 0 || flen[4] % 2 || flen[4] / 2 >= sizeof(f->target) ||
	    parse_hex(field[4], flen[4], (unsigned char *)f->target, flen[4] / 2) < 0)
		return -1;
	for (size_t i = 0; i < flen[4] / 2; i++)
		if ((unsigned char)f->target[i] <= ' ' || (unsigned char)f->target[i] >= 0x7f)
			return -1;

	return parse_hex(field[5], flen[5], mac, TOKEN_MAC_LEN);
}

/* token_verify - parse, check the MAC in constant time, then the age */
enum token_status token_verify(const struct token_key *key, const char *tok, long long now,
                               long long max_age, struct token_fields *f)
{
	struct token_fields tmp;
	unsigned char got[TOKEN_MAC_LEN], want[TOKEN_MAC_LEN];

	if (!f)
		f = &tmp;
	if (!tok || parse(tok, f, got) < 0) {
		memset(f, 0, sizeof(*f));
		return TOKEN_MALFORMED;
	}
	compute_mac(key, f, want);
	if (CRYPTO_memcmp(got, want, TOKEN_MAC_LEN) != 0)
		return TOKEN_FORGED;
	/* written so that neither difference can overflow: f->time >= 0 */
	if (f->time > now && (now < 0 || f->time - now > TOKEN_FUTURE_SKEW))
		return TOKEN_EXPIRED;
	if (max_age > 0 && now > f->time && now - f->time > max_age)
		return TOKEN_EXPIRED;
	return TOKEN_VALID;
}

/* token_find - first "rw1-" run of token characters shaped like a token */
const char *token_find(const char *buf, size_t len, size_t *toklen)
{
	size_t i = 0;

	while (i + TOKEN_PREFIX_LEN <= len) {
		const char *hit = memmem(buf + i, len - i, TOKEN_PREFIX, TOKEN_PREFIX_LEN);
		size_t start, end, dashes = 0;

		if (!hit)
			break;
		start = (size_t)(hit - buf);
		for (end = start + TOKEN_PREFIX_LEN;
		     end < len && is_tokchar((unsigned char)buf[end]); end++)
			dashes += buf[end] == '-';
		while (end > start + TOKEN_PREFIX_LEN && buf[end - 1] == '.')
			end--;
		if (dashes == TOKEN_FIELDS - 1 && end - start < RW_TOKEN_MAX) {
			*toklen = end - start;
			return hit;
		}
		i = start + 1;
	}
	*toklen = 0;
	return NULL;
}

/* seterr - "path: problem" into err */
static int seterr(char *err, size_t errlen, const char *path, const char *what, int e)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s%s%s", path, what, e ? ": " : "",
		         e ? strerror(e) : "");
	return -1;
}

/* read_key - parse an open key file: 64 hex digits, an optional newline */
static int read_key(int fd, const char *path, struct token_key *key, char *err, size_t errlen)
{
	char buf[KEY_FILE_MAX];
	size_t got = 0;
	ssize_t r;

	while (got < sizeof(buf)) {
		r = read(fd, buf + got, sizeof(buf) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return seterr(err, errlen, path, "read", errno);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	for (size_t i = 0; i < got; i++)
		if (buf[i] >= 'A' && buf[i] <= 'F')
			buf[i] = (char)(buf[i] - 'A' + 'a');
	if (parse_hex(buf, got, key->k, TOKEN_KEY_LEN) < 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return seterr(err, errlen, path, "key file must hold 64 hex digits", 0);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* make_parent - create the key's directory 0700 when it is missing */
static int make_parent(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash || slash == path)
		return 0;
	n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return seterr(err, errlen, path, "path too long", 0);
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return seterr(err, errlen, dir, "cannot create key directory", errno);
	return 0;
}

/* create_key - draw a key and write it with O_EXCL; 1 when another won the race */
static int create_key(const char *path, struct token_key *key, char *err, size_t errlen)
{
	char hex[2 * TOKEN_KEY_LEN + 1];
	size_t off = 0;
	int fd;

	if (make_parent(path, err, errlen) < 0)
		return -1;
	if (RAND_bytes(key->k, TOKEN_KEY_LEN) != 1)
		return seterr(err, errlen, path, "RAND_bytes failed", 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return 1;
	if (fd < 0)
		return seterr(err, errlen, path, "cannot create key file", errno);
	for (size_t i = 0; i < TOKEN_KEY_LEN; i++) {
		hex[2 * i] = hexdig[key->k[i] >> 4];
		hex[2 * i + 1] = hexdig[key->k[i] & 15];
	}
	hex[2 * TOKEN_KEY_LEN] = '\n';
	while (off < sizeof(hex)) {
		ssize_t w = write(fd, hex + off, sizeof(hex) - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;

			close(fd);
			unlink(path);
			OPENSSL_cleanse(hex, sizeof(hex));
			return seterr(err, errlen, path, "write", e);
		}
		off += (size_t)w;
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	if (fsync(fd) < 0 || close(fd) < 0) {
		int e = errno;

		unlink(path);
		return seterr(err, errlen, path, "write", e);
	}
	return 0;
}

/* token_key_load - read the key, creating it when missing and asked to */
int token_key_load(const char *path, int create, struct token_key *key, char *err, size_t errlen)
{
	int fd, rc;

	for (int tries = 0; tries < 2; tries++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			struct stat st;

			/* a key others can read or plant lets them forge "open" */
			if (fstat(fd, &st) < 0 || (st.st_mode & 077) != 0 ||
			    (st.st_uid != geteuid() && st.st_uid != 0)) {
				close(fd);
				return seterr(err, errlen, path,
				              "key file must be owned by this user (or root) and "
				              "mode 0600 (chmod 600)",
				              0);
			}
			rc = read_key(fd, path, key, err, errlen);
			close(fd);
			return rc;
		}
		if (errno != ENOENT)
			return seterr(err, errlen, path, "cannot open key file", errno);
		if (!create)
			return seterr(err, errlen, path, "key file missing", 0);
		rc = create_key(path, key, err, errlen);
		if (rc <= 0)
			return rc;
		/* another process created it between our open and our O_EXCL: read theirs */
	}
	return seterr(err, errlen, path, "key file vanished while creating it", 0);
}
