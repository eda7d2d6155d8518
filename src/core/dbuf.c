/*
 * NAME
 *	dbuf - bounded growable byte buffer
 * SUMMARY
 *	append-only buffer with a hard cap, for transcripts and messages
 * SYNOPSIS
 *	void dbuf_init(struct dbuf *b, size_t cap); int dbuf_add(b, p, n);
 *	int dbuf_addc(b, c); int dbuf_adds(b, s);
 *	int dbuf_printf(b, fmt, ...); const char *dbuf_str(b);
 *	void dbuf_reset(b); void dbuf_free(b); char *dbuf_steal(b);
 *	void dbuf_shrink(b, size_t keep);
 * DESCRIPTION
 *	The buffer never grows past cap: the limit is checked before a byte
 *	is stored, the excess is counted in b->dropped and -1 is returned.
 *	dbuf_add() stores the part that fits, so a capped buffer keeps a
 *	truncated prefix; addc, adds and printf go through it.
 *	The struct is the caller's; data is owned by it and stays
 *	NUL-terminated once written. dbuf_str() is borrowed until the next
 *	write, reset or free ("" before the first write). dbuf_reset()
 *	empties the buffer but keeps its memory; dbuf_shrink() empties it
 *	and releases the memory when more than keep bytes are held (a buffer
 *	reused for many small writes and an occasional big one); dbuf_free()
 *	releases it and leaves b reusable with the same cap; dbuf_steal() hands the data
 *	(owned, free() it; "" when empty) to the caller and empties b.
 * DIAGNOSTICS
 *	-1 from the add functions when the cap truncated the input; out of
 *	memory is fatal in xrealloc.
 * LIMITS
 *	cap per buffer, chosen by the owner (see limits.h); 0 means none.
 *	Memory grows by doubling from 64 bytes and never past cap + 1.
 * STANDARDS
 *	none.
 */
#include "dbuf.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dbuf_init - empty buffer with the given cap; allocates nothing yet */
void dbuf_init(struct dbuf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

/* dbuf_free - release the memory, keep the cap so b can be reused */
void dbuf_free(struct dbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = b->dropped = 0;
}

/* dbuf_reset - empty the buffer but keep its memory for the next use */
void dbuf_reset(struct dbuf *b)
{
	b->len = 0;
	b->dropped = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* dbuf_shrink - empty the buffer; give its memory back when it holds more than keep */
void dbuf_shrink(struct dbuf *b, size_t keep)
{
	if (b->alloc > keep)
		dbuf_free(b);
	else
		dbuf_reset(b);
}

/* reserve - make room for n more bytes plus the terminator, never past the cap */
static void reserve(struct dbuf *b, size_t n)
{
	size_t want = b->len + n + 1;
	size_t na;

	if (want <= b->alloc)
		return;
	na = b->alloc ? b->alloc : 64;
	while (na < want)
		na *= 2;
	if (b->cap && na > b->cap + 1)
		na = b->cap + 1; /* want <= cap + 1: add stores at most cap bytes */
	b->data = xrealloc(b->data, na);
	b->alloc = na;
}

/* dbuf_add - append what fits under the cap, count the rest as dropped */
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

/* dbuf_addc - append one byte */
int dbuf_addc(struct dbuf *b, char c)
{
	return dbuf_add(b, &c, 1);
}

/* dbuf_adds - append a NUL-terminated string, without its NUL */
int dbuf_adds(struct dbuf *b, const char *s)
{
	return dbuf_add(b, s, strlen(s));
}

/* dbuf_printf - append formatted text, truncated at the cap */
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

/* dbuf_str - the contents as a borrowed string, "" before any write */
const char *dbuf_str(const struct dbuf *b)
{
	return b->data ? b->data : "";
}

/* dbuf_steal - hand the owned contents to the caller, leave b empty */
char *dbuf_steal(struct dbuf *b)
{
	char *p = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->alloc = b->dropped = 0;
	return p;
}
