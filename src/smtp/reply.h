/*
 * reply.h - incremental SMTP reply parser (client side, sans I/O)
 *
 * Bytes go in any chunking; a complete reply comes out. The parser is a
 * byte-at-a-time state machine with bounded memory: RW_REPLY_LINE_MAX
 * per line, RW_REPLY_LINES_MAX lines per reply. Standards: RFC 5321
 * 4.2 (reply syntax), RFC 3463 (enhanced status codes), RFC 2034.
 */
#ifndef RW_REPLY_H
#define RW_REPLY_H

#include <stddef.h>

enum reply_status {
	REPLY_MORE,  /* all input consumed, reply not yet complete */
	REPLY_DONE,  /* a reply is complete: see reply_get(); *used tells how far */
	REPLY_ERROR, /* protocol error: see reply_error(); parser is dead until reset */
};

struct reply {
	int code;       /* 200..599 */
	char esc[16];   /* enhanced status code "5.7.1", or "" when absent */
	int nlines;     /* 1..RW_REPLY_LINES_MAX */
	char *text;     /* lines' text (after "NNN-"/"NNN "), joined with '\n';
	                   owned by the parser; ESC is left in the text */
	size_t len;     /* strlen(text) */
};

struct reply_parser;

struct reply_parser *reply_parser_new(void);
struct reply_parser *reply_parser_free(struct reply_parser *rp); /* NULL ok; returns NULL */

/* reply_feed - consume bytes; stops right after a complete reply or at an
 * error. *used gets the bytes consumed (the rest belongs to the next
 * reply). After REPLY_DONE the next call starts a new reply. */
enum reply_status reply_feed(struct reply_parser *rp, const char *buf, size_t len,
			     size_t *used);

/* reply_get - the last complete reply; borrowed, valid until the next feed/reset */
const struct reply *reply_get(const struct reply_parser *rp);
/* reply_error - text of the protocol error after REPLY_ERROR; borrowed */
const char *reply_error(const struct reply_parser *rp);
/* reply_pending - bytes of an unfinished reply are held */
int reply_pending(const struct reply_parser *rp);
void reply_reset(struct reply_parser *rp);

/* EHLO keywords (RFC 5321 4.1.1.1, RFC 2920, RFC 3207, RFC 4954, RFC 1870,
 * RFC 6152, RFC 2034, RFC 6531, RFC 3030) */
enum {
	EHLO_PIPELINING = 1u << 0,
	EHLO_STARTTLS = 1u << 1,
	EHLO_AUTH = 1u << 2,
	EHLO_SIZE = 1u << 3,
	EHLO_8BITMIME = 1u << 4,
	EHLO_ENHANCEDSTATUSCODES = 1u << 5,
	EHLO_SMTPUTF8 = 1u << 6,
	EHLO_CHUNKING = 1u << 7,
	EHLO_DSN = 1u << 8,
};

struct ehlo_info {
	unsigned caps;       /* EHLO_* bits */
	char auth[128];      /* AUTH mechanisms as advertised, "" if none */
	unsigned long size;  /* SIZE value, 0 when absent or unlimited */
	char domain[256];    /* the greeting's first word (server's name) */
};

/* ehlo_parse - read the keywords of a 250 EHLO reply into *info */
void ehlo_parse(const struct reply *r, struct ehlo_info *info);

#endif
