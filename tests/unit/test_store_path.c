/*
 * test_store_path - the default --db location: a table of environments
 * for store_path_choose, then store_default_path on this process with
 * RELAYWATCH_DB set. Failures print "name: got X, want Y".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYS STORE_SYSTEM_DIR "/relaywatch.db"

/* the choice, rule by rule */
static void test_choose(void **state)
{
	static const struct {
		const char *name;
		struct store_path_env env;
		const char *want; /* NULL: no default */
	} cases[] = {
	    {"env wins over root", {"/x/rw.db", "/d", "/h", 1, 1}, "/x/rw.db"},
	    {"env relative kept", {"rw.db", NULL, "/h", 0, 0}, "rw.db"},
	    {"env empty ignored",
	     {"", NULL, "/h", 0, 0},
	     "/h/.local/share/relaywatch/relaywatch.db"},
	    {"root", {NULL, "/d", "/h", 1, 0}, SYS},
	    {"system dir writable", {NULL, "/d", "/h", 0, 1}, SYS},
	    {"xdg", {NULL, "/d", "/h", 0, 0}, "/d/relaywatch/relaywatch.db"},
	    {"xdg relative ignored",
	     {NULL, "d", "/h", 0, 0},
	     "/h/.local/share/relaywatch/relaywatch.db"},
	    {"xdg empty ignored",
	     {NULL, "", "/h", 0, 0},
	     "/h/.local/share/relaywatch/relaywatch.db"},
	    {"home",
	     {NULL, NULL, "/home/u", 0, 0},
	     "/home/u/.local/share/relaywatch/relaywatch.db"},
	    {"no home", {NULL, NULL, NULL, 0, 0}, NULL},
	    {"relative home", {NULL, NULL, "h", 0, 0}, NULL},
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = store_path_choose(&cases[i].env);
		const char *want = cases[i].want;

		if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0)) {
			print_error("%s: got %s, want %s\n", cases[i].name, got ? got : "(none)",
			            want ? want : "(none)");
			bad++;
		}
		free(got);
	}
	assert_int_equal(bad, 0);
}

/* this process: RELAYWATCH_DB is read */
static void test_default(void **state)
{
	char *p;

	assert_int_equal(setenv("RELAYWATCH_DB", "/tmp/x/rw.db", 1), 0);
	p = store_default_path();
	assert_non_null(p);
	assert_string_equal(p, "/tmp/x/rw.db");
	free(p);
	assert_int_equal(unsetenv("RELAYWATCH_DB"), 0);
	p = store_default_path(); /* some path: root, a writable system dir or a home */
	if (p != NULL)
		assert_true(strstr(p, "relaywatch.db") != NULL);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_choose),
	    cmocka_unit_test(test_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
