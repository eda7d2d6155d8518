/*
 * NAME
 *	mx - choose a domain's mail hosts from its MX records
 * SUMMARY
 *	preference order, the implicit MX, the null MX; no I/O
 * SYNOPSIS
 *	int mx_select(const char *domain, struct mx_rec *recs, size_t n,
 *		const char **out, size_t max, const char **why);
 *	int mx_is_null(const char *host);
 * DESCRIPTION
 *	mx_select() sorts the records by preference (equal preferences by
 *	name: a tester tries them all, so RFC 5321's shuffling of ties
 *	would only make runs differ) and keeps each exchange once. A domain
 *	without MX records is its own mail host (implicit MX). A null MX
 *	(exchange ".") means the domain accepts no mail: when it is the only
 *	kind of record the domain is refused; mixed with real exchanges
 *	(RFC 7505 3 forbids that) the real ones are kept. out[] points into
 *	recs (or is domain) and is valid while they are.
 * DIAGNOSTICS
 *	-1 and *why = "accepts no mail (null MX, RFC 7505)".
 * LIMITS
 *	The caller's max (RW_MX_HOSTS_MAX in src/net/resolve).
 * STANDARDS
 *	RFC 5321 5.1 (MX order, implicit MX), RFC 7505 (null MX).
 */
#include "mx.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* mx_is_null - the root as exchange, with or without its dot */
int mx_is_null(const char *host)
{
	return host[0] == '\0' || strcmp(host, ".") == 0;
}

/* name_eq - DNS names equal without case and without a trailing dot */
static int name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* by_pref - qsort order: preference, then name without case */
static int by_pref(const void *x, const void *y)
{
	const struct mx_rec *a = x, *b = y;

	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return strcasecmp(a->host, b->host);
}

/* mx_select - sort, drop null and repeated exchanges, fall back to the domain */
int mx_select(const char *domain, struct mx_rec *recs, size_t n, const char **out, size_t max,
              const char **why)
{
	size_t k = 0;
	int nulls = 0;

	*why = NULL;
	if (n == 0) {
		if (max == 0)
			return 0;
		out[0] = domain;
		return 1;
	}
	qsort(recs, n, sizeof(*recs), by_pref);
	for (size_t i = 0; i < n && k < max; i++) {
		int seen = 0;

		if (mx_is_null(recs[i].host)) {
			nulls++;
			continue;
		}
		for (size_t j = 0; j < k && !seen; j++)
			seen = name_eq(out[j], recs[i].host);
		if (!seen)
			out[k++] = recs[i].host;
	}
	if (k == 0 && nulls > 0) {
		*why = "accepts no mail (null MX, RFC 7505)";
		return -1;
	}
	return (int)k;
}
