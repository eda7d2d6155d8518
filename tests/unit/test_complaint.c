/*
 * test_complaint - ARF, X-ARF and plain complaints read or refused
 *
 * Each sample under tests/unit/data/complaints/ is a case: the valid ones
 * must give the relay's address and the facts around it, the malformed
 * ones must be refused with an error naming the reason. Every case runs
 * twice, as written and with its line ends switched (LF <-> CRLF), and
 * every sample is also read cut short at ~200 points (no crash, no leak,
 * an answer either way). Generated cases push each limit.
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
#include "../../src/core/xalloc.h"
#include "../../src/desk/complaint.h"

struct ccase {
	const char *file;
	const char *ip_override;
	enum complaint_format want_format;
	const char *want_ip, *want_ip_from;
	unsigned want_port;
	const char *want_reporter, *want_type, *want_subtype;
	int64_t want_when;
	int want_received;      /* Received values of the original; -1 not checked */
	const char *want_error; /* substring of error[], NULL when usable */
	const char *want_note;  /* substring of notes[], NULL not checked */
};

static const struct ccase cases[] = {
    {.file = "arf-rfc822.eml",
     .want_format = COMPLAINT_ARF,
     .want_ip = "192.0.2.7",
     .want_ip_from = "Source-IP",
     .want_reporter = "fbl@provider.example",
     .want_type = "abuse",
     .want_subtype = "",
     .want_when = 1714989481, /* 09:58:01Z */
     .want_received = 2},
    {.file = "arf-headers-crlf.eml",
     .want_format = COMPLAINT_ARF,
     .want_ip = "2001:db8::7",
     .want_ip_from = "Source-IP",
     .want_port = 587,
     .want_reporter = "arf@feedback.example",
     .want_type = "fraud",
     .want_subtype = "",
     .want_when = 1715075700,
     .want_received = 2},
    {.file = "arf-base64-v01.eml",
     .want_format = COMPLAINT_ARF,
     .want_ip = "198.51.100.23",
     .want_ip_from = "Source-IP",
     .want_reporter = "fbl@isp.example",
     .want_type = "abuse",
     .want_subtype = "",
     .want_when = 1715169600,
     .want_received = 2,
     .want_note = "Version \"0.1\""},
    {.file = "xarf.eml",
     .want_format = COMPLAINT_XARF,
     .want_ip = "192.0.2.7",
     .want_ip_from = "Source",
     .want_port = 25,
     .want_reporter = "reports@abuse-reporter.example",
     .want_type = "abuse",
     .want_subtype = "spam",
     .want_when = 1715263200,
     .want_received = 2},
    {.file = "plain-forward.eml",
     .want_format = COMPLAINT_PLAIN,
     .want_ip = "192.0.2.7",
     .want_ip_from = "Received",
     .want_reporter = "alice@example.org",
     .want_type = "",
     .want_subtype = "",
     .want_when = 1714989478,
     .want_received = 3,
     .want_note = "Received field 2"},
    {.file = "plain-quoted.eml",
     .want_format = COMPLAINT_PLAIN,
     .want_ip = "192.0.2.7",
     .want_ip_from = "Received",
     .want_reporter = "bob@example.net",
     .want_type = "",
     .want_subtype = "",
     .want_when = 1714989478,
     .want_received = 2,
     .want_note = "quoted in part 1"},
    {.file = "plain-private-hops.eml",
     .want_format = COMPLAINT_PLAIN,
     .want_ip = "192.0.2.7",
     .want_ip_from = "Received",
     .want_reporter = "alice@example.org",
     .want_type = "",
     .want_subtype = "",
     .want_when = 1714989478,
     .want_received = 4,
     .want_note = "Received field 3 (the ones above name no public client)"},
    {.file = "plain-internal.eml",
     .want_format = COMPLAINT_PLAIN,
     .want_ip = "10.20.30.40",
     .want_ip_from = "Received",
     .want_reporter = "dave@campus.example",
     .want_type = "",
     .want_subtype = "",
     .want_when = 1715331599,
     .want_received = 1},
    /* the caller's address wins, and rescues a report that names none */
    {.file = "arf-rfc822.eml",
     .ip_override = "203.0.113.9",
     .want_format = COMPLAINT_ARF,
     .want_ip = "203.0.113.9",
     .want_ip_from = "--ip",
     .want_reporter = "fbl@provider.example",
     .want_type = "abuse",
     .want_subtype = "",
     .want_when = 1714989481,
     .want_received = 2},
    {.file = "bad-arf-no-source-ip.eml",
     .ip_override = "::ffff:192.0.2.8",
     .want_format = COMPLAINT_ARF,
     .want_ip = "192.0.2.8",
     .want_ip_from = "--ip",
     .want_reporter = "fbl@provider.example",
     .want_type = "abuse",
     .want_subtype = "",
     .want_when = 1714989481,
     .want_received = 2},
    {.file = "bad-plain-noorig.eml",
     .ip_override = "[2001:db8::25]",
     .want_format = COMPLAINT_PLAIN,
     .want_ip = "2001:db8::25",
     .want_ip_from = "--ip",
     .want_reporter = "carol@example.net",
     .want_type = "",
     .want_subtype = "",
     .want_when = 1715331600,
     .want_received = 0},
    /* refused */
    {.file = "bad-arf-no-source-ip.eml",
     .want_error = "part 2 (message/feedback-report): "
                   "no Source-IP field"},
    {.file = "bad-arf-hostname.eml",
     .want_error = "Source-IP \"relay.customer.example\" is not a numeric IPv4 or IPv6"},
    {.file = "bad-arf-no-feedback-type.eml", .want_error = "no Feedback-Type field"},
    {.file = "bad-arf-wrong-report-type.eml",
     .want_error = "report-type=delivery-status is not a feedback report"},
    {.file = "bad-arf-boundary.eml",
     .want_error = "multipart/report: no parts: the boundary \"nowhere\" never appears"},
    {.file = "bad-arf-base64-junk.eml",
     .want_error = "part 2 (message/feedback-report): Content-Transfer-Encoding base64, "
                   "but byte 0 (0x21) is not base64"},
    {.file = "bad-arf-huge-header.eml",
     .want_error = "message header: header field Subject is 20000 bytes, more than 8192"},
    {.file = "bad-xarf-no-source.eml", .want_error = "part 2 (X-ARF report): no Source field"},
    {.file = "bad-xarf-uri.eml", .want_error = "Source-Type \"uri\" does not name an address"},
    {.file = "bad-plain-noorig.eml", .want_error = "no original message"},
    {.file = "bad-not-mail.eml", .want_error = "not a mail message"},
    {.file = "arf-rfc822.eml",
     .ip_override = "relay.example",
     .want_error = "--ip \"relay.example\" is not a numeric IPv4 or IPv6 address"},
    {.file = "xarf.eml", .ip_override = "224.0.0.1", .want_error = "not a host address"},
};

/* slurp - a sample file, owned */
static char *slurp(const char *name, size_t *len)
{
	char path[1024];
	FILE *fp;
	char *buf = xmalloc(RW_COMPLAINT_MAX + 1);

	snprintf(path, sizeof(path), "%s/complaints/%s", RW_TEST_DATA, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	*len = fread(buf, 1, RW_COMPLAINT_MAX + 1, fp);
	fclose(fp);
	return buf;
}

/* switch_eol - LF to CRLF, or CRLF to LF when the text has CRs */
static char *switch_eol(const char *s, size_t len, size_t *outlen)
{
	struct dbuf b;
	int crlf = memchr(s, '\r', len) != NULL;

	dbuf_init(&b, 0);
	for (size_t i = 0; i < len; i++) {
		if (crlf && s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		if (!crlf && s[i] == '\n')
			dbuf_addc(&b, '\r');
		dbuf_addc(&b, s[i]);
	}
	*outlen = b.len;
	return dbuf_steal(&b);
}

static void check_case(const struct ccase *k, const char *msg, size_t len, const char *how)
{
	struct complaint *c = complaint_parse(msg, len, k->ip_override);

	if (k->want_error != NULL) {
		if (strstr(c->error, k->want_error) == NULL)
			fail_msg("%s (%s): error \"%s\", want one with \"%s\"", k->file, how,
			         c->error, k->want_error);
		if (c->format != COMPLAINT_NONE || c->ip[0] != '\0')
			fail_msg("%s (%s): refused, yet format %s ip \"%s\"", k->file, how,
			         complaint_format_name(c->format), c->ip);
		complaint_free(c);
		return;
	}
	if (c->error[0] != '\0')
		fail_msg("%s (%s): refused: %s", k->file, how, c->error);
	if (c->format != k->want_format)
		fail_msg("%s (%s): format %s, want %s", k->file, how,
		         complaint_format_name(c->format), complaint_format_name(k->want_format));
	if (strcmp(c->ip, k->want_ip) != 0 || strcmp(c->ip_from, k->want_ip_from) != 0)
		fail_msg("%s (%s): ip %s from %s, want %s from %s", k->file, how, c->ip, c->ip_from,
		         k->want_ip, k->want_ip_from);
	if (c->port != k->want_port)
		fail_msg("%s (%s): port %u, want %u", k->file, how, c->port, k->want_port);
	if (strcmp(c->reporter, k->want_reporter) != 0)
		fail_msg("%s (%s): reporter \"%s\", want \"%s\"", k->file, how, c->reporter,
		         k->want_reporter);
	if (strcmp(c->type, k->want_type) != 0 || strcmp(c->subtype, k->want_subtype) != 0)
		fail_msg("%s (%s): type %s/%s, want %s/%s", k->file, how, c->type, c->subtype,
		         k->want_type, k->want_subtype);
	if (c->when != k->want_when)
		fail_msg("%s (%s): when %lld (%s), want %lld", k->file, how, (long long)c->when,
		         c->when_from, (long long)k->want_when);
	if (k->want_received >= 0 && c->nreceived != k->want_received)
		fail_msg("%s (%s): %d Received values, want %d", k->file, how, c->nreceived,
		         k->want_received);
	if (k->want_received > 0 &&
	    (c->orig_headers == NULL || !strstr(c->orig_headers, "Received")))
		fail_msg("%s (%s): original headers missing", k->file, how);
	if (k->want_note != NULL && strstr(c->notes, k->want_note) == NULL)
		fail_msg("%s (%s): notes \"%s\", want \"%s\"", k->file, how, c->notes,
		         k->want_note);
	if (strstr(c->summary, c->ip) == NULL)
		fail_msg("%s (%s): summary \"%s\" does not name %s", k->file, how, c->summary,
		         c->ip);
	complaint_free(c);
}

static void test_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len, len2;
		char *msg = slurp(cases[i].file, &len);
		char *other = switch_eol(msg, len, &len2);

		check_case(&cases[i], msg, len, "as written");
		check_case(&cases[i], other, len2, "line ends switched");
		free(other);
		free(msg);
	}
}

/* test_arf_details - the fields only ARF has, and the original headers */
static void test_arf_details(void **state)
{
	size_t len;
	char *msg = slurp("arf-rfc822.eml", &len);
	struct complaint *c = complaint_parse(msg, len, NULL);

	assert_string_equal(c->error, "");
	assert_string_equal(c->reported_domain, "spam.example");
	assert_string_equal(c->orig_mail_from, "offer@spam.example");
	assert_string_equal(c->orig_rcpt_to, "victim@provider.example");
	assert_string_equal(c->when_from, "Arrival-Date");
	assert_non_null(strstr(c->orig_headers, "Message-ID: <spam-1@spam.example>"));
	assert_non_null(strstr(c->received[0], "[192.0.2.7]"));
	assert_string_equal(c->summary, "arf abuse report from fbl@provider.example about "
	                                "192.0.2.7 (Source-IP), 2024-05-06T09:58:01Z");
	complaint_free(c);
	free(msg);
}

/* test_truncated - every sample cut short: an answer, never a crash */
static void test_truncated(void **state)
{
	static const char *const files[] = {
	    "arf-rfc822.eml",    "arf-headers-crlf.eml", "arf-base64-v01.eml",   "xarf.eml",
	    "plain-forward.eml", "plain-quoted.eml",     "bad-arf-boundary.eml",
	};

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *msg = slurp(files[f], &len);

		for (size_t cut = 0; cut <= len; cut += len / 200 + 1) {
			struct complaint *c = complaint_parse(msg, cut, NULL);

			assert_true(c->error[0] != '\0' || c->ip[0] != '\0');
			complaint_free(c);
		}
		free(msg);
	}
}

/* multipart - a generated report with nparts parts nested depth deep */
static char *multipart(int nparts, int depth, size_t *len)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	dbuf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n");
	for (int d = 1; d <= depth; d++)
		dbuf_printf(&b, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", d - 1,
		            d);
	for (int i = 0; i < nparts; i++)
		dbuf_printf(&b, "--b%d\nContent-Type: text/plain\n\npart %d\n", depth, i);
	for (int d = depth; d >= 0; d--)
		dbuf_printf(&b, "--b%d--\n", d);
	*len = b.len;
	return dbuf_steal(&b);
}

/* test_limits - each cap refuses with its own reason */
static void test_limits(void **state)
{
	struct {
		const char *name;
		char *msg;
		size_t len;
		const char *want;
	} k[5];
	struct dbuf b;
	int n = 0;

	k[n].name = "parts";
	k[n].msg = multipart(RW_COMPLAINT_PARTS_MAX + 1, 0, &k[n].len);
	k[n++].want = "more than 64 MIME parts";
	k[n].name = "depth";
	k[n].msg = multipart(1, RW_COMPLAINT_DEPTH_MAX + 1, &k[n].len);
	k[n++].want = "nested more than 8 deep";
	k[n].name = "size";
	k[n].len = RW_COMPLAINT_MAX + 1;
	k[n].msg = xmalloc(k[n].len);
	memset(k[n].msg, 'a', k[n].len);
	k[n++].want = "more than the 4194304 allowed";
	dbuf_init(&b, 0);
	for (int i = 0; i <= RW_COMPLAINT_FIELDS_MAX; i++)
		dbuf_printf(&b, "X-Field-%d: %d\n", i, i);
	dbuf_adds(&b, "\nbody\n");
	k[n].name = "fields";
	k[n].len = b.len;
	k[n].msg = dbuf_steal(&b);
	k[n++].want = "513 header fields, more than 512";
	dbuf_init(&b, 0);
	dbuf_adds(&b, "From: f@example.org\nContent-Type: multipart/report; "
	              "report-type=feedback-report; boundary=z\n\n--z\n"
	              "Content-Type: message/feedback-report\n\nFeedback-Type: abuse\n");
	for (int i = 0; i < RW_COMPLAINT_REPORT_FIELDS_MAX; i++)
		dbuf_printf(&b, "X-%d: v\n", i);
	dbuf_adds(&b, "Source-IP: 192.0.2.1\n--z--\n");
	k[n].name = "report fields";
	k[n].len = b.len;
	k[n].msg = dbuf_steal(&b);
	k[n++].want = "part 1 (message/feedback-report): more than 128 fields";
	for (int i = 0; i < n; i++) {
		struct complaint *c = complaint_parse(k[i].msg, k[i].len, NULL);

		if (strstr(c->error, k[i].want) == NULL)
			fail_msg("%s: error \"%s\", want \"%s\"", k[i].name, c->error, k[i].want);
		complaint_free(c);
		free(k[i].msg);
	}
	/* just under the part cap is fine as far as the caps go */
	{
		size_t len;
		char *msg = multipart(RW_COMPLAINT_PARTS_MAX - 2, 0, &len);
		struct complaint *c = complaint_parse(msg, len, NULL);

		assert_null(strstr(c->error, "MIME parts"));
		complaint_free(c);
		free(msg);
	}
}

/* teardown - GMime's caches go, so ASan and valgrind see no leak */
static int teardown(void **state)
{
	complaint_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_arf_details),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
