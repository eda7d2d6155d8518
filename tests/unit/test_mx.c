/*
 * test_mx - choosing a domain's mail hosts: preference order, ties by
 * name, repeated exchanges once, the implicit MX (RFC 5321 5.1), the null
 * MX (RFC 7505) alone and mixed with real hosts, and the caller's bound
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../src/net/mx.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_select(void **state)
{
	static const struct {
		const char *name;
		struct mx_rec recs[6];
		size_t n, max;
		const char *want; /* hosts joined by ",", or "!" and the error */
	} cases[] = {
	    {"one", {{10, "mx.example.org"}}, 1, 8, "mx.example.org"},
	    {"by preference",
	     {{30, "c.example.org"}, {10, "a.example.org"}, {20, "b.example.org"}},
	     3,
	     8,
	     "a.example.org,b.example.org,c.example.org"},
	    {"ties by name",
	     {{10, "mx2.example.org"}, {10, "MX1.example.org"}},
	     2,
	     8,
	     "MX1.example.org,mx2.example.org"},
	    {"repeated once",
	     {{20, "mx.example.org."}, {10, "MX.example.org"}, {30, "b.example.org"}},
	     3,
	     8,
	     "MX.example.org,b.example.org"},
	    {"implicit MX", {{0, NULL}}, 0, 8, "example.org"},
	    {"null MX", {{0, ""}}, 1, 8, "!accepts no mail (null MX, RFC 7505)"},
	    {"null MX with dot", {{0, "."}}, 1, 8, "!accepts no mail (null MX, RFC 7505)"},
	    {"null MX mixed", {{0, ""}, {10, "mx.example.org"}}, 2, 8, "mx.example.org"},
	    {"bounded",
	     {{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}, {5, "e"}, {6, "f"}},
	     6,
	     3,
	     "a,b,c"},
	    {"max 0", {{0, NULL}}, 0, 0, ""},
	    {"highest preference value", {{65535, "z"}, {0, "y"}}, 2, 8, "y,z"},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct mx_rec recs[6];
		const char *out[8], *why = "unset";
		char got[512] = "";
		int k;

		memcpy(recs, cases[i].recs, sizeof(recs));
		k = mx_select("example.org", recs, cases[i].n, out, cases[i].max, &why);
		if (k < 0)
			snprintf(got, sizeof(got), "!%s", why ? why : "(null)");
		else {
			if (why != NULL)
				fail_msg("%s: why '%s' on success", cases[i].name, why);
			for (int j = 0; j < k; j++)
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
				         j ? "," : "", out[j]);
		}
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got '%s', want '%s'", cases[i].name, got, cases[i].want);
	}
}

static void test_is_null(void **state)
{
	(void)state;
	assert_true(mx_is_null(""));
	assert_true(mx_is_null("."));
	assert_false(mx_is_null("a."));
	assert_false(mx_is_null(".."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_select),
	    cmocka_unit_test(test_is_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
