/*
 * probe.h - run one client session (src/smtp/sess) over a libevent socket
 *
 * The I/O edge of the prober: connect (optionally from a source address),
 * feed bytes to the reply parser, hand whole replies to the session, write
 * what it says, upgrade to TLS (bufferevent_openssl) when it says, enforce
 * its deadlines with absolute timers (a peer that drips bytes gains
 * nothing) and the whole-session budget.
 */
#ifndef RW_PROBE_H
#define RW_PROBE_H

#include <sys/socket.h>

struct event_base;
struct sess;
struct probe;
typedef struct ssl_ctx_st SSL_CTX;

struct probe_env {
	struct event_base *base;
	SSL_CTX *ssl_ctx;              /* client context, no verification */
	const struct sockaddr *source; /* NULL: any */
	socklen_t source_len;
	int session_timeout_ms;
	const char *sni; /* host name for SNI, or NULL */
};

/* Called once when the session is over, from a deferred callback: the
 * probe may be freed inside it. */
typedef void (*probe_done_fn)(struct probe *p, void *arg);

/* probe_start - connect to addr and run sess; env and sess are borrowed
 * and must outlive the probe */
struct probe *probe_start(const struct probe_env *env, struct sess *sess,
                          const struct sockaddr *addr, socklen_t addrlen, probe_done_fn done,
                          void *arg);
struct probe *probe_free(struct probe *p);

/* probe_socket - a non-blocking, close-on-exec TCP socket of family, bound
 * to source when its family matches (the proxy probes' too); the fd, or
 * -1 with why in d */
int probe_socket(int family, const struct sockaddr *source, socklen_t source_len, char *d,
                 size_t dlen);

/* probe_ssl_ctx - a client SSL_CTX for probing (any certificate) */
SSL_CTX *probe_ssl_ctx(void);

#endif
