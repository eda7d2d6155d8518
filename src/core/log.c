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

/* rw_log - one line at prio, dropped below the verbosity threshold */
void rw_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if ((prio == LOG_DEBUG && log_verbosity < 2) || (prio == LOG_INFO && log_verbosity < 1))
		return;
	va_start(ap, fmt);
	if (log_dest == LOG_DEST_BOTH) {
		va_list aq;
		va_copy(aq, ap);
		vsyslog(prio, fmt, aq);
		va_end(aq);
	}
	if (log_dest == LOG_DEST_SYSLOG) {
		vsyslog(prio, fmt, ap);
	} else {
		fprintf(stderr, "%s: ", log_ident);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
