/*
 * pxprobe.h - test one address and port for open proxies (libevent)
 *
 * The I/O edge of the proxy attempts (src/proxy/proxy.h): one connection
 * per protocol, one after the other (a proxy sees at most one of our
 * connections at a time), each with its absolute deadline; the attempts
 * and the verdict land in a struct proxy_result (src/proxy/presult.h).
 */
#ifndef RW_PXPROBE_H
#define RW_PXPROBE_H

#include <sys/socket.h>

#include "../proxy/presult.h"

struct event_base;
struct pxprobe;

struct pxprobe_env {
	struct event_base *base;
	const struct sockaddr *source; /* NULL: any */
	socklen_t source_len;
	const struct proxy_canary *canary; /* the only place a proxy is asked to reach */
	const struct token_key *key;       /* verifies the canary's nonces */
	int connect_timeout_ms;
	int attempt_timeout_ms; /* each protocol, connect to decision */
	unsigned protos;        /* 1u << enum proxy_proto; 0: all */
};

/* called once when every attempt is over, from a deferred callback: the
 * pxprobe may be freed inside it; r is decided (presult_decide) */
typedef void (*pxprobe_done_fn)(struct pxprobe *p, void *arg);

/* pxprobe_start - test addr; env and r are borrowed and must outlive it */
struct pxprobe *pxprobe_start(const struct pxprobe_env *env, struct proxy_result *r,
                              const struct sockaddr *addr, socklen_t addrlen, pxprobe_done_fn done,
                              void *arg);
/* pxprobe_free - close what is open; r keeps the attempts made; NULL ok */
struct pxprobe *pxprobe_free(struct pxprobe *p);

/* pxprobe_protos_parse - "http-connect,socks5" or "all" into a mask;
 * NULL, or the unknown name (static text) */
const char *pxprobe_protos_parse(const char *list, unsigned *mask);

/* pxprobe_canary_parse - "addr:port" / "[v6]:port" into c; NULL or a
 * static error (a wildcard address is refused: a proxy must be told
 * where to go) */
const char *pxprobe_canary_parse(const char *s, struct proxy_canary *c);

#endif
