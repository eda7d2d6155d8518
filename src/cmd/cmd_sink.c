/*
 * NAME
 *	cmd_sink - relaywatch sink: run the canary receiver in the foreground
 * SUMMARY
 *	relaywatch [--config FILE] sink [--listen ADDR:PORT] [--canary DOMAIN] [--json]
 *	    [--token-key FILE] [--db PATH]
 * SYNOPSIS
 *	int cmd_sink(int argc, char **argv, struct cmd_ctx *ctx);
 *	int cmd_sink_check(const struct rw_config *cfg, const char *listen_arg,
 *		const char *canary_arg, char **listen, char **canary,
 *		struct cmd_sink_err *err);
 *	int cmd_sink_identity(const char *who, const struct rw_config *cfg,
 *		const char *listen_arg, const char *canary_arg, char **listen,
 *		char **canary);
 * DESCRIPTION
 *	Flags override the configuration (sink_listen, canary_domain). With
 *	no listen address the sink takes this machine's address (the one its
 *	default route leaves from) on port 25; with no canary it accepts the
 *	address literal of the address it listens on, as relaywatch test
 *	does; a wildcard listen address (0.0.0.0, ::) then needs --canary.
 *	The listen address must be numeric, IPv6 in brackets, with a port.
 *	The token key (token_key, --token-key) is created when missing. Every
 *	accepted message is printed on stdout as it arrives: one JSON object
 *	per line with --json (doc/cli.md "arrivals" fields plus token and
 *	token_fields), else one human line; stdout is flushed per arrival so
 *	a pipe sees it at once. Logs go to stderr. SIGINT or SIGTERM stop the
 *	loop; everything is freed before returning.
 *	With --db every accepted message is also recorded in that store (its
 *	schema migrated at start), tied to the scan its valid token names when
 *	the store holds that scan: a scan run with --no-sink, or one that has
 *	ended, thus gets its late arrivals, and a suspect result they prove
 *	becomes open (store.h's rule). A store error is logged and the sink
 *	goes on (the arrival is still printed).
 *	The sink is also the open-proxy canary (sink.h): sink_greet_wait
 *	(ms) is how long it waits for an HTTP request before its banner.
 *	cmd_sink_check() picks the listen address and canary as above, for
 *	the sink and the daemon, and prints nothing: a problem comes back in
 *	the caller's struct cmd_sink_err (the key to change, the text, a
 *	hint), which `config check` places at that key's line.
 *	cmd_sink_identity() is cmd_sink_check() with the problem on stderr.
 * DIAGNOSTICS
 *	EXIT_USAGE for bad flags, a malformed listen address, no address of
 *	this machine to default to, no or a bad canary, no token_key;
 *	EXIT_RUNTIME when the key cannot be read or created, the store cannot
 *	be opened or migrated, the address cannot be bound or the event loop
 *	or signals cannot be set up;
 *	EXIT_CLEAN after a signal. Messages go to stderr.
 *	cmd_sink_check: -1 with err filled; cmd_sink_identity: EXIT_USAGE.
 * LIMITS
 *	Those of the sink (sink.c); SINK_DEFAULT_PORT for the default listen
 *	address only (an explicit one must carry its port); CMD_SINK_ERR_MAX
 *	bytes of a problem (cmd.h).
 * STANDARDS
 *	RFC 5321 2.3.5 / 4.1.3 (address literals as the canary).
 */
#include "arrival_store.h"
#include "cmd.h"
#include "output.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"
#include "../sink/sink.h"
#include "../smtp/arrival.h"
#include "../store/store.h"

#include <event2/event.h>

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* relays deliver on SMTP's well-known port */
#define SINK_DEFAULT_PORT 25

struct sink_run {
	int json;
	unsigned long arrivals;
	struct store *st;        /* --db, or NULL */
	unsigned long stored;    /* arrivals recorded (tied or not) */
	unsigned long tied;      /* of which tied to a scan of the store */
	unsigned long store_err; /* arrivals the store refused */
};

/* usage - the sink's flags and what it will and will not accept */
static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: relaywatch [--config FILE] sink [--listen ADDR:PORT] [--canary DOMAIN] "
	        "[--json]\n"
	        "                  [--token-key PATH] [--db PATH]\n\n"
	        "Run the canary SMTP receiver until SIGINT or SIGTERM. It accepts mail for the\n"
	        "canary domain only (plain local parts), so it is never a relay itself, and\n"
	        "prints every message it accepts with its token and Received chain.\n\n"
	        "options:\n"
	        "  -l, --listen ADDR:PORT  where to listen (config sink_listen; default this\n"
	        "                          machine's address, port %d); [v6]:port for IPv6\n"
	        "  -c, --canary DOMAIN     the domain or [address] to accept (config\n"
	        "                          canary_domain; default the listen address literal)\n"
	        "  -j, --json              one JSON object per arrival (JSON Lines)\n"
	        "  -k, --token-key PATH    key file for tokens (config token_key; created\n"
	        "                          if missing)\n"
	        "  -d, --db PATH           also record every arrival in this store, tied to\n"
	        "                          the scan its token names when the store holds it:\n"
	        "                          a late arrival turns that scan's suspect result\n"
	        "                          into open (for scans run with --no-sink or ended)\n"
	        "  -h, --help              this help\n\n"
	        "exit status: 0 stopped by a signal, 2 usage or configuration error,\n"
	        "3 cannot bind, cannot read the token key or cannot open the store.\n",
	        SINK_DEFAULT_PORT);
}

/* put_clean - peer text on a terminal line: control bytes as \xNN */
static void put_clean(FILE *fp, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f)
			fputc(c, fp);
		else
			fprintf(fp, "\\x%02x", c);
	}
}

/* save_arrival - record a in --db, tied to its token's scan if held */
static void save_arrival(struct sink_run *run, const struct arrival *a)
{
	int64_t scan = arrival_store_scan(a), id = 0;
	int rc = arrival_store_put(run->st, a, scan, &id);
	struct store_arrivals l = {0};
	int tied = 0;

	if (rc < 0) {
		run->store_err++;
		rw_log(LOG_WARNING, "sink event=store-error what=arrival peer=%s error=\"%s\"",
		       a->peer, store_error(run->st));
		return;
	}
	if (rc == 0)
		return; /* the same record again */
	run->stored++;
	/* the store ties only to a scan it holds: read back what it did */
	if (scan > 0 && store_arrivals_since(run->st, scan, id - 1, 1, &l) == 0 && l.n == 1 &&
	    l.v[0].id == id)
		tied = 1;
	store_arrivals_free(&l);
	run->tied += tied;
	rw_log(LOG_INFO, "sink event=stored id=%lld scan=%lld", (long long)id,
	       (long long)(tied ? scan : 0));
}

/* print_arrival - record (with --db), then one line on stdout */
static void print_arrival(const struct arrival *a, void *arg)
{
	struct sink_run *run = arg;
	char when[32];
	time_t t = (time_t)a->time;
	struct tm tm;

	run->arrivals++;
	if (run->st)
		save_arrival(run, a);
	if (run->json) {
		char *s = output_arrival_json(a);

		if (s) {
			fprintf(stdout, "%s\n", s);
			free(s);
		}
		fflush(stdout);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stdout, "%s arrival from %s port %u helo=", when, a->peer, a->peer_port);
	put_clean(stdout, a->helo);
	fputs(" mail_from=<", stdout);
	put_clean(stdout, a->mail_from);
	fputs("> rcpt_to=<", stdout);
	put_clean(stdout, a->rcpt_to);
	fprintf(stdout, "> size=%zu token=%s%s", a->size,
	        a->token[0] ? token_status_name(a->token_status) : "none",
	        a->replayed ? ",replayed" : "");
	if (a->token[0] && a->token_status != TOKEN_MALFORMED) {
		fputs(" test=", stdout);
		put_clean(stdout, a->fields.test);
		fputs(" target=", stdout);
		put_clean(stdout, a->fields.target);
		fprintf(stdout, ":%u", a->fields.port);
	}
	fprintf(stdout, " hops=%d\n", a->nreceived);
	fflush(stdout);
}

/* on_signal - SIGINT/SIGTERM: leave the loop so everything is freed on the way out */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	rw_log(LOG_INFO, "sink event=stop signal=%d", (int)sig);
	event_base_loopbreak(base);
}

/* default_listen - this machine's address (default route) on port 25; owned */
static char *default_listen(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char me[64];

	/* a documentation address: only the route lookup matters, nothing is sent */
	if (netaddr_numeric("192.0.2.1", 25, &ss, &len) < 0 ||
	    netaddr_route_source((struct sockaddr *)&ss, len, me, sizeof(me)) < 0)
		return NULL;
	return xasprintf(strchr(me, ':') ? "[%s]:%d" : "%s:%d", me, SINK_DEFAULT_PORT);
}

/* listen_check - a numeric ADDR:PORT or [ADDR]:PORT; fills host */
static const char *listen_check(const char *listen, char *host, size_t hostlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned port = 0;
	const char *e, *colon = strchr(listen, ':');

	if (listen[0] != '[' && (!colon || strchr(colon + 1, ':')))
		return "want ADDR:PORT, or [ADDR]:PORT for IPv6";
	if (listen[0] == '[' && !strstr(listen, "]:"))
		return "want [ADDR]:PORT";
	if ((e = netaddr_split(listen, host, hostlen, &port, 0)) != NULL)
		return e;
	if (netaddr_numeric(host, port, &ss, &len) < 0)
		return "not a numeric address";
	return NULL;
}

/* is_wildcard - an address that names no one machine */
static int is_wildcard(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

/* refuse - a problem of key into err; -1 */
static int refuse(struct cmd_sink_err *err, const char *key, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(struct cmd_sink_err *err, const char *key, const char *hint, const char *fmt, ...)
{
	va_list ap;

	err->key = key;
	err->hint = hint;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* cmd_sink_check - listen address and canary, as the sink takes them */
int cmd_sink_check(const struct rw_config *cfg, const char *listen_arg, const char *canary_arg,
                   char **listenp, char **canaryp, struct cmd_sink_err *err)
{
	char host[RW_DOMAIN_MAX + 1];
	char *listen = NULL, *canary = NULL;
	const char *e;
	int rc;

	*listenp = *canaryp = NULL;
	if (listen_arg)
		listen = xstrdup(listen_arg);
	else if (cfg->sink_listen)
		listen = xstrdup(cfg->sink_listen);
	else if ((listen = default_listen()) == NULL)
		return refuse(err, "sink_listen", "set sink_listen or --listen",
		              "cannot tell this machine's address");
	if ((e = listen_check(listen, host, sizeof(host))) != NULL) {
		rc = refuse(err, "sink_listen", NULL, "listen address '%s': %s", listen, e);
		free(listen);
		return rc;
	}
	if (canary_arg)
		canary = xstrdup(canary_arg);
	else if (cfg->canary)
		canary = xstrdup(cfg->canary);
	else if (!is_wildcard(host))
		canary = xasprintf(strchr(host, ':') ? "[IPv6:%s]" : "[%s]", host);
	if (!canary || !canary[0] || strlen(canary) > RW_DOMAIN_MAX || strpbrk(canary, " \t<>@")) {
		/* no canary is the wildcard listen address's fault: that key's line */
		if (canary)
			rc = refuse(err, "canary_domain", "set canary_domain or --canary",
			            "bad canary domain");
		else
			rc = refuse(err, "sink_listen", "set canary_domain or --canary",
			            "no canary domain (listening on a wildcard)");
		free(listen);
		free(canary);
		return rc;
	}
	*listenp = listen;
	*canaryp = canary;
	return 0;
}

/* cmd_sink_identity - cmd_sink_check, its problem on stderr */
int cmd_sink_identity(const char *who, const struct rw_config *cfg, const char *listen_arg,
                      const char *canary_arg, char **listenp, char **canaryp)
{
	struct cmd_sink_err err;

	if (cmd_sink_check(cfg, listen_arg, canary_arg, listenp, canaryp, &err) == 0)
		return 0;
	fprintf(stderr, "relaywatch %s: %s%s%s\n", who, err.msg, err.hint ? "; " : "",
	        err.hint ? err.hint : "");
	return EXIT_USAGE;
}

/* cmd_sink - run the sink in the foreground until a signal, printing each arrival */
int cmd_sink(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"canary", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"token-key", required_argument, NULL, 'k'},
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rw_config *cfg = ctx->cfg;
	struct sink_run run = {0};
	const char *listen_arg = NULL, *canary_arg = NULL, *db = NULL, *e;
	char *listen = NULL, *canary = NULL;
	char err[512], shown[512] = "";
	struct token_key key;
	struct event_base *base = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	struct sink *sink = NULL;
	unsigned long conns = 0, msgs = 0, refused = 0, http = 0, helo = 0;
	int c, rc = EXIT_CLEAN;

	while ((c = getopt_long(argc, argv, "l:c:jk:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if ((e = config_set(cfg, "token_key", optarg)) != NULL) {
				fprintf(stderr, "relaywatch sink: --token-key %s: %s\n", optarg, e);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			listen_arg = optarg;
			break;
		case 'c':
			canary_arg = optarg;
			break;
		case 'j':
			run.json = 1;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "relaywatch sink: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}

	if ((rc = cmd_sink_identity("sink", cfg, listen_arg, canary_arg, &listen, &canary)) != 0)
		goto out;
	if (!cfg->token_key) {
		fprintf(stderr, "relaywatch sink: token_key is not set\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (token_key_load(cfg->token_key, 1, &key, err, sizeof(err)) < 0) {
		fprintf(stderr, "relaywatch sink: %s\n", err);
		rc = EXIT_RUNTIME;
		goto out;
	}

	if (db) {
		store_redact(db, shown, sizeof(shown)); /* no password in messages */
		if ((run.st = store_open(db, err, sizeof(err))) == NULL) {
			fprintf(stderr, "relaywatch sink: --db %s: %s\n", shown, err);
			rc = EXIT_RUNTIME;
			goto out;
		}
		if (store_migrate(run.st, (int64_t)time(NULL)) < 0) {
			fprintf(stderr, "relaywatch sink: --db %s: %s\n", shown,
			        store_error(run.st));
			rc = EXIT_RUNTIME;
			goto out;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	if (!base) {
		fprintf(stderr, "relaywatch sink: cannot create the event loop\n");
		rc = EXIT_RUNTIME;
		goto out;
	}
	{
		struct sink_config skc = {
		    .listen = listen,
		    .canary = canary,
		    .myname = cfg->helo_name,
		    .key = &key,
		    .token_max_age = cfg->token_max_age,
		    .greet_wait_ms = cfg->sink_greet_wait,
		};

		sink = sink_new(base, &skc, print_arrival, &run, err, sizeof(err));
	}
	if (!sink) {
		fprintf(stderr, "relaywatch sink: %s\n", err);
		rc = EXIT_RUNTIME;
		goto out;
	}
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	if (!sigint || !sigterm || evsignal_add(sigint, NULL) < 0 ||
	    evsignal_add(sigterm, NULL) < 0) {
		fprintf(stderr, "relaywatch sink: cannot catch signals\n");
		rc = EXIT_RUNTIME;
		goto out;
	}
	fprintf(stderr, "relaywatch sink: listening on %s for mail to @%s%s%s\n", listen, canary,
	        db ? ", recording in " : "", db ? shown : "");
	event_base_dispatch(base);
	sink_stats(sink, &conns, &msgs, &refused);
	sink_proxy_stats(sink, &http, &helo);
	rw_log(LOG_INFO,
	       "sink event=stopped conns=%lu msgs=%lu refused_rcpts=%lu proxy_http=%lu "
	       "proxy_helo=%lu",
	       conns, msgs, refused, http, helo);
	if (run.st)
		rw_log(LOG_INFO, "sink event=store stored=%lu tied=%lu errors=%lu", run.stored,
		       run.tied, run.store_err);
out:
	sink = sink_free(sink);
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (base)
		event_base_free(base);
	run.st = store_close(run.st);
	memset(&key, 0, sizeof(key));
	free(listen);
	free(canary);
	fflush(stdout);
	return rc;
}
