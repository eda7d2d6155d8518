/*
 * test_advice - every fingerprinted MTA gets its own advice with the
 * settings that matter, tricks get their specific text, unknown falls back;
 * every proxy software likewise, by its software string or its protocols
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
	    {"postfix", "sender-parent", "check_sender_access"},
	    {"exim", "sender-domain", "senders = "},
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

/* test_write_sender_explains - recipient tricks sent from the target's own
 * literal, when sender-ip (that sender, the plain recipient) relayed too, get
 * no advice of their own but are named after the sender's; without sender-ip
 * (or with a canary sender) they keep their own */
static void test_write_sender_explains(void **state)
{
	const char *both[] = {"sender-ip", "percent-ip", "bang-host", "sender-domain"};
	const char *alone[] = {"percent-ip", "bang-host"};
	const char *canary[] = {"sender-ip", "unqualified"};
	struct dbuf b;
	const char *s;

	(void)state;
	dbuf_init(&b, 0);
	advice_write(&b, "sendmail", both, 4);
	s = dbuf_str(&b);
	assert_non_null(strstr(s, "relay_mail_from"));
	assert_null(strstr(s, "Percent hack"));
	assert_null(strstr(s, "nouucp"));
	assert_non_null(strstr(s, "the sender is what let them"));
	assert_non_null(strstr(s, "covers them: percent-ip bang-host.\n"));
	dbuf_reset(&b);
	advice_write(&b, "sendmail", alone, 2);
	s = dbuf_str(&b);
	assert_non_null(strstr(s, "Percent hack"));
	assert_non_null(strstr(s, "nouucp"));
	assert_null(strstr(s, "the sender is what let them"));
	dbuf_reset(&b);
	/* unqualified (a percent row) sends from the canary: its own evidence */
	advice_write(&b, "sendmail", canary, 2);
	s = dbuf_str(&b);
	assert_non_null(strstr(s, "relay_mail_from"));
	assert_non_null(strstr(s, "Percent hack"));
	assert_null(strstr(s, "the sender is what let them"));
	dbuf_free(&b);
}

/* test_proxy_rows - software string (or, without one, the protocols that
 * worked) -> row, and the settings its fix or check must name */
static void test_proxy_rows(void **state)
{
	static const struct {
		const char *name, *software, *protos[3], *row, *needle[4];
	} cases[] = {
	    {"tinyproxy",
	     "tinyproxy/1.11.1",
	     {"http-connect", "http-get"},
	     "tinyproxy",
	     {"Allow", "ConnectPort", "BasicAuth", NULL}},
	    {"squid via",
	     "1.1 proxy (squid/5.7)",
	     {"http-connect"},
	     "squid",
	     {"http_access deny all", "http_access deny CONNECT !SSL_ports", "acl localnet src",
	      "squid -k parse"}},
	    {"squid upper", "Squid", {NULL}, "squid", {"http_access allow localnet", NULL}},
	    {"dante via socks, no software",
	     NULL,
	     {"socks5"},
	     "socks",
	     {"client pass { from: 192.0.2.0/24", "socksmethod: username", "auth strong",
	      "allow alice"}},
	    {"socks4a, empty software", "", {"socks4a"}, "socks", {"Dante", "3proxy", NULL}},
	    {"dante named", "Dante 1.4.3", {"socks5"}, "dante", {"socksmethod: username", NULL}},
	    {"3proxy named",
	     "3proxy tiny proxy server",
	     {"http-connect"},
	     "3proxy",
	     {"auth strong", "deny *", NULL}},
	    {"wingate via telnet", NULL, {"telnet"}, "wingate", {"Telnet proxy", "Bindings", NULL}},
	    {"wingate named", "WinGate Engine", {"http-get"}, "wingate", {"Telnet proxy", NULL}},
	    {"apache",
	     "Apache/2.4.57 (Debian)",
	     {"http-get"},
	     "apache",
	     {"ProxyRequests Off", "Require ip", "apachectl configtest", NULL}},
	    {"nginx",
	     "nginx/1.24.0",
	     {"http-get"},
	     "nginx",
	     {"proxy_pass $scheme://$host", "nginx -t", "default_server", NULL}},
	    {"isa",
	     "Microsoft-ISA-Server/2006",
	     {"http-connect"},
	     "isa",
	     {"Web Proxy", "All Authenticated Users", NULL}},
	    {"tmg", "TMG", {"http-connect"}, "isa", {"Forefront TMG", NULL}},
	    {"squid before apache", "Apache/2.4 via squid/4.0", {"http-get"}, "squid", {NULL}},
	    {"unknown",
	     "ExoticProxy/0.1",
	     {"http-connect"},
	     "unknown",
	     {"allow-list", "malware", NULL}},
	    {"nothing", NULL, {"http-post"}, "unknown", {"authentication", NULL}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t np = 0;
		const struct proxy_advice *a;

		while (np < 3 && cases[i].protos[np])
			np++;
		a = advice_proxy_for(cases[i].software, cases[i].protos, np);
		if (strcmp(a->name, cases[i].row) != 0)
			fail_msg("%s: got row %s, want %s", cases[i].name, a->name, cases[i].row);
		for (int k = 0; k < 4 && cases[i].needle[k]; k++)
			if (!strstr(a->fix, cases[i].needle[k]) &&
			    !strstr(a->verify, cases[i].needle[k]) &&
			    !strstr(a->product, cases[i].needle[k]))
				fail_msg("%s: advice lacks '%s'", cases[i].name,
				         cases[i].needle[k]);
	}
}

/* test_proxy_table - every proxy row has text; unknown is last */
static void test_proxy_table(void **state)
{
	size_t n;
	const struct proxy_advice *a = advice_proxy_all(&n);

	(void)state;
	assert_true(n >= 9);
	assert_string_equal(a[n - 1].name, "unknown");
	for (size_t i = 0; i < n; i++) {
		assert_true(strlen(a[i].fix) > 40 && a[i].fix[strlen(a[i].fix) - 1] == '\n');
		assert_true(strlen(a[i].verify) > 20 &&
		            a[i].verify[strlen(a[i].verify) - 1] == '\n');
	}
}

/* test_proxy_write - unknown names the software; the check has one command
 * per protocol that worked, then the retest */
static void test_proxy_write(void **state)
{
	const char *protos[] = {"http-connect", NULL, "socks5", "telnet"};
	struct dbuf b;

	(void)state;
	dbuf_init(&b, 0);
	advice_proxy_write(&b, advice_proxy_for("ExoticProxy/0.1", NULL, 0), "ExoticProxy/0.1");
	assert_non_null(strstr(dbuf_str(&b), "says it is ExoticProxy/0.1"));
	dbuf_reset(&b);
	advice_proxy_verify(&b, advice_proxy_for(NULL, protos, 4), "[2001:db8::7]:1080", protos, 4,
	                    "relaywatch test --proxy [2001:db8::7]:1080");
	assert_non_null(strstr(dbuf_str(&b), "WinGate> prompt"));
	assert_non_null(strstr(dbuf_str(&b), "  curl -v -p -x http://[2001:db8::7]:1080 https://"));
	assert_non_null(strstr(dbuf_str(&b), "  curl -v --socks5 [2001:db8::7]:1080 http://"));
	assert_non_null(strstr(dbuf_str(&b), "  telnet [2001:db8::7]:1080"));
	assert_non_null(strstr(dbuf_str(&b), "  relaywatch test --proxy [2001:db8::7]:1080\n"));
	dbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_tricks),
	    cmocka_unit_test(test_write),
	    cmocka_unit_test(test_write_sender_explains),
	    cmocka_unit_test(test_proxy_rows),
	    cmocka_unit_test(test_proxy_table),
	    cmocka_unit_test(test_proxy_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
