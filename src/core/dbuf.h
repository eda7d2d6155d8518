/*
 * dbuf.h - bounded growable byte buffer
 *
 * A dbuf grows on demand up to its cap; bytes past the cap are dropped
 * and counted in `dropped`, never stored. The contents are always
 * NUL-terminated so callers may treat them as a string.
 */
#ifndef RW_DBUF_H
#define RW_DBUF_H

#include <stddef.h>

struct dbuf {
	char *data;     /* owned; NUL-terminated; NULL until first write */
	size_t len;
	size_t alloc;
	size_t cap;     /* hard limit on len; 0 = unlimited */
	size_t dropped; /* bytes refused because of cap */
};

void dbuf_init(struct dbuf *b, size_t cap);
void dbuf_free(struct dbuf *b); /* releases data, leaves b reusable */
void dbuf_reset(struct dbuf *b);
/* dbuf_shrink - reset; also free the memory when more than keep bytes are held */
void dbuf_shrink(struct dbuf *b, size_t keep);
/* dbuf_add - append; returns 0, or -1 when the cap truncated the input */
int dbuf_add(struct dbuf *b, const void *p, size_t n);
int dbuf_addc(struct dbuf *b, char c);
int dbuf_adds(struct dbuf *b, const char *s);
int dbuf_printf(struct dbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *dbuf_str(const struct dbuf *b); /* "" when empty; borrowed */
char *dbuf_steal(struct dbuf *b);            /* owned; b becomes empty */

#endif
