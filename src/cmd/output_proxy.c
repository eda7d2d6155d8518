/*
 * NAME
 *	output_proxy - reports of proxy results: terminal text and JSON Lines
 * SUMMARY
 *	one JSON object per target and port, or a readable block
 * SYNOPSIS
 *	void output_proxy_json(FILE *fp, const struct proxy_result *r, int verbose);
 *	char *output_proxy_json_str(const struct proxy_result *r, int verbose);
 *	void output_proxy_human(FILE *fp, const struct proxy_result *r, int verbose,
 *		int color);
 * DESCRIPTION
 *	The JSON (doc/cli.md "Proxy results") has "probe":"proxy", the
 *	target's verdict and reason, the software fingerprint, the egress
 *	address the canary saw, the canary, and one object per protocol
 *	tried with its own verdict, status, what was sent and what came back
 *	(printable, capped by the attempt) and the nonce that proved it. It
 *	is also the evidence the store keeps and the desk reads.
 *	The human form names the verdict, the reason, and one line per
 *	protocol; -v adds what was sent and received.
 * DIAGNOSTICS
 *	out of memory is fatal (rw_panic).
 * LIMITS
 *	the attempts' caps on sent/received (src/proxy).
 * STANDARDS
 *	none.
 */
#include "output.h"
#include "../core/xalloc.h"
#include "../proxy/presult.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* jopt - a string, or null when empty */
static json_t *jopt(const char *s)
{
	return s && *s ? output_json_text(s) : json_null();
}

/* attempt_obj - one protocol's attempt */
static json_t *attempt_obj(const struct pxa_report *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "proto", json_string(proxy_proto_name(a->proto)));
	json_object_set_new(o, "verdict",
	                    json_string(verdict_name(presult_verdict_of(a->outcome))));
	json_object_set_new(o, "reason", output_json_text(a->reason));
	json_object_set_new(o, "status", a->status >= 0 ? json_integer(a->status) : json_null());
	json_object_set_new(o, "software", jopt(a->software));
	json_object_set_new(o, "probe_id", jopt(a->probe_id));
	json_object_set_new(o, "sent", output_json_text(a->sent ? a->sent : ""));
	json_object_set_new(o, "received", output_json_text(a->received ? a->received : ""));
	json_object_set_new(o, "nonce", a->has_nonce ? output_json_text(a->nonce) : json_null());
	json_object_set_new(o, "egress", a->has_nonce ? jopt(a->canary.peer) : json_null());
	return o;
}

/* output_proxy_json_str - the result as one compact JSON line (owned) */
char *output_proxy_json_str(const struct proxy_result *r, int verbose)
{
	json_t *o = json_object(), *att = json_array();
	char canary[96], *s;

	(void)verbose; /* sent/received are short and always evidence */
	snprintf(canary, sizeof(canary), strchr(r->canary.addr, ':') ? "[%s]:%u" : "%s:%u",
	         r->canary.addr, r->canary.port);
	json_object_set_new(o, "target", output_json_text(r->target));
	json_object_set_new(o, "addr", output_json_text(r->addr));
	json_object_set_new(o, "port", json_integer(r->port));
	json_object_set_new(o, "probe", json_string("proxy"));
	json_object_set_new(o, "verdict", json_string(verdict_name(r->verdict)));
	json_object_set_new(o, "reason", output_json_text(r->reason));
	json_object_set_new(o, "software", jopt(r->software));
	json_object_set_new(o, "egress", jopt(r->egress));
	json_object_set_new(o, "canary", json_string(canary));
	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(att, attempt_obj(pxa_report(r->att[i])));
	json_object_set_new(o, "protocols", att);
	json_object_set_new(o, "started", json_integer(r->started / 1000));
	json_object_set_new(o, "elapsed_ms",
	                    json_integer(r->finished > r->started ? r->finished - r->started : 0));
	s = json_dumps(o, JSON_COMPACT);
	if (s == NULL)
		rw_panic("%s: json_dumps failed (out of memory)", __func__);
	json_decref(o);
	return s;
}

void output_proxy_json(FILE *fp, const struct proxy_result *r, int verbose)
{
	char *s = output_proxy_json_str(r, verbose);

	fprintf(fp, "%s\n", s);
	free(s);
}

/* put_clean - printable text; the attempts' transcripts are escaped already */
static void put_clean(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f)
			fputc(c, fp);
		else
			fprintf(fp, "\\x%02x", c);
	}
}

void output_proxy_human(FILE *fp, const struct proxy_result *r, int verbose, int color)
{
	const char *on = "", *off = color ? "\033[0m" : "";

	if (color)
		on = r->verdict == V_OPEN                                      ? "\033[1;31m"
		     : r->verdict == V_SUSPECT                                 ? "\033[1;33m"
		     : r->verdict == V_CLOSED || r->verdict == V_AUTH_REQUIRED ? "\033[1;32m"
		                                                               : "\033[2m";
	fprintf(fp, "%s port %u (proxy): %s%s%s\n", r->addr, r->port, on, verdict_name(r->verdict),
	        off);
	fputs("  reason: ", fp);
	put_clean(fp, r->reason);
	fputc('\n', fp);
	if (r->software[0] || r->egress[0]) {
		fputs("  software: ", fp);
		put_clean(fp, r->software[0] ? r->software : "unknown");
		if (r->egress[0])
			fprintf(fp, "  egress (as the canary saw it): %s", r->egress);
		fputc('\n', fp);
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct pxa_report *a = pxa_report(r->att[i]);

		fprintf(fp, "    %-13s %-13s ", proxy_proto_name(a->proto),
		        verdict_name(presult_verdict_of(a->outcome)));
		put_clean(fp, a->reason);
		fputc('\n', fp);
		if (verbose) {
			fputs("      sent:     ", fp);
			put_clean(fp, a->sent);
			fputs("\n      received: ", fp);
			put_clean(fp, a->received);
			fputc('\n', fp);
		}
	}
}
