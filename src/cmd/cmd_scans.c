/*
 * NAME
 *	cmd_scans - relaywatch scans / results: what the store holds
 * SUMMARY
 *	relaywatch scans --db PATH [--json]
 *	relaywatch results --db PATH [--verdict V] [--json] SCAN-ID
 * SYNOPSIS
 *	int cmd_scans(int argc, char **argv, struct cmd_ctx *ctx);
 *	int cmd_results(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	cmd_scans lists the scans of a store, newest first: id, start time,
 *	state, targets x ports, results so far. cmd_results lists one scan's
 *	results in the order they were saved, only one verdict with
 *	--verdict; --json prints each result's evidence (the object `scan
 *	--json` printed, one per line), else one line per result. Both page
 *	through the store RW_STORE_PAGE_MAX rows at a time.
 * DIAGNOSTICS
 *	Exit 0, 2 for usage errors (no --db, unknown verdict, bad id), 3
 *	when the store cannot be opened or read, or the scan does not exist.
 * LIMITS
 *	RW_STORE_PAGE_MAX rows per query.
 * STANDARDS
 *	none.
 */
#include "../core/limits.h"
#include "../smtp/result.h"
#include "../store/store.h"
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* open_store - the --db store at the current schema, or NULL (reported) */
static struct store *open_store(const char *cmd, const char *db)
{
	char err[512];
	struct store *st;

	if (db == NULL) {
		fprintf(stderr, "relaywatch %s: --db PATH is required\n", cmd);
		return NULL;
	}
	if ((st = store_open(db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "relaywatch %s: --db %s: %s\n", cmd, db, err);
		return NULL;
	}
	if (store_migrate(st, (int64_t)time(NULL)) < 0) {
		fprintf(stderr, "relaywatch %s: --db %s: %s\n", cmd, db, store_error(st));
		return store_close(st);
	}
	return st;
}

/* when - unix seconds as UTC text */
static const char *when(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* parse_common - --db, --json, --verdict; -1 on a usage error */
static int parse_common(int argc, char **argv, const char *cmd, const char **db, int *json,
			const char **verdict)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "verdict", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			*db = optarg;
			break;
		case 'j':
			*json = 1;
			break;
		case 'V':
			if (verdict == NULL)
				return -1;
			*verdict = optarg;
			break;
		case 'h':
		default:
			fprintf(c == 'h' ? stdout : stderr,
				verdict ? "usage: relaywatch %s --db PATH [--verdict V] [--json] SCAN-ID\n"
					: "usage: relaywatch %s --db PATH [--json]\n",
				cmd);
			return c == 'h' ? 1 : -1;
		}
	}
	return 0;
}

/* cmd_scans - the scans of a store, newest first */
int cmd_scans(int argc, char **argv, struct cmd_ctx *ctx)
{
	const char *db = NULL;
	int json = 0, rc = EXIT_CLEAN, p;
	struct store *st;
	struct store_page pg = { .limit = RW_STORE_PAGE_MAX, .offset = 0 };

	(void)ctx;
	if ((p = parse_common(argc, argv, "scans", &db, &json, NULL)) != 0)
		return p > 0 ? EXIT_CLEAN : EXIT_USAGE;
	if (optind < argc) {
		fprintf(stderr, "relaywatch scans: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((st = open_store("scans", db)) == NULL)
		return db ? EXIT_RUNTIME : EXIT_USAGE;
	if (!json)
		printf("%-6s %-20s %-8s %12s %12s\n", "ID", "STARTED", "STATE", "TOTAL", "DONE");
	for (;;) {
		struct store_scans l = { 0 };

		if (store_scan_list(st, &pg, &l) < 0) {
			fprintf(stderr, "relaywatch scans: %s\n", store_error(st));
			rc = EXIT_RUNTIME;
			break;
		}
		for (size_t i = 0; i < l.n; i++) {
			struct store_scan *sc = &l.v[i];
			struct store_progress pr = { 0 };
			char t[32];
			int64_t done = 0;

			if (store_progress_load(st, sc->id, &pr) == 1)
				done = pr.done;
			if (json)
				printf("{\"id\":%lld,\"created\":%lld,\"finished\":%lld,\"state\":\"%s\","
				       "\"seed\":%llu,\"total\":%lld,\"done\":%lld,\"counts\":%s,"
				       "\"params\":%s}\n",
				       (long long)sc->id, (long long)sc->created,
				       (long long)sc->finished, sc->state, (unsigned long long)sc->seed,
				       (long long)sc->total, (long long)done,
				       pr.counts && pr.counts[0] ? pr.counts : "{}",
				       sc->params && sc->params[0] ? sc->params : "{}");
			else
				printf("%-6lld %-20s %-8s %12lld %12lld\n", (long long)sc->id,
				       when(sc->created, t, sizeof(t)), sc->state, (long long)sc->total,
				       (long long)done);
			store_progress_clear(&pr);
		}
		size_t n = l.n;
		store_scans_free(&l);
		if (n < (size_t)pg.limit)
			break;
		pg.offset += pg.limit;
	}
	store_close(st);
	return rc;
}

/* cmd_results - one scan's results, maybe of one verdict */
int cmd_results(int argc, char **argv, struct cmd_ctx *ctx)
{
	const char *db = NULL, *verdict = NULL;
	int json = 0, rc = EXIT_CLEAN, p, known = 0;
	struct store *st;
	struct store_scan sc = { 0 };
	struct store_page pg = { .limit = RW_STORE_PAGE_MAX, .offset = 0 };
	long long id;
	char *end;

	(void)ctx;
	if ((p = parse_common(argc, argv, "results", &db, &json, &verdict)) != 0)
		return p > 0 ? EXIT_CLEAN : EXIT_USAGE;
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: relaywatch results --db PATH [--verdict V] [--json] SCAN-ID\n");
		return EXIT_USAGE;
	}
	id = strtoll(argv[optind], &end, 10);
	if (*end || id <= 0 || argv[optind][0] < '0' || argv[optind][0] > '9') {
		fprintf(stderr, "relaywatch results: '%s' is not a scan id\n", argv[optind]);
		return EXIT_USAGE;
	}
	for (int v = 0; verdict && v < V__COUNT; v++)
		known |= strcmp(verdict, verdict_name((enum verdict)v)) == 0;
	if (verdict && !known) {
		fprintf(stderr, "relaywatch results: unknown verdict '%s'\n", verdict);
		return EXIT_USAGE;
	}
	if ((st = open_store("results", db)) == NULL)
		return db ? EXIT_RUNTIME : EXIT_USAGE;
	p = store_scan_get(st, id, &sc);
	store_scan_clear(&sc);
	if (p != 1) {
		fprintf(stderr, "relaywatch results: %s\n",
			p < 0 ? store_error(st) : "no such scan");
		store_close(st);
		return EXIT_RUNTIME;
	}
	for (;;) {
		struct store_results l = { 0 };

		if (store_results_list(st, id, verdict, &pg, &l) < 0) {
			fprintf(stderr, "relaywatch results: %s\n", store_error(st));
			rc = EXIT_RUNTIME;
			break;
		}
		for (size_t i = 0; i < l.n; i++) {
			const struct store_result *r = &l.v[i];

			if (json)
				printf("%s\n", r->evidence && r->evidence[0] ? r->evidence : "{}");
			else
				printf("%-14s %s:%u  %s\n", r->verdict, r->target, r->port,
				       r->reason ? r->reason : "");
		}
		size_t n = l.n;
		store_results_free(&l);
		if (n < (size_t)pg.limit)
			break;
		pg.offset += pg.limit;
	}
	store_close(st);
	return rc;
}
