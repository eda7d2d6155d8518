/*
 * fuzz_proxy.h - the harness that fuzz_proxy_{http,socks,telnet}.c share
 *
 * Input: byte 0 picks the protocol of the group (low bits), an IPv6 canary
 * (0x10) and a timeout instead of EOF at the end (0x20); byte 1 seeds the
 * chunk sizes; the rest is what the proxy sends. "@N" in it becomes a
 * fresh banner nonce and "@B" a nonce bound to the attempt's id, so the
 * fuzzer can reach the open paths it could never forge. The answer is fed
 * twice, in chunks and one byte at a time, with the same probe id; both
 * runs must agree on everything (outcome, status, reason, software, both
 * transcripts and every byte sent), and each must keep the header's
 * promises: decided after the end, an outcome in range, transcripts within
 * RW_PROXY_EVIDENCE_MAX, a one-line reason, has_nonce exactly when open
 * (and then the nonce verifies), and nothing sent but the request, one
 * HELO <id>, and for telnet the option refusals and one connect command.
 */
#ifndef RW_FUZZ_PROXY_H
#define RW_FUZZ_PROXY_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/dbuf.h"
#include "../../src/core/limits.h"
#include "../../src/core/xalloc.h"
#include "../../src/proxy/nonce.h"
#include "../../src/proxy/proxy.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_proxy: %s:%d: %s", __FILE__, __LINE__, #cond);              \
	} while (0)

#define FZ_NOW    1800000000LL
#define FZ_ID     "rwpfuzz.0123456789abcdef"
#define FZ_IN_MAX (64 * 1024)

static const struct token_key fz_key = {.k = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                              12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                              23, 24, 25, 26, 27, 28, 29, 30, 31, 32}};

struct fz_run {
	enum px_outcome outcome;
	int status, has_nonce;
	char reason[256], software[64];
	char *sent, *received, *out;
	size_t outlen, reqlen;
};

/* fz_expand - the answer with its placeholders; owned */
static char *fz_expand(const uint8_t *d, size_t n, size_t *len)
{
	struct nonce_fields f = {.time = FZ_NOW, .serial = 7, .peer = "203.0.113.5"};
	char nz[NONCE_MAX], nb[NONCE_MAX];
	struct dbuf b;

	strcpy(f.bind, "0");
	nonce_make(&fz_key, &f, nz, sizeof(nz));
	strcpy(f.bind, FZ_ID);
	nonce_make(&fz_key, &f, nb, sizeof(nb));
	dbuf_init(&b, FZ_IN_MAX);
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '@' && i + 1 < n && (d[i + 1] == 'N' || d[i + 1] == 'B')) {
			dbuf_adds(&b, d[i + 1] == 'N' ? nz : nb);
			i++;
		} else {
			dbuf_addc(&b, (char)d[i]);
		}
	}
	*len = b.len;
	return b.data ? dbuf_steal(&b) : calloc(1, 1);
}

/* fz_printable - software and reason: text only */
static int fz_printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n >= max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* fz_sent_ok - after the request: refusals (telnet), one command, one HELO */
static int fz_sent_ok(enum proxy_proto p, const struct proxy_canary *c, const char *s, size_t n)
{
	char helo[64], cmd[128];
	unsigned char s5[4 + 16 + 2] = {5, 1, 0, 1};
	size_t s5len = 4;
	int helos = 0, cmds = 0;

	if (p == PX_HTTP_GET || p == PX_HTTP_POST)
		return n == 0; /* the request is all they ever send */
	snprintf(helo, sizeof(helo), "HELO %s\r\n", FZ_ID);
	if (inet_pton(AF_INET, c->addr, s5 + 4) == 1) {
		s5len += 4;
	} else {
		CHECK(inet_pton(AF_INET6, c->addr, s5 + 4) == 1);
		s5[3] = 4;
		s5len += 16;
	}
	s5[s5len++] = (unsigned char)(c->port >> 8);
	s5[s5len++] = (unsigned char)c->port;
	if (p == PX_SOCKS5) {
		/* the CONNECT request follows the method reply */
		if (n == 0)
			return 1;
		if (n < s5len || memcmp(s, s5, s5len) != 0)
			return 0;
		s += s5len;
		n -= s5len;
	}
	if (p == PX_TELNET && strchr(c->addr, ':'))
		snprintf(cmd, sizeof(cmd), "[%s]:%u\r\n", c->addr, c->port);
	else
		snprintf(cmd, sizeof(cmd), "%s:%u\r\n", c->addr, c->port);
	for (size_t i = 0; i < n;) {
		char alt[128];

		snprintf(alt, sizeof(alt), "telnet %s %u\r\n", c->addr, c->port);
		if (p == PX_TELNET && n - i >= 3 && (unsigned char)s[i] == 255 &&
		    ((unsigned char)s[i + 1] == 252 || (unsigned char)s[i + 1] == 254)) {
			i += 3;
		} else if (n - i >= strlen(helo) && memcmp(s + i, helo, strlen(helo)) == 0 &&
		           !helos) {
			helos++;
			i += strlen(helo);
		} else if (p == PX_TELNET && !cmds && !helos && n - i >= strlen(cmd) &&
		           memcmp(s + i, cmd, strlen(cmd)) == 0) {
			cmds++;
			i += strlen(cmd);
		} else if (p == PX_TELNET && !cmds && !helos && n - i >= strlen(alt) &&
		           memcmp(s + i, alt, strlen(alt)) == 0) {
			cmds++;
			i += strlen(alt);
		} else {
			return 0;
		}
	}
	return p != PX_TELNET || !helos || cmds;
}

/* fz_run - one attempt over in[0..n); chunk sizes from seed (0: one byte) */
static struct fz_run fz_one(enum proxy_proto p, const struct proxy_canary *c, const char *in,
                            size_t n, unsigned seed, int timeout)
{
	struct pxa *a = pxa_new(p, c, &fz_key, FZ_NOW);
	const struct pxa_report *r;
	struct fz_run g = {0};
	struct dbuf out;
	unsigned x = seed;
	size_t off = 0, req;
	int done = 0;

	CHECK(pxa_set_probe_id(a, FZ_ID) == 0);
	dbuf_init(&out, 0);
	pxa_start(a, &out);
	req = out.len;
	CHECK(p == PX_TELNET ? req == 0 : req > 0);
	while (off < n && !done) {
		size_t chunk = 1;

		if (seed) {
			x = x * 1103515245u + 12345u;
			chunk = 1 + (x >> 16) % (seed & 1 ? 7 : 900);
		}
		if (chunk > n - off)
			chunk = n - off;
		done = pxa_feed(a, in + off, chunk, &out, FZ_NOW + 1);
		CHECK(done == pxa_decided(a));
		off += chunk;
	}
	if (done)
		CHECK(pxa_feed(a, "x", 1, &out, FZ_NOW + 1) == 1);
	if (timeout)
		pxa_timeout(a, FZ_NOW + 60);
	else
		pxa_eof(a, FZ_NOW + 2);
	CHECK(pxa_decided(a));
	r = pxa_report(a);
	CHECK((unsigned)r->outcome < PXO__COUNT && r->outcome != PXO_UNREACHABLE);
	CHECK(r->proto == p);
	CHECK(r->status >= -1 && r->status <= 599);
	CHECK(r->reason[0] && fz_printable(r->reason, sizeof(r->reason)));
	CHECK(fz_printable(r->software, sizeof(r->software)));
	CHECK(strlen(r->sent) <= RW_PROXY_EVIDENCE_MAX &&
	      strlen(r->received) <= RW_PROXY_EVIDENCE_MAX);
	CHECK(r->has_nonce == (r->outcome == PXO_OPEN));
	CHECK(strcmp(r->probe_id, FZ_ID) == 0);
	if (r->has_nonce) {
		struct nonce_fields f;

		CHECK(nonce_verify(&fz_key, r->nonce, FZ_NOW + 1, RW_PROXY_NONCE_AGE, &f) ==
		      TOKEN_VALID);
		CHECK(strcmp(f.peer, r->canary.peer) == 0);
	}
	CHECK(fz_sent_ok(p, c, out.data ? out.data + req : "", out.len - req));
	CHECK(pxa_answered(a) == (n > 0));
	g.outcome = r->outcome;
	g.status = r->status;
	g.has_nonce = r->has_nonce;
	snprintf(g.reason, sizeof(g.reason), "%s", r->reason);
	snprintf(g.software, sizeof(g.software), "%s", r->software);
	g.sent = xstrdup(r->sent);
	g.received = xstrdup(r->received);
	g.outlen = out.len;
	g.reqlen = req;
	g.out = dbuf_steal(&out);
	pxa_free(a);
	return g;
}

static void fz_free(struct fz_run *g)
{
	free(g->sent);
	free(g->received);
	free(g->out);
}

/* fuzz_proxy - one input against one protocol of the group */
static int fuzz_proxy(const uint8_t *d, size_t size, const enum proxy_proto *protos, size_t nprotos)
{
	struct proxy_canary c = {.port = 25};
	struct fz_run chunked, bytes;
	enum proxy_proto p;
	size_t n;
	char *in;
	int timeout;

	if (size < 2)
		return 0;
	p = protos[(d[0] & 0x0f) % nprotos];
	timeout = (d[0] & 0x20) != 0;
	snprintf(c.addr, sizeof(c.addr), "%s", (d[0] & 0x10) ? "2001:db8::25" : "192.0.2.25");
	if (!proxy_proto_applies(p, &c))
		snprintf(c.addr, sizeof(c.addr), "192.0.2.25");
	in = fz_expand(d + 2, size - 2, &n);
	chunked = fz_one(p, &c, in, n, d[1] | 0x100u, timeout);
	bytes = fz_one(p, &c, in, n, 0, timeout);
	CHECK(chunked.outcome == bytes.outcome && chunked.status == bytes.status);
	CHECK(strcmp(chunked.reason, bytes.reason) == 0);
	CHECK(strcmp(chunked.software, bytes.software) == 0);
	CHECK(strcmp(chunked.sent, bytes.sent) == 0);
	CHECK(strcmp(chunked.received, bytes.received) == 0);
	CHECK(chunked.outlen == bytes.outlen && memcmp(chunked.out, bytes.out, bytes.outlen) == 0);
	fz_free(&chunked);
	fz_free(&bytes);
	free(in);
	return 0;
}

#endif
