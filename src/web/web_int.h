/*
 * web_int.h - what the console's files share: a request being answered,
 * the routing table, the reply helpers
 */
#ifndef RW_WEB_INT_H
#define RW_WEB_INT_H

#include "auth.h"

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdint.h>

struct store;
struct web_server;

/* One request while its handler runs (stack-owned by the dispatcher). */
struct web_req {
	struct evhttp_request *req;
	struct web_server *w;
	struct store *st;       /* borrowed from the server */
	const char *path;       /* decoded path, no query */
	const char *rest;       /* path after the route's prefix ("" or "/...") */
	struct evkeyvalq query; /* decoded query parameters */
	struct evkeyvalq form;  /* a POSTed form's fields (x-www-form-urlencoded) */
	struct web_who who;     /* role NONE for anonymous callers */
	char client[64];        /* peer address text */
	int loopback;           /* the peer is 127/8 or ::1 */
	int status;             /* set by the reply helpers */
	size_t bytes;
};

typedef void web_handler_fn(struct web_req *r);

#define ROUTE_EXACT    0x1 /* the path is the prefix exactly */
#define ROUTE_LOOPBACK 0x2 /* role NONE is enough from a loopback peer */
#define ROUTE_PAGE     0x4 /* an HTML page: no session -> 303 /login, 403 as a page */
#define ROUTE_CSRF     0x8 /* a form: a POST must carry the session's CSRF token */

/* One row of the routing table: the first row whose method and prefix
 * (whole path segments) match handles the request. */
struct web_route {
	unsigned methods; /* EVHTTP_REQ_GET | ... */
	const char *prefix;
	unsigned flags;
	enum web_role min_role;
	web_handler_fn *fn;
	const char *name; /* for the log */
};

/* web_route_find - the route of (method, path) or NULL (route.c) */
const struct web_route *web_route_find(unsigned method, const char *path);

/* handlers (api.c, metrics.c, openapi.c) */
web_handler_fn api_scans, api_incidents, api_hosts, api_blocks, api_dnsbl, api_not_found;
web_handler_fn metrics_get, openapi_get;

/* pages (page_*.c, assets.c) */
web_handler_fn page_login, page_login_post, page_logout, page_overview, page_scans, page_hosts,
    page_incidents, page_incident_post, page_blocks, page_dnsbl, page_owner, page_owner_post,
    assets_css;

struct desk;
struct token_key;
struct login_limit;
/* what the pages need of the server (server.c); borrowed, NULL when the
 * command gave none: the desk (forms answer 503), the owner key (owner
 * pages 404) */
struct web_auth *web_server_auth(const struct web_server *w);
struct desk *web_server_desk(const struct web_server *w);
const struct token_key *web_server_owner_key(const struct web_server *w);
struct login_limit *web_server_owner_limit(const struct web_server *w);
/* web_server_now_ms - the time desk commands are stamped with (web_conf's clock) */
long long web_server_now_ms(const struct web_server *w);
int web_server_tls(const struct web_server *w);

/* web_cookie_value - cookie `name`'s value out of a Cookie header (NULL
 * ok) into buf of len bytes: 0, or -1 when absent or too long (server.c) */
int web_cookie_value(const char *h, const char *name, char *buf, size_t len);

/* web_reply_json - send o (consumed) with status; JSON, no-store */
void web_reply_json(struct web_req *r, int status, json_t *o);
/* web_reply_error - {"error": text, "status": N} */
void web_reply_error(struct web_req *r, int status, const char *text);
/* web_reply_text - a text/plain body (metrics: its own content type) */
void web_reply_text(struct web_req *r, int status, const char *ctype, const char *body, size_t len);
/* web_json_text - any bytes as a JSON string (high bytes of non-UTF-8
 * text written "\xNN"); NULL is JSON null */
json_t *web_json_text(const char *s);
/* web_server_requests - requests answered so far, by status class
 * (index 1..5 for 1xx..5xx) (server.c, for metrics) */
const uint64_t *web_server_requests(const struct web_server *w);

/* the OpenAPI document's paths, for the tests and the server's check */
extern const char web_openapi_doc[];

#endif
