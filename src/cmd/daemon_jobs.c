/*
 * NAME
 *	daemon_jobs - the daemon's scans as child processes
 * SUMMARY
 *	fork + exec of `relaywatch scan`, reaping, a queue of retests
 * SYNOPSIS
 *	struct jobs *jobs_new(const struct job_env *env);
 *	int jobs_retest(struct jobs *j, int64_t incident, const char *addr, unsigned port,
 *		int proxy);
 *	int jobs_sweep(struct jobs *j, const char *targets, const char *ports, const char *probes,
 *		const char *exclude, int64_t resume);
 *	void jobs_reap(struct jobs *j, jobs_done_fn *fn, void *arg);
 * DESCRIPTION
 *	The child's argument vector is built here and passed to execv: no
 *	shell ever sees an address or a flag. The child's stdin and stdout
 *	are /dev/null (its results go to the store), its stderr is the
 *	daemon's. Each child writes its scan id to DIR/job-PID.id
 *	(--id-file), read when it ends (and for a sweep while it runs).
 * DIAGNOSTICS
 *	fork and exec failures are logged; an exec failure ends the child
 *	with status 127.
 * LIMITS
 *	JOBS_MAX children at once (retests beyond max_retests wait in a
 *	queue of JOBS_QUEUE_MAX; more are dropped and logged: the desk hands
 *	the test out again after its lease).
 */
#include "daemon_jobs.h"
#include "../core/log.h"
#include "../core/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define JOBS_MAX       64
#define JOBS_QUEUE_MAX 4096
#define JOBS_ARGS_MAX  128

struct job {
	pid_t pid;
	enum job_kind kind;
	int64_t incident;
	char addr[64];
	unsigned port;
	int proxy; /* the retest runs the proxy probe */
	char *idfile;
};

struct pending {
	int64_t incident;
	char addr[64];
	unsigned port;
	int proxy;
};

struct jobs {
	struct job_env env;
	struct job run[JOBS_MAX];
	size_t nrun;
	struct pending *q;
	size_t nq;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void env_free(struct job_env *e)
{
	free((char *)e->self);
	free((char *)e->config_path);
	free((char *)e->db);
	free((char *)e->dir);
	free((char *)e->scan_args);
	free((char *)e->canary);
	memset(e, 0, sizeof(*e));
}

void jobs_configure(struct jobs *j, const struct job_env *env)
{
	struct job_env e = {
	    .self = dup_or_null(env->self),
	    .config_path = dup_or_null(env->config_path),
	    .db = dup_or_null(env->db),
	    .dir = dup_or_null(env->dir),
	    .scan_args = dup_or_null(env->scan_args),
	    .canary = dup_or_null(env->canary),
	    .max_retests = env->max_retests,
	};

	if (e.max_retests <= 0 || e.max_retests > JOBS_MAX - 1)
		e.max_retests = 8;
	env_free(&j->env);
	j->env = e;
}

struct jobs *jobs_new(const struct job_env *env)
{
	struct jobs *j = xcalloc(1, sizeof(*j));

	jobs_configure(j, env);
	j->q = xcalloc(JOBS_QUEUE_MAX, sizeof(*j->q));
	return j;
}

struct jobs *jobs_free(struct jobs *j)
{
	if (j == NULL)
		return NULL;
	for (size_t i = 0; i < j->nrun; i++)
		kill(j->run[i].pid, SIGTERM);
	for (int t = 0; t < 30 && j->nrun; t++) {
		for (size_t i = 0; i < j->nrun;) {
			if (waitpid(j->run[i].pid, NULL, WNOHANG) == j->run[i].pid) {
				unlink(j->run[i].idfile);
				free(j->run[i].idfile);
				j->run[i] = j->run[--j->nrun];
			} else
				i++;
		}
		if (j->nrun) {
			struct timespec ts = {0, 100 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	for (size_t i = 0; i < j->nrun; i++) {
		kill(j->run[i].pid, SIGKILL);
		waitpid(j->run[i].pid, NULL, 0);
		unlink(j->run[i].idfile);
		free(j->run[i].idfile);
	}
	free(j->q);
	env_free(&j->env);
	free(j);
	return NULL;
}

/* split_args - scan_args into av (a copy owned by *buf) */
static size_t split_args(const char *s, char **buf, const char **av, size_t max)
{
	size_t n = 0;

	*buf = xstrdup(s ? s : "");
	for (char *save = NULL, *t = strtok_r(*buf, " \t", &save); t && n < max;
	     t = strtok_r(NULL, " \t", &save))
		av[n++] = t;
	return n;
}

/* spawn - fork and exec the scan with the common flags then extra; the
 * child's pid, or -1 */
static pid_t spawn(struct jobs *j, struct job *job, const char *const *extra, size_t nextra)
{
	const char *av[JOBS_ARGS_MAX + 16];
	char *argbuf = NULL;
	size_t n = 0;
	pid_t pid;
	static unsigned seq;

	job->idfile = xasprintf("%s/job-%ld-%u.id", j->env.dir, (long)getpid(), ++seq);
	unlink(job->idfile);
	av[n++] = "relaywatch";
	if (j->env.config_path) {
		av[n++] = "--config";
		av[n++] = j->env.config_path;
	}
	av[n++] = "scan";
	av[n++] = "--no-sink";
	av[n++] = "--db";
	av[n++] = j->env.db;
	av[n++] = "-v"; /* transcripts in the stored evidence: notices quote them */
	if (j->env.canary) {
		av[n++] = "--canary"; /* the domain the daemon's sink accepts */
		av[n++] = j->env.canary;
	}
	av[n++] = "--id-file";
	av[n++] = job->idfile;
	/* room: the extra flags always fit; scan_args takes what is left */
	size_t room = n + nextra < JOBS_ARGS_MAX ? JOBS_ARGS_MAX - n - nextra : 0;
	n += split_args(j->env.scan_args, &argbuf, av + n, room);
	for (size_t i = 0; i < nextra && n < sizeof(av) / sizeof(av[0]) - 1; i++)
		av[n++] = extra[i];
	av[n] = NULL;
	pid = fork();
	if (pid < 0) {
		rw_log(LOG_ERR, "jobs event=fork-failed error=\"%s\"", strerror(errno));
		free(argbuf);
		free(job->idfile);
		job->idfile = NULL;
		return -1;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(127); /* the daemon is already gone */
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			if (fd > 2)
				close(fd);
		}
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execv(j->env.self, (char *const *)av);
		fprintf(stderr, "relaywatch daemon: exec %s: %s\n", j->env.self, strerror(errno));
		_exit(127);
	}
	free(argbuf);
	return pid;
}

static int busy_incident(const struct jobs *j, int64_t incident)
{
	for (size_t i = 0; i < j->nrun; i++)
		if (j->run[i].kind == JOB_RETEST && j->run[i].incident == incident)
			return 1;
	for (size_t i = 0; i < j->nq; i++)
		if (j->q[i].incident == incident)
			return 1;
	return 0;
}

static int start_retest(struct jobs *j, const struct pending *p)
{
	struct job *job = &j->run[j->nrun];
	char port[8];
	const char *extra[5];
	int n = 0;

	memset(job, 0, sizeof(*job));
	job->kind = JOB_RETEST;
	job->incident = p->incident;
	snprintf(job->addr, sizeof(job->addr), "%s", p->addr);
	job->port = p->port;
	job->proxy = p->proxy;
	snprintf(port, sizeof(port), "%u", p->port ? p->port : 25);
	extra[n++] = "--ports";
	extra[n++] = port;
	if (p->proxy) {
		extra[n++] = "--probe";
		extra[n++] = "proxy";
	}
	extra[n++] = job->addr;
	if ((job->pid = spawn(j, job, extra, n)) < 0)
		return -1;
	rw_log(LOG_INFO, "jobs event=retest incident=%lld host=%s port=%u probe=%s pid=%ld",
	       (long long)p->incident, p->addr, p->port, p->proxy ? "proxy" : "smtp",
	       (long)job->pid);
	j->nrun++;
	return 0;
}

int jobs_running(const struct jobs *j, enum job_kind kind)
{
	int n = 0;

	for (size_t i = 0; i < j->nrun; i++)
		n += j->run[i].kind == kind;
	return n;
}

int jobs_retest(struct jobs *j, int64_t incident, const char *addr, unsigned port, int proxy)
{
	struct pending p = {.incident = incident, .port = port, .proxy = proxy};

	if (busy_incident(j, incident))
		return 0;
	snprintf(p.addr, sizeof(p.addr), "%s", addr);
	if (jobs_running(j, JOB_RETEST) < j->env.max_retests && j->nrun < JOBS_MAX)
		return start_retest(j, &p);
	if (j->nq == JOBS_QUEUE_MAX) {
		rw_log(LOG_WARNING, "jobs event=queue-full incident=%lld", (long long)incident);
		return -1;
	}
	j->q[j->nq++] = p;
	return 0;
}

/* write_targets - one target a line, from a space-separated list */
static int write_targets(const char *path, const char *targets)
{
	FILE *fp = fopen(path, "w");
	int bad = 0;

	if (fp == NULL)
		return -1;
	for (const char *p = targets ? targets : ""; *p;) {
		size_t k = strcspn(p, " \t,");
		if (k)
			bad |= fprintf(fp, "%.*s\n", (int)k, p) < 0;
		p += k;
		p += strspn(p, " \t,");
	}
	if (fclose(fp) != 0 || bad)
		return -1;
	return 0;
}

int jobs_sweep(struct jobs *j, const char *targets, const char *ports, const char *probes,
               const char *exclude, int64_t resume)
{
	const char *extra[JOBS_ARGS_MAX];
	char *tbuf = NULL, idbuf[24];
	size_t n = 0;
	struct job *job;

	if (jobs_running(j, JOB_SWEEP) || j->nrun >= JOBS_MAX)
		return -1;
	job = &j->run[j->nrun];
	memset(job, 0, sizeof(*job));
	job->kind = JOB_SWEEP;
	if (resume > 0) {
		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)resume);
		extra[n++] = "--resume";
		extra[n++] = idbuf;
	} else {
		if (ports) {
			extra[n++] = "--ports";
			extra[n++] = ports;
		}
		if (probes) {
			extra[n++] = "--probe";
			extra[n++] = probes;
		}
		if (exclude) {
			extra[n++] = "--exclude";
			extra[n++] = exclude;
		}
		/* the targets go in a file (-iL): a sweep may list thousands */
		tbuf = xasprintf("%s/sweep-targets.txt", j->env.dir);
		if (write_targets(tbuf, targets) < 0) {
			rw_log(LOG_ERR, "jobs event=sweep-failed file=%s error=\"%s\"", tbuf,
			       strerror(errno));
			free(tbuf);
			return -1;
		}
		extra[n++] = "-iL";
		extra[n++] = tbuf;
	}
	job->pid = spawn(j, job, extra, n);
	free(tbuf);
	if (job->pid < 0)
		return -1;
	rw_log(LOG_INFO, "jobs event=sweep pid=%ld resume=%lld", (long)job->pid, (long long)resume);
	j->nrun++;
	return 0;
}

static int64_t read_id(const char *path)
{
	FILE *fp = path ? fopen(path, "r") : NULL;
	long long id = 0;

	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%lld", &id) != 1)
		id = 0;
	fclose(fp);
	return (int64_t)id;
}

int64_t jobs_sweep_scan(struct jobs *j)
{
	for (size_t i = 0; i < j->nrun; i++)
		if (j->run[i].kind == JOB_SWEEP)
			return read_id(j->run[i].idfile);
	return -1;
}

void jobs_reap(struct jobs *j, jobs_done_fn *fn, void *arg)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < j->nrun; i++) {
			struct job *job = &j->run[i];
			if (job->pid != pid)
				continue;
			struct job_done d = {
			    .kind = job->kind,
			    .incident = job->incident,
			    .addr = job->addr,
			    .port = job->port,
			    .proxy = job->proxy,
			    .scan = read_id(job->idfile),
			    .status =
			        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			};
			rw_log(LOG_INFO, "jobs event=ended kind=%s pid=%ld scan=%lld status=%d",
			       job->kind == JOB_SWEEP ? "sweep" : "retest", (long)pid,
			       (long long)d.scan, d.status);
			fn(arg, &d);
			unlink(job->idfile);
			free(job->idfile);
			j->run[i] = j->run[--j->nrun];
			break;
		}
	}
	while (j->nq && jobs_running(j, JOB_RETEST) < j->env.max_retests && j->nrun < JOBS_MAX) {
		struct pending p = j->q[0];
		memmove(j->q, j->q + 1, (j->nq - 1) * sizeof(*j->q));
		j->nq--;
		start_retest(j, &p);
	}
}
