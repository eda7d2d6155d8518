/*
 * test_netaddr - host:port forms users type, and address scopes (which
 * decide whether the default canary literal is safe)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../src/core/netaddr.h"

static void test_split(void **state)
{
	static const struct {
		const char *in, *host;
		unsigned port;
		int ok;
	} cases[] = {
	    {"mail.example.net", "mail.example.net", 25, 1},
	    {"mail.example.net:2525", "mail.example.net", 2525, 1},
	    {"192.0.2.7", "192.0.2.7", 25, 1},
	    {"192.0.2.7:465", "192.0.2.7", 465, 1},
	    {"[2001:db8::1]:587", "2001:db8::1", 587, 1},
	    {"[::1]", "::1", 25, 1},
	    {"2001:db8::1", "2001:db8::1", 25, 1},
	    {"host:0", "", 0, 0},
	    {"host:65536", "", 0, 0},
	    {"host:25x", "", 0, 0},
	    {"[::1", "", 0, 0},
	    {"[::1]x", "", 0, 0},
	    {":25", "", 0, 0},
	    {"", "", 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[256] = "";
		unsigned port = 0;
		const char *e = netaddr_split(cases[i].in, host, sizeof(host), &port, 25);

		if ((e == NULL) != cases[i].ok)
			fail_msg("%s: got %s, want %s", cases[i].in, e ? e : "ok",
			         cases[i].ok ? "ok" : "an error");
		if (cases[i].ok && (strcmp(host, cases[i].host) != 0 || port != cases[i].port))
			fail_msg("%s: got %s port %u, want %s port %u", cases[i].in, host, port,
			         cases[i].host, cases[i].port);
	}
}

static void test_scope(void **state)
{
	static const struct {
		const char *in;
		enum netaddr_scope want;
	} cases[] = {
	    {"127.0.0.1", NETADDR_LOOPBACK},   {"127.10.0.5", NETADDR_LOOPBACK},
	    {"::1", NETADDR_LOOPBACK},         {"10.1.2.3", NETADDR_PRIVATE},
	    {"172.16.0.1", NETADDR_PRIVATE},   {"172.31.255.255", NETADDR_PRIVATE},
	    {"172.32.0.1", NETADDR_PUBLIC},    {"192.168.1.1", NETADDR_PRIVATE},
	    {"100.64.0.1", NETADDR_PRIVATE},   {"100.128.0.1", NETADDR_PUBLIC},
	    {"169.254.1.1", NETADDR_PRIVATE},  {"192.0.2.7", NETADDR_PUBLIC},
	    {"fd00::1", NETADDR_PRIVATE},      {"fe80::1", NETADDR_PRIVATE},
	    {"2001:db8::1", NETADDR_PUBLIC},   {"::ffff:10.0.0.1", NETADDR_PRIVATE},
	    {"mail.example", NETADDR_INVALID},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (netaddr_scope(cases[i].in) != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].in, netaddr_scope(cases[i].in),
			         cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_scope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
