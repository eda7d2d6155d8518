/*
 * test_policy - the desk's policy file: the two shipped policies parse to
 * what they say, durations, the ladder, and every bad line reported as
 * "file:line: problem"
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/desk/policy.h"

#define H (3600LL * 1000)
#define D (24 * H)

/* shipped - path of a file under contrib/policies (tests run from the tree
 * root; RW_BUILD names build/ inside it) */
static const char *shipped(const char *name)
{
	static char path[512];
	const char *b = getenv("RW_BUILD");

	if (b && *b)
		snprintf(path, sizeof(path), "%s/../contrib/policies/%s", b, name);
	else
		snprintf(path, sizeof(path), "contrib/policies/%s", name);
	return path;
}

static void load_ok(const char *name, struct policy *p)
{
	char err[2048];
	int n;

	policy_defaults(p);
	n = policy_load(shipped(name), p, err, sizeof(err));
	if (n != 0)
		fail_msg("%s: %d problems:\n%s", name, n, err);
}

static void test_university(void **state)
{
	struct policy p;

	(void)state;
	load_ok("university.conf", &p);
	assert_string_equal(p.name, "university-noc");
	assert_int_equal(p.open_on, POLICY_ON_COMPLAINT);
	assert_int_equal(p.grace_ms, 48 * H);
	assert_int_equal(p.retest_ms, 6 * H);
	assert_int_equal(p.blocked_retest_ms, 12 * H);
	assert_int_equal(p.tempfail_retry_ms, 1 * H);
	assert_int_equal(p.test_attempts, 6);
	assert_int_equal(p.suspect, SUSPECT_RETEST);
	assert_int_equal(p.suspect_retests, 2);
	assert_int_equal(p.block, POLICY_BLOCK_OUTBOUND);
	assert_int_equal(p.block_at_once, 0);
	assert_string_equal(p.notify[STEP_OPENED][RCPT_ADMIN], "complaint-received");
	assert_string_equal(p.notify[STEP_OPENED][RCPT_COMPLAINANT], "");
	assert_string_equal(p.notify[STEP_CONFIRMED][RCPT_ADMIN], "results");
	assert_string_equal(p.notify[STEP_CONFIRMED][RCPT_COMPLAINANT], "results");
	assert_string_equal(p.notify[STEP_WARNING][RCPT_ADMIN], "block-warning");
	assert_string_equal(p.notify[STEP_BLOCKED][RCPT_NOC], "blocked");
	assert_string_equal(p.notify[STEP_REPAIRED][RCPT_COMPLAINANT], "repaired");
	assert_int_equal(p.window_ms, 90 * D);
	assert_int_equal(p.rung[LEVEL_WARNING], 1);
	assert_int_equal(p.rung[LEVEL_SUSPEND], 0);
	assert_int_equal(policy_level_for(&p, 1), LEVEL_WARNING);
	assert_int_equal(policy_level_for(&p, 9), LEVEL_WARNING);
}

static void test_isp(void **state)
{
	struct policy p;

	(void)state;
	load_ok("isp.conf", &p);
	assert_string_equal(p.name, "isp");
	assert_int_equal(p.open_on, POLICY_ON_SCAN);
	assert_int_equal(p.block, POLICY_BLOCK_INBOUND);
	assert_int_equal(p.block_at_once, 1);
	assert_int_equal(p.blocked_retest_ms, 24 * H);
	assert_int_equal(p.tempfail_retry_ms, 2 * H);
	assert_string_equal(p.notify[STEP_SUSPEND][RCPT_NOC], "isp-suspend-order");
	assert_string_equal(p.notify[STEP_TERMINATE][RCPT_ADMIN], "isp-terminated");
	assert_int_equal(p.window_ms, 90 * D);
	static const struct {
		int n;
		enum policy_level want;
	} ladder[] = {
	    {0, LEVEL_NONE},    {1, LEVEL_WARNING},   {2, LEVEL_WARNING},    {3, LEVEL_SUSPEND},
	    {4, LEVEL_SUSPEND}, {5, LEVEL_TERMINATE}, {40, LEVEL_TERMINATE},
	};
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if (policy_level_for(&p, ladder[i].n) != ladder[i].want)
			fail_msg("incident %d: got %s, want %s", ladder[i].n,
			         policy_level_name(policy_level_for(&p, ladder[i].n)),
			         policy_level_name(ladder[i].want));
}

static void test_durations(void **state)
{
	static const struct {
		const char *in;
		long long want; /* -1: an error */
	} cases[] = {
	    {"48h", 48 * H}, {"90d", 90 * D}, {"1d12h", 36 * H}, {"30m", 30 * 60000LL},
	    {"45s", 45000},  {"0", 0},        {"366d", 366 * D}, {"", -1},
	    {"48", -1},      {"h", -1},       {"48x", -1},       {"367d", -1},
	    {"-1h", -1},     {"1.5h", -1},    {"1h ", -1},       {"99999999999999999d", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long ms = -7;
		const char *e = policy_duration(cases[i].in, &ms);

		if (cases[i].want < 0 && e == NULL)
			fail_msg("'%s': got %lld ms, want an error", cases[i].in, ms);
		if (cases[i].want >= 0 && (e != NULL || ms != cases[i].want))
			fail_msg("'%s': got %lld (%s), want %lld", cases[i].in, ms, e ? e : "ok",
			         cases[i].want);
	}
}

/* Each case: one text, the problems wanted (substrings, each on its own
 * line of err, in order), nothing else reported. */
static void test_errors(void **state)
{
	static const struct {
		const char *name, *text;
		const char *want[6];
	} cases[] = {
	    {"unknown key",
	     "[policy]\ngrace = 1h\ncolour = red\n",
	     {"p.conf:3: colour: unknown key in [policy]"}},
	    {"unknown section",
	     "[polisy]\ngrace = 1h\n[policy]\ngrace = 2h\n",
	     {"p.conf:1: unknown section [polisy]"}},
	    {"bad duration",
	     "[policy]\ngrace = 48\n",
	     {"p.conf:2: grace = 48: a duration needs a unit"}},
	    {"tempfail_retry 0",
	     "[policy]\ntempfail_retry = 0\n",
	     {"p.conf:2: tempfail_retry = 0: at least 1s"}},
	    {"recipient",
	     "[notify]\nopened = boss:x\n",
	     {"p.conf:2: opened = boss:x: 'boss': recipient is admin, complainant or noc"}},
	    {"template",
	     "[notify]\nopened = admin:a/b\n",
	     {"p.conf:2: opened = admin:a/b: 'admin:a/b': template name"}},
	    {"no colon", "[notify]\nopened = admin\n", {"p.conf:2: opened = admin: 'admin': want"}},
	    {"twice in a step",
	     "[notify]\nopened = admin:a admin:b\n",
	     {":2: opened = admin:a admin:b: admin named twice"}},
	    {"not ini",
	     "[policy]\ngrace = 1h\nthis line is prose\n",
	     {"p.conf:3: not 'key = value'"}},
	    {"no ]", "[policy\ngrace = 1h\n", {"p.conf:1: section header without ']'"}},
	    {"before section", "grace = 1h\n", {"p.conf:1: grace: key before any section"}},
	    {"twice",
	     "[policy]\ngrace = 1h\n\ngrace = 2h\n",
	     {"p.conf:4: grace: given twice (first at line 2)"}},
	    {"trigger",
	     "[policy]\nopen_on = complaint, spam\n",
	     {"p.conf:2: open_on = complaint, spam: 'spam': trigger is"}},
	    {"no trigger", "[policy]\nopen_on =\n", {"p.conf:2: open_on = : no trigger"}},
	    {"block", "[policy]\nblock = sideways\n", {"p.conf:2: block = sideways: 'sideways'"}},
	    {"bool",
	     "[policy]\nblock_at_once = perhaps\n",
	     {":2: block_at_once = perhaps: not yes or no"}},
	    {"count", "[policy]\ntest_attempts = 0\n", {":2: test_attempts = 0: out of range"}},
	    {"suspect",
	     "[policy]\nsuspect = panic\n",
	     {":2: suspect = panic: suspect is retest or confirm"}},
	    {"ladder",
	     "[escalation]\nwarning = 3\nsuspend = 3\nterminate = 2\n",
	     {":3: suspend = 3: the ladder must climb (warning is at 3)",
	      ":4: terminate = 2: the ladder must climb (suspend is at 3)"}},
	    {"at once, nothing to block",
	     "[policy]\nblock_at_once = yes\n",
	     {":2: block_at_once = yes but block = none"}},
	    {"continuation",
	     "[notify]\nconfirmed = admin:results\n  complainant:results\n",
	     {":3: continuation lines are not supported"}},
	    /* inih reads an indented "[x]" after a key as that key's next line, not as a
	     * header: the keys after it are still in [policy] */
	    {"indented section after a key",
	     "[policy]\ngrace = 1h\n  [escalation]\nwindow = 30d\n",
	     {":3: continuation lines are not supported", ":4: window: unknown key in [policy]"}},
	    {"long line",
	     "[policy]\nname = "
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaa"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaa"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaa"
	     "\ngrace = 1\n",
	     {":2: line longer than", ":3: grace = 1: a duration needs a unit"}},
	    {"every bad line",
	     "; a policy with many mistakes\n[policy]\ngrace = soon\nblock = outbound\n"
	     "retest_interval = 6h\nmystery = 1\n[notify]\nopened = admin:ok\nconfirmed = "
	     "nobody:x\n"
	     "[escalation]\nwindow = 90d\nwarning = many\n",
	     {"p.conf:3: grace = soon", "p.conf:6: mystery: unknown key",
	      "p.conf:9: confirmed = nobody:x", "p.conf:12: warning = many: not a number"}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy p;
		char err[2048];
		size_t nwant = 0;
		int n;
		const char *line = err;

		policy_defaults(&p);
		n = policy_load_string("p.conf", cases[i].text, &p, err, sizeof(err));
		while (nwant < 6 && cases[i].want[nwant])
			nwant++;
		if ((size_t)n != nwant)
			fail_msg("%s: got %d problems, want %zu:\n%s", cases[i].name, n, nwant,
			         err);
		for (size_t w = 0; w < nwant; w++) {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);

			if (strncmp(line, "p.conf:", 7) != 0 ||
			    memmem(line, len, cases[i].want[w], strlen(cases[i].want[w])) == NULL)
				fail_msg("%s: problem %zu: got '%.*s', want '%s'", cases[i].name, w,
				         (int)len, line, cases[i].want[w]);
			line = nl ? nl + 1 : line + len;
		}
	}
}

static void test_good_string(void **state)
{
	struct policy p;
	char err[512];

	(void)state;
	policy_defaults(&p);
	assert_int_equal(
	    policy_load_string("x",
	                       "\xEF\xBB\xBF[policy]\n  open_on = scan scan-suspect ; inline\n"
	                       "block = both\n[escalation]\nsuspend = 2\n",
	                       &p, err, sizeof(err)),
	    0);
	assert_int_equal(p.open_on, POLICY_ON_SCAN | POLICY_ON_SCAN_SUSPECT);
	assert_int_equal(p.block, POLICY_BLOCK_INBOUND | POLICY_BLOCK_OUTBOUND);
	assert_string_equal(policy_block_name(p.block), "inbound+outbound");
	assert_int_equal(policy_level_for(&p, 1), LEVEL_NONE);
	assert_int_equal(policy_level_for(&p, 2), LEVEL_SUSPEND);
	/* defaults stay where the file says nothing */
	assert_int_equal(p.grace_ms, 48 * H);
}

/* internal vantages: a list of names; internal_open incident or ignore */
static void test_vantages(void **state)
{
	struct policy p;
	char err[512];

	(void)state;
	policy_defaults(&p);
	assert_int_equal(p.internal_ignore, 0);
	assert_int_equal(policy_internal(&p, "inside"), 0);
	assert_int_equal(policy_load_string("x",
	                                    "[policy]\ninternal_vantages = inside, core-1 lab.2\n"
	                                    "internal_open = ignore\nunblock_grace = 2h\n",
	                                    &p, err, sizeof(err)),
	                 0);
	assert_int_equal(p.internal_ignore, 1);
	assert_int_equal(p.unblock_grace_ms, 2 * H);
	assert_int_equal(policy_internal(&p, "inside"), 1);
	assert_int_equal(policy_internal(&p, "core-1"), 1);
	assert_int_equal(policy_internal(&p, "lab.2"), 1);
	assert_int_equal(policy_internal(&p, "core"), 0);
	assert_int_equal(policy_internal(&p, "inside2"), 0);
	assert_int_equal(policy_internal(&p, ""), 0);
	assert_int_equal(policy_internal(&p, NULL), 0);
	policy_defaults(&p);
	assert_int_not_equal(
	    policy_load_string("x", "[policy]\ninternal_open = sometimes\n", &p, err, sizeof(err)),
	    0);
	assert_non_null(strstr(err, "incident or ignore"));
	assert_int_not_equal(policy_load_string("x", "[policy]\ninternal_vantages = in$side\n", &p,
	                                        err, sizeof(err)),
	                     0);
	assert_non_null(strstr(err, "in$side"));
}

static void test_missing_file(void **state)
{
	struct policy p;
	char err[512];

	(void)state;
	policy_defaults(&p);
	assert_int_equal(policy_load("/nonexistent/p.conf", &p, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "/nonexistent/p.conf:0: cannot open"));
}

static void test_short_err_buffer(void **state)
{
	struct policy p;
	char err[40];

	(void)state;
	policy_defaults(&p);
	assert_int_equal(
	    policy_load_string("p.conf", "a = 1\nb = 2\nc = 3\n", &p, err, sizeof(err)), 3);
	assert_true(strlen(err) < sizeof(err));
	assert_non_null(strstr(err, "..."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_university),  cmocka_unit_test(test_isp),
	    cmocka_unit_test(test_durations),   cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_good_string), cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_vantages),    cmocka_unit_test(test_short_err_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
