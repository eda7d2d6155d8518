/*
 * test_message - the test message: token placement, line rules, sizes
 *
 * A table of message_info cases, each checked against the invariants
 * every message must keep (CRLF only, no leading dot, line lengths,
 * printable ASCII, token in header, subject, Message-ID and body), plus
 * per-case expectations; and one whole message compared to its text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/smtp/message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN                                                                                      \
	"rw1-3e8a-25-percent.ip-1700000000-3132372e302e302e35-00112233445566778899aabbccddeeff"
#define NOW 1700000000LL

#define BASE                                                                                       \
	.from = "rw-plain@canary.example.net", .to = "rw-plain@canary.example.net",                \
	.token = TOKEN, .operator_name = "Example Networks NOC",                                   \
	.abuse_contact = "abuse@example.net", .target = "127.0.0.5", .port = 25,                   \
	.test_id = "percent-ip",                                                                   \
	.trick = "percent hack at the target's address literal (nmap 5, classic)",                 \
	.myname = "scanner.example.org", .now = NOW

static const struct message_info base = {BASE};
static char long_text[10001];

/* a field of message_info a case changes from base */
enum field { F_END, F_FROM, F_TO, F_TOKEN, F_OP, F_ABUSE, F_TARGET, F_TEST, F_TRICK, F_ME, F_NOW };

struct override {
	enum field f;
	const char *s; /* may be NULL: the field is NULL */
	long long n;   /* for F_NOW */
};

struct msg_case {
	const char *name;
	int bare; /* start from an empty message_info, not base */
	struct override ov[9];
	int realistic;        /* every line without the token is < 78 */
	const char *has[4];   /* substrings the message must contain */
	const char *hasnt[3]; /* and must not */
};

static const struct msg_case cases[] = {
    {.name = "typical",
     .realistic = 1,
     .has = {"From: <rw-plain@canary.example.net>\r\n", "To: <rw-plain@canary.example.net>\r\n",
             "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n",
             "X-Relaywatch-Test: percent-ip; target=127.0.0.5; port=25\r\n"}},
    {.name = "null sender",
     .ov = {{F_FROM, "", 0}},
     .realistic = 1,
     .has = {"From: relaywatch <relaywatch@scanner.example.org>\r\n", "Envelope sender: <>"}},
    {.name = "NULL sender",
     .ov = {{F_FROM, NULL, 0}},
     .realistic = 1,
     .has = {"From: relaywatch <relaywatch@scanner.example.org>\r\n"}},
    {.name = "unqualified sender",
     .ov = {{F_FROM, "rw-sender-unqualified", 0}},
     .realistic = 1,
     .has = {"From: relaywatch <relaywatch@scanner.example.org>\r\n",
             "Envelope sender: <rw-sender-unqualified>"}},
    {.name = "bare IPv6 sender",
     .ov = {{F_FROM, "rw-sender-rawip@::1", 0}},
     .realistic = 1,
     .has = {"From: relaywatch <relaywatch@scanner.example.org>\r\n"}},
    {.name = "literal sender",
     .ov = {{F_FROM, "rw-sender-ip@[IPv6:::1]", 0}},
     .realistic = 1,
     .has = {"From: <rw-sender-ip@[IPv6:::1]>\r\n"}},
    {.name = "percent rcpt",
     .ov = {{F_TO, "rw-percent-ip%canary.example.net@[127.0.0.5]", 0}},
     .realistic = 1,
     .has = {"To: <rw-percent-ip%canary.example.net@[127.0.0.5]>\r\n"}},
    {.name = "quoted rcpt at literal",
     .ov = {{F_TO, "\"rw-quoted-ip@canary.example.net\"@[127.0.0.5]", 0}},
     .realistic = 1,
     .has = {"To: <\"rw-quoted-ip@canary.example.net\"@[127.0.0.5]>\r\n"}},
    {.name = "quoted rcpt",
     .ov = {{F_TO, "\"rw-quoted@canary.example.net\"", 0}},
     .realistic = 1,
     .has = {"To: undisclosed-recipients:;\r\n",
             "Envelope recipient: <\"rw-quoted@canary.example.net\">"}},
    {.name = "double-at rcpt",
     .ov = {{F_TO, "rw-double-at-ip@canary.example.net@[127.0.0.5]", 0}},
     .realistic = 1,
     .has = {"To: undisclosed-recipients:;\r\n"}},
    {.name = "source-route rcpt",
     .ov = {{F_TO, "@[127.0.0.5]:rw-x@canary.example.net", 0}},
     .realistic = 1,
     .has = {"To: undisclosed-recipients:;\r\n"}},
    {.name = "bang rcpt",
     .ov = {{F_TO, "canary.example.net!rw-bang", 0}},
     .realistic = 1,
     .has = {"To: undisclosed-recipients:;\r\n"}},
    {.name = "trailing-dot rcpt",
     .ov = {{F_TO, "rw-x@canary.example.net.", 0}},
     .realistic = 1,
     .has = {"To: undisclosed-recipients:;\r\n"}},
    {.name = "short token, subject unfolded",
     .ov = {{F_TOKEN, "rw1-0-25-x-1-31-00", 0}},
     .realistic = 1,
     .has = {"Subject: relaywatch relay test rw1-0-25-x-1-31-00\r\n"}},
    {.name = "long token, subject folded",
     .realistic = 1,
     .has = {"Subject: relaywatch relay test\r\n " TOKEN "\r\n"}},
    {.name = "epoch",
     .ov = {{F_NOW, NULL, 0}},
     .realistic = 1,
     .has = {"Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"}},
    {.name = "leap day",
     .ov = {{F_NOW, NULL, 951782400}},
     .realistic = 1,
     .has = {"Date: Tue, 29 Feb 2000 00:00:00 +0000\r\n"}},
    {.name = "header injection",
     .ov = {{F_OP, "NOC\r\nBcc: victim@example.com", 0},
            {F_TRICK, "x\r\n.\r\nMAIL FROM:<a@b>", 0},
            {F_FROM, "a@b\r\nX-Evil: 1", 0},
            {F_ME, "me\r\nX-Evil: 2", 0}},
     .realistic = 1,
     .has = {"NOC??Bcc: victim@example.com", "From: relaywatch <relaywatch@relaywatch.invalid>"},
     .hasnt = {"\r\nBcc:", "\r\nX-Evil", "\r\n.\r\n"}},
    {.name = "leading dots",
     .ov = {{F_OP, ".", 0}, {F_TRICK, ". .. ... ....", 0}, {F_TEST, "...", 0}, {F_ABUSE, ".x", 0}},
     .realistic = 1,
     .has = {"Trick: . .. ... ...."}},
    {.name = "long word starting with dots",
     .ov = {{F_TRICK,
             "................................................................"
             "................................................................",
             0}},
     .realistic = 1},
    {.name = "dotted operator wraps onto line starts",
     .ov = {{F_OP,
             ".. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. "
             ".. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. "
             ".. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. .. ..",
             0}},
     .realistic = 1,
     .has = {"\r\n .. .."}},
    {.name = "long trick wraps",
     .ov = {{F_TRICK, "address at the canary, at the target's host name again (nmap 11, classic)",
             0}},
     .realistic = 1,
     .has = {"\r\nTrick: address at the canary, at the target's host name again (nmap 11,\r\n"
             "  classic)\r\n"}},
    {.name = "non-ascii",
     .ov = {{F_OP, "R\xc3\xa9seau \x01\x7f NOC", 0}},
     .realistic = 1,
     .has = {"Tested by: R??seau ?? NOC"}},
    {.name = "all NULL",
     .bare = 1,
     .ov = {{F_TOKEN, TOKEN, 0}},
     .realistic = 1,
     .has = {"From: relaywatch <relaywatch@relaywatch.invalid>\r\n", "Test: unknown",
             "the network's abuse contact"}},
    {.name = "huge fields",
     .ov = {{F_FROM, long_text, 0},
            {F_TO, long_text, 0},
            {F_OP, long_text, 0},
            {F_ABUSE, long_text, 0},
            {F_TARGET, long_text, 0},
            {F_TEST, long_text, 0},
            {F_TRICK, long_text, 0},
            {F_ME, long_text, 0}},
     .has = {"X-Relaywatch-Token: " TOKEN "\r\n"}},
};

/* apply - base (or nothing) with the case's overrides */
static struct message_info apply(const struct msg_case *c)
{
	struct message_info mi = base;

	if (c->bare)
		memset(&mi, 0, sizeof(mi));
	for (const struct override *o = c->ov; o->f != F_END; o++) {
		switch (o->f) {
		case F_FROM:
			mi.from = o->s;
			break;
		case F_TO:
			mi.to = o->s;
			break;
		case F_TOKEN:
			mi.token = o->s;
			break;
		case F_OP:
			mi.operator_name = o->s;
			break;
		case F_ABUSE:
			mi.abuse_contact = o->s;
			break;
		case F_TARGET:
			mi.target = o->s;
			break;
		case F_TEST:
			mi.test_id = o->s;
			break;
		case F_TRICK:
			mi.trick = o->s;
			break;
		case F_ME:
			mi.myname = o->s;
			break;
		case F_NOW:
			mi.now = o->n;
			break;
		case F_END:
			break;
		}
	}
	return mi;
}

/* invariants - what every message keeps; prints and counts violations */
static int invariants(const char *name, const char *msg, const char *token, int realistic)
{
	const char *hdr_end = strstr(msg, "\r\n\r\n");
	const char *p = msg;
	int bad = 0, lineno = 0, body_token = 0;
	char want[512];

	if (!hdr_end) {
		print_error("%s: no empty line between header and body\n", name);
		return 1;
	}
	for (const char *q = msg; *q; q++) {
		unsigned char c = (unsigned char)*q;

		if (c == '\n' && (q == msg || q[-1] != '\r')) {
			print_error("%s: bare LF at %td\n", name, q - msg);
			bad++;
		} else if (c == '\r' && q[1] != '\n') {
			print_error("%s: bare CR at %td\n", name, q - msg);
			bad++;
		} else if (c != '\r' && c != '\n' && (c < 0x20 || c >= 0x7f)) {
			print_error("%s: byte 0x%02x at %td\n", name, c, q - msg);
			bad++;
		}
	}
	if (strlen(msg) < 2 || strcmp(msg + strlen(msg) - 2, "\r\n") != 0) {
		print_error("%s: does not end in CRLF\n", name);
		bad++;
	}
	while (*p) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		int has_token = memmem(p, len, token, strlen(token)) != NULL;

		lineno++;
		if (len > 0 && p[0] == '.') {
			print_error("%s: line %d starts with '.': %.*s\n", name, lineno, (int)len,
			            p);
			bad++;
		}
		if (len >= 998 || (!has_token && len >= 78 && (realistic || p > hdr_end))) {
			print_error("%s: line %d has %zu octets: %.60s...\n", name, lineno, len, p);
			bad++;
		}
		if (p > hdr_end && len == strlen(token) && has_token)
			body_token = 1;
		if (!eol)
			break;
		p = eol + 2;
	}
	if (!body_token) {
		print_error("%s: token not on a body line of its own\n", name);
		bad++;
	}
	snprintf(want, sizeof(want), "\r\nX-Relaywatch-Token: %s\r\n", token);
	if (!strstr(msg, want) || strstr(msg, want) > hdr_end) {
		print_error("%s: no X-Relaywatch-Token header\n", name);
		bad++;
	}
	snprintf(want, sizeof(want), "\r\nMessage-ID: <%s@", token);
	if (!strstr(msg, want) || strstr(msg, want) > hdr_end) {
		print_error("%s: no Message-ID with the token\n", name);
		bad++;
	}
	if (!strstr(msg, "\r\nSubject: relaywatch relay test") ||
	    !strstr(strstr(msg, "\r\nSubject: "), token)) {
		print_error("%s: no Subject with the token\n", name);
		bad++;
	}
	for (const char *const *h =
	         (const char *const[]){"Date: ", "\r\nFrom: ", "\r\nTo: ",
	                               "\r\nX-Relaywatch-Test: ", "\r\nMIME-Version: 1.0\r\n",
	                               "\r\nContent-Type: text/plain; charset=us-ascii\r\n", NULL};
	     *h; h++) {
		const char *at = strstr(msg, *h);

		if (!at || at > hdr_end || (h[0][0] == 'D' && at != msg)) {
			print_error("%s: header %s missing\n", name, *h);
			bad++;
		}
	}
	return bad;
}

static void test_cases(void **state)
{
	int bad = 0;

	memset(long_text, 'a', sizeof(long_text) - 1);
	for (size_t i = 0; i < sizeof(long_text) - 1; i += 7)
		long_text[i] = i % 3 ? ' ' : '@';
	long_text[sizeof(long_text) - 1] = '\0';

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct msg_case *c = &cases[i];
		const struct message_info mi = apply(c);
		char *msg = message_build(&mi);
		size_t len = strlen(msg);
		int before = bad;

		bad += invariants(c->name, msg, mi.token, c->realistic);
		for (size_t k = 0; k < 4 && c->has[k]; k++)
			if (!strstr(msg, c->has[k])) {
				print_error("%s: got no \"%s\"\n", c->name, c->has[k]);
				bad++;
			}
		for (size_t k = 0; k < 3 && c->hasnt[k]; k++)
			if (strstr(msg, c->hasnt[k])) {
				print_error("%s: got \"%s\", want none\n", c->name, c->hasnt[k]);
				bad++;
			}
		if (c->realistic && (len < 500 || len > 4096)) {
			print_error("%s: got %zu octets, want 500..4096\n", c->name, len);
			bad++;
		}
		if (len >= 16384) {
			print_error("%s: got %zu octets, want < 16384\n", c->name, len);
			bad++;
		}
		if (bad > before)
			print_message("---- %s ----\n%s----\n", c->name, msg);
		free(msg);
	}
	assert_int_equal(bad, 0);
}

/* the body says who, why, whom to contact, what was tested */
static void test_body_content(void **state)
{
	const struct message_info mi = base;
	char *msg = message_build(&mi);
	const char *body = strstr(msg, "\r\n\r\n");
	static const char *const want[] = {
	    "Example Networks NOC",
	    "open mail relays",
	    "abuse@example.net",
	    "Server tested: 127.0.0.5 port 25",
	    "Test: percent-ip",
	    "Trick: percent hack at the target's address literal (nmap 5, classic)\r\n",
	    "Envelope recipient: <rw-plain@canary.example.net>",
	    "Token:\r\n" TOKEN "\r\n",
	};
	int bad = 0;

	assert_non_null(body);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(body, want[i])) {
			print_error("body: got no \"%s\"\n", want[i]);
			bad++;
		}
	if (bad)
		print_message("%s", msg);
	free(msg);
	assert_int_equal(bad, 0);
}

/* the whole typical message, octet for octet */
static void test_golden(void **state)
{
	static const char want[] =
	    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	    "From: <rw-plain@canary.example.net>\r\n"
	    "To: <rw-plain@canary.example.net>\r\n"
	    "Subject: relaywatch relay test\r\n"
	    " " TOKEN "\r\n"
	    "Message-ID: <" TOKEN "@scanner.example.org>\r\n"
	    "X-Relaywatch-Token: " TOKEN "\r\n"
	    "X-Relaywatch-Test: percent-ip; target=127.0.0.5; port=25\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "This message tests whether a mail server relays mail for strangers.\r\n"
	    "relaywatch sent it on behalf of Example Networks NOC, who checks the\r\n"
	    "mail servers on their own network for open mail relays: servers that\r\n"
	    "forward anyone's mail, and so are abused to send spam.\r\n"
	    "\r\n"
	    "It is addressed to a test mailbox of Example Networks NOC and should\r\n"
	    "reach nobody else. If it reached you, or if you have a question, please\r\n"
	    "write to abuse@example.net and quote the token below.\r\n"
	    "\r\n"
	    "Tested by: Example Networks NOC\r\n"
	    "Contact: abuse@example.net\r\n"
	    "Server tested: 127.0.0.5 port 25\r\n"
	    "Test: percent-ip\r\n"
	    "Trick: percent hack at the target's address literal (nmap 5, classic)\r\n"
	    "Envelope sender: <rw-plain@canary.example.net>\r\n"
	    "Envelope recipient: <rw-plain@canary.example.net>\r\n"
	    "Sent: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	    "\r\n"
	    "Token:\r\n" TOKEN "\r\n";
	const struct message_info mi = base;
	char *msg = message_build(&mi);

	if (strcmp(msg, want) != 0)
		print_message("got:\n%s\nwant:\n%s\n", msg, want);
	assert_string_equal(msg, want);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_body_content),
	    cmocka_unit_test(test_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
