/*
 * submit_io.h - run one smarthost session (src/desk/submit) over libevent
 *
 * Connect, feed bytes to the reply parser, hand whole replies to the
 * session, write what it says, upgrade to TLS (bufferevent_openssl) with
 * certificate verification, and enforce a deadline per reply (absolute
 * timers: a server dripping bytes gains nothing) and for the session.
 */
#ifndef RW_SUBMIT_IO_H
#define RW_SUBMIT_IO_H

#include <sys/socket.h>

#include "../desk/submit.h"

struct event_base;
struct submit_io;
typedef struct ssl_ctx_st SSL_CTX;

struct submit_io_env {
	struct event_base *base;
	SSL_CTX *ssl_ctx;       /* submit_io_ssl_ctx(); NULL: any TLS step fails */
	const char *tls_name;   /* SNI, and the DNS name or IP literal the
				   certificate must match; NULL: no name check */
	int session_timeout_ms; /* the whole session */
};

/* Called once when the session is over, from a deferred event: the io (and
 * the session) may be freed inside it. */
typedef void (*submit_io_done_fn)(struct submit_io *io, struct submit *s, void *arg);

/* submit_io_start - connect to addr and run s; env and s are borrowed and
 * must outlive the io. Returns an owned io (free it after done). */
struct submit_io *submit_io_start(const struct submit_io_env *env, struct submit *s,
				  const struct sockaddr *addr, socklen_t addrlen,
				  submit_io_done_fn done, void *arg);
/* submit_io_free - close the connection and timers (not the session); NULL ok */
struct submit_io *submit_io_free(struct submit_io *io);

/* submit_io_send - start s on env->base, run the loop until it is over
 * (other events on the base run too), return the outcome (details in
 * submit_result(s)). For commands and tests; the daemon uses start. */
enum submit_outcome submit_io_send(const struct submit_io_env *env, struct submit *s,
				   const struct sockaddr *addr, socklen_t addrlen);

/* submit_io_ssl_ctx - an owned client context (SSL_CTX_free): TLS 1.2 or
 * later; verify != 0 checks the chain against ca_file (PEM), or the system
 * store when ca_file is NULL. NULL with the reason in err. */
SSL_CTX *submit_io_ssl_ctx(const char *ca_file, int verify, char *err, size_t errlen);

#endif
