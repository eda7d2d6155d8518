/*
 * NAME
 *	main - the relaywatch program: global options and subcommands
 * SUMMARY
 *	relaywatch [--config FILE] [-v] SUBCOMMAND [options] [args]
 * SYNOPSIS
 *	int main(int argc, char **argv);
 * DESCRIPTION
 *	Loads the configuration (the default path is optional, an explicit
 *	--config is not) and then its drop-ins (the *.conf of relaywatch.d beside
 *	it), reporting every bad line, then runs the subcommand from the
 *	table; `config` reads the configuration itself, to report on it. Only
 *	src/cmd exits the process. Global flags stop at the subcommand
 *	name ('+' in getopt), so its flags stay its own; getopt is reset
 *	before the subcommand parses argv from its own name. -v counts up
 *	(log to stderr); -h and -V print and exit 0. The configuration is
 *	freed after the subcommand returns.
 * DIAGNOSTICS
 *	Exit 2 for usage and configuration errors (each bad line named by
 *	its file and line) and for an unknown subcommand, else the
 *	subcommand's status.
 * LIMITS
 *	none here; see the subcommands.
 * STANDARDS
 *	none (doc/cli.md).
 */
#include "cmd.h"
#include "../core/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RW_VERSION "0.1.0"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv, struct cmd_ctx *ctx);
	const char *summary;
};

static const struct subcommand subcommands[] = {
    {"test", cmd_test, "test SMTP servers for open relaying, with proof at the sink"},
    {"sink", cmd_sink, "run the canary SMTP receiver on its own"},
    {"scan", cmd_scan, "test whole networks: many targets at once, paced and excluded"},
    {"scans", cmd_scans, "list the scans a store (--db) holds"},
    {"results", cmd_results, "list one scan's results from a store (--db)"},
    {"complaint", cmd_complaint, "keep an abuse report (ARF, X-ARF, plain, or by hand)"},
    {"incidents", cmd_incidents, "list the abuse desk's incidents (open ones unless --all)"},
    {"incident", cmd_incident, "one incident's timeline; retest, note or close it"},
    {"report", cmd_report, "the desk's counters: found, repaired, time to repair, blocks"},
    {"contacts", cmd_contacts, "import, list and look up who administers which netblock"},
    {"user", cmd_user, "the web console's users (viewer, operator) and API tokens"},
    {"block", cmd_block, "the firewall's blocks: list them, apply the store's to nft"},
    {"daemon", cmd_daemon, "the abuse desk: sink, sweeps, policy timers, retests, outbox"},
    {"notify-test", cmd_notify, "send one message through the smarthost, as notices go"},
    {"dnsbl", cmd_dnsbl, "export the DNSBL zone of listed relays; check addresses in DNSBLs"},
    {"web", cmd_web, "the desk's console: JSON API, OpenAPI document, /metrics"},
    {"delist", cmd_delist, "retest an address now; its listing ends when the retest passes"},
    {"worker", cmd_worker, "one node of a distributed scan: claim planned shards, scan them"},
    {"feed", cmd_feed, "hand a scan's results to the abuse desk, as the daemon's sweeps"},
    {"migrate", cmd_migrate, "bring a store (SQLite or PostgreSQL) to this version's schema"},
    {"config", cmd_config, "check the configuration, its drop-ins and the policy: every problem"},
};

/* usage - global options, the subcommand table and the exit statuses */
static void usage(FILE *fp)
{
	fprintf(fp, "usage: relaywatch [--config FILE] [-v] COMMAND [options] [args]\n\n"
	            "Find and prove open mail relays on your own network.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(fp, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(fp,
	        "\nglobal options:\n"
	        "  -c, --config FILE  configuration file (default %s, optional)\n"
	        "      --db URL       the store of every command: a SQLite path or a\n"
	        "                     postgresql:// URL (over the configuration's db)\n"
	        "  -v, --verbose      more detail (twice: debug log)\n"
	        "  -h, --help         this help; COMMAND --help for a command's options\n"
	        "  -V, --version      print the version\n\n"
	        "exit status: 0 no open or suspect relay, 1 at least one, 2 usage or\n"
	        "configuration error, 3 runtime error.\n",
	        RW_CONFIG_DEFAULT_PATH);
}

/* main - global flags, configuration, then the named subcommand */
int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"db", required_argument, NULL, 'd'},
	    {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	struct rw_config cfg;
	struct cmd_ctx ctx = {.cfg = &cfg};
	const struct subcommand *sub = NULL;
	const char *db = NULL, *path;
	int c, rc;

	/* '+' stops at the subcommand so its flags stay its own */
	while ((c = getopt_long(argc, argv, "+c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'v':
			ctx.verbose++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		case 'V':
			printf("relaywatch %s\n", RW_VERSION);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(subcommands[i].name, argv[optind]) == 0)
			sub = &subcommands[i];
	if (sub == NULL) {
		fprintf(stderr, "relaywatch: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	log_init("relaywatch", LOG_DEST_STDERR, ctx.verbose);
	config_defaults(&cfg);
	/* the file and its drop-ins; every bad line is named before the exit */
	path = ctx.config_path                             ? ctx.config_path
	       : access(RW_CONFIG_DEFAULT_PATH, F_OK) == 0 ? RW_CONFIG_DEFAULT_PATH
	                                                   : NULL;
	/* config reads it itself: a configuration with problems is its input */
	if (sub->fn != cmd_config && path &&
	    config_read_tree(path, &cfg, cmd_config_print, NULL, NULL)) {
		config_free(&cfg);
		return EXIT_USAGE;
	}
	/* relaywatch --db URL COMMAND: the store of every command, over the
	 * configuration's db key (a command's own --db still wins) */
	if (db) {
		const char *e = config_set(&cfg, "db", db);

		if (e != NULL) {
			fprintf(stderr, "relaywatch: --db %s: %s\n", db, e);
			config_free(&cfg);
			return EXIT_USAGE;
		}
	}
	/* the configuration's store is every command's default (a --db flag
	 * still wins); it outranks $RELAYWATCH_DB, which it sets */
	if (cfg.db && setenv("RELAYWATCH_DB", cfg.db, 1) < 0) {
		fprintf(stderr, "relaywatch: db = %s: cannot set it\n", cfg.db);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	char **subv = argv + optind;
	int subc = argc - optind;

	optind = 0; /* reset getopt for the subcommand (GNU: 0 reinitialises) */
	rc = sub->fn(subc, subv, &ctx);
	config_free(&cfg);
	return rc;
}
