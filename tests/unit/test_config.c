/*
 * test_config - relaywatch.conf: defaults, values, and errors that name
 * the file and line
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/core/config.h"
#include "../../src/core/limits.h"

static char dir[] = "/tmp/rwcfg.XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void test_good_file(void **state)
{
	struct rw_config c;
	char err[512];
	const char *p = write_file("good.conf", "# comment\n[relaywatch]\n"
	                                        "canary_domain = canary.example.net\n"
	                                        "sink_listen = 127.0.0.1:2526\n"
	                                        "wait = 5\n"
	                                        "tls = never\n"
	                                        "battery = quick\n"
	                                        "token_max_age = 3600\n");

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(p, &c, err, sizeof(err)), 0);
	assert_string_equal(c.canary, "canary.example.net");
	assert_string_equal(c.sink_listen, "127.0.0.1:2526");
	assert_int_equal(c.wait, 5);
	assert_string_equal(c.tls, "never");
	assert_string_equal(c.battery, "quick");
	assert_int_equal(c.token_max_age, 3600);
	assert_int_equal(c.reply_timeout, 30); /* default kept */
	config_free(&c);
}

static void test_errors(void **state)
{
	static const struct {
		const char *name, *text, *want;
	} cases[] = {
	    {"unknown key", "[relaywatch]\nwait = 3\ncanary = x\n", ":3: canary = x: unknown key"},
	    {"bad number", "wait = soon\n", ":1: wait = soon: not a number"},
	    {"out of range", "\n\nreply_timeout = 0\n", ":3: reply_timeout = 0: out of range"},
	    {"bad enum", "tls = maybe\n", ":1: tls = maybe: not one of the allowed values"},
	    {"bad section", "[other]\nwait = 1\n", ":2: unknown section [other]"},
	    {"syntax", "[relaywatch]\nthis is not ini\n", ":2: syntax error"},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rw_config c;
		const char *p = write_file("bad.conf", cases[i].text);

		config_defaults(&c);
		if (config_load(p, &c, err, sizeof(err)) != -1)
			fail_msg("%s: loaded, want an error", cases[i].name);
		if (strstr(err, cases[i].want) == NULL || strncmp(err, p, strlen(p)) != 0)
			fail_msg("%s: got '%s', want '%s' after the path", cases[i].name, err,
			         cases[i].want);
		config_free(&c);
	}
}

static void test_missing_file(void **state)
{
	struct rw_config c;
	char err[512];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load("/nonexistent/relaywatch.conf", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/relaywatch.conf: cannot open"));
	config_free(&c);
}

static void test_set(void **state)
{
	struct rw_config c;

	(void)state;
	config_defaults(&c);
	assert_null(config_set(&c, "greylist_delay", "10"));
	assert_int_equal(c.greylist_delay, 10);
	assert_string_equal(config_set(&c, "greylist_delay", "-1"), "out of range");
	assert_int_equal(c.sink_greet_wait, RW_SINK_GREET_WAIT_MS);
	assert_null(config_set(&c, "sink_greet_wait", "0"));
	assert_int_equal(c.sink_greet_wait, 0);
	assert_string_equal(config_set(&c, "sink_greet_wait", "10001"), "out of range");
	assert_string_equal(config_set(&c, "nope", "1"), "unknown key");
	assert_null(config_set(&c, "canary_domain", "[192.0.2.1]"));
	assert_string_equal(c.canary, "[192.0.2.1]");
	assert_null(c.sink_listen); /* no default: chosen per run */
	assert_null(c.dns_servers); /* /etc/resolv.conf's */
	assert_int_equal(c.dns_timeout, 5);
	assert_null(config_set(&c, "dns_servers", "127.0.0.1:5353, [::1]:53"));
	assert_string_equal(c.dns_servers, "127.0.0.1:5353, [::1]:53");
	assert_string_equal(config_set(&c, "dns_servers", "ns1.example.net"),
	                    "'ns1.example.net': not a numeric address");
	assert_string_equal(c.dns_servers, "127.0.0.1:5353, [::1]:53"); /* kept */
	assert_null(config_set(&c, "dns_servers", ""));
	assert_null(c.dns_servers);
	assert_string_equal(config_set(&c, "dns_timeout", "0"), "out of range");
	config_free(&c);
}

/* scope: a list whose repeated lines add up, longer than a plain value */
static void test_scope_list(void **state)
{
	struct rw_config c;
	char big[2000];

	(void)state;
	config_defaults(&c);
	assert_null(c.scope);
	assert_null(config_set(&c, "scope", "192.0.2.0/24, 198.51.100.0/24"));
	assert_null(config_set(&c, "scope", "2001:db8::/32"));
	assert_string_equal(c.scope, "192.0.2.0/24, 198.51.100.0/24 2001:db8::/32");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(config_set(&c, "scope", big));
	assert_non_null(config_set(&c, "canary_domain", big)); /* plain values stay short */
	config_free(&c);
	assert_null(c.scope);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_file),    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_missing_file), cmocka_unit_test(test_set),
	    cmocka_unit_test(test_scope_list),
	};
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
