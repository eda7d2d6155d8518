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
 *	become one set per port (src/scan/targets). Names and the mail hosts
 *	of --mx domains are resolved all at once before the walk starts
 *	(src/net/resolve: evdns and c-ares on one loop). Reserved blocks (unless
 *	--allow-reserved) and every --exclude file are removed before the
 *	scan space is counted; an exclusion file with a bad line refuses to
 *	start, since a skipped exclusion is a target that slips through.
 *	The space (addresses x ports) is walked by src/scan/sched: a seeded
 *	permutation, at most --concurrency sessions, a token bucket
 *	(--rate), at most --per-subnet sessions per /24 or /64, every
 *	address checked against the exclusions, the reserved blocks and the
 *	config's scope once more just before it is contacted, and one retry
 *	of a tempfailed target after --retry-after. One embedded sink serves the whole
 *	scan: arrivals are tied to a live job by their token. A job whose
 *	session ended with accepted tests waits up to --wait for their
 *	arrivals (a late arrival upgrades suspect to open), then is final;
 *	with --json each result is printed when it becomes final, so memory
 *	holds only running and waiting jobs. The human output is a table of
 *	verdicts at the end, with one line per open or suspect target.
 *
 *	With a store (--db, or the default one) the scan saves its space
 *	(src/scan/space) and seed when it starts, and every batch of final
 *	results together with the low-water mark. The progress row's counts
 *	hold one member per verdict and "inflight", the sessions open now;
 *	with no result to write it is saved alone when that number changed
 *	(at most once a second) or every RW_SCAN_PROGRESS_EVERY seconds, so
 *	the console's /metrics can tell a live scan's sessions, and the last
 *	save says 0. --resume ID rebuilds the same walk from the store,
 *	skips the positions below the mark and every target that has a
 *	result, and goes on with the options saved with the scan (options
 *	given with --resume override them); it reads the verdict members of
 *	counts back and ignores the others.
 * DIAGNOSTICS
 *	Exit 0 nothing open or suspect, 1 at least one, 2 usage or config
 *	error (bad exclusion file, no canary), 3 runtime error (key, sink).
 *	Bad target lines are reported on stderr and skipped.
 * LIMITS
 *	RW_SCAN_CONCURRENCY default sessions in flight; RW_SCAN_PER_SUBNET;
 *	RW_SCAN_SPACE_MAX (permute); RW_SCAN_NAMES_MAX names resolved;
 *	RW_SCAN_MX_MAX --mx domains; RW_SCAN_RETRY_AFTER default retry delay;
 *	RW_SCAN_PROGRESS_EVERY seconds between progress saves at most.
 * STANDARDS
 *	RFC 5321 (sessions, via src/smtp/sess), RFC 6890 (reserved blocks).
 */
#include "../core/config.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"
#include "../net/probe.h"
#include "../net/pxprobe.h"
#include "../net/resolve.h"
#include "../scan/ipset.h"
#include "../scan/permute.h"
#include "../scan/ratelimit.h"
#include "../scan/reserved.h"
#include "../scan/sched.h"
#include "../scan/space.h"
#include "../scan/targets.h"
#include "../sink/sink.h"
#include "../store/store.h"
#include "../smtp/battery.h"
#include "../smtp/sess.h"
#include "../smtp/verdict.h"
#include "arrival_store.h"
#include "cmd.h"
#include "scan_work.h"
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
#define RW_SCAN_CONCURRENCY     1000
#define RW_SCAN_CONCURRENCY_MAX 100000
#define RW_SCAN_EXCLUDES_MAX    16
/* --mx domains in one scan */
#define RW_SCAN_MX_MAX 256
/* results written per store transaction, and the longest they wait */
#define RW_SCAN_BATCH    256
#define RW_SCAN_FLUSH_MS 1000
/* the one retry of a tempfailed target: after the session's own greylist
 * rounds (RW_GREYLIST_DELAY doubling) have given up */
#define RW_SCAN_RETRY_AFTER 600

struct scan;

/* one (address, port) being tested, waiting for its arrivals, or waiting
 * for its retry */
struct job {
	struct scan *scan;
	struct job *prev, *next; /* the live list */
	struct target_result r;
	struct sess *sess;
	struct probe *probe;
	struct sess_config sc;
	struct sched_item it;    /* it.data is this job; it.probe says which kind */
	struct proxy_result *pr; /* a proxy job's result (r then only names it) */
	struct pxprobe *pp;
	struct event *wait_timer; /* waiting for arrivals */
	int retry_pending;        /* tempfailed; sched holds its retry */
	struct job *hnext;        /* the next job in its index bucket */
};

/* a final result waiting for the next store batch (strings owned) */
struct pending_result {
	char *target, *reason, *evidence;
	unsigned port;
	const char *verdict; /* static */
	const char *probe;   /* static */
	int64_t tested;
};

struct scan {
	struct event_base *base;
	struct rw_config *cfg;
	struct targets *targets;
	struct targets_ports ports;
	struct ipset *never; /* reserved + exclusions: checked before each connect */
	struct ipset *scope; /* the config's scope, or NULL */
	struct sched *sched;
	uint64_t total, seed;
	int exhausted, finishing;
	int stopping; /* SIGINT/SIGTERM: start nothing new; twice: leave now */
	struct event *fill_timer;
	unsigned waiting, retrying;
	struct job *live;
	struct job **index; /* live jobs by address and port: index_mask + 1 buckets */
	size_t index_mask;
	struct sess_config sc;
	struct probe_env env;
	struct pxprobe_env pxenv;
	struct proxy_canary pxcanary;
	struct token_key key;
	char scan_id[24];
	char myname[RW_DOMAIN_MAX + 1];
	struct sink *sink;
	int json, verbose;
	uint64_t done, done_before; /* done_before: results of the runs before a resume */
	unsigned long count[V__COUNT];
	unsigned long foreign_total;
	FILE *found;      /* open and suspect lines for the human report */
	struct store *st; /* --db, or NULL */
	const char *db;
	char db_shown[512]; /* db for messages: a URL's password masked */
	int64_t db_id;
	int store_failed;
	struct pending_result batch[RW_SCAN_BATCH];
	size_t nbatch;
	struct event *flush_timer;
	int ended;               /* the loop is over: no session is open any more */
	uint64_t saved_inflight; /* "inflight" of the last progress saved */
	long long saved_ms;      /* when it was saved (0: never) */
	struct event *sigint, *sigterm;
	struct event *stats_timer;
	struct event *poll_timer; /* --no-sink: a separate sink's arrivals in the store */
	int64_t poll_after;       /* the last arrival id read */
	int tty;                  /* stderr is a terminal: one status line in place */
	long long t0;             /* start, ms */
	/* one shard of a distributed scan (relaywatch worker): shard_id 0 =
	 * a whole scan of its own */
	int64_t shard_id;
	const char *worker;   /* the lease holder's name */
	char *vantage;        /* the shard's: the results carry it ("" otherwise) */
	long long lease_ms;   /* the claim's length; renewed every third of it */
	long long renewed_ms; /* the last renewal */
	long long beat_ms;    /* the last heartbeat */
	int lease_lost;       /* another worker holds the shard now: write nothing more */
	uint64_t full_rate;   /* the scan's --rate and --per-subnet, for all workers */
	unsigned full_subnet;
	uint64_t workers; /* live workers the share was taken for */
};

/* the last cmd_scan run was stopped by SIGINT or SIGTERM (relaywatch worker) */
static int last_run_stopped;

int cmd_scan_stopped(void)
{
	return last_run_stopped;
}

/* usage - the scan subcommand's options and exit statuses */
static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: relaywatch scan [options] TARGET...\n"
	    "       relaywatch scan [options] -iL FILE|-\n"
	    "       relaywatch scan --resume ID [--db PATH] [options]\n\n"
	    "Test whole networks for open relays (--probe proxy: open proxies). TARGET is\n"
	    "an address, a CIDR, a range "
	    "a-b, or a host name, each with an optional :port; files hold the same, or\n"
	    "masscan -oL lines, or zmap CSV.\n\n"
	    "options:\n"
	    "  -iL FILE                  read targets from FILE (- for stdin)\n"
	    "      --ports LIST          ports for targets without one (default 25; with\n"
	    "                            --probe proxy the proxy ports 80,1080,1081,3128,\n"
	    "                            6588,8000,8080,8081,8888,23)\n"
	    "      --probe LIST          smtp, proxy or smtp,proxy (default smtp): the\n"
	    "                            relay battery, the open-proxy protocols, or both\n"
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
	    "      --retry-after S       retry a tempfailed target once after S seconds\n"
	    "                            (default %d; 0: no retry)\n"
	    "      --dry-run             print the order (address port [probe]), contact\n"
	    "                            nothing\n"
	    "      --db PATH             the store for the scan and its results (default\n"
	    "                            $RELAYWATCH_DB, /var/lib/relaywatch/relaywatch.db as\n"
	    "                            root, else $XDG_DATA_HOME/relaywatch/relaywatch.db)\n"
	    "      --no-db               keep nothing (no resume)\n"
	    "      --resume ID           go on with a stopped or killed scan of the store\n"
	    "      --id-file FILE        write the store's id of this scan to FILE\n"
	    "      --shards N --no-run   plan the scan as N work units (per vantage) for\n"
	    "                            `relaywatch worker` processes; contact nothing\n"
	    "      --vantages LIST       with --shards: test every target from each of these\n"
	    "                            vantages (names the workers give with --vantage)\n"
	    "      --status ID           the progress of a scan across every worker\n"
	    "      --stats-every S       a status line on stderr every S seconds (on a\n"
	    "                            terminal one line is updated in place anyway)\n"
	    "      --canary DOMAIN       canary domain or [address] the sink accepts (required)\n"
	    "      --sink-listen A:P     where the embedded sink listens\n"
	    "      --no-sink             run no embedded sink: a separate `relaywatch sink\n"
	    "                            --db` on the same store gets the mail\n"
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
	    RW_SCAN_CONCURRENCY, RW_SCAN_PER_SUBNET, RW_SCAN_RETRY_AFTER, RW_ARRIVAL_WAIT,
	    RW_SESSION_TIMEOUT, RW_GREYLIST_DELAY);
}

static void fill(struct scan *s);

/* ---- the end of a job ------------------------------------------------ */

/* check_finished - leave the loop after a short grace once nothing is left,
 * so the sink's last "250 queued" reaches the relay that delivered */
static void check_finished(struct scan *s)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 500000};
	struct sched_stats st;

	sched_stats(s->sched, &st);
	if ((s->exhausted || s->stopping) && st.inflight == 0 && st.retry_queued == 0 &&
	    s->waiting == 0 && s->retrying == 0 && !s->finishing) {
		s->finishing = 1;
		event_base_loopexit(s->base, &tv);
	}
}

/* lose_lease - another worker claimed the shard (our lease ran out):
 * write nothing more, start nothing new, leave once the sessions end */
static void lose_lease(struct scan *s)
{
	if (s->lease_lost)
		return;
	s->lease_lost = 1;
	s->stopping = 1;
	sched_stop(s->sched);
	fprintf(stderr,
	        "relaywatch scan: shard %lld: the lease was lost (another worker holds it): "
	        "stopping\n",
	        (long long)s->shard_id);
	rw_log(LOG_WARNING, "scan event=lease-lost shard=%lld worker=%s", (long long)s->shard_id,
	       s->worker);
}

/* inflight - the sessions open now, as the progress row tells them */
static uint64_t inflight(const struct scan *s)
{
	struct sched_stats st;

	if (s->ended || s->sched == NULL)
		return 0;
	sched_stats(s->sched, &st);
	return st.inflight;
}

/* flush - the queued results and the progress they make, one transaction
 * (none queued: the progress alone). counts holds one member per verdict
 * and "inflight": sessions handed out and not yet ended (a session between
 * its greylist rounds included; jobs waiting for arrivals or for their
 * retry hold no connection and are not counted), 0 once the loop is over */
static void flush(struct scan *s)
{
	struct dbuf counts;
	uint64_t now_inflight = inflight(s);
	long long now = probeopt_now_ms();
	int ok;

	if (!s->st || s->store_failed)
		goto drop;
	dbuf_init(&counts, 1024);
	dbuf_add(&counts, "{", 1);
	for (int v = 0; v < V__COUNT; v++)
		dbuf_printf(&counts, "%s\"%s\":%lu", v ? "," : "", verdict_name((enum verdict)v),
		            s->count[v]);
	dbuf_printf(&counts, ",\"inflight\":%llu}", (unsigned long long)now_inflight);
	ok = store_batch_begin(s->st, 0) == 0;
	for (size_t i = 0; ok && i < s->nbatch; i++) {
		struct pending_result *p = &s->batch[i];
		struct store_result sr = {
		    .scan = s->db_id,
		    .target = p->target,
		    .port = p->port,
		    .probe = p->probe,
		    .vantage = s->vantage ? s->vantage : "",
		    .verdict = p->verdict,
		    .reason = p->reason,
		    .evidence = p->evidence,
		    .tested = p->tested,
		};

		ok = store_result_put(s->st, &sr, NULL) >= 0;
	}
	if (ok && s->shard_id) {
		/* the shard's mark, only while this worker holds it */
		int held = store_shard_save(s->st, s->shard_id, s->worker,
		                            (int64_t)sched_low_water(s->sched), (int64_t)s->done,
		                            dbuf_str(&counts), now);

		ok = held >= 0;
		if (held == 0) {
			lose_lease(s);
			store_batch_abort(s->st);
			dbuf_free(&counts);
			goto drop;
		}
	} else if (ok) {
		struct store_progress pr = {.scan = s->db_id,
		                            .position = (int64_t)sched_low_water(s->sched),
		                            .done = (int64_t)s->done,
		                            .counts = (char *)dbuf_str(&counts),
		                            .updated = now / 1000};

		ok = store_progress_save(s->st, &pr) == 0;
	}
	ok = ok ? store_batch_commit(s->st) == 0 : (store_batch_abort(s->st), 0);
	dbuf_free(&counts);
	if (!ok) {
		fprintf(stderr, "relaywatch scan: store: %s: results are no longer saved\n",
		        store_error(s->st));
		s->store_failed = 1;
	}
	s->saved_inflight = now_inflight;
	s->saved_ms = now;
drop:
	for (size_t i = 0; i < s->nbatch; i++) {
		free(s->batch[i].target);
		free(s->batch[i].reason);
		free(s->batch[i].evidence);
	}
	s->nbatch = 0;
}

/* queue_pending - keep a final result (evidence owned) for the next batch;
 * a full batch is written now */
static void queue_pending(struct scan *s, const char *addr, unsigned port, const char *probe,
                          enum verdict v, const char *reason, char *ev, long long finished)
{
	struct pending_result *p = &s->batch[s->nbatch++];

	p->target = xstrdup(addr);
	p->reason = xstrdup(reason);
	p->evidence = ev;
	p->port = port;
	p->probe = probe;
	p->verdict = verdict_name(v);
	p->tested = finished ? finished / 1000 : probeopt_now_ms() / 1000;
	if (s->nbatch == RW_SCAN_BATCH)
		flush(s);
}

/* queue_result - a relay result and its JSON evidence */
static void queue_result(struct scan *s, const struct target_result *r)
{
	char *ev = NULL;
	size_t evlen = 0;
	FILE *mem = open_memstream(&ev, &evlen);

	if (mem == NULL)
		rw_panic("%s: open_memstream: out of memory", __func__);
	output_json(mem, r, s->sc.canary, s->verbose);
	fclose(mem);
	while (evlen > 0 && ev[evlen - 1] == '\n')
		ev[--evlen] = '\0';
	queue_pending(s, r->addr, r->port, "smtp", r->verdict, r->reason, ev, r->finished);
}

static void reshare(struct scan *s);

/* keep_lease - a shard's run: renew the lease every third of its length,
 * and the worker's heartbeat (its sessions in flight) every few seconds */
static void keep_lease(struct scan *s)
{
	long long now = probeopt_now_ms();
	int r;

	if (s->lease_lost || s->store_failed)
		return;
	if (now - s->renewed_ms >= s->lease_ms / 3) {
		r = store_shard_renew(s->st, s->shard_id, s->worker, now + s->lease_ms, now);
		if (r == 0)
			lose_lease(s);
		else if (r > 0)
			s->renewed_ms = now;
		else
			rw_log(LOG_WARNING, "scan event=store-error what=lease error=\"%s\"",
			       store_error(s->st));
	}
	if (now - s->beat_ms >= RW_SCAN_PROGRESS_EVERY * 1000LL) {
		struct store_worker w = {.name = s->worker,
		                         .vantage = s->vantage,
		                         .started_ms = s->t0,
		                         .seen_ms = now,
		                         .shard = s->shard_id,
		                         .inflight = (int64_t)inflight(s)};

		if (store_worker_beat(s->st, &w) == 0)
			s->beat_ms = now;
		reshare(s);
	}
}

/* on_flush_timer - write what is queued at least every RW_SCAN_FLUSH_MS;
 * with nothing queued, the progress alone when the sessions in flight
 * changed or RW_SCAN_PROGRESS_EVERY passed, so /metrics sees the sessions
 * of a scan whose results are slow to come, and a live scan's row stays
 * younger than RW_SCAN_PROGRESS_STALE */
static void on_flush_timer(evutil_socket_t fd, short what, void *arg)
{
	struct scan *s = arg;

	(void)fd;
	(void)what;
	if (s->shard_id)
		keep_lease(s);
	if (s->nbatch || inflight(s) != s->saved_inflight || s->saved_ms == 0 ||
	    probeopt_now_ms() - s->saved_ms >= RW_SCAN_PROGRESS_EVERY * 1000LL)
		flush(s);
}

/* ---- live jobs by address and port ------------------------------------ */

/* index_bucket - FNV-1a of the address text and the port */
static struct job **index_bucket(struct scan *s, const char *addr, unsigned port)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ port) * 1099511628211ULL;
	return &s->index[h & s->index_mask];
}

/* index_add, index_del - a job enters when it starts, leaves when final */
static void index_add(struct scan *s, struct job *j)
{
	struct job **b = index_bucket(s, j->r.addr, j->r.port);

	j->hnext = *b;
	*b = j;
}

static void index_del(struct scan *s, struct job *j)
{
	for (struct job **pp = index_bucket(s, j->r.addr, j->r.port); *pp; pp = &(*pp)->hnext)
		if (*pp == j) {
			*pp = j->hnext;
			return;
		}
}

/* finalize_proxy - count, report and store a proxy result, then free it */
static void finalize_proxy(struct scan *s, struct proxy_result *pr)
{
	s->count[pr->verdict]++;
	s->done++;
	if (s->json) {
		output_proxy_json(stdout, pr, s->verbose);
		fflush(stdout);
	} else if (pr->verdict == V_OPEN || pr->verdict == V_SUSPECT) {
		fprintf(s->found, "%-8s %s  proxy: %s\n", verdict_name(pr->verdict), pr->target,
		        pr->reason);
	}
	if (s->st)
		queue_pending(s, pr->addr, pr->port, "proxy", pr->verdict, pr->reason,
		              output_proxy_json_str(pr, s->verbose), pr->finished);
	presult_clear(pr);
	free(pr);
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
	if (j->pr) {
		finalize_proxy(s, j->pr);
		j->pr = NULL;
	} else {
		verdict_decide(r);
		s->count[r->verdict]++;
		s->done++;
		if (s->json) {
			output_json(stdout, r, s->sc.canary, s->verbose);
			fflush(stdout);
		} else if (r->verdict == V_OPEN || r->verdict == V_SUSPECT) {
			fprintf(s->found, "%-8s %s  %s\n", verdict_name(r->verdict), r->target,
			        r->reason);
		}
		if (s->st)
			queue_result(s, r);
	}
	sched_final(s->sched, &j->it);
	index_del(s, j);
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

/* on_probe_done - the session is over: wait for its arrivals, queue its
 * one retry when it only got 4xx answers, or finish it */
static void on_probe_done(struct probe *p, void *arg)
{
	struct job *j = arg;
	struct scan *s = j->scan;
	long long now = probeopt_now_ms();

	j->probe = probe_free(p);
	j->r.finished = now;
	sched_end(s->sched, &j->it);
	rw_debug("scan target=%s port=%u event=session-done end=%s", j->r.addr, j->r.port,
	         sess_end_name(j->r.end));
	if ((s->sink || s->poll_timer) && s->cfg->wait > 0 && result_accepted(&j->r) > 0) {
		struct timeval tv = {.tv_sec = s->cfg->wait, .tv_usec = 0};

		j->wait_timer = evtimer_new(s->base, on_wait_over, j);
		evtimer_add(j->wait_timer, &tv);
		s->waiting++;
	} else {
		verdict_decide(&j->r);
		if (j->r.verdict == V_TEMPFAIL && !s->stopping &&
		    sched_retry(s->sched, &j->it, (uint64_t)now)) {
			rw_log(LOG_INFO, "scan target=%s port=%u event=retry-queued reason=\"%s\"",
			       j->r.addr, j->r.port, j->r.reason);
			j->sess = sess_free(j->sess);
			j->retry_pending = 1;
			s->retrying++;
		} else {
			finalize(j);
		}
	}
	fill(s);
}

/* on_pxprobe_done - a proxy job is over: no arrivals to wait for, no retry */
static void on_pxprobe_done(struct pxprobe *p, void *arg)
{
	struct job *j = arg;
	struct scan *s = j->scan;

	j->pp = pxprobe_free(p);
	j->r.finished = probeopt_now_ms();
	sched_end(s->sched, &j->it);
	rw_debug("scan target=%s port=%u probe=proxy event=done verdict=%s", j->r.addr, j->r.port,
	         verdict_name(j->pr->verdict));
	finalize(j);
	fill(s);
}

/* ---- arrivals -------------------------------------------------------- */

/* save_arrival - every message the sink accepted, tied to this scan when
 * its token names it */
static void save_arrival(struct scan *s, const struct arrival *a)
{
	/* any scan of the store the token names: another node's test is
	 * proven by this sink too (its worker ties it through the store) */
	if (arrival_store_put(s->st, a, arrival_store_scan(a), NULL) < 0)
		rw_log(LOG_WARNING, "scan event=store-error what=arrival error=\"%s\"",
		       store_error(s->st));
}

/* tie_arrival - give a valid token of this scan to its live job's test;
 * 0 when no live test waits for it */
static int tie_arrival(struct scan *s, const struct arrival *a)
{
	if (strcmp(a->fields.scan, s->scan_id) != 0)
		return 0;
	for (struct job *j = *index_bucket(s, a->fields.target, a->fields.port); j; j = j->hnext) {
		struct target_result *r = &j->r;
		struct test_result *t;

		if (r->port != a->fields.port || strcmp(r->addr, a->fields.target) != 0 ||
		    (t = result_take_arrival(r, a)) == NULL)
			continue;
		rw_log(LOG_INFO, "scan target=%s port=%u event=%s test=%s peer=%s", r->addr,
		       r->port, a->quoted ? "bounce" : "arrival", t->test->id, a->peer);
		/* every accepted test accounted for: final now */
		if (j->wait_timer && result_accepted(r) == 0)
			finalize(j);
		return 1;
	}
	return 0;
}

/* on_arrival - the embedded sink's arrivals: stored, and tied to a live
 * job's test when the token is this scan's; the rest is foreign */
static void on_arrival(const struct arrival *a, void *arg)
{
	struct scan *s = arg;

	if (s->st && !s->store_failed)
		save_arrival(s, a);
	if (tie_arrival(s, a))
		return;
	s->foreign_total++;
	rw_log(LOG_NOTICE, "scan event=foreign-arrival peer=%s token_status=%s replayed=%d",
	       a->peer, a->token[0] ? token_status_name(a->token_status) : "none", a->replayed);
}

/* token_scan_is - the stored token's scan field is scan_id */
static int token_scan_is(const char *tok, const char *scan_id)
{
	size_t n = strlen(scan_id);

	return tok && strncmp(tok, "rw1-", 4) == 0 && strncmp(tok + 4, scan_id, n) == 0 &&
	       tok[4 + n] == '-';
}

/* on_poll - --no-sink with a store: the arrivals a separate `relaywatch
 * sink --db` recorded for this scan, tied like the embedded sink's */
static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct scan *s = arg;
	struct store_arrivals l = {0};

	(void)fd;
	(void)what;
	if (s->store_failed)
		return;
	if (store_arrivals_since(s->st, s->db_id, s->poll_after, 0, &l) < 0) {
		rw_log(LOG_WARNING, "scan event=store-error what=arrivals error=\"%s\"",
		       store_error(s->st));
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct store_arrival *sa = &l.v[i];
		struct arrival a = {
		    .time = sa->arrived, .token_status = TOKEN_VALID, .quoted = !sa->relayed};
		json_t *rcv;
		size_t k;
		json_t *v;

		s->poll_after = sa->id;
		/* the token's own scan field: a vantage's tests are its own */
		if (!token_scan_is(sa->token, s->scan_id))
			continue;
		rcv = json_loads(sa->received ? sa->received : "[]", 0, NULL);
		snprintf(a.peer, sizeof(a.peer), "%s", sa->peer);
		snprintf(a.token, sizeof(a.token), "%s", sa->token);
		snprintf(a.fields.scan, sizeof(a.fields.scan), "%s", s->scan_id);
		snprintf(a.fields.target, sizeof(a.fields.target), "%s", sa->target);

		snprintf(a.fields.test, sizeof(a.fields.test), "%s", sa->test);
		a.fields.port = sa->port;
		json_array_foreach(rcv, k, v)
		{
			if (a.nreceived < RW_RECEIVED_MAX && json_is_string(v))
				a.received[a.nreceived++] = xstrdup(json_string_value(v));
		}
		json_decref(rcv);
		/* a shard with its own sink polls too: what that sink tied
		 * already comes back here, and is no stranger */
		if (!tie_arrival(s, &a) && !(s->shard_id && s->sink))
			s->foreign_total += sa->relayed != 0;
		arrival_clear(&a);
	}
	store_arrivals_free(&l);
}

/* ---- the scheduler --------------------------------------------------- */

/* start_job - a session and probe for an item the scheduler handed out;
 * a retry reuses its job, whose first result it replaces */
static void start_job(struct scan *s, const struct sched_item *it)
{
	struct job *j = it->retry ? it->data : NULL;
	struct target_result *r;

	if (j) {
		j->retry_pending = 0;
		s->retrying--;
		result_clear(&j->r);
	} else {
		j = xcalloc(1, sizeof(*j));
		j->scan = s;
		j->next = s->live;
		if (s->live)
			s->live->prev = j;
		s->live = j;
	}
	r = &j->r;
	result_init(r);
	ipset_addr_text(&it->addr, r->addr, sizeof(r->addr));
	r->port = it->port;
	snprintf(r->target, sizeof(r->target), it->addr.fam == IPSET_V6 ? "[%s]:%u" : "%s:%u",
	         r->addr, r->port);
	j->it = *it;
	j->it.data = j;
	if (!it->retry)
		index_add(s, j);
	r->started = probeopt_now_ms();
	if (it->probe == TARGETS_PROBE_PROXY) {
		j->pr = xcalloc(1, sizeof(*j->pr));
		presult_init(j->pr);
		snprintf(j->pr->target, sizeof(j->pr->target), "%s", r->target);
		snprintf(j->pr->addr, sizeof(j->pr->addr), "%s", r->addr);
		j->pr->port = r->port;
		j->pp = pxprobe_start(&s->pxenv, j->pr, (struct sockaddr *)&j->it.ss, j->it.sslen,
		                      on_pxprobe_done, j);
		return;
	}
	j->sc = s->sc;
	j->sc.implicit_tls = r->port == 465;
	j->sess = sess_new(&j->sc, r, probeopt_now_ms());
	j->probe = probe_start(&s->env, j->sess, (struct sockaddr *)&j->it.ss, j->it.sslen,
	                       on_probe_done, j);
}

/* on_fill_timer - the bucket has a token again, or a retry is due */
static void on_fill_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fill(arg);
}

/* fill - start sessions while the scheduler allows; a retry that will not
 * run (stopped, or excluded since) makes its first result final */
static void fill(struct scan *s)
{
	struct sched_item it;
	uint64_t wait;

	while (!s->finishing) {
		enum sched_step st = sched_next(s->sched, (uint64_t)probeopt_now_ms(), &it, &wait);

		if (st == SCHED_GO) {
			start_job(s, &it);
			continue;
		}
		if (st == SCHED_DROP) {
			struct job *j = it.data;

			j->retry_pending = 0;
			s->retrying--;
			finalize(j);
			continue;
		}
		if (st == SCHED_WAIT) {
			struct timeval tv = {.tv_sec = (time_t)(wait / 1000),
			                     .tv_usec = (suseconds_t)(wait % 1000) * 1000};

			evtimer_add(s->fill_timer, &tv);
		}
		s->exhausted = st == SCHED_DONE;
		break;
	}
	check_finished(s);
}

/* on_stats - the status line: elapsed, done/total, rate, in flight, open,
 * suspect, ETA; in place on a terminal, one line each time otherwise */
static void on_stats(evutil_socket_t fd, short what, void *arg)
{
	struct scan *s = arg;
	double secs = (double)(probeopt_now_ms() - s->t0) / 1000.0;
	double rate = secs > 0 ? (double)(s->done - s->done_before) / secs : 0;
	char eta[32] = "-";
	struct sched_stats st;

	(void)fd;
	(void)what;
	sched_stats(s->sched, &st);
	if (rate > 0 && s->total > s->done) {
		unsigned long long left = (unsigned long long)((double)(s->total - s->done) / rate);

		snprintf(eta, sizeof(eta), "%llum%02llus", left / 60, left % 60);
	}
	fprintf(stderr,
	        "%s%.0fs %llu/%llu done, %.1f/s, %llu in flight, %u waiting, %u to retry, "
	        "%lu open, %lu suspect, ETA %s%s",
	        s->tty ? "\r" : "relaywatch scan: ", secs, (unsigned long long)s->done,
	        (unsigned long long)s->total, rate, (unsigned long long)st.inflight, s->waiting,
	        s->retrying, s->count[V_OPEN], s->count[V_SUSPECT], eta, s->tty ? "\033[K" : "\n");
}

/* on_signal - the first SIGINT or SIGTERM lets running sessions and their
 * waits end and starts nothing new; the second leaves at once */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct scan *s = arg;
	struct sched_stats st;

	(void)what;
	sched_stats(s->sched, &st);
	if (s->stopping) {
		fprintf(stderr, "relaywatch scan: stopping now; %llu session(s) abandoned\n",
		        (unsigned long long)st.inflight + s->waiting);
		event_base_loopexit(s->base, NULL);
		return;
	}
	s->stopping = 1;
	fprintf(stderr,
	        "relaywatch scan: %s: finishing %llu running session(s) and %u wait(s); "
	        "again to stop at once\n",
	        sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)st.inflight, s->waiting);
	sched_stop(s->sched);
	fill(s); /* the queued retries' first results become final */
}

/* dry_run - the walk, one "address port" per line, nothing contacted */
static int dry_run(struct scan *s)
{
	struct permute pm;
	uint64_t idx;
	struct ipset_addr a;
	unsigned port, probe;
	char text[64];

	if (permute_init(&pm, s->total, s->seed) != NULL)
		return -1;
	while (permute_next(&pm, &idx) == 0) {
		if (sched_locate_probe(s->sched, idx, &a, &port, &probe) < 0)
			rw_panic("%s: index outside the scan space", __func__);
		if (ipset_contains(s->never, &a) || (s->scope && !ipset_contains(s->scope, &a)))
			continue;
		/* relay-only scans print what they always printed */
		if (s->ports.gprobes & ~(1u << TARGETS_PROBE_SMTP))
			printf("%s %u %s\n", ipset_addr_text(&a, text, sizeof(text)), port,
			       targets_probe_name(probe));
		else
			printf("%s %u\n", ipset_addr_text(&a, text, sizeof(text)), port);
	}
	fflush(stdout);
	return 0;
}

/* ---- set-up ---------------------------------------------------------- */

/* fit_descriptors - raise the open-file limit to its hard maximum and keep
 * --concurrency below it (a session holds one socket, the sink up to
 * RW_SCAN_FD_SPARE others with the store and the loop) */
#define RW_SCAN_FD_SPARE 1100
static void fit_descriptors(unsigned *concurrency)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)*concurrency + RW_SCAN_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < want) {
		rl.rlim_cur =
		    rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		unsigned fit = rl.rlim_cur > 2 * RW_SCAN_FD_SPARE
		                   ? (unsigned)(rl.rlim_cur - RW_SCAN_FD_SPARE)
		                   : (unsigned)(rl.rlim_cur / 2);

		fprintf(stderr,
		        "relaywatch scan: open-file limit %llu: --concurrency %u lowered to %u\n",
		        (unsigned long long)rl.rlim_cur, *concurrency, fit ? fit : 1);
		*concurrency = fit ? fit : 1;
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
	r = (struct ipset_range){.fam = a.fam, .lo = a.v, .hi = a.v};
	if ((err = targets_add(s->targets, &r, req->port)) != NULL)
		fprintf(stderr, "relaywatch scan: %s: %s: %s\n", req->where, host, err);
}

/* on_unresolved - a name that gave no address: said, and skipped */
static void on_unresolved(void *arg, const struct resolve_req *req, const char *why)
{
	fprintf(stderr, "relaywatch scan: %s: cannot resolve %s: %s\n", req->where, req->name, why);
}

/* resolve_names - A/AAAA for each name and the mail hosts of each --mx
 * domain, all at once before the scan starts (src/net/resolve); every
 * address is added on its name's port */
static void resolve_names(struct scan *s, const char *const *mx, size_t nmx)
{
	const struct targets_name *nm;
	size_t n, k = 0;
	struct resolve_req *reqs;
	struct nslist servers = {0};
	struct resolve_opts o = {.timeout = (unsigned)s->cfg->dns_timeout};
	struct resolve_cb cb = {.on_addr = on_resolved, .on_error = on_unresolved, .arg = s};
	struct resolve_stats st;
	char err[256];

	nm = targets_names(s->targets, &n);
	if (n > RW_SCAN_NAMES_MAX)
		n = RW_SCAN_NAMES_MAX;
	if (n + nmx == 0)
		return;
	reqs = xcalloc(n + nmx, sizeof(*reqs));
	for (size_t i = 0; i < n; i++)
		reqs[k++] = (struct resolve_req){.name = nm[i].name,
		                                 .port = nm[i].port,
		                                 .kind = RESOLVE_HOST,
		                                 .where = nm[i].where};
	for (size_t i = 0; i < nmx; i++)
		reqs[k++] =
		    (struct resolve_req){.name = mx[i], .kind = RESOLVE_MX, .where = "--mx"};
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
	if (s->done_before)
		printf("(%llu of them before the resume: relaywatch results %lld --db %s)\n",
		       (unsigned long long)s->done_before, (long long)s->db_id, s->db_shown);
	if (ftell(s->found) > 0) {
		putchar('\n');
		rewind(s->found);
		while ((n = fread(buf, 1, sizeof(buf), s->found)) > 0)
			fwrite(buf, 1, n, stdout);
	}
}

/* ---- options --------------------------------------------------------- */

enum {
	O_INPUT = PO__NEXT,
	O_PORTS,
	O_EXCLUDE,
	O_RESERVED,
	O_CONC,
	O_RATE,
	O_PERSUB,
	O_SEED,
	O_DB,
	O_NODB,
	O_RESUME,
	O_RETRY,
	O_DRY,
	O_STATS,
	O_MX,
	O_DNS,
	O_IDFILE,
	O_PROBE,
	O_SHARDS,
	O_VANTAGES,
	O_NORUN,
	O_STATUS,
	O_SHARDID,
	O_WORKER,
	O_LEASE
};

static const struct option scan_opts[] = {
    PROBEOPT_OPTIONS,
    {"input-list", required_argument, NULL, O_INPUT},
    {"ports", required_argument, NULL, O_PORTS},
    {"exclude", required_argument, NULL, O_EXCLUDE},
    {"excludefile", required_argument, NULL, O_EXCLUDE},
    {"allow-reserved", no_argument, NULL, O_RESERVED},
    {"concurrency", required_argument, NULL, O_CONC},
    {"rate", required_argument, NULL, O_RATE},
    {"per-subnet", required_argument, NULL, O_PERSUB},
    {"seed", required_argument, NULL, O_SEED},
    {"db", required_argument, NULL, O_DB},
    {"no-db", no_argument, NULL, O_NODB},
    {"resume", required_argument, NULL, O_RESUME},
    {"retry-after", required_argument, NULL, O_RETRY},
    {"dry-run", no_argument, NULL, O_DRY},
    {"stats-every", required_argument, NULL, O_STATS},
    {"mx", required_argument, NULL, O_MX},
    {"dns-server", required_argument, NULL, O_DNS},
    {"id-file", required_argument, NULL, O_IDFILE},
    {"probe", required_argument, NULL, O_PROBE},
    {"shards", required_argument, NULL, O_SHARDS},
    {"vantages", required_argument, NULL, O_VANTAGES},
    {"no-run", no_argument, NULL, O_NORUN},
    {"status", required_argument, NULL, O_STATUS},
    {"shard-id", required_argument, NULL, O_SHARDID},
    {"worker", required_argument, NULL, O_WORKER},
    {"lease", required_argument, NULL, O_LEASE},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* what the command line asks for (the probing options go to the config) */
struct scan_opts {
	const char *inputs[RW_SCAN_EXCLUDES_MAX], *excludes[RW_SCAN_EXCLUDES_MAX];
	size_t ninputs, nexcludes;
	const char *targets[RW_SCAN_EXCLUDES_MAX * 4]; /* positional, borrowed */
	size_t ntargets;
	int ntargets_over;
	const char *mx[RW_SCAN_MX_MAX]; /* --mx domains */
	size_t nmx;
	struct probeopt_flags pf;
	struct targets_ports ports;
	int ports_given; /* --ports: every probe on these */
	unsigned probes; /* --probe: 1 << enum targets_probe */
	struct subnet_limits sl;
	int verbose, allow_reserved, dry, have_seed, no_db, help;
	unsigned concurrency;
	unsigned long long rate, seed, stats_every, retry_after, resume;
	const char *db;
	const char *id_file; /* --id-file: the store's scan id is written there */
	/* distributed scans: --shards N --no-run plans; --status ID reports;
	 * --shard-id with --resume and --worker runs one shard (relaywatch worker) */
	unsigned long long shards, status, shard_id, lease;
	int no_run;
	const char *vantages, *worker;
};

/* write_id_file - "ID\n" into path, whole or not at all (temp + rename) */
static int write_id_file(const char *path, const char *id)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *fp = fopen(tmp, "w");
	int rv = -1;

	if (fp != NULL) {
		int bad = fprintf(fp, "%s\n", id) < 0;
		if (fclose(fp) == 0 && !bad && rename(tmp, path) == 0)
			rv = 0;
	}
	if (rv < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
	}
	free(tmp);
	return rv;
}

/* parse_opts - one pass over av (argv with -iL renamed); 0, or -1 after a
 * message on stderr */
static int parse_probes(const char *list, unsigned *mask);

static int parse_opts(int argc, char **av, struct rw_config *cfg, struct scan_opts *o)
{
	int c;
	unsigned long long v;
	const char *e;

	optind = 0; /* glibc: start afresh (parsed twice on --resume) */
	while ((c = getopt_long(argc, av, "vh", scan_opts, NULL)) != -1) {
		int taken = probeopt_take(c, optarg, cfg, &o->pf, "scan");

		if (taken < 0)
			return -1;
		if (taken)
			continue;
		switch (c) {
		case 'v':
			o->verbose++;
			break;
		case 'h':
			o->help = 1;
			break;
		case O_RESERVED:
			o->allow_reserved = 1;
			break;
		case O_DB:
			o->db = optarg;
			o->no_db = 0;
			break;
		case O_NODB:
			o->no_db = 1;
			break;
		case O_DRY:
			o->dry = 1;
			break;
		case O_INPUT:
		case O_EXCLUDE:
			if ((c == O_INPUT ? o->ninputs : o->nexcludes) >= RW_SCAN_EXCLUDES_MAX) {
				fprintf(stderr, "relaywatch scan: at most %d files per option\n",
				        RW_SCAN_EXCLUDES_MAX);
				return -1;
			}
			if (c == O_INPUT)
				o->inputs[o->ninputs++] = optarg;
			else
				o->excludes[o->nexcludes++] = optarg;
			break;
		case O_MX:
			if (o->nmx >= RW_SCAN_MX_MAX || !probeopt_valid_name(optarg) ||
			    optarg[0] == '[') {
				fprintf(stderr, "relaywatch scan: --mx %s: %s\n", optarg,
				        o->nmx >= RW_SCAN_MX_MAX ? "too many --mx"
				                                 : "not a domain");
				return -1;
			}
			o->mx[o->nmx++] = optarg;
			break;
		case O_DNS:
			if ((e = config_set(cfg, "dns_servers", optarg)) != NULL) {
				fprintf(stderr, "relaywatch scan: --dns-server %s: %s\n", optarg,
				        e);
				return -1;
			}
			break;
		case O_PORTS:
			if ((e = targets_ports_parse(optarg, &o->ports)) != NULL) {
				fprintf(stderr, "relaywatch scan: --ports %s: %s\n", optarg, e);
				return -1;
			}
			o->ports_given = 1;
			break;
		case O_PROBE:
			if (parse_probes(optarg, &o->probes) < 0)
				return -1;
			break;
		case O_CONC:
		case O_RATE:
		case O_PERSUB:
		case O_SEED:
		case O_STATS:
		case O_RETRY:
		case O_RESUME:
			if (number(optarg, c == O_CONC || c == O_STATS || c == O_RESUME ? 1 : 0,
			           c == O_CONC                    ? RW_SCAN_CONCURRENCY_MAX
			           : c == O_PERSUB                ? 1000000
			           : c == O_RATE                  ? (1ULL << 40)
			           : c == O_STATS || c == O_RETRY ? 86400
			           : c == O_RESUME                ? INT64_MAX
			                                          : UINT64_MAX,
			           &v) < 0) {
				const char *name = "?";

				for (const struct option *op = scan_opts; op->name; op++)
					if (op->val == c)
						name = op->name;
				fprintf(stderr, "relaywatch scan: --%s %s: not a valid number\n",
				        name, optarg);
				return -1;
			}
			if (c == O_CONC)
				o->concurrency = (unsigned)v;
			else if (c == O_RATE)
				o->rate = v;
			else if (c == O_PERSUB)
				o->sl.per_subnet = (unsigned)v;
			else if (c == O_STATS)
				o->stats_every = v;
			else if (c == O_RETRY)
				o->retry_after = v;
			else if (c == O_RESUME)
				o->resume = v;
			else
				o->seed = v, o->have_seed = 1;
			break;
		case O_IDFILE:
			o->id_file = optarg;
			break;
		case O_NORUN:
			o->no_run = 1;
			break;
		case O_VANTAGES:
			o->vantages = optarg;
			break;
		case O_WORKER:
			o->worker = optarg;
			break;
		case O_SHARDS:
		case O_STATUS:
		case O_SHARDID:
		case O_LEASE:
			if (number(optarg, 1,
			           c == O_SHARDS  ? RW_STORE_SHARDS_MAX
			           : c == O_LEASE ? 3600
			                          : INT64_MAX,
			           &v) < 0) {
				fprintf(stderr, "relaywatch scan: %s %s: not a valid number\n",
				        c == O_SHARDS   ? "--shards"
				        : c == O_STATUS ? "--status"
				        : c == O_LEASE  ? "--lease"
				                        : "--shard-id",
				        optarg);
				return -1;
			}
			if (c == O_SHARDS)
				o->shards = v;
			else if (c == O_STATUS)
				o->status = v;
			else if (c == O_LEASE)
				o->lease = v;
			else
				o->shard_id = v;
			break;
		case '?':
		default:
			usage(stderr);
			return -1;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (o->ntargets == sizeof(o->targets) / sizeof(o->targets[0])) {
			o->ntargets_over = 1;
			break;
		}
		o->targets[o->ntargets++] = av[i];
	}
	return 0;
}

/* parse_probes - "smtp", "proxy", "smtp,proxy"; -1 after a message */
static int parse_probes(const char *list, unsigned *mask)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		char name[16];
		int k;

		snprintf(name, sizeof(name), "%.*s", (int)(n < 15 ? n : 15), p);
		if ((k = targets_probe_by_name(name)) < 0) {
			fprintf(stderr,
			        "relaywatch scan: --probe %s: unknown probe '%s' (smtp, proxy)\n",
			        list, name);
			return -1;
		}
		*mask |= 1u << k;
		p += n + (p[n] == ',');
	}
	if (*mask == 0) {
		fprintf(stderr, "relaywatch scan: --probe: empty list\n");
		return -1;
	}
	return 0;
}

/* cmp_pair - (port, probe) ascending */
static int cmp_pair(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* probe_ports - the (port, probe) pairs of the scan: with --ports each
 * probe on each port; without, each probe on its own default ports (25
 * for smtp, proxy_default_ports() for proxy). -1 after a message. */
static int probe_ports(struct scan_opts *o)
{
	unsigned pairs[2 * RW_SCAN_PORTS_MAX], mask = o->probes ? o->probes : 1u;
	size_t n = 0;
	struct targets_ports out = {.gprobes = mask};
	const char *e;

	if (o->ports_given || mask == 1u) {
		if ((e = targets_ports_probes(&o->ports, mask, &out)) != NULL) {
			fprintf(stderr, "relaywatch scan: --ports x --probe: %s\n", e);
			return -1;
		}
		o->ports = out;
		return 0;
	}
	if (mask & (1u << TARGETS_PROBE_SMTP))
		pairs[n++] = 25u << 8 | TARGETS_PROBE_SMTP;
	if (mask & (1u << TARGETS_PROBE_PROXY)) {
		unsigned short dp[RW_SCAN_PORTS_MAX];
		size_t k = proxy_default_ports(dp, RW_SCAN_PORTS_MAX);

		for (size_t i = 0; i < k; i++)
			pairs[n++] = (unsigned)dp[i] << 8 | TARGETS_PROBE_PROXY;
	}
	qsort(pairs, n, sizeof(pairs[0]), cmp_pair);
	for (size_t i = 0; i < n && out.n < RW_SCAN_PORTS_MAX; i++) {
		out.port[out.n] = (unsigned short)(pairs[i] >> 8);
		out.probe[out.n++] = (unsigned char)(pairs[i] & 0xff);
	}
	o->ports = out;
	return 0;
}

/* opts_defaults - before any pass */
static void opts_defaults(struct scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	subnet_limits_defaults(&o->sl);
	o->ports.n = 1;
	o->ports.port[0] = 25;
	o->concurrency = RW_SCAN_CONCURRENCY;
	o->retry_after = RW_SCAN_RETRY_AFTER;
}

/* params_json - what is saved with the scan: the command line (options a
 * resume applies again), the settings that decide verdicts, the space */
static char *params_json(int argc, char **argv, const struct rw_config *cfg, struct targets *t,
                         const struct targets_ports *ports)
{
	json_t *jp = json_object(), *jargv = json_array();
	char *params;

	for (int i = 0; i < argc; i++)
		json_array_append_new(jargv, output_json_text(argv[i]));
	json_object_set_new(jp, "argv", jargv);
	json_object_set_new(jp, "canary", output_json_text(cfg->canary));
	json_object_set_new(jp, "battery", output_json_text(cfg->battery));
	json_object_set_new(jp, "space", space_to_json(t, ports));
	params = json_dumps(jp, JSON_COMPACT);
	json_decref(jp);
	if (params == NULL)
		rw_panic("%s: json_dumps failed (out of memory)", __func__);
	return params;
}

/* resume_argv - the saved command line followed by this one (whose options
 * then win); owned array of borrowed strings (from *saved and argv) */
static char **resume_argv(const json_t *jargv, int argc, char **argv, int *n)
{
	size_t ns = json_array_size(jargv);
	char **av = xcalloc(ns + (size_t)argc + 2, sizeof(*av));
	int k = 0;

	av[k++] = argv[0];
	for (size_t i = 1; i < ns; i++) {
		const char *a = json_string_value(json_array_get(jargv, i));

		if (a == NULL)
			continue;
		av[k++] = strcmp(a, "-iL") == 0 ? "--input-list" : (char *)a;
	}
	for (int i = 1; i < argc; i++)
		av[k++] = strcmp(argv[i], "-iL") == 0 ? "--input-list" : argv[i];
	*n = k;
	return av;
}

/* on_done_key, on_done_proxy - resume: a target with a result of that
 * probe is not tested again with it */
static void on_done_key(void *arg, const char *target, unsigned port)
{
	struct ipset_addr a;

	if (ipset_addr_parse(target, &a) == 0)
		sched_skip(arg, &a, port);
}

static void on_done_proxy(void *arg, const char *target, unsigned port)
{
	struct ipset_addr a;

	if (ipset_addr_parse(target, &a) == 0)
		sched_skip_probe(arg, &a, port, TARGETS_PROBE_PROXY);
}

/* ---- one shard of a distributed scan (relaywatch worker) --------------- */

/* load_shard - the shard --shard-id names, held by --worker: into *out and
 * s; -1 after a message */
static int load_shard(struct scan *s, const struct scan_opts *o, struct store_shard *out)
{
	struct store_shards l;
	int rc = -1, found = 0;

	if (store_shards_list(s->st, s->db_id, &l) < 0) {
		fprintf(stderr, "relaywatch scan: --db %s: %s\n", s->db, store_error(s->st));
		return -1;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct store_shard *h = &l.v[i];

		if (h->id != (int64_t)o->shard_id)
			continue;
		found = 1;
		if (strcmp(h->state, "claimed") != 0 || strcmp(h->worker, o->worker) != 0) {
			fprintf(stderr,
			        "relaywatch scan: shard %lld of scan %lld is %s by '%s', not "
			        "claimed by %s\n",
			        (long long)h->id, (long long)s->db_id, h->state, h->worker,
			        o->worker);
			break;
		}
		*out = *h;
		memset(h, 0, sizeof(*h)); /* moved */
		s->shard_id = out->id;
		s->worker = o->worker;
		s->vantage = xstrdup(out->vantage);
		s->lease_ms = (long long)(o->lease ? o->lease : RW_WORKER_LEASE) * 1000;
		s->renewed_ms = probeopt_now_ms();
		rc = 0;
		break;
	}
	if (!found)
		fprintf(stderr, "relaywatch scan: scan %lld has no shard %llu\n",
		        (long long)s->db_id, o->shard_id);
	store_shards_free(&l);
	return rc;
}

/* live_workers - the workers seen within RW_WORKER_LIVE, this one included */
static uint64_t live_workers(struct scan *s)
{
	struct store_workers l;
	long long now = probeopt_now_ms();
	uint64_t n = 0;

	if (store_workers_list(s->st, now - RW_WORKER_LIVE * 1000LL, &l) == 0) {
		for (size_t i = 0; i < l.n; i++)
			n += strcmp(l.v[i].name, s->worker) != 0;
		store_workers_free(&l);
	}
	return n + 1;
}

/* share_of - the scan's rate (rounded up) and per-subnet cap (at least 1)
 * divided among n workers */
static void share_of(const struct scan *s, uint64_t n, uint64_t *rate, unsigned *subnet)
{
	*rate = s->full_rate ? (s->full_rate + n - 1) / n : 0;
	*subnet = s->full_subnet ? (s->full_subnet / n ? s->full_subnet / (unsigned)n : 1) : 0;
}

/* share_limits - the scan's rate and per-subnet cap are for all its
 * workers together: each of the n live ones takes its share (taken again
 * at each heartbeat as workers come and go: reshare) */
static void share_limits(struct scan *s, struct sched_config *c)
{
	s->full_rate = c->rate;
	s->full_subnet = c->subnet.per_subnet;
	s->workers = live_workers(s);
	share_of(s, s->workers, &c->rate, &c->subnet.per_subnet);
	if (s->workers > 1)
		fprintf(stderr,
		        "relaywatch scan: %llu live worker(s): this one takes rate %llu/s, "
		        "%u per subnet\n",
		        (unsigned long long)s->workers, (unsigned long long)c->rate,
		        c->subnet.per_subnet);
}

/* reshare - the live workers changed: this one's share follows */
static void reshare(struct scan *s)
{
	uint64_t n = live_workers(s), rate;
	unsigned subnet;

	if (n == s->workers)
		return;
	s->workers = n;
	share_of(s, n, &rate, &subnet);
	sched_set_limits(s->sched, rate, subnet);
	rw_log(LOG_INFO, "scan event=reshare shard=%lld workers=%llu rate=%llu per_subnet=%u",
	       (long long)s->shard_id, (unsigned long long)n, (unsigned long long)rate, subnet);
}

/* load_shard_progress - resume the shard: its mark, counters, and the
 * targets its vantage already has a result for */
static int load_shard_progress(struct scan *s, const struct store_shard *h)
{
	json_t *jc;

	/* a shard never worked on has no result: the scan's keys (every other
	 * shard's) would only cost a read of them all per shard */
	if ((h->claims > 1 || h->done > 0 || h->walk_pos > 0) &&
	    (store_result_keys_vantage(s->st, s->db_id, "smtp", s->vantage, on_done_key, s->sched) <
	         0 ||
	     store_result_keys_vantage(s->st, s->db_id, "proxy", s->vantage, on_done_proxy,
	                               s->sched) < 0)) {
		fprintf(stderr, "relaywatch scan: --db %s: %s\n", s->db, store_error(s->st));
		return -1;
	}
	sched_skip_before(s->sched, (uint64_t)h->walk_pos);
	s->done = s->done_before = (uint64_t)h->done;
	if (h->counts && (jc = json_loads(h->counts, 0, NULL)) != NULL) {
		for (int v = 0; v < V__COUNT; v++)
			s->count[v] = (unsigned long)json_integer_value(
			    json_object_get(jc, verdict_name((enum verdict)v)));
		json_decref(jc);
	}
	return 0;
}

/* finish_shard - the walk of the shard is over: done (unless stopped or
 * taken over); the last shard done makes the scan done */
static void finish_shard(struct scan *s)
{
	long long now = probeopt_now_ms();
	struct store_shards l;
	int r, all = 1;

	if (s->store_failed || s->lease_lost)
		return;
	if (s->stopping) {
		/* stopped: let the next worker have it now, not when the lease ends */
		if (store_shard_renew(s->st, s->shard_id, s->worker, 0, now) < 0)
			s->store_failed = 1;
		return;
	}
	if ((r = store_shard_finish(s->st, s->shard_id, s->worker, now)) <= 0) {
		if (r == 0)
			lose_lease(s);
		else
			s->store_failed = 1;
		return;
	}
	if (store_shards_list(s->st, s->db_id, &l) < 0) {
		s->store_failed = 1;
		return;
	}
	for (size_t i = 0; i < l.n; i++)
		all &= strcmp(l.v[i].state, "done") == 0;
	store_shards_free(&l);
	if (all && store_scan_state_set(s->st, s->db_id, "done", now / 1000) < 0)
		s->store_failed = 1;
	if (all)
		fprintf(stderr, "relaywatch scan: scan %lld: every shard is done\n",
		        (long long)s->db_id);
}

/* plan_shards - --shards N --no-run: the scan's work units, once per
 * vantage; an exit status */
static int plan_shards(struct scan *s, const struct scan_opts *o, long long now)
{
	char *list = xstrdup(o->vantages ? o->vantages : "");
	const char *v[RW_WORKER_VANTAGES_MAX];
	size_t nv = 0;
	int64_t added = 0;
	int rc = EXIT_CLEAN;

	for (char *save = NULL, *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (nv == RW_WORKER_VANTAGES_MAX || !vantage_name_ok(t)) {
			fprintf(stderr, "relaywatch scan: --vantages: '%s': %s\n", t,
			        nv == RW_WORKER_VANTAGES_MAX
			            ? "too many vantages"
			            : "a vantage is 1 to 64 letters, digits, '.', '_' or '-'");
			free(list);
			store_scan_state_set(s->st, s->db_id, "stopped", now / 1000);
			return EXIT_USAGE;
		}
		v[nv++] = t;
	}
	if (store_shards_plan(s->st, s->db_id, v, nv, (int64_t)o->shards, now, &added) < 0) {
		fprintf(stderr, "relaywatch scan: --db %s: %s\n", s->db, store_error(s->st));
		rc = EXIT_RUNTIME;
	} else {
		printf("scan %lld planned: %llu shard(s) x %zu vantage(s); run `relaywatch worker` "
		       "on each node (relaywatch scan --status %lld)\n",
		       (long long)s->db_id, o->shards, nv ? nv : 1, (long long)s->db_id);
	}
	free(list);
	return rc;
}

/* load_progress - resume: counters and the low-water mark; the targets
 * with results are skipped. -1 after a message */
static int load_progress(struct scan *s)
{
	struct store_progress pr = {0};
	int found = store_progress_load(s->st, s->db_id, &pr);
	json_t *jc;

	if (found < 0 || store_result_keys(s->st, s->db_id, "smtp", on_done_key, s->sched) < 0 ||
	    store_result_keys(s->st, s->db_id, "proxy", on_done_proxy, s->sched) < 0) {
		fprintf(stderr, "relaywatch scan: --db %s: %s\n", s->db_shown, store_error(s->st));
		store_progress_clear(&pr);
		return -1;
	}
	if (found) {
		sched_skip_before(s->sched, (uint64_t)pr.position);
		s->done = s->done_before = (uint64_t)pr.done;
		if (pr.counts && (jc = json_loads(pr.counts, 0, NULL)) != NULL) {
			for (int v = 0; v < V__COUNT; v++)
				s->count[v] = (unsigned long)json_integer_value(
				    json_object_get(jc, verdict_name((enum verdict)v)));
			json_decref(jc);
		}
	}
	store_progress_clear(&pr);
	return 0;
}

/* scope_set - the config's scope as a set; NULL (none) or -1 on a bad range */
static int scope_set(const struct rw_config *cfg, struct ipset **out)
{
	char bad[64];
	const char *e;

	*out = NULL;
	if (cfg->scope == NULL)
		return 0;
	*out = ipset_new();
	if ((e = ipset_add_list(*out, cfg->scope, bad, sizeof(bad))) != NULL) {
		fprintf(stderr, "relaywatch scan: config scope: %s: %s\n", bad, e);
		return -1;
	}
	return 0;
}

/* read_excludes - every --exclude file into excl; a bad line refuses: -1 */
static int read_excludes(const struct scan_opts *o, struct ipset *excl)
{
	for (size_t i = 0; i < o->nexcludes; i++) {
		struct targets_parser p;
		int bad;

		targets_parser_init_set(&p, o->excludes[i], excl);
		if (read_file(&p, o->excludes[i]) < 0) {
			fprintf(stderr, "relaywatch scan: --exclude %s: %s\n", o->excludes[i],
			        strerror(errno));
			targets_parser_free(&p);
			return -1;
		}
		report_errors(&p);
		bad = p.nerrors > 0;
		targets_parser_free(&p);
		if (bad) {
			fprintf(stderr,
			        "relaywatch scan: --exclude %s has bad lines: not scanning\n",
			        o->excludes[i]);
			return -1;
		}
	}
	return 0;
}

/* read_targets - the command line's targets and the -iL files; -1 when a
 * file cannot be read (bad lines are reported and skipped) */
static int read_targets(struct scan *s, const struct scan_opts *o)
{
	for (size_t i = 0; i < o->ntargets; i++) {
		struct targets_parser p;

		targets_parser_init(&p, "command line", s->targets);
		targets_line(&p, o->targets[i]);
		report_errors(&p);
		targets_parser_free(&p);
	}
	for (size_t i = 0; i < o->ninputs; i++) {
		struct targets_parser p;
		const char *in = o->inputs[i];

		targets_parser_init(&p, strcmp(in, "-") == 0 ? "stdin" : in, s->targets);
		if (read_file(&p, in) < 0) {
			fprintf(stderr, "relaywatch scan: -iL %s: %s\n", in, strerror(errno));
			targets_parser_free(&p);
			return -1;
		}
		report_errors(&p);
		targets_parser_free(&p);
	}
	resolve_names(s, o->mx, o->nmx);
	return 0;
}

/* random_seed - 64 bits from /dev/urandom (the clock if it fails) */
static unsigned long long random_seed(void)
{
	unsigned long long seed = 0;
	unsigned char rnd[8];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && read(fd, rnd, sizeof(rnd)) == (ssize_t)sizeof(rnd))
		memcpy(&seed, rnd, sizeof(seed));
	else
		seed = (unsigned long long)probeopt_now_ms() ^ (unsigned long long)getpid();
	if (fd >= 0)
		close(fd);
	return seed;
}

/* open_db - the store at its current schema; -1 after a message */
static int open_db(struct scan *s, long long now_s)
{
	char err[512];

	if ((s->st = store_open(s->db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "relaywatch scan: --db %s: %s\n", s->db_shown, err);
		return -1;
	}
	if (store_migrate(s->st, now_s) < 0) {
		fprintf(stderr, "relaywatch scan: --db %s: %s\n", s->db_shown, store_error(s->st));
		return -1;
	}
	return 0;
}

/* cmd_scan - flags, targets, exclusions, sink, scheduler, report */
int cmd_scan(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct rw_config *cfg = ctx->cfg;
	struct scan s = {.cfg = cfg};
	struct scan_opts o;
	int rc = EXIT_CLEAN, nav = argc;
	const char *e;
	char err[512], *db_owned = NULL, *params = NULL;
	const struct battery_test *const *bat;
	size_t nbat;
	char **av = xcalloc((size_t)argc + 1, sizeof(*av)), **rav = NULL;
	struct ipset *excl = ipset_new(), *resv = NULL;
	struct targets_rule rules[3];
	size_t nrules = 0;
	struct store_scan saved = {0};
	json_t *jparams = NULL;
	long long t0 = probeopt_now_ms();
	struct sched_config schc;
	struct store_shard shard = {0};

	last_run_stopped = 0;
	/* nmap's -iL is one dash and two letters: give getopt its long name */
	for (int i = 0; i < argc; i++)
		av[i] = strcmp(argv[i], "-iL") == 0 ? "--input-list" : argv[i];
	opts_defaults(&o);
	if (parse_opts(argc, av, cfg, &o) < 0) {
		rc = EXIT_USAGE;
		goto early;
	}
	if (o.help) {
		usage(stdout);
		goto early;
	}
	if (probe_ports(&o) < 0) {
		rc = EXIT_USAGE;
		goto early;
	}
	if ((o.shards && !o.no_run) || (o.no_run && !o.shards) || (o.vantages && !o.shards) ||
	    ((o.shard_id || o.worker) && !(o.shard_id && o.worker && o.resume)) ||
	    ((o.shards || o.status || o.shard_id) && o.no_db) || (o.status && o.resume)) {
		fprintf(stderr,
		        "relaywatch scan: --shards N goes with --no-run (and --vantages); "
		        "--shard-id and --worker with --resume (relaywatch worker runs them); "
		        "--status ID alone; none of them with --no-db\n");
		rc = EXIT_USAGE;
		goto early;
	}
	if (o.resume && (o.ntargets || o.ninputs || o.nmx || o.no_db || o.have_seed)) {
		fprintf(stderr,
		        "relaywatch scan: --resume takes its targets and seed from the store "
		        "(no TARGET, -iL, --mx, --seed or --no-db)\n");
		rc = EXIT_USAGE;
		goto early;
	}
	if (!o.no_db && !o.dry) {
		s.db = o.db ? o.db : (db_owned = store_default_path());
		if (s.db == NULL) {
			fprintf(stderr,
			        "relaywatch scan: no default store (no RELAYWATCH_DB, not root, "
			        "no home): give --db PATH, or --no-db\n");
			rc = EXIT_USAGE;
			goto early;
		}
		store_redact(s.db, s.db_shown, sizeof(s.db_shown));
		if (open_db(&s, t0 / 1000) < 0) {
			rc = EXIT_RUNTIME;
			goto early;
		}
	}
	if (o.status) {
		rc = scan_status(s.st, (int64_t)o.status, o.pf.json, probeopt_now_ms());
		goto early;
	}
	if (o.resume) {
		int found = s.st ? store_scan_get(s.st, (int64_t)o.resume, &saved) : 0;

		if (found <= 0) {
			fprintf(stderr, "relaywatch scan: --resume %llu: %s\n", o.resume,
			        found < 0 ? store_error(s.st) : "no such scan in the store");
			rc = found < 0 ? EXIT_RUNTIME : EXIT_USAGE;
			goto early;
		}
		if (strcmp(saved.state, "done") == 0) {
			fprintf(stderr,
			        "relaywatch scan: scan %llu is done: relaywatch results %llu\n",
			        o.resume, o.resume);
			goto early;
		}
		jparams = json_loads(saved.params ? saved.params : "", 0, NULL);
		if (!json_is_array(json_object_get(jparams, "argv"))) {
			fprintf(stderr, "relaywatch scan: --resume %llu: no command line saved\n",
			        o.resume);
			rc = EXIT_RUNTIME;
			goto early;
		}
		/* the saved options, then this command line's; targets come
		 * from the saved space, not from the saved arguments */
		rav = resume_argv(json_object_get(jparams, "argv"), argc, argv, &nav);
		opts_defaults(&o);
		if (parse_opts(nav, rav, cfg, &o) < 0) {
			rc = EXIT_USAGE;
			goto early;
		}
		o.ntargets = o.ninputs = o.nmx = 0;
		o.seed = saved.seed;
		s.db_id = saved.id;
		/* a plan's own flags are not the worker's */
		o.shards = 0;
		o.no_run = 0;
		o.vantages = NULL;
		if (o.shard_id && load_shard(&s, &o, &shard) < 0) {
			rc = EXIT_RUNTIME;
			goto early;
		}
	}
	s.verbose = ctx->verbose + o.verbose;
	s.json = o.pf.json;
	if (s.verbose >= 2)
		log_init("relaywatch", LOG_DEST_STDERR, 2);
	if (o.ntargets_over) {
		fprintf(stderr, "relaywatch scan: too many TARGET arguments (use -iL FILE)\n");
		rc = EXIT_USAGE;
		goto early;
	}
	if (!o.resume && o.ntargets == 0 && o.ninputs == 0 && o.nmx == 0) {
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
	if (!o.dry && (!cfg->canary || !probeopt_valid_name(cfg->canary))) {
		fprintf(stderr,
		        "relaywatch scan: %s: set canary_domain (or --canary) to a domain "
		        "whose MX is this machine, or an address literal like [192.0.2.1]\n",
		        cfg->canary ? "bad canary" : "no canary");
		rc = EXIT_USAGE;
		goto early;
	}
	if (!o.dry && !o.no_run && !o.pf.no_sink && !cfg->sink_listen) {
		fprintf(stderr, "relaywatch scan: sink_listen is not set (or use --no-sink)\n");
		rc = EXIT_USAGE;
		goto early;
	}

	/* exclusions and scope first: any doubt about them and nothing is scanned */
	if (read_excludes(&o, excl) < 0 || scope_set(cfg, &s.scope) < 0) {
		rc = EXIT_USAGE;
		goto early;
	}
	if (!o.allow_reserved)
		resv = reserved_set();
	s.never = ipset_copy(excl);
	if (resv)
		ipset_add_set(s.never, resv);
	s.targets = targets_new();
	if (o.resume) {
		/* the space as it was: the exclusions of today are enforced by
		 * the scheduler's guard, so the walk stays the same */
		if ((e = space_from_json(json_object_get(jparams, "space"), s.targets, &s.ports)) !=
		    NULL) {
			fprintf(stderr, "relaywatch scan: --resume %llu: %s\n", o.resume, e);
			rc = EXIT_RUNTIME;
			goto early;
		}
	} else {
		s.ports = o.ports;
		if (read_targets(&s, &o) < 0) {
			rc = EXIT_USAGE;
			goto early;
		}
		if (resv)
			rules[nrules++] = (struct targets_rule){
			    .name = "reserved", .kind = TARGETS_EXCLUDE, .set = resv};
		rules[nrules++] = (struct targets_rule){
		    .name = "--exclude", .kind = TARGETS_EXCLUDE, .set = excl};
		if (s.scope)
			rules[nrules++] = (struct targets_rule){
			    .name = "the config's scope", .kind = TARGETS_SCOPE, .set = s.scope};
		targets_apply(s.targets, rules, nrules);
		for (size_t i = 0; i < nrules; i++)
			if (rules[i].removed)
				fprintf(stderr, "relaywatch scan: %llu address(es) %s %s%s\n",
				        (unsigned long long)rules[i].removed,
				        rules[i].kind == TARGETS_SCOPE ? "outside" : "excluded by",
				        rules[i].name,
				        rules[i].set == resv ? " (--allow-reserved to test them)"
				                             : "");
	}
	s.seed = o.have_seed || o.resume ? o.seed : random_seed();
	schc = (struct sched_config){
	    .targets = s.targets,
	    .ports = &s.ports,
	    .never = s.never,
	    .scope = s.scope,
	    .seed = s.seed,
	    .concurrency = o.concurrency,
	    .rate = o.rate,
	    .subnet = o.sl,
	    .retry_after_ms = o.retry_after * 1000,
	    .shard = (uint32_t)shard.shard,
	    .shards = (uint32_t)shard.shards,
	};
	if (s.shard_id)
		share_limits(&s, &schc);
	if (!o.dry)
		fit_descriptors(&schc.concurrency);
	if ((s.sched = sched_new(&schc, &e)) == NULL) {
		fprintf(stderr, "relaywatch scan: %s\n", e);
		rc = EXIT_USAGE;
		goto early;
	}
	{
		struct sched_stats st;

		sched_stats(s.sched, &st);
		s.total = st.total;
	}
	if (o.resume && (int64_t)s.total != saved.total) {
		fprintf(stderr,
		        "relaywatch scan: --resume %llu: the saved space has %lld targets, "
		        "rebuilt %llu: not resuming\n",
		        o.resume, (long long)saved.total, (unsigned long long)s.total);
		rc = EXIT_RUNTIME;
		goto early;
	}
	fprintf(stderr, "relaywatch scan: %llu target(s) x port(s), seed %llu\n",
	        (unsigned long long)s.total, (unsigned long long)s.seed);
	if (s.shard_id && shard.shards > 1) /* this slice's share, for the status line */
		s.total = (s.total + (uint64_t)shard.shards - 1) / (uint64_t)shard.shards;
	if (s.total == 0) {
		fprintf(stderr, "relaywatch scan: nothing to scan\n");
		goto early;
	}
	if (o.dry) {
		if (dry_run(&s) < 0)
			rc = EXIT_RUNTIME;
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
		if (gethostname(err, sizeof(err) - 1) == 0 && strchr(err, '.') &&
		    probeopt_valid_name(err))
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
		fprintf(stderr, "relaywatch scan: --source %s: not a numeric address\n",
		        cfg->source);
		rc = EXIT_USAGE;
		goto early;
	}
	snprintf(s.scan_id, sizeof(s.scan_id), "%lld", t0 / 1000);
	if (s.st && o.resume && s.shard_id) {
		if (load_shard_progress(&s, &shard) < 0) {
			rc = EXIT_RUNTIME;
			goto early;
		}
		fprintf(stderr,
		        "relaywatch scan: scan %lld shard %lld/%lld (vantage '%s') for worker %s: "
		        "%llu done\n",
		        (long long)s.db_id, (long long)shard.shard + 1, (long long)shard.shards,
		        s.vantage, s.worker, (unsigned long long)s.done);
	} else if (s.st && o.resume) {
		if (load_progress(&s) < 0 ||
		    store_scan_state_set(s.st, s.db_id, "running", t0 / 1000) < 0) {
			if (s.st && store_error(s.st)[0])
				fprintf(stderr, "relaywatch scan: --db %s: %s\n", s.db_shown,
				        store_error(s.st));
			rc = EXIT_RUNTIME;
			goto early;
		}
		fprintf(stderr, "relaywatch scan: resuming scan %lld in %s: %llu of %llu done\n",
		        (long long)s.db_id, s.db_shown, (unsigned long long)s.done,
		        (unsigned long long)s.total);
	} else if (s.st) {
		struct store_scan ss = {
		    .created = t0 / 1000, .seed = s.seed, .total = (int64_t)s.total};

		params = params_json(argc, argv, cfg, s.targets, &s.ports);
		ss.params = params;
		if (store_scan_create(s.st, &ss, &s.db_id) < 0) {
			fprintf(stderr, "relaywatch scan: --db %s: %s\n", s.db_shown,
			        store_error(s.st));
			rc = EXIT_RUNTIME;
			goto early;
		}
		fprintf(stderr, "relaywatch scan: scan %lld in %s\n", (long long)s.db_id,
		        s.db_shown);
	}
	if (s.st)
		snprintf(s.scan_id, sizeof(s.scan_id), "%lld", (long long)s.db_id);
	if (s.shard_id && s.vantage[0]) {
		/* the vantage's tag in the tokens: each vantage ties only its own
		 * tests' arrivals, though the same target is tested from several */
		uint32_t h = 2166136261u;

		for (const char *p = s.vantage; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		snprintf(s.scan_id, sizeof(s.scan_id), "%lldv%08x", (long long)s.db_id, h);
	}
	if (o.id_file && write_id_file(o.id_file, s.st ? s.scan_id : "0") < 0) {
		fprintf(stderr, "relaywatch scan: --id-file %s: %s\n", o.id_file, strerror(errno));
		rc = EXIT_RUNTIME;
		goto early;
	}
	if (o.shards) {
		rc = plan_shards(&s, &o, t0);
		goto early;
	}
	signal(SIGPIPE, SIG_IGN);
	s.base = event_base_new();
	if (!o.pf.no_sink) {
		struct sink_config skc = {
		    .listen = cfg->sink_listen,
		    .canary = cfg->canary,
		    .myname = s.myname,
		    .key = &s.key,
		    .token_max_age = cfg->token_max_age,
		    .greet_wait_ms = cfg->sink_greet_wait,
		};

		s.sink = sink_new(s.base, &skc, on_arrival, &s, err, sizeof(err));
		if (s.sink == NULL) {
			fprintf(stderr, "relaywatch scan: sink: %s\n", err);
			rc = EXIT_RUNTIME;
			goto out;
		}
	}
	s.sc = (struct sess_config){
	    .canary = cfg->canary,
	    .myname = s.myname,
	    .operator_name = cfg->operator_name,
	    .abuse_contact = cfg->abuse_contact,
	    .scan_id = s.scan_id,
	    .key = &s.key,
	    .tls = probeopt_tls_mode(cfg->tls),
	    .battery = bat,
	    .nbattery = nbat,
	    .connect_timeout_ms = cfg->connect_timeout * 1000,
	    .banner_timeout_ms = cfg->banner_timeout * 1000,
	    .reply_timeout_ms = cfg->reply_timeout * 1000,
	    .session_timeout_ms = cfg->session_timeout * 1000,
	    .greylist_delay_ms = cfg->greylist_delay * 1000,
	    .greylist_rounds = RW_GREYLIST_ROUNDS_MAX,
	    .reconnect_max = RW_RECONNECT_MAX,
	    .no_transcript = !s.verbose, /* only -v shows it (JSON and the store) */
	};
	s.env = (struct probe_env){
	    .base = s.base,
	    .ssl_ctx = probe_ssl_ctx(),
	    .source = srclen ? (struct sockaddr *)&src : NULL,
	    .source_len = srclen,
	    .session_timeout_ms = cfg->session_timeout * 1000,
	};
	if (s.ports.gprobes & (1u << TARGETS_PROBE_PROXY)) {
		if (probeopt_proxy(cfg, "scan", &s.env, &s.key, &s.pxcanary, &s.pxenv) < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
	}
	s.fill_timer = evtimer_new(s.base, on_fill_timer, &s);
	for (s.index_mask = 1023; s.index_mask < 2 * (size_t)schc.concurrency;
	     s.index_mask = 2 * s.index_mask + 1)
		;
	s.index = xcalloc(s.index_mask + 1, sizeof(*s.index));
	if (s.st) {
		struct timeval ftv = {.tv_sec = RW_SCAN_FLUSH_MS / 1000,
		                      .tv_usec = (RW_SCAN_FLUSH_MS % 1000) * 1000};

		s.flush_timer = event_new(s.base, -1, EV_PERSIST, on_flush_timer, &s);
		event_add(s.flush_timer, &ftv);
	}
	if (s.st && (o.pf.no_sink || s.shard_id)) {
		struct timeval ptv = {.tv_sec = 1};

		s.poll_timer = event_new(s.base, -1, EV_PERSIST, on_poll, &s);
		event_add(s.poll_timer, &ptv);
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
	s.tty = isatty(STDERR_FILENO) && !o.stats_every;
	if (s.tty || o.stats_every) {
		struct timeval stv = {.tv_sec = o.stats_every ? (time_t)o.stats_every : 1};

		s.stats_timer = event_new(s.base, -1, EV_PERSIST, on_stats, &s);
		event_add(s.stats_timer, &stv);
	}
	fill(&s);
	event_base_dispatch(s.base);
	s.ended = 1; /* the final progress says no session is in flight */
	if (s.tty) {
		on_stats(-1, 0, &s);
		fputc('\n', stderr);
	}
	if (s.st) {
		flush(&s);
		if (s.shard_id)
			finish_shard(&s);
		else if (!s.store_failed &&
		         store_scan_state_set(s.st, s.db_id, s.stopping ? "stopped" : "done",
		                              probeopt_now_ms() / 1000) < 0) {
			fprintf(stderr, "relaywatch scan: store: %s\n", store_error(s.st));
			s.store_failed = 1;
		}
	}
	last_run_stopped = s.stopping && !s.lease_lost;
	if (!s.json)
		summary(&s, (double)(probeopt_now_ms() - t0) / 1000.0);
	if (s.foreign_total && !s.json)
		fprintf(stderr,
		        "relaywatch: %lu arrival(s) at the sink did not match a test "
		        "(forged, replayed, late or foreign tokens; not counted)\n",
		        s.foreign_total);
	{
		struct sched_stats st;

		sched_stats(s.sched, &st);
		if (st.refused)
			rw_log(LOG_WARNING, "scan event=excluded-skipped count=%llu",
			       (unsigned long long)st.refused);
	}
	if (s.stopping && !s.shard_id) {
		fprintf(stderr, "relaywatch scan: stopped after %llu of %llu target(s)\n",
		        (unsigned long long)s.done, (unsigned long long)s.total);
		if (s.st)
			fprintf(
			    stderr,
			    "relaywatch scan: to go on: relaywatch scan --resume %lld --db %s\n",
			    (long long)s.db_id, s.db_shown);
	}
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
		j->pp = pxprobe_free(j->pp);
		if (j->pr) {
			presult_clear(j->pr);
			free(j->pr);
		}
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
	if (s.poll_timer)
		event_free(s.poll_timer);
	if (s.sigint)
		event_free(s.sigint);
	if (s.sigterm)
		event_free(s.sigterm);
	if (s.found)
		fclose(s.found);
	if (s.base)
		event_base_free(s.base);
early:
	if (s.nbatch)
		flush(&s);
	s.st = store_close(s.st);
	free(s.index);
	s.sched = sched_free(s.sched);
	s.targets = targets_free(s.targets);
	store_scan_clear(&saved);
	store_shard_clear(&shard);
	free(s.vantage);
	json_decref(jparams);
	free(params);
	free(db_owned);
	ipset_free(s.never);
	ipset_free(s.scope);
	ipset_free(resv);
	ipset_free(excl);
	free(rav);
	free(av);
	return rc;
}
