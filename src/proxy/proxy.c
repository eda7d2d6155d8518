/*
 * NAME
 *	proxy - the open-proxy protocol table and the attempt machine
 * SUMMARY
 *	one attempt = one protocol against one proxy: request, answer, outcome
 * SYNOPSIS
 *	const char *proxy_proto_name(enum proxy_proto p);
 *	int proxy_proto_by_name(const char *name);
 *	const unsigned short *proxy_proto_ports(enum proxy_proto p);
 *	size_t proxy_default_ports(unsigned short *out, size_t max);
 *	int proxy_proto_applies(enum proxy_proto p, const struct proxy_canary *c);
 *	const char *px_outcome_name(enum px_outcome o);
 *	struct pxa *pxa_new(p, c, key, now_s); struct pxa *pxa_free(a);
 *	int pxa_set_probe_id(a, id); void pxa_start(a, out);
 *	int pxa_feed(a, buf, len, out, now_s); void pxa_eof(a, now_s);
 *	int pxa_pause(a);
 *	void pxa_timeout(a, now_s); void pxa_unreachable(a, why);
 *	int pxa_decided(a); int pxa_answered(a); const struct pxa_report *pxa_report(a);
 * DESCRIPTION
 *	The table (one row per protocol: name, probe id tag, default ports,
 *	request builder, byte reader, end judge) is the only place that knows
 *	which file speaks which protocol. pxa_new() copies the canary and
 *	draws a probe id; it panics on a canary the protocol cannot name
 *	(proxy_proto_applies() is the caller's check). pxa_set_probe_id()
 *	replaces the id before pxa_start() (tests, replays). pxa_feed() takes
 *	one byte at a time: it appends it to the received transcript and
 *	hands it to the phase's reader (handshake, tunnel, or the garbage
 *	collector that gathers a quote of a foreign answer), and stops at the
 *	byte that decides; later bytes and calls are ignored. Every byte sent
 *	goes through px_send(), so `sent` is exactly what the proxy was told.
 *	The nonce tracker follows runs of nonce characters in the answer
 *	(what nonce_find() would cut out) and judges each when it ends. The
 *	report and its strings are borrowed until pxa_free().
 * DIAGNOSTICS
 *	A peer's bytes never fail here: they become an outcome with a
 *	one-line reason. Caller bugs (an unusable canary, a start twice)
 *	call rw_panic().
 * LIMITS
 *	RW_PROXY_EVIDENCE_MAX bytes per transcript, "..." marking a cut;
 *	PX_QUOTE_MAX bytes of a foreign answer quoted; RW_PROXY_NONCE_AGE and
 *	RW_PROXY_NONCE_SLACK for the nonce's time.
 * STANDARDS
 *	RFC 9110 9.3.6 (CONNECT), RFC 1928/1929 (SOCKS5), SOCKS4 and SOCKS4a
 *	(Ying-Da Lee), RFC 854/855 (telnet): see http.c, socks.c, telnet.c.
 */
#include "proxy_int.h"
#include "../core/xalloc.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned short http_ports[] = {80, 3128, 6588, 8000, 8080, 8081, 8888, 0};
static const unsigned short socks_ports[] = {1080, 1081, 0};
static const unsigned short telnet_ports[] = {23, 0};

static const struct proxy_ops proto_ops[PX__COUNT] = {
    [PX_HTTP_CONNECT] = {.name = "http-connect",
                         .tag = "connect",
                         .ports = http_ports,
                         .start = http_start_connect,
                         .byte = http_byte,
                         .end = http_end,
                         .pause = http_pause},
    [PX_SOCKS5] = {.name = "socks5",
                   .tag = "socks5",
                   .ports = socks_ports,
                   .start = socks5_start,
                   .byte = socks_byte,
                   .end = socks_end},
    [PX_SOCKS4] = {.name = "socks4",
                   .tag = "socks4",
                   .ports = socks_ports,
                   .ipv4_only = 1,
                   .start = socks4_start,
                   .byte = socks_byte,
                   .end = socks_end},
    [PX_SOCKS4A] = {.name = "socks4a",
                    .tag = "socks4a",
                    .ports = socks_ports,
                    .start = socks4a_start,
                    .byte = socks_byte,
                    .end = socks_end},
    [PX_HTTP_POST] = {.name = "http-post",
                      .tag = "post",
                      .ports = http_ports,
                      .start = http_start_post,
                      .byte = http_byte,
                      .end = http_end,
                      .pause = http_pause},
    [PX_HTTP_GET] = {.name = "http-get",
                     .tag = "get",
                     .ports = http_ports,
                     .start = http_start_get,
                     .byte = http_byte,
                     .end = http_end,
                     .pause = http_pause},
    [PX_TELNET] = {.name = "telnet",
                   .tag = "telnet",
                   .ports = telnet_ports,
                   .waits = 1,
                   .start = telnet_start,
                   .byte = telnet_byte,
                   .end = telnet_end},
};

static const char *const outcome_names[PXO__COUNT] = {
    [PXO_OPEN] = "open",          [PXO_SUSPECT] = "suspect",     [PXO_CLOSED] = "closed",
    [PXO_AUTH] = "auth-required", [PXO_NOT_PROXY] = "not-proxy", [PXO_UNREACHABLE] = "unreachable",
    [PXO_ERROR] = "error",
};

/* ---- the table ---------------------------------------------------------- */

/* proxy_proto_name - the row's name, "?" out of range */
const char *proxy_proto_name(enum proxy_proto p)
{
	return (unsigned)p < PX__COUNT ? proto_ops[p].name : "?";
}

/* proxy_proto_by_name - the enum value of a name, or -1 */
int proxy_proto_by_name(const char *name)
{
	for (int i = 0; i < PX__COUNT; i++)
		if (strcmp(proto_ops[i].name, name) == 0)
			return i;
	return -1;
}

/* proxy_proto_ports - the row's default ports, 0-terminated */
const unsigned short *proxy_proto_ports(enum proxy_proto p)
{
	static const unsigned short none[] = {0};

	return (unsigned)p < PX__COUNT ? proto_ops[p].ports : none;
}

/* proxy_default_ports - the union of the rows' ports, ascending */
size_t proxy_default_ports(unsigned short *out, size_t max)
{
	size_t n = 0;
	unsigned last = 0;

	/* selection by "smallest above the last": the table is tiny */
	for (;;) {
		unsigned next = 65536;

		for (int i = 0; i < PX__COUNT; i++)
			for (const unsigned short *p = proto_ops[i].ports; *p; p++)
				if (*p > last && *p < next)
					next = *p;
		if (next == 65536 || n >= max)
			return n;
		out[n++] = (unsigned short)next;
		last = next;
	}
}

/* canary_ok - an address literal's characters, a port */
static int canary_ok(const struct proxy_canary *c)
{
	size_t n = strnlen(c->addr, sizeof(c->addr));
	unsigned char b[16];

	if (n == 0 || n >= sizeof(c->addr) || c->port == 0 || c->port > 65535)
		return 0;
	return inet_pton(AF_INET, c->addr, b) == 1 || inet_pton(AF_INET6, c->addr, b) == 1;
}

/* proxy_proto_applies - p can name c (SOCKS4: an IPv4 address only) */
int proxy_proto_applies(enum proxy_proto p, const struct proxy_canary *c)
{
	unsigned char b[4];

	if ((unsigned)p >= PX__COUNT || !canary_ok(c))
		return 0;
	return !proto_ops[p].ipv4_only || inet_pton(AF_INET, c->addr, b) == 1;
}

/* px_outcome_name - "open" ... "error", "?" out of range */
const char *px_outcome_name(enum px_outcome o)
{
	return (unsigned)o < PXO__COUNT ? outcome_names[o] : "?";
}

/* ---- transcripts and quotes ---------------------------------------------- */

/* escape - one byte in C notation; returns its length in e (<= 4) */
static size_t escape(unsigned char c, char e[5])
{
	switch (c) {
	case '\r':
		return (size_t)snprintf(e, 5, "\\r");
	case '\n':
		return (size_t)snprintf(e, 5, "\\n");
	case '\t':
		return (size_t)snprintf(e, 5, "\\t");
	case '\\':
		return (size_t)snprintf(e, 5, "\\\\");
	case '"':
		return (size_t)snprintf(e, 5, "\\\"");
	}
	if (c >= 0x20 && c < 0x7f) {
		e[0] = (char)c;
		e[1] = '\0';
		return 1;
	}
	return (size_t)snprintf(e, 5, "\\x%02x", c);
}

/* transcript - append p escaped; past the cap, a "..." and nothing more */
static void transcript(struct dbuf *t, const void *p, size_t n)
{
	const unsigned char *b = p;
	char e[5];

	for (size_t i = 0; i < n; i++) {
		size_t el = escape(b[i], e);

		if (t->len + el > RW_PROXY_EVIDENCE_MAX - 3) {
			if (t->len + 3 <= RW_PROXY_EVIDENCE_MAX && !t->dropped) {
				dbuf_adds(t, "...");
				t->dropped = 1; /* the cut mark is written once */
			}
			return;
		}
		dbuf_add(t, e, el);
	}
}

/* px_quote - p escaped into dst, cut with "..." to fit */
void px_quote(char *dst, size_t dstlen, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t k = 0;
	char e[5];

	if (dstlen == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		size_t el = escape(b[i], e);

		if (k + el + 4 > dstlen) {
			if (k + 4 <= dstlen)
				memcpy(dst + k, "...", 3), k += 3;
			break;
		}
		memcpy(dst + k, e, el);
		k += el;
	}
	dst[k] = '\0';
}

/* px_quote_first - the first bytes of the answer, escaped */
void px_quote_first(const struct pxa *a, char *dst, size_t dstlen)
{
	size_t n = a->nrecv < PX_QUOTE_MAX ? a->nrecv : PX_QUOTE_MAX;

	px_quote(dst, dstlen, a->first, n);
	if (a->nrecv > PX_QUOTE_MAX && strlen(dst) + 4 <= dstlen &&
	    (strlen(dst) < 3 || strcmp(dst + strlen(dst) - 3, "...") != 0))
		strcat(dst, "...");
}

/* ---- services to the readers ---------------------------------------------- */

/* px_send - bytes for the proxy, and the same bytes in `sent` */
void px_send(struct pxa *a, struct dbuf *out, const void *p, size_t n)
{
	dbuf_add(out, p, n);
	transcript(&a->sent, p, n);
	a->rep.sent = dbuf_str(&a->sent);
}

/* px_sendf - formatted px_send */
void px_sendf(struct pxa *a, struct dbuf *out, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	px_send(a, out, s, strlen(s));
	free(s);
}

/* px_decide - the outcome and its one-line reason; the first decision stands */
void px_decide(struct pxa *a, enum px_outcome o, const char *fmt, ...)
{
	va_list ap;

	if (a->decided)
		return;
	a->decided = 1;
	a->rep.outcome = o;
	va_start(ap, fmt);
	vsnprintf(a->rep.reason, sizeof(a->rep.reason), fmt, ap);
	va_end(ap);
	for (char *p = a->rep.reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (o != PXO_OPEN) {
		a->rep.has_nonce = 0;
		a->rep.nonce[0] = '\0';
		memset(&a->rep.canary, 0, sizeof(a->rep.canary));
	}
}

/* px_decide_open - an accepted nonce decides; how says where it came */
void px_decide_open(struct pxa *a, const char *how)
{
	px_decide(a, PXO_OPEN, "%s (nonce %s; the canary saw %s)", how,
	          a->accepted == 2 ? "bound to this probe" : "of the canary's banner",
	          a->rep.canary.peer);
}

/* px_garbage - not this protocol: gather a quote, then NOT_PROXY */
void px_garbage(struct pxa *a, const char *why)
{
	a->phase = PH_GARBAGE;
	a->garbage_why = why;
	if (a->nrecv > PX_QUOTE_MAX) {
		char q[4 * PX_QUOTE_MAX + 8];

		px_quote_first(a, q, sizeof(q));
		px_decide(a, PXO_NOT_PROXY, "%s: \"%s\"", why, q);
	}
}

/* garbage_end - decide with the quote gathered so far (one byte past it
 * tells the quote it was cut) */
static void garbage_end(struct pxa *a)
{
	char q[4 * PX_QUOTE_MAX + 8];

	px_quote_first(a, q, sizeof(q));
	px_decide(a, PXO_NOT_PROXY, "%s: \"%s\"", a->garbage_why, q);
}

/* px_tunnel_begin - the proxy says it is connected: what follows is the canary's */
void px_tunnel_begin(struct pxa *a, int telnet)
{
	a->tunneled = 1;
	tunnel_init(a, telnet);
	if (!telnet)
		a->phase = PH_TUNNEL; /* telnet keeps reading IAC framing itself */
}

/* px_ipv6 - the canary is an IPv6 address */
int px_ipv6(const struct pxa *a)
{
	return strchr(a->c.addr, ':') != NULL;
}

/* px_hostport - "A:P", "[A]:P" for IPv6 */
void px_hostport(const struct pxa *a, char *buf, size_t len)
{
	snprintf(buf, len, px_ipv6(a) ? "[%s]:%u" : "%s:%u", a->c.addr, a->c.port);
}

/* ---- the nonce tracker ------------------------------------------------------ */

static int is_noncechar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '.';
}

/* reject - remember why a nonce proved nothing; "malformed" yields to the rest */
static void reject(struct pxa *a, const char *why)
{
	if (!a->rejected || strcmp(a->rejected, "malformed") == 0)
		a->rejected = why;
}

/* judge_nonce - one candidate: 2 bound to our id, 1 a fresh banner nonce, 0 no */
static int judge_nonce(struct pxa *a, char *s, long long now)
{
	struct nonce_fields f;
	enum token_status st = nonce_verify(a->key, s, now, RW_PROXY_NONCE_AGE, &f);
	size_t n = strlen(s);
	int lvl;

	/* a sentence may end right after it: "... rwp1-...-mac." */
	if (st == TOKEN_MALFORMED && n > 0 && (s[n - 1] == '.' || s[n - 1] == '-')) {
		while (n > 0 && (s[n - 1] == '.' || s[n - 1] == '-'))
			s[--n] = '\0';
		st = nonce_verify(a->key, s, now, RW_PROXY_NONCE_AGE, &f);
	}
	if (st != TOKEN_VALID) {
		reject(a, st == TOKEN_FORGED    ? "forged"
		          : st == TOKEN_EXPIRED ? "expired"
		                                : "malformed");
		return 0;
	}
	if (strcmp(f.bind, a->id) == 0) {
		lvl = 2;
	} else if (strcmp(f.bind, "0") == 0 && f.time >= a->start_s - RW_PROXY_NONCE_SLACK) {
		lvl = 1;
	} else {
		reject(a, strcmp(f.bind, "0") == 0 ? "older than the attempt"
		                                   : "bound to another probe");
		return 0;
	}
	if (lvl > a->accepted) {
		a->accepted = lvl;
		a->rep.has_nonce = 1;
		snprintf(a->rep.nonce, sizeof(a->rep.nonce), "%s", s);
		a->rep.canary = f;
	}
	return lvl;
}

/* px_nonce_byte - follow the answer; judge a run of nonce characters when it ends */
int px_nonce_byte(struct pxa *a, unsigned char c, long long now)
{
	if (!is_noncechar(c))
		return px_nonce_flush(a, now);
	if (a->run.len < sizeof(a->run.s) - 1)
		a->run.s[a->run.len++] = (char)c;
	else
		a->run.over = 1;
	return 0;
}

/* px_nonce_flush - the run ends here (a separator, or the end of the answer) */
int px_nonce_flush(struct pxa *a, long long now)
{
	int lvl = 0;

	if (!a->run.over && a->run.len >= 5 && memcmp(a->run.s, "rwp1-", 5) == 0) {
		a->run.s[a->run.len] = '\0';
		lvl = judge_nonce(a, a->run.s, now);
	} else if (a->run.over && memcmp(a->run.s, "rwp1-", 5) == 0) {
		reject(a, "malformed");
	}
	a->run.len = 0;
	a->run.over = 0;
	return lvl;
}

/* ---- one attempt -------------------------------------------------------- */

/* pxa_new - an attempt of p towards c; c is copied, key borrowed */
struct pxa *pxa_new(enum proxy_proto p, const struct proxy_canary *c, const struct token_key *key,
                    long long now_s)
{
	struct pxa *a;

	if (!proxy_proto_applies(p, c))
		rw_panic("%s: %s cannot name the canary %.64s port %u", __func__,
		         proxy_proto_name(p), c->addr, c->port);
	a = xcalloc(1, sizeof(*a));
	a->ops = &proto_ops[p];
	a->c = *c;
	a->key = key;
	a->start_s = now_s;
	nonce_probe_id(a->ops->tag, a->id);
	dbuf_init(&a->sent, RW_PROXY_EVIDENCE_MAX);
	dbuf_init(&a->recv, RW_PROXY_EVIDENCE_MAX);
	a->rep.proto = p;
	a->rep.outcome = PXO_ERROR;
	a->rep.status = -1;
	a->rep.probe_id = a->id;
	a->rep.sent = dbuf_str(&a->sent);
	a->rep.received = dbuf_str(&a->recv);
	a->phase = PH_HANDSHAKE;
	return a;
}

/* pxa_free - release the attempt; NULL ok */
struct pxa *pxa_free(struct pxa *a)
{
	if (a) {
		tunnel_free(a);
		dbuf_free(&a->sent);
		dbuf_free(&a->recv);
		free(a);
	}
	return NULL;
}

/* pxa_set_probe_id - a chosen id instead of the random one, before pxa_start */
int pxa_set_probe_id(struct pxa *a, const char *id)
{
	if (a->started || !nonce_id_valid(id))
		return -1;
	snprintf(a->id, sizeof(a->id), "%s", id);
	return 0;
}

/* pxa_start - the connection is up: the request */
void pxa_start(struct pxa *a, struct dbuf *out)
{
	if (a->started)
		rw_panic("%s: started twice", __func__);
	a->started = 1;
	if (!a->decided)
		a->ops->start(a, out);
}

/* pxa_feed - bytes from the proxy, one at a time through the phase's reader */
int pxa_feed(struct pxa *a, const void *buf, size_t len, struct dbuf *out, long long now_s)
{
	const unsigned char *p = buf;

	if (!a->started)
		rw_panic("%s: fed before pxa_start", __func__);
	for (size_t i = 0; i < len && !a->decided; i++) {
		unsigned char c = p[i];

		if (a->nrecv < PX_QUOTE_MAX)
			a->first[a->nrecv] = c;
		a->nrecv++;
		transcript(&a->recv, &c, 1);
		a->rep.received = dbuf_str(&a->recv);
		switch (a->phase) {
		case PH_HANDSHAKE:
			a->ops->byte(a, c, out, now_s);
			break;
		case PH_TUNNEL:
			tunnel_byte(a, c, out, now_s);
			break;
		case PH_GARBAGE:
			if (a->nrecv > PX_QUOTE_MAX)
				garbage_end(a);
			break;
		}
	}
	return a->decided;
}

/* pxa_pause - everything read so far is fed and the peer is quiet: bytes
 * that already proved another protocol decide now (a prompt or an HTTP
 * server reading SOCKS bytes as a request line would otherwise hold the
 * attempt until its deadline just to fill the quote) */
int pxa_pause(struct pxa *a)
{
	if (!a->decided && a->phase == PH_GARBAGE)
		garbage_end(a);
	else if (!a->decided && a->phase == PH_HANDSHAKE && a->ops->pause)
		a->ops->pause(a);
	return a->decided;
}

/* finish - EOF or timeout: whoever reads decides */
static void finish(struct pxa *a, enum px_end e, long long now_s)
{
	if (a->decided)
		return;
	if (a->phase == PH_GARBAGE) {
		garbage_end(a);
	} else if (a->tunneled) {
		tunnel_end(a, e, now_s);
	} else if (a->nrecv == 0 && e == PXE_EOF) {
		px_decide(a, PXO_CLOSED,
		          a->ops->waits ? "closed the connection before a prompt"
		                        : "closed the connection at the request");
	} else if (a->nrecv == 0) {
		/* a silent port is not a proxy */
		px_decide(a, PXO_NOT_PROXY,
		          a->ops->waits ? "no prompt" : "no answer to the request");
	} else {
		a->ops->end(a, e, now_s);
	}
	if (!a->decided)
		rw_panic("%s: %s left the attempt undecided", __func__, a->ops->name);
}

/* pxa_eof - the proxy closed the connection */
void pxa_eof(struct pxa *a, long long now_s)
{
	finish(a, PXE_EOF, now_s);
}

/* pxa_timeout - the deadline passed */
void pxa_timeout(struct pxa *a, long long now_s)
{
	finish(a, PXE_TIMEOUT, now_s);
}

/* pxa_unreachable - no connection: the I/O layer says why */
void pxa_unreachable(struct pxa *a, const char *why)
{
	px_decide(a, PXO_UNREACHABLE, "%s", why && *why ? why : "unreachable");
}

int pxa_decided(const struct pxa *a)
{
	return a->decided;
}

int pxa_answered(const struct pxa *a)
{
	return a->nrecv > 0;
}

/* pxa_report - borrowed until pxa_free */
const struct pxa_report *pxa_report(const struct pxa *a)
{
	return &a->rep;
}
