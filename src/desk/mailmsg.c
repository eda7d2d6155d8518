/*
 * NAME
 *	mailmsg - compose an RFC 5322 notice
 * SUMMARY
 *	headers and a UTF-8 body into CRLF message bytes, ready for DATA
 * SYNOPSIS
 *	int mailmsg_compose(const struct mailmsg *m, struct dbuf *out, char *err,
 *		size_t errlen);
 *	const char *mailmsg_addr_spec(const char *mailbox, char *buf, size_t len);
 *	void mailmsg_base64(struct dbuf *out, const void *p, size_t n);
 *	int mailmsg_utf8_valid(const char *s, size_t n);
 * DESCRIPTION
 *	mailmsg_compose() writes Date (UTC, from m->date: no clock here),
 *	From, To, Cc, Reply-To, Subject, Message-ID, In-Reply-To,
 *	References, Auto-Submitted: auto-generated, MIME-Version and a
 *	text/plain; charset=utf-8 Content-Type. Header text is ASCII: a
 *	non-ASCII (or control, or "=?"-holding) Subject or display name
 *	becomes RFC 2047 B encoded-words cut on UTF-8 character boundaries;
 *	every header is folded at white space near 78 columns. The body's
 *	line ends (LF, CRLF or a bare CR) all become CRLF. The body goes
 *	7bit when it is printable ASCII with lines of at most 998 octets,
 *	else quoted-printable (RFC 2045 6.7), in which a '.' or "From " at
 *	the start of a line is also encoded so that neither dot-stuffing nor
 *	mbox quoting can alter the text. Chosen over folding long lines: QP
 *	is exact (the reader gets the original bytes back) and carries UTF-8
 *	through any relay, 8BITMIME or not. Dot-stuffing is the transport's.
 *	mailmsg_addr_spec() extracts the envelope address of a mailbox.
 * DIAGNOSTICS
 *	mailmsg_compose() returns -1 with a text in err naming the field: "From: ...", "To[2]: ...",
 *	"Subject: CR or LF in a header", "body: not valid UTF-8".
 * LIMITS
 *	RW_MAIL_LINE_MAX octets per line, RW_MAIL_FOLD columns aimed at,
 *	RW_MAIL_QP_LINE per QP line, RW_MAIL_EWORD_MAX per encoded-word,
 *	RW_MAIL_ADDR_MAX per address.
 * STANDARDS
 *	RFC 5322 2.1.1, 2.2.3, 3.3, 3.4, 3.6; RFC 2045 6.7; RFC 2047 2, 5;
 *	RFC 3834 5; RFC 5321 4.5.2 (transparency is the transport's).
 */
#include "mailmsg.h"
#include "../core/limits.h"
#include "../core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* header writer: tokens separated by one space, folded before the space */
struct hw {
	struct dbuf *out;
	size_t col;
	size_t start; /* column after "Name:" */
	int ntok;
};

static void hw_begin(struct hw *h, struct dbuf *out, const char *name)
{
	h->out = out;
	dbuf_adds(out, name);
	dbuf_addc(out, ':');
	h->col = h->start = strlen(name) + 1;
	h->ntok = 0;
}

/* hw_tok - one token; a fold never leaves a line of white space only */
static void hw_tok(struct hw *h, const char *t, size_t n)
{
	if (h->ntok > 0 && n > 0 && h->col + 1 + n > RW_MAIL_FOLD) {
		dbuf_adds(h->out, "\r\n");
		h->col = 0;
	}
	dbuf_addc(h->out, ' ');
	dbuf_add(h->out, t, n);
	h->col += 1 + n;
	h->ntok++;
}

static void hw_end(struct hw *h)
{
	dbuf_adds(h->out, "\r\n");
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* mailmsg_base64 - RFC 4648 base64 with padding */
void mailmsg_base64(struct dbuf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63]};
		dbuf_add(out, q, 4);
	}
	if (n - i == 1) {
		unsigned v = (unsigned)s[i] << 16;
		char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], '=', '='};
		dbuf_add(out, q, 4);
	} else if (n - i == 2) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
		char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], '='};
		dbuf_add(out, q, 4);
	}
}

/* utf8_len - length of the well-formed sequence at s, or 0 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* mailmsg_utf8_valid - well-formed UTF-8 (RFC 3629 4) */
int mailmsg_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, l;

	while (i < n) {
		if ((l = utf8_len(u + i, n - i)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

/* has_crlf - header injection is refused, never repaired */
static int has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* needs_eword - text that cannot stand as itself in a header */
static int needs_eword(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x7f || *p < 0x20) /* a TAB too: folding would eat it */
			return 1;
	if (strstr(s, "=?"))
		return 1;
	return 0;
}

/* ewords - s as UTF-8 B encoded-words, first fitting after col, cut on
 * character boundaries */
static void ewords(struct hw *h, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	struct dbuf w;

	dbuf_init(&w, 0);
	while (i < n) {
		/* RFC 2047 2: "=?UTF-8?B?" + text + "?=" within 75 */
		size_t room = h->ntok == 0 && h->col + 1 + 12 + 4 < RW_MAIL_FOLD
		                  ? RW_MAIL_FOLD - h->col - 1 - 12
		                  : RW_MAIL_EWORD_MAX - 12;
		size_t max = room / 4 * 3, take = 0, l;

		if (max > (RW_MAIL_EWORD_MAX - 12) / 4 * 3)
			max = (RW_MAIL_EWORD_MAX - 12) / 4 * 3;
		while (i + take < n) {
			l = utf8_len(u + i + take, n - i - take);
			if (l == 0)
				l = 1; /* validated before: cannot happen; never loop */
			if (take + l > max)
				break;
			take += l;
		}
		if (take == 0)
			take = 1;
		dbuf_reset(&w);
		dbuf_adds(&w, "=?UTF-8?B?");
		mailmsg_base64(&w, u + i, take);
		dbuf_adds(&w, "?=");
		hw_tok(h, w.data, w.len);
		i += take;
	}
	dbuf_free(&w);
}

/* unstructured - Subject-like text: words as they are, or encoded-words */
static const char *unstructured(struct dbuf *out, const char *name, const char *s)
{
	struct hw h;
	const char *p, *e;
	int encode;

	if (has_crlf(s))
		return "Subject: CR or LF in a header";
	if (!mailmsg_utf8_valid(s, strlen(s)))
		return "Subject: not valid UTF-8";
	encode = needs_eword(s);
	/* a word too long to fold is encoded (encoded-words can be cut) */
	for (p = s; !encode && *p; p = *e ? e + 1 : e) {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) > RW_MAIL_LINE_MAX - 100)
			encode = 1;
	}
	hw_begin(&h, out, name);
	if (encode) {
		ewords(&h, s);
	} else {
		for (p = s;; p = e + 1) {
			e = strchr(p, ' ');
			if (e == NULL) {
				hw_tok(&h, p, strlen(p));
				break;
			}
			hw_tok(&h, p, (size_t)(e - p));
		}
	}
	hw_end(&h);
	return NULL;
}

/* addr_ok - a dot-atom-ish ASCII address with one '@' part; no SMTPUTF8 */
static int addr_ok(const char *a, size_t n)
{
	if (n == 0 || n > RW_MAIL_ADDR_MAX || memchr(a, '@', n) == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == '(' ||
		    c == ')' || c == ';' || c == '\\' || c == '"')
			return 0;
	}
	return 1;
}

/* split_mailbox - display name span and address span of "Name <a@b>" / "a@b" */
static const char *split_mailbox(const char *mb, const char **name, size_t *nlen, const char **addr,
                                 size_t *alen)
{
	const char *lt, *gt;

	if (has_crlf(mb))
		return "CR or LF in an address";
	lt = strrchr(mb, '<');
	if (lt == NULL) {
		while (*mb == ' ')
			mb++;
		*name = mb;
		*nlen = 0;
		*addr = mb;
		*alen = strlen(mb);
		while (*alen && mb[*alen - 1] == ' ')
			(*alen)--;
	} else {
		gt = strchr(lt, '>');
		if (gt == NULL || gt[1] != '\0')
			return "unbalanced <> in an address";
		*addr = lt + 1;
		*alen = (size_t)(gt - lt - 1);
		*name = mb;
		while (**name == ' ')
			(*name)++;
		*nlen = (size_t)(lt - *name);
		while (*nlen && (*name)[*nlen - 1] == ' ')
			(*nlen)--;
	}
	if (!addr_ok(*addr, *alen))
		return "not a plain ASCII address (local@domain)";
	if (*nlen && !mailmsg_utf8_valid(*name, *nlen))
		return "display name not valid UTF-8";
	return NULL;
}

/* mailmsg_addr_spec - the envelope address of a mailbox */
const char *mailmsg_addr_spec(const char *mailbox, char *buf, size_t len)
{
	const char *name, *addr, *err;
	size_t nlen, alen;

	if ((err = split_mailbox(mailbox, &name, &nlen, &addr, &alen)) != NULL)
		return err;
	if (alen + 1 > len)
		return "address too long";
	memcpy(buf, addr, alen);
	buf[alen] = '\0';
	return NULL;
}

/* is_atext - RFC 5322 3.2.3 atext (and the space between atoms) */
static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~ ", c));
}

/* mailbox - one "name <addr>" into tokens; sep ("," or "") ends it */
static void mailbox(struct hw *h, const char *name, size_t nlen, const char *addr, size_t alen,
                    const char *sep)
{
	struct dbuf t;
	char *nm;
	size_t i;
	int plain = 1;

	dbuf_init(&t, 0);
	/* an already quoted name is taken without its quotes, quoted again */
	if (nlen >= 2 && name[0] == '"' && name[nlen - 1] == '"')
		name++, nlen -= 2;
	if (nlen > 0) {
		nm = xstrndup(name, nlen);
		for (i = 0; i < nlen; i++)
			if (!is_atext((unsigned char)name[i]))
				plain = 0;
		if (strstr(nm, "=?"))
			plain = 0;
		if (plain) {
			const char *p = nm, *e;
			for (;; p = e + 1) {
				e = strchr(p, ' ');
				if (e == NULL) {
					hw_tok(h, p, strlen(p));
					break;
				}
				if (e > p)
					hw_tok(h, p, (size_t)(e - p));
			}
		} else if (!needs_eword(nm)) {
			dbuf_addc(&t, '"'); /* ASCII with specials: a quoted-string */
			for (i = 0; i < nlen; i++) {
				if (nm[i] == '"' || nm[i] == '\\')
					dbuf_addc(&t, '\\');
				dbuf_addc(&t, nm[i]);
			}
			dbuf_addc(&t, '"');
			hw_tok(h, t.data, t.len);
			dbuf_reset(&t);
		} else {
			ewords(h, nm);
		}
		free(nm);
		dbuf_addc(&t, '<');
		dbuf_add(&t, addr, alen);
		dbuf_addc(&t, '>');
	} else {
		dbuf_add(&t, addr, alen);
	}
	dbuf_adds(&t, sep);
	hw_tok(h, t.data, t.len);
	dbuf_free(&t);
}

/* addr_header - From/To/Cc/Reply-To: mailboxes separated by commas */
static const char *addr_header(struct dbuf *out, const char *hname, const char *const *list,
                               size_t n, char *err, size_t errlen)
{
	struct hw h;
	const char *name, *addr, *e;
	size_t nlen, alen;

	for (size_t i = 0; i < n; i++)
		if ((e = split_mailbox(list[i], &name, &nlen, &addr, &alen)) != NULL) {
			snprintf(err, errlen, "%s[%zu]: %s", hname, i, e);
			return err;
		}
	hw_begin(&h, out, hname);
	for (size_t i = 0; i < n; i++) {
		split_mailbox(list[i], &name, &nlen, &addr, &alen);
		mailbox(&h, name, nlen, addr, alen, i + 1 < n ? "," : "");
	}
	hw_end(&h);
	return NULL;
}

/* msgid_ok - "<left@right>" printable ASCII, no white space */
static int msgid_ok(const char *s, size_t n)
{
	if (n < 5 || s[0] != '<' || s[n - 1] != '>' || memchr(s, '@', n) == NULL)
		return 0;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>')
			return 0;
	}
	return 1;
}

/* msgid_header - Message-ID, In-Reply-To, References: msg-ids as tokens */
static const char *msgid_header(struct dbuf *out, const char *hname, const char *v, int one,
                                char *err, size_t errlen)
{
	struct hw h;
	char buf[RW_MAIL_LINE_MAX + 3];
	const char *p = v, *e;
	int n = 0;

	if (has_crlf(v)) {
		snprintf(err, errlen, "%s: CR or LF in a header", hname);
		return err;
	}
	hw_begin(&h, out, hname);
	for (;;) {
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e && *e != ' ' && *e != '\t'; e++)
			;
		len = (size_t)(e - p);
		if (len > RW_MAIL_LINE_MAX - 20) {
			snprintf(err, errlen, "%s: message id too long", hname);
			return err;
		}
		/* a bare id@domain gets its angle brackets */
		if (p[0] != '<') {
			snprintf(buf, sizeof(buf), "<%.*s>", (int)len, p);
		} else {
			memcpy(buf, p, len);
			buf[len] = '\0';
		}
		if (!msgid_ok(buf, strlen(buf))) {
			snprintf(err, errlen, "%s: not a message id <left@right>", hname);
			return err;
		}
		hw_tok(&h, buf, strlen(buf));
		n++;
		p = e;
	}
	if (n == 0 || (one && n != 1)) {
		snprintf(err, errlen, "%s: want %s message id", hname,
		         one ? "one" : "at least one");
		return err;
	}
	hw_end(&h);
	return NULL;
}

/* date_header - RFC 5322 3.3 in UTC, locale-independent */
static void date_header(struct dbuf *out, long long t)
{
	static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	dbuf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", wd[tm.tm_wday],
	            tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* next_line - the line at body[*i] (without its end); CRLF, LF, CR end one */
static int next_line(const char *b, size_t n, size_t *i, const char **l, size_t *len)
{
	size_t s = *i, j = *i;

	if (s >= n)
		return 0;
	while (j < n && b[j] != '\r' && b[j] != '\n')
		j++;
	*l = b + s;
	*len = j - s;
	if (j < n && b[j] == '\r' && j + 1 < n && b[j + 1] == '\n')
		j += 2;
	else if (j < n)
		j++;
	*i = j;
	return 1;
}

/* body_needs_qp - anything but printable ASCII lines of at most 998 octets */
static int body_needs_qp(const char *b, size_t n)
{
	size_t i = 0, len;
	const char *l;

	while (next_line(b, n, &i, &l, &len)) {
		if (len > RW_MAIL_LINE_MAX)
			return 1;
		for (size_t k = 0; k < len; k++) {
			unsigned char c = (unsigned char)l[k];
			if (c >= 0x7f || (c < 0x20 && c != '\t'))
				return 1;
		}
	}
	return 0;
}

/* qp_line - one line as quoted-printable with soft breaks (RFC 2045 6.7) */
static void qp_line(struct dbuf *out, const char *l, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (size_t k = 0; k < len; k++) {
		unsigned char c = (unsigned char)l[k];
		int enc =
		    c == '=' || c >= 0x7f || (c < 0x20 && c != '\t') ||
		    ((c == ' ' || c == '\t') && k + 1 == len) ||
		    /* a line's first '.' or "From ": no stuffing, no mbox '>' */
		    (col == 0 &&
		     (c == '.' || (c == 'F' && len - k >= 5 && memcmp(l + k, "From ", 5) == 0)));
		size_t w = enc ? 3 : 1;

		/* room for the soft break's '=' within 76 */
		if (col + w > RW_MAIL_QP_LINE - 1) {
			dbuf_adds(out, "=\r\n");
			col = 0;
			if (c == '.' ||
			    (c == 'F' && len - k >= 5 && memcmp(l + k, "From ", 5) == 0))
				enc = 1, w = 3;
		}
		if (enc) {
			char e[3] = {'=', hex[c >> 4], hex[c & 15]};
			dbuf_add(out, e, 3);
		} else {
			dbuf_addc(out, (char)c);
		}
		col += w;
	}
	dbuf_adds(out, "\r\n");
}

/* compose - the whole message, headers first; NULL or the error */
static const char *compose(const struct mailmsg *m, struct dbuf *out, char *err, size_t errlen)
{
	const char *e, *body = m->body ? m->body : "";
	size_t blen = m->body ? m->body_len : 0, i = 0, len;
	const char *l;
	int qp;

	if (m->from == NULL)
		return "From: missing";
	if (m->nto + m->ncc == 0)
		return "To: no recipient";
	if (m->message_id == NULL)
		return "Message-ID: missing";
	if (!mailmsg_utf8_valid(body, blen))
		return "body: not valid UTF-8";
	if (memchr(body, '\0', blen))
		return "body: NUL byte";
	date_header(out, m->date);
	if ((e = addr_header(out, "From", &m->from, 1, err, errlen)) != NULL)
		return e;
	if (m->nto && (e = addr_header(out, "To", m->to, m->nto, err, errlen)) != NULL)
		return e;
	if (m->ncc && (e = addr_header(out, "Cc", m->cc, m->ncc, err, errlen)) != NULL)
		return e;
	if (m->reply_to && (e = addr_header(out, "Reply-To", &m->reply_to, 1, err, errlen)) != NULL)
		return e;
	if ((e = unstructured(out, "Subject", m->subject ? m->subject : "")) != NULL)
		return e;
	if ((e = msgid_header(out, "Message-ID", m->message_id, 1, err, errlen)) != NULL)
		return e;
	if (m->in_reply_to &&
	    (e = msgid_header(out, "In-Reply-To", m->in_reply_to, 0, err, errlen)) != NULL)
		return e;
	if (m->references &&
	    (e = msgid_header(out, "References", m->references, 0, err, errlen)) != NULL)
		return e;
	qp = body_needs_qp(body, blen);
	dbuf_adds(out, "Auto-Submitted: auto-generated\r\n"
	               "MIME-Version: 1.0\r\n"
	               "Content-Type: text/plain; charset=utf-8\r\n");
	dbuf_printf(out, "Content-Transfer-Encoding: %s\r\n\r\n", qp ? "quoted-printable" : "7bit");
	while (next_line(body, blen, &i, &l, &len)) {
		if (qp) {
			qp_line(out, l, len);
		} else {
			dbuf_add(out, l, len);
			dbuf_adds(out, "\r\n");
		}
	}
	return NULL;
}

/* mailmsg_compose - 0, or -1 with the reason in err */
int mailmsg_compose(const struct mailmsg *m, struct dbuf *out, char *err, size_t errlen)
{
	const char *e = compose(m, out, err, errlen);

	if (e == NULL)
		return 0;
	if (e != err)
		snprintf(err, errlen, "%s", e);
	return -1;
}
