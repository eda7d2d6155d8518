/*
 * NAME
 *	daemon_dnsbl - the daemon's DNSBL duties
 * SUMMARY
 *	re-export the zone after the listing may have changed; watch our
 *	own addresses in other lists on a schedule
 * SYNOPSIS
 *	pid_t daemon_dnsbl_export(const char *self, const char *config_path,
 *		const char *db, const struct rw_config *cfg);
 *	pid_t daemon_dnsbl_watch(const struct rw_config *cfg);
 * DESCRIPTION
 *	The export runs `relaywatch dnsbl export` from this binary (execv,
 *	no shell): the same atomic write and reload command as the
 *	operator's. The watch forks and runs dnsbl_check (its own resolver
 *	loop, so the daemon's never waits on DNS), logging each answer, a
 *	listed one at LOG_WARNING. Both children are reaped by the daemon's
 *	SIGCHLD handling.
 * DIAGNOSTICS
 *	fork failures are logged and -1 returned.
 * LIMITS
 *	DNSBL_CHECK_MAX addresses and lists (the command's).
 */
#include "daemon_dnsbl.h"
#include "../core/log.h"
#include "../core/nslist.h"
#include "../core/xalloc.h"
#include "../net/dnsbl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define WATCH_MAX 64

/* child_setup - stdin from /dev/null, die with the daemon, default signals */
static void child_setup(int keep_stdout)
{
	int fd = open("/dev/null", O_RDWR);
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (fd >= 0) {
		dup2(fd, 0);
		if (!keep_stdout)
			dup2(fd, 1);
		if (fd > 2)
			close(fd);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

pid_t daemon_dnsbl_export(const char *self, const char *config_path, const char *db,
                          const struct rw_config *cfg)
{
	const char *av[16];
	size_t n = 0;
	pid_t pid;

	if (cfg->dnsbl_output == NULL)
		return 0;
	av[n++] = "relaywatch";
	if (config_path) {
		av[n++] = "--config";
		av[n++] = config_path;
	}
	av[n++] = "dnsbl";
	av[n++] = "export";
	av[n++] = "--db";
	av[n++] = db;
	av[n++] = "--format";
	av[n++] = cfg->dnsbl_format ? cfg->dnsbl_format : "rbldnsd";
	av[n++] = "--output";
	av[n++] = cfg->dnsbl_output;
	av[n] = NULL;
	if ((pid = fork()) < 0) {
		rw_log(LOG_ERR, "dnsbl event=fork-failed error=\"%s\"", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		child_setup(0);
		execv(self, (char *const *)av);
		fprintf(stderr, "relaywatch daemon: exec %s: %s\n", self, strerror(errno));
		_exit(127);
	}
	rw_log(LOG_INFO, "dnsbl event=export pid=%ld output=%s", (long)pid, cfg->dnsbl_output);
	return pid;
}

/* split - a comma/blank list into v (pointers into buf, owned by caller) */
static size_t split(char *buf, const char **v, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *t = strtok_r(buf, " ,\t", &save); t && n < max;
	     t = strtok_r(NULL, " ,\t", &save))
		v[n++] = t;
	return n;
}

/* printable - bytes a log line can hold: controls and quotes become '?' */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == 0x7f)
			*s = '?';
}

static void watch_child(const struct rw_config *cfg)
{
	char *abuf = xstrdup(cfg->dnsbl_watch), *lbuf = xstrdup(cfg->dnsbl_lists), err[256];
	const char *addrs[WATCH_MAX], *lists[WATCH_MAX];
	size_t na = split(abuf, addrs, WATCH_MAX), nl = split(lbuf, lists, WATCH_MAX);
	struct nslist ns;
	struct dnsbl_opts o = {0};
	struct dnsbl_result *r;
	int listed = 0;

	if (cfg->dns_servers && nslist_parse(cfg->dns_servers, &ns, err, sizeof(err)) == NULL)
		o.servers = &ns;
	o.timeout = (unsigned)cfg->dns_timeout;
	r = xcalloc(na * nl + 1, sizeof(*r));
	if (dnsbl_check(addrs, na, lists, nl, &o, r, err, sizeof(err)) < 0) {
		rw_log(LOG_ERR, "dnsbl event=watch-failed error=\"%s\"", err);
		_exit(3);
	}
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nl; j++) {
			struct dnsbl_result *x = &r[i * nl + j];
			printable(x->txt);
			printable(x->why);
			listed |= x->status == DNSBL_LISTED;
			rw_log(x->status == DNSBL_LISTED ? LOG_WARNING : LOG_INFO,
			       "dnsbl event=%s host=%s list=%s a=%s txt=\"%s\" why=\"%s\"",
			       dnsbl_status_name(x->status), addrs[i], lists[j], x->a, x->txt,
			       x->why);
		}
	_exit(listed ? 1 : 0);
}

pid_t daemon_dnsbl_watch(const struct rw_config *cfg)
{
	pid_t pid;

	if (cfg->dnsbl_watch == NULL || cfg->dnsbl_lists == NULL)
		return 0;
	if ((pid = fork()) < 0) {
		rw_log(LOG_ERR, "dnsbl event=fork-failed error=\"%s\"", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		child_setup(1);
		watch_child(cfg);
	}
	return pid;
}
