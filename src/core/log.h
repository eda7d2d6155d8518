/*
 * log.h - one-line key=value logging to stderr or syslog
 */
#ifndef RW_LOG_H
#define RW_LOG_H

#include <stddef.h>
#include <syslog.h>

enum log_dest { LOG_DEST_STDERR, LOG_DEST_SYSLOG, LOG_DEST_BOTH };

/* verbose: 0 NOTICE and worse, 1 adds INFO, 2 adds DEBUG */
void log_init(const char *ident, enum log_dest dest, int verbose);
/* log_init_facility - the same with a syslog facility (LOG_MAIL is
 * log_init's); LOG_DEST_BOTH writes each line to syslog and stderr */
void log_init_facility(const char *ident, enum log_dest dest, int facility, int verbose);
/* log_facility_by_name - "mail", "daemon", "user", "local0".."local7";
 * -1 for anything else */
int log_facility_by_name(const char *name);
/* log_verbose - nonzero when debug lines are wanted (test before formatting) */
int log_verbose(void);
/* log_escape - src with control bytes, DEL and backslash as \\xNN, cut to
 * fit dstlen (NUL included); returns the length written */
size_t log_escape(char *dst, size_t dstlen, const char *src);
void rw_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define rw_debug(...)                         \
	do {                                  \
		if (log_verbose())            \
			rw_log(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
