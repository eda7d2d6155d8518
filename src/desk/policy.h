/*
 * policy.h - an abuse-desk policy as configuration (INI, read with inih)
 *
 * A policy says which triggers open an incident, whom to notify at each
 * step of the incident state machine (src/desk/incident.h) and with which
 * template, how long the grace period is, how often to retest, what to
 * block and when, and the escalation ladder. doc/desk.md lists every key;
 * contrib/policies/ holds the two shipped examples (university, isp).
 *
 * Sections and keys:
 *   [policy]     name, open_on, grace, retest_interval,
 *                blocked_retest_interval, tempfail_retry, test_attempts,
 *                suspect, suspect_retests, block, block_at_once
 *   [notify]     one key per step (opened, confirmed, warning, blocked,
 *                repaired, not_reproduced, closed, suspend, terminate):
 *                "recipient:template ..." with recipients admin,
 *                complainant, noc; empty = no notice at that step
 *   [escalation] window, warning, suspend, terminate
 * Durations are a number and a unit (s, m, h, d), possibly several
 * ("1d12h"), or 0.
 *
 * struct policy is plain data (fixed-size strings): copy it, no free.
 */
#ifndef RW_POLICY_H
#define RW_POLICY_H

#include <stddef.h>

/* template and policy names */
#define POLICY_NAME_MAX 63
/* the longest duration a policy may name: a year */
#define POLICY_DURATION_MAX_MS (366LL * 86400 * 1000)
/* the most attempts or rungs a count key accepts */
#define POLICY_COUNT_MAX 1000

/* what opens an incident (bits of policy.open_on) */
enum policy_trigger {
	POLICY_ON_COMPLAINT = 1,    /* a complaint names the address */
	POLICY_ON_SCAN = 2,         /* our own sweep or scan found it open */
	POLICY_ON_SCAN_SUSPECT = 4, /* our own sweep found it suspect */
};

/* what to block (bits of policy.block, and of the block/unblock actions) */
enum policy_block {
	POLICY_BLOCK_NONE = 0,
	POLICY_BLOCK_INBOUND = 1,  /* SMTP to the host (tcp dport 25, destination) */
	POLICY_BLOCK_OUTBOUND = 2, /* SMTP from the host (tcp dport 25, source) */
};

/* who receives a notice */
enum policy_rcpt { RCPT_ADMIN, RCPT_COMPLAINANT, RCPT_NOC, RCPT__COUNT };

/* the steps of an incident that may send notices ([notify] keys) */
enum policy_step {
	STEP_OPENED,         /* complaint received, we will test */
	STEP_CONFIRMED,      /* relaying verified: the results */
	STEP_WARNING,        /* escalation rung "warning" (may be blocked) */
	STEP_BLOCKED,        /* the block is in place */
	STEP_REPAIRED,       /* a retest shows the repair (block lifted) */
	STEP_NOT_REPRODUCED, /* the tests did not show relaying */
	STEP_CLOSED,         /* an operator closed the incident */
	STEP_SUSPEND,        /* escalation rung "suspend" */
	STEP_TERMINATE,      /* escalation rung "terminate" */
	STEP__COUNT
};

/* how a suspect verdict (accepted through DATA, no arrival) counts */
enum policy_suspect {
	SUSPECT_RETEST,  /* not proof: retest, then not-reproduced (default) */
	SUSPECT_CONFIRM, /* treat as relaying verified */
};

/* escalation levels, lowest first (rungs of the ladder) */
enum policy_level { LEVEL_NONE, LEVEL_WARNING, LEVEL_SUSPEND, LEVEL_TERMINATE, LEVEL__COUNT };

/* the internal_vantages list, bytes */
#define POLICY_VANTAGES_MAX 255

struct policy {
	char name[POLICY_NAME_MAX + 1];
	unsigned open_on;            /* enum policy_trigger bits */
	long long grace_ms;          /* notice to block; 0 = block at the deadline at once */
	long long retest_ms;         /* retest interval during grace; 0 = none */
	long long blocked_retest_ms; /* retest interval while blocked; 0 = none */
	long long tempfail_retry_ms; /* delay before retrying an inconclusive test */
	int test_attempts;           /* inconclusive first tests before not-reproduced */
	enum policy_suspect suspect;
	int suspect_retests;        /* suspect first tests retested before not-reproduced */
	unsigned block;             /* enum policy_block bits */
	int block_at_once;          /* block on confirmation, no grace */
	long long unblock_grace_ms; /* the operator's unblock: the new grace; 0 = grace, or
	                               24 h when grace is 0 */
	/* vantages (doc/scale.md) whose view is the inside of the network,
	 * space separated; "" none; and what an open or suspect result seen
	 * from one of them does: 0 as any (incident), 1 nothing (ignored) */
	char internal_vantages[POLICY_VANTAGES_MAX + 1];
	int internal_ignore;
	/* notify[step][rcpt]: template name, "" = no notice */
	char notify[STEP__COUNT][RCPT__COUNT][POLICY_NAME_MAX + 1];
	long long window_ms;    /* incidents counted for the ladder */
	int rung[LEVEL__COUNT]; /* incidents in the window for each level; 0 = unused */
};

/* policy_internal - vantage is one of p's internal_vantages */
int policy_internal(const struct policy *p, const char *vantage);

/* policy_defaults - a policy that opens on complaints, notifies nobody,
 * never blocks, 48 h grace, 6 h retests, 1 h tempfail retry, 6 attempts,
 * suspect retested twice, 90 day window, no ladder */
void policy_defaults(struct policy *p);

/* policy_load - read an INI file over p (over policy_defaults or not).
 * Every bad line is reported: err receives "path:line: problem" lines,
 * separated by '\n' (truncated with "..." when errlen is short).
 * Returns the number of problems (0: p is usable; else p is partial). */
int policy_load(const char *path, struct policy *p, char *err, size_t errlen);
/* policy_load_string - the same from text; name stands for the path */
int policy_load_string(const char *name, const char *text, struct policy *p, char *err,
                       size_t errlen);

/* policy_duration - "48h", "90d", "1d12h", "30s", "0" in ms; NULL or the
 * problem (static text) */
const char *policy_duration(const char *s, long long *ms);

/* policy_level_for - the ladder's level for an incident that is the n-th
 * (counting itself) for its address in the window */
enum policy_level policy_level_for(const struct policy *p, int n);

/* names, static, "?" out of range */
const char *policy_step_name(enum policy_step s);
const char *policy_rcpt_name(enum policy_rcpt r);
const char *policy_level_name(enum policy_level l);
/* policy_block_name - "none", "inbound", "outbound", "inbound+outbound" */
const char *policy_block_name(unsigned block);

#endif
