/*
 * proxy.h - open-proxy handshakes as pure state machines (sans-I/O)
 *
 * One attempt (struct pxa) = one protocol against one proxy over one
 * connection: it builds the request that asks the proxy to reach the
 * canary target - the operator's own sink, and never any other address -
 * reads the proxy's answer byte-chunk by byte-chunk (any split), talks to
 * the canary through the tunnel, and decides an outcome with its evidence.
 * No sockets, no clock: the I/O layer (src/net/pxprobe) connects, writes
 * what the attempt appends to `out`, feeds what it reads, and calls
 * pxa_eof()/pxa_timeout(); time is passed in.
 *
 * The protocols are rows of a table (proxy.c): name, default ports, and
 * the pair of functions that build the request and read the answer.
 *
 * Proof: the sink answers every connection with a nonce (src/proxy/nonce).
 * Tunnels (CONNECT, SOCKS, telnet): the canary's "220 ... <nonce>" banner
 * comes through the tunnel; the attempt then sends "HELO <probe id>" and
 * the canary's "250 ... <nonce bound to the id>" comes back. HTTP GET and
 * POST ask for http://canary/rwp/<probe id> and the canary answers a body
 * that carries a nonce bound to the id. open = a valid nonce came back
 * (bound to this attempt's id, or a banner nonce written after the attempt
 * began).
 */
#ifndef RW_PROXY_H
#define RW_PROXY_H

#include <stddef.h>

#include "../core/dbuf.h"
#include "../smtp/token.h"
#include "nonce.h"

enum proxy_proto {
	PX_HTTP_CONNECT, /* CONNECT canary:port HTTP/1.1 */
	PX_SOCKS5,       /* RFC 1928; methods offered: none (0x00) and user/pass (0x02) */
	PX_SOCKS4,       /* SOCKS4 CONNECT to an IPv4 literal */
	PX_SOCKS4A,      /* SOCKS4a: 0.0.0.x and the canary as a name (its address text) */
	PX_HTTP_POST,    /* POST http://canary:port/rwp/<id>, SMTP commands as the body */
	PX_HTTP_GET,     /* GET http://canary:port/rwp/<id> (absolute URI) */
	PX_TELNET,       /* WinGate/router telnet prompt: "WinGate>" or "xxx>" */
	PX__COUNT
};

/* the one place a proxy is ever asked to connect to */
struct proxy_canary {
	char addr[64]; /* IPv4 or IPv6 address, text (no brackets) */
	unsigned port;
};

/* an attempt's outcome; the target's verdict is the best of its attempts */
enum px_outcome {
	PXO_OPEN,        /* a valid nonce came back through the proxy */
	PXO_SUSPECT,     /* it claimed success (2xx, SOCKS granted, telnet connected)
	                    but no valid nonce came back (captive portal, honeypot) */
	PXO_CLOSED,      /* refused: 403, 5xx of the proxy, SOCKS rejected, closed
	                    right after the request */
	PXO_AUTH,        /* 407, SOCKS5 chose user/pass, telnet login prompt */
	PXO_NOT_PROXY,   /* answered, but not this protocol (web server, garbage) */
	PXO_UNREACHABLE, /* connect failed or refused (set by the I/O layer) */
	PXO_ERROR,       /* timed out mid-handshake, answer past the limits */
	PXO__COUNT
};

/* what an attempt found; strings borrowed from the attempt until pxa_free */
struct pxa_report {
	enum proxy_proto proto;
	enum px_outcome outcome; /* valid once pxa_decided() */
	char reason[256];        /* one line, for people */
	int status;              /* HTTP status, SOCKS reply code, -1 none */
	char software[64];       /* Server:/Via:/Proxy-Agent: value, "" unknown */
	const char *probe_id;    /* this attempt's id */
	const char *sent;        /* bytes sent, printable (C escapes), capped */
	const char *received;    /* bytes received, printable (C escapes), capped */
	int has_nonce;           /* nonce below is the valid one that proved it */
	char nonce[NONCE_MAX];
	struct nonce_fields canary; /* its fields: canary.peer = the proxy's egress address */
};

/* ---- the table ------------------------------------------------------- */

const char *proxy_proto_name(enum proxy_proto p); /* "http-connect"...; "?" */
int proxy_proto_by_name(const char *name);        /* enum value, or -1 */
/* proxy_proto_ports - default ports, 0-terminated, static */
const unsigned short *proxy_proto_ports(enum proxy_proto p);
/* proxy_default_ports - the union of every protocol's default ports,
 * ascending, at most max; returns the count */
size_t proxy_default_ports(unsigned short *out, size_t max);
/* proxy_proto_applies - the protocol can name this canary (SOCKS4: IPv4 only) */
int proxy_proto_applies(enum proxy_proto p, const struct proxy_canary *c);
const char *px_outcome_name(enum px_outcome o); /* "open", "suspect", "closed",
                                                   "auth-required", "not-proxy",
                                                   "unreachable", "error" */

/* ---- one attempt ------------------------------------------------------ */

struct pxa;

/* pxa_new - an attempt of protocol p towards canary c; key verifies the
 * canary's nonces; now_s is the attempt's start (a banner nonce older than
 * it, minus a few seconds, proves nothing). c and key are borrowed. */
struct pxa *pxa_new(enum proxy_proto p, const struct proxy_canary *c, const struct token_key *key,
                    long long now_s);
struct pxa *pxa_free(struct pxa *a); /* NULL ok; returns NULL */
/* pxa_set_probe_id - use id (nonce_id_valid) instead of the random one;
 * before pxa_start only (tests, replays); 0, or -1 when refused */
int pxa_set_probe_id(struct pxa *a, const char *id);

/* pxa_start - the connection is up: append the first bytes to send to out
 * (none for telnet, which waits for a prompt) */
void pxa_start(struct pxa *a, struct dbuf *out);
/* pxa_feed - len bytes read from the proxy (any split, any bytes): may
 * append bytes to send to out; returns 1 once the attempt is decided
 * (the caller closes), else 0 */
int pxa_feed(struct pxa *a, const void *buf, size_t len, struct dbuf *out, long long now_s);
/* pxa_pause - what was read is all fed and no more is buffered: an
 * attempt whose bytes already prove another protocol decides now;
 * returns 1 when decided */
int pxa_pause(struct pxa *a);
/* pxa_eof - the proxy closed (or reset) the connection: decides */
void pxa_eof(struct pxa *a, long long now_s);
/* pxa_timeout - the attempt's deadline passed: decides */
void pxa_timeout(struct pxa *a, long long now_s);
/* pxa_unreachable - the connection could not be made: decides
 * PXO_UNREACHABLE with why in the reason */
void pxa_unreachable(struct pxa *a, const char *why);
int pxa_decided(const struct pxa *a);
/* pxa_answered - some bytes came from the proxy */
int pxa_answered(const struct pxa *a);
const struct pxa_report *pxa_report(const struct pxa *a); /* borrowed */

#endif
