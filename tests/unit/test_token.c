/*
 * test_token - signed tokens: round trip, tampering, keys, age, finding
 *
 * Tables of cases; each failure prints "case: got X, want Y" and the test
 * fails once at the end so every bad case is reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/core/limits.h"
#include "../../src/smtp/token.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW     1700000000LL
#define MAX_AGE 86400LL

static const struct token_key key1 = {.k = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                            12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                            23, 24, 25, 26, 27, 28, 29, 30, 31, 32}};
static const struct token_key key2 = {.k = {0xff}};

static const struct token_fields samples[] = {
    {.scan = "0", .target = "127.0.0.5", .port = 25, .test = "plain", .time = NOW},
    {.scan = "3e8a", .target = "192.0.2.7", .port = 587, .test = "percent-ip", .time = NOW},
    {.scan = "Scan42",
     .target = "2001:db8::1",
     .port = 465,
     .test = "source-route-host",
     .time = NOW - 5},
    {.scan = "abcdefghijklmnopqrstuvwxyz012345",                /* 32: the maximum */
     .target = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", /* 45: longest address */
     .port = 65535,
     .test = "a-very-long-test-id-with-many-dashes-in-it-xy",
     .time = 9223372036854775807LL},
    {.scan = "1", .target = "::1", .port = 0, .test = "x", .time = 0},
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static int fields_eq(const struct token_fields *a, const struct token_fields *b)
{
	return strcmp(a->scan, b->scan) == 0 && strcmp(a->target, b->target) == 0 &&
	       a->port == b->port && strcmp(a->test, b->test) == 0 && a->time == b->time;
}

/* round trip: every sample signs, verifies VALID and reads back the same fields */
static void test_round_trip(void **state)
{
	int bad = 0;

	for (size_t i = 0; i < NSAMPLES; i++) {
		char tok[RW_TOKEN_MAX];
		struct token_fields f;
		enum token_status st;
		long long now = samples[i].time;

		token_make(&key1, &samples[i], tok, sizeof(tok));
		st = token_verify(&key1, tok, now, MAX_AGE, &f);
		if (st != TOKEN_VALID) {
			print_error("sample %zu (%s): got %s, want valid\n", i, tok,
			            token_status_name(st));
			bad++;
		} else if (!fields_eq(&f, &samples[i])) {
			print_error("sample %zu: fields differ: got %s/%s/%u/%s/%lld\n", i, f.scan,
			            f.target, f.port, f.test, f.time);
			bad++;
		}
		for (const char *p = tok; *p; p++)
			if (!strchr(
			        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.",
			        *p)) {
				print_error("sample %zu: character 0x%02x in %s\n", i, *p, tok);
				bad++;
				break;
			}
		if (strncmp(tok, "rw1-", 4) != 0 || strlen(tok) >= RW_TOKEN_MAX) {
			print_error("sample %zu: shape %s\n", i, tok);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* the exact wire form of one token (format stability) */
static void test_format(void **state)
{
	char tok[RW_TOKEN_MAX];

	token_make(&key1, &samples[1], tok, sizeof(tok));
	/* "192.0.2.7" in hex is 3139322e302e322e37 */
	assert_int_equal(strncmp(tok, "rw1-3e8a-587-percent.ip-1700000000-3139322e302e322e37-", 54),
	                 0);
	assert_int_equal(strlen(tok), 54 + 32);
}

/* deterministic: the same fields and key give the same token */
static void test_deterministic(void **state)
{
	char a[RW_TOKEN_MAX], b[RW_TOKEN_MAX], c[RW_TOKEN_MAX];

	token_make(&key1, &samples[0], a, sizeof(a));
	token_make(&key1, &samples[0], b, sizeof(b));
	token_make(&key2, &samples[0], c, sizeof(c));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

/* every single-character substitution (and deletion) of a token is not VALID */
static void test_tamper(void **state)
{
	static const char alphabet[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._%@ ";
	int bad = 0, tried = 0;

	for (size_t s = 0; s < NSAMPLES; s++) {
		char tok[RW_TOKEN_MAX], t[RW_TOKEN_MAX];
		size_t len;

		token_make(&key1, &samples[s], tok, sizeof(tok));
		len = strlen(tok);
		for (size_t i = 0; i < len; i++) {
			for (const char *c = alphabet; *c; c++) {
				enum token_status st;

				if (*c == tok[i])
					continue;
				memcpy(t, tok, len + 1);
				t[i] = *c;
				st = token_verify(&key1, t, samples[s].time, 0, NULL);
				tried++;
				if (st == TOKEN_VALID) {
					print_error("tamper %s: got valid, want not valid\n", t);
					bad++;
				}
			}
			/* deletion of character i */
			memcpy(t, tok, i);
			memcpy(t + i, tok + i + 1, len - i);
			if (token_verify(&key1, t, samples[s].time, 0, NULL) == TOKEN_VALID) {
				print_error("deletion %s: got valid, want not valid\n", t);
				bad++;
			}
		}
	}
	assert_true(tried > 1000);
	assert_int_equal(bad, 0);
}

/* a foreign key: the syntax reads (fields filled), the MAC does not match */
static void test_wrong_key(void **state)
{
	char tok[RW_TOKEN_MAX];
	struct token_fields f;

	token_make(&key2, &samples[1], tok, sizeof(tok));
	assert_int_equal(token_verify(&key1, tok, NOW, MAX_AGE, &f), TOKEN_FORGED);
	assert_true(fields_eq(&f, &samples[1]));
	assert_int_equal(token_verify(&key2, tok, NOW, MAX_AGE, &f), TOKEN_VALID);
}

/* age: table of signing times against a fixed now */
static void test_age(void **state)
{
	static const struct {
		const char *name;
		long long time, max_age;
		enum token_status want;
	} cases[] = {
	    {"fresh", NOW, MAX_AGE, TOKEN_VALID},
	    {"at max age", NOW - MAX_AGE, MAX_AGE, TOKEN_VALID},
	    {"one past max age", NOW - MAX_AGE - 1, MAX_AGE, TOKEN_EXPIRED},
	    {"years old", NOW - 400 * 86400LL, MAX_AGE, TOKEN_EXPIRED},
	    {"no age limit", 1, 0, TOKEN_VALID},
	    {"within skew", NOW + TOKEN_FUTURE_SKEW, MAX_AGE, TOKEN_VALID},
	    {"future", NOW + TOKEN_FUTURE_SKEW + 1, MAX_AGE, TOKEN_EXPIRED},
	    {"far future, no age limit", NOW + 86400, 0, TOKEN_EXPIRED},
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct token_fields f = samples[0];
		char tok[RW_TOKEN_MAX];
		enum token_status st;

		f.time = cases[i].time;
		token_make(&key1, &f, tok, sizeof(tok));
		st = token_verify(&key1, tok, NOW, cases[i].max_age, NULL);
		if (st != cases[i].want) {
			print_error("%s: got %s, want %s\n", cases[i].name, token_status_name(st),
			            token_status_name(cases[i].want));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* syntax: a table of texts that are not tokens, and some that read but are forged */
static void test_malformed(void **state)
{
	static const char mac[] = "00112233445566778899aabbccddeeff";
	static const struct {
		const char *name, *tok;
		enum token_status want;
	} cases[] = {
	    {"empty", "", TOKEN_MALFORMED},
	    {"prefix only", "rw1-", TOKEN_MALFORMED},
	    {"other version", "rw2-0-25-plain-1700000000-31-%s", TOKEN_MALFORMED},
	    {"upper prefix", "RW1-0-25-plain-1700000000-31-%s", TOKEN_MALFORMED},
	    {"five fields", "rw1-0-25-plain-1700000000-%s", TOKEN_MALFORMED},
	    {"seven fields", "rw1-0-25-plain-1700000000-31-31-%s", TOKEN_MALFORMED},
	    {"empty scan", "rw1--25-plain-1700000000-31-%s", TOKEN_MALFORMED},
	    {"scan with dot", "rw1-a.b-25-plain-1700000000-31-%s", TOKEN_MALFORMED},
	    {"scan 33 chars", "rw1-abcdefghijklmnopqrstuvwxyz0123456-25-plain-1700000000-31-%s",
	     TOKEN_MALFORMED},
	    {"port leading zero", "rw1-0-025-plain-1700000000-31-%s", TOKEN_MALFORMED},
	    {"port too big", "rw1-0-65536-plain-1700000000-31-%s", TOKEN_MALFORMED},
	    {"port empty", "rw1-0--plain-1700000000-31-%s", TOKEN_MALFORMED},
	    {"port letters", "rw1-0-2x-plain-1700000000-31-%s", TOKEN_MALFORMED},
	    {"empty test", "rw1-0-25--1700000000-31-%s", TOKEN_MALFORMED},
	    {"test underscore", "rw1-0-25-pl_ain-1700000000-31-%s", TOKEN_MALFORMED},
	    {"time leading zero", "rw1-0-25-plain-01700000000-31-%s", TOKEN_MALFORMED},
	    {"time overflow", "rw1-0-25-plain-9223372036854775808-31-%s", TOKEN_MALFORMED},
	    {"time 20 digits", "rw1-0-25-plain-10000000000000000000-31-%s", TOKEN_MALFORMED},
	    {"time negative", "rw1-0-25-plain-.1700000000-31-%s", TOKEN_MALFORMED},
	    {"target empty", "rw1-0-25-plain-1700000000--%s", TOKEN_MALFORMED},
	    {"target odd hex", "rw1-0-25-plain-1700000000-313-%s", TOKEN_MALFORMED},
	    {"target upper hex", "rw1-0-25-plain-1700000000-3A-%s", TOKEN_MALFORMED},
	    {"target control", "rw1-0-25-plain-1700000000-310a-%s", TOKEN_MALFORMED},
	    {"target space", "rw1-0-25-plain-1700000000-3120-%s", TOKEN_MALFORMED},
	    {"mac short", "rw1-0-25-plain-1700000000-31-00112233", TOKEN_MALFORMED},
	    {"mac long", "rw1-0-25-plain-1700000000-31-%s00", TOKEN_MALFORMED},
	    {"mac upper", "rw1-0-25-plain-1700000000-31-00112233445566778899AABBCCDDEEFF",
	     TOKEN_MALFORMED},
	    {"trailing space", "rw1-0-25-plain-1700000000-31-%s ", TOKEN_MALFORMED},
	    {"trailing newline", "rw1-0-25-plain-1700000000-31-%s\n", TOKEN_MALFORMED},
	    {"readable, forged", "rw1-0-25-plain-1700000000-31-%s", TOKEN_FORGED},
	    {"readable, forged, dotted test", "rw1-0-25-null.sender-1700000000-31-%s",
	     TOKEN_FORGED},
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char tok[512];
		enum token_status st;

		snprintf(tok, sizeof(tok), cases[i].tok, mac);
		st = token_verify(&key1, tok, NOW, MAX_AGE, NULL);
		if (st != cases[i].want) {
			print_error("%s (%s): got %s, want %s\n", cases[i].name, tok,
			            token_status_name(st), token_status_name(cases[i].want));
			bad++;
		}
	}
	/* longer than RW_TOKEN_MAX */
	{
		char tok[RW_TOKEN_MAX + 64];
		int n = snprintf(tok, sizeof(tok), "rw1-0-25-plain-1700000000-");

		while ((size_t)n < RW_TOKEN_MAX + 10)
			tok[n++] = '3', tok[n++] = '1';
		snprintf(tok + n, sizeof(tok) - (size_t)n, "-%s", mac);
		if (token_verify(&key1, tok, NOW, MAX_AGE, NULL) != TOKEN_MALFORMED) {
			print_error("too long: got not malformed\n");
			bad++;
		}
	}
	{
		struct token_fields f;

		assert_int_equal(token_verify(&key1,
		                              "rw1-0-25-null.sender-1700000000-3132-"
		                              "00112233445566778899aabbccddeeff",
		                              NOW, MAX_AGE, &f),
		                 TOKEN_FORGED);
		assert_string_equal(f.test, "null-sender");
		assert_string_equal(f.target, "12");
		assert_int_equal(f.port, 25);
	}
	assert_int_equal(token_verify(&key1, NULL, NOW, MAX_AGE, NULL), TOKEN_MALFORMED);
	assert_string_equal(token_status_name(TOKEN_VALID), "valid");
	assert_string_equal(token_status_name(TOKEN_MALFORMED), "malformed");
	assert_string_equal(token_status_name(TOKEN_FORGED), "forged");
	assert_string_equal(token_status_name(TOKEN_EXPIRED), "expired");
	assert_int_equal(bad, 0);
}

/* token_find: the token inside message bodies and header lines */
static void test_find(void **state)
{
	static const struct {
		const char *name, *fmt; /* %s is the token */
		int found;
	} cases[] = {
	    {"header", "Subject: x\r\nX-Relaywatch-Token: %s\r\n\r\nbody\r\n", 1},
	    {"subject", "Subject: relaywatch relay test %s\r\n", 1},
	    {"message-id", "Message-ID: <%s@scanner.example.org>\r\n", 1},
	    {"body line", "From: a\r\n\r\nThe token is:\r\n%s\r\n", 1},
	    {"sentence end", "The token is %s.\r\n", 1},
	    {"sentence ends twice", "The token is %s...", 1},
	    {"end of buffer", "%s", 1},
	    {"quoted", "token=\"%s\"", 1},
	    {"after decoys", "rw1- rw1-x rw1-a-b-c rw1-0-25-plain-1-2\r\nrw1-\r\n%s\r\n", 1},
	    {"none", "no token here, just rw and rw1 and rw1 - text\r\n", 0},
	    {"too few fields", "rw1-0-25-plain-1700000000-3132\r\n", 0},
	    {"too many fields", "rw1-0-25-plain-1700000000-3132-00-11-22\r\n", 0},
	};
	char tok[RW_TOKEN_MAX];
	int bad = 0;

	token_make(&key1, &samples[2], tok, sizeof(tok));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[1024];
		const char *p;
		size_t len = 0;
		int n = snprintf(buf, sizeof(buf), cases[i].fmt, tok);

		/* not NUL-terminated: poison the byte after the text */
		buf[n] = 'x';
		p = token_find(buf, (size_t)n, &len);
		if (!cases[i].found) {
			if (p) {
				print_error("%s: got %.*s, want nothing\n", cases[i].name, (int)len,
				            p);
				bad++;
			}
			continue;
		}
		if (!p || len != strlen(tok) || memcmp(p, tok, len) != 0) {
			print_error("%s: got %.*s, want %s\n", cases[i].name, p ? (int)len : 6,
			            p ? p : "(none)", tok);
			bad++;
			continue;
		}
		/* the found text verifies */
		{
			char copy[RW_TOKEN_MAX];

			memcpy(copy, p, len);
			copy[len] = '\0';
			if (token_verify(&key1, copy, NOW, MAX_AGE, NULL) != TOKEN_VALID) {
				print_error("%s: found token does not verify\n", cases[i].name);
				bad++;
			}
		}
	}
	/* a buffer cut inside the prefix */
	{
		size_t len = 99;

		assert_null(token_find("rw1", 3, &len));
		assert_int_equal(len, 0);
		assert_null(token_find("", 0, &len));
	}
	assert_int_equal(bad, 0);
}

static char tmpdir[] = "/tmp/rw-test-token-XXXXXX";

static int setup_dir(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

/* key file: created 0600 in a new 0700 directory, loaded back the same */
static void test_key_create(void **state)
{
	char path[600], dir[512], err[700];
	struct token_key k1, k2;
	struct stat st;
	char tok1[RW_TOKEN_MAX], tok2[RW_TOKEN_MAX];

	snprintf(dir, sizeof(dir), "%s/keys", tmpdir);
	snprintf(path, sizeof(path), "%s/token.key", dir);
	/* missing without create */
	err[0] = '\0';
	assert_int_equal(token_key_load(path, 0, &k1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));

	assert_int_equal(token_key_load(path, 1, &k1, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* loading again (with or without create) gives the same key */
	assert_int_equal(token_key_load(path, 1, &k2, err, sizeof(err)), 0);
	assert_memory_equal(k1.k, k2.k, TOKEN_KEY_LEN);
	assert_int_equal(token_key_load(path, 0, &k2, err, sizeof(err)), 0);
	assert_memory_equal(k1.k, k2.k, TOKEN_KEY_LEN);
	token_make(&k1, &samples[0], tok1, sizeof(tok1));
	token_make(&k2, &samples[0], tok2, sizeof(tok2));
	assert_string_equal(tok1, tok2);

	/* a second created key differs (RAND_bytes) */
	snprintf(path, sizeof(path), "%s/keys/other.key", tmpdir);
	assert_int_equal(token_key_load(path, 1, &k2, err, sizeof(err)), 0);
	assert_memory_not_equal(k1.k, k2.k, TOKEN_KEY_LEN);
}

/* key file contents: a table of texts, accepted or refused with the path named */
static void test_key_content(void **state)
{
	static const char hex64[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	static const struct {
		const char *name, *text;
		mode_t mode;
		int ok;
	} cases[] = {
	    {"bare", hex64, 0600, 1},
	    {"newline", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0600,
	     1},
	    {"crlf", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\r\n", 0600,
	     1},
	    {"upper hex", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", 0600,
	     1},
	    {"group readable: refused", hex64, 0644, 0},
	    {"group writable: refused", hex64, 0620, 0},
	    {"empty", "", 0600, 0},
	    {"newline only", "\n", 0600, 0},
	    {"short", "000102030405060708090a0b0c0d0e0f", 0600, 0},
	    {"63 digits", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1", 0600,
	     0},
	    {"65 digits", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0", 0600,
	     0},
	    {"not hex", "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0600,
	     0},
	    {"two newlines", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n",
	     0600, 0},
	    {"leading space", " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	     0600, 0},
	    {"huge",
	     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	     0600, 0},
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512], err[512] = "";
		struct token_key k;
		int rc;

		snprintf(path, sizeof(path), "%s/content-%zu.key", tmpdir, i);
		write_file(path, cases[i].text, cases[i].mode);
		memset(&k, 0xaa, sizeof(k));
		rc = token_key_load(path, 1, &k, err, sizeof(err));
		if (cases[i].ok && rc != 0) {
			print_error("%s: got error %s, want ok\n", cases[i].name, err);
			bad++;
		} else if (cases[i].ok) {
			for (int b = 0; b < TOKEN_KEY_LEN; b++)
				if (k.k[b] != b) {
					print_error("%s: byte %d got %u, want %d\n", cases[i].name,
					            b, k.k[b], b);
					bad++;
					break;
				}
		} else if (rc != -1 || !strstr(err, path)) {
			print_error("%s: got rc %d err \"%s\", want -1 naming the file\n",
			            cases[i].name, rc, err);
			bad++;
		}
	}
	/* a directory where the key should be */
	{
		char path[512], err[512] = "";
		struct token_key k;

		snprintf(path, sizeof(path), "%s/adir", tmpdir);
		assert_int_equal(mkdir(path, 0700), 0);
		assert_int_equal(token_key_load(path, 1, &k, err, sizeof(err)), -1);
		assert_non_null(strstr(err, path));
	}
	/* a parent that cannot be created */
	{
		char path[512], err[512] = "";
		struct token_key k;

		snprintf(path, sizeof(path), "%s/content-0.key/sub/k", tmpdir);
		assert_int_equal(token_key_load(path, 1, &k, err, sizeof(err)), -1);
		assert_non_null(strstr(err, tmpdir));
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_deterministic), cmocka_unit_test(test_tamper),
	    cmocka_unit_test(test_wrong_key),     cmocka_unit_test(test_age),
	    cmocka_unit_test(test_malformed),     cmocka_unit_test(test_find),
	    cmocka_unit_test(test_key_create),    cmocka_unit_test(test_key_content),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
