/*
 * NAME
 *	page_owner - the host owner's page: the evidence, the repair advice,
 *	the deadline and a "request a retest" button, behind a token
 * SUMMARY
 *	GET /owner/TOKEN, POST /owner/TOKEN/retest (no login)
 * SYNOPSIS
 *	void page_owner(struct web_req *r);
 *	void page_owner_post(struct web_req *r);
 * DESCRIPTION
 *	TOKEN is owner_token() of the incident (src/desk/owner.h: the id and
 *	HMAC(token key, "owner|" id) truncated to 32 hex); anything else, or
 *	a console without the token key, is 404 with no data. The page shows
 *	the address, class and state, the machine's repair deadline (once
 *	the policy has set one), the evidence (page_evidence.c) and the
 *	repair advice for the fingerprinted MTA or proxy. The retest button
 *	schedules a retest as `relaywatch incident N retest` does
 *	(desk_command, actor "owner", at the server's desk time), at most
 *	once per incident per RW_WEB_OWNER_RETEST_SEC (the server's
 *	owner_limit table): a second request within that time is 429; a
 *	closed incident's is 409.
 * DIAGNOSTICS
 *	404 wrong token; 409 the machine refused; 429 too soon; 503 no desk.
 * LIMITS
 *	RW_WEB_OWNER_RETEST_SEC, RW_WEB_OWNER_SLOTS incidents remembered.
 */
#include "html.h"
#include "page_evidence.h"
#include "ratelimit_login.h"
#include "web_int.h"

#include "../core/limits.h"
#include "../desk/desk.h"
#include "../desk/owner.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* token_of - the token in r->rest ("/TOKEN" or "/TOKEN/retest") into
 * buf, and whether the retest suffix is there; 0 or -1 */
static int token_of(const struct web_req *r, char buf[OWNER_TOKEN_MAX], int *retest)
{
	const char *s = r->rest[0] == '/' ? r->rest + 1 : "";
	size_t n = strcspn(s, "/");

	*retest = strcmp(s + n, "/retest") == 0;
	if (n == 0 || n >= OWNER_TOKEN_MAX || (s[n] != '\0' && !*retest))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* incident_of - the token's incident: 1 and *in, 0 after a 404, -1 after a 500 */
static int incident_of(struct web_req *r, int want_retest, struct store_incident *in,
                       char tok[OWNER_TOKEN_MAX])
{
	const struct token_key *k = web_server_owner_key(r->w);
	int64_t id;
	int retest, rc;

	if (k == NULL || token_of(r, tok, &retest) < 0 || retest != want_retest ||
	    (id = owner_token_check(k, tok)) < 0 || (rc = store_incident_get(r->st, id, in)) == 0) {
		web_page_error(r, HTTP_NOTFOUND, "No such page.");
		return 0;
	}
	if (rc < 0) {
		web_page_error(r, HTTP_INTERNAL, "The store failed; try again later.");
		return -1;
	}
	return 1;
}

void page_owner(struct web_req *r)
{
	struct store_incident in;
	struct store_results rl = {0};
	const struct store_result *res = NULL;
	char tok[OWNER_TOKEN_MAX], act[OWNER_TOKEN_MAX + 32];
	const char *asked = evhttp_find_header(&r->query, "retest");
	json_t *m;
	int64_t deadline;
	struct dbuf b;

	if (incident_of(r, 0, &in, tok) <= 0)
		return;
	if (evidence_find(r->st, &in, &rl, &res) < 0) {
		store_incident_clear(&in);
		web_page_error(r, HTTP_INTERNAL, "The store failed; try again later.");
		return;
	}
	m = json_loads(in.machine ? in.machine : "{}", 0, NULL);
	deadline = json_integer_value(json_object_get(m, "deadline_ms"));
	json_decref(m);
	dbuf_init(&b, 0);
	html_begin(&b, r, "Your server was found open");
	if (asked)
		dbuf_adds(&b,
		          "<p class=\"msg\">Your retest is scheduled; this page shows its result "
		          "once it has run.</p>\n");
	dbuf_adds(&b, "<p>The host <b>");
	html_text(&b, in.addr);
	dbuf_printf(&b, ":%u</b> is the subject of an <b>", in.port);
	html_text(&b, desk_machine_class(in.machine));
	dbuf_adds(&b, "</b> case, now <b>");
	html_text(&b, in.state);
	dbuf_adds(&b, "</b>. Deadline for the repair: <b>");
	if (deadline > 0)
		html_time(&b, deadline);
	else
		dbuf_adds(&b, "none set yet");
	dbuf_adds(&b, "</b>.</p>\n<h2>How to repair it</h2>\n");
	if (res)
		evidence_advice(&b, res);
	else
		dbuf_adds(&b,
		          "<p>Close the server to relaying or proxying for outside hosts.</p>\n");
	if (in.closed_ms == 0) {
		dbuf_adds(&b, "<h2>Request a retest</h2>\n<p>Once repaired, ask us to test again "
		              "(at most once every 10 minutes).</p>\n");
		snprintf(act, sizeof(act), "/owner/%s/retest", tok);
		dbuf_adds(&b, "<form method=\"post\" class=\"act\" action=\"");
		html_text(&b, act);
		dbuf_adds(&b, "\"><button>Request a retest</button></form>\n");
	} else
		dbuf_adds(&b, "<p>This case is over: nothing more to retest.</p>\n");
	dbuf_adds(&b, "<h2>The evidence</h2>\n");
	if (res)
		evidence_html(&b, res);
	else
		dbuf_adds(&b, "<p>No test result of ours yet.</p>\n");
	html_end(&b);
	web_reply_html(r, HTTP_OK, &b);
	store_incident_clear(&in);
	store_results_free(&rl);
}

void page_owner_post(struct web_req *r)
{
	struct store_incident in;
	struct desk *d = web_server_desk(r->w);
	struct login_limit *lim = web_server_owner_limit(r->w);
	char tok[OWNER_TOKEN_MAX], key[48], where[OWNER_TOKEN_MAX + 32];
	long long now = (long long)time(NULL);
	int64_t id;
	int rc;

	if (incident_of(r, 1, &in, tok) <= 0)
		return;
	id = in.id;
	store_incident_clear(&in);
	snprintf(key, sizeof(key), "owner|%lld", (long long)id);
	if (d == NULL) {
		web_page_error(r, 503,
		               "Retests cannot be requested here now; write to the abuse desk.");
		return;
	}
	if (login_limit_blocked(lim, key, now)) {
		web_page_error(r, 429,
		               "A retest was requested less than 10 minutes ago; please wait.");
		return;
	}
	rc = desk_command(d, id, DESK_CMD_RETEST, "owner", NULL, web_server_now_ms(r->w));
	if (rc > 0) {
		login_limit_fail(lim, key, now);
		snprintf(where, sizeof(where), "/owner/%s?retest=1", tok);
		web_redirect(r, where);
	} else
		web_page_error(r, rc == 0 ? 409 : HTTP_INTERNAL,
		               rc == 0 ? "This case cannot be retested now." : "Try again later.");
}
