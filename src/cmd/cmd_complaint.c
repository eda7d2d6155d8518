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
 *	came with when there is one. Both print what was kept. Opening the
 *	incident and the policy's steps belong to the desk (not wired yet).
 * DIAGNOSTICS
 *	Exit 0 kept (or already kept), 2 usage or a message that is not a
 *	usable complaint (the reason on stderr), 3 store errors.
 * LIMITS
 *	RW_COMPLAINT_MAX bytes of message.
 */
#include "../core/limits.h"
#include "../desk/complaint.h"
#include "../scan/ipset.h"
#include "../store/store.h"
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* usage - the complaint subcommands */
static void usage(FILE *fp)
{
	fprintf(fp, "usage: relaywatch complaint import [--db PATH] [--ip ADDR] [--json] < message\n"
		    "       relaywatch complaint add ADDR [--db PATH] [--from MAILBOX] [--file MESSAGE] "
		    "[--json]\n\n"
		    "import: an ARF (RFC 5965), X-ARF or plain complaint message on stdin.\n"
		    "exit status: 0 kept, 2 usage or not a usable complaint, 3 store error.\n");
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

/* keep - one complaint into the store; prints it; an exit status */
static int keep(struct store *st, const struct store_complaint *sc, int json)
{
	int64_t id = 0;
	int r = store_complaint_add(st, sc, &id);

	if (r < 0) {
		fprintf(stderr, "relaywatch complaint: store: %s\n", store_error(st));
		return EXIT_RUNTIME;
	}
	if (json) {
		json_t *o = json_pack("{s:I, s:b, s:s, s:i, s:s, s:s, s:s}", "id", (json_int_t)id,
				      "duplicate", r == 0, "addr", sc->addr, "port", (int)sc->port,
				      "reporter", sc->reporter ? sc->reporter : "", "kind",
				      sc->kind ? sc->kind : "", "summary", sc->summary ? sc->summary : "");
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (s)
			puts(s);
		free(s);
		json_decref(o);
	} else {
		printf("complaint %lld%s: %s%s%.0u from %s (%s)\n", (long long)id,
		       r == 0 ? " (already kept)" : "", sc->addr, sc->port ? " port " : "", sc->port,
		       sc->reporter && sc->reporter[0] ? sc->reporter : "?", sc->kind);
	}
	return EXIT_CLEAN;
}

/* cmd_complaint - import, add */
int cmd_complaint(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },   { "ip", required_argument, NULL, 'i' },
		{ "from", required_argument, NULL, 'f' }, { "file", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },       { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *ip = NULL, *from = NULL, *file = NULL, *verb;
	int c, json = 0, rc = EXIT_CLEAN, add;
	char *msg = NULL, ref[512];
	size_t len = 0;
	struct complaint *cp = NULL;
	struct store *st = NULL;
	struct ipset_addr a;

	(void)ctx;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'i': ip = optarg; break;
		case 'f': from = optarg; break;
		case 'F': file = optarg; break;
		case 'j': json = 1; break;
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
			fprintf(stderr, "relaywatch complaint: not a usable complaint: %s\n", cp->error);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if ((st = cmd_store_open("complaint", db, 1, &rc)) == NULL)
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
	struct store_complaint sc = {
		.received_ms = (int64_t)time(NULL) * 1000,
		.reporter = from ? from : cp ? cp->reporter : "",
		.addr = cp ? cp->ip : ip,
		.port = cp ? cp->port : 0,
		.kind = cp ? complaint_format_name(cp->format) : "manual",
		.summary = cp ? cp->summary : "entered by hand",
		.raw = msg, .raw_len = msg ? len : 0, .ref = ref,
	};
	rc = keep(st, &sc, json);
out:
	store_close(st);
	complaint_free(cp);
	free(msg);
	return rc;
}
