/*
 * config.h - relaywatch.conf (INI, read with inih) and its defaults
 *
 * Keys (section [relaywatch] or none):
 *   canary_domain, sink_listen, operator_name, abuse_contact, token_key,
 *   helo_name, source_address, connect_timeout, banner_timeout,
 *   reply_timeout, session_timeout, wait, greylist_delay, tls, battery,
 *   token_max_age, sink_greet_wait (ms the sink waits for a client to speak
 *   first before its banner, the proxy canary's HTTP window; 0..10000,
 *   default RW_SINK_GREET_WAIT_MS, 0 = banner at once), scope (addresses relaywatch may test:
 * CIDRs, ranges or addresses separated by commas or spaces; the key may be repeated and the lines
 * add up; unset means no scope besides the exclusions), dns_servers, dns_timeout The abuse desk and
 * the daemon (doc/desk.md): db (the store), policy (the policy file), templates (directory),
 *   notify_from, noc, incident_url, smarthost (HOST[:PORT]),
 *   smarthost_starttls (require, auto, never), smarthost_tls_name,
 *   smarthost_ca_file, smarthost_verify (yes, no), smarthost_auth_user,
 *   smarthost_auth_pass_file, smarthost_auth_mech (PLAIN, LOGIN, auto),
 *   sweep (targets, repeatable like scope), sweep_ports, sweep_interval
 *   (seconds, 0 = no sweeps), sweep_exclude (a file), scan_args (extra
 *   scan flags, split on spaces), pid_file, syslog_facility (mail,
 *   daemon, local0..local7), tick (seconds between the daemon's looks at
 *   timers and the outbox)
 * Enforcement, the DNSBL (doc/enforce.md):
 *   dnsbl_zone (the zone's name: BIND $ORIGIN, rbldnsd $SOA), dnsbl_ns
 *   (its name server), dnsbl_hostmaster (user@domain or a name; default
 *   hostmaster.ZONE), dnsbl_retest_url (the TXT's retest link, the
 *   address appended; else incident_url + the incident id),
 *   dnsbl_reload_command (run after `dnsbl export --output`, split on
 *   spaces, no shell), dnsbl_lists (zones `dnsbl check` asks, separated
 *   by commas or spaces); the daemon's: dnsbl_output (export there after
 *   the listing may have changed and every dnsbl_export_interval seconds,
 *   default 300), dnsbl_format (rbldnsd, bind), dnsbl_watch (our own
 *   addresses, asked of dnsbl_lists every dnsbl_check_interval seconds,
 *   default 3600; a listing is logged at warning)
 * Enforcement, the firewall (doc/enforce.md):
 *   block_backend (nft, command; unset: block actions stay pending),
 *   block_ports (tcp ports the blocks drop, commas or spaces; default 25),
 *   block_command_add, block_command_remove (the command backend's argv
 *   templates, split on spaces, run without a shell; the words {addr} and
 *   {direction} become the address and inbound/outbound)
 * Command-line flags override these after loading.
 *
 * Drop-ins: after a file FILE, every *.conf in dirname(FILE)/relaywatch.d
 * (not dotfiles) is read in strcmp order, a later value over an earlier.
 */
#ifndef RW_CONFIG_H
#define RW_CONFIG_H

#include <stddef.h>

/* the Makefile's installed path (sysconfdir's relaywatch/relaywatch.conf,
 * from $(B)/paths.h) wins over this, the packaged one */
#ifndef RW_CONFIG_DEFAULT_PATH
#define RW_CONFIG_DEFAULT_PATH "/etc/relaywatch/relaywatch.conf"
#endif
/* the longest list value (all lines of a repeated key together) */
#define RW_CONFIG_LIST_MAX 65536

struct rw_config {
	char *canary;      /* NULL: "[own address]" chosen per run */
	char *sink_listen; /* NULL: own address, port 25 */
	char *operator_name;
	char *abuse_contact;
	char *token_key; /* path of the key file */
	char *helo_name; /* NULL: gethostname() */
	char *source;    /* source address for probes, NULL: any */
	char *tls;       /* "auto", "require", "never" */
	char *battery;   /* "quick", "full" */
	int connect_timeout, banner_timeout, reply_timeout, session_timeout;
	int wait;            /* seconds to wait for arrivals */
	int greylist_delay;  /* seconds before retrying a 4xx */
	int sink_greet_wait; /* ms before the sink's banner; 0: at once */
	long long token_max_age;
	char *scope;       /* NULL: none; else a list of ranges (see above) */
	char *dns_servers; /* "ADDR[:PORT],...", NULL: /etc/resolv.conf */
	int dns_timeout;   /* seconds per DNS try */
	/* the desk and the daemon */
	char *db, *policy, *templates, *notify_from, *noc, *incident_url;
	char *smarthost, *smarthost_starttls, *smarthost_tls_name, *smarthost_ca_file;
	char *smarthost_verify, *smarthost_auth_user, *smarthost_auth_pass_file;
	char *smarthost_auth_mech;
	char *sweep, *sweep_ports, *sweep_probes, *sweep_exclude, *scan_args;
	int sweep_interval; /* seconds; 0: no sweeps */
	char *pid_file, *syslog_facility;
	int tick; /* seconds */
	/* open proxies */
	char *proxy_canary;    /* "addr:port" proxies are asked to reach; NULL: sink_listen */
	char *proxy_protocols; /* comma list of protocols, NULL: all */
	int proxy_timeout;     /* seconds per protocol attempt */
	/* enforcement: DNSBL */
	char *dnsbl_zone, *dnsbl_ns, *dnsbl_hostmaster, *dnsbl_retest_url;
	char *dnsbl_reload_command, *dnsbl_lists;
	char *dnsbl_output, *dnsbl_format, *dnsbl_watch; /* the daemon's */
	int dnsbl_export_interval, dnsbl_check_interval; /* seconds */
	/* enforcement: firewall */
	char *block_backend; /* "nft", "command"; NULL: none */
	char *block_ports;   /* NULL: 25 */
	char *block_command_add, *block_command_remove;
	/* the web console */
	char *web_listen; /* "ADDR:PORT[,...]"; default RW_WEB_LISTEN_DEFAULT */
	char *web;        /* "yes": the daemon serves the console too; default "no" */
	char *web_tls_cert, *web_tls_key; /* PEM files; NULL: plain HTTP */
	char *loaded_from;                /* path actually read, or NULL */
	char check_err[160];              /* config_set's text about a checked string value */
	struct config_where *where;       /* each key's file and line (config_where) */
};

void config_defaults(struct rw_config *c);
/* config_load - read path into c (over the defaults already there).
 * Returns 0, or -1 with "path:line: problem" in err. */
int config_load(const char *path, struct rw_config *c, char *err, size_t errlen);
/* config_set - one key=value, as from the file; used for flags too.
 * Returns NULL or a text explaining the problem (static, or in
 * c->check_err until the next call). */
const char *config_set(struct rw_config *c, const char *key, const char *value);
void config_free(struct rw_config *c);
/* the most drop-ins (the *.conf of relaywatch.d) read after one file */
#define RW_CONFIG_DROPIN_MAX 128

/* one problem of a configuration file */
struct config_problem {
	const char *file; /* borrowed for the call; NULL: of no file */
	int line;         /* 0: the file as a whole */
	const char *key;  /* the key of the line, or NULL */
	const char *text; /* what is wrong, "key = value: problem" for a value */
	const char *hint; /* what would be right ("did you mean wait?"), or NULL */
};
/* config_problem_fn - called once per problem, in the order of the lines */
typedef void config_problem_fn(void *arg, const struct config_problem *p);

/* config_read - read path over c and go on past bad lines: each is
 * reported to fn (NULL: counted only) and the good ones are set. Returns
 * the number of problems (a file that cannot be opened is one). */
int config_read(const char *path, struct rw_config *c, config_problem_fn *fn, void *arg);
/* config_read_tree - config_read() of path, then, when path could be
 * read, of each drop-in of config_dropin_dir(path) in name order;
 * *ndropins (may be NULL) counts the drop-ins read. The problems of all. */
int config_read_tree(const char *path, struct rw_config *c, config_problem_fn *fn, void *arg,
                     int *ndropins);
/* config_dropin_dir - dirname(path)/relaywatch.d; owned */
char *config_dropin_dir(const char *path);
/* config_where - the line key was last set at by a file, and *file that
 * file (borrowed from c until config_free); 0 and NULL: a default or a flag */
int config_where(const struct rw_config *c, const char *key, const char **file);
/* config_problem_format - "FILE:LINE: text (hint: ...)"; no :LINE for line 0 */
void config_problem_format(const struct config_problem *p, char *buf, size_t len);

/* config_default_key_path - /var/lib/relaywatch/token.key when writable,
 * else $HOME/.relaywatch/token.key; owned */
char *config_default_key_path(void);

#endif
