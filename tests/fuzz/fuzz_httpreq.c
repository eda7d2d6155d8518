/*
 * NAME
 *	fuzz_httpreq - libFuzzer target for the sink's HTTP request recognizer
 * SUMMARY
 *	feed first bytes in fuzzer-chosen chunks, check bounds and chunking
 * DESCRIPTION
 *	Byte 0 picks the chunk sizes; the rest is the client's stream. Each
 *	event is checked against the header's promises (used <= len, at most
 *	one IS_HTTP and before HEAD or BAD, NOT_HTTP never after it, the head
 *	within RW_HTTP_HEAD_MAX plus the byte that broke it, method A-Z of 3
 *	to 10, target within RW_HTTP_TARGET_MAX and visible ASCII, a finished
 *	recognizer consuming nothing) and folded into a hash; the same stream
 *	fed one byte at a time must give the same hash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/limits.h"
#include "../../src/core/xalloc.h"
#include "../../src/sink/httpreq.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_httpreq: %s:%d: %s", __FILE__, __LINE__, #cond);            \
	} while (0)

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* check_fields - what the accessors promise at any time */
static void check_fields(const struct httpreq *p)
{
	const char *m = httpreq_method(p), *t = httpreq_target(p);
	size_t ml = strlen(m), tl = strlen(t);

	CHECK(httpreq_line_done(p) || (ml == 0 && tl == 0));
	CHECK(ml == 0 || (ml >= 3 && ml <= 10));
	for (size_t i = 0; i < ml; i++)
		CHECK(m[i] >= 'A' && m[i] <= 'Z');
	CHECK(tl <= RW_HTTP_TARGET_MAX);
	for (size_t i = 0; i < tl; i++)
		CHECK((unsigned char)t[i] > ' ' && (unsigned char)t[i] < 0x7f);
}

/* run - feed everything, chunk sizes from `seed` (0: one byte at a time) */
static uint64_t run(const uint8_t *d, size_t n, unsigned seed)
{
	struct httpreq *p = httpreq_new();
	uint64_t h = 14695981039346656037ull;
	size_t off = 0, total = 0;
	unsigned r = seed;
	int is_http = 0, done = 0;

	while (off < n && !done) {
		size_t chunk = 1, fed = 0, used;

		if (seed) {
			r = r * 1103515245u + 12345u;
			chunk = 1 + (r >> 16) % (seed & 1 ? 7 : 600);
		}
		if (chunk > n - off)
			chunk = n - off;
		while (fed < chunk && !done) {
			size_t left = chunk - fed;
			enum httpreq_event ev =
			    httpreq_feed(p, (const char *)d + off + fed, left, &used);

			CHECK(used <= left && used > 0);
			CHECK(ev != HTTPREQ_MORE || used == left);
			fed += used;
			total += used;
			CHECK(total <= RW_HTTP_HEAD_MAX + 1);
			check_fields(p);
			if (ev == HTTPREQ_MORE)
				continue;
			h = mix(h, &ev, sizeof(ev));
			h = mix(h, &total, sizeof(total));
			switch (ev) {
			case HTTPREQ_IS_HTTP:
				CHECK(!is_http);
				is_http = 1;
				break;
			case HTTPREQ_NOT_HTTP:
				CHECK(!is_http);
				CHECK(!httpreq_line_done(p));
				done = 1;
				break;
			case HTTPREQ_HEAD:
				CHECK(is_http && httpreq_line_done(p));
				done = 1;
				break;
			case HTTPREQ_BAD:
				CHECK(is_http && httpreq_why(p)[0]);
				done = 1;
				break;
			default:
				CHECK(0);
			}
			if (done) {
				size_t u2 = 1;

				CHECK(httpreq_feed(p, "x", 1, &u2) == ev && u2 == 0);
			}
		}
		off += chunk;
	}
	h = mix(h, httpreq_method(p), strlen(httpreq_method(p)) + 1);
	h = mix(h, httpreq_target(p), strlen(httpreq_target(p)) + 1);
	h = mix(h, httpreq_why(p), strlen(httpreq_why(p)) + 1);
	httpreq_free(p);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned seed;

	if (size < 1)
		return 0;
	seed = data[0] | 0x100u; /* never 0: that is the byte-at-a-time run */
	data++;
	size--;
	CHECK(run(data, size, seed) == run(data, size, 0));
	return 0;
}
