/*
 * test_nslist - dns_servers / --dns-server lists: IPv4 and IPv6, with and
 * without ports, blanks, and every bad form with the item it names
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../src/core/netaddr.h"
#include "../../src/core/nslist.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* "addr port;..." or "!" and the error */
	} cases[] = {
	    {"127.0.0.1", "127.0.0.1 53"},
	    {"127.0.0.1:5353", "127.0.0.1 5353"},
	    {"::1", "::1 53"},
	    {"[::1]:5353", "::1 5353"},
	    {"[2001:db8::53]", "2001:db8::53 53"},
	    {"192.0.2.1, 192.0.2.2:54 ,[::1]:55", "192.0.2.1 53;192.0.2.2 54;::1 55"},
	    {"\t10.0.0.1\t", "10.0.0.1 53"},
	    {"ns1.example.net", "!'ns1.example.net': not a numeric address"},
	    {"127.0.0.1:0", "!'127.0.0.1:0': bad port"},
	    {"127.0.0.1:65536", "!'127.0.0.1:65536': bad port"},
	    {"127.0.0.1:", "!'127.0.0.1:': bad port"},
	    {"[::1", "!'[::1': missing ']'"},
	    {"[::1]x", "!'[::1]x': junk after ']'"},
	    {"127.0.0.1,", "!empty name server in '127.0.0.1,'"},
	    {",127.0.0.1", "!empty name server in ',127.0.0.1'"},
	    {"", "!empty name server in ''"},
	    {"1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8",
	     "1.1.1.1 53;1.1.1.2 53;1.1.1.3 53;1.1.1.4 53;1.1.1.5 53;1.1.1.6 53;1.1.1.7 53;"
	     "1.1.1.8 53"},
	    {"1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9",
	     "!more than 8 name servers"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct nslist l;
		char err[256], got[512] = "";
		const char *e = nslist_parse(cases[i].in, &l, err, sizeof(err));

		if (e)
			snprintf(got, sizeof(got), "!%s", e);
		else
			for (size_t j = 0; j < l.n; j++) {
				char a[64];
				const struct sockaddr *sa = (const struct sockaddr *)&l.ss[j];

				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s %u",
				         j ? ";" : "", netaddr_text(sa, a, sizeof(a)),
				         netaddr_port(sa));
			}
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("'%s': got '%s', want '%s'", cases[i].in, got, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
