/*
 * NAME
 *	jsonx - the JSON values every report builds the same way
 * SUMMARY
 *	bytes as a JSON string, times as RFC 3339, stored JSON text parsed
 * SYNOPSIS
 *	json_t *jsonx_text(const char *s);
 *	const char *jsonx_iso(int64_t ms, int frac, char *buf, size_t len);
 *	json_t *jsonx_time(int64_t ms);
 *	json_t *jsonx_any(const char *text);
 * DESCRIPTION
 *	What a peer sent may be any bytes; jansson refuses a string that is
 *	not UTF-8, so jsonx_text() writes its high bytes as "\xNN" instead
 *	(the CLI's --json, the store's evidence and the web API agree on
 *	that). jsonx_iso() formats a time for people and JSON; jsonx_time()
 *	is its JSON value. jsonx_any() turns a stored JSON column back into a
 *	value, or keeps it as text when it is not JSON. Every json_t returned
 *	is a new reference.
 * DIAGNOSTICS
 *	none; out of memory is fatal (xmalloc).
 * LIMITS
 *	none.
 * STANDARDS
 *	RFC 8259 (JSON), RFC 3339 (times).
 */
#include "jsonx.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_t *jsonx_text(const char *s)
{
	json_t *j;
	char *clean;
	size_t n, o = 0;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	n = strlen(s);
	clean = xmalloc(n * 4 + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80)
			clean[o++] = (char)c;
		else
			o += (size_t)sprintf(clean + o, "\\x%02x", c);
	}
	clean[o] = '\0';
	j = json_string(clean);
	free(clean);
	return j ? j : json_null();
}

const char *jsonx_iso(int64_t ms, int frac, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char sec[32];

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac)
		snprintf(buf, len, "%s.%03dZ", sec, (int)(ms % 1000));
	else
		snprintf(buf, len, "%sZ", sec);
	return buf;
}

json_t *jsonx_time(int64_t ms)
{
	char buf[64];

	return ms > 0 ? json_string(jsonx_iso(ms, 1, buf, sizeof(buf))) : json_null();
}

json_t *jsonx_any(const char *text)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

	return j ? j : jsonx_text(text ? text : "");
}
