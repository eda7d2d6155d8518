/*
 * NAME
 *	log - one-line logging to stderr (foreground) or syslog (service)
 * SUMMARY
 *	key=value lines, session id and subsystem first
 * SYNOPSIS
 *	void log_init(const char *ident, enum log_dest dest, int verbose);
 *	int log_verbose(void); void rw_log(int prio, const char *fmt, ...);
 * DESCRIPTION
 *	Process-wide settings, written once at start-up by src/cmd.
 *	verbose 0 keeps NOTICE and worse, 1 adds INFO, 2 adds DEBUG. Callers
 *	use rw_debug() so that debug formatting is skipped too. Daemons
 *	(the standalone sink, the lab) start at 1.
 *	log_init() keeps the ident pointer (it must outlive the process's
 *	logging) and opens syslog (LOG_PID, facility LOG_MAIL) for
 *	LOG_DEST_SYSLOG. log_verbose() is nonzero at level 2 only. rw_log()
 *	writes "ident: text" and a newline on stderr, or one syslog record.
 *	The formatted text is cut at RW_LOG_LINE_MAX bytes (marked "...")
 *	and log_escape()d, so a value that came off the network (a peer's
 *	name, a reply, a form field) can neither end the line nor forge
 *	another record. Not thread-safe; the settings are global by design.
 * DIAGNOSTICS
 *	none: a failed write to stderr or syslog is ignored.
 * LIMITS
 *	RW_LOG_LINE_MAX bytes of text per record (before escaping).
 * STANDARDS
 *	none (syslog(3), facility LOG_MAIL).
 */
#include "log.h"
#include "limits.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *log_ident = "relaywatch";
static enum log_dest log_dest = LOG_DEST_STDERR;
static int log_verbosity;

/* log_init - set ident, destination and verbosity once at start-up */
void log_init(const char *ident, enum log_dest dest, int verbose)
{
	log_init_facility(ident, dest, LOG_MAIL, verbose);
}

void log_init_facility(const char *ident, enum log_dest dest, int facility, int verbose)
{
	log_ident = ident;
	log_dest = dest;
	log_verbosity = verbose;
	if (dest != LOG_DEST_STDERR)
		openlog(ident, LOG_PID, facility);
}

int log_facility_by_name(const char *name)
{
	static const struct {
		const char *name;
		int fac;
	} t[] = {{"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
	         {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
	         {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	         {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};

	for (size_t i = 0; name && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(name, t[i].name) == 0)
			return t[i].fac;
	return -1;
}

/* log_verbose - nonzero when debug lines are wanted, so callers skip formatting */
int log_verbose(void)
{
	return log_verbosity > 1;
}

/* log_escape - src's bytes with every control byte (and DEL, and a
 * backslash) written as \xNN, into dst of dstlen; the result length */
size_t log_escape(char *dst, size_t dstlen, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (dstlen == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\') {
			if (n + 4 >= dstlen)
				break;
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[*p >> 4];
			dst[n++] = hex[*p & 15];
		} else {
			if (n + 1 >= dstlen)
				break;
			dst[n++] = (char)*p;
		}
	}
	dst[n] = '\0';
	return n;
}

/* rw_log - one line at prio, dropped below the verbosity threshold */
void rw_log(int prio, const char *fmt, ...)
{
	char text[RW_LOG_LINE_MAX + 4], line[4 * RW_LOG_LINE_MAX + 4];
	va_list ap;
	int n;

	if ((prio == LOG_DEBUG && log_verbosity < 2) || (prio == LOG_INFO && log_verbosity < 1))
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, RW_LOG_LINE_MAX + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > RW_LOG_LINE_MAX)
		memcpy(text + RW_LOG_LINE_MAX, "...", 4);
	log_escape(line, sizeof(line), text);
	if (log_dest != LOG_DEST_STDERR)
		syslog(prio, "%s", line);
	if (log_dest != LOG_DEST_SYSLOG)
		fprintf(stderr, "%s: %s\n", log_ident, line);
}
