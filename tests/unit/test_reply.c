/*
 * NAME
 *	test_reply - unit tests for the SMTP reply parser and ehlo_parse
 * SUMMARY
 *	table of server byte streams and the replies or errors they give
 * DESCRIPTION
 *	Each case is an input (pre + rep x nrep + post) and the transcript
 *	it must produce: "DONE@end ..." per reply (end = absolute offset
 *	just past it, so *used is checked too), "ERROR@end reason" (feeding
 *	stops there, the parser is dead), then "pending=N". Cases marked
 *	ehlo add the ehlo_parse() result after each reply. Every case runs
 *	whole, one byte at a time and split in two at every point. Runs of
 *	16+ equal bytes print as [c*N].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/dbuf.h"
#include "../../src/core/limits.h"
#include "../../src/smtp/reply.h"

struct reply_case {
	const char *name;
	const char *pre;
	size_t prelen; /* 0: strlen(pre); set it when pre holds a NUL */
	const char *rep;
	size_t nrep;
	const char *post;
	int ehlo; /* add the ehlo_parse() line after each reply */
	const char *want;
};

#define POSTFIX_EHLO                                                                               \
	"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"                \
	"250-ETRN\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n"             \
	"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n"                   \
	"250 CHUNKING\r\n"

#define EXCHANGE_EHLO                                                                              \
	"250-EX01.corp.example Hello [192.0.2.1]\r\n250-SIZE 37748736\r\n"                         \
	"250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n"                 \
	"250-X-ANONYMOUSTLS\r\n250-AUTH NTLM\r\n250-X-EXPS GSSAPI NTLM\r\n"                        \
	"250-8BITMIME\r\n250-BINARYMIME\r\n250-CHUNKING\r\n250 XRDST\r\n"

static const struct reply_case cases[] = {
    /* single-line replies */
    {.name = "banner",
     .pre = "220 mx.example ESMTP Postfix\r\n",
     .want = "DONE@30 code=220 esc= n=1 text=mx.example ESMTP Postfix\npending=0\n"},
    {.name = "esc",
     .pre = "250 2.1.0 Ok\r\n",
     .want = "DONE@14 code=250 esc=2.1.0 n=1 text=2.1.0 Ok\npending=0\n"},
    {.name = "relay denied",
     .pre = "554 5.7.1 <a@b.example>: Relay access denied\r\n",
     .want = "DONE@46 code=554 esc=5.7.1 n=1 text=5.7.1 <a@b.example>: Relay access "
             "denied\npending=0\n"},
    {.name = "esc with three-digit parts",
     .pre = "451 4.123.456 try later\r\n",
     .want = "DONE@25 code=451 esc=4.123.456 n=1 text=4.123.456 try later\npending=0\n"},
    {.name = "esc alone",
     .pre = "250 2.0.0\r\n",
     .want = "DONE@11 code=250 esc=2.0.0 n=1 text=2.0.0\npending=0\n"},
    {.name = "no esc: class 3",
     .pre = "354 3.0.0 go ahead\r\n",
     .want = "DONE@20 code=354 esc= n=1 text=3.0.0 go ahead\npending=0\n"},
    {.name = "no esc: glued text",
     .pre = "250 2.1.0x ok\r\n",
     .want = "DONE@15 code=250 esc= n=1 text=2.1.0x ok\npending=0\n"},
    {.name = "no esc: four-digit subject",
     .pre = "250 2.1000.0 ok\r\n",
     .want = "DONE@17 code=250 esc= n=1 text=2.1000.0 ok\npending=0\n"},
    {.name = "no esc: empty part",
     .pre = "250 2..0 ok\r\n",
     .want = "DONE@13 code=250 esc= n=1 text=2..0 ok\npending=0\n"},
    {.name = "no esc: not at the start",
     .pre = "250 ok 2.1.0\r\n",
     .want = "DONE@14 code=250 esc= n=1 text=ok 2.1.0\npending=0\n"},
    {.name = "three digits only",
     .pre = "250\r\n",
     .want = "DONE@5 code=250 esc= n=1 text=\npending=0\n"},
    {.name = "code and space only",
     .pre = "250 \r\n",
     .want = "DONE@6 code=250 esc= n=1 text=\npending=0\n"},
    {.name = "bare cr is text",
     .pre = "250 a\rb\r\r\n",
     .want = "DONE@10 code=250 esc= n=1 text=a\\rb\\r\npending=0\n"},
    {.name = "high bytes kept",
     .pre = "250 caf\xc3\xa9\r\n",
     .want = "DONE@11 code=250 esc= n=1 text=caf\\xc3\\xa9\npending=0\n"},
    {.name = "unterminated reply is pending", .pre = "250 ok", .want = "pending=1\n"},
    {.name = "nothing is not pending", .pre = "", .want = "pending=0\n"},
    {.name = "line at the limit",
     .pre = "250 ",
     .rep = "x",
     .nrep = RW_REPLY_LINE_MAX - 6,
     .post = "\r\n",
     .want = "DONE@4096 code=250 esc= n=1 text=[x*4090]\npending=0\n"},
    /* multi-line replies */
    {.name = "multi-line esc from the first line",
     .pre = "550-5.7.1 line one\r\n550 5.7.2 line two\r\n",
     .want = "DONE@40 code=550 esc=5.7.1 n=2 text=5.7.1 line one\\n5.7.2 line two\n"
             "pending=0\n"},
    {.name = "multi-line ending in three digits",
     .pre = "250-a\r\n250\r\n",
     .want = "DONE@12 code=250 esc= n=2 text=a\\n\npending=0\n"},
    {.name = "multi-line unterminated", .pre = "250-a\r\n250-b\r\n", .want = "pending=1\n"},
    {.name = "64 lines",
     .rep = "250-\r\n",
     .nrep = RW_REPLY_LINES_MAX - 1,
     .post = "250 \r\n",
     .want = "DONE@384 code=250 esc= n=64 text=[\\n*63]\npending=0\n"},
    {.name = "postfix ehlo",
     .ehlo = 1,
     .pre = POSTFIX_EHLO,
     .want = "DONE@209 code=250 esc= n=13 text=mx.example.org\\nPIPELINING\\nSIZE 10240000"
             "\\nVRFY\\nETRN\\nSTARTTLS\\nAUTH PLAIN LOGIN\\nAUTH=PLAIN LOGIN"
             "\\nENHANCEDSTATUSCODES\\n8BITMIME\\nDSN\\nSMTPUTF8\\nCHUNKING\n"
             "EHLO domain=mx.example.org caps=PIPELINING,STARTTLS,AUTH,SIZE,8BITMIME,"
             "ENHANCEDSTATUSCODES,SMTPUTF8,CHUNKING,DSN auth=PLAIN LOGIN size=10240000\n"
             "pending=0\n"},
    {.name = "exchange ehlo",
     .ehlo = 1,
     .pre = EXCHANGE_EHLO,
     .want = "DONE@238 code=250 esc= n=13 text=EX01.corp.example Hello [192.0.2.1]"
             "\\nSIZE 37748736\\nPIPELINING\\nDSN\\nENHANCEDSTATUSCODES\\nSTARTTLS"
             "\\nX-ANONYMOUSTLS\\nAUTH NTLM\\nX-EXPS GSSAPI NTLM\\n8BITMIME\\nBINARYMIME"
             "\\nCHUNKING\\nXRDST\n"
             "EHLO domain=EX01.corp.example caps=PIPELINING,STARTTLS,AUTH,SIZE,8BITMIME,"
             "ENHANCEDSTATUSCODES,CHUNKING,DSN auth=NTLM size=37748736\npending=0\n"},
    {.name = "ehlo old AUTH= form only",
     .ehlo = 1,
     .pre = "250-mx\r\n250 AUTH=LOGIN PLAIN\r\n",
     .want = "DONE@30 code=250 esc= n=2 text=mx\\nAUTH=LOGIN PLAIN\n"
             "EHLO domain=mx caps=AUTH auth=LOGIN PLAIN size=0\npending=0\n"},
    {.name = "ehlo AUTH line wins over AUTH=",
     .ehlo = 1,
     .pre = "250-mx\r\n250-AUTH=LOGIN\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n",
     .want = "DONE@55 code=250 esc= n=3 text=mx\\nAUTH=LOGIN\\nAUTH PLAIN LOGIN CRAM-MD5\n"
             "EHLO domain=mx caps=AUTH auth=PLAIN LOGIN CRAM-MD5 size=0\npending=0\n"},
    {.name = "ehlo lower case, bare keywords",
     .ehlo = 1,
     .pre = "250-mx.example\r\n250-size\r\n250-auth\r\n250 starttls\r\n",
     .want = "DONE@50 code=250 esc= n=4 text=mx.example\\nsize\\nauth\\nstarttls\n"
             "EHLO domain=mx.example caps=STARTTLS,AUTH,SIZE auth= size=0\npending=0\n"},
    {.name = "ehlo look-alike keywords",
     .ehlo = 1,
     .pre = "250-mx\r\n250-SIZEX 5\r\n250-XPIPELINING\r\n250-STARTTLS=1\r\n250 DSNX\r\n",
     .want = "DONE@64 code=250 esc= n=5 text=mx\\nSIZEX 5\\nXPIPELINING\\nSTARTTLS=1\\nDSNX\n"
             "EHLO domain=mx caps= auth= size=0\npending=0\n"},
    {.name = "ehlo size saturates",
     .ehlo = 1,
     .pre = "250-mx\r\n250 SIZE 999999999999999999999999999\r\n",
     .want = "DONE@46 code=250 esc= n=2 text=mx\\nSIZE [9*27]\n"
             "EHLO domain=mx caps=SIZE auth= size=max\npending=0\n"},
    {.name = "ehlo single line",
     .ehlo = 1,
     .pre = "250 mx.example Hello client [192.0.2.9]\r\n",
     .want = "DONE@41 code=250 esc= n=1 text=mx.example Hello client [192.0.2.9]\n"
             "EHLO domain=mx.example caps= auth= size=0\npending=0\n"},
    {.name = "ehlo refused",
     .ehlo = 1,
     .pre = "502 5.5.1 EHLO not implemented\r\n",
     .want = "DONE@32 code=502 esc=5.5.1 n=1 text=5.5.1 EHLO not implemented\n"
             "EHLO domain= caps= auth= size=0\npending=0\n"},
    /* pipelining: several replies back to back */
    {.name = "pipelined replies",
     .pre = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n",
     .want = "DONE@14 code=250 esc=2.1.0 n=1 text=2.1.0 Ok\n"
             "DONE@28 code=250 esc=2.1.5 n=1 text=2.1.5 Ok\n"
             "DONE@65 code=354 esc= n=1 text=End data with <CR><LF>.<CR><LF>\npending=0\n"},
    {.name = "pipelined multi-line then partial",
     .pre = "250-a\r\n250 b\r\n550 5.1.1 no\r\n451 4.",
     .want = "DONE@14 code=250 esc= n=2 text=a\\nb\n"
             "DONE@28 code=550 esc=5.1.1 n=1 text=5.1.1 no\npending=1\n"},
    {.name = "pipelined then error",
     .pre = "250 ok\r\n250 ok\nQUIT",
     .want = "DONE@8 code=250 esc= n=1 text=ok\nERROR@15 bare LF in reply\npending=0\n"},
    /* protocol errors */
    {.name = "letters for code",
     .pre = "abc\r\n",
     .want = "ERROR@1 non-digit in reply code\npending=0\n"},
    {.name = "non-digit in code",
     .pre = "25x ok\r\n",
     .want = "ERROR@3 non-digit in reply code\npending=0\n"},
    {.name = "empty line", .pre = "\r\n", .want = "ERROR@1 non-digit in reply code\npending=0\n"},
    {.name = "code too low",
     .pre = "123 x\r\n",
     .want = "ERROR@3 reply code 123 out of range\npending=0\n"},
    {.name = "code too high",
     .pre = "600 x\r\n",
     .want = "ERROR@3 reply code 600 out of range\npending=0\n"},
    {.name = "code with leading zero",
     .pre = "099 x\r\n",
     .want = "ERROR@3 reply code 099 out of range\npending=0\n"},
    {.name = "continuation code differs",
     .pre = "250-a\r\n251 b\r\n",
     .want = "ERROR@10 continuation line code 251 differs from 250\npending=0\n"},
    {.name = "nul byte",
     .pre = "250 a\0b\r\n",
     .prelen = 9,
     .want = "ERROR@6 NUL byte in reply\npending=0\n"},
    {.name = "nul byte in code",
     .pre = "2\0",
     .prelen = 2,
     .want = "ERROR@2 NUL byte in reply\npending=0\n"},
    {.name = "bare lf", .pre = "250 ok\n", .want = "ERROR@7 bare LF in reply\npending=0\n"},
    {.name = "bare lf after code", .pre = "250\n", .want = "ERROR@4 bare LF in reply\npending=0\n"},
    {.name = "bad separator",
     .pre = "250x ok\r\n",
     .want = "ERROR@4 separator after code is neither space nor hyphen\npending=0\n"},
    {.name = "bad separator: cr not before lf",
     .pre = "250\rok\r\n",
     .want = "ERROR@5 separator after code is neither space nor hyphen\npending=0\n"},
    {.name = "line one past the limit",
     .pre = "250 ",
     .rep = "x",
     .nrep = RW_REPLY_LINE_MAX - 5,
     .post = "\r\n",
     .want = "ERROR@4097 reply line longer than 4096 octets\npending=0\n"},
    {.name = "endless line",
     .pre = "250-",
     .rep = "y",
     .nrep = 9000,
     .want = "ERROR@4097 reply line longer than 4096 octets\npending=0\n"},
    {.name = "65 lines",
     .rep = "250-\r\n",
     .nrep = RW_REPLY_LINES_MAX,
     .post = "250 \r\n",
     .want = "ERROR@385 reply of more than 64 lines\npending=0\n"},
};

/* put_esc - append bytes readably; runs of 16+ equal bytes folded */
static void put_esc(struct dbuf *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t run = 1;
		char one[8];
		unsigned char c = (unsigned char)s[i];

		while (i + run < n && s[i + run] == s[i])
			run++;
		if (c == '\r')
			strcpy(one, "\\r");
		else if (c == '\n')
			strcpy(one, "\\n");
		else if (c == '\0')
			strcpy(one, "\\0");
		else if (c < 0x20 || c >= 0x7f)
			snprintf(one, sizeof(one), "\\x%02x", c);
		else
			snprintf(one, sizeof(one), "%c", c);
		if (run >= 16) {
			dbuf_printf(o, "[%s*%zu]", one, run);
			i += run;
		} else {
			dbuf_adds(o, one);
			i++;
		}
	}
}

/* put_ehlo - the ehlo_parse() result as one line */
static void put_ehlo(struct dbuf *o, const struct reply *r)
{
	static const char *const names[] = {"PIPELINING", "STARTTLS", "AUTH",
	                                    "SIZE",       "8BITMIME", "ENHANCEDSTATUSCODES",
	                                    "SMTPUTF8",   "CHUNKING", "DSN"};
	struct ehlo_info info;
	const char *sep = "";

	ehlo_parse(r, &info);
	dbuf_printf(o, "EHLO domain=%s caps=", info.domain);
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (info.caps & (1u << i)) {
			dbuf_printf(o, "%s%s", sep, names[i]);
			sep = ",";
		}
	}
	dbuf_printf(o, " auth=%s size=", info.auth);
	if (info.size == (unsigned long)-1)
		dbuf_adds(o, "max\n");
	else
		dbuf_printf(o, "%lu\n", info.size);
}

/* feed_chunk - feed one chunk; returns -1 once the parser is dead */
static int feed_chunk(struct dbuf *o, struct reply_parser *rp, const struct reply_case *tc,
                      const char *b, size_t n, size_t *pos)
{
	size_t off = 0, used;

	while (off < n) {
		enum reply_status rs = reply_feed(rp, b + off, n - off, &used);
		const struct reply *r = reply_get(rp);

		if (used > n - off || (rs == REPLY_MORE && used != n - off)) {
			dbuf_printf(o, "BAD used=%zu of %zu\n", used, n - off);
			return -1;
		}
		off += used;
		*pos += used;
		if (rs == REPLY_ERROR) {
			dbuf_printf(o, "ERROR@%zu %s\n", *pos, reply_error(rp));
			return -1;
		}
		if (rs == REPLY_DONE) {
			if (r->len != strlen(r->text))
				dbuf_printf(o, "BAD len=%zu strlen=%zu\n", r->len, strlen(r->text));
			dbuf_printf(o, "DONE@%zu code=%d esc=%s n=%d text=", *pos, r->code, r->esc,
			            r->nlines);
			put_esc(o, r->text, r->len);
			dbuf_addc(o, '\n');
			if (tc->ehlo)
				put_ehlo(o, r);
		}
	}
	return 0;
}

/* run - feed input in chunks of `step` (0: split once at `split`) */
static char *run(const struct reply_case *tc, const char *in, size_t n, size_t step, size_t split)
{
	struct reply_parser *rp = reply_parser_new();
	struct dbuf o;
	size_t pos = 0;

	dbuf_init(&o, 0);
	if (step) {
		for (size_t off = 0; off < n; off += step)
			if (feed_chunk(&o, rp, tc, in + off, off + step <= n ? step : n - off,
			               &pos) < 0)
				break;
	} else if (feed_chunk(&o, rp, tc, in, split, &pos) == 0) {
		feed_chunk(&o, rp, tc, in + split, n - split, &pos);
	}
	dbuf_printf(&o, "pending=%d\n", reply_pending(rp));
	reply_parser_free(rp);
	return dbuf_steal(&o);
}

/* check - compare one run with the case's transcript */
static void check(const struct reply_case *tc, const char *how, char *got)
{
	if (strcmp(got, tc->want) != 0) {
		print_error("case \"%s\" fed %s:\ngot:\n%swant:\n%s", tc->name, how, got, tc->want);
		free(got);
		fail();
	}
	free(got);
}

/* build - expand pre + rep * nrep + post */
static char *build(const struct reply_case *tc, size_t *n)
{
	size_t pl = tc->pre ? (tc->prelen ? tc->prelen : strlen(tc->pre)) : 0;
	size_t rl = tc->rep ? strlen(tc->rep) : 0;
	size_t ql = tc->post ? strlen(tc->post) : 0;
	char *in = malloc(pl + rl * tc->nrep + ql + 1), *p;

	assert_non_null(in);
	p = in;
	memcpy(p, tc->pre ? tc->pre : "", pl);
	p += pl;
	for (size_t i = 0; i < tc->nrep; i++, p += rl)
		memcpy(p, tc->rep, rl);
	memcpy(p, tc->post ? tc->post : "", ql);
	*n = (size_t)(p - in) + ql;
	return in;
}

/* test_case - one table row, run whole, byte by byte, split everywhere */
static void test_case(void **state)
{
	const struct reply_case *tc = *state;
	char how[64];
	size_t n;
	char *in = build(tc, &n);

	check(tc, "whole", run(tc, in, n, n ? n : 1, 0));
	check(tc, "one byte at a time", run(tc, in, n, 1, 0));
	for (size_t s = 0; s <= n; s++) {
		snprintf(how, sizeof(how), "split at %zu", s);
		check(tc, how, run(tc, in, n, 0, s));
	}
	free(in);
}

/* test_dead_until_reset - an error sticks; reset revives the parser */
static void test_dead_until_reset(void **state)
{
	struct reply_parser *rp = reply_parser_new();
	size_t used = 99;

	assert_null(reply_error(rp));
	assert_int_equal(reply_feed(rp, "250 a\n", 6, &used), REPLY_ERROR);
	assert_int_equal(used, 6);
	assert_int_equal(reply_feed(rp, "250 ok\r\n", 8, &used), REPLY_ERROR);
	assert_int_equal(used, 0);
	assert_string_equal(reply_error(rp), "bare LF in reply");
	reply_reset(rp);
	assert_null(reply_error(rp));
	assert_int_equal(reply_feed(rp, "250 ok\r\n", 8, &used), REPLY_DONE);
	assert_int_equal(used, 8);
	assert_int_equal(reply_get(rp)->code, 250);
	assert_string_equal(reply_get(rp)->text, "ok");
	assert_null(reply_parser_free(rp));
	assert_null(reply_parser_free(NULL));
}

/* test_reset_drops_partial - reset forgets half a reply */
static void test_reset_drops_partial(void **state)
{
	struct reply_parser *rp = reply_parser_new();
	size_t used;

	assert_int_equal(reply_feed(rp, "250-a\r\n25", 9, &used), REPLY_MORE);
	assert_true(reply_pending(rp));
	reply_reset(rp);
	assert_false(reply_pending(rp));
	assert_int_equal(reply_feed(rp, "421 bye\r\n", 9, &used), REPLY_DONE);
	assert_int_equal(reply_get(rp)->code, 421);
	assert_int_equal(reply_get(rp)->nlines, 1);
	assert_string_equal(reply_get(rp)->text, "bye");
	reply_parser_free(rp);
}

/* test_get_before_reply - no reply yet: code 0 and an empty text */
static void test_get_before_reply(void **state)
{
	struct reply_parser *rp = reply_parser_new();
	struct ehlo_info info;

	assert_int_equal(reply_get(rp)->code, 0);
	assert_string_equal(reply_get(rp)->text, "");
	ehlo_parse(reply_get(rp), &info);
	assert_int_equal(info.caps, 0);
	assert_string_equal(info.domain, "");
	reply_parser_free(rp);
}

/* test_ehlo_truncates - overlong domain and AUTH list are cut, not overrun */
static void test_ehlo_truncates(void **state)
{
	char text[1200];
	struct reply r = {.code = 250, .nlines = 2, .text = text};
	struct ehlo_info info;
	size_t n = 0;

	memset(text, 'd', 400);
	n = 400;
	memcpy(text + n, "\nAUTH ", 6);
	n += 6;
	for (int i = 0; i < 60; i++, n += 6)
		memcpy(text + n, "PLAIN ", 6);
	text[n] = '\0';
	r.len = n;
	ehlo_parse(&r, &info);
	assert_int_equal(strlen(info.domain), sizeof(info.domain) - 1);
	assert_int_equal(strlen(info.auth), sizeof(info.auth) - 1);
	assert_true(info.caps & EHLO_AUTH);
}

/* test_big_reply_released - text memory past a big reply is given back */
static void test_big_reply_released(void **state)
{
	struct reply_parser *rp = reply_parser_new();
	char line[4100];
	size_t used;

	memset(line, 'x', sizeof(line));
	memcpy(line, "250-", 4);
	memcpy(line + 4000, "\r\n", 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(reply_feed(rp, line, 4002, &used), REPLY_MORE);
		assert_int_equal(used, 4002);
	}
	assert_int_equal(reply_feed(rp, "250 end\r\n250 2.0.0 ok\r\n", 23, &used), REPLY_DONE);
	assert_int_equal(used, 9);
	assert_int_equal(reply_get(rp)->nlines, 4);
	assert_int_equal(reply_get(rp)->len, 3 * 3996 + 3 + 3);
	assert_int_equal(reply_feed(rp, "250 2.0.0 ok\r\n", 14, &used), REPLY_DONE);
	assert_string_equal(reply_get(rp)->text, "2.0.0 ok");
	assert_string_equal(reply_get(rp)->esc, "2.0.0");
	reply_parser_free(rp);
}

int main(void)
{
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[NCASES + 5];
	size_t n = 0;

	for (size_t i = 0; i < NCASES; i++) {
		tests[n] =
		    (struct CMUnitTest){cases[i].name, test_case, NULL, NULL, (void *)&cases[i]};
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_dead_until_reset);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_reset_drops_partial);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_get_before_reply);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ehlo_truncates);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_big_reply_released);
	return _cmocka_run_group_tests("reply", tests, n, NULL, NULL);
}
