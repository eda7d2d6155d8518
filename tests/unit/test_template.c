/*
 * test_template - the template grammar: load-time errors, rendering,
 * header injection, and every default template with a sample result
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/xalloc.h"
#include "../../src/desk/evidence.h"
#include "../../src/desk/template.h"
#include "../../src/smtp/battery.h"

static const char *const names[] = {"a", "b", "host.addr", "x.y-z_1", NULL};

static void test_parse_errors(void **state)
{
	static const struct {
		const char *name, *text, *want; /* want: substring of the error, NULL = loads */
	} cases[] = {
	    {"ok", "Subject: hi {{a}}\n\nbody {{b}}\n", NULL},
	    {"crlf", "Subject: hi\r\n\r\nbody\r\n", NULL},
	    {"comment lines", "# c\nSubject: s\n# d\n\n# not a comment\n", NULL},
	    {"spaces in tag", "Subject: {{ a }}\n\n{{#if  b }}x{{ / if }}\n", "does not close"},
	    {"spaces ok", "Subject: {{ a }}\n\n{{#if  b }}x{{/if}}\n", NULL},
	    {"unknown", "Subject: s\n\nhello {{nope}}\n", "t:3: unknown placeholder {{nope}}"},
	    {"unknown in header", "Subject: {{nope}}\n\n", "t:1: unknown placeholder"},
	    {"unknown in if", "Subject: s\n\n{{#if nope}}x{{/if}}", "unknown placeholder {{nope}}"},
	    {"empty", "Subject: s\n\n{{}}", "empty placeholder"},
	    {"bad char", "Subject: s\n\n{{a b}}", "bad character"},
	    {"unclosed tag", "Subject: s\n\n{{a", "unclosed tag"},
	    {"unclosed if", "Subject: s\n\n{{#if a}}x", "{{#if}} not closed"},
	    {"unclosed unless", "Subject: s\n\n{{#unless a}}x{{else}}y", "{{#unless}} not closed"},
	    {"stray end", "Subject: s\n\nx{{/if}}", "closes no section"},
	    {"mismatch", "Subject: s\n\n{{#if a}}x{{/unless}}", "does not close {{#if}}"},
	    {"stray else", "Subject: s\n\n{{else}}", "{{else}} outside"},
	    {"two else", "Subject: s\n\n{{#if a}}1{{else}}2{{else}}3{{/if}}", "after another"},
	    {"unknown section", "Subject: s\n\n{{#each a}}{{/each}}", "unknown section"},
	    {"if across header lines", "Subject: {{#if a}}x\nX-A: {{/if}}\n\n",
	     "not closed on its header"},
	    {"no subject", "X-A: 1\n\nbody", "no Subject"},
	    {"no body separator", "Subject: s\n", "no empty line"},
	    {"forbidden header", "Subject: s\nBcc: evil@example.net\n\n", "may not be set"},
	    {"forbidden To", "Subject: s\nTo: {{a}}\n\n", "header To may not"},
	    {"twice", "Subject: s\nsubject: t\n\n", "given twice"},
	    {"folded", "Subject: s\n  more\n\n", "folded"},
	    {"not a header", "Subject: s\nhello world\n\n", "not a header"},
	    {"nul", "Subject: s\n\nab\0c", "NUL"},
	    {"deep",
	     "Subject: s\n\n{{#if a}}{{#if a}}{{#if a}}{{#if a}}{{#if a}}{{#if a}}{{#if a}}"
	     "{{#if a}}{{#if a}}x{{/if}}{{/if}}{{/if}}{{/if}}{{/if}}{{/if}}{{/if}}{{/if}}{{/if}}",
	     "nested deeper"},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);
		struct template *t;

		if (strcmp(cases[i].name, "nul") == 0)
			len = 16; /* "Subject: s\n\nab\0c" */
		t = template_parse("t", cases[i].text, len, names, err, sizeof(err));
		if (cases[i].want == NULL && t == NULL)
			fail_msg("%s: got error '%s', want it to load", cases[i].name, err);
		if (cases[i].want != NULL && t != NULL)
			fail_msg("%s: loaded, want error '%s'", cases[i].name, cases[i].want);
		if (cases[i].want != NULL && strstr(err, cases[i].want) == NULL)
			fail_msg("%s: got '%s', want '%s'", cases[i].name, err, cases[i].want);
		template_free(t);
	}
}

static void test_render(void **state)
{
	static const struct {
		const char *name, *text, *a, *b, *want_hdr, *want_body;
	} cases[] = {
	    {"plain", "Subject: [{{a}}]\n\nhi {{b}}.\n", "A", "B", "Subject: [A]\n", "hi B.\n"},
	    {"none is empty", "Subject: x{{a}}y\n\n<{{b}}>", NULL, NULL, "Subject: xy\n", "<>"},
	    {"if true", "Subject: s\n\n{{#if a}}yes{{/if}}.", "1", NULL, NULL, "yes."},
	    {"if empty", "Subject: s\n\n{{#if a}}yes{{/if}}.", "", NULL, NULL, "."},
	    {"else", "Subject: s\n\n{{#if a}}1{{else}}2{{/if}}", NULL, NULL, NULL, "2"},
	    {"unless", "Subject: s\n\n{{#unless a}}1{{else}}2{{/unless}}", NULL, NULL, NULL, "1"},
	    {"nested", "Subject: s\n\n{{#if a}}<{{#if b}}b{{else}}nb{{/if}}>{{else}}na{{/if}}|",
	     "1", NULL, NULL, "<nb>|"},
	    {"nested else skipped",
	     "Subject: s\n\n{{#if a}}{{#if b}}b{{else}}nb{{/if}}{{else}}na{{/if}}|", NULL, "1",
	     NULL, "na|"},
	    {"literal braces", "Subject: s\n\n{{{{a}} and }}", "X", NULL, NULL, "{{a}} and }}"},
	    {"comment", "Subject: s\n\na{{! b is not here }}c", NULL, NULL, NULL, "ac"},
	    {"indent", "Subject: s\n\n  - {{a}}\n    {{b}}\nend\n", "1\n2", "3\n4\n", NULL,
	     "  - 1\n2\n    3\n    4\n\nend\n"},
	    {"body control bytes", "Subject: s\n\n{{a}}", "x\r\ny\x01z\tw", NULL, NULL,
	     "x\\x0d\ny\\x01z\tw"},
	    {"header injection", "Subject: {{a}}\nX-B: {{b}}\n\n", "hi\r\nBcc: evil@example.net",
	     "1\n\n2", "Subject: hi  Bcc: evil@example.net\nX-B: 1  2\n", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct template_vars v;
		struct dbuf h, b;
		char err[256];
		struct template *t = template_parse("t", cases[i].text, strlen(cases[i].text),
		                                    names, err, sizeof(err));

		if (t == NULL)
			fail_msg("%s: %s", cases[i].name, err);
		template_vars_init(&v);
		template_vars_set(&v, "a", cases[i].a);
		template_vars_set(&v, "b", cases[i].b);
		dbuf_init(&h, 0);
		dbuf_init(&b, 0);
		assert_int_equal(template_render(t, template_vars_get, &v, &h, &b), 0);
		if (cases[i].want_hdr && strcmp(dbuf_str(&h), cases[i].want_hdr) != 0)
			fail_msg("%s: headers got '%s', want '%s'", cases[i].name, dbuf_str(&h),
			         cases[i].want_hdr);
		if (strcmp(dbuf_str(&b), cases[i].want_body) != 0)
			fail_msg("%s: body got '%s', want '%s'", cases[i].name, dbuf_str(&b),
			         cases[i].want_body);
		dbuf_free(&h);
		dbuf_free(&b);
		template_vars_clear(&v);
		template_free(t);
	}
}

/* test_caps - a long header value is cut below 998 octets, a huge body with a note */
static void test_caps(void **state)
{
	const char *text = "Subject: {{a}}\n\n{{a}}{{a}}{{a}}{{a}}{{a}}";
	char err[256];
	struct template *t = template_parse("t", text, strlen(text), names, err, sizeof(err));
	struct template_vars v;
	struct dbuf h, b;
	char *big = xmalloc(RW_TPL_OUTPUT_MAX / 2);

	(void)state;
	assert_non_null(t);
	memset(big, 'x', RW_TPL_OUTPUT_MAX / 2 - 1);
	big[RW_TPL_OUTPUT_MAX / 2 - 1] = '\0';
	template_vars_init(&v);
	template_vars_set(&v, "a", big);
	dbuf_init(&h, 0);
	dbuf_init(&b, 0);
	assert_int_equal(template_render(t, template_vars_get, &v, &h, &b), 1);
	assert_true(h.len <= RW_TPL_HEADER_LINE_MAX + 1);
	assert_non_null(strstr(dbuf_str(&b), "[... cut at"));
	assert_true(b.len < RW_TPL_OUTPUT_MAX + 100);
	dbuf_free(&h);
	dbuf_free(&b);
	template_vars_clear(&v);
	template_free(t);
	free(big);
}

/* sample - an open Postfix relay: percent-ip delivered via a smarthost, plain refused */
static void sample(struct target_result *r)
{
	struct arrival *a = xcalloc(1, sizeof(*a));

	result_init(r);
	snprintf(r->target, sizeof(r->target), "192.0.2.7");
	snprintf(r->addr, sizeof(r->addr), "192.0.2.7");
	snprintf(r->host, sizeof(r->host), "mx.example.net");
	r->port = 25;
	r->verdict = V_OPEN;
	snprintf(r->reason, sizeof(r->reason), "percent-ip reached the sink");
	snprintf(r->mta, sizeof(r->mta), "postfix");
	r->started = 1767225600000LL;
	result_tests_new(r, 2);
	r->tests[0].test = battery_by_id("plain");
	result_test_set(&r->tests[0], "me", "rw-1@canary.example", "rw-1@canary.example", "tok1");
	r->tests[0].stage = STAGE_MAIL;
	r->tests[0].code = 554;
	r->tests[1].test = battery_by_id("percent-ip");
	result_test_set(&r->tests[1], "me", "rw-2@[192.0.2.7]", "rw-2%canary.example@[192.0.2.7]",
	                "tok2");
	r->tests[1].stage = STAGE_DELIVERED;
	r->tests[1].code = 250;
	a->time = 1767225605;
	snprintf(a->peer, sizeof(a->peer), "198.51.100.25");
	a->nreceived = 2;
	a->received[0] =
	    xstrdup("from smarthost.example.net (smarthost.example.net [198.51.100.25]) "
	            "by canary.example with ESMTP id 1");
	a->received[1] =
	    xstrdup("from me ([203.0.113.5]) by mx.example.net (Postfix) with ESMTP id 2");
	r->tests[1].arrival = a;
	dbuf_adds(&r->transcript,
	          "S: 220 mx.example.net ESMTP Postfix\nC: EHLO me\nS: 250 mx\n"
	          "C: MAIL FROM:<rw-1@canary.example>\nS: 250 2.1.0 Ok\n"
	          "C: RCPT TO:<rw-1@canary.example>\nS: 554 5.7.1 Relay access denied\n"
	          "C: RSET\nS: 250 Ok\n"
	          "C: MAIL FROM:<rw-2@[192.0.2.7]>\nS: 250 2.1.0 Ok\n"
	          "C: RCPT TO:<rw-2%canary.example@[192.0.2.7]>\nS: 250 2.1.5 Ok\n"
	          "C: DATA\nS: 354 End data with <CR><LF>.<CR><LF>\n"
	          "C: <message of 900 octets, token tok2>\nC: .\nS: 250 2.0.0 Ok: queued\n");
}

/* the relay as the store keeps it (output_json's form, before "probe" existed) */
static const char relay_json[] =
    "{\"target\":\"192.0.2.7\",\"addr\":\"192.0.2.7\",\"port\":25,\"verdict\":\"open\","
    "\"reason\":\"relayed to the canary: 1 of 2 tests: percent-ip\",\"mta\":\"exim\","
    "\"host\":\"mx.example.net\",\"started\":1700000000,"
    "\"tests\":[{\"id\":\"plain\",\"trick\":\"plain recipient\",\"mail_from\":\"a@c.test\","
    "\"rcpt_to\":\"b@c.test\",\"stage\":\"mail\",\"bounced\":false},"
    "{\"id\":\"percent-ip\",\"trick\":\"percent hack\",\"mail_from\":\"p@[192.0.2.7]\","
    "\"rcpt_to\":\"p%c.test@[192.0.2.7]\",\"stage\":\"delivered\",\"bounced\":false}],"
    "\"arrivals\":[{\"test\":\"percent-ip\",\"time\":1700000003,\"peer\":\"192.0.2.7\","
    "\"quoted\":false,\"received\":[\"from mx.example.net (192.0.2.7) by sink.test\","
    "\"from rw (198.51.100.1) by mx.example.net\"]}],"
    "\"transcript\":[\"S: 220 mx.example.net ESMTP Exim 4.96\",\"C: MAIL FROM:<p@[192.0.2.7]>\","
    "\"S: 250 OK\"]}";
/* every default template, in file name order */
static const char *const all_files[] = {
    "block-warning",
    "blocked",
    "closed",
    "complaint-received",
    "escalation-suspension",
    "escalation-termination",
    "escalation-warning",
    "isp-blocked",
    "isp-closed",
    "isp-relay-found",
    "isp-suspend-order",
    "isp-terminate-order",
    "not-reproduced",
    "test-results-admin",
    "test-results-complainant",
    "unblocked-complainant",
    "unblocked",
};

/* std_vars - what the desk adds to a result's variables */
static void std_vars(struct template_vars *v)
{
	template_vars_set(v, "incident.id", "17");
	template_vars_set(v, "incident.opened", "2026-01-01 00:00 UTC");
	template_vars_set(v, "deadline", "2026-01-03 00:00 UTC");
	template_vars_set(v, "grace", "2 days");
	template_vars_set(v, "block.scope", "outbound");
	template_vars_set(v, "operator", "NOC, Example University");
	template_vars_set(v, "abuse_contact", "abuse@example.edu");
	template_vars_set(v, "contact.name", "Jo Admin");
	template_vars_set(v, "complaint.received", "2026-01-01 00:00 UTC");
	template_vars_set(v, "escalation.level", "warning");
	template_vars_set(v, "escalation.count", "2");
	template_vars_set(v, "escalation.repeat", "yes");
	template_vars_set(v, "escalation.window", "90 days");
}

/* golden - render every default template with v and compare with
 * RW_TEST_DATA/template/<prefix>-<file>.ref (RW_TEST_REGEN=1 writes them) */
static void golden(const char *prefix, struct template_vars *v)
{
	int regen = getenv("RW_TEST_REGEN") != NULL;

	for (size_t i = 0; i < sizeof(all_files) / sizeof(all_files[0]); i++) {
		char path[512], err[512];
		struct template *t;
		struct dbuf out, b;
		FILE *fp;

		snprintf(path, sizeof(path), "contrib/templates/%s.tpl", all_files[i]);
		if ((t = template_load(path, template_std_names(), err, sizeof(err))) == NULL)
			fail_msg("%s", err);
		dbuf_init(&out, 0);
		dbuf_init(&b, 0);
		template_render(t, template_vars_get, v, &out, &b);
		dbuf_addc(&out, '\n');
		dbuf_add(&out, b.data, b.len);
		snprintf(path, sizeof(path), "%s/template/%s-%s.ref", RW_TEST_DATA, prefix,
		         all_files[i]);
		if (regen) {
			if ((fp = fopen(path, "w")) == NULL ||
			    fwrite(out.data, 1, out.len, fp) != out.len || fclose(fp) != 0)
				fail_msg("%s: cannot write", path);
		} else {
			struct dbuf ref;
			char chunk[4096];
			size_t n;

			if ((fp = fopen(path, "r")) == NULL)
				fail_msg("%s: missing (RW_TEST_REGEN=1 writes it)", path);
			dbuf_init(&ref, 0);
			while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
				dbuf_add(&ref, chunk, n);
			fclose(fp);
			if (ref.len != out.len || memcmp(ref.data, out.data, out.len) != 0)
				fail_msg("%s: rendering differs from %s; got:\n%s", all_files[i],
				         path, dbuf_str(&out));
			dbuf_free(&ref);
		}
		dbuf_free(&out);
		dbuf_free(&b);
		template_free(t);
	}
}

/* test_golden_relay - relay notices, from a result in memory and from
 * its stored JSON, are byte for byte those of the .ref files */
static void test_golden_relay(void **state)
{
	struct target_result r;
	struct template_vars v;

	(void)state;
	sample(&r);
	template_vars_init(&v);
	evidence_vars(&v, &r, NULL);
	std_vars(&v);
	golden("relay", &v);
	template_vars_clear(&v);
	template_vars_init(&v);
	assert_int_equal(evidence_vars_json(&v, relay_json, NULL), 0);
	std_vars(&v);
	golden("relay-json", &v);
	template_vars_clear(&v);
	result_clear(&r);
}

/* an open tinyproxy as the proxy probe stores it (issue 7) */
static const char proxy_json[] =
    "{\"target\":\"127.10.0.5:3128\",\"addr\":\"127.10.0.5\",\"port\":3128,\"probe\":\"proxy\","
    "\"verdict\":\"open\",\"reason\":\"http-connect: the canary's nonce came back through the "
    "proxy (egress 127.10.0.5)\",\"software\":\"tinyproxy/1.11.1\",\"egress\":\"127.10.0.5\","
    "\"canary\":\"127.0.0.1:2526\",\"started\":1700000000,\"finished\":1700000001,"
    "\"protocols\":[{\"proto\":\"http-connect\",\"verdict\":\"open\",\"reason\":\"the canary's "
    "nonce came back\",\"status\":200,\"software\":\"tinyproxy/1.11.1\","
    "\"probe_id\":\"rwpconnect.0123456789abcdef\",\"sent\":\"CONNECT 127.0.0.1:2526 "
    "HTTP/1.1\\\\r\\\\nHost: 127.0.0.1:2526\\\\r\\\\n\\\\r\\\\nHELO "
    "rwpconnect.0123456789abcdef\\\\r\\\\n\","
    "\"received\":\"HTTP/1.1 200 Connection established\\\\r\\\\nProxy-agent: "
    "tinyproxy/1.11.1\\\\r\\\\n\\\\r\\\\n220 canary rwp1-aaaa\\\\r\\\\n250 canary "
    "rwp1-bbbb\\\\r\\\\n\","
    "\"nonce\":\"rwp1-bbbb\",\"egress\":\"127.10.0.5\"},"
    "{\"proto\":\"socks5\",\"verdict\":\"not-proxy\",\"reason\":\"no SOCKS5 answer\",\"status\":-1,"
    "\"software\":null,\"probe_id\":\"rwps5.1\",\"sent\":\"\\\\x05\\\\x02\\\\x00\\\\x02\","
    "\"received\":\"HTTP/1.1 400 Bad Request\\\\r\\\\n\",\"nonce\":null,\"egress\":null},"
    "{\"proto\":\"http-get\",\"verdict\":\"open\",\"reason\":\"the canary's nonce came back\","
    "\"status\":200,\"software\":\"tinyproxy/1.11.1\",\"probe_id\":\"rwpget.1\","
    "\"sent\":\"GET http://127.0.0.1:2526/rwp/rwpget.1 HTTP/1.1\\\\r\\\\n\","
    "\"received\":\"HTTP/1.1 200 "
    "OK\\\\r\\\\n\",\"nonce\":\"rwp1-cccc\",\"egress\":\"127.10.0.5\"}]}";

/* test_proxy_notices - a proxy's notices say open proxy, name the protocols
 * that let us through, the egress, the exchange and tinyproxy's advice,
 * never the relay's words; golden files hold them whole */
static void test_proxy_notices(void **state)
{
	static const struct {
		const char *file;
		int advice;   /* tinyproxy's advice */
		int evidence; /* the protocols, the egress and the exchange */
	} files[] = {
	    {"complaint-received", 1, 1},
	    {"test-results-admin", 1, 1},
	    {"test-results-complainant", 0, 1},
	    {"block-warning", 1, 1},
	    {"blocked", 1, 1},
	    {"unblocked", 1, 0},
	    {"unblocked-complainant", 0, 0},
	    {"escalation-warning", 1, 1},
	    {"escalation-suspension", 1, 1},
	    {"escalation-termination", 1, 1},
	    {"isp-relay-found", 1, 0},
	    {"not-reproduced", 0, 0},
	};
	struct template_vars v;

	(void)state;
	template_vars_init(&v);
	assert_int_equal(evidence_vars_json(&v, proxy_json, NULL), 0);
	std_vars(&v);
	assert_string_equal(template_vars_get(&v, "incident.class"), "open-proxy");
	assert_string_equal(template_vars_get(&v, "proxy.product"), "tinyproxy");
	assert_null(template_vars_get(&v, "tests_worked"));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256], err[512];
		struct template *t;
		struct dbuf h, b;
		const char *body;

		snprintf(path, sizeof(path), "contrib/templates/%s.tpl", files[i].file);
		if ((t = template_load(path, template_std_names(), err, sizeof(err))) == NULL)
			fail_msg("%s", err);
		dbuf_init(&h, 0);
		dbuf_init(&b, 0);
		template_render(t, template_vars_get, &v, &h, &b);
		body = dbuf_str(&b);
		if (getenv("RW_TEST_VERBOSE"))
			printf("==== %s\n%s\n%s\n", files[i].file, dbuf_str(&h), body);
		if (strstr(dbuf_str(&h), "relay ") || strstr(body, "open relay") ||
		    strstr(body, "relaying") || strstr(body, "mail server") ||
		    strstr(body, "Received:") || strstr(body, "Relay tests"))
			fail_msg("%s: relay words in a proxy notice:\n%s%s", files[i].file,
			         dbuf_str(&h), body);
		if (!strstr(dbuf_str(&h), "proxy") && !strstr(body, "open proxy"))
			fail_msg("%s: no \"open proxy\":\n%s%s", files[i].file, dbuf_str(&h), body);
		if (files[i].evidence &&
		    (!strstr(body, "http-connect: open (status 200), egress 127.10.0.5") ||
		     !strstr(body, "http-get: open") || strstr(body, "socks5") ||
		     !strstr(body, "C: CONNECT 127.0.0.1:2526 HTTP/1.1\n") ||
		     !strstr(body, "S: 250 canary rwp1-bbbb")))
			fail_msg("%s: want the protocols, egress and exchange:\n%s", files[i].file,
			         body);
		if (files[i].advice &&
		    (!strstr(body, "ConnectPort 443") || !strstr(body, "Allow 192.0.2.0/24") ||
		     !strstr(body, "relaywatch test --proxy 127.10.0.5:3128")))
			fail_msg("%s: want tinyproxy's advice and the retest:\n%s", files[i].file,
			         body);
		if (!files[i].advice && strstr(body, "ConnectPort"))
			fail_msg("%s: advice where none belongs:\n%s", files[i].file, body);
		if (strstr(body, "{{") != NULL)
			fail_msg("%s: a tag left in the body", files[i].file);
		dbuf_free(&h);
		dbuf_free(&b);
		template_free(t);
	}
	golden("proxy-json", &v);
	template_vars_clear(&v);
}

static void test_default_templates(void **state)
{
	static const struct {
		const char *file;
		int advice; /* the complainant gets no repair advice */
		int brief;  /* only the host and the verdict, no evidence */
	} files[] = {
	    {"complaint-received", 1, 0},
	    {"test-results-admin", 1, 0},
	    {"test-results-complainant", 0, 0},
	    {"block-warning", 1, 0},
	    {"blocked", 1, 0},
	    {"unblocked", 1, 0},
	    {"unblocked-complainant", 0, 1},
	    {"escalation-warning", 1, 0},
	    {"escalation-suspension", 1, 0},
	    {"escalation-termination", 1, 0},
	};
	struct target_result r;
	struct template_vars v;

	(void)state;
	sample(&r);
	template_vars_init(&v);
	evidence_vars(&v, &r, NULL);
	template_vars_set(&v, "incident.id", "17");
	template_vars_set(&v, "deadline", "2026-01-03 00:00 UTC");
	template_vars_set(&v, "operator", "NOC, Example University");
	template_vars_set(&v, "abuse_contact", "abuse@example.edu");
	template_vars_set(&v, "contact.name", "Jo Admin\r\nBcc: x@example.org");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256], err[512];
		struct template *t;
		struct dbuf h, b;
		const char *body;
		static const char *const want[] = {
		    "open",
		    "percent-ip",
		    "RCPT TO:<rw-2%canary.example@[192.0.2.7]>",
		    "S: 250 2.0.0 Ok: queued",
		    "Received: from smarthost.example.net",
		    "Received: from me ([203.0.113.5]) by mx.example.net (Postfix)",
		    "192.0.2.7",
		};

		snprintf(path, sizeof(path), "contrib/templates/%s.tpl", files[i].file);
		if ((t = template_load(path, template_std_names(), err, sizeof(err))) == NULL)
			fail_msg("%s", err);
		dbuf_init(&h, 0);
		dbuf_init(&b, 0);
		assert_int_equal(template_render(t, template_vars_get, &v, &h, &b), 0);
		body = dbuf_str(&b);
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			if ((!files[i].brief || k == 0 || k == 6) && strstr(body, want[k]) == NULL)
				fail_msg("%s: body lacks '%s':\n%s", files[i].file, want[k], body);
		if (files[i].advice && (strstr(body, "reject_unauth_destination") == NULL ||
		                        strstr(body, "allow_percent_hack = no") == NULL ||
		                        strstr(body, "relaywatch test 192.0.2.7:25") == NULL))
			fail_msg("%s: no Postfix advice for the percent hack:\n%s", files[i].file,
			         body);
		if (!files[i].advice && strstr(body, "reject_unauth_destination") != NULL)
			fail_msg("%s: repair advice sent to the complainant", files[i].file);
		if (strstr(dbuf_str(&h), "Subject: [incident 17]") != dbuf_str(&h))
			fail_msg("%s: headers '%s'", files[i].file, dbuf_str(&h));
		if (strstr(body, "{{") != NULL)
			fail_msg("%s: a tag left in the body", files[i].file);
		if (getenv("RW_TEST_VERBOSE"))
			printf("==== %s\n%s\n%s\n", files[i].file, dbuf_str(&h), body);
		dbuf_free(&h);
		dbuf_free(&b);
		template_free(t);
	}
	template_vars_clear(&v);
	result_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_render),
	    cmocka_unit_test(test_caps),         cmocka_unit_test(test_default_templates),
	    cmocka_unit_test(test_golden_relay), cmocka_unit_test(test_proxy_notices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
