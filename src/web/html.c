/*
 * NAME
 *	html - the console's pages: escaping, layout, forms, HTML replies
 * SUMMARY
 *	every byte of peer or store text escaped on its way into a page
 * SYNOPSIS
 *	void html_esc_init(struct html_esc *e);
 *	void html_esc_feed(struct html_esc *e, struct dbuf *out, const void *p, size_t n);
 *	void html_esc_end(struct html_esc *e, struct dbuf *out);
 *	void html_text(struct dbuf *out, const char *s);
 *	void html_begin(struct dbuf *out, const struct web_req *r, const char *title);
 *	void html_form(struct dbuf *out, const struct web_req *r, const char *action);
 *	void web_reply_html(struct web_req *r, int status, struct dbuf *out);
 * DESCRIPTION
 *	html_esc_feed() is a byte-at-a-time escaper: &, <, >, " and ' become
 *	entities (so text is safe in element content and in quoted
 *	attributes), C0 controls other than tab and newline, DEL and every
 *	byte that is not part of a valid UTF-8 sequence (overlong forms,
 *	surrogates, past U+10FFFF, a cut sequence) become the visible text
 *	"\xNN"; a sequence cut between two pieces is held in the state, so
 *	any split gives the same output. html_begin() writes the layout:
 *	the style sheet (/static/style.css, compiled in), the navigation and
 *	the logout form. web_reply_html() adds a Content-Security-Policy that
 *	allows no script, no frame and nothing from elsewhere.
 * DIAGNOSTICS
 *	none; out of memory is fatal in dbuf.
 * LIMITS
 *	none here (pages cap their rows).
 * STANDARDS
 *	HTML Living Standard 13.1 (syntax), RFC 3629 (UTF-8), CSP Level 3.
 */
#include "html.h"
#include "web_int.h"

#include "../core/log.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the entity of a markup character, or NULL */
static const char *const entity[128] = {
    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
};

void html_esc_init(struct html_esc *e)
{
	memset(e, 0, sizeof(*e));
}

/* hexbyte - one byte as the visible "\xNN" */
static void hexbyte(struct dbuf *out, unsigned char c)
{
	dbuf_printf(out, "\\x%02x", c);
}

/* flush_bad - the held bytes were no valid sequence: each as \xNN */
static void flush_bad(struct html_esc *e, struct dbuf *out)
{
	for (unsigned i = 0; i < e->npend; i++)
		hexbyte(out, e->pend[i]);
	e->npend = e->need = 0;
}

/* finish - a complete sequence: kept when valid (RFC 3629 s. 3), else \xNN */
static void finish(struct html_esc *e, struct dbuf *out)
{
	static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
	static const unsigned char lead[5] = {0, 0, 0x1f, 0x0f, 0x07};
	unsigned v = e->pend[0] & lead[e->need];

	for (unsigned i = 1; i < e->need; i++)
		v = v << 6 | (e->pend[i] & 0x3f);
	if (v < min[e->need] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
		flush_bad(e, out);
		return;
	}
	dbuf_add(out, e->pend, e->npend);
	e->npend = e->need = 0;
}

/* html_esc_feed - escape bytes; a cut sequence waits for the next piece */
void html_esc_feed(struct html_esc *e, struct dbuf *out, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (e->need) {
			if ((c & 0xc0) == 0x80) {
				e->pend[e->npend++] = c;
				if (e->npend == e->need)
					finish(e, out);
				continue;
			}
			flush_bad(e, out); /* cut short: c starts afresh */
		}
		if (c < 0x80) {
			if (entity[c])
				dbuf_adds(out, entity[c]);
			else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				hexbyte(out, c);
			else
				dbuf_addc(out, (char)c);
		} else if (c >= 0xc2 && c <= 0xdf)
			e->need = 2, e->pend[0] = c, e->npend = 1;
		else if (c >= 0xe0 && c <= 0xef)
			e->need = 3, e->pend[0] = c, e->npend = 1;
		else if (c >= 0xf0 && c <= 0xf4)
			e->need = 4, e->pend[0] = c, e->npend = 1;
		else
			hexbyte(out, c); /* a stray continuation, C0/C1, F5..FF */
	}
}

void html_esc_end(struct html_esc *e, struct dbuf *out)
{
	flush_bad(e, out);
}

void html_textn(struct dbuf *out, const char *s, size_t n)
{
	struct html_esc e;

	html_esc_init(&e);
	html_esc_feed(&e, out, s, n);
	html_esc_end(&e, out);
}

void html_text(struct dbuf *out, const char *s)
{
	if (s)
		html_textn(out, s, strlen(s));
}

void html_tag(struct dbuf *out, const char *tag, const char *s)
{
	dbuf_printf(out, "<%s>", tag);
	html_text(out, s);
	dbuf_printf(out, "</%s>", tag);
}

/* html_time - "YYYY-MM-DD HH:MM UTC" */
void html_time(struct dbuf *out, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40];

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		dbuf_adds(out, "-");
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
	dbuf_adds(out, buf);
}

/* html_duration - the two largest units */
void html_duration(struct dbuf *out, int64_t ms)
{
	int64_t m = ms / 60000, h = m / 60, d = h / 24;

	if (ms < 0)
		ms = 0;
	if (d > 0)
		dbuf_printf(out, "%lldd %lldh", (long long)d, (long long)(h % 24));
	else if (h > 0)
		dbuf_printf(out, "%lldh %lldm", (long long)h, (long long)(m % 60));
	else
		dbuf_printf(out, "%lldm", (long long)m);
}

/* the navigation: path, label */
static const struct {
	const char *path, *label;
} nav[] = {
    {"/", "Overview"},           {"/scans", "Scans"},   {"/hosts", "Hosts"},
    {"/incidents", "Incidents"}, {"/blocks", "Blocks"}, {"/dnsbl", "DNSBL"},
};

/* html_begin - head, style sheet, navigation (for a signed-in caller) */
void html_begin(struct dbuf *out, const struct web_req *r, const char *title)
{
	dbuf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	               "<meta name=\"viewport\" content=\"width=device-width\">"
	               "<link rel=\"stylesheet\" href=\"/static/style.css\"><title>");
	html_text(out, title);
	dbuf_adds(out, " - relaywatch</title></head>\n<body><header><span class=\"brand\">"
	               "relaywatch</span>");
	if (r->who.role != WEB_ROLE_NONE) {
		dbuf_adds(out, "<nav>");
		for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++)
			dbuf_printf(out, "<a href=\"%s\">%s</a>", nav[i].path, nav[i].label);
		dbuf_adds(out, "</nav><span class=\"who\">");
		html_text(out, r->who.user);
		dbuf_printf(out, " (%s)</span>", web_role_name(r->who.role));
		if (r->who.csrf[0]) {
			html_form(out, r, "/logout");
			dbuf_adds(out, "<button>Log out</button></form>");
		}
	}
	dbuf_adds(out, "</header>\n<main><h1>");
	html_text(out, title);
	dbuf_adds(out, "</h1>\n");
}

void html_end(struct dbuf *out)
{
	dbuf_adds(out, "</main></body></html>\n");
}

/* html_form - a POST form with the session's CSRF token */
void html_form(struct dbuf *out, const struct web_req *r, const char *action)
{
	dbuf_adds(out, "<form method=\"post\" action=\"");
	html_text(out, action);
	dbuf_adds(out, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
	html_text(out, r->who.csrf);
	dbuf_adds(out, "\">");
}

/* web_reply_html - the page, its headers; out is freed */
void web_reply_html(struct web_req *r, int status, struct dbuf *out)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	evhttp_add_header(h, "Content-Security-Policy",
	                  "default-src 'none'; style-src 'self'; img-src 'self'; "
	                  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	web_reply_text(r, status, "text/html; charset=utf-8", dbuf_str(out), out->len);
	dbuf_free(out);
}

void web_redirect(struct web_req *r, const char *location)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Location", location);
	web_reply_text(r, 303, "text/plain; charset=utf-8", "see other\n", 10);
}

void web_page_error(struct web_req *r, int status, const char *text)
{
	struct dbuf b;
	char title[32];

	dbuf_init(&b, 0);
	snprintf(title, sizeof(title), "%d", status);
	html_begin(&b, r, title);
	html_tag(&b, "p", text);
	html_end(&b);
	web_reply_html(r, status, &b);
}

const char *web_form_get(const struct web_req *r, const char *name)
{
	return evhttp_find_header(&r->form, name);
}

int web_can_act(const struct web_req *r)
{
	return r->who.role >= WEB_ROLE_OPERATOR && r->who.csrf[0] != '\0';
}
