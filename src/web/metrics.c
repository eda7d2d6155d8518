/*
 * NAME
 *	metrics - GET /metrics: what the store can tell, in Prometheus text
 * SUMMARY
 *	gauges of scans, results, incidents, outbox and blocks; counters of
 *	sink arrivals and of the console's own requests
 * SYNOPSIS
 *	void metrics_get(struct web_req *r);
 * DESCRIPTION
 *	Every value but relaywatch_web_requests_total is read from the store
 *	on each scrape (store_tally: one GROUP BY per family), so it is the
 *	same whichever process serves it: relaywatch_scans{state} (running
 *	ones are the scans in progress, also relaywatch_scans_running),
 *	relaywatch_results{verdict}, relaywatch_incidents{state},
 *	relaywatch_outbox{state} and relaywatch_outbox_queue (queued plus
 *	sending), relaywatch_sink_arrivals_total{kind="relayed"|"quoted"},
 *	relaywatch_blocks{state}. Known verdicts and incident states are
 *	always present (0 when none). relaywatch_sessions_in_flight is what
 *	the scanning processes say in their progress rows ("inflight" in
 *	counts, cmd_scan.c): the sum over the running scans whose row is at
 *	most RW_SCAN_PROGRESS_STALE seconds old, so a scanner killed -9 stops
 *	counting; it reads the scans newest first (store_scan_list) until it
 *	has met as many running ones as the tally counted, and each one's
 *	progress (store_progress_load). Rates and the sink's connections live
 *	in the scanning or sink process only: they are not exported here.
 *	relaywatch_store_up is 0 when a query failed; the families read
 *	before the failure are still written.
 *	The route is open to loopback peers without credentials (route.c).
 * DIAGNOSTICS
 *	Always 200; a store failure shows as relaywatch_store_up 0.
 * LIMITS
 *	RW_SCAN_PROGRESS_STALE seconds a running scan's progress is believed.
 * STANDARDS
 *	Prometheus text exposition format 0.0.4.
 */
#include "web_int.h"

#include "../core/limits.h"
#include "../core/xalloc.h"
#include "../desk/incident.h"
#include "../smtp/result.h"
#include "../store/store.h"

#include <event2/buffer.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A growing text buffer. */
struct out {
	char *s;
	size_t n, cap;
};

/* put - append formatted text */
__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char *t;

	va_start(ap, fmt);
	t = xvasprintf(fmt, ap);
	va_end(ap);
	size_t n = strlen(t);
	if (o->n + n + 1 > o->cap) {
		o->cap = (o->n + n + 1) * 2;
		o->s = xrealloc(o->s, o->cap);
	}
	memcpy(o->s + o->n, t, n + 1);
	o->n += n;
	free(t);
}

/* label - a label value escaped as the format wants (\\, \", \n) */
static char *label(const char *v)
{
	char *e = xmalloc(strlen(v) * 2 + 1), *p = e;

	for (; *v; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			*p++ = '\\';
			*p++ = *v == '\n' ? 'n' : *v;
		} else
			*p++ = *v;
	}
	*p = '\0';
	return e;
}

/* One family read from a tally. */
struct family {
	enum store_tally what;
	const char *name, *lab, *type, *help;
	const char *(*known)(int i); /* names always present, or NULL */
	int nknown;
};

static const char *verdict_at(int i)
{
	return verdict_name((enum verdict)i);
}

static const char *state_at(int i)
{
	return incident_state_name((enum incident_state)i);
}

static const struct family families[] = {
    {STORE_TALLY_SCANS, "relaywatch_scans", "state", "gauge",
     "Scans in the store by state (running: in progress).", NULL, 0},
    {STORE_TALLY_RESULTS, "relaywatch_results", "verdict", "gauge",
     "Results in the store by verdict, every scan.", verdict_at, V__COUNT},
    {STORE_TALLY_INCIDENTS, "relaywatch_incidents", "state", "gauge",
     "Abuse desk incidents by state.", state_at, IS__COUNT},
    {STORE_TALLY_OUTBOX, "relaywatch_outbox", "state", "gauge", "Notices in the outbox by state.",
     NULL, 0},
    {STORE_TALLY_ARRIVALS, "relaywatch_sink_arrivals_total", "kind", "counter",
     "Messages the sink kept: relayed (proof) or quoted (in a bounce).", NULL, 0},
    {STORE_TALLY_BLOCKS, "relaywatch_blocks", "state", "gauge",
     "Firewall block requests by state (applied: in force).", NULL, 0},
};

/* count_of - the tally's count for key (0 when absent) */
static int64_t count_of(const struct store_tallies *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].key, key) == 0)
			return t->v[i].n;
	return 0;
}

/* family - one family's HELP, TYPE and samples; 0 or -1 (store failed) */
static int family(struct out *o, struct store *st, const struct family *f, struct store_tallies *t)
{
	if (store_tally(st, f->what, t) < 0)
		return -1;
	put(o, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
	for (int i = 0; i < f->nknown; i++) {
		char *l = label(f->known(i));

		put(o, "%s{%s=\"%s\"} %lld\n", f->name, f->lab, l,
		    (long long)count_of(t, f->known(i)));
		free(l);
	}
	for (size_t i = 0; i < t->n; i++) {
		int known = 0;

		for (int k = 0; k < f->nknown; k++)
			known |= strcmp(t->v[i].key, f->known(k)) == 0;
		if (known)
			continue;
		char *l = label(t->v[i].key);
		put(o, "%s{%s=\"%s\"} %lld\n", f->name, f->lab, l, (long long)t->v[i].n);
		free(l);
	}
	return 0;
}

/* inflight_of - the "inflight" member of a progress row's counts (0: none) */
static int64_t inflight_of(const char *counts)
{
	json_t *o = counts ? json_loads(counts, 0, NULL) : NULL;
	json_int_t n = json_integer_value(json_object_get(o, "inflight"));

	json_decref(o);
	return n > 0 ? (int64_t)n : 0;
}

/* sessions_in_flight - the sum over the `running` running scans whose
 * progress is fresh; 0 or -1 (store failed). Newest first, so the walk
 * usually ends in its first page; ids only go down, which keeps a scan
 * created between two pages from being counted twice. */
static int sessions_in_flight(struct store *st, int64_t running, int64_t now, int64_t *sum)
{
	struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};
	int64_t seen = 0, last = INT64_MAX;

	*sum = 0;
	while (seen < running) {
		struct store_scans l = {0};
		size_t n;

		if (store_scan_list(st, &pg, &l) < 0)
			return -1;
		for (size_t i = 0; i < l.n && seen < running; i++) {
			struct store_progress p = {0};
			int found;

			if (l.v[i].id >= last || strcmp(l.v[i].state, "running") != 0)
				continue;
			last = l.v[i].id;
			seen++;
			if ((found = store_progress_load(st, l.v[i].id, &p)) < 0) {
				store_scans_free(&l);
				return -1;
			}
			if (found && now - p.updated <= RW_SCAN_PROGRESS_STALE)
				*sum += inflight_of(p.counts);
			store_progress_clear(&p);
		}
		n = l.n;
		store_scans_free(&l);
		if (n < (size_t)pg.limit)
			break;
		pg.offset += pg.limit;
	}
	return 0;
}

/* metrics_get - the whole exposition */
void metrics_get(struct web_req *r)
{
	struct out o = {0};
	const uint64_t *req = web_server_requests(r->w);
	int up = 1;

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]) && up; i++) {
		struct store_tallies t;

		if (family(&o, r->st, &families[i], &t) < 0) {
			up = 0;
			break;
		}
		if (families[i].what == STORE_TALLY_SCANS) {
			int64_t running = count_of(&t, "running"), sessions;

			put(&o,
			    "# HELP relaywatch_scans_running Scans in progress.\n"
			    "# TYPE relaywatch_scans_running gauge\nrelaywatch_scans_running "
			    "%lld\n",
			    (long long)running);
			if (sessions_in_flight(r->st, running, (int64_t)time(NULL), &sessions) <
			    0) {
				store_tallies_free(&t);
				up = 0;
				break;
			}
			put(&o,
			    "# HELP relaywatch_sessions_in_flight Probe sessions open in the "
			    "running scans (progress saved in the last %d s).\n"
			    "# TYPE relaywatch_sessions_in_flight gauge\n"
			    "relaywatch_sessions_in_flight %lld\n",
			    RW_SCAN_PROGRESS_STALE, (long long)sessions);
		}
		if (families[i].what == STORE_TALLY_OUTBOX)
			put(&o,
			    "# HELP relaywatch_outbox_queue Notices waiting to be sent (queued or "
			    "sending).\n# TYPE relaywatch_outbox_queue gauge\n"
			    "relaywatch_outbox_queue %lld\n",
			    (long long)(count_of(&t, "queued") + count_of(&t, "sending")));
		store_tallies_free(&t);
	}
	put(&o,
	    "# HELP relaywatch_store_up 1 when every store query of this scrape worked.\n"
	    "# TYPE relaywatch_store_up gauge\nrelaywatch_store_up %d\n",
	    up);
	put(&o, "# HELP relaywatch_web_requests_total Requests this console answered, by "
	        "status class.\n# TYPE relaywatch_web_requests_total counter\n");
	for (int c = 1; c <= 5; c++)
		put(&o, "relaywatch_web_requests_total{code=\"%dxx\"} %llu\n", c,
		    (unsigned long long)req[c]);
	web_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", o.s, o.n);
	free(o.s);
}
