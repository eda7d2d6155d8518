/*
 * NAME
 *	fuzz_received - libFuzzer target for the sink's Received-chain and
 *	bounce readers
 * SUMMARY
 *	a relayed message is hostile input: every header byte comes from the
 *	relays it passed through
 * DESCRIPTION
 *	The input is a whole message. received_extract() must return at most
 *	the asked count of NUL-terminated values within RW_RECEIVED_VALUE_MAX;
 *	received_hop_parse() must fill terminated fields; token_find() must
 *	stay inside the buffer, and quoted_is_bounce() must answer for any
 *	token position. The input is not NUL-terminated (ASan catches reads
 *	past its end).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/limits.h"
#include "../../src/core/xalloc.h"
#include "../../src/sink/quoted.h"
#include "../../src/sink/received.h"
#include "../../src/smtp/token.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_received: %s:%d: %s", __FILE__, __LINE__, #cond);           \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = xmalloc(size ? size : 1);
	char *vals[RW_RECEIVED_MAX];
	const char *tok;
	size_t toklen = 0;
	int n;

	memcpy(msg, data, size);
	n = received_extract(msg, size, vals, RW_RECEIVED_MAX);
	CHECK(n >= 0 && n <= RW_RECEIVED_MAX);
	for (int i = 0; i < n; i++) {
		struct received_hop hop;

		CHECK(strlen(vals[i]) <= RW_RECEIVED_VALUE_MAX);
		received_hop_parse(vals[i], &hop);
		CHECK(strlen(hop.from) < sizeof(hop.from));
		CHECK(strlen(hop.from_ip) < sizeof(hop.from_ip));
		CHECK(strlen(hop.by) < sizeof(hop.by));
		free(vals[i]);
	}
	tok = token_find(msg, size, &toklen);
	if (tok) {
		CHECK(tok >= msg && tok + toklen <= msg + size);
	}
	(void)quoted_is_bounce(msg, size, tok);
	free(msg);
	return 0;
}
