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

/* cmd_desk_open - the desk on st from ctx->cfg: the policy file (key
 * `policy`), the template directory (`templates`, default the installed
 * or source tree's contrib/templates), `notify_from` (default
 * abuse_contact), `noc`, `incident_url`, operator_name. NULL after a
 * message "relaywatch WHO: ..." on stderr, *rc set (EXIT_USAGE for a
 * configuration problem). */
/* cmd_desk_examples - the example policies' directory, for hints */
const char *cmd_desk_examples(void);
struct desk *cmd_desk_open(const char *who, const struct cmd_ctx *ctx, struct store *st, int *rc);

/* cmd_desk_db - the store path: the command's --db, else the `db` key,
 * else NULL (the default store) */
const char *cmd_desk_db(const struct cmd_ctx *ctx, const char *flag);

#endif
