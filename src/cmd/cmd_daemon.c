/*
 * NAME
 *	cmd_daemon - relaywatch daemon: the abuse desk's one long-running process
 * SUMMARY
 *	relaywatch [--config FILE] daemon [-f] [--db PATH] [--pid-file FILE]
 *	    [--tick SECONDS] [--clock-file FILE]
 * SYNOPSIS
 *	int cmd_daemon(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	One event loop runs:
 *	- the sink (the canary receiver), recording every arrival in the
 *	  store, where the daemon's scans look for their proof;
 *	- every tick: the policy timers (desk_due: deadlines fed to the
 *	  incident machine, tests handed to retest jobs), the outbox sender,
 *	  the feeding of sweep results to the desk, and the sweep schedule;
 *	- retests and sweeps as `relaywatch scan` children (daemon_jobs): a
 *	  finished retest's stored result goes to desk_result_finding, each
 *	  sweep result to desk_scan_finding (a few hundred per tick);
 *	- the results of distributed scans (planned with --shards, scanned
 *	  by workers) to the desk with their vantages, scan after scan
 *	  (daemon_dist.c, DB.d/dist.state);
 *	- SIGHUP: the configuration and policy are read again (on an error
 *	  the old ones stay and the error is logged); SIGTERM or SIGINT: the
 *	  children are stopped, the session in flight abandoned (its lease
 *	  runs out and it is sent again under the same Message-ID), and the
 *	  process exits 0 within a few seconds; SIGCHLD reaps.
 *	Before anything starts, and again on SIGHUP, the configuration
 *	(with its drop-ins) goes through cmd_config_validate(), the checks
 *	of `relaywatch config check`: every problem is printed (or logged)
 *	with the file and line of its key.
 *	It does not fork into the background: systemd (Type=notify: READY=1,
 *	RELOADING=1, STOPPING=1 go to $NOTIFY_SOCKET) or a supervisor runs
 *	it. The pid file, when configured, is locked (flock) so a second
 *	daemon on it refuses to start. Logs go to syslog (syslog_facility,
 *	default mail); -f also writes them to stderr.
 *	Sweep state (the sweep's scan id, how many of its results were fed,
 *	when it started) is kept in DB.d/sweep.state, written atomically, so a
 *	restart resumes a killed sweep (scan --resume) and goes on feeding
 *	where it stopped. --clock-file is for tests: the desk's time (ms since
 *	the epoch) is read from that file at each tick, so a 48-hour grace
 *	period passes when the test writes a later time.
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT; 2 for a usage or configuration error
 *	(no policy, bad templates, bad smarthost settings, the sink's
 *	address or canary; each "relaywatch daemon: FILE:LINE: problem
 *	(hint: ...)"), 3 when the store, the key, the pid file or the
 *	listen address fail. Messages on stderr before the loop starts,
 *	in the log afterwards.
 * LIMITS
 *	DAEMON_FEED_MAX sweep results fed per tick; the jobs' limits.
 * STANDARDS
 *	sd_notify(3)'s protocol (datagram to $NOTIFY_SOCKET).
 */
#include "cmd.h"
#include "arrival_store.h"
#include "block_apply.h"
#include "cmd_desk.h"
#include "daemon_dist.h"
#include "daemon_dnsbl.h"
#include "daemon_jobs.h"
#include "../web/auth.h"
#include "../web/web.h"
#include "daemon_outbox.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"
#include "../desk/desk.h"
#include "../desk/deskclock.h"
#include "../sink/sink.h"
#include "../smtp/arrival.h"
#include "../smtp/token.h"
#include "../store/store.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DAEMON_FEED_MAX 500

struct daemon {
	struct cmd_ctx *ctx;
	struct event_base *base;
	char *db, *statedir, *config_path;
	char db_shown[512]; /* db for logs: a URL's password masked */
	struct store *st;
	struct desk *desk;
	struct outbox_sender *ob;
	struct jobs *jobs;
	struct sink *sink;
	struct web_auth *wauth; /* the console (config web = yes) */
	struct web_server *web;
	struct token_key key;
	char *listen, *canary;
	struct event *tick, *ev_term, *ev_int, *ev_hup, *ev_chld;
	const char *clock_file;
	long long now;
	struct deskclock clock; /* read_clock() for the console's commands */
	int tick_ms;
	int reload_pending;
	/* the sweep */
	int64_t sweep_scan; /* 0: none being fed */
	int64_t sweep_fed;  /* results of it fed to the desk */
	long long sweep_started;
	int sweep_done; /* its scan ended: feed the rest, then forget it */
	/* the DNSBL (wall-clock seconds: they pace work, they decide nothing) */
	int zone_dirty; /* a result was fed: the listing may have changed */
	long long zone_next, zone_last, watch_next;
	struct block_sched blk; /* the firewall's retries and reconciles */
	struct dist_feed dist;  /* distributed scans' results to the desk */
};

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: relaywatch [--config FILE] daemon [-f] [--db PATH] [--pid-file FILE]\n"
	        "                  [--tick SECONDS] [--clock-file FILE]\n\n"
	        "Run the abuse desk: the sink, the policy's timers and retests, scheduled\n"
	        "sweeps and the notification outbox, until SIGTERM. SIGHUP reloads the\n"
	        "configuration and the policy.\n\n"
	        "  -f, --foreground     also log to stderr (it never forks anyway)\n"
	        "      --db PATH        the store (default: the db key, else the default store)\n"
	        "      --pid-file FILE  write and lock a pid file (default: the pid_file key)\n"
	        "      --tick SECONDS   look at timers and the outbox this often (default: tick\n"
	        "                       key, 10)\n"
	        "      --tick-ms MS     the same in milliseconds (tests)\n"
	        "      --clock-file F   tests: the desk's time in ms is read from F each tick\n"
	        "  -h, --help           this help\n\n"
	        "configuration keys: policy, templates, notify_from, noc, incident_url,\n"
	        "smarthost*, sweep, sweep_ports, sweep_interval, sweep_exclude, scan_args,\n"
	        "sink_listen, canary_domain, token_key, pid_file, syslog_facility, tick\n"
	        "(doc/desk.md).\n\n"
	        "exit status: 0 stopped by a signal, 2 usage or configuration error,\n"
	        "3 runtime error.\n");
}

/* sd_notify - one state line to systemd when it asked for them */
static void sd_notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		rw_log(LOG_WARNING, "daemon event=notify-failed error=\"%s\"", strerror(errno));
	close(fd);
}

/* clock ------------------------------------------------------------------ */

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* read_clock - the desk's time: the clock file's when given (the last good
 * value when it cannot be read), else the wall clock */
static long long read_clock(struct daemon *dm)
{
	FILE *fp;
	long long v;

	if (dm->clock_file == NULL)
		return dm->now = wall_ms();
	if ((fp = fopen(dm->clock_file, "r")) != NULL) {
		if (fscanf(fp, "%lld", &v) == 1 && v > 0)
			dm->now = v;
		fclose(fp);
	}
	if (dm->now == 0)
		dm->now = wall_ms();
	return dm->now;
}

/* desk_now - read_clock as a deskclock: the console's commands get the
 * desk's time, so a test clock moves them as it moves the timers */
static long long desk_now(void *arg)
{
	return read_clock(arg);
}

/* sweep state -------------------------------------------------------------- */

static char *state_path(const struct daemon *dm)
{
	return xasprintf("%s/sweep.state", dm->statedir);
}

static void sweep_save(const struct daemon *dm)
{
	char *path = state_path(dm), *tmp = xasprintf("%s.tmp", path);
	FILE *fp = fopen(tmp, "w");
	int ok = 0;

	if (fp) {
		ok = fprintf(fp, "%lld %lld %lld %d\n", (long long)dm->sweep_scan,
		             (long long)dm->sweep_fed, dm->sweep_started, dm->sweep_done) > 0;
		ok = fflush(fp) == 0 && fsync(fileno(fp)) == 0 && ok;
		ok = fclose(fp) == 0 && ok;
	}
	if (!ok || rename(tmp, path) < 0) {
		rw_log(LOG_ERR, "daemon event=state-error file=%s error=\"%s\"", path,
		       strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(path);
}

static void sweep_load(struct daemon *dm)
{
	char *path = state_path(dm);
	FILE *fp = fopen(path, "r");
	long long scan = 0, fed = 0, started = 0;
	int done = 0;

	if (fp) {
		if (fscanf(fp, "%lld %lld %lld %d", &scan, &fed, &started, &done) != 4)
			scan = fed = started = done = 0;
		fclose(fp);
	}
	free(path);
	dm->sweep_scan = scan;
	dm->sweep_fed = fed;
	dm->sweep_started = started;
	dm->sweep_done = done;
}

/* results -> desk ------------------------------------------------------------ */

/* feed_sweep - up to DAEMON_FEED_MAX more results of the sweep to the desk */
static void feed_sweep(struct daemon *dm)
{
	struct store_results l;
	struct store_page pg = {.limit = DAEMON_FEED_MAX, .offset = dm->sweep_fed};

	if (dm->sweep_scan <= 0 || dm->desk == NULL)
		return;
	if (store_results_list(dm->st, dm->sweep_scan, NULL, &pg, &l) < 0) {
		rw_log(LOG_ERR, "daemon event=store-error what=results error=\"%s\"",
		       store_error(dm->st));
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct desk_finding f = desk_finding_of(&l.v[i]);
		int64_t inc = 0;
		int r = desk_scan_finding(dm->desk, &f, dm->now, &inc);
		if (r < 0)
			rw_log(LOG_ERR, "daemon event=desk-error host=%s error=\"%s\"", f.addr,
			       desk_error(dm->desk));
		else if (r == 1)
			rw_log(LOG_INFO,
			       "daemon event=sweep-result incident=%lld host=%s port=%u "
			       "verdict=%s",
			       (long long)inc, f.addr, f.port, verdict_name(f.verdict));
	}
	dm->sweep_fed += (int64_t)l.n;
	if (l.n) {
		sweep_save(dm);
		dm->zone_dirty = 1;
	}
	if (l.n == 0 && dm->sweep_done) {
		rw_log(LOG_INFO, "daemon event=sweep-fed scan=%lld results=%lld",
		       (long long)dm->sweep_scan, (long long)dm->sweep_fed);
		dm->sweep_scan = 0;
		dm->sweep_fed = 0;
		dm->sweep_done = 0;
		sweep_save(dm);
	}
	store_results_free(&l);
}

/* on_job_done - a child scan ended */
static void on_job_done(void *arg, const struct job_done *jd)
{
	struct daemon *dm = arg;

	if (jd->kind == JOB_SWEEP) {
		if (jd->scan > 0) {
			dm->sweep_scan = jd->scan;
			dm->sweep_done = 1;
			sweep_save(dm);
		}
		if (jd->status > 1)
			rw_log(LOG_WARNING, "daemon event=sweep-failed scan=%lld status=%d",
			       (long long)jd->scan, jd->status);
		return;
	}
	/* a retest: its result, or an error verdict the machine retries */
	struct store_results l = {0};
	struct desk_finding f = {.addr = jd->addr, .port = jd->port, .verdict = V_ERROR};
	char reason[160];
	const struct store_result *hit = NULL;

	snprintf(reason, sizeof(reason), "the retest could not run (relaywatch scan exit %d)",
	         jd->status);
	f.reason = reason;
	if (jd->scan > 0 && store_results_list(dm->st, jd->scan, NULL, NULL, &l) == 0)
		for (size_t i = 0; i < l.n && !hit; i++)
			if (l.v[i].port == (jd->port ? jd->port : 25) &&
			    strcmp(l.v[i].probe ? l.v[i].probe : "smtp",
			           jd->proxy ? "proxy" : "smtp") == 0)
				hit = &l.v[i];
	if (hit)
		f = desk_finding_of(hit);
	read_clock(dm);
	if (dm->desk && desk_result_finding(dm->desk, jd->incident, &f, dm->now) < 0)
		rw_log(LOG_ERR, "daemon event=desk-error incident=%lld error=\"%s\"",
		       (long long)jd->incident, desk_error(dm->desk));
	else
		rw_log(LOG_INFO,
		       "daemon event=retest-result incident=%lld host=%s port=%u verdict=%s",
		       (long long)jd->incident, f.addr, f.port, verdict_name(f.verdict));
	store_results_free(&l);
	dm->zone_dirty = 1;
	/* the machine may want the outbox now (results, repaired notices) */
	outbox_sender_kick(dm->ob, dm->desk, dm->now);
}

/* on_test - desk_due hands out a test */
static void on_test(void *arg, int64_t incident, const char *addr, unsigned port, const char *probe)
{
	struct daemon *dm = arg;

	/* an open-proxy incident is retested with the scan's proxy probe */
	jobs_retest(dm->jobs, incident, addr, port, probe && strcmp(probe, "proxy") == 0);
}

/* sweep_due - start the configured sweep when its interval has passed */
static void sweep_due(struct daemon *dm)
{
	const struct rw_config *cfg = dm->ctx->cfg;
	int64_t id;

	if (jobs_running(dm->jobs, JOB_SWEEP)) {
		/* learn its scan id as soon as the child has written it */
		if (dm->sweep_scan == 0 && (id = jobs_sweep_scan(dm->jobs)) > 0) {
			dm->sweep_scan = id;
			dm->sweep_fed = 0;
			dm->sweep_done = 0;
			sweep_save(dm);
		}
		return;
	}
	if (dm->sweep_scan > 0 || cfg->sweep == NULL || cfg->sweep_interval <= 0)
		return;
	if (dm->sweep_started && dm->now < dm->sweep_started + cfg->sweep_interval * 1000LL)
		return;
	if (jobs_sweep(dm->jobs, cfg->sweep, cfg->sweep_ports, cfg->sweep_probes,
	               cfg->sweep_exclude, 0) == 0) {
		dm->sweep_started = dm->now;
		dm->sweep_scan = 0;
		dm->sweep_fed = 0;
		dm->sweep_done = 0;
		sweep_save(dm);
	}
}

/* make_dirs - mkdir -p path, new directories 0700 */
static int make_dirs(const char *path)
{
	char *dir = xstrdup(path);
	int rc = 0;

	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*p = c;
		if (c == '\0' || rc < 0)
			break;
	}
	free(dir);
	return rc;
}

/* reload ------------------------------------------------------------------- */

static void job_env_of(const struct daemon *dm, struct job_env *e)
{
	*e = (struct job_env){.self = "/proc/self/exe",
	                      .config_path = dm->config_path,
	                      .db = dm->db,
	                      .dir = dm->statedir,
	                      .scan_args = dm->ctx->cfg->scan_args,
	                      .canary = dm->canary,
	                      .max_retests = 8};
}

/* log_problem - a configuration problem found on reload, to the log */
static void log_problem(void *arg, const struct config_problem *p)
{
	char line[1024];

	(void)arg;
	config_problem_format(p, line, sizeof(line));
	rw_log(LOG_ERR, "daemon event=reload-failed error=\"%s\"", line);
}

/* reload - the configuration and the desk again; the old ones stay on error */
static void reload(struct daemon *dm)
{
	struct rw_config fresh, *cfg = dm->ctx->cfg;
	char err[512];
	struct desk *d;
	struct outbox_sender *ob;
	int rc;

	if (outbox_sender_busy(dm->ob)) {
		dm->reload_pending = 1; /* after the session in flight */
		return;
	}
	dm->reload_pending = 0;
	sd_notify_send("RELOADING=1");
	config_defaults(&fresh);
	/* the desk and the sender are built from the fresh configuration,
	 * after the start-up checks: every problem logged with its line */
	struct cmd_ctx tmp = *dm->ctx;
	tmp.cfg = &fresh;
	if ((dm->config_path &&
	     config_read_tree(dm->config_path, &fresh, log_problem, NULL, NULL)) ||
	    cmd_config_validate(&tmp, log_problem, NULL)) {
		config_free(&fresh);
		sd_notify_send("READY=1");
		return;
	}
	if ((d = cmd_desk_open("daemon", &tmp, dm->st, &rc)) == NULL) {
		rw_log(LOG_ERR,
		       "daemon event=reload-failed error=\"policy or templates (see stderr)\"");
		config_free(&fresh);
		sd_notify_send("READY=1");
		return;
	}
	if ((ob = outbox_sender_new(dm->base, dm->st, &fresh, err, sizeof(err))) == NULL) {
		rw_log(LOG_ERR, "daemon event=reload-failed error=\"%s\"", err);
		desk_free(d);
		config_free(&fresh);
		sd_notify_send("READY=1");
		return;
	}
	if ((fresh.sink_listen &&
	     (!cfg->sink_listen || strcmp(fresh.sink_listen, cfg->sink_listen))) ||
	    (fresh.canary && (!cfg->canary || strcmp(fresh.canary, cfg->canary))))
		rw_log(LOG_WARNING, "daemon event=reload note=\"sink_listen and canary_domain take "
		                    "effect at the next start\"");
	web_server_set_desk(dm->web, d); /* before the old desk goes */
	desk_free(dm->desk);
	dm->desk = d;
	outbox_sender_free(dm->ob);
	dm->ob = ob;
	config_free(cfg);
	*cfg = fresh;
	struct job_env e;
	job_env_of(dm, &e);
	jobs_configure(dm->jobs, &e);
	rw_log(LOG_NOTICE, "daemon event=reloaded config=%s",
	       dm->config_path ? dm->config_path : "-");
	sd_notify_send("READY=1");
}

/* events ------------------------------------------------------------------- */

/* dnsbl_tick - the zone after a change (at most every 10 s) and on its
 * interval; the watch of our own addresses on its interval */
static void dnsbl_tick(struct daemon *dm)
{
	const struct rw_config *cfg = dm->ctx->cfg;
	long long t = wall_ms() / 1000;

	if (cfg->dnsbl_output &&
	    ((dm->zone_dirty && t >= dm->zone_last + 10) || t >= dm->zone_next)) {
		if (daemon_dnsbl_export("/proc/self/exe", dm->config_path, dm->db, cfg) > 0) {
			dm->zone_dirty = 0;
			dm->zone_last = t;
		}
		dm->zone_next = t + cfg->dnsbl_export_interval;
	}
	if (cfg->dnsbl_watch && cfg->dnsbl_lists && t >= dm->watch_next) {
		daemon_dnsbl_watch(cfg);
		dm->watch_next = t + cfg->dnsbl_check_interval;
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *dm = arg;

	(void)fd;
	(void)what;
	if (dm->reload_pending)
		reload(dm);
	read_clock(dm);
	jobs_reap(dm->jobs, on_job_done, dm);
	if (dm->desk && desk_due(dm->desk, dm->now, on_test, dm) < 0)
		rw_log(LOG_ERR, "daemon event=desk-error error=\"%s\"", desk_error(dm->desk));
	sweep_due(dm);
	feed_sweep(dm);
	if (dist_feed_tick(&dm->dist, dm->st, dm->desk, dm->now, DAEMON_FEED_MAX, dm->statedir))
		dm->zone_dirty = 1;
	outbox_sender_kick(dm->ob, dm->desk, dm->now);
	block_tick(&dm->blk, dm->st, dm->ctx->cfg, dm->now); /* the firewall: pending actions */
	dnsbl_tick(dm);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *dm = arg;

	(void)what;
	if (sig == SIGHUP) {
		rw_log(LOG_NOTICE, "daemon event=reload signal=HUP");
		reload(dm);
	} else if (sig == SIGCHLD) {
		jobs_reap(dm->jobs, on_job_done, dm);
	} else {
		rw_log(LOG_NOTICE, "daemon event=stopping signal=%d", (int)sig);
		sd_notify_send("STOPPING=1");
		event_base_loopbreak(dm->base);
	}
}

/* on_arrival - the sink accepted a message: into the store */
static void on_arrival(const struct arrival *a, void *arg)
{
	struct daemon *dm = arg;
	int64_t id = 0;
	int r = arrival_store_put(dm->st, a, arrival_store_scan(a), &id);

	if (r < 0)
		rw_log(LOG_ERR, "sink event=store-error peer=%s error=\"%s\"", a->peer,
		       store_error(dm->st));
	else
		rw_log(LOG_INFO,
		       "sink event=arrival peer=%s token=%s target=%s test=%s stored=%lld", a->peer,
		       a->token[0] ? token_status_name(a->token_status) : "none", a->fields.target,
		       a->fields.test, (long long)id);
}

/* set-up --------------------------------------------------------------------- */

/* pid_lock - write and lock the pid file: the fd (kept open), or -1 */
static int pid_lock(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	char buf[32];

	if (fd < 0) {
		fprintf(stderr, "relaywatch daemon: pid file %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fprintf(stderr, "relaywatch daemon: already running (pid %s, %s is locked)\n",
		        buf[0] ? buf : "?", path);
		close(fd);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, strlen(buf), 0) < 0) {
		fprintf(stderr, "relaywatch daemon: pid file %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int add_signal(struct daemon *dm, struct event **ev, int sig)
{
	*ev = evsignal_new(dm->base, sig, on_signal, dm);
	return *ev && evsignal_add(*ev, NULL) == 0 ? 0 : -1;
}

/* resume_sweep - at start: a sweep the last run left unfinished */
static void resume_sweep(struct daemon *dm)
{
	struct store_scan sc;

	sweep_load(dm);
	dist_feed_load(&dm->dist, dm->statedir);
	if (dm->sweep_scan <= 0 || dm->sweep_done)
		return;
	int r = store_scan_get(dm->st, dm->sweep_scan, &sc);
	if (r == 1) {
		if (strcmp(sc.state, "done") == 0)
			dm->sweep_done = 1;
		else if (jobs_sweep(dm->jobs, NULL, NULL, NULL, NULL, dm->sweep_scan) == 0)
			rw_log(LOG_NOTICE, "daemon event=sweep-resumed scan=%lld fed=%lld",
			       (long long)dm->sweep_scan, (long long)dm->sweep_fed);
		store_scan_clear(&sc);
	} else {
		dm->sweep_scan = 0;
	}
	sweep_save(dm);
}

int cmd_daemon(int argc, char **argv, struct cmd_ctx *ctx)
{
	enum { O_DB = 256, O_PID, O_TICK, O_TICKMS, O_CLOCK };
	static const struct option opts[] = {
	    {"foreground", no_argument, NULL, 'f'},
	    {"db", required_argument, NULL, O_DB},
	    {"pid-file", required_argument, NULL, O_PID},
	    {"tick", required_argument, NULL, O_TICK},
	    {"tick-ms", required_argument, NULL, O_TICKMS},
	    {"clock-file", required_argument, NULL, O_CLOCK},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rw_config *cfg = ctx->cfg;
	struct daemon dm = {.ctx = ctx};
	const char *db_flag = NULL, *pid_flag = NULL;
	char *pid_path = NULL; /* owned: a reload frees the configuration's strings */
	int c, rc = EXIT_RUNTIME, fg = 0, pid_fd = -1, fac;
	long tick_ms = 0;
	char err[512], *dflt = NULL;

	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fg = 1;
			break;
		case O_DB:
			db_flag = optarg;
			break;
		case O_PID:
			pid_flag = optarg;
			break;
		case O_TICK:
		case O_TICKMS: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > (c == O_TICK ? 3600 : 3600000)) {
				fprintf(stderr, "relaywatch daemon: --%s: out of range\n",
				        c == O_TICK ? "tick" : "tick-ms");
				return EXIT_USAGE;
			}
			tick_ms = c == O_TICK ? v * 1000 : v;
			break;
		}
		case O_CLOCK:
			dm.clock_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "relaywatch daemon: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	dm.tick_ms = tick_ms ? (int)tick_ms : cfg->tick * 1000;
	if (pid_flag || cfg->pid_file)
		pid_path = xstrdup(pid_flag ? pid_flag : cfg->pid_file);
	dm.config_path = ctx->config_path   ? realpath(ctx->config_path, NULL)
	                 : cfg->loaded_from ? xstrdup(cfg->loaded_from)
	                                    : NULL;
	if (ctx->config_path && !dm.config_path) {
		fprintf(stderr, "relaywatch daemon: %s: %s\n", ctx->config_path, strerror(errno));
		return EXIT_USAGE;
	}
	/* what it will need, checked before anything starts: every problem,
	 * each with the file and line of its key */
	if (pid_flag && config_set(cfg, "pid_file", pid_flag) != NULL)
		config_set(cfg, "pid_file", ""); /* too long a key: pid_lock will judge it */
	if (cmd_config_validate(ctx, cmd_config_print, (void *)"daemon") > 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	fac = log_facility_by_name(cfg->syslog_facility);
	log_init_facility("relaywatch", fg ? LOG_DEST_BOTH : LOG_DEST_SYSLOG,
	                  fac < 0 ? LOG_MAIL : fac, ctx->verbose + 1);

	/* the store: an absolute path, for the children too */
	const char *db = cmd_desk_db(ctx, db_flag);
	if (db == NULL && (db = dflt = store_default_path()) == NULL) {
		fprintf(stderr, "relaywatch daemon: no store: set db or --db\n");
		rc = EXIT_USAGE;
		goto out;
	}
	/* a file: its absolute path, and the state beside it; a server URL as
	 * given, the state in this host's default store directory */
	const char *path = store_path(db);
	dm.db = path == NULL || path[0] == '/'
	            ? xstrdup(db)
	            : xasprintf("%s/%s", getenv("PWD") ? getenv("PWD") : ".", path);
	store_redact(dm.db, dm.db_shown, sizeof(dm.db_shown));
	if ((dm.st = cmd_store_open("daemon", dm.db, 1, &rc)) == NULL)
		goto out;
	if (store_path(dm.db) != NULL)
		dm.statedir = xasprintf("%s.d", store_path(dm.db));
	else if ((dm.statedir = store_local_path()) != NULL) {
		char *d = xasprintf("%s.d", dm.statedir);

		free(dm.statedir);
		dm.statedir = d;
		if (make_dirs(dm.statedir) < 0) {
			fprintf(stderr, "relaywatch daemon: %s: %s\n", dm.statedir,
			        strerror(errno));
			goto out;
		}
	} else {
		fprintf(stderr,
		        "relaywatch daemon: no directory for the daemon's state (no home)\n");
		goto out;
	}
	if (mkdir(dm.statedir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "relaywatch daemon: %s: %s\n", dm.statedir, strerror(errno));
		goto out;
	}
	if ((dm.desk = cmd_desk_open("daemon", ctx, dm.st, &rc)) == NULL)
		goto out;
	if ((rc = cmd_sink_identity("daemon", cfg, NULL, NULL, &dm.listen, &dm.canary)) != 0)
		goto out;
	rc = EXIT_RUNTIME;
	if (!cfg->token_key || token_key_load(cfg->token_key, 1, &dm.key, err, sizeof(err)) < 0) {
		fprintf(stderr, "relaywatch daemon: %s\n",
		        cfg->token_key ? err : "token_key is not set");
		goto out;
	}
	if (pid_path && (pid_fd = pid_lock(pid_path)) < 0)
		goto out;

	signal(SIGPIPE, SIG_IGN);
	if ((dm.base = event_base_new()) == NULL) {
		fprintf(stderr, "relaywatch daemon: cannot create the event loop\n");
		goto out;
	}
	if ((dm.ob = outbox_sender_new(dm.base, dm.st, cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "relaywatch daemon: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	{
		struct sink_config skc = {
		    .listen = dm.listen,
		    .canary = dm.canary,
		    .myname = cfg->helo_name,
		    .key = &dm.key,
		    .token_max_age = cfg->token_max_age,
		    .greet_wait_ms = cfg->sink_greet_wait,
		};
		if ((dm.sink = sink_new(dm.base, &skc, on_arrival, &dm, err, sizeof(err))) ==
		    NULL) {
			fprintf(stderr, "relaywatch daemon: sink: %s\n", err);
			goto out;
		}
	}
	if (cfg->web && strcmp(cfg->web, "yes") == 0) {
		dm.clock = (struct deskclock){.now_ms = desk_now, .arg = &dm};
		struct web_conf wc = {.listen = cfg->web_listen,
		                      .tls_cert = cfg->web_tls_cert,
		                      .tls_key = cfg->web_tls_key,
		                      .desk = dm.desk,
		                      .owner_key = &dm.key,
		                      .clock = &dm.clock};

		dm.wauth = web_auth_new(dm.st, RW_WEB_SESSION_TTL);
		if ((dm.web = web_server_new(dm.base, dm.st, dm.wauth, &wc, err, sizeof(err))) ==
		    NULL) {
			fprintf(stderr, "relaywatch daemon: web: %s\n", err);
			goto out;
		}
	}
	struct job_env je;
	job_env_of(&dm, &je);
	dm.jobs = jobs_new(&je);
	if (add_signal(&dm, &dm.ev_term, SIGTERM) < 0 || add_signal(&dm, &dm.ev_int, SIGINT) < 0 ||
	    add_signal(&dm, &dm.ev_hup, SIGHUP) < 0 || add_signal(&dm, &dm.ev_chld, SIGCHLD) < 0) {
		fprintf(stderr, "relaywatch daemon: cannot catch signals\n");
		goto out;
	}
	dm.tick = event_new(dm.base, -1, EV_PERSIST, on_tick, &dm);
	struct timeval tv = {dm.tick_ms / 1000, (dm.tick_ms % 1000) * 1000};
	if (dm.tick == NULL || event_add(dm.tick, &tv) < 0) {
		fprintf(stderr, "relaywatch daemon: cannot set the timer\n");
		goto out;
	}

	/* recovery: a results notice sent just before a crash, a sweep cut short */
	read_clock(&dm);
	int fed = outbox_sender_resume(dm.st, dm.desk);
	if (fed > 0)
		rw_log(LOG_NOTICE, "daemon event=recovered notices_fed=%d", fed);
	resume_sweep(&dm);

	rw_log(LOG_NOTICE, "daemon event=started pid=%ld db=%s sink=%s canary=%s tick_ms=%d%s",
	       (long)getpid(), dm.db_shown, dm.listen, dm.canary, dm.tick_ms,
	       dm.clock_file ? " clock=file" : "");
	sd_notify_send("READY=1");
	event_active(dm.tick, 0, 0); /* a first look now */
	event_base_dispatch(dm.base);
	rc = EXIT_CLEAN;
	rw_log(LOG_NOTICE, "daemon event=stopped");
out:
	dm.jobs = jobs_free(dm.jobs);
	dm.ob = outbox_sender_free(dm.ob);
	dm.sink = sink_free(dm.sink);
	dm.web = web_server_free(dm.web);
	dm.wauth = web_auth_free(dm.wauth);
	if (dm.tick)
		event_free(dm.tick);
	struct event *evs[] = {dm.ev_term, dm.ev_int, dm.ev_hup, dm.ev_chld};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i])
			event_free(evs[i]);
	if (dm.base)
		event_base_free(dm.base);
	dm.desk = desk_free(dm.desk);
	dm.st = store_close(dm.st);
	memset(&dm.key, 0, sizeof(dm.key));
	if (pid_fd >= 0) {
		unlink(pid_path);
		close(pid_fd);
	}
	free(dm.listen);
	free(dm.canary);
	free(dm.db);
	free(dm.statedir);
	free(dm.config_path);
	free(pid_path);
	free(dflt);
	return rc;
}
