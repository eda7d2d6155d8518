/*
 * NAME
 *	cmd_scan - relaywatch scan: the relay battery over whole networks
 * SUMMARY
 *	relaywatch scan [options] TARGET... | -iL FILE|-
 * SYNOPSIS
 *	int cmd_scan(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	Targets (CIDRs, ranges, addresses, names, each with an optional
 *	:port; files and stdin in plain, masscan -oL and zmap CSV forms)
 *	become one set per port (src/scan/targets). Reserved blocks (unless
 *	--allow-reserved) and every --exclude file are removed before the
 *	scan space is counted; an exclusion file with a bad line refuses to
 *	start, since a skipped exclusion is a target that slips through.
 *	The space (addresses x ports) is walked in a seeded permutation;
 *	at most --concurrency sessions run, new connections are paced by a
 *	token bucket (--rate) and at most --per-subnet sessions run per /24
 *	or /64. Every address is checked against the exclusions once more
 *	just before it is contacted. One embedded sink serves the whole
 *	scan: arrivals are tied to a live job by their token. A job whose
 *	session ended with accepted tests waits up to --wait for their
 *	arrivals (a late arrival upgrades suspect to open), then is final;
 *	with --json each result is printed when it becomes final, so memory
 *	holds only running and waiting jobs. The human output is a table of
 *	verdicts at the end, with one line per open or suspect target.
 * DIAGNOSTICS
 *	Exit 0 nothing open or suspect, 1 at least one, 2 usage or config
 *	error (bad exclusion file, no canary), 3 runtime error (key, sink).
 *	Bad target lines are reported on stderr and skipped.
 * LIMITS
 *	RW_SCAN_CONCURRENCY default sessions in flight; RW_SCAN_PER_SUBNET;
 *	RW_SCAN_SPACE_MAX (permute); RW_SCAN_NAMES_MAX names resolved.
 * STANDARDS
 *	RFC 5321 (sessions, via src/smtp/sess), RFC 6890 (reserved blocks).
 */
#include "../core/config.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"
#include "../net/probe.h"
#include "../net/resolve.h"
#include "../scan/ipset.h"
#include "../scan/permute.h"
#include "../scan/ratelimit.h"
#include "../scan/reserved.h"
#include "../scan/targets.h"
#include "../sink/sink.h"
#include "../store/store.h"
#include "../smtp/battery.h"
#include "../smtp/sess.h"
#include "../smtp/verdict.h"
#include "cmd.h"
#include "output.h"
#include "probeopt.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

/* sessions in flight by default (issue 3: "default 1000") */
#define RW_SCAN_CONCURRENCY 1000
#define RW_SCAN_CONCURRENCY_MAX 100000
#define RW_SCAN_EXCLUDES_MAX 16
/* --mx domains in one scan */
#define RW_SCAN_MX_MAX 256
/* results written per store transaction, and the longest they wait */
#define RW_SCAN_BATCH 256
#define RW_SCAN_FLUSH_MS 1000

struct scan;

/* one (address, port) being tested, or waiting for its arrivals */
struct job {
	struct scan *scan;
	struct job *prev, *next; /* the live list */
	struct target_result r;
	struct sess *sess;
	struct probe *probe;
	struct sess_config sc;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct event *wait_timer; /* waiting for arrivals */
	uint64_t ordinal;         /* its place in the walk (0, 1, ...) */
};

/* a final result waiting for the next store batch (strings owned) */
struct pending_result {
	char *target, *reason, *evidence;
	unsigned port;
	const char *verdict; /* static */
	int64_t tested;
};

/* a target group with its place in the scan space */
struct span {
	struct ipset *set; /* borrowed from the targets */
	unsigned port;     /* 0: each --ports port */
	uint64_t first, n; /* indexes first .. first+n-1 */
};

struct scan {
	struct event_base *base;
	struct rw_config *cfg;
	struct targets *targets;
	struct targets_ports ports;
	struct span *spans;
	size_t nspans;
	struct ipset *never; /* reserved + exclusions: checked before each connect */
	struct permute pm;
	uint64_t total;
	int have_pending, exhausted, finishing;
	int stopping; /* SIGINT/SIGTERM: start nothing new; twice: leave now */
	struct ipset_addr pend_addr;
	unsigned pend_port;
	struct sockaddr_storage pend_ss;
	socklen_t pend_len;
	struct bucket bucket;
	struct subnet_table *subnets;
	struct event *fill_timer;
	unsigned concurrency, inflight, waiting;
	struct job *live;
	struct sess_config sc;
	struct probe_env env;
	struct token_key key;
	char scan_id[24];
	char myname[RW_DOMAIN_MAX + 1];
	struct sink *sink;
	int json, verbose;
	uint64_t started, done, refused_never;
	unsigned long count[V__COUNT];
	unsigned long foreign_total;
	FILE *found; /* open and suspect lines for the human report */
	uint64_t taken, pend_ordinal; /* indexes taken from the walk */
	struct store *st;             /* --db, or NULL */
	int64_t db_id;
	int store_failed;
	struct pending_result batch[RW_SCAN_BATCH];
	size_t nbatch;
	struct event *flush_timer;
	struct event *sigint, *sigterm;
	struct event *stats_timer;
	int tty;           /* stderr is a terminal: one status line in place */
	long long t0;      /* start, ms */
};

/* usage - the scan subcommand's options and exit statuses */
static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: relaywatch scan [options] TARGET...\n"
		"       relaywatch scan [options] -iL FILE|-\n\n"
		"Test whole networks for open relaying. TARGET is an address, a CIDR, a range\n"
		"a-b, or a host name, each with an optional :port; files hold the same, or\n"
		"masscan -oL lines, or zmap CSV.\n\n"
		"options:\n"
		"  -iL FILE                  read targets from FILE (- for stdin)\n"
		"      --ports LIST          ports for targets without one (default 25)\n"
		"      --mx DOMAIN           test DOMAIN's mail hosts (MX, else its A/AAAA)\n"
		"                            on the --ports ports; repeatable\n"
		"      --dns-server LIST     name servers ADDR[:PORT],... instead of\n"
		"                            /etc/resolv.conf's (config dns_servers)\n"
		"      --exclude FILE        never contact these (CIDRs; a bad line is fatal)\n"
		"      --allow-reserved      allow private, loopback and other reserved blocks\n"
		"      --concurrency N       sessions in flight (default %d)\n"
		"      --rate N              new connections per second (default 0: no limit)\n"
		"      --per-subnet N        sessions in flight per /24 or /64 (default %d)\n"
		"      --seed N              order of the scan (default: random, printed)\n"
		"      --dry-run             print the order (address port), contact nothing\n"
		"      --db PATH             save the scan and its results in this store\n"
		"      --stats-every S       a status line on stderr every S seconds (on a\n"
		"                            terminal one line is updated in place anyway)\n"
		"      --canary DOMAIN       canary domain or [address] the sink accepts (required)\n"
		"      --sink-listen A:P     where the embedded sink listens\n"
		"      --no-sink             run no embedded sink (a separate sink gets the mail)\n"
		"      --wait SECONDS        wait for arrivals of accepted messages (default %d)\n"
		"      --source ADDR         source address for the probes\n"
		"      --timeout SECONDS     deadline for connect, banner and each reply\n"
		"      --session-timeout S   budget for a whole session (default %d)\n"
		"      --greylist-delay S    first retry delay after 4xx answers (default %d)\n"
		"      --tls MODE            auto, require or never (default auto)\n"
		"      --battery NAME        quick or full (default full)\n"
		"      --helo NAME           our HELO name\n"
		"      --token-key PATH      key file for test tokens (created if missing)\n"
		"      --json                JSON Lines on stdout, one object per target as\n"
		"                            each result is final\n"
		"  -v, --verbose             transcripts in JSON\n"
		"  -h, --help                this help\n\n"
		"exit status: 0 no open or suspect relay, 1 at least one, 2 usage or\n"
		"configuration error, 3 runtime error.\n",
		RW_SCAN_CONCURRENCY, RW_SCAN_PER_SUBNET, RW_ARRIVAL_WAIT, RW_SESSION_TIMEOUT,
		RW_GREYLIST_DELAY);
}

static void fill(struct scan *s);

/* ---- the end of a job ------------------------------------------------ */

/* check_finished - leave the loop after a short grace once nothing is left,
 * so the sink's last "250 queued" reaches the relay that delivered */
static void check_finished(struct scan *s)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500000 };

	if (((s->exhausted && !s->have_pending) || s->stopping) && s->inflight == 0 &&
	    s->waiting == 0 && !s->finishing) {
		s->finishing = 1;
		event_base_loopexit(s->base, &tv);
	}
}

/* low_water - the walk's ordinal below which every result is final */
static uint64_t low_water(const struct scan *s)
{
	uint64_t lw = s->have_pending ? s->pend_ordinal : s->taken;

	for (const struct job *j = s->live; j; j = j->next)
		if (j->ordinal < lw)
			lw = j->ordinal;
	return lw;
}

/* flush - the queued results and the progress they make, one transaction */
static void flush(struct scan *s)
{
	struct dbuf counts;
	int ok;

	if (!s->st || s->store_failed)
		goto drop;
	dbuf_init(&counts, 1024);
	dbuf_add(&counts, "{", 1);
	for (int v = 0; v < V__COUNT; v++)
		dbuf_printf(&counts, "%s\"%s\":%lu", v ? "," : "", verdict_name((enum verdict)v),
			    s->count[v]);
	dbuf_adds(&counts, "}");
	ok = store_batch_begin(s->st, 0) == 0;
	for (size_t i = 0; ok && i < s->nbatch; i++) {
		struct pending_result *p = &s->batch[i];
		struct store_result sr = {
			.scan = s->db_id, .target = p->target, .port = p->port, .probe = "smtp",
			.vantage = "", .verdict = p->verdict, .reason = p->reason,
			.evidence = p->evidence, .tested = p->tested,
		};

		ok = store_result_put(s->st, &sr, NULL) >= 0;
	}
	if (ok) {
		struct store_progress pr = { .scan = s->db_id, .position = (int64_t)low_water(s),
					     .done = (int64_t)s->done, .counts = (char *)dbuf_str(&counts),
					     .updated = probeopt_now_ms() / 1000 };

		ok = store_progress_save(s->st, &pr) == 0;
	}
	ok = ok ? store_batch_commit(s->st) == 0 : (store_batch_abort(s->st), 0);
	dbuf_free(&counts);
	if (!ok) {
		fprintf(stderr, "relaywatch scan: store: %s: results are no longer saved\n",
			store_error(s->st));
		s->store_failed = 1;
	}
drop:
	for (size_t i = 0; i < s->nbatch; i++) {
		free(s->batch[i].target);
		free(s->batch[i].reason);
		free(s->batch[i].evidence);
	}
	s->nbatch = 0;
}

/* queue_result - keep a final result for the next batch; a full batch is written now */
static void queue_result(struct scan *s, const struct target_result *r)
{
	struct pending_result *p = &s->batch[s->nbatch++];
	char *ev = NULL;
	size_t evlen = 0;
	FILE *mem = open_memstream(&ev, &evlen);

	if (mem == NULL)
		rw_panic("%s: open_memstream: out of memory", __func__);
	output_json(mem, r, s->sc.canary, s->verbose);
	fclose(mem);
	while (evlen > 0 && ev[evlen - 1] == '\n')
		ev[--evlen] = '\0';
	p->target = xstrdup(r->addr);
	p->reason = xstrdup(r->reason);
	p->evidence = ev;
	p->port = r->port;
	p->verdict = verdict_name(r->verdict);
	p->tested = r->finished ? r->finished / 1000 : probeopt_now_ms() / 1000;
	if (s->nbatch == RW_SCAN_BATCH)
		flush(s);
}

/* on_flush_timer - write what is queued at least every RW_SCAN_FLUSH_MS */
static void on_flush_timer(evutil_socket_t fd, short what, void *arg)
{
	struct scan *s = arg;

	(void)fd;
	(void)what;
	if (s->nbatch)
		flush(s);
}

/* finalize - decide, report and free a job whose session and wait are over */
static void finalize(struct job *j)
{
	struct scan *s = j->scan;
	struct target_result *r = &j->r;

	if (j->wait_timer) {
		event_free(j->wait_timer);
		j->wait_timer = NULL;
		s->waiting--;
	}
	verdict_decide(r);
	s->count[r->verdict]++;
	s->done++;
	if (s->json) {
		output_json(stdout, r, s->sc.canary, s->verbose);
		fflush(stdout);
	} else if (r->verdict == V_OPEN || r->verdict == V_SUSPECT) {
		fprintf(s->found, "%-8s %s  %s\n", verdict_name(r->verdict), r->target, r->reason);
	}
	if (s->st)
		queue_result(s, r);
	if (j->prev)
		j->prev->next = j->next;
	else
		s->live = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->sess = sess_free(j->sess);
	result_clear(r);
	free(j);
	check_finished(s);
}

/* on_wait_over - this job's --wait for arrivals is over */
static void on_wait_over(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finalize(arg);
}

/* on_probe_done - the session is over: wait for its arrivals or finish it */
static void on_probe_done(struct probe *p, void *arg)
{
	struct job *j = arg;
	struct scan *s = j->scan;

	j->probe = probe_free(p);
	j->r.finished = probeopt_now_ms();
	subnet_release(s->subnets, (struct sockaddr *)&j->addr);
	s->inflight--;
	rw_debug("scan target=%s port=%u event=session-done end=%s", j->r.addr, j->r.port,
		 sess_end_name(j->r.end));
	if (s->sink && s->cfg->wait > 0 && result_accepted(&j->r) > 0) {
		struct timeval tv = { .tv_sec = s->cfg->wait, .tv_usec = 0 };

		j->wait_timer = evtimer_new(s->base, on_wait_over, j);
		evtimer_add(j->wait_timer, &tv);
		s->waiting++;
	} else {
		finalize(j);
	}
	fill(s);
}

/* ---- arrivals -------------------------------------------------------- */

/* save_arrival - every message the sink accepted, tied to this scan when
 * its token names it */
static void save_arrival(struct scan *s, const struct arrival *a)
{
	int ours = a->token_status == TOKEN_VALID && strcmp(a->fields.scan, s->scan_id) == 0;
	json_t *chain = json_array();
	char *rcv;

	for (int i = 0; i < a->nreceived; i++)
		json_array_append_new(chain, output_json_text(a->received[i]));
	rcv = json_dumps(chain, JSON_COMPACT);
	json_decref(chain);
	if (rcv == NULL)
		rw_panic("%s: json_dumps failed (out of memory)", __func__);
	struct store_arrival sa = {
		.token = a->token, .scan = ours ? s->db_id : 0,
		.target = ours ? a->fields.target : "", .port = ours ? a->fields.port : 0,
		.test = ours ? a->fields.test : "", .peer = a->peer, .received = rcv,
		.arrived = a->time,
	};
	if (store_arrival_put(s->st, &sa, NULL) < 0)
		rw_log(LOG_WARNING, "scan event=store-error what=arrival error=\"%s\"",
		       store_error(s->st));
	free(rcv);
}

/* on_arrival - tie a valid token to a live job's test; the rest is foreign */
static void on_arrival(const struct arrival *a, void *arg)
{
	struct scan *s = arg;

	if (s->st && !s->store_failed)
		save_arrival(s, a);

	if (a->token_status == TOKEN_VALID && (!a->replayed || a->quoted) &&
	    strcmp(a->fields.scan, s->scan_id) == 0) {
		for (struct job *j = s->live; j; j = j->next) {
			struct target_result *r = &j->r;

			if (r->port != a->fields.port || strcmp(r->addr, a->fields.target) != 0)
				continue;
			for (size_t k = 0; k < r->ntests; k++) {
				struct test_result *t = &r->tests[k];

				if (strcmp(t->token, a->token) != 0 || t->has_arrival)
					continue;
				if (a->quoted) {
					/* backscatter: accepted, then bounced to the canary */
					t->bounced = 1;
					rw_log(LOG_INFO, "scan target=%s port=%u event=bounce test=%s peer=%s",
					       r->addr, r->port, t->test->id, a->peer);
				} else {
					arrival_copy(&t->arrival, a);
					t->has_arrival = 1;
					t->stage = STAGE_DELIVERED;
					rw_log(LOG_INFO, "scan target=%s port=%u event=arrival test=%s peer=%s",
					       r->addr, r->port, t->test->id, a->peer);
				}
				/* every accepted test accounted for: final now */
				if (j->wait_timer && result_accepted(r) == 0)
					finalize(j);
				return;
			}
		}
	}
	s->foreign_total++;
	rw_log(LOG_NOTICE, "scan event=foreign-arrival peer=%s token_status=%s replayed=%d", a->peer,
	       a->token[0] ? token_status_name(a->token_status) : "none", a->replayed);
}

/* ---- the scheduler --------------------------------------------------- */

/* locate - the address and port at index i of the scan space */
static int locate(struct scan *s, uint64_t i, struct ipset_addr *a, unsigned *port)
{
	for (size_t g = 0; g < s->nspans; g++) {
		struct span *sp = &s->spans[g];
		uint64_t off;

		if (i < sp->first || i - sp->first >= sp->n)
			continue;
		off = i - sp->first;
		if (sp->port) {
			*port = sp->port;
		} else {
			*port = s->ports.port[off % s->ports.n];
			off /= s->ports.n;
		}
		return ipset_nth(sp->set, off, a);
	}
	return -1;
}

/* start_job - a session and probe for the pending address */
static void start_job(struct scan *s)
{
	struct job *j = xcalloc(1, sizeof(*j));
	struct target_result *r = &j->r;

	j->scan = s;
	result_init(r);
	ipset_addr_text(&s->pend_addr, r->addr, sizeof(r->addr));
	r->port = s->pend_port;
	snprintf(r->target, sizeof(r->target), s->pend_addr.fam == IPSET_V6 ? "[%s]:%u" : "%s:%u",
		 r->addr, r->port);
	j->addr = s->pend_ss;
	j->addrlen = s->pend_len;
	j->ordinal = s->pend_ordinal;
	j->sc = s->sc;
	j->sc.implicit_tls = r->port == 465;
	j->next = s->live;
	if (s->live)
		s->live->prev = j;
	s->live = j;
	s->inflight++;
	s->started++;
	r->started = probeopt_now_ms();
	j->sess = sess_new(&j->sc, r, probeopt_now_ms());
	j->probe = probe_start(&s->env, j->sess, (struct sockaddr *)&j->addr, j->addrlen,
			       on_probe_done, j);
}

/* on_fill_timer - the bucket has a token again */
static void on_fill_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fill(arg);
}

/* fill - start sessions while concurrency, rate and subnet limits allow;
 * an address whose subnet is busy waits (in order) for a session to end */
static void fill(struct scan *s)
{
	while (s->inflight < s->concurrency && !s->finishing && !s->stopping) {
		uint64_t now = (uint64_t)probeopt_now_ms(), wait;
		enum subnet_status st;

		if (!s->have_pending) {
			uint64_t idx;

			if (s->exhausted || permute_next(&s->pm, &idx) != 0) {
				s->exhausted = 1;
				break;
			}
			s->pend_ordinal = s->taken++;
			if (locate(s, idx, &s->pend_addr, &s->pend_port) < 0)
				rw_panic("%s: index %llu outside the scan space", __func__,
					 (unsigned long long)idx);
			/* the sets were subtracted already; this is the last guard */
			if (ipset_contains(s->never, &s->pend_addr)) {
				s->refused_never++;
				continue;
			}
			s->pend_len = ipset_addr_to_sa(&s->pend_addr, s->pend_port, &s->pend_ss);
			s->have_pending = 1;
		}
		if ((wait = bucket_wait_ms(&s->bucket, now)) > 0) {
			struct timeval tv = { .tv_sec = (time_t)(wait / 1000),
					      .tv_usec = (suseconds_t)(wait % 1000) * 1000 };

			evtimer_add(s->fill_timer, &tv);
			break;
		}
		st = subnet_acquire(s->subnets, (struct sockaddr *)&s->pend_ss);
		if (st == SUBNET_BUSY || st == SUBNET_FULL) {
			if (s->inflight == 0)
				rw_panic("%s: subnet limiter refuses with nothing in flight", __func__);
			break; /* a session's end calls fill() again */
		}
		if (st != SUBNET_OK)
			rw_panic("%s: subnet_acquire: bad address", __func__);
		bucket_take(&s->bucket, now);
		s->have_pending = 0;
		start_job(s);
	}
	check_finished(s);
}

/* on_stats - the status line: elapsed, done/total, rate, in flight, open,
 * suspect, ETA; in place on a terminal, one line each time otherwise */
static void on_stats(evutil_socket_t fd, short what, void *arg)
{
	struct scan *s = arg;
	double secs = (double)(probeopt_now_ms() - s->t0) / 1000.0;
	double rate = secs > 0 ? (double)s->done / secs : 0;
	char eta[32] = "-";

	(void)fd;
	(void)what;
	if (rate > 0 && s->total > s->done) {
		unsigned long long left = (unsigned long long)((double)(s->total - s->done) / rate);

		snprintf(eta, sizeof(eta), "%llum%02llus", left / 60, left % 60);
	}
	fprintf(stderr, "%s%.0fs %llu/%llu done, %.1f/s, %u in flight, %u waiting, %lu open, "
			"%lu suspect, ETA %s%s",
		s->tty ? "\r" : "relaywatch scan: ", secs, (unsigned long long)s->done,
		(unsigned long long)s->total, rate, s->inflight, s->waiting, s->count[V_OPEN],
		s->count[V_SUSPECT], eta, s->tty ? "\033[K" : "\n");
}

/* on_signal - the first SIGINT or SIGTERM lets running sessions and their
 * waits end and starts nothing new; the second leaves at once */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct scan *s = arg;

	(void)what;
	if (s->stopping) {
		fprintf(stderr, "relaywatch scan: stopping now; %u session(s) abandoned\n",
			s->inflight + s->waiting);
		event_base_loopexit(s->base, NULL);
		return;
	}
	s->stopping = 1;
	fprintf(stderr, "relaywatch scan: %s: finishing %u running session(s) and %u wait(s); "
			"again to stop at once\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM", s->inflight, s->waiting);
	check_finished(s);
}

/* dry_run - the walk, one "address port" per line, nothing contacted */
static void dry_run(struct scan *s)
{
	uint64_t idx;
	struct ipset_addr a;
	unsigned port;
	char text[64];

	while (permute_next(&s->pm, &idx) == 0) {
		if (locate(s, idx, &a, &port) < 0)
			rw_panic("%s: index outside the scan space", __func__);
		if (ipset_contains(s->never, &a))
			rw_panic("%s: an excluded address is in the scan space", __func__);
		printf("%s %u\n", ipset_addr_text(&a, text, sizeof(text)), port);
	}
	fflush(stdout);
}

/* ---- set-up ---------------------------------------------------------- */

/* fit_descriptors - raise the open-file limit to its hard maximum and keep
 * --concurrency below it (a session holds one socket, the sink up to
 * RW_SCAN_FD_SPARE others with the store and the loop) */
#define RW_SCAN_FD_SPARE 1100
static void fit_descriptors(struct scan *s)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)s->concurrency + RW_SCAN_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		unsigned fit = rl.rlim_cur > 2 * RW_SCAN_FD_SPARE ? (unsigned)(rl.rlim_cur - RW_SCAN_FD_SPARE)
								 : (unsigned)(rl.rlim_cur / 2);

		fprintf(stderr, "relaywatch scan: open-file limit %llu: --concurrency %u lowered to %u\n",
			(unsigned long long)rl.rlim_cur, s->concurrency, fit ? fit : 1);
		s->concurrency = fit ? fit : 1;
	}
}

/* read_file - feed a file (or stdin for "-") to a parser; -1 when unreadable */
static int read_file(struct targets_parser *p, const char *path)
{
	char buf[16384];
	ssize_t n;
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (fd != STDIN_FILENO)
				close(fd);
			return -1;
		}
		targets_feed(p, buf, (size_t)n);
	}
	targets_end(p);
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

/* report_errors - the parser's kept error lines on stderr */
static void report_errors(const struct targets_parser *p)
{
	unsigned long kept = p->nerrors < RW_SCAN_ERRORS_KEPT ? p->nerrors : RW_SCAN_ERRORS_KEPT;

	for (unsigned long i = 0; i < kept; i++)
		fprintf(stderr, "relaywatch scan: %s\n", p->errors[i]);
	if (p->nerrors > kept)
		fprintf(stderr, "relaywatch scan: %s: %lu more errors\n", p->source,
			p->nerrors - kept);
}

/* on_resolved - one address of a name or MX host: into the name's port group */
static void on_resolved(void *arg, const struct resolve_req *req, const char *host,
			const struct sockaddr *sa, socklen_t len)
{
	struct scan *s = arg;
	struct ipset_addr a;
	struct ipset_range r;
	const char *err;

	if (ipset_addr_from_sa(sa, &a) < 0)
		return;
	r = (struct ipset_range){ .fam = a.fam, .lo = a.v, .hi = a.v };
	if ((err = targets_add(s->targets, &r, req->port)) != NULL)
		fprintf(stderr, "relaywatch scan: %s: %s: %s\n", req->where, host, err);
}

/* on_unresolved - a name that gave no address: said, and skipped */
static void on_unresolved(void *arg, const struct resolve_req *req, const char *why)
{
	fprintf(stderr, "relaywatch scan: %s: cannot resolve %s: %s\n", req->where, req->name,
		why);
}

/* resolve_names - A/AAAA for each name and the mail hosts of each --mx
 * domain, all at once before the scan starts (src/net/resolve); every
 * address is added on its name's port */
static void resolve_names(struct scan *s, const char *const *mx, size_t nmx)
{
	const struct targets_name *nm;
	size_t n, k = 0;
	struct resolve_req *reqs;
	struct nslist servers = { 0 };
	struct resolve_opts o = { .timeout = (unsigned)s->cfg->dns_timeout };
	struct resolve_cb cb = { .on_addr = on_resolved, .on_error = on_unresolved, .arg = s };
	struct resolve_stats st;
	char err[256];

	nm = targets_names(s->targets, &n);
	if (n > RW_SCAN_NAMES_MAX)
		n = RW_SCAN_NAMES_MAX;
	if (n + nmx == 0)
		return;
	reqs = xcalloc(n + nmx, sizeof(*reqs));
	for (size_t i = 0; i < n; i++)
		reqs[k++] = (struct resolve_req){ .name = nm[i].name, .port = nm[i].port,
						  .kind = RESOLVE_HOST, .where = nm[i].where };
	for (size_t i = 0; i < nmx; i++)
		reqs[k++] = (struct resolve_req){ .name = mx[i], .kind = RESOLVE_MX,
						  .where = "--mx" };
	/* checked by config_set already */
	if (s->cfg->dns_servers && nslist_parse(s->cfg->dns_servers, &servers, err, sizeof(err)))
		rw_panic("%s: dns_servers: %s", __func__, err);
	o.servers = &servers;
	if (resolve_run(reqs, k, &o, &cb, &st, err, sizeof(err)) < 0)
		fprintf(stderr, "relaywatch scan: cannot resolve names: %s\n", err);
	else if (s->verbose)
		fprintf(stderr,
			"relaywatch scan: resolved %lu name(s), %lu MX domain(s): %lu address(es), "
			"%lu error(s), %lu at once, in %lld ms\n",
			st.names, st.mx, st.addrs, st.errors, st.max_inflight, st.ms);
	free(reqs);
}

/* build_spans - the scan space: each group's addresses times its ports */
static void build_spans(struct scan *s)
{
	const struct targets_group *g;
	size_t n;
	uint64_t first = 0;

	g = targets_groups(s->targets, &n);
	s->spans = xcalloc(n ? n : 1, sizeof(*s->spans));
	for (size_t i = 0; i < n; i++) {
		uint64_t k = g[i].port ? 1 : s->ports.n;

		if (ipset_empty(g[i].set))
			continue;
		s->spans[s->nspans] = (struct span){ .set = g[i].set, .port = g[i].port,
						     .first = first, .n = ipset_size(g[i].set) * k };
		first += s->spans[s->nspans].n;
		s->nspans++;
	}
	s->total = first;
}

/* number - a whole number in lo..hi; 0 or -1 */
static int number(const char *s, unsigned long long lo, unsigned long long hi,
		  unsigned long long *out)
{
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out < lo || *out > hi ? -1 : 0;
}

/* summary - the table of verdicts, then the open and suspect lines */
static void summary(struct scan *s, double secs)
{
	char buf[4096];
	size_t n;

	printf("%-14s %s\n", "VERDICT", "COUNT");
	for (int v = 0; v < V__COUNT; v++)
		printf("%-14s %lu\n", verdict_name((enum verdict)v), s->count[v]);
	printf("%-14s %llu (in %.1f s)\n", "total", (unsigned long long)s->done, secs);
	if (ftell(s->found) > 0) {
		putchar('\n');
		rewind(s->found);
		while ((n = fread(buf, 1, sizeof(buf), s->found)) > 0)
			fwrite(buf, 1, n, stdout);
	}
}

/* cmd_scan - flags, targets, exclusions, sink, scheduler, report */
int cmd_scan(int argc, char **argv, struct cmd_ctx *ctx)
{
	enum { O_INPUT = PO__NEXT, O_PORTS, O_EXCLUDE, O_RESERVED, O_CONC, O_RATE, O_PERSUB,
	       O_SEED, O_DB, O_DRY, O_STATS, O_MX, O_DNS };
	static const struct option opts[] = {
		PROBEOPT_OPTIONS,
		{ "input-list", required_argument, NULL, O_INPUT },
		{ "ports", required_argument, NULL, O_PORTS },
		{ "exclude", required_argument, NULL, O_EXCLUDE },
		{ "excludefile", required_argument, NULL, O_EXCLUDE },
		{ "allow-reserved", no_argument, NULL, O_RESERVED },
		{ "concurrency", required_argument, NULL, O_CONC },
		{ "rate", required_argument, NULL, O_RATE },
		{ "per-subnet", required_argument, NULL, O_PERSUB },
		{ "seed", required_argument, NULL, O_SEED },
		{ "db", required_argument, NULL, O_DB },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "stats-every", required_argument, NULL, O_STATS },
		{ "mx", required_argument, NULL, O_MX },
		{ "dns-server", required_argument, NULL, O_DNS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rw_config *cfg = ctx->cfg;
	struct scan s = { .cfg = cfg, .verbose = ctx->verbose, .concurrency = RW_SCAN_CONCURRENCY };
	struct subnet_limits sl;
	const char *inputs[RW_SCAN_EXCLUDES_MAX], *excludes[RW_SCAN_EXCLUDES_MAX];
	size_t ninputs = 0, nexcludes = 0, nmx = 0;
	const char *mx[RW_SCAN_MX_MAX];
	struct probeopt_flags pf = { 0 };
	int c, no_sink, allow_reserved = 0, dry = 0, have_seed = 0, rc = EXIT_CLEAN;
	unsigned long long rate = 0, seed = 0, v, stats_every = 0;
	const char *e, *db = NULL;
	char err[512];
	const struct battery_test *const *bat;
	size_t nbat;
	char **av = xcalloc((size_t)argc + 1, sizeof(*av));
	struct ipset *excl = ipset_new(), *resv = NULL;
	struct targets_rule rules[2];
	size_t nrules = 0;
	long long t0;

	subnet_limits_defaults(&sl);
	s.ports.n = 1;
	s.ports.port[0] = 25;
	/* nmap's -iL is one dash and two letters: give getopt its long name */
	for (int i = 0; i < argc; i++)
		av[i] = strcmp(argv[i], "-iL") == 0 ? "--input-list" : argv[i];
	while ((c = getopt_long(argc, av, "vh", opts, NULL)) != -1) {
		int taken = probeopt_take(c, optarg, cfg, &pf, "scan");

		if (taken < 0) {
			rc = EXIT_USAGE;
			goto early;
		}
		if (taken)
			continue;
		switch (c) {
		case 'v':
			s.verbose++;
			break;
		case 'h':
			usage(stdout);
			rc = EXIT_CLEAN;
			goto early;
		case O_RESERVED:
			allow_reserved = 1;
			break;
		case O_DB:
			db = optarg;
			break;
		case O_DRY:
			dry = 1;
			break;
		case O_STATS:
			if (number(optarg, 1, 86400, &stats_every) < 0) {
				fprintf(stderr, "relaywatch scan: --stats-every %s: 1 to 86400 seconds\n",
					optarg);
				rc = EXIT_USAGE;
				goto early;
			}
			break;
		case O_INPUT:
		case O_EXCLUDE:
			if ((c == O_INPUT ? ninputs : nexcludes) >= RW_SCAN_EXCLUDES_MAX) {
				fprintf(stderr, "relaywatch scan: at most %d files per option\n",
					RW_SCAN_EXCLUDES_MAX);
				rc = EXIT_USAGE;
				goto early;
			}
			if (c == O_INPUT)
				inputs[ninputs++] = optarg;
			else
				excludes[nexcludes++] = optarg;
			break;
		case O_MX:
			if (nmx >= RW_SCAN_MX_MAX || !probeopt_valid_name(optarg) ||
			    optarg[0] == '[') {
				fprintf(stderr, "relaywatch scan: --mx %s: %s\n", optarg,
					nmx >= RW_SCAN_MX_MAX ? "too many --mx" : "not a domain");
				rc = EXIT_USAGE;
				goto early;
			}
			mx[nmx++] = optarg;
			break;
		case O_DNS:
			if ((e = config_set(cfg, "dns_servers", optarg)) != NULL) {
				fprintf(stderr, "relaywatch scan: --dns-server %s: %s\n", optarg, e);
				rc = EXIT_USAGE;
				goto early;
			}
			break;
		case O_PORTS:
			if ((e = targets_ports_parse(optarg, &s.ports)) != NULL) {
				fprintf(stderr, "relaywatch scan: --ports %s: %s\n", optarg, e);
				rc = EXIT_USAGE;
				goto early;
			}
			break;
		case O_CONC:
		case O_RATE:
		case O_PERSUB:
		case O_SEED:
			if (number(optarg, c == O_CONC ? 1 : 0,
				   c == O_CONC ? RW_SCAN_CONCURRENCY_MAX
				   : c == O_PERSUB ? 1000000 : c == O_RATE ? (1ULL << 40) : UINT64_MAX,
				   &v) < 0) {
				const char *name = "?";

				for (const struct option *o = opts; o->name; o++)
					if (o->val == c)
						name = o->name;
				fprintf(stderr, "relaywatch scan: --%s %s: not a valid number\n", name,
					optarg);
				rc = EXIT_USAGE;
				goto early;
			}
			if (c == O_CONC)
				s.concurrency = (unsigned)v;
			else if (c == O_RATE)
				rate = v;
			else if (c == O_PERSUB)
				sl.per_subnet = (unsigned)v;
			else
				seed = v, have_seed = 1;
			break;
		case '?':
		default:
			usage(stderr);
			rc = EXIT_USAGE;
			goto early;
		}
	}
	no_sink = pf.no_sink;
	s.json = pf.json;
	if (s.verbose >= 2)
		log_init("relaywatch", LOG_DEST_STDERR, 2);
	if (optind >= argc && ninputs == 0 && nmx == 0) {
		fprintf(stderr, "relaywatch scan: no target given\n");
		usage(stderr);
		rc = EXIT_USAGE;
		goto early;
	}
	if ((bat = battery_get(cfg->battery, &nbat)) == NULL) {
		fprintf(stderr, "relaywatch scan: unknown battery '%s'\n", cfg->battery);
		rc = EXIT_USAGE;
		goto early;
	}
	if (!dry && (!cfg->canary || !probeopt_valid_name(cfg->canary))) {
		fprintf(stderr, "relaywatch scan: %s: set canary_domain (or --canary) to a domain "
				"whose MX is this machine, or an address literal like [192.0.2.1]\n",
			cfg->canary ? "bad canary" : "no canary");
		rc = EXIT_USAGE;
		goto early;
	}
	if (!dry && !no_sink && !cfg->sink_listen) {
		fprintf(stderr, "relaywatch scan: sink_listen is not set (or use --no-sink)\n");
		rc = EXIT_USAGE;
		goto early;
	}

	/* exclusions first: any doubt about them and nothing is scanned */
	for (size_t i = 0; i < nexcludes; i++) {
		struct targets_parser p;
		int bad;

		targets_parser_init_set(&p, excludes[i], excl);
		if (read_file(&p, excludes[i]) < 0) {
			fprintf(stderr, "relaywatch scan: --exclude %s: %s\n", excludes[i],
				strerror(errno));
			targets_parser_free(&p);
			rc = EXIT_USAGE;
			goto early;
		}
		report_errors(&p);
		bad = p.nerrors > 0;
		targets_parser_free(&p);
		if (bad) {
			fprintf(stderr, "relaywatch scan: --exclude %s has bad lines: not scanning\n",
				excludes[i]);
			rc = EXIT_USAGE;
			goto early;
		}
	}
	s.targets = targets_new();
	for (int i = optind; i < argc; i++) {
		struct targets_parser p;

		targets_parser_init(&p, "command line", s.targets);
		targets_line(&p, av[i]); /* av: getopt moved the operands last */
		report_errors(&p);
		targets_parser_free(&p);
	}
	for (size_t i = 0; i < ninputs; i++) {
		struct targets_parser p;

		targets_parser_init(&p, strcmp(inputs[i], "-") == 0 ? "stdin" : inputs[i], s.targets);
		if (read_file(&p, inputs[i]) < 0) {
			fprintf(stderr, "relaywatch scan: -iL %s: %s\n", inputs[i], strerror(errno));
			targets_parser_free(&p);
			rc = EXIT_USAGE;
			goto early;
		}
		report_errors(&p);
		targets_parser_free(&p);
	}
	resolve_names(&s, mx, nmx);
	if (!allow_reserved) {
		resv = reserved_set();
		rules[nrules++] = (struct targets_rule){ .name = "reserved", .kind = TARGETS_EXCLUDE,
							 .set = resv };
	}
	rules[nrules++] = (struct targets_rule){ .name = "--exclude", .kind = TARGETS_EXCLUDE,
						 .set = excl };
	targets_apply(s.targets, rules, nrules);
	s.never = ipset_copy(excl);
	if (resv)
		ipset_add_set(s.never, resv);
	for (size_t i = 0; i < nrules; i++)
		if (rules[i].removed)
			fprintf(stderr, "relaywatch scan: %llu address(es) excluded by %s%s\n",
				(unsigned long long)rules[i].removed, rules[i].name,
				i == 0 && resv ? " (--allow-reserved to test them)" : "");
	build_spans(&s);
	if (!have_seed) {
		unsigned char rnd[8];
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && read(fd, rnd, sizeof(rnd)) == (ssize_t)sizeof(rnd))
			memcpy(&seed, rnd, sizeof(seed));
		else
			seed = (unsigned long long)probeopt_now_ms() ^ (unsigned long long)getpid();
		if (fd >= 0)
			close(fd);
	}
	if ((e = permute_init(&s.pm, s.total, seed)) != NULL) {
		fprintf(stderr, "relaywatch scan: %s\n", e);
		rc = EXIT_USAGE;
		goto early;
	}
	fprintf(stderr, "relaywatch scan: %llu target(s) x port(s), seed %llu\n",
		(unsigned long long)s.total, seed);
	if (s.total == 0) {
		fprintf(stderr, "relaywatch scan: nothing to scan\n");
		rc = EXIT_CLEAN;
		goto early;
	}
	if (dry) {
		dry_run(&s);
		rc = EXIT_CLEAN;
		goto early;
	}

	if (token_key_load(cfg->token_key, 1, &s.key, err, sizeof(err)) < 0) {
		fprintf(stderr, "relaywatch scan: %s\n", err);
		rc = EXIT_RUNTIME;
		goto early;
	}
	if (cfg->helo_name)
		snprintf(s.myname, sizeof(s.myname), "%s", cfg->helo_name);
	else {
		memset(err, 0, sizeof(err));
		if (gethostname(err, sizeof(err) - 1) == 0 && strchr(err, '.') && probeopt_valid_name(err))
			snprintf(s.myname, sizeof(s.myname), "%s", err);
		else
			snprintf(s.myname, sizeof(s.myname), "relaywatch.invalid");
	}
	if (!probeopt_valid_name(s.myname)) {
		fprintf(stderr, "relaywatch scan: HELO name '%s' is not a host name or literal\n",
			s.myname);
		rc = EXIT_USAGE;
		goto early;
	}
	struct sockaddr_storage src;
	socklen_t srclen = 0;
	if (cfg->source && netaddr_numeric(cfg->source, 0, &src, &srclen) < 0) {
		fprintf(stderr, "relaywatch scan: --source %s: not a numeric address\n", cfg->source);
		rc = EXIT_USAGE;
		goto early;
	}
	fit_descriptors(&s);
	t0 = probeopt_now_ms();
	snprintf(s.scan_id, sizeof(s.scan_id), "%lld", t0 / 1000);
	if (db) {
		struct store_scan ss = { .created = t0 / 1000, .seed = seed,
					 .total = (int64_t)s.total };

		if ((s.st = store_open(db, err, sizeof(err))) == NULL) {
			fprintf(stderr, "relaywatch scan: --db %s: %s\n", db, err);
			rc = EXIT_RUNTIME;
			goto early;
		}
		json_t *jp = json_object(), *jargv = json_array();
		char *params;

		for (int i = 0; i < argc; i++)
			json_array_append_new(jargv, output_json_text(argv[i]));
		json_object_set_new(jp, "argv", jargv);
		json_object_set_new(jp, "canary", output_json_text(cfg->canary));
		json_object_set_new(jp, "battery", output_json_text(cfg->battery));
		params = json_dumps(jp, JSON_COMPACT);
		json_decref(jp);
		if (params == NULL)
			rw_panic("%s: json_dumps failed (out of memory)", __func__);
		ss.params = params;
		if (strlen(params) > 64 * 1024 || store_migrate(s.st, t0 / 1000) < 0 ||
		    store_scan_create(s.st, &ss, &s.db_id) < 0) {
			fprintf(stderr, "relaywatch scan: --db %s: %s\n", db,
				strlen(params) > 64 * 1024 ? "command line too long"
							   : store_error(s.st));
			free(params);
			rc = EXIT_RUNTIME;
			goto early;
		}
		free(params);
		snprintf(s.scan_id, sizeof(s.scan_id), "%lld", (long long)s.db_id);
		fprintf(stderr, "relaywatch scan: scan %lld in %s\n", (long long)s.db_id, db);
	}
	signal(SIGPIPE, SIG_IGN);
	s.base = event_base_new();
	if (!no_sink) {
		struct sink_config skc = {
			.listen = cfg->sink_listen, .canary = cfg->canary, .myname = s.myname,
			.key = &s.key, .token_max_age = cfg->token_max_age,
		};

		s.sink = sink_new(s.base, &skc, on_arrival, &s, err, sizeof(err));
		if (s.sink == NULL) {
			fprintf(stderr, "relaywatch scan: sink: %s\n", err);
			rc = EXIT_RUNTIME;
			goto out;
		}
	}
	s.sc = (struct sess_config){
		.canary = cfg->canary, .myname = s.myname, .operator_name = cfg->operator_name,
		.abuse_contact = cfg->abuse_contact, .scan_id = s.scan_id, .key = &s.key,
		.tls = probeopt_tls_mode(cfg->tls), .battery = bat, .nbattery = nbat,
		.connect_timeout_ms = cfg->connect_timeout * 1000,
		.banner_timeout_ms = cfg->banner_timeout * 1000,
		.reply_timeout_ms = cfg->reply_timeout * 1000,
		.session_timeout_ms = cfg->session_timeout * 1000,
		.greylist_delay_ms = cfg->greylist_delay * 1000,
		.greylist_rounds = RW_GREYLIST_ROUNDS_MAX, .reconnect_max = RW_RECONNECT_MAX,
	};
	s.env = (struct probe_env){
		.base = s.base, .ssl_ctx = probe_ssl_ctx(),
		.source = srclen ? (struct sockaddr *)&src : NULL, .source_len = srclen,
		.session_timeout_ms = cfg->session_timeout * 1000,
	};
	bucket_init(&s.bucket, rate, rate ? (rate < 100 ? rate : 100) : 1, (uint64_t)t0);
	s.subnets = subnet_new(&sl);
	s.fill_timer = evtimer_new(s.base, on_fill_timer, &s);
	if (s.st) {
		struct timeval ftv = { .tv_sec = RW_SCAN_FLUSH_MS / 1000,
				       .tv_usec = (RW_SCAN_FLUSH_MS % 1000) * 1000 };

		s.flush_timer = event_new(s.base, -1, EV_PERSIST, on_flush_timer, &s);
		event_add(s.flush_timer, &ftv);
	}
	s.found = tmpfile();
	if (s.found == NULL) {
		fprintf(stderr, "relaywatch scan: tmpfile: %s\n", strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	s.sigint = evsignal_new(s.base, SIGINT, on_signal, &s);
	s.sigterm = evsignal_new(s.base, SIGTERM, on_signal, &s);
	evsignal_add(s.sigint, NULL);
	evsignal_add(s.sigterm, NULL);
	s.t0 = t0;
	s.tty = isatty(STDERR_FILENO) && !stats_every;
	if (s.tty || stats_every) {
		struct timeval stv = { .tv_sec = stats_every ? (time_t)stats_every : 1 };

		s.stats_timer = event_new(s.base, -1, EV_PERSIST, on_stats, &s);
		event_add(s.stats_timer, &stv);
	}
	fill(&s);
	event_base_dispatch(s.base);
	if (s.tty) {
		on_stats(-1, 0, &s);
		fputc('\n', stderr);
	}
	if (s.st) {
		flush(&s);
		if (!s.store_failed &&
		    store_scan_state_set(s.st, s.db_id, s.stopping ? "stopped" : "done",
					 probeopt_now_ms() / 1000) < 0) {
			fprintf(stderr, "relaywatch scan: store: %s\n", store_error(s.st));
			s.store_failed = 1;
		}
	}
	if (!s.json)
		summary(&s, (double)(probeopt_now_ms() - t0) / 1000.0);
	if (s.foreign_total && !s.json)
		fprintf(stderr, "relaywatch: %lu arrival(s) at the sink did not match a test "
				"(forged, replayed, late or foreign tokens; not counted)\n",
			s.foreign_total);
	if (s.refused_never)
		rw_log(LOG_WARNING, "scan event=excluded-skipped count=%llu",
		       (unsigned long long)s.refused_never);
	if (s.stopping)
		fprintf(stderr, "relaywatch scan: stopped after %llu of %llu target(s)%s\n",
			(unsigned long long)s.done, (unsigned long long)s.total,
			s.st ? " (state \"stopped\" in the store; resume is not implemented yet)"
			     : "");
	if (s.count[V_OPEN] || s.count[V_SUSPECT])
		rc = EXIT_FOUND;
	if (s.store_failed)
		rc = EXIT_RUNTIME;
	fflush(stdout);
out:
	while (s.live) {
		struct job *j = s.live;

		s.live = j->next;
		j->probe = probe_free(j->probe);
		j->sess = sess_free(j->sess);
		if (j->wait_timer)
			event_free(j->wait_timer);
		result_clear(&j->r);
		free(j);
	}
	if (s.env.ssl_ctx)
		SSL_CTX_free(s.env.ssl_ctx);
	s.sink = sink_free(s.sink);
	if (s.fill_timer)
		event_free(s.fill_timer);
	if (s.flush_timer)
		event_free(s.flush_timer);
	if (s.stats_timer)
		event_free(s.stats_timer);
	if (s.sigint)
		event_free(s.sigint);
	if (s.sigterm)
		event_free(s.sigterm);
	s.subnets = subnet_free(s.subnets);
	if (s.found)
		fclose(s.found);
	if (s.base)
		event_base_free(s.base);
early:
	if (s.nbatch)
		flush(&s);
	s.st = store_close(s.st);
	free(s.spans);
	s.targets = targets_free(s.targets);
	ipset_free(s.never);
	ipset_free(resv);
	ipset_free(excl);
	free(av);
	return rc;
}
