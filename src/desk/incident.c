/*
 * NAME
 *	incident - the abuse-desk incident, a pure state machine
 * SUMMARY
 *	state x event -> move + next state, from one table; moves emit the
 *	policy's notices, tests, blocks, deadlines, escalation, close
 * SYNOPSIS
 *	void incident_init(struct incident *inc, int prior);
 *	void incident_on_event(struct incident *inc, const struct policy *p,
 *		enum incident_event ev, const char *reason, long long now_ms,
 *		struct incident_out *out);
 *	enum incident_event incident_event_for(enum verdict v, int scan);
 *	int incident_is_open(inc); long long incident_next_due(inc);
 *	int incident_table_move(s, ev, &next, &alt);
 *	incident_state_name(), incident_event_name(), incident_act_name()
 * DESCRIPTION
 *	The table names, for every state and event, a move and the state it
 *	leads to; a move whose result depends on the policy or on counters
 *	(block at once or not, attempts left) names the other states it may
 *	lead to in .may. enter() alone writes inc->state. Moves only append
 *	actions to out and update inc: no I/O, no globals, no clock (the time
 *	is now_ms), so the same inputs always give the same outputs.
 *	The caller stores inc and the event and carries out the actions in
 *	one transaction; ACT_TEST and ACT_DEADLINE replace the incident's
 *	earlier ones, so repeating them is harmless.
 *	Confirmation: notices of the confirmed step (complainant only when
 *	one is waiting), the ladder's rung for prior + 1 (escalate and its
 *	step's notices), then either block at once (block_at_once), or wait
 *	for the admin's notice to leave (EV_NOTICE_SENT) before the grace
 *	starts, as "48 hours of verification and notice" says; with no
 *	notice to the admin the grace starts at once.
 *	Suspect first results are retested suspect_retests times (policy
 *	suspect = retest) and then end as not-reproduced: accepted but never
 *	delivered is no proof, and nothing is blocked or escalated on it;
 *	suspect = confirm treats them as relaying verified. After
 *	confirmation a suspect retest is simply "not repaired".
 * DIAGNOSTICS
 *	out->outcome and out->why; a table hole or an action overflow is a
 *	broken invariant (rw_panic).
 * LIMITS
 *	INCIDENT_ACTIONS_MAX actions per event, INCIDENT_REASON_MAX bytes of
 *	reason (longer ones are cut).
 * STANDARDS
 *	none; the two policies of issue 4 (contrib/policies/).
 */
#include "incident.h"
#include "../core/xalloc.h"

#include <stdio.h>
#include <string.h>

/* The moves a table cell can name. */
enum move {
	M_UNDEFINED,      /* a hole in the table: never allowed */
	M_IGNORE,         /* nothing to do here; why says so */
	M_REJECT,         /* an operator command that cannot apply; why says so */
	M_RECORD,         /* the caller records the event; nothing else */
	M_OPEN_COMPLAINT, /* notice "opened", test now -> reported */
	M_OPEN_SCAN,      /* a sweep found it open: confirm */
	M_OPEN_SUSPECT,   /* a sweep found it suspect: as a suspect first test */
	M_MORE_COMPLAINT, /* another complaint: the complainant gets the results */
	M_CONFIRM,        /* relaying verified (see confirm()) */
	M_SUSPECT_FIRST,  /* retest, or not-reproduced when the retests are spent */
	M_INCONCLUSIVE,   /* retry after tempfail_retry, or not-reproduced */
	M_CLEAN_FIRST,    /* not reproduced */
	M_GRACE,          /* notice sent: deadline at the end of grace, retests */
	M_NOT_REPAIRED,   /* a retest still shows relaying: the next retest */
	M_RETRY,          /* inconclusive retest: retry after tempfail_retry */
	M_REPAIRED,       /* a retest returned clean: unblock, notices, close */
	M_SWEEP_CLEAN,    /* a sweep saw it clean: retest now (only a retest repairs) */
	M_DEADLINE,       /* the grace has ended: block */
	M_RETEST_NOW,     /* test now */
	M_CLOSE,          /* operator close */
	M_OP_BLOCK,       /* operator block: as the deadline would, now */
	M_OP_UNBLOCK,     /* operator unblock: lift it, a new grace */
};

#define SAME IS__COUNT

struct cell {
	enum move op;
	enum incident_state next; /* SAME: stays */
	unsigned may;    /* other states the move may choose (bits), by policy or counters */
	const char *why; /* M_IGNORE, M_REJECT */
};

#define GO(m, n)                                                                                   \
	{                                                                                          \
		.op = (m), .next = (n)                                                             \
	}
#define GO2(m, n, a)                                                                               \
	{                                                                                          \
		.op = (m), .next = (n), .may = (a)                                                 \
	}
#define B(s) (1u << (s))
/* where a confirmation may lead: admin notice queued, grace at once, block at once */
#define CONFIRMS (B(IS_CONFIRMED) | B(IS_NOTIFIED) | B(IS_BLOCKED))
#define IGN(w)                                                                                     \
	{                                                                                          \
		.op = M_IGNORE, .next = SAME, .why = (w)                                           \
	}
#define REJ(w)                                                                                     \
	{                                                                                          \
		.op = M_REJECT, .next = SAME, .why = (w)                                           \
	}
#define REC                                                                                        \
	{                                                                                          \
		.op = M_RECORD, .next = SAME                                                       \
	}

#define W_NO_INCIDENT  "no incident is open"
#define W_LATE         "late result: the incident is over (new evidence opens a new incident)"
#define W_CLOSED       "the incident is closed"
#define W_NO_NOTICE    "not waiting for a notice"
#define W_NO_DEADLINE  "no deadline runs in this state (stale timer)"
#define W_NEW_INCIDENT "the incident is over: this opens a new one"
#define W_NOTHING      "nothing to open on this verdict"
#define W_UNCONFIRMED  "relaying is not verified yet: a block needs a test that found it open"
#define W_NOT_BLOCKED  "nothing is blocked"

/* The transitions: every state x event. */
/* clang-format off */
static const struct cell table[IS__COUNT][EV__COUNT] = {
	[IS_NEW] = {
		[EV_COMPLAINT] = GO2(M_OPEN_COMPLAINT, IS_REPORTED, B(IS_NEW)),
		[EV_SCAN_OPEN] = GO2(M_OPEN_SCAN, IS_CONFIRMED, CONFIRMS | B(IS_NEW)),
		[EV_SCAN_SUSPECT] = GO2(M_OPEN_SUSPECT, IS_TESTING, CONFIRMS | B(IS_NOT_REPRODUCED) | B(IS_NEW)),
		[EV_SCAN_CLEAN] = IGN(W_NOTHING),
		[EV_SCAN_OTHER] = IGN(W_NOTHING),
		[EV_TEST_OPEN] = IGN(W_NO_INCIDENT),
		[EV_TEST_SUSPECT] = IGN(W_NO_INCIDENT),
		[EV_TEST_CLEAN] = IGN(W_NO_INCIDENT),
		[EV_TEST_OTHER] = IGN(W_NO_INCIDENT),
		[EV_NOTICE_SENT] = IGN(W_NO_INCIDENT),
		[EV_DEADLINE] = IGN(W_NO_INCIDENT),
		[EV_CMD_RETEST] = REJ(W_NO_INCIDENT),
		[EV_CMD_NOTE] = REJ(W_NO_INCIDENT),
		[EV_CMD_CLOSE] = REJ(W_NO_INCIDENT),
		[EV_CMD_BLOCK] = REJ(W_NO_INCIDENT),
		[EV_CMD_UNBLOCK] = REJ(W_NO_INCIDENT),
	},
	[IS_REPORTED] = {
		[EV_COMPLAINT] = GO(M_MORE_COMPLAINT, SAME),
		[EV_SCAN_OPEN] = GO2(M_CONFIRM, IS_CONFIRMED, CONFIRMS),
		[EV_SCAN_SUSPECT] = REC, /* our own test is on its way */
		[EV_SCAN_CLEAN] = REC,
		[EV_SCAN_OTHER] = REC,
		[EV_TEST_OPEN] = GO2(M_CONFIRM, IS_CONFIRMED, CONFIRMS),
		[EV_TEST_SUSPECT] = GO2(M_SUSPECT_FIRST, IS_TESTING, B(IS_NOT_REPRODUCED) | CONFIRMS),
		[EV_TEST_CLEAN] = GO(M_CLEAN_FIRST, IS_NOT_REPRODUCED),
		[EV_TEST_OTHER] = GO2(M_INCONCLUSIVE, IS_TESTING, B(IS_NOT_REPRODUCED)),
		[EV_NOTICE_SENT] = IGN(W_NO_NOTICE),
		[EV_DEADLINE] = IGN(W_NO_DEADLINE),
		[EV_CMD_RETEST] = GO(M_RETEST_NOW, SAME),
		[EV_CMD_NOTE] = REC,
		[EV_CMD_CLOSE] = GO(M_CLOSE, IS_CLOSED),
		[EV_CMD_BLOCK] = REJ(W_UNCONFIRMED),
		[EV_CMD_UNBLOCK] = REJ(W_NOT_BLOCKED),
	},
	[IS_TESTING] = {
		[EV_COMPLAINT] = GO(M_MORE_COMPLAINT, SAME),
		[EV_SCAN_OPEN] = GO2(M_CONFIRM, IS_CONFIRMED, CONFIRMS),
		[EV_SCAN_SUSPECT] = REC,
		[EV_SCAN_CLEAN] = REC,
		[EV_SCAN_OTHER] = REC,
		[EV_TEST_OPEN] = GO2(M_CONFIRM, IS_CONFIRMED, CONFIRMS),
		[EV_TEST_SUSPECT] = GO2(M_SUSPECT_FIRST, IS_TESTING, B(IS_NOT_REPRODUCED) | CONFIRMS),
		[EV_TEST_CLEAN] = GO(M_CLEAN_FIRST, IS_NOT_REPRODUCED),
		[EV_TEST_OTHER] = GO2(M_INCONCLUSIVE, IS_TESTING, B(IS_NOT_REPRODUCED)),
		[EV_NOTICE_SENT] = IGN(W_NO_NOTICE),
		[EV_DEADLINE] = IGN(W_NO_DEADLINE),
		[EV_CMD_RETEST] = GO(M_RETEST_NOW, SAME),
		[EV_CMD_NOTE] = REC,
		[EV_CMD_CLOSE] = GO(M_CLOSE, IS_CLOSED),
		[EV_CMD_BLOCK] = REJ(W_UNCONFIRMED),
		[EV_CMD_UNBLOCK] = REJ(W_NOT_BLOCKED),
	},
	[IS_CONFIRMED] = {
		[EV_COMPLAINT] = GO(M_MORE_COMPLAINT, SAME),
		[EV_SCAN_OPEN] = REC,
		[EV_SCAN_SUSPECT] = REC,
		[EV_SCAN_CLEAN] = GO(M_SWEEP_CLEAN, SAME),
		[EV_SCAN_OTHER] = REC,
		[EV_TEST_OPEN] = GO(M_NOT_REPAIRED, SAME),
		[EV_TEST_SUSPECT] = GO(M_NOT_REPAIRED, SAME),
		[EV_TEST_CLEAN] = GO(M_REPAIRED, IS_REPAIRED),
		[EV_TEST_OTHER] = GO(M_RETRY, SAME),
		[EV_NOTICE_SENT] = GO(M_GRACE, IS_NOTIFIED),
		[EV_DEADLINE] = IGN(W_NO_DEADLINE),
		[EV_CMD_RETEST] = GO(M_RETEST_NOW, SAME),
		[EV_CMD_NOTE] = REC,
		[EV_CMD_CLOSE] = GO(M_CLOSE, IS_CLOSED),
		[EV_CMD_BLOCK] = GO(M_OP_BLOCK, IS_BLOCKED),
		[EV_CMD_UNBLOCK] = REJ(W_NOT_BLOCKED),
	},
	[IS_NOTIFIED] = {
		[EV_COMPLAINT] = GO(M_MORE_COMPLAINT, SAME),
		[EV_SCAN_OPEN] = REC,
		[EV_SCAN_SUSPECT] = REC,
		[EV_SCAN_CLEAN] = GO(M_SWEEP_CLEAN, SAME),
		[EV_SCAN_OTHER] = REC,
		[EV_TEST_OPEN] = GO(M_NOT_REPAIRED, SAME),
		[EV_TEST_SUSPECT] = GO(M_NOT_REPAIRED, SAME),
		[EV_TEST_CLEAN] = GO(M_REPAIRED, IS_REPAIRED),
		[EV_TEST_OTHER] = GO(M_RETRY, SAME),
		[EV_NOTICE_SENT] = IGN(W_NO_NOTICE),
		[EV_DEADLINE] = GO2(M_DEADLINE, IS_BLOCKED, B(IS_NOTIFIED)),
		[EV_CMD_RETEST] = GO(M_RETEST_NOW, SAME),
		[EV_CMD_NOTE] = REC,
		[EV_CMD_CLOSE] = GO(M_CLOSE, IS_CLOSED),
		[EV_CMD_BLOCK] = GO(M_OP_BLOCK, IS_BLOCKED),
		[EV_CMD_UNBLOCK] = REJ(W_NOT_BLOCKED),
	},
	[IS_BLOCKED] = {
		[EV_COMPLAINT] = GO(M_MORE_COMPLAINT, SAME),
		[EV_SCAN_OPEN] = REC,
		[EV_SCAN_SUSPECT] = REC,
		[EV_SCAN_CLEAN] = GO(M_SWEEP_CLEAN, SAME),
		[EV_SCAN_OTHER] = REC,
		[EV_TEST_OPEN] = GO(M_NOT_REPAIRED, SAME),
		[EV_TEST_SUSPECT] = GO(M_NOT_REPAIRED, SAME),
		[EV_TEST_CLEAN] = GO(M_REPAIRED, IS_REPAIRED),
		[EV_TEST_OTHER] = GO(M_RETRY, SAME),
		[EV_NOTICE_SENT] = IGN(W_NO_NOTICE),
		[EV_DEADLINE] = IGN(W_NO_DEADLINE),
		[EV_CMD_RETEST] = GO(M_RETEST_NOW, SAME),
		[EV_CMD_NOTE] = REC,
		[EV_CMD_CLOSE] = REJ("blocked: only a retest that returns closed or auth-required "
				     "lifts the block; retest it"),
		[EV_CMD_BLOCK] = REJ("already blocked"),
		[EV_CMD_UNBLOCK] = GO(M_OP_UNBLOCK, IS_NOTIFIED),
	},
#define FINAL                                             \
	{                                                 \
		[EV_COMPLAINT] = IGN(W_NEW_INCIDENT),     \
		[EV_SCAN_OPEN] = IGN(W_NEW_INCIDENT),     \
		[EV_SCAN_SUSPECT] = IGN(W_NEW_INCIDENT),  \
		[EV_SCAN_CLEAN] = IGN(W_LATE),            \
		[EV_SCAN_OTHER] = IGN(W_LATE),            \
		[EV_TEST_OPEN] = IGN(W_LATE),             \
		[EV_TEST_SUSPECT] = IGN(W_LATE),          \
		[EV_TEST_CLEAN] = IGN(W_LATE),            \
		[EV_TEST_OTHER] = IGN(W_LATE),            \
		[EV_NOTICE_SENT] = IGN(W_NO_NOTICE),      \
		[EV_DEADLINE] = IGN(W_NO_DEADLINE),       \
		[EV_CMD_RETEST] = REJ(W_CLOSED),          \
		[EV_CMD_NOTE] = REC,                      \
		[EV_CMD_CLOSE] = REJ(W_CLOSED),           \
		[EV_CMD_BLOCK] = REJ(W_CLOSED),           \
		[EV_CMD_UNBLOCK] = REJ(W_CLOSED),         \
	}
	[IS_REPAIRED] = FINAL,
	[IS_NOT_REPRODUCED] = FINAL,
	[IS_CLOSED] = FINAL,
#undef FINAL
};
/* clang-format on */

static const char *const state_names[IS__COUNT] = {
    [IS_NEW] = "new",           [IS_REPORTED] = "reported",
    [IS_TESTING] = "testing",   [IS_CONFIRMED] = "confirmed",
    [IS_NOTIFIED] = "notified", [IS_BLOCKED] = "blocked",
    [IS_REPAIRED] = "repaired", [IS_NOT_REPRODUCED] = "not-reproduced",
    [IS_CLOSED] = "closed",
};

static const char *const event_names[EV__COUNT] = {
    [EV_COMPLAINT] = "complaint",
    [EV_SCAN_OPEN] = "scan-open",
    [EV_SCAN_SUSPECT] = "scan-suspect",
    [EV_SCAN_CLEAN] = "scan-clean",
    [EV_SCAN_OTHER] = "scan-other",
    [EV_TEST_OPEN] = "test-open",
    [EV_TEST_SUSPECT] = "test-suspect",
    [EV_TEST_CLEAN] = "test-clean",
    [EV_TEST_OTHER] = "test-other",
    [EV_NOTICE_SENT] = "notice-sent",
    [EV_DEADLINE] = "deadline",
    [EV_CMD_RETEST] = "retest",
    [EV_CMD_NOTE] = "note",
    [EV_CMD_CLOSE] = "close",
    [EV_CMD_BLOCK] = "block",
    [EV_CMD_UNBLOCK] = "unblock",
};

static const char *const act_names[ACT__COUNT] = {
    [ACT_NOTIFY] = "notify",   [ACT_TEST] = "test",         [ACT_BLOCK] = "block",
    [ACT_UNBLOCK] = "unblock", [ACT_DEADLINE] = "deadline", [ACT_ESCALATE] = "escalate",
    [ACT_CLOSE] = "close",
};

/* the notice step of each escalation level */
static const enum policy_step level_step[LEVEL__COUNT] = {
    [LEVEL_WARNING] = STEP_WARNING,
    [LEVEL_SUSPEND] = STEP_SUSPEND,
    [LEVEL_TERMINATE] = STEP_TERMINATE,
};

/* enter - the only writer of inc->state */
static void enter(struct incident *inc, struct incident_out *out, enum incident_state next)
{
	inc->state = next;
	out->to = next;
}

/* add - append an action of kind k and return it for the details */
static struct incident_action *add(struct incident_out *out, enum incident_act k)
{
	struct incident_action *a;

	if (out->n >= INCIDENT_ACTIONS_MAX)
		rw_panic("%s: more than %d actions", __func__, INCIDENT_ACTIONS_MAX);
	a = &out->act[out->n++];
	memset(a, 0, sizeof(*a));
	a->kind = k;
	return a;
}

/* notify - the policy's notices of step; the complainant only when one waits;
 * only_rcpt >= 0 limits them to that recipient */
static void notify(const struct incident *inc, const struct policy *p, struct incident_out *out,
                   enum policy_step step, int only_rcpt)
{
	for (int r = 0; r < RCPT__COUNT; r++) {
		struct incident_action *a;

		if (p->notify[step][r][0] == '\0' || (only_rcpt >= 0 && r != only_rcpt))
			continue;
		if (r == RCPT_COMPLAINANT && !inc->complainant)
			continue;
		a = add(out, ACT_NOTIFY);
		a->step = step;
		a->rcpt = (enum policy_rcpt)r;
		snprintf(a->tmpl, sizeof(a->tmpl), "%s", p->notify[step][r]);
	}
}

/* test_at - schedule the incident's next test */
static void test_at(struct incident *inc, struct incident_out *out, long long at)
{
	add(out, ACT_TEST)->at_ms = at;
	inc->test_at_ms = at;
}

/* deadline - set (or cancel with 0) the incident's deadline */
static void deadline(struct incident *inc, struct incident_out *out, long long at)
{
	if (at == 0 && inc->deadline_ms == 0)
		return;
	add(out, ACT_DEADLINE)->at_ms = at;
	inc->deadline_ms = at;
}

/* finish - the incident is over: close action with its reason */
static void finish(struct incident *inc, struct incident_out *out, enum incident_state final,
                   const char *reason, long long now)
{
	snprintf(add(out, ACT_CLOSE)->reason, INCIDENT_REASON_MAX + 1, "%s", reason);
	snprintf(inc->close_reason, sizeof(inc->close_reason), "%s", reason);
	inc->closed_ms = now;
	inc->deadline_ms = 0;
	inc->test_at_ms = 0;
	enter(inc, out, final);
}

/* block - block what the policy says, with its notices and the retests */
static void block(struct incident *inc, const struct policy *p, struct incident_out *out,
                  long long now)
{
	add(out, ACT_BLOCK)->what = p->block;
	inc->blocked = p->block;
	inc->blocked_ms = now;
	deadline(inc, out, 0);
	notify(inc, p, out, STEP_BLOCKED, -1);
	if (p->blocked_retest_ms > 0)
		test_at(inc, out, now + p->blocked_retest_ms);
	enter(inc, out, IS_BLOCKED);
}

/* grace_for - a grace of ms: the deadline, retests within it */
static void grace_for(struct incident *inc, const struct policy *p, struct incident_out *out,
                      long long now, long long ms)
{
	inc->notified_ms = now;
	enter(inc, out, IS_NOTIFIED);
	if (p->block != POLICY_BLOCK_NONE)
		deadline(inc, out, now + ms);
	if (p->retest_ms > 0 && (p->block == POLICY_BLOCK_NONE || p->retest_ms < ms))
		test_at(inc, out, now + p->retest_ms);
}

/* grace - the notice is out: the grace runs, retests within it */
static void grace(struct incident *inc, const struct policy *p, struct incident_out *out,
                  long long now)
{
	grace_for(inc, p, out, now, p->grace_ms);
}

/* unblock_grace - the grace an operator's unblock gives */
static long long unblock_grace(const struct policy *p)
{
	if (p->unblock_grace_ms > 0)
		return p->unblock_grace_ms;
	return p->grace_ms > 0 ? p->grace_ms : 24LL * 3600 * 1000;
}

/* confirm - relaying verified: results, the ladder, then block or grace */
static void confirm(struct incident *inc, const struct policy *p, struct incident_out *out,
                    long long now)
{
	inc->confirmed_ms = now;
	notify(inc, p, out, STEP_CONFIRMED, -1);
	inc->level = policy_level_for(p, inc->prior + 1);
	if (inc->level != LEVEL_NONE) {
		add(out, ACT_ESCALATE)->level = inc->level;
		notify(inc, p, out, level_step[inc->level], -1);
	}
	if (p->block_at_once && p->block != POLICY_BLOCK_NONE)
		block(inc, p, out, now);
	else if (p->notify[STEP_CONFIRMED][RCPT_ADMIN][0])
		enter(inc, out, IS_CONFIRMED);
	else
		grace(inc, p, out, now);
}

/* not_reproduced - the first tests did not show relaying */
static void not_reproduced(struct incident *inc, const struct policy *p, struct incident_out *out,
                           const char *reason, long long now)
{
	notify(inc, p, out, STEP_NOT_REPRODUCED, -1);
	finish(inc, out, IS_NOT_REPRODUCED, reason, now);
}

/* suspect_first - a suspect result before confirmation */
static void suspect_first(struct incident *inc, const struct policy *p, struct incident_out *out,
                          long long now)
{
	if (p->suspect == SUSPECT_CONFIRM) {
		confirm(inc, p, out, now);
	} else if (inc->suspects < p->suspect_retests) {
		inc->suspects++;
		test_at(inc, out, now + p->tempfail_retry_ms);
		enter(inc, out, IS_TESTING);
	} else {
		not_reproduced(
		    inc, p, out,
		    "not reproduced: accepted through DATA but never delivered (suspect)", now);
	}
}

/* retest_interval - the retest period of the state inc is in (0: none) */
static long long retest_interval(const struct incident *inc, const struct policy *p)
{
	if (inc->state == IS_NOTIFIED)
		return p->retest_ms;
	if (inc->state == IS_BLOCKED)
		return p->blocked_retest_ms;
	return 0;
}

/* incident_on_event - one event through the table */
void incident_on_event(struct incident *inc, const struct policy *p, enum incident_event ev,
                       const char *reason, long long now, struct incident_out *out)
{
	const struct cell *c;
	long long iv;

	memset(out, 0, sizeof(*out));
	out->from = out->to = inc->state;
	if ((unsigned)inc->state >= IS__COUNT || (unsigned)ev >= EV__COUNT)
		rw_panic("%s: state %d event %d out of range", __func__, inc->state, ev);
	c = &table[inc->state][ev];
	/* a result of the scheduled test: that test is done */
	if (ev >= EV_TEST_OPEN && ev <= EV_TEST_OTHER && inc->test_at_ms &&
	    inc->test_at_ms <= now && incident_is_open(inc))
		inc->test_at_ms = 0;
	switch (c->op) {
	case M_UNDEFINED:
		rw_panic("%s: no transition for %s x %s", __func__, state_names[inc->state],
		         event_names[ev]);
	case M_IGNORE:
		out->outcome = IO_IGNORED;
		out->why = c->why;
		return;
	case M_REJECT:
		out->outcome = IO_REJECTED;
		out->why = c->why;
		return;
	case M_RECORD:
		break;
	case M_OPEN_COMPLAINT:
		if (!(p->open_on & POLICY_ON_COMPLAINT)) {
			out->outcome = IO_IGNORED;
			out->why = "the policy opens no incident on complaints";
			return;
		}
		inc->trigger = POLICY_ON_COMPLAINT;
		inc->complainant = 1;
		inc->opened_ms = now;
		enter(inc, out, IS_REPORTED);
		notify(inc, p, out, STEP_OPENED, -1);
		test_at(inc, out, now);
		break;
	case M_OPEN_SCAN:
		if (!(p->open_on & POLICY_ON_SCAN)) {
			out->outcome = IO_IGNORED;
			out->why = "the policy opens no incident on its own scans";
			return;
		}
		inc->trigger = POLICY_ON_SCAN;
		inc->opened_ms = now;
		confirm(inc, p, out, now);
		break;
	case M_OPEN_SUSPECT:
		if (!(p->open_on & POLICY_ON_SCAN_SUSPECT)) {
			out->outcome = IO_IGNORED;
			out->why = "the policy opens no incident on suspect scan results";
			return;
		}
		inc->trigger = POLICY_ON_SCAN_SUSPECT;
		inc->opened_ms = now;
		suspect_first(inc, p, out, now);
		break;
	case M_MORE_COMPLAINT:
		/* results already known: this complainant gets them now; before
		 * confirmation every complainant gets them then */
		inc->complainant = 1;
		if (inc->state >= IS_CONFIRMED)
			notify(inc, p, out, STEP_CONFIRMED, RCPT_COMPLAINANT);
		break;
	case M_CONFIRM:
		confirm(inc, p, out, now);
		break;
	case M_SUSPECT_FIRST:
		suspect_first(inc, p, out, now);
		break;
	case M_INCONCLUSIVE:
		if (++inc->attempts < p->test_attempts) {
			test_at(inc, out, now + p->tempfail_retry_ms);
			enter(inc, out, IS_TESTING);
		} else {
			not_reproduced(inc, p, out,
			               "not reproduced: no test was conclusive (tempfail or "
			               "unreachable every time)",
			               now);
		}
		break;
	case M_CLEAN_FIRST:
		not_reproduced(inc, p, out, "not reproduced: the test found it closed", now);
		break;
	case M_GRACE:
		grace(inc, p, out, now);
		break;
	case M_NOT_REPAIRED:
		if ((iv = retest_interval(inc, p)) > 0)
			test_at(inc, out, now + iv);
		break;
	case M_RETRY:
		test_at(inc, out, now + p->tempfail_retry_ms);
		break;
	case M_REPAIRED:
		if (inc->blocked) {
			add(out, ACT_UNBLOCK)->what = inc->blocked;
			inc->blocked = 0;
		}
		deadline(inc, out, 0);
		notify(inc, p, out, STEP_REPAIRED, -1);
		finish(inc, out, IS_REPAIRED, "repaired: a retest returned closed or auth-required",
		       now);
		break;
	case M_SWEEP_CLEAN:
	case M_RETEST_NOW:
		test_at(inc, out, now);
		break;
	case M_DEADLINE:
		if (inc->deadline_ms == 0 || now < inc->deadline_ms) {
			out->outcome = IO_IGNORED;
			out->why = inc->deadline_ms ? "the deadline has not come yet"
			                            : "no deadline is set (stale timer)";
			return;
		}
		if (p->block == POLICY_BLOCK_NONE) {
			deadline(inc, out, 0); /* the policy never blocks: retests go on */
			break;
		}
		block(inc, p, out, now);
		break;
	case M_CLOSE:
		if (inc->blocked)
			rw_panic("%s: close with a block in place", __func__);
		deadline(inc, out, 0);
		notify(inc, p, out, STEP_CLOSED, -1);
		finish(inc, out, IS_CLOSED, reason && *reason ? reason : "closed by the operator",
		       now);
		break;
	case M_OP_BLOCK:
		if (p->block == POLICY_BLOCK_NONE) {
			out->outcome = IO_REJECTED;
			out->why = "the policy blocks nothing (block = none)";
			return;
		}
		block(inc, p, out, now);
		break;
	case M_OP_UNBLOCK:
		if (reason == NULL || *reason == '\0') {
			out->outcome = IO_REJECTED;
			out->why = "an unblock needs a reason (it is recorded)";
			return;
		}
		add(out, ACT_UNBLOCK)->what = inc->blocked;
		inc->blocked = 0;
		inc->blocked_ms = 0;
		/* a new grace: blocked again at its end unless a retest shows the repair */
		grace_for(inc, p, out, now, unblock_grace(p));
		break;
	}
	out->outcome = IO_APPLIED;
}

/* incident_init - a fresh incident for an address with `prior` earlier ones */
void incident_init(struct incident *inc, int prior)
{
	memset(inc, 0, sizeof(*inc));
	inc->state = IS_NEW;
	inc->prior = prior < 0 ? 0 : prior;
}

/* incident_event_for - the event a verdict makes */
enum incident_event incident_event_for(enum verdict v, int scan)
{
	switch (v) {
	case V_OPEN:
		return scan ? EV_SCAN_OPEN : EV_TEST_OPEN;
	case V_SUSPECT:
		return scan ? EV_SCAN_SUSPECT : EV_TEST_SUSPECT;
	case V_CLOSED:
	case V_AUTH_REQUIRED:
		return scan ? EV_SCAN_CLEAN : EV_TEST_CLEAN;
	default: /* tempfail, unreachable, not-smtp, not-proxy, error: no answer yet */
		return scan ? EV_SCAN_OTHER : EV_TEST_OTHER;
	}
}

/* incident_is_open - between opening and a final state */
int incident_is_open(const struct incident *inc)
{
	return inc->state != IS_NEW && inc->state < IS_REPAIRED;
}

/* incident_next_due - the earliest timer of the incident */
long long incident_next_due(const struct incident *inc)
{
	long long t = inc->test_at_ms, d = inc->deadline_ms;

	if (t == 0)
		return d;
	if (d == 0)
		return t;
	return t < d ? t : d;
}

/* incident_table_move - the cell, for the totality test */
int incident_table_move(enum incident_state s, enum incident_event ev, enum incident_state *next,
                        unsigned *may)
{
	const struct cell *c = &table[s][ev];

	*next = c->next;
	*may = c->may;
	return c->op != M_UNDEFINED;
}

const char *incident_state_name(enum incident_state s)
{
	return (unsigned)s < IS__COUNT ? state_names[s] : "?";
}

const char *incident_event_name(enum incident_event ev)
{
	return (unsigned)ev < EV__COUNT ? event_names[ev] : "?";
}

const char *incident_act_name(enum incident_act a)
{
	return (unsigned)a < ACT__COUNT ? act_names[a] : "?";
}
