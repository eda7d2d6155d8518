/*
 * test_verdict - verdict decisions from tests' stages, codes and the
 * session's end: a table of cases {name, end, tests..., want}
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/xalloc.h"
#include "../../src/smtp/verdict.h"

static const struct battery_test bt = {.id = "t", .trick = "t", .mail_from = "", .rcpt_to = ""};

struct tcase {
	enum stage stage;
	int code;
	const char *esc, *text;
	int tempfail, attempts;
};

static const struct {
	const char *name;
	enum sess_end end;
	int ntests;
	struct tcase t[4];
	enum verdict want;
	const char *reason_has;
} cases[] = {
    {"one delivered wins over refusals",
     END_DONE,
     3,
     {{STAGE_MAIL, 554, "5.7.1", "Relay access denied", 0, 1},
      {STAGE_DELIVERED, 250, "2.0.0", "queued", 0, 1},
      {STAGE_ACCEPTED, 250, "", "ok", 0, 1}},
     V_OPEN,
     "relayed"},
    {"delivered even if the session broke later",
     END_DROPPED,
     2,
     {{STAGE_DELIVERED, 250, "", "ok", 0, 1}, {STAGE_NOTRUN, 0, "", NULL, 0, 0}},
     V_OPEN,
     NULL},
    {"accepted, never arrived",
     END_DONE,
     2,
     {{STAGE_ACCEPTED, 250, "", "ok", 0, 1}, {STAGE_MAIL, 550, "", "no", 0, 1}},
     V_SUSPECT,
     "no arrival"},
    {"all refused at RCPT",
     END_DONE,
     2,
     {{STAGE_MAIL, 554, "5.7.1", "Relay access denied", 0, 1},
      {STAGE_MAIL, 550, "5.7.1", "relay not permitted", 0, 1}},
     V_CLOSED,
     "refused"},
    {"postfix default: 454 4.7.1 relay access denied",
     END_DONE,
     2,
     {{STAGE_MAIL, 454, "4.7.1", "<x@y>: Relay access denied", 0, 1},
      {STAGE_MAIL, 454, "4.7.1", "<x@y>: Relay access denied", 0, 1}},
     V_CLOSED,
     "454"},
    {"refused at end of DATA",
     END_DONE,
     1,
     {{STAGE_DATA, 554, "5.7.1", "rejected after DATA", 0, 1}},
     V_CLOSED,
     NULL},
    {"auth demanded everywhere",
     END_DONE,
     2,
     {{STAGE_CONNECT, 530, "5.7.0", "Authentication required", 0, 1},
      {STAGE_CONNECT, 530, "5.7.0", "Authentication required", 0, 1}},
     V_AUTH_REQUIRED,
     NULL},
    {"exchange: not authenticated",
     END_DONE,
     1,
     {{STAGE_MAIL, 550, "5.7.54", "SMTP; Unable to relay recipient in non-accepted domain", 0, 1}},
     V_CLOSED,
     NULL},
    {"auth plus plain relay refusals",
     END_DONE,
     2,
     {{STAGE_CONNECT, 530, "5.7.0", "Authentication required", 0, 1},
      {STAGE_MAIL, 554, "5.7.1", "Relay access denied", 0, 1}},
     V_CLOSED,
     NULL},
    {"starttls demanded, tls never",
     END_DONE,
     1,
     {{STAGE_CONNECT, 530, "5.7.0", "Must issue a STARTTLS command first", 0, 1}},
     V_CLOSED,
     "STARTTLS"},
    {"greylisted to the end",
     END_DONE,
     2,
     {{STAGE_MAIL, 450, "4.2.0", "Greylisted", 1, 4},
      {STAGE_MAIL, 450, "4.2.0", "Greylisted", 1, 4}},
     V_TEMPFAIL,
     "4xx"},
    {"451 4.7.1 greylisting outlasting the budget is no pass",
     END_DONE,
     1,
     {{STAGE_MAIL, 451, "4.7.1", "Greylisting in action, please come back later", 1, 3}},
     V_TEMPFAIL,
     "4xx"},
    {"odd replies only: no usable answer",
     END_DONE,
     1,
     {{STAGE_CONNECT, 354, "", "go ahead", 0, 1}},
     V_ERROR,
     "usable"},
    {"mixed 4xx and 5xx: tempfail, not a pass",
     END_DONE,
     2,
     {{STAGE_MAIL, 554, "5.7.1", "denied", 0, 1}, {STAGE_MAIL, 451, "4.3.0", "try later", 1, 4}},
     V_TEMPFAIL,
     NULL},
    {"unreachable",
     END_CONNECT_FAILED,
     1,
     {{STAGE_NOTRUN, 0, "", NULL, 0, 0}},
     V_UNREACHABLE,
     NULL},
    {"banner timeout",
     END_BANNER_TIMEOUT,
     1,
     {{STAGE_NOTRUN, 0, "", NULL, 0, 0}},
     V_UNREACHABLE,
     NULL},
    {"busy banner", END_BANNER_TEMPFAIL, 1, {{STAGE_NOTRUN, 0, "", NULL, 0, 0}}, V_TEMPFAIL, NULL},
    {"554 banner", END_BANNER_REFUSED, 1, {{STAGE_NOTRUN, 0, "", NULL, 0, 0}}, V_CLOSED, NULL},
    {"http banner", END_NOT_SMTP, 1, {{STAGE_NOTRUN, 0, "", NULL, 0, 0}}, V_NOT_SMTP, NULL},
    {"protocol error mid-battery",
     END_PROTOCOL,
     2,
     {{STAGE_MAIL, 554, "", "no", 0, 1}, {STAGE_NOTRUN, 0, "", NULL, 0, 0}},
     V_ERROR,
     "1 of 2"},
    {"closed before banner",
     END_CLOSED_EARLY,
     1,
     {{STAGE_NOTRUN, 0, "", NULL, 0, 0}},
     V_UNREACHABLE,
     NULL},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct target_result r;

		result_init(&r);
		snprintf(r.addr, sizeof(r.addr), "192.0.2.7");
		r.end = cases[i].end;
		result_tests_new(&r, (size_t)cases[i].ntests);
		for (int k = 0; k < cases[i].ntests; k++) {
			const struct tcase *c = &cases[i].t[k];
			struct test_result *t = &r.tests[k];

			t->test = &bt;
			t->stage = c->stage;
			t->code = c->code;
			snprintf(t->esc, sizeof(t->esc), "%s", c->esc);
			t->text = c->text ? xstrdup(c->text) : NULL;
			t->tempfail = c->tempfail;
			t->attempts = c->attempts;
			t->done = c->attempts > 0 && !c->tempfail;
		}
		verdict_decide(&r);
		if (r.verdict != cases[i].want)
			fail_msg("%s: got %s (%s), want %s", cases[i].name, verdict_name(r.verdict),
			         r.reason, verdict_name(cases[i].want));
		if (cases[i].reason_has && strstr(r.reason, cases[i].reason_has) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", cases[i].name, r.reason,
			         cases[i].reason_has);
		result_clear(&r);
	}
}

/* the chain case: the arrival came from another host; the target is named */
static void test_chain_reason(void **state)
{
	struct target_result r;

	(void)state;
	result_init(&r);
	snprintf(r.addr, sizeof(r.addr), "127.10.0.21");
	r.end = END_DONE;
	result_tests_new(&r, 1);
	r.tests[0].test = &bt;
	r.tests[0].stage = STAGE_DELIVERED;
	r.tests[0].attempts = 1;
	r.tests[0].arrival = arrival_dup(&(struct arrival){.peer = "127.10.0.22"});
	verdict_decide(&r);
	assert_int_equal(r.verdict, V_OPEN);
	assert_non_null(strstr(r.reason, "reached the sink from 127.10.0.22"));
	assert_non_null(strstr(r.reason, "127.10.0.21 is the open relay"));
	result_clear(&r);
}

static void test_auth_texts(void **state)
{
	(void)state;
	assert_true(verdict_is_auth(530, "5.7.0", "Authentication required"));
	assert_true(verdict_is_auth(550, "5.7.1", "Client was not authenticated"));
	assert_false(verdict_is_auth(530, "5.7.0", "Must issue a STARTTLS command first"));
	assert_true(verdict_is_starttls(530, "5.7.0", "Must issue a STARTTLS command first"));
	assert_false(verdict_is_auth(554, "5.7.1", "Relay access denied"));
	assert_true(verdict_is_relay_denial(454, "4.7.1", "<a@b>: Relay access denied"));
	assert_true(verdict_is_relay_denial(550, "", "relay not permitted"));
	assert_false(verdict_is_relay_denial(451, "4.7.1", "Greylisted, see http://postgrey"));
	assert_false(verdict_is_relay_denial(451, "4.7.1", "relay denied: greylisted, retry"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_chain_reason),
	    cmocka_unit_test(test_auth_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
