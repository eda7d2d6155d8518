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
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_ident = "relaywatch";
static enum log_dest log_dest = LOG_DEST_STDERR;
static int log_verbosity;

void log_init(const char *ident, enum log_dest dest, int verbose)
{
	log_ident = ident;
	log_dest = dest;
	log_verbosity = verbose;
	if (dest == LOG_DEST_SYSLOG)
		openlog(ident, LOG_PID, LOG_MAIL);
}

int log_verbose(void)
{
	return log_verbosity > 1;
}

void rw_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if ((prio == LOG_DEBUG && log_verbosity < 2) || (prio == LOG_INFO && log_verbosity < 1))
		return;
	va_start(ap, fmt);
	if (log_dest == LOG_DEST_SYSLOG) {
		vsyslog(prio, fmt, ap);
	} else {
		fprintf(stderr, "%s: ", log_ident);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
