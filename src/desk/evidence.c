/*
 * NAME
 *	evidence - a target's result as notice variables
 * SUMMARY
 *	verdict, the tests that worked, a transcript excerpt, the arrival's
 *	Received chain and the repair advice, as text for a template
 * SYNOPSIS
 *	void evidence_vars(struct template_vars *v,
 *		const struct target_result *r, const char *retest_command);
 *	int evidence_vars_json(struct template_vars *v, const char *json,
 *		const char *retest_command);
 * DESCRIPTION
 *	A test "worked" when the server accepted it at end of DATA (or the
 *	sink saw it) and it did not come back as a bounce. The excerpt starts
 *	at the MAIL FROM of the first delivered test (else the first that
 *	worked, else the start) and runs RW_NOTICE_EXCERPT_LINES lines; the
 *	transcript already shows peer bytes as \xNN. The Received chain is the
 *	first arrival's, newest first, one value a line. The advice is keyed
 *	by r->mta and the ids of the tests that worked. evidence_vars_json
 *	reads the same facts from a result as `scan --json` writes it (and
 *	the store keeps it as evidence, doc/cli.md): the transcript is there
 *	only when the scan ran with -v; without it there is no excerpt.
 *	Both fill one neutral form (struct facts) that one function renders,
 *	so a notice says the same whichever way its result came. A JSON
 *	result of the proxy probe ("probe":"proxy"; absent means smtp) sets
 *	the proxy names instead: proxy ("yes"), proxy.protocols (those that
 *	let us through, open before suspect), proxy.excerpt (the first one's
 *	request and answer, C: and S: lines), proxy.egress, proxy.software,
 *	proxy.canary, proxy.product, and advice and verify from the proxy
 *	table; incident.class is "open-relay" or "open-proxy".
 * DIAGNOSTICS
 *	none.
 * LIMITS
 *	RW_NOTICE_EXCERPT_LINES, RW_NOTICE_EXCERPT_MAX, RW_NOTICE_PROXY_PROTOS_MAX.
 * STANDARDS
 *	RFC 5321 4.4 (Received), RFC 5322 3.6.7.
 */
#include "evidence.h"
#include "../core/xalloc.h"
#include "advice.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* one test as the notice needs it */
struct fact_test {
	const char *id, *trick, *mail_from, *rcpt_to, *stage;
	int delivered;
};

/* the facts of one result, borrowed from a target_result or a JSON doc */
struct facts {
	const char *addr, *host, *verdict, *reason, *mta;
	unsigned port;
	long long started_ms;
	size_t ntests; /* those that worked only */
	struct fact_test t[RW_BATTERY_MAX];
	const char *transcript; /* "" when not kept */
	const char *a_peer;     /* the first arrival's, NULL: none */
	long long a_time;
	int nreceived;
	const char *received[RW_RECEIVED_MAX];
};

/* set_text - a multi-line value without its final newline (the template has it) */
static void set_text(struct template_vars *v, const char *name, struct dbuf *b)
{
	while (b->len > 0 && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	template_vars_set(v, name, b->len ? dbuf_str(b) : NULL);
	dbuf_reset(b);
}

/* excerpt - transcript lines from the first working test's MAIL FROM */
static void excerpt(struct dbuf *out, const struct facts *f)
{
	const char *tr = f->transcript, *start = tr;
	const struct fact_test *pick = NULL;
	int lines = 0;

	for (size_t i = 0; i < f->ntests && !pick; i++)
		if (f->t[i].delivered)
			pick = &f->t[i];
	if (!pick && f->ntests)
		pick = &f->t[0];
	if (pick) {
		char *needle = xasprintf("C: MAIL FROM:<%s>", pick->mail_from);
		const char *at = strstr(tr, needle);

		if (at)
			start = at;
		free(needle);
	}
	for (const char *p = start; *p && lines < RW_NOTICE_EXCERPT_LINES; lines++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (out->len + n > RW_NOTICE_EXCERPT_MAX)
			break;
		dbuf_add(out, p, n);
		p += n;
	}
	if (start[0] && (lines == RW_NOTICE_EXCERPT_LINES || out->len + 1 >= RW_NOTICE_EXCERPT_MAX))
		dbuf_adds(out, "...\n");
}

static void utc(char *buf, size_t size, long long secs)
{
	time_t tt = (time_t)secs;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* render - everything a notice says about one result */
static void render(struct template_vars *v, const struct facts *f, const char *retest_command)
{
	struct dbuf b;
	const char *ids[RW_BATTERY_MAX];
	char when[32];

	template_vars_set(v, "incident.class", "open-relay");
	template_vars_set(v, "host.addr", f->addr);
	template_vars_setf(v, "host.port", "%u", f->port);
	template_vars_set(v, "host.name",
	                  f->host && f->host[0] && f->host[0] != '[' ? f->host : NULL);
	template_vars_set(v, "verdict", f->verdict);
	template_vars_set(v, "reason", f->reason);
	template_vars_set(v, "mta", f->mta && f->mta[0] ? f->mta : "unknown");
	template_vars_set(v, "mta.product", advice_for(f->mta ? f->mta : "")->product);
	if (f->started_ms > 0) {
		utc(when, sizeof(when), f->started_ms / 1000);
		template_vars_set(v, "tested_at", when);
	}

	dbuf_init(&b, 0);
	for (size_t i = 0; i < f->ntests; i++) {
		const struct fact_test *t = &f->t[i];

		ids[i] = t->id;
		dbuf_printf(&b, "%s (%s): MAIL FROM:<%s> RCPT TO:<%s> -> %s\n", t->id, t->trick,
		            t->mail_from, t->rcpt_to, t->stage);
	}
	set_text(v, "tests_worked", &b);

	excerpt(&b, f);
	set_text(v, "transcript_excerpt", &b);

	template_vars_set(v, "arrival", f->a_peer ? "yes" : NULL);
	if (f->a_peer) {
		template_vars_set(v, "arrival.peer", f->a_peer);
		utc(when, sizeof(when), f->a_time);
		template_vars_set(v, "arrival.time", when);
		for (int k = 0; k < f->nreceived; k++)
			dbuf_printf(&b, "Received: %s\n", f->received[k]);
		set_text(v, "arrival.received", &b);
	}

	advice_write(&b, f->mta ? f->mta : "", ids, f->ntests);
	set_text(v, "advice", &b);
	if (retest_command && retest_command[0])
		template_vars_set(v, "retest_command", retest_command);
	else if (strchr(f->addr, ':'))
		template_vars_setf(v, "retest_command", "relaywatch test [%s]:%u", f->addr,
		                   f->port);
	else
		template_vars_setf(v, "retest_command", "relaywatch test %s:%u", f->addr, f->port);
	advice_verify(&b, f->mta ? f->mta : "", template_vars_get(v, "retest_command"));
	set_text(v, "verify", &b);
	dbuf_free(&b);
}

/* evidence_vars - the facts of an in-memory result */
void evidence_vars(struct template_vars *v, const struct target_result *r,
                   const char *retest_command)
{
	struct facts *f = xcalloc(1, sizeof(*f));
	const struct arrival *a = NULL;

	f->addr = r->addr;
	f->port = r->port;
	f->host = r->host;
	f->verdict = verdict_name(r->verdict);
	f->reason = r->reason;
	f->mta = r->mta;
	f->started_ms = r->started;
	f->transcript = dbuf_str(&r->transcript);
	for (size_t i = 0; i < r->ntests; i++) {
		const struct test_result *t = &r->tests[i];

		/* worked: accepted at end of DATA (or seen), not a bounce */
		if (t->stage < STAGE_ACCEPTED || t->bounced || f->ntests == RW_BATTERY_MAX)
			continue;
		f->t[f->ntests++] = (struct fact_test){
		    .id = t->test->id,
		    .trick = t->test->trick,
		    .mail_from = t->mail_from,
		    .rcpt_to = t->rcpt_to,
		    .stage = stage_name(t->stage),
		    .delivered = t->stage == STAGE_DELIVERED,
		};
		if (!a && t->arrival)
			a = t->arrival;
	}
	if (a) {
		f->a_peer = a->peer;
		f->a_time = a->time;
		for (int k = 0; k < a->nreceived && k < RW_RECEIVED_MAX; k++)
			f->received[f->nreceived++] = a->received[k];
	}
	render(v, f, retest_command);
	free(f);
}

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* the retest of an open proxy (the scan's proxy probe) */
#define EVIDENCE_PROXY_RETEST "relaywatch test --proxy"

/* excerpt_side - one direction of a proxy exchange, as the probe keeps it
 * (printable, C escapes): a line per "\n" escape (or newline), a "\r"
 * escape at its end dropped, each after tag; at most max lines and
 * RW_NOTICE_EXCERPT_MAX octets in out. Returns the lines written. */
static int excerpt_side(struct dbuf *out, const char *tag, const char *text, int max)
{
	const char *p = text ? text : "";
	size_t tl = strlen(tag);
	int lines = 0;

	while (*p && lines < max) {
		const char *esc = strstr(p, "\\n"), *real = strchr(p, '\n');
		size_t n, skip, shown;

		if (real && (!esc || real < esc)) {
			n = (size_t)(real - p);
			skip = 1;
		} else if (esc) {
			n = (size_t)(esc - p);
			skip = 2;
		} else {
			n = strlen(p);
			skip = 0;
		}
		shown = n >= 2 && strncmp(p + n - 2, "\\r", 2) == 0 ? n - 2 : n;
		if (out->len + tl + shown + 6 > RW_NOTICE_EXCERPT_MAX)
			break;
		if (shown)
			dbuf_printf(out, "%s%.*s\n", tag, (int)shown, p);
		else
			dbuf_printf(out, "%.*s\n",
			            (int)(tl > 0 && tag[tl - 1] == ' ' ? tl - 1 : tl), tag);
		lines++;
		p += n + skip;
	}
	if (*p)
		dbuf_adds(out, "...\n");
	return lines;
}

/* render_proxy - what a notice says about an open-proxy result (the proxy
 * probe's JSON): the protocols that let us through, open ones first, the
 * request and answer of the first, the egress, the software's advice */
static void render_proxy(struct template_vars *v, json_t *o, const char *retest_command)
{
	static const char *const order[] = {"open", "suspect"};
	const char *addr = js(o, "addr"),
	           *software = json_string_value(json_object_get(o, "software"));
	const char *egress = json_string_value(json_object_get(o, "egress"));
	unsigned port = (unsigned)json_integer_value(json_object_get(o, "port"));
	json_t *protos = json_object_get(o, "protocols"), *x, *first = NULL;
	const char *worked[RW_NOTICE_PROXY_PROTOS_MAX];
	size_t nw = 0, i;
	long long started = (long long)json_integer_value(json_object_get(o, "started"));
	char when[32], *hostport;
	const struct proxy_advice *a;
	struct dbuf b;

	template_vars_set(v, "incident.class", "open-proxy");
	template_vars_set(v, "proxy", "yes");
	template_vars_set(v, "host.addr", addr);
	template_vars_setf(v, "host.port", "%u", port);
	template_vars_set(v, "verdict", js(o, "verdict"));
	template_vars_set(v, "reason", js(o, "reason"));
	if (started > 0) {
		utc(when, sizeof(when), started);
		template_vars_set(v, "tested_at", when);
	}
	template_vars_set(v, "proxy.software", software && software[0] ? software : NULL);
	template_vars_set(v, "proxy.egress", egress && egress[0] ? egress : NULL);
	template_vars_set(v, "proxy.canary", js(o, "canary")[0] ? js(o, "canary") : NULL);

	dbuf_init(&b, 0);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		json_array_foreach(protos, i, x)
		{
			int status = json_is_integer(json_object_get(x, "status"))
			                 ? (int)json_integer_value(json_object_get(x, "status"))
			                 : -1;
			const char *pe = js(x, "egress");

			if (strcmp(js(x, "verdict"), order[k]) != 0 ||
			    nw == RW_NOTICE_PROXY_PROTOS_MAX)
				continue;
			worked[nw++] = js(x, "proto");
			if (!first)
				first = x;
			dbuf_printf(&b, "%s: %s", js(x, "proto"), order[k]);
			if (status >= 0)
				dbuf_printf(&b, " (status %d)", status);
			if (pe[0])
				dbuf_printf(&b, ", egress %s", pe);
			if (js(x, "reason")[0])
				dbuf_printf(&b, ": %s", js(x, "reason"));
			dbuf_addc(&b, '\n');
		}
	set_text(v, "proxy.protocols", &b);

	if (first) {
		int n = excerpt_side(&b, "C: ", js(first, "sent"), RW_NOTICE_EXCERPT_LINES / 2);
		excerpt_side(&b, "S: ", js(first, "received"), RW_NOTICE_EXCERPT_LINES - n);
	}
	set_text(v, "proxy.excerpt", &b);

	a = advice_proxy_for(software, worked, nw);
	template_vars_set(v, "proxy.product", a->product);
	advice_proxy_write(&b, a, software);
	set_text(v, "advice", &b);
	hostport = xasprintf(strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
	if (retest_command && retest_command[0])
		template_vars_set(v, "retest_command", retest_command);
	else
		template_vars_setf(v, "retest_command", EVIDENCE_PROXY_RETEST " %s", hostport);
	advice_proxy_verify(&b, a, hostport, worked, nw, template_vars_get(v, "retest_command"));
	set_text(v, "verify", &b);
	free(hostport);
	dbuf_free(&b);
}

/* evidence_vars_json - the facts of a result as JSON (scan --json, the store) */
int evidence_vars_json(struct template_vars *v, const char *json, const char *retest_command)
{
	json_error_t je;
	json_t *o = json_loads(json ? json : "", 0, &je), *tests, *arr, *tr, *x;
	struct facts *f;
	struct dbuf t;
	size_t i;

	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	if (strcmp(js(o, "probe"), "proxy") == 0) {
		render_proxy(v, o, retest_command);
		json_decref(o);
		return 0;
	}
	f = xcalloc(1, sizeof(*f));
	dbuf_init(&t, 0);
	f->addr = js(o, "addr");
	f->port = (unsigned)json_integer_value(json_object_get(o, "port"));
	f->host = js(o, "host");
	f->verdict = js(o, "verdict");
	f->reason = js(o, "reason");
	f->mta = js(o, "mta");
	f->started_ms = (long long)json_integer_value(json_object_get(o, "started")) * 1000;
	tests = json_object_get(o, "tests");
	json_array_foreach(tests, i, x)
	{
		const char *st = js(x, "stage");
		int accepted = strcmp(st, stage_name(STAGE_ACCEPTED)) == 0,
		    delivered = strcmp(st, stage_name(STAGE_DELIVERED)) == 0;

		if (!(accepted || delivered) || json_is_true(json_object_get(x, "bounced")) ||
		    f->ntests == RW_BATTERY_MAX)
			continue;
		f->t[f->ntests++] = (struct fact_test){
		    .id = js(x, "id"),
		    .trick = js(x, "trick"),
		    .mail_from = js(x, "mail_from"),
		    .rcpt_to = js(x, "rcpt_to"),
		    .stage = st,
		    .delivered = delivered,
		};
	}
	arr = json_object_get(o, "arrivals");
	json_array_foreach(arr, i, x)
	{
		json_t *rec = json_object_get(x, "received"), *r1;
		size_t k;

		if (json_is_true(json_object_get(x, "quoted")))
			continue;
		f->a_peer = js(x, "peer");
		f->a_time = (long long)json_integer_value(json_object_get(x, "time"));
		json_array_foreach(rec, k, r1)
		{
			if (f->nreceived < RW_RECEIVED_MAX && json_is_string(r1))
				f->received[f->nreceived++] = json_string_value(r1);
		}
		break;
	}
	tr = json_object_get(o, "transcript");
	json_array_foreach(tr, i, x)
	{
		if (json_is_string(x))
			dbuf_printf(&t, "%s\n", json_string_value(x));
	}
	f->transcript = dbuf_str(&t);
	render(v, f, retest_command);
	dbuf_free(&t);
	free(f);
	json_decref(o);
	return 0;
}
