/*
 * test_result - the per-target result's owned parts: tests sized to the
 * battery, one string block per test, arrivals only when one came, and a
 * transcript buffer that grows as written and never past its cap
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../src/core/dbuf.h"
#include "../../src/core/limits.h"
#include "../../src/smtp/result.h"

/* dbuf growth: bytes written in chunks, then the length, drops and memory held */
static const struct {
	const char *name;
	size_t cap, chunk, nchunks;
	size_t want_len, want_dropped, want_alloc_max;
} dcases[] = {
    {"nothing written allocates nothing", 1024, 0, 0, 0, 0, 0},
    {"small write, small buffer", RW_TRANSCRIPT_MAX, 10, 1, 10, 0, 64},
    {"grows by doubling", RW_TRANSCRIPT_MAX, 100, 10, 1000, 0, 1024},
    {"exactly the cap: no doubling past it", RW_TRANSCRIPT_MAX, 1024, 64, RW_TRANSCRIPT_MAX, 0,
     RW_TRANSCRIPT_MAX + 1},
    {"past the cap: dropped, memory still cap + 1", RW_TRANSCRIPT_MAX, 1000, 100, RW_TRANSCRIPT_MAX,
     100000 - RW_TRANSCRIPT_MAX, RW_TRANSCRIPT_MAX + 1},
    {"odd cap", 100, 30, 5, 100, 50, 101},
    {"no cap", 0, 1000, 100, 100000, 0, 131072},
};

static void test_dbuf_growth(void **state)
{
	char chunk[1024];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		struct dbuf b;

		dbuf_init(&b, dcases[i].cap);
		for (size_t k = 0; k < dcases[i].nchunks; k++)
			dbuf_add(&b, chunk, dcases[i].chunk);
		if (b.len != dcases[i].want_len || b.dropped != dcases[i].want_dropped ||
		    b.alloc > dcases[i].want_alloc_max)
			fail_msg("%s: got len %zu dropped %zu alloc %zu, want %zu %zu <= %zu",
			         dcases[i].name, b.len, b.dropped, b.alloc, dcases[i].want_len,
			         dcases[i].want_dropped, dcases[i].want_alloc_max);
		if (b.len && strlen(dbuf_str(&b)) != b.len)
			fail_msg("%s: not NUL-terminated at len", dcases[i].name);
		dbuf_free(&b);
	}
}

/* dbuf_shrink keeps a small buffer's memory and gives a big one's back */
static void test_dbuf_shrink(void **state)
{
	struct dbuf b;

	(void)state;
	dbuf_init(&b, 0);
	dbuf_adds(&b, "MAIL FROM:<a@b>\r\n");
	dbuf_shrink(&b, 512);
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	assert_string_equal(dbuf_str(&b), "");
	for (int i = 0; i < 100; i++)
		dbuf_adds(&b, "0123456789abcdef0123456789abcdef");
	dbuf_shrink(&b, 512);
	assert_int_equal(b.len, 0);
	assert_null(b.data);
	assert_int_equal(b.alloc, 0);
	assert_string_equal(dbuf_str(&b), "");
	dbuf_free(&b);
}

/* tests come sized to the battery with "" strings; clear frees them all */
static void test_tests_lifecycle(void **state)
{
	struct target_result r;
	struct arrival a = {.peer = "127.0.0.9", .nreceived = 1};
	char rcv[] = "from x by y";

	(void)state;
	result_init(&r);
	assert_null(r.tests);
	result_tests_new(&r, 25);
	assert_int_equal(r.ntests, 25);
	for (size_t i = 0; i < r.ntests; i++) {
		assert_string_equal(r.tests[i].helo, "");
		assert_string_equal(r.tests[i].token, "");
		assert_null(r.tests[i].arrival);
	}
	a.received[0] = rcv;
	r.tests[3].arrival = arrival_dup(&a);
	assert_string_equal(r.tests[3].arrival->peer, "127.0.0.9");
	assert_ptr_not_equal(r.tests[3].arrival->received[0], rcv); /* a deep copy */
	r.tests[3].text = strdup("250 ok");
	result_clear(&r); /* valgrind and ASan see any leak */
	assert_null(r.tests);
	assert_int_equal(r.ntests, 0);
	assert_null(arrival_free(NULL));
}

/* result_test_set may be handed the strings of the block it replaces */
static void test_test_set_aliasing(void **state)
{
	struct target_result r;
	struct test_result *t;
	char longer[RW_PATH_MAX + 1];

	(void)state;
	result_init(&r);
	result_tests_new(&r, 1);
	t = &r.tests[0];
	result_test_set(t, "helo.test", "a@b.test", "c%d@[127.0.0.5]", "rw1-token");
	memset(longer, 'm', RW_PATH_MAX);
	longer[RW_PATH_MAX] = '\0';
	result_test_set(t, t->helo, longer, t->rcpt_to, t->token);
	assert_string_equal(t->helo, "helo.test");
	assert_string_equal(t->mail_from, longer);
	assert_string_equal(t->rcpt_to, "c%d@[127.0.0.5]");
	assert_string_equal(t->token, "rw1-token");
	result_test_set(t, NULL, t->mail_from, NULL, t->token);
	assert_string_equal(t->helo, "");
	assert_string_equal(t->rcpt_to, "");
	assert_string_equal(t->mail_from, longer);
	result_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dbuf_growth),
	    cmocka_unit_test(test_dbuf_shrink),
	    cmocka_unit_test(test_tests_lifecycle),
	    cmocka_unit_test(test_test_set_aliasing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
