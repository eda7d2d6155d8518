/*
 * NAME
 *	api - the console's JSON API, /api/v1/: scans, results, hosts,
 *	incidents and their timelines, blocks, the DNSBL listing
 * SUMMARY
 *	read-only store queries answered in the shapes of the CLI's --json
 * SYNOPSIS
 *	void api_scans(struct web_req *r);      GET /api/v1/scans[/ID[/results]]
 *	void api_incidents(struct web_req *r);  GET /api/v1/incidents[/ID]
 *	void api_hosts(struct web_req *r);      GET /api/v1/hosts/ADDR
 *	void api_blocks(struct web_req *r);     GET /api/v1/blocks
 *	void api_dnsbl(struct web_req *r);      GET /api/v1/dnsbl
 *	void api_not_found(struct web_req *r);  anything else under /api/v1
 * DESCRIPTION
 *	Lists answer one page in an envelope: {"data": [...], "limit": N,
 *	"offset": N, "total": N, "next": URL or null}; limit defaults to
 *	RW_WEB_PAGE_DEFAULT and is at most RW_WEB_PAGE_MAX; "total" is left
 *	out where the store cannot count cheaply (a host's results), "next"
 *	is the same query's next page while there is one. A scan is the
 *	object `relaywatch scans --json` prints, a result the one `results
 *	--json` prints (its evidence with the store's verdict, reason,
 *	updated, plus "scan", and "addr" and "port" when the evidence lacks them), an incident the
 *one `incidents --json` prints, with "timeline" as `incident ID --json`; a block is a `block list
 *	--json` line; a DNSBL row names an incident in a listed state
 *	(zone_listed_states: what `dnsbl export` writes). Every text from the
 *	store goes through jansson (web_json_text): a banner or a complaint
 *	can hold anything and still comes back as one JSON string.
 * DIAGNOSTICS
 *	400 bad id, address, state, verdict, limit or offset; 404 no such
 *	scan, incident or path; 500 the store failed (its text in "error").
 * LIMITS
 *	RW_WEB_PAGE_DEFAULT, RW_WEB_PAGE_MAX rows per page.
 * STANDARDS
 *	RFC 8259 (JSON), RFC 3339 times (UTC, "Z").
 */
#include "../core/jsonx.h"
#include "../desk/incjson.h"
#include "web_int.h"

#include "../core/limits.h"
#include "../core/xalloc.h"
#include "../desk/desk.h"
#include "../desk/incident.h"
#include "../desk/policy.h"
#include "../enforce/zone.h"
#include "../smtp/result.h"
#include "../store/store.h"

#include <arpa/inet.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STR_(x)  #x
#define TOSTR(x) STR_(x)

/* store_failed - 500 with the store's text */
static void store_failed(struct web_req *r)
{
	web_reply_error(r, HTTP_INTERNAL, store_error(r->st));
}

/* id_arg - a positive decimal id; -1 when s is not one */
static int64_t id_arg(const char *s, size_t n)
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

/* count_param - a count query parameter into *v (unset: dflt); 0 or -1 */
static int count_param(struct web_req *r, const char *name, int64_t dflt, int64_t max, int64_t *v)
{
	const char *s = evhttp_find_header(&r->query, name);
	char *end;
	long long x;

	*v = dflt;
	if (s == NULL)
		return 0;
	x = strtoll(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || x < 0 || x > max)
		return -1;
	*v = x;
	return 0;
}

/* page_params - limit (1..RW_WEB_PAGE_MAX) and offset; 0, or -1 after a 400 */
static int page_params(struct web_req *r, struct store_page *pg)
{
	if (count_param(r, "limit", RW_WEB_PAGE_DEFAULT, RW_WEB_PAGE_MAX, &pg->limit) < 0 ||
	    pg->limit == 0 || count_param(r, "offset", 0, INT64_MAX / 4, &pg->offset) < 0) {
		web_reply_error(r, HTTP_BADREQUEST,
		                "limit wants 1.." TOSTR(RW_WEB_PAGE_MAX) ", offset 0 or more");
		return -1;
	}
	return 0;
}

/* next_url - this request's path and query with offset moved on; owned */
static char *next_url(struct web_req *r, int64_t limit, int64_t offset)
{
	struct evkeyval *kv;
	char *u =
	    xasprintf("%s?limit=%lld&offset=%lld", r->path, (long long)limit, (long long)offset);

	TAILQ_FOREACH(kv, &r->query, next)
	{
		if (strcmp(kv->key, "limit") == 0 || strcmp(kv->key, "offset") == 0)
			continue;
		char *k = evhttp_encode_uri(kv->key), *v = evhttp_encode_uri(kv->value);
		char *n = xasprintf("%s&%s=%s", u, k ? k : "", v ? v : "");

		free(k);
		free(v);
		free(u);
		u = n;
	}
	return u;
}

/* envelope - {"data", "limit", "offset", "total" (unless < 0), "next"};
 * more: a further page exists */
static json_t *envelope(struct web_req *r, json_t *data, const struct store_page *pg, int64_t total,
                        int more)
{
	json_t *o = json_object();

	json_object_set_new(o, "data", data);
	json_object_set_new(o, "limit", json_integer(pg->limit));
	json_object_set_new(o, "offset", json_integer(pg->offset));
	if (total >= 0)
		json_object_set_new(o, "total", json_integer(total));
	if (more) {
		char *u = next_url(r, pg->limit, pg->offset + pg->limit);

		json_object_set_new(o, "next", json_string(u));
		free(u);
	} else
		json_object_set_new(o, "next", json_null());
	return o;
}

/* scans ------------------------------------------------------------------ */

/* scan_json - a scan as `scans --json` prints it */
static json_t *scan_json(struct store *st, const struct store_scan *sc)
{
	struct store_progress pr = {0};
	json_t *o = json_object();

	(void)store_progress_load(st, sc->id, &pr);
	json_object_set_new(o, "id", json_integer(sc->id));
	json_object_set_new(o, "created", json_integer(sc->created));
	json_object_set_new(o, "finished", json_integer(sc->finished));
	json_object_set_new(o, "state", web_json_text(sc->state));
	json_object_set_new(o, "seed", json_integer((json_int_t)sc->seed));
	json_object_set_new(o, "total", json_integer(sc->total));
	json_object_set_new(o, "done", json_integer(pr.done));
	json_object_set_new(o, "counts", jsonx_any(pr.counts && pr.counts[0] ? pr.counts : "{}"));
	json_object_set_new(o, "params",
	                    jsonx_any(sc->params && sc->params[0] ? sc->params : "{}"));
	store_progress_clear(&pr);
	return o;
}

/* result_json - the evidence with the store's verdict, reason, updated over it */
static json_t *result_json(const struct store_result *r)
{
	json_t *o = json_loads(r->evidence ? r->evidence : "{}", 0, NULL);

	if (!json_is_object(o)) { /* not the scan's object: keep it whole, inside one */
		json_t *w = json_object();

		json_object_set_new(w, "evidence", o ? o : web_json_text(r->evidence));
		o = w;
	}
	json_object_set_new(o, "scan", json_integer(r->scan));
	if (json_object_get(o, "addr") == NULL) /* the scan's evidence names it "addr" */
		json_object_set_new(o, "addr", web_json_text(r->target));
	if (json_object_get(o, "port") == NULL)
		json_object_set_new(o, "port", json_integer(r->port));
	json_object_set_new(o, "probe", web_json_text(r->probe ? r->probe : "smtp"));
	json_object_set_new(o, "verdict", web_json_text(r->verdict));
	json_object_set_new(o, "reason", web_json_text(r->reason ? r->reason : ""));
	json_object_set_new(o, "updated", json_integer(r->updated));
	return o;
}

/* scans_total - the scans the store holds (the tally's sum) */
static int scans_total(struct store *st, int64_t *n)
{
	struct store_tallies t;

	*n = 0;
	if (store_tally(st, STORE_TALLY_SCANS, &t) < 0)
		return -1;
	for (size_t i = 0; i < t.n; i++)
		*n += t.v[i].n;
	store_tallies_free(&t);
	return 0;
}

/* scan_results - GET /api/v1/scans/ID/results?verdict=V */
static void scan_results(struct web_req *r, int64_t id)
{
	const char *verdict = evhttp_find_header(&r->query, "verdict");
	struct store_page pg;
	struct store_results l;
	int64_t total;
	int known = 0;
	json_t *a;

	for (int v = 0; verdict && v < V__COUNT; v++)
		known |= strcmp(verdict, verdict_name((enum verdict)v)) == 0;
	if (verdict && !known) {
		web_reply_error(r, HTTP_BADREQUEST, "unknown verdict");
		return;
	}
	if (page_params(r, &pg) < 0)
		return;
	if (store_results_count(r->st, id, verdict, &total) < 0 ||
	    store_results_list(r->st, id, verdict, &pg, &l) < 0) {
		store_failed(r);
		return;
	}
	a = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(a, result_json(&l.v[i]));
	store_results_free(&l);
	web_reply_json(r, HTTP_OK, envelope(r, a, &pg, total, pg.offset + pg.limit < total));
}

/* api_scans - the scan list, one scan, or a scan's results */
void api_scans(struct web_req *r)
{
	struct store_scan sc = {0};
	struct store_page pg;
	int64_t id, total;
	int found;

	if (r->rest[0] == '\0' || strcmp(r->rest, "/") == 0) {
		struct store_scans l;
		json_t *a;

		if (page_params(r, &pg) < 0)
			return;
		if (scans_total(r->st, &total) < 0 || store_scan_list(r->st, &pg, &l) < 0) {
			store_failed(r);
			return;
		}
		a = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(a, scan_json(r->st, &l.v[i]));
		store_scans_free(&l);
		web_reply_json(r, HTTP_OK,
		               envelope(r, a, &pg, total, pg.offset + pg.limit < total));
		return;
	}
	const char *s = r->rest + 1, *slash = strchr(s, '/');
	if ((id = id_arg(s, slash ? (size_t)(slash - s) : strlen(s))) < 0 ||
	    (slash && strcmp(slash, "/results") != 0)) {
		web_reply_error(r, slash ? HTTP_NOTFOUND : HTTP_BADREQUEST,
		                slash ? "no such resource" : "not a scan id");
		return;
	}
	if ((found = store_scan_get(r->st, id, &sc)) < 0) {
		store_failed(r);
		return;
	}
	if (found == 0) {
		web_reply_error(r, HTTP_NOTFOUND, "no such scan");
		return;
	}
	if (slash)
		scan_results(r, id);
	else
		web_reply_json(r, HTTP_OK, scan_json(r->st, &sc));
	store_scan_clear(&sc);
}

/* incidents -------------------------------------------------------------- */

/* state_ok - an incident state name, or "open" */
static int state_ok(const char *s)
{
	if (strcmp(s, STORE_STATE_OPEN) == 0)
		return 1;
	for (int i = 0; i < IS__COUNT; i++)
		if (strcmp(s, incident_state_name((enum incident_state)i)) == 0)
			return 1;
	return 0;
}

/* incident_one - GET /api/v1/incidents/ID: the incident and its timeline */
static void incident_one(struct web_req *r, int64_t id)
{
	struct store_incident in;
	struct store_timeline tl = {0};
	struct store_outboxes ob = {0};
	int found = store_incident_get(r->st, id, &in);

	if (found <= 0) {
		if (found < 0)
			store_failed(r);
		else
			web_reply_error(r, HTTP_NOTFOUND, "no such incident");
		return;
	}
	if (store_incident_timeline(r->st, id, &tl) < 0 || store_outbox_for(r->st, id, &ob) < 0)
		store_failed(r);
	else {
		json_t *o = incjson_incident(&in), *a = json_array();

		for (size_t i = 0; i < tl.n; i++)
			json_array_append_new(a, incjson_item(&tl.v[i], &ob));
		json_object_set_new(o, "timeline", a);
		web_reply_json(r, HTTP_OK, o);
	}
	store_incident_clear(&in);
	store_timeline_free(&tl);
	store_outboxes_free(&ob);
}

/* api_incidents - a page of incidents (?state=S, "open": any open one), or one */
void api_incidents(struct web_req *r)
{
	const char *state = evhttp_find_header(&r->query, "state");
	struct store_page pg;
	struct store_incidents l;
	int64_t total, id;
	json_t *a;

	if (r->rest[0] != '\0' && strcmp(r->rest, "/") != 0) {
		if ((id = id_arg(r->rest + 1, strlen(r->rest + 1))) < 0)
			web_reply_error(r, HTTP_BADREQUEST, "not an incident id");
		else
			incident_one(r, id);
		return;
	}
	if (state && !state_ok(state)) {
		web_reply_error(r, HTTP_BADREQUEST, "unknown state");
		return;
	}
	if (page_params(r, &pg) < 0)
		return;
	if (store_incidents_count(r->st, state, &total) < 0 ||
	    store_incidents_list(r->st, state, &pg, &l) < 0) {
		store_failed(r);
		return;
	}
	a = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(a, incjson_incident(&l.v[i]));
	store_incidents_free(&l);
	web_reply_json(r, HTTP_OK, envelope(r, a, &pg, total, pg.offset + pg.limit < total));
}

/* hosts ------------------------------------------------------------------ */

/* api_hosts - GET /api/v1/hosts/ADDR: its results over every scan (a
 * page, newest first, no total) and its incidents (newest first, the
 * first page) */
void api_hosts(struct web_req *r)
{
	unsigned char bin[16];
	char addr[INET6_ADDRSTRLEN];
	const char *s = r->rest[0] == '/' ? r->rest + 1 : "";
	int fam = strchr(s, ':') ? AF_INET6 : AF_INET;
	struct store_page pg, ipg = {.limit = RW_WEB_PAGE_DEFAULT, .offset = 0}, more;
	struct store_results l;
	struct store_incidents il;
	json_t *a, *ia, *o;
	int next;

	if (inet_pton(fam, s, bin) != 1 || inet_ntop(fam, bin, addr, sizeof(addr)) == NULL) {
		web_reply_error(r, HTTP_BADREQUEST,
		                "want /api/v1/hosts/ADDR, an IPv4 or IPv6 address");
		return;
	}
	if (page_params(r, &pg) < 0)
		return;
	more = pg;
	more.limit = pg.limit + 1; /* one more row says whether a next page exists */
	if (store_results_of(r->st, addr, &more, &l) < 0) {
		store_failed(r);
		return;
	}
	if (store_incidents_of(r->st, addr, &ipg, &il) < 0) {
		store_results_free(&l);
		store_failed(r);
		return;
	}
	next = l.n > (size_t)pg.limit;
	a = json_array();
	for (size_t i = 0; i < l.n && i < (size_t)pg.limit; i++)
		json_array_append_new(a, result_json(&l.v[i]));
	ia = json_array();
	for (size_t i = 0; i < il.n; i++)
		json_array_append_new(ia, incjson_incident(&il.v[i]));
	store_results_free(&l);
	store_incidents_free(&il);
	o = envelope(r, a, &pg, -1, next);
	json_object_set_new(o, "addr", json_string(addr));
	json_object_set_new(o, "incidents", ia);
	web_reply_json(r, HTTP_OK, o);
}

/* blocks ----------------------------------------------------------------- */

/* block_json - one active block as `block list --json` prints it */
static json_t *block_json(struct store *st, const struct store_action *a)
{
	struct store_incident inc = {0};
	int have = a->incident > 0 && store_incident_get(st, a->incident, &inc) == 1;
	char since[32];
	json_t *o = json_object();

	json_object_set_new(o, "action", json_integer(a->id));
	json_object_set_new(o, "addr", web_json_text(a->addr));
	json_object_set_new(o, "direction", web_json_text(a->what ? a->what : ""));
	json_object_set_new(o, "since",
	                    json_string(jsonx_iso(a->applied_ms, 0, since, sizeof(since))));
	json_object_set_new(o, "state", web_json_text(have && inc.state ? inc.state : "-"));
	json_object_set_new(o, "policy", web_json_text(have && inc.policy ? inc.policy : "-"));
	json_object_set_new(o, "incident",
	                    a->incident > 0 ? json_integer(a->incident) : json_null());
	if (have)
		store_incident_clear(&inc);
	return o;
}

/* api_blocks - a page of the active blocks (applied, not lifted), id order;
 * the store pages them by id, so an offset is walked */
void api_blocks(struct web_req *r)
{
	struct store_page pg;
	struct store_tallies t;
	int64_t total = 0, after = 0, skip;
	json_t *a;

	if (page_params(r, &pg) < 0)
		return;
	if (store_tally(r->st, STORE_TALLY_BLOCKS, &t) < 0) {
		store_failed(r);
		return;
	}
	for (size_t i = 0; i < t.n; i++)
		if (strcmp(t.v[i].key, "applied") == 0)
			total = t.v[i].n;
	store_tallies_free(&t);
	a = json_array();
	skip = pg.offset;
	while ((int64_t)json_array_size(a) < pg.limit) {
		struct store_actions l;

		if (store_blocks_active(r->st, after, 0, &l) < 0) {
			json_decref(a);
			store_failed(r);
			return;
		}
		if (l.n == 0) {
			store_actions_free(&l);
			break;
		}
		for (size_t i = 0; i < l.n; i++) {
			after = l.v[i].id;
			if (skip > 0)
				skip--;
			else if ((int64_t)json_array_size(a) < pg.limit)
				json_array_append_new(a, block_json(r->st, &l.v[i]));
		}
		store_actions_free(&l);
	}
	web_reply_json(r, HTTP_OK, envelope(r, a, &pg, total, pg.offset + pg.limit < total));
}

/* dnsbl ------------------------------------------------------------------ */

/* api_dnsbl - a page of what `dnsbl export` lists: incidents in the
 * listed states, state by state (zone_listed_states order), newest first */
void api_dnsbl(struct web_req *r)
{
	struct store_page pg;
	int64_t counts[8] = {0}, total = 0, skip;
	json_t *a;

	if (page_params(r, &pg) < 0)
		return;
	if (zone_listed_states_n > sizeof(counts) / sizeof(counts[0]))
		rw_panic("%s: more listed states than room", __func__);
	for (size_t s = 0; s < zone_listed_states_n; s++) {
		if (store_incidents_count(r->st, zone_listed_states[s], &counts[s]) < 0) {
			store_failed(r);
			return;
		}
		total += counts[s];
	}
	a = json_array();
	skip = pg.offset;
	for (size_t s = 0; s < zone_listed_states_n && (int64_t)json_array_size(a) < pg.limit;
	     s++) {
		struct store_page sp;
		struct store_incidents l;

		if (skip >= counts[s]) {
			skip -= counts[s];
			continue;
		}
		sp.offset = skip;
		sp.limit = pg.limit - (int64_t)json_array_size(a);
		skip = 0;
		if (store_incidents_list(r->st, zone_listed_states[s], &sp, &l) < 0) {
			json_decref(a);
			store_failed(r);
			return;
		}
		for (size_t i = 0; i < l.n; i++) {
			json_t *o = json_object();

			json_object_set_new(o, "addr", web_json_text(l.v[i].addr));
			json_object_set_new(o, "port", json_integer(l.v[i].port));
			json_object_set_new(o, "incident", json_integer(l.v[i].id));
			json_object_set_new(o, "state", web_json_text(l.v[i].state));
			json_object_set_new(o, "since", jsonx_time(l.v[i].updated_ms));
			json_array_append_new(a, o);
		}
		store_incidents_free(&l);
	}
	web_reply_json(r, HTTP_OK, envelope(r, a, &pg, total, pg.offset + pg.limit < total));
}

/* api_not_found - an API path no row serves (after authentication) */
void api_not_found(struct web_req *r)
{
	unsigned m = (unsigned)evhttp_request_get_command(r->req);

	if (m & (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD))
		web_reply_error(r, HTTP_NOTFOUND, "no such resource");
	else
		web_reply_error(r, 405, "the API only reads (GET, HEAD)");
}
