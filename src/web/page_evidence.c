/*
 * NAME
 *	page_evidence - an incident's evidence and repair advice as HTML
 * SUMMARY
 *	the stored result's JSON drawn: transcript, tricks, arrivals, proxies
 * SYNOPSIS
 *	int evidence_find(struct store *st, const struct store_incident *in,
 *	    struct store_results *l, const struct store_result **res);
 *	void evidence_html(struct dbuf *b, const struct store_result *res);
 *	void evidence_advice(struct dbuf *b, const struct store_result *res);
 * DESCRIPTION
 *	evidence_find() picks the newest result of the incident's (addr,
 *	port) and class probe, else of the address with that probe on any
 *	port (a complaint names no port: its incident is on 25). evidence_html() reads the result's
 *evidence (the scan's JSON) and writes, for an open relay, the banner, the tests that got furthest,
 *the transcript with the lines naming a delivered test's recipient highlighted, and each arrival:
 *the token, its status and the Received chain drawn as a path of boxes (relay -> each "by" host,
 *oldest first -> the sink); for an open proxy, each protocol tried with its verdict, status,
 *software, the bytes sent and received and the egress the canary saw. Every text is escaped
 *(html_text). evidence_advice() writes advice.h's text. DIAGNOSTICS unreadable evidence is said so
 *on the page. LIMITS EVIDENCE_RESULTS results of the address read.
 */
#include "page_evidence.h"
#include "html.h"

#include "../desk/advice.h"
#include "../desk/desk.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define EVIDENCE_RESULTS 50 /* the address's newest results looked at */
#define EVIDENCE_IDS     32 /* tricks named to the advice */

int evidence_find(struct store *st, const struct store_incident *in, struct store_results *l,
                  const struct store_result **res)
{
	struct store_page pg = {.limit = EVIDENCE_RESULTS, .offset = 0};
	const char *probe = desk_class_probe(desk_machine_class(in->machine));

	*res = NULL;
	if (store_results_of(st, in->addr, &pg, l) < 0)
		return -1;
	/* its port first; a complaint that named no port opened port 25 */
	for (int any = 0; any < 2 && *res == NULL; any++)
		for (size_t i = 0; i < l->n && *res == NULL; i++)
			if ((any || l->v[i].port == in->port) &&
			    strcmp(l->v[i].probe ? l->v[i].probe : "smtp", probe) == 0)
				*res = &l->v[i];
	return *res != NULL;
}

/* str - a JSON member as text, "" when absent or not a string */
static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* sv - a JSON string's text, "" for anything else */
static const char *sv(json_t *j)
{
	const char *s = json_string_value(j);

	return s ? s : "";
}

/* cell - <td>escaped</td> */
static void cell(struct dbuf *b, const char *s)
{
	html_tag(b, "td", s);
}

/* received_by - the host after " by " in a Received header, into buf */
static void received_by(const char *h, char *buf, size_t len)
{
	const char *p = strstr(h, " by ");
	size_t n;

	if (p == NULL && strncmp(h, "by ", 3) == 0)
		p = h - 1;
	if (p == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	p += 4;
	n = strcspn(p, " \t;(");
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

/* arrival_html - one arrival: token, status, the Received path */
static void arrival_html(struct dbuf *b, json_t *a, const char *relay)
{
	json_t *rec = json_object_get(a, "received");
	size_t n = json_array_size(rec);

	dbuf_adds(b, "<h3>Arrival of test ");
	html_text(b, str(a, "test"));
	dbuf_adds(b, "</h3><p>Token <code>");
	html_text(b, str(a, "token"));
	dbuf_adds(b, "</code> (");
	html_text(b, str(a, "token_status"));
	dbuf_adds(b, "), delivered by ");
	html_text(b, str(a, "peer"));
	dbuf_printf(b, " at ");
	html_time(b, (int64_t)json_integer_value(json_object_get(a, "time")) * 1000);
	dbuf_adds(b, ".</p>\n<div class=\"path\"><span class=\"hop\">relay ");
	html_text(b, relay);
	dbuf_adds(b, "</span>");
	for (size_t i = n; i-- > 0;) { /* the oldest header is the last */
		char by[128];

		received_by(sv(json_array_get(rec, i)), by, sizeof(by));
		dbuf_adds(b, "<span class=\"arrow\">&rarr;</span><span class=\"hop\">");
		html_text(b, by);
		dbuf_adds(b, "</span>");
	}
	dbuf_adds(b, "<span class=\"arrow\">&rarr;</span><span class=\"hop\">sink ");
	html_text(b, str(a, "rcpt_to"));
	dbuf_adds(b, "</span></div>\n<pre>");
	for (size_t i = 0; i < n; i++) {
		dbuf_adds(b, "Received: ");
		html_text(b, json_string_value(json_array_get(rec, i)));
		dbuf_adds(b, "\n");
	}
	dbuf_adds(b, "</pre>\n");
}

/* relay_html - an open relay's evidence */
static void relay_html(struct dbuf *b, json_t *ev)
{
	json_t *tests = json_object_get(ev, "tests"), *arr = json_object_get(ev, "arrivals");
	json_t *tr = json_object_get(ev, "transcript"), *t, *a;
	const char *hits[EVIDENCE_IDS];
	size_t i, nh = 0;

	dbuf_adds(b, "<p>Banner: <code>");
	html_text(b, str(ev, "banner"));
	dbuf_adds(b, "</code> &middot; MTA: ");
	html_text(b, str(ev, "mta")[0] ? str(ev, "mta") : "unknown");
	dbuf_adds(b, "</p>\n<h3>Tests</h3><table><tr><th>test</th><th>trick</th><th>MAIL FROM</th>"
	             "<th>RCPT TO</th><th>stage</th><th>reply</th></tr>\n");
	json_array_foreach(tests, i, t)
	{
		const char *stage = str(t, "stage");
		int ok = strcmp(stage, "delivered") == 0 || strcmp(stage, "accepted") == 0;

		if (ok && nh < EVIDENCE_IDS && str(t, "rcpt_to")[0])
			hits[nh++] = str(t, "rcpt_to");
		dbuf_adds(b, ok ? "<tr class=\"hl\">" : "<tr>");
		cell(b, str(t, "id"));
		cell(b, str(t, "trick"));
		cell(b, str(t, "mail_from"));
		cell(b, str(t, "rcpt_to"));
		cell(b, stage);
		dbuf_adds(b, "<td>");
		if (json_integer_value(json_object_get(t, "code")))
			dbuf_printf(b, "%lld ",
			            (long long)json_integer_value(json_object_get(t, "code")));
		html_text(b, str(t, "text"));
		dbuf_adds(b, "</td></tr>\n");
	}
	dbuf_adds(b, "</table>\n");
	if (json_array_size(tr) > 0) {
		dbuf_adds(b, "<h3>Transcript</h3><pre>");
		json_array_foreach(tr, i, t)
		{
			const char *line = sv(t);
			int hl = 0;

			for (size_t k = 0; k < nh && !hl; k++)
				hl = strstr(line, hits[k]) != NULL;
			if (hl)
				dbuf_adds(b, "<mark class=\"hl\">");
			html_text(b, line);
			dbuf_adds(b, hl ? "</mark>" : "\n");
		}
		dbuf_adds(b, "</pre>\n");
	}
	json_array_foreach(arr, i, a) arrival_html(b, a, str(ev, "addr"));
}

/* proxy_html - an open proxy's protocols */
static void proxy_html(struct dbuf *b, json_t *ev)
{
	json_t *ps = json_object_get(ev, "protocols"), *p;
	size_t i;

	dbuf_adds(b, "<p>Software: ");
	html_text(b, str(ev, "software")[0] ? str(ev, "software") : "not named");
	dbuf_adds(b, " &middot; egress seen by the canary: ");
	html_text(b, str(ev, "egress")[0] ? str(ev, "egress") : "-");
	dbuf_adds(b, "</p>\n<table><tr><th>protocol</th><th>verdict</th><th>status</th>"
	             "<th>sent</th><th>received</th></tr>\n");
	json_array_foreach(ps, i, p)
	{
		int open = strcmp(str(p, "verdict"), "open") == 0;

		dbuf_adds(b, open ? "<tr class=\"hl\">" : "<tr>");
		cell(b, str(p, "proto"));
		cell(b, str(p, "verdict"));
		if (json_is_integer(json_object_get(p, "status")))
			dbuf_printf(b, "<td>%lld</td>",
			            (long long)json_integer_value(json_object_get(p, "status")));
		else
			cell(b, "-");
		dbuf_adds(b, "<td><pre>");
		html_text(b, str(p, "sent"));
		dbuf_adds(b, "</pre></td><td><pre>");
		html_text(b, str(p, "received"));
		dbuf_adds(b, "</pre></td></tr>\n");
	}
	dbuf_adds(b, "</table>\n");
}

void evidence_html(struct dbuf *b, const struct store_result *res)
{
	json_t *ev = json_loads(res->evidence ? res->evidence : "{}", 0, NULL);

	dbuf_adds(b, "<p>Scan ");
	dbuf_printf(b, "<a href=\"/scans/%lld\">%lld</a>, tested ", (long long)res->scan,
	            (long long)res->scan);
	html_time(b, res->tested * 1000);
	dbuf_adds(b, ": <b>");
	html_text(b, res->verdict);
	dbuf_adds(b, "</b> &mdash; ");
	html_text(b, res->reason);
	dbuf_adds(b, "</p>\n");
	if (!json_is_object(ev))
		dbuf_adds(b, "<p>The evidence is unreadable.</p>\n");
	else if (strcmp(res->probe ? res->probe : "smtp", "proxy") == 0)
		proxy_html(b, ev);
	else
		relay_html(b, ev);
	json_decref(ev);
}

void evidence_advice(struct dbuf *b, const struct store_result *res)
{
	json_t *ev = json_loads(res->evidence ? res->evidence : "{}", 0, NULL), *x;
	const char *ids[EVIDENCE_IDS];
	struct dbuf t;
	size_t i, n = 0;
	char hostport[80];

	dbuf_init(&t, 0);
	if (strcmp(res->probe ? res->probe : "smtp", "proxy") == 0) {
		json_array_foreach(json_object_get(ev, "protocols"), i,
		                   x) if (n < EVIDENCE_IDS && strcmp(str(x, "verdict"), "open") ==
		                                                  0) ids[n++] = str(x, "proto");
		const struct proxy_advice *a = advice_proxy_for(str(ev, "software"), ids, n);
		snprintf(hostport, sizeof(hostport), strchr(res->target, ':') ? "[%s]:%u" : "%s:%u",
		         res->target, res->port);
		advice_proxy_write(&t, a, str(ev, "software"));
		dbuf_adds(&t, "\n");
		advice_proxy_verify(&t, a, hostport, ids, n, NULL);
	} else {
		json_array_foreach(json_object_get(ev, "tests"), i, x)
		{
			const char *stage = str(x, "stage");

			if (n < EVIDENCE_IDS &&
			    (strcmp(stage, "delivered") == 0 || strcmp(stage, "accepted") == 0))
				ids[n++] = str(x, "id");
		}
		advice_write(&t, str(ev, "mta"), ids, n);
		dbuf_adds(&t, "\n");
		advice_verify(&t, str(ev, "mta"), NULL);
	}
	dbuf_adds(b, "<pre>");
	html_textn(b, dbuf_str(&t), t.len);
	dbuf_adds(b, "</pre>\n");
	dbuf_free(&t);
	json_decref(ev);
}
