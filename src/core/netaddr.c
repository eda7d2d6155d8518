/*
 * NAME
 *	netaddr - host:port parsing and socket addresses as text
 * SUMMARY
 *	the forms users type (nmap-like) into hosts, ports and sockaddrs
 * SYNOPSIS
 *	const char *netaddr_split(const char *s, char *host, size_t hostlen,
 *		unsigned *port, unsigned defport);
 *	int netaddr_numeric(host, port, ss, len);
 *	const char *netaddr_parse(s, defport, ss, len);
 *	const char *netaddr_text(sa, buf, len); unsigned netaddr_port(sa);
 *	int netaddr_route_source(sa, len, buf, buflen);
 *	enum netaddr_scope netaddr_scope(const char *addr);
 * DESCRIPTION
 *	A bare IPv6 address has several colons and no port; a port needs
 *	brackets around an IPv6 address. Ports are 1..65535.
 *	netaddr_split() copies the host (brackets removed, not checked)
 *	into the caller's buffer; netaddr_numeric() and netaddr_parse()
 *	accept numeric addresses only and fill the caller's sockaddr.
 *	netaddr_text() writes into buf and returns it ("?" when the family
 *	is not understood). netaddr_route_source() connects a UDP socket
 *	(no packet is sent) to learn which of this machine's addresses faces
 *	the target: the default canary is that address as a literal.
 *	netaddr_scope() sorts a numeric address into loopback, private
 *	(RFC 1918, 100.64/10, 169.254/16, fc00::/7, fe80::/10; IPv4-mapped
 *	by its IPv4 address) or public. Nothing keeps state.
 * DIAGNOSTICS
 *	Error texts are static and say what is wrong with the input.
 *	netaddr_numeric, netaddr_route_source: -1; netaddr_scope:
 *	NETADDR_INVALID for text that is no address.
 * LIMITS
 *	ports 1..65535; netaddr_parse() hosts shorter than 256 characters.
 * STANDARDS
 *	RFC 1918, RFC 6598, RFC 3927, RFC 4193, RFC 4291 2.5.5.2 and 2.5.6
 *	(address scopes); RFC 3986 3.2.2 (brackets around IPv6 with a port).
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* netaddr_split - split host[:port] / [host]:port / bare IPv6 into host and port */
const char *netaddr_split(const char *s, char *host, size_t hostlen, unsigned *port,
                          unsigned defport)
{
	const char *colon, *hs = s, *he;
	char *end;
	unsigned long p = defport;

	if (*s == '\0')
		return "empty target";
	if (*s == '[') {
		he = strchr(s, ']');
		if (he == NULL)
			return "missing ']'";
		hs = s + 1;
		if (he[1] == ':') {
			colon = he + 1;
		} else if (he[1] == '\0') {
			colon = NULL;
		} else {
			return "junk after ']'";
		}
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* bare IPv6 */
		he = colon ? colon : s + strlen(s);
	}
	if (colon) {
		errno = 0;
		p = strtoul(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || p < 1 || p > 65535)
			return "bad port";
	}
	if ((size_t)(he - hs) >= hostlen || he == hs)
		return he == hs ? "empty host" : "host name too long";
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = (unsigned)p;
	return NULL;
}

/* netaddr_numeric - fill a sockaddr from a numeric IPv4 or IPv6 host; -1 for names */
int netaddr_numeric(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

/* netaddr_parse - split and convert in one go; names are refused */
const char *netaddr_parse(const char *s, unsigned defport, struct sockaddr_storage *ss,
                          socklen_t *len)
{
	char host[256];
	unsigned port;
	const char *e = netaddr_split(s, host, sizeof(host), &port, defport);

	if (e)
		return e;
	if (netaddr_numeric(host, port, ss, len) < 0)
		return "not a numeric address";
	return NULL;
}

/* netaddr_text - the address (no port) as text in buf */
const char *netaddr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = sa->sa_family == AF_INET6
	                    ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
	                    : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/* netaddr_port - the port in host order */
unsigned netaddr_port(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)sa)->sin6_port)
	                                 : ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

/* netaddr_route_source - the local address the route to sa leaves from, without sending */
int netaddr_route_source(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen)
{
	struct sockaddr_storage me;
	socklen_t melen = sizeof(me);
	int fd = socket(sa->sa_family, SOCK_DGRAM, 0);
	int rc = -1;

	if (fd < 0)
		return -1;
	if (connect(fd, sa, len) == 0 && getsockname(fd, (struct sockaddr *)&me, &melen) == 0) {
		netaddr_text((struct sockaddr *)&me, buf, buflen);
		rc = 0;
	}
	close(fd);
	return rc;
}

/* netaddr_scope - loopback, private or public, so a canary is reachable from the target */
enum netaddr_scope netaddr_scope(const char *addr)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, addr, b) == 1) {
		if (b[0] == 127)
			return NETADDR_LOOPBACK;
		if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
		    (b[0] == 169 && b[1] == 254))
			return NETADDR_PRIVATE;
		return NETADDR_PUBLIC;
	}
	if (inet_pton(AF_INET6, addr, b) == 1) {
		static const unsigned char lo[16] = {[15] = 1};

		if (memcmp(b, lo, 16) == 0)
			return NETADDR_LOOPBACK;
		if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
			return NETADDR_PRIVATE;
		if (memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			char v4[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, b + 12, v4, sizeof(v4));
			return netaddr_scope(v4);
		}
		return NETADDR_PUBLIC;
	}
	return NETADDR_INVALID;
}
