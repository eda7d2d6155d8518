/*
 * NAME
 *	config - relaywatch.conf: defaults, the INI file, drop-ins, per-key setters
 * SUMMARY
 *	one table of keys; the files (inih) and the command line share it
 * SYNOPSIS
 *	void config_defaults(struct rw_config *c);
 *	int config_load(const char *path, struct rw_config *c, char *err, size_t errlen);
 *	int config_read(const char *path, struct rw_config *c, config_problem_fn *fn, void *arg);
 *	int config_read_tree(const char *path, struct rw_config *c, config_problem_fn *fn,
 *		void *arg, int *ndropins);
 *	char *config_dropin_dir(const char *path);
 *	int config_where(const struct rw_config *c, const char *key, const char **file);
 *	void config_problem_format(const struct config_problem *p, char *buf, size_t len);
 *	const char *config_set(struct rw_config *c, const char *key, const char *value);
 *	void config_free(struct rw_config *c);
 *	char *config_default_key_path(void);
 * DESCRIPTION
 *	config_defaults() fills safe defaults (no canary: the caller picks an
 *	address literal of this machine); it overwrites c without freeing.
 *	The files are read with inih through a reader that counts lines
 *	(src/core/iniline, as src/desk/policy.c), so every problem has its line:
 *	section headers other than [relaywatch] (keys before the first header
 *	are accepted; the keys under a bad header are skipped), unknown keys
 *	(with the nearest known key as a hint), bad values (with what the key
 *	accepts), lines that are not INI and lines longer than inih's buffer.
 *	An indented line continues the key before it (inih's multi-line
 *	values), "[x]" too: the next items of a list key, an error under any
 *	other.
 *	config_read() goes on past a bad line and reports each to its
 *	callback; config_read_tree() then reads the drop-ins, the *.conf
 *	files of dirname(path)/relaywatch.d without dotfiles, in strcmp
 *	order, a later value over an earlier; a missing directory is none.
 *	config_load() reads one file and stops at its first problem (keys
 *	read before it stay set in c). Each key remembers the file and line
 *	that set it last (config_where) for checks made after loading;
 *	config_set() from a flag forgets it.
 *	config_set() validates one value; strings are copied (owned by c),
 *	an empty string unsets a string key; enum keys are stored as their
 *	text; dns_servers is checked as a name server list (src/core/nslist).
 *	config_free() frees every string and leaves them NULL.
 *	config_default_key_path() returns an owned path:
 *	/var/lib/relaywatch/token.key when that directory is writable, else
 *	$HOME (or the passwd entry) /.relaywatch/token.key, never /tmp.
 * DIAGNOSTICS
 *	config_read*: the number of problems, each to the callback as file,
 *	line (0: the whole file, "cannot open: ..."), text and hint.
 *	config_load: -1 and the first one as "path:line: text (hint: ...)" in
 *	err. config_set: a static text ("unknown key", "value too long", "out
 *	of range" ...), a text in c->check_err ("'x': not a numeric address"),
 *	or NULL.
 * LIMITS
 *	timeouts 1..86400 s, wait 0..86400 s, sink_greet_wait 0..10000 ms,
 *	token_max_age 60 s..366 days, dns_timeout 1..60 s, dns_servers
 *	RW_DNS_SERVERS_MAX; every value up to RW_DOMAIN_MAX characters, lists
 *	RW_CONFIG_LIST_MAX; lines as long as inih's buffer (INI_MAX_LINE, 200
 *	in Debian's build); RW_CONFIG_DROPIN_MAX drop-ins (more: none read);
 *	key names compared for hints up to RW_KEY_NAME_MAX characters.
 * STANDARDS
 *	none (INI as read by inih).
 */
#include "config.h"
#include "iniline.h"
#include "limits.h"
#include "nslist.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <ini.h>
#include <stdarg.h>
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
	const char *accepts; /* with check: what it accepts, the hint of its problems */
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
    {.name = "dns_servers",
     STR(dns_servers),
     .check = check_servers,
     .accepts = "numeric addresses, each with an optional :PORT, separated by commas"},
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
    {.name = "syslog_facility",
     STR(syslog_facility),
     .check = check_facility,
     .accepts = "one of mail, daemon, user, local0 .. local7"},
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
    {.name = "block_ports",
     STR(block_ports),
     .check = check_ports,
     .accepts = "1 to 16 ports 1..65535, separated by commas or spaces"},
    {.name = "block_command_add",
     STR(block_command_add),
     .check = check_command,
     .accepts = "a command with an {addr} word, and maybe a {direction} word"},
    {.name = "block_command_remove",
     STR(block_command_remove),
     .check = check_command,
     .accepts = "a command with an {addr} word, and maybe a {direction} word"},
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

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* where each key was set last: the file and line, for later checks */
struct config_where {
	char *file[NKEYS]; /* owned; NULL: a default or a flag */
	int line[NKEYS];
};

/* key_index - the table row of name, or -1 */
static int key_index(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* set_where - key i came from file:line (file NULL: from a flag) */
static void set_where(struct rw_config *c, int i, const char *file, int line)
{
	if (c->where == NULL) {
		if (file == NULL)
			return;
		c->where = xcalloc(1, sizeof(*c->where));
	}
	free(c->where->file[i]);
	c->where->file[i] = file ? xstrdup(file) : NULL;
	c->where->line[i] = file ? line : 0;
}

/* forget_where - key i was set by a flag: no longer from a file */
static void forget_where(struct rw_config *c, size_t i)
{
	if (c->where && c->where->file[i]) {
		free(c->where->file[i]);
		c->where->file[i] = NULL;
		c->where->line[i] = 0;
	}
}

/* config_where - the file and line key was set at last; 0: not from a file */
int config_where(const struct rw_config *c, const char *key, const char **file)
{
	int i = key_index(key);

	*file = NULL;
	if (i < 0 || c->where == NULL || c->where->file[i] == NULL)
		return 0;
	*file = c->where->file[i];
	return c->where->line[i];
}

/* set_value - validate value for k and store it in c; error text or NULL */
static const char *set_value(struct rw_config *c, const struct key_def *k, const char *value)
{
	char **sp;
	long long n;
	const char *e;

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

/* config_set - validate one key=value and store it; error text or NULL */
const char *config_set(struct rw_config *c, const char *key, const char *value)
{
	int i = key_index(key);
	const char *e;

	if (i < 0)
		return "unknown key";
	if ((e = set_value(c, &keys[i], value)) == NULL)
		forget_where(c, (size_t)i); /* a flag, unless the loader says where */
	return e;
}

/* distance - edit distance with adjacent transpositions (optimal string
 * alignment), at most RW_KEY_NAME_MAX characters a side; more: a large number */
#define RW_KEY_NAME_MAX 48
static int distance(const char *a, const char *b)
{
	int d[RW_KEY_NAME_MAX + 1][RW_KEY_NAME_MAX + 1];
	size_t n = strlen(a), m = strlen(b);

	if (n > RW_KEY_NAME_MAX || m > RW_KEY_NAME_MAX)
		return 1000;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}

/* words_in - the '_' words of name are words of key, in order: the number
 * of key's other words, or -1 */
static int words_in(const char *name, const char *key)
{
	const char *k = key;
	int extra = 0;

	for (const char *w = name; *w;) {
		size_t n = strcspn(w, "_");

		for (;;) { /* the next word of key that is this one */
			size_t m = strcspn(k, "_");

			if (*k == '\0')
				return -1;
			if (m == n && strncmp(k, w, n) == 0) {
				k += m + (k[m] == '_');
				break;
			}
			extra++;
			k += m + (k[m] == '_');
		}
		w += n + (w[n] == '_');
	}
	for (; *k; k += strcspn(k, "_") + (k[strcspn(k, "_")] == '_'))
		extra++;
	return extra;
}

/* suggest - the known key an unknown one was most likely meant to be, or
 * NULL: one that has all its words with the fewest others (a word left
 * out: "smarthost_pass_file"), else the closest within a third of its
 * length (one edit for short names), else a key it is the first word of
 * ("canary" for canary_domain) */
static const char *suggest(const char *name)
{
	size_t len = strlen(name);
	int best = 1000, limit = len <= 4 ? 1 : len <= 8 ? 2 : (int)(len / 3);
	const char *pick = NULL;

	for (size_t i = 0; strchr(name, '_') && i < NKEYS; i++) {
		int extra = words_in(name, keys[i].name);

		if (extra >= 0 && extra < best) {
			best = extra;
			pick = keys[i].name;
		}
	}
	if (pick)
		return pick;
	for (size_t i = 0; i < NKEYS; i++) {
		int d = distance(name, keys[i].name);

		if (d < best) {
			best = d;
			pick = keys[i].name;
		}
	}
	if (best <= limit)
		return pick;
	for (size_t i = 0; len >= 3 && i < NKEYS; i++)
		if (strncmp(keys[i].name, name, len) == 0 && keys[i].name[len] == '_')
			return keys[i].name;
	return NULL;
}

/* value_hint - what key k accepts, for a problem with its value */
static const char *value_hint(const struct key_def *k, const char *problem, char *buf, size_t len)
{
	size_t at = 0;

	if (strcmp(problem, "value too long") == 0 || strcmp(problem, "list too long") == 0) {
		snprintf(buf, len, "at most %d characters%s",
		         k->kind == K_LIST ? RW_CONFIG_LIST_MAX : RW_DOMAIN_MAX,
		         k->kind == K_LIST ? " over all its lines" : "");
		return buf;
	}
	switch (k->kind) {
	case K_INT:
	case K_LL:
		snprintf(buf, len, "a whole number from %lld to %lld", k->min, k->max);
		return buf;
	case K_ENUM:
		at = (size_t)snprintf(buf, len, "one of");
		for (int i = 0; i < 4 && k->choices[i] && at < len; i++)
			at += (size_t)snprintf(buf + at, len - at, "%s %s", i ? "," : "",
			                       k->choices[i]);
		return buf;
	default:
		return k->accepts;
	}
}

struct load_ctx {
	struct rw_config *c;
	const char *path;
	struct iniline il; /* the file, and the line inih is parsing */
	config_problem_fn *fn;
	void *arg;
	int stop;        /* stop reading at the first problem (config_load) */
	int nproblem;    /* problems reported */
	int bad_section; /* the section in force is not [relaywatch] */
};

/* problem - report one problem of this file */
static void problem(struct load_ctx *lc, int line, const char *key, const char *hint,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void problem(struct load_ctx *lc, int line, const char *key, const char *hint,
                    const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	lc->nproblem++;
	if (lc->fn) {
		struct config_problem p = {
		    .file = lc->path, .line = line, .key = key, .text = text, .hint = hint};
		lc->fn(lc->arg, &p);
	}
}

/* section_hint - what to say of an unknown section (name: n bytes) */
static const char *section_hint(const char *name, size_t n, char *buf, size_t len)
{
	static const char *const policy[] = {"policy", "notify", "escalation"};
	char s[RW_KEY_NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(policy) / sizeof(policy[0]); i++)
		if (strlen(policy[i]) == n && strncmp(name, policy[i], n) == 0)
			return "that is a section of the policy file, which the policy key names";
	snprintf(s, sizeof(s), "%.*s", (int)(n < RW_KEY_NAME_MAX ? n : RW_KEY_NAME_MAX), name);
	if (n < RW_KEY_NAME_MAX && distance(s, "relaywatch") <= 3)
		return "did you mean [relaywatch]?";
	snprintf(buf, len, "keys go in [relaywatch] or before any section header");
	return buf;
}

/* judge_section - a section header at its line: only [relaywatch] (name:
 * n bytes, NULL without ']'); the keys under any other are skipped */
static void judge_section(struct load_ctx *lc, const char *name, size_t n)
{
	char hint[160];

	lc->bad_section = 1;
	if (name == NULL) {
		problem(lc, lc->il.line, NULL, "a section header is [relaywatch]",
		        "section header without ']'");
		return;
	}
	lc->bad_section = !(n == 10 && strncmp(name, "relaywatch", 10) == 0);
	if (lc->bad_section)
		problem(lc, lc->il.line, NULL, section_hint(name, n, hint, sizeof(hint)),
		        "unknown section [%.*s]", (int)n, name);
}

/* reader - inih's fgets (src/core/iniline): reports the previous line if
 * it was a pair on_pair never saw (not INI), an overlong line, and section
 * headers; at the first problem in stop mode it ends the file */
static char *reader(char *buf, int num, void *stream)
{
	struct load_ctx *lc = stream;
	const char *name;
	size_t n;

	if (iniline_unhandled(&lc->il))
		problem(lc, lc->il.line, NULL,
		        "a line is `key = value`, a [section] or a # comment", "syntax error");
	if (lc->stop && lc->nproblem)
		return NULL;
	if (iniline_read(&lc->il, buf, num) == NULL)
		return NULL;
	if (lc->il.toolong)
		problem(lc, lc->il.line, NULL, "split a list over repeated keys",
		        "line longer than %d characters", num - 2);
	if (iniline_judge(&lc->il, buf, &name, &n) == INILINE_SECTION)
		judge_section(lc, name, n);
	return buf;
}

/* on_pair - inih callback: set the key, or report why not; always goes on */
static int on_pair(void *arg, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = arg;
	char hint[160];
	const char *e, *s;
	int i;

	(void)section; /* judged at its header line */
	iniline_handled(&lc->il, name);
	if (lc->bad_section || (lc->stop && lc->nproblem))
		return 1;
	i = key_index(name);
	if (lc->il.indented && (i < 0 || keys[i].kind != K_LIST)) {
		if (i >= 0) /* (an unknown key was reported at its own line) */
			problem(lc, lc->il.line, name,
			        "write the value on the key's line; only a list key (scope, sweep, "
			        "dnsbl_watch) continues on indented lines",
			        "%s: an indented line continues a key of one value", name);
		return 1;
	}
	if (i < 0) {
		if ((s = suggest(name)) != NULL)
			snprintf(hint, sizeof(hint), "did you mean %s?", s);
		else
			snprintf(hint, sizeof(hint), "relaywatch.conf(5) lists the keys");
		problem(lc, lc->il.line, name, hint, "%s = %s: unknown key", name, value);
		return 1;
	}
	if ((e = config_set(lc->c, name, value)) != NULL) {
		problem(lc, lc->il.line, name, value_hint(&keys[i], e, hint, sizeof(hint)),
		        "%s = %s: %s", name, value, e);
		return 1;
	}
	set_where(lc->c, i, lc->path, lc->il.line);
	return 1;
}

/* read_file - apply path over c; the number of problems, *opened when it could be read */
static int read_file(const char *path, struct rw_config *c, int stop, config_problem_fn *fn,
                     void *arg, int *opened)
{
	struct load_ctx lc = {.c = c, .path = path, .fn = fn, .arg = arg, .stop = stop};
	int rc;

	*opened = 0;
	if ((lc.il.fp = fopen(path, "r")) == NULL) {
		problem(&lc, 0, NULL, NULL, "cannot open: %s", strerror(errno));
		return lc.nproblem;
	}
	*opened = 1;
	rc = ini_parse_stream(reader, &lc, on_pair, &lc);
	if (ferror(lc.il.fp))
		problem(&lc, lc.il.line, NULL, NULL, "read error");
	fclose(lc.il.fp);
	if (rc < 0)
		problem(&lc, 0, NULL, NULL, "out of memory reading the file");
	else if (rc > 0 && lc.nproblem == 0) /* inih saw what the reader did not */
		problem(&lc, rc, NULL, NULL, "syntax error");
	return lc.nproblem;
}

/* config_read - every line of path over c, every problem reported */
int config_read(const char *path, struct rw_config *c, config_problem_fn *fn, void *arg)
{
	int opened, n = read_file(path, c, 0, fn, arg, &opened);

	if (opened) {
		free(c->loaded_from);
		c->loaded_from = xstrdup(path);
	}
	return n;
}

/* config_dropin_dir - the drop-in directory beside path */
char *config_dropin_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup("relaywatch.d");
	return xasprintf("%.*s/relaywatch.d", (int)(slash - path), path);
}

/* by_name - qsort: drop-in names in strcmp order (the C locale's) */
static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* config_read_tree - path, then its drop-ins in name order */
int config_read_tree(const char *path, struct rw_config *c, config_problem_fn *fn, void *arg,
                     int *ndropins)
{
	struct load_ctx lc = {.fn = fn, .arg = arg};
	char *dir, *names[RW_CONFIG_DROPIN_MAX];
	size_t n = 0, over = 0;
	struct dirent *de;
	int problems, opened;
	DIR *d;

	if (ndropins)
		*ndropins = 0;
	problems = read_file(path, c, 0, fn, arg, &opened);
	if (!opened)
		return problems; /* no file, no drop-ins */
	free(c->loaded_from);
	c->loaded_from = xstrdup(path);
	dir = config_dropin_dir(path);
	lc.path = dir;
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT && errno != ENOTDIR)
			problem(&lc, 0, NULL, NULL, "cannot read the drop-in directory: %s",
			        strerror(errno));
		free(dir);
		return problems + lc.nproblem;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		if (n < RW_CONFIG_DROPIN_MAX)
			names[n++] = xasprintf("%s/%s", dir, de->d_name);
		else
			over++;
	}
	closedir(d);
	if (over) /* readdir's order is no order: read none rather than some */
		problem(&lc, 0, NULL, "merge some of them",
		        "%zu drop-ins, more than %d: none is read", n + over, RW_CONFIG_DROPIN_MAX);
	else
		qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		lc.path = names[i];
		if (over) {
			/* none */
		} else if (stat(names[i], &st) < 0 || !S_ISREG(st.st_mode)) {
			problem(&lc, 0, NULL, "a drop-in is a regular file named *.conf",
			        "not a regular file");
		} else {
			problems += read_file(names[i], c, 0, fn, arg, &opened);
			if (ndropins)
				++*ndropins;
		}
		free(names[i]);
	}
	free(dir);
	return problems + lc.nproblem;
}

/* keep_first - config_load's problem_fn: the first problem's text */
struct first {
	char *err;
	size_t errlen;
	int n;
};
static void keep_first(void *arg, const struct config_problem *p)
{
	struct first *f = arg;

	if (f->n++ == 0)
		config_problem_format(p, f->err, f->errlen);
}

/* config_load - apply an INI file over c, stopping at the first bad line */
int config_load(const char *path, struct rw_config *c, char *err, size_t errlen)
{
	struct first f = {.err = err, .errlen = errlen};
	int opened;

	if (read_file(path, c, 1, keep_first, &f, &opened) > 0)
		return -1;
	free(c->loaded_from); /* only a file read whole */
	c->loaded_from = xstrdup(path);
	return 0;
}

/* config_problem_format - "FILE:LINE: text (hint: ...)" */
void config_problem_format(const struct config_problem *p, char *buf, size_t len)
{
	char at[32] = "";

	if (p->line > 0)
		snprintf(at, sizeof(at), ":%d", p->line);
	snprintf(buf, len, "%s%s%s%s%s%s%s", p->file ? p->file : "", at, p->file ? ": " : "",
	         p->text, p->hint ? " (hint: " : "", p->hint ? p->hint : "", p->hint ? ")" : "");
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
	if (c->where)
		for (size_t i = 0; i < NKEYS; i++)
			free(c->where->file[i]);
	free(c->where);
	c->where = NULL;
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
