/*
 * web.h - the desk's console: an HTTP server on the caller's event loop
 *
 * The JSON API (/api/v1/), its OpenAPI document and /metrics, served by
 * libevent's evhttp on an event_base the caller owns (the daemon's loop,
 * or `relaywatch web`'s own). Plain HTTP, or TLS when a certificate and
 * key are configured. doc/web.md describes the endpoints.
 */
#ifndef RW_WEB_H
#define RW_WEB_H

#include <stddef.h>

struct event_base;
struct store;
struct web_auth;
struct desk;
struct token_key;
struct deskclock;

struct web_conf {
	const char *listen;   /* "ADDR:PORT[,ADDR:PORT...]", [v6]:PORT; NULL: default */
	const char *tls_cert; /* PEM chain file; NULL: plain HTTP */
	const char *tls_key;  /* PEM key file; with tls_cert */
	struct desk *desk;    /* the desk the forms act through (borrowed); NULL: read only */
	const struct token_key *owner_key; /* signs owner links (borrowed); NULL: no owner pages */
	const struct deskclock *clock;     /* the desk's time for the forms' commands (copied;
	                                      its arg must outlive the server); NULL: system */
};

struct web_server;

/* web_server_new - bind every listener on base and serve st (read only)
 * with auth deciding who asks; st, auth and base are borrowed and must
 * outlive the server. NULL with the reason in err (bad listen list,
 * bind failure, unreadable certificate or key). */
struct web_server *web_server_new(struct event_base *base, struct store *st, struct web_auth *auth,
                                  const struct web_conf *c, char *err, size_t errlen);
/* web_server_free - close the listeners and every connection; NULL ok,
 * returns NULL */
struct web_server *web_server_free(struct web_server *w);
/* web_server_set_desk - the desk the forms act through from now on (a
 * reload replaced it); w may be NULL */
void web_server_set_desk(struct web_server *w, struct desk *d);
/* web_server_port - the port of the first listener (useful after :0) */
unsigned web_server_port(const struct web_server *w);

#endif
