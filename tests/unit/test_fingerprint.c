/*
 * test_fingerprint - the MTA guessed from real banners and EHLO replies
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/smtp/fingerprint.h"

static void test_table(void **state)
{
	static const struct {
		const char *banner, *ehlo, *want;
	} cases[] = {
	    {"mx.example ESMTP Postfix (Debian/GNU)", "mx.example\nPIPELINING", "postfix"},
	    {"mx.example ESMTP Exim 4.96 Fri, 27 Nov 2026", "mx.example Hello", "exim"},
	    {"mx.example ESMTP ready", "mx.example Hello x [1.2.3.4]\nSIZE 52428800\nPIPECONNECT",
	     "exim"},
	    {"mx.example ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2", "", "sendmail"},
	    {"mx.example ESMTP", "mx.example Hello x [1.2.3.4], pleased to meet you", "sendmail"},
	    {"osd.example ESMTP OpenSMTPD", "", "opensmtpd"},
	    {"ex.example Microsoft ESMTP MAIL Service ready", "", "exchange"},
	    {"mx.example ESMTP", "mx.example Hello\nX-EXPS GSSAPI NTLM", "exchange"},
	    {"mx.example ESMTP", "mx.example\nSIZE 1000", ""},
	    {NULL, NULL, ""},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fingerprint_guess(cases[i].banner, cases[i].ehlo, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%s / %s: got '%s', want '%s'", cases[i].banner, cases[i].ehlo,
			         out, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_table)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
