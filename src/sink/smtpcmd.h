/*
 * smtpcmd.h - server-side SMTP command and DATA parser (sans I/O)
 *
 * Used by the sink and by the lab's simulated servers. Bytes go in any
 * chunking; complete commands (or, in data mode, the whole message) come
 * out. Bounded: RW_CMD_LINE_MAX per command line, RW_DATA_LINE_MAX per
 * message line and a caller-given cap on the message. Overlong input is
 * flagged and skipped to end of line, never stored. Bare LF is accepted
 * as a line end (as Postfix does by default) but counted.
 * Standards: RFC 5321 4.1 (commands), 4.5.2 (dot transparency).
 */
#ifndef RW_SMTPCMD_H
#define RW_SMTPCMD_H

#include <stddef.h>

enum smtpcmd_verb {
	CMD_UNKNOWN = 0,
	CMD_HELO, CMD_EHLO, CMD_MAIL, CMD_RCPT, CMD_DATA, CMD_RSET,
	CMD_NOOP, CMD_QUIT, CMD_VRFY, CMD_EXPN, CMD_HELP, CMD_STARTTLS, CMD_AUTH,
	CMD_BDAT,
	CMD__COUNT
};

enum smtpcmd_event {
	SMTPCMD_MORE,     /* need more bytes */
	SMTPCMD_COMMAND,  /* a command line is complete: see smtpcmd_get() */
	SMTPCMD_MESSAGE,  /* data mode: the terminating "." seen; message ready */
	SMTPCMD_TOOLONG,  /* a command line exceeded the limit (skipped); reply 500 */
	SMTPCMD_MSG_TOOBIG, /* data mode: the terminating "." seen, but the message
	                       exceeded the cap (truncated); reply 552 */
};

struct smtpcmd {
	enum smtpcmd_verb verb;
	const char *verb_text;  /* as received, e.g. "MaIl"; borrowed */
	const char *arg;        /* text after the verb and one space, or "" */
	/* for MAIL/RCPT: the path between < and > ("" for <>), with its
	 * parameters after; path_ok is 0 when the syntax "FROM:<...>" or
	 * "TO:<...>" was not found (then reply 501) */
	const char *path;
	const char *params;
	int path_ok;
	int nul_seen;           /* the line held a NUL byte (reply 500) */
};

struct smtpcmd_parser;

struct smtpcmd_parser *smtpcmd_new(size_t msg_cap);
struct smtpcmd_parser *smtpcmd_free(struct smtpcmd_parser *p); /* NULL ok */

/* smtpcmd_feed - consume bytes up to and including the next event;
 * *used gets the bytes consumed. */
enum smtpcmd_event smtpcmd_feed(struct smtpcmd_parser *p, const char *buf, size_t len,
				size_t *used);
/* smtpcmd_get - the last command; borrowed, valid until the next feed */
const struct smtpcmd *smtpcmd_get(const struct smtpcmd_parser *p);
/* smtpcmd_begin_data - switch to data mode (after sending 354) */
void smtpcmd_begin_data(struct smtpcmd_parser *p);
/* smtpcmd_message - the message after SMTPCMD_MESSAGE, dot-unstuffed, lines
 * ending in CRLF; borrowed, valid until the next feed. Parser is back in
 * command mode. */
const char *smtpcmd_message(const struct smtpcmd_parser *p, size_t *len);
/* smtpcmd_bare_lf - bare LF line ends seen so far */
unsigned smtpcmd_bare_lf(const struct smtpcmd_parser *p);
const char *smtpcmd_verb_name(enum smtpcmd_verb v);

#endif
