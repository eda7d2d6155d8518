/*
 * NAME
 *	test_httpreq - unit tests for the HTTP request-head recognizer
 * SUMMARY
 *	table of first bytes and the events and fields they must give
 * DESCRIPTION
 *	Each case is an input (pre + fill x nfill + post) and the transcript
 *	it must give: the events in order (IS_HTTP, then HEAD/BAD/NOT_HTTP or
 *	nothing more), then method=, target= and why=, and how many bytes
 *	were consumed. Every case runs whole, one byte at a time and split in
 *	two at every point; all must give the same transcript.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/dbuf.h"
#include "../../src/core/limits.h"
#include "../../src/sink/httpreq.h"

struct hr_case {
	const char *name;
	const char *pre;
	char fill;
	size_t nfill;
	const char *post;
	const char *want;
};

static const struct hr_case cases[] = {
    {.name = "origin form",
     .pre = "GET /rwp/rwpget.0123456789abcdef HTTP/1.0\r\n\r\n",
     .want = "IS_HTTP HEAD method=GET target=/rwp/rwpget.0123456789abcdef why= used=45\n"},
    {.name = "absolute form with fields",
     .pre = "GET http://192.0.2.1:25/rwp/x HTTP/1.1\r\nHost: 192.0.2.1:25\r\n"
            "Proxy-Connection: keep-alive\r\n\r\n",
     .want = "IS_HTTP HEAD method=GET target=http://192.0.2.1:25/rwp/x why= used=92\n"},
    {.name = "bare LF throughout",
     .pre = "HEAD / HTTP/1.1\nHost: a\n\n",
     .want = "IS_HTTP HEAD method=HEAD target=/ why= used=25\n"},
    {.name = "folded field",
     .pre = "GET / HTTP/1.0\r\nX-A: b\r\n\tc\r\n\r\n",
     .want = "IS_HTTP HEAD method=GET target=/ why= used=30\n"},
    {.name = "body after the head is not read",
     .pre = "POST /x HTTP/1.0\r\nContent-Length: 4\r\n\r\nbody",
     .want = "IS_HTTP HEAD method=POST target=/x why= used=39\n"},
    {.name = "CONNECT",
     .pre = "CONNECT 192.0.2.1:25 HTTP/1.1\r\n\r\n",
     .want = "IS_HTTP HEAD method=CONNECT target=192.0.2.1:25 why= used=33\n"},
    {.name = "ten-letter method",
     .pre = "ABCDEFGHIJ / HTTP/1.0\r\n\r\n",
     .want = "IS_HTTP HEAD method=ABCDEFGHIJ target=/ why= used=25\n"},
    {.name = "head incomplete",
     .pre = "GET / HTTP/1.0\r\nHost: a\r\n",
     .want = "IS_HTTP method=GET target=/ why= used=25\n"},
    {.name = "request line incomplete: undecided",
     .pre = "GET /rwp/",
     .want = "method= target= why= used=9\n"},
    /* not HTTP: decided at the byte that proves it */
    {.name = "EHLO",
     .pre = "EHLO client.example\r\n",
     .want = "NOT_HTTP method= target= why= used=20\n"},
    {.name = "lower-case method",
     .pre = "get / HTTP/1.0\r\n\r\n",
     .want = "NOT_HTTP method= target= why= used=1\n"},
    {.name = "QUIT", .pre = "QUIT\r\n", .want = "NOT_HTTP method= target= why= used=5\n"},
    {.name = "two-letter method",
     .pre = "GE / HTTP/1.0\r\n",
     .want = "NOT_HTTP method= target= why= used=3\n"},
    {.name = "eleven-letter method",
     .pre = "ABCDEFGHIJK / HTTP/1.0\r\n",
     .want = "NOT_HTTP method= target= why= used=11\n"},
    {.name = "double space",
     .pre = "GET  / HTTP/1.0\r\n",
     .want = "NOT_HTTP method= target= why= used=5\n"},
    {.name = "HTTP/2",
     .pre = "GET / HTTP/2.0\r\n",
     .want = "NOT_HTTP method= target= why= used=12\n"},
    {.name = "lower-case version",
     .pre = "GET / http/1.0\r\n",
     .want = "NOT_HTTP method= target= why= used=7\n"},
    {.name = "HTTP/0.9 request",
     .pre = "GET /\r\n",
     .want = "NOT_HTTP method= target= why= used=6\n"},
    {.name = "TLS hello", .pre = "\x16\x03\x01", .want = "NOT_HTTP method= target= why= used=1\n"},
    {.name = "undecided past the head limit",
     .pre = "GET /",
     .fill = 'a',
     .nfill = RW_HTTP_HEAD_MAX,
     .want = "NOT_HTTP method= target= why= used=8193\n"},
    /* HTTP, but bad */
    {.name = "no minor digit",
     .pre = "GET / HTTP/1.x\r\n",
     .want = "IS_HTTP BAD method= target= why=version used=14\n"},
    {.name = "junk after the version",
     .pre = "GET / HTTP/1.0 x\r\n",
     .want = "IS_HTTP BAD method= target= why=request line end used=15\n"},
    {.name = "bare CR ends the request line",
     .pre = "GET / HTTP/1.0\rX",
     .want = "IS_HTTP BAD method= target= why=request line end used=16\n"},
    {.name = "field without colon",
     .pre = "GET / HTTP/1.0\r\nno colon\r\n\r\n",
     .want = "IS_HTTP BAD method=GET target=/ why=field name used=19\n"},
    {.name = "fold as the first field",
     .pre = "GET / HTTP/1.0\r\n x: y\r\n\r\n",
     .want = "IS_HTTP BAD method=GET target=/ why=field name used=17\n"},
    {.name = "control byte in a value",
     .pre = "GET / HTTP/1.0\r\nA: b\x01\r\n\r\n",
     .want = "IS_HTTP BAD method=GET target=/ why=field value used=21\n"},
    {.name = "bare CR in a value",
     .pre = "GET / HTTP/1.0\r\nA: b\rc\r\n\r\n",
     .want = "IS_HTTP BAD method=GET target=/ why=bare CR used=22\n"},
    {.name = "CR then junk for the empty line",
     .pre = "GET / HTTP/1.0\r\n\rx",
     .want = "IS_HTTP BAD method=GET target=/ why=bare CR used=18\n"},
    {.name = "64 fields are fine",
     .pre = "GET / HTTP/1.0\r\n",
     .fill = 'A', /* each "A:\r\n" below is built by the driver from the fill */
     .nfill = 64,
     .post = "\r\n",
     .want = "IS_HTTP HEAD method=GET target=/ why= used=274\n"},
    {.name = "65 fields are not",
     .pre = "GET / HTTP/1.0\r\n",
     .fill = 'A',
     .nfill = 65,
     .post = "\r\n",
     .want = "IS_HTTP BAD method=GET target=/ why=too many header lines used=273\n"},
    {.name = "head past 8 KiB",
     .pre = "GET / HTTP/1.0\r\nX: ",
     .fill = 'v',
     .nfill = RW_HTTP_HEAD_MAX,
     .post = "\r\n\r\n",
     .want = "IS_HTTP BAD method=GET target=/ why=head too long used=8193\n"},
    {.name = "target longer than kept: HTTP, empty target",
     .pre = "GET /",
     .fill = 't',
     .nfill = RW_HTTP_TARGET_MAX,
     .post = " HTTP/1.0\r\n\r\n",
     .want = "IS_HTTP HEAD method=GET target= why= used=1042\n"},
};

/* build - the case's bytes; fill 'A' means nfill "A:\r\n" field lines */
static char *build(const struct hr_case *c, size_t *len)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	dbuf_add(&b, c->pre, strlen(c->pre));
	for (size_t i = 0; i < c->nfill; i++) {
		if (c->fill == 'A')
			dbuf_add(&b, "A:\r\n", 4);
		else
			dbuf_addc(&b, c->fill);
	}
	if (c->post)
		dbuf_add(&b, c->post, strlen(c->post));
	*len = b.len;
	return b.data;
}

static const char *const ev_names[] = {
    [HTTPREQ_MORE] = "MORE", [HTTPREQ_NOT_HTTP] = "NOT_HTTP", [HTTPREQ_IS_HTTP] = "IS_HTTP",
    [HTTPREQ_HEAD] = "HEAD", [HTTPREQ_BAD] = "BAD",
};

/* run - feed in the given pieces (cut points), return the transcript */
static char *run(const char *in, size_t len, const size_t *cuts, size_t ncuts)
{
	struct httpreq *p = httpreq_new();
	struct dbuf t;
	size_t total = 0, start = 0;
	int done = 0;

	dbuf_init(&t, 0);
	for (size_t k = 0; k <= ncuts && !done; k++) {
		size_t end = k < ncuts ? cuts[k] : len;

		while (start < end && !done) {
			size_t used = 0;
			enum httpreq_event ev = httpreq_feed(p, in + start, end - start, &used);

			assert_true(used <= end - start);
			start += used;
			total += used;
			if (ev == HTTPREQ_MORE) {
				assert_int_equal(start, end);
				continue;
			}
			dbuf_add(&t, ev_names[ev], strlen(ev_names[ev]));
			dbuf_addc(&t, ' ');
			if (ev != HTTPREQ_IS_HTTP) {
				size_t u2 = 99;

				/* finished: the same event again, nothing consumed */
				assert_int_equal(httpreq_feed(p, "x", 1, &u2), ev);
				assert_int_equal(u2, 0);
				done = 1;
			}
		}
	}
	{
		char *tail = NULL;
		int n = asprintf(&tail, "method=%s target=%s why=%s used=%zu\n", httpreq_method(p),
		                 httpreq_target(p), httpreq_why(p), total);

		assert_true(n > 0);
		dbuf_add(&t, tail, strlen(tail));
		free(tail);
	}
	httpreq_free(p);
	return t.data;
}

static void check(const struct hr_case *c, const char *how, char *got)
{
	if (strcmp(got, c->want) != 0)
		fail_msg("%s (%s): got \"%s\", want \"%s\"", c->name, how, got, c->want);
	free(got);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hr_case *c = &cases[i];
		size_t len, *cuts;
		char *in = build(c, &len);

		check(c, "whole", run(in, len, NULL, 0));
		cuts = calloc(len + 1, sizeof(*cuts));
		for (size_t k = 0; k < len; k++)
			cuts[k] = k + 1;
		check(c, "byte by byte", run(in, len, cuts, len ? len - 1 : 0));
		for (size_t k = 1; k < len; k++) {
			char how[32];

			snprintf(how, sizeof(how), "split at %zu", k);
			check(c, how, run(in, len, &k, 1));
		}
		free(cuts);
		free(in);
	}
}

static void test_free_null(void **state)
{
	(void)state;
	assert_null(httpreq_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
