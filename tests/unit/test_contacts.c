/*
 * test_contacts - the netblock owners file: fields, quoting, several
 * emails, normalised CIDRs, defaults, and each bad line refused with the
 * field named
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/desk/contacts.h"

static void test_good(void **state)
{
	struct contact c;
	char err[128];

	(void)state;
	assert_int_equal(contact_parse_line("192.0.2.77/24,\"Example, Hosting\",noc@example.net "
	                                    "admin@example.net;x@example.org,C-1042",
	                                    &c, err, sizeof(err)),
	                 1);
	assert_string_equal(c.netblock, "192.0.2.0/24");
	assert_int_equal(c.prefix, 24);
	assert_string_equal(c.customer, "Example, Hosting");
	assert_string_equal(c.account, "C-1042");
	assert_int_equal(c.nemails, 3);
	assert_string_equal(c.emails[2], "x@example.org");
	assert_int_equal(
	    contact_parse_line("2001:db8:10::/48, Lab ,lab@example.org,\r", &c, err, sizeof(err)),
	    1);
	assert_string_equal(c.netblock, "2001:db8:10::/48");
	assert_int_equal(c.prefix, 48);
	assert_string_equal(c.customer, "Lab");
	assert_int_equal(contact_parse_line("0.0.0.0/0,NOC,noc@example.net", &c, err, sizeof(err)),
	                 1);
	assert_int_equal(c.prefix, 0);
	assert_int_equal(contact_parse_line("::/0,NOC,noc@example.net", &c, err, sizeof(err)), 1);
	assert_int_equal(c.prefix, 0);
	assert_int_equal(
	    contact_parse_line("198.51.100.7/32,One,a@example.net,", &c, err, sizeof(err)), 1);
	assert_string_equal(c.netblock, "198.51.100.7/32");
	assert_int_equal(c.prefix, 32);
	assert_int_equal(contact_parse_line("\"a \"\"quoted\"\" name\"", &c, err, sizeof(err)), -1);
	{
		const char *skip[] = {"# comment", "", "   ", "\r", "CIDR,customer,emails,account"};

		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			assert_int_equal(contact_parse_line(skip[i], &c, err, sizeof(err)), 0);
	}
}

static void test_bad(void **state)
{
	const char *bad[][2] = {
	    {"192.0.2.0,X,a@example.net", "not a CIDR"},
	    {"192.0.2.0/33,X,a@example.net", "cidr"},
	    {"example.net/24,X,a@example.net", "cidr"},
	    {"192.0.2.0/24,X", "field(s)"},
	    {"192.0.2.0/24,X,not-an-email", "not a mailbox"},
	    {"192.0.2.0/24,X,a@b@example.net", "not a mailbox"},
	    {"192.0.2.0/24,X,<a@example.net>", "not a mailbox"},
	    {"192.0.2.0/24,X,   ", "no admin email"},
	    {"192.0.2.0/24,\"X,a@example.net", "not CSV"},
	    {"192.0.2.0/24,X,a@example.net,acct,extra", "not CSV"},
	};
	struct contact c;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(contact_parse_line(bad[i][0], &c, err, sizeof(err)), -1);
		if (strstr(err, bad[i][1]) == NULL)
			fail_msg("%s: error '%s' lacks '%s'", bad[i][0], err, bad[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
