/*
 * ipset.h - sets of IPv4 and IPv6 addresses as sorted, merged intervals
 *
 * IPv4 and IPv6 are two separate spaces (an IPv4 address is never the
 * IPv4-mapped IPv6 one). A set is built by adding ranges in any order; the
 * readers normalise it (sort and merge) on first use after a change, so
 * the same inputs in any order give the same intervals and the same
 * answers. Readers therefore take a non-const set; a normalised set is
 * never changed by a reader.
 */
#ifndef RW_IPSET_H
#define RW_IPSET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum ipset_fam { IPSET_V4 = 0, IPSET_V6 = 1 };

/* an unsigned 128-bit number: an address, or a count of addresses */
struct ip128 {
	uint64_t hi, lo;
};

struct ipset_addr {
	enum ipset_fam fam;
	struct ip128 v; /* IPv4: hi == 0, lo < 2^32 */
};

/* an inclusive interval [lo, hi] of one family */
struct ipset_range {
	enum ipset_fam fam;
	struct ip128 lo, hi;
};

struct ipset;

struct ipset *ipset_new(void);
struct ipset *ipset_free(struct ipset *s); /* accepts NULL, returns NULL */
struct ipset *ipset_copy(struct ipset *s); /* owned, normalised */
void ipset_clear(struct ipset *s);

/* ipset_add - add one range (lo <= hi, same family, or rw_panic) */
void ipset_add(struct ipset *s, const struct ipset_range *r);
void ipset_add_addr(struct ipset *s, const struct ipset_addr *a);
void ipset_add_set(struct ipset *s, struct ipset *from);
/* ipset_add_text - parse with ipset_range_parse and add; NULL or error */
const char *ipset_add_text(struct ipset *s, const char *spec);
/* ipset_add_list - each spec of a list separated by commas or white space
 * (the config's scope); NULL, or the error with the bad spec in bad */
const char *ipset_add_list(struct ipset *s, const char *list, char *bad, size_t badlen);

int ipset_contains(struct ipset *s, const struct ipset_addr *a);
/* ipset_count - addresses of one family; 2^128 (all of IPv6) saturates to
 * 2^128 - 1 */
struct ip128 ipset_count(struct ipset *s, enum ipset_fam fam);
/* ipset_size - IPv4 plus IPv6 addresses, saturating at UINT64_MAX */
uint64_t ipset_size(struct ipset *s);
int ipset_empty(struct ipset *s);
int ipset_equal(struct ipset *a, struct ipset *b);

/* ipset_ranges - the merged intervals of one family in ascending order;
 * borrowed, valid until the set is next changed or freed */
const struct ipset_range *ipset_ranges(struct ipset *s, enum ipset_fam fam, size_t *n);
/* ipset_nth - the i-th address (IPv4 before IPv6, ascending); 0, or -1
 * when i >= ipset_size() */
int ipset_nth(struct ipset *s, uint64_t i, struct ipset_addr *out);

/* ipset_subtract - a becomes a minus b; ipset_intersect - a becomes a and b */
void ipset_subtract(struct ipset *a, struct ipset *b);
void ipset_intersect(struct ipset *a, struct ipset *b);

/* ipset_range_parse - "192.0.2.0/24", "2001:db8::/120", "192.0.2.7",
 * "192.0.2.1-192.0.2.20", "192.0.2.1-20" (nmap's last octet), "::1-::9".
 * Host bits under a prefix are ignored (192.0.2.7/24 is 192.0.2.0/24, as
 * nmap and zmap read it). Returns NULL or a static error text. */
const char *ipset_range_parse(const char *spec, struct ipset_range *out);
/* ipset_addr_parse - one numeric address; 0 or -1 */
int ipset_addr_parse(const char *text, struct ipset_addr *out);
/* ipset_addr_text, ipset_range_text - into buf (>= 48 and >= 96 bytes
 * for IPv6); ranges print as CIDR when they are one prefix, else a-b */
const char *ipset_addr_text(const struct ipset_addr *a, char *buf, size_t len);
const char *ipset_range_text(const struct ipset_range *r, char *buf, size_t len);
struct ip128 ipset_range_count(const struct ipset_range *r); /* saturating */
/* ipset_addr_from_sa - from a sockaddr_in/in6 (an IPv4-mapped in6 stays
 * IPv6); 0 or -1. ipset_addr_to_sa - into *ss with a port; returns len */
int ipset_addr_from_sa(const struct sockaddr *sa, struct ipset_addr *out);
socklen_t ipset_addr_to_sa(const struct ipset_addr *a, unsigned port, struct sockaddr_storage *ss);

/* 128-bit helpers: compare (-1, 0, 1) and saturating add */
int ip128_cmp(struct ip128 a, struct ip128 b);
struct ip128 ip128_add(struct ip128 a, struct ip128 b);
/* ip128_u64 - the value, or UINT64_MAX when it does not fit */
uint64_t ip128_u64(struct ip128 a);

#endif
