/*
 * NAME
 *	evidence - a target's result as notice variables
 * SUMMARY
 *	verdict, the tests that worked, a transcript excerpt, the arrival's
 *	Received chain and the repair advice, as text for a template
 * SYNOPSIS
 *	void evidence_vars(struct template_vars *v,
 *		const struct target_result *r, const char *retest_command);
 * DESCRIPTION
 *	A test "worked" when the server accepted it at end of DATA (or the
 *	sink saw it) and it did not come back as a bounce. The excerpt starts
 *	at the MAIL FROM of the first delivered test (else the first that
 *	worked, else the start) and runs RW_NOTICE_EXCERPT_LINES lines; the
 *	transcript already shows peer bytes as \xNN. The Received chain is the
 *	first arrival's, newest first, one value a line. The advice is keyed
 *	by r->mta and the ids of the tests that worked.
 * DIAGNOSTICS
 *	none.
 * LIMITS
 *	RW_NOTICE_EXCERPT_LINES, RW_NOTICE_EXCERPT_MAX.
 * STANDARDS
 *	RFC 5321 4.4 (Received), RFC 5322 3.6.7.
 */
#include "evidence.h"
#include "../core/xalloc.h"
#include "advice.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* set_text - a multi-line value without its final newline (the template has it) */
static void set_text(struct template_vars *v, const char *name, struct dbuf *b)
{
	while (b->len > 0 && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	template_vars_set(v, name, b->len ? dbuf_str(b) : NULL);
	dbuf_reset(b);
}

static int worked(const struct test_result *t)
{
	return t->stage >= STAGE_ACCEPTED && !t->bounced;
}

/* excerpt - transcript lines from the first working test's MAIL FROM */
static void excerpt(struct dbuf *out, const struct target_result *r)
{
	const char *tr = dbuf_str(&r->transcript), *start = tr;
	const struct test_result *pick = NULL;
	int lines = 0;

	for (size_t i = 0; i < r->ntests; i++)
		if (r->tests[i].stage == STAGE_DELIVERED && !r->tests[i].bounced) {
			pick = &r->tests[i];
			break;
		}
	for (size_t i = 0; !pick && i < r->ntests; i++)
		if (worked(&r->tests[i]))
			pick = &r->tests[i];
	if (pick) {
		char *needle = xasprintf("C: MAIL FROM:<%s>", pick->mail_from);
		const char *at = strstr(tr, needle);

		if (at)
			start = at;
		free(needle);
	}
	for (const char *p = start; *p && lines < RW_NOTICE_EXCERPT_LINES; lines++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (out->len + n > RW_NOTICE_EXCERPT_MAX)
			break;
		dbuf_add(out, p, n);
		p += n;
	}
	if (start[0] && (lines == RW_NOTICE_EXCERPT_LINES || out->len + 1 >= RW_NOTICE_EXCERPT_MAX))
		dbuf_adds(out, "...\n");
}

/* evidence_vars - everything a notice says about one result */
void evidence_vars(struct template_vars *v, const struct target_result *r,
		   const char *retest_command)
{
	struct dbuf b;
	const struct arrival *a = NULL;
	const char *ids[RW_BATTERY_MAX];
	size_t nids = 0;
	char when[32] = "";
	time_t tt;
	struct tm tm;

	template_vars_set(v, "host.addr", r->addr);
	template_vars_setf(v, "host.port", "%u", r->port);
	template_vars_set(v, "host.name", r->host[0] && r->host[0] != '[' ? r->host : NULL);
	template_vars_set(v, "verdict", verdict_name(r->verdict));
	template_vars_set(v, "reason", r->reason);
	template_vars_set(v, "mta", r->mta[0] ? r->mta : "unknown");
	template_vars_set(v, "mta.product", advice_for(r->mta)->product);
	if (r->started > 0) {
		tt = (time_t)(r->started / 1000);
		gmtime_r(&tt, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		template_vars_set(v, "tested_at", when);
	}

	dbuf_init(&b, 0);
	for (size_t i = 0; i < r->ntests; i++) {
		const struct test_result *t = &r->tests[i];

		if (!worked(t))
			continue;
		if (nids < RW_BATTERY_MAX)
			ids[nids++] = t->test->id;
		dbuf_printf(&b, "%s (%s): MAIL FROM:<%s> RCPT TO:<%s> -> %s\n", t->test->id,
			    t->test->trick, t->mail_from, t->rcpt_to, stage_name(t->stage));
		if (!a && t->arrival)
			a = t->arrival;
	}
	set_text(v, "tests_worked", &b);

	excerpt(&b, r);
	set_text(v, "transcript_excerpt", &b);

	template_vars_set(v, "arrival", a ? "yes" : NULL);
	if (a) {
		template_vars_setf(v, "arrival.peer", "%s", a->peer);
		tt = (time_t)a->time;
		gmtime_r(&tt, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		template_vars_set(v, "arrival.time", when);
		for (int k = 0; k < a->nreceived && k < RW_RECEIVED_MAX; k++)
			dbuf_printf(&b, "Received: %s\n", a->received[k]);
		set_text(v, "arrival.received", &b);
	}

	advice_write(&b, r->mta, ids, nids);
	set_text(v, "advice", &b);
	if (retest_command && retest_command[0])
		template_vars_set(v, "retest_command", retest_command);
	else if (strchr(r->addr, ':'))
		template_vars_setf(v, "retest_command", "relaywatch test [%s]:%u", r->addr, r->port);
	else
		template_vars_setf(v, "retest_command", "relaywatch test %s:%u", r->addr, r->port);
	advice_verify(&b, r->mta, template_vars_get(v, "retest_command"));
	set_text(v, "verify", &b);
	dbuf_free(&b);
}
