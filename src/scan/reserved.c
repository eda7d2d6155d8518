/*
 * NAME
 *	reserved - the default exclusion list, with the RFC behind each block
 * SUMMARY
 *	special-purpose IPv4 and IPv6 blocks a scan never touches by default
 * SYNOPSIS
 *	const struct reserved_block *reserved_table(size_t *n);
 *	struct ipset *reserved_set(void);
 *	const char *reserved_lookup(const struct ipset_addr *a);
 *	void reserved_blocklist(struct dbuf *out);
 * DESCRIPTION
 *	One static table of {CIDR, reason}, after the IANA IPv4 and IPv6
 *	Special-Purpose Address Registries (RFC 6890), plus multicast, the
 *	IPv4 future-use block, deprecated IPv6 site-local and IPv4-compatible
 *	space, and the IPv6 prefixes that carry an IPv4 address (NAT64,
 *	6to4, Teredo): a scan of those would reach IPv4 hosts past the IPv4
 *	exclusions. Blocks that are globally reachable but are anycast
 *	infrastructure (AS112, AMT, 6to4 relays) are listed too: no
 *	customer's mail server lives there. Blocks may nest; reserved_lookup()
 *	names the most specific one. reserved_set() is what a scan
 *	subtracts (owned by the caller); reserved_lookup() parses the table
 *	on each call and is for explaining a refusal, not for hot paths.
 *	reserved_blocklist() writes the table in zmap's blocklist form,
 *	which the target parser reads back as an exclusion file.
 * DIAGNOSTICS
 *	a table row that does not parse is a build bug (rw_panic).
 * LIMITS
 *	none.
 * STANDARDS
 *	RFC 6890 and the IANA special-purpose registries; each row names
 *	its own RFC.
 */
#include "reserved.h"
#include "../core/xalloc.h"

#include <stdio.h>

static const struct reserved_block table[] = {
    {"0.0.0.0/8", "RFC 1122 3.2.1.3: this host on this network"},
    {"10.0.0.0/8", "RFC 1918: private use"},
    {"100.64.0.0/10", "RFC 6598: shared address space (carrier-grade NAT)"},
    {"127.0.0.0/8", "RFC 1122 3.2.1.3: loopback"},
    {"169.254.0.0/16", "RFC 3927: link local"},
    {"172.16.0.0/12", "RFC 1918: private use"},
    {"192.0.0.0/24", "RFC 6890 2.1: IETF protocol assignments"},
    {"192.0.2.0/24", "RFC 5737: documentation (TEST-NET-1)"},
    {"192.31.196.0/24", "RFC 7535: AS112-v4 anycast"},
    {"192.52.193.0/24", "RFC 7450: AMT anycast"},
    {"192.88.99.0/24", "RFC 7526: deprecated 6to4 relay anycast"},
    {"192.168.0.0/16", "RFC 1918: private use"},
    {"192.175.48.0/24", "RFC 7534: AS112 direct delegation"},
    {"198.18.0.0/15", "RFC 2544: benchmarking"},
    {"198.51.100.0/24", "RFC 5737: documentation (TEST-NET-2)"},
    {"203.0.113.0/24", "RFC 5737: documentation (TEST-NET-3)"},
    {"224.0.0.0/4", "RFC 5771: multicast"},
    {"240.0.0.0/4", "RFC 1112 4: reserved for future use"},
    {"255.255.255.255/32", "RFC 919 7, RFC 8190: limited broadcast"},

    {"::/128", "RFC 4291 2.5.2: unspecified address"},
    {"::1/128", "RFC 4291 2.5.3: loopback"},
    {"::/96", "RFC 4291 2.5.5.1: deprecated IPv4-compatible addresses"},
    {"::ffff:0:0/96", "RFC 4291 2.5.5.2: IPv4-mapped addresses"},
    {"64:ff9b::/96", "RFC 6052: NAT64 well-known prefix (embeds IPv4)"},
    {"64:ff9b:1::/48", "RFC 8215: local-use IPv4/IPv6 translation"},
    {"100::/64", "RFC 6666: discard only"},
    {"2001::/23", "RFC 2928: IETF protocol assignments"},
    {"2001::/32", "RFC 4380: Teredo (embeds IPv4)"},
    {"2001:2::/48", "RFC 5180: benchmarking"},
    {"2001:db8::/32", "RFC 3849: documentation"},
    {"2002::/16", "RFC 3056: 6to4 (embeds IPv4)"},
    {"2620:4f:8000::/48", "RFC 7534: AS112 direct delegation"},
    {"3fff::/20", "RFC 9637: documentation"},
    {"5f00::/16", "RFC 9602: SRv6 segment identifiers"},
    {"fc00::/7", "RFC 4193: unique local"},
    {"fe80::/10", "RFC 4291 2.5.6: link local"},
    {"fec0::/10", "RFC 3879: deprecated site local"},
    {"ff00::/8", "RFC 4291 2.7: multicast"},
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

/* row - one table row parsed; a bad row is a bug in this file */
static void row(size_t i, struct ipset_range *r)
{
	const char *e = ipset_range_parse(table[i].cidr, r);

	if (e)
		rw_panic("%s: %s: %s", __func__, table[i].cidr, e);
}

/* reserved_table - the rows, in the order written above */
const struct reserved_block *reserved_table(size_t *n)
{
	*n = NTABLE;
	return table;
}

/* reserved_set - the union of every row */
struct ipset *reserved_set(void)
{
	struct ipset *s = ipset_new();

	for (size_t i = 0; i < NTABLE; i++) {
		struct ipset_range r;

		row(i, &r);
		ipset_add(s, &r);
	}
	return s;
}

/* reserved_lookup - reason of the smallest block holding a */
const char *reserved_lookup(const struct ipset_addr *a)
{
	const char *best = NULL;
	struct ip128 best_size = {UINT64_MAX, UINT64_MAX};

	for (size_t i = 0; i < NTABLE; i++) {
		struct ipset_range r;

		row(i, &r);
		if (r.fam != a->fam || ip128_cmp(a->v, r.lo) < 0 || ip128_cmp(a->v, r.hi) > 0)
			continue;
		struct ip128 size = ipset_range_count(&r);

		if (best == NULL || ip128_cmp(size, best_size) < 0) {
			best = table[i].reason;
			best_size = size;
		}
	}
	return best;
}

/* reserved_blocklist - zmap blocklist text: "CIDR  # reason" lines */
void reserved_blocklist(struct dbuf *out)
{
	dbuf_adds(out, "# relaywatch default exclusions: special-purpose address blocks\n"
	               "# (IANA registries, RFC 6890). Scanned only with --allow-reserved.\n");
	for (size_t i = 0; i < NTABLE; i++)
		dbuf_printf(out, "%-20s # %s\n", table[i].cidr, table[i].reason);
}
