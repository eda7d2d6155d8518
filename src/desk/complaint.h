/*
 * complaint.h - an abuse complaint message read into a plain record
 * Standards: RFC 5965 (ARF), RFC 6692 (Source-Port), X-ARF 0.1/0.2
 * (x-arf.org), RFC 6522 (multipart/report), RFC 5322, RFC 2045-2047.
 */
#ifndef RW_COMPLAINT_H
#define RW_COMPLAINT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/limits.h"

enum complaint_format {
	COMPLAINT_NONE,  /* refused: error[] says why */
	COMPLAINT_ARF,   /* multipart/report; report-type=feedback-report */
	COMPLAINT_XARF,  /* X-XARF: PLAIN (or X-ARF: YES), YAML-ish report part */
	COMPLAINT_PLAIN, /* a person's mail: the address from an attached message */
};

struct complaint {
	enum complaint_format format;
	char ip[64];                    /* numeric, canonical (inet_ntop; v4-mapped as v4) */
	const char *ip_from;            /* static: "Source-IP", "Source", "Received", "--ip" */
	unsigned port;                  /* Source-Port / Port; 0 when not given */
	char reporter[RW_PATH_MAX + 1]; /* From: addr-spec, else X-ARF Reported-From */
	char reported_domain[RW_DOMAIN_MAX + 1]; /* ARF Reported-Domain ("" when absent) */
	char type[64];                        /* ARF Feedback-Type / X-ARF Category, lower case */
	char subtype[64];                     /* X-ARF Report-Type ("" for ARF and plain) */
	int64_t when;                         /* incident time, Unix seconds UTC; 0 unknown */
	const char *when_from;                /* static: "Arrival-Date", "Date", ...; "" unknown */
	char orig_mail_from[RW_PATH_MAX + 1]; /* ARF Original-Mail-From */
	char orig_rcpt_to[RW_PATH_MAX + 1];   /* ARF Original-Rcpt-To (the first) */
	char *orig_headers;              /* owned; the original message's header section, or NULL */
	char *received[RW_RECEIVED_MAX]; /* owned; its Received: values, top first */
	int nreceived;
	char summary[RW_COMPLAINT_TEXT_MAX]; /* one line for a table or an event */
	char notes[RW_COMPLAINT_TEXT_MAX];   /* quirks tolerated ("" when none) */
	char error[RW_COMPLAINT_TEXT_MAX];   /* "" when usable; else why and where */
};

/* complaint_parse - read one message (msg, len bytes, need not be
 * NUL-terminated). ip_override (NULL or "") is the caller's --ip: it
 * replaces the address the message names and rescues one that names none.
 * Always returns an owned record; it is usable when error[0] == '\0'.
 * Refused: format COMPLAINT_NONE, ip and ip_from "", port 0, summary "";
 * what was read before the reason (reporter, original headers) stays, for
 * the archive. Safe on hostile input; initialises GMime on first use. */
struct complaint *complaint_parse(const char *msg, size_t len, const char *ip_override);

/* complaint_free - release c and what it owns; accepts NULL, returns NULL */
struct complaint *complaint_free(struct complaint *c);

/* complaint_format_name - "arf", "x-arf", "plain", "none" */
const char *complaint_format_name(enum complaint_format f);

/* complaint_init - g_mime_init() once (thread-safe; complaint_parse calls
 * it). complaint_shutdown - g_mime_shutdown() when initialised, for the end
 * of a program or test; a later complaint_parse initialises again. */
void complaint_init(void);
void complaint_shutdown(void);

#endif
