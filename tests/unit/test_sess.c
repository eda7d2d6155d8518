/*
 * test_sess - the client session state machine driven by scripted servers
 *
 * Each case is a conversation: what the session must write (a prefix of
 * each command) and what the "server" answers, with the step expected.
 * No sockets, no clock: time is passed in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/smtp/reply.h"
#include "../../src/smtp/sess.h"
#include "../../src/smtp/verdict.h"

static const struct battery_test t_plain = {
    .id = "plain",
    .trick = "plain",
    .mail_from = "{user}@{canary}",
    .rcpt_to = "{user}@{canary}",
    .sets = BATTERY_QUICK,
};
static const struct battery_test t_percent = {
    .id = "percent-ip",
    .trick = "percent",
    .mail_from = "{user}@{canary}",
    .rcpt_to = "{user}%{canary}@{ip}",
    .sets = BATTERY_QUICK,
};
static const struct battery_test t_helo = {
    .id = "helo-ip",
    .trick = "helo as target",
    .helo = "{ip}",
    .mail_from = "",
    .rcpt_to = "{user}@{canary}",
    .sets = BATTERY_QUICK,
};
static const struct battery_test t_helo_host = {
    .id = "helo-host",
    .trick = "helo as target name",
    .helo = "{host}",
    .mail_from = "postmaster@{host}",
    .rcpt_to = "{user}%{canary}@{host}",
    .sets = BATTERY_QUICK,
};
static const struct battery_test t_nmap_percent = {
    .id = "percent-ip",
    .trick = "nmap 5",
    .mail_from = "{user}@{ip}",
    .rcpt_to = "{user}%{canary}@{ip}",
    .sets = BATTERY_QUICK,
};
static const struct battery_test t_null = {
    .id = "null-sender",
    .trick = "null",
    .mail_from = "",
    .rcpt_to = "{user}@{canary}",
    .sets = BATTERY_QUICK,
};
static const struct battery_test *const two[] = {&t_plain, &t_percent};
static const struct battery_test *const three[] = {&t_plain, &t_percent, &t_helo};

static struct token_key key;

struct fx {
	struct sess_config cfg;
	struct target_result r;
	struct sess *s;
	struct reply_parser *rp;
	long long now;
};

static void fx_init(struct fx *f, const struct battery_test *const *bat, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->cfg = (struct sess_config){
	    .canary = "canary.test",
	    .myname = "tester.test",
	    .operator_name = "op",
	    .abuse_contact = "abuse@op.test",
	    .scan_id = "0",
	    .key = &key,
	    .tls = TLS_AUTO,
	    .battery = bat,
	    .nbattery = n,
	    .connect_timeout_ms = 1000,
	    .banner_timeout_ms = 2000,
	    .reply_timeout_ms = 3000,
	    .session_timeout_ms = 600000,
	    .greylist_delay_ms = 5000,
	    .greylist_rounds = 3,
	    .reconnect_max = 3,
	};
	result_init(&f->r);
	snprintf(f->r.addr, sizeof(f->r.addr), "127.0.0.5");
	snprintf(f->r.target, sizeof(f->r.target), "127.0.0.5");
	f->r.port = 25;
	f->now = 1000000;
	f->s = sess_new(&f->cfg, &f->r, f->now);
	f->rp = reply_parser_new();
}

static void fx_free(struct fx *f)
{
	f->s = sess_free(f->s);
	f->rp = reply_parser_free(f->rp);
	result_clear(&f->r);
}

/* answer - feed a server reply; check the step and (when want_out) that
 * what the session writes starts with want_out */
static struct sess_step answer(struct fx *f, const char *text, enum sess_action want,
                               const char *want_out)
{
	size_t used = 0;
	struct sess_step st;

	reply_reset(f->rp);
	assert_int_equal(reply_feed(f->rp, text, strlen(text), &used), REPLY_DONE);
	f->now += 10;
	st = sess_on_reply(f->s, reply_get(f->rp), f->now);
	if (st.act != want)
		fail_msg("after %s: got action %d, want %d (state %s)", text, st.act, want,
		         sess_state_name(f->s));
	if (want_out) {
		const char *got = dbuf_str(sess_output(f->s));
		if (strncmp(got, want_out, strlen(want_out)) != 0)
			fail_msg("after %s: got output '%s', want prefix '%s'", text, got,
			         want_out);
	}
	dbuf_reset(sess_output(f->s));
	return st;
}

static void connect_ok(struct fx *f)
{
	struct sess_step st = sess_on_connect(f->s, f->now);
	assert_int_equal(st.act, SA_READ);
}

/* an open relay without PIPELINING: every command alone */
static void test_open_no_pipelining(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 2);
	connect_ok(&f);
	answer(&f, "220 mx.lab.test ESMTP Postfix\r\n", SA_SEND, "EHLO tester.test\r\n");
	answer(&f, "250-mx.lab.test\r\n250 8BITMIME\r\n", SA_SEND,
	       "MAIL FROM:<rw-plain@canary.test>\r\n");
	answer(&f, "250 2.1.0 Ok\r\n", SA_SEND, "RCPT TO:<rw-plain@canary.test>\r\n");
	answer(&f, "250 2.1.5 Ok\r\n", SA_SEND, "DATA\r\n");
	answer(&f, "354 go ahead\r\n", SA_SEND, NULL);
	answer(&f, "250 2.0.0 queued\r\n", SA_SEND, "RSET\r\n");
	answer(&f, "250 2.0.0 Ok\r\n", SA_SEND, "MAIL FROM:<rw-percent-ip@canary.test>\r\n");
	answer(&f, "250 2.1.0 Ok\r\n", SA_SEND,
	       "RCPT TO:<rw-percent-ip%canary.test@[127.0.0.5]>\r\n");
	answer(&f, "554 5.7.1 Relay access denied\r\n", SA_SEND, "QUIT");
	answer(&f, "221 Bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[0].stage, STAGE_ACCEPTED);
	assert_int_equal(f.r.tests[1].stage, STAGE_MAIL);
	assert_int_equal(f.r.tests[1].code, 554);
	assert_string_equal(f.r.tests[1].esc, "5.7.1");
	assert_string_equal(f.r.mta, "postfix");
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_SUSPECT);
	/* the arrival upgrades suspect to open */
	f.r.tests[0].stage = STAGE_DELIVERED;
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_OPEN);
	fx_free(&f);
}

/* OpenSMTPD refuses a second EHLO (503): the HELO test gets a connection
 * of its own, greeted with its name, and the target stays closed */
static void test_one_greeting_per_connection(void **state)
{
	static const struct battery_test *const bat[] = {&t_plain, &t_helo};
	struct fx f;

	(void)state;
	fx_init(&f, bat, 2);
	connect_ok(&f);
	answer(&f, "220 osd ESMTP OpenSMTPD\r\n", SA_SEND, "EHLO tester.test\r\n");
	answer(&f, "250 osd Hello\r\n", SA_SEND, "MAIL");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "550 Invalid recipient\r\n", SA_SEND, "RSET");
	answer(&f, "250 2.0.0 Reset state\r\n", SA_SEND, "EHLO [127.0.0.5]\r\n");
	answer(&f, "503 5.5.1 Invalid command: Already identified\r\n", SA_SEND, "QUIT");
	assert_int_equal(answer(&f, "221 bye\r\n", SA_RECONNECT, NULL).delay_ms, 0);
	connect_ok(&f);
	answer(&f, "220 osd ESMTP OpenSMTPD\r\n", SA_SEND, "EHLO [127.0.0.5]\r\n");
	answer(&f, "250 osd Hello\r\n", SA_SEND, "MAIL FROM:<>\r\n");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "550 Invalid recipient\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[1].attempts, 1);
	assert_int_equal(f.r.tests[1].stage, STAGE_MAIL);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* the test's own HELO name refused on a fresh connection: that is its
 * answer; greet with ours and go on */
static void test_test_helo_refused_fresh(void **state)
{
	static const struct battery_test *const bat[] = {&t_helo, &t_plain};
	struct fx f;

	(void)state;
	fx_init(&f, bat, 2);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO tester.test\r\n");
	answer(&f, "250 mx\r\n", SA_SEND, "EHLO [127.0.0.5]\r\n");
	answer(&f, "503 already\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_RECONNECT, NULL);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO [127.0.0.5]\r\n");
	answer(&f, "550 you are not me\r\n", SA_SEND, "HELO [127.0.0.5]\r\n");
	answer(&f, "550 you are not me\r\n", SA_SEND, "EHLO tester.test\r\n");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL FROM:<rw-plain");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "554 relay denied\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[0].stage, STAGE_HELO);
	assert_int_equal(f.r.tests[0].attempts, 1);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* a trick row whose sender is refused at MAIL is run again from the plain
 * sender (Sendmail: "Real domain name required"); a sender row is not */
static void test_sender_fallback(void **state)
{
	static const struct battery_test *const bat[] = {&t_nmap_percent, &t_null};
	struct fx f;

	(void)state;
	fx_init(&f, bat, 2);
	connect_ok(&f);
	answer(&f, "220 sm ESMTP Sendmail\r\n", SA_SEND, "EHLO");
	answer(&f, "250 sm\r\n", SA_SEND, "MAIL FROM:<rw-percent-ip@[127.0.0.5]>\r\n");
	answer(&f, "553 5.5.4 <rw-percent-ip@[127.0.0.5]>... Real domain name required\r\n",
	       SA_SEND, "RSET");
	answer(&f, "250 reset\r\n", SA_SEND, "MAIL FROM:<rw-percent-ip@canary.test>\r\n");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT TO:<rw-percent-ip%canary.test@[127.0.0.5]>");
	answer(&f, "250 ok\r\n", SA_SEND, "DATA");
	answer(&f, "354 go\r\n", SA_SEND, NULL);
	answer(&f, "250 queued\r\n", SA_SEND, "RSET");
	answer(&f, "250 reset\r\n", SA_SEND, "MAIL FROM:<>");
	answer(&f, "553 5.1.8 no null senders\r\n", SA_SEND, "QUIT"); /* sender row: final */
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[0].stage, STAGE_ACCEPTED);
	assert_int_equal(f.r.tests[0].sender_fallback, 1);
	assert_int_equal(f.r.tests[0].attempts, 1);
	assert_string_equal(f.r.tests[0].mail_from, "rw-percent-ip@canary.test");
	assert_int_equal(f.r.tests[1].stage, STAGE_CONNECT);
	assert_int_equal(f.r.tests[1].sender_fallback, 0);
	fx_free(&f);
}

/* the same with PIPELINING: the group's RCPT and DATA replies come first */
static void test_sender_fallback_pipelined(void **state)
{
	static const struct battery_test *const bat[] = {&t_nmap_percent};
	struct fx f;

	(void)state;
	fx_init(&f, bat, 1);
	connect_ok(&f);
	answer(&f, "220 sm\r\n", SA_SEND, "EHLO");
	answer(&f, "250-sm\r\n250 PIPELINING\r\n", SA_SEND,
	       "MAIL FROM:<rw-percent-ip@[127.0.0.5]>");
	answer(&f, "553 5.5.4 Real domain name required\r\n", SA_READ, NULL);
	answer(&f, "503 5.0.0 Need MAIL before RCPT\r\n", SA_READ, NULL);
	answer(&f, "503 5.0.0 Need MAIL command\r\n", SA_SEND,
	       "RSET\r\nMAIL FROM:<rw-percent-ip@canary.test>\r\nRCPT "
	       "TO:<rw-percent-ip%canary.test@[127.0.0.5]>\r\nDATA\r\n");
	answer(&f, "250 reset\r\n", SA_READ, NULL);
	answer(&f, "250 ok\r\n", SA_READ, NULL);
	answer(&f, "550 5.7.1 Relaying denied\r\n", SA_READ, NULL);
	answer(&f, "503 no rcpt\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[0].stage, STAGE_MAIL);
	assert_int_equal(f.r.tests[0].code, 550);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* a canary so long that a test's addresses do not fit: that test never runs */
static void test_unexpandable_not_sent(void **state)
{
	struct fx f;
	char canary[240];

	(void)state;
	memset(canary, 'a', sizeof(canary) - 1);
	canary[sizeof(canary) - 1] = '\0';
	memcpy(canary + sizeof(canary) - 6, ".test", 5);
	fx_init(&f, two, 2);
	f.cfg.canary = canary;
	f.s = sess_free(f.s);
	result_clear(&f.r);
	result_init(&f.r);
	snprintf(f.r.addr, sizeof(f.r.addr), "127.0.0.5");
	f.r.port = 25;
	f.s = sess_new(&f.cfg, &f.r, f.now);
	assert_int_equal(f.r.tests[1].done, 0); /* nothing expanded before a banner */
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	assert_int_equal(f.r.tests[1].done, 1); /* percent form: too long */
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL FROM:<rw-plain@aaa");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "550 no\r\n", SA_SEND, "QUIT"); /* the second test is skipped */
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[1].attempts, 0);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* delivered, then 554 at end of DATA: the sink's proof wins */
static void test_arrival_then_refusal(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "250 ok\r\n", SA_SEND, "DATA");
	answer(&f, "354 go\r\n", SA_SEND, NULL);
	f.r.tests[0].arrival = arrival_dup(&(struct arrival){.peer = "127.0.0.5"});
	f.r.tests[0].stage = STAGE_DELIVERED;
	answer(&f, "554 5.7.1 rejected after all\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_OPEN);
	fx_free(&f);
}

/* the session budget is final: a QUIT before a reconnect does not escape it */
static void test_budget_final(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "451 4.3.0 try later\r\n", SA_SEND, "QUIT"); /* greylist round next */
	assert_int_equal(sess_on_failure(f.s, FAIL_SESSION_TIMEOUT, "budget", f.now).act,
	                 SA_FINISH);
	assert_int_equal(f.r.end, END_SESSION_TIMEOUT);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_TEMPFAIL);
	fx_free(&f);
}

/* a huge reply is kept only in part */
static void test_reply_text_capped(void **state)
{
	struct fx f;
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big));
	memcpy(big, "550 ", 4);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
	answer(&f, big, SA_SEND, "QUIT");
	assert_true(strlen(f.r.tests[0].text) <= RW_TEST_TEXT_MAX);
	fx_free(&f);
}

/* the banner's name may appear in HELO, never in MAIL or RCPT */
static void test_banner_name_helo_only(void **state)
{
	static const struct battery_test *const one[] = {&t_helo_host};
	struct fx f;

	(void)state;
	fx_init(&f, one, 1);
	connect_ok(&f);
	answer(&f, "220 mx.third-party.example ESMTP\r\n", SA_SEND, "EHLO");
	assert_string_equal(f.r.tests[0].helo, "mx.third-party.example");
	assert_string_equal(f.r.tests[0].mail_from, "postmaster@[127.0.0.5]");
	assert_string_equal(f.r.tests[0].rcpt_to, "rw-helo-host%canary.test@[127.0.0.5]");
	answer(&f, "250 mx\r\n", SA_SEND, "EHLO mx.third-party.example\r\n");
	fx_free(&f);
}

/* the sender rows take the target's own domain from its banner, else its
 * EHLO; its parent too; RCPT asks NOTIFY=NEVER where DSN is offered; with
 * no name anywhere they are not run */
static void test_sender_domain_rows(void **state)
{
	const struct battery_test *const rows[] = {battery_by_id("sender-domain"),
	                                           battery_by_id("sender-parent")};
	struct fx f;

	(void)state;
	assert_non_null(rows[0]);
	assert_non_null(rows[1]);
	/* the banner names it; DSN offered */
	fx_init(&f, rows, 2);
	connect_ok(&f);
	answer(&f, "220 mx.lab.test ESMTP\r\n", SA_SEND, "EHLO tester.test\r\n");
	answer(&f, "250-mx.lab.test\r\n250 DSN\r\n", SA_SEND,
	       "MAIL FROM:<rw-sender-domain@mx.lab.test>\r\n");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT TO:<rw-sender-domain@canary.test> NOTIFY=NEVER\r\n");
	answer(&f, "554 5.7.1 Relay access denied\r\n", SA_SEND, "RSET");
	answer(&f, "250 ok\r\n", SA_SEND, "MAIL FROM:<rw-sender-parent@lab.test>\r\n");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT TO:<rw-sender-parent@canary.test> NOTIFY=NEVER\r\n");
	fx_free(&f);
	/* a banner without a name: EHLO's; no DSN, so no NOTIFY */
	fx_init(&f, rows, 2);
	connect_ok(&f);
	answer(&f, "220 ESMTP ready\r\n", SA_SEND, "EHLO tester.test\r\n");
	assert_int_equal(f.r.tests[0].done, 1); /* no name yet */
	answer(&f, "250-relay.corp.example.org\r\n250 8BITMIME\r\n", SA_SEND,
	       "MAIL FROM:<rw-sender-domain@relay.corp.example.org>\r\n");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT TO:<rw-sender-domain@canary.test>\r\n");
	answer(&f, "550 no\r\n", SA_SEND, "RSET");
	answer(&f, "250 ok\r\n", SA_SEND, "MAIL FROM:<rw-sender-parent@corp.example.org>\r\n");
	fx_free(&f);
	/* no name anywhere: neither runs, and the verdict says nothing of them */
	fx_init(&f, rows, 2);
	connect_ok(&f);
	answer(&f, "220 ESMTP ready\r\n", SA_SEND, "EHLO tester.test\r\n");
	answer(&f, "250 8BITMIME\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(f.r.tests[i].attempts, 0);
		assert_int_equal(f.r.tests[i].stage, STAGE_NOTRUN);
		assert_non_null(strstr(f.r.tests[i].text, "no domain name"));
	}
	fx_free(&f);
	/* a one-dot name has no parent: sender-domain runs, sender-parent not */
	fx_init(&f, rows, 2);
	connect_ok(&f);
	answer(&f, "220 lab.test ESMTP\r\n", SA_SEND, "EHLO");
	answer(&f, "250 lab.test\r\n", SA_SEND, "MAIL FROM:<rw-sender-domain@lab.test>\r\n");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "550 no\r\n", SA_SEND, "QUIT");
	assert_int_equal(f.r.tests[1].attempts, 0);
	fx_free(&f);
}

/* the sink saw the token before the 250 reached us: still delivered */
static void test_arrival_before_250(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "250 ok\r\n", SA_SEND, "DATA");
	answer(&f, "354 go\r\n", SA_SEND, NULL);
	/* what cmd_test's arrival callback does */
	f.r.tests[0].arrival = arrival_dup(&(struct arrival){.peer = "127.0.0.5"});
	f.r.tests[0].stage = STAGE_DELIVERED;
	answer(&f, "250 queued\r\n", SA_SEND, "QUIT");
	assert_int_equal(f.r.tests[0].stage, STAGE_DELIVERED);
	assert_int_equal(sess_accepted(f.s), 0);
	fx_free(&f);
}

/* scan without -v: no transcript is written, the verdict is the same, and
 * the output buffer does not keep the message's memory once it is sent */
static void test_no_transcript(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 2);
	f.cfg.no_transcript = 1; /* the session reads its borrowed config as it goes */
	connect_ok(&f);
	answer(&f, "220 mx.lab.test ESMTP Postfix\r\n", SA_SEND, "EHLO tester.test\r\n");
	answer(&f, "250-mx.lab.test\r\n250 8BITMIME\r\n", SA_SEND, "MAIL");
	answer(&f, "250 2.1.0 Ok\r\n", SA_SEND, "RCPT");
	answer(&f, "250 2.1.5 Ok\r\n", SA_SEND, "DATA");
	answer(&f, "354 go ahead\r\n", SA_SEND, NULL);
	answer(&f, "250 2.0.0 queued\r\n", SA_SEND, "RSET\r\n");
	assert_true(sess_output(f.s)->alloc < 1024);
	answer(&f, "250 2.0.0 Ok\r\n", SA_SEND, "MAIL");
	answer(&f, "250 2.1.0 Ok\r\n", SA_SEND, "RCPT");
	answer(&f, "554 5.7.1 Relay access denied\r\n", SA_SEND, "QUIT");
	answer(&f, "221 Bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.transcript.len, 0);
	assert_null(f.r.transcript.data);
	assert_int_equal(f.r.tests[0].stage, STAGE_ACCEPTED);
	assert_int_equal(f.r.tests[1].stage, STAGE_MAIL);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_SUSPECT);
	fx_free(&f);
}

/* the message carries the token and ends with the terminator */
static void test_message_has_token(void **state)
{
	struct fx f;
	const char *out;

	(void)state;
	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "220 x\r\n", SA_SEND, "EHLO");
	answer(&f, "250 x\r\n", SA_SEND, "MAIL");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "250 ok\r\n", SA_SEND, "DATA");
	size_t used;
	reply_reset(f.rp);
	reply_feed(f.rp, "354 go\r\n", 8, &used);
	sess_on_reply(f.s, reply_get(f.rp), f.now);
	out = dbuf_str(sess_output(f.s));
	assert_non_null(strstr(out, f.r.tests[0].token));
	assert_int_equal(strcmp(out + strlen(out) - 5, "\r\n.\r\n"), 0);
	fx_free(&f);
}

/* PIPELINING: MAIL, RCPT and DATA in one write; RSET joins the next group */
static void test_pipelining(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 2);
	connect_ok(&f);
	answer(&f, "220 mx ESMTP\r\n", SA_SEND, "EHLO");
	answer(&f, "250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", SA_SEND,
	       "MAIL FROM:<rw-plain@canary.test>\r\nRCPT TO:<rw-plain@canary.test>\r\nDATA\r\n");
	answer(&f, "250 ok\r\n", SA_READ, NULL);
	answer(&f, "554 5.7.1 denied\r\n", SA_READ, NULL);
	answer(&f, "554 5.5.1 no valid recipients\r\n", SA_SEND,
	       "RSET\r\nMAIL FROM:<rw-percent-ip@canary.test>\r\nRCPT "
	       "TO:<rw-percent-ip%canary.test@[127.0.0.5]>\r\nDATA\r\n");
	answer(&f, "250 ok\r\n", SA_READ, NULL);
	answer(&f, "550 5.1.1 no\r\n", SA_READ, NULL);
	answer(&f, "550 5.1.1 no\r\n", SA_READ, NULL);
	answer(&f, "503 5.5.1 no\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[0].stage, STAGE_MAIL);
	assert_int_equal(f.r.tests[0].code, 554);
	assert_int_equal(f.r.tests[1].stage, STAGE_CONNECT); /* MAIL refused */
	assert_int_equal(f.r.tests[1].code, 550);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* greylisting: 451 in round 0, QUIT, reconnect after the delay, accepted */
static void test_greylist_round(void **state)
{
	struct fx f;
	struct sess_step st;

	(void)state;
	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "451 4.7.1 Greylisted, try later\r\n", SA_SEND, "QUIT");
	st = answer(&f, "221 bye\r\n", SA_RECONNECT, NULL);
	assert_int_equal(st.delay_ms, 5000);
	assert_int_equal(f.r.tests[0].tempfail, 1);
	f.now += 5000;
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL FROM:<rw-plain@canary.test>");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT TO:<rw-plain@canary.test>");
	answer(&f, "250 ok\r\n", SA_SEND, "DATA");
	answer(&f, "354 go\r\n", SA_SEND, NULL);
	answer(&f, "250 queued\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[0].stage, STAGE_ACCEPTED);
	assert_int_equal(f.r.tests[0].attempts, 2);
	assert_int_equal(f.r.greylist_rounds, 1);
	fx_free(&f);
}

/* greylisting that never ends: tempfail after the rounds, doubling delays */
static void test_greylist_forever(void **state)
{
	struct fx f;
	struct sess_step st;
	int delays[3];

	(void)state;
	fx_init(&f, two, 1);
	for (int round = 0; round <= 3; round++) {
		connect_ok(&f);
		answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
		answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
		answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
		answer(&f, "450 4.2.0 Greylisted\r\n", SA_SEND, "QUIT");
		st = answer(&f, "221 bye\r\n", round < 3 ? SA_RECONNECT : SA_FINISH, NULL);
		if (round < 3)
			delays[round] = st.delay_ms;
		f.now += st.delay_ms;
	}
	assert_int_equal(delays[0], 5000);
	assert_int_equal(delays[1], 10000);
	assert_int_equal(delays[2], 20000);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_TEMPFAIL);
	fx_free(&f);
}

/* after RW_CONN_ERRORS_MAX refusals the next test gets a fresh connection */
static void test_error_limit_reconnect(void **state)
{
	static const struct battery_test *const six[] = {&t_plain,   &t_percent, &t_plain,
	                                                 &t_percent, &t_plain,   &t_percent};
	struct fx f;
	struct sess_step st;

	(void)state;
	fx_init(&f, six, 6);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250-mx\r\n250 PIPELINING\r\n", SA_SEND, "MAIL");
	for (int i = 0; i < 6; i++) {
		if (i != 0 && i != 4)
			answer(&f, "250 reset\r\n", SA_READ, NULL); /* RSET of the group */
		answer(&f, "250 ok\r\n", SA_READ, NULL);
		answer(&f, "554 5.7.1 Relay access denied\r\n", SA_READ, NULL);
		/* 4 tests x 2 refusals = 8: QUIT after the 4th, and after the 6th */
		answer(&f, "554 5.5.1 Error: no valid recipients\r\n", SA_SEND,
		       i == 3 || i == 5 ? "QUIT" : "RSET\r\nMAIL");
		if (i == 3) {
			st = answer(&f, "221 bye\r\n", SA_RECONNECT, NULL);
			assert_int_equal(st.delay_ms, 0);
			connect_ok(&f);
			answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
			answer(&f, "250-mx\r\n250 PIPELINING\r\n", SA_SEND, "MAIL");
		}
	}
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.connects, 2);
	for (int i = 0; i < 6; i++)
		assert_int_equal(f.r.tests[i].attempts, 1);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* Postfix's default 454 4.7.1 Relay access denied is final: no retry round */
static void test_454_relay_denied_final(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "454 4.7.1 <rw-plain@canary.test>: Relay access denied\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[0].done, 1);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* 421 mid-battery: reconnect and rerun the test that was cut off */
static void test_421_reconnect(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 2);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "550 5.7.1 no\r\n", SA_SEND, "RSET");
	answer(&f, "250 ok\r\n", SA_SEND, "MAIL FROM:<rw-percent-ip");
	answer(&f, "421 4.7.0 too many errors\r\n", SA_RECONNECT, NULL);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL FROM:<rw-percent-ip");
	answer(&f, "250 ok\r\n", SA_SEND, "RCPT");
	answer(&f, "550 5.7.1 no\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tests[1].attempts, 1);
	assert_int_equal(f.r.connects, 2);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* EHLO refused: HELO; a test with its own HELO re-greets */
static void test_helo_fallback_and_test_helo(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, three, 3);
	connect_ok(&f);
	answer(&f, "220 old\r\n", SA_SEND, "EHLO");
	answer(&f, "502 5.5.2 what\r\n", SA_SEND, "HELO tester.test\r\n");
	answer(&f, "250 old\r\n", SA_SEND, "MAIL");
	answer(&f, "550 no\r\n", SA_SEND, "RSET");
	answer(&f, "250 ok\r\n", SA_SEND, "MAIL");
	answer(&f, "550 no\r\n", SA_SEND, "RSET");
	answer(&f, "250 ok\r\n", SA_SEND, "HELO [127.0.0.5]\r\n");
	answer(&f, "250 old\r\n", SA_SEND, "MAIL FROM:<>\r\n");
	answer(&f, "550 no\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.esmtp, 0);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* STARTTLS offered: upgrade, greet again, then the battery */
static void test_starttls(void **state)
{
	struct fx f;
	struct sess_step st;

	(void)state;
	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250-mx\r\n250 STARTTLS\r\n", SA_SEND, "STARTTLS\r\n");
	answer(&f, "220 go ahead\r\n", SA_STARTTLS, NULL);
	st = sess_on_tls(f.s, 1, "TLSv1.3", f.now);
	assert_int_equal(st.act, SA_SEND);
	assert_string_equal(dbuf_str(sess_output(f.s)), "EHLO tester.test\r\n");
	dbuf_reset(sess_output(f.s));
	answer(&f, "250-mx\r\n250 STARTTLS\r\n", SA_SEND, "MAIL");
	answer(&f, "530 5.7.0 Authentication required\r\n", SA_SEND, "QUIT");
	answer(&f, "221 bye\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.tls, 1);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_AUTH_REQUIRED);
	fx_free(&f);
}

/* a STARTTLS handshake that hangs (auto): go on without TLS */
static void test_tls_hang_falls_back(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250-mx\r\n250 STARTTLS\r\n", SA_SEND, "STARTTLS");
	answer(&f, "220 go ahead\r\n", SA_STARTTLS, NULL);
	assert_int_equal(sess_on_failure(f.s, FAIL_TIMEOUT, "deadline", f.now).act, SA_RECONNECT);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250-mx\r\n250 STARTTLS\r\n", SA_SEND, "MAIL"); /* no STARTTLS again */
	fx_free(&f);
}

/* --tls require with no STARTTLS offered: an error, no mail sent */
static void test_tls_required_missing(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 1);
	f.cfg.tls = TLS_REQUIRE;
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_FINISH, NULL);
	assert_int_equal(f.r.end, END_TLS_REQUIRED);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_ERROR);
	fx_free(&f);
}

/* failures before and after the banner */
static void test_failures(void **state)
{
	static const struct {
		const char *name;
		int after_banner;
		enum sess_failure f;
		enum verdict want;
	} cases[] = {
	    {"connect refused", 0, FAIL_CONNECT, V_UNREACHABLE},
	    {"banner timeout", 0, FAIL_TIMEOUT, V_UNREACHABLE},
	    {"closed on connect", 0, FAIL_EOF, V_UNREACHABLE},
	    {"junk banner", 0, FAIL_PROTOCOL, V_NOT_SMTP},
	    {"junk after banner", 1, FAIL_PROTOCOL, V_ERROR},
	    {"timeout after banner", 1, FAIL_TIMEOUT, V_ERROR},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		struct sess_step st;

		fx_init(&f, two, 2);
		if (cases[i].f != FAIL_CONNECT)
			connect_ok(&f);
		if (cases[i].after_banner)
			answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
		st = sess_on_failure(f.s, cases[i].f, "detail", f.now);
		if (st.act != SA_FINISH)
			fail_msg("%s: got action %d, want finish", cases[i].name, st.act);
		verdict_decide(&f.r);
		if (f.r.verdict != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].name, verdict_name(f.r.verdict),
			         verdict_name(cases[i].want));
		fx_free(&f);
	}
}

/* banners: 421 is retried once after the greylist delay, 554 refuses */
static void test_banners(void **state)
{
	struct fx f;
	struct sess_step st;

	(void)state;
	fx_init(&f, two, 1);
	connect_ok(&f);
	st = answer(&f, "421 4.3.2 busy\r\n", SA_RECONNECT, NULL);
	assert_int_equal(st.delay_ms, 5000);
	connect_ok(&f);
	answer(&f, "421 4.3.2 busy\r\n", SA_FINISH, NULL);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_TEMPFAIL);
	fx_free(&f);

	fx_init(&f, two, 1);
	connect_ok(&f);
	answer(&f, "554 5.7.1 go away\r\n", SA_FINISH, NULL);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_CLOSED);
	fx_free(&f);
}

/* the connection drops mid-battery more often than allowed: error */
static void test_drops_exhaust(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, two, 2);
	connect_ok(&f);
	answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
	answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sess_on_failure(f.s, FAIL_EOF, "reset", f.now).act, SA_RECONNECT);
		connect_ok(&f);
		answer(&f, "220 mx\r\n", SA_SEND, "EHLO");
		answer(&f, "250 mx\r\n", SA_SEND, "MAIL");
	}
	assert_int_equal(sess_on_failure(f.s, FAIL_EOF, "reset", f.now).act, SA_FINISH);
	assert_int_equal(f.r.end, END_DROPPED);
	verdict_decide(&f.r);
	assert_int_equal(f.r.verdict, V_ERROR);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_no_pipelining),
	    cmocka_unit_test(test_message_has_token),
	    cmocka_unit_test(test_no_transcript),
	    cmocka_unit_test(test_arrival_before_250),
	    cmocka_unit_test(test_banner_name_helo_only),
	    cmocka_unit_test(test_sender_domain_rows),
	    cmocka_unit_test(test_arrival_then_refusal),
	    cmocka_unit_test(test_unexpandable_not_sent),
	    cmocka_unit_test(test_sender_fallback),
	    cmocka_unit_test(test_sender_fallback_pipelined),
	    cmocka_unit_test(test_one_greeting_per_connection),
	    cmocka_unit_test(test_test_helo_refused_fresh),
	    cmocka_unit_test(test_budget_final),
	    cmocka_unit_test(test_reply_text_capped),
	    cmocka_unit_test(test_pipelining),
	    cmocka_unit_test(test_greylist_round),
	    cmocka_unit_test(test_greylist_forever),
	    cmocka_unit_test(test_421_reconnect),
	    cmocka_unit_test(test_454_relay_denied_final),
	    cmocka_unit_test(test_error_limit_reconnect),
	    cmocka_unit_test(test_helo_fallback_and_test_helo),
	    cmocka_unit_test(test_starttls),
	    cmocka_unit_test(test_tls_required_missing),
	    cmocka_unit_test(test_tls_hang_falls_back),
	    cmocka_unit_test(test_failures),
	    cmocka_unit_test(test_banners),
	    cmocka_unit_test(test_drops_exhaust),
	};

	memset(&key, 7, sizeof(key));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
