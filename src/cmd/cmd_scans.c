/*
 * NAME
 *	cmd_scans - relaywatch scans / results: what the store holds
 * SUMMARY
 *	relaywatch scans [--db PATH] [--json]
 *	relaywatch results [--db PATH] [--verdict V] [--limit N] [--offset N] [--json] SCAN-ID
 * SYNOPSIS
 *	int cmd_scans(int argc, char **argv, struct cmd_ctx *ctx);
 *	int cmd_results(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	cmd_scans lists the scans of a store, newest first: id, start time,
 *	state, targets x ports, results so far. cmd_results lists one scan's
 *	results in the order they were saved, only one verdict with
 *	--verdict, skipping --offset N of them and printing at most --limit N;
 *	--json prints each result's evidence (the object `scan --json`
 *	printed, one per line) with the store's verdict and reason over it
 *	(a late arrival may have upgraded suspect to open since) and
 *	"updated" (unix seconds of that upgrade, 0 = never), else one line
 *	per result. Both page through the store RW_STORE_PAGE_MAX rows at a
 *	time. Without --db both read store_default_path(); a default store
 *	that does not exist is reported, not created.
 * DIAGNOSTICS
 *	Exit 0, 2 for usage errors (no store path at all, unknown verdict,
 *	bad id, bad --limit or --offset), 3 when the store cannot be opened
 *	or read, or the scan does not exist.
 * LIMITS
 *	RW_STORE_PAGE_MAX rows per query.
 * STANDARDS
 *	none.
 */
#include "../core/limits.h"
#include "../core/xalloc.h"
#include "../smtp/result.h"
#include "../store/store.h"
#include "cmd.h"
#include "results_vantage.h"

#include <jansson.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* What the listing flags ask for. */
struct list_opts {
	const char *db; /* --db, or NULL: store_default_path() */
	int json;
	const char *verdict; /* results only */
	long long limit;     /* results only: 0 = all */
	long long offset;
	int by_vantage; /* results only: the verdicts per vantage side by side */
};

/* cmd_store_open - the --db (or default) store at the current schema, or
 * NULL with the message printed and *rc the exit status; a listing
 * (create 0) never creates the default store */
struct store *cmd_store_open(const char *cmd, const char *db, int create, int *rc)
{
	char err[512], shown[512], *dflt = NULL;
	struct store *st;
	struct stat sb;

	*rc = EXIT_RUNTIME;
	if (db == NULL && (db = dflt = store_default_path()) == NULL) {
		fprintf(stderr,
		        "relaywatch %s: no --db and no default store (set RELAYWATCH_DB "
		        "or HOME)\n",
		        cmd);
		*rc = EXIT_USAGE;
		return NULL;
	}
	/* a listing never creates the default store (a file; a server's
	 * database exists or the open says so); an explicit --db it opens as
	 * given */
	if (dflt && !create && store_path(db) != NULL && stat(store_path(db), &sb) < 0) {
		fprintf(stderr,
		        "relaywatch %s: no store at %s (the default; --db PATH names "
		        "another)\n",
		        cmd, db);
		free(dflt);
		return NULL;
	}
	store_redact(db, shown, sizeof(shown)); /* a URL's password stays out of messages */
	if ((st = store_open(db, err, sizeof(err))) == NULL)
		fprintf(stderr, "relaywatch %s: %s %s: %s\n", cmd, dflt ? "store" : "--db", shown,
		        err);
	else if (store_migrate(st, (int64_t)time(NULL)) < 0) {
		fprintf(stderr, "relaywatch %s: %s %s: %s\n", cmd, dflt ? "store" : "--db", shown,
		        store_error(st));
		st = store_close(st);
	}
	free(dflt);
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

/* count_arg - a count flag's value: 0 or more, decimal */
static int count_arg(const char *cmd, const char *flag, const char *v, long long *out)
{
	char *end;

	*out = strtoll(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end || *out < 0 || *out > INT64_MAX / 2) {
		fprintf(stderr, "relaywatch %s: %s '%s': want a count (0 or more)\n", cmd, flag, v);
		return -1;
	}
	return 0;
}

/* usage_line - the command's synopsis */
static void usage_line(FILE *fp, const char *cmd, int results)
{
	fprintf(fp,
	        results ? "usage: relaywatch %s [--db PATH] [--verdict V] [--limit N] [--offset N]"
	                  " [--json] [--by-vantage] SCAN-ID\n"
	                : "usage: relaywatch %s [--db PATH] [--json]\n",
	        cmd);
	fprintf(fp,
	        "  --db PATH  the store (default $RELAYWATCH_DB, else " STORE_SYSTEM_DIR
	        "/" STORE_FILE "\n"
	        "             as root or when writable, else $XDG_DATA_HOME/relaywatch/" STORE_FILE
	        " or"
	        " ~/.local/share/...)\n");
}

/* parse_common - --db, --json, and for results --verdict, --limit,
 * --offset; 1 after --help, -1 on a usage error */
static int parse_common(int argc, char **argv, const char *cmd, int results, struct list_opts *o)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},      {"json", no_argument, NULL, 'j'},
	    {"verdict", required_argument, NULL, 'V'}, {"limit", required_argument, NULL, 'L'},
	    {"offset", required_argument, NULL, 'O'},  {"by-vantage", no_argument, NULL, 'B'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->db = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'V':
		case 'L':
		case 'O':
		case 'B':
			if (!results) {
				usage_line(stderr, cmd, results);
				return -1;
			}
			if (c == 'B')
				o->by_vantage = 1;
			else if (c == 'V')
				o->verdict = optarg;
			else if (count_arg(cmd, c == 'L' ? "--limit" : "--offset", optarg,
			                   c == 'L' ? &o->limit : &o->offset) < 0)
				return -1;
			break;
		case 'h':
		default:
			usage_line(c == 'h' ? stdout : stderr, cmd, results);
			return c == 'h' ? 1 : -1;
		}
	}
	return 0;
}

/* cmd_scans - the scans of a store, newest first */
int cmd_scans(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct list_opts o = {0};
	int json, rc = EXIT_CLEAN, p;
	struct store *st;
	struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};

	(void)ctx;
	if ((p = parse_common(argc, argv, "scans", 0, &o)) != 0)
		return p > 0 ? EXIT_CLEAN : EXIT_USAGE;
	if (optind < argc) {
		fprintf(stderr, "relaywatch scans: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((st = cmd_store_open("scans", o.db, 0, &rc)) == NULL)
		return rc;
	rc = EXIT_CLEAN;
	json = o.json;
	if (!json)
		printf("%-6s %-20s %-8s %12s %12s\n", "ID", "STARTED", "STATE", "TOTAL", "DONE");
	for (;;) {
		struct store_scans l = {0};

		if (store_scan_list(st, &pg, &l) < 0) {
			fprintf(stderr, "relaywatch scans: %s\n", store_error(st));
			rc = EXIT_RUNTIME;
			break;
		}
		for (size_t i = 0; i < l.n; i++) {
			struct store_scan *sc = &l.v[i];
			struct store_progress pr = {0};
			char t[32];
			int64_t done = 0;

			if (store_progress_load(st, sc->id, &pr) == 1)
				done = pr.done;
			if (json)
				printf("{\"id\":%lld,\"created\":%lld,\"finished\":%lld,\"state\":"
				       "\"%s\","
				       "\"seed\":%llu,\"total\":%lld,\"done\":%lld,\"counts\":%s,"
				       "\"params\":%s}\n",
				       (long long)sc->id, (long long)sc->created,
				       (long long)sc->finished, sc->state,
				       (unsigned long long)sc->seed, (long long)sc->total,
				       (long long)done,
				       pr.counts && pr.counts[0] ? pr.counts : "{}",
				       sc->params && sc->params[0] ? sc->params : "{}");
			else
				printf("%-6lld %-20s %-8s %12lld %12lld\n", (long long)sc->id,
				       when(sc->created, t, sizeof(t)), sc->state,
				       (long long)sc->total, (long long)done);
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

/* result_json - the result's evidence with the store's verdict, reason
 * and updated time over it, one line on stdout */
static void result_json(const struct store_result *r)
{
	json_t *o = json_loads(r->evidence ? r->evidence : "{}", 0, NULL);
	char *line;

	if (!json_is_object(o)) { /* not the scan's object: keep it whole, inside one */
		json_t *w = json_object();

		json_object_set_new(w, "evidence", o ? o : json_string(r->evidence));
		o = w;
	}
	json_object_set_new(o, "probe", json_string(r->probe ? r->probe : "smtp"));
	json_object_set_new(o, "verdict", json_string(r->verdict));
	json_object_set_new(o, "reason", json_string(r->reason ? r->reason : ""));
	json_object_set_new(o, "updated", json_integer(r->updated));
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line == NULL)
		rw_panic("%s: json_dumps failed (out of memory)", __func__);
	printf("%s\n", line);
	free(line);
}

/* cmd_results - one scan's results, maybe of one verdict, maybe a page */
int cmd_results(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct list_opts o = {0};
	int rc = EXIT_CLEAN, p, known = 0;
	struct store *st;
	struct store_scan sc = {0};
	struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};
	long long id, left;
	char *end;

	(void)ctx;
	if ((p = parse_common(argc, argv, "results", 1, &o)) != 0)
		return p > 0 ? EXIT_CLEAN : EXIT_USAGE;
	if (optind + 1 != argc) {
		usage_line(stderr, "results", 1);
		return EXIT_USAGE;
	}
	id = strtoll(argv[optind], &end, 10);
	if (*end || id <= 0 || argv[optind][0] < '0' || argv[optind][0] > '9') {
		fprintf(stderr, "relaywatch results: '%s' is not a scan id\n", argv[optind]);
		return EXIT_USAGE;
	}
	for (int v = 0; o.verdict && v < V__COUNT; v++)
		known |= strcmp(o.verdict, verdict_name((enum verdict)v)) == 0;
	if (o.verdict && !known) {
		fprintf(stderr, "relaywatch results: unknown verdict '%s'\n", o.verdict);
		return EXIT_USAGE;
	}
	if ((st = cmd_store_open("results", o.db, 0, &rc)) == NULL)
		return rc;
	rc = EXIT_CLEAN;
	p = store_scan_get(st, id, &sc);
	store_scan_clear(&sc);
	if (p != 1) {
		fprintf(stderr, "relaywatch results: %s\n",
		        p < 0 ? store_error(st) : "no such scan");
		store_close(st);
		return EXIT_RUNTIME;
	}
	if (o.by_vantage) {
		rc = results_by_vantage(st, id, o.json) < 0 ? EXIT_RUNTIME : EXIT_CLEAN;
		store_close(st);
		return rc;
	}
	pg.offset = o.offset;
	left = o.limit > 0 ? o.limit : -1; /* -1: no --limit */
	while (left != 0) {
		struct store_results l = {0};

		pg.limit = left > 0 && left < RW_STORE_PAGE_MAX ? left : RW_STORE_PAGE_MAX;
		if (store_results_list(st, id, o.verdict, &pg, &l) < 0) {
			fprintf(stderr, "relaywatch results: %s\n", store_error(st));
			rc = EXIT_RUNTIME;
			break;
		}
		for (size_t i = 0; i < l.n; i++) {
			const struct store_result *r = &l.v[i];

			if (o.json)
				result_json(r);
			else
				printf("%-14s %s:%u%s%s%s  %s\n", r->verdict, r->target, r->port,
				       r->probe && strcmp(r->probe, "smtp") != 0 ? " proxy" : "",
				       r->vantage && *r->vantage ? " from " : "",
				       r->vantage ? r->vantage : "", r->reason ? r->reason : "");
		}
		size_t n = l.n;
		store_results_free(&l);
		if (left > 0)
			left -= (long long)n;
		if (n < (size_t)pg.limit)
			break;
		pg.offset += pg.limit;
	}
	store_close(st);
	return rc;
}
