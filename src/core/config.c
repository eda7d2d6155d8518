/*
 * NAME
 *	config - relaywatch.conf: defaults, the INI file, per-key setters
 * SUMMARY
 *	one table of keys; the file (inih) and the command line share it
 * SYNOPSIS
 *	void config_defaults(struct rw_config *c);
 *	int config_load(const char *path, struct rw_config *c, char *err, size_t errlen);
 *	const char *config_set(struct rw_config *c, const char *key, const char *value);
 *	void config_free(struct rw_config *c);
 *	char *config_default_key_path(void);
 * DESCRIPTION
 *	config_defaults() fills safe defaults (no canary: the caller picks an
 *	address literal of this machine); it overwrites c without freeing.
 *	config_load() reads an INI file with inih; keys in any section other
 *	than [relaywatch] are errors (keys before the first section header
 *	are accepted), as are unknown keys and bad values, reported with the
 *	line number. Keys read before the failing line stay set in c.
 *	config_set() validates one value; strings are copied (owned by c),
 *	an empty string unsets a string key; enum keys are stored as their
 *	text; dns_servers is checked as a name server list (src/core/nslist).
 *	config_free() frees every string and leaves them NULL.
 *	config_default_key_path() returns an owned path:
 *	/var/lib/relaywatch/token.key when that directory is writable, else
 *	$HOME (or the passwd entry) /.relaywatch/token.key, never /tmp.
 * DIAGNOSTICS
 *	config_load: -1 and "path:line: text" in err (line 0 when inih fails
 *	without a line); "path: cannot open: ...". config_set: a static text
 *	("unknown key", "value too long", "out of range" ...), a text in
 *	c->check_err ("'x': not a numeric address"), or NULL.
 * LIMITS
 *	timeouts 1..86400 s, wait 0..86400 s, sink_greet_wait 0..10000 ms,
 *	token_max_age 60 s..366 days, dns_timeout 1..60 s, dns_servers
 *	RW_DNS_SERVERS_MAX; every value up to RW_DOMAIN_MAX characters.
 * STANDARDS
 *	none (INI as read by inih).
 */
#include "config.h"
#include "limits.h"
#include "nslist.h"
#include "xalloc.h"

#include <errno.h>
#include <pwd.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum key_kind { K_STR, K_INT, K_LL, K_ENUM, K_LIST };

struct key_def {
	const char *name;
	enum key_kind kind;
	size_t off;
	long long min, max;     /* K_INT, K_LL */
	const char *choices[4]; /* K_ENUM */
	/* K_STR: NULL or the problem with a non-empty value (err is a buffer) */
	const char *(*check)(const char *v, char *err, size_t errlen);
};

/* check_servers - dns_servers must parse now, not at the first lookup */
static const char *check_servers(const char *v, char *err, size_t errlen)
{
	struct nslist l;

	return nslist_parse(v, &l, err, errlen);
}

/* check_facility - the facilities a daemon of this kind logs to */
static const char *check_facility(const char *v, char *err, size_t errlen)
{
	static const char *const ok[] = {"mail",   "daemon", "user",   "local0", "local1", "local2",
	                                 "local3", "local4", "local5", "local6", "local7"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(v, ok[i]) == 0)
			return NULL;
	snprintf(err, errlen, "not a facility (mail, daemon, user, local0..local7)");
	return err;
}

/* check_ports - block_ports: 1..65535, separated by commas or spaces */
static const char *check_ports(const char *v, char *err, size_t errlen)
{
	int n = 0;

	for (const char *p = v; *p;) {
		long port = 0;
		int digits = 0;

		if (*p == ',' || *p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		while (*p >= '0' && *p <= '9' && digits < 6)
			port = port * 10 + (*p++ - '0'), digits++;
		if (digits == 0 || port < 1 || port > 65535 || (*p && *p != ',' && *p != ' ')) {
			snprintf(err, errlen, "not a list of ports 1..65535");
			return err;
		}
		n++;
	}
	if (n == 0 || n > 16) {
		snprintf(err, errlen, "1 to 16 ports");
		return err;
	}
	return NULL;
}

/* check_command - a block command template: {addr} as one whole word */
static const char *check_command(const char *v, char *err, size_t errlen)
{
	int whole = 0;

	for (const char *p = v; *p;) {
		size_t len = strcspn(p, " \t");

		if (len == 6 && strncmp(p, "{addr}", 6) == 0)
			whole = 1;
		else if (!(len == 11 && strncmp(p, "{direction}", 11) == 0) &&
		         (memmem(p, len, "{addr}", 6) || memmem(p, len, "{direction}", 11))) {
			snprintf(err, errlen, "{addr} and {direction} must be whole words");
			return err;
		}
		p += len;
		p += strspn(p, " \t");
	}
	if (!whole) {
		snprintf(err, errlen, "the command needs an {addr} word");
		return err;
	}
	return NULL;
}

#define STR(f)         .kind = K_STR, .off = offsetof(struct rw_config, f)
#define INT(f, lo, hi) .kind = K_INT, .off = offsetof(struct rw_config, f), .min = (lo), .max = (hi)

static const struct key_def keys[] = {
    {.name = "canary_domain", STR(canary)},
    {.name = "sink_listen", STR(sink_listen)},
    {.name = "operator_name", STR(operator_name)},
    {.name = "abuse_contact", STR(abuse_contact)},
    {.name = "token_key", STR(token_key)},
    {.name = "helo_name", STR(helo_name)},
    {.name = "source_address", STR(source)},
    {.name = "dns_servers", STR(dns_servers), .check = check_servers},
    {.name = "tls",
     .kind = K_ENUM,
     .off = offsetof(struct rw_config, tls),
     .choices = {"auto", "require", "never"}},
    {.name = "battery",
     .kind = K_ENUM,
     .off = offsetof(struct rw_config, battery),
     .choices = {"quick", "full"}},
    {.name = "connect_timeout", INT(connect_timeout, 1, 86400)},
    {.name = "banner_timeout", INT(banner_timeout, 1, 86400)},
    {.name = "reply_timeout", INT(reply_timeout, 1, 86400)},
    {.name = "session_timeout", INT(session_timeout, 1, 86400)},
    {.name = "wait", INT(wait, 0, 86400)},
    {.name = "greylist_delay", INT(greylist_delay, 1, 86400)},
    {.name = "sink_greet_wait", INT(sink_greet_wait, 0, 10000)},
    {.name = "scope", .kind = K_LIST, .off = offsetof(struct rw_config, scope)},
    {.name = "dns_timeout", INT(dns_timeout, 1, 60)},
    {.name = "db", STR(db)},
    {.name = "policy", STR(policy)},
    {.name = "templates", STR(templates)},
    {.name = "notify_from", STR(notify_from)},
    {.name = "noc", STR(noc)},
    {.name = "incident_url", STR(incident_url)},
    {.name = "smarthost", STR(smarthost)},
    {.name = "smarthost_starttls",
     .kind = K_ENUM,
     .off = offsetof(struct rw_config, smarthost_starttls),
     .choices = {"require", "auto", "never"}},
    {.name = "smarthost_tls_name", STR(smarthost_tls_name)},
    {.name = "smarthost_ca_file", STR(smarthost_ca_file)},
    {.name = "smarthost_verify",
     .kind = K_ENUM,
     .off = offsetof(struct rw_config, smarthost_verify),
     .choices = {"yes", "no"}},
    {.name = "smarthost_auth_user", STR(smarthost_auth_user)},
    {.name = "smarthost_auth_pass_file", STR(smarthost_auth_pass_file)},
    {.name = "smarthost_auth_mech",
     .kind = K_ENUM,
     .off = offsetof(struct rw_config, smarthost_auth_mech),
     .choices = {"auto", "PLAIN", "LOGIN"}},
    {.name = "sweep", .kind = K_LIST, .off = offsetof(struct rw_config, sweep)},
    {.name = "sweep_ports", STR(sweep_ports)},
    {.name = "sweep_probes", STR(sweep_probes)},
    {.name = "sweep_exclude", STR(sweep_exclude)},
    {.name = "scan_args", STR(scan_args)},
    {.name = "sweep_interval", INT(sweep_interval, 0, 366 * 86400)},
    {.name = "pid_file", STR(pid_file)},
    {.name = "syslog_facility", STR(syslog_facility), .check = check_facility},
    {.name = "tick", INT(tick, 1, 3600)},
    /* open proxies */
    {.name = "proxy_canary", STR(proxy_canary)},
    {.name = "proxy_protocols", STR(proxy_protocols)},
    {.name = "proxy_timeout", INT(proxy_timeout, 1, 3600)},
    /* enforcement: DNSBL */
    {.name = "dnsbl_zone", STR(dnsbl_zone)},
    {.name = "dnsbl_ns", STR(dnsbl_ns)},
    {.name = "dnsbl_hostmaster", STR(dnsbl_hostmaster)},
    {.name = "dnsbl_retest_url", STR(dnsbl_retest_url)},
    {.name = "dnsbl_reload_command", STR(dnsbl_reload_command)},
    {.name = "dnsbl_lists", STR(dnsbl_lists)},
    {.name = "dnsbl_output", STR(dnsbl_output)},
    {.name = "dnsbl_format",
     .kind = K_ENUM,
     .off = offsetof(struct rw_config, dnsbl_format),
     .choices = {"rbldnsd", "bind"}},
    {.name = "dnsbl_watch", .kind = K_LIST, .off = offsetof(struct rw_config, dnsbl_watch)},
    {.name = "dnsbl_export_interval", INT(dnsbl_export_interval, 10, 86400)},
    {.name = "dnsbl_check_interval", INT(dnsbl_check_interval, 60, 7 * 86400)},
    /* enforcement: firewall */
    {.name = "block_backend",
     .kind = K_ENUM,
     .off = offsetof(struct rw_config, block_backend),
     .choices = {"nft", "command"}},
    {.name = "block_ports", STR(block_ports), .check = check_ports},
    {.name = "block_command_add", STR(block_command_add), .check = check_command},
    {.name = "block_command_remove", STR(block_command_remove), .check = check_command},
    /* the web console */
    {.name = "web_listen", STR(web_listen)},
    {.name = "web",
     .kind = K_ENUM,
     .off = offsetof(struct rw_config, web),
     .choices = {"no", "yes"}},
    {.name = "web_tls_cert", STR(web_tls_cert)},
    {.name = "web_tls_key", STR(web_tls_key)},
    {.name = "token_max_age",
     .kind = K_LL,
     .off = offsetof(struct rw_config, token_max_age),
     .min = 60,
     .max = 366LL * 86400},
};

/* config_defaults - fill c with owned default strings and the limits.h timeouts */
void config_defaults(struct rw_config *c)
{
	memset(c, 0, sizeof(*c));
	c->operator_name = xstrdup("the network operator");
	c->abuse_contact = xstrdup("abuse@localhost");
	c->token_key = config_default_key_path();
	c->tls = xstrdup("auto");
	c->battery = xstrdup("full");
	c->connect_timeout = RW_CONNECT_TIMEOUT;
	c->proxy_timeout = RW_PROXY_TIMEOUT;
	c->banner_timeout = RW_BANNER_TIMEOUT;
	c->reply_timeout = RW_REPLY_TIMEOUT;
	c->session_timeout = RW_SESSION_TIMEOUT;
	c->wait = RW_ARRIVAL_WAIT;
	c->greylist_delay = RW_GREYLIST_DELAY;
	c->sink_greet_wait = RW_SINK_GREET_WAIT_MS;
	c->dns_timeout = RW_DNS_TIMEOUT;
	c->token_max_age = 30LL * 86400;
	c->smarthost_starttls = xstrdup("auto");
	c->smarthost_verify = xstrdup("yes");
	c->smarthost_auth_mech = xstrdup("auto");
	c->syslog_facility = xstrdup("mail");
	c->tick = 10;
	c->dnsbl_export_interval = 300;
	c->dnsbl_check_interval = 3600;
	c->web_listen = xstrdup(RW_WEB_LISTEN_DEFAULT);
	c->web = xstrdup("no");
}

/* parse_ll - whole-string integer in [min, max] */
static const char *parse_ll(const char *v, long long min, long long max, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end != '\0')
		return "not a number";
	if (n < min || n > max)
		return "out of range";
	*out = n;
	return NULL;
}

/* config_set - validate one key=value and store it; error text or NULL */
const char *config_set(struct rw_config *c, const char *key, const char *value)
{
	const struct key_def *k = NULL;
	char **sp;
	long long n;
	const char *e;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, key) == 0)
			k = &keys[i];
	if (k == NULL)
		return "unknown key";
	if (strlen(value) > (k->kind == K_LIST ? RW_CONFIG_LIST_MAX : RW_DOMAIN_MAX))
		return "value too long";
	switch (k->kind) {
	case K_LIST: /* each line adds to the list; a space separates them */
		sp = (char **)((char *)c + k->off);
		if (*sp && *value) {
			size_t have = strlen(*sp);

			if (have + 1 + strlen(value) > RW_CONFIG_LIST_MAX)
				return "list too long";
			*sp = xrealloc(*sp, have + strlen(value) + 2);
			(*sp)[have] = ' ';
			strcpy(*sp + have + 1, value);
		} else if (*value) {
			*sp = xstrdup(value);
		}
		return NULL;
	case K_ENUM: {
		int ok = 0;
		for (int i = 0; i < 4 && k->choices[i]; i++)
			ok |= strcmp(k->choices[i], value) == 0;
		if (!ok)
			return "not one of the allowed values";
	}
		/* fall through */
	case K_STR:
		if (k->check && *value && (e = k->check(value, c->check_err, sizeof(c->check_err))))
			return e;
		sp = (char **)((char *)c + k->off);
		free(*sp);
		*sp = *value ? xstrdup(value) : NULL;
		return NULL;
	case K_INT:
		if ((e = parse_ll(value, k->min, k->max, &n)) != NULL)
			return e;
		*(int *)((char *)c + k->off) = (int)n;
		return NULL;
	case K_LL:
		if ((e = parse_ll(value, k->min, k->max, &n)) != NULL)
			return e;
		*(long long *)((char *)c + k->off) = n;
		return NULL;
	}
	return "bad key kind";
}

struct load_ctx {
	struct rw_config *c;
	char *err;
	size_t errlen;
	const char *path;
	int failed;
};

/* on_pair - inih callback: 1 to continue, 0 to stop at this line */
static int on_pair(void *arg, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = arg;
	const char *e;

	if (*section && strcmp(section, "relaywatch") != 0) {
		snprintf(lc->err, lc->errlen, "unknown section [%s] (key %s)", section, name);
		lc->failed = 1;
		return 0;
	}
	if ((e = config_set(lc->c, name, value)) != NULL) {
		snprintf(lc->err, lc->errlen, "%s = %s: %s", name, value, e);
		lc->failed = 1;
		return 0;
	}
	return 1;
}

/* config_load - apply an INI file over c, stopping at the first bad line */
int config_load(const char *path, struct rw_config *c, char *err, size_t errlen)
{
	struct load_ctx lc = {.c = c, .err = err, .errlen = errlen, .path = path};
	char msg[384] = "";
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	lc.err = msg;
	lc.errlen = sizeof(msg);
	rc = ini_parse_file(fp, on_pair, &lc);
	fclose(fp);
	if (rc != 0) {
		if (!lc.failed)
			snprintf(msg, sizeof(msg), "syntax error");
		snprintf(err, errlen, "%s:%d: %s", path, rc > 0 ? rc : 0, msg);
		return -1;
	}
	free(c->loaded_from);
	c->loaded_from = xstrdup(path);
	return 0;
}

/* config_free - free every owned string and leave it NULL */
void config_free(struct rw_config *c)
{
	char **strs[] = {
	    &c->canary, &c->sink_listen, &c->operator_name, &c->abuse_contact, &c->token_key,
	    &c->helo_name, &c->source, &c->tls, &c->battery, &c->scope, &c->dns_servers,
	    &c->loaded_from, &c->db, &c->policy, &c->templates, &c->notify_from, &c->noc,
	    &c->incident_url, &c->smarthost, &c->smarthost_starttls, &c->smarthost_tls_name,
	    &c->smarthost_ca_file, &c->smarthost_verify, &c->smarthost_auth_user,
	    &c->smarthost_auth_pass_file, &c->smarthost_auth_mech, &c->sweep, &c->sweep_ports,
	    &c->sweep_probes, &c->sweep_exclude, &c->scan_args, &c->pid_file, &c->syslog_facility,
	    &c->proxy_canary, &c->proxy_protocols,
	    /* enforcement: DNSBL */
	    &c->dnsbl_zone, &c->dnsbl_ns, &c->dnsbl_hostmaster, &c->dnsbl_retest_url,
	    &c->dnsbl_reload_command, &c->dnsbl_lists, &c->dnsbl_output, &c->dnsbl_format,
	    &c->dnsbl_watch,
	    /* the web console */
	    &c->web_listen, &c->web, &c->web_tls_cert, &c->web_tls_key,
	    /* enforcement: firewall */
	    &c->block_backend, &c->block_ports, &c->block_command_add, &c->block_command_remove};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

/* config_default_key_path - a key path only this user can write, never a shared directory */
char *config_default_key_path(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (access("/var/lib/relaywatch", W_OK) == 0)
		return xstrdup("/var/lib/relaywatch/token.key");
	if ((home == NULL || *home == '\0') && (pw = getpwuid(geteuid())) != NULL)
		home = pw->pw_dir;
	/* never a shared directory such as /tmp: another user could plant a key */
	return xasprintf("%s/.relaywatch/token.key", home && *home ? home : "/nonexistent");
}
