/*
 * NAME
 *	complaint - read an abuse complaint (ARF, X-ARF or a person's mail)
 * SUMMARY
 *	one message in, the reported relay's address and the facts around it out
 * SYNOPSIS
 *	struct complaint *complaint_parse(const char *msg, size_t len,
 *					  const char *ip_override);
 *	struct complaint *complaint_free(struct complaint *c);
 *	const char *complaint_format_name(enum complaint_format f);
 *	void complaint_init(void);
 *	void complaint_shutdown(void);
 * DESCRIPTION
 *	complaint_parse() checks the size, lets GMime build the MIME tree
 *	(encodings, RFC 2047 words, broken boundaries), checks every header
 *	section against the caps, walks the parts and picks the format:
 *	ARF when the top is multipart/report with report-type=feedback-report
 *	or a message/feedback-report part exists; X-ARF when the top header
 *	has X-XARF or X-ARF; otherwise a plain complaint. ARF reads Source-IP,
 *	Source-Port, Feedback-Type, Arrival-Date (or Received-Date),
 *	Reported-Domain, Original-Mail-From and -Rcpt-To; X-ARF reads Source,
 *	Source-Type, Port, Category, Report-Type, Date, Reported-From from the
 *	first text/plain part that has such fields. A plain complaint takes
 *	the client address of the first Received hop with a public address (else
 *	the first that is not loopback) of the
 *	attached message, text/rfc822-headers part, or a message quoted in the
 *	text. Every format keeps the original header section and its Received
 *	chain when one is included. The caller's ip_override wins over all of
 *	these. The record is owned by the caller (complaint_free()); nothing in
 *	it points into msg.
 *
 *	complaint_init() runs g_mime_init() once under a GLib mutex;
 *	complaint_shutdown() undoes it (GLib's type system keeps its own
 *	reachable allocations, which no leak checker reports).
 * DIAGNOSTICS
 *	A message that is not a usable complaint gets format COMPLAINT_NONE
 *	and an error[] saying why and where ("part 2 (message/feedback-report):
 *	Source-IP \"mx.example\" is not a numeric IPv4 or IPv6 address").
 *	Quirks tolerated on the way (a date that does not parse, an unknown
 *	X-ARF version) are listed in notes[].
 * LIMITS
 *	RW_COMPLAINT_MAX bytes, RW_COMPLAINT_PARTS_MAX parts nested at most
 *	RW_COMPLAINT_DEPTH_MAX deep, RW_COMPLAINT_FIELD_MAX per header field
 *	and RW_COMPLAINT_FIELDS_MAX fields per header section,
 *	RW_COMPLAINT_REPORT_MAX per decoded report part with
 *	RW_COMPLAINT_REPORT_FIELDS_MAX fields, RW_COMPLAINT_HEADERS_MAX of
 *	original headers (cut at a line end), RW_RECEIVED_MAX Received values.
 * STANDARDS
 *	RFC 5965 3.1-3.2 (feedback-report fields), RFC 6692 (Source-Port),
 *	RFC 6522 (multipart/report), RFC 6430 (not-spam), X-ARF 0.2
 *	(x-arf.org/specification), RFC 5322 3.3 (dates), 3.6.7 (Received).
 */
#include "complaint.h"
#include "../core/dbuf.h"
#include "../core/netaddr.h"
#include "desk_int.h"
#include "../core/xalloc.h"
#include "../sink/received.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static GMutex init_lock;
static int init_done;

/* complaint_init - GMime wants g_mime_init() once per process */
void complaint_init(void)
{
	g_mutex_lock(&init_lock);
	if (!init_done) {
		g_mime_init();
		init_done = 1;
	}
	g_mutex_unlock(&init_lock);
}

/* complaint_shutdown - release GMime's caches (charset maps, iconv) */
void complaint_shutdown(void)
{
	g_mutex_lock(&init_lock);
	if (init_done) {
		g_mime_shutdown();
		init_done = 0;
	}
	g_mutex_unlock(&init_lock);
}

const char *complaint_format_name(enum complaint_format f)
{
	switch (f) {
	case COMPLAINT_ARF:
		return "arf";
	case COMPLAINT_XARF:
		return "x-arf";
	case COMPLAINT_PLAIN:
		return "plain";
	case COMPLAINT_NONE:
		break;
	}
	return "none";
}

/* The parts that matter, found by one walk of the tree. */
enum pkind { PK_FEEDBACK, PK_RFC822, PK_HEADERS, PK_TEXT };

struct found {
	GMimeObject *obj;
	char index[32]; /* MIME section number as IMAP writes it ("2", "3.1") */
};

/* One parse: the record being filled and what the walk found. */
struct pctx {
	struct complaint *c;
	int parts;
	int warn_crit; /* GMime reported a GMIME_CRIT_* issue */
	gint64 warn_offset;
	GMimeParserWarning warn_code;
	struct found feedback, rfc822, headers;
	struct found text[4]; /* text/plain parts, in order (X-ARF report, quoted mail) */
	int ntext;
};

/* fail - set the error text once (the first reason is the one to show) */
__attribute__((format(printf, 2, 3))) static void fail(struct complaint *c, const char *fmt, ...)
{
	va_list ap;

	if (c->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
}

/* note - append a tolerated quirk */
__attribute__((format(printf, 2, 3))) static void note(struct complaint *c, const char *fmt, ...)
{
	size_t n = strlen(c->notes);
	va_list ap;

	if (n + 3 >= sizeof(c->notes))
		return;
	if (n > 0) {
		memcpy(c->notes + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(c->notes + n, sizeof(c->notes) - n, fmt, ap);
	va_end(ap);
}

/* ctype_text - "type/subtype" of an object, for error texts */
static void ctype_text(GMimeObject *o, char *buf, size_t size)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	const char *t = ct ? g_mime_content_type_get_media_type(ct) : NULL;
	const char *s = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
	char tb[32], sb[48];

	fields_text(tb, sizeof(tb), t ? t : "?");
	fields_text(sb, sizeof(sb), s ? s : "?");
	snprintf(buf, size, "%s/%s", tb, sb);
}

/* base64_junk - offset of the first byte no base64 text has, or -1 */
static long base64_junk(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = p[i];

		if (!(isalnum(ch) || ch == '+' || ch == '/' || ch == '=' || ch == '\r' ||
		      ch == '\n' || ch == ' ' || ch == '\t'))
			return (long)i;
	}
	return -1;
}

/* stream_bytes - copy a GMime stream into a mem stream; the caller unrefs */
static GMimeStream *stream_bytes(GMimeStream *src)
{
	GMimeStream *out = g_mime_stream_mem_new();

	g_mime_stream_reset(src);
	g_mime_stream_write_to_stream(src, out);
	return out;
}

/* part_text - the decoded content of a leaf part as an owned string;
 * NULL with err set when it is too large, not base64 when it says so, or
 * binary */
static char *part_text(const struct found *fp, size_t max, size_t *lenp, char *err, size_t errlen)
{
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(fp->obj));
	GMimeStream *out;
	GByteArray *ba;
	char ct[96], *s;

	ctype_text(fp->obj, ct, sizeof(ct));
	*lenp = 0;
	if (w == NULL)
		return xstrdup("");
	if (g_mime_data_wrapper_get_encoding(w) == GMIME_CONTENT_ENCODING_BASE64 &&
	    g_mime_data_wrapper_get_stream(w) != NULL) {
		GMimeStream *raw = stream_bytes(g_mime_data_wrapper_get_stream(w));
		GByteArray *rb = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(raw));
		long bad = base64_junk(rb->data, rb->len);

		if (bad >= 0) {
			snprintf(err, errlen,
			         "part %s (%s): Content-Transfer-Encoding base64, but byte %ld "
			         "(0x%02x) is not base64",
			         fp->index, ct, bad, rb->data[bad]);
			g_object_unref(raw);
			return NULL;
		}
		g_object_unref(raw);
	}
	out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, out);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	if (ba->len > max) {
		snprintf(err, errlen, "part %s (%s): %u bytes decoded, more than the %zu allowed",
		         fp->index, ct, ba->len, max);
		g_object_unref(out);
		return NULL;
	}
	for (guint i = 0; i < ba->len; i++) {
		unsigned char ch = ba->data[i];

		if ((ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f) {
			snprintf(
			    err, errlen,
			    "part %s (%s): decoded content is binary (byte 0x%02x at %u), not text",
			    fp->index, ct, ch, i);
			g_object_unref(out);
			return NULL;
		}
	}
	s = xmalloc(ba->len + 1);
	if (ba->len > 0) /* an empty GByteArray has no data pointer */
		memcpy(s, ba->data, ba->len);
	s[ba->len] = '\0';
	*lenp = ba->len;
	g_object_unref(out);
	return s;
}

/* on_warning - GMime's parser issues; the critical ones explain refusals */
static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
	struct pctx *p = data;

	if (p->warn_code != 0)
		return;
	if (code == GMIME_CRIT_INVALID_HEADER_NAME || code == GMIME_CRIT_CONFLICTING_HEADER ||
	    code == GMIME_CRIT_CONFLICTING_PARAMETER ||
	    code == GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY || code == GMIME_CRIT_NESTING_OVERFLOW ||
	    code == GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT)
		p->warn_crit = 1;
	if (code == GMIME_WARN_MALFORMED_MULTIPART || code == GMIME_WARN_TRUNCATED_MESSAGE ||
	    code == GMIME_WARN_MALFORMED_MESSAGE || p->warn_crit) {
		p->warn_code = code;
		p->warn_offset = offset;
	}
}

/* warn_text - what GMime said, for an error text */
static const char *warn_text(GMimeParserWarning code)
{
	switch (code) {
	case GMIME_WARN_MALFORMED_MULTIPART:
		return "a multipart without parts (its boundary never appears)";
	case GMIME_WARN_TRUNCATED_MESSAGE:
		return "truncated message (a closing boundary is missing)";
	case GMIME_WARN_MALFORMED_MESSAGE:
		return "malformed message";
	case GMIME_CRIT_INVALID_HEADER_NAME:
		return "invalid header name";
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		return "a multipart without a boundary parameter";
	case GMIME_CRIT_NESTING_OVERFLOW:
		return "MIME nesting too deep";
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		return "a part without headers or content";
	case GMIME_CRIT_CONFLICTING_HEADER:
		return "conflicting header fields";
	case GMIME_CRIT_CONFLICTING_PARAMETER:
		return "conflicting header parameters";
	default:
		return "";
	}
}

/* check_headers - one header section against the caps */
static int check_headers(struct pctx *p, GMimeObject *o, const char *where)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	if (n > RW_COMPLAINT_FIELDS_MAX) {
		fail(p->c, "%s: %d header fields, more than %d", where, n, RW_COMPLAINT_FIELDS_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *v = h ? g_mime_header_get_raw_value(h) : NULL;
		size_t len = v ? strlen(v) : 0;

		/* the raw value keeps its leading space and line end */
		while (len > 0 && (v[len - 1] == '\n' || v[len - 1] == '\r'))
			len--;
		for (; len > 0 && (*v == ' ' || *v == '\t'); len--)
			v++;

		if (len > RW_COMPLAINT_FIELD_MAX) {
			char nb[80];

			fail(p->c, "%s: header field %s is %zu bytes, more than %d", where,
			     fields_shown(g_mime_header_get_name(h), nb, sizeof(nb)), len,
			     RW_COMPLAINT_FIELD_MAX);
			return -1;
		}
	}
	return 0;
}

/* is_ctype - the object's type/subtype, case-insensitively */
static int is_ctype(GMimeObject *o, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

/* keep - remember the first part of a kind */
static void keep(struct found *f, GMimeObject *o, const char *index)
{
	if (f->obj == NULL) {
		f->obj = o;
		snprintf(f->index, sizeof(f->index), "%s", index);
	}
}

/* walk - count and check parts, remember those that matter; index is the
 * part's MIME section number ("" for the top multipart) */
static int walk(struct pctx *p, GMimeObject *o, int depth, const char *index)
{
	char where[64];

	if (++p->parts > RW_COMPLAINT_PARTS_MAX) {
		fail(p->c, "more than %d MIME parts", RW_COMPLAINT_PARTS_MAX);
		return -1;
	}
	if (depth > RW_COMPLAINT_DEPTH_MAX) {
		fail(p->c, "part %s: MIME parts nested more than %d deep", index,
		     RW_COMPLAINT_DEPTH_MAX);
		return -1;
	}
	snprintf(where, sizeof(where), "part %s", *index ? index : "1");
	if (check_headers(p, o, where) < 0)
		return -1;
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++) {
			char sub[32];

			snprintf(sub, sizeof(sub), "%s%s%d", index, *index ? "." : "", i + 1);
			if (walk(p, g_mime_multipart_get_part(mp, i), depth + 1, sub) < 0)
				return -1;
		}
		return 0;
	}
	if (*index == '\0')
		index = "1"; /* a single-part message's body is section 1 */
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));

		if (m != NULL) {
			snprintf(where, sizeof(where), "part %s (message/rfc822)", index);
			if (check_headers(p, GMIME_OBJECT(m), where) < 0)
				return -1;
			keep(&p->rfc822, GMIME_OBJECT(m), index);
		}
		return 0;
	}
	if (!GMIME_IS_PART(o))
		return 0;
	if (is_ctype(o, "message", "feedback-report"))
		keep(&p->feedback, o, index);
	else if (is_ctype(o, "text", "rfc822-headers"))
		keep(&p->headers, o, index);
	else if (is_ctype(o, "text", "plain") &&
	         p->ntext < (int)(sizeof(p->text) / sizeof(p->text[0]))) {
		p->text[p->ntext].obj = o;
		snprintf(p->text[p->ntext++].index, sizeof(p->text[0].index), "%s", index);
	}
	return 0;
}

/* keep_headers - the original header section (cut at a line end under the
 * cap), its Received chain */
static void keep_headers(struct complaint *c, const char *h)
{
	size_t n = strlen(h);

	if (n > RW_COMPLAINT_HEADERS_MAX) {
		n = RW_COMPLAINT_HEADERS_MAX;
		while (n > 0 && h[n - 1] != '\n')
			n--;
		note(c, "original header section cut to %zu bytes", n);
	}
	c->orig_headers = xstrndup(h, n);
	c->nreceived = received_extract(c->orig_headers, n, c->received, RW_RECEIVED_MAX);
}

/* original - the attached message's headers, else a text/rfc822-headers
 * part's; 0, or -1 with the error set */
static int original(struct pctx *p)
{
	char err[RW_COMPLAINT_TEXT_MAX];

	if (p->rfc822.obj != NULL) {
		char *h = g_mime_object_get_headers(p->rfc822.obj, NULL);

		keep_headers(p->c, h ? h : "");
		g_free(h);
		return 0;
	}
	if (p->headers.obj != NULL) {
		size_t len;
		char *h = part_text(&p->headers, RW_COMPLAINT_MAX, &len, err, sizeof(err));

		if (h == NULL) {
			fail(p->c, "%s", err);
			return -1;
		}
		keep_headers(p->c, h);
		free(h);
	}
	return 0;
}

/* set_ip - a reported address, canonical; -1 with the error set */
static int set_ip(struct pctx *p, const char *value, const char *field, const char *where)
{
	char b[96];
	const char *why;

	if (p->c->ip_from != NULL && strcmp(p->c->ip_from, "--ip") == 0)
		return 0; /* the caller's address wins */
	if ((why = fields_ip(value, p->c->ip, sizeof(p->c->ip))) != NULL) {
		p->c->ip[0] = '\0';
		fail(p->c, "%s: %s \"%s\" %s", where, field, fields_shown(value, b, sizeof(b)),
		     why);
		return -1;
	}
	p->c->ip_from = field;
	return 0;
}

/* set_when - the incident time from a field, or a note why not */
static void set_when(struct complaint *c, const char *value, const char *field)
{
	char b[96];

	if (c->when != 0 || value == NULL)
		return;
	if (fields_date(value, &c->when))
		c->when_from = field;
	else
		note(c, "%s \"%s\" is not a date", field, fields_shown(value, b, sizeof(b)));
}

/* arf - RFC 5965's machine-readable part */
static int arf(struct pctx *p)
{
	struct complaint *c = p->c;
	struct fields f = {.n = 0};
	char err[RW_COMPLAINT_TEXT_MAX], where[64], b[96];
	const char *v;
	size_t len;
	char *text;

	c->format = COMPLAINT_ARF;
	if (p->feedback.obj == NULL) {
		fail(c, "multipart/report; report-type=feedback-report without a "
		        "message/feedback-report part");
		return -1;
	}
	snprintf(where, sizeof(where), "part %s (message/feedback-report)", p->feedback.index);
	if ((text = part_text(&p->feedback, RW_COMPLAINT_REPORT_MAX, &len, err, sizeof(err))) ==
	    NULL) {
		fail(c, "%s", err);
		return -1;
	}
	if (fields_read(text, len, &f, err, sizeof(err)) != NULL) {
		fail(c, "%s: %s", where, err);
		goto out;
	}
	if ((v = fields_get(&f, "Feedback-Type")) == NULL || *v == '\0') {
		fail(c, "%s: no Feedback-Type field (RFC 5965 3.1 requires it)", where);
		goto out;
	}
	fields_lower(c->type, sizeof(c->type), v);
	if ((v = fields_get(&f, "Version")) != NULL && strcmp(v, "1") != 0)
		note(c, "Version \"%s\" (RFC 5965 says 1)", fields_shown(v, b, sizeof(b)));
	if ((v = fields_get(&f, "Source-IP")) != NULL) {
		if (set_ip(p, v, "Source-IP", where) < 0)
			goto out;
	} else if (c->ip_from == NULL) {
		fail(c, "%s: no Source-IP field; give the relay's address with --ip", where);
		goto out;
	}
	if ((v = fields_get(&f, "Source-Port")) != NULL && (c->port = fields_port(v)) == 0) {
		fail(c, "%s: Source-Port \"%s\" is not a port number", where,
		     fields_shown(v, b, sizeof(b)));
		goto out;
	}
	if ((v = fields_get(&f, "Arrival-Date")) != NULL)
		set_when(c, v, "Arrival-Date");
	else if ((v = fields_get(&f, "Received-Date")) != NULL)
		set_when(c, v, "Received-Date"); /* the ARF drafts' name */
	if ((v = fields_get(&f, "Reported-Domain")) != NULL)
		fields_text(c->reported_domain, sizeof(c->reported_domain), v);
	if ((v = fields_get(&f, "Original-Mail-From")) != NULL)
		fields_mailbox(c->orig_mail_from, sizeof(c->orig_mail_from), v);
	if ((v = fields_get(&f, "Original-Rcpt-To")) != NULL)
		fields_mailbox(c->orig_rcpt_to, sizeof(c->orig_rcpt_to), v);
out:
	fields_free(&f);
	free(text);
	return c->error[0] ? -1 : 0;
}

/* xarf_is_address - Source-Type values that name an address */
static int xarf_is_address(const char *t)
{
	static const char *const ok[] = {"ipv4", "ipv6", "ip-address", "ip"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcasecmp(t, ok[i]) == 0)
			return 1;
	return 0;
}

/* xarf - X-ARF 0.2: the first text/plain part with report fields */
static int xarf(struct pctx *p)
{
	struct complaint *c = p->c;
	struct fields f = {.n = 0};
	char err[RW_COMPLAINT_TEXT_MAX], where[64], b[96];
	const char *v;
	int i;

	c->format = COMPLAINT_XARF;
	for (i = 0; i < p->ntext; i++) {
		size_t len;
		char *text =
		    part_text(&p->text[i], RW_COMPLAINT_REPORT_MAX, &len, err, sizeof(err));

		if (text == NULL) {
			fail(c, "%s", err);
			return -1;
		}
		if (fields_read(text, len, &f, err, sizeof(err)) != NULL) {
			fail(c, "part %s (text/plain): %s", p->text[i].index, err);
			free(text);
			fields_free(&f);
			return -1;
		}
		free(text);
		if (fields_get(&f, "Source") || fields_get(&f, "Category") ||
		    fields_get(&f, "Report-Type"))
			break;
		fields_free(&f);
	}
	if (i == p->ntext) {
		fail(c, "X-ARF message without a report part (no text/plain part has Source, "
		        "Category or Report-Type fields)");
		return -1;
	}
	snprintf(where, sizeof(where), "part %s (X-ARF report)", p->text[i].index);
	if ((v = fields_get(&f, "Version")) != NULL && strcmp(v, "0.1") != 0 &&
	    strcmp(v, "0.2") != 0)
		note(c, "X-ARF Version \"%s\" (0.1 and 0.2 known)", fields_shown(v, b, sizeof(b)));
	if ((v = fields_get(&f, "Category")) != NULL)
		fields_lower(c->type, sizeof(c->type), v);
	if ((v = fields_get(&f, "Report-Type")) != NULL)
		fields_lower(c->subtype, sizeof(c->subtype), v);
	if (c->type[0] == '\0' && c->subtype[0] == '\0') {
		fail(c, "%s: no Category or Report-Type field", where);
		goto out;
	}
	if ((v = fields_get(&f, "Source-Type")) != NULL && !xarf_is_address(v) &&
	    c->ip_from == NULL) {
		fail(c, "%s: Source-Type \"%s\" does not name an address (ipv4, ipv6)", where,
		     fields_shown(v, b, sizeof(b)));
		goto out;
	}
	if ((v = fields_get(&f, "Source")) != NULL) {
		if (set_ip(p, v, "Source", where) < 0)
			goto out;
	} else if (c->ip_from == NULL) {
		fail(c, "%s: no Source field; give the relay's address with --ip", where);
		goto out;
	}
	if ((v = fields_get(&f, "Port")) != NULL && (c->port = fields_port(v)) == 0) {
		fail(c, "%s: Port \"%s\" is not a port number", where,
		     fields_shown(v, b, sizeof(b)));
		goto out;
	}
	set_when(c, fields_get(&f, "Date"), "Date");
	if (c->reporter[0] == '\0' && (v = fields_get(&f, "Reported-From")) != NULL)
		fields_mailbox(c->reporter, sizeof(c->reporter), v);
	if (c->reporter[0] == '\0' && (v = fields_get(&f, "Reporter-Info")) != NULL)
		fields_mailbox(c->reporter, sizeof(c->reporter), v);
out:
	fields_free(&f);
	return c->error[0] ? -1 : 0;
}

/* quoted_headers - a header section quoted in a text body (forwarded
 * inline, "> " prefixes removed), from its first Received: line up to the
 * blank line after it; 0 when none */
static int quoted_headers(struct pctx *p)
{
	char err[RW_COMPLAINT_TEXT_MAX];

	for (int i = 0; i < p->ntext; i++) {
		struct dbuf out;
		size_t len, pos = 0;
		int in = 0;
		char *text = part_text(&p->text[i], RW_COMPLAINT_MAX, &len, err, sizeof(err));

		if (text == NULL)
			continue; /* a body we cannot read quotes nothing */
		dbuf_init(&out, RW_COMPLAINT_HEADERS_MAX);
		while (pos < len) {
			const char *line = text + pos;
			size_t n = 0;

			while (pos + n < len && text[pos + n] != '\n')
				n++;
			pos += n + 1;
			if (n > 0 && line[n - 1] == '\r')
				n--;
			while (n > 0 && line[0] == '>') { /* "> " quote marks, nested too */
				line++;
				n--;
				if (n > 0 && line[0] == ' ') {
					line++;
					n--;
				}
			}
			if (!in && n >= 9 && strncasecmp(line, "Received:", 9) == 0)
				in = 1;
			if (!in)
				continue;
			if (n == 0)
				break;
			dbuf_add(&out, line, n);
			dbuf_addc(&out, '\n');
		}
		free(text);
		if (out.len > 0) {
			keep_headers(p->c, dbuf_str(&out));
			dbuf_free(&out);
			note(p->c, "original headers quoted in part %s", p->text[i].index);
			return 1;
		}
		dbuf_free(&out);
	}
	return 0;
}

/* plain - a person's complaint: the first Received hop that names a client */
static int plain(struct pctx *p)
{
	struct complaint *c = p->c;

	c->format = COMPLAINT_PLAIN;
	if (c->orig_headers == NULL)
		quoted_headers(p);
	if (c->ip_from != NULL)
		return 0;
	if (c->orig_headers == NULL) {
		fail(c, "not ARF or X-ARF, and no original message (message/rfc822, "
		        "text/rfc822-headers or a quoted header section) to take the relay from; "
		        "give the address with --ip");
		return -1;
	}
	/* the complainant's own inner hops (content filters, private
	 * networks) come first: prefer the first public client, else the
	 * first one that is not loopback (a complaint from inside) */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < c->nreceived; i++) {
			struct received_hop hop;
			char ip[64];
			enum netaddr_scope scope;

			received_hop_parse(c->received[i], &hop);
			if (hop.from_ip[0] == '\0' ||
			    fields_ip(hop.from_ip, ip, sizeof(ip)) != NULL)
				continue;
			scope = netaddr_scope(ip);
			if (scope == NETADDR_LOOPBACK || scope == NETADDR_INVALID ||
			    (pass == 0 && scope != NETADDR_PUBLIC))
				continue;
			memcpy(c->ip, ip, sizeof(ip));
			c->ip_from = "Received";
			if (i > 0)
				note(c, "address from Received field %d (the ones above name %s)",
				     i + 1, pass == 0 ? "no public client" : "no client");
			return 0;
		}
	}
	fail(c,
	     "not ARF or X-ARF, and none of the %d Received fields of the original "
	     "message names a client address; give the address with --ip",
	     c->nreceived);
	return -1;
}

/* summarize - one line for tables and the incident's event */
static void summarize(struct complaint *c)
{
	char when[40] = "time unknown", type[140], port[16] = "";

	if (c->when != 0) {
		time_t t = (time_t)c->when;
		struct tm tm;

		if (gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	snprintf(type, sizeof(type), "%s%s%s%s", c->type[0] || c->subtype[0] ? " " : "", c->type,
	         c->subtype[0] ? "/" : "", c->subtype);
	if (c->port != 0)
		snprintf(port, sizeof(port), " port %u", c->port);
	snprintf(c->summary, sizeof(c->summary), "%s%s report from %s about %s%s (%s), %s",
	         complaint_format_name(c->format), type,
	         c->reporter[0] ? c->reporter : "an unknown sender", c->ip, port, c->ip_from, when);
}

/* reporter - the From: fields_mailbox, RFC 2047 decoded by GMime */
static void reporter(struct complaint *c, GMimeMessage *m)
{
	InternetAddressList *from = g_mime_message_get_from(m);
	InternetAddress *a;

	if (from == NULL || internet_address_list_length(from) < 1)
		return;
	a = internet_address_list_get_address(from, 0);
	if (a != NULL && INTERNET_ADDRESS_IS_MAILBOX(a)) {
		const char *s = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));

		if (s != NULL)
			fields_text(c->reporter, sizeof(c->reporter), s);
	}
}

/* orig_date - the Date: of the original header section, however it came
 * (attached, text/rfc822-headers, quoted): GMime reads the section alone */
static void orig_date(struct complaint *c)
{
	GMimeStream *st =
	    g_mime_stream_mem_new_with_buffer(c->orig_headers, strlen(c->orig_headers));
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	GMimeMessage *m;
	GDateTime *dt;

	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m = g_mime_parser_construct_message(parser, NULL);
	if (m != NULL && (dt = g_mime_message_get_date(m)) != NULL && g_date_time_to_unix(dt) > 0) {
		c->when = g_date_time_to_unix(dt);
		c->when_from = "original Date";
	}
	if (m != NULL)
		g_object_unref(m);
	g_object_unref(parser);
	g_object_unref(st);
}

/* classify - pick the format and read it */
static void classify(struct pctx *p, GMimeMessage *m)
{
	struct complaint *c = p->c;
	GMimeObject *top = g_mime_message_get_mime_part(m);
	GMimeObject *mo = GMIME_OBJECT(m);
	GDateTime *dt;
	char b[96], where[96];

	if (check_headers(p, mo, "message header") < 0)
		return;
	if (g_mime_header_list_get_count(g_mime_object_get_header_list(mo)) == 0) {
		fail(c, "no header section: not a mail message");
		return;
	}
	if (top != NULL && walk(p, top, 0, "") < 0)
		return;
	reporter(c, m);
	if (top != NULL && is_ctype(top, "multipart", "report")) {
		const char *rt = g_mime_content_type_get_parameter(
		    g_mime_object_get_content_type(top), "report-type");

		if (rt == NULL) {
			fail(c, "multipart/report without a report-type parameter");
			return;
		}
		if (strcasecmp(rt, "feedback-report") != 0) {
			fail(c,
			     "multipart/report with report-type=%s is not a feedback report "
			     "(RFC 5965 wants report-type=feedback-report%s)",
			     fields_shown(rt, b, sizeof(b)),
			     strcasecmp(rt, "delivery-status") == 0 ? "; this is a bounce" : "");
			return;
		}
	}
	if (top != NULL && GMIME_IS_MULTIPART(top) &&
	    g_mime_multipart_get_count(GMIME_MULTIPART(top)) == 0) {
		/* not g_mime_multipart_get_boundary(): without a boundary it makes
		 * one and re-encodes the Content-Type, and GMime 3.2.13's encoder
		 * asks for 2 GiB on a parameter name with 8-bit bytes
		 * (fuzz_complaint, seed boundary-8bit-param) */
		const char *bd = g_mime_content_type_get_parameter(
		    g_mime_object_get_content_type(top), "boundary");

		ctype_text(top, where, sizeof(where));
		if (bd == NULL || *bd == '\0')
			fail(c, "%s without a boundary parameter: no parts", where);
		else
			fail(c, "%s: no parts: the boundary \"%s\" never appears in the body",
			     where, fields_shown(bd, b, sizeof(b)));
		return;
	}
	if (p->warn_crit || (p->warn_code != 0 && p->feedback.obj == NULL && p->ntext == 0 &&
	                     p->rfc822.obj == NULL && p->headers.obj == NULL)) {
		if (p->warn_offset >= 0)
			fail(c, "broken MIME structure at byte %lld: %s", (long long)p->warn_offset,
			     warn_text(p->warn_code));
		else
			fail(c, "broken MIME structure: %s", warn_text(p->warn_code));
		return;
	}
	if (original(p) < 0)
		return;
	if (p->feedback.obj != NULL || (top != NULL && is_ctype(top, "multipart", "report"))) {
		if (arf(p) < 0)
			return;
	} else if (g_mime_object_get_header(mo, "X-XARF") != NULL ||
	           g_mime_object_get_header(mo, "X-ARF") != NULL) {
		if (xarf(p) < 0)
			return;
	} else if (plain(p) < 0) {
		return;
	}
	if (c->when == 0 && c->orig_headers != NULL)
		orig_date(c);
	if (c->when == 0 && (dt = g_mime_message_get_date(m)) != NULL &&
	    g_date_time_to_unix(dt) > 0) {
		c->when = g_date_time_to_unix(dt);
		c->when_from = "Date";
	}
	summarize(c);
}

struct complaint *complaint_parse(const char *msg, size_t len, const char *ip_override)
{
	struct complaint *c = xcalloc(1, sizeof(*c));
	struct pctx p = {.c = c};
	GMimeParserOptions *opts;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *m;
	char b[96];
	const char *why;

	c->when_from = "";
	if (ip_override != NULL && *ip_override != '\0') {
		if ((why = fields_ip(ip_override, c->ip, sizeof(c->ip))) != NULL) {
			fail(c, "--ip \"%s\" %s", fields_shown(ip_override, b, sizeof(b)), why);
			c->ip[0] = '\0';
			return c;
		}
		c->ip_from = "--ip";
	}
	if (len == 0) {
		fail(c, "empty message");
		goto refused;
	}
	if (len > (size_t)RW_COMPLAINT_MAX) {
		fail(c, "message is %zu bytes, more than the %ld allowed", len, RW_COMPLAINT_MAX);
		goto refused;
	}
	complaint_init();
	stream = g_mime_stream_mem_new_with_buffer(msg, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(opts, on_warning, &p);
	m = g_mime_parser_construct_message(parser, opts);
	if (m == NULL)
		fail(c, "not a mail message: no header section could be read");
	else
		classify(&p, m);
	if (m != NULL)
		g_object_unref(m);
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_parser_options_free(opts);
	if (c->error[0] == '\0')
		return c;
refused:
	c->format = COMPLAINT_NONE;
	c->ip[0] = '\0';
	c->ip_from = "";
	c->port = 0;
	c->summary[0] = '\0';
	return c;
}

struct complaint *complaint_free(struct complaint *c)
{
	if (c == NULL)
		return NULL;
	for (int i = 0; i < c->nreceived; i++)
		free(c->received[i]);
	free(c->orig_headers);
	free(c);
	return NULL;
}
