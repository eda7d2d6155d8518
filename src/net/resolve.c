/*
 * NAME
 *	resolve - many names and MX domains at once, before a scan starts
 * SUMMARY
 *	A/AAAA through evdns, MX through c-ares, one event loop, bounded
 * SYNOPSIS
 *	int resolve_run(const struct resolve_req *reqs, size_t n,
 *		const struct resolve_opts *o, const struct resolve_cb *cb,
 *		struct resolve_stats *stats, char *err, size_t errlen);
 * DESCRIPTION
 *	resolve_run() makes an event_base of its own, an evdns_base for
 *	A and AAAA (two queries per name, without search domains) and, when
 *	some request is an MX domain, a c-ares channel whose sockets and
 *	timeouts are events of the same base (evdns has no MX). Names are
 *	queued; at most o->inflight are looked up at once. An MX answer
 *	goes through mx_select() (src/net/mx: preference order, implicit
 *	MX, null MX) and each chosen host joins the queue as a name of its
 *	own. Every address goes to cb->on_addr as it arrives; a name that
 *	gives none (NXDOMAIN, no records, timeout, null MX) goes to
 *	cb->on_error once, and the others carry on. Name servers are
 *	o->servers when given (then /etc/resolv.conf is not used by evdns,
 *	and c-ares' list is replaced before any query), else the system's.
 *	The callbacks run inside the call; req points into the caller's array.
 *	evdns' own log lines go to rw_debug (a process-wide setting).
 * DIAGNOSTICS
 *	-1 and err when evdns or c-ares cannot be set up. Per-name texts:
 *	"no such domain", "no A or AAAA record", "request timed out",
 *	"MX lookup: ...", "MX host NAME: ...", "accepts no mail (null MX,
 *	RFC 7505)", "no answer within N s".
 * LIMITS
 *	RW_DNS_INFLIGHT, RW_DNS_TIMEOUT, RW_DNS_TRIES, RW_DNS_DEADLINE,
 *	RW_MX_HOSTS_MAX hosts per domain (src/core/limits.h).
 * STANDARDS
 *	RFC 1035 (queries), RFC 3596 (AAAA), RFC 5321 5.1 (MX), RFC 7505.
 */
#include "resolve.h"
#include "ares_ev.h"
#include "hosts.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"
#include "mx.h"

#include <ares.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* RFC 1035 3.2.2 and 3.2.4: the MX type in the Internet class */
#define DNS_CLASS_IN 1
#define DNS_TYPE_MX  15

struct rv;

/* one lookup in the queue: a host's A and AAAA, or a domain's MX */
struct item {
	struct rv *rv;
	const struct resolve_req *req;
	char *host;  /* owned: req->name or an MX host */
	int mx;      /* an MX lookup of req->name */
	int via_mx;  /* host is one of req->name's MX hosts */
	int pending; /* queries without an answer */
	int started, done;
	unsigned long naddr;
	int err[2]; /* per family (0 A, 1 AAAA): DNS_ERR_*, -1 query not sent */
};

/* the whole run */
struct rv {
	struct event_base *base;
	struct evdns_base *dns;
	struct ares_ev *ae; /* c-ares (MX) on the same loop */
	int have_ares;
	struct event *deadline;
	const struct resolve_cb *cb;
	struct item **q; /* the queue: started are below next */
	size_t nq, capq, next;
	unsigned inflight, max;
	int closing;
	struct resolve_stats st;
	char *hosts; /* /etc/hosts, read once: asked before DNS */
	size_t hosts_len;
};

static void pump(struct rv *rv);

/* now_ms - monotonic milliseconds, for the run's wall time */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* enqueue - a new lookup at the end of the queue */
static struct item *enqueue(struct rv *rv, const struct resolve_req *req, const char *host, int mx,
                            int via_mx)
{
	struct item *it = xcalloc(1, sizeof(*it));

	*it = (struct item){.rv = rv,
	                    .req = req,
	                    .host = xstrdup(host),
	                    .mx = mx,
	                    .via_mx = via_mx,
	                    .err = {-1, -1}};
	if (rv->nq == rv->capq) {
		rv->capq = rv->capq ? rv->capq * 2 : 64;
		rv->q = xrealloc(rv->q, rv->capq * sizeof(*rv->q));
	}
	rv->q[rv->nq++] = it;
	return it;
}

/* all_done - nothing queued, nothing in flight */
static int all_done(const struct rv *rv)
{
	return rv->next == rv->nq && rv->inflight == 0;
}

/* fail - the lookup gave nothing: one line for the caller */
static void fail(struct item *it, const char *why)
{
	char line[RW_DOMAIN_MAX + 128];

	if (it->via_mx)
		snprintf(line, sizeof(line), "MX host %s: %s", it->host, why);
	else
		snprintf(line, sizeof(line), "%s", why);
	it->rv->st.errors++;
	if (it->rv->cb->on_error)
		it->rv->cb->on_error(it->rv->cb->arg, it->req, line);
}

/* item_done - one lookup finished: free its slot, start the next, stop when all are done */
static void item_done(struct item *it)
{
	struct rv *rv = it->rv;

	it->done = 1;
	rv->inflight--;
	if (rv->closing)
		return;
	pump(rv);
	if (all_done(rv))
		event_base_loopbreak(rv->base);
}

/* ---- A and AAAA through evdns ---------------------------------------- */

/* nodata - an answer without records of the type asked */
static int nodata(int e)
{
	return e == DNS_ERR_NODATA || e == DNS_ERR_NONE;
}

/* host_finished - both families answered: an error when neither gave an address */
static void host_finished(struct item *it)
{
	const char *why = NULL;

	if (it->naddr == 0) {
		if (it->err[0] == DNS_ERR_NOTEXIST || it->err[1] == DNS_ERR_NOTEXIST)
			why = "no such domain";
		else if (nodata(it->err[0]) && nodata(it->err[1]))
			why = "no A or AAAA record";
		else
			for (int f = 0; f < 2 && why == NULL; f++)
				if (!nodata(it->err[f]))
					why = it->err[f] < 0 ? "query not sent (bad name?)"
					                     : evdns_err_to_string(it->err[f]);
		fail(it, why);
	}
	item_done(it);
}

/* on_host_answer - one family's answer: every address to the caller */
static void on_host_answer(struct item *it, int fam, int result, int count, void *addresses)
{
	struct rv *rv = it->rv;

	if (rv->closing || it->done)
		return;
	it->err[fam] = result;
	for (int i = 0; result == DNS_ERR_NONE && i < count; i++) {
		struct sockaddr_storage ss;
		socklen_t len;

		memset(&ss, 0, sizeof(ss));
		if (fam == 0) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			a->sin_family = AF_INET;
			memcpy(&a->sin_addr, (const char *)addresses + 4 * (size_t)i, 4);
			len = sizeof(*a);
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			a->sin6_family = AF_INET6;
			memcpy(&a->sin6_addr, (const char *)addresses + 16 * (size_t)i, 16);
			len = sizeof(*a);
		}
		it->naddr++;
		rv->st.addrs++;
		if (rv->cb->on_addr)
			rv->cb->on_addr(rv->cb->arg, it->req, it->host, (struct sockaddr *)&ss,
			                len);
	}
	if (--it->pending == 0)
		host_finished(it);
}

/* on_a - evdns callback for the A query */
static void on_a(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	on_host_answer(arg, 0, result, count, addresses);
}

/* on_aaaa - evdns callback for the AAAA query */
static void on_aaaa(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	on_host_answer(arg, 1, result, count, addresses);
}

/* start_host - send the A and AAAA queries (evdns answers later, from the loop) */
static void start_host(struct item *it)
{
	struct rv *rv = it->rv;

	rv->st.names++;
	if (rv->hosts) {
		struct sockaddr_storage ss[RW_HOSTS_ADDRS_MAX];
		socklen_t lens[RW_HOSTS_ADDRS_MAX];
		int n =
		    hosts_lookup(rv->hosts, rv->hosts_len, it->host, ss, lens, RW_HOSTS_ADDRS_MAX);

		/* files before dns, as getaddrinfo() */
		for (int i = 0; i < n; i++) {
			it->naddr++;
			rv->st.addrs++;
			if (rv->cb->on_addr)
				rv->cb->on_addr(rv->cb->arg, it->req, it->host,
				                (struct sockaddr *)&ss[i], lens[i]);
		}
		if (n > 0) {
			it->pending = 0;
			host_finished(it);
			return;
		}
	}
	it->pending = 2;
	if (evdns_base_resolve_ipv4(rv->dns, it->host, DNS_QUERY_NO_SEARCH, on_a, it) == NULL)
		it->pending--;
	if (evdns_base_resolve_ipv6(rv->dns, it->host, DNS_QUERY_NO_SEARCH, on_aaaa, it) == NULL)
		it->pending--;
	if (it->pending == 0 && !it->done)
		host_finished(it);
}

/* ---- MX through c-ares, driven by the same loop ----------------------- */

/* mx_answer - the MX records (none: implicit MX) into host lookups */
static void mx_answer(struct item *it, struct ares_mx_reply *mxs)
{
	struct mx_rec recs[RW_MX_HOSTS_MAX * 2];
	const char *out[RW_MX_HOSTS_MAX], *why;
	size_t n = 0;
	int k;

	for (struct ares_mx_reply *m = mxs; m && n < sizeof(recs) / sizeof(recs[0]); m = m->next)
		recs[n++] = (struct mx_rec){.pref = m->priority, .host = m->host};
	k = mx_select(it->host, recs, n, out, RW_MX_HOSTS_MAX, &why);
	if (k < 0) {
		fail(it, why);
		return;
	}
	for (int i = 0; i < k; i++)
		enqueue(it->rv, it->req, out[i], 0, 1);
}

/* on_mx - c-ares callback for an MX query */
static void on_mx(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct item *it = arg;
	struct ares_mx_reply *mxs = NULL;
	char why[160];

	if (it->rv->closing || it->done)
		return;
	if (status == ARES_SUCCESS) {
		status = ares_parse_mx_reply(abuf, alen, &mxs);
		if (status == ARES_SUCCESS || status == ARES_ENODATA)
			mx_answer(it, mxs);
		else {
			snprintf(why, sizeof(why), "MX lookup: %s", ares_strerror(status));
			fail(it, why);
		}
		if (mxs)
			ares_free_data(mxs);
	} else if (status == ARES_ENODATA) {
		mx_answer(it, NULL); /* RFC 5321 5.1: no MX, the domain itself */
	} else if (status == ARES_ENOTFOUND) {
		fail(it, "no such domain");
	} else {
		snprintf(why, sizeof(why), "MX lookup: %s", ares_strerror(status));
		fail(it, why);
	}
	it->pending = 0;
	item_done(it);
}

/* start_mx - send the MX query (c-ares may answer at once, for a bad name) */
static void start_mx(struct item *it)
{
	it->rv->st.mx++;
	it->pending = 1;
	ares_query(ares_ev_channel(it->rv->ae), it->host, DNS_CLASS_IN, DNS_TYPE_MX, on_mx, it);
	ares_ev_rearm(it->rv->ae);
}

/* ---- the queue and the run -------------------------------------------- */

/* pump - start queued lookups while there is room (re-entered by lookups
 * that finish at once; only indexes are kept across a start) */
static void pump(struct rv *rv)
{
	while (!rv->closing && rv->inflight < rv->max && rv->next < rv->nq) {
		struct item *it = rv->q[rv->next++];

		rv->inflight++;
		if (rv->inflight > rv->st.max_inflight)
			rv->st.max_inflight = rv->inflight;
		it->started = 1;
		if (it->mx)
			start_mx(it);
		else
			start_host(it);
	}
}

/* on_deadline - the whole run's time is up: leave the loop */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(((struct rv *)arg)->base);
}

/* evdns_log - evdns' own notes ("nameserver has failed") only at -vv:
 * each name's failure is reported to the caller anyway */
static void evdns_log(int is_warn, const char *msg)
{
	rw_debug("dns evdns %s", msg);
}

/* setup_evdns - the system's name servers, or the given ones; NULL or error */
static const char *setup_evdns(struct rv *rv, const struct resolve_opts *o, unsigned timeout,
                               unsigned tries)
{
	char v[32];
	int custom = o->servers && o->servers->n > 0;

	evdns_set_log_fn(evdns_log);
	rv->dns = evdns_base_new(rv->base, custom ? 0 : EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (rv->dns == NULL)
		return "evdns: cannot read /etc/resolv.conf";
	for (size_t i = 0; custom && i < o->servers->n; i++)
		if (evdns_base_nameserver_sockaddr_add(rv->dns,
		                                       (const struct sockaddr *)&o->servers->ss[i],
		                                       o->servers->len[i], 0) != 0)
			return "evdns: cannot add a name server";
	if (evdns_base_count_nameservers(rv->dns) == 0)
		return "evdns: no name server";
	snprintf(v, sizeof(v), "%u", timeout);
	evdns_base_set_option(rv->dns, "timeout:", v);
	snprintf(v, sizeof(v), "%u", tries);
	evdns_base_set_option(rv->dns, "attempts:", v);
	snprintf(v, sizeof(v), "%u", rv->max);
	evdns_base_set_option(rv->dns, "max-inflight:", v);
	return NULL;
}

/* setup_ares - a c-ares channel on our loop's sockets; NULL or error */
static const char *setup_ares(struct rv *rv, const struct resolve_opts *o, unsigned timeout,
                              unsigned tries)
{
	const char *why = NULL;

	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return "c-ares: cannot initialise";
	rv->have_ares = 1;
	rv->ae = ares_ev_new(rv->base, timeout * 1000, tries, o->servers, &why);
	return rv->ae ? NULL : why;
}

/* teardown - stop both resolvers (their late callbacks see closing), free everything */
static void teardown(struct rv *rv)
{
	rv->closing = 1;
	if (rv->dns)
		evdns_base_free(rv->dns, 0);
	rv->ae = ares_ev_free(rv->ae); /* callbacks with ARES_EDESTRUCTION, ignored */
	if (rv->have_ares)
		ares_library_cleanup();
	if (rv->deadline)
		event_free(rv->deadline);
	if (rv->base)
		event_base_free(rv->base);
	for (size_t i = 0; i < rv->nq; i++) {
		free(rv->q[i]->host);
		free(rv->q[i]);
	}
	free(rv->q);
	free(rv->hosts);
	rv->hosts = NULL;
}

/* resolve_run - queue every request, run the loop until done or the deadline */
int resolve_run(const struct resolve_req *reqs, size_t n, const struct resolve_opts *o,
                const struct resolve_cb *cb, struct resolve_stats *stats, char *err, size_t errlen)
{
	struct rv rv = {.cb = cb};
	unsigned timeout = o->timeout ? o->timeout : RW_DNS_TIMEOUT;
	unsigned tries = o->tries ? o->tries : RW_DNS_TRIES;
	unsigned deadline = o->deadline ? o->deadline : RW_DNS_DEADLINE;
	struct timeval tv = {.tv_sec = deadline};
	long long t0 = now_ms();
	const char *e = NULL;
	int any_mx = 0;

	rv.max = o->inflight ? o->inflight : RW_DNS_INFLIGHT;
	if (n == 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		any_mx |= reqs[i].kind == RESOLVE_MX;
	if ((rv.base = event_base_new()) == NULL)
		e = "cannot create an event loop";
	if (e == NULL)
		e = setup_evdns(&rv, o, timeout, tries);
	if (e == NULL && any_mx)
		e = setup_ares(&rv, o, timeout, tries);
	if (e) {
		snprintf(err, errlen, "%s", e);
		teardown(&rv);
		return -1;
	}
	rv.hosts = o->no_hosts ? NULL : hosts_read(o->hosts_file, &rv.hosts_len);
	for (size_t i = 0; i < n; i++)
		enqueue(&rv, &reqs[i], reqs[i].name, reqs[i].kind == RESOLVE_MX, 0);
	rv.deadline = evtimer_new(rv.base, on_deadline, &rv);
	evtimer_add(rv.deadline, &tv);
	pump(&rv);
	/* a break before dispatch would be forgotten: look first */
	if (!all_done(&rv))
		event_base_dispatch(rv.base);
	for (size_t i = 0; i < rv.nq; i++)
		if (!rv.q[i]->done) {
			char why[64];

			snprintf(why, sizeof(why), "no answer within %u s", deadline);
			fail(rv.q[i], why);
		}
	teardown(&rv);
out:
	rv.st.ms = now_ms() - t0;
	if (stats)
		*stats = rv.st;
	return 0;
}
