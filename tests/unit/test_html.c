/*
 * test_html - the pages' escaper: markup characters, control and NUL
 * bytes, invalid UTF-8; each case whole, one byte at a time and split at
 * every point (a sequence cut between pieces must come out the same);
 * and the owner token (src/desk/owner.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../src/desk/owner.h"
#include "../../src/smtp/token.h"
#include "../../src/web/html.h"

static const struct {
	const char *name;
	const char *in;
	size_t len; /* bytes of in (NUL inside) */
	const char *want;
} cases[] = {
#define C(n, i, w)                                                                                 \
	{                                                                                          \
		n, i, sizeof(i) - 1, w                                                             \
	}
    C("plain", "220 mail.example.net ESMTP", "220 mail.example.net ESMTP"),
    C("empty", "", ""),
    C("lt gt", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    C("amp", "a & b &amp;", "a &amp; b &amp;amp;"),
    C("quotes", "\"'", "&quot;&#39;"),
    C("attribute break", "\" onmouseover=\"x", "&quot; onmouseover=&quot;x"),
    C("nul", "a\0b", "a\\x00b"),
    C("controls", "a\r\n\tb\x1b[31m\x7f", "a\\x0d\n\tb\\x1b[31m\\x7f"),
    C("utf-8 kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7"),
    C("latin-1 byte", "caf\xe9!", "caf\\xe9!"),
    C("stray continuation", "\x80x", "\\x80x"),
    C("overlong slash", "\xc0\xaf", "\\xc0\\xaf"),
    C("overlong 3", "\xe0\x80\xaf", "\\xe0\\x80\\xaf"),
    C("surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"),
    C("past U+10FFFF", "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"),
    C("f5", "\xf5\x80", "\\xf5\\x80"),
    C("cut at the end", "ab\xe2\x82", "ab\\xe2\\x82"),
    C("cut by ascii", "\xe2\x82<", "\\xe2\\x82&lt;"),
    C("cut by a new lead", "\xc3\xc3\xa9", "\\xc3\xc3\xa9"),
    C("C1 as UTF-8 kept", "\xc2\x85", "\xc2\x85"),
#undef C
};

/* run - escape in pieces cut at the offsets in cuts (ncuts of them) */
static void run(const char *in, size_t len, const size_t *cuts, size_t ncuts, struct dbuf *out)
{
	struct html_esc e;
	size_t from = 0;

	html_esc_init(&e);
	for (size_t i = 0; i < ncuts; i++) {
		html_esc_feed(&e, out, in + from, cuts[i] - from);
		from = cuts[i];
	}
	html_esc_feed(&e, out, in + from, len - from);
	html_esc_end(&e, out);
}

static void expect(const char *name, const char *how, const struct dbuf *got, const char *want)
{
	if (strcmp(dbuf_str(got), want) != 0)
		fail_msg("%s (%s): got \"%s\", want \"%s\"", name, how, dbuf_str(got), want);
}

static void test_escape(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i].in;
		size_t len = cases[i].len;
		struct dbuf out;
		size_t cuts[64];

		/* whole */
		dbuf_init(&out, 0);
		html_textn(&out, in, len);
		expect(cases[i].name, "whole", &out, cases[i].want);
		dbuf_free(&out);
		/* one byte at a time */
		assert_true(len < sizeof(cuts) / sizeof(cuts[0]));
		for (size_t k = 1; k < len; k++)
			cuts[k - 1] = k;
		dbuf_init(&out, 0);
		run(in, len, cuts, len ? len - 1 : 0, &out);
		expect(cases[i].name, "bytewise", &out, cases[i].want);
		dbuf_free(&out);
		/* split at every point */
		for (size_t k = 0; k <= len; k++) {
			char how[32];

			dbuf_init(&out, 0);
			run(in, len, &k, 1, &out);
			snprintf(how, sizeof(how), "split at %zu", k);
			expect(cases[i].name, how, &out, cases[i].want);
			dbuf_free(&out);
		}
	}
}

static void test_text_null(void **state)
{
	struct dbuf out;

	(void)state;
	dbuf_init(&out, 0);
	html_text(&out, NULL);
	html_tag(&out, "td", "<b>");
	assert_string_equal(dbuf_str(&out), "<td>&lt;b&gt;</td>");
	dbuf_free(&out);
}

static void test_owner_token(void **state)
{
	struct token_key k, other;
	char tok[OWNER_TOKEN_MAX], bad[OWNER_TOKEN_MAX + 8];

	(void)state;
	memset(&k, 0x2a, sizeof(k));
	memset(&other, 0x2b, sizeof(other));
	owner_token(&k, 17, tok);
	assert_int_equal(strlen(tok), 3 + 32);
	assert_int_equal(owner_token_check(&k, tok), 17);
	assert_int_equal(owner_token_check(&other, tok), -1);
	/* another incident's MAC, a changed digit, malformed forms */
	snprintf(bad, sizeof(bad), "18%s", tok + 2);
	assert_int_equal(owner_token_check(&k, bad), -1);
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	assert_int_equal(owner_token_check(&k, bad), -1);
	snprintf(bad, sizeof(bad), "0%s", tok);
	assert_int_equal(owner_token_check(&k, bad), -1);
	snprintf(bad, sizeof(bad), "%sa", tok);
	assert_int_equal(owner_token_check(&k, bad), -1);
	assert_int_equal(owner_token_check(&k, "17"), -1);
	assert_int_equal(owner_token_check(&k, "17-"), -1);
	assert_int_equal(owner_token_check(&k, ""), -1);
	assert_int_equal(owner_token_check(&k, NULL), -1);
	assert_int_equal(
	    owner_token_check(&k, "99999999999999999999-00000000000000000000000000000000"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_text_null),
	    cmocka_unit_test(test_owner_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
