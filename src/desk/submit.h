/*
 * submit.h - send one message through a smarthost: a pure client state
 * machine (replies in, commands out, no sockets, no clock)
 *
 * The I/O layer (src/net/submit_io.c) feeds events in and carries out the
 * step that comes back, like src/smtp/sess with src/net/probe. Replies are
 * parsed by src/smtp/reply.c. The session: banner, EHLO (HELO if EHLO is
 * refused), STARTTLS by policy, EHLO again, AUTH PLAIN or LOGIN when
 * credentials are set, MAIL FROM, one RCPT TO per recipient (each answer
 * kept), DATA with dot-stuffing, QUIT. No pipelining.
 * Standards: RFC 5321, RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 4616
 * (PLAIN), draft-murchison-sasl-login (LOGIN), RFC 3463.
 */
#ifndef RW_SUBMIT_H
#define RW_SUBMIT_H

#include <stddef.h>

#include "../core/dbuf.h"
#include "../smtp/reply.h"

enum submit_tls {
	SUBMIT_TLS_AUTO,    /* STARTTLS when offered, else go on in plain text */
	SUBMIT_TLS_REQUIRE, /* no STARTTLS offered (or it fails): temporary failure */
	SUBMIT_TLS_NEVER,   /* never STARTTLS */
};

struct submit_config {
	const char *helo;           /* our EHLO name */
	enum submit_tls tls;
	int implicit_tls;           /* TLS from the first byte (port 465) */
	const char *user, *pass;    /* AUTH credentials; user NULL: no AUTH */
	const char *auth_mech;      /* "PLAIN", "LOGIN" or NULL: PLAIN if offered, else LOGIN */
	int auth_plaintext_ok;      /* allow AUTH without TLS (else temporary failure) */
	const char *mail_from;      /* envelope sender; "" is the null sender */
	const char *const *rcpt;    /* envelope recipients, 1..RW_MAIL_RCPT_MAX */
	size_t nrcpt;
	const char *data;           /* the message (mailmsg_compose), not dot-stuffed */
	size_t data_len;
	int reply_timeout_ms;       /* connect, banner and each reply */
	int dot_timeout_ms;         /* the reply to the final "." */
};

enum submit_action {
	SUBMIT_READ,     /* wait for the next reply (deadline: submit_deadline_ms) */
	SUBMIT_SEND,     /* write submit_output(), then wait for the next reply */
	SUBMIT_STARTTLS, /* start the TLS handshake now; report with submit_on_tls */
	SUBMIT_FINISH,   /* close; submit_result() is final */
};

enum submit_outcome {
	SUBMIT_PENDING,  /* not over yet */
	SUBMIT_SENT,     /* 250 to the final ".": queue_id holds the server's text */
	SUBMIT_TEMPFAIL, /* 4xx, connection or TLS trouble: try again later */
	SUBMIT_PERMFAIL, /* 5xx: this message will not go as it is */
};

enum submit_failure {
	SUBMIT_FAIL_CONNECT, /* refused, unreachable, timed out connecting */
	SUBMIT_FAIL_EOF,     /* peer closed or reset */
	SUBMIT_FAIL_TIMEOUT, /* the current deadline passed */
	SUBMIT_FAIL_PROTOCOL,/* the reply parser gave up (detail = its error) */
};

struct submit_rcpt {
	const char *addr; /* borrowed from the config */
	int code;         /* the RCPT reply's code; 0 when never asked */
	char text[160];   /* its text (first line), "" when accepted */
};

struct submit_result {
	enum submit_outcome outcome;
	const char *stage;    /* where it ended: "connect", "banner", "ehlo", "starttls",
				 "tls", "auth", "mail", "rcpt", "data", "dot", "quit" */
	int code;             /* the deciding reply's code; 0 for transport failures */
	char esc[16];         /* its enhanced status code, or "" */
	char text[512];       /* its text, or the failure's detail */
	char queue_id[128];   /* SENT: "ABC123" from "queued as ABC123", else the whole text */
	int maybe_sent;       /* TEMPFAIL after the final "." went out: the server
				 may have taken it (RFC 1047); resend with the same
				 Message-ID */
	int tls;              /* the session ran over TLS */
	char tls_version[32];
	int authenticated;
	size_t naccepted, nrefused; /* recipients */
	const struct submit_rcpt *rcpt; /* nrcpt entries; borrowed from the session */
};

struct submit;

/* submit_new - a session for cfg (borrowed: strings and data must outlive
 * it). Returns NULL with the reason in err when cfg is unusable (no
 * recipient, too many, AUTH without TLS when it is not allowed and TLS
 * is never used). */
struct submit *submit_new(const struct submit_config *cfg, char *err, size_t errlen);
struct submit *submit_free(struct submit *s); /* NULL ok; returns NULL */

/* Events; each returns what the I/O layer must do next. */
enum submit_action submit_on_connect(struct submit *s);
enum submit_action submit_on_reply(struct submit *s, const struct reply *r);
/* submit_on_tls - handshake over (ok) with version, or failed with detail */
enum submit_action submit_on_tls(struct submit *s, int ok, const char *version_or_detail);
enum submit_action submit_on_failure(struct submit *s, enum submit_failure f,
				     const char *detail);

/* submit_output - bytes to write after SUBMIT_SEND; the layer drains it */
struct dbuf *submit_output(struct submit *s);
/* submit_deadline_ms - how long the current wait may last */
int submit_deadline_ms(const struct submit *s);
/* submit_wants_tls_first - implicit TLS: handshake before the banner */
int submit_wants_tls_first(const struct submit *s);
/* submit_result - borrowed, valid until submit_free */
const struct submit_result *submit_result(const struct submit *s);
/* submit_transcript - "C: "/"S: " lines, AUTH secrets replaced; borrowed */
const char *submit_transcript(const struct submit *s);
/* submit_state_name - for logs */
const char *submit_state_name(const struct submit *s);
/* submit_outcome_name - "pending", "sent", "tempfail", "permfail" */
const char *submit_outcome_name(enum submit_outcome o);

/* submit_dot_stuff - append data to out as a DATA payload: CRLF line
 * ends (a bare LF or CR becomes CRLF), a leading '.' doubled, and the
 * final ".\r\n" (RFC 5321 4.5.2) */
void submit_dot_stuff(struct dbuf *out, const char *data, size_t len);

#endif
