/*
 * NAME
 *	page_scans - the scans and one scan's results
 * SUMMARY
 *	GET /scans, GET /scans/ID[?verdict=V&probe=P]
 * SYNOPSIS
 *	void page_scans(struct web_req *r);
 * DESCRIPTION
 *	The listing shows each scan's state and progress (done of total, a
 *	<progress> bar, the per-verdict counts); one scan's page its results
 *	(address, port, probe, verdict, reason, banner or software), at most
 *	RW_WEB_PAGE_ROWS of them, filtered by verdict (in the store) and by
 *	probe (here). Every text is escaped.
 * DIAGNOSTICS
 *	400 bad id, verdict or probe; 404 no such scan; 500 the store.
 * LIMITS
 *	RW_WEB_PAGE_ROWS rows.
 */
#include "html.h"
#include "page.h"
#include "web_int.h"

#include "../core/limits.h"
#include "../smtp/result.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* list - every scan (newest first), with its progress */
static void list(struct web_req *r)
{
	struct store_page pg = {.limit = RW_WEB_PAGE_ROWS, .offset = 0};
	struct store_scans l;
	struct dbuf b;

	if (store_scan_list(r->st, &pg, &l) < 0) {
		web_page_error(r, HTTP_INTERNAL, store_error(r->st));
		return;
	}
	dbuf_init(&b, 0);
	html_begin(&b, r, "Scans");
	dbuf_adds(&b, "<table><tr><th>scan</th><th>started</th><th>state</th><th>progress</th>"
	              "<th>counts</th></tr>\n");
	for (size_t i = 0; i < l.n; i++) {
		struct store_progress p = {0};
		const struct store_scan *sc = &l.v[i];

		(void)store_progress_load(r->st, sc->id, &p);
		dbuf_printf(&b, "<tr><td><a href=\"/scans/%lld\">#%lld</a></td><td>",
		            (long long)sc->id, (long long)sc->id);
		html_time(&b, sc->created * 1000);
		dbuf_adds(&b, "</td>");
		html_tag(&b, "td", sc->state);
		dbuf_printf(&b,
		            "<td><progress max=\"%lld\" value=\"%lld\"></progress> %lld/%lld</td>",
		            (long long)(sc->total > 0 ? sc->total : 1), (long long)p.done,
		            (long long)p.done, (long long)sc->total);
		dbuf_adds(&b, "<td><code>");
		html_text(&b, p.counts ? p.counts : "{}");
		dbuf_adds(&b, "</code></td></tr>\n");
		store_progress_clear(&p);
	}
	dbuf_adds(&b, "</table>\n");
	store_scans_free(&l);
	html_end(&b);
	web_reply_html(r, HTTP_OK, &b);
}

/* page_results_table - results as rows (shared with the host page) */
void page_results_table(struct dbuf *b, const struct store_results *l, const char *probe,
                        size_t max)
{
	dbuf_adds(b, "<table><tr><th>scan</th><th>tested</th><th>address</th><th>probe</th>"
	             "<th>verdict</th><th>reason</th><th>banner / software</th></tr>\n");
	for (size_t i = 0, shown = 0; i < l->n && shown < max; i++) {
		const struct store_result *x = &l->v[i];
		const char *p = x->probe ? x->probe : "smtp";
		json_t *ev;
		const char *what;

		if (probe && strcmp(probe, p) != 0)
			continue;
		shown++;
		ev = json_loads(x->evidence ? x->evidence : "{}", 0, NULL);
		what = json_string_value(json_object_get(ev, "banner"));
		if (what == NULL)
			what = json_string_value(json_object_get(ev, "software"));
		dbuf_printf(b, "<tr><td><a href=\"/scans/%lld\">#%lld</a></td><td>",
		            (long long)x->scan, (long long)x->scan);
		html_time(b, x->tested * 1000);
		dbuf_adds(b, "</td><td><a href=\"/hosts?q=");
		html_text(b, x->target);
		dbuf_adds(b, "\">");
		html_text(b, x->target);
		dbuf_printf(b, "</a>:%u</td>", x->port);
		html_tag(b, "td", p);
		html_tag(b, "td", x->verdict);
		html_tag(b, "td", x->reason);
		dbuf_adds(b, "<td><code>");
		html_text(b, what ? what : "");
		dbuf_adds(b, "</code></td></tr>\n");
		json_decref(ev);
	}
	dbuf_adds(b, "</table>\n");
}

/* one - a scan and its results, filtered */
static void one(struct web_req *r, int64_t id)
{
	const char *verdict = evhttp_find_header(&r->query, "verdict");
	const char *probe = evhttp_find_header(&r->query, "probe");
	struct store_page pg = {.limit = RW_WEB_PAGE_MAX, .offset = 0};
	struct store_scan sc = {0};
	struct store_results l;
	struct dbuf b;
	char title[48];
	int known = 0, found;

	if (verdict && *verdict == '\0')
		verdict = NULL;
	if (probe && *probe == '\0')
		probe = NULL;
	for (int v = 0; verdict && v < V__COUNT; v++)
		known |= strcmp(verdict, verdict_name((enum verdict)v)) == 0;
	if ((verdict && !known) ||
	    (probe && strcmp(probe, "smtp") != 0 && strcmp(probe, "proxy") != 0)) {
		web_page_error(r, HTTP_BADREQUEST, "Unknown verdict or probe.");
		return;
	}
	if ((found = store_scan_get(r->st, id, &sc)) <= 0) {
		web_page_error(r, found < 0 ? HTTP_INTERNAL : HTTP_NOTFOUND,
		               found < 0 ? store_error(r->st) : "No such scan.");
		return;
	}
	if (store_results_list(r->st, id, verdict, &pg, &l) < 0) {
		store_scan_clear(&sc);
		web_page_error(r, HTTP_INTERNAL, store_error(r->st));
		return;
	}
	dbuf_init(&b, 0);
	snprintf(title, sizeof(title), "Scan #%lld", (long long)id);
	html_begin(&b, r, title);
	dbuf_adds(&b, "<p>State ");
	html_text(&b, sc.state);
	dbuf_printf(&b, ", %lld targets. Parameters: <code>", (long long)sc.total);
	html_text(&b, sc.params ? sc.params : "{}");
	dbuf_printf(&b,
	            "</code></p>\n<form method=\"get\" action=\"/scans/%lld\">"
	            "<label>verdict <select name=\"verdict\"><option value=\"\">any</option>",
	            (long long)id);
	for (int v = 0; v < V__COUNT; v++)
		dbuf_printf(&b, "<option%s>%s</option>",
		            verdict && strcmp(verdict, verdict_name((enum verdict)v)) == 0
		                ? " selected"
		                : "",
		            verdict_name((enum verdict)v));
	dbuf_printf(&b,
	            "</select></label> <label>probe <select name=\"probe\">"
	            "<option value=\"\">any</option><option%s>smtp</option>"
	            "<option%s>proxy</option></select></label> <button>Filter</button>"
	            "</form>\n",
	            probe && strcmp(probe, "smtp") == 0 ? " selected" : "",
	            probe && strcmp(probe, "proxy") == 0 ? " selected" : "");
	page_results_table(&b, &l, probe, RW_WEB_PAGE_ROWS);
	store_results_free(&l);
	store_scan_clear(&sc);
	html_end(&b);
	web_reply_html(r, HTTP_OK, &b);
}

void page_scans(struct web_req *r)
{
	const char *s = r->rest[0] == '/' ? r->rest + 1 : "";
	char *end;
	long long id;

	if (*s == '\0') {
		list(r);
		return;
	}
	id = strtoll(s, &end, 10);
	if (*s < '1' || *s > '9' || *end || id <= 0)
		web_page_error(r, HTTP_BADREQUEST, "Not a scan id.");
	else
		one(r, id);
}
