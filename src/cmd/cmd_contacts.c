/*
 * NAME
 *	cmd_contacts - relaywatch contacts: who administers which netblock
 * SUMMARY
 *	relaywatch contacts import [--db PATH] FILE|-
 *	relaywatch contacts list [--db PATH] [--json]
 *	relaywatch contacts for [--db PATH] [--json] ADDRESS
 * SYNOPSIS
 *	int cmd_contacts(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	import reads the owners CSV (src/desk/contacts.h: cidr, customer,
 *	admin emails, account id) and writes every good line in one store
 *	batch (an upsert by netblock), so an import is all or nothing once
 *	it starts writing; bad lines are reported as FILE:LINE: problem and
 *	nothing is written when there is any (a half-imported owners list
 *	would send notices to the wrong people). list prints the netblocks;
 *	for prints the contact that owns an address (longest prefix, the
 *	0.0.0.0/0 or ::/0 NOC contact last), which is whom the desk notifies.
 * DIAGNOSTICS
 *	Exit 0, 1 (for: no contact owns the address), 2 usage or bad lines,
 *	3 store errors.
 * LIMITS
 *	RW_SCAN_LINE_MAX bytes per line; RW_CONTACTS_MAX lines per import.
 */
#include "../core/limits.h"
#include "../desk/contacts.h"
#include "../store/store.h"
#include "../scan/ipset.h"
#include "cmd.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RW_CONTACTS_MAX 1000000

/* usage - the contacts subcommands */
static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: relaywatch contacts import [--db PATH] FILE|-\n"
	    "       relaywatch contacts list [--db PATH] [--json]\n"
	    "       relaywatch contacts for [--db PATH] [--json] ADDRESS\n\n"
	    "FILE is CSV: cidr,customer,admin emails (blank- or ;-separated),account id.\n"
	    "0.0.0.0/0 and ::/0 name the NOC, the contact of last resort.\n"
	    "exit status: 0 ok, 1 no contact owns ADDRESS, 2 usage or bad lines, 3 store error.\n");
}

/* emails_text - the parsed emails as one blank-separated list */
static void emails_text(const struct contact *c, char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->nemails && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? " " : "", c->emails[i]);
}

/* import - check every line first, then write them all in one batch */
static int import(struct store *st, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0, bad = 0, lineno = 0;
	ssize_t len;
	struct contact *v = NULL;
	int rc = EXIT_CLEAN;

	if (fp == NULL) {
		perror(path);
		return EXIT_USAGE;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		struct contact c;
		char err[160];
		int r;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((size_t)len > RW_SCAN_LINE_MAX || n == RW_CONTACTS_MAX) {
			fprintf(stderr, "relaywatch contacts: %s:%zu: %s\n", path, lineno,
			        n == RW_CONTACTS_MAX ? "too many lines" : "line too long");
			bad++;
			break;
		}
		if ((r = contact_parse_line(line, &c, err, sizeof(err))) < 0) {
			fprintf(stderr, "relaywatch contacts: %s:%zu: %s\n", path, lineno, err);
			bad++;
			continue;
		}
		if (r == 0)
			continue;
		if ((n & (n - 1)) == 0)
			v = realloc(v, (n ? 2 * n : 1) * sizeof(*v));
		if (v == NULL) {
			fprintf(stderr, "relaywatch contacts: out of memory\n");
			exit(EXIT_RUNTIME);
		}
		v[n++] = c;
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	if (bad) {
		fprintf(stderr, "relaywatch contacts: %zu bad line(s) in %s: nothing imported\n",
		        bad, path);
		free(v);
		return EXIT_USAGE;
	}
	if (store_batch_begin(st, STORE_DURABLE) < 0)
		rc = EXIT_RUNTIME;
	for (size_t i = 0; rc == EXIT_CLEAN && i < n; i++) {
		char emails[CONTACT_EMAILS_MAX * 256];
		struct store_contact sc = {.netblock = v[i].netblock,
		                           .customer = v[i].customer,
		                           .account = v[i].account,
		                           .emails = emails,
		                           .noc = v[i].prefix == 0,
		                           .updated_ms = (int64_t)time(NULL) * 1000};

		emails_text(&v[i], emails, sizeof(emails));
		if (store_contact_put(st, &sc, NULL) < 0)
			rc = EXIT_RUNTIME;
	}
	if (rc == EXIT_CLEAN && store_batch_commit(st) < 0)
		rc = EXIT_RUNTIME;
	if (rc != EXIT_CLEAN) {
		fprintf(stderr, "relaywatch contacts: store: %s: nothing imported\n",
		        store_error(st));
		if (store_in_batch(st))
			store_batch_abort(st);
	} else {
		printf("%zu contact(s) imported from %s\n", n, path);
	}
	free(v);
	return rc;
}

/* print - one contact, as a table row or a JSON line */
static void print(const struct store_contact *c, int json)
{
	if (json) {
		json_t *o =
		    json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "netblock", c->netblock, "prefix",
		              c->prefix, "customer", c->customer ? c->customer : "", "account",
		              c->account ? c->account : "", "emails", c->emails ? c->emails : "",
		              "noc", c->noc);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (s)
			puts(s);
		free(s);
		json_decref(o);
		return;
	}
	printf("%-24s %-24s %-12s %s\n", c->netblock, c->customer ? c->customer : "",
	       c->account && c->account[0] ? c->account : "-", c->emails ? c->emails : "");
}

/* cmd_contacts - import, list, for */
int cmd_contacts(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *verb;
	int c, json = 0, rc = EXIT_CLEAN;
	struct store *st;

	(void)ctx;
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
	verb = optind < argc ? argv[optind++] : NULL;
	if (verb == NULL || (strcmp(verb, "list") != 0 && optind + 1 != argc) ||
	    (strcmp(verb, "list") == 0 && optind != argc) ||
	    (strcmp(verb, "import") && strcmp(verb, "list") && strcmp(verb, "for"))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(verb, "for") == 0) {
		struct ipset_addr a;

		if (ipset_addr_parse(argv[optind], &a) < 0) {
			fprintf(stderr, "relaywatch contacts: %s: not a numeric address\n",
			        argv[optind]);
			return EXIT_USAGE;
		}
	}
	if ((st = cmd_store_open("contacts", db, strcmp(verb, "import") == 0, &rc)) == NULL)
		return rc;
	rc = EXIT_CLEAN; /* cmd_store_open left EXIT_RUNTIME, for its failure */
	if (strcmp(verb, "import") == 0) {
		rc = import(st, argv[optind]);
	} else if (strcmp(verb, "for") == 0) {
		struct store_contact sc = {0};
		int found = store_contact_for(st, argv[optind], &sc);

		if (found < 0) {
			fprintf(stderr, "relaywatch contacts: store: %s\n", store_error(st));
			rc = EXIT_RUNTIME;
		} else if (found == 0) {
			fprintf(stderr,
			        "relaywatch contacts: no contact owns %s (import a 0.0.0.0/0 or "
			        "::/0 NOC line)\n",
			        argv[optind]);
			rc = EXIT_FOUND;
		} else {
			print(&sc, json);
		}
		store_contact_clear(&sc);
	} else {
		struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};

		for (;;) {
			struct store_contacts l = {0};

			if (store_contacts_list(st, &pg, &l) < 0) {
				fprintf(stderr, "relaywatch contacts: store: %s\n",
				        store_error(st));
				rc = EXIT_RUNTIME;
				break;
			}
			for (size_t i = 0; i < l.n; i++)
				print(&l.v[i], json);
			pg.offset += (int64_t)l.n;
			store_contacts_free(&l);
			if (l.n < (size_t)pg.limit)
				break;
		}
	}
	store_close(st);
	return rc;
}
