/*
 * test_webauth - the web console's authentication (src/web/auth.h) on a
 * temporary store (SQLite, or PostgreSQL with RW_TEST_STORE_URL:
 * store_fx.h): scrypt hashes, the login sequence with its rate
 * limit under a fake clock, sessions, bearer tokens, CSRF, roles, and the
 * store's users / sessions / api_tokens (schema 4)
 *
 * Each test runs in its own mkdtemp directory (removed by the teardown).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/core/limits.h"
#include "../../src/store/store.h"
#include "../../src/store/store_int.h"
#include "../../src/web/auth.h"
#include "../../src/web/credential.h"
#include "../../src/web/ratelimit_login.h"

#include "store_fx.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1700000000LL
#define TTL 3600

struct fx {
	char dir[256];
	struct fx_db db;
	struct store *st;
	struct web_auth *a;
};

/* The fixture's passwords, hashed once for every test (scrypt is slow on
 * purpose). */
static const char *const fixture_pw[] = {"correct horse", "battery staple", "gone"};
static char fixture_hash[3][WEB_HASH_MAX];

static int group_setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++)
		if (web_password_hash(fixture_pw[i], fixture_hash[i]) < 0)
			return -1;
	return 0;
}

/* add_user - a user with a password, failing the test on error */
static void add_user(struct store *st, const char *name, const char *role, const char *pw,
                     int disabled)
{
	char hash[WEB_HASH_MAX];
	size_t i;

	for (i = 0; i < 3 && strcmp(pw, fixture_pw[i]) != 0; i++)
		;
	if (i < 3)
		memcpy(hash, fixture_hash[i], sizeof(hash));
	else
		assert_int_equal(web_password_hash(pw, hash), 0);
	struct store_user u = {
	    .name = name, .role = role, .hash = hash, .created = NOW, .disabled = disabled};
	if (store_user_put(st, &u) < 0)
		fail_msg("user put %s: %s", name, store_error(st));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "%s/test_webauth.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	if (fxdb_make(&f->db, f->dir) < 0)
		return -1;
	if ((f->st = store_open(f->db.url, err, sizeof(err))) == NULL ||
	    store_migrate(f->st, NOW) < 0) {
		fprintf(stderr, "store %s: %s\n", f->db.url, f->st ? store_error(f->st) : err);
		return -1;
	}
	add_user(f->st, "alice", "operator", "correct horse", 0);
	add_user(f->st, "bob", "viewer", "battery staple", 0);
	add_user(f->st, "carol", "operator", "gone", 1);
	f->a = web_auth_new(f->st, TTL);
	*state = f;
	return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	web_auth_free(f->a);
	store_close(f->st);
	fxdb_drop(&f->db);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* hash, then check the right and a wrong password */
static void test_password_roundtrip(void **state)
{
	static const struct {
		const char *name, *password, *attempt;
		int want;
	} cases[] = {
	    {"same", "correct horse", "correct horse", 1},
	    {"wrong", "correct horse", "correct hors", 0},
	    {"longer", "correct horse", "correct horse ", 0},
	    {"empty attempt", "correct horse", "", 0},
	    {"utf-8", "pässwörd", "pässwörd", 1},
	};
	char h1[WEB_HASH_MAX], h2[WEB_HASH_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got;

		assert_int_equal(web_password_hash(cases[i].password, h1), 0);
		if (strncmp(h1, "scrypt$15$8$1$", 14) != 0 || strlen(h1) != 14 + 32 + 1 + 64)
			fail_msg("%s: hash %s: not scrypt$15$8$1$<32 hex>$<64 hex>", cases[i].name,
			         h1);
		if ((got = web_password_check(cases[i].attempt, h1)) != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
	/* a fresh salt each time */
	assert_int_equal(web_password_hash("x", h1), 0);
	assert_int_equal(web_password_hash("x", h2), 0);
	assert_string_not_equal(h1, h2);
}

/* malformed or out-of-bounds hash texts never match */
static void test_password_malformed(void **state)
{
	char good[WEB_HASH_MAX];
	static const char *const bad[] = {
	    "",
	    "scrypt$",
	    "bcrypt$15$8$1$00112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "scrypt$15$8$1$zz112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "scrypt$15$8$1$00112233445566778899AABBCCDDEEFF$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "scrypt$30$8$1$00112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "scrypt$15$0$1$00112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "scrypt$15$8$1$001$00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "scrypt$15$8$1$00112233445566778899aabbccddeeff$",
	    "scrypt$15$8$1$00112233445566778899aabbccddeeff",
	    "scrypt$015$8$1$00112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "scrypt$15$8$1$00112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff$",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (web_password_check("x", bad[i]) != 0)
			fail_msg("case %zu \"%s\": got a match, want refused", i, bad[i]);
	assert_int_equal(web_password_check("x", NULL), 0);
	assert_int_equal(web_password_hash("x", good), 0);
	assert_int_equal(web_password_check(NULL, good), 0);
	/* the good one cut short or extended is refused too */
	good[strlen(good) - 1] = '\0';
	assert_int_equal(web_password_check("x", good), 0);
}

/* the login sequence: per-name and per-address limits, the window */
static void test_login_sequence(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *name, *user, *password, *client;
		long long at; /* seconds after NOW */
		enum web_login want;
	} steps[] = {
	    {"good", "alice", "correct horse", "192.0.2.1", 0, WEB_LOGIN_OK},
	    {"bad 1", "alice", "x", "192.0.2.1", 1, WEB_LOGIN_BAD},
	    {"bad 2", "alice", "x", "192.0.2.2", 2, WEB_LOGIN_BAD},
	    {"bad 3", "alice", "x", "192.0.2.3", 3, WEB_LOGIN_BAD},
	    {"bad 4", "alice", "x", "192.0.2.4", 4, WEB_LOGIN_BAD},
	    {"bad 5", "alice", "x", "192.0.2.5", 5, WEB_LOGIN_BAD},
	    {"name limited, right password", "alice", "correct horse", "192.0.2.9", 6,
	     WEB_LOGIN_LIMITED},
	    {"other name from the same address", "bob", "battery staple", "192.0.2.1", 7,
	     WEB_LOGIN_OK},
	    {"name still limited", "alice", "correct horse", "192.0.2.9", RW_WEB_LOGIN_WINDOW,
	     WEB_LOGIN_LIMITED},
	    {"window passed", "alice", "correct horse", "192.0.2.9", RW_WEB_LOGIN_WINDOW + 1,
	     WEB_LOGIN_OK},
	    {"unknown user 1", "mallory", "x", "198.51.100.7", 2000, WEB_LOGIN_BAD},
	    {"unknown user 2", "eve", "x", "198.51.100.7", 2001, WEB_LOGIN_BAD},
	    {"unknown user 3", "trent", "x", "198.51.100.7", 2002, WEB_LOGIN_BAD},
	    {"bad name", "../etc", "x", "198.51.100.7", 2003, WEB_LOGIN_BAD},
	    {"disabled user", "carol", "gone", "198.51.100.7", 2004, WEB_LOGIN_BAD},
	    {"address limited", "bob", "battery staple", "198.51.100.7", 2005, WEB_LOGIN_LIMITED},
	    {"other address", "bob", "battery staple", "198.51.100.8", 2006, WEB_LOGIN_OK},
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char sid[WEB_ID_HEX + 1] = "junk";
		enum web_login got = web_auth_login(f->a, steps[i].user, steps[i].password,
		                                    steps[i].client, NOW + steps[i].at, sid);

		if (got != steps[i].want)
			fail_msg("%s: got %d, want %d", steps[i].name, got, steps[i].want);
		if ((got == WEB_LOGIN_OK) != credential_is_hex(sid, WEB_ID_HEX))
			fail_msg("%s: sid \"%s\"", steps[i].name, sid);
	}
}

/* sessions: lookup, expiry, logout, a disabled or deleted user */
static void test_session(void **state)
{
	struct fx *f = *state;
	char sid[WEB_ID_HEX + 1], sid2[WEB_ID_HEX + 1], hash[65];
	struct web_who who;
	struct store_session ss;

	assert_int_equal(web_auth_login(f->a, "alice", "correct horse", "::1", NOW, sid),
	                 WEB_LOGIN_OK);
	assert_int_equal(web_auth_session(f->a, sid, NOW + 10, &who), 0);
	assert_string_equal(who.user, "alice");
	assert_int_equal(who.role, WEB_ROLE_OPERATOR);
	assert_true(credential_is_hex(who.csrf, WEB_ID_HEX));
	assert_string_not_equal(who.csrf, sid);
	/* the store keeps the id's SHA-256, never the id */
	assert_int_equal(store_session_get(f->st, sid, &ss), 0);
	assert_int_equal(credential_sha256_hex(sid, hash), 0);
	assert_int_equal(store_session_get(f->st, hash, &ss), 1);
	assert_int_equal(ss.expires, NOW + TTL);
	store_session_clear(&ss);
	/* the last second, then expired */
	assert_int_equal(web_auth_session(f->a, sid, NOW + TTL - 1, &who), 0);
	assert_int_equal(web_auth_session(f->a, sid, NOW + TTL, &who), -1);
	assert_int_equal(web_auth_session(f->a, sid, NOW + 10, &who), -1); /* deleted */
	/* malformed and unknown ids */
	assert_int_equal(web_auth_session(f->a, "", NOW, &who), -1);
	assert_int_equal(web_auth_session(f->a, "abc", NOW, &who), -1);
	memset(sid2, 'a', WEB_ID_HEX);
	sid2[WEB_ID_HEX] = '\0';
	assert_int_equal(web_auth_session(f->a, sid2, NOW, &who), -1);
	/* logout */
	assert_int_equal(web_auth_login(f->a, "bob", "battery staple", "::1", NOW, sid),
	                 WEB_LOGIN_OK);
	assert_int_equal(web_auth_session(f->a, sid, NOW, &who), 0);
	assert_int_equal(who.role, WEB_ROLE_VIEWER);
	assert_int_equal(web_auth_logout(f->a, sid), 0);
	assert_int_equal(web_auth_session(f->a, sid, NOW, &who), -1);
	assert_int_equal(web_auth_logout(f->a, sid), -1);
	/* disabling a user ends its sessions; enabling brings them back */
	assert_int_equal(web_auth_login(f->a, "bob", "battery staple", "::1", NOW, sid),
	                 WEB_LOGIN_OK);
	struct store_user u;

	assert_int_equal(store_user_get(f->st, "bob", &u), 1);
	u.disabled = 1;
	assert_int_equal(store_user_put(f->st, &u), 0);
	assert_int_equal(web_auth_session(f->a, sid, NOW, &who), -1);
	u.disabled = 0;
	assert_int_equal(store_user_put(f->st, &u), 0);
	assert_int_equal(web_auth_session(f->a, sid, NOW, &who), 0);
	store_user_clear(&u);
	/* deleting the user deletes its sessions */
	assert_int_equal(store_user_del(f->st, "bob"), 1);
	assert_int_equal(web_auth_session(f->a, sid, NOW, &who), -1);
	assert_int_equal(store_user_del(f->st, "bob"), 0);
}

/* bearer tokens: ok, unknown, malformed, a disabled or deleted user */
static void test_bearer(void **state)
{
	struct fx *f = *state;
	char tok[CREDENTIAL_TOKEN_LEN + 1], tok2[CREDENTIAL_TOKEN_LEN + 1],
	    dis[CREDENTIAL_TOKEN_LEN + 1];
	char hash[65];
	struct web_who who;
	struct store_apitokens l;
	int64_t id = 0;

	assert_int_equal(credential_token_new(tok), 0);
	assert_true(credential_token_ok(tok));
	assert_int_equal(credential_sha256_hex(tok, hash), 0);
	struct store_apitoken t = {.hash = hash, .user = "bob", .label = "ci", .created = NOW};

	assert_int_equal(store_apitoken_put(f->st, &t, &id), 1);
	assert_true(id > 0);
	assert_int_equal(store_apitoken_put(f->st, &t, NULL), -1); /* the same hash again */

	assert_int_equal(credential_token_new(dis), 0);
	assert_int_equal(credential_sha256_hex(dis, hash), 0);
	t.user = "carol";
	assert_int_equal(store_apitoken_put(f->st, &t, NULL), 1);
	t.user = "nobody";
	assert_int_equal(store_apitoken_put(f->st, &t, NULL), -1); /* no such user */

	assert_int_equal(credential_token_new(tok2), 0);
	static const struct {
		const char *name;
		const char *token;
		int want;
	} cases[] = {
	    {"ok", NULL, 0},       {"unknown", "", -1}, {"disabled user", "", -1},
	    {"no prefix", "", -1}, {"empty", "", -1},   {"upper case", "", -1},
	};
	const char *tokens[] = {tok, tok2, dis, tok + 4, "", "RWT_0"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = web_auth_bearer(f->a, tokens[i], NOW + 5, &who);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
	assert_int_equal(web_auth_bearer(f->a, tok, NOW + 5, &who), 0);
	assert_string_equal(who.user, "bob");
	assert_int_equal(who.role, WEB_ROLE_VIEWER);
	assert_string_equal(who.csrf, "");
	assert_int_equal(store_apitoken_list(f->st, "bob", &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].last_used, NOW + 5);
	assert_string_equal(l.v[0].label, "ci");
	store_apitokens_free(&l);
	/* another user cannot delete it; its owner can */
	assert_int_equal(store_apitoken_del(f->st, "alice", id), 0);
	assert_int_equal(store_apitoken_del(f->st, "bob", id), 1);
	assert_int_equal(web_auth_bearer(f->a, tok, NOW, &who), -1);
	/* deleting the user deletes its tokens */
	assert_int_equal(store_apitoken_list(f->st, "carol", &l), 0);
	assert_int_equal(l.n, 1);
	store_apitokens_free(&l);
	assert_int_equal(store_user_del(f->st, "carol"), 1);
	assert_int_equal(store_apitoken_list(f->st, NULL, &l), 0);
	assert_int_equal(l.n, 0);
	store_apitokens_free(&l);
}

/* CSRF: equal, unequal, empty, short; the API's empty csrf never passes */
static void test_csrf(void **state)
{
	struct web_who who = {.user = "alice", .role = WEB_ROLE_OPERATOR};
	char other[WEB_ID_HEX + 1];

	(void)state;
	assert_int_equal(credential_random_hex(who.csrf), 0);
	memcpy(other, who.csrf, sizeof(other));
	other[10] = other[10] == 'a' ? 'b' : 'a';
	const struct {
		const char *name;
		const char *token;
		int want;
	} cases[] = {
	    {"equal", who.csrf, 1}, {"one digit off", other, 0}, {"empty", "", 0},
	    {"short", "abc", 0},    {"null", NULL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = web_auth_csrf_ok(&who, cases[i].token);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
	who.csrf[0] = '\0';
	assert_int_equal(web_auth_csrf_ok(&who, ""), 0);
	assert_int_equal(web_auth_csrf_ok(NULL, other), 0);
}

/* role names both ways */
static void test_roles(void **state)
{
	static const struct {
		const char *name;
		int want;
	} cases[] = {
	    {"viewer", WEB_ROLE_VIEWER},
	    {"operator", WEB_ROLE_OPERATOR},
	    {"none", -1},
	    {"admin", -1},
	    {"Viewer", -1},
	    {"", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = web_role_by_name(cases[i].name);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
	assert_int_equal(web_role_by_name(NULL), -1);
	assert_string_equal(web_role_name(WEB_ROLE_NONE), "none");
	assert_string_equal(web_role_name(WEB_ROLE_VIEWER), "viewer");
	assert_string_equal(web_role_name(WEB_ROLE_OPERATOR), "operator");
	assert_string_equal(web_role_name((enum web_role)7), "none");
}

/* names, and the store refusing a bad role */
static void test_names(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *name;
		int want;
	} cases[] = {
	    {"alice", 1},
	    {"a.b_c-d", 1},
	    {"A9", 1},
	    {"", 0},
	    {"a b", 0},
	    {"a/b", 0},
	    {"é", 0},
	    {"0123456789012345678901234567890123456789012345678901234567890123", 1},
	    {"01234567890123456789012345678901234567890123456789012345678901234", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (credential_user_ok(cases[i].name) != cases[i].want)
			fail_msg("\"%s\": got %d, want %d", cases[i].name, !cases[i].want,
			         cases[i].want);
	struct store_user u = {.name = "dave", .role = "admin", .hash = "h", .created = NOW};

	assert_int_equal(store_user_put(f->st, &u), -1);
	u.role = "viewer";
	assert_int_equal(store_user_put(f->st, &u), 1);
	assert_int_equal(store_user_put(f->st, &u), 0);
	struct store_users l;

	assert_int_equal(store_user_list(f->st, &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].name, "alice");
	assert_string_equal(l.v[3].name, "dave");
	store_users_free(&l);
}

/* the limiter alone: the window, a reset, a full table forgets the oldest */
static void test_limiter(void **state)
{
	struct login_limit *l = login_limit_new(2, 2, 100);

	(void)state;
	login_limit_fail(l, "a", 0);
	assert_int_equal(login_limit_blocked(l, "a", 1), 0);
	login_limit_fail(l, "a", 1);
	assert_int_equal(login_limit_blocked(l, "a", 99), 1);
	assert_int_equal(login_limit_blocked(l, "a", 100), 0);
	login_limit_reset(l, "a");
	assert_int_equal(login_limit_blocked(l, "a", 2), 0);
	login_limit_fail(l, "a", 10);
	login_limit_fail(l, "a", 11);
	login_limit_fail(l, "b", 12);
	login_limit_fail(l, "c", 13); /* evicts a (least recently seen) */
	assert_int_equal(login_limit_blocked(l, "a", 14), 0);
	login_limit_fail(l, "c", 15);
	assert_int_equal(login_limit_blocked(l, "c", 16), 1);
	login_limit_free(l);
}

/* expired sessions are swept */
static void test_session_expire(void **state)
{
	struct fx *f = *state;
	struct store_session s = {
	    .id = "h1", .user = "alice", .csrf = "c", .created = NOW, .expires = NOW + 10};
	int64_t n = -1;

	assert_int_equal(store_session_put(f->st, &s), 0);
	s.id = "h2";
	s.expires = NOW + 20;
	assert_int_equal(store_session_put(f->st, &s), 0);
	s.user = "nobody";
	s.id = "h3";
	assert_int_equal(store_session_put(f->st, &s), -1); /* no such user */
	assert_int_equal(store_session_expire(f->st, NOW + 10, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_session_get(f->st, "h1", &s), 0);
	assert_int_equal(store_session_get(f->st, "h2", &s), 1);
	assert_string_equal(s.user, "alice");
	store_session_clear(&s);
	assert_int_equal(store_session_del(f->st, "h2"), 1);
	assert_int_equal(store_session_del(f->st, "h2"), 0);
}

/* v3 -> v4: a store at version 3 (as released) migrates; its rows stay
 * and users can be added */
static void test_migrate_v3(void **state)
{
	char dir[256], err[RW_STORE_ERR_MAX];
	const char *tmp = getenv("TMPDIR");
	struct fx_db d;
	struct store *st;
	struct store_contact c;
	struct store_users l;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_webauth.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(fxdb_make(&d, dir), 0);
	fxdb_at_version(&d, 3,
	                "INSERT INTO contacts (netblock, family, prefix, network,"
	                " updated_ms) VALUES ('0.0.0.0/0', 4, 0, '00000000', 1)");
	if ((st = store_open(d.url, err, sizeof(err))) == NULL)
		fail_msg("open v3: %s", err);
	assert_int_equal(store_schema_version(st), 3);
	assert_int_equal(store_user_list(st, &l), -1);
	assert_non_null(strstr(store_error(st), "run migrate"));
	assert_int_equal(store_migrate(st, NOW), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_contact_for(st, "192.0.2.1", &c), 1);
	store_contact_clear(&c);
	struct store_user u = {.name = "alice", .role = "viewer", .hash = "h", .created = NOW};

	assert_int_equal(store_user_put(st, &u), 1);
	assert_int_equal(store_user_list(st, &l), 0);
	assert_int_equal(l.n, 1);
	store_users_free(&l);
	store_close(st);
	fxdb_drop(&d);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_password_roundtrip),
	    cmocka_unit_test(test_password_malformed),
	    cmocka_unit_test_setup_teardown(test_login_sequence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bearer, setup, teardown),
	    cmocka_unit_test(test_csrf),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	    cmocka_unit_test(test_limiter),
	    cmocka_unit_test_setup_teardown(test_session_expire, setup, teardown),
	    cmocka_unit_test(test_migrate_v3),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
