/*
 * test_config - relaywatch.conf: defaults, values, errors that name the
 * file and line (every one of them, with a hint), drop-ins in name order
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	    {"bad section", "[other]\nwait = 1\n", ":1: unknown section [other]"},
	    {"stops at the first", "wiat = 1\nwait = x\n", ":1: wiat = 1: unknown key"},
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

/* the problems a read reported, one string each: "LINE|text|hint" */
struct seen {
	char v[16][400];
	char file[16][64]; /* the file's base name */
	int n;
};

static void collect(void *arg, const struct config_problem *p)
{
	struct seen *s = arg;

	if (s->n < 16) {
		snprintf(s->v[s->n], sizeof(s->v[0]), "%d|%s|%s", p->line, p->text,
		         p->hint ? p->hint : "-");
		snprintf(s->file[s->n], sizeof(s->file[0]), "%s", strrchr(p->file, '/') + 1);
	}
	s->n++;
}

/* every problem of a file, in line order, each with its hint; the good
 * lines between them are set */
static void test_every_problem(void **state)
{
	static const char *const want[] = {
	    "2|wiat = 4: unknown key|did you mean wait?",
	    "4|connect_timeout = soon: not a number|a whole number from 1 to 86400",
	    "5|syntax error|a line is `key = value`, a [section] or a # comment",
	    "6|tls = maybe: not one of the allowed values|one of auto, require, never",
	    "7|unknown section [relaywach]|did you mean [relaywatch]?",
	    ("10|unknown section [notify]|that is a section of the policy file, which the "
	     "policy key names"),
	};
	struct rw_config c;
	struct seen s = {0};
	const char *p = write_file("many.conf", "[relaywatch]\n"
	                                        "wiat = 4\n"
	                                        "wait = 7\n"
	                                        "connect_timeout = soon\n"
	                                        "this is not ini\n"
	                                        "tls = maybe\n"
	                                        "[relaywach]\n"
	                                        "battery = quick\n"
	                                        "[relaywatch]\n"
	                                        "[notify]\n"
	                                        "reply_timeout = 9\n");

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_read(p, &c, collect, &s), 6);
	assert_int_equal(s.n, 6);
	for (int i = 0; i < 6; i++) {
		if (strcmp(s.v[i], want[i]) != 0)
			fail_msg("problem %d: got '%s', want '%s'", i, s.v[i], want[i]);
		assert_string_equal(s.file[i], "many.conf");
	}
	assert_int_equal(c.wait, 7);            /* a good line between bad ones */
	assert_string_equal(c.battery, "full"); /* under a bad section: skipped */
	assert_int_equal(c.reply_timeout, 30);  /* the same */
	assert_string_equal(c.loaded_from, p);  /* read, with problems */
	config_free(&c);
}

/* an unknown key's hint: the nearest known key, or none */
static void test_did_you_mean(void **state)
{
	static const struct {
		const char *typed, *want; /* want NULL: no "did you mean" */
	} cases[] = {
	    {"wiat", "wait"},
	    {"tsl", "tls"},
	    {"canary", "canary_domain"},
	    {"sweep_port", "sweep_ports"},
	    {"smarthost_pass_file", "smarthost_auth_pass_file"},
	    {"dns_server", "dns_servers"},
	    {"dnsbl_interval", "dnsbl_export_interval"},
	    {"web_tls", "web_tls_cert"},
	    {"connecttimeout", "connect_timeout"},
	    {"frobnicate", NULL},
	    {"x", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rw_config c;
		struct seen s = {0};
		char text[128], want[128];
		const char *p;

		snprintf(text, sizeof(text), "%s = 1\n", cases[i].typed);
		p = write_file("typo.conf", text);
		config_defaults(&c);
		assert_int_equal(config_read(p, &c, collect, &s), 1);
		if (cases[i].want)
			snprintf(want, sizeof(want), "1|%s = 1: unknown key|did you mean %s?",
			         cases[i].typed, cases[i].want);
		else
			snprintf(want, sizeof(want),
			         "1|%s = 1: unknown key|relaywatch.conf(5) lists "
			         "the keys",
			         cases[i].typed);
		if (strcmp(s.v[0], want) != 0)
			fail_msg("%s: got '%s', want '%s'", cases[i].typed, s.v[0], want);
		config_free(&c);
	}
}

/* inih's indented continuation lines: a list key's next items; for a key
 * of one value a problem (inih would replace the value with the line) */
static void test_continuation(void **state)
{
	struct rw_config c;
	struct seen s = {0};
	const char *p = write_file("cont.conf", "scope = 192.0.2.0/24\n"
	                                        "  198.51.100.0/24\n"
	                                        "\n"
	                                        "\t203.0.113.0/24\n"
	                                        "canary_domain = a.test\n"
	                                        "  [relaywatch]\n"
	                                        "[relaywatch]\n"
	                                        "  wait = 4\n");

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_read(p, &c, collect, &s), 1);
	assert_string_equal(c.scope, "192.0.2.0/24 198.51.100.0/24 203.0.113.0/24");
	assert_string_equal(c.canary, "a.test"); /* not "[relaywatch]" */
	assert_non_null(strstr(s.v[0], "6|canary_domain: an indented line continues"));
	assert_int_equal(c.wait, 4); /* after a header: a key of its own */
	config_free(&c);
}

/* a line longer than inih's buffer is named, and its tail is not read as a line */
static void test_long_line(void **state)
{
	char text[600];
	struct rw_config c;
	struct seen s = {0};
	const char *p;

	(void)state;
	snprintf(text, sizeof(text), "scope = 192.0.2.0/24%0*d\nwait = 3\n", 400, 0);
	for (char *q = strstr(text, "/24") + 3; *q == '0'; q++)
		*q = q[-1] == '0' && (q - text) % 20 == 0 ? '=' : '0'; /* a '=' in the tail */
	p = write_file("long.conf", text);
	config_defaults(&c);
	assert_int_equal(config_read(p, &c, collect, &s), 1);
	assert_non_null(strstr(s.v[0], "1|line longer than"));
	assert_int_equal(c.wait, 3);
	config_free(&c);
}

/* drop-ins: relaywatch.d beside the file, *.conf only, no dotfiles, in
 * name order whatever order they were made in, a later value over an
 * earlier; their problems name their own path and line */
static void test_dropins(void **state)
{
	static const struct {
		const char *name, *text;
	} files[] = {
	    {"30-late.conf", "[relaywatch]\nwait = 3\nwiat = 1\n"},
	    {"10-early.conf", "wait = 2\ntls = never\nbattery = quick\n"},
	    {".hidden.conf", "wait = 9\n"},
	    {"20-old.conf.bak", "wait = 8\n"},
	    {"README", "not ini at all\n"},
	    {"20-mid.conf", "battery = full\n"},
	};
	struct rw_config c;
	struct seen s = {0};
	char sub[300], path[400];
	const char *p, *file = NULL;
	int n = -1;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/etc", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	p = write_file("etc/main.conf", "wait = 1\ncanary_domain = a.test\n");
	/* no directory: no drop-ins, no problem */
	config_defaults(&c);
	assert_int_equal(config_read_tree(p, &c, collect, &s, &n), 0);
	assert_int_equal(n, 0);
	config_free(&c);
	snprintf(sub, sizeof(sub), "%s/etc/relaywatch.d", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "etc/relaywatch.d/%s", files[i].name);
		write_file(path, files[i].text);
	}
	p = write_file("etc/main.conf", "wait = 1\ncanary_domain = a.test\n");
	config_defaults(&c);
	assert_int_equal(config_read_tree(p, &c, collect, &s, &n), 1);
	assert_int_equal(n, 3);
	assert_int_equal(c.wait, 3);                    /* 30-late over 10-early over main */
	assert_string_equal(c.tls, "never");            /* 10-early, not overridden */
	assert_string_equal(c.battery, "full");         /* 20-mid over 10-early */
	assert_string_equal(c.canary, "a.test");        /* main, not overridden */
	assert_string_equal(c.loaded_from, p);          /* the file, not a drop-in */
	assert_string_equal(s.file[0], "30-late.conf"); /* the drop-in's own path */
	assert_string_equal(s.v[0], "3|wiat = 1: unknown key|did you mean wait?");
	assert_int_equal(config_where(&c, "wait", &file), 2);
	assert_non_null(strstr(file, "/etc/relaywatch.d/30-late.conf"));
	assert_int_equal(config_where(&c, "canary_domain", &file), 2);
	assert_non_null(strstr(file, "/etc/main.conf"));
	assert_null(config_set(&c, "wait", "5")); /* a flag: from no file now */
	assert_int_equal(config_where(&c, "wait", &file), 0);
	assert_null(file);
	assert_int_equal(config_where(&c, "dns_servers", &file), 0); /* a default */
	char *d = config_dropin_dir(p);
	assert_string_equal(d, sub);
	free(d);
	config_free(&c);
	/* a missing file: one problem, and its drop-ins are not read */
	snprintf(path, sizeof(path), "%s/etc/none.conf", dir);
	config_defaults(&c);
	s.n = 0;
	assert_int_equal(config_read_tree(path, &c, collect, &s, &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(c.wait, RW_ARRIVAL_WAIT);
	assert_null(c.loaded_from);
	config_free(&c);
}

/* the text main.c and config check print */
static void test_format(void **state)
{
	static const struct {
		struct config_problem p;
		const char *want;
	} cases[] = {
	    {{"a.conf", 3, "wiat", "wiat = 1: unknown key", "did you mean wait?"},
	     "a.conf:3: wiat = 1: unknown key (hint: did you mean wait?)"},
	    {{"a.conf", 0, NULL, "cannot open: No such file or directory", NULL},
	     "a.conf: cannot open: No such file or directory"},
	    {{NULL, 0, NULL, "no policy", "set it"}, "no policy (hint: set it)"},
	};
	char buf[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_problem_format(&cases[i].p, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_file),    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_missing_file), cmocka_unit_test(test_set),
	    cmocka_unit_test(test_scope_list),   cmocka_unit_test(test_every_problem),
	    cmocka_unit_test(test_did_you_mean), cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_dropins),      cmocka_unit_test(test_format),
	    cmocka_unit_test(test_continuation),
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
