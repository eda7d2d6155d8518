/*
 * NAME
 *	message - the small, plain test message each relay attempt carries
 * SUMMARY
 *	RFC 5322 headers and a text/plain us-ascii body saying who tests, why
 * SYNOPSIS
 *	char *message_build(const struct message_info *mi);
 * DESCRIPTION
 *	message_build returns an owned, NUL-terminated message (free() it):
 *	Date (from mi->now, UTC), From, To, Subject and Message-ID carrying the
 *	token, X-Relaywatch-Token, X-Relaywatch-Test, Auto-Submitted, MIME
 *	headers, then a body naming the operator, the reason (a check for open
 *	relays on the operator's own network), the abuse contact, the target,
 *	port, test and trick, and the token on a line of its own.
 *	From is the envelope sender when it is a mailbox a header can carry
 *	(local@domain, no route, no second @), else relaywatch@<myname> (the
 *	null sender, unqualified senders, bare IPv6 domains); To is the
 *	envelope recipient under the same rule, else "undisclosed-recipients:;"
 *	(the body still shows both envelope addresses as sent). Every field is
 *	cleaned to printable ASCII and clipped, so caller or banner text can
 *	neither end a header nor grow the message without bound.
 * DIAGNOSTICS
 *	None: out of memory is fatal in xmalloc.
 * LIMITS
 *	Lines end in CRLF and are shorter than 78 octets, except header lines
 *	holding the token or a long envelope address (shorter than 998). No
 *	line starts with '.', so no dot-stuffing is needed. RW_MESSAGE_FIELD_MAX
 *	octets per free-text field, RW_DOMAIN_MAX per name, id or address;
 *	the whole message stays under RW_MESSAGE_BUF_MAX.
 * STANDARDS
 *	RFC 5322 2.1.1 (line length), 3.3 (date), 3.4 (addresses), 3.6.4
 *	(Message-ID); RFC 2045 (MIME-Version, Content-Type); RFC 3834
 *	(Auto-Submitted); RFC 5321 4.5.2 (leading dots).
 */
#include "message.h"
#include "../core/dbuf.h"
#include "../core/limits.h"
#include "../core/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MESSAGE_WRAP     72 /* body text column */
#define MESSAGE_LINE_MAX 78 /* RFC 5322 2.1.1 SHOULD, CRLF excluded: < 78 */

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* clean - printable ASCII copy of s (others become '?'), clipped to outlen-1 */
static const char *clean(char *out, size_t outlen, const char *s, const char *dflt)
{
	size_t i = 0;

	if (!s || !*s)
		s = dflt;
	for (; s[i] && i + 1 < outlen; i++)
		out[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
	return out;
}

/* in_set - c is in set; NUL never is, though strchr would find it */
static int in_set(char c, const char *set)
{
	return c && strchr(set, c) != NULL;
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define ATEXT ALNUM "!#$%&'*+-/=?^_`{|}~" /* RFC 5322 3.2.3 */

/* domain_ok - a dot-atom host name or an address literal */
static int domain_ok(const char *p)
{
	size_t n = strlen(p);

	if (*p == '[')
		return n >= 3 && p[n - 1] == ']' && strspn(p + 1, ALNUM ".:") == n - 2;
	/* RFC 5322 dot-atom: no dot first, last or doubled */
	return n > 0 && p[0] != '.' && p[n - 1] != '.' && !strstr(p, "..") &&
	       strspn(p, ALNUM ".-") == n;
}

/* header_mailbox - a plain local@domain an RFC 5322 header can carry */
static int header_mailbox(const char *s)
{
	const char *at = strrchr(s, '@'), *p;

	if (!at || at == s || !at[1])
		return 0;
	if (s[0] == '"') {
		if (at - s < 2 || at[-1] != '"')
			return 0;
		for (p = s + 1; p < at - 1; p++)
			if (*p == '"' || *p == '\\')
				return 0;
	} else {
		if (s[0] == '.' || at[-1] == '.')
			return 0;
		for (p = s; p < at; p++)
			if (!in_set(*p, ATEXT ".") || (p[0] == '.' && p[1] == '.'))
				return 0;
	}
	return domain_ok(at + 1);
}

/* line - one CRLF-terminated line; a leading '.' gets a space before it */
static void line(struct dbuf *b, const char *s)
{
	if (s[0] == '.')
		dbuf_addc(b, ' ');
	dbuf_adds(b, s);
	dbuf_adds(b, "\r\n");
}

/* wrap - text as lines shorter than MESSAGE_WRAP+1, continuation lines
 * indented; words longer than a line are cut */
static void wrap(struct dbuf *b, const char *text, const char *indent)
{
	size_t col = 0, ind = strlen(indent);
	const char *p = text;
	int first = 1;

	while (*p) {
		size_t wlen;

		while (*p == ' ')
			p++;
		wlen = strcspn(p, " ");
		while (wlen > 0) {
			size_t take;

			if (col > 0 && col + 1 + wlen > MESSAGE_WRAP) {
				dbuf_adds(b, "\r\n");
				col = 0;
			}
			if (col == 0) {
				if (!first) {
					dbuf_adds(b, indent);
					col = ind;
				}
				if (col == 0 && *p == '.') {
					dbuf_addc(b, ' ');
					col = 1;
				}
				first = 0;
			} else {
				dbuf_addc(b, ' ');
				col++;
			}
			take = wlen < MESSAGE_WRAP - col ? wlen : MESSAGE_WRAP - col;
			dbuf_add(b, p, take);
			col += take;
			p += take;
			wlen -= take;
			if (wlen > 0) {
				dbuf_adds(b, "\r\n");
				col = 0;
			}
		}
	}
	dbuf_adds(b, "\r\n");
}

/* wrapf - wrap() of a formatted paragraph */
static void wrapf(struct dbuf *b, const char *indent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void wrapf(struct dbuf *b, const char *indent, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	wrap(b, s, indent);
	free(s);
}

/* rfc5322_date - "Tue, 14 Nov 2023 22:13:20 +0000" */
static void rfc5322_date(long long now, char *out, size_t outlen)
{
	time_t t = (time_t)now;
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d +0000", wdays[tm.tm_wday % 7],
	         tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	         tm.tm_sec);
}

/* message_build - the whole message, owned by the caller */
char *message_build(const struct message_info *mi)
{
	char from[RW_MESSAGE_FIELD_MAX + 1], to[RW_MESSAGE_FIELD_MAX + 1], token[RW_TOKEN_MAX];
	char op[RW_MESSAGE_FIELD_MAX + 1], abuse[RW_MESSAGE_FIELD_MAX + 1],
	    trick[RW_MESSAGE_FIELD_MAX + 1];
	char target[RW_DOMAIN_MAX + 1], test[RW_DOMAIN_MAX + 1], me[RW_DOMAIN_MAX + 1];
	char date[64], subject[RW_TOKEN_MAX + 64];
	struct dbuf b;

	clean(from, sizeof(from), mi->from, "");
	clean(to, sizeof(to), mi->to, "");
	clean(token, sizeof(token), mi->token, "no-token");
	clean(op, sizeof(op), mi->operator_name, "the network's operator");
	clean(abuse, sizeof(abuse), mi->abuse_contact, "the network's abuse contact");
	clean(target, sizeof(target), mi->target, "unknown");
	clean(test, sizeof(test), mi->test_id, "unknown");
	clean(trick, sizeof(trick), mi->trick, "unknown");
	clean(me, sizeof(me), mi->myname, "relaywatch.invalid");
	if (!domain_ok(me))
		clean(me, sizeof(me), "relaywatch.invalid", "");
	rfc5322_date(mi->now, date, sizeof(date));

	dbuf_init(&b, RW_MESSAGE_BUF_MAX);
	dbuf_printf(&b, "Date: %s\r\n", date);
	if (header_mailbox(from))
		dbuf_printf(&b, "From: <%s>\r\n", from);
	else
		dbuf_printf(&b, "From: relaywatch <relaywatch@%s>\r\n", me);
	if (header_mailbox(to))
		dbuf_printf(&b, "To: <%s>\r\n", to);
	else
		dbuf_adds(&b, "To: undisclosed-recipients:;\r\n");
	/* fold before the token when the line would pass the recommended length */
	snprintf(subject, sizeof(subject), "Subject: relaywatch relay test %s", token);
	if (strlen(subject) < MESSAGE_LINE_MAX)
		dbuf_printf(&b, "%s\r\n", subject);
	else
		dbuf_printf(&b, "Subject: relaywatch relay test\r\n %s\r\n", token);
	dbuf_printf(&b, "Message-ID: <%s@%s>\r\n", token, me);
	dbuf_printf(&b, "X-Relaywatch-Token: %s\r\n", token);
	dbuf_printf(&b, "X-Relaywatch-Test: %s; target=%s; port=%u\r\n", test, target, mi->port);
	dbuf_adds(&b, "Auto-Submitted: auto-generated\r\n"
	              "MIME-Version: 1.0\r\n"
	              "Content-Type: text/plain; charset=us-ascii\r\n"
	              "Content-Transfer-Encoding: 7bit\r\n"
	              "\r\n");

	wrapf(&b, "",
	      "This message tests whether a mail server relays mail for strangers. "
	      "relaywatch sent it on behalf of %s, who checks the mail servers on "
	      "their own network for open mail relays: servers that forward anyone's "
	      "mail, and so are abused to send spam.",
	      op);
	dbuf_adds(&b, "\r\n");
	wrapf(&b, "",
	      "It is addressed to a test mailbox of %s and should reach nobody else. "
	      "If it reached you, or if you have a question, please write to %s and "
	      "quote the token below.",
	      op, abuse);
	dbuf_adds(&b, "\r\n");
	wrapf(&b, "  ", "Tested by: %s", op);
	wrapf(&b, "  ", "Contact: %s", abuse);
	wrapf(&b, "  ", "Server tested: %s port %u", target, mi->port);
	wrapf(&b, "  ", "Test: %s", test);
	wrapf(&b, "  ", "Trick: %s", trick);
	wrapf(&b, "  ", "Envelope sender: <%s>", from);
	wrapf(&b, "  ", "Envelope recipient: <%s>", to);
	wrapf(&b, "  ", "Sent: %s", date);
	dbuf_adds(&b, "\r\n");
	line(&b, "Token:");
	line(&b, token);

	if (b.dropped)
		rw_panic("%s: message passed %d octets", __func__, RW_MESSAGE_BUF_MAX);
	return dbuf_steal(&b);
}
