/*
 * token.h - signed test tokens carried in every test message
 *
 * token = "rw1-" scan "-" port "-" test "-" time "-" hex(target) "-" mac
 * where mac is the first 16 bytes of HMAC-SHA256(key, the fields joined
 * by '|') in lower-case hex (scan|port|test|time|target, decoded: the test
 * id with its '-', the target as text). Numbers have no leading zeros and
 * hex is lower case, so the syntax is canonical. scan and test are
 * [A-Za-z0-9] only (a test id's '-' is encoded as '.'), so the token
 * survives any MTA unchanged and the sink can read the fields back
 * without shared state.
 */
#ifndef RW_TOKEN_H
#define RW_TOKEN_H

#include <stddef.h>

#define TOKEN_KEY_LEN 32
/* Seconds a token's time may lie ahead of the verifier's clock (signer
 * and sink may run on different machines) before it counts as EXPIRED. */
#define TOKEN_FUTURE_SKEW 300

struct token_key {
	unsigned char k[TOKEN_KEY_LEN];
};

struct token_fields {
	char scan[33];   /* scan id ("0" for a single test) */
	char target[64]; /* address as text */
	unsigned port;
	char test[48];  /* battery test id */
	long long time; /* unix seconds at signing */
};

enum token_status {
	TOKEN_VALID,
	TOKEN_MALFORMED, /* not our syntax */
	TOKEN_FORGED,    /* syntax fine, MAC wrong (foreign key or tampered) */
	TOKEN_EXPIRED,   /* older than max_age, or from the future */
};

/* token_key_load - read a key file (hex, 64 digits); when missing and
 * `create`, generate one with RAND_bytes and write it mode 0600.
 * Returns 0, or -1 with a message naming the file in err. */
int token_key_load(const char *path, int create, struct token_key *key, char *err, size_t errlen);

/* token_make - sign fields into out (at least RW_TOKEN_MAX bytes); a
 * target of up to 55 characters (any IP address) always fits. Fields out
 * of the syntax above are a caller bug (rw_panic). */
void token_make(const struct token_key *key, const struct token_fields *f, char *out,
                size_t outlen);

/* token_verify - parse and check `tok` (NUL-terminated); fills *f when
 * the syntax is readable (even if forged). max_age in seconds (<= 0: no
 * age limit; a time more than TOKEN_FUTURE_SKEW ahead is still EXPIRED). */
enum token_status token_verify(const struct token_key *key, const char *tok, long long now,
                               long long max_age, struct token_fields *f);

/* token_find - the first thing that looks like a token in buf: returns its
 * start and sets *toklen, or NULL */
const char *token_find(const char *buf, size_t len, size_t *toklen);

#define TOKEN_HMAC_LEN 16
/* token_hmac - the first TOKEN_HMAC_LEN bytes of HMAC-SHA256(key, msg):
 * the MAC of tokens, and of the proxy canary's nonces (src/proxy/nonce) */
void token_hmac(const struct token_key *key, const void *msg, size_t len,
                unsigned char mac[TOKEN_HMAC_LEN]);

const char *token_status_name(enum token_status s);

#endif
