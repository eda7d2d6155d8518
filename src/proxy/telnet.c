/*
 * NAME
 *	telnet - WinGate and router telnet prompts, IAC negotiation
 * SUMMARY
 *	wait for a prompt; ask the proxy (WinGate) or the router's telnet
 *	client to connect to the canary; refuse every telnet option
 * SYNOPSIS
 *	void telnet_start(a, out);
 *	void telnet_byte(a, c, out, now); void telnet_end(a, e, now);
 * DESCRIPTION
 *	Nothing is sent first. Option negotiation is stripped and refused
 *	(IAC DO x -> IAC WONT x, IAC WILL x -> IAC DONT x; subnegotiation
 *	skipped; IAC IAC is a data 0xFF; CR NUL a bare CR), before and after
 *	the prompt. The text is read line by line, and each line is looked
 *	at as it grows, so a prompt (a line with no newline yet) is seen at
 *	its last character whatever the split: "WinGate>" (any case) gets
 *	"A:P" ("[A]:P" for IPv6); a login prompt (Username:, login:,
 *	Password:, User:) is PXO_AUTH; a router prompt (name followed by '>'
 *	or '#') gets "telnet A P". What follows either command goes to the
 *	tunnel, where "Connecting to host ...", "Trying ... Open" and the
 *	echo of the command are lines before the canary's banner. An SMTP
 *	reply, an HTTP or SSH answer or binary bytes first are PXO_NOT_PROXY.
 *	A prompt is known by the byte that ends it, not by the silence after
 *	it (that would depend on how the bytes were split), so a banner line
 *	that merely starts like one ("Last login: ...") counts as one.
 * DIAGNOSTICS
 *	The reason quotes the prompt or the first bytes. No prompt before
 *	EOF, timeout or the limits: PXO_NOT_PROXY.
 * LIMITS
 *	RW_PROXY_TELNET_TEXT_MAX bytes of text and RW_PROXY_TELNET_RAW_MAX
 *	bytes in all before a prompt; RW_PROXY_TELNET_NEG_MAX option answers;
 *	TELNET_LINE_KEEP bytes of a line looked at for a prompt.
 * STANDARDS
 *	RFC 854 (telnet: IAC, CR NUL), RFC 855 (option negotiation).
 */
#include "proxy_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
	T_SE = 240,
	T_SB = 250,
	T_WILL = 251,
	T_WONT = 252,
	T_DO = 253,
	T_DONT = 254,
	T_IAC = 255,
};

/* login prompts, at the end of a line, after a word boundary */
static const char *const login_words[] = {"username:", "login:", "password:", "user:"};

/* telnet_start - nothing to send: the proxy speaks first */
void telnet_start(struct pxa *a, struct dbuf *out)
{
	a->t.st = TS_DATA;
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_namechar(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* ends_ci - the line ends with w, case-insensitive; its start offset or -1 */
static long ends_ci(const struct telnet_rd *t, const char *w)
{
	size_t n = strlen(w);

	if (t->len < n || strncasecmp(t->line + t->len - n, w, n) != 0)
		return -1;
	return (long)(t->len - n);
}

/* router_prompt - blanks, then [A-Za-z0-9][A-Za-z0-9_.-]*, then the '>' or '#' just read */
static int router_prompt(const struct telnet_rd *t)
{
	size_t i = 0;

	while (i < t->len && (t->line[i] == ' ' || t->line[i] == '\t'))
		i++;
	if (i + 1 >= t->len || !is_namechar((unsigned char)t->line[i]) || t->line[i] == '_' ||
	    t->line[i] == '.' || t->line[i] == '-')
		return 0;
	for (; i < t->len - 1; i++)
		if (!is_namechar((unsigned char)t->line[i]))
			return 0;
	return 1;
}

/* prompt_quote - the line so far, escaped */
static void prompt_quote(const struct telnet_rd *t, char *q, size_t qlen)
{
	px_quote(q, qlen, t->line, t->len < 64 ? t->len : 64);
}

/* prompt - a prompt may end at c: act on it */
static void prompt(struct pxa *a, unsigned char c, struct dbuf *out)
{
	struct telnet_rd *t = &a->t;
	char q[4 * 64 + 8], hp[80];

	if (c == ':') {
		for (size_t i = 0; i < sizeof(login_words) / sizeof(login_words[0]); i++) {
			long at = ends_ci(t, login_words[i]);

			if (at < 0 || (at > 0 && is_alpha((unsigned char)t->line[at - 1])))
				continue;
			prompt_quote(t, q, sizeof(q));
			px_decide(a, PXO_AUTH, "a login prompt: \"%s\"", q);
			return;
		}
		return;
	}
	if (c == '>' && ends_ci(t, "wingate>") >= 0) {
		snprintf(a->rep.software, sizeof(a->rep.software), "WinGate");
		px_hostport(a, hp, sizeof(hp));
		px_sendf(a, out, "%s\r\n", hp);
	} else if ((c == '>' || c == '#') && router_prompt(t)) {
		px_sendf(a, out, "telnet %s %u\r\n", a->c.addr, a->c.port);
	} else {
		return;
	}
	t->tunnel = 1;
	px_tunnel_begin(a, 1);
}

/* first_line - the first bytes tell a foreign server */
static void first_line(struct pxa *a)
{
	struct telnet_rd *t = &a->t;
	const char *l = t->line;

	if (t->len == 4 && l[0] >= '2' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' &&
	    l[2] >= '0' && l[2] <= '9' && (l[3] == ' ' || l[3] == '-'))
		px_garbage(a, "an SMTP server, not a telnet proxy");
	else if (t->len == 4 && memcmp(l, "SSH-", 4) == 0)
		px_garbage(a, "an SSH server, not a telnet proxy");
	else if (t->len == 5 && memcmp(l, "HTTP/", 5) == 0)
		px_garbage(a, "an HTTP server, not a telnet proxy");
}

/* text - one byte of text before the prompt */
static void text(struct pxa *a, unsigned char c, struct dbuf *out)
{
	struct telnet_rd *t = &a->t;

	if (c == 0 && t->after_cr) {
		t->after_cr = 0; /* CR NUL: a bare CR */
		return;
	}
	t->after_cr = c == '\r';
	if (++t->text > RW_PROXY_TELNET_TEXT_MAX) {
		px_decide(a, PXO_NOT_PROXY, "no prompt in %d bytes of text",
		          RW_PROXY_TELNET_TEXT_MAX);
		return;
	}
	if (c == '\r' || c == '\n') {
		t->lines++;
		t->len = 0;
		t->over = 0;
		return;
	}
	if (c < 0x20 && c != '\t' && c != 0x1b && c != '\b' && c != '\a' && c != '\f') {
		px_garbage(a, "binary answer, not a telnet prompt");
		return;
	}
	if (t->over || t->len >= sizeof(t->line) - 1) {
		t->over = 1;
		return;
	}
	t->line[t->len++] = (char)c;
	t->line[t->len] = '\0';
	if (t->lines == 0) {
		first_line(a);
		if (a->phase == PH_GARBAGE)
			return;
	}
	if (c == '>' || c == '#' || c == ':')
		prompt(a, c, out);
}

/* data - a data byte: prompt text, or the tunnel once a prompt was answered */
static void data(struct pxa *a, unsigned char c, struct dbuf *out, long long now)
{
	if (a->t.tunnel)
		tunnel_byte(a, c, out, now);
	else
		text(a, c, out);
}

/* refuse - IAC WONT/DONT x, while the answers last */
static void refuse(struct pxa *a, unsigned char verb, unsigned char opt, struct dbuf *out)
{
	unsigned char ans[3] = {T_IAC, 0, opt};

	if (verb != T_DO && verb != T_WILL)
		return; /* DONT/WONT need no answer (RFC 854: no loops) */
	if (a->t.answers >= RW_PROXY_TELNET_NEG_MAX)
		return;
	a->t.answers++;
	ans[1] = verb == T_DO ? T_WONT : T_DONT;
	px_send(a, out, ans, sizeof(ans));
}

/* telnet_byte - one byte from the telnet peer */
void telnet_byte(struct pxa *a, unsigned char c, struct dbuf *out, long long now)
{
	struct telnet_rd *t = &a->t;

	if (!t->tunnel && ++t->raw > RW_PROXY_TELNET_RAW_MAX) {
		px_decide(a, PXO_NOT_PROXY, "no prompt in %d bytes", RW_PROXY_TELNET_RAW_MAX);
		return;
	}
	switch (t->st) {
	case TS_DATA:
		if (c == T_IAC)
			t->st = TS_IAC;
		else
			data(a, c, out, now);
		return;
	case TS_IAC:
		t->st = TS_DATA;
		if (c == T_IAC) {
			data(a, c, out, now);
		} else if (c >= T_WILL && c <= T_DONT) {
			t->verb = c;
			t->st = TS_OPT;
		} else if (c == T_SB) {
			t->st = TS_SB;
		}
		return; /* other commands (NOP, GA, ...) carry nothing */
	case TS_OPT:
		refuse(a, t->verb, c, out);
		t->st = TS_DATA;
		return;
	case TS_SB:
		if (c == T_IAC)
			t->st = TS_SB_IAC;
		return;
	case TS_SB_IAC:
		t->st = c == T_SE ? TS_DATA : TS_SB;
		return;
	}
}

/* telnet_end - EOF or timeout before a prompt */
void telnet_end(struct pxa *a, enum px_end e, long long now)
{
	char q[4 * PX_QUOTE_MAX + 8];

	px_quote_first(a, q, sizeof(q));
	px_decide(a, PXO_NOT_PROXY, "no prompt: \"%s\"", q);
}
