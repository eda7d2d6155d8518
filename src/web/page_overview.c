/*
 * NAME
 *	page_overview - the console's first page: what is open now
 * SUMMARY
 *	GET /: open relays and proxies, incidents by state, deadlines in the
 *	next 24 hours, active blocks, found vs repaired per week, median
 *	time to repair
 * SYNOPSIS
 *	void page_overview(struct web_req *r);
 * DESCRIPTION
 *	Reads the open incidents (at most RW_WEB_OVERVIEW_MAX) and counts
 *	them by class and state; the tally of every incident by state; the
 *	deadlines (due times) within 24 hours; the active blocks; every
 *	incident's opened and closed times bucketed by week for the last
 *	RW_WEB_CHART_WEEKS weeks, drawn as an inline SVG bar chart (found:
 *	opened that week; repaired: closed that week in state "repaired");
 *	and store_report's median opened -> repaired.
 * DIAGNOSTICS
 *	500 the store failed.
 * LIMITS
 *	RW_WEB_OVERVIEW_MAX, RW_WEB_CHART_WEEKS.
 */
#include "html.h"
#include "page.h"
#include "web_int.h"

#include "../core/limits.h"
#include "../desk/desk.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WEEK_MS (7LL * 86400 * 1000)
#define DAY_MS  (86400LL * 1000)

/* chart - found vs repaired per week as an inline SVG */
static void chart(struct dbuf *b, const long long found[], const long long fixed[], int weeks,
                  long long now_ms)
{
	long long max = 1;
	const int W = 60, H = 160, top = 10;

	for (int i = 0; i < weeks; i++) {
		if (found[i] > max)
			max = found[i];
		if (fixed[i] > max)
			max = fixed[i];
	}
	dbuf_printf(b,
	            "<svg role=\"img\" aria-label=\"found and repaired per week\" width=\"%d\" "
	            "height=\"%d\" viewBox=\"0 0 %d %d\">\n",
	            weeks * W + 20, H + 50, weeks * W + 20, H + 50);
	for (int i = 0; i < weeks; i++) {
		int x = 10 + i * W;
		int hf = (int)(found[i] * H / max), hr = (int)(fixed[i] * H / max);
		time_t t = (time_t)((now_ms - (long long)(weeks - 1 - i) * WEEK_MS) / 1000);
		struct tm tm;
		char day[16];

		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%m-%d", &tm);
		dbuf_printf(
		    b,
		    "<rect x=\"%d\" y=\"%d\" width=\"22\" height=\"%d\" fill=\"#d9534f\">"
		    "<title>found %lld</title></rect>"
		    "<rect x=\"%d\" y=\"%d\" width=\"22\" height=\"%d\" fill=\"#4cae4c\">"
		    "<title>repaired %lld</title></rect>"
		    "<text x=\"%d\" y=\"%d\">%lld/%lld</text><text x=\"%d\" y=\"%d\">%s</text>\n",
		    x, top + H - hf, hf, found[i], x + 24, top + H - hr, hr, fixed[i], x,
		    top + H + 14, found[i], fixed[i], x, top + H + 30, day);
	}
	dbuf_adds(b, "</svg>\n<p><span style=\"color:#d9534f\">&#9632;</span> found "
	             "<span style=\"color:#4cae4c\">&#9632;</span> repaired, per week ending on "
	             "the date shown</p>\n");
}

void page_overview(struct web_req *r)
{
	struct store_page pg = {.limit = RW_WEB_OVERVIEW_MAX, .offset = 0};
	struct store_incidents open = {0}, all = {0};
	struct store_tallies t = {0};
	struct store_actions bl = {0};
	struct store_report rep = {0};
	struct timespec ts;
	long long now, found[RW_WEB_CHART_WEEKS] = {0}, fixed[RW_WEB_CHART_WEEKS] = {0};
	long long relays = 0, proxies = 0;
	struct dbuf b;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (store_incidents_list(r->st, STORE_STATE_OPEN, &pg, &open) < 0 ||
	    store_incidents_list(r->st, NULL, &pg, &all) < 0 ||
	    store_tally(r->st, STORE_TALLY_INCIDENTS, &t) < 0 ||
	    store_blocks_active(r->st, 0, RW_WEB_PAGE_ROWS, &bl) < 0 ||
	    store_report(r->st, 0, &rep) < 0) {
		web_page_error(r, HTTP_INTERNAL, store_error(r->st));
		goto out;
	}
	for (size_t i = 0; i < open.n; i++) {
		if (strcmp(desk_machine_class(open.v[i].machine), DESK_CLASS_PROXY) == 0)
			proxies++;
		else
			relays++;
	}
	for (size_t i = 0; i < all.n; i++) {
		long long age = now - all.v[i].opened_ms;
		int w = RW_WEB_CHART_WEEKS - 1 - (int)(age / WEEK_MS);

		if (age >= 0 && w >= 0)
			found[w]++;
		age = now - all.v[i].closed_ms;
		w = RW_WEB_CHART_WEEKS - 1 - (int)(age / WEEK_MS);
		if (all.v[i].closed_ms > 0 && strcmp(all.v[i].state, "repaired") == 0 && age >= 0 &&
		    w >= 0)
			fixed[w]++;
	}
	dbuf_init(&b, 0);
	html_begin(&b, r, "Overview");
	dbuf_printf(&b,
	            "<div class=\"cards\"><div class=\"card\"><b>%lld</b>open relays</div>"
	            "<div class=\"card\"><b>%lld</b>open proxies</div>"
	            "<div class=\"card\"><b>%zu</b>active blocks</div><div class=\"card\"><b>",
	            relays, proxies, bl.n);
	if (rep.repair_median_ms > 0)
		html_duration(&b, rep.repair_median_ms);
	else
		dbuf_adds(&b, "-");
	dbuf_adds(&b, "</b>median time to repair</div></div>\n");

	dbuf_adds(&b,
	          "<h2>Incidents by state</h2><table><tr><th>state</th><th>incidents</th></tr>\n");
	for (size_t i = 0; i < t.n; i++) {
		dbuf_adds(&b, "<tr><td><a href=\"/incidents?state=");
		html_text(&b, t.v[i].key);
		dbuf_adds(&b, "\">");
		html_text(&b, t.v[i].key);
		dbuf_printf(&b, "</a></td><td>%lld</td></tr>\n", (long long)t.v[i].n);
	}
	dbuf_adds(&b, "</table>\n<h2>Open now</h2>\n");
	page_incident_head(&b);
	for (size_t i = 0; i < open.n && i < RW_WEB_PAGE_ROWS; i++)
		page_incident_row(&b, &open.v[i]);
	dbuf_adds(&b,
	          "</table>\n<h2>Deadlines in the next 24 hours</h2>\n"
	          "<p>The repair deadline, else the machine's next timer (a test, a step).</p>\n");
	page_incident_head(&b);
	for (size_t i = 0; i < open.n; i++) {
		json_t *m = json_loads(open.v[i].machine ? open.v[i].machine : "{}", 0, NULL);
		long long dl = (long long)json_integer_value(json_object_get(m, "deadline_ms"));

		json_decref(m);
		if (dl <= 0)
			dl = open.v[i].due_ms;
		if (dl > 0 && dl <= now + DAY_MS)
			page_incident_row(&b, &open.v[i]);
	}
	dbuf_adds(&b,
	          "</table>\n<h2>Active blocks</h2><table><tr><th>address</th><th>direction</th>"
	          "<th>since</th><th>incident</th></tr>\n");
	for (size_t i = 0; i < bl.n; i++) {
		dbuf_adds(&b, "<tr>");
		html_tag(&b, "td", bl.v[i].addr);
		html_tag(&b, "td", bl.v[i].what);
		dbuf_adds(&b, "<td>");
		html_time(&b, bl.v[i].applied_ms);
		if (bl.v[i].incident > 0)
			dbuf_printf(&b,
			            "</td><td><a href=\"/incidents/%lld\">#%lld</a></td></tr>\n",
			            (long long)bl.v[i].incident, (long long)bl.v[i].incident);
		else
			dbuf_adds(&b, "</td><td>-</td></tr>\n");
	}
	dbuf_adds(&b, "</table>\n<h2>Found and repaired per week</h2>\n");
	chart(&b, found, fixed, RW_WEB_CHART_WEEKS, now);
	html_end(&b);
	web_reply_html(r, HTTP_OK, &b);
out:
	store_incidents_free(&open);
	store_incidents_free(&all);
	store_tallies_free(&t);
	store_actions_free(&bl);
}
