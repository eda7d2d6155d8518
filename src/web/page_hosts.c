/*
 * NAME
 *	page_hosts - one address, or a small CIDR: every result over time
 *	and the incidents
 * SUMMARY
 *	GET /hosts?q=ADDR|CIDR
 * SYNOPSIS
 *	void page_hosts(struct web_req *r);
 * DESCRIPTION
 *	Without q: a search form. With an address: its results over every
 *	scan (store_results_of, newest first) and its incidents. With a
 *	CIDR of at most RW_WEB_HOST_CIDR_MAX addresses (IPv4 /24 or longer,
 *	IPv6 /120 or longer): the same for each address that has any.
 * DIAGNOSTICS
 *	400 not an address or CIDR, or a CIDR too wide; 500 the store.
 * LIMITS
 *	RW_WEB_HOST_CIDR_MAX addresses, RW_WEB_PAGE_ROWS results each.
 */
#include "html.h"
#include "page.h"
#include "web_int.h"

#include "../core/limits.h"
#include "../store/store.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* parse - ADDR or ADDR/LEN into the first address, family and count; 0 or -1 */
static int parse(const char *q, unsigned char bin[16], int *fam, unsigned *count)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long len;
	int bits;

	if (strlen(q) >= sizeof(buf))
		return -1;
	strcpy(buf, q);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	*fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	bits = *fam == AF_INET6 ? 128 : 32;
	if (inet_pton(*fam, buf, bin) != 1)
		return -1;
	len = bits;
	if (slash) {
		len = strtol(slash, &end, 10);
		if (*slash < '0' || *slash > '9' || *end || len < 0 || len > bits)
			return -1;
	}
	if (bits - len > 8 || (1u << (bits - len)) > RW_WEB_HOST_CIDR_MAX)
		return -1;
	*count = 1u << (bits - len);
	bin[bits / 8 - 1] &= (unsigned char)~(*count - 1); /* the network's first address */
	return 0;
}

/* one_addr - the sections of one address; 1 shown, 0 nothing, -1 store */
static int one_addr(struct web_req *r, struct dbuf *b, const char *addr, int always)
{
	struct store_page pg = {.limit = RW_WEB_PAGE_ROWS, .offset = 0};
	struct store_results l;
	struct store_incidents il;

	if (store_results_of(r->st, addr, &pg, &l) < 0)
		return -1;
	if (store_incidents_of(r->st, addr, &pg, &il) < 0) {
		store_results_free(&l);
		return -1;
	}
	if (always || l.n || il.n) {
		dbuf_adds(b, "<h2>");
		html_text(b, addr);
		dbuf_adds(b, "</h2>\n<h3>Incidents</h3>\n");
		page_incident_head(b);
		for (size_t i = 0; i < il.n; i++)
			page_incident_row(b, &il.v[i]);
		dbuf_adds(b, "</table>\n<h3>Results over time</h3>\n");
		page_results_table(b, &l, NULL, RW_WEB_PAGE_ROWS);
	}
	store_results_free(&l);
	store_incidents_free(&il);
	return always || l.n || il.n;
}

void page_hosts(struct web_req *r)
{
	const char *q = evhttp_find_header(&r->query, "q");
	unsigned char bin[16];
	unsigned count = 0, shown = 0;
	char addr[INET6_ADDRSTRLEN];
	int fam, rc = 0;
	struct dbuf b;

	if (q && *q && parse(q, bin, &fam, &count) < 0) {
		web_page_error(r, HTTP_BADREQUEST,
		               "Want an IPv4 or IPv6 address, or a CIDR of at most 256 addresses.");
		return;
	}
	dbuf_init(&b, 0);
	html_begin(&b, r, "Hosts");
	dbuf_adds(&b, "<form method=\"get\" action=\"/hosts\"><label>Address or CIDR "
	              "<input name=\"q\" value=\"");
	html_text(&b, q ? q : "");
	dbuf_adds(&b, "\"></label> <button>Look up</button></form>\n");
	for (unsigned i = 0; q && *q && i < count && rc >= 0; i++) {
		if (inet_ntop(fam, bin, addr, sizeof(addr)) == NULL)
			break;
		if ((rc = one_addr(r, &b, addr, count == 1)) > 0)
			shown++;
		bin[fam == AF_INET6 ? 15 : 3]++;
	}
	if (rc < 0) {
		dbuf_free(&b);
		web_page_error(r, HTTP_INTERNAL, store_error(r->st));
		return;
	}
	if (q && *q && count > 1 && shown == 0)
		dbuf_adds(&b, "<p>No address of this network was tested or reported.</p>\n");
	html_end(&b);
	web_reply_html(r, HTTP_OK, &b);
}
