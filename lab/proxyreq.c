/*
 * NAME
 *	proxyreq - what the lab's proxies are asked, and what they answer
 * SUMMARY
 *	tell HTTP, SOCKS4/4a, SOCKS5 and telnet apart; answer as the profile says
 * SYNOPSIS
 *	void proxyreq_greet(struct proxy_conn *c);
 *	void proxyreq_feed(struct proxy_conn *c, struct evbuffer *in);
 *	void proxyreq_granted(struct proxy_conn *c);
 *	void proxyreq_failed(struct proxy_conn *c);
 *	void proxyreq_refuse(struct proxy_conn *c, const char *why);
 * DESCRIPTION
 *	proxyreq_greet() speaks first for a host whose profile answers
 *	PK_TELNET (the WinGate prompt, or a router's login); the others wait.
 *	proxyreq_feed() reads the client's request: its first byte says the
 *	protocol (0x04 SOCKS4/4a, 0x05 SOCKS5, a letter HTTP: CONNECT, an
 *	absolute URI or origin form), so one host serves several protocols on
 *	the lab's single port. A whole request is answered with the profile's
 *	act for its kind (profile.h): refused, auth demanded, faked, dripped,
 *	junk, a web server's 4xx, or forwarded: the target, an address
 *	literal only - a name is resolved never - goes to proxyd_forward().
 *	An absolute URI is rewritten to origin form for the target, the
 *	hop-by-hop fields dropped, "Connection: close" and a Via added.
 *	proxyreq_granted() and proxyreq_failed() answer once proxyd.c has
 *	connected or failed; proxyreq_refuse() is each kind's refusal.
 * DIAGNOSTICS
 *	One log line per answer: kind, act, target, what was answered.
 * LIMITS
 *	LAB_PROXY_HEAD_MAX (431), LAB_PROXY_URI_MAX (414),
 *	LAB_PROXY_LINE_MAX per telnet line and SOCKS4 field, LAB_ERRORS_MAX
 *	bad telnet lines, LAB_BINARY_LEN of junk.
 * STANDARDS
 *	RFC 9112 3.2 (request target forms), RFC 9110 7.6.1 (hop-by-hop
 *	fields), 7.6.3 (Via), 11.7.1 (Proxy-Authenticate); RFC 1928 (SOCKS5),
 *	RFC 1929 (username/password), the SOCKS4 and SOCKS4a memos.
 */
#include "proxyd_int.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../src/core/log.h"
#include "../src/core/xalloc.h"

static const char *const act_names[PA__COUNT] = {
    [PA_DROP] = "drop",           [PA_FORWARD] = "forward", [PA_REFUSE] = "refuse",
    [PA_AUTH] = "auth",           [PA_FAKE] = "fake",       [PA_NOT_ALLOWED] = "not-allowed",
    [PA_NOT_FOUND] = "not-found", [PA_BAD] = "bad-request", [PA_DRIP] = "drip",
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
#define S4_GRANT  0x5A
#define S4_REJECT 0x5B

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
	proxyd_say(c, head, strlen(head));
	proxyd_say(c, body, strlen(body));
	snprintf(head, sizeof(head), "%d", s->code);
	log_answer(c, head);
	proxyd_close(c);
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
	proxyd_say(c, b, sizeof(b));
	log_answer(c, "junk");
	proxyd_enter(c, PS_SILENT);
}

/* answer_common - the acts every kind answers alike: 1 when answered */
static int answer_common(struct proxy_conn *c)
{
	switch (c->act) {
	case PA_DROP:
		log_answer(c, "close");
		proxyd_kill(c, "dropped");
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

/* socks4_reply - the 8-byte answer, echoing the request's port and address */
static void socks4_reply(struct proxy_conn *c, unsigned char code)
{
	unsigned char r[8] = {0x00, code};

	memcpy(r + 2, c->s4, 6);
	proxyd_say(c, r, sizeof(r));
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
	proxyd_say(c, r, n);
}

/* proxyreq_refuse - the kind's refusal, then close */
void proxyreq_refuse(struct proxy_conn *c, const char *why)
{
	char line[160];

	switch (c->kind) {
	case PK_SOCKS4:
		socks4_reply(c, S4_REJECT);
		log_answer(c, why);
		proxyd_close(c);
		break;
	case PK_SOCKS5:
		socks5_reply(c, S5_RULESET);
		log_answer(c, why);
		proxyd_close(c);
		break;
	case PK_TELNET:
		snprintf(line, sizeof(line), "Connecting to host %s...Connection refused\r\n",
		         c->target);
		proxyd_say(c, line, strlen(line));
		log_answer(c, why);
		proxyd_close(c);
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
		proxyd_say(c, head, strlen(head));
		proxyd_say(c, fake_page, strlen(fake_page));
		log_answer(c, "200-page");
		proxyd_close(c);
		return;
	case PK_SOCKS4:
		socks4_reply(c, S4_GRANT);
		break;
	case PK_SOCKS5:
		proxyd_say(c, s5, sizeof(s5));
		break;
	default:
		proxyd_say(c, http_grant, strlen(http_grant));
		break;
	}
	proxyd_say(c, fake_banner, strlen(fake_banner));
	log_answer(c, "granted-fake");
	proxyd_enter(c, PS_FAKE);
}

/* drip - a grant, one byte per LAB_TARPIT_MS (proxyd_say drips), connecting nowhere */
static void drip(struct proxy_conn *c)
{
	static const unsigned char s5[10] = {0x05, 0x00, 0x00, 0x01};

	if (c->kind == PK_SOCKS4)
		socks4_reply(c, S4_GRANT);
	else if (c->kind == PK_SOCKS5)
		proxyd_say(c, s5, sizeof(s5));
	else
		proxyd_say(c, http_grant, strlen(http_grant));
	log_answer(c, "drip");
	proxyd_enter(c, PS_SILENT);
}

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
		proxyd_enter(c, b == 0x04 ? PS_SOCKS4 : PS_SOCKS5_HELLO);
		return 1;
	}
	if (isalpha(b)) {
		proxyd_enter(c, PS_HTTP);
		return 1;
	}
	c->kind = PK_OTHER;
	c->act = c->host->prof->proxy[PK_OTHER];
	if (!answer_common(c)) {
		if (c->act == PA_DRIP)
			drip(c);
		else
			proxyreq_refuse(c, "refused");
	}
	return 1;
}

/* rewrite_absolute - the request for the target: origin form, the
 * client's header fields minus the hop-by-hop ones, ours added */
static void rewrite_absolute(struct proxy_conn *c, const char *method, const char *path,
                             const char *version, const char *fields)
{
	static const char *const drop[] = {
	    "proxy-connection:", "proxy-authorization:", "connection:", "keep-alive:"};
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
		proxyd_forward(c);
done:
	free(head);
	return 1;
}

/* act_on_target - the SOCKS request named a target: what the profile does with it */
static void act_on_target(struct proxy_conn *c)
{
	switch (c->act) {
	case PA_FORWARD:
		proxyd_forward(c);
		break;
	case PA_FAKE:
		fake(c);
		break;
	case PA_DRIP:
		drip(c);
		break;
	default:
		proxyreq_refuse(c, "refused");
		break;
	}
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
		proxyreq_refuse(c, "user-id-too-long");
		return 1;
	}
	is4a = b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0;
	if (is4a) {
		size_t off = (size_t)(nul - b) + 1;

		nul2 = off < have ? memchr(b + off, 0, (have < want ? have : want) - off) : NULL;
		if (nul2 == NULL) {
			if (have - off < LAB_PROXY_LINE_MAX + 1)
				return 0;
			proxyreq_refuse(c, "host-too-long");
			return 1;
		}
	}
	if (b[1] != 0x01) {
		evbuffer_drain(in, have);
		proxyreq_refuse(c, "not-connect");
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
			proxyreq_refuse(c, "name-not-resolved");
			return 1;
		}
		evbuffer_drain(in, (size_t)(nul2 - b) + 1);
	} else {
		set_target4(c, b + 4, b + 2);
		evbuffer_drain(in, (size_t)(nul - b) + 1);
	}
	act_on_target(c);
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
	proxyd_say(c, pick, 2);
	if (pick[1] == 0xFF) {
		log_answer(c, "no-acceptable-method");
		proxyd_close(c);
	} else {
		proxyd_enter(c, want == 0x02 ? PS_SOCKS5_AUTH : PS_SOCKS5_REQ);
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
	proxyd_say(c, failed, 2);
	log_answer(c, "auth-failed");
	proxyd_close(c);
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
		proxyd_close(c);
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
			proxyd_close(c);
			return 1;
		}
	}
	evbuffer_drain(in, need);
	if (h[1] != 0x01) {
		socks5_reply(c, S5_CMD);
		log_answer(c, "not-connect");
		proxyd_close(c);
		return 1;
	}
	act_on_target(c);
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
		proxyd_say(c, "\r\nLine too long\r\n", 17);
		proxyd_close(c);
		return 1;
	}
	host = strtok_r(line, " \t", &save);
	if (host != NULL && strcasecmp(host, "telnet") == 0)
		host = strtok_r(NULL, " \t", &save);
	port = host ? strtok_r(NULL, " \t", &save) : NULL;
	if (host == NULL) {
		proxyd_say(c, prompt, strlen(prompt));
		free(line);
		return 1;
	}
	if (port != NULL) {
		char *end;
		long v = strtol(port, &end, 10);

		pn = *end == '\0' && v > 0 && v < 65536 ? (unsigned)v : 0;
	}
	rc = pn == 0 || strchr(host, '[') != NULL ? -1 : parse_target(c, host, strlen(host), pn);
	if (rc != 0) {
		char msg[160];

		snprintf(msg, sizeof(msg), "Host name lookup for '%.60s' failed\r\n%s", host,
		         ++c->lines < LAB_ERRORS_MAX ? prompt : "");
		proxyd_say(c, msg, strlen(msg));
		if (c->lines >= LAB_ERRORS_MAX)
			proxyd_close(c);
		free(line);
		return 1;
	}
	free(line);
	proxyd_forward(c);
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
	if (proxyd_unsent(c) > LAB_WRITE_HIGHWAT) {
		proxyd_kill(c, "not-reading");
		return 0;
	}
	proxyd_say(c, "250 ok\r\n", 8);
	return 1;
}

/* proxyreq_feed - the state's reader while it makes progress */
void proxyreq_feed(struct proxy_conn *c, struct evbuffer *in)
{
	int more = 1;

	while (more) {
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
		default: /* forwarding, silent, closing, dead: not ours */
			more = 0;
			break;
		}
	}
}

/* proxyreq_greet - a telnet host speaks first, the others wait */
void proxyreq_greet(struct proxy_conn *c)
{
	c->act = c->host->prof->proxy[PK_TELNET];
	if (c->act == PA_FORWARD) {
		c->kind = PK_TELNET;
		proxyd_say(c, "\r\nWinGate>", 10);
		proxyd_enter(c, PS_TELNET);
	} else if (c->act == PA_AUTH) {
		static const char login[] = "\r\nUser Access Verification\r\n\r\nUsername: ";

		c->kind = PK_TELNET;
		proxyd_say(c, login, strlen(login));
		proxyd_enter(c, PS_SILENT);
	}
}

/* proxyreq_granted - connected: the kind's grant, or the rewritten request */
void proxyreq_granted(struct proxy_conn *c)
{
	char line[160];

	switch (c->kind) {
	case PK_SOCKS4:
		socks4_reply(c, S4_GRANT);
		break;
	case PK_SOCKS5:
		socks5_reply(c, S5_OK);
		break;
	case PK_TELNET:
		snprintf(line, sizeof(line), "Connecting to host %s...Connected\r\n", c->target);
		proxyd_say(c, line, strlen(line));
		break;
	case PK_ABSOLUTE:
		bufferevent_write_buffer(c->up, c->ahead);
		break;
	default:
		proxyd_say(c, http_grant, strlen(http_grant));
		break;
	}
	log_answer(c, "forwarded");
}

/* proxyreq_failed - the kind's answer to a target that cannot be reached */
void proxyreq_failed(struct proxy_conn *c)
{
	char line[160];

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
		proxyd_say(c, line, strlen(line));
		break;
	default:
		http_answer(c, 502);
		return;
	}
	log_answer(c, "unreachable");
	proxyd_close(c);
}
