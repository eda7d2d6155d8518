/*
 * NAME
 *	result - the per-target result record and the names of its enums
 * SUMMARY
 *	init/clear of struct target_result; verdict, stage and end names
 * SYNOPSIS
 *	void result_init(struct target_result *r);
 *	void result_clear(struct target_result *r);
 *	void result_tests_new(struct target_result *r, size_t n);
 *	void result_test_set(struct test_result *t, const char *helo,
 *		const char *mail_from, const char *rcpt_to, const char *token);
 *	size_t result_accepted(const struct target_result *r);
 *	const char *verdict_name(enum verdict v);
 *	const char *stage_name(enum stage s);
 *	const char *sess_end_name(enum sess_end e);
 * DESCRIPTION
 *	The names are the stable strings of the JSON output (doc/cli.md);
 *	they are static, and "?" for a value outside the enum.
 *	result_init() zeroes r, caps its transcript and starts the verdict at
 *	error until verdict_decide() says otherwise. result_clear() frees what
 *	r owns (the tests with their strings, texts and arrivals, banner,
 *	transcript) and leaves the pointers NULL and ntests 0; the other
 *	scalars are kept. result_tests_new() gives r n zeroed tests whose
 *	strings are "", so a session pays for the battery it runs, not for
 *	RW_BATTERY_MAX. result_test_set() replaces a test's four strings with
 *	copies in one allocation (one malloc per test, not four); its
 *	arguments may point into the block it replaces.
 * DIAGNOSTICS
 *	none.
 * LIMITS
 *	transcript capped at RW_TRANSCRIPT_MAX; at most RW_BATTERY_MAX tests.
 * STANDARDS
 *	none (doc/cli.md for the names).
 */
#include "result.h"
#include "../core/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[V__COUNT] = {
    [V_OPEN] = "open",         [V_SUSPECT] = "suspect",
    [V_CLOSED] = "closed",     [V_AUTH_REQUIRED] = "auth-required",
    [V_TEMPFAIL] = "tempfail", [V_UNREACHABLE] = "unreachable",
    [V_NOT_SMTP] = "not-smtp", [V_NOT_PROXY] = "not-proxy",
    [V_ERROR] = "error",
};

static const char *const stage_names[STAGE__COUNT] = {
    [STAGE_NOTRUN] = "notrun",     [STAGE_HELO] = "helo",           [STAGE_CONNECT] = "connect",
    [STAGE_MAIL] = "mail",         [STAGE_RCPT] = "rcpt",           [STAGE_DATA] = "data",
    [STAGE_ACCEPTED] = "accepted", [STAGE_DELIVERED] = "delivered",
};

static const char *const end_names[END__COUNT] = {
    [END_NONE] = "running",
    [END_DONE] = "done",
    [END_CONNECT_FAILED] = "connect-failed",
    [END_CLOSED_EARLY] = "closed-before-banner",
    [END_BANNER_TIMEOUT] = "banner-timeout",
    [END_BANNER_REFUSED] = "banner-refused",
    [END_BANNER_TEMPFAIL] = "banner-tempfail",
    [END_NOT_SMTP] = "not-smtp",
    [END_PROTOCOL] = "protocol-error",
    [END_TIMEOUT] = "reply-timeout",
    [END_SESSION_TIMEOUT] = "session-timeout",
    [END_DROPPED] = "dropped",
    [END_TLS_FAILED] = "tls-failed",
    [END_TLS_REQUIRED] = "tls-not-offered",
    [END_HELO_REFUSED] = "helo-refused",
};

/* result_init - empty result with a capped transcript, verdict error until decided */
void result_init(struct target_result *r)
{
	memset(r, 0, sizeof(*r));
	dbuf_init(&r->transcript, RW_TRANSCRIPT_MAX);
	r->verdict = V_ERROR;
}

/* result_clear - free everything the result owns, keep its other counts */
void result_clear(struct target_result *r)
{
	for (size_t i = 0; i < r->ntests; i++) {
		free(r->tests[i].text);
		free(r->tests[i].strs);
		arrival_free(r->tests[i].arrival);
	}
	free(r->tests);
	r->tests = NULL;
	r->ntests = 0;
	free(r->banner);
	r->banner = NULL;
	dbuf_free(&r->transcript);
}

/* result_tests_new - room for exactly the tests this session runs */
void result_tests_new(struct target_result *r, size_t n)
{
	if (r->tests != NULL || n > RW_BATTERY_MAX)
		rw_panic("%s: tests already there or %zu > RW_BATTERY_MAX", __func__, n);
	r->tests = xcalloc(n ? n : 1, sizeof(*r->tests));
	r->ntests = n;
	/* no block until result_test_set(): a test never run costs nothing */
	for (size_t i = 0; i < n; i++)
		r->tests[i].helo = r->tests[i].mail_from = r->tests[i].rcpt_to = r->tests[i].token =
		    "";
}

/* result_test_set - the four strings of a test in one owned block */
void result_test_set(struct test_result *t, const char *helo, const char *mail_from,
                     const char *rcpt_to, const char *token)
{
	const char *in[4] = {helo ? helo : "", mail_from ? mail_from : "", rcpt_to ? rcpt_to : "",
	                     token ? token : ""};
	size_t len[4], total = 0;
	char *block, *p;

	for (int i = 0; i < 4; i++)
		total += (len[i] = strlen(in[i])) + 1;
	block = p = xmalloc(total);
	for (int i = 0; i < 4; i++) {
		memcpy(p, in[i], len[i] + 1);
		in[i] = p; /* the old block may be what we copied from: free it last */
		p += len[i] + 1;
	}
	free(t->strs);
	t->strs = block;
	t->helo = in[0];
	t->mail_from = in[1];
	t->rcpt_to = in[2];
	t->token = in[3];
}

/* result_take_arrival - the test whose token a carries, not yet arrived:
 * bounced when a only quotes the token (backscatter), else delivered with
 * a copy of a. NULL when a is not a valid first delivery of one of r's
 * tokens. */
struct test_result *result_take_arrival(struct target_result *r, const struct arrival *a)
{
	if (a->token_status != TOKEN_VALID || (a->replayed && !a->quoted))
		return NULL;
	for (size_t k = 0; k < r->ntests; k++) {
		struct test_result *t = &r->tests[k];

		if (strcmp(t->token, a->token) != 0 || t->arrival)
			continue;
		if (a->quoted) {
			t->bounced = 1;
		} else {
			t->arrival = arrival_dup(a);
			t->stage = STAGE_DELIVERED;
		}
		return t;
	}
	return NULL;
}

/* result_accepted - accepted tests still waiting for their arrival */
size_t result_accepted(const struct target_result *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->ntests; i++)
		n += r->tests[i].stage == STAGE_ACCEPTED && !r->tests[i].bounced;
	return n;
}

/* verdict_name - stable JSON name of a verdict, "?" out of range */
const char *verdict_name(enum verdict v)
{
	return (unsigned)v < V__COUNT ? verdict_names[v] : "?";
}

/* stage_name - stable JSON name of a stage, "?" out of range */
const char *stage_name(enum stage s)
{
	return (unsigned)s < STAGE__COUNT ? stage_names[s] : "?";
}

/* sess_end_name - stable JSON name of a session end, "?" out of range */
const char *sess_end_name(enum sess_end e)
{
	return (unsigned)e < END__COUNT ? end_names[e] : "?";
}
