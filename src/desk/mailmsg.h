/*
 * mailmsg.h - compose one RFC 5322 notice (pure: no clock, no I/O)
 *
 * Headers and a UTF-8 body in, the message's bytes out: CRLF line ends,
 * RFC 2047 encoded-words for non-ASCII header text, folded headers, and a
 * body that is 7bit when it can be and quoted-printable otherwise. The
 * SMTP transport does the dot-stuffing (src/desk/submit.c), not this.
 * Standards: RFC 5322, RFC 2045 (MIME; 6.7 quoted-printable), RFC 2047,
 * RFC 3834 (Auto-Submitted). Headers stay ASCII (no RFC 6532).
 */
#ifndef RW_MAILMSG_H
#define RW_MAILMSG_H

#include <stddef.h>

#include "../core/dbuf.h"

struct mailmsg {
	const char *from;            /* "a@b" or "Display Name <a@b>" (name may be UTF-8) */
	const char *const *to;       /* same forms; at least one of to/cc */
	size_t nto;
	const char *const *cc;
	size_t ncc;
	const char *reply_to;        /* NULL: none */
	const char *subject;         /* UTF-8; NULL: "" */
	const char *message_id;      /* "<id@domain>" or "id@domain"; required */
	const char *in_reply_to;     /* msg-id list; NULL: none */
	const char *references;      /* msg-id list; NULL: none */
	long long date;              /* seconds since the epoch; written in UTC */
	const char *body;            /* UTF-8; LF, CRLF or CR line ends; NULL: empty */
	size_t body_len;             /* bytes of body */
};

/* mailmsg_compose - append the whole message to out (headers, blank line,
 * body, CRLF-terminated). Returns 0, or -1 with a text naming the bad
 * field in err (out may then hold a partial message: reset it). */
int mailmsg_compose(const struct mailmsg *m, struct dbuf *out, char *err, size_t errlen);

/* mailmsg_addr_spec - the bare address of "Name <a@b>" or "a@b" into buf
 * (for the SMTP envelope). Returns NULL or a static error text. */
const char *mailmsg_addr_spec(const char *mailbox, char *buf, size_t len);

/* mailmsg_base64 - append the base64 (RFC 4648 4, padded) of p[0..n) */
void mailmsg_base64(struct dbuf *out, const void *p, size_t n);

/* mailmsg_utf8_valid - 1 when s[0..n) is well-formed UTF-8 (no overlongs,
 * no surrogates, nothing above U+10FFFF), else 0 */
int mailmsg_utf8_valid(const char *s, size_t n);

#endif
