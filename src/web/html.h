/*
 * html.h - the console's pages: escaping, the layout every page shares,
 * tables and forms (src/web/html.c)
 *
 * Everything a peer sent (banners, transcripts, headers, complaint text,
 * proxy answers) and everything the store holds goes through html_text():
 * the five markup characters become entities, control bytes and bytes
 * that are not UTF-8 become a visible "\xNN", valid UTF-8 passes. The
 * escaper is incremental (html_esc_feed), so a text may arrive in pieces
 * and still be escaped exactly as if whole.
 */
#ifndef RW_WEB_HTML_H
#define RW_WEB_HTML_H

#include "../core/dbuf.h"

#include <stddef.h>
#include <stdint.h>

struct web_req;

/* An escaper's state between pieces: an incomplete UTF-8 sequence. */
struct html_esc {
	unsigned char pend[4];
	unsigned char npend; /* bytes held */
	unsigned char need;  /* bytes the sequence wants in all */
};

void html_esc_init(struct html_esc *e);
/* html_esc_feed - escape n bytes of p onto out (a sequence cut at the
 * end is held until the next piece) */
void html_esc_feed(struct html_esc *e, struct dbuf *out, const void *p, size_t n);
/* html_esc_end - flush what is held (an unfinished sequence as \xNN) */
void html_esc_end(struct html_esc *e, struct dbuf *out);
/* html_textn, html_text - n bytes, or a NUL-terminated string (NULL: ""),
 * escaped whole */
void html_textn(struct dbuf *out, const char *s, size_t n);
void html_text(struct dbuf *out, const char *s);
/* html_tag - <tag>escaped s</tag> (tag is the caller's constant) */
void html_tag(struct dbuf *out, const char *tag, const char *s);
/* html_time - ms since the epoch as "YYYY-MM-DD HH:MM UTC", "-" for 0 */
void html_time(struct dbuf *out, int64_t ms);
/* html_duration - ms as "3d 4h", "5h 10m", "12m" */
void html_duration(struct dbuf *out, int64_t ms);

/* html_begin - the doctype, head, style sheet link and navigation
 * (the user's name, a logout form carrying the CSRF token when a session
 * asks; none for the owner's and the login pages: r->who role NONE) */
void html_begin(struct dbuf *out, const struct web_req *r, const char *title);
/* html_end - closes what html_begin opened */
void html_end(struct dbuf *out);
/* html_form - <form method=post action=ACTION> with the session's CSRF
 * token as a hidden field (action: the caller's own path text) */
void html_form(struct dbuf *out, const struct web_req *r, const char *action);

/* web_reply_html - send out's text (freed) as text/html with status, and
 * the pages' security headers (no framing, no scripts, no foreign assets) */
void web_reply_html(struct web_req *r, int status, struct dbuf *out);
/* web_redirect - 303 to location (the caller's own path) */
void web_redirect(struct web_req *r, const char *location);
/* web_page_error - a small page: status and escaped text */
void web_page_error(struct web_req *r, int status, const char *text);
/* web_form_get - a field of the POSTed form, or NULL */
const char *web_form_get(const struct web_req *r, const char *name);
/* web_can_act - the caller is an operator (forms are shown) */
int web_can_act(const struct web_req *r);

#endif
