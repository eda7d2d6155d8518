/*
 * NAME
 *	tunnel - the canary conversation through an established tunnel
 * SUMMARY
 *	wait for the canary's banner, say HELO <probe id>, read the nonce
 * SYNOPSIS
 *	void tunnel_init(a, telnet); void tunnel_free(a);
 *	void tunnel_byte(a, c, out, now); void tunnel_end(a, e, now);
 * DESCRIPTION
 *	Shared by CONNECT, SOCKS and telnet once the proxy says it is
 *	connected. The bytes are read as lines; every run of nonce characters
 *	is judged as it ends (proxy.c's tracker). The canary's final banner
 *	line ("220 ...") gets "HELO <probe id>"; the first final reply line
 *	after it decides. A nonce bound to the probe id decides PXO_OPEN at
 *	once; a fresh banner nonce (bind "0") is enough when the HELO reply
 *	carries no better one, or the tunnel ends. Anything else that comes
 *	through (a fake banner, a portal's page, nothing) is PXO_SUSPECT: the
 *	proxy claimed a connection it did not prove. Before the banner, a
 *	telnet proxy's own "connection refused" line is PXO_CLOSED.
 * DIAGNOSTICS
 *	The SUSPECT reason quotes the first bytes that came through, or says
 *	which nonce came and why it proves nothing.
 * LIMITS
 *	RW_PROXY_TUNNEL_MAX bytes, RW_PROXY_TUNNEL_LINES_MAX lines,
 *	RW_PROXY_LINE_MAX bytes per line; TUNNEL_QUOTE bytes quoted.
 * STANDARDS
 *	RFC 5321 4.1.1.1 (HELO), 4.2 (reply lines), 4.3.1 (220 greeting).
 */
#include "proxy_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* what a telnet proxy or router prints when it cannot connect */
static const char *const telnet_failures[] = {
    "refused",   "unreachable", "timed out",    "failure",  "unable to connect",
    "could not", "can't",       "host is down", "no route", "connect failed",
};

/* tunnel_init - the proxy says it is connected */
void tunnel_init(struct pxa *a, int telnet)
{
	memset(&a->tun, 0, sizeof(a->tun));
	dbuf_init(&a->tun.line, RW_PROXY_LINE_MAX);
	a->tun.telnet = telnet;
}

/* tunnel_free - the line's memory */
void tunnel_free(struct pxa *a)
{
	dbuf_free(&a->tun.line);
}

/* verdict - the tunnel is over (a reply to HELO, its end, or its limits) */
static void verdict(struct pxa *a, const char *why)
{
	char q[4 * TUNNEL_QUOTE + 8];

	if (a->accepted) {
		px_decide_open(a, a->accepted == 2 ? "the canary answered HELO through the proxy"
		                                   : "the canary's banner came through the proxy");
		return;
	}
	if (a->rejected && strcmp(a->rejected, "malformed") != 0) {
		px_decide(a, PXO_SUSPECT,
		          "the proxy said it connected, but the nonce that came back is %s (%s)",
		          a->rejected, why);
		return;
	}
	if (a->tun.total == 0) {
		px_decide(a, PXO_SUSPECT,
		          "the proxy said it connected, but the canary's nonce never came back "
		          "(%s): nothing came through",
		          why);
		return;
	}
	px_quote(q, sizeof(q), a->tun.first, a->tun.nfirst);
	px_decide(
	    a, PXO_SUSPECT,
	    "the proxy said it connected, but the canary's nonce never came back (%s): \"%s%s\"",
	    why, q, a->tun.total > a->tun.nfirst ? "..." : "");
}

/* failed - a telnet proxy's own words for a connection it could not make */
static int failed(const char *line)
{
	for (size_t i = 0; i < sizeof(telnet_failures) / sizeof(telnet_failures[0]); i++)
		if (strcasestr(line, telnet_failures[i]))
			return 1;
	return 0;
}

/* line_done - a complete line came through */
static void line_done(struct pxa *a, struct dbuf *out)
{
	struct tunnel_rd *t = &a->tun;
	const char *l = dbuf_str(&t->line);
	size_t n = t->line.len;
	int code = -1, final = 0;

	if (n > 0 && l[n - 1] == '\r')
		n--;
	if (n >= 3 && l[0] >= '1' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' && l[2] >= '0' &&
	    l[2] <= '9' && (n == 3 || l[3] == ' ' || l[3] == '-')) {
		code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		final = n == 3 || l[3] == ' ';
	}
	if (!t->helo_sent) {
		if (code == 220 && final) {
			px_sendf(a, out, "HELO %s\r\n", a->id);
			t->helo_sent = 1;
		} else if (t->telnet && code < 0 && !a->accepted && failed(l)) {
			char q[4 * 64 + 8];

			px_quote(q, sizeof(q), l, n < 64 ? n : 64);
			px_decide(a, PXO_CLOSED, "the proxy could not reach the canary: \"%s\"", q);
		}
		return;
	}
	if (code >= 0 && final)
		verdict(a, "its answer to HELO");
}

/* tunnel_byte - one byte from the far side */
void tunnel_byte(struct pxa *a, unsigned char c, struct dbuf *out, long long now)
{
	struct tunnel_rd *t = &a->tun;

	if (t->nfirst < sizeof(t->first))
		t->first[t->nfirst++] = c;
	t->total++;
	if (px_nonce_byte(a, c, now) == 2) {
		px_decide_open(a, "the canary answered HELO through the proxy");
		return;
	}
	if (c == '\n') {
		line_done(a, out);
		dbuf_reset(&t->line);
		if (!a->decided && ++t->lines >= RW_PROXY_TUNNEL_LINES_MAX)
			verdict(a, "too many lines");
	} else if (t->line.len >= RW_PROXY_LINE_MAX) {
		verdict(a, "a line too long");
	} else {
		dbuf_addc(&t->line, (char)c);
	}
	if (!a->decided && t->total >= RW_PROXY_TUNNEL_MAX)
		verdict(a, "too many bytes");
}

/* tunnel_end - EOF or timeout in the tunnel */
void tunnel_end(struct pxa *a, enum px_end e, long long now)
{
	px_nonce_flush(a, now);
	verdict(a, e == PXE_EOF ? "closed" : "timed out");
}
