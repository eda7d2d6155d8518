/*
 * NAME
 *	fuzz_smtpcmd - libFuzzer target for the server-side command parser
 * SUMMARY
 *	feed client bytes in fuzzer-chosen chunks, check bounds and chunking
 * DESCRIPTION
 *	Byte 0 picks the chunk sizes, byte 1 the message cap; the rest is
 *	the client's stream. Data mode starts when a DATA command is seen,
 *	as in the sink. Each event is checked against the header's bounds
 *	(used <= len, lines within RW_CMD_LINE_MAX / RW_DATA_LINE_MAX,
 *	message within its cap) and folded into a hash; the same stream fed
 *	one byte at a time must give the same hash, so chunking never
 *	changes what the parser sees.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/limits.h"
#include "../../src/core/xalloc.h"
#include "../../src/sink/smtpcmd.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_smtpcmd: %s:%d: %s", __FILE__, __LINE__, #cond);            \
	} while (0)

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t mixs(uint64_t h, const char *s)
{
	return mix(h, s, strlen(s) + 1);
}

/* on_event - check one event's invariants, fold it into the hash */
static uint64_t on_event(struct smtpcmd_parser *p, enum smtpcmd_event ev, size_t cap, uint64_t h)
{
	const struct smtpcmd *c = smtpcmd_get(p);
	const char *m, *line;
	size_t mlen;

	h = mix(h, &ev, sizeof(ev));
	switch (ev) {
	case SMTPCMD_MORE:
		CHECK(0);
		break;
	case SMTPCMD_COMMAND:
		CHECK(c->verb >= CMD_UNKNOWN && c->verb < CMD__COUNT);
		CHECK(strlen(c->verb_text) + (*c->arg ? 1 + strlen(c->arg) : 0) <=
		      RW_CMD_LINE_MAX - 2);
		CHECK(strlen(c->path) + strlen(c->params) <= strlen(c->arg));
		CHECK(c->path_ok == 0 || c->verb == CMD_MAIL || c->verb == CMD_RCPT);
		CHECK(c->path_ok || (!*c->path && !*c->params));
		CHECK(!strchr(c->verb_text, ' '));
		if (c->verb != CMD_UNKNOWN)
			CHECK(strlen(c->verb_text) == strlen(smtpcmd_verb_name(c->verb)));
		h = mix(h, &c->verb, sizeof(c->verb));
		h = mixs(mixs(mixs(mixs(h, c->verb_text), c->arg), c->path), c->params);
		h = mix(h, &c->path_ok, sizeof(c->path_ok));
		h = mix(h, &c->nul_seen, sizeof(c->nul_seen));
		if (c->verb == CMD_DATA)
			smtpcmd_begin_data(p);
		break;
	case SMTPCMD_TOOLONG:
		break;
	case SMTPCMD_MESSAGE:
	case SMTPCMD_MSG_TOOBIG:
		m = smtpcmd_message(p, &mlen);
		CHECK(mlen <= cap);
		CHECK(m[mlen] == '\0');
		CHECK(ev == SMTPCMD_MSG_TOOBIG || mlen == 0 ||
		      (mlen >= 2 && m[mlen - 2] == '\r' && m[mlen - 1] == '\n'));
		for (line = m; line < m + mlen;) {
			const char *nl = memchr(line, '\n', (size_t)(m + mlen - line));
			size_t ll = nl ? (size_t)(nl - line) + 1 : (size_t)(m + mlen - line);

			CHECK(ll <= RW_DATA_LINE_MAX);
			CHECK(!nl || (nl > line && nl[-1] == '\r'));
			line += ll;
		}
		h = mix(h, &mlen, sizeof(mlen));
		h = mix(h, m, mlen);
		break;
	default:
		CHECK(0);
	}
	return h;
}

/* run - feed everything, chunk sizes from `seed` (0: one byte at a time) */
static uint64_t run(const uint8_t *d, size_t n, size_t cap, unsigned seed)
{
	struct smtpcmd_parser *p = smtpcmd_new(cap);
	uint64_t h = 14695981039346656037ull;
	size_t off = 0;
	unsigned r = seed;

	while (off < n) {
		size_t chunk = 1, done = 0, used;

		if (seed) {
			r = r * 1103515245u + 12345u;
			chunk = 1 + (r >> 16) % (seed & 1 ? 7 : 600);
		}
		if (chunk > n - off)
			chunk = n - off;
		while (done < chunk) {
			size_t left = chunk - done;
			enum smtpcmd_event ev =
			    smtpcmd_feed(p, (const char *)d + off + done, left, &used);

			CHECK(used <= left);
			CHECK(ev != SMTPCMD_MORE || used == left);
			CHECK(used > 0);
			done += used;
			if (ev != SMTPCMD_MORE)
				h = on_event(p, ev, cap, h);
		}
		off += chunk;
	}
	h = mix(h, &(unsigned){smtpcmd_bare_lf(p)}, sizeof(unsigned));
	smtpcmd_free(p);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap;
	unsigned seed;

	if (size < 2)
		return 0;
	seed = data[0] | 0x100u; /* never 0: that is the byte-at-a-time run */
	cap = data[1] < 128 ? (size_t)data[1] * 16 + 1 : 0; /* 0: RW_SINK_MSG_MAX */
	data += 2;
	size -= 2;
	if (cap == 0)
		cap = RW_SINK_MSG_MAX;
	CHECK(run(data, size, cap, seed) == run(data, size, cap, 0));
	return 0;
}
