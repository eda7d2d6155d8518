/*
 * dnsbl.h - is an address listed in DNS blocklists? A and TXT queries of
 * its reversed name under each list (RFC 5782), through c-ares on a
 * libevent loop of its own; and the reversed name itself (pure)
 */
#ifndef RW_DNSBL_H
#define RW_DNSBL_H

#include <stddef.h>

#include "../core/nslist.h"

/* "f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0" + NUL */
#define DNSBL_REVERSE_MAX 64
/* the A values and the TXT kept per answer */
#define DNSBL_A_MAX   128
#define DNSBL_TXT_MAX 512
#define DNSBL_WHY_MAX 160

/* dnsbl_reverse - the reversed name of addr (IPv4: octets, RFC 5782 2.1;
 * IPv6: 32 nibbles, 2.4) into out (DNSBL_REVERSE_MAX), without the list's
 * zone. Returns AF_INET or AF_INET6, or -1 when addr is not an address. */
int dnsbl_reverse(const char *addr, char *out, size_t outlen);

enum dnsbl_status { DNSBL_NOT_LISTED, DNSBL_LISTED, DNSBL_ERROR };

/* dnsbl_status_name - "not-listed", "listed", "error" */
const char *dnsbl_status_name(enum dnsbl_status s);

/* the answer of one list for one address */
struct dnsbl_result {
	enum dnsbl_status status;
	char a[DNSBL_A_MAX];     /* listed: the A values, comma separated */
	char txt[DNSBL_TXT_MAX]; /* listed: the TXT strings as received, joined by " "
	                            (raw bytes: escape before printing); "" = none */
	char why[DNSBL_WHY_MAX]; /* error: what went wrong; listed: a TXT problem, or "" */
};

struct dnsbl_opts {
	const struct nslist *servers; /* NULL or empty: /etc/resolv.conf's */
	unsigned timeout;             /* seconds per try; 0: RW_DNS_TIMEOUT */
	unsigned tries;               /* 0: RW_DNS_TRIES */
	unsigned deadline;            /* seconds for everything; 0: RW_DNS_DEADLINE */
};

/* dnsbl_check - ask every list about every address, all at once, and
 * return when all are answered or the deadline passed. out has room for
 * naddrs * nlists results: out[i * nlists + j] is addrs[i] in lists[j].
 * An address that is not one is an error result (nothing is sent). An A
 * answer in 127.0.0.0/8 lists the address (then its TXT is asked); an
 * answer outside it, or in 127.255.255.0/24 (lists' "query refused"
 * codes), is an error; NXDOMAIN and an empty answer are "not listed".
 * Returns 0, or -1 with err when no resolver could be set up. */
int dnsbl_check(const char *const *addrs, size_t naddrs, const char *const *lists, size_t nlists,
                const struct dnsbl_opts *o, struct dnsbl_result *out, char *err, size_t errlen);

#endif
