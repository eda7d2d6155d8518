/*
 * nslist.h - a list of DNS name servers as the user writes it:
 * "ADDR[:PORT],..." (dns_servers, --dns-server)
 */
#ifndef RW_NSLIST_H
#define RW_NSLIST_H

#include <stddef.h>
#include <sys/socket.h>

#include "limits.h"

#define NSLIST_DEFAULT_PORT 53

struct nslist {
	size_t n;
	struct sockaddr_storage ss[RW_DNS_SERVERS_MAX];
	socklen_t len[RW_DNS_SERVERS_MAX];
};

/* nslist_parse - "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353", comma
 * separated, blanks around items ignored; numeric addresses only. NULL, or
 * an error text in err (naming the bad item) and out left unspecified. */
const char *nslist_parse(const char *s, struct nslist *out, char *err, size_t errlen);

#endif
