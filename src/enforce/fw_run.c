/*
 * NAME
 *	fw_run - run nft or an operator's firewall command, no shell
 * SUMMARY
 *	fork + execvp with stdin from memory, bounded output, a deadline
 * SYNOPSIS
 *	int fw_run(char *const argv[], const char *in, size_t inlen, int timeout_ms,
 *		   struct fw_result *res, char *err, size_t errlen);
 *	const char *fw_template_check(const char *tmpl);
 *	char **fw_template_argv(const char *tmpl, const char *addr, const char *direction);
 * DESCRIPTION
 *	fw_run() is synchronous: the daemon calls it from its tick, so every
 *	run is bounded by timeout_ms (the child is killed with SIGKILL and
 *	reaped). The child gets its own stdin, stdout and stderr pipes and no
 *	other descriptor of ours (all are close-on-exec). No argument ever
 *	passes through a shell: a template's words go to execvp as they are,
 *	and `{addr}` / `{direction}` replace whole words only.
 * DIAGNOSTICS
 *	-1 and err when pipe, fork or exec fail; the child's exit status and
 *	stderr otherwise.
 * LIMITS
 *	FW_RUN_OUT_MAX bytes of stdout, FW_RUN_ERR_MAX of stderr (the rest is
 *	read and dropped), FW_ARGV_MAX words per template.
 */
#include "fw_run.h"

#include "../core/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* child - wire the pipes to 0, 1, 2 and exec; never returns */
static void child(char *const argv[], int in, int out, int errfd)
{
	char path[256];

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	if (errno == ENOENT && strchr(argv[0], '/') == NULL) {
		/* root's tools when the daemon's PATH lacks sbin */
		snprintf(path, sizeof(path), "/usr/sbin/%s", argv[0]);
		execv(path, argv);
		snprintf(path, sizeof(path), "/sbin/%s", argv[0]);
		execv(path, argv);
	}
	dprintf(2, "%s: cannot run: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* keep - append what was read to a bounded buffer; past the cap it is dropped */
static void keep(char **buf, size_t *len, size_t *alloc, size_t cap, const char *p, size_t n)
{
	if (*len + n > cap)
		n = cap - *len;
	if (n == 0)
		return;
	if (*len + n + 1 > *alloc) {
		*alloc = (*len + n + 1) * 2;
		*buf = xrealloc(*buf, *alloc);
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

int fw_run(char *const argv[], const char *in, size_t inlen, int timeout_ms, struct fw_result *res,
           char *err, size_t errlen)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
	size_t off = 0, oalloc = 0, ealloc = 0, elen = 0;
	long long deadline = mono_ms() + timeout_ms;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	int status = 0, rc = -1;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, pin[0], pout[1], perr[1]);
	sigaction(SIGPIPE, &ign, &old);
	close(pin[0]), close(pout[1]), close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	if (in == NULL || inlen == 0) {
		close(pin[1]);
		pin[1] = -1;
	} else {
		fcntl(pin[1], F_SETFL, O_NONBLOCK);
	}
	res->out = xstrdup("");
	res->err = xstrdup("");
	oalloc = ealloc = 1;
	while (pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd pf[3];
		int n = 0, left = (int)(deadline - mono_ms());
		char buf[65536];

		if (left <= 0) {
			res->timed_out = 1;
			break;
		}
		if (pin[1] >= 0)
			pf[n++] = (struct pollfd){.fd = pin[1], .events = POLLOUT};
		if (pout[0] >= 0)
			pf[n++] = (struct pollfd){.fd = pout[0], .events = POLLIN};
		if (perr[0] >= 0)
			pf[n++] = (struct pollfd){.fd = perr[0], .events = POLLIN};
		if (poll(pf, (nfds_t)n, left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (pf[i].revents == 0)
				continue;
			if (pf[i].fd == pin[1]) {
				ssize_t w = write(pin[1], in + off, inlen - off);

				if (w > 0)
					off += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == inlen) {
					close(pin[1]);
					pin[1] = -1;
				}
				continue;
			}
			ssize_t r = read(pf[i].fd, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				close(pf[i].fd);
				if (pf[i].fd == pout[0])
					pout[0] = -1;
				else
					perr[0] = -1;
				continue;
			}
			if (pf[i].fd == pout[0])
				keep(&res->out, &res->outlen, &oalloc, FW_RUN_OUT_MAX, buf,
				     (size_t)r);
			else
				keep(&res->err, &elen, &ealloc, FW_RUN_ERR_MAX, buf, (size_t)r);
		}
	}
	if (res->timed_out)
		kill(pid, SIGKILL);
	else
		/* both pipes closed: the child is exiting; still bounded */
		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (mono_ms() > deadline) {
				res->timed_out = 1;
				kill(pid, SIGKILL);
				break;
			}
			usleep(2000);
		}
	if (res->timed_out)
		waitpid(pid, &status, 0);
	sigaction(SIGPIPE, &old, NULL);
	if (!res->timed_out && WIFEXITED(status))
		res->status = WEXITSTATUS(status);
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		int *fds[] = {&pin[i], &pout[i], &perr[i]};
		for (int k = 0; k < 3; k++)
			if (*fds[k] >= 0)
				close(*fds[k]);
	}
	return rc;
}

void fw_result_clear(struct fw_result *res)
{
	free(res->out);
	free(res->err);
	memset(res, 0, sizeof(*res));
}

const char *fw_result_why(const struct fw_result *res, char *buf, size_t len)
{
	const char *e = res->err ? res->err : "";
	char line[512];
	size_t n = 0;

	/* nft's useful line is the one with "Error:", usually the first */
	const char *p = strstr(e, "Error:");
	if (p == NULL)
		p = e;
	while (p[n] && p[n] != '\n' && n < sizeof(line) - 1) {
		line[n] = (unsigned char)p[n] < 0x20 ? ' ' : p[n];
		n++;
	}
	line[n] = '\0';
	if (res->timed_out)
		snprintf(buf, len, "timed out%s%s", n ? ": " : "", line);
	else if (res->status < 0)
		snprintf(buf, len, "killed by a signal%s%s", n ? ": " : "", line);
	else
		snprintf(buf, len, "exit %d%s%s", res->status, n ? ": " : "", line);
	return buf;
}

/* words - split tmpl on spaces and tabs into an owned argv */
static char **words(const char *tmpl, size_t *n)
{
	char **v = xcalloc(FW_ARGV_MAX + 1, sizeof(*v));
	const char *p = tmpl;

	*n = 0;
	while (p && *p) {
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		if (*n == FW_ARGV_MAX) {
			fw_argv_free(v);
			*n = FW_ARGV_MAX + 1;
			return NULL;
		}
		v[*n] = xmalloc(len + 1);
		memcpy(v[*n], p, len);
		v[(*n)++][len] = '\0';
		p += len;
	}
	return v;
}

const char *fw_template_check(const char *tmpl)
{
	size_t n;
	char **v = words(tmpl, &n);
	int addr = 0, partial = 0;

	if (v == NULL)
		return "a command of at most 64 words";
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i], "{addr}") == 0)
			addr = 1;
		else if (strcmp(v[i], "{direction}") != 0 &&
		         (strstr(v[i], "{addr}") || strstr(v[i], "{direction}")))
			partial = 1;
	}
	int first = n > 0 && v[0][0] != '{';
	fw_argv_free(v);
	if (n == 0 || !first)
		return "a program to run first, then its arguments";
	if (partial)
		return "{addr} and {direction} must be whole words";
	if (!addr)
		return "the command needs an {addr} word";
	return NULL;
}

char **fw_template_argv(const char *tmpl, const char *addr, const char *direction)
{
	size_t n;
	char **v;

	if (fw_template_check(tmpl) != NULL || (v = words(tmpl, &n)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *with = strcmp(v[i], "{addr}") == 0        ? addr
		                   : strcmp(v[i], "{direction}") == 0 ? direction
		                                                      : NULL;
		if (with) {
			free(v[i]);
			v[i] = xstrdup(with);
		}
	}
	return v;
}

char **fw_argv_free(char **argv)
{
	if (argv)
		for (size_t i = 0; argv[i]; i++)
			free(argv[i]);
	free(argv);
	return NULL;
}
