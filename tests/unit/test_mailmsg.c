/*
 * test_mailmsg - composing notices: exact bytes for a plain one, and
 * properties (CRLF only, line lengths, round trips of encoded-words and
 * quoted-printable) for the hard ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/desk/mailmsg.h"

static const char *const one_to[] = {"admin@example.net"};

/* compose - m into a fresh string (owned); fails the test on error */
static char *compose(const struct mailmsg *m)
{
	struct dbuf b;
	char err[128];

	dbuf_init(&b, 0);
	if (mailmsg_compose(m, &b, err, sizeof(err)) != 0)
		fail_msg("compose: %s", err);
	return dbuf_steal(&b);
}

/* check_lines - CRLF only, no line longer than max octets */
static void check_lines(const char *s, size_t max)
{
	size_t col = 0;

	for (const char *p = s; *p; p++) {
		if (*p == '\r') {
			if (p[1] != '\n')
				fail_msg("bare CR at offset %zu", (size_t)(p - s));
			p++;
			col = 0;
			continue;
		}
		if (*p == '\n')
			fail_msg("bare LF at offset %zu", (size_t)(p - s));
		if (++col > max)
			fail_msg("line longer than %zu at offset %zu", max, (size_t)(p - s));
	}
	assert_true(col == 0); /* ends with CRLF */
}

/* header - the unfolded value of header name (owned), or NULL */
static char *header(const char *msg, const char *name)
{
	size_t n = strlen(name);
	const char *p = msg;
	char *v, *o;

	while (*p && !(p[0] == '\r' && p[1] == '\n')) {
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			const char *e = p + n + 1;
			while (*e == ' ')
				e++;
			v = o = malloc(strlen(e) + 1);
			for (; *e; e++) {
				if (e[0] == '\r' && e[1] == '\n') {
					if (e[2] == ' ' || e[2] == '\t') {
						e++;
						continue;
					}
					break;
				}
				*o++ = *e;
			}
			*o = '\0';
			return v;
		}
		p = strstr(p, "\r\n") + 2;
	}
	return NULL;
}

static int b64val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(t, c);
	return p && c ? (int)(p - t) : -1;
}

/* decode_ewords - an unfolded header of encoded-words only, decoded (owned) */
static char *decode_ewords(const char *v)
{
	char *out = malloc(strlen(v) + 1), *o = out;
	const char *p = v;

	while (*p) {
		if (*p == ' ') {
			p++;
			continue;
		}
		assert_int_equal(strncmp(p, "=?UTF-8?B?", 10), 0);
		p += 10;
		const char *e = strstr(p, "?=");
		assert_non_null(e);
		assert_true(e - p + 12 <= 75);
		unsigned acc = 0;
		int bits = 0;
		for (; p < e; p++) {
			if (*p == '=')
				continue;
			acc = acc << 6 | (unsigned)b64val(*p);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				*o++ = (char)((acc >> bits) & 0xff);
			}
		}
		p = e + 2;
	}
	*o = '\0';
	return out;
}

/* decode_qp - a QP body (CRLF lines) back to LF lines (owned) */
static char *decode_qp(const char *b)
{
	char *out = malloc(strlen(b) + 1), *o = out;

	for (const char *p = b; *p; p++) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 2;
		} else if (p[0] == '=') {
			unsigned v;
			sscanf(p + 1, "%2X", &v);
			*o++ = (char)v;
			p += 2;
		} else if (p[0] == '\r' && p[1] == '\n') {
			*o++ = '\n';
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static void test_plain_exact(void **state)
{
	static const char body[] = "Hello.\nSecond line.\n";
	struct mailmsg m = {
	    .from = "relaywatch <noc@example.org>",
	    .to = one_to,
	    .nto = 1,
	    .subject = "Open relay at 192.0.2.7",
	    .message_id = "abc.1@example.org",
	    .date = 1700000000,
	    .body = body,
	    .body_len = sizeof(body) - 1,
	};
	char *s = compose(&m);
	const char *want = "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	                   "From: relaywatch <noc@example.org>\r\n"
	                   "To: admin@example.net\r\n"
	                   "Subject: Open relay at 192.0.2.7\r\n"
	                   "Message-ID: <abc.1@example.org>\r\n"
	                   "Auto-Submitted: auto-generated\r\n"
	                   "MIME-Version: 1.0\r\n"
	                   "Content-Type: text/plain; charset=utf-8\r\n"
	                   "Content-Transfer-Encoding: 7bit\r\n"
	                   "\r\n"
	                   "Hello.\r\nSecond line.\r\n";

	assert_string_equal(s, want);
	free(s);
}

static void test_all_headers(void **state)
{
	static const char *const to[] = {"A <a@example.net>", "b@example.net",
	                                 "\"Ops, Team\" <ops@example.net>"};
	static const char *const cc[] = {"Jürgen Müller <jm@example.net>"};
	struct mailmsg m = {
	    .from = "noc@example.org",
	    .to = to,
	    .nto = 3,
	    .cc = cc,
	    .ncc = 1,
	    .reply_to = "Abuse Desk <abuse@example.org>",
	    .subject = "x",
	    .message_id = "<m2@example.org>",
	    .in_reply_to = "<c1@example.com>",
	    .references = "<r1@example.com> <r2@example.com> c1@example.com",
	    .date = 0,
	};
	char *s = compose(&m), *v;

	check_lines(s, 78);
	assert_non_null(strstr(s, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	v = header(s, "To");
	assert_string_equal(v, "A <a@example.net>, b@example.net, \"Ops, Team\" <ops@example.net>");
	free(v);
	v = header(s, "Cc");
	assert_non_null(strstr(v, "=?UTF-8?B?"));
	assert_non_null(strstr(v, "<jm@example.net>"));
	*strchr(v, '<') = '\0';
	char *d = decode_ewords(v);
	assert_string_equal(d, "Jürgen Müller");
	free(d);
	free(v);
	v = header(s, "Reply-To");
	assert_string_equal(v, "Abuse Desk <abuse@example.org>");
	free(v);
	v = header(s, "References");
	assert_string_equal(v, "<r1@example.com> <r2@example.com> <c1@example.com>");
	free(v);
	v = header(s, "In-Reply-To");
	assert_string_equal(v, "<c1@example.com>");
	free(v);
	assert_non_null(strstr(s, "\r\nAuto-Submitted: auto-generated\r\n"));
	free(s);
}

static void test_subject_encoded(void **state)
{
	static const char *const subjects[] = {
	    "Relais ouvert détecté sur 192.0.2.7 — veuillez corriger",
	    ("Открытый релей обнаружен на вашем сервере, пожалуйста исправьте конфигурацию "
	     "в течение 48 часов, иначе порт 25 будет заблокирован"),
	    "日本語の件名はとても長いことがあります日本語の件名はとても長いことがあります",
	    "looks like =?an encoded word?= but is not",
	    "tab\there",
	};
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		struct mailmsg m = {.from = "noc@example.org",
		                    .to = one_to,
		                    .nto = 1,
		                    .subject = subjects[i],
		                    .message_id = "<1@x.org>"};
		char *s = compose(&m), *v, *d;

		check_lines(s, 78);
		v = header(s, "Subject");
		d = decode_ewords(v);
		if (strcmp(d, subjects[i]) != 0)
			fail_msg("case %zu: got %s, want %s", i, d, subjects[i]);
		free(d);
		free(v);
		free(s);
	}
}

static void test_subject_folded_ascii(void **state)
{
	char subj[400];
	struct mailmsg m = {.from = "noc@example.org",
	                    .to = one_to,
	                    .nto = 1,
	                    .subject = subj,
	                    .message_id = "<1@x.org>"};
	char *s, *v;

	subj[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(subj, i ? " word" : "word");
	s = compose(&m);
	check_lines(s, 78);
	assert_non_null(strstr(s, "\r\n word"));
	v = header(s, "Subject");
	assert_string_equal(v, subj);
	free(v);
	free(s);
}

static void test_body_qp(void **state)
{
	char body[4000], *s, *b, *d;
	size_t n = 0;
	struct mailmsg m = {.from = "noc@example.org",
	                    .to = one_to,
	                    .nto = 1,
	                    .subject = "s",
	                    .message_id = "<1@x.org>",
	                    .body = body};

	n += (size_t)sprintf(body + n, "Grüße,\n.a line with a dot\nFrom here\n");
	for (int i = 0; i < 2500; i++)
		body[n++] = (char)('a' + i % 26);
	n += (size_t)sprintf(body + n, "\ntrailing space \nend=x\rcr\r\nlast");
	body[n] = '\0';
	m.body_len = n;
	s = compose(&m);
	check_lines(s, 78);
	assert_non_null(strstr(s, "Content-Transfer-Encoding: quoted-printable\r\n"));
	b = strstr(s, "\r\n\r\n") + 4;
	check_lines(b, 76);
	assert_non_null(strstr(b, "\r\n=2Ea line"));
	assert_non_null(strstr(b, "\r\n=46rom here"));
	assert_null(strstr(b, "\r\n."));
	d = decode_qp(b);
	/* the round trip: every line end became one LF, the bytes are back */
	char want[4000];
	strcpy(want, body);
	for (char *p = want; (p = strchr(p, '\r')) != NULL;) {
		if (p[1] == '\n')
			memmove(p, p + 1, strlen(p));
		else
			*p = '\n';
	}
	strcat(want, "\n");
	assert_string_equal(d, want);
	free(d);
	free(s);
}

static void test_body_7bit_newlines(void **state)
{
	static const char body[] = "a\rb\r\nc\n\nd";
	struct mailmsg m = {.from = "noc@example.org",
	                    .to = one_to,
	                    .nto = 1,
	                    .subject = "s",
	                    .message_id = "<1@x.org>",
	                    .body = body,
	                    .body_len = sizeof(body) - 1};
	char *s = compose(&m);

	check_lines(s, 998);
	assert_non_null(strstr(s, "7bit\r\n\r\na\r\nb\r\nc\r\n\r\nd\r\n"));
	/* no dot-stuffing here: that is the transport's */
	free(s);
}

static void test_errors(void **state)
{
	static const char *const bad_to[] = {"a@b", "no-at-sign"};
	static const char *const inj_to[] = {"a@b\r\nBcc: x@y"};
	static const char *const ok_to[] = {"a@b"};
	static const char badutf[] = "\xc3\x28";
	static const struct {
		const char *name;
		struct mailmsg m;
		const char *want;
	} cases[] = {
	    {"subject CRLF",
	     {.from = "a@b",
	      .to = ok_to,
	      .nto = 1,
	      .subject = "x\r\nBcc: y",
	      .message_id = "<1@x>"},
	     "Subject: CR or LF"},
	    {"subject utf8",
	     {.from = "a@b", .to = ok_to, .nto = 1, .subject = badutf, .message_id = "<1@x>"},
	     "Subject: not valid UTF-8"},
	    {"to no at", {.from = "a@b", .to = bad_to, .nto = 2, .message_id = "<1@x>"}, "To[1]: "},
	    {"to inject",
	     {.from = "a@b", .to = inj_to, .nto = 1, .message_id = "<1@x>"},
	     "To[0]: CR or LF"},
	    {"no rcpt", {.from = "a@b", .message_id = "<1@x>"}, "To: no recipient"},
	    {"no msgid", {.from = "a@b", .to = ok_to, .nto = 1}, "Message-ID: missing"},
	    {"bad msgid",
	     {.from = "a@b", .to = ok_to, .nto = 1, .message_id = "<a b@x>"},
	     "Message-ID: "},
	    {"body utf8",
	     {.from = "a@b",
	      .to = ok_to,
	      .nto = 1,
	      .message_id = "<1@x>",
	      .body = badutf,
	      .body_len = 2},
	     "body: not valid UTF-8"},
	    {"from utf8 addr",
	     {.from = "jü@b", .to = ok_to, .nto = 1, .message_id = "<1@x>"},
	     "From[0]: not a plain ASCII address"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dbuf b;
		char err[128] = "";

		dbuf_init(&b, 0);
		if (mailmsg_compose(&cases[i].m, &b, err, sizeof(err)) == 0)
			fail_msg("%s: got success, want error %s", cases[i].name, cases[i].want);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("%s: got error '%s', want '%s...'", cases[i].name, err,
			         cases[i].want);
		dbuf_free(&b);
	}
}

static void test_addr_spec(void **state)
{
	char buf[64];

	assert_null(mailmsg_addr_spec("Name <a@b.c>", buf, sizeof(buf)));
	assert_string_equal(buf, "a@b.c");
	assert_null(mailmsg_addr_spec("  a@b.c ", buf, sizeof(buf)));
	assert_string_equal(buf, "a@b.c");
	assert_non_null(mailmsg_addr_spec("Name <a@b.c", buf, sizeof(buf)));
	assert_non_null(mailmsg_addr_spec("<>", buf, sizeof(buf)));
	assert_non_null(mailmsg_addr_spec("a@b.c", buf, 3));
}

static void test_base64(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {{"", ""},        {"f", "Zg=="},          {"fo", "Zm8="},
	             {"foo", "Zm9v"}, {"\0u\0p", "AHUAcA=="}, {"foobar", "Zm9vYmFy"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dbuf b;
		size_t n = i == 4 ? 4 : strlen(cases[i].in);

		dbuf_init(&b, 0);
		mailmsg_base64(&b, cases[i].in, n);
		assert_string_equal(dbuf_str(&b), cases[i].want);
		dbuf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_exact),     cmocka_unit_test(test_all_headers),
	    cmocka_unit_test(test_subject_encoded), cmocka_unit_test(test_subject_folded_ascii),
	    cmocka_unit_test(test_body_qp),         cmocka_unit_test(test_body_7bit_newlines),
	    cmocka_unit_test(test_errors),          cmocka_unit_test(test_addr_spec),
	    cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
