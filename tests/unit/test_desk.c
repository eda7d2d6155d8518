/*
 * test_desk - the desk engine end to end on a temporary store (SQLite, or
 * PostgreSQL with RW_TEST_STORE_URL: store_fx.h) with a fake clock: the university policy from
 * complaint to repair, and the ISP ladder to suspension. Tests are "run" by a callback that records
 * which incident asked; the test feeds the verdict back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/core/limits.h"
#include "../../src/desk/desk.h"
#include "../../src/desk/policy.h"
#include "../../src/smtp/result.h"
#include "../../src/store/store.h"
#include "store_fx.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define T0   1700000000000LL
#define HOUR (3600LL * 1000)

struct fx {
	char dir[256];
	struct fx_db db;
	struct store *st;
	struct policy p;
	struct desk *d;
};

struct calls {
	int n;
	int64_t last;
	char probe[16]; /* the last test's probe */
};

static void on_test(void *arg, int64_t incident, const char *addr, unsigned port, const char *probe)
{
	struct calls *c = arg;

	c->n++;
	c->last = incident;
	snprintf(c->probe, sizeof(c->probe), "%s", probe);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static struct fx *fx_new(const char *policy_file)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	char err[2048];

	snprintf(f->dir, sizeof(f->dir), "%s/test_desk.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(fxdb_make(&f->db, f->dir), 0);
	f->st = store_open(f->db.url, err, sizeof(err));
	if (f->st == NULL)
		fail_msg("open: %s", err);
	assert_int_equal(store_migrate(f->st, T0 / 1000), 0);
	policy_defaults(&f->p);
	if (policy_load(policy_file, &f->p, err, sizeof(err)) != 0)
		fail_msg("%s: %s", policy_file, err);
	struct desk_config cfg = {
	    .policy = &f->p,
	    .template_dir = "contrib/templates",
	    .from = "Example NOC <abuse@noc.example.edu>",
	    .operator_name = "Example NOC",
	    .noc = "noc@noc.example.edu",
	};
	f->d = desk_new(f->st, &cfg, err, sizeof(err));
	if (f->d == NULL)
		fail_msg("desk_new: %s", err);
	struct store_contact c = {.netblock = "192.0.2.0/24",
	                          .customer = "Example Hosting",
	                          .account = "C-1",
	                          .emails = "admin@example.net",
	                          .updated_ms = T0};
	assert_true(store_contact_put(f->st, &c, NULL) >= 0);
	return f;
}

static void fx_free(struct fx *f)
{
	desk_free(f->d);
	store_close(f->st);
	fxdb_drop(&f->db);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
}

static void result(struct target_result *r, const char *addr, enum verdict v, const char *why)
{
	result_init(r);
	snprintf(r->addr, sizeof(r->addr), "%s", addr);
	snprintf(r->target, sizeof(r->target), "%s", addr);
	r->port = 25;
	r->verdict = v;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
}

/* feed_tr - desk_result of a fresh result with verdict v and, when not
 * NULL, this transcript */
static void feed_tr(struct fx *f, int64_t inc, enum verdict v, long long now, const char *tr)
{
	struct target_result r;

	result(&r, "192.0.2.7", v, v == V_OPEN ? "test plain reached the sink" : "all refused");
	if (tr)
		dbuf_adds(&r.transcript, tr);
	if (desk_result(f->d, inc, &r, now) < 0)
		fail_msg("desk_result: %s", desk_error(f->d));
	result_clear(&r);
}

/* feed - desk_result of a fresh result with verdict v */
static void feed(struct fx *f, int64_t inc, enum verdict v, long long now)
{
	struct target_result r;

	result(&r, "192.0.2.7", v, v == V_OPEN ? "test plain reached the sink" : "all refused");
	if (desk_result(f->d, inc, &r, now) < 0)
		fail_msg("desk_result: %s", desk_error(f->d));
	result_clear(&r);
}

/* due - desk_due twice at now: the second hands out nothing */
static int due(struct fx *f, long long now, struct calls *c)
{
	int before;

	assert_true(desk_due(f->d, now, on_test, c) >= 0);
	before = c->n;
	assert_int_equal(desk_due(f->d, now, on_test, c), 0);
	assert_int_equal(c->n, before);
	return c->n;
}

static size_t outbox_n(struct fx *f, int64_t inc)
{
	struct store_outboxes l;
	size_t n;

	assert_int_equal(store_outbox_for(f->st, inc, &l), 0);
	n = l.n;
	store_outboxes_free(&l);
	return n;
}

/* has_notice - a notice of step to rcpt whose subject holds subj */
static const struct store_outbox *find_notice(const struct store_outboxes *l, const char *step,
                                              const char *rcpt, const char *subj)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].step, step) == 0 && strstr(l->v[i].rcpt, rcpt) &&
		    strstr(l->v[i].subject, subj))
			return &l->v[i];
	return NULL;
}

static void expect_notice(struct fx *f, int64_t inc, const char *step, const char *rcpt,
                          const char *subj)
{
	struct store_outboxes l;

	assert_int_equal(store_outbox_for(f->st, inc, &l), 0);
	if (find_notice(&l, step, rcpt, subj) == NULL) {
		for (size_t i = 0; i < l.n; i++)
			fprintf(stderr, "  have %s to %s: %s\n", l.v[i].step, l.v[i].rcpt,
			        l.v[i].subject);
		fail_msg("no %s notice to %s with subject ~ %s", step, rcpt, subj);
	}
	store_outboxes_free(&l);
}

static size_t actions_n(struct fx *f, const char *kind)
{
	struct store_actions l;
	size_t n;

	assert_int_equal(store_actions_pending(f->st, 0, 0, &l), 0);
	n = 0;
	for (size_t i = 0; i < l.n; i++)
		n += strcmp(l.v[i].kind, kind) == 0;
	store_actions_free(&l);
	return n;
}

static void expect_state(struct fx *f, int64_t inc, const char *state)
{
	struct store_incident i;

	assert_int_equal(store_incident_get(f->st, inc, &i), 1);
	if (strcmp(i.state, state) != 0)
		fail_msg("incident %lld: state %s, want %s", (long long)inc, i.state, state);
	store_incident_clear(&i);
}

/* the university: complaint -> notice -> test -> results -> grace with
 * retests -> block -> closed retest -> unblock, repaired */
static void test_university(void **state)
{
	struct fx *f = fx_new("contrib/policies/university.conf");
	struct calls c = {0};
	int64_t cid, inc = 0;
	long long now = T0;
	struct store_complaint cp = {.received_ms = now,
	                             .reporter = "alice@example.org",
	                             .addr = "192.0.2.7",
	                             .port = 25,
	                             .kind = "open-relay",
	                             .summary = "spam through 192.0.2.7",
	                             .ref = "<r1@example.org>"};

	assert_int_equal(store_complaint_add(f->st, &cp, &cid), 1);
	if (desk_complaint(f->d, cid, now, &inc) != 1)
		fail_msg("desk_complaint: %s", desk_error(f->d));
	assert_true(inc > 0);
	expect_state(f, inc, "reported");
	expect_notice(f, inc, "opened", "admin@example.net",
	              "Open relay complaint about 192.0.2.7");
	assert_int_equal(outbox_n(f, inc), 1);

	/* the first test is due now: handed out once */
	assert_int_equal(due(f, now, &c), 1);
	assert_int_equal(c.last, inc);
	now += 5 * 60 * 1000;
	feed(f, inc, V_OPEN, now);
	expect_state(f, inc, "confirmed");
	expect_notice(f, inc, "confirmed", "admin@example.net", "Test results for 192.0.2.7: open");
	expect_notice(f, inc, "confirmed", "alice@example.org", "Your report about 192.0.2.7");
	expect_notice(f, inc, "warning", "admin@example.net", "may be blocked");
	size_t queued = outbox_n(f, inc);
	assert_int_equal(queued, 4);

	/* the results notice to the admin leaves: the grace starts */
	struct store_outboxes l;
	assert_int_equal(store_outbox_for(f->st, inc, &l), 0);
	const struct store_outbox *m = find_notice(&l, "confirmed", "admin@", "Test results");
	assert_non_null(m);
	now += 60 * 1000;
	assert_int_equal(desk_notice_sent(f->d, m, now), 1);
	store_outboxes_free(&l);
	expect_state(f, inc, "notified");
	long long grace_end = now + 48 * HOUR;

	/* retests every 6 h during the grace, still open */
	int retests = 0;
	while (now + 6 * HOUR < grace_end) {
		now += 6 * HOUR;
		int before = c.n;
		due(f, now, &c);
		if (c.n > before) {
			retests++;
			feed_tr(f, inc, V_OPEN, now, "S: 250 2.0.0 Ok: queued as OPEN1\n");
		}
		expect_state(f, inc, "notified");
	}
	assert_true(retests >= 6);
	assert_int_equal(actions_n(f, "block"), 0);
	assert_int_equal(outbox_n(f, inc), queued);

	/* the grace ends: the block */
	now = grace_end;
	due(f, now, &c);
	expect_state(f, inc, "blocked");
	assert_int_equal(actions_n(f, "block"), 1);
	expect_notice(f, inc, "blocked", "admin@example.net", "SMTP blocked for 192.0.2.7");
	expect_notice(f, inc, "blocked", "noc@noc.example.edu", "SMTP blocked for 192.0.2.7");
	/* only a retest lifts a block: an operator cannot close it */
	assert_int_equal(desk_command(f->d, inc, DESK_CMD_CLOSE, "dave", "looks fixed", now), 0);
	expect_state(f, inc, "blocked");

	/* blocked: retested every 12 h; a closed retest lifts the block */
	int before = c.n;
	for (int i = 0; i < 3 && c.n == before; i++) {
		now += 12 * HOUR;
		due(f, now, &c);
	}
	assert_int_equal(c.n, before + 1);
	feed_tr(f, inc, V_CLOSED, now, "S: 554 5.7.1 <x>: Relay access denied\n");
	expect_state(f, inc, "repaired");
	assert_int_equal(actions_n(f, "unblock"), 1);
	expect_notice(f, inc, "repaired", "admin@example.net", "Block lifted for 192.0.2.7");
	/* the retest's verdict, and for the record the relaying found before,
	 * not the repairing retest's refusals */
	assert_int_equal(store_outbox_for(f->st, inc, &l), 0);
	m = find_notice(&l, "repaired", "admin@", "Block lifted");
	assert_non_null(m);
	if (!strstr(m->body, "found it closed (all refused)") ||
	    !strstr(m->body, "queued as OPEN1") || strstr(m->body, "Relay access denied"))
		fail_msg("repaired notice: want the retest's verdict and the kept evidence:\n%s",
		         m->body);
	store_outboxes_free(&l);
	/* the complainant: the outcome, not the admin's letter (advice, contact) */
	expect_notice(f, inc, "repaired", "alice@example.org",
	              "Your report about 192.0.2.7: repaired");
	assert_int_equal(store_outbox_for(f->st, inc, &l), 0);
	m = find_notice(&l, "repaired", "alice@", "repaired");
	assert_non_null(m);
	if (!strstr(m->body, "found it closed") || strstr(m->body, "Keep it closed") ||
	    strstr(m->body, "Example Hosting"))
		fail_msg("repaired notice to the complainant:\n%s", m->body);
	store_outboxes_free(&l);

	/* over: nothing due, nothing queued again */
	size_t final = outbox_n(f, inc);
	now += 24 * HOUR;
	before = c.n;
	due(f, now, &c);
	assert_int_equal(c.n, before);
	assert_int_equal(outbox_n(f, inc), final);
	fx_free(f);
}

/* the ISP: sweeps find 192.0.2.7 open three times in 90 days; each
 * incident blocks at once, the third also suspends */
static void test_isp_ladder(void **state)
{
	struct fx *f = fx_new("contrib/policies/isp.conf");
	struct calls c = {0};
	long long now = T0;
	int64_t inc[3];

	for (int k = 0; k < 3; k++) {
		struct target_result r;

		result(&r, "192.0.2.7", V_OPEN, "test plain reached the sink");
		inc[k] = 0;
		if (desk_scan(f->d, &r, now, &inc[k]) != 1)
			fail_msg("desk_scan %d: %s", k, desk_error(f->d));
		result_clear(&r);
		expect_state(f, inc[k], "blocked");
		expect_notice(f, inc[k], "confirmed", "admin@example.net", "Open relay found");
		assert_int_equal(actions_n(f, "block"), (size_t)k + 1);
		/* the daily retest shows the repair */
		now += 24 * HOUR;
		int before = c.n;
		due(f, now, &c);
		assert_int_equal(c.n, before + 1);
		feed(f, inc[k], V_CLOSED, now);
		expect_state(f, inc[k], "repaired");
		now += 24 * HOUR;
	}
	assert_int_equal(actions_n(f, "suspend"), 1);
	assert_int_equal(actions_n(f, "terminate"), 0);
	expect_notice(f, inc[2], "suspend", "noc@noc.example.edu", "Suspend service");
	expect_notice(f, inc[0], "warning", "admin@example.net", "warning");
	fx_free(f);
}

/* body_of - the outbox body of the notice of step to rcpt (owned) */
static char *body_of(struct fx *f, int64_t inc, const char *step, const char *rcpt)
{
	struct store_outboxes l;
	char *b = NULL;

	assert_int_equal(store_outbox_for(f->st, inc, &l), 0);
	for (size_t i = 0; i < l.n && !b; i++)
		if (strcmp(l.v[i].step, step) == 0 && strstr(l.v[i].rcpt, rcpt))
			b = strdup(l.v[i].body);
	store_outboxes_free(&l);
	if (b == NULL)
		fail_msg("no %s notice to %s", step, rcpt);
	return b;
}

static void expect_in(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not in:\n%s", needle, hay);
}

/* a stored result (scan --json's form, as the store keeps it) */
static const char evidence_json[] =
    "{\"target\":\"192.0.2.7\",\"addr\":\"192.0.2.7\",\"port\":25,\"verdict\":\"open\","
    "\"reason\":\"relayed to the canary: 1 of 2 tests: percent-ip\",\"mta\":\"exim\","
    "\"host\":\"mx.example.net\",\"started\":1700000000,"
    "\"tests\":[{\"id\":\"plain\",\"trick\":\"plain recipient\",\"mail_from\":\"a@c.test\","
    "\"rcpt_to\":\"b@c.test\",\"stage\":\"mail\",\"bounced\":false},"
    "{\"id\":\"percent-ip\",\"trick\":\"percent hack\",\"mail_from\":\"p@[192.0.2.7]\","
    "\"rcpt_to\":\"p%c.test@[192.0.2.7]\",\"stage\":\"delivered\",\"bounced\":false}],"
    "\"arrivals\":[{\"test\":\"percent-ip\",\"time\":1700000003,\"peer\":\"192.0.2.7\","
    "\"quoted\":false,\"received\":[\"from mx.example.net (192.0.2.7) by sink.test\","
    "\"from rw (198.51.100.1) by mx.example.net\"]}],"
    "\"transcript\":[\"S: 220 mx.example.net ESMTP Exim 4.96\",\"C: MAIL FROM:<p@[192.0.2.7]>\","
    "\"S: 250 OK\"]}";

/* findings: a stored result's evidence reaches the notices, and a later
 * step without a result at hand (the block at the grace's end) still
 * quotes the evidence of the open result */
static void test_finding_evidence(void **state)
{
	struct fx *f = fx_new("contrib/policies/university.conf");
	struct calls c = {0};
	int64_t cid, inc = 0;
	long long now = T0;
	struct store_complaint cp = {.received_ms = now,
	                             .reporter = "alice@example.org",
	                             .addr = "192.0.2.7",
	                             .port = 25,
	                             .kind = "open-relay",
	                             .summary = "spam",
	                             .ref = "<r2@example.org>"};
	struct desk_finding fd = {.addr = "192.0.2.7",
	                          .port = 25,
	                          .verdict = V_OPEN,
	                          .reason = "relayed to the canary: 1 of 2 tests: percent-ip",
	                          .evidence = evidence_json};

	assert_int_equal(store_complaint_add(f->st, &cp, &cid), 1);
	assert_int_equal(desk_complaint(f->d, cid, now, &inc), 1);
	due(f, now, &c);
	now += 60 * 1000;
	if (desk_result_finding(f->d, inc, &fd, now) != 1)
		fail_msg("desk_result_finding: %s", desk_error(f->d));
	expect_state(f, inc, "confirmed");
	char *b = body_of(f, inc, "confirmed", "admin@");
	expect_in(b, "percent-ip (percent hack)");
	expect_in(b, "from rw (198.51.100.1) by mx.example.net");
	expect_in(b, "C: MAIL FROM:<p@[192.0.2.7]>");
	expect_in(b, "Exim");
	free(b);

	/* the grace passes with retests that cannot run (errors: never a repair) */
	struct store_outboxes l;
	assert_int_equal(store_outbox_for(f->st, inc, &l), 0);
	const struct store_outbox *m = find_notice(&l, "confirmed", "admin@", "Test results");
	assert_non_null(m);
	assert_int_equal(desk_notice_sent(f->d, m, now), 1);
	store_outboxes_free(&l);
	struct desk_finding err = {.addr = "192.0.2.7",
	                           .port = 25,
	                           .verdict = V_ERROR,
	                           .reason = "the retest could not run"};
	long long end = now + 48 * HOUR;
	while (now < end) {
		now += 6 * HOUR;
		int before = c.n;
		due(f, now, &c);
		if (c.n > before)
			assert_true(desk_result_finding(f->d, inc, &err, now) >= 0);
	}
	due(f, now, &c);
	expect_state(f, inc, "blocked");
	b = body_of(f, inc, "blocked", "admin@");
	expect_in(b, "Verdict: open");
	expect_in(b, "from rw (198.51.100.1) by mx.example.net");
	expect_in(b, "percent-ip (percent hack)");
	free(b);
	fx_free(f);
}

/* a repair found during the grace: repaired, and the notice lifts no block */
static void test_repair_in_grace(void **state)
{
	struct fx *f = fx_new("contrib/policies/university.conf");
	struct calls c = {0};
	int64_t cid, inc = 0;
	long long now = T0;
	struct store_complaint cp = {.received_ms = now,
	                             .reporter = "erin@example.org",
	                             .addr = "192.0.2.7",
	                             .port = 25,
	                             .kind = "open-relay",
	                             .summary = "spam",
	                             .ref = "<r4@example.org>"};

	assert_int_equal(store_complaint_add(f->st, &cp, &cid), 1);
	assert_int_equal(desk_complaint(f->d, cid, now, &inc), 1);
	due(f, now, &c);
	feed(f, inc, V_OPEN, now);
	struct store_outboxes l;
	assert_int_equal(store_outbox_for(f->st, inc, &l), 0);
	const struct store_outbox *m = find_notice(&l, "confirmed", "admin@", "Test results");
	assert_non_null(m);
	assert_int_equal(desk_notice_sent(f->d, m, now), 1);
	store_outboxes_free(&l);
	now += 6 * HOUR;
	int before = c.n;
	due(f, now, &c);
	assert_int_equal(c.n, before + 1);
	feed(f, inc, V_CLOSED, now);
	expect_state(f, inc, "repaired");
	assert_int_equal(actions_n(f, "unblock"), 0);
	expect_notice(f, inc, "repaired", "admin@example.net", "Repaired: 192.0.2.7");
	char *b = body_of(f, inc, "repaired", "admin@");
	expect_in(b, "no block will follow");
	free(b);
	fx_free(f);
}

/* operator commands: note, retest, close; a blocked incident cannot be closed */
static void test_commands(void **state)
{
	struct fx *f = fx_new("contrib/policies/university.conf");
	int64_t cid, inc = 0;
	long long now = T0;
	struct store_complaint cp = {.received_ms = now,
	                             .reporter = "bob@example.org",
	                             .addr = "192.0.2.7",
	                             .port = 25,
	                             .kind = "open-relay",
	                             .summary = "spam",
	                             .ref = "<r3@example.org>"};

	assert_int_equal(store_complaint_add(f->st, &cp, &cid), 1);
	assert_int_equal(desk_complaint(f->d, cid, now, &inc), 1);
	assert_int_equal(desk_command(f->d, inc, DESK_CMD_NOTE, "carol", "called the admin", now),
	                 1);
	assert_int_equal(desk_command(f->d, inc, DESK_CMD_NOTE, "carol", "", now), -1);
	assert_int_equal(desk_command(f->d, inc, DESK_CMD_RETEST, "carol", NULL, now), 1);
	assert_int_equal(desk_command(f->d, 999, DESK_CMD_RETEST, "carol", NULL, now), -1);
	struct store_events ev;
	assert_int_equal(store_events_list(f->st, inc, &ev), 0);
	int noted = 0;
	for (size_t i = 0; i < ev.n; i++)
		noted |= strstr(ev.v[i].detail, "\"user\":\"carol\"") &&
		         strstr(ev.v[i].detail, "called the admin");
	store_events_free(&ev);
	assert_true(noted);
	assert_int_equal(desk_command(f->d, inc, DESK_CMD_CLOSE, "carol", "false report", now), 1);
	expect_state(f, inc, "closed");
	assert_int_equal(desk_command(f->d, inc, DESK_CMD_CLOSE, "carol", "again", now), 0);
	assert_non_null(desk_error(f->d));
	assert_true(strlen(desk_error(f->d)) > 0);
	fx_free(f);
}

/* an open tinyproxy as the proxy probe stores it (issue 7) */
static const char proxy_json[] =
    "{\"target\":\"192.0.2.7:3128\",\"addr\":\"192.0.2.7\",\"port\":3128,\"probe\":\"proxy\","
    "\"verdict\":\"open\",\"reason\":\"http-connect: the canary's nonce came back through the "
    "proxy (egress 192.0.2.7)\",\"software\":\"tinyproxy/1.11.1\",\"egress\":\"192.0.2.7\","
    "\"canary\":\"127.0.0.1:2526\",\"started\":1700000000,\"finished\":1700000001,"
    "\"protocols\":[{\"proto\":\"http-connect\",\"verdict\":\"open\",\"reason\":\"nonce back\","
    "\"status\":200,\"software\":\"tinyproxy/1.11.1\",\"probe_id\":\"rwpconnect.01\","
    "\"sent\":\"CONNECT 127.0.0.1:2526 HTTP/1.1\\\\r\\\\n\\\\r\\\\n\","
    "\"received\":\"HTTP/1.1 200 Connection established\\\\r\\\\n\\\\r\\\\n220 canary rwp1-a\","
    "\"nonce\":\"rwp1-a\",\"egress\":\"192.0.2.7\"}]}";

/* the same proxy repaired: 403 for every protocol */
static const char proxy_closed_json[] =
    "{\"target\":\"192.0.2.7:3128\",\"addr\":\"192.0.2.7\",\"port\":3128,\"probe\":\"proxy\","
    "\"verdict\":\"closed\",\"reason\":\"http-connect: 403 Access denied\","
    "\"software\":\"tinyproxy/1.11.1\",\"egress\":null,\"canary\":\"127.0.0.1:2526\","
    "\"started\":1700090000,\"finished\":1700090001,\"protocols\":[{\"proto\":\"http-connect\","
    "\"verdict\":\"closed\",\"reason\":\"403\",\"status\":403,\"software\":\"tinyproxy/1.11.1\","
    "\"probe_id\":\"rwpconnect.02\",\"sent\":\"CONNECT\",\"received\":\"HTTP/1.1 403\","
    "\"nonce\":null,\"egress\":null}]}";

static const char *class_of(struct fx *f, int64_t inc)
{
	struct store_incident i;
	const char *k;

	assert_int_equal(store_incident_get(f->st, inc, &i), 1);
	k = desk_machine_class(i.machine);
	store_incident_clear(&i);
	return k;
}

/* an open proxy opens an incident as a relay does (the ISP: block at once,
 * retest, repair), with class open-proxy; a relay on port 25 of the same
 * address is another incident; an smtp result is no repair of the proxy */
static void test_proxy_incident(void **state)
{
	struct fx *f = fx_new("contrib/policies/isp.conf");
	struct calls c = {0};
	long long now = T0;
	int64_t px = 0, rl = 0;
	static const struct {
		const char *name, *probe, *evidence, *want;
	} classes[] = {
	    {"probe proxy", "proxy", NULL, DESK_CLASS_PROXY},
	    {"evidence proxy", NULL, proxy_json, DESK_CLASS_PROXY},
	    {"evidence without probe", NULL, evidence_json, DESK_CLASS_RELAY},
	    {"probe smtp", "smtp", proxy_json, DESK_CLASS_RELAY},
	};

	(void)state;
	struct desk_finding fp = {.addr = "192.0.2.7",
	                          .port = 3128,
	                          .verdict = V_OPEN,
	                          .reason = "http-connect: the canary's nonce came back",
	                          .evidence = proxy_json,
	                          .probe = "proxy"};
	if (desk_scan_finding(f->d, &fp, now, &px) != 1)
		fail_msg("desk_scan_finding: %s", desk_error(f->d));
	expect_state(f, px, "blocked");
	assert_string_equal(class_of(f, px), DESK_CLASS_PROXY);
	expect_notice(f, px, "confirmed", "admin@example.net", "Open proxy found at 192.0.2.7");
	char *b = body_of(f, px, "confirmed", "admin@");
	expect_in(b, "an open proxy at 192.0.2.7:3128");
	expect_in(b, "http-connect: open (status 200), egress 192.0.2.7");
	expect_in(b, "ConnectPort 443");
	expect_in(b, "relaywatch test --proxy 192.0.2.7:3128");
	if (strstr(b, "relay "))
		fail_msg("relay words in the proxy notice:\n%s", b);
	free(b);

	/* the relay on port 25 of the same host: its own incident */
	struct desk_finding fr = {.addr = "192.0.2.7",
	                          .port = 25,
	                          .verdict = V_OPEN,
	                          .reason = "relayed",
	                          .evidence = evidence_json};
	assert_int_equal(desk_scan_finding(f->d, &fr, now, &rl), 1);
	assert_true(rl > 0 && rl != px);
	assert_string_equal(class_of(f, rl), DESK_CLASS_RELAY);
	expect_notice(f, rl, "confirmed", "admin@example.net", "Open relay found at 192.0.2.7");

	/* the proxy's retest is handed out for the proxy probe */
	now += 24 * HOUR;
	c.n = 0;
	due(f, now, &c);
	assert_int_equal(c.n, 2);
	/* an smtp result on the proxy's port is no repair */
	struct desk_finding smtp = {.addr = "192.0.2.7",
	                            .port = 3128,
	                            .verdict = V_CLOSED,
	                            .reason = "all refused",
	                            .evidence = evidence_json,
	                            .probe = "smtp"};
	assert_int_equal(desk_result_finding(f->d, px, &smtp, now), 1);
	expect_state(f, px, "blocked");
	/* the proxy refuses now: repaired, unblocked */
	struct desk_finding closed = {.addr = "192.0.2.7",
	                              .port = 3128,
	                              .verdict = V_CLOSED,
	                              .reason = "http-connect: 403 Access denied",
	                              .evidence = proxy_closed_json};
	assert_int_equal(desk_result_finding(f->d, px, &closed, now), 1);
	expect_state(f, px, "repaired");
	expect_state(f, rl, "blocked");

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		struct desk_finding x = {.addr = "192.0.2.99",
		                         .port = 8000 + (unsigned)i,
		                         .verdict = V_OPEN,
		                         .reason = "open",
		                         .evidence = classes[i].evidence,
		                         .probe = classes[i].probe};
		int64_t id = 0;

		assert_int_equal(desk_scan_finding(f->d, &x, now, &id), 1);
		if (strcmp(class_of(f, id), classes[i].want) != 0)
			fail_msg("%s: got %s, want %s", classes[i].name, class_of(f, id),
			         classes[i].want);
	}
	fx_free(f);
}

/* the probe of a handed-out test follows the class; version 1 machines
 * (before classes) are relays */
static void test_proxy_complaint(void **state)
{
	struct fx *f = fx_new("contrib/policies/university.conf");
	struct calls c = {0};
	int64_t cid, inc = 0;
	long long now = T0;
	struct store_complaint cp = {.received_ms = now,
	                             .reporter = "alice@example.org",
	                             .addr = "192.0.2.7",
	                             .port = 3128,
	                             .kind = "open-proxy",
	                             .summary = "spam through a proxy",
	                             .ref = "<p1@example.org>"};

	(void)state;
	assert_int_equal(store_complaint_add(f->st, &cp, &cid), 1);
	assert_int_equal(desk_complaint(f->d, cid, now, &inc), 1);
	assert_string_equal(class_of(f, inc), DESK_CLASS_PROXY);
	expect_notice(f, inc, "opened", "admin@example.net",
	              "Open proxy complaint about 192.0.2.7");
	assert_int_equal(due(f, now, &c), 1);
	assert_string_equal(c.probe, "proxy");
	struct desk_finding fp = {.addr = "192.0.2.7",
	                          .port = 3128,
	                          .verdict = V_OPEN,
	                          .reason = "http-connect: the canary's nonce came back",
	                          .evidence = proxy_json};
	assert_int_equal(desk_result_finding(f->d, inc, &fp, now), 1);
	expect_state(f, inc, "confirmed");
	char *b = body_of(f, inc, "confirmed", "admin@");
	expect_in(b, "we tested the proxy at 192.0.2.7 port 3128");
	expect_in(b, "C: CONNECT 127.0.0.1:2526 HTTP/1.1");
	expect_in(b, "S: 220 canary rwp1-a");
	expect_in(b, "reached our canary (127.0.0.1:2526) from 192.0.2.7");
	free(b);
	assert_string_equal(desk_machine_class("{\"v\":1,\"state\":\"reported\"}"),
	                    DESK_CLASS_RELAY);
	assert_string_equal(
	    desk_machine_class("{\"v\":2,\"state\":\"reported\",\"class\":\"open-proxy\"}"),
	    DESK_CLASS_PROXY);
	assert_string_equal(desk_machine_class("not json"), DESK_CLASS_RELAY);
	assert_string_equal(desk_class_probe(DESK_CLASS_PROXY), "proxy");
	assert_string_equal(desk_class_probe(DESK_CLASS_RELAY), "smtp");
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_finding_evidence), cmocka_unit_test(test_commands),
	    cmocka_unit_test(test_repair_in_grace),  cmocka_unit_test(test_university),
	    cmocka_unit_test(test_isp_ladder),       cmocka_unit_test(test_proxy_incident),
	    cmocka_unit_test(test_proxy_complaint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
