/*
 * sink.h - the canary SMTP receiver (libevent)
 *
 * Accepts mail only for the canary domain, with a plain local part (no
 * %, !, @, quotes or routes), so the sink itself is never a relay and
 * tests `closed` for any other canary. Each message is searched for a
 * token; the token is verified (forged, expired and replayed tokens are
 * recorded as such) and the Received chain is kept.
 *
 * It is also the open-proxy canary (src/proxy/nonce.h): it waits
 * greet_wait_ms for the client to speak first, answers an HTTP request
 * (then or as a late "command") with "200" and a nonce bound to the
 * request's /rwp/<id> path, puts a nonce in its banner, and one bound to
 * the probe id of a HELO/EHLO that presents one.
 */
#ifndef RW_SINK_H
#define RW_SINK_H

#include <stddef.h>

#include "../smtp/arrival.h"
#include "../smtp/token.h"

struct event_base;

struct sink_config {
	const char *listen; /* "addr:port", "[v6]:port" */
	const char *canary; /* domain or "[literal]" it accepts */
	const char *myname; /* name in its banner and Received */
	const struct token_key *key;
	long long token_max_age; /* seconds */
	size_t msg_cap;          /* 0 = RW_SINK_MSG_MAX */
	int idle_timeout;        /* seconds; 0 = RW_SINK_IDLE_SEC */
	int greet_wait_ms;       /* wait for a first word before the banner;
	                            0 = banner at once (config sink_greet_wait,
	                            default RW_SINK_GREET_WAIT_MS) */
};

/* Called for every message accepted, valid token or not. The arrival is
 * borrowed for the call; copy it with arrival_copy() to keep it. */
typedef void (*sink_arrival_fn)(const struct arrival *a, void *arg);

struct sink;

/* sink_new - bind and listen; returns NULL with a message in err */
struct sink *sink_new(struct event_base *base, const struct sink_config *cfg, sink_arrival_fn fn,
                      void *arg, char *err, size_t errlen);
/* sink_free - close the listener and every connection; NULL ok */
struct sink *sink_free(struct sink *s);
/* sink_rcpt_ok - the sink would accept this RCPT path */
int sink_rcpt_ok(const char *path, const char *canary);
/* sink_stats - counters for logs and tests */
void sink_stats(const struct sink *s, unsigned long *conns, unsigned long *msgs,
                unsigned long *refused_rcpts);
/* sink_proxy_stats - proxy canary counters: HTTP requests answered 200,
 * HELO/EHLO answered with a bound nonce; NULL pointers skipped */
void sink_proxy_stats(const struct sink *s, unsigned long *http, unsigned long *helo);

#endif
