/*
 * NAME
 *	http - HTTP proxy requests (CONNECT, GET, POST) and the answer's reader
 * SUMMARY
 *	build the request naming the canary; read the response head byte by
 *	byte; judge it, or hand the tunnel over, or read a GET/POST answer
 * SYNOPSIS
 *	void http_start_connect(a, out); void http_start_get(a, out);
 *	void http_start_post(a, out);
 *	void http_byte(a, c, out, now); void http_end(a, e, now);
 * DESCRIPTION
 *	CONNECT asks for a tunnel to the canary (RFC 9110 9.3.6); a 2xx hands
 *	the bytes after the head to the tunnel. GET and POST ask for
 *	http://canary/rwp/<probe id> in absolute form (RFC 9112 3.2.2) as
 *	HTTP/1.0 with "Connection: close", and the whole answer is read to
 *	EOF: a nonce anywhere in it (a header, the body, or an HTTP/0.9-style
 *	raw pass-through of the canary's banner) proves the proxy open. The
 *	head reader takes any split and LF-only line ends, skips 1xx interim
 *	heads, and keeps of each header line only what it judges by: the
 *	status, the proxy headers (Via, Proxy-Agent, X-Squid-Error,
 *	Proxy-Authenticate, X-Cache) and the software (Server:, else
 *	Proxy-Agent:, else Via:).
 * DIAGNOSTICS
 *	Outcomes, with the status in the report: see http_judge() and
 *	answer_judge(); a head past the limits or an answer cut mid-head is
 *	PXO_ERROR.
 * LIMITS
 *	RW_PROXY_HEAD_MAX bytes and RW_PROXY_HEAD_LINES_MAX lines of head
 *	(1xx heads included); RW_PROXY_ANSWER_MAX bytes of a GET/POST answer;
 *	HTTP_LINE_KEEP bytes of a head line are looked at.
 * STANDARDS
 *	RFC 9110 (semantics: 9.3.6 CONNECT, 15 status codes, 7.6.3 Via),
 *	RFC 9112 (HTTP/1.1: 2.2 line ends, 3.2.2 absolute form, 4 status line).
 */
#include "proxy_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HTTP_UA "relaywatch"

static const char http_prefix[] = "HTTP/";

/* http_start_connect - CONNECT A:P HTTP/1.1 */
void http_start_connect(struct pxa *a, struct dbuf *out)
{
	char hp[80];

	px_hostport(a, hp, sizeof(hp));
	px_sendf(a, out, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: " HTTP_UA "\r\n\r\n", hp,
	         hp);
}

/* http_start_get - GET http://A:P/rwp/<id> HTTP/1.0 */
void http_start_get(struct pxa *a, struct dbuf *out)
{
	char hp[80];

	px_hostport(a, hp, sizeof(hp));
	px_sendf(a, out,
	         "GET http://%s/rwp/%s HTTP/1.0\r\nHost: %s\r\nUser-Agent: " HTTP_UA
	         "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	         hp, a->id, hp);
}

/* http_start_post - POST with SMTP commands as the body */
void http_start_post(struct pxa *a, struct dbuf *out)
{
	char hp[80], body[NONCE_ID_MAX + 32];
	int n;

	px_hostport(a, hp, sizeof(hp));
	n = snprintf(body, sizeof(body), "HELO %s\r\nQUIT\r\n", a->id);
	px_sendf(
	    a, out,
	    "POST http://%s/rwp/%s HTTP/1.0\r\nHost: %s\r\nUser-Agent: " HTTP_UA
	    "\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
	    hp, a->id, hp, n, body);
}

/* is_connect - the tunnel flavour, not GET/POST */
static int is_connect(const struct pxa *a)
{
	return a->rep.proto == PX_HTTP_CONNECT;
}

/* keep_value - a header's value, trimmed, printable, cut to fit */
static void keep_value(char *dst, size_t len, const char *v)
{
	size_t k = 0;
	const char *e;

	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (; v < e && k + 1 < len; v++)
		dst[k++] = (unsigned char)*v >= 0x20 && (unsigned char)*v < 0x7f ? *v : '?';
	dst[k] = '\0';
}

/* status_line - "HTTP/" version SP 3DIGIT [SP reason]; the code or -1 */
static int status_line(const char *s)
{
	const char *p = s + 5;
	int code;

	if (strncmp(s, http_prefix, 5) != 0)
		return -1;
	if (!(*p >= '0' && *p <= '9'))
		return -1;
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	if (*p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	for (int i = 0; i < 3; i++)
		if (!(p[i] >= '0' && p[i] <= '9'))
			return -1;
	if (p[3] != '\0' && p[3] != ' ' && p[3] != '\t')
		return -1;
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	return code >= 100 && code <= 599 ? code : -1;
}

/* header - one header line: the software and proxy headers */
static void header(struct http_rd *h, const char *line)
{
	static const char *const proxy_names[] = {"Via", "Proxy-Agent", "X-Squid-Error",
	                                          "Proxy-Authenticate", "X-Cache"};
	const char *colon = strchr(line, ':');
	size_t nl;

	if (!colon || line[0] == ' ' || line[0] == '\t')
		return; /* not a field, or an obsolete folded continuation */
	nl = (size_t)(colon - line);
	for (size_t i = 0; i < sizeof(proxy_names) / sizeof(proxy_names[0]); i++)
		if (strlen(proxy_names[i]) == nl && strncasecmp(line, proxy_names[i], nl) == 0)
			h->proxy_hdr = 1;
	if (nl == 6 && strncasecmp(line, "Server", 6) == 0 && !h->server[0])
		keep_value(h->server, sizeof(h->server), colon + 1);
	else if (nl == 11 && strncasecmp(line, "Proxy-Agent", 11) == 0 && !h->agent[0])
		keep_value(h->agent, sizeof(h->agent), colon + 1);
	else if (nl == 3 && strncasecmp(line, "Via", 3) == 0 && !h->via[0])
		keep_value(h->via, sizeof(h->via), colon + 1);
}

/* http_judge - a refusal, an auth demand or a web server: every status
 * but 1xx, and 2xx of CONNECT */
static void http_judge(struct pxa *a)
{
	int s = a->h.status, px = a->h.proxy_hdr;

	if (s == 407)
		px_decide(a, PXO_AUTH, "the proxy requires authentication (407)");
	else if (s == 403)
		px_decide(a, PXO_CLOSED, "the proxy refused the request (403)");
	else if (s == 502 || s == 503 || s == 504)
		px_decide(a, PXO_CLOSED, "the proxy could not or would not reach the canary (%d)",
		          s);
	else if ((s == 501 || s == 505) && !px)
		/* "Unsupported method ('CONNECT')": a web server's answer */
		px_decide(a, PXO_NOT_PROXY, "a web server, not a proxy: %d", s);
	else if (s >= 500)
		px_decide(a, PXO_CLOSED, "the proxy failed the request (%d)", s);
	else if (s >= 400 && px)
		px_decide(a, PXO_CLOSED, "the proxy refused the request (%d)", s);
	else if (s >= 300 && s < 400 && px)
		px_decide(a, PXO_CLOSED, "the proxy redirected the request (%d)", s);
	else
		px_decide(a, PXO_NOT_PROXY, "a web server, not a proxy: %d", s);
}

/* answer_judge - GET/POST after its head, with no accepted nonce */
static void answer_judge(struct pxa *a)
{
	int s = a->h.status;

	if (a->rejected && strcmp(a->rejected, "malformed") != 0)
		px_decide(a, PXO_SUSPECT, "answered %d, but the nonce in it is %s", s, a->rejected);
	else if (s >= 200 && s < 300 && a->h.proxy_hdr)
		px_decide(a, PXO_SUSPECT, "answered %d but not with the canary's nonce", s);
	else if (s >= 200 && s < 300)
		px_decide(a, PXO_NOT_PROXY, "a web server answered with its own page (%d)", s);
	else
		http_judge(a);
}

/* raw_judge - GET/POST whose answer is not HTTP, with no accepted nonce */
static void raw_judge(struct pxa *a)
{
	char q[4 * PX_QUOTE_MAX + 8];

	px_quote_first(a, q, sizeof(q));
	if (a->rejected && strcmp(a->rejected, "malformed") != 0)
		px_decide(a, PXO_SUSPECT, "not an HTTP answer, and the nonce in it is %s: \"%s\"",
		          a->rejected, q);
	else
		px_decide(a, PXO_NOT_PROXY, "not an HTTP answer: \"%s\"", q);
}

/* head_done - the empty line after the headers */
static void head_done(struct pxa *a)
{
	struct http_rd *h = &a->h;
	const char *sw = h->server[0] ? h->server : h->agent[0] ? h->agent : h->via;

	snprintf(a->rep.software, sizeof(a->rep.software), "%s", sw);
	if (h->status < 200) {
		/* 1xx interim answer: the real head follows (its bytes count) */
		h->st = HS_VERSION;
		h->vpos = 0;
		h->status = 0;
		return;
	}
	if (!is_connect(a)) {
		h->st = HS_BODY; /* judged at EOF: the nonce may be anywhere */
		return;
	}
	if (h->status < 300)
		px_tunnel_begin(a, 0);
	else
		http_judge(a);
}

/* line_done - a complete line of the head (LF seen, CR stripped) */
static void line_done(struct pxa *a)
{
	struct http_rd *h = &a->h;

	if (h->len > 0 && h->line[h->len - 1] == '\r')
		h->len--;
	h->line[h->len] = '\0';
	h->len = 0;
	if (h->status == 0) {
		int code = status_line(h->line);
		char q[4 * 48 + 8];

		if (code < 0) {
			px_quote(q, sizeof(q), h->line, strnlen(h->line, 48));
			if (is_connect(a))
				px_decide(a, PXO_NOT_PROXY, "malformed status line: \"%s\"", q);
			else
				h->st = HS_RAW;
			return;
		}
		h->status = code;
		a->rep.status = code;
		h->nlines++;
		return;
	}
	if (h->line[0] == '\0') {
		head_done(a);
		return;
	}
	if (++h->nlines > RW_PROXY_HEAD_LINES_MAX) {
		px_decide(a, PXO_ERROR, "answer head of more than %d lines",
		          RW_PROXY_HEAD_LINES_MAX);
		return;
	}
	header(h, h->line);
}

/* http_byte - one byte of the answer */
void http_byte(struct pxa *a, unsigned char c, struct dbuf *out, long long now)
{
	struct http_rd *h = &a->h;

	if (!is_connect(a)) {
		h->answer++;
		if (px_nonce_byte(a, c, now) > 0) {
			px_decide_open(a, h->st == HS_RAW
			                      ? "the proxy passed the canary's own bytes"
			                      : "the proxy fetched the canary's page");
			return;
		}
	}
	switch (h->st) {
	case HS_VERSION:
		if (c != (unsigned char)http_prefix[h->vpos]) {
			if (is_connect(a))
				px_garbage(a, "not an HTTP answer");
			else
				h->st = HS_RAW;
			break;
		}
		h->line[h->vpos] = (char)c;
		h->len = ++h->vpos;
		h->head_bytes++;
		if (h->vpos == sizeof(http_prefix) - 1)
			h->st = HS_LINE;
		break;
	case HS_LINE:
		if (++h->head_bytes > RW_PROXY_HEAD_MAX) {
			px_decide(a, PXO_ERROR, "answer head longer than %d bytes",
			          RW_PROXY_HEAD_MAX);
			break;
		}
		if (c == '\n')
			line_done(a);
		else if (h->len < sizeof(h->line) - 1)
			h->line[h->len++] = (char)c;
		break;
	case HS_RAW:
		/* not HTTP and no nonce in its first lines: an SMTP banner
		 * and its complaints, or junk - not the canary passed through
		 * (whose first line carries the nonce) */
		if (c == '\n' && ++h->raw_lines >= RW_PROXY_RAW_LINES)
			raw_judge(a);
		break;
	case HS_BODY:
		break;
	}
	if (!a->decided && !is_connect(a) && h->answer >= RW_PROXY_ANSWER_MAX) {
		/* enough read: judge what came */
		if (h->st == HS_BODY)
			answer_judge(a);
		else if (h->st == HS_RAW)
			raw_judge(a);
		else
			px_decide(a, PXO_ERROR, "answer head longer than %d bytes",
			          RW_PROXY_HEAD_MAX);
	}
}

/* http_pause - GET/POST answered without HTTP and the peer is quiet:
 * the canary passed through raw has its nonce in its first write, so
 * junk that stops, or an SMTP banner waiting for a command, is judged
 * now rather than at the deadline */
void http_pause(struct pxa *a)
{
	if (!is_connect(a) && a->h.st == HS_RAW)
		raw_judge(a);
}

/* http_end - EOF or timeout before a decision */
void http_end(struct pxa *a, enum px_end e, long long now)
{
	struct http_rd *h = &a->h;

	if (!is_connect(a) && px_nonce_flush(a, now) > 0) {
		px_decide_open(a, h->st == HS_RAW ? "the proxy passed the canary's own bytes"
		                                  : "the proxy fetched the canary's page");
		return;
	}
	if (h->st == HS_BODY)
		answer_judge(a);
	else if (h->st == HS_RAW)
		raw_judge(a);
	else if (e == PXE_EOF)
		px_decide(a, PXO_ERROR, "closed the connection mid-answer after %zu byte%s",
		          a->nrecv, a->nrecv == 1 ? "" : "s");
	else
		px_decide(a, PXO_ERROR, "timed out mid-answer after %zu byte%s", a->nrecv,
		          a->nrecv == 1 ? "" : "s");
}
