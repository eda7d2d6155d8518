/*
 * test_hosts - names in a hosts(5) text: case, trailing dot, aliases,
 * comments, IPv6, duplicates, junk lines, the max
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../../src/net/hosts.h"

static const char text[] = "# comment line\n"
                           "127.0.0.1\tlocalhost\n"
                           "::1 localhost ip6-localhost # trailing comment names-in-comment\n"
                           "192.0.2.7   mail.Example.org mail   \r\n"
                           "not-an-address mail.example.org\n"
                           "192.0.2.7 mail.example.org\n"
                           "#192.0.2.9 mail.example.org\n"
                           "198.51.100.1 other\n"
                           "2001:db8::25 mail.example.org";

/* text4 - the IPv4 address of out as text */
static const char *addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET)
		return inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf,
		                 (socklen_t)len);
	return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf,
	                 (socklen_t)len);
}

static void test_lookup(void **state)
{
	struct sockaddr_storage out[8];
	socklen_t lens[8];
	char b[64];
	int n;

	(void)state;
	n = hosts_lookup(text, strlen(text), "localhost", out, lens, 8);
	assert_int_equal(n, 2);
	assert_string_equal(addr(&out[0], b, sizeof(b)), "127.0.0.1");
	assert_string_equal(addr(&out[1], b, sizeof(b)), "::1");
	assert_int_equal(lens[1], sizeof(struct sockaddr_in6));
	n = hosts_lookup(text, strlen(text), "MAIL.example.org.", out, lens, 8);
	assert_int_equal(n, 2); /* once each, commented and junk lines skipped */
	assert_string_equal(addr(&out[0], b, sizeof(b)), "192.0.2.7");
	assert_string_equal(addr(&out[1], b, sizeof(b)), "2001:db8::25");
	assert_int_equal(hosts_lookup(text, strlen(text), "mail", out, lens, 8), 1);
	assert_int_equal(hosts_lookup(text, strlen(text), "names-in-comment", out, lens, 8), 0);
	assert_int_equal(hosts_lookup(text, strlen(text), "ip6-localhost", out, lens, 8), 1);
	assert_int_equal(hosts_lookup(text, strlen(text), "nothere", out, lens, 8), 0);
	assert_int_equal(hosts_lookup(text, strlen(text), "localhost", out, lens, 1), 1);
	assert_int_equal(hosts_lookup(text, 0, "localhost", out, lens, 8), 0);
	assert_int_equal(hosts_lookup(text, strlen(text), "", out, lens, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
