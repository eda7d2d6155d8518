/*
 * fw_run.h - run a firewall program (nft, an operator's command) without a
 * shell: fork + execvp, stdin fed from memory, stdout and stderr captured
 * (bounded), a deadline after which the child is killed.
 *
 * And the command backend's argv templates: `block_command_add = ipset add
 * rw {addr}` is split on spaces; a word that is exactly `{addr}` or
 * `{direction}` becomes the address (already validated and re-formatted
 * by the caller) or inbound/outbound as one argument, whatever it holds.
 */
#ifndef RW_FW_RUN_H
#define RW_FW_RUN_H

#include <stddef.h>

#define FW_RUN_TIMEOUT_MS 30000        /* one nft or command run */
#define FW_RUN_OUT_MAX    (256u << 20) /* stdout kept (nft -j of a million elements) */
#define FW_RUN_ERR_MAX    4096         /* stderr kept: the error message */
#define FW_ARGV_MAX       64           /* words in a command template */

struct fw_result {
	int status;    /* exit status; -1 killed by a signal or the deadline */
	int timed_out; /* the deadline killed it */
	char *out;     /* stdout, NUL-terminated, owned (fw_result_clear) */
	size_t outlen;
	char *err; /* stderr, NUL-terminated, owned; at most FW_RUN_ERR_MAX */
};

/* fw_run - run argv[0] (found on PATH, then in /usr/sbin and /sbin) with
 * in (inlen bytes; NULL: /dev/null) on its stdin, until it exits or
 * timeout_ms passes. Returns 0 when it ran (res filled: check
 * res->status), -1 when it could not start (err filled; "nft: not
 * found" when exec failed). SIGPIPE is ignored during the call. */
int fw_run(char *const argv[], const char *in, size_t inlen, int timeout_ms, struct fw_result *res,
           char *err, size_t errlen);
void fw_result_clear(struct fw_result *res);

/* fw_result_why - one line saying why a run failed ("exit 1: Error: ..."),
 * from its stderr's first line, into buf; returns buf */
const char *fw_result_why(const struct fw_result *res, char *buf, size_t len);

/* fw_template_check - NULL when tmpl is a usable command template (a
 * program, at most FW_ARGV_MAX words, `{addr}` as a whole word), else
 * the problem (static) */
const char *fw_template_check(const char *tmpl);

/* fw_template_argv - tmpl split on spaces with `{addr}` and `{direction}`
 * words replaced; NULL-terminated, owned (fw_argv_free); NULL when the
 * template is not usable */
char **fw_template_argv(const char *tmpl, const char *addr, const char *direction);
char **fw_argv_free(char **argv);

#endif
