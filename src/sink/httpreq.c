/*
 * NAME
 *	httpreq - incremental HTTP/1.x request-head recognizer (sans I/O)
 * SUMMARY
 *	tell an HTTP request from an SMTP client's first bytes; read its head
 * SYNOPSIS
 *	struct httpreq *httpreq_new(void);
 *	struct httpreq *httpreq_free(struct httpreq *p);
 *	enum httpreq_event httpreq_feed(p, buf, len, size_t *used);
 *	int httpreq_line_done(p); const char *httpreq_method(p);
 *	const char *httpreq_target(p); const char *httpreq_why(p);
 * DESCRIPTION
 *	httpreq_new() returns an owned recognizer; httpreq_free() accepts
 *	NULL and returns NULL. httpreq_feed() reads one byte at a time
 *	through named states and stops right after the byte that gives an
 *	event, so any chunking gives the same events. A request line is
 *	METHOD (A-Z, 3 to 10) SP target (visible ASCII) SP "HTTP/1." digit,
 *	then CRLF or LF. Until "HTTP/1." is complete a byte outside that
 *	grammar gives NOT_HTTP (an SMTP client's "EHLO x\r\n" does so at its
 *	CR, "ehlo" at its first byte); afterwards it gives BAD. Header lines
 *	are "name:value" (name of RFC 9110 tchars), or a folded continuation
 *	after one; the empty line gives HEAD. A body is not read.
 * DIAGNOSTICS
 *	HTTPREQ_BAD with a reason in httpreq_why().
 * LIMITS
 *	RW_HTTP_HEAD_MAX bytes of head (NOT_HTTP before "HTTP/1.", BAD
 *	after), RW_HTTP_HEADERS_MAX header lines, RW_HTTP_TARGET_MAX bytes
 *	of target kept (a longer one reads as "").
 * STANDARDS
 *	RFC 9112 2.2 (bare LF), 3 (request line), 5 (field lines, obs-fold);
 *	RFC 9110 5.6.2 (tchar).
 */
#include "httpreq.h"
#include "../core/limits.h"
#include "../core/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define METHOD_MIN 3
#define METHOD_MAX 10

static const char version[] = "HTTP/1.";

enum hr_state {
	HR_METHOD,    /* A-Z up to the first SP */
	HR_TARGET,    /* visible ASCII up to the second SP */
	HR_VERSION,   /* matching "HTTP/1." */
	HR_MINOR,     /* the minor version digit */
	HR_LINE_END,  /* CR or LF after the digit */
	HR_LINE_LF,   /* CR seen: LF */
	HR_FIELD_BOL, /* start of a field line, or of the empty line */
	HR_NAME,      /* field name up to ':' */
	HR_VALUE,     /* field value up to the line end */
	HR_VALUE_LF,  /* CR in a field line: LF */
	HR_END_LF,    /* CR of the empty line: LF */
	HR_DONE,      /* finished: p->final says how */
};

struct httpreq {
	enum hr_state st;
	enum httpreq_event final;
	size_t nbytes;     /* of the head so far */
	unsigned nlines;   /* field lines so far */
	size_t vi;         /* bytes of "HTTP/1." matched */
	size_t mlen, tlen; /* bytes of method[] and target[] */
	int t_over;        /* the target passed RW_HTTP_TARGET_MAX */
	int line_done;
	const char *why;
	char method[METHOD_MAX + 1];
	char target[RW_HTTP_TARGET_MAX + 1];
};

/* httpreq_new - at the first byte of a request */
struct httpreq *httpreq_new(void)
{
	struct httpreq *p = xcalloc(1, sizeof(*p));

	p->st = HR_METHOD;
	p->why = "";
	return p;
}

/* httpreq_free - NULL ok */
struct httpreq *httpreq_free(struct httpreq *p)
{
	free(p);
	return NULL;
}

/* is_tchar - RFC 9110 5.6.2 token characters */
static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* finish - enter the final state with its event */
static enum httpreq_event finish(struct httpreq *p, enum httpreq_event ev, const char *why)
{
	p->st = HR_DONE;
	p->final = ev;
	if (ev == HTTPREQ_BAD)
		p->why = why;
	return ev;
}

/* not_or_bad - a byte outside the grammar: before "HTTP/1." it was never
 * HTTP, after it the head is malformed */
static enum httpreq_event not_or_bad(struct httpreq *p, const char *why)
{
	return finish(p, p->st <= HR_VERSION ? HTTPREQ_NOT_HTTP : HTTPREQ_BAD, why);
}

/* line_end - a field line ended (counted at its first byte) */
static enum httpreq_event line_end(struct httpreq *p)
{
	p->st = HR_FIELD_BOL;
	return HTTPREQ_MORE;
}

/* hr_byte - one byte of the head */
static enum httpreq_event hr_byte(struct httpreq *p, unsigned char ch)
{
	if (p->nbytes >= RW_HTTP_HEAD_MAX)
		return not_or_bad(p, "head too long");
	p->nbytes++;
	switch (p->st) {
	case HR_METHOD:
		if (ch >= 'A' && ch <= 'Z' && p->mlen < METHOD_MAX) {
			p->method[p->mlen++] = (char)ch;
			return HTTPREQ_MORE;
		}
		if (ch == ' ' && p->mlen >= METHOD_MIN) {
			p->st = HR_TARGET;
			return HTTPREQ_MORE;
		}
		return not_or_bad(p, "method");
	case HR_TARGET:
		if (ch > ' ' && ch < 0x7f) {
			if (p->tlen < RW_HTTP_TARGET_MAX)
				p->target[p->tlen++] = (char)ch;
			else
				p->t_over = 1; /* flagged, never stored */
			return HTTPREQ_MORE;
		}
		if (ch == ' ' && (p->tlen > 0 || p->t_over)) {
			p->st = HR_VERSION;
			return HTTPREQ_MORE;
		}
		return not_or_bad(p, "target");
	case HR_VERSION:
		if (ch != (unsigned char)version[p->vi])
			return not_or_bad(p, "version");
		if (++p->vi < sizeof(version) - 1)
			return HTTPREQ_MORE;
		p->st = HR_MINOR;
		return HTTPREQ_IS_HTTP;
	case HR_MINOR:
		if (ch < '0' || ch > '9')
			return not_or_bad(p, "version");
		p->st = HR_LINE_END;
		return HTTPREQ_MORE;
	case HR_LINE_END:
		if (ch == '\r') {
			p->st = HR_LINE_LF;
			return HTTPREQ_MORE;
		}
		/* FALLTHROUGH */
	case HR_LINE_LF:
		if (ch != '\n')
			return not_or_bad(p, "request line end");
		p->line_done = 1;
		p->st = HR_FIELD_BOL;
		return HTTPREQ_MORE;
	case HR_FIELD_BOL:
		if (ch == '\r') {
			p->st = HR_END_LF;
			return HTTPREQ_MORE;
		}
		if (ch == '\n')
			return finish(p, HTTPREQ_HEAD, NULL);
		if (++p->nlines > RW_HTTP_HEADERS_MAX)
			return not_or_bad(p, "too many header lines");
		if ((ch == ' ' || ch == '\t') && p->nlines > 1) {
			p->st = HR_VALUE; /* obs-fold: more of the last value */
			return HTTPREQ_MORE;
		}
		if (!is_tchar(ch))
			return not_or_bad(p, "field name");
		p->st = HR_NAME;
		return HTTPREQ_MORE;
	case HR_NAME:
		if (ch == ':') {
			p->st = HR_VALUE;
			return HTTPREQ_MORE;
		}
		if (!is_tchar(ch))
			return not_or_bad(p, "field name");
		return HTTPREQ_MORE;
	case HR_VALUE:
		if (ch == '\r') {
			p->st = HR_VALUE_LF;
			return HTTPREQ_MORE;
		}
		if (ch == '\n')
			return line_end(p);
		if ((ch < ' ' && ch != '\t') || ch == 0x7f)
			return not_or_bad(p, "field value");
		return HTTPREQ_MORE;
	case HR_VALUE_LF:
		if (ch != '\n')
			return not_or_bad(p, "bare CR");
		return line_end(p);
	case HR_END_LF:
		if (ch != '\n')
			return not_or_bad(p, "bare CR");
		return finish(p, HTTPREQ_HEAD, NULL);
	case HR_DONE:
		break;
	}
	rw_panic("%s: bad state %d", __func__, (int)p->st);
}

/* httpreq_feed - consume bytes up to and including the next event */
enum httpreq_event httpreq_feed(struct httpreq *p, const char *buf, size_t len, size_t *used)
{
	enum httpreq_event ev = HTTPREQ_MORE;
	size_t i = 0;

	if (p->st == HR_DONE) {
		if (used)
			*used = 0;
		return p->final;
	}
	while (i < len && ev == HTTPREQ_MORE)
		ev = hr_byte(p, (unsigned char)buf[i++]);
	if (used)
		*used = i;
	return ev;
}

/* httpreq_line_done - the request line was read whole */
int httpreq_line_done(const struct httpreq *p)
{
	return p->line_done;
}

/* httpreq_method - the method once the line is whole, else "" */
const char *httpreq_method(const struct httpreq *p)
{
	return p->line_done ? p->method : "";
}

/* httpreq_target - the target once the line is whole and if kept, else "" */
const char *httpreq_target(const struct httpreq *p)
{
	return p->line_done && !p->t_over ? p->target : "";
}

/* httpreq_why - the reason of a BAD head, or "" */
const char *httpreq_why(const struct httpreq *p)
{
	return p->final == HTTPREQ_BAD ? p->why : "";
}
