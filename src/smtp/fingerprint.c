/*
 * NAME
 *	fingerprint - guess the MTA from its banner and EHLO reply
 * SUMMARY
 *	a table of tell-tale strings, first match wins
 * SYNOPSIS
 *	const char *fingerprint_guess(const char *banner, const char *ehlo,
 *		char *out, size_t len);
 * DESCRIPTION
 *	Banners are often rewritten by operators, so EHLO habits are the
 *	second source: Sendmail's "pleased to meet you", Exim's
 *	X_PIPE_CONNECT, Exchange's X-EXPS. A guess only: the report says
 *	"mta" and the repair advice (a later issue) keys on it.
 *	fingerprint_guess() tries the table in order, banner rows before
 *	EHLO rows, with a case-sensitive substring match; either text may be
 *	NULL. It writes the MTA name (or "") into the caller's out and
 *	returns out; nothing is kept.
 * DIAGNOSTICS
 *	none: no match is "".
 * LIMITS
 *	the name is truncated to len - 1 bytes.
 * STANDARDS
 *	none (RFC 5321 4.2 and 4.1.1.1 only for where the texts come from).
 */
#include "fingerprint.h"

#include <stdio.h>
#include <string.h>

struct tell {
	const char *mta;
	int in_ehlo; /* 0 banner, 1 EHLO reply */
	const char *needle;
};

static const struct tell tells[] = {
    {.mta = "postfix", .needle = "Postfix"},
    {.mta = "exim", .needle = "Exim"},
    {.mta = "sendmail", .needle = "Sendmail"},
    {.mta = "opensmtpd", .needle = "OpenSMTPD"},
    {.mta = "exchange", .needle = "Microsoft ESMTP MAIL Service"},
    {.mta = "exchange", .needle = "Microsoft Exchange"},
    {.mta = "qmail", .needle = "qmail"},
    {.mta = "courier", .needle = "Courier"},
    {.mta = "haraka", .needle = "Haraka"},
    {.mta = "hmailserver", .needle = "hMailServer"},
    {.mta = "mdaemon", .needle = "MDaemon"},
    {.mta = "domino", .needle = "Domino"},
    {.mta = "zimbra", .needle = "Zimbra"},
    {.mta = "mailenable", .needle = "MailEnable"},
    {.mta = "icewarp", .needle = "IceWarp"},
    {.mta = "smail", .needle = "Smail"},
    {.mta = "relaywatch-sink", .needle = "relaywatch canary sink"},
    {.mta = "exim", .in_ehlo = 1, .needle = "X_PIPE_CONNECT"},
    {.mta = "exim", .in_ehlo = 1, .needle = "PIPECONNECT"},
    {.mta = "exchange", .in_ehlo = 1, .needle = "X-EXPS"},
    {.mta = "exchange", .in_ehlo = 1, .needle = "XEXCH50"},
    {.mta = "sendmail", .in_ehlo = 1, .needle = "pleased to meet you"},
};

/* fingerprint_guess - the first table row whose needle appears, "" when none */
const char *fingerprint_guess(const char *banner, const char *ehlo, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(tells) / sizeof(tells[0]); i++) {
		const char *hay = tells[i].in_ehlo ? ehlo : banner;

		if (hay && strstr(hay, tells[i].needle)) {
			snprintf(out, len, "%s", tells[i].mta);
			break;
		}
	}
	return out;
}
