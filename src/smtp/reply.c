/*
 * NAME
 *	reply - incremental SMTP reply parser and EHLO keyword reader
 * SUMMARY
 *	turn bytes from an SMTP server into complete (multi-line) replies
 * SYNOPSIS
 *	struct reply_parser *reply_parser_new(void);
 *	struct reply_parser *reply_parser_free(struct reply_parser *rp);
 *	enum reply_status reply_feed(rp, buf, len, size_t *used);
 *	const struct reply *reply_get(rp); const char *reply_error(rp);
 *	int reply_pending(rp); void reply_reset(rp);
 *	void ehlo_parse(const struct reply *r, struct ehlo_info *info);
 * DESCRIPTION
 *	reply_parser_new() returns an owned parser; reply_parser_free()
 *	accepts NULL and returns NULL. reply_feed() reads one byte at a time
 *	through named states (RS_CODE1 ... RS_CR) and stops right after the
 *	byte that ends a reply (REPLY_DONE) or breaks the grammar
 *	(REPLY_ERROR); *used counts the bytes taken, the rest belongs to the
 *	next reply (pipelining). Any chunking gives the same result.
 *	reply_get() is borrowed until the next feed or reset; its text holds
 *	each line's text joined with '\n', ESC included, and esc[] the first
 *	line's enhanced status code. After an error the parser answers
 *	REPLY_ERROR without reading until reply_reset(). ehlo_parse() reads
 *	the greeting's domain and the keywords of a 2xx EHLO reply; it only
 *	reads r and fills *info, truncating overlong values.
 * DIAGNOSTICS
 *	reply_error() gives one plain sentence, e.g. "bare LF in reply" or
 *	"continuation line code 251 differs from 250"; the text is borrowed
 *	until reset.
 * LIMITS
 *	RW_REPLY_LINE_MAX octets per line, CRLF included; RW_REPLY_LINES_MAX
 *	lines per reply. Text memory grows on demand within those.
 * STANDARDS
 *	RFC 5321 4.2 (reply syntax), 4.2.1 (multi-line), 4.1.1.1 (EHLO);
 *	RFC 3463 and RFC 2034 (enhanced status codes); RFC 1870, 2920,
 *	3030, 3207, 3461, 4954, 6152, 6531 (EHLO keywords).
 */
#include "reply.h"
#include "../core/dbuf.h"
#include "../core/limits.h"
#include "../core/xalloc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum reply_state {
	RS_CODE1, /* first digit of a line's code */
	RS_CODE2,
	RS_CODE3,
	RS_SEP,    /* ' ' (last line), '-' (more follow) or CR (last, no text) */
	RS_SEP_CR, /* "NNN\r": only LF may follow */
	RS_TEXT,   /* the line's text */
	RS_CR,     /* CR in the text: LF ends the line, else the CR is text */
	RS_DONE,   /* a reply was handed out; the next feed starts afresh */
	RS_DEAD,   /* protocol error; until reply_reset() */
};

/* Idle parsers give back text memory above this after a reply. */
#define TEXT_KEEP 8192

struct reply_parser {
	enum reply_state st;
	int code;          /* the first line's code */
	int line_code;     /* the code of the line being read */
	int last;          /* the line being read is the reply's last */
	int nlines;        /* lines complete so far */
	size_t line_oct;   /* octets of the line being read, CRLF included */
	size_t line_start; /* offset of this line's text in text */
	struct dbuf text;
	char esc[16];
	struct reply r;
	char empty[1]; /* r.text before any reply */
	const char *err;
	char errbuf[96];
};

/* reply_parser_new - a parser waiting for the first byte of a reply */
struct reply_parser *reply_parser_new(void)
{
	struct reply_parser *rp = xcalloc(1, sizeof(*rp));

	dbuf_init(&rp->text, (size_t)RW_REPLY_LINE_MAX * RW_REPLY_LINES_MAX);
	reply_reset(rp);
	return rp;
}

/* reply_parser_free - release the parser and its text; NULL ok */
struct reply_parser *reply_parser_free(struct reply_parser *rp)
{
	if (rp) {
		dbuf_free(&rp->text);
		free(rp);
	}
	return NULL;
}

/* start_reply - forget the last reply before reading a new one */
static void start_reply(struct reply_parser *rp)
{
	if (rp->text.alloc > TEXT_KEEP)
		dbuf_free(&rp->text);
	dbuf_reset(&rp->text);
	rp->st = RS_CODE1;
	rp->code = rp->line_code = rp->last = rp->nlines = 0;
	rp->line_oct = rp->line_start = 0;
	rp->esc[0] = '\0';
	memset(&rp->r, 0, sizeof(rp->r));
	rp->empty[0] = '\0';
	rp->r.text = rp->empty;
	rp->r.esc[0] = '\0';
}

/* reply_reset - drop any partial reply and a past error */
void reply_reset(struct reply_parser *rp)
{
	start_reply(rp);
	rp->err = NULL;
	rp->errbuf[0] = '\0';
}

/* fail - enter RS_DEAD with a fixed or formatted reason */
static enum reply_status fail(struct reply_parser *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum reply_status fail(struct reply_parser *rp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rp->errbuf, sizeof(rp->errbuf), fmt, ap);
	va_end(ap);
	rp->err = rp->errbuf;
	rp->st = RS_DEAD;
	return REPLY_ERROR;
}

/* is_digit - ASCII only, whatever the locale */
static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* digits - count 1..3 ASCII digits at s; 0 when none or more than 3 */
static size_t digits(const char *s)
{
	size_t n = 0;

	while (is_digit((unsigned char)s[n]))
		n++;
	return n <= 3 ? n : 0;
}

/* find_esc - RFC 3463 "class.subject.detail" opening a line's text */
static void find_esc(const char *s, char out[16])
{
	size_t n1, n2;
	const char *p = s;

	out[0] = '\0';
	if (*p != '2' && *p != '4' && *p != '5')
		return;
	if (p[1] != '.' || !(n1 = digits(p + 2)))
		return;
	p += 2 + n1;
	if (*p != '.' || !(n2 = digits(p + 1)))
		return;
	p += 1 + n2;
	if (*p != '\0' && *p != ' ' && *p != '\t')
		return;
	memcpy(out, s, (size_t)(p - s)); /* at most 9 octets */
	out[p - s] = '\0';
}

/* end_line - a line is complete; REPLY_DONE when it was the last */
static enum reply_status end_line(struct reply_parser *rp)
{
	rp->nlines++;
	if (rp->nlines == 1)
		find_esc(rp->text.data ? rp->text.data + rp->line_start : "", rp->esc);
	rp->line_oct = 0;
	if (!rp->last) {
		rp->st = RS_CODE1;
		return REPLY_MORE;
	}
	rp->st = RS_DONE;
	rp->r.code = rp->code;
	memcpy(rp->r.esc, rp->esc, sizeof(rp->r.esc));
	rp->r.nlines = rp->nlines;
	rp->r.text = rp->text.data ? rp->text.data : rp->empty;
	rp->r.len = rp->text.len;
	return REPLY_DONE;
}

/* code_done - the third digit: check range and continuation agreement */
static enum reply_status code_done(struct reply_parser *rp)
{
	if (rp->nlines == 0) {
		if (rp->line_code < 200 || rp->line_code > 599)
			return fail(rp, "reply code %03d out of range", rp->line_code);
		rp->code = rp->line_code;
	} else if (rp->line_code != rp->code) {
		return fail(rp, "continuation line code %03d differs from %03d", rp->line_code,
		            rp->code);
	}
	rp->st = RS_SEP;
	return REPLY_MORE;
}

/* begin_text - the separator is read: text of this line starts here */
static void begin_text(struct reply_parser *rp)
{
	if (rp->nlines > 0)
		dbuf_addc(&rp->text, '\n');
	rp->line_start = rp->text.len;
}

/* step - one byte through the state machine */
static enum reply_status step(struct reply_parser *rp, unsigned char c)
{
	if (++rp->line_oct > RW_REPLY_LINE_MAX)
		return fail(rp, "reply line longer than %d octets", RW_REPLY_LINE_MAX);
	if (c == '\0')
		return fail(rp, "NUL byte in reply");
	if (c == '\n' && rp->st != RS_CR && rp->st != RS_SEP_CR)
		return fail(rp, "bare LF in reply");

	switch (rp->st) {
	case RS_CODE1:
		if (rp->nlines >= RW_REPLY_LINES_MAX)
			return fail(rp, "reply of more than %d lines", RW_REPLY_LINES_MAX);
		/* FALLTHROUGH */
	case RS_CODE2:
	case RS_CODE3:
		if (!is_digit(c))
			return fail(rp, "non-digit in reply code");
		rp->line_code = (rp->st == RS_CODE1 ? 0 : rp->line_code * 10) + (c - '0');
		if (rp->st == RS_CODE3)
			return code_done(rp);
		rp->st = rp->st == RS_CODE1 ? RS_CODE2 : RS_CODE3;
		return REPLY_MORE;
	case RS_SEP:
		if (c == ' ' || c == '-') {
			rp->last = c == ' ';
			begin_text(rp);
			rp->st = RS_TEXT;
		} else if (c == '\r') {
			rp->last = 1; /* "250\r\n": RFC 5321 4.2 allows no text */
			begin_text(rp);
			rp->st = RS_SEP_CR;
		} else {
			return fail(rp, "separator after code is neither space nor hyphen");
		}
		return REPLY_MORE;
	case RS_SEP_CR:
		if (c != '\n')
			return fail(rp, "separator after code is neither space nor hyphen");
		return end_line(rp);
	case RS_CR:
		if (c == '\n')
			return end_line(rp);
		dbuf_addc(&rp->text, '\r'); /* a bare CR is text; tolerated */
		rp->st = RS_TEXT;
		/* FALLTHROUGH */
	case RS_TEXT:
		if (c == '\r')
			rp->st = RS_CR;
		else
			dbuf_addc(&rp->text, (char)c);
		return REPLY_MORE;
	case RS_DONE:
	case RS_DEAD:
		break;
	}
	rw_panic("%s: bad state %d", __func__, (int)rp->st);
}

/* reply_feed - consume bytes, report when a reply is complete */
enum reply_status reply_feed(struct reply_parser *rp, const char *buf, size_t len, size_t *used)
{
	enum reply_status rs = REPLY_MORE;
	size_t i = 0;

	if (rp->st == RS_DEAD) {
		if (used)
			*used = 0;
		return REPLY_ERROR;
	}
	if (rp->st == RS_DONE)
		start_reply(rp);
	while (i < len && rs == REPLY_MORE)
		rs = step(rp, (unsigned char)buf[i++]);
	if (used)
		*used = i;
	return rs;
}

/* reply_get - the last complete reply (code 0 before the first) */
const struct reply *reply_get(const struct reply_parser *rp)
{
	return &rp->r;
}

/* reply_error - why the parser stopped, or NULL */
const char *reply_error(const struct reply_parser *rp)
{
	return rp->err;
}

/* reply_pending - some bytes of an unfinished reply are held */
int reply_pending(const struct reply_parser *rp)
{
	return rp->st != RS_DONE && rp->st != RS_DEAD && (rp->nlines > 0 || rp->st != RS_CODE1);
}

/* ehlo keyword table: RFC 5321 4.1.1.1 and the extensions' RFCs */
static const struct {
	const char *kw;
	unsigned bit;
} ehlo_kw[] = {
    {.kw = "PIPELINING", .bit = EHLO_PIPELINING},                   /* RFC 2920 */
    {.kw = "STARTTLS", .bit = EHLO_STARTTLS},                       /* RFC 3207 */
    {.kw = "AUTH", .bit = EHLO_AUTH},                               /* RFC 4954 */
    {.kw = "SIZE", .bit = EHLO_SIZE},                               /* RFC 1870 */
    {.kw = "8BITMIME", .bit = EHLO_8BITMIME},                       /* RFC 6152 */
    {.kw = "ENHANCEDSTATUSCODES", .bit = EHLO_ENHANCEDSTATUSCODES}, /* RFC 2034 */
    {.kw = "SMTPUTF8", .bit = EHLO_SMTPUTF8},                       /* RFC 6531 */
    {.kw = "CHUNKING", .bit = EHLO_CHUNKING},                       /* RFC 3030 */
    {.kw = "DSN", .bit = EHLO_DSN},                                 /* RFC 3461 */
};

/* copy_trim - copy [s, e) without surrounding blanks, truncated to cap-1 */
static void copy_trim(char *dst, size_t cap, const char *s, const char *e)
{
	size_t n;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	n = (size_t)(e - s);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* size_value - RFC 1870 size, saturating; 0 when absent */
static unsigned long size_value(const char *s, const char *e)
{
	unsigned long v = 0;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	for (; s < e && is_digit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (ULONG_MAX - d) / 10)
			return ULONG_MAX;
		v = v * 10 + d;
	}
	return v;
}

/* ehlo_line - one keyword line [s, e) of an EHLO reply */
static void ehlo_line(const char *s, const char *e, struct ehlo_info *info)
{
	const char *w = s;
	size_t kl;

	while (w < e && *w != ' ' && *w != '\t' && *w != '=')
		w++;
	kl = (size_t)(w - s);
	for (size_t i = 0; i < sizeof(ehlo_kw) / sizeof(ehlo_kw[0]); i++) {
		if (strlen(ehlo_kw[i].kw) != kl || strncasecmp(s, ehlo_kw[i].kw, kl) != 0)
			continue;
		if (*w == '=' && ehlo_kw[i].bit != EHLO_AUTH)
			return; /* only AUTH had an "=" form (pre-RFC 2554 servers) */
		info->caps |= ehlo_kw[i].bit;
		if (ehlo_kw[i].bit == EHLO_AUTH && w < e && (*w != '=' || !info->auth[0]))
			copy_trim(info->auth, sizeof(info->auth), w + 1, e);
		else if (ehlo_kw[i].bit == EHLO_SIZE)
			info->size = size_value(w, e);
		return;
	}
}

/* ehlo_parse - read the keywords of a 250 EHLO reply into *info */
void ehlo_parse(const struct reply *r, struct ehlo_info *info)
{
	const char *s, *e, *end, *w;

	memset(info, 0, sizeof(*info));
	if (!r || !r->text)
		return;
	if (r->code / 100 != 2)
		return; /* a refusal's first word is no domain */
	s = r->text;
	end = s + strlen(s);
	e = memchr(s, '\n', (size_t)(end - s));
	if (!e)
		e = end;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	for (w = s; w < e && *w != ' ' && *w != '\t';)
		w++;
	copy_trim(info->domain, sizeof(info->domain), s, w);
	while (e < end) {
		s = e + 1;
		e = memchr(s, '\n', (size_t)(end - s));
		if (!e)
			e = end;
		ehlo_line(s, e, info);
	}
}
