/*
 * NAME
 *	cmd_complaint - relaywatch complaint: abuse reports into the store
 * SUMMARY
 *	relaywatch complaint import [--db PATH] [--ip ADDR] [--json] < message
 *	relaywatch complaint add ADDR [--db PATH] [--from MAILBOX] [--file MESSAGE] [--json]
 * SYNOPSIS
 *	int cmd_complaint(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	import reads one complaint message (RFC 5965 ARF, X-ARF, or a plain
 *	complaint with the offending message attached or quoted) from stdin,
 *	as an abuse@ alias pipes it, parses it with src/desk/complaint and
 *	keeps it in the store: reporter, address and port, type, summary,
 *	the raw message and its Message-ID (else its SHA-256) as the key, so
 *	the same report delivered twice is kept once. add records a complaint typed in by
 *	hand (a phone call, a web form) about ADDR, with the message it
 *	came with when there is one. When the configuration names a policy,
 *	a complaint kept (or kept before but not yet attached) goes to the
 *	desk (cmd_desk_open, desk_complaint at the wall clock's time), which
 *	opens or finds the incident of its address and port and runs the
 *	policy's steps; without one it is only kept, and stderr says so.
 *	Both print what was kept and its incident ("incident" in --json,
 *	null when none; a report delivered twice names the incident it is
 *	attached to). --db, else the `db` key, names the store.
 * DIAGNOSTICS
 *	Exit 0 kept (or already kept), 2 usage or a message that is not a
 *	usable complaint (the reason on stderr), or a configuration problem
 *	of the desk (bad policy or templates: the complaint is kept), 3 store
 *	or desk errors (a complaint kept before the desk failed stays kept).
 * LIMITS
 *	RW_COMPLAINT_MAX bytes of message.
 */
#include "../core/limits.h"
#include "../desk/complaint.h"
#include "../desk/desk.h"
#include "../desk/deskclock.h"
#include "../scan/ipset.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmd_desk.h"
#include "output.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* usage - the complaint subcommands */
static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: relaywatch complaint import [--db PATH] [--ip ADDR] [--json] < message\n"
	    "       relaywatch complaint add ADDR [--db PATH] [--from MAILBOX] [--file MESSAGE] "
	    "[--json]\n\n"
	    "import: an ARF (RFC 5965), X-ARF or plain complaint message on stdin.\n"
	    "With `policy` in the configuration the complaint opens (or joins) an incident.\n"
	    "exit status: 0 kept, 2 usage, not a usable complaint or a bad policy,\n"
	    "3 store or desk error.\n");
}

/* slurp - the whole stream, at most RW_COMPLAINT_MAX + 1 bytes (so an
 * oversize message is seen as one); NULL on a read error */
static char *slurp(FILE *fp, size_t *len)
{
	char *buf = malloc(RW_COMPLAINT_MAX + 2);
	size_t n = 0, r;

	if (buf == NULL)
		return NULL;
	while (n <= RW_COMPLAINT_MAX && (r = fread(buf + n, 1, RW_COMPLAINT_MAX + 1 - n, fp)) > 0)
		n += r;
	if (ferror(fp)) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* message_id - the Message-ID header of msg into buf ("" when none) */
static void message_id(const char *msg, size_t len, char *buf, size_t blen)
{
	const char *p = msg, *end = msg + len;

	buf[0] = '\0';
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (n == 0 || (n == 1 && p[0] == '\r'))
			return; /* end of the header */
		if (n > 11 && strncasecmp(p, "Message-ID:", 11) == 0) {
			const char *v = p + 11;

			while (v < p + n && (*v == ' ' || *v == '\t'))
				v++;
			n -= (size_t)(v - p);
			while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' '))
				n--;
			snprintf(buf, blen, "%.*s", (int)n, v);
			return;
		}
		p = eol ? eol + 1 : end;
	}
}

/* to_desk - the kept complaint id (dup: kept before) to the desk at now
 * (ms), when a policy is configured; *incident its incident (0 none); an
 * exit status */
static int to_desk(struct store *st, const struct cmd_ctx *ctx, int64_t id, int dup, long long now,
                   int64_t *incident)
{
	struct desk *d;
	int r, rc;

	*incident = 0;
	if (dup) { /* attached already: the desk has seen it */
		struct store_complaints l;

		if ((r = store_complaint_get(st, id, &l)) < 0) {
			fprintf(stderr, "relaywatch complaint: store: %s\n", store_error(st));
			return EXIT_RUNTIME;
		}
		*incident = r > 0 ? l.v[0].incident : 0;
		store_complaints_free(&l);
		if (*incident > 0)
			return EXIT_CLEAN;
	}
	if (ctx->cfg->policy == NULL) {
		fprintf(stderr, "relaywatch complaint: no policy configured (`policy = FILE`), so "
		                "no incident was opened\n");
		return EXIT_CLEAN;
	}
	if ((d = cmd_desk_open("complaint", ctx, st, &rc)) == NULL)
		return rc;
	r = desk_complaint(d, id, now, incident);
	rc = EXIT_CLEAN;
	if (r < 0) {
		fprintf(stderr,
		        "relaywatch complaint: complaint %lld kept, but the desk failed: %s\n",
		        (long long)id, desk_error(d));
		*incident = 0;
		rc = EXIT_RUNTIME;
	} else if (r == 0) {
		fprintf(stderr,
		        "relaywatch complaint: the policy opens no incident on complaints\n");
		*incident = 0;
	}
	desk_free(d);
	return rc;
}

/* keep - one complaint into the store and to the desk; prints it; an
 * exit status */
static int keep(struct store *st, const struct cmd_ctx *ctx, const struct store_complaint *sc,
                int json)
{
	int64_t id = 0, incident = 0;
	int r = store_complaint_add(st, sc, &id), rc;

	if (r < 0) {
		fprintf(stderr, "relaywatch complaint: store: %s\n", store_error(st));
		return EXIT_RUNTIME;
	}
	rc = to_desk(st, ctx, id, r == 0, sc->received_ms, &incident);
	if (json) {
		json_t *o = json_object();
		char *s;

		/* the reporter and summary are anyone's bytes: never lose the line */
		json_object_set_new(o, "id", json_integer(id));
		json_object_set_new(o, "duplicate", json_boolean(r == 0));
		json_object_set_new(o, "addr", output_json_text(sc->addr));
		json_object_set_new(o, "port", json_integer(sc->port));
		json_object_set_new(o, "reporter",
		                    output_json_text(sc->reporter ? sc->reporter : ""));
		json_object_set_new(o, "kind", output_json_text(sc->kind ? sc->kind : ""));
		json_object_set_new(o, "summary", output_json_text(sc->summary ? sc->summary : ""));
		json_object_set_new(o, "incident",
		                    incident > 0 ? json_integer(incident) : json_null());
		if ((s = o ? json_dumps(o, JSON_COMPACT) : NULL) != NULL)
			puts(s);
		free(s);
		json_decref(o);
	} else {
		printf("complaint %lld%s: %s%s%.0u from %s (%s)", (long long)id,
		       r == 0 ? " (already kept)" : "", sc->addr, sc->port ? " port " : "",
		       sc->port, sc->reporter && sc->reporter[0] ? sc->reporter : "?", sc->kind);
		if (incident > 0)
			printf("; incident %lld", (long long)incident);
		putchar('\n');
	}
	return rc;
}

/* cmd_complaint - import, add */
int cmd_complaint(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"ip", required_argument, NULL, 'i'},
	    {"from", required_argument, NULL, 'f'},
	    {"file", required_argument, NULL, 'F'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *ip = NULL, *from = NULL, *file = NULL, *verb;
	int c, json = 0, rc = EXIT_CLEAN, add;
	char *msg = NULL, ref[512];
	size_t len = 0;
	struct complaint *cp = NULL;
	struct store *st = NULL;
	struct ipset_addr a;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'i':
			ip = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'F':
			file = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	verb = optind < argc ? argv[optind++] : "";
	add = strcmp(verb, "add") == 0;
	if ((!add && strcmp(verb, "import") != 0) || (add && optind + 1 != argc) ||
	    (!add && optind != argc) || (add && ip) || (!add && (from || file))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (add)
		ip = argv[optind];
	if (ip && ipset_addr_parse(ip, &a) < 0) {
		fprintf(stderr, "relaywatch complaint: %s: not a numeric address\n", ip);
		return EXIT_USAGE;
	}
	if (!add || file) {
		FILE *fp = file ? fopen(file, "rb") : stdin;

		if (fp == NULL || (msg = slurp(fp, &len)) == NULL) {
			fprintf(stderr, "relaywatch complaint: %s: %s\n", file ? file : "stdin",
			        strerror(errno));
			if (fp && fp != stdin)
				fclose(fp);
			return EXIT_USAGE;
		}
		if (fp != stdin)
			fclose(fp);
	}
	if (msg) {
		cp = complaint_parse(msg, len, ip);
		if (cp->error[0]) {
			fprintf(stderr, "relaywatch complaint: not a usable complaint: %s\n",
			        cp->error);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if ((st = cmd_store_open("complaint", cmd_desk_db(ctx, db), 1, &rc)) == NULL)
		goto out;
	message_id(msg ? msg : "", len, ref, sizeof(ref));
	if (ref[0] == '\0' && msg) {
		/* no Message-ID: the message's digest keys it */
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;

		if (EVP_Digest(msg, len, md, &mdlen, EVP_sha256(), NULL)) {
			strcpy(ref, "sha256:");
			for (unsigned int i = 0; i < mdlen; i++)
				snprintf(ref + 7 + 2 * i, 3, "%02x", md[i]);
		}
	}
	/* the desk's clock, in ms: the complaint sorts before what it causes */
	struct deskclock clk = deskclock_system();
	struct store_complaint sc = {
	    .received_ms = deskclock_now(&clk),
	    .reporter = from ? from
	                : cp ? cp->reporter
	                     : "",
	    .addr = cp ? cp->ip : ip,
	    .port = cp ? cp->port : 0,
	    .kind = cp ? complaint_format_name(cp->format) : "manual",
	    .summary = cp ? cp->summary : "entered by hand",
	    .raw = msg,
	    .raw_len = msg ? len : 0,
	    .ref = ref,
	};
	rc = keep(st, ctx, &sc, json);
out:
	store_close(st);
	complaint_free(cp);
	free(msg);
	return rc;
}
