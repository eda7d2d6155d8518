/*
 * NAME
 *	fuzz_zone - libFuzzer target for the DNSBL zone writer
 * SUMMARY
 *	whatever the store's addresses and the configured URL hold, a zone
 *	has exactly the lines its entries call for
 * DESCRIPTION
 *	The input's first line is the retest URL, each further line an
 *	incident's address. Both formats are rendered; the rbldnsd zone must
 *	have 11 lines plus one per listed address, the BIND zone 10 plus two,
 *	and no TXT may hold a raw control byte (a newline would be a new
 *	entry, a record the operator never wrote).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/xalloc.h"
#include "../../src/enforce/zone.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_zone: %s:%d: %s", __FILE__, __LINE__, #cond);               \
	} while (0)

/* lines - newlines in s[0..n) */
static size_t lines(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* one - render every address of in with the URL in format f */
static void one(char *in, enum zone_format f)
{
	struct zone_opts o = {.format = f, .zone = "bl.test", .ns = "ns.test", .serial = 1};
	struct zone_stats st;
	char *buf = NULL, err[128], *save = NULL, *copy = strdup(in), *url;
	size_t len = 0, listed;
	FILE *out = open_memstream(&buf, &len);
	struct zone_writer *w;

	CHECK(copy && out);
	url = strtok_r(copy, "\n", &save);
	o.retest_url = url;
	if (f == ZONE_RBLDNSD)
		o.zone = o.ns = NULL;
	w = zone_writer_new(&o, out, err, sizeof(err));
	CHECK(w != NULL);
	for (char *a = strtok_r(NULL, "\n", &save); a; a = strtok_r(NULL, "\n", &save)) {
		struct zone_entry e = {.addr = a, .incident = 1};
		const char *why;

		CHECK(zone_writer_add(w, &e, &why) >= 0);
	}
	CHECK(zone_writer_finish(w, &st) == 0);
	zone_writer_free(w);
	fclose(out);
	listed = st.listed4 + st.listed6;
	CHECK(lines(buf, len) == (f == ZONE_RBLDNSD ? 11 + listed : 10 + 2 * listed));
	for (size_t i = 0; i < len; i++)
		CHECK(buf[i] == '\n' || (unsigned char)buf[i] >= 0x20);
	free(buf);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);

	CHECK(in != NULL);
	memcpy(in, data, size);
	in[size] = '\0'; /* a NUL ends the input, as a C string from the store would */
	one(in, ZONE_RBLDNSD);
	one(in, ZONE_BIND);
	free(in);
	return 0;
}
