/*
 * test_log - log records: control bytes escaped so a network value cannot
 * end the line or forge a record, overlong text cut and marked, the
 * verbosity threshold, and stderr's "ident: text" form
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

#include "../../src/core/limits.h"
#include "../../src/core/log.h"

static void test_escape(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(log_escape(out, sizeof(out), "host=192.0.2.7 verdict=open"), 27);
	assert_string_equal(out, "host=192.0.2.7 verdict=open");
	log_escape(out, sizeof(out), "user=x\nrelaywatch: event=forged\r\t\x7f\\");
	assert_string_equal(out, "user=x\\x0arelaywatch: event=forged\\x0d\\x09\\x7f\\x5c");
	log_escape(out, sizeof(out), "\x1b[31mred");
	assert_string_equal(out, "\\x1b[31mred");
	/* high bytes (UTF-8, junk) pass: syslog and the journal take them */
	log_escape(out, sizeof(out), "caf\xc3\xa9");
	assert_string_equal(out, "caf\xc3\xa9");
	/* cut to fit, never half an escape */
	assert_int_equal(log_escape(out, 6, "abc\ndef"), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(log_escape(out, 1, "abc"), 0);
	assert_string_equal(out, "");
}

/* capture - run rw_log with stderr on a temporary file; the text written */
static char *capture(int verbose, int prio, const char *value)
{
	static char buf[4 * RW_LOG_LINE_MAX + 64];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	log_init("rwtest", LOG_DEST_STDERR, verbose);
	rw_log(prio, "daemon event=x user=%s", value);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void test_record(void **state)
{
	char *big, *out;

	(void)state;
	assert_string_equal(capture(0, LOG_NOTICE, "a\nb"), "rwtest: daemon event=x user=a\\x0ab\n");
	/* below the threshold: nothing */
	assert_string_equal(capture(0, LOG_INFO, "a"), "");
	assert_string_equal(capture(1, LOG_INFO, "a"), "rwtest: daemon event=x user=a\n");
	assert_string_equal(capture(1, LOG_DEBUG, "a"), "");
	/* overlong: one line, cut at RW_LOG_LINE_MAX and marked */
	big = malloc(3 * RW_LOG_LINE_MAX);
	assert_non_null(big);
	memset(big, 'z', 3 * RW_LOG_LINE_MAX - 1);
	big[3 * RW_LOG_LINE_MAX - 1] = '\0';
	out = capture(0, LOG_ERR, big);
	free(big);
	assert_int_equal(strlen(out), strlen("rwtest: ") + RW_LOG_LINE_MAX + 3 + 1);
	assert_memory_equal(out + strlen(out) - 5, "z...\n", 5);
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
