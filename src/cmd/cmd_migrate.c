/*
 * NAME
 *	cmd_migrate - relaywatch migrate: bring a store's schema up to date
 * SUMMARY
 *	relaywatch migrate [--db URL]
 * SYNOPSIS
 *	int cmd_migrate(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	Opens the store (--db, else the configuration's db, else
 *	store_default_path(); an SQLite path or a PostgreSQL URL, created
 *	when it is a missing SQLite file), applies every schema step it
 *	lacks (store_migrate: versioned, each step once, concurrent
 *	migrators serialised) and prints the store, its backend and its
 *	schema version, and the version it had. Every other command applies
 *	the same steps when it opens a store; this one does only that, so an
 *	operator can migrate a shared PostgreSQL store before starting the
 *	daemons of a new version. The store's password, if its URL holds
 *	one, is never printed.
 * DIAGNOSTICS
 *	Exit 0 (migrated, or already current), 2 usage (no store at all), 3
 *	the store cannot be opened or migrated (its message on stderr; a
 *	schema newer than this program is refused).
 * LIMITS
 *	none here (STORE_SCHEMA_VERSION is the version it writes).
 * STANDARDS
 *	none (doc/postgresql.md).
 */
#include "../store/store.h"
#include "cmd.h"
#include "cmd_desk.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* usage - the command's synopsis */
static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: relaywatch migrate [--db URL]\n"
	        "  --db URL   the store: an SQLite path or sqlite:PATH, postgresql://...\n"
	        "             (or postgres://..., or \"host=... dbname=...\"); default: the\n"
	        "             db key, $RELAYWATCH_DB, else " STORE_SYSTEM_DIR "/" STORE_FILE
	        " ...\n"
	        "applies the schema steps the store lacks (to version %d) and prints its "
	        "version\n",
	        STORE_SCHEMA_VERSION);
}

/* cmd_migrate - open, migrate, print the schema version */
int cmd_migrate(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *flag = NULL, *db;
	char *dflt = NULL, shown[512], err[512];
	struct store *st;
	int c, from, rc = EXIT_RUNTIME;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			flag = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "relaywatch migrate: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((db = cmd_desk_db(ctx, flag)) == NULL && (db = dflt = store_default_path()) == NULL) {
		fprintf(stderr, "relaywatch migrate: no --db and no default store (set db, "
		                "RELAYWATCH_DB or HOME)\n");
		return EXIT_USAGE;
	}
	store_redact(db, shown, sizeof(shown));
	if ((st = store_open(db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "relaywatch migrate: %s\n", err);
		goto out;
	}
	from = store_schema_version(st);
	if (store_migrate(st, (int64_t)time(NULL)) < 0) {
		fprintf(stderr, "relaywatch migrate: %s: %s\n", shown, store_error(st));
		goto out;
	}
	if (from == store_schema_version(st))
		printf("store %s (%s): schema version %d, up to date\n", shown, store_backend(st),
		       store_schema_version(st));
	else
		printf("store %s (%s): schema version %d, migrated from %d\n", shown,
		       store_backend(st), store_schema_version(st), from);
	rc = EXIT_CLEAN;
out:
	store_close(st);
	free(dflt);
	return rc;
}
