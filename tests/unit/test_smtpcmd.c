/*
 * NAME
 *	test_smtpcmd - unit tests for the server-side command parser
 * SUMMARY
 *	table of client byte streams and the events they must produce
 * DESCRIPTION
 *	Each case is an input (pre + fill x nfill + post, so long lines stay
 *	readable) and the transcript of events it must give: one line per
 *	event, then "bare_lf=N". The driver enters data mode when it sees a
 *	DATA command, as the sink does. Every case runs whole, one byte at a
 *	time and split in two at every point; all must give the same
 *	transcript. Runs of 16+ equal bytes print as [c*N].
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
#include "../../src/sink/smtpcmd.h"

struct cmd_case {
	const char *name;
	const char *pre;
	size_t prelen; /* 0: strlen(pre); set it when pre holds a NUL */
	char fill;
	size_t nfill;
	const char *post;
	size_t msg_cap; /* 0: the parser's default */
	const char *want;
};

#define CMD_TEXT_MAX  (RW_CMD_LINE_MAX - 2)
#define DATA_TEXT_MAX (RW_DATA_LINE_MAX - 2)

static const struct cmd_case cases[] = {
    {.name = "helo",
     .pre = "HELO client.example\r\n",
     .want = "CMD HELO text=HELO arg=client.example\nbare_lf=0\n"},
    {.name = "ehlo lower case",
     .pre = "ehlo x.example\r\n",
     .want = "CMD EHLO text=ehlo arg=x.example\nbare_lf=0\n"},
    {.name = "mail mixed case with params",
     .pre = "MaIl fRoM:<a@b.example> SIZE=10 BODY=8BITMIME\r\n",
     .want = "CMD MAIL text=MaIl arg=fRoM:<a@b.example> SIZE=10 BODY=8BITMIME "
             "path=a@b.example params=SIZE=10 BODY=8BITMIME ok=1\nbare_lf=0\n"},
    {.name = "mail space after colon (Postfix tolerates it)",
     .pre = "MAIL FROM: <a@b>\r\n",
     .want = "CMD MAIL text=MAIL arg=FROM: <a@b> path=a@b params= ok=1\nbare_lf=0\n"},
    {.name = "mail null sender",
     .pre = "MAIL FROM:<>\r\n",
     .want = "CMD MAIL text=MAIL arg=FROM:<> path= params= ok=1\nbare_lf=0\n"},
    {.name = "mail without angle brackets",
     .pre = "MAIL FROM:a@b\r\n",
     .want = "CMD MAIL text=MAIL arg=FROM:a@b path= params= ok=0\nbare_lf=0\n"},
    {.name = "mail unclosed bracket",
     .pre = "MAIL FROM:<a@b\r\n",
     .want = "CMD MAIL text=MAIL arg=FROM:<a@b path= params= ok=0\nbare_lf=0\n"},
    {.name = "mail without FROM keyword",
     .pre = "MAIL <a@b>\r\n",
     .want = "CMD MAIL text=MAIL arg=<a@b> path= params= ok=0\nbare_lf=0\n"},
    {.name = "mail source route kept",
     .pre = "MAIL FROM:<@r1,@r2:a@b>\r\n",
     .want = "CMD MAIL text=MAIL arg=FROM:<@r1,@r2:a@b> path=@r1,@r2:a@b params= ok=1\n"
             "bare_lf=0\n"},
    {.name = "rcpt lower case",
     .pre = "rcpt to:<user@canary.example>\r\n",
     .want = "CMD RCPT text=rcpt arg=to:<user@canary.example> path=user@canary.example "
             "params= ok=1\nbare_lf=0\n"},
    {.name = "rcpt quoted local part holding >",
     .pre = "RCPT TO:<\"x>y\"@c> NOTIFY=NEVER\r\n",
     .want = "CMD RCPT text=RCPT arg=TO:<\"x>y\"@c> NOTIFY=NEVER path=\"x>y\"@c "
             "params=NOTIFY=NEVER ok=1\nbare_lf=0\n"},
    {.name = "rcpt quoted pair",
     .pre = "RCPT TO:<\"a\\\">\"@c>\r\n",
     .want = "CMD RCPT text=RCPT arg=TO:<\"a\\\">\"@c> path=\"a\\\">\"@c params= ok=1\n"
             "bare_lf=0\n"},
    {.name = "rcpt unclosed quote",
     .pre = "RCPT TO:<\"a>@c>\r\n",
     .want = "CMD RCPT text=RCPT arg=TO:<\"a>@c> path= params= ok=0\nbare_lf=0\n"},
    {.name = "rcpt junk after bracket",
     .pre = "RCPT TO:<a@b>x\r\n",
     .want = "CMD RCPT text=RCPT arg=TO:<a@b>x path= params= ok=0\nbare_lf=0\n"},
    {.name = "rcpt with from keyword",
     .pre = "RCPT FROM:<a@b>\r\n",
     .want = "CMD RCPT text=RCPT arg=FROM:<a@b> path= params= ok=0\nbare_lf=0\n"},
    {.name = "nul byte flagged",
     .pre = "NO\0OP\r\n",
     .prelen = 7,
     .want = "CMD NOOP text=NOOP arg= nul=1\nbare_lf=0\n"},
    {.name = "bare lf counted",
     .pre = "NOOP\nQUIT\r\n",
     .want = "CMD NOOP text=NOOP arg=\nCMD QUIT text=QUIT arg=\nbare_lf=1\n"},
    {.name = "bare cr is text",
     .pre = "NOOP a\rb\r\r\n",
     .want = "CMD NOOP text=NOOP arg=a\\rb\\r\nbare_lf=0\n"},
    {.name = "empty line", .pre = "\r\n", .want = "CMD UNKNOWN text= arg=\nbare_lf=0\n"},
    {.name = "unknown verb",
     .pre = "XFOO bar baz\r\n",
     .want = "CMD UNKNOWN text=XFOO arg=bar baz\nbare_lf=0\n"},
    {.name = "trailing space", .pre = "QUIT \r\n", .want = "CMD QUIT text=QUIT arg=\nbare_lf=0\n"},
    {.name = "verb glued to text is unknown",
     .pre = "QUITNOW\r\n",
     .want = "CMD UNKNOWN text=QUITNOW arg=\nbare_lf=0\n"},
    {.name = "other verbs",
     .pre = "STARTTLS\r\nAUTH PLAIN AGZvbwBiYXI=\r\nBDAT 10 LAST\r\nRSET\r\nVRFY x\r\n"
            "EXPN y\r\nHELP\r\n",
     .want = "CMD STARTTLS text=STARTTLS arg=\nCMD AUTH text=AUTH arg=PLAIN AGZvbwBiYXI=\n"
             "CMD BDAT text=BDAT arg=10 LAST\nCMD RSET text=RSET arg=\nCMD VRFY text=VRFY arg=x\n"
             "CMD EXPN text=EXPN arg=y\nCMD HELP text=HELP arg=\nbare_lf=0\n"},
    {.name = "unterminated command waits", .pre = "NOOP", .want = "bare_lf=0\n"},
    {.name = "line at the limit",
     .pre = "NOOP ",
     .fill = 'x',
     .nfill = CMD_TEXT_MAX - 5,
     .post = "\r\n",
     .want = "CMD NOOP text=NOOP arg=[x*4089]\nbare_lf=0\n"},
    {.name = "line one past the limit",
     .pre = "NOOP ",
     .fill = 'x',
     .nfill = CMD_TEXT_MAX - 4,
     .post = "\r\nQUIT\r\n",
     .want = "TOOLONG\nCMD QUIT text=QUIT arg=\nbare_lf=0\n"},
    {.name = "line at the limit then bare cr goes over",
     .pre = "NOOP ",
     .fill = 'x',
     .nfill = CMD_TEXT_MAX - 5,
     .post = "\ry\r\nQUIT\r\n",
     .want = "TOOLONG\nCMD QUIT text=QUIT arg=\nbare_lf=0\n"},
    {.name = "huge line skipped to bare lf",
     .pre = "MAIL FROM:<",
     .fill = 'a',
     .nfill = 6000,
     .post = ">\nQUIT\r\n",
     .want = "TOOLONG\nCMD QUIT text=QUIT arg=\nbare_lf=1\n"},
    {.name = "pipelined transaction with message",
     .pre = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n"
            "..dot\r\n.\r\nQUIT\r\n",
     .want = "CMD MAIL text=MAIL arg=FROM:<a@b> path=a@b params= ok=1\n"
             "CMD RCPT text=RCPT arg=TO:<c@d> path=c@d params= ok=1\n"
             "CMD DATA text=DATA arg=\n"
             "MESSAGE len=26 Subject: x\\r\\n\\r\\nbody\\r\\n.dot\\r\\n\n"
             "CMD QUIT text=QUIT arg=\nbare_lf=0\n"},
    {.name = "empty message",
     .pre = "DATA\r\n.\r\n",
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=0 \nbare_lf=0\n"},
    {.name = "message with bare lf line ends",
     .pre = "data\nline\n.\n",
     .want = "CMD DATA text=data arg=\nMESSAGE len=6 line\\r\\n\nbare_lf=3\n"},
    {.name = "stuffed lone dot",
     .pre = "DATA\r\n..\r\n.\r\n",
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=3 .\\r\\n\nbare_lf=0\n"},
    {.name = "dot then bare cr is not the end",
     .pre = "DATA\r\n.\rx\r\n.\r\n",
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=4 \\rx\\r\\n\nbare_lf=0\n"},
    {.name = "dot not alone",
     .pre = "DATA\r\na.\r\n .\r\n. \r\n.\r\n",
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=11 a.\\r\\n .\\r\\n \\r\\n\nbare_lf=0\n"},
    {.name = "commands inside data are text",
     .pre = "DATA\r\nQUIT\r\n.\r\nNOOP\r\n",
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=6 QUIT\\r\\n\n"
             "CMD NOOP text=NOOP arg=\nbare_lf=0\n"},
    {.name = "nul and bare cr kept in data",
     .pre = "DATA\r\na\0b\rc\r\n.\r\n",
     .prelen = 16,
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=7 a\\0b\\rc\\r\\n\nbare_lf=0\n"},
    {.name = "message over the cap",
     .pre = "DATA\r\n0123456789abc\r\n.\r\nQUIT\r\n",
     .msg_cap = 10,
     .want = "CMD DATA text=DATA arg=\nMSG_TOOBIG len=10 0123456789\n"
             "CMD QUIT text=QUIT arg=\nbare_lf=0\n"},
    {.name = "message exactly the cap",
     .pre = "DATA\r\n01234567\r\n.\r\n",
     .msg_cap = 10,
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=10 01234567\\r\\n\nbare_lf=0\n"},
    {.name = "message line truncated",
     .pre = "DATA\r\n",
     .fill = 'x',
     .nfill = 5000,
     .post = "\r\nend\r\n.\r\n",
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=4101 [x*4094]\\r\\nend\\r\\n\n"
             "bare_lf=0\n"},
    {.name = "message line at the limit",
     .pre = "DATA\r\n",
     .fill = 'y',
     .nfill = DATA_TEXT_MAX,
     .post = "\r\n.\r\n",
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=4096 [y*4094]\\r\\n\nbare_lf=0\n"},
    {.name = "two messages",
     .pre = "DATA\r\na\r\n.\r\nDATA\r\nb\r\n.\r\n",
     .want = "CMD DATA text=DATA arg=\nMESSAGE len=3 a\\r\\n\n"
             "CMD DATA text=DATA arg=\nMESSAGE len=3 b\\r\\n\nbare_lf=0\n"},
    {.name = "unterminated message waits",
     .pre = "DATA\r\nabc\r\n.",
     .want = "CMD DATA text=DATA arg=\nbare_lf=0\n"},
};

/* put_esc - append bytes readably: \r \n \0 \xNN escaped, long runs folded */
static void put_esc(struct dbuf *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t run = 1;

		while (i + run < n && s[i + run] == s[i])
			run++;
		if (run >= 16 && s[i] >= 0x20 && s[i] < 0x7f) {
			dbuf_printf(o, "[%c*%zu]", s[i], run);
			i += run;
			continue;
		}
		unsigned char c = (unsigned char)s[i++];
		if (c == '\r')
			dbuf_adds(o, "\\r");
		else if (c == '\n')
			dbuf_adds(o, "\\n");
		else if (c == '\0')
			dbuf_adds(o, "\\0");
		else if (c < 0x20 || c >= 0x7f)
			dbuf_printf(o, "\\x%02x", c);
		else
			dbuf_addc(o, (char)c);
	}
}

static void put_str(struct dbuf *o, const char *key, const char *s)
{
	dbuf_printf(o, " %s=", key);
	put_esc(o, s, strlen(s));
}

/* record - one transcript line for an event */
static void record(struct dbuf *o, struct smtpcmd_parser *p, enum smtpcmd_event ev)
{
	const struct smtpcmd *c = smtpcmd_get(p);
	const char *m;
	size_t mlen;

	switch (ev) {
	case SMTPCMD_MORE:
		return;
	case SMTPCMD_COMMAND:
		dbuf_printf(o, "CMD %s", smtpcmd_verb_name(c->verb));
		put_str(o, "text", c->verb_text);
		put_str(o, "arg", c->arg);
		if (c->verb == CMD_MAIL || c->verb == CMD_RCPT) {
			put_str(o, "path", c->path);
			put_str(o, "params", c->params);
			dbuf_printf(o, " ok=%d", c->path_ok);
		}
		if (c->nul_seen)
			dbuf_adds(o, " nul=1");
		dbuf_addc(o, '\n');
		if (c->verb == CMD_DATA)
			smtpcmd_begin_data(p);
		return;
	case SMTPCMD_TOOLONG:
		dbuf_adds(o, "TOOLONG\n");
		return;
	case SMTPCMD_MESSAGE:
	case SMTPCMD_MSG_TOOBIG:
		m = smtpcmd_message(p, &mlen);
		dbuf_printf(o, "%s len=%zu ", ev == SMTPCMD_MESSAGE ? "MESSAGE" : "MSG_TOOBIG",
		            mlen);
		put_esc(o, m, mlen);
		dbuf_addc(o, '\n');
		return;
	}
	dbuf_printf(o, "BAD EVENT %d\n", (int)ev);
}

/* feed_chunk - feed one chunk to the end, recording every event */
static void feed_chunk(struct dbuf *o, struct smtpcmd_parser *p, const char *b, size_t n)
{
	size_t off = 0, used;

	while (off < n) {
		enum smtpcmd_event ev = smtpcmd_feed(p, b + off, n - off, &used);

		if (used > n - off || (used == 0 && ev == SMTPCMD_MORE)) {
			dbuf_printf(o, "BAD used=%zu of %zu\n", used, n - off);
			return;
		}
		if (ev == SMTPCMD_MORE && used != n - off)
			dbuf_printf(o, "BAD MORE used=%zu of %zu\n", used, n - off);
		off += used;
		record(o, p, ev);
	}
}

/* run - feed input in chunks of `step` (0: split once at `split`) */
static char *run(const struct cmd_case *tc, const char *in, size_t n, size_t step, size_t split)
{
	struct smtpcmd_parser *p = smtpcmd_new(tc->msg_cap);
	struct dbuf o;

	dbuf_init(&o, 0);
	if (step) {
		for (size_t off = 0; off < n; off += step)
			feed_chunk(&o, p, in + off, off + step <= n ? step : n - off);
	} else {
		feed_chunk(&o, p, in, split);
		feed_chunk(&o, p, in + split, n - split);
	}
	dbuf_printf(&o, "bare_lf=%u\n", smtpcmd_bare_lf(p));
	smtpcmd_free(p);
	return dbuf_steal(&o);
}

/* check - compare one run with the case's transcript */
static void check(const struct cmd_case *tc, const char *how, char *got)
{
	if (strcmp(got, tc->want) != 0) {
		print_error("case \"%s\" fed %s:\ngot:\n%swant:\n%s", tc->name, how, got, tc->want);
		free(got);
		fail();
	}
	free(got);
}

/* build - expand pre + fill * nfill + post */
static char *build(const struct cmd_case *tc, size_t *n)
{
	size_t pl = tc->prelen ? tc->prelen : strlen(tc->pre);
	size_t ql = tc->post ? strlen(tc->post) : 0;
	char *in = malloc(pl + tc->nfill + ql + 1);

	assert_non_null(in);
	memcpy(in, tc->pre, pl);
	memset(in + pl, tc->fill, tc->nfill);
	if (ql)
		memcpy(in + pl + tc->nfill, tc->post, ql);
	*n = pl + tc->nfill + ql;
	return in;
}

/* test_case - one table row, run whole, byte by byte, split everywhere */
static void test_case(void **state)
{
	const struct cmd_case *tc = *state;
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

/* test_verb_names - every verb has a distinct name */
static void test_verb_names(void **state)
{
	assert_string_equal(smtpcmd_verb_name(CMD_MAIL), "MAIL");
	assert_string_equal(smtpcmd_verb_name(CMD_STARTTLS), "STARTTLS");
	assert_string_equal(smtpcmd_verb_name(CMD_UNKNOWN), "UNKNOWN");
	assert_string_equal(smtpcmd_verb_name(CMD__COUNT), "UNKNOWN");
	for (int a = 0; a < CMD__COUNT; a++)
		for (int b = a + 1; b < CMD__COUNT; b++)
			assert_string_not_equal(smtpcmd_verb_name(a), smtpcmd_verb_name(b));
}

/* test_message_lifetime - the message is released at the next feed */
static void test_message_lifetime(void **state)
{
	struct smtpcmd_parser *p = smtpcmd_new(0);
	const char *in = "a\r\n.\r\nNOOP\r\n";
	size_t used, len;

	smtpcmd_begin_data(p);
	assert_int_equal(smtpcmd_feed(p, in, strlen(in), &used), SMTPCMD_MESSAGE);
	assert_int_equal(used, 6);
	assert_string_equal(smtpcmd_message(p, &len), "a\r\n");
	assert_int_equal(len, 3);
	assert_int_equal(smtpcmd_feed(p, in + used, strlen(in) - used, &used), SMTPCMD_COMMAND);
	assert_int_equal(smtpcmd_get(p)->verb, CMD_NOOP);
	assert_string_equal(smtpcmd_message(p, &len), "");
	assert_int_equal(len, 0);
	assert_null(smtpcmd_free(p));
	assert_null(smtpcmd_free(NULL));
}

/* test_overlong_data_line - a hostile 32 MiB message line in one read is
 * consumed in one pass: the line is cut at its limit, the message ends at
 * its dot. (Each byte past the limit used to rescan the rest of the
 * buffer: O(n^2), hours for this input; the suite's timeout catches a
 * return of that.) */
static void test_overlong_data_line(void **state)
{
	size_t n = 32u << 20, used = 0, len;
	char *in = malloc(n + 5);
	struct smtpcmd_parser *p = smtpcmd_new(64u << 20);

	(void)state;
	assert_non_null(in);
	memset(in, 'x', n);
	memcpy(in + n, "\r\n.\r\n", 5);
	smtpcmd_begin_data(p);
	assert_int_equal(smtpcmd_feed(p, in, n + 5, &used), SMTPCMD_MESSAGE);
	assert_int_equal(used, n + 5);
	smtpcmd_message(p, &len);
	assert_true(len <= RW_DATA_LINE_MAX);
	smtpcmd_free(p);
	free(in);
}

/* test_get_before_feed - a fresh parser reports no command, not garbage */
static void test_get_before_feed(void **state)
{
	struct smtpcmd_parser *p = smtpcmd_new(0);
	const struct smtpcmd *c = smtpcmd_get(p);

	assert_int_equal(c->verb, CMD_UNKNOWN);
	assert_string_equal(c->verb_text, "");
	assert_string_equal(c->arg, "");
	assert_string_equal(c->path, "");
	assert_string_equal(c->params, "");
	smtpcmd_free(p);
}

int main(void)
{
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[NCASES + 4];
	size_t n = 0;

	for (size_t i = 0; i < NCASES; i++) {
		tests[n] =
		    (struct CMUnitTest){cases[i].name, test_case, NULL, NULL, (void *)&cases[i]};
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_verb_names);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_message_lifetime);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_get_before_feed);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_overlong_data_line);
	return _cmocka_run_group_tests("smtpcmd", tests, n, NULL, NULL);
}
