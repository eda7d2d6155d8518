/*
 * NAME
 *	cmd_web - relaywatch web: the desk's console on its own
 * SUMMARY
 *	relaywatch web [--listen ADDR:PORT[,...]] [--db PATH]
 * SYNOPSIS
 *	int cmd_web(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	Serves the pages, the JSON API, its OpenAPI document and /metrics
 *	(doc/web.md). With a `policy` the desk is opened (cmd_desk_open) and
 *	the operators' forms act through it; with a `token_key` the host
 *	owners' pages (/owner/TOKEN) are served.
 *	from the store until SIGINT or SIGTERM, then closes the listeners
 *	and the store and exits 0. The listeners are --listen, else the
 *	web_listen key (default RW_WEB_LISTEN_DEFAULT, loopback only); TLS
 *	when web_tls_cert and web_tls_key name PEM files. The store is
 *	--db, else the configured or default one (never created here).
 *	Readiness is one log line, `web listen=... tls=yes|no port=N`.
 * DIAGNOSTICS
 *	Exit 0 after a signal, 2 usage (bad flag, bad listen list), 3 the
 *	store cannot be opened, a listener cannot bind, TLS files unreadable.
 * LIMITS
 *	those of src/web/server.c.
 * STANDARDS
 *	none here.
 */
#include "cmd.h"
#include "cmd_desk.h"

#include "../core/limits.h"
#include "../core/log.h"
#include "../desk/desk.h"
#include "../smtp/token.h"
#include "../store/store.h"
#include "../web/auth.h"
#include "../web/web.h"

#include <event2/event.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* usage - the synopsis and flags */
static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: relaywatch web [--listen ADDR:PORT[,...]] [--db PATH]\n"
	    "Serve the desk's JSON API (/api/v1/), its OpenAPI document and /metrics\n"
	    "until SIGINT or SIGTERM (doc/web.md).\n"
	    "  --listen LIST  listeners (default: the web_listen key, else " RW_WEB_LISTEN_DEFAULT
	    ")\n"
	    "  --db PATH      the store (default: the db key, $RELAYWATCH_DB, ...)\n"
	    "TLS: the web_tls_cert and web_tls_key keys (PEM files).\n");
}

/* on_signal - leave the loop; everything is freed on the way out */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	rw_log(LOG_NOTICE, "web event=stop signal=%d", (int)sig);
	event_base_loopexit(arg, NULL);
}

/* cmd_web - open the store, start the server, run the loop */
int cmd_web(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *listen = NULL, *db = NULL;
	struct store *st;
	struct event_base *base = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	struct web_auth *auth = NULL;
	struct web_server *w = NULL;
	struct desk *desk = NULL;
	struct token_key key;
	int have_key = 0;
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
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
		fprintf(stderr, "relaywatch web: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (listen == NULL)
		listen = ctx->cfg->web_listen;
	if ((st = cmd_store_open("web", db, 0, &rc)) == NULL)
		return rc;
	rc = EXIT_RUNTIME;
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "relaywatch web: event_base_new failed\n");
		goto out;
	}
	/* the forms act through the desk the configuration names; without a
	 * policy the console only reads */
	if (ctx->cfg->policy && (desk = cmd_desk_open("web", ctx, st, &rc)) == NULL)
		goto out;
	rc = EXIT_RUNTIME;
	/* owner links are signed with the token key; none: no owner pages */
	if (ctx->cfg->token_key) {
		if (token_key_load(ctx->cfg->token_key, 0, &key, err, sizeof(err)) < 0)
			rw_log(LOG_WARNING, "web event=no-owner-pages why=\"%s\"", err);
		else
			have_key = 1;
	}
	auth = web_auth_new(st, RW_WEB_SESSION_TTL);
	struct web_conf wc = {.listen = listen,
	                      .tls_cert = ctx->cfg->web_tls_cert,
	                      .tls_key = ctx->cfg->web_tls_key,
	                      .desk = desk,
	                      .owner_key = have_key ? &key : NULL};
	if ((w = web_server_new(base, st, auth, &wc, err, sizeof(err))) == NULL) {
		fprintf(stderr, "relaywatch web: %s\n", err);
		rc = strncmp(err, "web_listen '", 12) == 0 ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	if (!sigint || !sigterm || evsignal_add(sigint, NULL) < 0 ||
	    evsignal_add(sigterm, NULL) < 0) {
		fprintf(stderr, "relaywatch web: cannot catch signals\n");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	rw_log(LOG_NOTICE, "web listen=%s tls=%s port=%u desk=%s owner_pages=%s", listen,
	       wc.tls_cert ? "yes" : "no", web_server_port(w), desk ? "yes" : "no",
	       have_key ? "yes" : "no");
	event_base_dispatch(base);
	rc = EXIT_CLEAN;
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	web_server_free(w);
	web_auth_free(auth);
	desk_free(desk);
	if (base)
		event_base_free(base);
	store_close(st);
	return rc;
}
