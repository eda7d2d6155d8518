/*
 * NAME
 *	dbuf - bounded growable byte buffer
 * SUMMARY
 *	append-only buffer with a hard cap, for transcripts and messages
 * SYNOPSIS
 *	void dbuf_init(struct dbuf *b, size_t cap); int dbuf_add(b, p, n);
 *	int dbuf_printf(b, fmt, ...); const char *dbuf_str(b);
 * DESCRIPTION
 *	The buffer never grows past cap: the limit is checked before a byte
 *	is stored, the excess is counted in b->dropped and -1 is returned.
 * LIMITS
 *	cap per buffer, chosen by the owner (see limits.h).
 */
#include "dbuf.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dbuf_init(struct dbuf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

void dbuf_free(struct dbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = b->dropped = 0;
}

void dbuf_reset(struct dbuf *b)
{
	b->len = 0;
	b->dropped = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* reserve - make room for n more bytes plus the terminator */
static void reserve(struct dbuf *b, size_t n)
{
	size_t want = b->len + n + 1;
	size_t na;

	if (want <= b->alloc)
		return;
	na = b->alloc ? b->alloc : 64;
	while (na < want)
		na *= 2;
	b->data = xrealloc(b->data, na);
	b->alloc = na;
}

int dbuf_add(struct dbuf *b, const void *p, size_t n)
{
	size_t room = n;
	int rc = 0;

	if (b->cap && b->len + n > b->cap) {
		room = b->cap > b->len ? b->cap - b->len : 0;
		b->dropped += n - room;
		rc = -1;
	}
	reserve(b, room);
	if (room)
		memcpy(b->data + b->len, p, room);
	b->len += room;
	b->data[b->len] = '\0';
	return rc;
}

int dbuf_addc(struct dbuf *b, char c)
{
	return dbuf_add(b, &c, 1);
}

int dbuf_adds(struct dbuf *b, const char *s)
{
	return dbuf_add(b, s, strlen(s));
}

int dbuf_printf(struct dbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	rc = dbuf_adds(b, s);
	free(s);
	return rc;
}

const char *dbuf_str(const struct dbuf *b)
{
	return b->data ? b->data : "";
}

char *dbuf_steal(struct dbuf *b)
{
	char *p = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->alloc = b->dropped = 0;
	return p;
}
