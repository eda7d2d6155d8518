/*
 * NAME
 *	smtpcmd - server-side SMTP command and DATA parser (sans I/O)
 * SUMMARY
 *	turn bytes from an SMTP client into commands and messages
 * SYNOPSIS
 *	struct smtpcmd_parser *smtpcmd_new(size_t msg_cap);
 *	struct smtpcmd_parser *smtpcmd_free(struct smtpcmd_parser *p);
 *	enum smtpcmd_event smtpcmd_feed(p, buf, len, size_t *used);
 *	const struct smtpcmd *smtpcmd_get(p);
 *	void smtpcmd_begin_data(p);
 *	const char *smtpcmd_message(p, size_t *len);
 *	unsigned smtpcmd_bare_lf(p); const char *smtpcmd_verb_name(v);
 * DESCRIPTION
 *	smtpcmd_new() returns an owned parser in command mode; msg_cap 0
 *	means RW_SINK_MSG_MAX. smtpcmd_free() accepts NULL, returns NULL.
 *	smtpcmd_feed() reads one byte at a time through named states and
 *	stops right after the byte that completes an event; *used says how
 *	many bytes that was (the rest is the caller's to feed again). Any
 *	chunking gives the same events. smtpcmd_get() describes the command
 *	of the last SMTPCMD_COMMAND; its strings are borrowed and valid until
 *	the next feed. smtpcmd_begin_data() enters data mode (call it after
 *	sending 354); the next SMTPCMD_MESSAGE or SMTPCMD_MSG_TOOBIG returns
 *	to command mode, and smtpcmd_message() then gives the unstuffed
 *	message (CRLF line ends, borrowed until the next feed, which
 *	releases it).
 * DIAGNOSTICS
 *	SMTPCMD_TOOLONG for an overlong command line (skipped to its end);
 *	SMTPCMD_MSG_TOOBIG when the message passed msg_cap (kept truncated);
 *	nul_seen in the command; smtpcmd_bare_lf() counts bare LF line ends.
 * LIMITS
 *	RW_CMD_LINE_MAX per command line and RW_DATA_LINE_MAX per message
 *	line, both counting the CRLF; msg_cap per message. A data line past
 *	its limit is truncated; the parser never grows past these.
 * STANDARDS
 *	RFC 5321 4.1.1 (commands), 4.1.2 (paths), 4.5.2 (dot transparency),
 *	4.5.3.1 (size limits).
 */
#include "smtpcmd.h"
#include "../core/dbuf.h"
#include "../core/limits.h"
#include "../core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest line content kept: the limits count the CRLF (RFC 5321 4.5.3.1). */
#define CMD_TEXT_MAX  (RW_CMD_LINE_MAX - 2)
#define DATA_TEXT_MAX (RW_DATA_LINE_MAX - 2)

enum cmd_state {
	CS_LINE, /* inside a command line */
	CS_CR,   /* CR seen; LF ends the line, anything else is text */
	CS_SKIP, /* line passed the limit: discard to LF */
	CS_SKIP_CR,
};

enum data_state {
	DS_BOL,    /* start of a message line */
	DS_DOT,    /* line began with '.' */
	DS_DOT_CR, /* ".\r": LF ends the message */
	DS_TEXT,   /* inside a message line */
	DS_CR,     /* CR inside a message line */
};

struct smtpcmd_parser {
	int data_mode;
	enum cmd_state cs;
	enum data_state ds;
	size_t line_len; /* command: bytes in line[]; data: bytes of this line */
	int line_nul;    /* the command line being read held a NUL */
	char line[CMD_TEXT_MAX + 1];
	char aux[CMD_TEXT_MAX + 2]; /* path '\0' params '\0' of MAIL/RCPT */
	struct smtpcmd cmd;
	struct dbuf msg;
	size_t msg_cap;
	int msg_over;                 /* the message passed msg_cap */
	int msg_ready;                /* message handed out; release at the next feed */
	unsigned long data_truncated; /* message lines cut at DATA_TEXT_MAX */
	unsigned bare_lf;
};

static const char *const verb_names[CMD__COUNT] = {
    [CMD_UNKNOWN] = "UNKNOWN",   [CMD_HELO] = "HELO", [CMD_EHLO] = "EHLO", [CMD_MAIL] = "MAIL",
    [CMD_RCPT] = "RCPT",         [CMD_DATA] = "DATA", [CMD_RSET] = "RSET", [CMD_NOOP] = "NOOP",
    [CMD_QUIT] = "QUIT",         [CMD_VRFY] = "VRFY", [CMD_EXPN] = "EXPN", [CMD_HELP] = "HELP",
    [CMD_STARTTLS] = "STARTTLS", [CMD_AUTH] = "AUTH", [CMD_BDAT] = "BDAT",
};

/* clear_cmd - no command: every string "" so a stale get() is harmless */
static void clear_cmd(struct smtpcmd *c)
{
	c->verb = CMD_UNKNOWN;
	c->verb_text = c->arg = c->path = c->params = "";
	c->path_ok = 0;
	c->nul_seen = 0;
}

/* smtpcmd_new - a parser in command mode */
struct smtpcmd_parser *smtpcmd_new(size_t msg_cap)
{
	struct smtpcmd_parser *p = xcalloc(1, sizeof(*p));

	p->msg_cap = msg_cap ? msg_cap : RW_SINK_MSG_MAX;
	dbuf_init(&p->msg, p->msg_cap);
	clear_cmd(&p->cmd);
	return p;
}

/* smtpcmd_free - release the parser and its message; NULL ok */
struct smtpcmd_parser *smtpcmd_free(struct smtpcmd_parser *p)
{
	if (p) {
		dbuf_free(&p->msg);
		free(p);
	}
	return NULL;
}

/* smtpcmd_verb_name - canonical upper-case name of a verb */
const char *smtpcmd_verb_name(enum smtpcmd_verb v)
{
	if ((int)v < 0 || v >= CMD__COUNT)
		return "UNKNOWN";
	return verb_names[v];
}

/* split_path - "FROM:<path> params" after the keyword; RFC 5321 4.1.2 */
static void split_path(struct smtpcmd_parser *p, const char *s)
{
	struct smtpcmd *c = &p->cmd;
	const char *start, *q;
	int quoted = 0;
	size_t n;

	/* Postfix tolerates white space after the colon; so do we */
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '<')
		return;
	start = ++s;
	for (q = start; *q; q++) {
		if (quoted && *q == '\\' && q[1]) {
			q++; /* quoted-pair: the next byte is literal */
			continue;
		}
		if (*q == '"')
			quoted = !quoted;
		else if (*q == '>' && !quoted)
			break;
	}
	if (*q != '>' || (q[1] != '\0' && q[1] != ' ' && q[1] != '\t'))
		return;
	n = (size_t)(q - start);
	memcpy(p->aux, start, n);
	p->aux[n] = '\0';
	q++;
	while (*q == ' ' || *q == '\t')
		q++;
	strcpy(p->aux + n + 1, q); /* both fit: they come from line[] */
	c->path = p->aux;
	c->params = p->aux + n + 1;
	c->path_ok = 1;
}

/* finish_cmd - split the complete line in line[] into a command */
static void finish_cmd(struct smtpcmd_parser *p)
{
	struct smtpcmd *c = &p->cmd;
	char *sp;

	p->line[p->line_len] = '\0';
	clear_cmd(c);
	c->nul_seen = p->line_nul;
	c->verb_text = p->line;
	sp = strchr(p->line, ' ');
	if (sp) {
		*sp = '\0';
		c->arg = sp + 1;
	}
	for (int v = CMD_UNKNOWN + 1; v < CMD__COUNT; v++) {
		if (strcasecmp(c->verb_text, verb_names[v]) == 0) {
			c->verb = (enum smtpcmd_verb)v;
			break;
		}
	}
	if (c->verb == CMD_MAIL && strncasecmp(c->arg, "FROM:", 5) == 0)
		split_path(p, c->arg + 5);
	else if (c->verb == CMD_RCPT && strncasecmp(c->arg, "TO:", 3) == 0)
		split_path(p, c->arg + 3);
}

/* new_line - forget the line just finished */
static void new_line(struct smtpcmd_parser *p)
{
	p->line_len = 0;
	p->line_nul = 0;
}

/* cmd_text - store one byte of a command line, or start skipping */
static void cmd_text(struct smtpcmd_parser *p, char ch)
{
	if (ch == '\0') {
		p->line_nul = 1; /* flagged, never stored: it would cut the string */
		return;
	}
	if (p->line_len >= CMD_TEXT_MAX) {
		p->cs = CS_SKIP;
		return;
	}
	p->line[p->line_len++] = ch;
}

/* cmd_byte - one byte in command mode */
static enum smtpcmd_event cmd_byte(struct smtpcmd_parser *p, char ch)
{
	switch (p->cs) {
	case CS_CR:
		if (ch == '\n') {
			p->cs = CS_LINE;
			finish_cmd(p);
			new_line(p);
			return SMTPCMD_COMMAND;
		}
		p->cs = CS_LINE;
		cmd_text(p, '\r'); /* a bare CR is text, as in Postfix */
		if (p->cs == CS_SKIP)
			return cmd_byte(p, ch);
		/* FALLTHROUGH */
	case CS_LINE:
		if (ch == '\r') {
			p->cs = CS_CR;
		} else if (ch == '\n') {
			p->bare_lf++;
			finish_cmd(p);
			new_line(p);
			return SMTPCMD_COMMAND;
		} else {
			cmd_text(p, ch);
		}
		return SMTPCMD_MORE;
	case CS_SKIP_CR:
	case CS_SKIP:
		if (ch == '\n') {
			if (p->cs == CS_SKIP)
				p->bare_lf++;
			p->cs = CS_LINE;
			new_line(p);
			return SMTPCMD_TOOLONG;
		}
		p->cs = ch == '\r' ? CS_SKIP_CR : CS_SKIP;
		return SMTPCMD_MORE;
	}
	rw_panic("%s: bad state %d", __func__, (int)p->cs);
}

/* data_text - store one byte of a message line within both limits */
static void data_text(struct smtpcmd_parser *p, char ch)
{
	if (p->line_len >= DATA_TEXT_MAX) {
		if (p->line_len == DATA_TEXT_MAX)
			p->data_truncated++;
		p->line_len = DATA_TEXT_MAX + 1; /* saturate: counted once */
		return;
	}
	p->line_len++;
	if (dbuf_addc(&p->msg, ch) < 0)
		p->msg_over = 1;
}

/* data_eol - end a message line; its CRLF is stored whatever the limit */
static void data_eol(struct smtpcmd_parser *p)
{
	if (dbuf_add(&p->msg, "\r\n", 2) < 0)
		p->msg_over = 1;
	p->line_len = 0;
	p->ds = DS_BOL;
}

/* data_end - the "." line: hand the message out, back to command mode */
static enum smtpcmd_event data_end(struct smtpcmd_parser *p)
{
	p->data_mode = 0;
	p->msg_ready = 1;
	p->ds = DS_BOL;
	p->line_len = 0;
	return p->msg_over ? SMTPCMD_MSG_TOOBIG : SMTPCMD_MESSAGE;
}

/* data_byte - one byte in data mode; RFC 5321 4.5.2 */
static enum smtpcmd_event data_byte(struct smtpcmd_parser *p, char ch)
{
	switch (p->ds) {
	case DS_BOL:
		if (ch == '.') {
			p->ds = DS_DOT;
			return SMTPCMD_MORE;
		}
		p->ds = DS_TEXT;
		break;
	case DS_DOT:
		if (ch == '\r') {
			p->ds = DS_DOT_CR;
			return SMTPCMD_MORE;
		}
		if (ch == '\n') {
			p->bare_lf++;
			return data_end(p);
		}
		p->ds = DS_TEXT; /* the leading dot was stuffing: dropped */
		break;
	case DS_DOT_CR:
		if (ch == '\n')
			return data_end(p);
		p->ds = DS_TEXT; /* ".\r" then text: unstuff, keep the CR */
		data_text(p, '\r');
		break;
	case DS_CR:
		if (ch == '\n') {
			data_eol(p);
			return SMTPCMD_MORE;
		}
		p->ds = DS_TEXT;
		data_text(p, '\r');
		break;
	case DS_TEXT:
		break;
	}
	/* DS_TEXT */
	if (ch == '\r') {
		p->ds = DS_CR;
	} else if (ch == '\n') {
		p->bare_lf++;
		data_eol(p);
	} else {
		data_text(p, ch);
	}
	return SMTPCMD_MORE;
}

/* data_span - the plain text bytes at buf (up to a CR or LF) stored at
 * once, when they all fit the line limit; how many were taken (0: let
 * data_byte() take them one by one). The same result as data_byte() on
 * each of them, without a call per byte of every message. */
static size_t data_span(struct smtpcmd_parser *p, const char *buf, size_t len)
{
	size_t n = 0, room = p->line_len < DATA_TEXT_MAX ? DATA_TEXT_MAX - p->line_len : 0;

	/* look no further than the line's room: past it every byte goes the
	 * slow way anyway, and scanning the rest again for each of them made
	 * an overlong line cost O(n^2) */
	if (len > room)
		len = room;
	while (n < len && buf[n] != '\r' && buf[n] != '\n')
		n++;
	if (n == 0)
		return 0;
	p->line_len += n;
	if (dbuf_add(&p->msg, buf, n) < 0)
		p->msg_over = 1;
	return n;
}

/* smtpcmd_feed - consume bytes up to and including the next event */
enum smtpcmd_event smtpcmd_feed(struct smtpcmd_parser *p, const char *buf, size_t len, size_t *used)
{
	enum smtpcmd_event ev = SMTPCMD_MORE;
	size_t i;

	if (p->msg_ready) {
		dbuf_free(&p->msg); /* an idle session holds no message memory */
		p->msg_ready = 0;
	}
	clear_cmd(&p->cmd);
	for (i = 0; i < len && ev == SMTPCMD_MORE;) {
		size_t k = p->data_mode && p->ds == DS_TEXT ? data_span(p, buf + i, len - i) : 0;

		if (k) {
			i += k;
			continue;
		}
		ev = p->data_mode ? data_byte(p, buf[i]) : cmd_byte(p, buf[i]);
		i++;
	}
	if (used)
		*used = i;
	return ev;
}

/* smtpcmd_get - the last command; borrowed until the next feed */
const struct smtpcmd *smtpcmd_get(const struct smtpcmd_parser *p)
{
	return &p->cmd;
}

/* smtpcmd_begin_data - enter data mode with an empty message */
void smtpcmd_begin_data(struct smtpcmd_parser *p)
{
	dbuf_free(&p->msg);
	dbuf_init(&p->msg, p->msg_cap);
	p->data_mode = 1;
	p->ds = DS_BOL;
	p->cs = CS_LINE;
	p->line_len = 0;
	p->line_nul = 0;
	p->msg_over = 0;
	p->msg_ready = 0;
}

/* smtpcmd_message - the message after SMTPCMD_MESSAGE or _MSG_TOOBIG */
const char *smtpcmd_message(const struct smtpcmd_parser *p, size_t *len)
{
	if (len)
		*len = p->msg_ready ? p->msg.len : 0;
	return p->msg_ready ? dbuf_str(&p->msg) : "";
}

/* smtpcmd_bare_lf - bare LF line ends seen so far, both modes */
unsigned smtpcmd_bare_lf(const struct smtpcmd_parser *p)
{
	return p->bare_lf;
}
