/*
 * NAME
 *	cmd_worker - relaywatch worker: claim shards of planned scans and
 *	scan them
 * SUMMARY
 *	relaywatch worker [--vantage NAME] [--name NAME] [--lease S]
 *	    [--poll S] [--once] [--db URL] [-- SCAN OPTIONS...]
 * SYNOPSIS
 *	int cmd_worker(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	The loop of one node of a distributed scan (doc/scale.md): beat
 *	(store_worker_beat), claim the first claimable shard of a running
 *	scan for this worker's vantage or for any (store_shard_claim, a
 *	lease of --lease seconds), and scan it as `relaywatch scan --resume
 *	SCAN --shard-id ID --worker NAME` does, in this process: the scan's
 *	saved options, then the SCAN OPTIONS after "--" (this node's own:
 *	--source, --no-sink, --sink-listen, --concurrency ...). The scan
 *	renews the lease while it runs and saves the shard's mark with its
 *	results; a worker killed (-9, power, network) stops renewing, and
 *	once the lease has run out another worker claims the shard and goes
 *	on from the mark. With nothing to claim the worker waits --poll
 *	seconds and asks again (--once: exits instead). SIGINT or SIGTERM
 *	stops the running shard as `scan` stops (its sessions end, its
 *	results are saved, its lease ends at once for another worker) and
 *	ends the loop.
 * DIAGNOSTICS
 *	Exit 0 (stopped, or --once with nothing left), 2 usage, 3 a store
 *	error. Each shard's scan reports on stderr as `scan` does.
 * LIMITS
 *	RW_WORKER_LEASE default lease; RW_WORKER_ARGS_MAX scan options.
 */
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"
#include "../store/store.h"
#include "cmd.h"
#include "scan_work.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RW_WORKER_ARGS_MAX 64
#define RW_WORKER_POLL     5

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: relaywatch worker [--vantage NAME] [--name NAME] [--lease S] [--poll S]\n"
	    "                         [--once] [--db URL] [-- SCAN OPTIONS...]\n\n"
	    "Claim the shards of scans planned with `relaywatch scan --shards N --no-run`\n"
	    "and scan them; run one on each node, on the shared store (PostgreSQL).\n\n"
	    "options:\n"
	    "      --vantage NAME   where this node tests from: it takes the shards planned\n"
	    "                       for NAME (--vantages) and those for any vantage\n"
	    "      --name NAME      this worker's name (default HOST-PID)\n"
	    "      --lease S        a claim lasts S seconds, renewed while the shard runs\n"
	    "                       (default %d); a dead worker's shard is taken over after it\n"
	    "      --poll S         with nothing to claim, ask again after S seconds\n"
	    "                       (default %d)\n"
	    "      --once           exit when nothing is left to claim\n"
	    "      --db URL         the shared store (default: the config's db)\n"
	    "  -h, --help           this help\n"
	    "After --: options for each shard's scan on this node (--source ADDR,\n"
	    "--no-sink, --sink-listen A:P, --concurrency N, ...).\n\n"
	    "exit status: 0 stopped or nothing left (--once), 2 usage, 3 store error.\n",
	    RW_WORKER_LEASE, RW_WORKER_POLL);
}

/* nap - sleep ms unless a stop comes first */
static void nap(long ms)
{
	for (long t = 0; t < ms && !stop; t += 100) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};

		nanosleep(&ts, NULL);
	}
}

static long long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* run_shard - scan the claimed shard in this process; scan's exit status */
static int run_shard(const struct store_shard *h, const char *name, unsigned lease, const char *db,
                     int nextra, char **extra, struct cmd_ctx *ctx)
{
	char scan[24], id[24], ls[16];
	char *av[RW_WORKER_ARGS_MAX + 16];
	int n = 0;

	snprintf(scan, sizeof(scan), "%lld", (long long)h->scan);
	snprintf(id, sizeof(id), "%lld", (long long)h->id);
	snprintf(ls, sizeof(ls), "%u", lease);
	av[n++] = "scan";
	av[n++] = "--resume";
	av[n++] = scan;
	av[n++] = "--shard-id";
	av[n++] = id;
	av[n++] = "--worker";
	av[n++] = (char *)name;
	av[n++] = "--lease";
	av[n++] = ls;
	if (db) {
		av[n++] = "--db";
		av[n++] = (char *)db;
	}
	for (int i = 0; i < nextra; i++)
		av[n++] = extra[i];
	av[n] = NULL;
	fprintf(stderr,
	        "relaywatch worker %s: scan %lld shard %lld/%lld (vantage '%s'), claim %lld\n",
	        name, (long long)h->scan, (long long)h->shard + 1, (long long)h->shards, h->vantage,
	        (long long)h->claims);
	return cmd_scan(n, av, ctx);
}

int cmd_worker(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"vantage", required_argument, NULL, 'V'}, {"name", required_argument, NULL, 'n'},
	    {"lease", required_argument, NULL, 'l'},   {"poll", required_argument, NULL, 'p'},
	    {"once", no_argument, NULL, 'o'},          {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	const char *vantage = "", *db = NULL;
	char name[96], host[64] = "";
	unsigned lease = RW_WORKER_LEASE, poll = RW_WORKER_POLL;
	int c, once = 0, rc = EXIT_CLEAN, shards = 0;
	long long started = now_ms();
	struct store *st;
	struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;

	name[0] = '\0';
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (c) {
		case 'V':
			vantage = optarg;
			if (!vantage_name_ok(vantage)) {
				fprintf(stderr,
				        "relaywatch worker: --vantage %s: 1 to 64 letters, "
				        "digits, '.', '_' or '-'\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (!vantage_name_ok(optarg)) {
				fprintf(stderr,
				        "relaywatch worker: --name %s: 1 to 64 letters, digits, "
				        "'.', '_' or '-'\n",
				        optarg);
				return EXIT_USAGE;
			}
			snprintf(name, sizeof(name), "%s", optarg);
			break;
		case 'l':
		case 'p':
			v = strtoul(optarg, &end, 10);
			if (*end || optarg[0] < '0' || optarg[0] > '9' || v < 1 || v > 3600) {
				fprintf(stderr, "relaywatch worker: --%s %s: 1 to 3600 seconds\n",
				        c == 'l' ? "lease" : "poll", optarg);
				return EXIT_USAGE;
			}
			if (c == 'l')
				lease = (unsigned)v;
			else
				poll = (unsigned)v;
			break;
		case 'o':
			once = 1;
			break;
		case 'd':
			db = optarg;
			break;
		default:
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	int nextra = argc - optind;
	char **extra = argv + optind;
	if (nextra > 0 && strcmp(argv[optind - 1], "--") != 0) {
		fprintf(stderr,
		        "relaywatch worker: unexpected argument '%s' (scan options go "
		        "after --)\n",
		        extra[0]);
		return EXIT_USAGE;
	}
	if (nextra > RW_WORKER_ARGS_MAX) {
		fprintf(stderr, "relaywatch worker: at most %d scan options\n", RW_WORKER_ARGS_MAX);
		return EXIT_USAGE;
	}
	if (name[0] == '\0') {
		gethostname(host, sizeof(host) - 1);
		host[strcspn(host, ".")] = '\0';
		snprintf(name, sizeof(name), "%s-%ld", host[0] ? host : "worker", (long)getpid());
	}
	if ((st = cmd_store_open("worker", db, 1, &rc)) == NULL)
		return rc;
	rc = EXIT_CLEAN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rw_log(LOG_INFO, "worker event=start name=%s vantage=%s lease=%u", name, vantage, lease);
	while (!stop) {
		struct store_worker w = {
		    .name = name, .vantage = vantage, .started_ms = started, .seen_ms = now_ms()};
		struct store_shard h;
		int r;

		if (store_worker_beat(st, &w) < 0 ||
		    (r = store_shard_claim(st, name, vantage, now_ms(), (long long)lease * 1000,
		                           &h)) < 0) {
			fprintf(stderr, "relaywatch worker: store: %s\n", store_error(st));
			rc = EXIT_RUNTIME;
			break;
		}
		if (r == 0) {
			if (once)
				break;
			nap((long)poll * 1000);
			continue;
		}
		/* the scan opens the store itself; this handle waits */
		r = run_shard(&h, name, lease, db, nextra, extra, ctx);
		shards++;
		store_shard_clear(&h);
		if (r == EXIT_USAGE || r == EXIT_RUNTIME) {
			fprintf(stderr, "relaywatch worker %s: the shard's scan failed (exit %d)\n",
			        name, r);
			rc = r;
			break;
		}
		if (cmd_scan_stopped())
			break;
		optind = 0;
	}
	{
		/* gone: out of the live workers that share a scan's rate */
		struct store_worker w = {.name = name, .vantage = vantage, .started_ms = started};

		store_worker_beat(st, &w);
	}
	rw_log(LOG_INFO, "worker event=stop name=%s shards=%d", name, shards);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	store_close(st);
	return rc;
}
