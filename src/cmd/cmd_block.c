/*
 * NAME
 *	cmd_block - `relaywatch block list|apply`: the firewall's blocks
 * SUMMARY
 *	what the store says is blocked, and making the firewall agree
 * SYNOPSIS
 *	int cmd_block(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	`block list [--json]` prints the active blocks (applied, not lifted)
 *	with their incident's state and policy; `block apply [--dry-run]`
 *	reconciles the firewall with the store (block_apply.c, the daemon's
 *	own code) and prints the difference, one "+ ADDR DIRECTION" or
 *	"- ADDR DIRECTION" line each; a second run prints nothing. Safe at
 *	boot and from cron.
 * DIAGNOSTICS
 *	exit 0 done, 1 some action failed (each is in its incident's
 *	timeline), 2 usage or configuration, 3 runtime (store, firewall).
 */
#include "cmd.h"
#include "block_apply.h"
#include "cmd_desk.h"
#include "../core/config.h"
#include "../store/store.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: relaywatch [--config FILE] block list [--json] [--db PATH]\n"
	        "       relaywatch [--config FILE] block apply [--dry-run] [--db PATH]\n"
	        "                  [--backend nft|command]\n\n"
	        "list: the active blocks (address, direction, incident, since, the incident's\n"
	        "state and policy). apply: make the firewall match the store: pending blocks\n"
	        "go in, lifted ones go out, in one nft transaction; prints the difference\n"
	        "(\"+ ADDR DIRECTION\", \"- ADDR DIRECTION\"). Safe to run again and at boot.\n\n"
	        "  --json           list: JSON Lines\n"
	        "  --dry-run        apply: print the difference, change nothing\n"
	        "  --backend NAME   apply: nft or command (default: the block_backend key)\n"
	        "  --db PATH        the store (default: the db key, else the default store)\n\n"
	        "configuration keys: block_backend, block_ports, block_command_add,\n"
	        "block_command_remove (doc/enforce.md).\n\n"
	        "exit status: 0 done, 1 some action failed (see the incident's timeline),\n"
	        "2 usage or configuration error, 3 runtime error.\n");
}

static int64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* iso - ms as ISO-8601 UTC, "-" for 0 */
static const char *iso(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* list - the applied blocks, page by page */
static int list(struct store *st, int json)
{
	int64_t after = 0;
	int header = 0;

	for (;;) {
		struct store_actions l;

		if (store_blocks_active(st, after, 0, &l) < 0) {
			fprintf(stderr, "relaywatch block list: %s\n", store_error(st));
			return EXIT_RUNTIME;
		}
		if (l.n == 0) {
			store_actions_free(&l);
			break;
		}
		for (size_t i = 0; i < l.n; i++) {
			const struct store_action *a = &l.v[i];
			struct store_incident inc = {0};
			char since[32];
			int have =
			    a->incident > 0 && store_incident_get(st, a->incident, &inc) == 1;
			const char *state = have && inc.state ? inc.state : "-";
			const char *policy = have && inc.policy ? inc.policy : "-";

			iso(a->applied_ms, since, sizeof(since));
			if (json) {
				json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "action",
				                      (json_int_t)a->id, "addr", a->addr,
				                      "direction", a->what, "since", since, "state",
				                      state, "policy", policy);
				json_object_set_new(o, "incident",
				                    a->incident > 0 ? json_integer(a->incident)
				                                    : json_null());
				char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
				printf("%s\n", text);
				free(text);
				json_decref(o);
			} else {
				char incid[24];

				if (!header++)
					printf("%-39s %-9s %-8s %-20s %s\n", "ADDRESS", "DIRECTION",
					       "INCIDENT", "SINCE", "REASON");
				snprintf(incid, sizeof(incid), "%lld", (long long)a->incident);
				printf("%-39s %-9s %-8s %-20s %s (%s)\n", a->addr, a->what,
				       a->incident > 0 ? incid : "-", since, state, policy);
			}
			if (have)
				store_incident_clear(&inc);
		}
		after = l.v[l.n - 1].id;
		store_actions_free(&l);
	}
	return EXIT_CLEAN;
}

int cmd_block(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},     {"dry-run", no_argument, NULL, 'n'},
	    {"db", required_argument, NULL, 'd'}, {"backend", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *sub;
	int c, json = 0, dry = 0, rc;
	struct store *st;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_CLEAN;
	}
	sub = argv[1];
	if (strcmp(sub, "list") != 0 && strcmp(sub, "apply") != 0) {
		fprintf(stderr, "relaywatch block: unknown command '%s' (list, apply)\n", sub);
		return EXIT_USAGE;
	}
	optind = 0; /* glibc: start afresh on the shifted argv */
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		const char *e;

		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'n':
			dry = 1;
			break;
		case 'd':
			db = optarg;
			break;
		case 'b':
			if ((e = config_set(ctx->cfg, "block_backend", optarg)) != NULL) {
				fprintf(stderr, "relaywatch block: --backend %s: %s\n", optarg, e);
				return EXIT_USAGE;
			}
			break;
		default:
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		fprintf(stderr, "relaywatch block %s: unexpected argument '%s'\n", sub,
		        argv[optind + 1]);
		return EXIT_USAGE;
	}
	if (strcmp(sub, "list") == 0 ? dry : json) {
		fprintf(stderr, "relaywatch block %s: %s is not an option of it\n", sub,
		        dry ? "--dry-run" : "--json");
		return EXIT_USAGE;
	}
	if (strcmp(sub, "apply") == 0) {
		const char *e = block_backend_check(ctx->cfg);

		if (e != NULL) {
			fprintf(stderr, "relaywatch block apply: %s\n", e);
			return EXIT_USAGE;
		}
	}
	if ((st = cmd_store_open("block", cmd_desk_db(ctx, db), 0, &rc)) == NULL)
		return rc;
	if (strcmp(sub, "list") == 0) {
		rc = list(st, json);
	} else {
		struct block_apply_opts o = {
		    .cfg = ctx->cfg, .dry_run = dry, .now_ms = wall_ms(), .diff = stdout};
		struct block_apply_result r;
		int n = block_apply(st, &o, &r);

		fflush(stdout);
		if (n < 0) {
			fprintf(stderr, "relaywatch block apply: %s\n", r.why);
			rc = EXIT_RUNTIME;
		} else {
			if (ctx->verbose || n > 0)
				fprintf(stderr,
				        "relaywatch block apply: %s%zu added, %zu removed; %zu "
				        "applied, "
				        "%zu lifted, %zu failed%s%s\n",
				        dry ? "(dry run) " : "", r.added, r.removed, r.applied,
				        r.lifted, r.failed, r.failed ? ": " : "",
				        r.failed ? r.why : "");
			rc = n > 0 ? EXIT_FOUND : EXIT_CLEAN;
		}
	}
	store_close(st);
	return rc;
}
