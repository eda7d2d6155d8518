/*
 * NAME
 *	fuzz_reply - libFuzzer target for the SMTP reply parser
 * SUMMARY
 *	feed server bytes in fuzzer-chosen chunks, check bounds and chunking
 * DESCRIPTION
 *	Byte 0 picks the chunk sizes; the rest is the server's stream. Each
 *	complete reply is checked against the header's promises (code
 *	200..599, 1..RW_REPLY_LINES_MAX lines, len == strlen(text), lines
 *	within RW_REPLY_LINE_MAX, esc well formed) and read by ehlo_parse();
 *	an error must come with a reason and stick until reply_reset(),
 *	after which feeding resumes. Every event and where it ended is
 *	folded into a hash that must equal the byte-at-a-time run's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/limits.h"
#include "../../src/core/xalloc.h"
#include "../../src/smtp/reply.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_reply: %s:%d: %s", __FILE__, __LINE__, #cond);              \
	} while (0)

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* esc_ok - "" or class.subject.detail with 1..3 digit parts */
static int esc_ok(const char *e)
{
	size_t n = strnlen(e, 16);

	if (n == 16)
		return 0;
	if (n == 0)
		return 1;
	if (n < 5 || (e[0] != '2' && e[0] != '4' && e[0] != '5') || e[1] != '.')
		return 0;
	return strspn(e + 2, "0123456789.") == n - 2;
}

/* on_done - check one complete reply, fold it into the hash */
static uint64_t on_done(const struct reply *r, uint64_t h)
{
	struct ehlo_info info;
	const char *s, *nl;
	int lines = 1;

	CHECK(r->code >= 200 && r->code <= 599);
	CHECK(r->nlines >= 1 && r->nlines <= RW_REPLY_LINES_MAX);
	CHECK(r->text && strlen(r->text) == r->len);
	CHECK(esc_ok(r->esc));
	CHECK(!r->esc[0] || strncmp(r->text, r->esc, strlen(r->esc)) == 0);
	for (s = r->text; (nl = strchr(s, '\n')); s = nl + 1, lines++)
		CHECK((size_t)(nl - s) <= RW_REPLY_LINE_MAX - 6);
	CHECK(strlen(s) <= RW_REPLY_LINE_MAX - 6);
	CHECK(lines == r->nlines);
	ehlo_parse(r, &info);
	CHECK(strnlen(info.auth, sizeof(info.auth)) < sizeof(info.auth));
	CHECK(strnlen(info.domain, sizeof(info.domain)) < sizeof(info.domain));
	CHECK(r->code / 100 == 2 || (info.caps == 0 && !info.domain[0]));
	h = mix(h, &r->code, sizeof(r->code));
	h = mix(h, r->esc, strlen(r->esc) + 1);
	h = mix(h, &r->nlines, sizeof(r->nlines));
	h = mix(h, r->text, r->len + 1);
	h = mix(h, &info.caps, sizeof(info.caps));
	return mix(h, &info.size, sizeof(info.size));
}

/* run - feed everything, chunk sizes from `seed` (0: one byte at a time) */
static uint64_t run(const uint8_t *d, size_t n, unsigned seed)
{
	struct reply_parser *rp = reply_parser_new();
	uint64_t h = 14695981039346656037ull;
	size_t off = 0;
	unsigned r = seed;

	while (off < n) {
		size_t chunk = 1, done = 0, used;

		if (seed) {
			r = r * 1103515245u + 12345u;
			chunk = 1 + (r >> 16) % (seed & 1 ? 5 : 700);
		}
		if (chunk > n - off)
			chunk = n - off;
		while (done < chunk) {
			size_t left = chunk - done, pos;
			enum reply_status rs =
			    reply_feed(rp, (const char *)d + off + done, left, &used);

			CHECK(used <= left && used > 0);
			CHECK(rs != REPLY_MORE || used == left);
			done += used;
			pos = off + done;
			if (rs == REPLY_MORE)
				continue;
			h = mix(h, &rs, sizeof(rs));
			h = mix(h, &pos, sizeof(pos));
			if (rs == REPLY_DONE) {
				h = on_done(reply_get(rp), h);
				continue;
			}
			CHECK(reply_error(rp) && reply_error(rp)[0]);
			h = mix(h, reply_error(rp), strlen(reply_error(rp)));
			CHECK(!reply_pending(rp));
			CHECK(reply_feed(rp, "250 ok\r\n", 8, &used) == REPLY_ERROR && used == 0);
			reply_reset(rp);
			CHECK(!reply_error(rp) && !reply_pending(rp));
		}
		off += chunk;
	}
	h = mix(h, &(int){reply_pending(rp)}, sizeof(int));
	reply_parser_free(rp);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned seed;

	if (size < 1)
		return 0;
	seed = data[0] | 0x100u; /* never 0: that is the byte-at-a-time run */
	CHECK(run(data + 1, size - 1, seed) == run(data + 1, size - 1, 0));
	return 0;
}
