/*
 * NAME
 *	page_incident - the incidents: a listing, one incident's page, and
 *	the operators' forms (retest, note, close, block, unblock)
 * SUMMARY
 *	GET /incidents[?state=S], GET /incidents/N, POST /incidents/N/VERB
 * SYNOPSIS
 *	void page_incidents(struct web_req *r);
 *	void page_incident_post(struct web_req *r);
 * DESCRIPTION
 *	/incidents/N shows the facts (address, class, state, policy,
 *	contact, deadline), the evidence (page_evidence.c), the timeline
 *	(complaints, events with their actor, notices sent, actions), and,
 *	to operators only, forms carrying the session's CSRF token: retest,
 *	note and close, block (confirmed or notified: skip the rest of the
 *	grace) and unblock (blocked: a reason, then a new grace). A form's
 *	POST (the dispatcher has checked role and CSRF) runs desk_command()
 *	as `relaywatch incident N retest|note|close|block|unblock` does,
 *	with the web user's name as the actor, and answers 303 back to the
 *	incident page (?done=VERB) or a page saying why the machine refused.
 * DIAGNOSTICS
 *	400 bad id, verb or text; 404 no such incident; 409 refused by the
 *	machine; 503 the console runs without a desk (no policy).
 * LIMITS
 *	RW_WEB_PAGE_ROWS incidents listed; PAGE_NOTE_MAX bytes of note.
 */
#include "html.h"
#include "page.h"
#include "page_evidence.h"
#include "web_int.h"

#include "../core/limits.h"
#include "../desk/desk.h"
#include "../desk/incident.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* a note or reason's bytes: its JSON must fit desk.c's 1024-byte detail */
#define PAGE_NOTE_MAX 400

/* page_id - a positive decimal id of n bytes at s, or -1 */
static int64_t page_id(const char *s, size_t n)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v > 0 ? v : -1;
}

/* state_span - a state as a coloured tag */
static void state_span(struct dbuf *b, const char *state)
{
	dbuf_adds(b, "<span class=\"state ");
	html_text(b, state);
	dbuf_adds(b, "\">");
	html_text(b, state);
	dbuf_adds(b, "</span>");
}

/* page_incident_row - one incident as a table row (shared with other pages) */
void page_incident_row(struct dbuf *b, const struct store_incident *in)
{
	dbuf_printf(b, "<tr><td><a href=\"/incidents/%lld\">#%lld</a></td><td>", (long long)in->id,
	            (long long)in->id);
	dbuf_adds(b, "<a href=\"/hosts?q=");
	html_text(b, in->addr);
	dbuf_adds(b, "\">");
	html_text(b, in->addr);
	dbuf_printf(b, "</a>:%u</td><td>", in->port);
	html_text(b, desk_machine_class(in->machine));
	dbuf_adds(b, "</td><td>");
	state_span(b, in->state);
	dbuf_adds(b, "</td><td>");
	html_text(b, in->policy);
	dbuf_adds(b, "</td><td>");
	html_time(b, in->opened_ms);
	dbuf_adds(b, "</td><td>");
	html_time(b, in->due_ms);
	dbuf_adds(b, "</td></tr>\n");
}

/* page_incident_head - the header row of those tables */
void page_incident_head(struct dbuf *b)
{
	dbuf_adds(b, "<table><tr><th>incident</th><th>address</th><th>class</th><th>state</th>"
	             "<th>policy</th><th>opened</th><th>due</th></tr>\n");
}

/* list - GET /incidents[?state=S] */
static void list(struct web_req *r)
{
	const char *state = evhttp_find_header(&r->query, "state");
	struct store_page pg = {.limit = RW_WEB_PAGE_ROWS, .offset = 0};
	struct store_incidents l;
	struct dbuf b;
	int ok = state == NULL || strcmp(state, STORE_STATE_OPEN) == 0;

	for (int i = 0; state && i < IS__COUNT; i++)
		ok |= strcmp(state, incident_state_name((enum incident_state)i)) == 0;
	if (!ok) {
		web_page_error(r, HTTP_BADREQUEST, "Unknown state.");
		return;
	}
	if (store_incidents_list(r->st, state, &pg, &l) < 0) {
		web_page_error(r, HTTP_INTERNAL, store_error(r->st));
		return;
	}
	dbuf_init(&b, 0);
	html_begin(&b, r, "Incidents");
	dbuf_adds(&b, "<p>Show: <a href=\"/incidents\">all</a> <a href=\"/incidents?state=open\">"
	              "open</a>");
	for (int i = 0; i < IS__COUNT; i++)
		dbuf_printf(&b, " <a href=\"/incidents?state=%s\">%s</a>",
		            incident_state_name((enum incident_state)i),
		            incident_state_name((enum incident_state)i));
	dbuf_adds(&b, "</p>\n");
	page_incident_head(&b);
	for (size_t i = 0; i < l.n; i++)
		page_incident_row(&b, &l.v[i]);
	dbuf_adds(&b, "</table>\n");
	store_incidents_free(&l);
	html_end(&b);
	web_reply_html(r, HTTP_OK, &b);
}

/* detail_text - an event's detail: "user: text" when it has them, else its JSON */
static void detail_text(struct dbuf *b, const char *text)
{
	json_t *o = json_loads(text ? text : "{}", 0, NULL);
	const char *u = json_string_value(json_object_get(o, "user"));
	const char *t = json_string_value(json_object_get(o, "text"));

	if (u || t) {
		dbuf_adds(b, "<b>");
		html_text(b, u ? u : "");
		dbuf_adds(b, "</b> ");
		html_text(b, t ? t : "");
		json_object_del(o, "user");
		json_object_del(o, "text");
		if (json_object_size(o) == 0) {
			json_decref(o);
			return;
		}
		dbuf_adds(b, " ");
	}
	if (json_is_object(o) && json_object_size(o) > 0) {
		char *s = json_dumps(o, JSON_COMPACT);

		dbuf_adds(b, "<code>");
		html_text(b, s);
		dbuf_adds(b, "</code>");
		free(s);
	} else if (o == NULL)
		html_text(b, text);
	json_decref(o);
}

/* forms - the operators' forms; block where the state allows one (a
 * confirmed or notified incident), unblock (with its reason) when blocked */
static void forms(struct dbuf *b, const struct web_req *r, int64_t id, const char *state)
{
	char act[64];
	int blocked = state && strcmp(state, "blocked") == 0;
	int blockable =
	    state && (strcmp(state, "confirmed") == 0 || strcmp(state, "notified") == 0);

	dbuf_adds(b, "<h2>Act</h2>\n");
	snprintf(act, sizeof(act), "/incidents/%lld/retest", (long long)id);
	dbuf_adds(b, "<div class=\"act\">");
	html_form(b, r, act);
	dbuf_adds(b, "<button>Retest now</button></form></div>\n<div class=\"act\">");
	snprintf(act, sizeof(act), "/incidents/%lld/note", (long long)id);
	html_form(b, r, act);
	dbuf_printf(b,
	            "<label>Note <input name=\"text\" size=\"60\" maxlength=\"%d\" required>"
	            "</label> <button>Add note</button></form></div>\n<div class=\"act\">",
	            PAGE_NOTE_MAX);
	snprintf(act, sizeof(act), "/incidents/%lld/close", (long long)id);
	html_form(b, r, act);
	dbuf_printf(b,
	            "<label>Reason <input name=\"text\" size=\"60\" maxlength=\"%d\" required>"
	            "</label> <button>Close</button></form></div>\n",
	            INCIDENT_REASON_MAX);
	if (blockable) {
		snprintf(act, sizeof(act), "/incidents/%lld/block", (long long)id);
		dbuf_adds(b, "<div class=\"act\">");
		html_form(b, r, act);
		dbuf_printf(b,
		            "<label>Reason <input name=\"text\" size=\"60\" maxlength=\"%d\">"
		            "</label> <button>Block now</button></form></div>\n",
		            INCIDENT_REASON_MAX);
	}
	if (blocked) {
		snprintf(act, sizeof(act), "/incidents/%lld/unblock", (long long)id);
		dbuf_adds(b, "<div class=\"act\">");
		html_form(b, r, act);
		dbuf_printf(
		    b,
		    "<label>Reason <input name=\"text\" size=\"60\" maxlength=\"%d\" "
		    "required></label> <button>Unblock for a new grace</button></form></div>\n",
		    INCIDENT_REASON_MAX);
	}
}

/* one - GET /incidents/N */
static void one(struct web_req *r, int64_t id)
{
	struct store_incident in;
	struct store_timeline tl = {0};
	struct store_results rl = {0};
	const struct store_result *res = NULL;
	const char *done = evhttp_find_header(&r->query, "done");
	struct dbuf b;
	char title[64];
	int found = store_incident_get(r->st, id, &in);

	if (found <= 0) {
		web_page_error(r, found < 0 ? HTTP_INTERNAL : HTTP_NOTFOUND,
		               found < 0 ? store_error(r->st) : "No such incident.");
		return;
	}
	if (store_incident_timeline(r->st, id, &tl) < 0 ||
	    evidence_find(r->st, &in, &rl, &res) < 0) {
		web_page_error(r, HTTP_INTERNAL, store_error(r->st));
		goto out;
	}
	dbuf_init(&b, 0);
	snprintf(title, sizeof(title), "Incident #%lld", (long long)id);
	html_begin(&b, r, title);
	if (done && (strcmp(done, "retest") == 0 || strcmp(done, "note") == 0 ||
	             strcmp(done, "close") == 0 || strcmp(done, "block") == 0 ||
	             strcmp(done, "unblock") == 0))
		dbuf_printf(&b, "<p class=\"msg\">%s done.</p>\n", done);
	page_incident_head(&b);
	page_incident_row(&b, &in);
	dbuf_adds(&b, "</table>\n<p>Contact: <code>");
	html_text(&b, in.contact ? in.contact : "{}");
	dbuf_adds(&b, "</code></p>\n<h2>Evidence</h2>\n");
	if (res)
		evidence_html(&b, res);
	else
		dbuf_adds(&b, "<p>No result of ours for this address and port yet.</p>\n");
	dbuf_adds(&b, "<h2>Timeline</h2>\n<table><tr><th>at</th><th>source</th><th>kind</th>"
	              "<th>state</th><th>detail</th></tr>\n");
	for (size_t i = 0; i < tl.n; i++) {
		const struct store_timeline_item *it = &tl.v[i];

		dbuf_adds(&b, "<tr><td>");
		html_time(&b, it->at_ms);
		dbuf_adds(&b, "</td>");
		html_tag(&b, "td", it->source);
		html_tag(&b, "td", it->kind);
		html_tag(&b, "td", it->state);
		dbuf_adds(&b, "<td>");
		if (strcmp(it->source, "event") == 0)
			detail_text(&b, it->text);
		else
			html_text(&b, it->text);
		dbuf_adds(&b, "</td></tr>\n");
	}
	dbuf_adds(&b, "</table>\n");
	if (web_can_act(r))
		forms(&b, r, id, in.state);
	html_end(&b);
	web_reply_html(r, HTTP_OK, &b);
out:
	store_incident_clear(&in);
	store_timeline_free(&tl);
	store_results_free(&rl);
}

void page_incidents(struct web_req *r)
{
	int64_t id;

	if (r->rest[0] == '\0' || strcmp(r->rest, "/") == 0) {
		list(r);
		return;
	}
	if ((id = page_id(r->rest + 1, strlen(r->rest + 1))) < 0)
		web_page_error(r, HTTP_BADREQUEST, "Not an incident id.");
	else
		one(r, id);
}

/* text_ok - one line of UTF-8 text without control bytes */
static int text_ok(const char *s, size_t max)
{
	json_t *j = json_string(s);

	json_decref(j);
	if (j == NULL || strlen(s) > max)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* page_incident_post - POST /incidents/N/VERB (operator, CSRF checked) */
void page_incident_post(struct web_req *r)
{
	static const struct {
		const char *verb;
		enum desk_cmd cmd;
	} verbs[] = {{"retest", DESK_CMD_RETEST},
	             {"note", DESK_CMD_NOTE},
	             {"close", DESK_CMD_CLOSE},
	             {"block", DESK_CMD_BLOCK},
	             {"unblock", DESK_CMD_UNBLOCK}};
	const char *s = r->rest[0] == '/' ? r->rest + 1 : "", *slash = strchr(s, '/');
	const char *text = web_form_get(r, "text");
	struct desk *d = web_server_desk(r->w);
	struct store_incident in;
	char where[96];
	int64_t id;
	size_t k = 0;
	int rc;

	if (slash == NULL || (id = page_id(s, (size_t)(slash - s))) < 0) {
		web_page_error(r, HTTP_NOTFOUND, "No such form.");
		return;
	}
	while (k < sizeof(verbs) / sizeof(verbs[0]) && strcmp(slash + 1, verbs[k].verb) != 0)
		k++;
	if (k == sizeof(verbs) / sizeof(verbs[0])) {
		web_page_error(r, HTTP_NOTFOUND, "No such form.");
		return;
	}
	if (d == NULL) {
		web_page_error(r, 503, "This console runs without a desk (no policy configured).");
		return;
	}
	if (verbs[k].cmd == DESK_CMD_RETEST)
		text = NULL;
	else if (verbs[k].cmd == DESK_CMD_BLOCK &&
	         (text == NULL || text[strspn(text, " ")] == '\0'))
		text = NULL; /* the block's reason is optional */
	else if (text == NULL ||
	         !text_ok(text,
	                  verbs[k].cmd == DESK_CMD_NOTE ? PAGE_NOTE_MAX : INCIDENT_REASON_MAX) ||
	         text[strspn(text, " ")] == '\0') {
		web_page_error(r, HTTP_BADREQUEST,
		               "The text is empty, too long, not UTF-8 or more than one line.");
		return;
	}
	if ((rc = store_incident_get(r->st, id, &in)) <= 0) {
		web_page_error(r, rc < 0 ? HTTP_INTERNAL : HTTP_NOTFOUND,
		               rc < 0 ? store_error(r->st) : "No such incident.");
		return;
	}
	store_incident_clear(&in);
	rc = desk_command(d, id, verbs[k].cmd, r->who.user, text, web_server_now_ms(r->w));
	if (rc > 0) {
		snprintf(where, sizeof(where), "/incidents/%lld?done=%s", (long long)id,
		         verbs[k].verb);
		web_redirect(r, where);
	} else
		web_page_error(r, rc == 0 ? 409 : HTTP_INTERNAL, desk_error(d));
}
