/*
 * NAME
 *	nslist - parse a list of DNS name servers
 * SUMMARY
 *	"ADDR[:PORT],..." into socket addresses, for evdns and c-ares alike
 * SYNOPSIS
 *	const char *nslist_parse(const char *s, struct nslist *out, char *err, size_t errlen);
 * DESCRIPTION
 *	Each comma-separated item is a numeric IPv4 address, a bare IPv6
 *	address, or either with a port ("[v6]:port" for IPv6); the port
 *	defaults to 53. Blanks around items are ignored; an empty item or an
 *	empty list is an error (an empty config value unsets the key before
 *	this is reached). Pure: no resolver is consulted, so a name server
 *	given by name is refused rather than looked up through another one.
 * DIAGNOSTICS
 *	The error text in err names the item: "'ns1.example': not a numeric
 *	address"; the returned pointer is err.
 * LIMITS
 *	RW_DNS_SERVERS_MAX servers; items up to RW_DOMAIN_MAX characters.
 * STANDARDS
 *	RFC 3986 3.2.2 (brackets around IPv6 with a port).
 */
#include "nslist.h"
#include "netaddr.h"

#include <stdio.h>
#include <string.h>

/* nslist_parse - split on commas, each item through netaddr_split/numeric */
const char *nslist_parse(const char *s, struct nslist *out, char *err, size_t errlen)
{
	const char *p = s;

	out->n = 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[RW_DOMAIN_MAX + 1], host[RW_DOMAIN_MAX + 1];
		unsigned port;
		const char *e;

		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, "empty name server in '%s'", s);
			return err;
		}
		if (len > RW_DOMAIN_MAX) {
			snprintf(err, errlen, "name server too long");
			return err;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (out->n >= RW_DNS_SERVERS_MAX) {
			snprintf(err, errlen, "more than %d name servers", RW_DNS_SERVERS_MAX);
			return err;
		}
		if ((e = netaddr_split(item, host, sizeof(host), &port, NSLIST_DEFAULT_PORT)) !=
		    NULL) {
			snprintf(err, errlen, "'%s': %s", item, e);
			return err;
		}
		if (netaddr_numeric(host, port, &out->ss[out->n], &out->len[out->n]) < 0) {
			snprintf(err, errlen, "'%s': not a numeric address", item);
			return err;
		}
		out->n++;
		if (end == NULL)
			return NULL;
		p = end + 1;
	}
}
