/*
 * test_submit - the smarthost client driven by scripted servers
 *
 * Each case is a conversation: the prefix of what the client must write
 * next, the server's answer (or an event: @tls-ok, @tls-fail, @eof,
 * @connect-fail), and the step expected; then the outcome. No sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/desk/submit.h"
#include "../../src/smtp/reply.h"

#define R SUBMIT_READ
#define S SUBMIT_SEND
#define T SUBMIT_STARTTLS
#define F SUBMIT_FINISH

struct step {
	const char *reply; /* server reply (CRLF-terminated) or @event */
	enum submit_action want;
	const char *want_out; /* prefix of what the client writes next; NULL: nothing checked */
};

struct tcase {
	const char *name;
	enum submit_tls tls;
	const char *user, *pass, *mech;
	int plaintext_ok;
	size_t nrcpt;
	struct step steps[24];
	enum submit_outcome want;
	const char *want_stage;
	int want_code;
	const char *want_qid;
	size_t want_refused;
	int want_maybe;
};

static const char *const rcpts[] = {"a@example.net", "b@example.net"};
static const char msg[] = "Subject: x\r\n\r\n.leading dot\r\nbody\r\n";

#define BANNER     "220 smart.test ESMTP\r\n"
#define EHLO_PLAIN "250-smart.test\r\n250 8BITMIME\r\n"
#define EHLO_TLS   "250-smart.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
#define EHLO_AUTH  "250-smart.test\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n"
#define EHLO_LOGIN "250-smart.test\r\n250-AUTH=LOGIN\r\n250 AUTH LOGIN\r\n"

static const struct tcase cases[] = {
    {"plain, one recipient refused", SUBMIT_TLS_NEVER, .nrcpt = 2,
     .steps = {{BANNER, S, "EHLO me.test\r\n"},
               {EHLO_TLS, S, "MAIL FROM:<noc@example.org>\r\n"},
               {"250 2.1.0 Ok\r\n", S, "RCPT TO:<a@example.net>\r\n"},
               {"550 5.1.1 <a@example.net>: unknown\r\n", S, "RCPT TO:<b@example.net>\r\n"},
               {"250 2.1.5 Ok\r\n", S, "DATA\r\n"},
               {"354 go\r\n", S, "Subject: x\r\n\r\n..leading dot\r\nbody\r\n.\r\n"},
               {"250 2.0.0 Ok: queued as 4XyZ12\r\n", S, "QUIT\r\n"},
               {"221 bye\r\n", F, NULL}},
     SUBMIT_SENT, "dot", 250, "4XyZ12", 1, 0},
    {"starttls auto + AUTH PLAIN",
     SUBMIT_TLS_AUTO,
     "user",
     "pass",
     NULL,
     0,
     1,
     {{BANNER, S, "EHLO me.test\r\n"},
      {EHLO_TLS, S, "STARTTLS\r\n"},
      {"220 go ahead\r\n", T, NULL},
      {"@tls-ok", S, "EHLO me.test\r\n"},
      {EHLO_AUTH, S, "AUTH PLAIN AHVzZXIAcGFzcw==\r\n"},
      {"235 2.7.0 ok\r\n", S, "MAIL FROM:"},
      {"250 ok\r\n", S, "RCPT TO:<a@example.net>\r\n"},
      {"250 ok\r\n", S, "DATA\r\n"},
      {"354 go\r\n", S, NULL},
      {"250 2.0.0 Ok: queued as ABC\r\n", S, "QUIT\r\n"},
      {"@eof", F, NULL}},
     SUBMIT_SENT,
     "dot",
     250,
     "ABC",
     0,
     0},
    {"starttls require + AUTH LOGIN",
     SUBMIT_TLS_REQUIRE,
     "user",
     "pass",
     "LOGIN",
     0,
     1,
     {{BANNER, S, "EHLO"},
      {EHLO_TLS, S, "STARTTLS\r\n"},
      {"220 go ahead\r\n", T, NULL},
      {"@tls-ok", S, "EHLO"},
      {EHLO_LOGIN, S, "AUTH LOGIN\r\n"},
      {"334 VXNlcm5hbWU6\r\n", S, "dXNlcg==\r\n"},
      {"334 UGFzc3dvcmQ6\r\n", S, "cGFzcw==\r\n"},
      {"235 ok\r\n", S, "MAIL FROM:"},
      {"250 ok\r\n", S, "RCPT"},
      {"250 ok\r\n", S, "DATA"},
      {"354 go\r\n", S, NULL},
      {"250 queued\r\n", S, "QUIT"},
      {"221 bye\r\n", F, NULL}},
     SUBMIT_SENT,
     "dot",
     250,
     "queued",
     0,
     0},
    {"require: STARTTLS not offered", SUBMIT_TLS_REQUIRE, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"}, {EHLO_PLAIN, S, "QUIT\r\n"}, {"221 bye\r\n", F, NULL}},
     SUBMIT_TEMPFAIL, "ehlo", 0, "", 0, 0},
    {"require: STARTTLS refused", SUBMIT_TLS_REQUIRE, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"},
               {EHLO_TLS, S, "STARTTLS"},
               {"454 4.7.0 TLS not available\r\n", S, "QUIT"},
               {"221 bye\r\n", F, NULL}},
     SUBMIT_TEMPFAIL, "starttls", 454, "", 0, 0},
    {"auto: STARTTLS refused, plain text", SUBMIT_TLS_AUTO, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"},
               {EHLO_TLS, S, "STARTTLS"},
               {"454 4.7.0 TLS not available\r\n", S, "MAIL FROM:"},
               {"250 ok\r\n", S, "RCPT"},
               {"250 ok\r\n", S, "DATA"},
               {"354 go\r\n", S, NULL},
               {"250 ok id=1abc-2\r\n", S, "QUIT"},
               {"221 bye\r\n", F, NULL}},
     SUBMIT_SENT, "dot", 250, "1abc-2", 0, 0},
    {"tls handshake fails", SUBMIT_TLS_AUTO, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"},
               {EHLO_TLS, S, "STARTTLS"},
               {"220 go\r\n", T, NULL},
               {"@tls-fail", F, NULL}},
     SUBMIT_TEMPFAIL, "tls", 0, "", 0, 0},
    {"AUTH over plain text refused by policy",
     SUBMIT_TLS_AUTO,
     "user",
     "pass",
     NULL,
     0,
     1,
     {{BANNER, S, "EHLO"}, {EHLO_AUTH, S, "QUIT"}, {"221 bye\r\n", F, NULL}},
     SUBMIT_TEMPFAIL,
     "ehlo",
     0,
     "",
     0,
     0},
    {"AUTH over plain text allowed",
     SUBMIT_TLS_NEVER,
     "user",
     "pass",
     NULL,
     1,
     1,
     {{BANNER, S, "EHLO"},
      {EHLO_AUTH, S, "AUTH PLAIN "},
      {"535 5.7.8 authentication failed\r\n", S, "QUIT"},
      {"221 bye\r\n", F, NULL}},
     SUBMIT_PERMFAIL,
     "auth",
     535,
     "",
     0,
     0},
    {"credentials but no AUTH offered",
     SUBMIT_TLS_NEVER,
     "user",
     "pass",
     NULL,
     1,
     1,
     {{BANNER, S, "EHLO"}, {EHLO_PLAIN, S, "QUIT"}, {"221 bye\r\n", F, NULL}},
     SUBMIT_TEMPFAIL,
     "ehlo",
     0,
     "",
     0,
     0},
    {"every recipient refused 5xx", SUBMIT_TLS_NEVER, .nrcpt = 2,
     .steps = {{BANNER, S, "EHLO"},
               {EHLO_PLAIN, S, "MAIL"},
               {"250 ok\r\n", S, "RCPT"},
               {"550 5.1.1 no\r\n", S, "RCPT"},
               {"554 5.7.1 relay denied\r\n", S, "QUIT"},
               {"221 bye\r\n", F, NULL}},
     SUBMIT_PERMFAIL, "rcpt", 554, "", 2, 0},
    {"recipients refused 4xx and 5xx", SUBMIT_TLS_NEVER, .nrcpt = 2,
     .steps = {{BANNER, S, "EHLO"},
               {EHLO_PLAIN, S, "MAIL"},
               {"250 ok\r\n", S, "RCPT"},
               {"450 4.2.0 greylisted\r\n", S, "RCPT"},
               {"550 5.1.1 no\r\n", S, "QUIT"},
               {"221 bye\r\n", F, NULL}},
     SUBMIT_TEMPFAIL, "rcpt", 550, "", 2, 0},
    {"MAIL refused 4xx", SUBMIT_TLS_NEVER, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"},
               {EHLO_PLAIN, S, "MAIL"},
               {"451 4.3.0 try later\r\n", S, "QUIT"},
               {"@eof", F, NULL}},
     SUBMIT_TEMPFAIL, "mail", 451, "", 0, 0},
    {"end of DATA refused 5xx", SUBMIT_TLS_NEVER, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"},
               {EHLO_PLAIN, S, "MAIL"},
               {"250 ok\r\n", S, "RCPT"},
               {"250 ok\r\n", S, "DATA"},
               {"354 go\r\n", S, NULL},
               {"554 5.6.0 content refused\r\n", S, "QUIT"},
               {"221 bye\r\n", F, NULL}},
     SUBMIT_PERMFAIL, "dot", 554, "", 0, 0},
    {"connection lost after the dot", SUBMIT_TLS_NEVER, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"},
               {EHLO_PLAIN, S, "MAIL"},
               {"250 ok\r\n", S, "RCPT"},
               {"250 ok\r\n", S, "DATA"},
               {"354 go\r\n", S, NULL},
               {"@eof", F, NULL}},
     SUBMIT_TEMPFAIL, "dot", 0, "", 0, 1},
    {"DATA refused", SUBMIT_TLS_NEVER, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"},
               {EHLO_PLAIN, S, "MAIL"},
               {"250 ok\r\n", S, "RCPT"},
               {"250 ok\r\n", S, "DATA"},
               {"503 5.5.1 no valid recipients\r\n", S, "QUIT"},
               {"221 bye\r\n", F, NULL}},
     SUBMIT_PERMFAIL, "data", 503, "", 0, 0},
    {"banner 554", SUBMIT_TLS_AUTO, .nrcpt = 1,
     .steps = {{"554 5.3.2 go away\r\n", S, "QUIT"}, {"@eof", F, NULL}}, SUBMIT_PERMFAIL, "banner",
     554, "", 0, 0},
    {"banner 421", SUBMIT_TLS_AUTO, .nrcpt = 1,
     .steps = {{"421 4.3.2 busy\r\n", S, "QUIT"}, {"@eof", F, NULL}}, SUBMIT_TEMPFAIL, "banner",
     421, "", 0, 0},
    {"connection refused", SUBMIT_TLS_AUTO, .nrcpt = 1, .steps = {{"@connect-fail", F, NULL}},
     SUBMIT_TEMPFAIL, "connect", 0, "", 0, 0},
    {"timeout waiting for EHLO", SUBMIT_TLS_AUTO, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"}, {"@timeout", F, NULL}}, SUBMIT_TEMPFAIL, "ehlo", 0, "", 0, 0},
    {"EHLO refused: HELO", SUBMIT_TLS_AUTO, .nrcpt = 1,
     .steps = {{BANNER, S, "EHLO"},
               {"502 5.5.2 what\r\n", S, "HELO me.test\r\n"},
               {"250 hi\r\n", S, "MAIL"},
               {"250 ok\r\n", S, "RCPT"},
               {"250 ok\r\n", S, "DATA"},
               {"354 go\r\n", S, NULL},
               {"250 ok\r\n", S, "QUIT"},
               {"221 bye\r\n", F, NULL}},
     SUBMIT_SENT, "dot", 250, "ok", 0, 0},
};

/* feed - parse one scripted reply; fails the test on a parser error */
static const struct reply *feed(struct reply_parser *rp, const char *text)
{
	size_t used = 0;
	enum reply_status st = reply_feed(rp, text, strlen(text), &used);

	if (st != REPLY_DONE || used != strlen(text))
		fail_msg("script reply '%s' did not parse as one reply", text);
	return reply_get(rp);
}

static void run_case(const struct tcase *c)
{
	struct submit_config cfg = {
	    .helo = "me.test",
	    .tls = c->tls,
	    .user = c->user,
	    .pass = c->pass,
	    .auth_mech = c->mech,
	    .auth_plaintext_ok = c->plaintext_ok,
	    .mail_from = "noc@example.org",
	    .rcpt = rcpts,
	    .nrcpt = c->nrcpt,
	    .data = msg,
	    .data_len = sizeof(msg) - 1,
	    .reply_timeout_ms = 1000,
	    .dot_timeout_ms = 5000,
	};
	char err[128];
	struct submit *s = submit_new(&cfg, err, sizeof(err));
	struct reply_parser *rp = reply_parser_new();
	enum submit_action a;
	const struct submit_result *r;

	if (s == NULL)
		fail_msg("%s: submit_new: %s", c->name, err);
	if (strcmp(c->steps[0].reply, "@connect-fail") == 0)
		a = submit_on_failure(s, SUBMIT_FAIL_CONNECT, "Connection refused");
	else
		a = submit_on_connect(s);
	for (size_t i = 0; c->steps[i].reply; i++) {
		const struct step *st = &c->steps[i];
		struct dbuf *out = submit_output(s);

		if (i == 0 && st->reply[0] == '@' && strcmp(st->reply, "@connect-fail") == 0) {
			if (a != st->want)
				fail_msg("%s: step 0: got action %d, want %d", c->name, a,
				         st->want);
			break;
		}
		assert_int_equal(submit_result(s)->outcome == SUBMIT_PENDING || a != F, 1);
		if (strcmp(st->reply, "@tls-ok") == 0)
			a = submit_on_tls(s, 1, "TLSv1.3");
		else if (strcmp(st->reply, "@tls-fail") == 0)
			a = submit_on_tls(s, 0, "TLS: certificate verify failed");
		else if (strcmp(st->reply, "@eof") == 0)
			a = submit_on_failure(s, SUBMIT_FAIL_EOF, "closed by peer");
		else if (strcmp(st->reply, "@timeout") == 0)
			a = submit_on_failure(s, SUBMIT_FAIL_TIMEOUT, "deadline passed");
		else
			a = submit_on_reply(s, feed(rp, st->reply));
		if (a != st->want)
			fail_msg("%s: step %zu (%s): got action %d, want %d (state %s)", c->name, i,
			         st->reply, a, st->want, submit_state_name(s));
		if (st->want_out && strncmp(dbuf_str(out), st->want_out, strlen(st->want_out)) != 0)
			fail_msg("%s: step %zu: got output '%s', want prefix '%s'", c->name, i,
			         dbuf_str(out), st->want_out);
		if (a == S && out->len == 0)
			fail_msg("%s: step %zu: SEND with nothing to send", c->name, i);
		dbuf_reset(out);
	}
	assert_int_equal(a, F);
	r = submit_result(s);
	if (r->outcome != c->want)
		fail_msg("%s: got outcome %s (%s), want %s", c->name,
		         submit_outcome_name(r->outcome), r->text, submit_outcome_name(c->want));
	if (strcmp(r->stage, c->want_stage) != 0)
		fail_msg("%s: got stage %s, want %s", c->name, r->stage, c->want_stage);
	if (r->code != c->want_code)
		fail_msg("%s: got code %d, want %d", c->name, r->code, c->want_code);
	if (c->want_qid && c->want_qid[0] && strcmp(r->queue_id, c->want_qid) != 0)
		fail_msg("%s: got queue id '%s', want '%s'", c->name, r->queue_id, c->want_qid);
	if (r->nrefused != c->want_refused)
		fail_msg("%s: got %zu refused, want %zu", c->name, r->nrefused, c->want_refused);
	if (r->maybe_sent != c->want_maybe)
		fail_msg("%s: got maybe_sent %d, want %d", c->name, r->maybe_sent, c->want_maybe);
	if (r->outcome != SUBMIT_SENT && r->text[0] == '\0')
		fail_msg("%s: a failure without a text", c->name);
	/* the secrets never reach the transcript */
	if (strstr(submit_transcript(s), "AHVzZXIAcGFzcw") ||
	    strstr(submit_transcript(s), "cGFzcw"))
		fail_msg("%s: credentials in the transcript:\n%s", c->name, submit_transcript(s));
	reply_parser_free(rp);
	submit_free(s);
}

static void test_conversations(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void test_partial_detail(void **state)
{
	const struct tcase *c = &cases[0];
	struct submit_config cfg = {
	    .helo = "me.test",
	    .tls = SUBMIT_TLS_NEVER,
	    .mail_from = "",
	    .rcpt = rcpts,
	    .nrcpt = 2,
	    .data = msg,
	    .data_len = sizeof(msg) - 1,
	    .reply_timeout_ms = 1000,
	    .dot_timeout_ms = 5000,
	};
	char err[64];
	struct submit *s = submit_new(&cfg, err, sizeof(err));
	struct reply_parser *rp = reply_parser_new();

	submit_on_connect(s);
	for (size_t i = 0; c->steps[i].reply; i++) {
		submit_on_reply(s, feed(rp, c->steps[i].reply));
		if (i == 0)
			assert_int_equal(submit_deadline_ms(s), 1000);
		if (i == 1) /* the null sender */
			assert_string_equal(dbuf_str(submit_output(s)), "MAIL FROM:<>\r\n");
		if (i == 5)
			assert_int_equal(submit_deadline_ms(s), 5000);
		dbuf_reset(submit_output(s));
	}
	const struct submit_result *r = submit_result(s);
	assert_int_equal(r->rcpt[0].code, 550);
	assert_string_equal(r->rcpt[0].text, "5.1.1 <a@example.net>: unknown");
	assert_int_equal(r->rcpt[1].code, 250);
	assert_string_equal(r->rcpt[1].text, "");
	assert_non_null(strstr(submit_transcript(s), "C: <message, "));
	reply_parser_free(rp);
	submit_free(s);
}

static void test_dot_stuff(void **state)
{
	static const struct {
		const char *in, *want;
	} cases2[] = {
	    {"", ".\r\n"},
	    {"a", "a\r\n.\r\n"},
	    {".x\r\n..y\nz", "..x\r\n...y\r\nz\r\n.\r\n"},
	    {"a\rb\r\n.\r\n", "a\r\nb\r\n..\r\n.\r\n"},
	    {"x.\r\n.", "x.\r\n..\r\n.\r\n"},
	};
	for (size_t i = 0; i < sizeof(cases2) / sizeof(cases2[0]); i++) {
		struct dbuf b;
		dbuf_init(&b, 0);
		submit_dot_stuff(&b, cases2[i].in, strlen(cases2[i].in));
		if (strcmp(dbuf_str(&b), cases2[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, dbuf_str(&b), cases2[i].want);
		dbuf_free(&b);
	}
}

static void test_bad_config(void **state)
{
	static const char *const bad[] = {"a b@x"};
	struct submit_config ok = {.helo = "me",
	                           .mail_from = "a@b",
	                           .rcpt = rcpts,
	                           .nrcpt = 1,
	                           .data = msg,
	                           .data_len = 1};
	struct submit_config c;
	char err[128];

	c = ok, c.nrcpt = 0;
	assert_null(submit_new(&c, err, sizeof(err)));
	c = ok, c.user = "u", c.pass = "p", c.tls = SUBMIT_TLS_NEVER;
	assert_null(submit_new(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "AUTH without TLS"));
	c = ok, c.rcpt = bad;
	assert_null(submit_new(&c, err, sizeof(err)));
	c = ok, c.mail_from = "a@b>\r\nRCPT TO:<x@y";
	assert_null(submit_new(&c, err, sizeof(err)));
	c = ok, c.user = "u", c.auth_mech = "CRAM-MD5";
	assert_null(submit_new(&c, err, sizeof(err)));
	c = ok;
	submit_free(submit_new(&c, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conversations),
	    cmocka_unit_test(test_partial_detail),
	    cmocka_unit_test(test_dot_stuff),
	    cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
