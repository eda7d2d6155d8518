/*
 * NAME
 *	page_blocks - what is enforced: the active blocks and the DNSBL
 * SUMMARY
 *	GET /blocks, GET /dnsbl
 * SYNOPSIS
 *	void page_blocks(struct web_req *r);
 *	void page_dnsbl(struct web_req *r);
 * DESCRIPTION
 *	/blocks lists the block actions applied and not lifted, with their
 *	direction, since when, and why (their incident, its state and
 *	policy). /dnsbl lists what `dnsbl export` writes: the incidents in
 *	zone_listed_states, with their state (why) and since (last update).
 * DIAGNOSTICS
 *	500 the store failed.
 * LIMITS
 *	RW_WEB_PAGE_ROWS rows.
 */
#include "html.h"
#include "web_int.h"

#include "../core/limits.h"
#include "../enforce/zone.h"
#include "../store/store.h"

#include <stdio.h>
#include <string.h>

void page_blocks(struct web_req *r)
{
	struct store_actions l;
	struct dbuf b;

	if (store_blocks_active(r->st, 0, RW_WEB_PAGE_ROWS, &l) < 0) {
		web_page_error(r, HTTP_INTERNAL, store_error(r->st));
		return;
	}
	dbuf_init(&b, 0);
	html_begin(&b, r, "Blocks");
	dbuf_adds(&b, "<table><tr><th>action</th><th>address</th><th>direction</th><th>since</th>"
	              "<th>why</th></tr>\n");
	for (size_t i = 0; i < l.n; i++) {
		const struct store_action *a = &l.v[i];
		struct store_incident in = {0};

		dbuf_printf(&b, "<tr><td>%lld</td>", (long long)a->id);
		html_tag(&b, "td", a->addr);
		html_tag(&b, "td", a->what ? a->what : "");
		dbuf_adds(&b, "<td>");
		html_time(&b, a->applied_ms);
		dbuf_adds(&b, "</td><td>");
		if (a->incident > 0 && store_incident_get(r->st, a->incident, &in) == 1) {
			dbuf_printf(&b, "<a href=\"/incidents/%lld\">incident #%lld</a> (",
			            (long long)a->incident, (long long)a->incident);
			html_text(&b, in.state);
			dbuf_adds(&b, ", policy ");
			html_text(&b, in.policy);
			dbuf_adds(&b, ")");
			store_incident_clear(&in);
		} else
			dbuf_adds(&b, "an operator's own block");
		dbuf_adds(&b, "</td></tr>\n");
	}
	dbuf_adds(&b, "</table>\n");
	store_actions_free(&l);
	html_end(&b);
	web_reply_html(r, HTTP_OK, &b);
}

void page_dnsbl(struct web_req *r)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	html_begin(&b, r, "DNSBL");
	dbuf_adds(&b, "<p>What <code>relaywatch dnsbl export</code> lists: incidents in the "
	              "states");
	for (size_t s = 0; s < zone_listed_states_n; s++)
		dbuf_printf(&b, "%s <b>%s</b>", s ? "," : "", zone_listed_states[s]);
	dbuf_adds(&b, ".</p>\n<table><tr><th>address</th><th>port</th><th>incident</th>"
	              "<th>why (state)</th><th>since</th></tr>\n");
	for (size_t s = 0; s < zone_listed_states_n; s++) {
		struct store_page pg = {.limit = RW_WEB_PAGE_ROWS, .offset = 0};
		struct store_incidents l;

		if (store_incidents_list(r->st, zone_listed_states[s], &pg, &l) < 0) {
			dbuf_free(&b);
			web_page_error(r, HTTP_INTERNAL, store_error(r->st));
			return;
		}
		for (size_t i = 0; i < l.n; i++) {
			dbuf_adds(&b, "<tr>");
			html_tag(&b, "td", l.v[i].addr);
			dbuf_printf(&b, "<td>%u</td><td><a href=\"/incidents/%lld\">#%lld</a></td>",
			            l.v[i].port, (long long)l.v[i].id, (long long)l.v[i].id);
			html_tag(&b, "td", l.v[i].state);
			dbuf_adds(&b, "<td>");
			html_time(&b, l.v[i].updated_ms);
			dbuf_adds(&b, "</td></tr>\n");
		}
		store_incidents_free(&l);
	}
	dbuf_adds(&b, "</table>\n");
	html_end(&b);
	web_reply_html(r, HTTP_OK, &b);
}
