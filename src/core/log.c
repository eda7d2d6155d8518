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
 *	Not thread-safe; the settings are global by design.
 * DIAGNOSTICS
 *	none: a failed write to stderr or syslog is ignored.
 * LIMITS
 *	none here; callers keep lines short.
 * STANDARDS
 *	none (syslog(3), facility LOG_MAIL).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_ident = "relaywatch";
static enum log_dest log_dest = LOG_DEST_STDERR;
static int log_verbosity;

/* log_init - set ident, destination and verbosity once at start-up */
void log_init(const char *ident, enum log_dest dest, int verbose)
{
	log_ident = ident;
	log_dest = dest;
	log_verbosity = verbose;
	if (dest == LOG_DEST_SYSLOG)
		openlog(ident, LOG_PID, LOG_MAIL);
}

/* log_verbose - nonzero when debug lines are wanted, so callers skip formatting */
int log_verbose(void)
{
	return log_verbosity > 1;
}

/* rw_log - one line at prio, dropped below the verbosity threshold */
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
