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
 * DIAGNOSTICS
 *	Exhaustion and broken invariants print one line on stderr and abort().
 */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void oom(size_t n)
{
	fprintf(stderr, "relaywatch: fatal: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

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

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

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
