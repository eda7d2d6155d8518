/*
 * httpreq.h - incremental HTTP/1.x request-head recognizer (sans I/O)
 *
 * The sink's proxy canary: the first bytes of a connection are either an
 * SMTP client's (which normally waits for the banner) or an HTTP request
 * a proxy forwards to us. Bytes go in any chunking; the recognizer says
 * as soon as they prove "not HTTP" or "HTTP", and then reads the head up
 * to its empty line. Bounded: RW_HTTP_HEAD_MAX bytes, RW_HTTP_HEADERS_MAX
 * header lines, RW_HTTP_TARGET_MAX bytes of target kept. Bare LF line
 * ends are accepted. Standards: RFC 9112 3 (request line), 5 (fields),
 * 2.2 (LF tolerated); RFC 9110 9.1 (methods: we take A-Z, 3 to 10).
 */
#ifndef RW_HTTPREQ_H
#define RW_HTTPREQ_H

#include <stddef.h>

enum httpreq_event {
	HTTPREQ_MORE,     /* need more bytes */
	HTTPREQ_NOT_HTTP, /* the bytes do not begin "METHOD SP target SP HTTP/1." */
	HTTPREQ_IS_HTTP,  /* they do: the request line's "HTTP/1." was just read */
	HTTPREQ_HEAD,     /* the head's empty line was read: the request is whole */
	HTTPREQ_BAD,      /* HTTP, but the head is malformed or too big: 400 */
};

struct httpreq;

/* httpreq_new - an owned recognizer at the first byte */
struct httpreq *httpreq_new(void);
/* httpreq_free - NULL ok; returns NULL */
struct httpreq *httpreq_free(struct httpreq *p);

/* httpreq_feed - consume bytes up to and including the next event; *used
 * gets the bytes consumed. After NOT_HTTP, HEAD or BAD the recognizer is
 * finished: later calls return the same event and consume nothing. */
enum httpreq_event httpreq_feed(struct httpreq *p, const char *buf, size_t len, size_t *used);

/* httpreq_line_done - the request line was read whole (fields follow) */
int httpreq_line_done(const struct httpreq *p);
/* httpreq_method, httpreq_target - of the request line once
 * httpreq_line_done(), else ""; the target is "" too when it was longer
 * than RW_HTTP_TARGET_MAX. Borrowed, valid until httpreq_free(). */
const char *httpreq_method(const struct httpreq *p);
const char *httpreq_target(const struct httpreq *p);
/* httpreq_why - what made the head BAD (a static text), or "" */
const char *httpreq_why(const struct httpreq *p);

#endif
