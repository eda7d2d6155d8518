/*
 * NAME
 *	fields - the values of an abuse report's machine-readable part
 * SUMMARY
 *	"Name: value" fields (RFC 5965 feedback-report, X-ARF's YAML) and the
 *	addresses, ports and dates in them
 * DESCRIPTION
 *	Peer text in, bounded owned strings or the caller's buffers out; see
 *	desk_int.h for each function. Nothing here trusts a length it did not
 *	count, and every value written is NUL-terminated within its buffer.
 * LIMITS
 *	RW_COMPLAINT_REPORT_FIELDS_MAX fields, RW_COMPLAINT_FIELD_MAX per value
 *	(folded lines included); field names under 64 bytes.
 * STANDARDS
 *	RFC 5965 3.1 (fields as RFC 5322 header fields), RFC 5322 2.2.3
 *	(folding) and 3.3 (dates), RFC 3339, RFC 4291 2.5.5.2 (v4-mapped).
 */
#include "desk_int.h"
#include "../core/dbuf.h"
#include "../core/xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* fields_text - bounded copy of peer text, control bytes as '?', trimmed */
void fields_text(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	while (*src == ' ' || *src == '\t')
		src++;
	for (; *src && n + 1 < size; src++)
		dst[n++] = ((unsigned char)*src < 0x20 || *src == 0x7f) ? '?' : *src;
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

/* fields_shown - a short, printable rendering of a peer value for an error text */
const char *fields_shown(const char *s, char *buf, size_t size)
{
	fields_text(buf, size < 80 ? size : 80, s);
	return buf;
}

/* fields_ip - a numeric IPv4 or IPv6 address (brackets, "IPv6:" and
 * surrounding space tolerated) in canonical text; NULL or why not */
const char *fields_ip(const char *in, char *out, size_t size)
{
	char buf[64];
	size_t n;
	struct in_addr a4;
	struct in6_addr a6;

	while (*in == ' ' || *in == '\t')
		in++;
	n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\r'))
		n--;
	if (n >= 2 && in[0] == '[' && in[n - 1] == ']') {
		in++;
		n -= 2;
	}
	if (n >= 5 && strncasecmp(in, "IPv6:", 5) == 0) {
		in += 5;
		n -= 5;
	}
	if (n == 0)
		return "is empty";
	if (n >= sizeof(buf))
		return "is not a numeric IPv4 or IPv6 address";
	memcpy(buf, in, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		uint32_t h = ntohl(a4.s_addr);

		if (h == 0 || h == 0xffffffffu || (h >> 28) == 0xe)
			return "is not a host address (unspecified, broadcast or multicast)";
		inet_ntop(AF_INET, &a4, out, (socklen_t)size);
		return NULL;
	}
	if (inet_pton(AF_INET6, buf, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4.s_addr, &a6.s6_addr[12], 4);
			return fields_ip(inet_ntop(AF_INET, &a4, buf, sizeof(buf)), out, size);
		}
		if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_MULTICAST(&a6))
			return "is not a host address (unspecified or multicast)";
		inet_ntop(AF_INET6, &a6, out, (socklen_t)size);
		return NULL;
	}
	return "is not a numeric IPv4 or IPv6 address";
}

/* fields_port - 1..65535 in decimal; 0 when not */
unsigned fields_port(const char *s)
{
	unsigned long v = 0;
	int digits = 0;

	while (*s == ' ')
		s++;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return 0;
		digits++;
	}
	while (*s == ' ')
		s++;
	return (digits > 0 && *s == '\0') ? (unsigned)v : 0;
}

/* fields_date - RFC 5322 date (GMime's reader), else ISO 8601 / RFC 3339 */
int fields_date(const char *s, int64_t *when)
{
	GDateTime *dt;
	int64_t t;

	if (s == NULL || *s == '\0')
		return 0;
	dt = g_mime_utils_header_decode_date(s);
	if (dt == NULL) {
		char buf[128];

		fields_text(buf, sizeof(buf), s);
		dt = g_date_time_new_from_iso8601(buf, NULL);
	}
	if (dt == NULL)
		return 0;
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	/* GMime answers 0 (the epoch) for some dates it cannot read; a time
	 * before 1970 is no incident of ours either */
	if (t <= 0)
		return 0;
	*when = t;
	return 1;
}

void fields_free(struct fields *f)
{
	for (int i = 0; i < f->n; i++) {
		free(f->name[i]);
		free(f->value[i]);
	}
	f->n = 0;
}

/* fields_get - the first value of a field, or NULL */
const char *fields_get(const struct fields *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (strcasecmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

/* unquote - YAML's single or double quotes around a whole value */
static void unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
	}
}

/* fields_read - split text into fields; NULL or why not (in err) */
const char *fields_read(const char *text, size_t len, struct fields *f, char *err, size_t errlen)
{
	struct dbuf val;
	size_t i = 0;
	int cur = -1; /* the field a continuation line extends */

	dbuf_init(&val, RW_COMPLAINT_FIELD_MAX);
	f->n = 0;
	while (i < len) {
		const char *line = text + i;
		size_t n = 0, k;

		while (i + n < len && text[i + n] != '\n')
			n++;
		i += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0) {
			cur = -1;
			continue;
		}
		if ((line[0] == ' ' || line[0] == '\t') && cur >= 0) {
			/* folded value: join with one space */
			size_t old = strlen(f->value[cur]), add = n;

			if (old + 1 + add > RW_COMPLAINT_FIELD_MAX) {
				snprintf(err, errlen, "field %s is longer than %d bytes",
				         f->name[cur], RW_COMPLAINT_FIELD_MAX);
				dbuf_free(&val);
				return err;
			}
			f->value[cur] = xrealloc(f->value[cur], old + 2 + add);
			f->value[cur][old] = ' ';
			memcpy(f->value[cur] + old + 1, line, add);
			f->value[cur][old + 1 + add] = '\0';
			for (char *p = f->value[cur] + old + 1; *p; p++)
				if (*p == '\t')
					*p = ' ';
			continue;
		}
		cur = -1;
		for (k = 0; k < n && (isalnum((unsigned char)line[k]) || line[k] == '-' ||
		                      line[k] == '_' || line[k] == '.');
		     k++)
			;
		if (k == 0 || k >= 64 || k >= n || line[k] != ':')
			continue; /* YAML comments, "---", list items, prose */
		if (n - k - 1 > RW_COMPLAINT_FIELD_MAX) {
			snprintf(err, errlen, "field %.*s is longer than %d bytes", (int)k, line,
			         RW_COMPLAINT_FIELD_MAX);
			dbuf_free(&val);
			return err;
		}
		if (f->n >= RW_COMPLAINT_REPORT_FIELDS_MAX) {
			snprintf(err, errlen, "more than %d fields",
			         RW_COMPLAINT_REPORT_FIELDS_MAX);
			dbuf_free(&val);
			return err;
		}
		f->name[f->n] = xstrndup(line, k);
		dbuf_reset(&val);
		dbuf_add(&val, line + k + 1, n - k - 1);
		f->value[f->n] = xstrdup(dbuf_str(&val));
		cur = f->n++;
	}
	dbuf_free(&val);
	for (int j = 0; j < f->n; j++) {
		char tmp[RW_COMPLAINT_FIELD_MAX + 1];

		fields_text(tmp, sizeof(tmp), f->value[j]);
		unquote(tmp);
		free(f->value[j]);
		f->value[j] = xstrdup(tmp);
	}
	return NULL;
}

/* fields_lower - a type token, lower case, printable */
void fields_lower(char *dst, size_t size, const char *v)
{
	fields_text(dst, size, v);
	for (char *s = dst; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* fields_mailbox - the addr-spec inside "<...>" or the whole value */
void fields_mailbox(char *dst, size_t size, const char *v)
{
	const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	char tmp[RW_PATH_MAX + 1];

	if (lt && gt) {
		size_t n = (size_t)(gt - lt - 1);

		if (n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		memcpy(tmp, lt + 1, n);
		tmp[n] = '\0';
		v = tmp;
	}
	fields_text(dst, size, v);
}
