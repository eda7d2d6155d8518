/*
 * test_store - the store interface, on SQLite or (RW_TEST_STORE_URL) on
 * PostgreSQL: one suite, run by make check and by store_pg.sh
 *
 * Each test runs in its own mkdtemp directory (removed by the teardown)
 * with a store of its own (store_fx.h: a file, or a PostgreSQL schema).
 * Checks the store cannot make about itself (row counts; SQLite's journal
 * mode and integrity) read the database through a second, raw connection.
 * Failures print "what: got X, want Y". The crash tests fork a writer
 * and kill it with SIGKILL between or inside batches; the parent then
 * reopens the file and requires exactly the committed rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/core/limits.h"
#include "../../src/store/store.h"

#include "store_fx.h"

#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOW 1700000000LL

struct fx {
	char dir[256];
	struct fx_db d;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/test_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
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

/* open_ready - open and migrate, failing the test on error */
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

/* sq_int - first column of sql on a separate SQLite connection */
static int64_t sq_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

/* sq_exec - run sql on a separate SQLite connection */
static void sq_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static int64_t new_scan(struct store *st, uint64_t seed, int64_t total, const char *params)
{
	struct store_scan sc = {
	    .created = NOW, .seed = seed, .total = total, .params = (char *)params};
	int64_t id = 0;

	if (store_scan_create(st, &sc, &id) < 0)
		fail_msg("scan create: %s", store_error(st));
	assert_true(id > 0);
	return id;
}

/* put - one smtp result for 192.0.2.(i % 256) / port 25 + i / 256 */
static int put(struct store *st, int64_t scan, int i, const char *verdict)
{
	char target[64];
	struct store_result r = {
	    .scan = scan,
	    .target = target,
	    .port = 25 + (unsigned)(i / 256),
	    .probe = "smtp",
	    .vantage = "",
	    .verdict = verdict,
	    .reason = "test",
	    .evidence = "{\"i\":1}",
	    .tested = NOW + i,
	};

	snprintf(target, sizeof(target), "192.0.2.%d", i % 256);
	return store_result_put(st, &r, NULL);
}

static int64_t count(struct store *st, int64_t scan, const char *verdict)
{
	int64_t n = -1;

	if (store_results_count(st, scan, verdict, &n) < 0)
		fail_msg("count: %s", store_error(st));
	return n;
}

/* create, migrate, reopen: idempotent, one schema_version row; SQLite:
 * missing directories made, WAL, its application_id; PostgreSQL: the
 * schema_version comment that marks the schema as ours */
static void test_create_migrate_reopen(void **state)
{
	struct fx *f = *state;
	struct fx_db d = f->d;
	char err[RW_STORE_ERR_MAX], buf[64];
	struct store *st;
	struct store_scans l;

	if (!d.pg)
		snprintf(d.url, sizeof(d.url), "%s/a/b/c/relay.db", f->dir);
	st = store_open(d.url, err, sizeof(err));
	if (st == NULL)
		fail_msg("open: %s", err);
	assert_string_equal(store_backend(st), d.pg ? "postgresql" : "sqlite");
	assert_int_equal(store_schema_version(st), 0);
	/* data calls refuse an old schema */
	assert_int_equal(store_scan_list(st, NULL, &l), -1);
	assert_non_null(strstr(store_error(st), "run migrate"));
	assert_int_equal(store_migrate(st, NOW), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_migrate(st, NOW + 1), 0); /* again: nothing to do */
	new_scan(st, 1, 10, "{}");
	store_close(st);

	for (int round = 0; round < 2; round++) {
		st = store_open(d.url, err, sizeof(err));
		if (st == NULL)
			fail_msg("reopen: %s", err);
		assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
		assert_int_equal(store_migrate(st, NOW + 2), 0);
		assert_int_equal(store_scan_list(st, NULL, &l), 0);
		assert_int_equal(l.n, 1);
		store_scans_free(&l);
		store_close(st);
	}
	assert_int_equal(fxdb_int(&d, "SELECT COUNT(*) FROM schema_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(fxdb_int(&d, "SELECT applied FROM schema_version WHERE version = 1"), NOW);
	if (d.pg) {
		assert_string_equal(fxdb_text(&d,
		                              "SELECT obj_description('schema_version'::regclass,"
		                              " 'pg_class')",
		                              buf, sizeof(buf)),
		                    STORE_PG_MARK);
		return;
	}
	assert_string_equal(fxdb_text(&d, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	assert_int_equal(fxdb_int(&d, "PRAGMA application_id"), 0x72777374);
	fxdb_integrity(&d);
}

/* new files 0600 (with the -wal and -shm), new directories 0700, whatever the umask */
static void test_modes(void **state)
{
	struct fx *f = *state;
	char path[512], p[600];
	mode_t old = umask(002);
	struct store *st;
	struct stat sb;
	static const char *const files[] = {"", "-wal", "-shm"};
	static const char *const dirs[] = {"/x", "/x/y"};

	fxdb_sqlite_only(&f->d, "file and directory modes");
	snprintf(path, sizeof(path), "%s/x/y/store.db", f->dir);
	snprintf(p, sizeof(p), "sqlite:%s", path);
	st = open_ready(p);
	new_scan(st, 1, 1, "{}"); /* the -wal and -shm exist while st is open */
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, files[i]);
		if (stat(p, &sb) < 0)
			fail_msg("%s: missing", p);
		if ((sb.st_mode & 07777) != 0600)
			fail_msg("%s: got mode %04o, want 0600", p, (unsigned)(sb.st_mode & 07777));
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->dir, dirs[i]);
		assert_int_equal(stat(p, &sb), 0);
		if ((sb.st_mode & 07777) != 0700)
			fail_msg("%s: got mode %04o, want 0700", p, (unsigned)(sb.st_mode & 07777));
	}
	store_close(st);
	umask(old);
}

/* URLs: the registry, PostgreSQL's forms (a socket that is not there:
 * refused at once, the password never in the error), bad locations,
 * foreign files */
static void test_urls(void **state)
{
	struct fx *f = *state;
	char foreign[512], garbage[512], plain[512], prefixed[512];
	static const struct {
		const char *name;
		const char *url;      /* "%s" is the test directory */
		const char *want_err; /* NULL: opens */
	} cases[] = {
	    {"postgresql", "postgresql://rw:s3cret@/relaywatch?host=%s/none",
	     "postgresql: postgresql://rw:***@/relaywatch?host="},
	    {"postgres", "postgres:///relaywatch?host=%s/none", "connection to server"},
	    {"password in the query", "postgresql:///rw?host=%s/none&password=s3cret",
	     "password=***"},
	    {"keywords", "host=%s/none dbname=relaywatch password='s3cret'",
	     "connection to server"},
	    {"bad escape in the password", "postgresql://rw:s3cret%%zz@/x?host=%s/none",
	     "percent-encoded"},
	    {"keyword-like file", "%s/host=x.db", NULL},
	    {"empty", "", "empty database location"},
	    {"empty sqlite", "sqlite:", "empty database location"},
	    {"memory", ":memory:", NULL},
	    {"sqlite memory", "sqlite::memory:", NULL},
	    {"plain", "%s/plain.db", NULL},
	    {"prefixed", "sqlite:%s/prefixed.db", NULL},
	    {"colon in name", "%s/odd:name.db", NULL},
	    {"garbage", "%s/garbage.db", "file is not a database"},
	    {"foreign", "%s/foreign.db", "not a relaywatch database"},
	    {"under a file", "%s/garbage.db/x.db", "Not a directory"},
	};
	int bad = 0;
	FILE *fp;

	assert_non_null(store_by_name("sqlite"));
	assert_non_null(store_by_name("postgresql"));
	assert_null(store_by_name("nope"));

	snprintf(garbage, sizeof(garbage), "%s/garbage.db", f->dir);
	fp = fopen(garbage, "w");
	assert_non_null(fp);
	for (int i = 0; i < 512; i++)
		fputs("not sqlite at all ", fp);
	fclose(fp);
	snprintf(foreign, sizeof(foreign), "%s/foreign.db", f->dir);
	sq_exec(foreign, "CREATE TABLE mail (id INTEGER PRIMARY KEY, body TEXT)");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char url[600], err[RW_STORE_ERR_MAX] = "";
		struct store *st;

		snprintf(url, sizeof(url), cases[i].url, f->dir);
		st = store_open(url, err, sizeof(err));
		if (cases[i].want_err == NULL && st == NULL) {
			print_error("%s: got error \"%s\", want an open store\n", cases[i].name,
			            err);
			bad++;
		} else if (cases[i].want_err != NULL && st != NULL) {
			print_error("%s: got an open store, want \"%s\"\n", cases[i].name,
			            cases[i].want_err);
			bad++;
		} else if (cases[i].want_err != NULL && strstr(err, cases[i].want_err) == NULL) {
			print_error("%s: got \"%s\", want \"%s\"\n", cases[i].name, err,
			            cases[i].want_err);
			bad++;
		} else if (strstr(err, "s3cret") != NULL) {
			print_error("%s: got \"%s\", the password shown\n", cases[i].name, err);
			bad++;
		} else if (st != NULL && store_migrate(st, NOW) < 0) {
			print_error("%s: migrate: %s\n", cases[i].name, store_error(st));
			bad++;
		}
		store_close(st);
	}
	/* both spellings reach the same file */
	snprintf(plain, sizeof(plain), "%s/plain.db", f->dir);
	snprintf(prefixed, sizeof(prefixed), "%s/prefixed.db", f->dir);
	assert_int_equal(sq_int(plain, "PRAGMA application_id"), 0x72777374);
	assert_int_equal(sq_int(prefixed, "PRAGMA application_id"), 0x72777374);
	assert_int_equal(bad, 0);
}

/* what messages show of a URL, and which URLs name a file */
static void test_redact_and_path(void **state)
{
	static const struct {
		const char *url, *shown, *path; /* path NULL: no file */
	} cases[] = {
	    {"/var/lib/rw.db", "/var/lib/rw.db", "/var/lib/rw.db"},
	    {"sqlite:/x/rw.db", "sqlite:/x/rw.db", "/x/rw.db"},
	    {"rw.db", "rw.db", "rw.db"},
	    {":memory:", ":memory:", NULL},
	    {"postgresql://rw:pw@db.example:5432/rw", "postgresql://rw:***@db.example:5432/rw",
	     NULL},
	    {"postgres://rw@db.example/rw", "postgres://rw@db.example/rw", NULL},
	    {"postgresql:///rw?host=/run/pg&password=pw&sslmode=require",
	     "postgresql:///rw?host=/run/pg&password=***&sslmode=require", NULL},
	    {"host=/run/pg dbname=rw password='p w'", "host=/run/pg dbname=rw password=***", NULL},
	    {"dbname=rw user=rw", "dbname=rw user=rw", NULL},
	    {"./dbname=rw", "./dbname=rw", "./dbname=rw"},
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];
		const char *p = store_path(cases[i].url);

		store_redact(cases[i].url, buf, sizeof(buf));
		if (strcmp(buf, cases[i].shown) != 0) {
			print_error("%s: shown \"%s\", want \"%s\"\n", cases[i].url, buf,
			            cases[i].shown);
			bad++;
		}
		if ((p == NULL) != (cases[i].path == NULL) ||
		    (p != NULL && strcmp(p, cases[i].path) != 0)) {
			print_error("%s: path %s, want %s\n", cases[i].url, p ? p : "none",
			            cases[i].path ? cases[i].path : "none");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* several processes open and migrate one new file at once: each step once */
static void test_concurrent_migrate(void **state)
{
	struct fx *f = *state;
	enum { KIDS = 4 };
	pid_t pids[KIDS];
	struct store *st;

	for (int i = 0; i < KIDS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char err[RW_STORE_ERR_MAX];
			struct store *c = store_open(f->d.url, err, sizeof(err));

			if (c == NULL || store_migrate(c, NOW + i) < 0 ||
			    store_schema_version(c) != STORE_SCHEMA_VERSION) {
				fprintf(stderr, "child %d: %s\n", i, c ? store_error(c) : err);
				_exit(1);
			}
			store_close(c);
			_exit(0);
		}
	}
	for (int i = 0; i < KIDS; i++) {
		int wst;

		assert_int_equal(waitpid(pids[i], &wst, 0), pids[i]);
		if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
			fail_msg("migrator %d: got status 0x%x, want exit 0", i, wst);
	}
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM schema_version"),
	                 STORE_SCHEMA_VERSION);
	st = open_ready(f->d.url);
	new_scan(st, 1, 1, "{}");
	store_close(st);
}

/* a schema newer than the program: open refuses it, and so does migrate */
static void test_future_schema(void **state)
{
	struct fx *f = *state;
	char err[RW_STORE_ERR_MAX];
	struct store *st = open_ready(f->d.url), *st2;

	/* another (newer) program migrates while st is open */
	fxdb_exec(&f->d, "INSERT INTO schema_version (version, name, applied)"
	                 " VALUES (99, 'from the future', 0)");
	assert_int_equal(store_migrate(st, NOW), -1);
	assert_non_null(strstr(store_error(st), "newer"));
	store_close(st);

	st2 = store_open(f->d.url, err, sizeof(err));
	assert_null(st2);
	if (strstr(err, "schema version 99 is newer") == NULL)
		fail_msg("got \"%s\", want schema version 99 is newer", err);
}

/* scans: create, get, list newest first with pages, states */
static void test_scans(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	static const struct {
		uint64_t seed;
		int64_t total;
		const char *params;
	} cases[] = {
	    {1, 1024, "{\"targets\":[\"198.51.100.0/22\"]}"},
	    {UINT64_MAX, 0, "{}"},
	    {0x8000000000000000ULL, INT64_MAX, "{\"ports\":[25,465,587]}"},
	    {42, 65536, "{\"name\":\"quote ' and \\\" and ; DROP TABLE scans\"}"},
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	int64_t ids[N];
	struct store_scan sc;
	struct store_scans l;
	struct store_page pg = {.limit = 2, .offset = 1};

	for (size_t i = 0; i < N; i++)
		ids[i] = new_scan(st, cases[i].seed, cases[i].total, cases[i].params);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(store_scan_get(st, ids[i], &sc), 1);
		if (sc.seed != cases[i].seed || sc.total != cases[i].total ||
		    strcmp(sc.params, cases[i].params) != 0 || strcmp(sc.state, "running") != 0 ||
		    sc.created != NOW || sc.finished != 0)
			fail_msg("scan %zu: got seed %" PRIu64 " total %" PRId64
			         " params %s state %s,"
			         " want %" PRIu64 " %" PRId64 " %s running",
			         i, sc.seed, sc.total, sc.params, sc.state, cases[i].seed,
			         cases[i].total, cases[i].params);
		store_scan_clear(&sc);
	}
	assert_int_equal(store_scan_get(st, ids[N - 1] + 100, &sc), 0);
	assert_null(sc.params);

	assert_int_equal(store_scan_list(st, NULL, &l), 0);
	assert_int_equal(l.n, N);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(l.v[i].id, ids[N - 1 - i]); /* newest first */
	store_scans_free(&l);
	assert_int_equal(store_scan_list(st, &pg, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].id, ids[N - 2]);
	assert_int_equal(l.v[1].id, ids[N - 3]);
	store_scans_free(&l);

	assert_int_equal(store_scan_state_set(st, ids[0], "done", NOW + 60), 1);
	assert_int_equal(store_scan_get(st, ids[0], &sc), 1);
	assert_string_equal(sc.state, "done");
	assert_int_equal(sc.finished, NOW + 60);
	store_scan_clear(&sc);
	assert_int_equal(store_scan_state_set(st, ids[0], "running", NOW + 70), 1);
	assert_int_equal(store_scan_get(st, ids[0], &sc), 1);
	assert_string_equal(sc.state, "running");
	assert_int_equal(sc.finished, 0);
	store_scan_clear(&sc);
	assert_int_equal(store_scan_state_set(st, ids[0], "paused", NOW), -1);
	assert_int_equal(store_scan_state_set(st, ids[N - 1] + 100, "stopped", NOW), 0);
	store_close(st);
}

/* progress: none, save, load, replace; an unknown scan is refused */
static void test_progress(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t id = new_scan(st, 7, 4096, "{}");
	struct store_progress p, in = {.scan = id,
	                               .position = 1000,
	                               .done = 990,
	                               .counts = "{\"open\":3,\"closed\":987}",
	                               .updated = NOW};

	assert_int_equal(store_progress_load(st, id, &p), 0);
	assert_int_equal(store_progress_save(st, &in), 0);
	assert_int_equal(store_progress_load(st, id, &p), 1);
	assert_int_equal(p.scan, id);
	assert_int_equal(p.position, 1000);
	assert_int_equal(p.done, 990);
	assert_string_equal(p.counts, in.counts);
	assert_int_equal(p.updated, NOW);
	store_progress_clear(&p);

	in.position = 4096;
	in.done = 4096;
	in.counts = NULL; /* stored as {} */
	in.updated = NOW + 5;
	assert_int_equal(store_progress_save(st, &in), 0);
	assert_int_equal(store_progress_load(st, id, &p), 1);
	assert_int_equal(p.position, 4096);
	assert_string_equal(p.counts, "{}");
	assert_int_equal(p.updated, NOW + 5);
	store_progress_clear(&p);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM scan_progress"), 1);

	in.scan = id + 1;
	assert_int_equal(store_progress_save(st, &in), -1);
	assert_non_null(strcasestr(store_error(st), "foreign key"));
	in.scan = id;
	in.position = -1;
	assert_int_equal(store_progress_save(st, &in), -1);
	store_close(st);
}

/* result_put: each key once, first write kept; every key field counts */
static void test_result_once(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t s1 = new_scan(st, 1, 10, "{}"), s2 = new_scan(st, 2, 10, "{}");
	struct store_result base = {.scan = s1,
	                            .target = "192.0.2.7",
	                            .port = 25,
	                            .probe = "smtp",
	                            .vantage = "",
	                            .verdict = "open",
	                            .reason = "token arrived",
	                            .evidence = "{\"tests\":[]}",
	                            .tested = NOW};
	static const struct {
		const char *name;
		int field; /* which key field differs from base */
		int want;
	} cases[] = {
	    {"first", 0, 1},       {"replay", 0, 0},        {"replay again", 0, 0},
	    {"other scan", 1, 1},  {"other target", 2, 1},  {"other port", 3, 1},
	    {"other probe", 4, 1}, {"other vantage", 5, 1}, {"same other vantage", 5, 0},
	};
	struct store_results l;
	int bad = 0;
	int64_t id1 = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store_result r = base;
		int64_t id = 0;
		int got;

		r.verdict = i == 0 ? "open" : "closed"; /* a replay must not overwrite */
		switch (cases[i].field) {
		case 1:
			r.scan = s2;
			break;
		case 2:
			r.target = "2001:db8::25";
			break;
		case 3:
			r.port = 587;
			break;
		case 4:
			r.probe = "http-connect";
			break;
		case 5:
			r.vantage = "core-1";
			break;
		}
		got = store_result_put(st, &r, &id);
		if (got != cases[i].want) {
			print_error("%s: got %d (%s), want %d\n", cases[i].name, got,
			            store_error(st), cases[i].want);
			bad++;
		}
		if (got == 1 && id <= 0) {
			print_error("%s: got id %" PRId64 ", want > 0\n", cases[i].name, id);
			bad++;
		}
		if (i == 0)
			id1 = id;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(count(st, s1, NULL), 5);
	assert_int_equal(count(st, s2, NULL), 1);
	assert_int_equal(store_results_list(st, s1, NULL, NULL, &l), 0);
	assert_int_equal(l.v[0].id, id1);
	assert_string_equal(l.v[0].verdict, "open");
	assert_string_equal(l.v[0].reason, "token arrived");
	assert_string_equal(l.v[0].evidence, "{\"tests\":[]}");
	assert_string_equal(l.v[0].target, "192.0.2.7");
	assert_string_equal(l.v[0].probe, "smtp");
	assert_string_equal(l.v[0].vantage, "");
	assert_int_equal(l.v[0].port, 25);
	assert_int_equal(l.v[0].tested, NOW);
	store_results_free(&l);

	/* what the database refuses: an unknown scan, a port out of range */
	base.scan = s2 + 1;
	assert_int_equal(store_result_put(st, &base, NULL), -1);
	base.scan = s1;
	base.port = 65536;
	assert_int_equal(store_result_put(st, &base, NULL), -1);
	store_close(st);
}

/* text: UTF-8 round-trips on both backends; bytes that are not UTF-8 (a
 * hostile server's reply in a reason) are stored, not refused: SQLite
 * keeps them, PostgreSQL (UTF-8 only) stores each bad byte as '?' */
static void test_text_bytes(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t scan = new_scan(st, 1, 10, "{\"name\":\"\u00e9t\u00e9\"}");
	static const struct {
		const char *target, *reason, *want_pg; /* want_pg NULL: as given */
	} cases[] = {
	    {"192.0.2.1", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x93\xa7", NULL},
	    {"192.0.2.2", "550 \xff\xfe refused", "550 ?? refused"},
	    {"192.0.2.3", "cut \xe2\x9c", "cut ??"},
	    {"192.0.2.4", "overlong \xc0\xaf", "overlong ??"},
	    {"192.0.2.5", "surrogate \xed\xa0\x80", "surrogate ???"},
	};
	struct store_results l;
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store_result r = {.scan = scan,
		                         .target = cases[i].target,
		                         .port = 25,
		                         .probe = "smtp",
		                         .verdict = "closed",
		                         .reason = cases[i].reason,
		                         .tested = NOW};

		if (store_result_put(st, &r, NULL) != 1)
			fail_msg("%s: put: %s", cases[i].target, store_error(st));
	}
	assert_int_equal(store_results_list(st, scan, NULL, NULL, &l), 0);
	assert_int_equal(l.n, sizeof(cases) / sizeof(cases[0]));
	for (size_t i = 0; i < l.n; i++) {
		const char *want = f->d.pg && cases[i].want_pg ? cases[i].want_pg : cases[i].reason;

		if (strcmp(l.v[i].reason, want) != 0) {
			print_error("%s: got reason \"%s\", want \"%s\"\n", cases[i].target,
			            l.v[i].reason, want);
			bad++;
		}
	}
	store_results_free(&l);
	assert_int_equal(bad, 0);
	store_close(st);
}

static const char *const verdicts[] = {"open",     "suspect",     "closed",   "auth-required",
                                       "tempfail", "unreachable", "not-smtp", "error"};
#define NVERDICTS (sizeof(verdicts) / sizeof(verdicts[0]))

/* pages cover every row once in order; the verdict filter agrees with the count */
static void test_pages_and_filter(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t scan = new_scan(st, 3, 1500, "{}"), other = new_scan(st, 4, 5, "{}");
	enum { N = 1500 }; /* more than RW_STORE_PAGE_MAX */
	static const int64_t limits[] = {3, 64, 1000, 0};
	struct store_results l;
	int64_t want[NVERDICTS] = {0};

	assert_true(N > RW_STORE_PAGE_MAX);
	assert_int_equal(store_batch_begin(st, 0), 0);
	for (int i = 0; i < N; i++) {
		/* verdicts skewed: 1 open in 100, the rest spread */
		size_t v = i % 100 == 0 ? 0 : 1 + (size_t)i % (NVERDICTS - 1);

		want[v]++;
		assert_int_equal(put(st, scan, i, verdicts[v]), 1);
	}
	for (int i = 0; i < 5; i++)
		assert_int_equal(put(st, other, i, "open"), 1);
	assert_int_equal(store_batch_commit(st), 0);

	assert_int_equal(count(st, scan, NULL), N);
	for (size_t li = 0; li < sizeof(limits) / sizeof(limits[0]); li++) {
		struct store_page pg = {.limit = limits[li]};
		int64_t seen = 0, last = 0;
		int64_t per = limits[li] ? limits[li] : RW_STORE_PAGE_MAX;

		for (;;) {
			assert_int_equal(store_results_list(st, scan, NULL, &pg, &l), 0);
			if (l.n == 0)
				break;
			if ((int64_t)l.n > per)
				fail_msg("limit %" PRId64 ": got %zu rows", limits[li], l.n);
			for (size_t i = 0; i < l.n; i++) {
				if (l.v[i].id <= last || l.v[i].scan != scan)
					fail_msg("limit %" PRId64 ": id %" PRId64 " after %" PRId64,
					         limits[li], l.v[i].id, last);
				last = l.v[i].id;
			}
			seen += (int64_t)l.n;
			pg.offset += (int64_t)l.n;
			store_results_free(&l);
		}
		if (seen != N)
			fail_msg("limit %" PRId64 ": got %" PRId64 " rows in all, want %d",
			         limits[li], seen, N);
	}
	/* past the end, a limit above the maximum */
	{
		struct store_page pg = {.limit = 5000, .offset = 0};

		assert_int_equal(store_results_list(st, scan, NULL, &pg, &l), 0);
		assert_int_equal(l.n, RW_STORE_PAGE_MAX);
		store_results_free(&l);
		pg.offset = N;
		assert_int_equal(store_results_list(st, scan, NULL, &pg, &l), 0);
		assert_int_equal(l.n, 0);
		store_results_free(&l);
	}
	for (size_t v = 0; v < NVERDICTS; v++) {
		struct store_page pg = {0};
		int64_t seen = 0;

		if (count(st, scan, verdicts[v]) != want[v])
			fail_msg("count %s: got %" PRId64 ", want %" PRId64, verdicts[v],
			         count(st, scan, verdicts[v]), want[v]);
		pg.limit = 97;
		for (;;) {
			size_t got;

			assert_int_equal(store_results_list(st, scan, verdicts[v], &pg, &l), 0);
			for (size_t i = 0; i < l.n; i++)
				if (strcmp(l.v[i].verdict, verdicts[v]) != 0)
					fail_msg("filter %s: got %s", verdicts[v], l.v[i].verdict);
			got = l.n;
			seen += (int64_t)got;
			pg.offset += (int64_t)got;
			store_results_free(&l);
			if (got == 0)
				break;
		}
		if (seen != want[v])
			fail_msg("filter %s: got %" PRId64 " rows, want %" PRId64, verdicts[v],
			         seen, want[v]);
	}
	assert_int_equal(count(st, scan, "no-such-verdict"), 0);
	assert_int_equal(count(st, other, "open"), 5);
	store_close(st);
}

/* arrivals: put, the same record again kept once, no scan, unknown scan */
/* tally_text - a tally as "key=n,key=n" (key order) into buf */
static const char *tally_text(struct store *st, enum store_tally what, char *buf, size_t len)
{
	struct store_tallies l;
	size_t o = 0;

	buf[0] = '\0';
	if (store_tally(st, what, &l) < 0)
		fail_msg("tally %d: %s", (int)what, store_error(st));
	for (size_t i = 0; i < l.n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s=%lld", i ? "," : "", l.v[i].key,
		                      (long long)l.v[i].n);
	store_tallies_free(&l);
	return buf;
}

/* the counters /metrics reads, and one address's results over every scan */
static void test_tally_and_results_of(void **state)
{
	static const struct {
		const char *name;
		enum store_tally what;
		const char *want;
	} cases[] = {
	    {"scans by state", STORE_TALLY_SCANS, "done=1,running=1"},
	    {"results by verdict", STORE_TALLY_RESULTS, "closed=2,open=3,suspect=1"},
	    {"arrivals relayed or quoted", STORE_TALLY_ARRIVALS, "quoted=1,relayed=2"},
	    {"no incidents yet", STORE_TALLY_INCIDENTS, ""},
	    {"no outbox yet", STORE_TALLY_OUTBOX, ""},
	    {"no blocks yet", STORE_TALLY_BLOCKS, ""},
	};
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t a = new_scan(st, 1, 10, "{}"), b = new_scan(st, 2, 10, "{}");
	struct store_tallies bad;
	struct store_results l;
	struct store_page pg = {.limit = 2, .offset = 0};
	char buf[256];

	assert_int_equal(store_scan_state_set(st, a, "done", NOW + 5), 1);
	assert_int_equal(put(st, a, 1, "open"), 1);   /* 192.0.2.1 */
	assert_int_equal(put(st, a, 2, "closed"), 1); /* 192.0.2.2 */
	assert_int_equal(put(st, a, 3, "suspect"), 1);
	assert_int_equal(put(st, b, 1, "open"), 1); /* 192.0.2.1 again */
	assert_int_equal(put(st, b, 2, "closed"), 1);
	assert_int_equal(put(st, b, 257, "open"), 1); /* 192.0.2.1, port 26 */
	for (int i = 0; i < 3; i++) {
		struct store_arrival ar = {.token = "t",
		                           .scan = b,
		                           .target = "192.0.2.9",
		                           .port = 25,
		                           .test = "x",
		                           .peer = "198.51.100.1",
		                           .arrived = NOW + i,
		                           .relayed = i < 2};

		assert_int_equal(store_arrival_put(st, &ar, NULL), 1);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tally_text(st, cases[i].what, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, buf, cases[i].want);
	}
	assert_int_equal(store_tally(st, STORE_TALLY__COUNT, &bad), -1);
	assert_int_equal(bad.n, 0);

	/* 192.0.2.1: three results over two scans, newest first, paged */
	assert_int_equal(store_results_of(st, "192.0.2.1", &pg, &l), 0);
	if (l.n != 2)
		fail_msg("results of, page 1: got %zu rows, want 2", l.n);
	assert_int_equal(l.v[0].scan, b);
	assert_int_equal(l.v[0].port, 26);
	assert_int_equal(l.v[1].scan, b);
	assert_int_equal(l.v[1].port, 25);
	store_results_free(&l);
	pg.offset = 2;
	assert_int_equal(store_results_of(st, "192.0.2.1", &pg, &l), 0);
	if (l.n != 1 || l.v[0].scan != a)
		fail_msg("results of, page 2: got %zu rows, want scan %lld's one", l.n,
		         (long long)a);
	store_results_free(&l);
	assert_int_equal(store_results_of(st, "203.0.113.1", NULL, &l), 0);
	assert_int_equal(l.n, 0);
	store_close(st);
}

static void test_arrivals(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t scan = new_scan(st, 5, 1, "{}"), id = 0;
	struct store_arrival a = {.token = "rw1-1-19-plain-ngdnjpuy-0c3f",
	                          .scan = scan,
	                          .target = "192.0.2.7",
	                          .port = 25,
	                          .test = "plain",
	                          .peer = "192.0.2.7",
	                          .received = "[\"from x by y\"]",
	                          .arrived = NOW};
	struct store_arrivals l;

	assert_int_equal(store_arrival_put(st, &a, &id), 1);
	assert_true(id > 0);
	assert_int_equal(store_arrival_put(st, &a, NULL), 0); /* replayed record */
	a.arrived = NOW + 30;                                 /* delivered twice */
	assert_int_equal(store_arrival_put(st, &a, NULL), 1);
	a.scan = 0;
	a.received = NULL;
	a.token = "rw1-foreign";
	assert_int_equal(store_arrival_put(st, &a, NULL), 1);
	a.scan = scan + 1; /* a token naming a scan this store does not hold: untied */
	a.token = "rw1-other-store";
	assert_int_equal(store_arrival_put(st, &a, NULL), 1);

	assert_int_equal(store_arrivals_list(st, scan, NULL, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].id, id);
	assert_string_equal(l.v[0].token, "rw1-1-19-plain-ngdnjpuy-0c3f");
	assert_string_equal(l.v[0].received, "[\"from x by y\"]");
	assert_string_equal(l.v[0].test, "plain");
	assert_string_equal(l.v[0].peer, "192.0.2.7");
	assert_int_equal(l.v[0].port, 25);
	assert_int_equal(l.v[0].arrived, NOW);
	assert_int_equal(l.v[1].arrived, NOW + 30);
	store_arrivals_free(&l);
	assert_int_equal(store_arrivals_list(st, 0, NULL, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].scan, 0);
	assert_string_equal(l.v[0].received, "[]");
	assert_int_equal(l.v[1].scan, 0);
	assert_string_equal(l.v[1].token, "rw1-other-store");
	store_arrivals_free(&l);
	store_close(st);
}

/* batches: commit keeps, abort drops, a failure spoils the batch,
 * other connections see nothing before the commit */
static void test_batches(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url), *other = open_ready(f->d.url);
	int64_t scan = new_scan(st, 6, 100, "{}");
	struct store_progress p = {.scan = scan + 1, .updated = NOW};

	assert_int_equal(store_batch_begin(st, 0), 0);
	assert_true(store_in_batch(st));
	for (int i = 0; i < 10; i++)
		assert_int_equal(put(st, scan, i, "closed"), 1);
	assert_int_equal(count(other, scan, NULL), 0); /* isolation */
	assert_int_equal(store_batch_commit(st), 0);
	assert_false(store_in_batch(st));
	assert_int_equal(count(other, scan, NULL), 10);

	assert_int_equal(store_batch_begin(st, 0), 0);
	for (int i = 10; i < 20; i++)
		assert_int_equal(put(st, scan, i, "closed"), 1);
	assert_int_equal(store_batch_abort(st), 0);
	assert_int_equal(count(st, scan, NULL), 10);

	/* a failed call spoils the batch: the commit rolls it all back */
	assert_int_equal(store_batch_begin(st, 0), 0);
	for (int i = 20; i < 30; i++)
		assert_int_equal(put(st, scan, i, "closed"), 1);
	assert_int_equal(store_progress_save(st, &p), -1); /* unknown scan */
	assert_int_equal(put(st, scan, 30, "closed"), 1);
	assert_int_equal(store_batch_commit(st), -1);
	assert_non_null(strstr(store_error(st), "rolled back"));
	assert_false(store_in_batch(st));
	assert_int_equal(count(st, scan, NULL), 10);

	/* durable batch; a replay of committed keys inside a batch is no error */
	assert_int_equal(store_batch_begin(st, STORE_DURABLE), 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(put(st, scan, i, "closed"), i < 10 ? 0 : 1);
	assert_int_equal(store_batch_commit(st), 0);
	assert_int_equal(count(other, scan, NULL), 20);

	/* closing with an open batch rolls it back */
	assert_int_equal(store_batch_begin(st, 0), 0);
	assert_int_equal(put(st, scan, 50, "closed"), 1);
	store_close(st);
	assert_int_equal(count(other, scan, NULL), 20);
	store_close(other);
	assert_int_equal(fxdb_int(&f->d, "SELECT COUNT(*) FROM results"), 20);
}

/* writer - the child of the crash tests: batches of `per` results, each
 * with its progress, forever or until `stop_in` batches, then SIGKILL
 * itself in the middle of the next batch (stop_in 0: never stops) */
static _Noreturn void writer(const char *db, int64_t scan, int per, int stop_in)
{
	char err[RW_STORE_ERR_MAX];
	struct store *st = store_open(db, err, sizeof(err));

	if (st == NULL || store_migrate(st, NOW) < 0)
		_exit(10);
	for (int b = 0;; b++) {
		struct store_progress p = {.scan = scan, .updated = NOW + b};

		if (store_batch_begin(st, 0) < 0)
			_exit(11);
		for (int i = 0; i < per; i++) {
			if (put(st, scan, b * per + i, "closed") != 1)
				_exit(12);
			if (stop_in && b == stop_in && i == per / 2)
				raise(SIGKILL);
		}
		p.position = p.done = (int64_t)(b + 1) * per;
		if (store_progress_save(st, &p) < 0 || store_batch_commit(st) < 0)
			_exit(13);
	}
}

/* check_consistent - after a crash: integrity ok, results == progress,
 * every index below the saved position present exactly once */
static int64_t check_consistent(const struct fx_db *d, struct store *st, int64_t scan, int per)
{
	struct store_progress p;
	int64_t n = count(st, scan, NULL);

	fxdb_integrity(d);
	if (!d->pg)
		assert_int_equal(fxdb_int(d, "PRAGMA foreign_key_check"), -1); /* no rows */
	assert_int_equal(store_progress_load(st, scan, &p), 1);
	if (p.done != n || p.position != n || n % per != 0)
		fail_msg("got %" PRId64 " results, progress %" PRId64 "/%" PRId64
		         ", want equal and whole batches of %d",
		         n, p.position, p.done, per);
	store_progress_clear(&p);
	assert_int_equal(fxdb_int(d, "SELECT COUNT(*) FROM (SELECT DISTINCT target, port"
	                             " FROM results) k"),
	                 n);
	return n;
}

/* kill -9 inside the third batch: two batches survive, the replay writes
 * the rest exactly once */
static void test_crash_mid_batch(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t scan = new_scan(st, 9, 1000, "{}"), n;
	enum { PER = 100 };
	int wst, fresh = 0;
	pid_t pid;

	store_close(st); /* no connection crosses the fork */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		writer(f->d.url, scan, PER, 2);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	if (!WIFSIGNALED(wst) || WTERMSIG(wst) != SIGKILL)
		fail_msg("writer: got status 0x%x, want killed by SIGKILL", wst);

	st = open_ready(f->d.url);
	n = check_consistent(&f->d, st, scan, PER);
	assert_int_equal(n, 2 * PER);
	/* the resumed scan replays from the start of the lost batch, and a
	 * careless one from 0: either way each key lands once */
	for (int i = 0; i < 3 * PER; i++)
		fresh += put(st, scan, i, "open") == 1;
	assert_int_equal(fresh, PER);
	assert_int_equal(count(st, scan, NULL), 3 * PER);
	assert_int_equal(count(st, scan, "open"), PER);
	store_close(st);
}

/* kill -9 from outside at moments the writer does not choose, several times */
static void test_crash_any_moment(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ready(f->d.url);
	int64_t scan = new_scan(st, 10, 1000000, "{}"), before = 0;
	enum { PER = 50, ROUNDS = 4 };

	store_close(st);
	for (int round = 0; round < ROUNDS; round++) {
		struct timespec ts = {0, 20000000L + round * 7000000L};
		int wst;
		pid_t pid = fork();
		int64_t n;

		assert_true(pid >= 0);
		if (pid == 0) {
			/* resume where the last run's progress says */
			char err[RW_STORE_ERR_MAX];
			struct store *c = store_open(f->d.url, err, sizeof(err));
			struct store_progress p;
			int start;

			if (c == NULL || store_migrate(c, NOW) < 0 ||
			    store_progress_load(c, scan, &p) < 0)
				_exit(20);
			start = (int)(p.position / PER);
			store_progress_clear(&p);
			for (int b = start;; b++) {
				struct store_progress q = {.scan = scan, .updated = NOW + b};

				if (store_batch_begin(c, 0) < 0)
					_exit(21);
				for (int i = 0; i < PER; i++)
					if (put(c, scan, b * PER + i, "closed") != 1)
						_exit(22); /* a duplicate would show here */
				q.position = q.done = (int64_t)(b + 1) * PER;
				if (store_progress_save(c, &q) < 0 || store_batch_commit(c) < 0)
					_exit(23);
			}
		}
		/* let it commit something new, then kill it wherever it is */
		do {
			nanosleep(&ts, NULL);
			if (waitpid(pid, &wst, WNOHANG) == pid)
				fail_msg("round %d: writer exited early, status 0x%x", round, wst);
		} while (fxdb_int(&f->d, "SELECT COUNT(*) FROM results") <= before);
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &wst, 0), pid);
		if (!WIFSIGNALED(wst) || WTERMSIG(wst) != SIGKILL)
			fail_msg("round %d: writer got status 0x%x, want killed by SIGKILL", round,
			         wst);
		st = open_ready(f->d.url);
		n = check_consistent(&f->d, st, scan, PER);
		store_close(st);
		if (n <= before)
			fail_msg("round %d: got %" PRId64 " results, want more than %" PRId64,
			         round, n, before);
		before = n;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_migrate_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_urls, setup, teardown),
	    cmocka_unit_test(test_redact_and_path),
	    cmocka_unit_test_setup_teardown(test_concurrent_migrate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_future_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scans, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_result_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_text_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_and_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tally_and_results_of, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arrivals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_mid_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_any_moment, setup, teardown),
	};

	if (getenv("TEST_FILTER") != NULL) /* e.g. TEST_FILTER='test_crash*' */
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
