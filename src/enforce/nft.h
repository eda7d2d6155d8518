/*
 * nft.h - the nftables ruleset of relaywatch's blocks, as pure text
 *
 * Our own table only (`table inet relaywatch`): four sets of addresses
 * (blocked_in4, blocked_in6: SMTP *to* these hosts is dropped; blocked_out4,
 * blocked_out6: SMTP *from* them), three base chains (forward: both
 * directions through a router; input: from outbound-blocked hosts to
 * this machine, and to its own inbound-blocked addresses; output: from
 * its own outbound-blocked addresses) whose rules drop tcp to the
 * configured ports. Nothing here runs nft: the caller feeds the script to `nft -f -`
 * (one atomic transaction) and hands back `nft -j list table` output.
 *
 * Safety: an address enters a set only through nft_set_add(), which
 * parses it with inet_pton(); scripts print the binary form back with
 * inet_ntop(). A string from the store thus never reaches nft as given.
 */
#ifndef RW_NFT_H
#define RW_NFT_H

#include <stddef.h>

#define NFT_TABLE          "relaywatch"
#define NFT_PORTS_MAX      16  /* ports in block_ports */
#define NFT_ELEMS_PER_LINE 256 /* elements per add/delete element line */

enum nft_dir { NFT_IN = 0, NFT_OUT = 1 };

/* One set element: an address (binary) in one direction. */
struct nft_elem {
	unsigned char dir;    /* enum nft_dir */
	unsigned char family; /* 4 or 6 */
	unsigned char a[16];  /* network order; 4 bytes used for IPv4 */
};

/* A set of elements; sorted and without duplicates after nft_set_sort(). */
struct nft_set {
	size_t n, cap;
	struct nft_elem *v;
};

struct nft_ports {
	size_t n;
	unsigned v[NFT_PORTS_MAX]; /* ascending, distinct, 1..65535 */
};

/* What `nft -j list table inet relaywatch` showed. */
struct nft_state {
	int present;  /* the table exists */
	int complete; /* every set and chain exists and the rules are ours,
	                 for these ports: only elements need changing */
	struct nft_set elems;
};

/* nft_ports_parse - "25,465 587" (commas or spaces); NULL or "" = 25.
 * Returns NULL, or the problem (static text). */
const char *nft_ports_parse(const char *text, struct nft_ports *out);

/* nft_dir_mask - "inbound" 1, "outbound" 2, "both" 3, anything else 0 */
unsigned nft_dir_mask(const char *what);
/* nft_dir_name - "inbound" or "outbound" (static) */
const char *nft_dir_name(enum nft_dir d);

/* nft_addr_parse - one address, IPv4 or IPv6, nothing else around it
 * (no prefix, no zone, no spaces): 4 or 6 and a[] filled, 0 when bad */
int nft_addr_parse(const char *text, unsigned char a[16]);
/* nft_elem_addr - the element's address as inet_ntop() writes it into
 * buf (at least 46 bytes); returns buf */
const char *nft_elem_addr(const struct nft_elem *e, char *buf, size_t len);

/* nft_set_add - add (addr, each direction of mask) to s: 0, or -1 when
 * addr is not an address or mask is 0 (nothing added) */
int nft_set_add(struct nft_set *s, const char *addr, unsigned mask);
/* nft_set_sort - sort and drop duplicates */
void nft_set_sort(struct nft_set *s);
/* nft_set_has - whether s (sorted) holds e */
int nft_set_has(const struct nft_set *s, const struct nft_elem *e);
void nft_set_clear(struct nft_set *s);

/* nft_state_parse - read `nft -j list table inet relaywatch` output
 * (json, len bytes) into *out (owned elements: nft_state_clear). Elements
 * that are not plain addresses (ranges, prefixes) are ignored, as are
 * sets and chains that are not ours. Returns NULL, or the problem: a
 * static text or one written into err. */
const char *nft_state_parse(const char *json, size_t len, const struct nft_ports *ports,
                            struct nft_state *out, char *err, size_t errlen);
/* nft_state_absent - the state of a missing table */
void nft_state_absent(struct nft_state *out);
void nft_state_clear(struct nft_state *s);

/* nft_diff - add = want - have, del = have - want (both sorted inputs;
 * outputs sorted, owned by the caller's sets, which start empty) */
void nft_diff(const struct nft_set *want, const struct nft_set *have, struct nft_set *add,
              struct nft_set *del);

/* nft_script - the `nft -f -` transaction that takes the table from cur
 * to cur - del + add: when cur is not complete it first creates the
 * table, sets and chains (`add` is idempotent) and rewrites our chains'
 * rules; then deletes and adds the elements. NULL when cur is complete
 * and add and del are empty (nothing to do). Owned (free()). With cur
 * absent and del empty it is the complete script for add. */
char *nft_script(const struct nft_ports *ports, const struct nft_state *cur,
                 const struct nft_set *add, const struct nft_set *del);

/* nft_rule_comment - the comment our rules carry for these ports, into
 * buf: how a later run knows the rules are its own and current */
const char *nft_rule_comment(const struct nft_ports *ports, char *buf, size_t len);

#endif
