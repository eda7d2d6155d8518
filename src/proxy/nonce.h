/*
 * nonce.h - the proxy canary's proof: a statement signed by our own sink
 *
 * nonce = "rwp1-" time "-" serial "-" hex(peer) "-" bind "-" mac
 *
 * time    unix seconds when the sink wrote it (decimal, no leading zeros)
 * serial  the sink's connection counter (decimal, no leading zeros)
 * peer    the connection's source address as the sink saw it (the proxy's
 *         egress address), its text in lower-case hex
 * bind    the probe id the client presented (see NONCE_ID_*), or "0" when
 *         none was presented (the SMTP banner)
 * mac     first 16 bytes of HMAC-SHA256(key, "proxy|" time "|" serial "|"
 *         peer-text "|" bind) in lower-case hex
 *
 * The key is the relay tokens' key (src/smtp/token), so the prober that
 * signs relay tokens can check what its sink wrote. A hostile peer can echo
 * what we send it but cannot forge a nonce: a proxy is open only when a
 * nonce that verifies, is fresh, and (HTTP, HELO) is bound to the
 * attempt's own probe id came back through it.
 *
 * Probe ids: "rwp" + [a-z0-9]{1,8} protocol tag + "." + 16 hex digits,
 * [A-Za-z0-9.] only, at most NONCE_ID_MAX characters.
 */
#ifndef RW_NONCE_H
#define RW_NONCE_H

#include <stddef.h>

#include "../smtp/token.h"

#define NONCE_MAX    200 /* a nonce's text, NUL included */
#define NONCE_ID_MAX 40  /* a probe id's characters */

struct nonce_fields {
	long long time;
	unsigned long long serial;
	char peer[64];               /* address text */
	char bind[NONCE_ID_MAX + 1]; /* probe id, or "0" */
};

/* nonce_make - sign f into out (at least NONCE_MAX bytes); a bind that is
 * not "0" or a valid probe id is a caller bug (rw_panic) */
void nonce_make(const struct token_key *key, const struct nonce_fields *f, char *out,
                size_t outlen);

/* nonce_verify - parse and check s (NUL-terminated, exactly one nonce);
 * fills *f when the syntax is readable (even if forged). max_age in
 * seconds (<= 0: none); a time more than TOKEN_FUTURE_SKEW ahead of now
 * is EXPIRED. */
enum token_status nonce_verify(const struct token_key *key, const char *s, long long now,
                               long long max_age, struct nonce_fields *f);

/* nonce_find - the first thing in buf (any bytes) that looks like a nonce:
 * its start, and its length in *n; NULL when none */
const char *nonce_find(const char *buf, size_t len, size_t *n);

/* nonce_id_valid - s is a probe id (the syntax above) */
int nonce_id_valid(const char *s);

/* nonce_probe_id - a fresh probe id for a protocol tag ("connect",
 * "socks5"...; [a-z0-9], cut to 8) from RAND_bytes */
void nonce_probe_id(const char *tag, char out[NONCE_ID_MAX + 1]);

/* nonce_path_id - the probe id in an HTTP request target: "/rwp/<id>" in
 * origin form, or "http://host[:port]/rwp/<id>" in absolute form (a query
 * or more path after the id is ignored); 0 and id filled, or -1 */
int nonce_path_id(const char *target, char *id, size_t idlen);

#endif
