/*
 * NAME
 *	sess - relay-test client session, a pure state machine
 * SUMMARY
 *	banner, EHLO/HELO, STARTTLS, the battery with RSET between tests,
 *	pipelined groups, greylisting rounds and reconnects; no I/O, no clock
 * SYNOPSIS
 *	struct sess *sess_new(const struct sess_config *cfg,
 *		struct target_result *r, long long now_ms);
 *	struct sess_step sess_on_connect(s, now_ms);
 *	struct sess_step sess_on_reply(s, const struct reply *rep, now_ms);
 *	struct sess_step sess_on_tls(s, int ok, const char *version, now_ms);
 *	struct sess_step sess_on_failure(s, enum sess_failure f, detail, now_ms);
 *	struct dbuf *sess_output(s); int sess_deadline_ms(s);
 *	struct sess *sess_free(s); int sess_expand_tests(s, host);
 *	int sess_wants_tls_first(s); size_t sess_accepted(s); sess_state_name(s);
 * DESCRIPTION
 *	The session keeps a queue of the replies it expects (one per command
 *	written; several when a group is pipelined, RFC 2920) and its state
 *	is the kind of reply at the head of that queue; sess_enter() alone
 *	changes it. Each test runs MAIL, RCPT, DATA and the message; the
 *	deciding reply and the stage reached are written to the test's
 *	result. 4xx answers leave the test pending: after the round the
 *	session QUITs and reconnects after the greylist delay (doubling each
 *	round) to rerun only those tests, while the session budget allows.
 *	After RW_CONN_ERRORS_MAX refusals on one connection the next test
 *	starts on a fresh one, below the error limits that make Postfix
 *	sleep between replies and then disconnect.
 *	A 4xx whose text says relaying is denied (Postfix's default
 *	defer_unauth_destination) is a refusal and is not retried.
 *	421 or a dropped connection mid-battery reconnect and continue with
 *	the test that was cut off, at most cfg->reconnect_max times in a row
 *	without an answer in between (Postfix drops a client after 20 errors).
 *	The result r is borrowed and must outlive the session; sess_new()
 *	gives it tests sized to the battery (result_tests_new). The
 *	transcript is written only when cfg->no_transcript is 0; the output
 *	buffer gives back a message's memory once it is sent.
 * DIAGNOSTICS
 *	Peer failures end the session with r->end and r->end_detail set;
 *	nothing here logs or aborts on peer input.
 * LIMITS
 *	RW_BATTERY_MAX tests, RW_GREYLIST_ROUNDS_MAX rounds, reply text
 *	already bounded by the reply parser, transcript by its dbuf cap.
 * STANDARDS
 *	RFC 5321 3.1-4.3, RFC 2920, RFC 3207, RFC 8314.
 */
#include "sess.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"
#include "fingerprint.h"
#include "message.h"
#include "verdict.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kinds of reply the session waits for; the head of the queue is the
 * session's state. */
enum sstate {
	SS_CONNECT,
	SS_TLS_FIRST,
	SS_BANNER,
	SS_EHLO,
	SS_HELO,
	SS_STARTTLS,
	SS_TLS,
	SS_TESTHELO,
	SS_RSET,
	SS_MAIL,
	SS_RCPT,
	SS_DATA,
	SS_BODY,
	SS_QUIT,
	SS_IDLE,
	SS__COUNT
};

static const char *const state_names[SS__COUNT] = {
    [SS_CONNECT] = "connect", [SS_TLS_FIRST] = "tls-first", [SS_BANNER] = "banner",
    [SS_EHLO] = "ehlo",       [SS_HELO] = "helo",           [SS_STARTTLS] = "starttls",
    [SS_TLS] = "tls",         [SS_TESTHELO] = "test-helo",  [SS_RSET] = "rset",
    [SS_MAIL] = "mail",       [SS_RCPT] = "rcpt",           [SS_DATA] = "data",
    [SS_BODY] = "body",       [SS_QUIT] = "quit",           [SS_IDLE] = "idle",
};

#define EXPECT_MAX 8
/* Output bytes kept allocated between writes: a pipelined MAIL, RCPT,
 * DATA group fits; the test message (~1 KiB) is freed once it is sent. */
#define OUT_KEEP 512

struct sess {
	const struct sess_config *cfg;
	struct target_result *r;
	enum sstate state;
	enum sstate expect[EXPECT_MAX];
	int nexpect;
	struct dbuf out;
	long long started_ms;
	/* per connection */
	int esmtp, pipelining, tls_on, tls_broken, banner_seen_once;
	int prepared; /* tokens and addresses made (at the first banner) */
	char cur_helo[RW_DOMAIN_MAX + 1];
	/* battery */
	int round;       /* 0 = first pass; then greylisting rounds */
	int *last_round; /* round in which test i last got an answer; owned */
	size_t cur;      /* test in progress */
	int in_test;     /* a test's transaction is under way */
	int mail_ok, rcpt_ok;
	int reconnects, banner_retries;
	int conn_errors;                     /* 4xx/5xx replies on this connection */
	char banner_host[RW_DOMAIN_MAX + 1]; /* banner's (else EHLO's) name: HELO and sender rows */
	int greet_test;                      /* test whose HELO greets the next connection, or -1 */
	int no_rehelo;                       /* the server refuses a second EHLO (OpenSMTPD: 503) */
	int rerun;                           /* run the current test again (sender fallback) */
	int quitting_for;                    /* 0 finish, 1 reconnect after QUIT */
	int retry_delay_ms;
};

/* sess_enter - the only writer of s->state */
static void sess_enter(struct sess *s, enum sstate next)
{
	if (s->state != next)
		rw_debug("sess=%s:%u smtp state=%s -> %s", s->r->addr, s->r->port,
		         state_names[s->state], state_names[next]);
	s->state = next;
}

/* sync_state - the state follows the head of the expectation queue */
static void sync_state(struct sess *s)
{
	sess_enter(s, s->nexpect ? s->expect[0] : SS_IDLE);
}

/* expect_push - one more reply awaited; overflow is our bug, not the peer's */
static void expect_push(struct sess *s, enum sstate k)
{
	if (s->nexpect >= EXPECT_MAX)
		rw_panic("%s: expectation queue overflow", __func__);
	s->expect[s->nexpect++] = k;
}

/* expect_pop - the head reply arrived; the rest keep their order */
static void expect_pop(struct sess *s)
{
	if (s->nexpect > 0) {
		memmove(s->expect, s->expect + 1, (size_t)(s->nexpect - 1) * sizeof(s->expect[0]));
		s->nexpect--;
	}
}

/* transcript_line - one "C: " or "S: " line, control bytes escaped */
static void transcript_line(struct sess *s, const char *who, const char *text, size_t len)
{
	struct dbuf *t = &s->r->transcript;

	if (s->cfg->no_transcript)
		return;
	dbuf_adds(t, who);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x20 && c < 0x7f)
			dbuf_addc(t, (char)c);
		else
			dbuf_printf(t, "\\x%02x", c);
	}
	dbuf_addc(t, '\n');
}

/* note - a "-- ..." or other free-form transcript line */
static void note(struct sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* note - a "-- ..." or other free-form transcript line, unless none is kept */
static void note(struct sess *s, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (s->cfg->no_transcript)
		return;
	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	dbuf_adds(&s->r->transcript, line);
	free(line);
}

/* out_reset - empty the output; a message's worth of memory is not kept idle */
static void out_reset(struct sess *s)
{
	dbuf_shrink(&s->out, OUT_KEEP);
}

/* send_cmd - queue one command line and the reply it expects */
static void send_cmd(struct sess *s, enum sstate k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* send_cmd - queue one command line and the reply it expects */
static void send_cmd(struct sess *s, enum sstate k, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	transcript_line(s, "C: ", line, strlen(line));
	dbuf_adds(&s->out, line);
	dbuf_adds(&s->out, "\r\n");
	free(line);
	expect_push(s, k);
}

/* step - an action for the I/O layer, with its delay */
static struct sess_step step(enum sess_action a, int delay)
{
	return (struct sess_step){.act = a, .delay_ms = delay};
}

/* flush - follow the queue head; send what was queued, else keep reading */
static struct sess_step flush(struct sess *s)
{
	sync_state(s);
	return step(s->out.len ? SA_SEND : SA_READ, 0);
}

/* finish - end the session; the first end and detail recorded win */
static struct sess_step finish(struct sess *s, enum sess_end end, const char *detail)
{
	if (s->r->end == END_NONE || s->r->end == END_DONE)
		s->r->end = end;
	if (detail && !s->r->end_detail[0])
		snprintf(s->r->end_detail, sizeof(s->r->end_detail), "%s", detail);
	s->nexpect = 0;
	sess_enter(s, SS_IDLE);
	return step(SA_FINISH, 0);
}

/* looks_like_host - a plausible DNS name (letters, digits, '-', '.') */
static int looks_like_host(const char *d)
{
	size_t n = strlen(d);

	if (n < 3 || n > RW_DOMAIN_MAX || strchr(d, '.') == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= 'A' && d[i] <= 'Z') ||
		      (d[i] >= '0' && d[i] <= '9') || d[i] == '.' || d[i] == '-'))
			return 0;
	return 1;
}

/* sess_expand_tests - fill each test's HELO, MAIL and RCPT; a test that does not fit never runs */
int sess_expand_tests(struct sess *s, const char *host)
{
	struct target_result *r = s->r;
	char ip[80], user[64], name[RW_DOMAIN_MAX + 1];
	char helo[RW_DOMAIN_MAX + 1], from[RW_PATH_MAX + 1], to[RW_PATH_MAX + 1];
	int v6 = strchr(r->addr, ':') != NULL;
	int rc = 0;

	snprintf(ip, sizeof(ip), v6 ? "[IPv6:%s]" : "[%s]", r->addr);
	snprintf(name, sizeof(name), "%s", host && *host ? host : ip); /* host may be r->host */
	host = name;
	snprintf(r->host, sizeof(r->host), "%s", host);
	/* the target's own domain, for the sender rows only: the name
	 * given, else the banner's (or EHLO's); its parent when that still
	 * has a dot. A sender routes nothing to that domain unless the
	 * relay bounces, and those rows ask NOTIFY=NEVER where DSN is
	 * offered; recipients never use it. */
	const char *domain = host[0] != '[' ? host : s->banner_host[0] ? s->banner_host : NULL;
	const char *dot = domain ? strchr(domain, '.') : NULL;
	const char *parent = dot && strchr(dot + 1, '.') ? dot + 1 : NULL;
	for (size_t i = 0; i < r->ntests; i++) {
		struct test_result *t = &r->tests[i];
		/* In MAIL and RCPT, {host} is always the IP literal: a relay
		 * routes "user%canary@name" by the name's MX, which may be a
		 * third party's (an operator may type a domain whose MX is a
		 * mail provider), and bounces to postmaster@name likewise.
		 * A HELO routes nothing: there the name given, or the banner's,
		 * is safe to use. */
		struct battery_vars v = {.user = user,
		                         .canary = s->cfg->canary,
		                         .ip = ip,
		                         .rawip = r->addr,
		                         .host = ip,
		                         .me = s->cfg->myname,
		                         .domain = domain,
		                         .parent = parent};
		struct battery_vars hv = v;

		hv.host = host;
		if (s->banner_host[0] && !(r->host[0] && r->host[0] != '['))
			hv.host = s->banner_host;
		snprintf(user, sizeof(user), "rw-%s", t->test->id);
		/* expanded into locals holding the current values: a failed
		 * expansion leaves "" in its field and the later ones as they were */
		snprintf(helo, sizeof(helo), "%s", t->helo);
		snprintf(from, sizeof(from), "%s", t->mail_from);
		snprintf(to, sizeof(to), "%s", t->rcpt_to);
		if (battery_expand(t->test->helo ? t->test->helo : "{me}", &hv, helo,
		                   sizeof(helo)) < 0 ||
		    battery_expand(t->test->mail_from, &v, from, sizeof(from)) < 0 ||
		    battery_expand(t->test->rcpt_to, &v, to, sizeof(to)) < 0) {
			/* never send a test whose addresses did not fit: it
			 * stays "notrun" and out of the verdict */
			int want_name = (!domain && strstr(t->test->mail_from, "{domain}")) ||
			                (!parent && strstr(t->test->mail_from, "{parent}"));

			t->done = 1;
			free(t->text);
			t->text = xstrdup(want_name ? "not run: the target has no domain name (none given, "
			                              "none in its banner or EHLO) or no parent domain"
			                            : "not run: its addresses do not fit RFC 5321 limits");
			t->unexpanded = want_name;
			rc = -1;
		} else if (t->unexpanded && t->attempts == 0) {
			/* a name came later (the banner, EHLO): it runs after all */
			t->unexpanded = 0;
			t->done = 0;
			free(t->text);
			t->text = NULL;
		}
		result_test_set(t, helo, from, to, t->token);
	}
	return rc;
}

/* sess_new - a session over r with a signed token per test; cfg and r are borrowed */
struct sess *sess_new(const struct sess_config *cfg, struct target_result *r, long long now_ms)
{
	struct sess *s = xcalloc(1, sizeof(*s));
	size_t n = cfg->nbattery < RW_BATTERY_MAX ? cfg->nbattery : RW_BATTERY_MAX;

	s->cfg = cfg;
	s->r = r;
	s->started_ms = now_ms;
	s->state = SS_CONNECT;
	s->greet_test = -1;
	dbuf_init(&s->out, 0);
	r->started = now_ms;
	result_tests_new(r, n);
	s->last_round = xcalloc(n ? n : 1, sizeof(*s->last_round));
	for (size_t i = 0; i < n; i++) {
		r->tests[i].test = cfg->battery[i];
		s->last_round[i] = -1;
	}
	return s;
}

/* prepare_tests - each test's token and its HELO, MAIL and RCPT, once, at
 * the first banner: most addresses of a scan never answer, and signing and
 * expanding a battery for each of them was most of a scan's CPU */
static void prepare_tests(struct sess *s, long long now_ms)
{
	struct target_result *r = s->r;
	char token[RW_TOKEN_MAX];

	if (s->prepared)
		return;
	s->prepared = 1;
	for (size_t i = 0; i < r->ntests; i++) {
		struct test_result *t = &r->tests[i];
		struct token_fields f = {.port = r->port, .time = now_ms / 1000};

		snprintf(f.scan, sizeof(f.scan), "%s", s->cfg->scan_id ? s->cfg->scan_id : "0");
		snprintf(f.target, sizeof(f.target), "%s", r->addr);
		snprintf(f.test, sizeof(f.test), "%s", t->test->id);
		token_make(s->cfg->key, &f, token, sizeof(token));
		result_test_set(t, "", "", "", token);
	}
	sess_expand_tests(s, r->host[0] ? r->host : NULL);
}

/* sess_free - free the session, not the borrowed result; NULL ok */
struct sess *sess_free(struct sess *s)
{
	if (s) {
		dbuf_free(&s->out);
		free(s->last_round);
		free(s);
	}
	return NULL;
}

/* sess_output - bytes to write, owned by the session; the caller resets it once sent */
struct dbuf *sess_output(struct sess *s)
{
	return &s->out;
}

/* sess_wants_tls_first - TLS before the banner (implicit TLS, RFC 8314) */
int sess_wants_tls_first(const struct sess *s)
{
	return s->cfg->implicit_tls;
}

/* sess_state_name - the current state's name, for logs */
const char *sess_state_name(const struct sess *s)
{
	return state_names[s->state];
}

/* sess_accepted - tests accepted at end of DATA and not bounced: arrivals to wait for */
size_t sess_accepted(const struct sess *s)
{
	return result_accepted(s->r);
}

/* sess_deadline_ms - how long the current wait may last, by state */
int sess_deadline_ms(const struct sess *s)
{
	switch (s->state) {
	case SS_CONNECT:
		return s->cfg->connect_timeout_ms;
	case SS_BANNER:
	case SS_TLS_FIRST:
	case SS_TLS:
		return s->cfg->banner_timeout_ms;
	case SS_BODY:
		return 2 * s->cfg->reply_timeout_ms; /* RFC 5321 4.5.3.2.6 allows 10 min */
	default:
		return s->cfg->reply_timeout_ms;
	}
}

/* budget_allows - a reconnect after delay_ms still leaves time for a test */
static int budget_allows(const struct sess *s, long long now_ms, int delay_ms)
{
	return now_ms + delay_ms + 2LL * s->cfg->reply_timeout_ms <=
	       s->started_ms + s->cfg->session_timeout_ms;
}

/* pending - test i still wants a run in the current round */
static int pending(const struct sess *s, size_t i)
{
	const struct test_result *t = &s->r->tests[i];

	return !t->done && s->last_round[i] < s->round;
}

/* next_pending - the first test from `from` on that this round still owes a run */
static size_t next_pending(const struct sess *s, size_t from)
{
	for (size_t i = from; i < s->r->ntests; i++)
		if (pending(s, i))
			return i;
	return s->r->ntests;
}

/* record - the deciding reply of the current test */
static void record(struct sess *s, enum stage stage, const struct reply *rep)
{
	struct test_result *t = &s->r->tests[s->cur];

	/* a fast relay can deliver to the sink before its reply reaches us,
	 * even one that then says 554 at end of DATA: the sink's proof wins */
	if (t->arrival)
		stage = STAGE_DELIVERED;
	t->stage = stage;
	t->code = rep->code;
	snprintf(t->esc, sizeof(t->esc), "%s", rep->esc);
	free(t->text);
	t->text = xstrndup(rep->text, RW_TEST_TEXT_MAX); /* replies may be 256 KiB */
	s->last_round[s->cur] = s->round;
	s->reconnects = 0; /* progress: only reconnects without progress count */
	if (rep->code / 100 == 4 && !verdict_is_relay_denial(rep->code, rep->esc, rep->text)) {
		t->tempfail = 1;
		t->done = 0;
	} else {
		t->tempfail = 0;
		t->done = 1;
	}
	if (verdict_is_auth(rep->code, rep->esc, rep->text))
		s->r->auth_seen = 1;
	if (verdict_is_starttls(rep->code, rep->esc, rep->text))
		s->r->starttls_demanded = 1;
	s->in_test = 0;
}

/* send_rcpt - RCPT of test t; a sender row in a real domain asks for no
 * DSN where the server offers DSN (RFC 3461 4.1): a failed relay then
 * bounces to nobody */
static void send_rcpt(struct sess *s, const struct test_result *t)
{
	if (t->test->no_bounce && (s->r->ehlo.caps & EHLO_DSN))
		send_cmd(s, SS_RCPT, "RCPT TO:<%s> NOTIFY=NEVER", t->rcpt_to);
	else
		send_cmd(s, SS_RCPT, "RCPT TO:<%s>", t->rcpt_to);
}

/* send_txn - MAIL, RCPT, DATA of the current test; one group when the
 * server pipelines */
static void send_txn(struct sess *s)
{
	struct test_result *t = &s->r->tests[s->cur];

	s->mail_ok = s->rcpt_ok = 0;
	send_cmd(s, SS_MAIL, "MAIL FROM:<%s>", t->mail_from);
	if (s->pipelining) {
		send_rcpt(s, t);
		send_cmd(s, SS_DATA, "DATA");
	}
}

/* greet_name - the name this connection greets with */
static const char *greet_name(const struct sess *s)
{
	return s->greet_test >= 0 ? s->r->tests[s->greet_test].helo : s->cfg->myname;
}

/* send_helo - EHLO or HELO as this connection speaks, expecting reply kind k */
static void send_helo(struct sess *s, enum sstate k, const char *name)
{
	send_cmd(s, k, "%s %s", s->esmtp ? "EHLO" : "HELO", name);
}

/* start_test - begin test s->cur: a HELO of its own first when it needs one */
static void start_test(struct sess *s)
{
	struct test_result *t = &s->r->tests[s->cur];

	if (strcmp(t->helo, s->cur_helo) != 0 && s->no_rehelo) {
		/* this server takes one greeting per connection: come back
		 * greeting with the test's name */
		s->greet_test = (int)s->cur;
		s->retry_delay_ms = 0;
		s->quitting_for = 1;
		send_cmd(s, SS_QUIT, "QUIT");
		return;
	}
	t->attempts++;
	s->in_test = 1;
	if (strcmp(t->helo, s->cur_helo) != 0)
		send_helo(s, SS_TESTHELO, t->helo);
	else
		send_txn(s);
}

/* send_quit - QUIT; reconnect_after says whether a new connection follows */
static struct sess_step send_quit(struct sess *s, int reconnect_after)
{
	s->quitting_for = reconnect_after;
	send_cmd(s, SS_QUIT, "QUIT");
	return flush(s);
}

/* round_end - every test of this round answered: another round or QUIT */
static struct sess_step round_end(struct sess *s, long long now_ms)
{
	int any = 0;
	long long delay;

	for (size_t i = 0; i < s->r->ntests; i++)
		any |= !s->r->tests[i].done;
	if (!any || s->round >= s->cfg->greylist_rounds)
		return send_quit(s, 0);
	delay = (long long)s->cfg->greylist_delay_ms << s->round;
	if (now_ms + delay + 2LL * s->cfg->reply_timeout_ms >
	    s->started_ms + s->cfg->session_timeout_ms)
		return send_quit(s, 0);
	s->round++;
	s->r->greylist_rounds = s->round;
	s->retry_delay_ms = (int)delay;
	return send_quit(s, 1);
}

/* next_test - after a test (and its RSET when due), go on or end the round */
static struct sess_step next_test(struct sess *s, int rset_first, long long now_ms)
{
	size_t n = next_pending(s, s->cur + 1);

	if (n >= s->r->ntests) {
		n = next_pending(s, 0);
		if (n >= s->r->ntests)
			return round_end(s, now_ms);
	}
	if (s->conn_errors >= RW_CONN_ERRORS_MAX) {
		/* leave before the server's error limits slow us down or cut us
		 * off; the next test starts on a fresh connection */
		s->cur = n;
		s->retry_delay_ms = 0;
		return send_quit(s, 1);
	}
	if (rset_first) {
		send_cmd(s, SS_RSET, "RSET");
		if (!s->pipelining || strcmp(s->r->tests[n].helo, s->cur_helo) != 0) {
			s->cur = n;
			return flush(s); /* the test starts when RSET is answered */
		}
	}
	s->cur = n;
	start_test(s);
	return flush(s);
}

/* battery_begin - after (E)HLO and TLS: the first pending test */
static struct sess_step battery_begin(struct sess *s, long long now_ms)
{
	size_t n = next_pending(s, 0);

	if (n >= s->r->ntests)
		return round_end(s, now_ms);
	/* a connection greeted with a test's name runs that test first */
	if (s->greet_test >= 0 && pending(s, (size_t)s->greet_test))
		n = (size_t)s->greet_test;
	s->greet_test = -1;
	s->cur = n;
	start_test(s);
	return flush(s);
}

/* reconnect - the connection was lost or 421'd mid-battery */
static struct sess_step reconnect(struct sess *s, const char *why, long long now_ms)
{
	if (s->in_test)
		s->r->tests[s->cur].attempts--; /* cut off: not an answer */
	s->in_test = 0;
	s->nexpect = 0;
	if (now_ms + 1000 > s->started_ms + s->cfg->session_timeout_ms)
		return finish(s, END_SESSION_TIMEOUT, why);
	if (s->reconnects >= s->cfg->reconnect_max)
		return finish(s, END_DROPPED, why);
	s->reconnects++;
	sess_enter(s, SS_CONNECT);
	return step(SA_RECONNECT, 1000 * s->reconnects);
}

/* sess_on_connect - a fresh connection: reset per-connection facts, await banner or TLS */
struct sess_step sess_on_connect(struct sess *s, long long now_ms)
{
	(void)now_ms;
	s->r->connects++;
	s->conn_errors = 0;
	s->esmtp = s->pipelining = s->tls_on = 0;
	s->cur_helo[0] = '\0';
	s->nexpect = 0;
	s->in_test = 0;
	out_reset(s);
	if (s->r->connects > 1)
		note(s, "-- connection %d\n", s->r->connects);
	if (s->cfg->implicit_tls) {
		sess_enter(s, SS_TLS_FIRST);
		return step(SA_STARTTLS, 0);
	}
	expect_push(s, SS_BANNER);
	return flush(s);
}

/* on_banner - 220 greets; 4xx is busy (once retried); 5xx refuses */
static struct sess_step on_banner(struct sess *s, const struct reply *rep, long long now_ms)
{
	struct target_result *r = s->r;

	if (rep->code / 100 == 2) {
		prepare_tests(s, now_ms);
		if (!s->banner_seen_once) {
			/* the name in the banner is NOT used for {host} in MAIL
			 * or RCPT: a banner may name a third party's host, and
			 * host-routed tricks (or bounces) would then reach it.
			 * Only a name the operator gave is; else the IP literal.
			 * A HELO routes nothing, so HELO tests may use it. */
			struct ehlo_info gi;

			s->banner_seen_once = 1;
			free(r->banner);
			r->banner = xstrndup(rep->text, RW_TEST_TEXT_MAX);
			memset(&gi, 0, sizeof(gi));
			ehlo_parse(rep, &gi); /* its first word: the name it gives */
			if (looks_like_host(gi.domain)) {
				snprintf(s->banner_host, sizeof(s->banner_host), "%s", gi.domain);
				sess_expand_tests(s, r->host);
			}
		}
		s->esmtp = 1; /* try EHLO first; HELO if it is refused */
		send_helo(s, SS_EHLO, greet_name(s));
		return flush(s);
	}
	if (rep->code / 100 == 4) {
		r->banner_tempfail = 1;
		if (r->connects == 1 && s->banner_retries < 1 && s->cfg->greylist_rounds > 0 &&
		    now_ms + s->cfg->greylist_delay_ms <
		        s->started_ms + s->cfg->session_timeout_ms) {
			s->banner_retries++;
			s->nexpect = 0;
			sess_enter(s, SS_CONNECT);
			return step(SA_RECONNECT, s->cfg->greylist_delay_ms);
		}
		if (s->banner_seen_once && r->connects > 1)
			return reconnect(s, "busy banner on reconnect", now_ms);
		char d[128];
		snprintf(d, sizeof(d), "%d %.100s", rep->code, rep->text);
		return finish(s, END_BANNER_TEMPFAIL, d);
	}
	char d[128];
	snprintf(d, sizeof(d), "%d %.100s", rep->code, rep->text);
	if (rep->code / 100 == 5)
		return finish(s, END_BANNER_REFUSED, d);
	return finish(s, END_NOT_SMTP, d);
}

/* after_hello - greeting done: STARTTLS when due, else the battery */
static struct sess_step after_hello(struct sess *s, long long now_ms)
{
	snprintf(s->cur_helo, sizeof(s->cur_helo), "%s", greet_name(s));
	if (!s->tls_on && s->cfg->tls != TLS_NEVER) {
		if (s->esmtp && (s->r->ehlo.caps & EHLO_STARTTLS) && !s->tls_broken) {
			send_cmd(s, SS_STARTTLS, "STARTTLS");
			return flush(s);
		}
		if (s->cfg->tls == TLS_REQUIRE)
			return finish(s, END_TLS_REQUIRED,
			              s->esmtp ? "no STARTTLS in EHLO" : "no ESMTP");
	}
	return battery_begin(s, now_ms);
}

/* on_ehlo - 250 gives the ESMTP facts; anything else falls back to HELO */
static struct sess_step on_ehlo(struct sess *s, const struct reply *rep, long long now_ms)
{
	if (rep->code == 250) {
		s->esmtp = 1;
		memset(&s->r->ehlo, 0, sizeof(s->r->ehlo));
		ehlo_parse(rep, &s->r->ehlo);
		s->r->esmtp = 1;
		s->pipelining = (s->r->ehlo.caps & EHLO_PIPELINING) != 0;
		if (!s->banner_host[0] && looks_like_host(s->r->ehlo.domain)) {
			/* a banner without a name: EHLO's is the one it gives */
			snprintf(s->banner_host, sizeof(s->banner_host), "%s", s->r->ehlo.domain);
			sess_expand_tests(s, s->r->host);
		}
		if (!s->r->mta[0])
			fingerprint_guess(s->r->banner, rep->text, s->r->mta, sizeof(s->r->mta));
		return after_hello(s, now_ms);
	}
	s->esmtp = 0;
	send_helo(s, SS_HELO, greet_name(s));
	return flush(s);
}

/* on_helo - HELO accepted, a test's own name refused (its answer), or the end */
static struct sess_step on_helo(struct sess *s, const struct reply *rep, long long now_ms)
{
	char d[160];

	if (rep->code / 100 == 2) {
		s->r->esmtp = 0;
		memset(&s->r->ehlo, 0, sizeof(s->r->ehlo));
		s->pipelining = 0;
		if (!s->r->mta[0])
			fingerprint_guess(s->r->banner, rep->text, s->r->mta, sizeof(s->r->mta));
		return after_hello(s, now_ms);
	}
	if (s->greet_test >= 0) {
		/* the test's own name is refused: that is the test's answer;
		 * greet again with ours and go on */
		s->cur = (size_t)s->greet_test;
		s->r->tests[s->cur].attempts++;
		record(s, STAGE_HELO, rep);
		s->greet_test = -1;
		s->esmtp = 1;
		send_helo(s, SS_EHLO, s->cfg->myname);
		return flush(s);
	}
	snprintf(d, sizeof(d), "%d %.120s", rep->code, rep->text);
	return finish(s, END_HELO_REFUSED, d);
}

/* on_starttls - 220 starts the handshake; a refusal ends under --tls=require */
static struct sess_step on_starttls(struct sess *s, const struct reply *rep, long long now_ms)
{
	char d[160];

	if (rep->code == 220) {
		sess_enter(s, SS_TLS);
		return step(SA_STARTTLS, 0);
	}
	if (s->cfg->tls == TLS_REQUIRE) {
		snprintf(d, sizeof(d), "STARTTLS refused: %d %.100s", rep->code, rep->text);
		return finish(s, END_TLS_FAILED, d);
	}
	return battery_begin(s, now_ms);
}

/* sender_fallback - a trick recipient whose sender (nmap's user@[ip]) was
 * refused at MAIL is tried again with the plain sender at the canary:
 * Sendmail refuses "Real domain name required" for its own literal, which
 * would hide every trick row. Sender rows (null, spoofed) are not retried:
 * there the sender is the trick. */
static int sender_fallback(struct sess *s, struct test_result *t, const struct reply *rep)
{
	char plain[RW_PATH_MAX + 1];

	if (rep->code / 100 != 5 || t->sender_fallback)
		return 0;
	snprintf(plain, sizeof(plain), "rw-%s@%s", t->test->id, s->cfg->canary);
	if (strcmp(t->mail_from, plain) == 0 || strcmp(t->rcpt_to, plain) == 0)
		return 0;
	note(s, "-- sender refused: test %s again from <%s>\n", t->test->id, plain);
	result_test_set(t, t->helo, plain, t->rcpt_to, t->token);
	t->sender_fallback = 1;
	t->attempts--; /* start_test counts the new run */
	s->in_test = 0;
	s->rerun = 1;
	return 1;
}

/* after_test - the current test again (sender fallback), or the next one */
static struct sess_step after_test(struct sess *s, long long now_ms)
{
	if (!s->rerun)
		return next_test(s, 1, now_ms);
	s->rerun = 0;
	send_cmd(s, SS_RSET, "RSET");
	if (!s->pipelining)
		return flush(s); /* the test starts when RSET is answered */
	start_test(s);
	return flush(s);
}

/* on_test_reply - MAIL, RCPT, DATA, end of DATA, test HELO, RSET */
static struct sess_step on_test_reply(struct sess *s, enum sstate k, const struct reply *rep,
                                      long long now_ms)
{
	struct test_result *t = &s->r->tests[s->cur];
	int ok = rep->code / 100 == 2 || (k == SS_DATA && rep->code == 354);

	if (rep->code >= 400)
		s->conn_errors++;
	switch (k) {
	case SS_RSET:
		/* a test is queued behind RSET only when not pipelining */
		if (s->nexpect == 0) {
			start_test(s);
			return flush(s);
		}
		return flush(s);
	case SS_TESTHELO:
		if (!ok) {
			/* many servers take one greeting per connection (OpenSMTPD:
			 * "503 Already identified"): not the test's answer. Come
			 * back greeting with the test's name. */
			t->attempts--;
			s->in_test = 0;
			s->no_rehelo = 1;
			s->greet_test = (int)s->cur;
			s->retry_delay_ms = 0;
			return send_quit(s, 1);
		}
		snprintf(s->cur_helo, sizeof(s->cur_helo), "%s", t->helo);
		send_txn(s);
		return flush(s);
	case SS_MAIL:
		if (!ok) {
			if (sender_fallback(s, t, rep)) {
				if (s->nexpect) /* RCPT and DATA replies still to come */
					return flush(s);
				return after_test(s, now_ms);
			}
			record(s, STAGE_CONNECT, rep);
			if (s->nexpect) /* RCPT and DATA replies still to come */
				return flush(s);
			return after_test(s, now_ms);
		}
		s->mail_ok = 1;
		if (!s->pipelining)
			send_rcpt(s, t);
		return flush(s);
	case SS_RCPT:
		if (!s->mail_ok)
			return flush(s); /* already decided at MAIL */
		if (!ok) {
			record(s, STAGE_MAIL, rep);
			if (s->nexpect)
				return flush(s);
			return after_test(s, now_ms);
		}
		s->rcpt_ok = 1;
		if (!s->pipelining)
			send_cmd(s, SS_DATA, "DATA");
		return flush(s);
	case SS_DATA:
		if (rep->code == 354) {
			struct message_info mi = {
			    .from = t->mail_from,
			    .to = t->rcpt_to,
			    .token = t->token,
			    .operator_name = s->cfg->operator_name,
			    .abuse_contact = s->cfg->abuse_contact,
			    .target = s->r->addr,
			    .port = s->r->port,
			    .test_id = t->test->id,
			    .trick = t->test->trick,
			    .myname = s->cfg->myname,
			    .now = now_ms / 1000,
			};
			char *msg = message_build(&mi);

			dbuf_adds(&s->out, msg);
			dbuf_adds(&s->out, ".\r\n");
			note(s, "C: <message of %zu octets, token %s>\nC: .\n", strlen(msg),
			     t->token);
			free(msg);
			expect_push(s, SS_BODY);
			return flush(s);
		}
		if (s->mail_ok && s->rcpt_ok)
			record(s, STAGE_RCPT, rep);
		return after_test(s, now_ms);
	case SS_BODY:
		if (!(s->mail_ok && s->rcpt_ok)) {
			/* 354 after a refusal: the server broke protocol; keep the refusal */
			return after_test(s, now_ms);
		}
		record(s, ok ? STAGE_ACCEPTED : STAGE_DATA, rep);
		return after_test(s, now_ms);
	default:
		rw_panic("%s: state %d", __func__, k);
	}
}

/* add_reply_transcript - "S: 250-..." lines of a whole reply */
static void add_reply_transcript(struct sess *s, const struct reply *rep)
{
	const char *p = rep->text;
	int i = 0;
	char pre[16];

	do {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		snprintf(pre, sizeof(pre), "S: %d%c", rep->code, (i + 1 < rep->nlines) ? '-' : ' ');
		transcript_line(s, pre, p, n);
		p = nl ? nl + 1 : p + n;
		i++;
	} while (*p && i < rep->nlines);
}

/* sess_on_reply - judge a whole reply by the head of the queue and pick the next step */
struct sess_step sess_on_reply(struct sess *s, const struct reply *rep, long long now_ms)
{
	enum sstate k;

	out_reset(s);
	add_reply_transcript(s, rep);
	if (s->nexpect == 0) {
		if (rep->code == 421)
			return reconnect(s, "unsolicited 421", now_ms);
		return finish(s, END_PROTOCOL, "unexpected reply");
	}
	k = s->expect[0];
	expect_pop(s);
	/* 421: the server is closing (RFC 5321 3.8); anywhere after the banner
	 * it means reconnect and go on */
	if (rep->code == 421 && k != SS_BANNER && k != SS_QUIT)
		return reconnect(s, "421 mid-session", now_ms);
	switch (k) {
	case SS_BANNER:
		return on_banner(s, rep, now_ms);
	case SS_EHLO:
		return on_ehlo(s, rep, now_ms);
	case SS_HELO:
		return on_helo(s, rep, now_ms);
	case SS_STARTTLS:
		return on_starttls(s, rep, now_ms);
	case SS_QUIT:
		s->nexpect = 0;
		if (s->quitting_for) {
			s->quitting_for = 0;
			if (!budget_allows(s, now_ms, s->retry_delay_ms))
				return finish(s, END_SESSION_TIMEOUT, "no budget left to go on");
			sess_enter(s, SS_CONNECT);
			return step(SA_RECONNECT, s->retry_delay_ms);
		}
		return finish(s, END_DONE, NULL);
	case SS_TESTHELO:
	case SS_RSET:
	case SS_MAIL:
	case SS_RCPT:
	case SS_DATA:
	case SS_BODY:
		return on_test_reply(s, k, rep, now_ms);
	default:
		return finish(s, END_PROTOCOL, "reply in an unexpected state");
	}
}

/* sess_on_tls - handshake done: greet again; failed: end, or reconnect without TLS */
struct sess_step sess_on_tls(struct sess *s, int ok, const char *version, long long now_ms)
{
	out_reset(s);
	if (!ok) {
		transcript_line(s, "-- ", "TLS handshake failed", 20);
		if (s->cfg->tls == TLS_REQUIRE || s->cfg->implicit_tls)
			return finish(s, END_TLS_FAILED, version ? version : "handshake failed");
		s->tls_broken = 1; /* auto: go on without TLS on a new connection */
		s->nexpect = 0;
		if (s->reconnects >= s->cfg->reconnect_max)
			return finish(s, END_TLS_FAILED, "handshake failed");
		s->reconnects++;
		sess_enter(s, SS_CONNECT);
		return step(SA_RECONNECT, 0);
	}
	s->tls_on = 1;
	s->r->tls = 1;
	snprintf(s->r->tls_version, sizeof(s->r->tls_version), "%s", version ? version : "");
	note(s, "-- TLS established (%s)\n", s->r->tls_version);
	if (s->state == SS_TLS_FIRST) {
		expect_push(s, SS_BANNER);
		return flush(s);
	}
	s->esmtp = 1;
	send_helo(s, SS_EHLO, s->cur_helo[0] ? s->cur_helo : greet_name(s));
	return flush(s);
}

/* sess_on_failure - a transport failure or timeout, judged by state and first contact */
struct sess_step sess_on_failure(struct sess *s, enum sess_failure f, const char *detail,
                                 long long now_ms)
{
	int first = !s->banner_seen_once;
	char d[256];

	snprintf(d, sizeof(d), "%s", detail ? detail : "");
	if (d[0])
		transcript_line(s, "-- ", d, strlen(d));
	out_reset(s);
	if (f == FAIL_SESSION_TIMEOUT) {
		/* the budget is final: no reconnect may follow it */
		s->quitting_for = 0;
		if (s->state == SS_QUIT && next_pending(s, 0) >= s->r->ntests)
			return finish(s, END_DONE, NULL);
		return finish(s, END_SESSION_TIMEOUT, d);
	}
	if (s->state == SS_QUIT || (s->state == SS_IDLE && s->r->end != END_NONE)) {
		if (s->quitting_for) { /* QUIT before a greylist retry went unanswered */
			if (!budget_allows(s, now_ms, s->retry_delay_ms))
				return finish(s, END_SESSION_TIMEOUT, "no budget left to go on");
			s->quitting_for = 0;
			s->nexpect = 0;
			sess_enter(s, SS_CONNECT);
			return step(SA_RECONNECT, s->retry_delay_ms);
		}
		return finish(s, END_DONE, NULL);
	}
	switch (f) {
	case FAIL_CONNECT:
		if (first)
			return finish(s, END_CONNECT_FAILED, d);
		return reconnect(s, d, now_ms);
	case FAIL_EOF:
		if (first && (s->state == SS_BANNER || s->state == SS_TLS_FIRST))
			return finish(s, END_CLOSED_EARLY, d[0] ? d : "closed before banner");
		return reconnect(s, d[0] ? d : "connection closed", now_ms);
	case FAIL_TIMEOUT:
		if (s->state == SS_TLS) /* a handshake that hangs is a failed one */
			return sess_on_tls(s, 0, d[0] ? d : "TLS handshake timed out", now_ms);
		if (first && (s->state == SS_BANNER || s->state == SS_CONNECT))
			return finish(
			    s, s->state == SS_CONNECT ? END_CONNECT_FAILED : END_BANNER_TIMEOUT, d);
		return finish(s, END_TIMEOUT, d[0] ? d : state_names[s->state]);
	case FAIL_PROTOCOL:
		if (first && s->state == SS_BANNER)
			return finish(s, END_NOT_SMTP, d);
		return finish(s, END_PROTOCOL, d);
	case FAIL_SESSION_TIMEOUT:
		return finish(s, END_SESSION_TIMEOUT, d);
	case FAIL_TLS:
		return sess_on_tls(s, 0, d, now_ms);
	}
	return finish(s, END_PROTOCOL, "unknown failure");
}
