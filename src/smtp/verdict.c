/*
 * NAME
 *	verdict - decide open, suspect, closed ... from a target's evidence
 * SUMMARY
 *	pure decision over the tests' stages, their replies and session facts
 * SYNOPSIS
 *	void verdict_decide(struct target_result *r);
 *	int verdict_is_auth(int code, const char *esc, const char *text);
 *	int verdict_is_starttls(int code, const char *esc, const char *text);
 *	int verdict_is_relay_denial(int code, const char *esc, const char *text);
 * DESCRIPTION
 *	Evidence ranks first: one token seen at the sink makes the target
 *	open, whatever else happened. Next, a message accepted at end of DATA
 *	without an arrival is suspect. Then the session's end decides the
 *	verdicts before any test ran (unreachable, not-smtp, tempfail ...).
 *	Otherwise the refusals decide: all authentication demands give
 *	auth-required, 4xx that never turned into an answer give tempfail
 *	(a 4xx saying relaying is denied was final already: DESIGN.md's
 *	persistent 4.7.x relay refusal; a 4.7.1 greylisting is not), a
 *	battery cut short by the peer gives error, else closed.
 *	The chain case: when the arrival came from another host than the
 *	target, the target is still the one named open, and the reason says
 *	which host the message left through.
 *	Then, in this order: an early end with tests left (error),
 *	pending 4xx (tempfail), all-auth refusals (auth-required), closed.
 *	verdict_decide() writes r->verdict and a one-line r->reason. The
 *	predicates match text case-insensitively; verdict_is_auth() never
 *	takes a 530 asking for STARTTLS; verdict_is_relay_denial() ignores
 *	texts that mention greylisting.
 * DIAGNOSTICS
 *	none; an error verdict carries its cause in r->reason.
 * LIMITS
 *	r->reason's size; test ids listed in at most 256 bytes.
 * STANDARDS
 *	RFC 5321 4.2.1 (reply classes), RFC 3463 (X.7.0, X.7.1), RFC 4954 6
 *	(530 5.7.0 authentication required), RFC 3207 4 (530 must issue
 *	STARTTLS first).
 */
#include "verdict.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* has_word - case-insensitive substring */
static int has_word(const char *text, const char *word)
{
	return text != NULL && strcasestr(text, word) != NULL;
}

/* verdict_is_starttls - a 530 that asks for STARTTLS, not for a login */
int verdict_is_starttls(int code, const char *esc, const char *text)
{
	(void)esc;
	return code == 530 && has_word(text, "starttls");
}

/* verdict_is_auth - the refusal asks for authentication, so it says nothing of relaying */
int verdict_is_auth(int code, const char *esc, const char *text)
{
	if (verdict_is_starttls(code, esc, text))
		return 0;
	if (code == 530 || code == 535)
		return 1;
	if (code >= 500 &&
	    (has_word(text, "authentication required") || has_word(text, "not authenticated") ||
	     has_word(text, "authentication is required") || has_word(text, "must authenticate") ||
	     has_word(text, "auth required")))
		return 1;
	return esc && strcmp(esc, "5.7.0") == 0 && has_word(text, "auth");
}

/* verdict_is_relay_denial - the text refuses relaying, so a 4xx is final, not greylisting */
int verdict_is_relay_denial(int code, const char *esc, const char *text)
{
	static const char *const words[] = {
	    "relay access denied",    "relaying denied",      "relay not permitted",
	    "relaying not permitted", "unable to relay",      "relaying not allowed",
	    "relay denied",           "not allowed to relay", "relaying disallowed",
	    "we do not relay",        "no relaying",          "relay prohibited",
	};

	(void)esc;
	if (code < 400 || code > 599 || has_word(text, "greylist"))
		return 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (has_word(text, words[i]))
			return 1;
	return 0;
}

/* list_ids - "N of M tests: id1, id2, ..." of tests at `stage` into buf */
static void list_ids(const struct target_result *r, enum stage stage, char *buf, size_t len)
{
	size_t used, count = 0;
	int n;

	for (size_t i = 0; i < r->ntests; i++)
		count += r->tests[i].stage == stage;
	n = snprintf(buf, len, "%zu of %zu tests: ", count, r->ntests);
	used = n > 0 && (size_t)n < len ? (size_t)n : 0;
	for (size_t i = 0, shown = 0; i < r->ntests && used + 1 < len; i++) {
		if (r->tests[i].stage != stage)
			continue;
		if (used + 40 > len) {
			snprintf(buf + used, len - used, ", ...");
			break;
		}
		n = snprintf(buf + used, len - used, "%s%s", shown++ ? ", " : "",
		             r->tests[i].test ? r->tests[i].test->id : "?");
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

/* decide_open - open, naming the host the arrival came from when it is not the target */
static void decide_open(struct target_result *r)
{
	char ids[256];
	const struct arrival *a = NULL;

	list_ids(r, STAGE_DELIVERED, ids, sizeof(ids));
	for (size_t i = 0; i < r->ntests && a == NULL; i++)
		a = r->tests[i].arrival;
	r->verdict = V_OPEN;
	if (a != NULL && strcmp(a->peer, r->addr) != 0)
		snprintf(r->reason, sizeof(r->reason),
		         "relayed to the canary (%s); it reached the sink from %s (a "
		         "smarthost downstream of %s, or another address of it): %s is "
		         "the open relay",
		         ids, a->peer, r->addr, r->addr);
	else
		snprintf(r->reason, sizeof(r->reason), "relayed to the canary: %s", ids);
}

/* decide_no_tests - verdicts fixed before any test could run */
static int decide_no_tests(struct target_result *r)
{
	static const struct {
		enum sess_end end;
		enum verdict v;
		const char *why;
	} rows[] = {
	    {END_CONNECT_FAILED, V_UNREACHABLE, "connection failed"},
	    {END_CLOSED_EARLY, V_UNREACHABLE, "connection closed before a banner"},
	    {END_BANNER_TIMEOUT, V_UNREACHABLE, "no complete banner before the deadline"},
	    {END_BANNER_REFUSED, V_CLOSED, "the banner refuses service"},
	    {END_BANNER_TEMPFAIL, V_TEMPFAIL, "the banner says busy (4xx)"},
	    {END_NOT_SMTP, V_NOT_SMTP, "the peer does not speak SMTP"},
	    {END_HELO_REFUSED, V_CLOSED, "both EHLO and HELO were refused"},
	    {END_TLS_REQUIRED, V_ERROR, "STARTTLS required by --tls but not offered"},
	    {END_TLS_FAILED, V_ERROR, "TLS handshake failed"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].end != r->end)
			continue;
		r->verdict = rows[i].v;
		if (r->end_detail[0])
			snprintf(r->reason, sizeof(r->reason), "%s: %s", rows[i].why,
			         r->end_detail);
		else
			snprintf(r->reason, sizeof(r->reason), "%s", rows[i].why);
		return 1;
	}
	return 0;
}

/* decide - pick the verdict by precedence: delivered, accepted, early end, 4xx, auth, closed */
static void decide(struct target_result *r)
{
	size_t run = 0, refused = 0, auth = 0, starttls = 0, temp = 0, accepted = 0;
	const struct test_result *last_refusal = NULL, *last_temp = NULL;
	char ids[256];

	for (size_t i = 0; i < r->ntests; i++) {
		const struct test_result *t = &r->tests[i];

		if (t->stage == STAGE_DELIVERED) {
			decide_open(r);
			return;
		}
		if (t->stage == STAGE_ACCEPTED)
			accepted++;
		if (t->attempts == 0)
			continue;
		run++;
		if (t->tempfail) {
			temp++;
			last_temp = t;
		} else if (t->done && t->code >= 400) {
			refused++;
			last_refusal = t;
			if (verdict_is_auth(t->code, t->esc, t->text))
				auth++;
			if (verdict_is_starttls(t->code, t->esc, t->text))
				starttls++;
		}
	}
	if (accepted) {
		size_t bounced = 0;

		for (size_t i = 0; i < r->ntests; i++)
			bounced += r->tests[i].stage == STAGE_ACCEPTED && r->tests[i].bounced;
		list_ids(r, STAGE_ACCEPTED, ids, sizeof(ids));
		r->verdict = V_SUSPECT;
		if (bounced)
			snprintf(r->reason, sizeof(r->reason),
			         "accepted for delivery at end of DATA, no relayed arrival; %zu "
			         "came back only as bounces (backscatter, not relaying): %s",
			         bounced, ids);
		else
			snprintf(
			    r->reason, sizeof(r->reason),
			    "accepted for delivery at end of DATA but no arrival at the sink: %s",
			    ids);
		return;
	}
	if (run == 0 && decide_no_tests(r))
		return;
	/* a budget spent waiting out 4xx answers (greylisting) is a tempfail:
	 * a later retry may get through, so it is not a protocol error */
	if (r->end != END_DONE && r->end != END_NONE && run < r->ntests &&
	    !(r->end == END_SESSION_TIMEOUT && temp > 0)) {
		r->verdict = V_ERROR;
		snprintf(r->reason, sizeof(r->reason), "%s after %zu of %zu tests%s%s",
		         sess_end_name(r->end), run, r->ntests, r->end_detail[0] ? ": " : "",
		         r->end_detail);
		return;
	}
	if (temp > 0) {
		r->verdict = V_TEMPFAIL;
		snprintf(r->reason, sizeof(r->reason),
		         "%zu test(s) answered only 4xx after %d greylist round(s): %d %s", temp,
		         r->greylist_rounds, last_temp->code,
		         last_temp->text ? last_temp->text : "");
		return;
	}
	if (run == 0) {
		r->verdict = V_ERROR;
		snprintf(r->reason, sizeof(r->reason), "no test could run (%s)",
		         sess_end_name(r->end));
		return;
	}
	if (auth > 0 && auth + starttls == refused) {
		r->verdict = V_AUTH_REQUIRED;
		snprintf(r->reason, sizeof(r->reason), "authentication demanded: %d %s",
		         last_refusal->code, last_refusal->text ? last_refusal->text : "");
		return;
	}
	if (last_refusal == NULL) {
		r->verdict = V_ERROR;
		snprintf(r->reason, sizeof(r->reason), "no test got a usable answer (%s)",
		         sess_end_name(r->end));
		return;
	}
	r->verdict = V_CLOSED;
	if (starttls == refused && starttls > 0)
		snprintf(r->reason, sizeof(r->reason), "STARTTLS demanded and not used: %d %s",
		         last_refusal->code, last_refusal->text ? last_refusal->text : "");
	else
		snprintf(r->reason, sizeof(r->reason),
		         "all %zu relay attempts refused; last: %d %s", run, last_refusal->code,
		         last_refusal->text ? last_refusal->text : "");
}

/* verdict_decide - decide, then make the reason one printable line */
void verdict_decide(struct target_result *r)
{
	decide(r);
	/* reply texts may span lines and carry any byte: one clean line */
	for (char *p = r->reason; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = ' ';
}
