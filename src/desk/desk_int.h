/*
 * desk_int.h - types and helpers shared inside src/desk only
 */
#ifndef RW_DESK_INT_H
#define RW_DESK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/limits.h"

/* Machine-readable fields ("Name: value" lines, folded, or YAML's
 * "Name: 'value'"), from a decoded report part. */
struct fields {
	char *name[RW_COMPLAINT_REPORT_FIELDS_MAX];
	char *value[RW_COMPLAINT_REPORT_FIELDS_MAX];
	int n;
};

/* fields_read - split text (len bytes, LF or CRLF lines) into fields;
 * folded lines join with one space, YAML quotes around a value go, lines
 * that are not "Name: value" are skipped. NULL, or err (the caller's
 * buffer) saying which cap was hit. Owned strings: fields_free(). */
const char *fields_read(const char *text, size_t len, struct fields *f, char *err, size_t errlen);
/* fields_get - the first value of name (case-insensitive), borrowed; NULL */
const char *fields_get(const struct fields *f, const char *name);
void fields_free(struct fields *f);

/* fields_ip - a numeric IPv4/IPv6 host address ("[..]", "IPv6:" and
 * v4-mapped tolerated) as canonical text in out; NULL or why not */
const char *fields_ip(const char *in, char *out, size_t size);
/* fields_port - 1..65535 in decimal, else 0 */
unsigned fields_port(const char *s);
/* fields_date - RFC 5322 or ISO 8601 date into Unix seconds; 1 or 0 */
int fields_date(const char *s, int64_t *when);

/* fields_text - bounded copy of peer text, trimmed, control bytes as '?' */
void fields_text(char *dst, size_t size, const char *src);
/* fields_shown - at most 79 bytes of fields_text() in buf, for error texts */
const char *fields_shown(const char *s, char *buf, size_t size);
/* fields_lower - fields_text() in lower case (type tokens) */
void fields_lower(char *dst, size_t size, const char *v);
/* fields_mailbox - the addr-spec inside "<...>", or the whole value */
void fields_mailbox(char *dst, size_t size, const char *v);

#endif
