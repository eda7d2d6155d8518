/*
 * NAME
 *	proxyd - the lab's simulated open and closed proxies (and a web server)
 * SUMMARY
 *	tell HTTP, SOCKS4/4a, SOCKS5 and telnet apart, answer as the profile says
 * SYNOPSIS
 *	void proxyd_accept(struct lab_host *h, int fd, const char *peer);
 *	void proxyd_close_all(struct lab *lab);
 * DESCRIPTION
 *	proxyd_accept() serves one client of a MODE_PROXY host (server.c
 *	hands the descriptor over and proxyd owns it from then on). A host
 *	whose profile answers PK_TELNET speaks first (a WinGate prompt or a
 *	router's login); any other waits for the client, whose first byte
 *	says the protocol: 0x04 SOCKS4/4a, 0x05 SOCKS5, a letter an HTTP
 *	request (CONNECT, an absolute URI, or an origin-form request), so
 *	one host serves several protocols on the lab's single port. The
 *	request is read whole, then answered with the profile's act for its
 *	kind (profile.h): refused, auth demanded, faked, dripped, junk, a
 *	web server's 4xx, or forwarded. Forwarding connects from the host's
 *	own address (so the far end sees the lab host as the egress) to the
 *	target it was asked for - but only to a loopback target (127/8,
 *	::1) given as an address literal: a name is resolved never, and any
 *	other target gets the protocol's refusal (403, SOCKS5 0x02, SOCKS4
 *	0x5B, telnet "Connection refused"). Once connected the grant goes to
 *	the client (an absolute request goes to the target in origin form
 *	instead) and the bytes are piped both ways until either side ends;
 *	what one side sent is flushed to the other before both close.
 *	Everything ends through conn_kill() and is freed by lab_defer().
 *	proxyd_close_all() ends every connection at shutdown.
 * DIAGNOSTICS
 *	One log line per connect, per answer (kind, act, target) and per
 *	close (with the reason); debug lines per state change.
 * LIMITS
 *	LAB_CONN_MAX connections, clients and upstreams together;
 *	LAB_READ_HIGHWAT input per side; LAB_PROXY_PIPE_HIGHWAT unsent
 *	bytes per direction (then that side is not read);
 *	LAB_PROXY_HEAD_MAX (431), LAB_PROXY_URI_MAX (414),
 *	LAB_PROXY_LINE_MAX per telnet line and SOCKS field; LAB_IDLE_SEC
 *	idle, LAB_PROXY_CONNECT_SEC to connect; LAB_TARPIT_MS per dripped
 *	byte; LAB_BINARY_LEN of junk.
 * STANDARDS
 *	RFC 9110 9.3.6 (CONNECT), RFC 9112 3.2 (request target forms),
 *	RFC 9110 11.7.1 (Proxy-Authenticate), RFC 1928 (SOCKS5), RFC 1929
 *	(SOCKS5 username/password), the SOCKS4 and SOCKS4a protocol memos.
 */
#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "../src/core/log.h"
#include "../src/core/xalloc.h"
#include "lab.h"

enum pstate {
	PS_FIRST,        /* waiting for the client's first byte */
	PS_HTTP,         /* reading an HTTP request head */
	PS_SOCKS4,       /* reading a SOCKS4(a) request */
	PS_SOCKS5_HELLO, /* reading the methods offered */
	PS_SOCKS5_AUTH,  /* reading a username/password (RFC 1929) */
	PS_SOCKS5_REQ,   /* reading the request */
	PS_TELNET,       /* reading a WinGate command line */
	PS_CONNECTING,   /* connecting to the target */
	PS_PIPE,         /* piping both ways */
	PS_FAKE,         /* "250 ok" to every line, its own SMTP */
	PS_SILENT,       /* reading and ignoring */
	PS_CLOSING,      /* flushing the last bytes */
	PS_DEAD,         /* handed to the reaper */
	PS__COUNT
};

static const char *const state_names[PS__COUNT] = {
    [PS_FIRST] = "first",          [PS_HTTP] = "http",
    [PS_SOCKS4] = "socks4",        [PS_SOCKS5_HELLO] = "socks5-hello",
    [PS_SOCKS5_AUTH] = "socks5-auth", [PS_SOCKS5_REQ] = "socks5-request",
    [PS_TELNET] = "telnet",        [PS_CONNECTING] = "connecting",
    [PS_PIPE] = "pipe",            [PS_FAKE] = "fake",
    [PS_SILENT] = "silent",        [PS_CLOSING] = "closing",
    [PS_DEAD] = "dead",
};

static const char *const act_names[PA__COUNT] = {
    [PA_DROP] = "drop",         [PA_FORWARD] = "forward",         [PA_REFUSE] = "refuse",
    [PA_AUTH] = "auth",         [PA_FAKE] = "fake",               [PA_NOT_ALLOWED] = "not-allowed",
    [PA_NOT_FOUND] = "not-found", [PA_BAD] = "bad-request",       [PA_DRIP] = "drip",
    [PA_GARBAGE] = "garbage",
};

/* The HTTP answers: status, version, reason, extra header lines. */
static const struct http_status {
	int code;
	const char *version;
	const char *reason;
	const char *extra;
} statuses[] = {
    {400, "HTTP/1.0", "Bad Request", ""},
    {403, "HTTP/1.1", "Forbidden", ""},
    {404, "HTTP/1.0", "Not Found", ""},
    {405, "HTTP/1.0", "Method Not Allowed", "Allow: GET, HEAD, POST\r\n"},
    {407, "HTTP/1.1", "Proxy Authentication Required",
     "Proxy-Authenticate: Basic realm=\"lab\"\r\n"},
    {414, "HTTP/1.1", "URI Too Long", ""},
    {431, "HTTP/1.1", "Request Header Fields Too Large", ""},
    {502, "HTTP/1.1", "Bad Gateway", ""},
};

static const char fake_banner[] = "220 mail.example.com ESMTP ready\r\n";
static const char fake_page[] =
    "<html><head><title>Welcome</title></head>\r\n"
    "<body><h1>It works!</h1><p>This page is served by fake-proxy.</p></body></html>\r\n";
static const char http_grant[] = "HTTP/1.0 200 Connection established\r\n\r\n";

/* SOCKS5 reply codes (RFC 1928 6) */
enum {
	S5_OK = 0x00,
	S5_FAIL = 0x01,
	S5_RULESET = 0x02,
	S5_HOST_UNREACH = 0x04,
	S5_REFUSED = 0x05,
	S5_CMD = 0x07,
	S5_ATYP = 0x08,
};
#define S4_GRANT 0x5A
#define S4_REJECT 0x5B

struct proxy_conn {
	struct lab *lab;
	struct lab_host *host;
	unsigned long id;
	enum pstate state;
	enum proxy_kind kind;
	enum proxy_act act;
	struct bufferevent *bev; /* the client */
	struct bufferevent *up;  /* the target, while forwarding */
	char peer[64];
	char target[80];         /* "addr:port", for logs and telnet */
	struct sockaddr_storage to;
	socklen_t tolen;
	unsigned char s4[6];     /* SOCKS4: the request's port and address */
	struct evbuffer *ahead;  /* absolute: the request for the target */
	struct evbuffer *drip;   /* bytes still to drip */
	struct event *drip_ev;
	int lines;               /* telnet lines tried */
	struct proxy_conn *prev, *next;
};

/* p_enter - the one place the state changes */
static void p_enter(struct proxy_conn *c, enum pstate st)
{
	rw_debug("lab host=%s pconn=%lu state=%s -> %s", c->host->name, c->id,
	         state_names[c->state], state_names[st]);
	c->state = st;
}

/* p_free - the reaper's half of p_kill */
static void p_free(void *arg)
{
	struct proxy_conn *c = arg;

	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->up != NULL)
		bufferevent_free(c->up);
	if (c->ahead != NULL)
		evbuffer_free(c->ahead);
	evbuffer_free(c->drip);
	event_free(c->drip_ev);
	free(c);
}

/* p_kill - stop all I/O of both sides now; the memory goes later */
static void p_kill(struct proxy_conn *c, const char *why)
{
	if (c->state == PS_DEAD)
		return;
	lab_info(c->lab, "lab host=%s pconn=%lu event=close peer=%s reason=%s", c->host->name,
	         c->id, c->peer, why);
	p_enter(c, PS_DEAD);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	if (c->up != NULL) {
		bufferevent_disable(c->up, EV_READ | EV_WRITE);
		bufferevent_setcb(c->up, NULL, NULL, NULL, NULL);
		c->lab->nconn--;
	}
	event_del(c->drip_ev);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->lab->pconns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->lab->nconn--;
	c->host->nconn--;
	lab_defer(c->lab, p_free, c);
}

/* out_len - bytes waiting to reach a bufferevent's peer */
static size_t out_len(struct bufferevent *b)
{
	return b != NULL ? evbuffer_get_length(bufferevent_get_output(b)) : 0;
}

/* p_done_if_flushed - a closing connection dies once all is written */
static void p_done_if_flushed(struct proxy_conn *c)
{
	if (c->state == PS_CLOSING && out_len(c->bev) == 0 && out_len(c->up) == 0 &&
	    evbuffer_get_length(c->drip) == 0)
		p_kill(c, "closed");
}

/* p_close - stop reading; close once every answer is flushed */
static void p_close(struct proxy_conn *c)
{
	bufferevent_disable(c->bev, EV_READ);
	if (c->up != NULL)
		bufferevent_disable(c->up, EV_READ);
	p_enter(c, PS_CLOSING);
	p_done_if_flushed(c);
}

/* say - bytes to the client; a dripping profile's go one per LAB_TARPIT_MS */
static void say(struct proxy_conn *c, const void *buf, size_t len)
{
	if (c->act != PA_DRIP) {
		bufferevent_write(c->bev, buf, len);
		return;
	}
	evbuffer_add(c->drip, buf, len);
	if (!evtimer_pending(c->drip_ev, NULL)) {
		struct timeval tv = {LAB_TARPIT_MS / 1000, (LAB_TARPIT_MS % 1000) * 1000};

		evtimer_add(c->drip_ev, &tv);
	}
}

/* drip_cb - one byte, then wait again */
static void drip_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_conn *c = arg;
	char ch;

	if (evbuffer_remove(c->drip, &ch, 1) == 1)
		bufferevent_write(c->bev, &ch, 1);
	if (evbuffer_get_length(c->drip) > 0) {
		struct timeval tv = {LAB_TARPIT_MS / 1000, (LAB_TARPIT_MS % 1000) * 1000};

		evtimer_add(c->drip_ev, &tv);
	}
}

/* log_answer - one line per decision */
static void log_answer(struct proxy_conn *c, const char *what)
{
	lab_info(c->lab, "lab host=%s pconn=%lu event=request kind=%s act=%s target=%s answer=%s",
	         c->host->name, c->id, proxy_kind_name(c->kind), act_names[c->act],
	         c->target[0] ? c->target : "-", what);
}

/* http_answer - a complete HTTP answer with a small page, then close */
static void http_answer(struct proxy_conn *c, int code)
{
	const struct http_status *s = &statuses[0];
	const char *server = c->host->prof->server ? c->host->prof->server : "lab-proxy";
	char body[256], head[512];
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			s = &statuses[i];
	snprintf(body, sizeof(body),
	         "<html><head><title>%d %s</title></head><body><h1>%d %s</h1></body></html>\r\n",
	         s->code, s->reason, s->code, s->reason);
	snprintf(head, sizeof(head),
	         "%s %d %s\r\nServer: %s\r\n%sContent-Type: text/html\r\n"
	         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	         s->version, s->code, s->reason, server, s->extra, strlen(body));
	say(c, head, strlen(head));
	say(c, body, strlen(body));
	snprintf(head, sizeof(head), "%d", s->code);
	log_answer(c, head);
	p_close(c);
}

/* junk - LAB_BINARY_LEN bytes that start like no protocol (not a letter,
 * 0x00, 0x04 or 0x05), then silence */
static void junk(struct proxy_conn *c)
{
	unsigned char b[LAB_BINARY_LEN];
	unsigned long x = (unsigned long)time(NULL) ^ (c->id * 2654435761UL) ^ 0x2545F491UL;
	size_t i;

	for (i = 0; i < sizeof(b); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (unsigned char)(x >> 24);
	}
	b[0] = (unsigned char)(0x80 | b[0]);
	say(c, b, sizeof(b));
	log_answer(c, "junk");
	p_enter(c, PS_SILENT);
}

/* answer_common - the acts every kind answers alike: 1 when answered */
static int answer_common(struct proxy_conn *c)
{
	switch (c->act) {
	case PA_DROP:
		log_answer(c, "close");
		p_kill(c, "dropped");
		return 1;
	case PA_GARBAGE:
		junk(c);
		return 1;
	case PA_BAD:
		http_answer(c, 400);
		return 1;
	case PA_NOT_FOUND:
		http_answer(c, 404);
		return 1;
	case PA_NOT_ALLOWED:
		http_answer(c, 405);
		return 1;
	default:
		return 0;
	}
}

/* ---- targets -------------------------------------------------------- */

/* parse_target - "a.b.c.d[:port]" or "[v6][:port]" (n bytes of s) into
 * c->to and c->target; 0, -1 bad syntax, -2 a name (resolved never) */
static int parse_target(struct proxy_conn *c, const char *s, size_t n, unsigned defport)
{
	char host[64], *end;
	const char *port = NULL;
	size_t hl;
	long v = defport;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || (size_t)(rb - s) - 1 >= sizeof(host))
			return -1;
		hl = (size_t)(rb - s) - 1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (rb + 1 < s + n) {
			if (rb[1] != ':')
				return -1;
			port = rb + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);

		hl = colon ? (size_t)(colon - s) : n;
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (colon != NULL)
			port = colon + 1;
	}
	if (port != NULL) {
		char digits[8];
		size_t pl = (size_t)(s + n - port);

		if (pl == 0 || pl >= sizeof(digits))
			return -1;
		memcpy(digits, port, pl);
		digits[pl] = '\0';
		v = strtol(digits, &end, 10);
		if (*end != '\0' || !isdigit((unsigned char)digits[0]))
			return -1;
	}
	if (v < 1 || v > 65535)
		return -1;
	memset(&c->to, 0, sizeof(c->to));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->to;

		if (evutil_inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)v);
		c->tolen = sizeof(*s6);
		snprintf(c->target, sizeof(c->target), "[%s]:%ld", host, v);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&c->to;

		if (evutil_inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			snprintf(c->target, sizeof(c->target), "%.60s:%ld", host, v);
			return -2;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)v);
		c->tolen = sizeof(*s4);
		snprintf(c->target, sizeof(c->target), "%s:%ld", host, v);
	}
	return 0;
}

/* set_target4 - a binary IPv4 address and port (network order) */
static void set_target4(struct proxy_conn *c, const unsigned char *addr, const unsigned char *port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&c->to;
	char a[INET_ADDRSTRLEN];

	memset(&c->to, 0, sizeof(c->to));
	s4->sin_family = AF_INET;
	memcpy(&s4->sin_addr, addr, 4);
	memcpy(&s4->sin_port, port, 2);
	c->tolen = sizeof(*s4);
	evutil_inet_ntop(AF_INET, addr, a, sizeof(a));
	snprintf(c->target, sizeof(c->target), "%s:%u", a, ntohs(s4->sin_port));
}

/* loopback - the only targets a lab proxy ever connects to */
static int loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

/* ---- grants and refusals, by kind ----------------------------------- */

/* socks4_reply - the 8-byte answer, echoing the request's port and address */
static void socks4_reply(struct proxy_conn *c, unsigned char code)
{
	unsigned char r[8] = {0x00, code};

	memcpy(r + 2, c->s4, 6);
	say(c, r, sizeof(r));
}

/* socks5_reply - RFC 1928 6; the bound address is the upstream's own, or 0.0.0.0:0 */
static void socks5_reply(struct proxy_conn *c, unsigned char code)
{
	unsigned char r[22] = {0x05, code, 0x00, 0x01};
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t n = 10;

	if (code == S5_OK && c->up != NULL &&
	    getsockname(bufferevent_getfd(c->up), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			memcpy(r + 4, &((struct sockaddr_in *)&ss)->sin_addr, 4);
			memcpy(r + 8, &((struct sockaddr_in *)&ss)->sin_port, 2);
		} else if (ss.ss_family == AF_INET6) {
			r[3] = 0x04;
			memcpy(r + 4, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
			memcpy(r + 20, &((struct sockaddr_in6 *)&ss)->sin6_port, 2);
			n = 22;
		}
	}
	say(c, r, n);
}

/* refuse - the kind's refusal, then close */
static void refuse(struct proxy_conn *c, const char *why)
{
	char line[160];

	switch (c->kind) {
	case PK_SOCKS4:
		socks4_reply(c, S4_REJECT);
		log_answer(c, why);
		p_close(c);
		break;
	case PK_SOCKS5:
		socks5_reply(c, S5_RULESET);
		log_answer(c, why);
		p_close(c);
		break;
	case PK_TELNET:
		snprintf(line, sizeof(line), "Connecting to host %s...Connection refused\r\n",
		         c->target);
		say(c, line, strlen(line));
		log_answer(c, why);
		p_close(c);
		break;
	default:
		http_answer(c, 403);
		break;
	}
}

/* fake - claim success, then talk as nobody's mail server */
static void fake(struct proxy_conn *c)
{
	static const unsigned char s5[10] = {0x05, 0x00, 0x00, 0x01};
	char head[256];

	switch (c->kind) {
	case PK_ABSOLUTE:
	case PK_ORIGIN:
		snprintf(head, sizeof(head),
		         "HTTP/1.0 200 OK\r\nVia: 1.1 fake-proxy\r\nContent-Type: text/html\r\n"
		         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		         strlen(fake_page));
		say(c, head, strlen(head));
		say(c, fake_page, strlen(fake_page));
		log_answer(c, "200-page");
		p_close(c);
		return;
	case PK_SOCKS4:
		socks4_reply(c, S4_GRANT);
		break;
	case PK_SOCKS5:
		say(c, s5, sizeof(s5));
		break;
	default:
		say(c, http_grant, strlen(http_grant));
		break;
	}
	say(c, fake_banner, strlen(fake_banner));
	log_answer(c, "granted-fake");
	p_enter(c, PS_FAKE);
}

/* drip - a grant, one byte per LAB_TARPIT_MS (say() drips), connecting nowhere */
static void drip(struct proxy_conn *c)
{
	static const unsigned char s5[10] = {0x05, 0x00, 0x00, 0x01};

	if (c->kind == PK_SOCKS4)
		socks4_reply(c, S4_GRANT);
	else if (c->kind == PK_SOCKS5)
		say(c, s5, sizeof(s5));
	else
		say(c, http_grant, strlen(http_grant));
	log_answer(c, "drip");
	p_enter(c, PS_SILENT);
}

/* ---- the upstream --------------------------------------------------- */

static void up_read_cb(struct bufferevent *bev, void *arg);
static void up_write_cb(struct bufferevent *bev, void *arg);
static void up_event_cb(struct bufferevent *bev, short what, void *arg);
static void pipe_bytes(struct proxy_conn *c, struct bufferevent *from, struct bufferevent *to);

/* bev_free - an upstream that failed to connect, freed after its callback */
static void bev_free(void *arg)
{
	bufferevent_free(arg);
}

/* connect_failed - the kind's answer to a target that cannot be reached */
static void connect_failed(struct proxy_conn *c, const char *why)
{
	char line[160];

	lab_info(c->lab, "lab host=%s pconn=%lu event=upstream target=%s error=\"%s\"",
	         c->host->name, c->id, c->target, why);
	if (c->up != NULL) {
		bufferevent_disable(c->up, EV_READ | EV_WRITE);
		bufferevent_setcb(c->up, NULL, NULL, NULL, NULL);
		lab_defer(c->lab, bev_free, c->up);
		c->up = NULL;
		c->lab->nconn--;
	}
	switch (c->kind) {
	case PK_SOCKS4:
		socks4_reply(c, S4_REJECT);
		break;
	case PK_SOCKS5:
		socks5_reply(c, S5_REFUSED);
		break;
	case PK_TELNET:
		snprintf(line, sizeof(line), "Connecting to host %s...Connection refused\r\n",
		         c->target);
		say(c, line, strlen(line));
		break;
	default:
		http_answer(c, 502);
		return;
	}
	log_answer(c, "unreachable");
	p_close(c);
}

/* forward - connect from the host's own address to the (loopback) target */
static void forward(struct proxy_conn *c)
{
	struct timeval tmo = {LAB_PROXY_CONNECT_SEC, 0};
	evutil_socket_t fd;

	if (!loopback(&c->to)) {
		refuse(c, "refused-not-loopback");
		return;
	}
	if (c->lab->nconn >= LAB_CONN_MAX) {
		connect_failed(c, "too many connections");
		return;
	}
	fd = socket(c->to.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		connect_failed(c, strerror(errno));
		return;
	}
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	if (c->to.ss_family == AF_INET) {
		struct sockaddr_in src;

		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		if (evutil_inet_pton(AF_INET, c->host->ip, &src.sin_addr) == 1 &&
		    bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			rw_log(LOG_WARNING, "lab host=%s pconn=%lu event=bind src=%s error=\"%s\"",
			       c->host->name, c->id, c->host->ip, strerror(errno));
	}
	c->up = bufferevent_socket_new(c->lab->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->up == NULL)
		rw_panic("%s: bufferevent_socket_new failed", __func__);
	c->lab->nconn++;
	bufferevent_setcb(c->up, up_read_cb, up_write_cb, up_event_cb, c);
	bufferevent_setwatermark(c->up, EV_READ, 0, LAB_READ_HIGHWAT);
	bufferevent_set_timeouts(c->up, &tmo, &tmo);
	bufferevent_enable(c->up, EV_READ | EV_WRITE);
	bufferevent_disable(c->bev, EV_READ);
	p_enter(c, PS_CONNECTING);
	if (bufferevent_socket_connect(c->up, (struct sockaddr *)&c->to, (int)c->tolen) < 0)
		connect_failed(c, "connect failed");
}

/* connected - grant, then pipe what either side has */
static void connected(struct proxy_conn *c)
{
	struct timeval idle = {LAB_IDLE_SEC, 0};
	char line[160];

	bufferevent_set_timeouts(c->up, &idle, &idle);
	bufferevent_setwatermark(c->up, EV_WRITE, LAB_PROXY_PIPE_HIGHWAT / 2, 0);
	bufferevent_setwatermark(c->bev, EV_WRITE, LAB_PROXY_PIPE_HIGHWAT / 2, 0);
	switch (c->kind) {
	case PK_SOCKS4:
		socks4_reply(c, S4_GRANT);
		break;
	case PK_SOCKS5:
		socks5_reply(c, S5_OK);
		break;
	case PK_TELNET:
		snprintf(line, sizeof(line), "Connecting to host %s...Connected\r\n", c->target);
		say(c, line, strlen(line));
		break;
	case PK_ABSOLUTE:
		bufferevent_write_buffer(c->up, c->ahead);
		break;
	default:
		say(c, http_grant, strlen(http_grant));
		break;
	}
	log_answer(c, "forwarded");
	p_enter(c, PS_PIPE);
	bufferevent_enable(c->bev, EV_READ);
	pipe_bytes(c, c->bev, c->up);
}

/* pipe_bytes - move what `from` read to `to`; stop reading `from` while
 * `to` holds LAB_PROXY_PIPE_HIGHWAT unsent */
static void pipe_bytes(struct proxy_conn *c, struct bufferevent *from, struct bufferevent *to)
{
	struct evbuffer *in = bufferevent_get_input(from);

	if (c->state != PS_PIPE) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	evbuffer_add_buffer(bufferevent_get_output(to), in);
	if (out_len(to) >= LAB_PROXY_PIPE_HIGHWAT)
		bufferevent_disable(from, EV_READ);
}

/* up_read_cb - the target's bytes to the client */
static void up_read_cb(struct bufferevent *bev, void *arg)
{
	pipe_bytes(arg, bev, ((struct proxy_conn *)arg)->bev);
}

/* up_write_cb - the target took our bytes: read the client again */
static void up_write_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn *c = arg;

	if (c->state == PS_PIPE)
		bufferevent_enable(c->bev, EV_READ);
	p_done_if_flushed(c);
}

/* up_event_cb - connected, or the target ended: flush to the client, close */
static void up_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		connected(c);
		return;
	}
	if (c->state == PS_CONNECTING) {
		connect_failed(c, (what & BEV_EVENT_TIMEOUT)
		                      ? "connect timeout"
		                      : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return;
	}
	/* the target's last bytes were delivered to read_cb already */
	evbuffer_drain(bufferevent_get_output(bev), out_len(bev));
	p_close(c);
}

/* ---- the client's requests ------------------------------------------ */

/* on_first - the first byte says the protocol; 0 when none is here yet */
static int on_first(struct proxy_conn *c, struct evbuffer *in)
{
	unsigned char b;

	if (evbuffer_copyout(in, &b, 1) != 1)
		return 0;
	if (b == 0x04 || b == 0x05) {
		c->kind = b == 0x04 ? PK_SOCKS4 : PK_SOCKS5;
		c->act = c->host->prof->proxy[c->kind];
		if (answer_common(c))
			return 1;
		p_enter(c, b == 0x04 ? PS_SOCKS4 : PS_SOCKS5_HELLO);
		return 1;
	}
	if (isalpha(b)) {
		p_enter(c, PS_HTTP);
		return 1;
	}
	c->kind = PK_OTHER;
	c->act = c->host->prof->proxy[PK_OTHER];
	if (!answer_common(c)) {
		if (c->act == PA_DRIP)
			drip(c);
		else
			refuse(c, "refused");
	}
	return 1;
}

/* rewrite_absolute - the request for the target: origin form, the
 * client's header fields minus the hop-by-hop ones, ours added */
static void rewrite_absolute(struct proxy_conn *c, const char *method, const char *path,
                             const char *version, const char *fields)
{
	static const char *const drop[] = {"proxy-connection:", "proxy-authorization:",
	                                   "connection:", "keep-alive:"};
	const char *p = fields, *e;
	size_t i;

	c->ahead = evbuffer_new();
	evbuffer_add_printf(c->ahead, "%s %s %s\r\n", method, path, version);
	for (; *p != '\0' && *p != '\r' && *p != '\n'; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			if (strncasecmp(p, drop[i], strlen(drop[i])) == 0)
				break;
		if (i == sizeof(drop) / sizeof(drop[0]))
			evbuffer_add(c->ahead, p, (size_t)(e - p) + (*e ? 1 : 0));
	}
	evbuffer_add_printf(c->ahead, "Connection: close\r\nVia: 1.1 lab-proxy\r\n\r\n");
}

/* on_http - a whole request head: its kind, then the profile's answer */
static int on_http(struct proxy_conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	char *head, *line_end, *sp1, *sp2, *target, *fields;
	size_t len;
	int rc;

	if (end.pos < 0) {
		if (evbuffer_get_length(in) < LAB_PROXY_HEAD_MAX)
			return 0;
		c->kind = PK_ORIGIN;
		c->act = c->host->prof->proxy[PK_ORIGIN];
		http_answer(c, 431);
		return 1;
	}
	len = (size_t)end.pos + 4;
	head = xmalloc(len + 1);
	evbuffer_remove(in, head, len);
	head[len] = '\0';
	line_end = strstr(head, "\r\n");
	*line_end = '\0';
	fields = line_end + 2;
	sp1 = strchr(head, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	c->kind = PK_ORIGIN;
	if (sp1 != NULL && sp2 != NULL) {
		*sp1 = *sp2 = '\0';
		target = sp1 + 1;
		if (strcmp(head, "CONNECT") == 0)
			c->kind = PK_CONNECT;
		else if (strncasecmp(target, "http://", 7) == 0)
			c->kind = PK_ABSOLUTE;
	}
	c->act = c->host->prof->proxy[c->kind];
	if (answer_common(c))
		goto done;
	switch (c->act) {
	case PA_REFUSE:
		http_answer(c, 403);
		goto done;
	case PA_AUTH:
		http_answer(c, 407);
		goto done;
	case PA_FAKE:
		fake(c);
		goto done;
	case PA_DRIP:
		drip(c);
		goto done;
	default:
		break;
	}
	/* PA_FORWARD */
	if (c->kind == PK_ORIGIN) {
		http_answer(c, 400);
		goto done;
	}
	target = sp1 + 1;
	if (strlen(target) > LAB_PROXY_URI_MAX) {
		http_answer(c, 414);
		goto done;
	}
	if (c->kind == PK_CONNECT) {
		rc = parse_target(c, target, strlen(target), 0);
	} else {
		char *auth = target + 7, *q;
		size_t al = strcspn(auth, "/?#");

		rc = parse_target(c, auth, al, 80);
		/* the origin form: the path, "/" when there is none ("http://h?q" -> "/?q") */
		q = xmalloc(strlen(auth + al) + 2);
		snprintf(q, strlen(auth + al) + 2, "%s%s", auth[al] == '/' ? "" : "/",
		         auth[al] == '#' ? "" : auth + al);
		if (rc == 0)
			rewrite_absolute(c, head, q, sp2 + 1, fields);
		free(q);
	}
	if (rc == -2)
		http_answer(c, 502); /* a name: the lab resolves none */
	else if (rc < 0)
		http_answer(c, 400);
	else
		forward(c);
done:
	free(head);
	return 1;
}

/* on_socks4 - VN CD DSTPORT DSTIP USERID NUL [HOST NUL] (SOCKS4a) */
static int on_socks4(struct proxy_conn *c, struct evbuffer *in)
{
	size_t have = evbuffer_get_length(in), want = 8 + 2 * (LAB_PROXY_LINE_MAX + 1);
	unsigned char *b = evbuffer_pullup(in, (ev_ssize_t)(have < want ? have : want));
	unsigned char *nul, *nul2 = NULL;
	int is4a;

	if (have < 9 || b == NULL)
		return 0;
	memcpy(c->s4, b + 2, 6);
	nul = memchr(b + 8, 0, (have < want ? have : want) - 8);
	if (nul == NULL) {
		if (have < 8 + LAB_PROXY_LINE_MAX + 1)
			return 0;
		refuse(c, "user-id-too-long");
		return 1;
	}
	is4a = b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0;
	if (is4a) {
		size_t off = (size_t)(nul - b) + 1;

		nul2 = off < have ? memchr(b + off, 0, (have < want ? have : want) - off) : NULL;
		if (nul2 == NULL) {
			if (have - off < LAB_PROXY_LINE_MAX + 1)
				return 0;
			refuse(c, "host-too-long");
			return 1;
		}
	}
	if (b[1] != 0x01) {
		evbuffer_drain(in, have);
		refuse(c, "not-connect");
		return 1;
	}
	if (is4a) {
		const char *name = (const char *)nul + 1;
		char port[8];

		snprintf(port, sizeof(port), "%u", (unsigned)(b[2] << 8 | b[3]));
		/* the name must be an IPv4 address in text: nothing is resolved */
		if (strchr(name, ':') != NULL ||
		    parse_target(c, name, strlen(name), (unsigned)(b[2] << 8 | b[3])) != 0) {
			snprintf(c->target, sizeof(c->target), "%.60s:%s", name, port);
			evbuffer_drain(in, have);
			refuse(c, "name-not-resolved");
			return 1;
		}
		evbuffer_drain(in, (size_t)(nul2 - b) + 1);
	} else {
		set_target4(c, b + 4, b + 2);
		evbuffer_drain(in, (size_t)(nul - b) + 1);
	}
	switch (c->act) {
	case PA_FORWARD:
		forward(c);
		break;
	case PA_FAKE:
		fake(c);
		break;
	case PA_DRIP:
		drip(c);
		break;
	default:
		refuse(c, "refused");
		break;
	}
	return 1;
}

/* on_socks5_hello - VER NMETHODS METHODS: pick none (0x00), or
 * user/password (0x02) when the profile demands it, or 0xFF */
static int on_socks5_hello(struct proxy_conn *c, struct evbuffer *in)
{
	unsigned char hdr[2], *m, want = c->act == PA_AUTH ? 0x02 : 0x00;
	unsigned char pick[2] = {0x05, 0xFF};

	if (evbuffer_copyout(in, hdr, 2) < 2 || evbuffer_get_length(in) < 2u + hdr[1])
		return 0;
	m = evbuffer_pullup(in, 2 + hdr[1]);
	if (memchr(m + 2, want, hdr[1]) != NULL)
		pick[1] = want;
	evbuffer_drain(in, 2u + hdr[1]);
	say(c, pick, 2);
	if (pick[1] == 0xFF) {
		log_answer(c, "no-acceptable-method");
		p_close(c);
	} else {
		p_enter(c, want == 0x02 ? PS_SOCKS5_AUTH : PS_SOCKS5_REQ);
	}
	return 1;
}

/* on_socks5_auth - VER ULEN UNAME PLEN PASSWD (RFC 1929): always fails */
static int on_socks5_auth(struct proxy_conn *c, struct evbuffer *in)
{
	static const unsigned char failed[2] = {0x01, 0x01};
	unsigned char b[2 + 255 + 1];
	size_t have = evbuffer_get_length(in), ulen, plen;

	if (evbuffer_copyout(in, b, have < sizeof(b) ? have : sizeof(b)) < 2)
		return 0;
	ulen = b[1];
	if (have < 3 + ulen)
		return 0;
	plen = b[2 + ulen];
	if (have < 3 + ulen + plen)
		return 0;
	evbuffer_drain(in, 3 + ulen + plen);
	say(c, failed, 2);
	log_answer(c, "auth-failed");
	p_close(c);
	return 1;
}

/* on_socks5_req - VER CMD RSV ATYP DST.ADDR DST.PORT */
static int on_socks5_req(struct proxy_conn *c, struct evbuffer *in)
{
	unsigned char h[5], *b;
	size_t have = evbuffer_get_length(in), need;

	if (evbuffer_copyout(in, h, 5) < 5)
		return 0;
	need = h[3] == 0x01 ? 10 : h[3] == 0x04 ? 22 : h[3] == 0x03 ? 7u + h[4] : 0;
	if (need == 0) {
		evbuffer_drain(in, have);
		socks5_reply(c, S5_ATYP);
		log_answer(c, "bad-address-type");
		p_close(c);
		return 1;
	}
	if (have < need)
		return 0;
	b = evbuffer_pullup(in, (ev_ssize_t)need);
	if (h[3] == 0x01) {
		set_target4(c, b + 4, b + 8);
	} else if (h[3] == 0x04) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->to;
		char a[INET6_ADDRSTRLEN];

		memset(&c->to, 0, sizeof(c->to));
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, b + 4, 16);
		memcpy(&s6->sin6_port, b + 20, 2);
		c->tolen = sizeof(*s6);
		evutil_inet_ntop(AF_INET6, b + 4, a, sizeof(a));
		snprintf(c->target, sizeof(c->target), "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		char name[256];
		unsigned port = (unsigned)(b[5 + h[4]] << 8 | b[6 + h[4]]);

		memcpy(name, b + 5, h[4]);
		name[h[4]] = '\0';
		/* a dotted quad in text is taken; a name is resolved never */
		if (memchr(name, 0, h[4]) != NULL || strchr(name, ':') != NULL ||
		    parse_target(c, name, h[4], port) != 0) {
			snprintf(c->target, sizeof(c->target), "%.60s:%u", name, port);
			evbuffer_drain(in, have);
			socks5_reply(c, S5_HOST_UNREACH);
			log_answer(c, "name-not-resolved");
			p_close(c);
			return 1;
		}
	}
	evbuffer_drain(in, need);
	if (h[1] != 0x01) {
		socks5_reply(c, S5_CMD);
		log_answer(c, "not-connect");
		p_close(c);
		return 1;
	}
	switch (c->act) {
	case PA_FORWARD:
		forward(c);
		break;
	case PA_FAKE:
		fake(c);
		break;
	case PA_DRIP:
		drip(c);
		break;
	default:
		refuse(c, "refused");
		break;
	}
	return 1;
}

/* on_telnet - a WinGate line: [telnet] host[:port] | host port */
static int on_telnet(struct proxy_conn *c, struct evbuffer *in)
{
	static const char prompt[] = "WinGate>";
	char *line, *host, *port, *save = NULL;
	size_t n;
	unsigned pn = 23;
	int rc;

	line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
	if (line == NULL) {
		if (evbuffer_get_length(in) <= LAB_PROXY_LINE_MAX)
			return 0;
		say(c, "\r\nLine too long\r\n", 17);
		p_close(c);
		return 1;
	}
	host = strtok_r(line, " \t", &save);
	if (host != NULL && strcasecmp(host, "telnet") == 0)
		host = strtok_r(NULL, " \t", &save);
	port = host ? strtok_r(NULL, " \t", &save) : NULL;
	if (host == NULL) {
		say(c, prompt, strlen(prompt));
		free(line);
		return 1;
	}
	if (port != NULL) {
		char *end;
		long v = strtol(port, &end, 10);

		pn = *end == '\0' && v > 0 && v < 65536 ? (unsigned)v : 0;
	}
	rc = pn == 0 || strchr(host, '[') != NULL ? -1
	                                          : parse_target(c, host, strlen(host), pn);
	if (rc != 0) {
		char msg[160];

		snprintf(msg, sizeof(msg), "Host name lookup for '%.60s' failed\r\n%s", host,
		         ++c->lines < LAB_ERRORS_MAX ? prompt : "");
		say(c, msg, strlen(msg));
		if (c->lines >= LAB_ERRORS_MAX)
			p_close(c);
		free(line);
		return 1;
	}
	free(line);
	forward(c);
	return 1;
}

/* on_fake - the fake mail server: "250 ok" to every line */
static int on_fake(struct proxy_conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr p = evbuffer_search(in, "\n", 1, NULL);

	if (p.pos < 0) {
		if (evbuffer_get_length(in) > LAB_PROXY_LINE_MAX * 4)
			evbuffer_drain(in, evbuffer_get_length(in));
		return 0;
	}
	evbuffer_drain(in, (size_t)p.pos + 1);
	if (out_len(c->bev) > LAB_WRITE_HIGHWAT) {
		p_kill(c, "not-reading");
		return 0;
	}
	say(c, "250 ok\r\n", 8);
	return 1;
}

/* read_cb - the client's bytes: the state's reader while it makes progress */
static void read_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	int more = 1;

	while (more && c->state != PS_DEAD) {
		switch (c->state) {
		case PS_FIRST:
			more = on_first(c, in);
			break;
		case PS_HTTP:
			more = on_http(c, in);
			break;
		case PS_SOCKS4:
			more = on_socks4(c, in);
			break;
		case PS_SOCKS5_HELLO:
			more = on_socks5_hello(c, in);
			break;
		case PS_SOCKS5_AUTH:
			more = on_socks5_auth(c, in);
			break;
		case PS_SOCKS5_REQ:
			more = on_socks5_req(c, in);
			break;
		case PS_TELNET:
			more = on_telnet(c, in);
			break;
		case PS_FAKE:
			more = on_fake(c, in);
			break;
		case PS_PIPE:
			pipe_bytes(c, bev, c->up);
			more = 0;
			break;
		case PS_CONNECTING: /* kept for the pipe; reading is off meanwhile */
			more = 0;
			break;
		default: /* silent, closing */
			evbuffer_drain(in, evbuffer_get_length(in));
			more = 0;
			break;
		}
	}
}

/* write_cb - the client took our bytes: read the target again, or finish */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn *c = arg;

	if (c->state == PS_PIPE)
		bufferevent_enable(c->up, EV_READ);
	p_done_if_flushed(c);
}

/* event_cb - the client ended, or idled: flush to the target, close */
static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn *c = arg;

	if (c->state == PS_PIPE && (what & BEV_EVENT_EOF) && c->up != NULL) {
		evbuffer_drain(bufferevent_get_output(bev), out_len(bev));
		p_close(c);
		return;
	}
	p_kill(c, (what & BEV_EVENT_EOF)       ? "eof"
	          : (what & BEV_EVENT_TIMEOUT) ? "timeout"
	                                       : "error");
}

/* proxyd_accept - a new client; a telnet host speaks first */
void proxyd_accept(struct lab_host *h, int fd, const char *peer)
{
	struct lab *lab = h->lab;
	struct timeval idle = {LAB_IDLE_SEC, 0};
	struct proxy_conn *c = xcalloc(1, sizeof(*c));

	c->lab = lab;
	c->host = h;
	c->id = ++lab->next_id;
	c->state = PS_FIRST;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->drip = evbuffer_new();
	c->drip_ev = evtimer_new(lab->base, drip_cb, c);
	c->bev = bufferevent_socket_new(lab->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		rw_panic("%s: bufferevent_socket_new failed", __func__);
	c->next = lab->pconns;
	if (lab->pconns != NULL)
		lab->pconns->prev = c;
	lab->pconns = c;
	lab->nconn++;
	h->nconn++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, LAB_READ_HIGHWAT);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	lab_info(lab, "lab host=%s pconn=%lu event=connect peer=%s profile=%s", h->name, c->id,
	         peer, h->prof->name);
	c->act = h->prof->proxy[PK_TELNET];
	if (c->act == PA_FORWARD) {
		c->kind = PK_TELNET;
		say(c, "\r\nWinGate>", 10);
		p_enter(c, PS_TELNET);
	} else if (c->act == PA_AUTH) {
		static const char login[] = "\r\nUser Access Verification\r\n\r\nUsername: ";

		c->kind = PK_TELNET;
		say(c, login, strlen(login));
		p_enter(c, PS_SILENT);
	}
}

/* proxyd_close_all - end every proxy connection (shutdown) */
void proxyd_close_all(struct lab *lab)
{
	while (lab->pconns != NULL)
		p_kill(lab->pconns, "shutdown");
}
