/*
 * test_received - Received: extraction and hop parsing
 *
 * Hop cases are real trace fields as Postfix, Exim, Sendmail, OpenSMTPD,
 * Microsoft Exchange and qmail write them, folded as they arrive; each is
 * run through received_extract() with CRLF and with bare LF line ends,
 * then through received_hop_parse().
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
#include "../../src/sink/received.h"

struct hop_case {
	const char *name;
	const char *field; /* the header line(s) after "Received:", '\n' line ends */
	const char *want_value;
	const char *want_from, *want_ip, *want_by;
};

static const struct hop_case hop_cases[] = {
    {
        .name = "postfix-esmtps",
        .field = " from mail-wr1-f54.google.com (mail-wr1-f54.google.com [209.85.221.54])\n"
                 "\tby mx.example.net (Postfix) with ESMTPS id 4N1Rzc0W4Vz9sWJ\n"
                 "\tfor <user@example.net>; Mon, 28 Nov 2022 10:15:02 +0100 (CET)",
        .want_value = "from mail-wr1-f54.google.com (mail-wr1-f54.google.com [209.85.221.54]) "
                      "by mx.example.net (Postfix) with ESMTPS id 4N1Rzc0W4Vz9sWJ "
                      "for <user@example.net>; Mon, 28 Nov 2022 10:15:02 +0100 (CET)",
        .want_from = "mail-wr1-f54.google.com",
        .want_ip = "209.85.221.54",
        .want_by = "mx.example.net",
    },
    {
        .name = "postfix-unknown-ipv6",
        .field = " from client.example (unknown [IPv6:2001:db8::25])\n"
                 "\tby mail.example.org (Postfix) with ESMTP id 3F2A1C0123\n"
                 "\tfor <a@example.org>; Tue,  1 Mar 2022 09:00:00 +0000 (UTC)",
        .want_from = "client.example",
        .want_ip = "2001:db8::25",
        .want_by = "mail.example.org",
    },
    {
        .name = "postfix-pickup",
        .field = " by mail.example.org (Postfix, from userid 1000)\n"
                 "\tid 6B1F3C0456; Tue,  1 Mar 2022 09:00:00 +0000 (UTC)",
        .want_value = "by mail.example.org (Postfix, from userid 1000) id 6B1F3C0456; "
                      "Tue, 1 Mar 2022 09:00:00 +0000 (UTC)",
        .want_from = "",
        .want_ip = "",
        .want_by = "mail.example.org",
    },
    {
        .name = "exim-ip-port",
        .field = " from mail-lf1-f54.google.com ([209.85.167.54]:35525)\n"
                 "\tby mx.example.com with esmtps  (TLS1.3) tls TLS_AES_128_GCM_SHA256\n"
                 "\t(Exim 4.96)\n"
                 "\t(envelope-from <sender@gmail.com>)\n"
                 "\tid 1pABCD-0001Xy-2Q\n"
                 "\tfor user@example.com;\n"
                 "\tWed, 14 Dec 2022 12:00:00 +0000",
        .want_from = "mail-lf1-f54.google.com",
        .want_ip = "209.85.167.54",
        .want_by = "mx.example.com",
    },
    {
        .name = "exim-literal-from",
        .field = " from [192.0.2.7] (helo=laptop.local)\n"
                 "\tby smtp.example.com with esmtpsa  (TLS1.2) tls "
                 "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
                 "\t(Exim 4.94.2)\n"
                 "\t(envelope-from <a@example.com>)\n"
                 "\tid 1oXyZq-0004aB-Cd; Thu, 01 Sep 2022 08:01:02 +0200",
        .want_from = "[192.0.2.7]",
        .want_ip = "192.0.2.7",
        .want_by = "smtp.example.com",
    },
    {
        .name = "exim-ipv6-helo",
        .field = " from host.example ([2001:db8:1::5] helo=host.example)\n"
                 "\tby mx.example.com with esmtp (Exim 4.92)\n"
                 "\t(envelope-from <b@host.example>)\n"
                 "\tid 1kQwEr-0007Ty-Ui\n"
                 "\tfor c@example.com; Fri, 02 Oct 2020 17:00:00 +0000",
        .want_from = "host.example",
        .want_ip = "2001:db8:1::5",
        .want_by = "mx.example.com",
    },
    {
        .name = "sendmail-may-be-forged",
        .field = " from client.example.com (client.example.com [198.51.100.20] (may be forged))\n"
                 "\tby mx.example.com (8.15.2/8.15.2) with ESMTP id 2B3C4D5E6F7G8\n"
                 "\tfor <u@example.com>; Thu, 1 Sep 2022 10:00:00 -0400",
        .want_from = "client.example.com",
        .want_ip = "198.51.100.20",
        .want_by = "mx.example.com",
    },
    {
        .name = "sendmail-submit",
        .field = " from localhost (localhost [127.0.0.1])\n"
                 "\tby host.example.com (8.14.4/8.14.4/Submit) with ESMTP id p1AB2cDe012345;\n"
                 "\tThu, 10 Feb 2011 12:00:00 +0100",
        .want_from = "localhost",
        .want_ip = "127.0.0.1",
        .want_by = "host.example.com",
    },
    {
        .name = "sendmail-ipv6",
        .field = " from relay.example.net (relay.example.net [IPv6:2001:db8:0:1::17])\n"
                 "\tby mx.example.com (8.17.1/8.17.1) with ESMTPS id 2BQ8xYZa001234\n"
                 "\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT)\n"
                 "\tfor <u@example.com>; Tue, 27 Dec 2022 09:59:34 +0100",
        .want_from = "relay.example.net",
        .want_ip = "2001:db8:0:1::17",
        .want_by = "mx.example.com",
    },
    {
        .name = "opensmtpd-esmtps",
        .field = " from mail.example.org (mail.example.org [192.0.2.44])\n"
                 "\tby mx.example.com (OpenSMTPD) with ESMTPS id 6b1c2d3e "
                 "(TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO)\n"
                 "\tfor <u@example.com>;\n"
                 "\tFri, 2 Dec 2022 11:00:00 +0100 (CET)",
        .want_from = "mail.example.org",
        .want_ip = "192.0.2.44",
        .want_by = "mx.example.com",
    },
    {
        .name = "opensmtpd-local",
        .field = " from localhost (localhost [local])\n"
                 "\tby host.example (OpenSMTPD) with ESMTPA id 1a2b3c4d (TLSv1.3:NO) "
                 "auth=yes user=joe;\n"
                 "\tFri, 2 Dec 2022 11:00:00 +0100 (CET)",
        .want_from = "localhost",
        .want_ip = "",
        .want_by = "host.example",
    },
    {
        .name = "opensmtpd-ipv6",
        .field = " from host.example.org (host.example.org [IPv6:2001:db8::beef])\n"
                 "\tby mx.example.com (OpenSMTPD) with ESMTP id 0fa1b2c3\n"
                 "\tfor <u@example.com>; Sat, 3 Dec 2022 07:00:00 +0000 (UTC)",
        .want_from = "host.example.org",
        .want_ip = "2001:db8::beef",
        .want_by = "mx.example.com",
    },
    {
        .name = "exchange-online-internal",
        .field = " from DM6PR12MB4188.namprd12.prod.outlook.com (2603:10b6:5:1c0::22) by\n"
                 " BN6PR12MB1234.namprd12.prod.outlook.com (2603:10b6:404:14c::15) with\n"
                 " Microsoft SMTP Server (version=TLS1_2,\n"
                 " cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.5880.13; Mon, 5 Dec\n"
                 " 2022 09:40:01 +0000",
        .want_from = "DM6PR12MB4188.namprd12.prod.outlook.com",
        .want_ip = "2603:10b6:5:1c0::22",
        .want_by = "BN6PR12MB1234.namprd12.prod.outlook.com",
    },
    {
        .name = "exchange-onprem-frontend",
        .field = " from mail.partner.example (192.0.2.99) by EXCH01.corp.example.com\n"
                 " (10.1.2.3) with Microsoft SMTP Server id 15.1.2507.6 via Frontend\n"
                 " Transport; Tue, 6 Dec 2022 08:00:00 +0100",
        .want_from = "mail.partner.example",
        .want_ip = "192.0.2.99",
        .want_by = "EXCH01.corp.example.com",
    },
    {
        .name = "exchange-outlook-inbound",
        .field = " from NAM12-BN8-obe.outbound.protection.outlook.com\n"
                 " (mail-bn8nam12on2101.outbound.protection.outlook.com [40.107.237.101]) by\n"
                 " mx.example.com (Postfix) with ESMTPS id 4NVx1Q0h; Wed, 7 Dec 2022 10:00:00\n"
                 " +0100 (CET)",
        .want_from = "NAM12-BN8-obe.outbound.protection.outlook.com",
        .want_ip = "40.107.237.101",
        .want_by = "mx.example.com",
    },
    {
        .name = "qmail-helo",
        .field = " from unknown (HELO mail.example.com) (192.0.2.1)\n"
                 "  by mx.example.com with SMTP; 1 Jan 2022 00:00:00 -0000",
        .want_from = "unknown",
        .want_ip = "192.0.2.1",
        .want_by = "mx.example.com",
    },
    {
        .name = "qmail-invoked",
        .field = " (qmail 12345 invoked by uid 89); 1 Jan 2022 00:00:00 -0000",
        .want_from = "",
        .want_ip = "",
        .want_by = "",
    },
    {
        .name = "relaywatch-sink",
        .field = " from relay.example ([192.0.2.8]) by sink.example with ESMTP id "
                 "674F1A2B00001; Thu, 27 Nov 2025 13:29:00 +0000",
        .want_from = "relay.example",
        .want_ip = "192.0.2.8",
        .want_by = "sink.example",
    },
    {
        .name = "bogus-first-bracket",
        .field = " from a (b [999.1.1.1] [unknown] [192.0.2.5]) by c; x",
        .want_from = "a",
        .want_ip = "192.0.2.5",
        .want_by = "c",
    },
    {
        .name = "by-address-not-taken",
        .field = " from a (b) by c (d [192.0.2.9]) for <u@[192.0.2.10]>; x",
        .want_from = "a",
        .want_ip = "",
        .want_by = "c",
    },
    {
        .name = "from-after-by-ignored",
        .field = " by c (x) from d (e [192.0.2.1]); x",
        .want_from = "",
        .want_ip = "",
        .want_by = "c",
    },
    {
        .name = "unterminated-comment",
        .field = " from a (b [192.0.2.1] by c",
        .want_from = "a",
        .want_ip = "192.0.2.1",
        .want_by = "",
    },
    {
        .name = "unterminated-bracket",
        .field = " from a (b [192.0.2.1) by c; x",
        .want_from = "a",
        .want_ip = "",
        .want_by = "c",
    },
    {
        .name = "escaped-paren-in-comment",
        .field = " from a (b \\) [192.0.2.3]) by c; x",
        .want_from = "a",
        .want_ip = "192.0.2.3",
        .want_by = "c",
    },
    {
        .name = "quoted-string",
        .field = " from a \"by x\" (b [192.0.2.4]) by c; x",
        .want_from = "a",
        .want_ip = "192.0.2.4",
        .want_by = "c",
    },
    {
        .name = "keywords-any-case",
        .field = " FROM a ([192.0.2.6]) BY c; x",
        .want_from = "a",
        .want_ip = "192.0.2.6",
        .want_by = "c",
    },
    {
        .name = "empty",
        .field = " ",
        .want_from = "",
        .want_ip = "",
        .want_by = "",
    },
};

/* with_ends - copy s, '\n' replaced by CRLF when crlf; owned */
static char *with_ends(const char *s, int crlf)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	for (; *s; s++) {
		if (*s == '\n' && crlf)
			dbuf_addc(&b, '\r');
		dbuf_addc(&b, *s);
	}
	return dbuf_steal(&b);
}

/* make_msg - a message carrying one Received: field among others, and a
 * decoy in the body that must not be read; owned */
static char *make_msg(const char *field, int crlf)
{
	struct dbuf b;
	char *s, *r;

	dbuf_init(&b, 0);
	dbuf_printf(&b,
	            "Return-Path: <a@example.org>\nReceived:%s\nSubject: test\n"
	            "X-Received: from x (y [192.0.2.250]) by z\n\n"
	            "Received: from body (x [192.0.2.200]) by body\n",
	            field);
	s = dbuf_steal(&b);
	r = with_ends(s, crlf);
	free(s);
	return r;
}

static int check_str(const char *name, const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return 0;
	print_message("%s: %s: got \"%s\", want \"%s\"\n", name, what, got, want);
	return 1;
}

static void test_hops(void **state)
{
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(hop_cases) / sizeof(hop_cases[0]); i++) {
		const struct hop_case *c = &hop_cases[i];

		for (int crlf = 0; crlf <= 1; crlf++) {
			char *raw = make_msg(c->field, crlf);
			char *out[4] = {0};
			struct received_hop hop;
			int n = received_extract(raw, strlen(raw), out, 4);

			if (strcmp(c->name, "empty") == 0) {
				/* an empty value is not kept */
				if (n != 0) {
					print_message("%s: got %d values, want 0\n", c->name, n);
					failures++;
				}
				received_hop_parse("", &hop);
			} else if (n != 1) {
				print_message("%s (crlf=%d): got %d values, want 1\n", c->name,
				              crlf, n);
				failures++;
				free(raw);
				continue;
			} else {
				if (c->want_value)
					failures +=
					    check_str(c->name, "value", out[0], c->want_value);
				received_hop_parse(out[0], &hop);
			}
			failures += check_str(c->name, "from", hop.from, c->want_from);
			failures += check_str(c->name, "from_ip", hop.from_ip, c->want_ip);
			failures += check_str(c->name, "by", hop.by, c->want_by);
			for (int k = 0; k < n; k++)
				free(out[k]);
			free(raw);
		}
	}
	assert_int_equal(failures, 0);
}

struct extract_case {
	const char *name;
	const char *msg; /* '\n' line ends; run with LF and CRLF */
	int max;
	int want_n;
	const char *want[6];
};

static const struct extract_case extract_cases[] = {
    {"none", "Subject: x\nFrom: a@b\n\nbody\n", 8, 0, {0}},
    {"empty-message", "", 8, 0, {0}},
    {"order-top-first",
     "Received: from c by d; 2\nX-A: 1\nReceived: from a by b; 1\nSubject: s\n\n",
     8,
     2,
     {"from c by d; 2", "from a by b; 1"}},
    {"folded-tabs-spaces",
     "Received: from a\n\t(b\n    [192.0.2.1])\n \tby c;\n\t date\n\n",
     8,
     1,
     {"from a (b [192.0.2.1]) by c; date"}},
    {"stops-at-empty-line", "Received: one\n\nReceived: two\n", 8, 1, {"one"}},
    {"no-empty-line", "Received: one\nReceived: two", 8, 2, {"one", "two"}},
    {"name-any-case",
     "RECEIVED: one\nreceived : two\nReceived\t:three\n\n",
     8,
     3,
     {"one", "two", "three"}},
    {"similar-names-ignored",
     "X-Received: no\nReceived-SPF: pass\nARC-Received: no\nReceivedX: no\nReceived: yes\n\n",
     8,
     1,
     {"yes"}},
    {"continuation-of-other-field", "Subject: x\n Received: no\nReceived: yes\n\n", 8, 1, {"yes"}},
    {"leading-continuation", " Received: no\nReceived: yes\n\n", 8, 1, {"yes"}},
    {"empty-value-dropped", "Received:\nReceived:   \n\t\nReceived: x\n\n", 8, 1, {"x"}},
    {"count-capped", "Received: 1\nReceived: 2\nReceived: 3\nReceived: 4\n\n", 2, 2, {"1", "2"}},
    {"max-zero", "Received: 1\n\n", 0, 0, {0}},
    {"control-bytes-collapse",
     "Received: a\x01\x7f"
     "b\r\r c\n\n",
     8,
     1,
     {"a b c"}},
};

static void test_extract(void **state)
{
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(extract_cases) / sizeof(extract_cases[0]); i++) {
		const struct extract_case *c = &extract_cases[i];

		for (int crlf = 0; crlf <= 1; crlf++) {
			char *msg = with_ends(c->msg, crlf);
			char *out[8] = {0};
			int n = received_extract(msg, strlen(msg), out, c->max);

			if (n != c->want_n) {
				print_message("%s (crlf=%d): got %d values, want %d\n", c->name,
				              crlf, n, c->want_n);
				failures++;
			}
			for (int k = 0; k < n && k < c->want_n; k++)
				failures += check_str(c->name, "value", out[k], c->want[k]);
			for (int k = 0; k < n; k++)
				free(out[k]);
			free(msg);
		}
	}
	assert_int_equal(failures, 0);
}

/* test_value_cap - a huge folded value is cut at 1 KiB, and the fields
 * after it are still read */
static void test_value_cap(void **state)
{
	struct dbuf b;
	char *out[4] = {0};
	int n;

	(void)state;
	dbuf_init(&b, 0);
	dbuf_adds(&b, "Received: from a");
	for (int i = 0; i < 500; i++)
		dbuf_adds(&b, "\r\n\t(0123456789abcdef)");
	dbuf_adds(&b, "\r\nReceived: next\r\n\r\n");
	n = received_extract(b.data, b.len, out, 4);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(out[0]), 1024);
	assert_true(strncmp(out[0], "from a (0123456789abcdef) (0123", 31) == 0);
	assert_string_equal(out[1], "next");
	free(out[0]);
	free(out[1]);
	dbuf_free(&b);
}

/* test_many_fields - the count stops at the caller's max, RW_RECEIVED_MAX */
static void test_many_fields(void **state)
{
	struct dbuf b;
	char *out[RW_RECEIVED_MAX] = {0};
	char want[32];
	int n;

	(void)state;
	dbuf_init(&b, 0);
	for (int i = 0; i < 3 * RW_RECEIVED_MAX; i++)
		dbuf_printf(&b, "Received: hop %d\n", i);
	dbuf_adds(&b, "\nbody\n");
	n = received_extract(b.data, b.len, out, RW_RECEIVED_MAX);
	assert_int_equal(n, RW_RECEIVED_MAX);
	for (int i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "hop %d", i);
		assert_string_equal(out[i], want);
		free(out[i]);
	}
	dbuf_free(&b);
}

/* test_not_nul_terminated - len is honoured: nothing past it is read
 * (valgrind / ASan see any overread of the exact-size copy) */
static void test_not_nul_terminated(void **state)
{
	static const char text[] = "Received: from a (b [192.0.2.1]) by c";
	size_t len = sizeof(text) - 1;
	char *exact = malloc(len);
	char *out[2] = {0};
	int n;

	(void)state;
	memcpy(exact, text, len);
	for (size_t cut = 0; cut <= len; cut++) {
		n = received_extract(exact, cut, out, 2);
		for (int k = 0; k < n; k++)
			free(out[k]);
	}
	n = received_extract(exact, len, out, 2);
	assert_int_equal(n, 1);
	assert_string_equal(out[0], "from a (b [192.0.2.1]) by c");
	free(out[0]);
	free(exact);
}

/* test_long_names - names longer than the hop's fields are cut, not
 * overflowed */
static void test_long_names(void **state)
{
	struct dbuf b;
	struct received_hop hop;

	(void)state;
	dbuf_init(&b, 0);
	dbuf_adds(&b, "from ");
	for (int i = 0; i < 600; i++)
		dbuf_addc(&b, 'a');
	dbuf_adds(&b, " ([IPv6:");
	for (int i = 0; i < 100; i++)
		dbuf_adds(&b, "1:");
	dbuf_adds(&b, "1] [192.0.2.1]) by ");
	for (int i = 0; i < 600; i++)
		dbuf_addc(&b, 'b');
	received_hop_parse(b.data, &hop);
	assert_int_equal(strlen(hop.from), sizeof(hop.from) - 1);
	assert_int_equal(strlen(hop.by), sizeof(hop.by) - 1);
	assert_string_equal(hop.from_ip, "192.0.2.1");
	dbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hops),
	    cmocka_unit_test(test_extract),
	    cmocka_unit_test(test_value_cap),
	    cmocka_unit_test(test_many_fields),
	    cmocka_unit_test(test_not_nul_terminated),
	    cmocka_unit_test(test_long_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
