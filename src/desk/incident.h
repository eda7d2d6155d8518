/*
 * incident.h - the abuse-desk incident as a pure state machine
 *
 * No store, no sockets, no clock: the caller (the daemon, the command
 * line) feeds an event and the time in, and gets back the actions to carry
 * out and record (in one transaction with the event). The policy
 * (src/desk/policy.h) fills in whom to notify, what to block, the delays.
 * struct incident is plain data: the caller stores it (columns or JSON)
 * and hands it back with the next event.
 *
 * States (incident_state_name gives the stable names in quotes):
 *   new             "new"             nothing opened yet; the first event decides
 *   reported        "reported"        a complaint opened it; the first test is scheduled
 *   testing         "testing"         the first tests were inconclusive (tempfail,
 *                                     unreachable, suspect ...): retrying
 *   confirmed       "confirmed"       relaying verified; the results notice to the
 *                                     admin is queued and the grace waits for it
 *   notified        "notified"        notice sent: the grace period runs, retests
 *                                     every retest_interval; at its end: block
 *   blocked         "blocked"         blocked; retests every blocked_retest_interval
 *   repaired        "repaired"        final: a retest returned closed or auth-required
 *   not-reproduced  "not-reproduced"  final: the first tests did not show relaying
 *   closed          "closed"          final: an operator closed it
 *
 * Events: a complaint; a result of our own sweep (open, suspect, clean =
 * closed or auth-required, other = tempfail/unreachable/not-smtp/error);
 * a result of a test or retest this machine asked for (the same four);
 * the confirmation notice sent; the deadline reached; operator commands
 * retest, note, close, block, unblock. incident_event_for() maps a
 * verdict to an event.
 *
 * Actions: notify(step, recipient, template), test(at: replaces any test
 * scheduled for the incident), block(what), unblock(what), deadline(at;
 * 0 cancels), escalate(level), close(reason: also cancels the test and
 * the deadline).
 *
 * Rules: tempfail (and any inconclusive verdict) is retried after
 * tempfail_retry, never a repair; suspect is never a repair either (an
 * outbound block turns a live relay's open into suspect); a block is
 * lifted only by a retest that returns closed or auth-required, so an
 * operator cannot close a blocked incident; the operator's unblock is the
 * one audited exception: it needs a reason, lifts the block and starts a
 * new grace (state notified, deadline now + the policy's unblock_grace,
 * retests as in the grace), so a host that is still open at its end is
 * blocked again and
 * only a retest closes the incident; the operator's block skips the rest
 * of the grace of a confirmed or notified incident (the blocked notices go
 * out as at the deadline); a note never sends a notice;
 * the ladder's level is taken at confirmation from the count of earlier
 * incidents the caller passes to incident_init().
 *
 * The transition table (incident.c) is total: every state x event has an
 * outcome, applied, ignored (stale timer, late result: the event is still
 * recorded) or rejected (an operator command that cannot apply; the why
 * text says so).
 */
#ifndef RW_INCIDENT_H
#define RW_INCIDENT_H

#include <stddef.h>

#include "../smtp/result.h"
#include "policy.h"

/* operator's close reason and the reasons this machine writes */
#define INCIDENT_REASON_MAX 191
/* actions one event can produce (the most is confirmation: 3 notices,
 * escalate, its notice, block, its notices, test) */
#define INCIDENT_ACTIONS_MAX 16

enum incident_state {
	IS_NEW,
	IS_REPORTED,
	IS_TESTING,
	IS_CONFIRMED,
	IS_NOTIFIED,
	IS_BLOCKED,
	IS_REPAIRED,
	IS_NOT_REPRODUCED,
	IS_CLOSED,
	IS__COUNT
};

enum incident_event {
	EV_COMPLAINT,    /* a complaint names the address */
	EV_SCAN_OPEN,    /* our own sweep or scan: open */
	EV_SCAN_SUSPECT, /* ... suspect */
	EV_SCAN_CLEAN,   /* ... closed or auth-required */
	EV_SCAN_OTHER,   /* ... tempfail, unreachable, not-smtp, error */
	EV_TEST_OPEN,    /* a test or retest this machine asked for: open */
	EV_TEST_SUSPECT, /* ... suspect */
	EV_TEST_CLEAN,   /* ... closed or auth-required: the only repair */
	EV_TEST_OTHER,   /* ... tempfail, unreachable, not-smtp, error */
	EV_NOTICE_SENT,  /* the confirmed step's notice to the admin left the outbox */
	EV_DEADLINE,     /* inc->deadline_ms has come */
	EV_CMD_RETEST,   /* operator (or the owner's retest button): test now */
	EV_CMD_NOTE,     /* operator note: recorded, nothing sent */
	EV_CMD_CLOSE,    /* operator close, with a reason */
	EV_CMD_BLOCK,    /* operator: block now, without waiting for the grace */
	EV_CMD_UNBLOCK,  /* operator: lift the block for a new grace (with a reason) */
	EV__COUNT
};

enum incident_act {
	ACT_NOTIFY,   /* step, rcpt, tmpl */
	ACT_TEST,     /* at_ms: run a test then; replaces any scheduled one */
	ACT_BLOCK,    /* what (policy_block bits) */
	ACT_UNBLOCK,  /* what */
	ACT_DEADLINE, /* at_ms: feed EV_DEADLINE then; 0 = cancel */
	ACT_ESCALATE, /* level */
	ACT_CLOSE,    /* reason; the incident is over: cancel its test and deadline */
	ACT__COUNT
};

struct incident_action {
	enum incident_act kind;
	long long at_ms;                      /* ACT_TEST, ACT_DEADLINE */
	enum policy_step step;                /* ACT_NOTIFY */
	enum policy_rcpt rcpt;                /* ACT_NOTIFY */
	char tmpl[POLICY_NAME_MAX + 1];       /* ACT_NOTIFY */
	unsigned what;                        /* ACT_BLOCK, ACT_UNBLOCK */
	enum policy_level level;              /* ACT_ESCALATE */
	char reason[INCIDENT_REASON_MAX + 1]; /* ACT_CLOSE */
};

/* The incident: plain data, stored by the caller. Times are ms since the
 * epoch of the caller's clock; 0 = not (yet). */
struct incident {
	enum incident_state state;
	int prior;        /* earlier incidents of the address in the window */
	unsigned trigger; /* the policy_trigger that opened it */
	int complainant;  /* a complainant waits for the results */
	long long opened_ms, confirmed_ms, notified_ms, blocked_ms, closed_ms;
	long long deadline_ms;   /* EV_DEADLINE due (end of grace) */
	long long test_at_ms;    /* the test scheduled */
	int attempts;            /* inconclusive first tests */
	int suspects;            /* suspect first tests */
	unsigned blocked;        /* what is blocked now (policy_block bits) */
	enum policy_level level; /* the rung reached at confirmation */
	char close_reason[INCIDENT_REASON_MAX + 1];
};

enum incident_outcome {
	IO_APPLIED,  /* the table's move was made (maybe with no action) */
	IO_IGNORED,  /* nothing to do in this state (stale timer, late result) */
	IO_REJECTED, /* an operator command that cannot apply here: tell the operator why */
};

struct incident_out {
	enum incident_outcome outcome;
	const char *why; /* static; IO_IGNORED and IO_REJECTED, else NULL */
	enum incident_state from, to;
	size_t n;
	struct incident_action act[INCIDENT_ACTIONS_MAX];
};

/* incident_init - a new incident (state new) for an address that had
 * `prior` incidents in the policy's window before this one (the caller
 * counts those that reached confirmed) */
void incident_init(struct incident *inc, int prior);

/* incident_on_event - apply ev at now_ms under policy p: updates inc,
 * fills out (overwritten). reason: the text of EV_CMD_CLOSE (may be
 * NULL) and EV_CMD_UNBLOCK (required: rejected without one);
 * ignored for the other events. Never fails: see out->outcome. */
void incident_on_event(struct incident *inc, const struct policy *p, enum incident_event ev,
                       const char *reason, long long now_ms, struct incident_out *out);

/* incident_event_for - the event for a verdict of a test we asked for
 * (scan 0) or of our own sweep (scan 1) */
enum incident_event incident_event_for(enum verdict v, int scan);

/* incident_is_open - not in a final state (new counts as not open) */
int incident_is_open(const struct incident *inc);

/* incident_next_due - the earliest of the scheduled test and the
 * deadline, 0 when neither */
long long incident_next_due(const struct incident *inc);

/* incident_table_move - the table's cell, for tests: 0 when undefined,
 * else nonzero; *next the state the table names (IS__COUNT: stays), *may
 * the other states (bit 1 << state) the move may choose instead */
int incident_table_move(enum incident_state s, enum incident_event ev, enum incident_state *next,
                        unsigned *may);

/* names: static, stable, "?" out of range */
const char *incident_state_name(enum incident_state s);
const char *incident_event_name(enum incident_event ev);
const char *incident_act_name(enum incident_act a);

#endif
