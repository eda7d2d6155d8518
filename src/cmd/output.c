/*
 * NAME
 *	output - terminal and JSON Lines reports of a target's result
 * SUMMARY
 *	stable field names (doc/cli.md), colour only on a terminal
 * SYNOPSIS
 *	void output_json(FILE *fp, const struct target_result *r,
 *		const char *canary, int verbose);
 *	void output_human(FILE *fp, const struct target_result *r, int verbose,
 *		int color);
 *	json_t *output_json_text(const char *s);
 *	char *output_arrival_json(const struct arrival *a);
 * DESCRIPTION
 *	JSON is built with jansson, one object per line, so every byte a
 *	peer sent is escaped. The human report prints control bytes as \xNN.
 *	output_json() writes one line to fp: target fields, every test that
 *	was attempted (the others only counted, in tests_not_run), the
 *	arrivals, and with verbose the transcript split into lines; text that
 *	is not UTF-8 has its high bytes written as "\xNN". output_human()
 *	writes the verdict, reason, banner, the tests that got as far as
 *	accepted, the first arrival (all with verbose), and with verbose every
 *	test and the transcript (escaped when it was recorded). Colour codes
 *	only when color is set. output_arrival_json() returns an owned string
 *	(free() it) for one arrival without a test id. r and a are only read.
 * DIAGNOSTICS
 *	none: write errors on fp are left to the caller (ferror).
 * LIMITS
 *	none beyond those of the result (RW_TRANSCRIPT_MAX, RW_RECEIVED_MAX).
 * STANDARDS
 *	RFC 8259 (JSON), JSON Lines; doc/cli.md for the field names.
 */
#include "../core/jsonx.h"
#include "output.h"
#include "../core/xalloc.h"
#include "../smtp/arrival.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const verdict_colour[V__COUNT] = {
    [V_OPEN] = "\033[1;31m",          [V_SUSPECT] = "\033[1;33m",  [V_CLOSED] = "\033[1;32m",
    [V_AUTH_REQUIRED] = "\033[1;32m", [V_TEMPFAIL] = "\033[1;35m", [V_UNREACHABLE] = "\033[2m",
    [V_NOT_SMTP] = "\033[2m",         [V_NOT_PROXY] = "\033[2m",   [V_ERROR] = "\033[1;35m",
};

/* jstr - a JSON string from bytes that may be anything */
static json_t *jstr(const char *s)
{
	return jsonx_text(s);
}

/* arrival_obj - one arrival as a JSON object; token_fields only when the token parsed */
static json_t *arrival_obj(const struct arrival *a, const char *test_id)
{
	json_t *o = json_object();
	json_t *rec = json_array();

	if (test_id)
		json_object_set_new(o, "test", jstr(test_id));
	json_object_set_new(o, "time", json_integer(a->time));
	json_object_set_new(o, "peer", jstr(a->peer));
	json_object_set_new(o, "helo", jstr(a->helo));
	json_object_set_new(o, "mail_from", jstr(a->mail_from));
	json_object_set_new(o, "rcpt_to", jstr(a->rcpt_to));
	json_object_set_new(o, "size", json_integer((json_int_t)a->size));
	json_object_set_new(o, "token", jstr(a->token));
	json_object_set_new(o, "token_status",
	                    jstr(a->token[0] ? token_status_name(a->token_status) : "none"));
	json_object_set_new(o, "replayed", json_boolean(a->replayed));
	json_object_set_new(o, "quoted", json_boolean(a->quoted));
	if (a->token[0] && a->token_status != TOKEN_MALFORMED) {
		json_t *f = json_object();
		json_object_set_new(f, "scan", jstr(a->fields.scan));
		json_object_set_new(f, "target", jstr(a->fields.target));
		json_object_set_new(f, "port", json_integer(a->fields.port));
		json_object_set_new(f, "test", jstr(a->fields.test));
		json_object_set_new(f, "time", json_integer(a->fields.time));
		json_object_set_new(o, "token_fields", f);
	}
	for (int i = 0; i < a->nreceived && i < RW_RECEIVED_MAX; i++)
		json_array_append_new(rec, jstr(a->received[i]));
	json_object_set_new(o, "received", rec);
	return o;
}

/* output_arrival_json - one arrival as a compact JSON line; owned */
/* output_json_text - any bytes as a JSON string (high bytes escaped) */
json_t *output_json_text(const char *s)
{
	return jstr(s);
}

char *output_arrival_json(const struct arrival *a)
{
	json_t *o = arrival_obj(a, NULL);
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	if (s == NULL)
		rw_panic("%s: json_dumps failed (out of memory)", __func__);
	return s;
}

/* output_json - the whole result as one JSON Lines object on fp */
void output_json(FILE *fp, const struct target_result *r, const char *canary, int verbose)
{
	json_t *o = json_object();
	json_t *tests = json_array(), *arrivals = json_array();
	size_t notrun = 0;
	char *s;

	json_object_set_new(o, "target", jstr(r->target));
	json_object_set_new(o, "addr", jstr(r->addr));
	json_object_set_new(o, "port", json_integer(r->port));
	json_object_set_new(o, "probe", json_string("smtp"));
	json_object_set_new(o, "verdict", jstr(verdict_name(r->verdict)));
	json_object_set_new(o, "reason", jstr(r->reason));
	json_object_set_new(o, "end", jstr(sess_end_name(r->end)));
	json_object_set_new(o, "mta", r->mta[0] ? jstr(r->mta) : json_null());
	json_object_set_new(o, "banner", jstr(r->banner));
	json_object_set_new(o, "host", jstr(r->host));
	json_object_set_new(o, "esmtp", json_boolean(r->esmtp));
	json_object_set_new(o, "tls", json_boolean(r->tls));
	if (r->tls)
		json_object_set_new(o, "tls_version", jstr(r->tls_version));
	json_object_set_new(o, "canary", jstr(canary));
	json_object_set_new(o, "connections", json_integer(r->connects));
	json_object_set_new(o, "greylist_rounds", json_integer(r->greylist_rounds));
	for (size_t i = 0; i < r->ntests; i++) {
		const struct test_result *t = &r->tests[i];
		json_t *jt;

		/* a test never attempted (no connection, or the session ended
		 * first) is counted, not listed: an unreachable host's line
		 * would otherwise carry the whole battery */
		if (t->stage == STAGE_NOTRUN && t->attempts == 0 && t->text == NULL) {
			notrun++;
			continue;
		}
		jt = json_object();
		json_object_set_new(jt, "id", jstr(t->test->id));
		json_object_set_new(jt, "trick", jstr(t->test->trick));
		json_object_set_new(jt, "helo", jstr(t->helo));
		json_object_set_new(jt, "mail_from", jstr(t->mail_from));
		json_object_set_new(jt, "rcpt_to", jstr(t->rcpt_to));
		json_object_set_new(jt, "stage", jstr(stage_name(t->stage)));
		json_object_set_new(jt, "code", t->code ? json_integer(t->code) : json_null());
		json_object_set_new(jt, "esc", t->esc[0] ? jstr(t->esc) : json_null());
		json_object_set_new(jt, "text", jstr(t->text));
		json_object_set_new(jt, "attempts", json_integer(t->attempts));
		json_object_set_new(jt, "tempfail", json_boolean(t->tempfail));
		json_object_set_new(jt, "bounced", json_boolean(t->bounced));
		json_object_set_new(jt, "sender_fallback", json_boolean(t->sender_fallback));
		json_object_set_new(jt, "token", jstr(t->token));
		json_array_append_new(tests, jt);
		if (t->arrival)
			json_array_append_new(arrivals, arrival_obj(t->arrival, t->test->id));
	}
	json_object_set_new(o, "tests", tests);
	json_object_set_new(o, "tests_not_run", json_integer((json_int_t)notrun));
	json_object_set_new(o, "arrivals", arrivals);
	if (verbose) {
		json_t *tr = json_array();
		const char *p = dbuf_str(&r->transcript);

		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char *line = xstrndup(p, n);

			json_array_append_new(tr, jstr(line));
			free(line);
			p += n + (nl != NULL);
		}
		json_object_set_new(o, "transcript", tr);
		json_object_set_new(o, "transcript_truncated",
		                    json_boolean(r->transcript.dropped > 0));
	}
	json_object_set_new(o, "started", json_integer(r->started / 1000));
	json_object_set_new(o, "elapsed_ms", json_integer(r->finished - r->started));
	s = json_dumps(o, JSON_COMPACT);
	if (s == NULL)
		rw_panic("%s: json_dumps failed (out of memory)", __func__);
	fprintf(fp, "%s\n", s);
	free(s);
	json_decref(o);
}

/* put_clean - text with control bytes shown as \xNN and newlines as " / " */
static void put_clean(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			fputs(" / ", fp);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, fp);
		else
			fprintf(fp, "\\x%02x", c);
	}
}

/* output_human - the result for a person: verdict first, evidence, detail on -v */
/* refusal_summary - where the server said no: "refused: 6 at RCPT (554), 2 at MAIL (553)" */
static void refusal_summary(FILE *fp, const struct target_result *r)
{
	static const struct {
		enum stage stage;
		const char *at;
	} where[] = {
	    {STAGE_HELO, "HELO"}, {STAGE_CONNECT, "MAIL"},     {STAGE_MAIL, "RCPT"},
	    {STAGE_RCPT, "DATA"}, {STAGE_DATA, "end of DATA"},
	};
	int shown = 0, temp = 0;

	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		int n = 0, code = 0;

		for (size_t i = 0; i < r->ntests; i++) {
			const struct test_result *t = &r->tests[i];

			if (t->attempts == 0 || t->stage != where[w].stage || t->code < 400)
				continue;
			if (t->tempfail) {
				temp++;
				continue;
			}
			n++;
			code = code ? code : t->code;
		}
		if (n)
			fprintf(fp, "%s%d at %s (%d)", shown++ ? ", " : "  refused: ", n,
			        where[w].at, code);
	}
	if (temp)
		fprintf(fp, "%s%d answered only 4xx", shown++ ? "; " : "  ", temp);
	if (shown)
		fputc('\n', fp);
}

void output_human(FILE *fp, const struct target_result *r, int verbose, int color)
{
	const char *on = color ? verdict_colour[r->verdict] : "";
	const char *off = color ? "\033[0m" : "";
	int shown = 0;

	if (r->host[0] && r->host[0] != '[')
		fprintf(fp, "%s (%s) port %u: %s%s%s\n", r->host, r->addr, r->port, on,
		        verdict_name(r->verdict), off);
	else
		fprintf(fp, "%s port %u: %s%s%s\n", r->addr, r->port, on, verdict_name(r->verdict),
		        off);
	fputs("  reason: ", fp);
	put_clean(fp, r->reason);
	fputc('\n', fp);
	if (r->banner) {
		fputs("  banner: ", fp);
		put_clean(fp, r->banner);
		fputc('\n', fp);
	}
	fprintf(fp, "  mta: %s  esmtp: %s  tls: %s%s%s  connections: %d  greylist rounds: %d\n",
	        r->mta[0] ? r->mta : "unknown", r->esmtp ? "yes" : "no", r->tls ? "yes " : "no",
	        r->tls ? r->tls_version : "", "", r->connects, r->greylist_rounds);
	refusal_summary(fp, r);
	for (size_t i = 0; i < r->ntests; i++) {
		const struct test_result *t = &r->tests[i];

		if (t->stage < STAGE_ACCEPTED)
			continue;
		if (!shown++)
			fputs("  tests that worked:\n", fp);
		fprintf(fp, "    %-18s %-9s MAIL FROM:<", t->test->id, stage_name(t->stage));
		put_clean(fp, t->mail_from);
		fputs("> RCPT TO:<", fp);
		put_clean(fp, t->rcpt_to);
		fputs(">\n", fp);
	}
	for (size_t i = 0, n = 0; i < r->ntests; i++) {
		const struct test_result *t = &r->tests[i];
		char when[32];
		time_t tt;
		struct tm tm;

		if (!t->arrival || (n++ > 0 && !verbose))
			continue;
		tt = (time_t)t->arrival->time;
		gmtime_r(&tt, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(fp, "  evidence (%s): arrived %s from %s, token %s\n", t->test->id, when,
		        t->arrival->peer, token_status_name(t->arrival->token_status));
		for (int k = 0; k < t->arrival->nreceived; k++) {
			fputs("    Received: ", fp);
			put_clean(fp, t->arrival->received[k]);
			fputc('\n', fp);
		}
	}
	if (verbose) {
		fputs("  tests:\n", fp);
		for (size_t i = 0; i < r->ntests; i++) {
			const struct test_result *t = &r->tests[i];
			fprintf(fp, "    %-18s %-9s %3d ", t->test->id, stage_name(t->stage),
			        t->code);
			put_clean(fp, t->text);
			fputc('\n', fp);
		}
		fputs("  transcript:\n", fp);
		const char *p = dbuf_str(&r->transcript);
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			fprintf(fp, "    %.*s\n", (int)n, p);
			p += n + (nl != NULL);
		}
	}
}
