/*
 * NAME
 *	server - the console's HTTP server: listeners, TLS, limits, dispatch
 * SUMMARY
 *	evhttp on the caller's event_base; every request through one table
 * SYNOPSIS
 *	struct web_server *web_server_new(struct event_base *base, struct store *st,
 *	    struct web_auth *auth, const struct web_conf *c, char *err, size_t errlen);
 *	struct web_server *web_server_free(struct web_server *w);
 *	unsigned web_server_port(const struct web_server *w);
 *	void web_reply_json(struct web_req *r, int status, json_t *o);
 *	void web_reply_error(struct web_req *r, int status, const char *text);
 *	void web_reply_text(struct web_req *r, int status, const char *ctype,
 *	    const char *body, size_t len);
 *	json_t *web_json_text(const char *s);
 *	int web_cookie_value(const char *h, const char *name, char *buf, size_t len);
 * DESCRIPTION
 *	web_server_new() binds each ADDR:PORT of c->listen (default
 *	RW_WEB_LISTEN_DEFAULT, loopback) and, with c->tls_cert and
 *	c->tls_key, wraps every connection in TLS (bufferevent_openssl via
 *	evhttp_set_bevcb; TLS 1.2 or later). Each request is decoded (path,
 *	query), matched against the routing table (route.c), its caller
 *	identified (an "Authorization: Bearer" token, else the "rw_session"
 *	cookie, through auth.h) and checked against the route's role, then
 *	handed to the route's handler. An invalid token is refused even where
 *	none is needed. Every reply is logged on one line:
 *	`web client=A method=M path=P route=R status=N bytes=N user=U ms=N`
 *	(the path as received, bytes outside printable ASCII as %XX).
 *	The reply helpers set nosniff and no-store on every reply; JSON is
 *	built with jansson, so peer-supplied text is always escaped.
 *	For the pages: a POST to a row made for POSTs has its
 *	x-www-form-urlencoded body parsed into r->form; a ROUTE_PAGE row
 *	answers a caller without a session 303 to /login and one whose role
 *	is too low a 403 page; a ROUTE_CSRF row refuses (403) a POST whose
 *	"csrf" field is not the session's token. web_cookie_value() reads
 *	one cookie out of a Cookie header.
 * DIAGNOSTICS
 *	web_server_new: NULL and err. Requests: 400 bad path or query, 401
 *	(JSON, WWW-Authenticate: Bearer) no or bad credentials, 403 role too
 *	low, 404, 405; evhttp itself answers oversized requests (413 or a
 *	closed connection) and drops slow ones.
 * LIMITS
 *	RW_WEB_HEADERS_MAX, RW_WEB_BODY_MAX, RW_WEB_TIMEOUT_SEC,
 *	RW_WEB_LISTEN_MAX listeners, RW_WEB_LOG_PATH_MAX bytes of path logged.
 * STANDARDS
 *	RFC 9110 (HTTP semantics), RFC 6750 (Bearer tokens), RFC 6265
 *	(cookies), RFC 8259 (JSON).
 */
#include "../core/jsonx.h"
#include "web.h"
#include "web_int.h"
#include "html.h"
#include "ratelimit_login.h"

#include "../core/limits.h"
#include "../core/log.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"
#include "../desk/deskclock.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct web_server {
	struct event_base *base;
	struct evhttp *http;
	struct store *st;
	struct web_auth *auth;
	SSL_CTX *ssl;
	struct desk *desk;                 /* borrowed; NULL: no forms */
	const struct token_key *owner_key; /* borrowed; NULL: no owner pages */
	struct login_limit *owner_limit;   /* owners' retest requests, per incident */
	struct deskclock clock;            /* the desk's time (the daemon's test clock) */
	unsigned port;                     /* first listener's */
	uint64_t requests[6];              /* answered, by status class */
};

/* method names for the log */
static const struct {
	unsigned m;
	const char *name;
} methods[] = {
    {EVHTTP_REQ_GET, "GET"},     {EVHTTP_REQ_HEAD, "HEAD"},     {EVHTTP_REQ_POST, "POST"},
    {EVHTTP_REQ_PUT, "PUT"},     {EVHTTP_REQ_DELETE, "DELETE"}, {EVHTTP_REQ_OPTIONS, "OPTIONS"},
    {EVHTTP_REQ_PATCH, "PATCH"},
};

/* method_name - the request's method as text */
static const char *method_name(unsigned m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].m == m)
			return methods[i].name;
	return "OTHER";
}

/* web_json_text - any bytes as a JSON string */
json_t *web_json_text(const char *s)
{
	return jsonx_text(s);
}

/* common_headers - what every reply carries */
static void common_headers(struct evhttp_request *req, const char *ctype)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
}

/* web_reply_text - send a body of ctype */
void web_reply_text(struct web_req *r, int status, const char *ctype, const char *body, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		rw_panic("%s: evbuffer_new failed (out of memory)", __func__);
	common_headers(r->req, ctype);
	evbuffer_add(b, body, len);
	r->status = status;
	r->bytes = len;
	evhttp_send_reply(r->req, status, NULL, b);
	evbuffer_free(b);
}

/* web_reply_json - send o (consumed) as compact JSON and a newline */
void web_reply_json(struct web_req *r, int status, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t n;

	json_decref(o);
	if (text == NULL)
		rw_panic("%s: json_dumps failed (out of memory)", __func__);
	n = strlen(text);
	text = xrealloc(text, n + 2);
	text[n++] = '\n';
	text[n] = '\0';
	web_reply_text(r, status, "application/json; charset=utf-8", text, n);
	free(text);
}

/* web_reply_error - {"error": text, "status": N} */
void web_reply_error(struct web_req *r, int status, const char *text)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", web_json_text(text));
	json_object_set_new(o, "status", json_integer(status));
	web_reply_json(r, status, o);
}

/* loopback - is sa 127.0.0.0/8, ::1 or ::ffff:127.x */
static int loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/* web_cookie_value - the value of cookie `name` in a Cookie header into buf; 0 or -1 */
int web_cookie_value(const char *h, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);

	while (h && *h) {
		h += strspn(h, " \t;");
		if (strncmp(h, name, nl) == 0 && h[nl] == '=') {
			size_t vl = strcspn(h + nl + 1, ";");

			if (vl >= len)
				return -1;
			memcpy(buf, h + nl + 1, vl);
			buf[vl] = '\0';
			return 0;
		}
		h = strchr(h, ';');
	}
	return -1;
}

/* identify - who the caller is: 0 (maybe anonymous), -1 bad credentials */
static int identify(struct web_server *w, struct web_req *r)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(r->req);
	const char *a = evhttp_find_header(h, "Authorization");
	char sid[WEB_ID_HEX + 2];
	long long now = (long long)time(NULL);

	memset(&r->who, 0, sizeof(r->who));
	r->who.role = WEB_ROLE_NONE;
	if (a != NULL) {
		if (strncasecmp(a, "Bearer ", 7) != 0)
			return -1;
		a += 7;
		a += strspn(a, " ");
		return web_auth_bearer(w->auth, a, now, &r->who) == 0 ? 0 : -1;
	}
	if (web_cookie_value(evhttp_find_header(h, "Cookie"), "rw_session", sid, sizeof(sid)) ==
	        0 &&
	    web_auth_session(w->auth, sid, now, &r->who) < 0) {
		memset(&r->who, 0, sizeof(r->who));
		r->who.role = WEB_ROLE_NONE; /* an expired session is no session */
	}
	return 0;
}

/* log_path - the raw path, printable ASCII kept, the rest %XX, capped */
static void log_path(const char *p, char *buf, size_t len)
{
	size_t o = 0;

	for (; p && *p && o + 4 < len; p++) {
		unsigned char c = (unsigned char)*p;

		if (c > 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "%%%02X", c);
	}
	buf[o] = '\0';
}

/* read_form - a POSTed x-www-form-urlencoded body into r->form ('+' is a
 * blank there); 0, or -1 when it does not parse */
static int read_form(struct web_req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t n = in ? evbuffer_get_length(in) : 0;
	char *body;
	int rc;

	if (n == 0)
		return 0;
	body = xmalloc(n + 1);
	evbuffer_copyout(in, body, n);
	body[n] = '\0';
	if (strlen(body) != n) {
		free(body);
		return -1;
	}
	for (char *p = body; *p; p++)
		if (*p == '+')
			*p = ' ';
	rc = evhttp_parse_query_str(body, &r->form);
	free(body);
	return rc < 0 ? -1 : 0;
}

/* dispatch - every request: decode, route, identify, authorise, handle, log */
static void dispatch(struct evhttp_request *req, void *arg)
{
	struct web_server *w = arg;
	struct web_req r = {.req = req, .w = w, .st = w->st, .status = 0};
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const struct sockaddr *sa = conn ? evhttp_connection_get_addr(conn) : NULL;
	const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	unsigned m = (unsigned)evhttp_request_get_command(req);
	const struct web_route *rt = NULL;
	struct timespec t0, t1;
	char lp[RW_WEB_LOG_PATH_MAX + 8];
	char *path = NULL;
	size_t plen = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	TAILQ_INIT(&r.query);
	TAILQ_INIT(&r.form);
	snprintf(r.client, sizeof(r.client), "?");
	if (sa) {
		netaddr_text(sa, r.client, sizeof(r.client));
		r.loopback = loopback(sa);
	}
	if (raw == NULL || *raw == '\0')
		raw = "/";
	if ((path = evhttp_uridecode(raw, 0, &plen)) == NULL || strlen(path) != plen ||
	    (q && evhttp_parse_query_str(q, &r.query) < 0)) {
		web_reply_error(&r, HTTP_BADREQUEST, "bad path or query");
		goto out;
	}
	r.path = path;
	if ((rt = web_route_find(m, path)) == NULL) {
		web_reply_error(&r, HTTP_NOTFOUND, "no such resource");
		goto out;
	}
	r.rest = path + strlen(rt->prefix);
	if (identify(w, &r) < 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		                  "Bearer realm=\"relaywatch\", error=\"invalid_token\"");
		web_reply_error(&r, 401, "invalid credentials");
		goto out;
	}
	enum web_role need = rt->min_role;
	if ((rt->flags & ROUTE_LOOPBACK) && r.loopback)
		need = WEB_ROLE_NONE;
	/* only the rows made for a POST read a form (the API's catch-all
	 * answers 405 whatever the body) */
	if (m == EVHTTP_REQ_POST && !(rt->methods & EVHTTP_REQ_GET) && read_form(&r) < 0) {
		web_reply_error(&r, HTTP_BADREQUEST, "bad form");
		goto out;
	}
	if ((rt->flags & ROUTE_PAGE) && r.who.role < need) {
		if (r.who.role == WEB_ROLE_NONE)
			web_redirect(&r, "/login");
		else
			web_page_error(&r, 403, "Your role may not do this.");
		goto out;
	}
	if ((rt->flags & ROUTE_CSRF) && m == EVHTTP_REQ_POST &&
	    !web_auth_csrf_ok(&r.who, web_form_get(&r, "csrf"))) {
		web_page_error(&r, 403,
		               "The form is stale or foreign (no valid CSRF token): "
		               "reload the page and try again.");
		goto out;
	}
	if (r.who.role < need) {
		if (r.who.role == WEB_ROLE_NONE) {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			                  "WWW-Authenticate", "Bearer realm=\"relaywatch\"");
			web_reply_error(&r, 401,
			                "authentication required: a Bearer token or a session");
		} else
			web_reply_error(&r, 403, "your role may not do this");
		goto out;
	}
	rt->fn(&r);
	if (r.status == 0) /* a handler that forgot to answer */
		web_reply_error(&r, HTTP_INTERNAL, "no reply");
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_path(raw ? raw : "/", lp, RW_WEB_LOG_PATH_MAX);
	rw_log(LOG_NOTICE,
	       "web client=%s method=%s path=%s route=%s status=%d bytes=%zu user=%s ms=%lld",
	       r.client, method_name(m), lp, rt ? rt->name : "-", r.status, r.bytes,
	       r.who.user[0] ? r.who.user : "-",
	       (long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	if (r.status >= 100 && r.status < 600)
		w->requests[r.status / 100]++;
	evhttp_clear_headers(&r.query);
	evhttp_clear_headers(&r.form);
	free(path);
}

/* tls_bev - a TLS server bufferevent for each new connection */
static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
	SSL *ssl = SSL_new(arg);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}

/* tls_ctx - a server context from the certificate chain and key files */
static SSL_CTX *tls_ctx(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "TLS: cannot make a context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, errlen, "web_tls_cert %s: %s", cert,
		         ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "web_tls_key %s: %s", key,
		         ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* bind_all - each ADDR:PORT of the list; 0 or -1 with err */
static int bind_all(struct web_server *w, const char *list, char *err, size_t errlen)
{
	char *copy = xstrdup(list), *save = NULL;
	int n = 0, rc = 0;

	for (char *item = strtok_r(copy, ", ", &save); item && rc == 0;
	     item = strtok_r(NULL, ", ", &save)) {
		struct sockaddr_storage ss;
		socklen_t len;
		struct evhttp_bound_socket *bs;
		const char *why;
		char host[64];

		if (++n > RW_WEB_LISTEN_MAX) {
			snprintf(err, errlen, "web_listen: more than %d listeners",
			         RW_WEB_LISTEN_MAX);
			rc = -1;
		} else if ((why = netaddr_parse(item, 0, &ss, &len)) != NULL ||
		           netaddr_port((struct sockaddr *)&ss) == 0) {
			snprintf(err, errlen, "web_listen '%s': %s", item,
			         why ? why : "want ADDR:PORT");
			rc = -1;
		} else if ((bs = evhttp_bind_socket_with_handle(
		                w->http, netaddr_text((struct sockaddr *)&ss, host, sizeof(host)),
		                (ev_uint16_t)netaddr_port((struct sockaddr *)&ss))) == NULL) {
			snprintf(err, errlen,
			         "web_listen %s: cannot bind (in use, or not an address "
			         "of this host)",
			         item);
			rc = -1;
		} else if (w->port == 0)
			w->port = netaddr_port((struct sockaddr *)&ss);
	}
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "web_listen: no address");
		rc = -1;
	}
	free(copy);
	return rc;
}

/* web_server_new - listeners, limits, TLS, the dispatcher */
struct web_server *web_server_new(struct event_base *base, struct store *st, struct web_auth *auth,
                                  const struct web_conf *c, char *err, size_t errlen)
{
	struct web_server *w = xcalloc(1, sizeof(*w));

	w->base = base;
	w->st = st;
	w->auth = auth;
	w->desk = c->desk;
	w->owner_key = c->owner_key;
	w->owner_limit = login_limit_new(RW_WEB_OWNER_SLOTS, 1, RW_WEB_OWNER_RETEST_SEC);
	w->clock = c->clock ? *c->clock : deskclock_system();
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		snprintf(err, errlen, "web_tls_cert and web_tls_key go together");
		return web_server_free(w);
	}
	if (c->tls_cert && (w->ssl = tls_ctx(c->tls_cert, c->tls_key, err, errlen)) == NULL)
		return web_server_free(w);
	if ((w->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "evhttp_new failed");
		return web_server_free(w);
	}
	evhttp_set_max_headers_size(w->http, RW_WEB_HEADERS_MAX);
	evhttp_set_max_body_size(w->http, RW_WEB_BODY_MAX);
	evhttp_set_timeout(w->http, RW_WEB_TIMEOUT_SEC);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_gencb(w->http, dispatch, w);
	if (w->ssl)
		evhttp_set_bevcb(w->http, tls_bev, w->ssl);
	if (bind_all(w, c->listen ? c->listen : RW_WEB_LISTEN_DEFAULT, err, errlen) < 0)
		return web_server_free(w);
	return w;
}

/* web_server_free - listeners and connections closed */
struct web_server *web_server_free(struct web_server *w)
{
	if (w == NULL)
		return NULL;
	if (w->http)
		evhttp_free(w->http);
	if (w->ssl)
		SSL_CTX_free(w->ssl);
	login_limit_free(w->owner_limit);
	free(w);
	return NULL;
}

unsigned web_server_port(const struct web_server *w)
{
	return w->port;
}

const uint64_t *web_server_requests(const struct web_server *w)
{
	return w->requests;
}

struct web_auth *web_server_auth(const struct web_server *w)
{
	return w->auth;
}

struct desk *web_server_desk(const struct web_server *w)
{
	return w->desk;
}

/* web_server_set_desk - the desk the forms act through from now on (the
 * daemon's SIGHUP replaces its desk) */
void web_server_set_desk(struct web_server *w, struct desk *d)
{
	if (w)
		w->desk = d;
}

const struct token_key *web_server_owner_key(const struct web_server *w)
{
	return w->owner_key;
}

struct login_limit *web_server_owner_limit(const struct web_server *w)
{
	return w->owner_limit;
}

/* web_server_now_ms - the desk's time for a command: the one the desk's
 * own timers read (a daemon on --clock-file reads that file) */
long long web_server_now_ms(const struct web_server *w)
{
	return deskclock_now(&w->clock);
}

int web_server_tls(const struct web_server *w)
{
	return w->ssl != NULL;
}
