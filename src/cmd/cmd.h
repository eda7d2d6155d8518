/*
 * cmd.h - subcommands of the relaywatch program
 *
 * Each subcommand parses its own flags (getopt_long, from argv[0] = the
 * subcommand name), may override cfg, and returns an exit status.
 */
#ifndef RW_CMD_H
#define RW_CMD_H

#include "../core/config.h"

/* Exit statuses (relaywatch(1)). */
enum {
	EXIT_CLEAN = 0,   /* no open or suspect relay found / success */
	EXIT_FOUND = 1,   /* at least one open or suspect relay */
	EXIT_USAGE = 2,   /* usage or configuration error */
	EXIT_RUNTIME = 3, /* could not run (bind failed, key unreadable ...) */
};

struct cmd_ctx {
	struct rw_config *cfg;
	const char *config_path; /* NULL: default path, silently optional */
	int verbose;
};

int cmd_test(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_sink(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_scan(int argc, char **argv, struct cmd_ctx *ctx);
/* cmd_scan_stopped - the last cmd_scan() was stopped by SIGINT or SIGTERM */
int cmd_scan_stopped(void);
int cmd_scans(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_results(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_notify(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_contacts(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_complaint(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_incidents(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_incident(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_report(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_daemon(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_dnsbl(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_delist(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_block(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_user(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_web(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_worker(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_feed(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_migrate(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_config(int argc, char **argv, struct cmd_ctx *ctx);

/* cmd_config_validate - what the daemon needs of ctx->cfg, checked without
 * binding a socket or opening the store: the policy file, the From address,
 * the templates, the token key, the sink's address and canary, the
 * smarthost's settings, the console's TLS files, the pid file's directory.
 * Every problem to fn, with the file and line of the key it concerns (an
 * unset key: the configuration file, line 0). Prints nothing itself.
 * Returns the number of problems (cmd_config.c). */
int cmd_config_validate(const struct cmd_ctx *ctx, config_problem_fn *fn, void *arg);
/* cmd_config_print - a config_problem_fn: "relaywatch WHO: FILE:LINE:
 * problem (hint: ...)" on stderr; who (a const char *) NULL: "relaywatch:" */
void cmd_config_print(void *who, const struct config_problem *p);

/* CMD_SINK_ERR_MAX - room for a problem of cmd_sink_check: a listen
 * address of the configuration (RW_DOMAIN_MAX) quoted with its reason; a
 * longer one (a flag's) is cut */
#define CMD_SINK_ERR_MAX 512

/* cmd_sink_err - why cmd_sink_check refused */
struct cmd_sink_err {
	const char *key;  /* the key to change: "sink_listen" or "canary_domain" */
	const char *hint; /* what to do, a constant; NULL: none */
	char msg[CMD_SINK_ERR_MAX];
};

/* cmd_sink_check - the sink's listen address and canary from the flags
 * (NULL: none) or the configuration (cmd_sink.c): 0 with both owned, or
 * -1 with both NULL and *err filled; prints nothing */
int cmd_sink_check(const struct rw_config *cfg, const char *listen_arg, const char *canary_arg,
                   char **listen, char **canary, struct cmd_sink_err *err);
/* cmd_sink_identity - cmd_sink_check for a command: 0 with both owned, or
 * EXIT_USAGE after "relaywatch WHO: problem; hint" on stderr */
int cmd_sink_identity(const char *who, const struct rw_config *cfg, const char *listen_arg,
                      const char *canary_arg, char **listen, char **canary);

/* cmd_read_secret - the first line of a file (a password), without its
 * line end; owned, NULL when unreadable (cmd_notify.c) */
char *cmd_read_secret(const char *path);

struct store;
/* cmd_store_open - the --db store (NULL: the default one) at the current
 * schema, or NULL after a message with *rc set; create 0: a missing
 * default store is an error, not created (cmd_scans.c) */
struct store *cmd_store_open(const char *cmd, const char *db, int create, int *rc);

#endif
