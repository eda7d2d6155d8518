/*
 * template.h - notification mail templates: headers, body, placeholders
 *
 * A template file is a small mail: header lines, one empty line, the body
 * (doc/templates.md is the user's copy of this grammar).
 *
 *   # comment lines are allowed among the headers
 *   Subject: Open relay at {{host.addr}} (incident {{incident.id}})
 *   X-Relaywatch-Step: block-warning
 *
 *   Dear {{contact.name}}, ...
 *
 * Headers: "Name: value" on one line each; Subject exactly once; besides it
 * only Reply-To, In-Reply-To, References, Auto-Submitted, Precedence and
 * X-* (the notifier sets From, To, Date, Message-ID and MIME fields, so a
 * template can never add a recipient). At most RW_TPL_HEADERS_MAX.
 *
 * Tags, in headers and body alike:
 *   {{name}}                 the value of name; "" when it has none
 *   {{#if name}}..{{/if}}    the part when name's value is not empty
 *   {{#if name}}..{{else}}..{{/if}}
 *   {{#unless name}}..{{/unless}}   the part when it is empty
 *   {{! comment }}           nothing
 *   {{{{                     a literal "{{"
 * Spaces inside the braces are allowed. A name is [A-Za-z0-9_.-], at most
 * RW_TPL_NAME_MAX bytes, and must be one of the names the loader is given:
 * an unknown name, an unclosed or stray section, a bad header is an error
 * when the template is loaded, never when a mail is due. Sections nest up
 * to RW_TPL_DEPTH_MAX; in a header they open and close on its line.
 *
 * Values: in a header, CR, LF and other control bytes become a space, and
 * the line is cut at RW_TPL_HEADER_LINE_MAX octets (on a UTF-8 boundary),
 * so no value can add a header line. In the body, a value's CR and control
 * bytes other than TAB and LF are written as \xNN; a value of several lines
 * placed after nothing but blanks on its line has every further line
 * indented by the same blanks. The body is cut at RW_TPL_OUTPUT_MAX.
 * Output lines end in "\n": CRLF and dot-stuffing are the notifier's.
 * Non-ASCII header text is passed through (RFC 2047 encoding is the
 * notifier's).
 */
#ifndef RW_TEMPLATE_H
#define RW_TEMPLATE_H

#include <stddef.h>

#include "../core/dbuf.h"
#include "../core/limits.h"

struct template; /* opaque; owned by whoever loaded it */

/* template_lookup_fn - the value of name (one of the known names), or NULL
 * for none; borrowed, valid until template_render() returns */
typedef const char *template_lookup_fn(void *ctx, const char *name);

/* template_parse - check and compile text (len bytes, no NUL needed);
 * known is a NULL-terminated list of the names a placeholder may use. An
 * owned template, or NULL with "name:line: what" in err. */
struct template *template_parse(const char *name, const char *text, size_t len,
				const char *const *known, char *err, size_t errlen);
/* template_load - template_parse() of a file (at most RW_TPL_FILE_MAX) */
struct template *template_load(const char *path, const char *const *known, char *err,
			       size_t errlen);
/* template_free - NULL ok; returns NULL */
struct template *template_free(struct template *t);
/* template_name - the name it was parsed under; borrowed from t */
const char *template_name(const struct template *t);

/* template_render - append the header lines ("Subject: ...\n", in template
 * order) to headers and the body to body; both dbufs are the caller's.
 * Returns 0, or 1 when the body was cut at RW_TPL_OUTPUT_MAX or a header
 * line at RW_TPL_HEADER_LINE_MAX (the mail is still whole and sendable). */
int template_render(const struct template *t, template_lookup_fn *lookup, void *ctx,
		    struct dbuf *headers, struct dbuf *body);

/* template_std_names - the names the desk's notices provide
 * (doc/templates.md lists them); static, NULL-terminated */
const char *const *template_std_names(void);

/* A simple name -> value set for template_render(): template_vars_get is a
 * template_lookup_fn with the set as ctx. Values are copied; set replaces. */
struct template_vars {
	size_t n;
	struct {
		char *name;
		char *value;
	} v[RW_TPL_VARS_MAX];
};

void template_vars_init(struct template_vars *v);
/* template_vars_set - copy name and value (NULL value = none); more than
 * RW_TPL_VARS_MAX names is a broken invariant (rw_panic) */
void template_vars_set(struct template_vars *v, const char *name, const char *value);
/* template_vars_setf - template_vars_set() of a formatted value */
void template_vars_setf(struct template_vars *v, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *template_vars_get(void *ctx, const char *name);
void template_vars_clear(struct template_vars *v);

#endif
