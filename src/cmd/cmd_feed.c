/*
 * NAME
 *	cmd_feed - relaywatch feed: a scan's results to the abuse desk
 * SUMMARY
 *	relaywatch feed [--db URL] [--json] SCAN-ID
 * SYNOPSIS
 *	int cmd_feed(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	Hands every stored result of the scan to the desk as the daemon's
 *	own sweeps are (desk_scan_finding: open opens or confirms an
 *	incident under the configured policy, clean asks a retest of an open
 *	one), with its vantage: a distributed scan's (doc/scale.md) results
 *	from one of the policy's internal_vantages that are open or suspect
 *	open nothing under internal_open = ignore. Results are read a page at
 *	a time in id order. Feeding a scan twice records its results twice on
 *	the incidents they touch but opens nothing new.
 *	Prints the counts (results read, incidents opened or moved, ignored
 *	as internal-only); --json one object {"scan", "results", "acted",
 *	"internal_ignored"}.
 * DIAGNOSTICS
 *	Exit 0 done; 1 an open incident was opened or moved (as scan's "found");
 *	2 usage, no policy; 3 no such scan, store or desk error.
 * LIMITS
 *	RW_STORE_PAGE_MAX results per page.
 */
#include "../core/limits.h"
#include "../desk/desk.h"
#include "../desk/deskclock.h"
#include "../desk/policy.h"
#include "../smtp/result.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmd_desk.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *fp)
{
	fprintf(fp, "usage: relaywatch feed [--db URL] [--json] SCAN-ID\n"
	            "  hand the scan's results to the abuse desk as the daemon's sweeps are\n"
	            "  (the configured policy decides; internal_vantages and internal_open\n"
	            "  say what an open result seen only from inside does)\n"
	            "exit status: 0 done, 1 incidents opened or moved, 2 usage or no policy,\n"
	            "3 no such scan or a store error.\n");
}

int cmd_feed(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL;
	int c, json = 0, rc;
	long long id, nread = 0, acted = 0, ignored = 0;
	char *end;
	struct store *st;
	struct store_scan sc = {0};
	struct desk *d;
	struct deskclock clk = deskclock_system();
	struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'j')
			json = 1;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	id = strtoll(argv[optind], &end, 10);
	if (*end || id <= 0 || argv[optind][0] < '0' || argv[optind][0] > '9') {
		fprintf(stderr, "relaywatch feed: '%s' is not a scan id\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((st = cmd_store_open("feed", cmd_desk_db(ctx, db), 0, &rc)) == NULL)
		return rc;
	if ((rc = store_scan_get(st, id, &sc)) <= 0) {
		fprintf(stderr, "relaywatch feed: %lld: %s\n", id,
		        rc < 0 ? store_error(st) : "no such scan");
		store_close(st);
		return EXIT_RUNTIME;
	}
	store_scan_clear(&sc);
	if ((d = cmd_desk_open("feed", ctx, st, &rc)) == NULL) {
		store_close(st);
		return rc;
	}
	rc = EXIT_CLEAN;
	for (;;) {
		struct store_results l = {0};

		if (store_results_list(st, id, NULL, &pg, &l) < 0) {
			fprintf(stderr, "relaywatch feed: %s\n", store_error(st));
			rc = EXIT_RUNTIME;
			break;
		}
		for (size_t i = 0; i < l.n; i++) {
			const struct store_result *r = &l.v[i];
			struct desk_finding f = desk_finding_of(r);
			int64_t inc = 0;
			int a = desk_scan_finding(d, &f, deskclock_now(&clk), &inc);

			nread++;
			if (a < 0) {
				fprintf(stderr, "relaywatch feed: %s:%u: %s\n", r->target, r->port,
				        desk_error(d));
				rc = EXIT_RUNTIME;
				continue;
			}
			if ((f.verdict == V_OPEN || f.verdict == V_SUSPECT) &&
			    desk_policy(d)->internal_ignore &&
			    policy_internal(desk_policy(d), r->vantage))
				ignored++;
			else if (a == 1 && (f.verdict == V_OPEN || f.verdict == V_SUSPECT))
				acted++;
		}
		size_t got = l.n;
		store_results_free(&l);
		if (got < (size_t)pg.limit)
			break;
		pg.offset += pg.limit;
	}
	if (json)
		printf(
		    "{\"scan\":%lld,\"results\":%lld,\"acted\":%lld,\"internal_ignored\":%lld}\n",
		    id, nread, acted, ignored);
	else
		printf("scan %lld: %lld result(s) fed to the desk; %lld open or suspect acted on, "
		       "%lld "
		       "ignored (open from an internal vantage only)\n",
		       id, nread, acted, ignored);
	if (rc == EXIT_CLEAN && acted)
		rc = EXIT_FOUND;
	desk_free(d);
	store_close(st);
	return rc;
}
