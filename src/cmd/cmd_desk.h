/*
 * cmd_desk.h - the desk engine and store as the configuration names them,
 * for every command that acts on incidents (complaint, incident, daemon)
 */
#ifndef RW_CMD_DESK_H
#define RW_CMD_DESK_H

#include "cmd.h"

struct desk;
struct store;
struct policy;

/* CMD_DESK_ERR_MAX - room for a problem of cmd_desk_try: policy_load's
 * and desk_new's lines (each cuts the rest) */
#define CMD_DESK_ERR_MAX 4096

/* what cmd_desk_try could not do */
enum cmd_desk_fault {
	CMD_DESK_OK = 0,
	CMD_DESK_NO_POLICY, /* no `policy` key; msg says so, with the examples */
	CMD_DESK_POLICY,    /* the policy file: policy_load's "FILE:LINE: ..." lines */
	CMD_DESK_NEW,       /* desk_new: a template's problems, one a line, or the From address */
};

/* cmd_desk_err - why cmd_desk_try made no desk */
struct cmd_desk_err {
	enum cmd_desk_fault fault;
	/* CMD_DESK_NEW: the template directory tried; borrowed (the
	 * configuration's value, or a constant), else NULL */
	const char *templates;
	char msg[CMD_DESK_ERR_MAX]; /* the problem, one a line, no final newline */
};

/* cmd_desk_try - the desk on st from ctx->cfg: the policy file (key
 * `policy`), the template directory (`templates`, default the installed
 * or source tree's contrib/templates), `notify_from` (default
 * abuse_contact), `noc`, `incident_url`, operator_name. Prints nothing:
 * NULL with *err filled, for a caller that reports problems its own way. */
struct desk *cmd_desk_try(const struct cmd_ctx *ctx, struct store *st, struct cmd_desk_err *err);
/* cmd_desk_open - cmd_desk_try for a command: NULL after a message
 * "relaywatch WHO: ..." on stderr, *rc set (EXIT_USAGE for a
 * configuration problem). */
struct desk *cmd_desk_open(const char *who, const struct cmd_ctx *ctx, struct store *st, int *rc);
/* cmd_desk_examples - the example policies' directory, for hints */
const char *cmd_desk_examples(void);

/* cmd_desk_db - the store path: the command's --db, else the `db` key,
 * else NULL (the default store) */
const char *cmd_desk_db(const struct cmd_ctx *ctx, const char *flag);

#endif
