/*
 * reserved.h - the default exclusion list: special-purpose address blocks
 *
 * Addresses no scan of ours may touch unless the user opts in with
 * --allow-reserved: private, loopback, link-local, documentation,
 * benchmarking, multicast, future use, and IPv6 blocks that embed IPv4
 * addresses (they would route around the IPv4 exclusions).
 */
#ifndef RW_RESERVED_H
#define RW_RESERVED_H

#include <stddef.h>

#include "../core/dbuf.h"
#include "ipset.h"

struct reserved_block {
	const char *cidr;   /* "10.0.0.0/8" */
	const char *reason; /* "RFC 1918: private use" */
};

/* reserved_table - the static table; borrowed, valid forever */
const struct reserved_block *reserved_table(size_t *n);
/* reserved_set - every block as one set; owned by the caller */
struct ipset *reserved_set(void);
/* reserved_lookup - the reason of the most specific block holding a,
 * static, or NULL when a is in none */
const char *reserved_lookup(const struct ipset_addr *a);
/* reserved_blocklist - append the list as zmap blocklist text, one
 * "CIDR  # reason" per line under a header comment */
void reserved_blocklist(struct dbuf *out);

#endif
