/*
 * test_advice - every fingerprinted MTA gets its own advice with the
 * settings that matter, tricks get their specific text, unknown falls back
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/desk/advice.h"
#include "../../src/smtp/fingerprint.h"

/* test_rows - banner -> fingerprint name -> row, and the settings it must name */
static void test_rows(void **state)
{
	static const struct {
		const char *banner, *product, *needle[4];
	} cases[] = {
	    {"mx ESMTP Postfix",
	     "Postfix",
	     {"smtpd_relay_restrictions", "mynetworks", "permit_mynetworks",
	      "reject_unauth_destination"}},
	    {"mx ESMTP Sendmail 8.17.1",
	     "Sendmail",
	     {"/etc/mail/access", "FEATURE(`promiscuous_relay')", "relay-domains", "check_rcpt"}},
	    {"mx ESMTP Exim 4.96",
	     "Exim",
	     {"relay_from_hosts", "acl_check_rcpt", "accept  hosts = +relay_from_hosts",
	      "exim_checkaccess"}},
	    {"ex Microsoft ESMTP MAIL Service ready",
	     "Microsoft Exchange",
	     {"ms-Exch-SMTP-Accept-Any-Recipient", "ANONYMOUS LOGON", "RemoteIPRanges",
	      "\"Anonymous users\""}},
	    {"mx ESMTP OpenSMTPD",
	     "OpenSMTPD",
	     {"match from any for any action \"relay\"", "match from local for any", "smtpd -n",
	      "action \"outbound\" relay"}},
	    {"mx ESMTP qmail", "qmail", {"rcpthosts", "RELAYCLIENT", "tcprules", "qmail-showctl"}},
	    {"mx Courier mail server",
	     "Courier",
	     {"smtpaccess", "RELAYCLIENT", "makesmtpaccess", "esmtpacceptmailfor"}},
	    {"mx ESMTP Haraka 3.0",
	     "Haraka",
	     {"relay_acl_allow", "relay_dest_domains", "connection.relaying", "relay.ini"}},
	    {"mx hMailServer",
	     "hMailServer",
	     {"IP Ranges", "External to external e-mail addresses", "Require SMTP authentication",
	      "Internet"}},
	    {"mx Zimbra", "Zimbra (Postfix)", {"zimbraMtaMyNetworks", "zmprov", NULL, NULL}},
	    {"mx ESMTP MDaemon",
	     "an unidentified mail server",
	     {"authenticated", NULL, NULL, NULL}},
	    {"mx ESMTP", "an unidentified mail server", {"0.0.0.0/0", "5xx", NULL, NULL}},
	};
	char mta[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct advice *a;

		fingerprint_guess(cases[i].banner, NULL, mta, sizeof(mta));
		a = advice_for(mta);
		if (strcmp(a->product, cases[i].product) != 0)
			fail_msg("%s: mta '%s' got %s, want %s", cases[i].banner, mta, a->product,
			         cases[i].product);
		for (int k = 0; k < 4 && cases[i].needle[k]; k++)
			if (!strstr(a->fix, cases[i].needle[k]) &&
			    !strstr(a->verify, cases[i].needle[k]))
				fail_msg("%s: advice lacks '%s'", a->product, cases[i].needle[k]);
	}
	assert_string_equal(advice_for(NULL)->mta, "unknown");
	assert_string_equal(advice_for("")->mta, "unknown");
	assert_string_equal(advice_for("POSTFIX")->mta, "postfix");
}

/* test_table - every row has text and a trailing newline; unknown is last */
static void test_table(void **state)
{
	size_t n;
	const struct advice *a = advice_all(&n);

	(void)state;
	assert_true(n >= 10);
	assert_string_equal(a[n - 1].mta, "unknown");
	for (size_t i = 0; i < n; i++) {
		assert_true(strlen(a[i].fix) > 40 && a[i].fix[strlen(a[i].fix) - 1] == '\n');
		assert_true(strlen(a[i].verify) > 20 &&
		            a[i].verify[strlen(a[i].verify) - 1] == '\n');
	}
}

static void test_tricks(void **state)
{
	static const struct {
		const char *mta, *id, *want; /* want NULL: no extra text */
	} cases[] = {
	    {"sendmail", "percent-ip", "FEATURE(`loose_relay_check')"},
	    {"sendmail", "bang-host", "FEATURE(`nouucp', `reject')"},
	    {"sendmail", "sender-postmaster", "relay_local_from"},
	    {"postfix", "percent-host", "allow_percent_hack = no"},
	    {"postfix", "unqualified", "allow_percent_hack"},
	    {"postfix", "bang-ip", "swap_bangpath = no"},
	    {"postfix", "quoted-ip", "resolve_dequoted_address"},
	    {"postfix", "double-at-host", "allow_untrusted_routing = no"},
	    {"exim", "quoted-percent", "percent_hack_domains"},
	    {"qmail", "percent-ip", "control/percenthack"},
	    {"hmailserver", "sender-ip", "Local to external"},
	    {"postfix", "null-sender", "null sender <>"},
	    {"exchange", "source-route-ip", "RFC 5321"},
	    {"", "quoted", "inside the quotes"},
	    {"haraka", "helo-host", "HELO"},
	    {"opensmtpd", "trailing-dot", "final dot"},
	    {"postfix", "plain", NULL},
	    {"postfix", "no-such-test", NULL},
	    {NULL, NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = advice_trick(cases[i].mta, cases[i].id);

		if (cases[i].want == NULL && got != NULL)
			fail_msg("%s/%s: got '%s', want none", cases[i].mta, cases[i].id, got);
		if (cases[i].want != NULL && (got == NULL || strstr(got, cases[i].want) == NULL))
			fail_msg("%s/%s: got '%s', want '%s'", cases[i].mta, cases[i].id,
			         got ? got : "(none)", cases[i].want);
	}
}

/* test_write - the general fix once, each trick class once, the retest command */
static void test_write(void **state)
{
	const char *ids[] = {"percent-ip", "percent-host", NULL, "bang", "plain"};
	struct dbuf b;
	const char *s, *p;

	(void)state;
	dbuf_init(&b, 0);
	advice_write(&b, "sendmail", ids, 5);
	s = dbuf_str(&b);
	p = strstr(s, "Percent hack");
	assert_non_null(p);
	assert_null(strstr(p + 1, "Percent hack"));
	assert_non_null(strstr(s, "nouucp"));
	assert_non_null(strstr(s, "promiscuous_relay"));
	dbuf_reset(&b);
	advice_write(&b, "mdaemon", NULL, 0);
	assert_non_null(strstr(dbuf_str(&b), "looks like mdaemon"));
	dbuf_reset(&b);
	advice_verify(&b, "exim", "relaywatch test 192.0.2.7:25");
	assert_non_null(strstr(dbuf_str(&b), "exim_checkaccess"));
	assert_non_null(strstr(dbuf_str(&b), "  relaywatch test 192.0.2.7:25\n"));
	dbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_tricks),
	    cmocka_unit_test(test_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
