/*
 * NAME
 *	fuzz_template - libFuzzer target for the notice template parser
 * SUMMARY
 *	a template file is operator input, but a bad one must be refused
 *	with a message, never crash the daemon at reload
 * DESCRIPTION
 *	The input is a template file. template_parse() must either fail with
 *	a non-empty error or load; a loaded template is rendered with values
 *	holding CR, LF and control bytes, and every header line must be one
 *	line of at most RW_TPL_HEADER_LINE_MAX octets with no control byte,
 *	the body within RW_TPL_OUTPUT_MAX plus the cut note.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../src/core/limits.h"
#include "../../src/core/xalloc.h"
#include "../../src/desk/template.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_template: %s:%d: %s", __FILE__, __LINE__, #cond);           \
	} while (0)

/* hostile - every name gets a value that tries to break out of its place */
static const char *hostile(void *ctx, const char *name)
{
	(void)ctx;
	if (name[0] == 'a')
		return "";
	if (name[0] == 'h')
		return "x\r\nBcc: evil@example.net\r\n\r\n.\r\n\x01\x7f";
	return "line one\nline two\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct template *t;
	struct dbuf h, b;

	err[0] = '\0';
	t = template_parse("fuzz", (const char *)data, size, template_std_names(), err,
	                   sizeof(err));
	if (t == NULL) {
		CHECK(err[0] != '\0');
		return 0;
	}
	dbuf_init(&h, 0);
	dbuf_init(&b, 0);
	(void)template_render(t, hostile, NULL, &h, &b);
	for (const char *p = dbuf_str(&h); *p;) {
		const char *nl = strchr(p, '\n');

		CHECK(nl != NULL);
		CHECK((size_t)(nl - p) <= RW_TPL_HEADER_LINE_MAX);
		for (const char *q = p; q < nl; q++)
			CHECK((unsigned char)*q >= 0x20 && *q != 0x7f);
		CHECK(strchr(p, ':') != NULL && strchr(p, ':') < nl);
		p = nl + 1;
	}
	CHECK(b.len <= RW_TPL_OUTPUT_MAX + 64);
	CHECK(strchr(dbuf_str(&b), '\r') == NULL);
	dbuf_free(&h);
	dbuf_free(&b);
	template_free(t);
	return 0;
}
