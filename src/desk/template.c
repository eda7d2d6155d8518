/*
 * NAME
 *	template - notification mail templates: headers, body, placeholders
 * SUMMARY
 *	compiled once at load (every name checked), rendered per notice
 * SYNOPSIS
 *	struct template *template_parse(const char *name, const char *text,
 *		size_t len, const char *const *known, char *err, size_t errlen);
 *	struct template *template_load(const char *path,
 *		const char *const *known, char *err, size_t errlen);
 *	struct template *template_free(struct template *t);
 *	int template_render(const struct template *t,
 *		template_lookup_fn *lookup, void *ctx, struct dbuf *headers,
 *		struct dbuf *body);
 *	const char *const *template_std_names(void);
 *	void template_vars_set(struct template_vars *v, const char *name,
 *		const char *value);
 * DESCRIPTION
 *	template.h gives the grammar. template_parse() copies the text
 *	(CRLF becomes LF), splits headers from body and compiles each header
 *	line and the body into a flat list of nodes: text, placeholder, and
 *	the section markers, each opening marker holding the index of its
 *	else or end, so rendering is one loop without recursion. The names a
 *	template uses are copied into it; the caller's known list is read only
 *	during the call. template_render() asks lookup once per placeholder
 *	and section; it never fails: what a lookup returns is cleaned for where
 *	it goes (no CR or LF in a header) and cut at the limits.
 *	template_vars is a small owned name/value set whose get function is a
 *	template_lookup_fn.
 * DIAGNOSTICS
 *	template_parse/load: NULL and "name:line: what" (unknown placeholder,
 *	unclosed tag or section, stray {{/if}} or {{else}}, missing Subject,
 *	a header a template may not set, a NUL byte or bare CR, a file too
 *	large).
 *	template_render: 1 when something was cut, else 0.
 * LIMITS
 *	RW_TPL_FILE_MAX, RW_TPL_NODES_MAX, RW_TPL_DEPTH_MAX, RW_TPL_NAME_MAX,
 *	RW_TPL_HEADERS_MAX, RW_TPL_HEADER_LINE_MAX, RW_TPL_OUTPUT_MAX,
 *	RW_TPL_VARS_MAX.
 * STANDARDS
 *	RFC 5322 2.1.1 (line length), 2.2 (header fields), 3.6.
 */
#include "template.h"
#include "../core/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum nkind { N_TEXT, N_VAR, N_IF, N_UNLESS, N_ELSE, N_END };

struct node {
	enum nkind kind;
	size_t off, len; /* N_TEXT: bytes of t->text */
	size_t var;      /* N_VAR, N_IF, N_UNLESS: index into t->vars */
	size_t jump;     /* N_IF/N_UNLESS: its N_ELSE or N_END; N_ELSE: its N_END */
};

struct hdr {
	char name[RW_TPL_NAME_MAX + 1];
	size_t first, last; /* nodes of its value */
};

struct template
{
	char *name;
	char *text; /* the source, LF line ends */
	size_t textlen;
	struct node *nodes;
	size_t nnodes, nalloc;
	struct hdr hdrs[RW_TPL_HEADERS_MAX];
	size_t nhdrs;
	size_t body_first, body_last;
	char **vars; /* names used, owned */
	size_t nvars;
};

/* headers a template may set; the notifier owns every other one */
static const char *const allowed_headers[] = {
    "Subject", "Reply-To", "In-Reply-To", "References", "Auto-Submitted", "Precedence",
};

static const char *const std_names[] = {
    "incident.id",
    "incident.opened",
    "incident.state",
    "incident.url",
    "owner_url",
    "host.addr",
    "host.port",
    "host.name",
    "verdict",
    "reason",
    "tested_at",
    "mta",
    "mta.product",
    "tests_worked",
    "transcript_excerpt",
    "arrival",
    "arrival.peer",
    "arrival.time",
    "arrival.received",
    "advice",
    "verify",
    "retest_command",
    "deadline",
    "grace",
    "operator",
    "abuse_contact",
    "contact.name",
    "contact.email",
    "complainant",
    "complaint.received",
    "block.scope",
    "was_blocked",
    "escalation.level",
    "escalation.count",
    "escalation.repeat",
    "escalation.window",
    "incident.class",
    "proxy",
    "proxy.protocols",
    "proxy.excerpt",
    "proxy.egress",
    "proxy.software",
    "proxy.canary",
    "proxy.product",
    NULL,
};

/* template_std_names - the desk's names, as doc/templates.md lists them */
const char *const *template_std_names(void)
{
	return std_names;
}

/* seterr - "name:line: what" into the caller's buffer */
static void seterr(char *err, size_t errlen, const struct template *t, size_t pos, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

static void seterr(char *err, size_t errlen, const struct template *t, size_t pos, const char *fmt,
                   ...)
{
	char what[256];
	size_t line = 1;
	va_list ap;

	for (size_t i = 0; i < pos && i < t->textlen; i++)
		line += t->text[i] == '\n';
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s:%zu: %s", t->name, line, what);
}

/* add_node - one more node; the count is bounded by RW_TPL_NODES_MAX */
static struct node *add_node(struct template *t, enum nkind k)
{
	struct node *n;

	if (t->nnodes == t->nalloc) {
		t->nalloc = t->nalloc ? t->nalloc * 2 : 32;
		t->nodes = xrealloc(t->nodes, t->nalloc * sizeof(*t->nodes));
	}
	n = &t->nodes[t->nnodes++];
	memset(n, 0, sizeof(*n));
	n->kind = k;
	return n;
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* var_index - the template's own copy of a known name; -1 when unknown */
static long var_index(struct template *t, const char *s, size_t n, const char *const *known)
{
	size_t k;

	for (k = 0; k < t->nvars; k++)
		if (strlen(t->vars[k]) == n && memcmp(t->vars[k], s, n) == 0)
			return (long)k;
	for (k = 0; known && known[k]; k++)
		if (strlen(known[k]) == n && memcmp(known[k], s, n) == 0)
			break;
	if (!known || !known[k])
		return -1;
	t->vars = xrealloc(t->vars, (t->nvars + 1) * sizeof(*t->vars));
	t->vars[t->nvars] = xstrndup(s, n);
	return (long)t->nvars++;
}

/* parse_name - a placeholder name at s (n bytes, trimmed); its index or -1 with err set */
static long parse_name(struct template *t, const char *s, size_t n, size_t pos,
                       const char *const *known, char *err, size_t errlen)
{
	long k;

	if (n == 0) {
		seterr(err, errlen, t, pos, "empty placeholder");
		return -1;
	}
	if (n > RW_TPL_NAME_MAX) {
		seterr(err, errlen, t, pos, "placeholder name longer than %d bytes",
		       RW_TPL_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i])) {
			seterr(err, errlen, t, pos, "bad character in placeholder {{%.*s}}", (int)n,
			       s);
			return -1;
		}
	if ((k = var_index(t, s, n, known)) < 0)
		seterr(err, errlen, t, pos, "unknown placeholder {{%.*s}}", (int)n, s);
	return k;
}

/* parse_seg - compile text[a, b) into nodes; sections must close inside it */
static int parse_seg(struct template *t, size_t a, size_t b, const char *const *known, char *err,
                     size_t errlen)
{
	size_t stack[RW_TPL_DEPTH_MAX];
	int depth = 0;
	size_t p = a;
	const char *s = t->text;

	while (p < b) {
		const char *open = NULL;
		size_t q, c0, c1;
		struct node *n;

		for (q = p; q + 1 < b; q++)
			if (s[q] == '{' && s[q + 1] == '{') {
				open = s + q;
				break;
			}
		if (!open) {
			q = b;
		}
		if (q > p) {
			if (t->nnodes >= RW_TPL_NODES_MAX)
				goto too_many;
			n = add_node(t, N_TEXT);
			n->off = p;
			n->len = q - p;
		}
		if (!open)
			break;
		if (t->nnodes >= RW_TPL_NODES_MAX)
			goto too_many;
		if (q + 3 < b && s[q + 2] == '{' && s[q + 3] == '{') { /* {{{{ is a literal {{ */
			n = add_node(t, N_TEXT);
			n->off = q;
			n->len = 2;
			p = q + 4;
			continue;
		}
		/* the tag's end */
		c0 = q + 2;
		for (c1 = c0; c1 + 1 < b; c1++)
			if (s[c1] == '}' && s[c1 + 1] == '}')
				break;
		if (c1 + 1 >= b) {
			seterr(err, errlen, t, q, "unclosed tag (no }} %s)",
			       b < t->textlen ? "on this header line" : "before the end");
			return -1;
		}
		p = c1 + 2;
		while (c0 < c1 && (s[c0] == ' ' || s[c0] == '\t'))
			c0++;
		while (c1 > c0 && (s[c1 - 1] == ' ' || s[c1 - 1] == '\t'))
			c1--;
		if (c1 > c0 && s[c0] == '!')
			continue; /* comment */
		if (c1 > c0 && s[c0] == '#') {
			size_t kw = c0 + 1, ke = kw;
			enum nkind k;
			long v;

			while (ke < c1 && s[ke] != ' ' && s[ke] != '\t')
				ke++;
			if (ke - kw == 2 && memcmp(s + kw, "if", 2) == 0)
				k = N_IF;
			else if (ke - kw == 6 && memcmp(s + kw, "unless", 6) == 0)
				k = N_UNLESS;
			else {
				seterr(err, errlen, t, q,
				       "unknown section {{%.*s}} (only #if, #unless)",
				       (int)(c1 - c0), s + c0);
				return -1;
			}
			while (ke < c1 && (s[ke] == ' ' || s[ke] == '\t'))
				ke++;
			if ((v = parse_name(t, s + ke, c1 - ke, q, known, err, errlen)) < 0)
				return -1;
			if (depth == RW_TPL_DEPTH_MAX) {
				seterr(err, errlen, t, q, "sections nested deeper than %d",
				       RW_TPL_DEPTH_MAX);
				return -1;
			}
			n = add_node(t, k);
			n->var = (size_t)v;
			stack[depth++] = t->nnodes - 1;
			continue;
		}
		if (c1 > c0 && s[c0] == '/') {
			size_t kw = c0 + 1, klen = c1 - kw;
			struct node *o;

			if (depth == 0) {
				seterr(err, errlen, t, q, "{{%.*s}} closes no section",
				       (int)(c1 - c0), s + c0);
				return -1;
			}
			o = &t->nodes[stack[depth - 1]];
			if (o->kind == N_ELSE)
				o = &t->nodes[t->nodes[stack[depth - 1]].jump];
			if (!((o->kind == N_IF && klen == 2 && memcmp(s + kw, "if", 2) == 0) ||
			      (o->kind == N_UNLESS && klen == 6 &&
			       memcmp(s + kw, "unless", 6) == 0))) {
				seterr(err, errlen, t, q, "{{%.*s}} does not close {{#%s}}",
				       (int)(c1 - c0), s + c0, o->kind == N_IF ? "if" : "unless");
				return -1;
			}
			n = add_node(t, N_END);
			t->nodes[stack[--depth]].jump = t->nnodes - 1;
			continue;
		}
		if (c1 - c0 == 4 && memcmp(s + c0, "else", 4) == 0) {
			size_t top;

			if (depth == 0 || t->nodes[stack[depth - 1]].kind == N_ELSE) {
				seterr(err, errlen, t, q,
				       "{{else}} outside {{#if}} or after another");
				return -1;
			}
			top = stack[depth - 1];
			n = add_node(t, N_ELSE);
			t->nodes[top].jump = t->nnodes - 1;
			n->jump = top; /* the opener, until its {{/if}} sets the end */
			stack[depth - 1] = t->nnodes - 1;
			continue;
		}
		{
			long v = parse_name(t, s + c0, c1 - c0, q, known, err, errlen);

			if (v < 0)
				return -1;
			n = add_node(t, N_VAR);
			n->var = (size_t)v;
		}
	}
	if (depth) {
		size_t at = stack[depth - 1];

		if (t->nodes[at].kind == N_ELSE)
			at = t->nodes[at].jump;
		seterr(err, errlen, t, b ? b - 1 : 0, "{{#%s}} not closed%s",
		       t->nodes[at].kind == N_IF ? "if" : "unless",
		       b < t->textlen ? " on its header line" : "");
		return -1;
	}
	return 0;
too_many:
	seterr(err, errlen, t, p, "more than %d tags and text pieces", RW_TPL_NODES_MAX);
	return -1;
}

/* parse_header - one "Name: value" line at text[a, b) */
static int parse_header(struct template *t, size_t a, size_t b, const char *const *known, char *err,
                        size_t errlen)
{
	const char *s = t->text;
	size_t c = a, k;
	struct hdr *h;
	int ok = 0;

	if (s[a] == ' ' || s[a] == '\t') {
		seterr(err, errlen, t, a, "folded header lines are not supported");
		return -1;
	}
	while (c < b && s[c] != ':' &&
	       ((s[c] >= 'A' && s[c] <= 'Z') || (s[c] >= 'a' && s[c] <= 'z') ||
	        (s[c] >= '0' && s[c] <= '9') || s[c] == '-'))
		c++;
	if (c == a || c == b || s[c] != ':' || c - a > RW_TPL_NAME_MAX) {
		seterr(err, errlen, t, a, "not a header line (Name: value), nor empty");
		return -1;
	}
	for (k = 0; k < sizeof(allowed_headers) / sizeof(allowed_headers[0]); k++)
		ok |= strlen(allowed_headers[k]) == c - a &&
		      strncasecmp(allowed_headers[k], s + a, c - a) == 0;
	ok |= c - a > 2 && strncasecmp(s + a, "X-", 2) == 0;
	if (!ok) {
		seterr(err, errlen, t, a,
		       "header %.*s may not be set by a template (Subject, Reply-To, "
		       "In-Reply-To, References, Auto-Submitted, Precedence, X-*)",
		       (int)(c - a), s + a);
		return -1;
	}
	for (k = 0; k < t->nhdrs; k++)
		if (strlen(t->hdrs[k].name) == c - a &&
		    strncasecmp(t->hdrs[k].name, s + a, c - a) == 0) {
			seterr(err, errlen, t, a, "header %.*s given twice", (int)(c - a), s + a);
			return -1;
		}
	if (t->nhdrs == RW_TPL_HEADERS_MAX) {
		seterr(err, errlen, t, a, "more than %d header lines", RW_TPL_HEADERS_MAX);
		return -1;
	}
	h = &t->hdrs[t->nhdrs++];
	snprintf(h->name, sizeof(h->name), "%.*s", (int)(c - a), s + a);
	c++;
	while (c < b && (s[c] == ' ' || s[c] == '\t'))
		c++;
	h->first = t->nnodes;
	if (parse_seg(t, c, b, known, err, errlen) < 0)
		return -1;
	h->last = t->nnodes;
	return 0;
}

/* template_parse - headers, empty line, body; every name checked now */
struct template *template_parse(const char *name, const char *text, size_t len,
                                const char *const *known, char *err, size_t errlen)
{
	struct template *t = xcalloc(1, sizeof(*t));
	size_t p = 0, o = 0;
	int body = 0, subject = 0;

	t->name = xstrdup(name ? name : "template");
	if (err && errlen)
		err[0] = '\0';
	t->text = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			continue;
		t->text[o++] = text[i];
	}
	t->text[o] = '\0';
	t->textlen = o;
	if (len > RW_TPL_FILE_MAX) {
		seterr(err, errlen, t, 0, "longer than %d bytes", RW_TPL_FILE_MAX);
		return template_free(t);
	}
	if (memchr(t->text, '\r', t->textlen)) {
		seterr(err, errlen, t,
		       (size_t)((char *)memchr(t->text, '\r', t->textlen) - t->text),
		       "bare CR (lines end in LF or CRLF)");
		return template_free(t);
	}
	if (memchr(t->text, '\0', t->textlen)) {
		seterr(err, errlen, t,
		       (size_t)((char *)memchr(t->text, '\0', t->textlen) - t->text), "NUL byte");
		return template_free(t);
	}
	/* headers, up to the first empty line */
	while (p < t->textlen) {
		char *nl = memchr(t->text + p, '\n', t->textlen - p);
		size_t e = nl ? (size_t)(nl - t->text) : t->textlen;

		if (e == p) {
			p = e + 1;
			body = 1;
			break;
		}
		if (t->text[p] != '#' && parse_header(t, p, e, known, err, errlen) < 0)
			return template_free(t);
		p = nl ? e + 1 : e;
	}
	for (size_t k = 0; k < t->nhdrs; k++)
		subject |= strcasecmp(t->hdrs[k].name, "Subject") == 0;
	if (!subject) {
		seterr(err, errlen, t, 0, "no Subject: header");
		return template_free(t);
	}
	if (!body) {
		seterr(err, errlen, t, t->textlen,
		       "no empty line between the headers and the body");
		return template_free(t);
	}
	t->body_first = t->nnodes;
	if (parse_seg(t, p, t->textlen, known, err, errlen) < 0)
		return template_free(t);
	t->body_last = t->nnodes;
	return t;
}

/* template_load - read a file whole (bounded) and parse it */
struct template *template_load(const char *path, const char *const *known, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t n;
	struct template *t;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(RW_TPL_FILE_MAX + 1);
	n = fread(buf, 1, RW_TPL_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	t = template_parse(path, buf, n, known, err, errlen);
	free(buf);
	return t;
}

/* template_free - everything the template owns */
struct template *template_free(struct template *t)
{
	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < t->nvars; i++)
		free(t->vars[i]);
	free(t->vars);
	free(t->nodes);
	free(t->text);
	free(t->name);
	free(t);
	return NULL;
}

const char *template_name(const struct template *t)
{
	return t->name;
}

/* put_value - a value into a header (every control byte a space) or the
 * body (control bytes shown as \xNN, lines indented as the first) */
static void put_value(struct dbuf *out, const char *v, int header)
{
	size_t ls = out->len, ilen;
	char indent[128];

	/* the blanks since the last newline, when nothing else is on the line */
	while (ls > 0 && out->data[ls - 1] != '\n')
		ls--;
	ilen = out->len - ls;
	for (size_t i = ls; i < out->len; i++)
		if (out->data[i] != ' ' && out->data[i] != '\t')
			ilen = 0;
	if (ilen >= sizeof(indent))
		ilen = 0;
	if (ilen)
		memcpy(indent, out->data + ls, ilen);
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (header && (c < 0x20 || c == 0x7f)) {
			dbuf_addc(out, ' ');
		} else if (c == '\n') {
			dbuf_addc(out, '\n');
			if (ilen && p[1])
				dbuf_add(out, indent, ilen);
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			dbuf_printf(out, "\\x%02x", c);
		} else {
			dbuf_addc(out, (char)c);
		}
	}
}

/* render_nodes - nodes [first, last) into out; values cleaned by put_value */
static void render_nodes(const struct template *t, size_t first, size_t last,
                         template_lookup_fn *lookup, void *ctx, struct dbuf *out, int header)
{
	size_t i = first;

	while (i < last) {
		const struct node *n = &t->nodes[i];
		const char *v;
		int truth;

		switch (n->kind) {
		case N_TEXT:
			dbuf_add(out, t->text + n->off, n->len);
			i++;
			break;
		case N_VAR:
			if ((v = lookup(ctx, t->vars[n->var])) != NULL)
				put_value(out, v, header);
			i++;
			break;
		case N_IF:
		case N_UNLESS:
			v = lookup(ctx, t->vars[n->var]);
			truth = v != NULL && v[0] != '\0';
			if (n->kind == N_UNLESS)
				truth = !truth;
			i = truth ? i + 1 : n->jump + 1;
			break;
		case N_ELSE:
			i = n->jump + 1; /* reached from the true part: skip the false one */
			break;
		case N_END:
			i++;
			break;
		}
	}
}

/* template_render - header lines cleaned and cut; body capped with a note */
int template_render(const struct template *t, template_lookup_fn *lookup, void *ctx,
                    struct dbuf *headers, struct dbuf *body)
{
	struct dbuf tmp;
	int cut = 0;

	for (size_t k = 0; k < t->nhdrs; k++) {
		const struct hdr *h = &t->hdrs[k];
		size_t room = RW_TPL_HEADER_LINE_MAX - strlen(h->name) - 2, n;
		char *s;

		dbuf_init(&tmp, RW_TPL_OUTPUT_MAX);
		render_nodes(t, h->first, h->last, lookup, ctx, &tmp, 1);
		s = tmp.data ? tmp.data : "";
		/* a header is one line: template text's control bytes too */
		for (size_t i = 0; i < tmp.len; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				s[i] = ' ';
		n = tmp.len;
		if (n > room) {
			n = room;
			while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
				n--; /* do not split a UTF-8 sequence */
			cut = 1;
		}
		while (n > 0 && s[n - 1] == ' ')
			n--;
		dbuf_printf(headers, "%s: %.*s\n", h->name, (int)n, s);
		dbuf_free(&tmp);
	}
	dbuf_init(&tmp, RW_TPL_OUTPUT_MAX);
	render_nodes(t, t->body_first, t->body_last, lookup, ctx, &tmp, 0);
	dbuf_add(body, dbuf_str(&tmp), tmp.len);
	if (tmp.dropped) {
		dbuf_printf(body, "\n[... cut at %d octets]\n", RW_TPL_OUTPUT_MAX);
		cut = 1;
	}
	dbuf_free(&tmp);
	return cut;
}

void template_vars_init(struct template_vars *v)
{
	memset(v, 0, sizeof(*v));
}

/* template_vars_set - copy in, replacing an earlier value of the same name */
void template_vars_set(struct template_vars *v, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0)
			break;
	if (i == v->n) {
		if (v->n == RW_TPL_VARS_MAX)
			rw_panic("%s: more than RW_TPL_VARS_MAX (%d) names", __func__,
			         RW_TPL_VARS_MAX);
		v->v[v->n].name = xstrdup(name);
		v->v[v->n++].value = NULL;
	}
	free(v->v[i].value);
	v->v[i].value = value ? xstrdup(value) : NULL;
}

void template_vars_setf(struct template_vars *v, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	template_vars_set(v, name, s);
	free(s);
}

/* template_vars_get - a template_lookup_fn over a template_vars */
const char *template_vars_get(void *ctx, const char *name)
{
	const struct template_vars *v = ctx;

	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0)
			return v->v[i].value;
	return NULL;
}

void template_vars_clear(struct template_vars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	v->n = 0;
}
