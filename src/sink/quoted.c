/*
 * NAME
 *	quoted - tell a relayed test message from a bounce that quotes it
 * SUMMARY
 *	backscatter is not relaying: a token seen only inside a bounce, a
 *	delivery report or an auto-reply does not prove an open relay
 * SYNOPSIS
 *	int quoted_is_bounce(const char *msg, size_t len, const char *tok);
 * DESCRIPTION
 *	Servers that accept and later refuse send a delivery status
 *	notification to the envelope sender, which for most tests is an
 *	address at the canary: the sink then sees our token inside the
 *	bounce. The test message carries the token in its own header
 *	fields, so a token below the header section, a top-level
 *	Content-Type of multipart/report (RFC 3462) or a Subject in the
 *	style of the common NDR generators marks a quote, not a relay.
 *	Exchange keeps the original Subject after "Undeliverable:", which is
 *	why the Subject prefix is checked even when the token is above.
 *	quoted_is_bounce() takes tok as a pointer into msg (as token_find
 *	returns it) and only reads msg; a NULL tok counts as quoted. Only
 *	the first line of a folded Content-Type or Subject is looked at.
 * DIAGNOSTICS
 *	none: 1 quoted (bounce, report or auto-reply), 0 a relayed message.
 * LIMITS
 *	none; every read stays within len.
 * STANDARDS
 *	RFC 3462 (multipart/report), RFC 3464 (DSN), RFC 3834 (auto-replies).
 */
#include "quoted.h"

#include <string.h>
#include <strings.h>

static const char *const ndr_subjects[] = {
    "undeliverable",
    "undelivered",
    "returned mail",
    "delivery status notification",
    "mail delivery failed",
    "failure notice",
    "delivery failure",
    "non-delivery",
    "delivery has failed",
    "mail delivery system",
    "auto:",
    "automatic reply",
    "out of office",
};

/* header_end - offset of the empty line ending the header section */
static size_t header_end(const char *msg, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (msg[i + 1] == '\n' || (msg[i + 1] == '\r' && i + 2 < len && msg[i + 2] == '\n'))
			return i + 1;
	}
	return len;
}

/* field_value - start of the value of top-level field `name`, or NULL */
static const char *field_value(const char *msg, size_t hlen, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	for (size_t i = 0; i + n < hlen; i++) {
		if ((i == 0 || msg[i - 1] == '\n') && strncasecmp(msg + i, name, n) == 0 &&
		    msg[i + n] == ':') {
			size_t j = i + n + 1, k;

			while (j < hlen && (msg[j] == ' ' || msg[j] == '\t'))
				j++;
			for (k = j; k < hlen && msg[k] != '\r' && msg[k] != '\n'; k++)
				;
			*vlen = k - j;
			return msg + j;
		}
	}
	return NULL;
}

/* starts_ci - value begins with prefix, ignoring case */
static int starts_ci(const char *v, size_t vlen, const char *prefix)
{
	size_t n = strlen(prefix);

	return vlen >= n && strncasecmp(v, prefix, n) == 0;
}

/* quoted_is_bounce - the token sits in a quote (below the header, a report, an NDR subject) */
int quoted_is_bounce(const char *msg, size_t len, const char *tok)
{
	size_t hlen = header_end(msg, len), vlen;
	const char *v;

	if (tok == NULL || tok < msg || (size_t)(tok - msg) >= hlen)
		return 1;
	v = field_value(msg, hlen, "Content-Type", &vlen);
	if (v && vlen >= 16 && strncasecmp(v, "multipart/report", 16) == 0)
		return 1;
	v = field_value(msg, hlen, "Subject", &vlen);
	for (size_t i = 0; v && i < sizeof(ndr_subjects) / sizeof(ndr_subjects[0]); i++)
		if (starts_ci(v, vlen, ndr_subjects[i]))
			return 1;
	return 0;
}
