/*
 * daemon_jobs.h - the daemon's scans as child processes: retests of one
 * incident's host and sweeps of the configured ranges
 *
 * Each job is `relaywatch scan --no-sink --db DB -v --id-file F ...` run
 * from this very binary (/proc/self/exe), so a test runs exactly as an
 * operator's scan does (scope, exclusions, rate limits, resume) and its
 * results land in the store; the daemon's sink proves the relaying. A
 * crash in a test cannot take the daemon down, and a child dies with the
 * daemon (PR_SET_PDEATHSIG).
 */
#ifndef RW_DAEMON_JOBS_H
#define RW_DAEMON_JOBS_H

#include <stdint.h>
#include <sys/types.h>

enum job_kind { JOB_RETEST, JOB_SWEEP };

struct job_env {
	const char *self;        /* the program to run: /proc/self/exe */
	const char *config_path; /* --config for the child, NULL: none */
	const char *db;          /* --db */
	const char *dir;         /* where id files go (exists, writable) */
	const char *scan_args;   /* extra flags, split on spaces; NULL none */
	const char *canary;      /* --canary: the daemon's sink's domain */
	int max_retests;         /* retests at once */
};

/* what a finished job reports */
struct job_done {
	enum job_kind kind;
	int64_t incident; /* JOB_RETEST */
	const char *addr; /* JOB_RETEST */
	unsigned port;    /* JOB_RETEST */
	int proxy;        /* JOB_RETEST: it ran the proxy probe */
	int64_t scan;     /* the store's scan id from the id file; 0 unknown */
	int status;       /* exit status, or 128 + signal */
};

struct jobs;
typedef void jobs_done_fn(void *arg, const struct job_done *d);

/* jobs_new - env's strings are copied */
struct jobs *jobs_new(const struct job_env *env);
/* jobs_configure - a new env (a reload) for the jobs started from now on */
void jobs_configure(struct jobs *j, const struct job_env *env);
/* jobs_free - sends SIGTERM to every child, waits up to 3 s, then
 * SIGKILL; NULL ok; returns NULL */
struct jobs *jobs_free(struct jobs *j);
/* jobs_retest - test addr:port for incident: started now, or queued when
 * max_retests run (an incident already being tested is not doubled).
 * 0, or -1 (fork failed: logged) */
int jobs_retest(struct jobs *j, int64_t incident, const char *addr, unsigned port, int proxy);
/* jobs_sweep - a scan of targets (space separated) on ports (NULL: the
 * scan's default), excluding the exclude file (NULL: none); resume > 0
 * goes on with that stored scan instead. The scan's id is known once its
 * child has written it: jobs_sweep_scan. 0, or -1. */
int jobs_sweep(struct jobs *j, const char *targets, const char *ports, const char *probes,
               const char *exclude, int64_t resume);
/* jobs_sweep_scan - the running sweep's stored scan id (0: not known
 * yet), -1 when no sweep runs */
int64_t jobs_sweep_scan(struct jobs *j);
/* jobs_reap - collect every child that has ended (SIGCHLD), call fn for
 * each, start queued retests */
void jobs_reap(struct jobs *j, jobs_done_fn *fn, void *arg);
/* jobs_running - children of kind */
int jobs_running(const struct jobs *j, enum job_kind kind);

#endif
