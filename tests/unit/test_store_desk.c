/*
 * test_store_desk - the abuse desk's store calls (schema 3), on SQLite or
 * (RW_TEST_STORE_URL) on PostgreSQL: one suite, run twice (store_fx.h)
 *
 * Each test runs in its own mkdtemp directory (removed by the teardown)
 * with a store of its own. What the store cannot show about itself (row
 * counts, the append-only triggers, the unique index) is read or tried
 * through a second, raw connection of the same backend. The crash tests fork a writer that does its
 * writes inside a batch (or claims a notice), tell the parent, and are killed with SIGKILL before
 * the commit (or the mark): the parent then requires exactly the committed rows, and a replay
 * writes each once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/core/limits.h"
#include "../../src/store/store.h"
#include "../../src/store/store_int.h"

#include "store_fx.h"

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOW 1700000000LL
#define MS  (NOW * 1000)

struct fx {
	char dir[256];
	struct fx_db d;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/test_store_desk.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return fxdb_make(&f->d, f->dir);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fxdb_drop(&f->d);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct store *open_ready(const char *url)
{
	char err[RW_STORE_ERR_MAX];
	struct store *st = store_open(url, err, sizeof(err));

	if (st == NULL)
		fail_msg("open %s: %s", url, err);
	if (store_migrate(st, NOW) < 0)
		fail_msg("migrate %s: %s", url, store_error(st));
	return st;
}

/* contact - put one contact, failing the test on error */
static void contact(struct store *st, const char *net, const char *customer, int noc)
{
	struct store_contact c = {.netblock = net,
	                          .customer = customer,
	                          .account = "acct",
	                          .emails = "admin@example.net",
	                          .noc = noc,
	                          .updated_ms = MS};

	if (store_contact_put(st, &c, NULL) < 0)
		fail_msg("contact %s: %s", net, store_error(st));
}

/* open_inc - open an incident for (addr, port): store_incident_open's result */
static int open_inc(struct store *st, const char *addr, unsigned port, int64_t at, int64_t *id)
{
	struct store_incident inc = {.addr = addr,
	                             .port = port,
	                             .state = "reported",
	                             .policy = "university",
	                             .opened_ms = at,
	                             .machine = "{\"state\":\"reported\"}",
	                             .due_ms = at + 1000};
	struct store_event ev = {.at_ms = at, .kind = "complaint", .detail = "{}"};
	int rc = store_incident_open(st, &inc, &ev, id);

	if (rc < 0)
		fail_msg("incident open %s: %s", addr, store_error(st));
	return rc;
}

/* v2 -> current: a store at version 2 (as released) migrates; its rows stay */
static void test_migrate_v2(void **state)
{
	struct fx *f = *state;
	char err[RW_STORE_ERR_MAX];
	struct store *st;
	struct store_scans l;

	fxdb_at_version(&f->d, 2, "INSERT INTO scans (created, seed, total) VALUES (1, 2, 3)");
	st = store_open(f->d.url, err, sizeof(err));
	if (st == NULL)
		fail_msg("open v2: %s", err);
	assert_int_equal(store_schema_version(st), 2);
	{
		struct store_contact c;

		assert_int_equal(store_contact_for(st, "192.0.2.1", &c), -1);
		assert_non_null(strstr(store_error(st), "run migrate"));
	}
	assert_int_equal(store_migrate(st, NOW), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM schema_version"),
	                 STORE_SCHEMA_VERSION);
	assert_int_equal(fxdb_int(&f->d, "SELECT applied FROM schema_version WHERE version = 3"),
	                 NOW);
	assert_int_equal(store_scan_list(st, NULL, &l), 0);
	assert_int_equal(l.n, 1);
	store_scans_free(&l);
	contact(st, "0.0.0.0/0", "noc", 1);
	store_close(st);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM contacts"), 1);
	fxdb_integrity(&f->d);
}

/* longest prefix wins, for IPv4 and IPv6; the /0 is the NOC's fallback */
static void test_contacts(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	static const struct {
		const char *addr, *want; /* customer; NULL = none */
		int prefix;
	} cases[] = {
	    {"192.0.2.77", "host", 32},
	    {"192.0.2.78", "net25", 25},
	    {"192.0.2.200", "net24", 24},
	    {"192.0.3.1", "net16", 16},
	    {"198.51.100.1", "noc4", 0},
	    {"2001:db8:1:2::5", "v6-64", 64},
	    {"2001:db8:1:2:8000::1", "v6-65", 65},
	    {"2001:db8:1:3::5", "v6-48", 48},
	    {"2001:db8:ffff::1", "v6-32", 32},
	    {"2001:db9::1", "noc6", 0},
	    {"::ffff:192.0.2.77", "noc6", 0},
	};
	struct store_contact c;
	struct store_contacts l;
	int bad = 0;

	assert_int_equal(store_batch_begin(st, 0), 0); /* import: the caller's loop */
	contact(st, "0.0.0.0/0", "noc4", 1);
	contact(st, "::/0", "noc6", 1);
	contact(st, "192.0.0.0/16", "net16", 0);
	contact(st, "192.0.2.0/24", "net24", 0);
	contact(st, "192.0.2.0/25", "net25", 0);
	contact(st, "192.0.2.77", "host", 0);
	contact(st, "2001:db8::/32", "v6-32", 0);
	contact(st, "2001:DB8:1::/48", "v6-48", 0);
	contact(st, "2001:db8:1:2::/64", "v6-64", 0);
	contact(st, "2001:db8:1:2:8000::/65", "v6-65", 0);
	assert_int_equal(store_batch_commit(st), 0);
	/* 192.0.2.78 is in /25 (0..127); 2001:db8:1:2::5 is in the /64 but not the /65 */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = store_contact_for(st, cases[i].addr, &c);

		if (rc != 1 || strcmp(c.customer, cases[i].want) != 0 ||
		    c.prefix != cases[i].prefix) {
			print_error("%s: got %d %s/%d, want %s/%d\n", cases[i].addr, rc,
			            rc == 1 ? c.customer : "-", c.prefix, cases[i].want,
			            cases[i].prefix);
			bad++;
		}
		store_contact_clear(&c);
	}
	assert_int_equal(bad, 0);

	/* upsert by netblock (canonical: the /48 written another way) */
	{
		struct store_contact u = {.netblock = "2001:db8:1:0::/48",
		                          .customer = "v6-48b",
		                          .emails = "x@y",
		                          .updated_ms = MS + 1};

		assert_int_equal(store_contact_put(st, &u, NULL), 0);
		assert_int_equal(store_contact_for(st, "2001:db8:1:3::5", &c), 1);
		assert_string_equal(c.customer, "v6-48b");
		assert_string_equal(c.netblock, "2001:db8:1::/48");
		assert_string_equal(c.emails, "x@y");
		store_contact_clear(&c);
	}
	/* refused: host bits, bad prefix, not an address */
	{
		static const char *const nope[] = {
		    "192.0.2.1/24",  "192.0.2.0/33", "10.0.0.0/", "example.org/8", "",
		    "2001:db8::1/32"};

		for (size_t i = 0; i < sizeof(nope) / sizeof(nope[0]); i++) {
			struct store_contact u = {.netblock = nope[i], .updated_ms = MS};

			if (store_contact_put(st, &u, NULL) != -1)
				fail_msg("contact %s: got accepted, want refused", nope[i]);
		}
	}
	assert_int_equal(store_contact_for(st, "not-an-ip", &c), -1);
	/* without the defaults: none */
	assert_int_equal(store_contact_delete(st, "0.0.0.0/0"), 1);
	assert_int_equal(store_contact_delete(st, "0.0.0.0/0"), 0);
	assert_int_equal(store_contact_for(st, "198.51.100.1", &c), 0);
	assert_int_equal(store_contacts_list(st, NULL, &l), 0);
	assert_int_equal(l.n, 9);
	store_contacts_free(&l);
	store_close(st);
}

/* one open incident per (addr, port): the second open finds the first;
 * after it closes a new one may open; the index refuses a raw second one */
static void test_one_open_incident(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t a = 0, b = 0, c = 0, d = 0;
	struct store_incident inc;
	struct store_event ev = {.at_ms = MS + 50, .kind = "close", .detail = "{}"};

	assert_int_equal(open_inc(st, "192.0.2.7", 25, MS, &a), 1);
	assert_int_equal(open_inc(st, "192.0.2.7", 25, MS + 10, &b), 0);
	assert_int_equal(b, a);
	assert_int_equal(open_inc(st, "192.0.2.7", 587, MS, &c), 1); /* another port */
	assert_true(c != a);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM events"), 2);
	assert_int_equal(store_incident_open_for(st, "192.0.2.7", 25, &inc), 1);
	assert_int_equal(inc.id, a);
	assert_string_equal(inc.state, "reported");
	assert_int_equal(inc.rev, 1);
	/* a final state needs closed_ms (CHECK), and then frees the slot */
	{
		struct store_incident bad = inc;

		bad.state = "closed";
		assert_int_equal(store_incident_update(st, &bad, &ev), -1);
	}
	{
		struct store_incident w = inc; /* inc's strings stay owned by inc */

		w.state = "closed";
		w.closed_ms = w.updated_ms = MS + 50;
		assert_int_equal(store_incident_update(st, &w, &ev), 1);
	}
	store_incident_clear(&inc);
	assert_int_equal(store_incident_open_for(st, "192.0.2.7", 25, &inc), 0);
	assert_int_equal(open_inc(st, "192.0.2.7", 25, MS + 60, &d), 1);
	assert_true(d != a);
	assert_int_equal(fxdb_try(&f->d, "INSERT INTO incidents (addr, port, state, opened_ms,"
	                                 " updated_ms) VALUES ('192.0.2.7', 25, 'testing', 1, 1)"),
	                 1);
	store_close(st);
}

/* update: state and event together; a stale rev writes nothing; events
 * refuse UPDATE and DELETE; due incidents by time */
static void test_update_events_due(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t a, b;
	struct store_incident inc, old;
	struct store_incidents l;
	struct store_events evs;
	struct store_event ev = {
	    .at_ms = MS + 5, .kind = "scan-open", .detail = "{\"verdict\":\"open\"}"};

	open_inc(st, "192.0.2.7", 25, MS, &a);
	open_inc(st, "2001:db8::7", 25, MS + 1, &b); /* due MS + 1001 */
	assert_int_equal(store_incident_get(st, a, &inc), 1);
	assert_int_equal(store_incident_get(st, a, &old), 1);
	{
		struct store_incident w = inc, w2 = old;

		w.state = "confirmed";
		w.updated_ms = MS + 5;
		w.due_ms = MS + 5000;
		w.level = 1;
		assert_int_equal(store_incident_update(st, &w, &ev), 1);
		/* a writer that read rev 1 too: stale, nothing written */
		w2.state = "closed";
		w2.closed_ms = MS + 6;
		assert_int_equal(store_incident_update(st, &w2, &ev), 0);
	}
	store_incident_clear(&old);
	store_incident_clear(&inc);
	assert_int_equal(store_incident_get(st, a, &inc), 1);
	assert_string_equal(inc.state, "confirmed");
	assert_int_equal(inc.rev, 2);
	assert_int_equal(inc.level, 1);
	store_incident_clear(&inc);
	assert_int_equal(store_events_list(st, a, &evs), 0);
	assert_int_equal(evs.n, 2);
	assert_string_equal(evs.v[1].kind, "scan-open");
	assert_string_equal(evs.v[1].detail, "{\"verdict\":\"open\"}");
	store_events_free(&evs);
	/* append-only */
	assert_int_equal(fxdb_try(&f->d, "UPDATE events SET kind = 'x'"), 1);
	assert_int_equal(fxdb_try(&f->d, "DELETE FROM events"), 1);
	assert_int_equal(fxdb_try(&f->d, "DELETE FROM incidents"), 1);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM events"), 3);
	/* due: b at MS + 1001, a at MS + 5000 */
	assert_int_equal(store_incidents_due(st, MS + 1000, 0, &l), 0);
	assert_int_equal(l.n, 0);
	store_incidents_free(&l);
	assert_int_equal(store_incidents_due(st, MS + 5000, 0, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].id, b);
	assert_int_equal(l.v[1].id, a);
	store_incidents_free(&l);
	/* listing by state, paged, newest first */
	assert_int_equal(store_incidents_list(st, "reported", NULL, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].id, b);
	store_incidents_free(&l);
	{
		struct store_page pg = {.limit = 1, .offset = 1};
		int64_t n;

		assert_int_equal(store_incidents_list(st, NULL, &pg, &l), 0);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.v[0].id, a);
		store_incidents_free(&l);
		assert_int_equal(store_incidents_count(st, NULL, &n), 0);
		assert_int_equal(n, 2);
	}
	store_close(st);
}

/* the outbox: queue once per Message-ID; claim, lease expiry re-sends the
 * same Message-ID; sent is never claimed again; retry and failed */
static void test_outbox(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t inc, id1, id2, again;
	struct store_outbox m = {.step = "confirmed",
	                         .rcpt = "admin@example.net",
	                         .subject = "open relay",
	                         .body = "hello",
	                         .message_id = "<rw.1.confirmed@desk.example>",
	                         .queued_ms = MS};
	struct store_outbox got;

	open_inc(st, "192.0.2.7", 25, MS, &inc);
	m.incident = inc;
	assert_int_equal(store_outbox_queue(st, &m, &id1), 1);
	assert_int_equal(store_outbox_queue(st, &m, &again), 0); /* a replay */
	m.message_id = "<rw.1.opened@desk.example>";
	m.next_ms = MS + 100;
	assert_int_equal(store_outbox_queue(st, &m, &id2), 1);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM outbox"), 2);

	assert_int_equal(store_outbox_claim(st, MS, 1000, &got), 1);
	assert_int_equal(got.id, id1);
	assert_string_equal(got.state, "sending");
	assert_string_equal(got.message_id, "<rw.1.confirmed@desk.example>");
	assert_int_equal(got.attempts, 1);
	store_outbox_clear(&got);
	/* the sender "dies": nothing due until the lease ends (id2 at MS + 100) */
	assert_int_equal(store_outbox_claim(st, MS + 50, 1000, &got), 0);
	assert_int_equal(store_outbox_claim(st, MS + 100, 1000, &got), 1);
	assert_int_equal(got.id, id2);
	assert_int_equal(store_outbox_sent(st, id2, MS + 101), 1);
	assert_int_equal(store_outbox_sent(st, id2, MS + 102), 0);
	store_outbox_clear(&got);
	/* lease over: the same message, the same Message-ID, attempt 2 */
	assert_int_equal(store_outbox_claim(st, MS + 1000, 1000, &got), 1);
	assert_int_equal(got.id, id1);
	assert_string_equal(got.message_id, "<rw.1.confirmed@desk.example>");
	assert_int_equal(got.attempts, 2);
	store_outbox_clear(&got);
	assert_int_equal(store_outbox_retry(st, id1, MS + 5000, "451 try later"), 1);
	assert_int_equal(store_outbox_retry(st, id1, MS + 5000, "again"), 0); /* not sending */
	assert_int_equal(store_outbox_claim(st, MS + 4999, 1000, &got), 0);
	assert_int_equal(store_outbox_claim(st, MS + 5000, 1000, &got), 1);
	assert_int_equal(got.attempts, 3);
	assert_string_equal(got.last_error, "451 try later");
	store_outbox_clear(&got);
	assert_int_equal(store_outbox_failed(st, id1, "550 no such user"), 1);
	/* sent and failed are never claimed again, however late */
	assert_int_equal(store_outbox_claim(st, MS + 1000000000LL, 1000, &got), 0);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'"), 1);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM outbox WHERE state = 'failed'"), 1);
	{
		struct store_outbox bad = m;

		bad.message_id = "";
		assert_int_equal(store_outbox_queue(st, &bad, NULL), -1);
	}
	store_close(st);
}

/* actions: pending -> applied -> lifted; failed; active blocks */
static void test_actions(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t inc, b1, b2, s1, u1;
	struct store_actions l;
	struct store_action a = {
	    .kind = "block", .what = "outbound", .addr = "192.0.2.7", .requested_ms = MS};

	open_inc(st, "192.0.2.7", 25, MS, &inc);
	a.incident = inc;
	assert_int_equal(store_action_add(st, &a, &b1), 0);
	a.addr = "2001:db8::7";
	a.what = "inbound";
	assert_int_equal(store_action_add(st, &a, &b2), 0);
	a.kind = "suspend";
	a.what = NULL;
	assert_int_equal(store_action_add(st, &a, &s1), 0);
	a.kind = "reboot";
	assert_int_equal(store_action_add(st, &a, NULL), -1);
	a.kind = "block";
	a.what = "sideways";
	assert_int_equal(store_action_add(st, &a, NULL), -1);

	assert_int_equal(store_actions_pending(st, 0, 0, &l), 0);
	assert_int_equal(l.n, 3);
	store_actions_free(&l);
	assert_int_equal(store_actions_pending(st, b1, 1, &l), 0); /* paged by id */
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].id, b2);
	store_actions_free(&l);
	assert_int_equal(store_action_lifted(st, b1, MS + 1), 0); /* not applied yet */
	assert_int_equal(store_action_applied(st, b1, MS + 1), 1);
	assert_int_equal(store_action_failed(st, b2, MS + 1, "nft: no such table"), 1);
	assert_int_equal(store_action_applied(st, b2, MS + 2), 1); /* a retry worked */
	assert_int_equal(store_action_applied(st, s1, MS + 2), 1);
	assert_int_equal(store_blocks_active(st, 0, 0, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].what, "outbound");
	assert_int_equal(l.v[0].applied_ms, MS + 1);
	store_actions_free(&l);
	/* the repair: an unblock, applied, lifts the block */
	a.kind = "unblock";
	a.what = "outbound";
	a.addr = "192.0.2.7";
	assert_int_equal(store_batch_begin(st, STORE_DURABLE), 0);
	assert_int_equal(store_action_add(st, &a, &u1), 0);
	assert_int_equal(store_action_applied(st, u1, MS + 3), 1);
	assert_int_equal(store_action_lifted(st, b1, MS + 3), 1);
	assert_int_equal(store_batch_commit(st), 0);
	assert_int_equal(store_blocks_active(st, 0, 0, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].id, b2);
	store_actions_free(&l);
	assert_int_equal(store_actions_pending(st, 0, 0, &l), 0);
	assert_int_equal(l.n, 0);
	store_actions_free(&l);
	store_close(st);
}

/* complaints (raw capped, refs kept once), the timeline and the report */
static void test_timeline_report(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	size_t big = RW_STORE_RAW_MAX + 10;
	char *raw = malloc(big);
	int64_t c1, c2, inc, inc2, act;
	struct store_complaints cl;
	struct store_timeline tl;
	struct store_report r;
	struct store_complaint c = {.received_ms = MS,
	                            .reporter = "alice@example.org",
	                            .addr = "192.0.2.7",
	                            .port = 25,
	                            .kind = "open-relay",
	                            .summary = "spam via your relay",
	                            .raw = raw,
	                            .raw_len = big,
	                            .ref = "<report-1@example.org>"};

	memset(raw, 'x', big);
	assert_int_equal(store_complaint_add(st, &c, &c1), 1);
	assert_int_equal(store_complaint_add(st, &c, &c2), 0); /* redelivered */
	assert_int_equal(c2, c1);
	c.ref = NULL; /* no ref: every one kept */
	c.raw_len = 5;
	assert_int_equal(store_complaint_add(st, &c, &c2), 1);
	assert_int_equal(store_complaint_add(st, &c, NULL), 1);
	free(raw);
	open_inc(st, "192.0.2.7", 25, MS + 1, &inc);
	assert_int_equal(store_complaint_attach(st, c1, inc), 1);
	assert_int_equal(store_complaint_attach(st, 999, inc), 0);
	assert_int_equal(store_complaints_for(st, inc, &cl), 0);
	assert_int_equal(cl.n, 1);
	assert_int_equal(cl.v[0].raw_len, RW_STORE_RAW_MAX);
	assert_int_equal(cl.v[0].raw_size, RW_STORE_RAW_MAX + 10);
	assert_string_equal(cl.v[0].ref, "<report-1@example.org>");
	store_complaints_free(&cl);

	{
		struct store_incident i;
		struct store_event esc = {.at_ms = MS + 3, .kind = STORE_EVENT_ESCALATE};
		struct store_event rep = {.at_ms = MS + 9, .kind = "test-clean"};
		struct store_outbox m = {.incident = inc,
		                         .step = "confirmed",
		                         .rcpt = "a@b",
		                         .subject = "results",
		                         .message_id = "<m1@x>",
		                         .queued_ms = MS + 2};
		struct store_action a = {.incident = inc,
		                         .kind = "block",
		                         .what = "outbound",
		                         .addr = "192.0.2.7",
		                         .requested_ms = MS + 4};

		struct store_incident w;

		assert_int_equal(store_incident_get(st, inc, &i), 1);
		w = i;
		w.state = "blocked";
		w.updated_ms = MS + 3;
		w.level = 1;
		assert_int_equal(store_batch_begin(st, 0), 0);
		assert_int_equal(store_incident_update(st, &w, &esc), 1);
		assert_int_equal(store_outbox_queue(st, &m, NULL), 1);
		assert_int_equal(store_action_add(st, &a, &act), 0);
		assert_int_equal(store_batch_commit(st), 0);
		assert_int_equal(store_action_applied(st, act, MS + 5), 1);
		w.rev++;
		w.state = "repaired";
		w.updated_ms = w.closed_ms = MS + 9;
		assert_int_equal(store_incident_update(st, &w, &rep), 1);
		store_incident_clear(&i);
	}
	assert_int_equal(store_incident_timeline(st, inc, &tl), 0);
	{
		static const struct {
			const char *source, *kind;
			int64_t at;
		} want[] = {
		    {"complaint", "open-relay", MS}, {"event", "complaint", MS + 1},
		    {"outbox", "confirmed", MS + 2}, {"event", "escalate", MS + 3},
		    {"action", "block", MS + 4},     {"event", "test-clean", MS + 9},
		};

		assert_int_equal(tl.n, sizeof(want) / sizeof(want[0]));
		for (size_t i = 0; i < tl.n; i++) {
			if (strcmp(tl.v[i].source, want[i].source) != 0 ||
			    strcmp(tl.v[i].kind, want[i].kind) != 0 || tl.v[i].at_ms != want[i].at)
				fail_msg("timeline %zu: got %s %s %lld, want %s %s %lld", i,
				         tl.v[i].source, tl.v[i].kind, (long long)tl.v[i].at_ms,
				         want[i].source, want[i].kind, (long long)want[i].at);
		}
		assert_string_equal(tl.v[4].state, "applied");
		assert_string_equal(tl.v[4].text, "outbound 192.0.2.7");
	}
	store_timeline_free(&tl);

	/* a second repaired incident (30 ms) and an open one: median of 8 and 30 */
	open_inc(st, "192.0.2.8", 25, MS + 20, &inc2);
	{
		struct store_incident i, w;
		struct store_event rep = {.at_ms = MS + 50, .kind = "test-clean"};

		assert_int_equal(store_incident_get(st, inc2, &i), 1);
		w = i;
		w.state = "repaired";
		w.updated_ms = w.closed_ms = MS + 50;
		assert_int_equal(store_incident_update(st, &w, &rep), 1);
		store_incident_clear(&i);
	}
	open_inc(st, "192.0.2.9", 25, MS + 60, NULL);
	assert_int_equal(store_report(st, MS, &r), 0);
	assert_int_equal(r.found, 3);
	assert_int_equal(r.repaired, 2);
	assert_int_equal(r.repair_median_ms, (8 + 30) / 2);
	assert_int_equal(r.blocks, 1);
	assert_int_equal(r.escalations, 1);
	assert_int_equal(r.complaints, 3);
	assert_int_equal(store_report(st, MS + 21, &r), 0);
	assert_int_equal(r.found, 1);
	assert_int_equal(r.repaired, 1);
	assert_int_equal(r.repair_median_ms, 30);
	assert_int_equal(r.blocks, 0);
	store_close(st);
}

/* the child: inside one batch, a complaint, an incident update with its
 * event, a queued notice and a block; killed before the commit */
static void crash_writer(const char *db, int64_t inc, int pipefd)
{
	char err[RW_STORE_ERR_MAX];
	struct store *c = store_open(db, err, sizeof(err));
	struct store_incident i;
	struct store_event ev = {.at_ms = MS + 10, .kind = "test-open"};
	struct store_outbox m = {.incident = inc,
	                         .step = "confirmed",
	                         .rcpt = "a@b",
	                         .message_id = "<crash@x>",
	                         .queued_ms = MS + 10};
	struct store_action a = {.incident = inc,
	                         .kind = "block",
	                         .what = "both",
	                         .addr = "192.0.2.7",
	                         .requested_ms = MS + 10};
	struct store_complaint cp = {.received_ms = MS + 10,
	                             .addr = "192.0.2.7",
	                             .port = 25,
	                             .incident = inc,
	                             .ref = "<r@x>"};

	if (c == NULL || store_migrate(c, NOW) < 0 || store_incident_get(c, inc, &i) != 1)
		_exit(20);
	if (store_batch_begin(c, STORE_DURABLE) < 0)
		_exit(21);
	i.state = "confirmed";
	i.updated_ms = MS + 10;
	if (store_complaint_add(c, &cp, NULL) != 1 || store_incident_update(c, &i, &ev) != 1 ||
	    store_outbox_queue(c, &m, NULL) != 1 || store_action_add(c, &a, NULL) != 0)
		_exit(22);
	if (write(pipefd, "w", 1) != 1)
		_exit(23);
	for (;;)
		pause(); /* killed here, before the commit */
}

/* kill -9 inside the batch: the parent sees none of it; the replay then
 * writes each row once */
static void test_crash_in_batch(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t inc;
	int p[2], wst;
	char b;
	pid_t pid;
	struct store_incident i;

	open_inc(st, "192.0.2.7", 25, MS, &inc);
	store_close(st);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		crash_writer(f->d.url, inc, p[1]);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &b, 1), 1); /* every write done, none committed */
	close(p[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	if (!WIFSIGNALED(wst) || WTERMSIG(wst) != SIGKILL)
		fail_msg("writer: got status 0x%x, want killed by SIGKILL", wst);

	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM events"), 1);
	assert_int_equal(fxdb_int(&f->d, "SELECT rev FROM incidents"), 1);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM incidents WHERE state = 'reported'"),
	                 1);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM outbox"), 0);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM actions"), 0);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM complaints"), 0);

	/* the restarted daemon replays the same step: all of it, once */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[RW_STORE_ERR_MAX];
		struct store *c = store_open(f->d.url, err, sizeof(err));
		struct store_event ev = {.at_ms = MS + 10, .kind = "test-open"};
		struct store_outbox m = {.incident = inc,
		                         .step = "confirmed",
		                         .rcpt = "a@b",
		                         .message_id = "<crash@x>",
		                         .queued_ms = MS + 10};

		if (c == NULL || store_migrate(c, NOW) < 0 || store_incident_get(c, inc, &i) != 1)
			_exit(20);
		struct store_incident w = i;

		w.state = "confirmed";
		w.updated_ms = MS + 10;
		if (store_batch_begin(c, 0) < 0 || store_incident_update(c, &w, &ev) != 1 ||
		    store_outbox_queue(c, &m, NULL) != 1 || store_batch_commit(c) < 0)
			_exit(21);
		/* a replay of the committed step is stale and queues nothing */
		if (store_incident_update(c, &w, &ev) != 0 || store_outbox_queue(c, &m, NULL) != 0)
			_exit(22);
		store_incident_clear(&i);
		store_close(c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
		fail_msg("replayer: got status 0x%x, want exit 0", wst);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM events"), 2);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM outbox"), 1);
	assert_int_equal(fxdb_int(&f->d, "SELECT rev FROM incidents"), 2);
}

/* kill -9 of a sender between claim and mark: the restarted sender gets
 * the same Message-ID after the lease; a sent one never comes back */
static void test_crash_sender(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	struct store_outbox m = {.rcpt = "a@b", .message_id = "<lease@x>", .queued_ms = MS};
	struct store_outbox got;
	int p[2], wst;
	char b;
	pid_t pid;

	assert_int_equal(store_outbox_queue(st, &m, NULL), 1);
	m.message_id = "<done@x>";
	assert_int_equal(store_outbox_queue(st, &m, NULL), 1);
	store_close(st);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[RW_STORE_ERR_MAX];
		struct store *c = store_open(f->d.url, err, sizeof(err));
		struct store_outbox one, two;

		close(p[0]);
		if (c == NULL || store_migrate(c, NOW) < 0)
			_exit(20);
		/* the first is "handed to the smarthost", the process dies before
		 * marking it; the second is sent and marked */
		if (store_outbox_claim(c, MS, 60000, &one) != 1 ||
		    store_outbox_claim(c, MS, 60000, &two) != 1 ||
		    store_outbox_sent(c, two.id, MS + 1) != 1)
			_exit(21);
		if (write(p[1], "w", 1) != 1)
			_exit(22);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &b, 1), 1);
	close(p[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);

	st = open_ready(f->d.url);
	assert_int_equal(store_outbox_claim(st, MS + 59999, 60000, &got), 0); /* leased */
	assert_int_equal(store_outbox_claim(st, MS + 60000, 60000, &got), 1);
	assert_string_equal(got.message_id, "<lease@x>");
	assert_int_equal(got.attempts, 2);
	assert_int_equal(store_outbox_sent(st, got.id, MS + 60001), 1);
	store_outbox_clear(&got);
	assert_int_equal(store_outbox_claim(st, MS + 1000000000LL, 60000, &got), 0);
	store_close(st);
}

/* several senders claim at once: every due notice goes to exactly one of
 * them (SQLite: the write lock; PostgreSQL: FOR UPDATE SKIP LOCKED) */
static void test_claim_race(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	enum { MSGS = 60, SENDERS = 3 };
	int p[2], seen[MSGS + 1] = {0}, total = 0;
	pid_t pids[SENDERS];
	int64_t first = 0, id;

	for (int i = 0; i < MSGS; i++) {
		char mid[64];
		struct store_outbox m = {.rcpt = "a@b", .message_id = mid, .queued_ms = MS};

		snprintf(mid, sizeof(mid), "<race-%d@x>", i);
		assert_int_equal(store_outbox_queue(st, &m, &id), 1);
		if (i == 0)
			first = id;
	}
	store_close(st);
	assert_int_equal(pipe(p), 0);
	for (int k = 0; k < SENDERS; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			char err[RW_STORE_ERR_MAX];
			struct store *c = store_open(f->d.url, err, sizeof(err));
			struct store_outbox got;
			int rc;

			close(p[0]);
			if (c == NULL)
				_exit(20);
			while ((rc = store_outbox_claim(c, MS, 3600000, &got)) == 1) {
				int64_t n = got.id - first;

				if (write(p[1], &n, sizeof(n)) != sizeof(n))
					_exit(21);
				store_outbox_clear(&got);
			}
			store_close(c);
			_exit(rc == 0 ? 0 : 22);
		}
	}
	close(p[1]);
	for (int64_t n; read(p[0], &n, sizeof(n)) == sizeof(n); total++) {
		if (n < 0 || n >= MSGS)
			fail_msg("claimed id %lld: not one of the queued", (long long)(n + first));
		seen[n]++;
	}
	close(p[0]);
	for (int k = 0; k < SENDERS; k++) {
		int wst;

		assert_int_equal(waitpid(pids[k], &wst, 0), pids[k]);
		if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
			fail_msg("sender %d: got status 0x%x, want exit 0", k, wst);
	}
	for (int i = 0; i < MSGS; i++)
		if (seen[i] != 1)
			fail_msg("notice %d: claimed %d times, want once", i, seen[i]);
	assert_int_equal(total, MSGS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrate_v2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contacts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_open_incident, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_events_due, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeline_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_in_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_sender, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claim_race, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
