/*
 * NAME
 *	log - one-line logging to stderr (foreground) or syslog (service)
 * SUMMARY
 *	key=value lines, session id and subsystem first
 * SYNOPSIS
 *	void log_init(const char *ident, enum log_dest dest, int verbose);
 *	int log_verbose(void); void rw_log(int prio, const char *fmt, ...);
 * DESCRIPTION
 *	Process-wide settings, written once at start-up by src/cmd. Debug
 *	lines are dropped unless verbose; callers use rw_debug() so that
 *	formatting is skipped too.
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

	if (prio == LOG_DEBUG && !log_verbose())
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
