/*
 * xalloc.h - allocation that never returns NULL, and the panic exit
 *
 * Out of memory is fatal inside these functions, so callers never test
 * for NULL. rw_panic() is for broken invariants only: it logs and aborts.
 */
#ifndef RW_XALLOC_H
#define RW_XALLOC_H

#include <stddef.h>
#include <stdarg.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* rw_panic - report a broken invariant and abort */
_Noreturn void rw_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
