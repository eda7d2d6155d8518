/*
 * test_incident - the incident state machine under the two shipped
 * policies, end to end with a fake clock (48 hours of grace in no time):
 * the university's complaint -> test -> results -> grace -> block ->
 * repair, tempfail and suspect retests, not reproduced; the ISP's block at
 * once and its ladder up to termination; and the table is total
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/desk/deskclock.h"
#include "../../src/desk/incident.h"

#define MIN (60LL * 1000)
#define H   (60 * MIN)
#define D   (24 * H)
#define T0  1800000000000LL /* 2027-01-15, ms */
/* the outbox takes this long to send a notice */
#define OUTBOX_DELAY (5 * MIN)

/* world - the caller's side: the store's copy of the schedule, what the
 * firewall holds, the outbox, and the lab host that is tested */
struct world {
	struct policy p;
	struct incident inc;
	long long now;
	struct deskclock clock;
	long long test_at, deadline, notice_at; /* 0 = none */
	unsigned blocked;
	enum policy_level escalated;
	int tests, closed;
	enum verdict host; /* what a test of the host returns now */
	char log[16384];   /* every action, "at+HHh name(args)" lines */
	struct incident_out last;
};

static void load_policy(struct policy *p, const char *name)
{
	char path[512], err[1024];
	const char *b = getenv("RW_BUILD");

	snprintf(path, sizeof(path), "%s/contrib/policies/%s", b && *b ? b : ".", name);
	if (b && *b)
		snprintf(path, sizeof(path), "%s/../contrib/policies/%s", b, name);
	policy_defaults(p);
	if (policy_load(path, p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void world_init(struct world *w, const char *policy, int prior)
{
	memset(w, 0, sizeof(*w));
	load_policy(&w->p, policy);
	incident_init(&w->inc, prior);
	w->now = T0;
	w->clock = deskclock_fake(&w->now);
	w->host = V_OPEN;
}

/* logf - append one line to the world's log */
__attribute__((format(printf, 2, 3))) static void wlog(struct world *w, const char *fmt, ...)
{
	size_t have = strlen(w->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->log + have, sizeof(w->log) - have, fmt, ap);
	va_end(ap);
	have = strlen(w->log);
	if (have + 1 < sizeof(w->log))
		strcat(w->log, "\n");
}

/* feed - one event at the clock's time; carry out the actions as the
 * daemon would, and check the invariants every event must keep */
static enum incident_outcome feed(struct world *w, enum incident_event ev, const char *reason)
{
	struct incident_out *o = &w->last;
	long long now = deskclock_now(&w->clock);
	enum incident_state was = w->inc.state;

	incident_on_event(&w->inc, &w->p, ev, reason, now, o);
	if ((o->outcome == IO_APPLIED) != (o->why == NULL))
		fail_msg("%s x %s: outcome %d with why '%s'", incident_state_name(was),
		         incident_event_name(ev), o->outcome, o->why ? o->why : "(null)");
	if (o->outcome != IO_APPLIED && (o->n != 0 || w->inc.state != was))
		fail_msg("%s x %s: not applied, yet %zu actions", incident_state_name(was),
		         incident_event_name(ev), o->n);
	for (size_t i = 0; i < o->n; i++) {
		const struct incident_action *a = &o->act[i];
		long long rel = (now - T0) / MIN;

		switch (a->kind) {
		case ACT_NOTIFY:
			wlog(w, "%lldm notify(%s,%s,%s)", rel, policy_step_name(a->step),
			     policy_rcpt_name(a->rcpt), a->tmpl);
			if (a->step == STEP_CONFIRMED && a->rcpt == RCPT_ADMIN)
				w->notice_at = now + OUTBOX_DELAY;
			break;
		case ACT_TEST:
			wlog(w, "%lldm test(+%lldm)", rel, (a->at_ms - now) / MIN);
			assert_true(a->at_ms >= now);
			w->test_at = a->at_ms;
			break;
		case ACT_BLOCK:
			wlog(w, "%lldm block(%s)", rel, policy_block_name(a->what));
			w->blocked |= a->what;
			break;
		case ACT_UNBLOCK:
			wlog(w, "%lldm unblock(%s)", rel, policy_block_name(a->what));
			/* the rule: only a retest that returns closed or auth-required,
			 * or the operator's audited unblock (with its reason) */
			if (ev != EV_TEST_CLEAN && !(ev == EV_CMD_UNBLOCK && reason && *reason))
				fail_msg("unblock on %s", incident_event_name(ev));
			w->blocked &= ~a->what;
			break;
		case ACT_DEADLINE:
			wlog(w, "%lldm deadline(%s%lldm)", rel, a->at_ms ? "+" : "cancel ",
			     a->at_ms ? (a->at_ms - now) / MIN : 0);
			w->deadline = a->at_ms;
			break;
		case ACT_ESCALATE:
			wlog(w, "%lldm escalate(%s)", rel, policy_level_name(a->level));
			w->escalated = a->level;
			break;
		case ACT_CLOSE:
			wlog(w, "%lldm close(%s)", rel, a->reason);
			w->closed = 1;
			w->test_at = w->deadline = w->notice_at = 0;
			break;
		default:
			fail_msg("action %d", a->kind);
		}
	}
	/* invariants: the firewall matches the state; a closed incident has no timers */
	assert_int_equal(w->blocked, w->inc.blocked);
	assert_int_equal(w->inc.state == IS_BLOCKED, w->blocked != 0);
	assert_int_equal(w->closed, w->inc.state >= IS_REPAIRED);
	assert_int_equal(w->test_at, w->inc.test_at_ms);
	assert_int_equal(w->deadline, w->inc.deadline_ms);
	return o->outcome;
}

/* run_until - move the clock through the due timers (deadline first, then
 * the outbox, then the test) up to `until`, feeding their events */
static void run_until(struct world *w, long long until)
{
	for (int guard = 0; guard < 10000; guard++) {
		long long next = until + 1;

		if (w->deadline && w->deadline < next)
			next = w->deadline;
		if (w->notice_at && w->notice_at < next)
			next = w->notice_at;
		if (w->test_at && w->test_at < next)
			next = w->test_at;
		if (next > until)
			break;
		w->now = next;
		if (w->deadline == next) {
			w->deadline = 0;
			feed(w, EV_DEADLINE, NULL);
		} else if (w->notice_at == next) {
			w->notice_at = 0;
			feed(w, EV_NOTICE_SENT, NULL);
		} else {
			w->test_at = 0;
			w->tests++;
			wlog(w, "%lldm   tested: %s", (w->now - T0) / MIN, verdict_name(w->host));
			feed(w, incident_event_for(w->host, 0), NULL);
		}
	}
	if (w->now < until)
		w->now = until;
}

/* expect - the log holds these lines in this order (each a substring of a line) */
static void expect(const struct world *w, const char *const *want)
{
	const char *at = w->log;

	for (size_t i = 0; want[i]; i++) {
		const char *hit = strstr(at, want[i]);

		if (hit == NULL)
			fail_msg("want '%s' after offset %zu in the log:\n%s", want[i],
			         (size_t)(at - w->log), w->log);
		at = hit + strlen(want[i]);
	}
}

static int count(const char *log, const char *what)
{
	int n = 0;

	for (const char *q = log; (q = strstr(q, what)) != NULL; q += strlen(what))
		n++;
	return n;
}

/* University: complaint -> notice -> test -> open -> results + warning ->
 * 48 h of grace from the notice with retests still open -> block outbound
 * -> a suspect and a tempfail retest keep the block -> closed -> unblock */
static void test_university_flow(void **state)
{
	struct world w;
	long long notified, blocked_at;

	(void)state;
	world_init(&w, "university.conf", 0);
	assert_int_equal(feed(&w, EV_COMPLAINT, NULL), IO_APPLIED);
	assert_int_equal(w.inc.state, IS_REPORTED);
	{
		const char *want[] = {"0m notify(opened,admin,complaint-received)", "0m test(+0m)",
		                      NULL};
		expect(&w, want);
	}
	assert_int_equal(count(w.log, "complainant"), 0); /* (2) tells the admin only */

	run_until(&w, T0); /* the test: open */
	assert_int_equal(w.inc.state, IS_CONFIRMED);
	assert_int_equal(w.escalated, LEVEL_WARNING);
	assert_int_equal(w.blocked, 0);
	{
		const char *want[] = {"tested: open",
		                      "notify(confirmed,admin,results)",
		                      "notify(confirmed,complainant,results)",
		                      "escalate(warning)",
		                      "notify(warning,admin,block-warning)",
		                      NULL};
		expect(&w, want);
	}
	/* the grace starts when the notice has left, not at the verification */
	assert_int_equal(w.deadline, 0);
	run_until(&w, T0 + OUTBOX_DELAY);
	notified = T0 + OUTBOX_DELAY;
	assert_int_equal(w.inc.state, IS_NOTIFIED);
	assert_int_equal(w.deadline, notified + 48 * H);
	assert_int_equal(w.test_at, notified + 6 * H);

	/* still open through the grace: retests every 6 h, no block before 48 h */
	run_until(&w, notified + 48 * H - 1);
	assert_int_equal(w.inc.state, IS_NOTIFIED);
	assert_int_equal(w.blocked, 0);
	assert_int_equal(w.tests, 1 + 7); /* the test, then 6h, 12h, ... 42h */
	run_until(&w, notified + 48 * H);
	blocked_at = notified + 48 * H;
	assert_int_equal(w.inc.state, IS_BLOCKED);
	assert_int_equal(w.blocked, POLICY_BLOCK_OUTBOUND);
	assert_int_equal(w.inc.blocked_ms, blocked_at);
	{
		const char *want[] = {"block(outbound)", "notify(blocked,admin,blocked)",
		                      "notify(blocked,noc,blocked)", "test(+720m)", NULL};
		expect(&w, want);
	}
	assert_int_equal(w.test_at, blocked_at + 12 * H);

	/* an outbound block makes a live relay's retest suspect: not a repair */
	w.host = V_SUSPECT;
	run_until(&w, blocked_at + 12 * H);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	/* tempfail is retried after an hour, never a repair */
	w.host = V_TEMPFAIL;
	run_until(&w, blocked_at + 24 * H);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	assert_int_equal(w.blocked, POLICY_BLOCK_OUTBOUND);
	assert_int_equal(w.test_at, blocked_at + 25 * H);
	w.host = V_UNREACHABLE;
	run_until(&w, blocked_at + 25 * H);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	/* the operator cannot close it while blocked */
	assert_int_equal(feed(&w, EV_CMD_CLOSE, "fixed, they say"), IO_REJECTED);
	assert_non_null(strstr(w.last.why, "only a retest"));
	/* a note is recorded and sends nothing */
	assert_int_equal(feed(&w, EV_CMD_NOTE, NULL), IO_APPLIED);
	assert_int_equal(w.last.n, 0);

	/* repaired: the next retest returns closed */
	w.host = V_CLOSED;
	run_until(&w, blocked_at + 26 * H);
	assert_int_equal(w.inc.state, IS_REPAIRED);
	assert_int_equal(w.blocked, 0);
	assert_int_equal(incident_is_open(&w.inc), 0);
	assert_int_equal(incident_next_due(&w.inc), 0);
	{
		const char *want[] = {"tested: closed",
		                      "unblock(outbound)",
		                      "notify(repaired,admin,repaired)",
		                      "notify(repaired,complainant,repaired)",
		                      "close(repaired",
		                      NULL};
		expect(&w, want);
	}
	/* a late result or timer changes nothing */
	assert_int_equal(feed(&w, EV_TEST_OPEN, NULL), IO_IGNORED);
	assert_int_equal(feed(&w, EV_DEADLINE, NULL), IO_IGNORED);
	assert_int_equal(feed(&w, EV_CMD_RETEST, NULL), IO_REJECTED);
	assert_int_equal(count(w.log, "block(") - count(w.log, "unblock("), 1);
}

/* University: repaired during the grace (auth-required counts): no block */
static void test_university_repaired_in_grace(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, "university.conf", 0);
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0 + OUTBOX_DELAY);
	assert_int_equal(w.inc.state, IS_NOTIFIED);
	w.host = V_AUTH_REQUIRED;
	run_until(&w, T0 + 72 * H);
	assert_int_equal(w.inc.state, IS_REPAIRED);
	assert_int_equal(count(w.log, "block("), 0);
	assert_int_equal(w.deadline, 0);
	assert_non_null(strstr(w.log, "deadline(cancel"));
}

/* Not reproduced: the first test finds it closed; no warning, no escalation */
static void test_not_reproduced(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, "university.conf", 0);
	w.host = V_CLOSED;
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0 + 1);
	assert_int_equal(w.inc.state, IS_NOT_REPRODUCED);
	assert_int_equal(w.escalated, LEVEL_NONE);
	{
		const char *want[] = {"notify(not_reproduced,admin,not-reproduced)",
		                      "notify(not_reproduced,complainant,not-reproduced)",
		                      "close(not reproduced: the test found it closed)", NULL};
		expect(&w, want);
	}
}

/* Suspect (accepted through DATA, nothing arrived) is no proof: retested
 * twice an hour apart, then not reproduced; nothing blocked or escalated.
 * A retest that proves it (a late relay) confirms as usual. */
static void test_suspect(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, "university.conf", 0);
	w.host = V_SUSPECT;
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0);
	assert_int_equal(w.inc.state, IS_TESTING);
	assert_int_equal(w.test_at, T0 + H);
	run_until(&w, T0 + 10 * H);
	assert_int_equal(w.tests, 3);
	assert_int_equal(w.inc.state, IS_NOT_REPRODUCED);
	assert_int_equal(count(w.log, "escalate("), 0);
	assert_int_equal(count(w.log, "block("), 0);
	assert_non_null(strstr(w.log, "close(not reproduced: accepted through DATA"));

	world_init(&w, "university.conf", 0);
	w.host = V_SUSPECT;
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0);
	w.host = V_OPEN;
	run_until(&w, T0 + H);
	assert_int_equal(w.inc.state, IS_CONFIRMED);
	assert_int_equal(w.escalated, LEVEL_WARNING);

	/* suspect = confirm: a policy that takes acceptance as proof */
	world_init(&w, "university.conf", 0);
	w.p.suspect = SUSPECT_CONFIRM;
	w.host = V_SUSPECT;
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0);
	assert_int_equal(w.inc.state, IS_CONFIRMED);
}

/* Tempfail at the first test: retried, never closed as repaired; after
 * test_attempts inconclusive tests it ends as not reproduced */
static void test_tempfail_first(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, "university.conf", 0);
	w.host = V_TEMPFAIL;
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0 + 2 * H);
	assert_int_equal(w.inc.state, IS_TESTING);
	assert_int_equal(w.inc.attempts, 3);
	w.host = V_OPEN;
	run_until(&w, T0 + 3 * H);
	assert_int_equal(w.inc.state, IS_CONFIRMED);

	world_init(&w, "university.conf", 0);
	w.host = V_TEMPFAIL;
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0 + 24 * H);
	assert_int_equal(w.tests, 6);
	assert_int_equal(w.inc.state, IS_NOT_REPRODUCED);
	assert_non_null(strstr(w.log, "no test was conclusive"));
}

/* Operator commands during the grace: retest now, close with a reason */
static void test_operator(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, "university.conf", 0);
	assert_int_equal(feed(&w, EV_CMD_RETEST, NULL), IO_REJECTED); /* nothing open */
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0 + OUTBOX_DELAY + H);
	assert_int_equal(feed(&w, EV_CMD_RETEST, NULL), IO_APPLIED);
	assert_int_equal(w.test_at, w.now);
	/* an early deadline event (a clock step) is ignored */
	assert_int_equal(feed(&w, EV_DEADLINE, NULL), IO_IGNORED);
	assert_int_equal(feed(&w, EV_CMD_CLOSE, "host decommissioned"), IO_APPLIED);
	assert_int_equal(w.inc.state, IS_CLOSED);
	assert_string_equal(w.inc.close_reason, "host decommissioned");
	assert_non_null(strstr(w.log, "notify(closed,admin,closed)"));
	assert_int_equal(w.deadline, 0);
	assert_int_equal(w.test_at, 0);
}

/* A second complaint after confirmation: that complainant gets the results */
static void test_second_complaint(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, "university.conf", 0);
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0 + OUTBOX_DELAY);
	w.log[0] = '\0';
	assert_int_equal(feed(&w, EV_COMPLAINT, NULL), IO_APPLIED);
	assert_int_equal(w.last.n, 1);
	assert_non_null(strstr(w.log, "notify(confirmed,complainant,results)"));
	assert_int_equal(w.inc.state, IS_NOTIFIED);
}

/* ISP: its own sweep finds an open relay: inbound SMTP blocked at once;
 * the customer repairs and asks for a retest: unblocked */
static void test_isp_flow(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, "isp.conf", 0);
	/* the ISP's policy opens on its sweeps only */
	assert_int_equal(feed(&w, EV_COMPLAINT, NULL), IO_IGNORED);
	assert_int_equal(w.inc.state, IS_NEW);
	assert_int_equal(feed(&w, EV_SCAN_CLEAN, NULL), IO_IGNORED);
	assert_int_equal(feed(&w, EV_SCAN_OPEN, NULL), IO_APPLIED);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	assert_int_equal(w.blocked, POLICY_BLOCK_INBOUND);
	{
		const char *want[] = {"0m notify(confirmed,admin,isp-relay-found)",
		                      "0m escalate(warning)",
		                      "0m notify(warning,admin,isp-warning)",
		                      "0m block(inbound)",
		                      "0m notify(blocked,admin,isp-inbound-blocked)",
		                      "0m notify(blocked,noc,isp-blocked)",
		                      "0m test(+1440m)",
		                      NULL};
		expect(&w, want);
	}
	assert_int_equal(count(w.log, "complainant"), 0);
	/* still open at the daily retest */
	run_until(&w, T0 + 24 * H);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	/* a sweep that sees it closed asks for a retest; it does not unblock */
	w.now = T0 + 30 * H;
	w.host = V_CLOSED;
	assert_int_equal(feed(&w, EV_SCAN_CLEAN, NULL), IO_APPLIED);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	assert_int_equal(w.test_at, w.now);
	/* the retest (here: the one the sweep asked for) lifts the block */
	run_until(&w, T0 + 30 * H);
	assert_int_equal(w.inc.state, IS_REPAIRED);
	assert_int_equal(w.blocked, 0);
	{
		const char *want[] = {"unblock(inbound)", "notify(repaired,admin,isp-unblocked)",
		                      "notify(repaired,noc,isp-unblocked)", NULL};
		expect(&w, want);
	}
}

/* ISP: the customer asks for a retest (owner's button) after repairing */
static void test_isp_retest_on_demand(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, "isp.conf", 0);
	feed(&w, EV_SCAN_OPEN, NULL);
	w.now = T0 + 3 * H;
	w.host = V_TEMPFAIL; /* the retest is greylisted: still blocked */
	assert_int_equal(feed(&w, EV_CMD_RETEST, NULL), IO_APPLIED);
	run_until(&w, w.now);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	assert_int_equal(w.test_at, T0 + 5 * H); /* tempfail_retry = 2h */
	w.host = V_CLOSED;
	run_until(&w, T0 + 5 * H);
	assert_int_equal(w.inc.state, IS_REPAIRED);
}

/* ISP ladder: one address found open again and again; the caller counts
 * the earlier incidents in the 90-day window */
static void test_isp_ladder(void **state)
{
	static const struct {
		int day;
		enum policy_level want;
	} seq[] = {
	    {0, LEVEL_WARNING},
	    {10, LEVEL_WARNING},
	    {20, LEVEL_SUSPEND},
	    {30, LEVEL_SUSPEND},
	    {40, LEVEL_TERMINATE},
	    /* day 135: days 0..40 have left the window; day 140: one prior */
	    {135, LEVEL_WARNING},
	    {140, LEVEL_WARNING},
	    /* day 150: 135 and 140 count, days 0..40 do not: the third */
	    {150, LEVEL_SUSPEND},
	};
	long long history[16];
	size_t nh = 0;
	struct policy p;

	(void)state;
	load_policy(&p, "isp.conf");
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct world w;
		int prior = 0;
		long long at = T0 + seq[i].day * D;

		for (size_t h = 0; h < nh; h++)
			if (history[h] > at - p.window_ms)
				prior++;
		world_init(&w, "isp.conf", prior);
		w.now = at;
		feed(&w, EV_SCAN_OPEN, NULL);
		if (w.escalated != seq[i].want)
			fail_msg("day %d (prior %d): got %s, want %s", seq[i].day, prior,
			         policy_level_name(w.escalated), policy_level_name(seq[i].want));
		if (seq[i].want == LEVEL_SUSPEND) {
			const char *want[] = {"escalate(suspend)",
			                      "notify(suspend,admin,isp-suspended)",
			                      "notify(suspend,noc,isp-suspend-order)", NULL};
			expect(&w, want);
			assert_int_equal(count(w.log, "notify(warning"), 0);
		}
		if (seq[i].want == LEVEL_TERMINATE) {
			const char *want[] = {"escalate(terminate)",
			                      "notify(terminate,noc,isp-terminate-order)", NULL};
			expect(&w, want);
		}
		assert_int_equal(w.inc.state, IS_BLOCKED);
		history[nh++] = at;
	}
}

/* The operator's block and unblock: block skips the rest of the grace of a
 * confirmed incident (not before relaying is verified); unblock needs a
 * reason, lifts the block and starts a new grace, at whose end a host still
 * open is blocked again; only a clean retest ends it */
static void test_operator_block(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, "university.conf", 0);
	assert_int_equal(feed(&w, EV_CMD_BLOCK, NULL), IO_REJECTED); /* nothing open */
	w.host = V_TEMPFAIL;
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0 + 1);
	assert_int_equal(w.inc.state, IS_TESTING);
	assert_int_equal(feed(&w, EV_CMD_BLOCK, NULL), IO_REJECTED); /* not verified */
	assert_non_null(strstr(w.last.why, "not verified"));
	assert_int_equal(feed(&w, EV_CMD_UNBLOCK, "why not"), IO_REJECTED);
	w.host = V_OPEN;
	run_until(&w, T0 + 2 * H);
	assert_int_equal(w.inc.state, IS_NOTIFIED);
	/* block now, hours before the deadline: the blocked notices, retests every 12h */
	assert_int_equal(feed(&w, EV_CMD_BLOCK, "spam run in progress"), IO_APPLIED);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	assert_int_equal(w.blocked, w.p.block);
	assert_int_equal(w.deadline, 0);
	assert_int_equal(w.test_at, w.now + w.p.blocked_retest_ms);
	assert_non_null(strstr(w.log, "notify(blocked,admin,"));
	assert_int_equal(feed(&w, EV_CMD_BLOCK, NULL), IO_REJECTED); /* already */
	assert_int_equal(feed(&w, EV_CMD_CLOSE, "fixed"), IO_REJECTED);
	/* unblock: a reason is required; then a new grace */
	w.now += H;
	assert_int_equal(feed(&w, EV_CMD_UNBLOCK, NULL), IO_REJECTED);
	assert_int_equal(feed(&w, EV_CMD_UNBLOCK, ""), IO_REJECTED);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	long long at = w.now;
	assert_int_equal(feed(&w, EV_CMD_UNBLOCK, "customer's payroll mail; fix promised"),
	                 IO_APPLIED);
	assert_int_equal(w.inc.state, IS_NOTIFIED);
	assert_int_equal(w.blocked, 0);
	assert_int_equal(w.deadline, at + w.p.grace_ms);
	assert_int_equal(w.test_at, at + w.p.retest_ms);
	assert_int_equal(feed(&w, EV_CMD_UNBLOCK, "again"), IO_REJECTED); /* nothing blocked */
	/* still open at the end of the new grace: blocked again */
	run_until(&w, at + w.p.grace_ms);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	assert_int_equal(w.blocked, w.p.block);
	/* the repair: a clean retest lifts it and ends the incident */
	w.host = V_CLOSED;
	run_until(&w, at + w.p.grace_ms + w.p.blocked_retest_ms);
	assert_int_equal(w.inc.state, IS_REPAIRED);
	assert_int_equal(w.blocked, 0);
	assert_int_equal(feed(&w, EV_CMD_BLOCK, NULL), IO_REJECTED); /* over */
	assert_int_equal(feed(&w, EV_CMD_UNBLOCK, "x"), IO_REJECTED);

	/* unblock_grace: its own length; a policy without grace gives 24 h */
	world_init(&w, "university.conf", 0);
	w.p.block_at_once = 1;
	w.p.grace_ms = 0;
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0 + 1);
	assert_int_equal(w.inc.state, IS_BLOCKED);
	assert_int_equal(feed(&w, EV_CMD_UNBLOCK, "why"), IO_APPLIED);
	assert_int_equal(w.deadline, w.now + 24 * H);
	assert_int_equal(feed(&w, EV_CMD_BLOCK, NULL), IO_APPLIED);
	w.p.unblock_grace_ms = 2 * H;
	assert_int_equal(feed(&w, EV_CMD_UNBLOCK, "why"), IO_APPLIED);
	assert_int_equal(w.deadline, w.now + 2 * H);

	/* a policy that never blocks refuses the operator's block */
	world_init(&w, "university.conf", 0);
	w.p.block = POLICY_BLOCK_NONE;
	feed(&w, EV_COMPLAINT, NULL);
	run_until(&w, T0 + 2 * H);
	assert_int_equal(w.inc.state, IS_NOTIFIED);
	assert_int_equal(feed(&w, EV_CMD_BLOCK, NULL), IO_REJECTED);
	assert_non_null(strstr(w.last.why, "block = none"));
}

/* The table is total: every state x event names a move, and running every
 * event from every state (set up as a real run would leave it) keeps the
 * invariants and lands where the table says */
static void test_table_total(void **state)
{
	const char *policies[] = {"university.conf", "isp.conf"};

	(void)state;
	for (int s = 0; s < IS__COUNT; s++)
		for (int ev = 0; ev < EV__COUNT; ev++) {
			enum incident_state next;
			unsigned may;

			if (!incident_table_move(s, ev, &next, &may))
				fail_msg("no transition for %s x %s", incident_state_name(s),
				         incident_event_name(ev));
			assert_true(next <= IS__COUNT);
		}
	for (size_t pi = 0; pi < 2; pi++)
		for (int s = 0; s < IS__COUNT; s++)
			for (int ev = 0; ev < EV__COUNT; ev++)
				for (int v = 0; v < 2; v++) {
					struct world w;
					enum incident_state next;
					unsigned may;
					int bit;

					world_init(&w, policies[pi], 2);
					w.inc.state = s;
					w.inc.complainant = 1;
					w.inc.suspects = v ? 5 : 0;
					w.inc.attempts = v ? 5 : 0;
					if (s == IS_BLOCKED)
						w.inc.blocked = w.blocked =
						    w.p.block ? w.p.block : POLICY_BLOCK_OUTBOUND;
					if (s == IS_NOTIFIED && v)
						w.inc.deadline_ms = w.deadline = T0;
					w.closed = s >= IS_REPAIRED;
					feed(&w, ev, "because");
					incident_table_move(s, ev, &next, &may);
					bit = 1 << w.inc.state;
					if ((int)w.inc.state != s && w.inc.state != next &&
					    !(may & (unsigned)bit))
						fail_msg("%s: %s x %s went to %s", policies[pi],
						         incident_state_name(s),
						         incident_event_name(ev),
						         incident_state_name(w.inc.state));
					/* escalation and blocks only come with a confirmation */
					if (strstr(w.log, "escalate(") && s >= IS_CONFIRMED)
						fail_msg("%s x %s escalated again",
						         incident_state_name(s),
						         incident_event_name(ev));
				}
}

/* incident_event_for: clean is closed or auth-required, nothing else */
static void test_event_for(void **state)
{
	(void)state;
	assert_int_equal(incident_event_for(V_OPEN, 0), EV_TEST_OPEN);
	assert_int_equal(incident_event_for(V_SUSPECT, 1), EV_SCAN_SUSPECT);
	assert_int_equal(incident_event_for(V_CLOSED, 0), EV_TEST_CLEAN);
	assert_int_equal(incident_event_for(V_AUTH_REQUIRED, 0), EV_TEST_CLEAN);
	assert_int_equal(incident_event_for(V_TEMPFAIL, 0), EV_TEST_OTHER);
	assert_int_equal(incident_event_for(V_UNREACHABLE, 0), EV_TEST_OTHER);
	assert_int_equal(incident_event_for(V_NOT_SMTP, 1), EV_SCAN_OTHER);
	assert_int_equal(incident_event_for(V_ERROR, 0), EV_TEST_OTHER);
	assert_string_equal(incident_state_name(IS_NOT_REPRODUCED), "not-reproduced");
	assert_string_equal(incident_state_name(IS__COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_university_flow),
	    cmocka_unit_test(test_university_repaired_in_grace),
	    cmocka_unit_test(test_not_reproduced),
	    cmocka_unit_test(test_suspect),
	    cmocka_unit_test(test_tempfail_first),
	    cmocka_unit_test(test_operator),
	    cmocka_unit_test(test_operator_block),
	    cmocka_unit_test(test_second_complaint),
	    cmocka_unit_test(test_isp_flow),
	    cmocka_unit_test(test_isp_retest_on_demand),
	    cmocka_unit_test(test_isp_ladder),
	    cmocka_unit_test(test_table_total),
	    cmocka_unit_test(test_event_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
