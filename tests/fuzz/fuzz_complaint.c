/*
 * NAME
 *	fuzz_complaint - libFuzzer target for the abuse desk's complaint reader
 * SUMMARY
 *	a complaint is a stranger's mail: every byte, every MIME boundary and
 *	every report field is hostile input
 * DESCRIPTION
 *	The input is a whole message, read by complaint_parse() once as is and
 *	once with a caller's --ip. The record must keep its promises: refused
 *	(an error text, format none, no address) or usable (no error, a
 *	numeric address that parses, a summary naming it), every text field
 *	terminated within its array, at most RW_RECEIVED_MAX Received values,
 *	original headers within RW_COMPLAINT_HEADERS_MAX. The input is not
 *	NUL-terminated (ASan catches reads past its end). GMime is shut down
 *	at exit so LeakSanitizer judges our allocations, not GLib's caches.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/limits.h"
#include "../../src/core/xalloc.h"
#include "../../src/desk/complaint.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_complaint: %s:%d: %s", __FILE__, __LINE__, #cond);          \
	} while (0)

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static void at_exit(void)
{
	complaint_shutdown();
}

static void check(const struct complaint *c)
{
	unsigned char addr[16];

	CHECK(TERMINATED(c->ip) && TERMINATED(c->reporter) && TERMINATED(c->reported_domain));
	CHECK(TERMINATED(c->type) && TERMINATED(c->subtype) && TERMINATED(c->orig_mail_from));
	CHECK(TERMINATED(c->orig_rcpt_to) && TERMINATED(c->summary) && TERMINATED(c->notes));
	CHECK(TERMINATED(c->error));
	CHECK(c->nreceived >= 0 && c->nreceived <= RW_RECEIVED_MAX);
	for (int i = 0; i < c->nreceived; i++)
		CHECK(strlen(c->received[i]) <= RW_RECEIVED_VALUE_MAX);
	if (c->orig_headers != NULL)
		CHECK(strlen(c->orig_headers) <= RW_COMPLAINT_HEADERS_MAX);
	else
		CHECK(c->nreceived == 0);
	if (c->error[0] != '\0') {
		CHECK(c->format == COMPLAINT_NONE && c->ip[0] == '\0' && c->port == 0);
		return;
	}
	CHECK(c->format != COMPLAINT_NONE);
	CHECK(inet_pton(AF_INET, c->ip, addr) == 1 || inet_pton(AF_INET6, c->ip, addr) == 1);
	CHECK(c->ip_from != NULL && c->ip_from[0] != '\0');
	CHECK(c->port <= 65535);
	CHECK(c->when_from != NULL && (c->when == 0) == (c->when_from[0] == '\0'));
	CHECK(strstr(c->summary, c->ip) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	char *msg = xmalloc(size ? size : 1);
	struct complaint *c;

	if (!registered) {
		atexit(at_exit);
		registered = 1;
	}
	memcpy(msg, data, size);
	c = complaint_parse(msg, size, NULL);
	check(c);
	complaint_free(c);
	c = complaint_parse(msg, size, "192.0.2.1");
	check(c);
	if (c->error[0] == '\0')
		CHECK(strcmp(c->ip, "192.0.2.1") == 0);
	complaint_free(c);
	free(msg);
	return 0;
}
