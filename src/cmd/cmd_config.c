/*
 * NAME
 *	cmd_config - relaywatch config check: the whole configuration, as the
 *	daemon would take it, every problem with its file and line
 * SUMMARY
 *	relaywatch [--config FILE] config check [--json] [POLICY...]
 * SYNOPSIS
 *	int cmd_config(int argc, char **argv, struct cmd_ctx *ctx);
 *	int cmd_config_validate(const struct cmd_ctx *ctx,
 *		config_problem_fn *fn, void *arg);
 *	void cmd_config_print(void *who, const struct config_problem *p);
 * DESCRIPTION
 *	cmd_config() reads FILE (default RW_CONFIG_DEFAULT_PATH, which must
 *	exist here) and its drop-ins going on past every bad line, then runs
 *	cmd_config_validate(); each problem goes to stderr as "FILE:LINE:
 *	problem (hint: ...)", or into one JSON object on stdout. main.c
 *	leaves the loading to it (a configuration with problems is what it
 *	is for).
 *	cmd_config_validate() checks what the daemon needs at start-up
 *	without binding a socket or opening the store: the policy file (its
 *	own problems at its own lines), the From address, the templates the
 *	policy names (through cmd_desk_try, which knows the template
 *	directory's fallbacks), the token key (readable, or creatable), the
 *	sink's address and canary (cmd_sink_check), the smarthost's
 *	address, AUTH pair, password file and CA file, the console's TLS
 *	files, the pid file's directory, sweep_exclude and dnsbl_output's
 *	directory. A problem of a key names the file and line that set it
 *	(config_where); of an unset key, the configuration file (line 0).
 *	cmd_desk_try and cmd_sink_check are the checks the commands run,
 *	with the problem returned instead of printed: the desk's lines with
 *	the template directory it tried (a template's own problem keeps its
 *	FILE:LINE), the sink's text with the key at fault and a hint. So
 *	each check is written once, and nothing is printed behind fn.
 *	cmd_config_print() is a config_problem_fn for "relaywatch WHO: ..."
 *	lines on stderr (who NULL: "relaywatch: ...").
 * DIAGNOSTICS
 *	cmd_config: exit 0 and "config ok: FILE (+ N drop-ins), policy FILE"
 *	on stdout when clean, 1 with the problems, 2 for a usage error.
 *	cmd_config_validate: the number of problems.
 * LIMITS
 *	CHECK_POLICY_ERR_MAX bytes of policy problems (policy_load cuts the
 *	rest with "..."); as the daemon checks, as the user who runs it.
 * STANDARDS
 *	none (doc/cli.md, relaywatch.conf(5)).
 */
#include "cmd.h"
#include "cmd_desk.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"
#include "../desk/desk.h"
#include "../desk/mailmsg.h"
#include "../desk/policy.h"
#include "../net/submit_io.h"
#include "../smtp/token.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK_POLICY_ERR_MAX 65536

/* the checks' state: the configuration and where problems go */
struct vstate {
	const struct cmd_ctx *ctx;
	const struct rw_config *cfg;
	config_problem_fn *fn;
	void *arg;
	int n;
};

/* report - one problem at file:line */
static void report(struct vstate *v, const char *file, int line, const char *key, const char *hint,
                   const char *text)
{
	struct config_problem p = {
	    .file = file, .line = line, .key = key, .text = text, .hint = hint};

	v->n++;
	v->fn(v->arg, &p);
}

/* at_key - a problem of key, at the file and line that set it (unset or a
 * flag: the configuration file as a whole) */
static void at_key(struct vstate *v, const char *key, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void at_key(struct vstate *v, const char *key, const char *hint, const char *fmt, ...)
{
	const char *file = NULL;
	int line = key ? config_where(v->cfg, key, &file) : 0;
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	report(v, file ? file : v->cfg->loaded_from, line, key, hint, text);
}

/* split_at - "FILE:LINE: text" into its parts; 0 when s is not of that form */
static int split_at(char *s, char **file, int *line, char **text)
{
	/* the first ":digits: " (a path may hold a colon, not that) */
	for (char *c = strstr(s, ": "); c; c = strstr(c + 1, ": ")) {
		char *d = c;

		while (d > s && d[-1] >= '0' && d[-1] <= '9')
			d--;
		if (d == c || d == s || d[-1] != ':')
			continue;
		d[-1] = '\0';
		*file = s;
		*line = atoi(d);
		*text = c + 2;
		return 1;
	}
	return 0;
}

/* next_line - the next line of *s (cut in place), or NULL */
static char *next_line(char **s)
{
	char *l = *s, *nl;

	if (l == NULL || *l == '\0')
		return NULL;
	if ((nl = strchr(l, '\n')) != NULL) {
		*nl = '\0';
		*s = nl + 1;
	} else {
		*s = l + strlen(l);
	}
	return l;
}

/* check_policy_file - path readable, and every line of it good; problems at
 * path:line (what = the key that named it, for an unreadable file) */
static int check_policy_file(struct vstate *v, const char *path, const char *what)
{
	struct policy p;
	char *err, *rest, *l;
	int ok;

	if (access(path, R_OK) < 0) {
		if (what)
			at_key(v, what, NULL, "%s = %s: %s", what, path, strerror(errno));
		else
			report(v, path, 0, NULL, NULL, strerror(errno));
		return 0;
	}
	err = xmalloc(CHECK_POLICY_ERR_MAX);
	policy_defaults(&p);
	ok = policy_load(path, &p, err, CHECK_POLICY_ERR_MAX) == 0;
	for (rest = err; !ok && (l = next_line(&rest)) != NULL;) {
		char *file, *text;
		int line;

		/* policy_load's lines are "path:line: problem"; the path is ours */
		if (strncmp(l, path, strlen(path)) == 0 && split_at(l, &file, &line, &text))
			report(v, path, line, NULL, NULL, text);
		else
			report(v, path, 0, NULL, NULL, l);
	}
	free(err);
	return ok;
}

/* check_policy - the configuration's policy file: set, readable and good */
static int check_policy(struct vstate *v)
{
	if (v->cfg->policy == NULL) {
		char hint[256];

		snprintf(hint, sizeof(hint), "set policy = FILE; examples in %s",
		         cmd_desk_examples());
		at_key(v, NULL, hint, "no policy: the abuse desk needs one");
		return 0;
	}
	return check_policy_file(v, v->cfg->policy, "policy");
}

/* check_from - the notices' From: a mailbox with a domain */
static int check_from(struct vstate *v)
{
	const char *key = v->cfg->notify_from ? "notify_from" : "abuse_contact";
	const char *from = v->cfg->notify_from ? v->cfg->notify_from : v->cfg->abuse_contact;
	char spec[RW_MAIL_ADDR_MAX + 1];
	const char *e = from ? mailmsg_addr_spec(from, spec, sizeof(spec)) : "not set";

	if (e == NULL && strchr(spec, '@') == NULL)
		e = "no domain";
	if (e == NULL)
		return 1;
	at_key(v, key, "a mailbox: user@domain or Name <user@domain>",
	       "%s = %s: the notices' From address is unusable: %s", key, from ? from : "", e);
	return 0;
}

/* check_templates - the template directory, and every template the policy
 * names found and parsed (cmd_desk_try, a desk on no store) */
static void check_templates(struct vstate *v, int policy_ok, int from_ok)
{
	const char *dir = v->cfg->templates;
	const char *key = dir ? "templates" : "policy";
	struct cmd_desk_err err;
	struct stat st;
	struct desk *d;
	const char *tdir;
	char *rest, *l;
	int bad = 0;

	if (dir && (bad = stat(dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR) != 0) {
		at_key(v, "templates", "a directory of *.tpl files (contrib/templates)",
		       "templates = %s: %s", dir, strerror(bad));
		return;
	}
	if (!policy_ok || !from_ok)
		return; /* the desk would fail on them first */
	if ((d = cmd_desk_try(v->ctx, NULL, &err)) != NULL) {
		desk_free(d);
		return;
	}
	/* the policy changed since check_policy read it: as the desk says */
	if (err.fault == CMD_DESK_POLICY)
		at_key(v, key, NULL, "policy %s:", v->cfg->policy);
	tdir = err.fault == CMD_DESK_NEW ? err.templates : NULL;
	/* one problem a line: a template's "FILE:LINE: ...", or one of the
	 * template directory (a template the policy names is missing) */
	for (rest = err.msg; (l = next_line(&rest)) != NULL;) {
		char *file, *text;
		int line;

		if (*l == '\0')
			continue;
		if (split_at(l, &file, &line, &text)) /* a template's own line */
			report(v, file, line, NULL, NULL, text);
		else if (tdir && strncmp(l, tdir, strlen(tdir)) == 0 && l[strlen(tdir)] == ':')
			at_key(v, key,
			       "the policy's [notify] names it: add the file or change the policy",
			       "%s %s:%s", dir ? "templates =" : "template directory", tdir,
			       l + strlen(tdir) + 1);
		else
			at_key(v, key, NULL, "%s", l);
	}
}

/* parent - the directory of path; owned */
static char *parent(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == NULL   ? xstrdup(".")
	       : slash == path ? xstrdup("/")
	                       : xasprintf("%.*s", (int)(slash - path), path);
}

/* creatable - a missing key file token_key_load can make: its directory
 * writable, or missing (it makes that one level) in a writable one */
static int creatable(const char *path)
{
	char *dir = parent(path), *up = parent(dir);
	int ok = access(dir, W_OK | X_OK) == 0 || (errno == ENOENT && access(up, W_OK | X_OK) == 0);

	free(up);
	free(dir);
	return ok;
}

/* check_key - the token key: readable and private, or creatable */
static void check_key(struct vstate *v)
{
	const char *path = v->cfg->token_key;
	struct token_key key;
	char err[512];

	if (path == NULL || *path == '\0') {
		at_key(v, "token_key", "token_key = FILE (it is made when missing)",
		       "token_key is not set");
		return;
	}
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		if (!creatable(path))
			at_key(v, "token_key", "create it, or let this user write its directory",
			       "token_key = %s: missing, and it cannot be made", path);
		return;
	}
	if (token_key_load(path, 0, &key, err, sizeof(err)) < 0)
		at_key(v, "token_key", NULL, "token_key: %s", err);
	memset(&key, 0, sizeof(key));
}

/* check_sink - the sink's listen address and canary, as the daemon takes them */
static void check_sink(struct vstate *v)
{
	struct cmd_sink_err err;
	char *listen, *canary;
	const char *value;

	if (cmd_sink_check(v->cfg, NULL, NULL, &listen, &canary, &err) == 0) {
		free(listen);
		free(canary);
		return;
	}
	value = strcmp(err.key, "canary_domain") == 0 ? v->cfg->canary : v->cfg->sink_listen;
	if (value)
		at_key(v, err.key, err.hint, "%s = %s: %s", err.key, value, err.msg);
	else
		at_key(v, err.key, err.hint, "%s", err.msg);
}

/* readable - 1, or a problem of key naming the file */
static int readable(struct vstate *v, const char *key, const char *path)
{
	FILE *fp = fopen(path, "r");

	if (fp != NULL) {
		fclose(fp);
		return 1;
	}
	at_key(v, key, NULL, "%s = %s: %s", key, path, strerror(errno));
	return 0;
}

/* check_smarthost - what the outbox's sender checks when it is made */
static void check_smarthost(struct vstate *v)
{
	const struct rw_config *c = v->cfg;
	char host[RW_DOMAIN_MAX + 1], err[256];
	unsigned port;
	const char *e;
	SSL_CTX *ssl;

	if (c->smarthost == NULL)
		return; /* no notices are sent: none of the smarthost keys is used */
	if ((e = netaddr_split(c->smarthost, host, sizeof(host), &port, 25)) != NULL)
		at_key(v, "smarthost", "HOST, HOST:PORT or [IPv6]:PORT", "smarthost = %s: %s",
		       c->smarthost, e);
	if ((c->smarthost_auth_user == NULL) != (c->smarthost_auth_pass_file == NULL))
		at_key(v,
		       c->smarthost_auth_user ? "smarthost_auth_user" : "smarthost_auth_pass_file",
		       "set both or neither",
		       "smarthost_auth_user and smarthost_auth_pass_file go together");
	if (c->smarthost_auth_pass_file)
		readable(v, "smarthost_auth_pass_file", c->smarthost_auth_pass_file);
	if (c->smarthost_ca_file && strcmp(c->smarthost_starttls, "never") != 0 &&
	    readable(v, "smarthost_ca_file", c->smarthost_ca_file)) {
		if ((ssl = submit_io_ssl_ctx(c->smarthost_ca_file, 1, err, sizeof(err))) == NULL)
			at_key(v, "smarthost_ca_file", "a PEM file of CA certificates", "%s", err);
		SSL_CTX_free(ssl);
	}
}

/* check_web - the console's certificate and key: both or neither, readable,
 * and a pair (as the web server loads them) */
static void check_web(struct vstate *v)
{
	const char *cert = v->cfg->web_tls_cert, *key = v->cfg->web_tls_key;
	SSL_CTX *ctx;

	if ((cert == NULL) != (key == NULL)) {
		at_key(v, cert ? "web_tls_cert" : "web_tls_key", "set both or neither",
		       "web_tls_cert and web_tls_key go together");
		return;
	}
	if (cert == NULL || !readable(v, "web_tls_cert", cert) || !readable(v, "web_tls_key", key))
		return;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		at_key(v, "web_tls_cert", "a PEM certificate chain", "web_tls_cert = %s: %s", cert,
		       ERR_reason_error_string(ERR_get_error()));
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	         SSL_CTX_check_private_key(ctx) != 1)
		at_key(v, "web_tls_key", "the PEM private key of web_tls_cert",
		       "web_tls_key = %s: %s", key, ERR_reason_error_string(ERR_get_error()));
	ERR_clear_error();
	SSL_CTX_free(ctx);
}

/* dir_writable - the directory of path can take a new file */
static int dir_writable(const char *path, int *err)
{
	char *dir = parent(path);
	int ok = access(dir, W_OK | X_OK) == 0;

	*err = errno;
	free(dir);
	return ok;
}

/* check_files - the pid file, sweep_exclude, dnsbl_output's directory */
static void check_files(struct vstate *v)
{
	const struct rw_config *c = v->cfg;
	int e;

	if (c->pid_file && access(c->pid_file, W_OK) < 0 &&
	    ((e = errno) != ENOENT || !dir_writable(c->pid_file, &e)))
		at_key(v, "pid_file", "a file in a directory this user may write",
		       "pid_file = %s: %s", c->pid_file, strerror(e));
	if (c->sweep_exclude)
		readable(v, "sweep_exclude", c->sweep_exclude);
	if (c->dnsbl_output && !dir_writable(c->dnsbl_output, &e))
		at_key(v, "dnsbl_output", "the zone is written beside it and renamed over it",
		       "dnsbl_output = %s: its directory: %s", c->dnsbl_output, strerror(e));
}

/* cmd_config_validate - the daemon's start-up checks, every problem to fn */
int cmd_config_validate(const struct cmd_ctx *ctx, config_problem_fn *fn, void *arg)
{
	struct vstate v = {.ctx = ctx, .cfg = ctx->cfg, .fn = fn, .arg = arg};
	int policy_ok = check_policy(&v), from_ok = check_from(&v);

	check_templates(&v, policy_ok, from_ok);
	check_key(&v);
	check_sink(&v);
	check_smarthost(&v);
	check_web(&v);
	check_files(&v);
	return v.n;
}

/* cmd_config_print - a problem as "relaywatch WHO: FILE:LINE: ..." on stderr */
void cmd_config_print(void *who, const struct config_problem *p)
{
	char line[2048];

	config_problem_format(p, line, sizeof(line));
	fprintf(stderr, "relaywatch%s%s: %s\n", who ? " " : "", who ? (const char *)who : "", line);
}

/* the command's output: problems on stderr, or collected for --json */
struct out {
	json_t *problems; /* NULL: print them */
};

static void on_problem(void *arg, const struct config_problem *p)
{
	struct out *o = arg;
	char line[2048];

	if (o->problems == NULL) {
		config_problem_format(p, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
		return;
	}
	json_array_append_new(o->problems, json_pack("{s:s?, s:i, s:s?, s:s, s:s?}", "file",
	                                             p->file, "line", p->line, "key", p->key,
	                                             "problem", p->text, "hint", p->hint));
}

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: relaywatch [--config FILE] config check [--json] [POLICY...]\n\n"
	        "Check the configuration (FILE, default %s, and the\n"
	        "*.conf drop-ins of relaywatch.d beside it) and what it names, as the daemon\n"
	        "would at start-up but without binding a socket or opening the store:\n"
	        "every key and value, the policy file, the templates, the token key, the\n"
	        "sink's address and canary, the smarthost's settings, the console's TLS\n"
	        "files, the pid file. Every problem goes to stderr as\n"
	        "FILE:LINE: problem (hint: ...). Run it as the daemon's user. Each POLICY\n"
	        "file named is checked too (a new policy before the configuration names it).\n\n"
	        "  --json      one JSON object on stdout instead (config, dropins, policy,\n"
	        "              ok, problems: [{file, line, key, problem, hint}])\n"
	        "  -h, --help  this help\n\n"
	        "exit status: 0 no problem, 1 problems, 2 usage error.\n",
	        RW_CONFIG_DEFAULT_PATH);
}

/* cmd_config - relaywatch config check */
int cmd_config(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = ctx->config_path ? ctx->config_path : RW_CONFIG_DEFAULT_PATH;
	struct out o = {NULL};
	int c, json = 0, ndropins = 0, n;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		if (argc >= 2)
			fprintf(stderr, "relaywatch config: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (json)
		o.problems = json_array();
	if (ctx->config_path == NULL && access(path, F_OK) < 0) {
		char text[1024];
		struct config_problem p = {.text = text,
		                           .hint = "create it, or name one with --config"};

		snprintf(text, sizeof(text), "no configuration at %s", path);
		on_problem(&o, &p);
		n = 1;
	} else {
		n = config_read_tree(path, ctx->cfg, on_problem, &o, &ndropins);
		if (ctx->cfg->loaded_from) /* else all would be about defaults */
			n += cmd_config_validate(ctx, on_problem, &o);
	}
	/* more policy files to check: a new policy before it is switched to */
	for (int i = optind; i < argc; i++) {
		struct vstate v = {.ctx = ctx, .cfg = ctx->cfg, .fn = on_problem, .arg = &o};

		check_policy_file(&v, argv[i], NULL);
		n += v.n;
	}
	if (json) {
		json_t *r =
		    json_pack("{s:s, s:i, s:s?, s:b, s:o}", "config", path, "dropins", ndropins,
		              "policy", ctx->cfg->policy, "ok", n == 0, "problems", o.problems);
		char *s = json_dumps(r, JSON_COMPACT);

		printf("%s\n", s);
		free(s);
		json_decref(r);
	} else if (n == 0) {
		printf("config ok: %s (+ %d drop-in%s), policy %s", path, ndropins,
		       ndropins == 1 ? "" : "s", ctx->cfg->policy);
		for (int i = optind; i < argc; i++)
			printf(", %s", argv[i]);
		printf("\n");
	}
	return n == 0 ? EXIT_CLEAN : EXIT_FOUND;
}
