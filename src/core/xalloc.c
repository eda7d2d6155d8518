/*
 * NAME
 *	xalloc - allocation wrappers and rw_panic
 * SUMMARY
 *	malloc family that aborts on exhaustion, so no caller tests for NULL
 * SYNOPSIS
 *	void *xmalloc(size_t n); void *xcalloc(size_t, size_t);
 *	void *xrealloc(void *p, size_t n); char *xstrdup(const char *s);
 *	char *xstrndup(const char *s, size_t n); char *xasprintf(fmt, ...);
 *	void rw_panic(const char *fmt, ...);
 * DESCRIPTION
 *	Every function returns memory owned by the caller, released with
 *	free(). xmalloc(0) returns a valid unique pointer.
 *	xcalloc() and xrealloc() treat a zero size the same way; xstrndup()
 *	copies at most n bytes and always terminates; xvasprintf() is the
 *	va_list form of xasprintf(). rw_panic() never returns.
 * DIAGNOSTICS
 *	Exhaustion and broken invariants print one line on stderr and abort():
 *	"relaywatch: fatal: out of memory (N bytes)", "relaywatch: panic: ...";
 *	a format vsnprintf() rejects is a panic.
 * LIMITS
 *	none.
 * STANDARDS
 *	none.
 */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* oom - report the failed size and abort: callers never see NULL */
static _Noreturn void oom(size_t n)
{
	fprintf(stderr, "relaywatch: fatal: out of memory (%zu bytes)\n", n);
	abort();
}

/* xmalloc - malloc that never returns NULL; size 0 gets a unique pointer */
void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

/* xcalloc - zeroed array that never returns NULL; zero sizes count as 1 */
void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

/* xrealloc - realloc that never returns NULL nor frees on size 0 */
void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

/* xstrdup - owned copy of s */
char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* xstrndup - owned copy of at most n bytes of s, always terminated */
char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* xvasprintf - owned formatted string from a va_list */
char *xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		rw_panic("%s: bad format", __func__);
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

/* xasprintf - owned formatted string */
char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

/* rw_panic - print a broken invariant and abort */
void rw_panic(const char *fmt, ...)
{
	va_list ap;

	fputs("relaywatch: panic: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
