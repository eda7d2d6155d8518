/*
 * NAME
 *	relaywatch-lab - a simulated network of SMTP servers on loopback
 * SUMMARY
 *	flags, start-up, ground truth, "ready", clean stop
 * SYNOPSIS
 *	relaywatch-lab --sink ADDR:PORT [--canary DOMAIN] [--base ADDR]
 *	    [--port N] [--latency MS] [--truth FILE] [--profiles a,b,c]
 *	    [--repeat N] [--delay SECONDS] [--greylist SECONDS] [-v] [-q]
 *	    [--range CIDR [--density D] [--seed N]] [--list]
 * DESCRIPTION
 *	Starts one host per selected profile (lab/profile.c) on
 *	consecutive 127/8 addresses from --base, all on --port, writes the
 *	ground truth (`addr port profile expected-verdict proxy-verdict` per
 *	line: the verdicts of the SMTP probe and of the proxy probe) when
 *	asked, prints "ready" on stdout once every host listens, and runs
 *	until SIGTERM or SIGINT, then frees everything and exits 0.
 *	--repeat N runs the selection N times over (benchmarks want many
 *	hosts); each copy's chain-entry relays through its own smarthost.
 *	--range CIDR instead populates a share --density (default 0.1) of
 *	a loopback block, drawn by --seed (lab/sparse.c), the populated
 *	addresses taking the --profiles list in turn (a name listed twice
 *	gets twice the share); the other addresses refuse connections.
 *	--list prints the profile table (name, both verdicts, MTA flavor,
 *	behaviour) and exits.
 * DIAGNOSTICS
 *	Exit 2 for a usage error, 3 when a listener cannot be bound or the
 *	truth file cannot be written; messages on stderr.
 * LIMITS
 *	LAB_HOSTS_MAX hosts; the per-connection limits are in lab.h.
 * STANDARDS
 *	doc/cli.md (relaywatch-lab).
 */
#include <event2/event.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/log.h"
#include "lab.h"
#include "sparse.h"

enum { EXIT_OK = 0, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

static const char usage_text[] =
    "usage: relaywatch-lab --sink ADDR:PORT [options]\n"
    "  --sink ADDR:PORT     where relaying hosts deliver canary mail (required)\n"
    "  --canary DOMAIN      canary domain (default canary.lab.test)\n"
    "  --base ADDR          first lab address (default 127.10.0.1)\n"
    "  --port N             port of every host (default 2525)\n"
    "  --latency MS         delay every reply\n"
    "  --truth FILE         write `addr port profile smtp-verdict proxy-verdict`\n"
    "                       lines (the verdicts a correct tester reaches)\n"
    "  --profiles a,b,c     only these profiles (see --list)\n"
    "  --repeat N           run every selected profile on N hosts (default 1)\n"
    "  --range CIDR         populate a share of this 127/8 block instead of\n"
    "                       --base/--repeat; hosts take --profiles in turn\n"
    "                       (list a name twice for twice the share)\n"
    "  --density D          share of --range populated, 0 < D <= 1 (default 0.1)\n"
    "  --seed N             which addresses of --range are populated (default 1)\n"
    "  --delay SECONDS      the delayed profile's delay (default 3)\n"
    "  --greylist SECONDS   the greylist profile's delay (default 2)\n"
    "  -v, --verbose        debug logging\n"
    "  -q, --quiet          warnings only (benchmarks)\n"
    "  --list               print the profiles and exit\n";

static const struct option options[] = {
    {"sink", required_argument, NULL, 's'},     {"canary", required_argument, NULL, 'c'},
    {"base", required_argument, NULL, 'b'},     {"port", required_argument, NULL, 'p'},
    {"latency", required_argument, NULL, 'l'},  {"truth", required_argument, NULL, 't'},
    {"profiles", required_argument, NULL, 'P'}, {"repeat", required_argument, NULL, 'r'},
    {"delay", required_argument, NULL, 'd'},    {"greylist", required_argument, NULL, 'g'},
    {"verbose", no_argument, NULL, 'v'},        {"quiet", no_argument, NULL, 'q'},
    {"range", required_argument, NULL, 'R'},    {"density", required_argument, NULL, 'D'},
    {"seed", required_argument, NULL, 'S'},     {"list", no_argument, NULL, 'L'},
    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
};

/* number - a decimal in [lo, hi], or -1 */
static long number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

/* list - the profile table */
static void list(void)
{
	const struct profile *p;
	size_t n, i;

	p = profile_all(&n);
	printf("%-22s %-14s %-14s %-10s %s\n", "PROFILE", "EXPECT", "PROXY", "MTA", "BEHAVIOUR");
	for (i = 0; i < n; i++)
		printf("%-22s %-14s %-14s %-10s %s\n", p[i].name, p[i].expect,
		       profile_proxy_expect(&p[i]),
		       p[i].mode == MODE_SMTP || p[i].mode == MODE_TARPIT ||
		               p[i].mode == MODE_LONGLINE || p[i].mode == MODE_CONTINUATION
		           ? profile_flavor(p[i].flavor)->name
		           : "-",
		       p[i].about);
}

/* stop_cb - SIGTERM/SIGINT: leave the loop; main frees everything */
static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	rw_log(LOG_INFO, "lab event=stop signal=%d", (int)sig);
	event_base_loopbreak(base);
}

/* main - flags, the lab, "ready", the loop, a clean stop */
int main(int argc, char **argv)
{
	struct lab_config cfg = {
	    .canary = "canary.lab.test",
	    .base = "127.10.0.1",
	    .port = 2525,
	    .delay = 3,
	    .greylist = 2,
	    .repeat = 1,
	    .density_ppm = 100000,
	    .seed = 1,
	};
	int base_set = 0;
	struct event_base *base;
	struct event *sigterm, *sigint;
	struct lab *lab;
	char err[512];
	long v;
	int ch, rc = EXIT_OK;

	while ((ch = getopt_long(argc, argv, "vqh", options, NULL)) != -1) {
		switch (ch) {
		case 's':
			cfg.sink = optarg;
			break;
		case 'c':
			cfg.canary = optarg;
			break;
		case 'b':
			cfg.base = optarg;
			base_set = 1;
			break;
		case 'R':
			cfg.range = optarg;
			break;
		case 'D':
			if (sparse_density(optarg, &cfg.density_ppm) < 0) {
				fprintf(stderr, "relaywatch-lab: --density %s: want 0 < D <= 1\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			if ((v = number(optarg, 0, LONG_MAX)) < 0)
				goto bad;
			cfg.seed = (uint64_t)v;
			break;
		case 'p':
			if ((v = number(optarg, 1, 65535)) < 0)
				goto bad;
			cfg.port = (unsigned)v;
			break;
		case 'l':
			if ((v = number(optarg, 0, 600000)) < 0)
				goto bad;
			cfg.latency_ms = (int)v;
			break;
		case 't':
			cfg.truth = optarg;
			break;
		case 'P':
			cfg.profiles = optarg;
			break;
		case 'r':
			if ((v = number(optarg, 1, LAB_HOSTS_MAX)) < 0)
				goto bad;
			cfg.repeat = (int)v;
			break;
		case 'd':
			if ((v = number(optarg, 0, 86400)) < 0)
				goto bad;
			cfg.delay = (int)v;
			break;
		case 'g':
			if ((v = number(optarg, 0, 86400)) < 0)
				goto bad;
			cfg.greylist = (int)v;
			break;
		case 'v':
			cfg.verbose++;
			break;
		case 'q':
			cfg.quiet = 1;
			break;
		case 'L':
			list();
			return EXIT_OK;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || cfg.sink == NULL || cfg.canary[0] == '\0') {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (cfg.range != NULL && (base_set || cfg.repeat != 1)) {
		fprintf(stderr, "relaywatch-lab: --range replaces --base and --repeat\n");
		return EXIT_USAGE;
	}
	log_init("relaywatch-lab", LOG_DEST_STDERR, cfg.verbose + 1);
	signal(SIGPIPE, SIG_IGN);

	base = event_base_new();
	if (base == NULL) {
		fprintf(stderr, "relaywatch-lab: event_base_new failed\n");
		return EXIT_RUNTIME;
	}
	lab = lab_new(base, &cfg, err, sizeof(err));
	if (lab == NULL) {
		fprintf(stderr, "relaywatch-lab: %s\n", err);
		event_base_free(base);
		return EXIT_USAGE;
	}
	sigterm = evsignal_new(base, SIGTERM, stop_cb, base);
	sigint = evsignal_new(base, SIGINT, stop_cb, base);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	if (lab_start(lab, err, sizeof(err)) < 0 ||
	    (cfg.truth != NULL && lab_write_truth(lab, cfg.truth, err, sizeof(err)) < 0)) {
		fprintf(stderr, "relaywatch-lab: %s\n", err);
		rc = EXIT_RUNTIME;
	} else {
		rw_log(LOG_INFO, "lab event=ready hosts=%zu %s=%s port=%u sink=%s canary=%s",
		       lab->nhosts, cfg.range ? "range" : "base", cfg.range ? cfg.range : cfg.base,
		       cfg.port, cfg.sink, cfg.canary);
		printf("ready\n");
		fflush(stdout);
		event_base_dispatch(base);
	}
	lab_free(lab);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	libevent_global_shutdown();
	return rc;
bad:
	fprintf(stderr, "relaywatch-lab: --%s %s: bad number\n",
	        ch == 'p'   ? "port"
	        : ch == 'l' ? "latency"
	        : ch == 'd' ? "delay"
	        : ch == 'r' ? "repeat"
	        : ch == 'S' ? "seed"
	                    : "greylist",
	        optarg);
	return EXIT_USAGE;
}
