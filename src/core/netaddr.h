/*
 * netaddr.h - host:port forms and socket addresses as text
 */
#ifndef RW_NETADDR_H
#define RW_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* netaddr_split - "host", "host:port", "1.2.3.4:25", "[::1]:25", "::1" into
 * host (no brackets) and port (defport when absent). Returns NULL or a
 * static error text. */
const char *netaddr_split(const char *s, char *host, size_t hostlen, unsigned *port,
			  unsigned defport);

/* netaddr_numeric - a numeric address and port into *ss; 0 or -1 */
int netaddr_numeric(const char *host, unsigned port, struct sockaddr_storage *ss,
		    socklen_t *len);

/* netaddr_parse - "addr:port" / "[v6]:port" (numeric) into *ss; NULL or error */
const char *netaddr_parse(const char *s, unsigned defport, struct sockaddr_storage *ss,
			  socklen_t *len);

/* netaddr_text - address (without port) of sa into buf; returns buf */
const char *netaddr_text(const struct sockaddr *sa, char *buf, size_t len);
unsigned netaddr_port(const struct sockaddr *sa);

/* netaddr_route_source - the local address the kernel would use to reach
 * sa (a UDP connect, nothing is sent); 0 or -1 */
int netaddr_route_source(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen);

/* netaddr_scope - where a numeric address can be reached from */
enum netaddr_scope {
	NETADDR_LOOPBACK, /* 127/8, ::1 */
	NETADDR_PRIVATE,  /* RFC 1918, RFC 6598 CGNAT, link-local, RFC 4193 ULA */
	NETADDR_PUBLIC,   /* anything else that parses */
	NETADDR_INVALID,
};
enum netaddr_scope netaddr_scope(const char *addr);

#endif
