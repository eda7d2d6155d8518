/*
 * mx.h - which hosts receive a domain's mail: MX records sorted and
 * chosen, the implicit MX and the null MX (pure; src/net/resolve asks DNS)
 */
#ifndef RW_MX_H
#define RW_MX_H

#include <stddef.h>

/* one MX record as the resolver parsed it */
struct mx_rec {
	unsigned pref;    /* preference, 0..65535: lower is tried first */
	const char *host; /* borrowed: exchange; "" or "." is the root */
};

/* mx_select - the hosts to test for domain, from its MX records (n == 0:
 * the domain had no MX records). Sorts recs in place by preference (ties
 * by name, so a run is repeatable), and writes into out up to max distinct
 * exchanges (compared without case and trailing dot), each pointing into
 * recs or at domain. No records: the domain itself (implicit MX). Returns
 * the count, or -1 with a static text in *why when the domain accepts no
 * mail (a null MX) or every record is unusable. */
int mx_select(const char *domain, struct mx_rec *recs, size_t n, const char **out, size_t max,
	      const char **why);

/* mx_is_null - the exchange is the root ("" or "."): RFC 7505's null MX */
int mx_is_null(const char *host);

#endif
