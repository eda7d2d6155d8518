/*
 * test_quoted - a relayed test message versus a bounce or auto-reply that
 * only quotes it (backscatter must never prove relaying)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/sink/quoted.h"

#define TOK "rw1-0-25-plain-1764250000-3132372e302e302e35-00112233445566778899aabbccddeeff"

static const struct {
	const char *name, *msg;
	int want;
} cases[] = {
    {"relayed, token in our header fields",
     "Received: from lab-1 ([127.10.0.1]) by sink; date\r\n"
     "From: rw-plain@canary.test\r\nSubject: relaywatch relay test " TOK "\r\n"
     "X-Relaywatch-Token: " TOK "\r\n\r\nbody " TOK "\r\n",
     0},
    {"relayed with LF line ends",
     "Subject: relaywatch relay test " TOK "\nX-Relaywatch-Token: " TOK "\n\nbody\n", 0},
    {"postfix bounce: multipart/report",
     "From: MAILER-DAEMON@pf.lab.test (Mail Delivery System)\r\n"
     "Subject: Undelivered Mail Returned to Sender\r\n"
     "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"x\"\r\n\r\n"
     "--x\r\n\r\nThis is the mail system\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n"
     "X-Relaywatch-Token: " TOK "\r\n\r\n--x--\r\n",
     1},
    {"exim bounce: token only in the body",
     "From: Mail Delivery System <Mailer-Daemon@exim.test>\r\nSubject: Mail delivery failed: "
     "returning message to sender\r\n\r\n------ This is a copy of the message\r\n"
     "X-Relaywatch-Token: " TOK "\r\n",
     1},
    {"exchange NDR keeps the subject",
     "Subject: Undeliverable: relaywatch relay test " TOK
     "\r\nContent-Type: text/plain\r\n\r\nx\r\n",
     1},
    {"auto-reply quoting the subject",
     "Subject: Automatic reply: relaywatch relay test " TOK "\r\n\r\nI am away\r\n", 1},
    {"no header/body separator, token in a field", "X-Relaywatch-Token: " TOK "\r\n", 0},
    {"content-type in the body does not count",
     "X-Relaywatch-Token: " TOK "\r\n\r\nContent-Type: multipart/report\r\n", 0},
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *m = cases[i].msg;
		const char *tok = strstr(m, TOK);
		int got = quoted_is_bounce(m, strlen(m), tok);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
	assert_int_equal(quoted_is_bounce("x", 1, NULL), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_cases)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
