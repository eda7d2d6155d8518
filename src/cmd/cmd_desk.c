/*
 * NAME
 *	cmd_desk - the desk engine as the configuration names it
 * SUMMARY
 *	policy file, templates, sender and NOC from relaywatch.conf
 * SYNOPSIS
 *	struct desk *cmd_desk_try(const struct cmd_ctx *ctx, struct store *st,
 *		struct cmd_desk_err *err);
 *	struct desk *cmd_desk_open(const char *who, const struct cmd_ctx *ctx,
 *		struct store *st, int *rc);
 *	const char *cmd_desk_db(const struct cmd_ctx *ctx, const char *flag);
 * DESCRIPTION
 *	cmd_desk_try loads the policy file of the `policy` key (every
 *	problem reported), finds the template directory (`templates`, else
 *	RW_TEMPLATE_DIR_INSTALLED when it exists, else the source tree's
 *	contrib/templates the binary was built from: the Makefile's
 *	$(B)/paths.h sets both) and builds the engine with notify_from
 *	(else abuse_contact), noc, incident_url and operator_name. It prints
 *	nothing: what failed comes back in the caller's err, so `config
 *	check` can place each problem at its file and line.
 *	cmd_desk_open is cmd_desk_try for a command: the problem goes to
 *	stderr. Every command that acts on incidents opens the desk here, so
 *	the complaint intake, the operator's commands and the daemon run one
 *	policy.
 * DIAGNOSTICS
 *	cmd_desk_try: NULL with err filled (cmd_desk.h). cmd_desk_open: NULL
 *	after "relaywatch WHO: ..." on stderr, *rc EXIT_USAGE (no policy, a
 *	bad policy, a missing or bad template, an unusable From address).
 * LIMITS
 *	the policy's and the templates' (policy.h, template.h);
 *	CMD_DESK_ERR_MAX bytes of problems (policy_load and desk_new cut the
 *	rest).
 */
#include "cmd_desk.h"
#include "../desk/desk.h"
#include "../desk/policy.h"
#include "../smtp/token.h"
#include "../store/store.h"

#include <stdio.h>
#include <unistd.h>

#ifndef RW_TEMPLATE_DIR_INSTALLED
#define RW_TEMPLATE_DIR_INSTALLED "/usr/share/relaywatch/templates"
#endif
#ifndef RW_EXAMPLES_DIR
#define RW_EXAMPLES_DIR "/usr/share/doc/relaywatch/examples"
#endif
#ifndef RW_TEMPLATE_DIR_SOURCE
#define RW_TEMPLATE_DIR_SOURCE "contrib/templates"
#endif

const char *cmd_desk_db(const struct cmd_ctx *ctx, const char *flag)
{
	return flag ? flag : ctx->cfg->db;
}

/* cmd_desk_examples - where the example policies are: the installed
 * examples directory when it is there, else the source tree's */
const char *cmd_desk_examples(void)
{
	return access(RW_EXAMPLES_DIR "/policies", R_OK) == 0 ? RW_EXAMPLES_DIR "/policies/"
	                                                      : "contrib/policies/ in the sources";
}

/* cmd_desk_try - the desk from the configuration, or NULL and why in err */
struct desk *cmd_desk_try(const struct cmd_ctx *ctx, struct store *st, struct cmd_desk_err *err)
{
	const struct rw_config *cfg = ctx->cfg;
	struct policy p;
	const char *tdir = cfg->templates;
	struct desk *d;

	err->fault = CMD_DESK_OK;
	err->templates = NULL;
	err->msg[0] = '\0';
	if (cfg->policy == NULL) {
		err->fault = CMD_DESK_NO_POLICY;
		snprintf(err->msg, sizeof(err->msg),
		         "no policy: set `policy = FILE` in the configuration (examples: %s)",
		         cmd_desk_examples());
		return NULL;
	}
	policy_defaults(&p);
	if (policy_load(cfg->policy, &p, err->msg, sizeof(err->msg)) != 0) {
		err->fault = CMD_DESK_POLICY;
		return NULL;
	}
	if (tdir == NULL)
		tdir = access(RW_TEMPLATE_DIR_INSTALLED, R_OK) == 0 ? RW_TEMPLATE_DIR_INSTALLED
		                                                    : RW_TEMPLATE_DIR_SOURCE;
	/* the owner's link needs the token key; without it notices carry none */
	struct token_key key;
	char kerr[512];
	int have_key = cfg->token_key && cfg->incident_url &&
	               token_key_load(cfg->token_key, 0, &key, kerr, sizeof(kerr)) == 0;
	struct desk_config dc = {
	    .policy = &p,
	    .template_dir = tdir,
	    .from = cfg->notify_from ? cfg->notify_from : cfg->abuse_contact,
	    .operator_name = cfg->operator_name,
	    .noc = cfg->noc,
	    .incident_url = cfg->incident_url,
	    .owner_key = have_key ? &key : NULL,
	};
	if ((d = desk_new(st, &dc, err->msg, sizeof(err->msg))) == NULL) {
		err->fault = CMD_DESK_NEW;
		err->templates = tdir;
	}
	return d;
}

/* cmd_desk_open - cmd_desk_try, its problem on stderr */
struct desk *cmd_desk_open(const char *who, const struct cmd_ctx *ctx, struct store *st, int *rc)
{
	struct cmd_desk_err err;
	struct desk *d;

	*rc = EXIT_USAGE;
	if ((d = cmd_desk_try(ctx, st, &err)) != NULL) {
		*rc = 0;
		return d;
	}
	switch (err.fault) {
	case CMD_DESK_POLICY:
		fprintf(stderr, "relaywatch %s: policy %s:\n%s\n", who, ctx->cfg->policy, err.msg);
		break;
	case CMD_DESK_NEW:
		fprintf(stderr, "relaywatch %s: desk (policy %s, templates %s): %s\n", who,
		        ctx->cfg->policy, err.templates, err.msg);
		break;
	default:
		fprintf(stderr, "relaywatch %s: %s\n", who, err.msg);
		break;
	}
	return NULL;
}
