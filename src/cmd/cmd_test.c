/*
 * NAME
 *	cmd_test - relaywatch test: run the battery against targets, prove
 *	relaying with the embedded sink, report verdicts
 * SUMMARY
 *	relaywatch test [options] TARGET...
 * SYNOPSIS
 *	int cmd_test(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	Targets are resolved (evdns for names, A and AAAA; every address is
 *	tested, up to RW_ADDRS_PER_NAME per name), the canary is chosen
 *	(configured domain, or an address literal of this machine's own
 *	address facing the first target, or --source, with
 *	the sink listening there), the sink starts in the same event loop,
 *	every target runs its session concurrently, and when the sessions
 *	are over the program waits up to --wait seconds for the arrivals of
 *	messages that were accepted. Arrivals are tied to tests by their
 *	token; forged, expired, replayed or unknown tokens never count.
 *	A quoted token (a bounce) marks its test bounced, not delivered.
 *	The default canary is refused when targets are reached from another
 *	address than the first one's, or when this machine's address is not
 *	public but a target's is (NAT). Port 465 runs implicit TLS. When the
 *	default sink cannot bind (port 25 without root) the run goes on
 *	without it and accepted tests stay suspect; --no-sink runs none.
 * DIAGNOSTICS
 *	Exit 0 nothing open or suspect, 1 at least one, 2 usage or config
 *	error, 3 runtime error (key, bind, resolution of every target).
 * LIMITS
 *	RW_TEST_TARGETS_MAX targets per run (scan is for more);
 *	RW_ADDRS_PER_NAME addresses per resolved name.
 * STANDARDS
 *	RFC 5321 2.3.5 / 4.1.3 (address literal canary), RFC 8314 (port 465).
 */
#include "../core/config.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"
#include "../net/probe.h"
#include "../net/pxprobe.h"
#include "../scan/ipset.h"
#include "../smtp/addr.h"
#include "../sink/sink.h"
#include "../smtp/battery.h"
#include "../smtp/sess.h"
#include "../smtp/verdict.h"
#include "cmd.h"
#include "output.h"
#include "probeopt.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <getopt.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RW_ADDRS_PER_NAME 8

struct target {
	char given[RW_DOMAIN_MAX + 1];
	char host[RW_DOMAIN_MAX + 1];
	unsigned port;
	int is_name;
	struct run *run;
	int naddr;
	struct sockaddr_storage addr[RW_ADDRS_PER_NAME];
	socklen_t addrlen[RW_ADDRS_PER_NAME];
	char error[128];
};

struct job {
	struct run *run;
	struct target_result r;
	struct sess *sess;
	struct probe *probe;
	struct sess_config sc; /* the run's, with implicit TLS for port 465 */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int done;
};

struct run {
	struct event_base *base;
	struct evdns_base *dns;
	struct rw_config *cfg;
	struct target *targets;
	size_t ntargets;
	int resolving;
	int resolve_loop; /* the loop runs for resolution only */
	struct job *jobs;
	size_t njobs, jobs_done;
	struct sess_config sc;
	struct probe_env env;
	struct token_key key;
	char canary[RW_DOMAIN_MAX + 1];
	char myname[RW_DOMAIN_MAX + 1];
	struct sink *sink;
	struct event *wait_timer;
	int waiting;
	int json, verbose, color;
	int default_sink; /* the sink address was chosen here, not configured */
	struct arrival foreign[16];
	size_t nforeign;
	unsigned long foreign_total;
	/* --proxy */
	int proxy;
	struct pxjob *pxjobs;
	size_t npx, px_done;
	struct proxy_canary pxcanary;
	struct pxprobe_env pxenv;
};

/* one address and port tested for open proxies */
struct pxjob {
	struct run *run;
	struct proxy_result r;
	struct pxprobe *pp;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* usage - the test subcommand's options and exit statuses */
static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: relaywatch test [options] TARGET...\n"
	        "       relaywatch test --proxy [options] TARGET...\n\n"
	        "Test SMTP servers for open relaying. TARGET is host, host:port, address,\n"
	        "address:port or [IPv6]:port (port 25 by default; 465 means implicit TLS).\n"
	        "With --proxy, test for open proxies instead: every proxy protocol on the\n"
	        "target's port (without a port: each default proxy port), each asked to\n"
	        "reach only the proxy canary (the sink).\n\n"
	        "options:\n"
	        "      --proxy               test for open proxies (HTTP CONNECT/POST/GET,\n"
	        "                            SOCKS4/4a/5, telnet/WinGate)\n"
	        "      --proxy-canary A:P    where proxies are asked to connect (default:\n"
	        "                            the sink's listen address)\n"
	        "      --proxy-protocols L   comma list (default all: http-connect,socks5,\n"
	        "                            socks4,socks4a,http-post,http-get,telnet)\n"
	        "      --proxy-timeout S     deadline of each protocol attempt (default %d)\n"
	        "      --canary DOMAIN       canary domain or [address] the sink accepts\n"
	        "      --sink-listen A:P     where the embedded sink listens\n"
	        "      --no-sink             run no embedded sink (a separate sink gets the mail)\n"
	        "      --wait SECONDS        wait for arrivals of accepted messages (default %d)\n"
	        "      --source ADDR         source address for the probes\n"
	        "      --timeout SECONDS     deadline for connect, banner and each reply\n"
	        "      --session-timeout S   budget for a whole session (default %d)\n"
	        "      --greylist-delay S    first retry delay after 4xx answers (default %d)\n"
	        "      --tls MODE            auto, require or never (default auto)\n"
	        "      --battery NAME        quick or full (default full)\n"
	        "      --helo NAME           our HELO name\n"
	        "      --token-key PATH      key file for test tokens (created if missing)\n"
	        "      --json                JSON Lines on stdout, one object per target\n"
	        "  -v, --verbose             transcripts (and per-test replies)\n"
	        "  -h, --help                this help\n\n"
	        "exit status: 0 no open or suspect relay, 1 at least one, 2 usage or\n"
	        "configuration error, 3 runtime error.\n",
	        RW_PROXY_TIMEOUT, RW_ARRIVAL_WAIT, RW_SESSION_TIMEOUT, RW_GREYLIST_DELAY);
}

/* ---- arrivals -------------------------------------------------------- */

/* finish_soon - leave the loop after a short grace, so the sink's last
 * "250 queued" reaches the relay that delivered (else it would retry) */
static void finish_soon(struct run *run)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 500000};

	event_base_loopexit(run->base, &tv);
}

/* all_arrived - no session still waits for an accepted message to arrive */
static int all_arrived(const struct run *run)
{
	for (size_t i = 0; i < run->njobs; i++)
		if (sess_accepted(run->jobs[i].sess) > 0)
			return 0;
	return 1;
}

/* on_arrival - tie a valid token to its test; everything else is logged as foreign */
static void on_arrival(const struct arrival *a, void *arg)
{
	struct run *run = arg;

	for (size_t i = 0; i < run->njobs; i++) {
		struct target_result *r = &run->jobs[i].r;
		struct test_result *t = result_take_arrival(r, a);

		if (t == NULL)
			continue;
		rw_log(LOG_INFO, "test target=%s port=%u event=%s test=%s peer=%s", r->addr,
		       r->port, a->quoted ? "bounce" : "arrival", t->test->id, a->peer);
		if (run->waiting && all_arrived(run))
			finish_soon(run);
		return;
	}
	run->foreign_total++;
	rw_log(LOG_NOTICE, "test event=foreign-arrival peer=%s token_status=%s replayed=%d",
	       a->peer, a->token[0] ? token_status_name(a->token_status) : "none", a->replayed);
	if (run->nforeign < sizeof(run->foreign) / sizeof(run->foreign[0]))
		arrival_copy(&run->foreign[run->nforeign++], a);
}

/* on_wait_over - the --wait for arrivals is over: leave the loop */
static void on_wait_over(evutil_socket_t fd, short what, void *arg)
{
	struct run *run = arg;

	(void)fd;
	(void)what;
	event_base_loopexit(run->base, NULL);
}

/* ---- probes ---------------------------------------------------------- */

/* on_probe_done - free the probe; after the last one, wait for arrivals or finish */
static void on_probe_done(struct probe *p, void *arg)
{
	struct job *j = arg;
	struct run *run = j->run;

	j->probe = probe_free(p);
	j->done = 1;
	j->r.finished = probeopt_now_ms();
	rw_debug("test target=%s port=%u event=session-done end=%s", j->r.addr, j->r.port,
	         sess_end_name(j->r.end));
	if (++run->jobs_done < run->njobs)
		return;
	if (run->sink && run->cfg->wait > 0 && !all_arrived(run)) {
		struct timeval tv = {.tv_sec = run->cfg->wait, .tv_usec = 0};

		run->waiting = 1;
		if (!run->json)
			fprintf(stderr, "relaywatch: waiting up to %d s for arrivals at the sink\n",
			        run->cfg->wait);
		run->wait_timer = evtimer_new(run->base, on_wait_over, run);
		evtimer_add(run->wait_timer, &tv);
		return;
	}
	finish_soon(run);
}

/* start_jobs - one result, session and probe per address; sessions before any probe */
static void start_jobs(struct run *run)
{
	size_t n = 0;

	for (size_t i = 0; i < run->ntargets; i++)
		n += (size_t)run->targets[i].naddr;
	run->jobs = xcalloc(n ? n : 1, sizeof(*run->jobs));
	for (size_t i = 0; i < run->ntargets; i++) {
		struct target *t = &run->targets[i];

		for (int k = 0; k < t->naddr; k++) {
			struct job *j = &run->jobs[run->njobs++];

			j->run = run;
			result_init(&j->r);
			snprintf(j->r.target, sizeof(j->r.target), "%s", t->given);
			netaddr_text((struct sockaddr *)&t->addr[k], j->r.addr, sizeof(j->r.addr));
			j->r.port = t->port;
			if (t->is_name)
				snprintf(j->r.host, sizeof(j->r.host), "%s", t->host);
			j->addr = t->addr[k];
			j->addrlen = t->addrlen[k];
		}
	}
	/* sessions are created first so early arrivals always find their tests;
	 * port 465 speaks TLS from the first byte (RFC 8314) */
	for (size_t i = 0; i < run->njobs; i++) {
		struct job *j = &run->jobs[i];

		j->sc = run->sc;
		j->sc.implicit_tls = j->r.port == 465;
		j->sess = sess_new(&j->sc, &j->r, probeopt_now_ms());
	}
	for (size_t i = 0; i < run->njobs; i++) {
		struct job *j = &run->jobs[i];

		j->probe = probe_start(&run->env, j->sess, (struct sockaddr *)&j->addr, j->addrlen,
		                       on_probe_done, j);
	}
	if (run->njobs == 0)
		event_base_loopexit(run->base, NULL);
}

/* ---- proxies --------------------------------------------------------- */

/* on_pxprobe_done - after the last target, leave the loop */
static void on_pxprobe_done(struct pxprobe *p, void *arg)
{
	struct pxjob *j = arg;
	struct run *run = j->run;

	j->pp = pxprobe_free(p);
	if (++run->px_done == run->npx)
		finish_soon(run);
}

/* add_pxjob - one address and port */
static void add_pxjob(struct run *run, const struct target *t, int k, unsigned port)
{
	struct pxjob *j = &run->pxjobs[run->npx++];

	j->run = run;
	presult_init(&j->r);
	snprintf(j->r.target, sizeof(j->r.target), "%s", t->given);
	netaddr_text((struct sockaddr *)&t->addr[k], j->r.addr, sizeof(j->r.addr));
	j->r.port = port;
	j->addr = t->addr[k];
	j->addrlen = t->addrlen[k];
	if (j->addr.ss_family == AF_INET)
		((struct sockaddr_in *)&j->addr)->sin_port = htons((unsigned short)port);
	else
		((struct sockaddr_in6 *)&j->addr)->sin6_port = htons((unsigned short)port);
}

/* start_proxies - one probe per address and port (a target without a
 * port: each default proxy port) */
static void start_proxies(struct run *run)
{
	unsigned short ports[32];
	size_t nports = proxy_default_ports(ports, 32), n = 0;

	for (size_t i = 0; i < run->ntargets; i++)
		n += (size_t)run->targets[i].naddr * (run->targets[i].port ? 1 : nports);
	run->pxjobs = xcalloc(n ? n : 1, sizeof(*run->pxjobs));
	for (size_t i = 0; i < run->ntargets; i++) {
		struct target *t = &run->targets[i];

		for (int k = 0; k < t->naddr; k++) {
			if (t->port)
				add_pxjob(run, t, k, t->port);
			else
				for (size_t p = 0; p < nports; p++)
					add_pxjob(run, t, k, ports[p]);
		}
	}
	for (size_t i = 0; i < run->npx; i++) {
		struct pxjob *j = &run->pxjobs[i];

		j->pp = pxprobe_start(&run->pxenv, &j->r, (struct sockaddr *)&j->addr, j->addrlen,
		                      on_pxprobe_done, j);
	}
	if (run->npx == 0)
		event_base_loopexit(run->base, NULL);
}

/* ---- resolution ------------------------------------------------------ */

/* on_resolved - keep a name's IPv4/IPv6 addresses with the target's port */
static void on_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct target *t = arg;
	struct run *run = t->run;

	if (err) {
		snprintf(t->error, sizeof(t->error), "cannot resolve %s: %s", t->host,
		         evutil_gai_strerror(err));
	} else {
		for (struct evutil_addrinfo *p = ai; p && t->naddr < RW_ADDRS_PER_NAME;
		     p = p->ai_next) {
			if (p->ai_family != AF_INET && p->ai_family != AF_INET6)
				continue;
			memcpy(&t->addr[t->naddr], p->ai_addr, p->ai_addrlen);
			t->addrlen[t->naddr] = (socklen_t)p->ai_addrlen;
			if (p->ai_family == AF_INET)
				((struct sockaddr_in *)&t->addr[t->naddr])->sin_port =
				    htons((unsigned short)t->port);
			else
				((struct sockaddr_in6 *)&t->addr[t->naddr])->sin6_port =
				    htons((unsigned short)t->port);
			t->naddr++;
		}
		evutil_freeaddrinfo(ai);
	}
	/* names in /etc/hosts are answered synchronously, before the loop
	 * runs: a loopexit then would end the probes' loop instead */
	if (--run->resolving == 0 && run->resolve_loop)
		event_base_loopexit(run->base, NULL);
}

/* parse_targets - split each argument; numeric ones need no resolution */
static int parse_targets(struct run *run, int argc, char **argv)
{
	run->targets = xcalloc((size_t)argc, sizeof(*run->targets));
	for (int i = 0; i < argc; i++) {
		struct target *t = &run->targets[run->ntargets];
		const char *e;

		t->run = run;
		snprintf(t->given, sizeof(t->given), "%s", argv[i]);
		e = netaddr_split(argv[i], t->host, sizeof(t->host), &t->port, run->proxy ? 0 : 25);
		if (e) {
			fprintf(stderr, "relaywatch test: %s: %s\n", argv[i], e);
			return -1;
		}
		if (netaddr_numeric(t->host, t->port, &t->addr[0], &t->addrlen[0]) == 0)
			t->naddr = 1;
		else
			t->is_name = 1;
		run->ntargets++;
	}
	return 0;
}

/* resolve_names - resolve every name in a loop of its own; -1 when no target has an address */
static int resolve_names(struct run *run)
{
	struct evutil_addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	for (size_t i = 0; i < run->ntargets; i++) {
		struct target *t = &run->targets[i];

		if (!t->is_name)
			continue;
		if (run->dns == NULL)
			run->dns = evdns_base_new(run->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
			                                         EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (run->dns == NULL) {
			snprintf(t->error, sizeof(t->error), "no DNS resolver configured");
			continue;
		}
		run->resolving++;
		evdns_getaddrinfo(run->dns, t->host, NULL, &hints, on_resolved, t);
	}
	if (run->resolving > 0) {
		run->resolve_loop = 1;
		event_base_dispatch(run->base);
		run->resolve_loop = 0;
	}
	int any = 0;
	for (size_t i = 0; i < run->ntargets; i++) {
		if (run->targets[i].error[0])
			fprintf(stderr, "relaywatch test: %s\n", run->targets[i].error);
		any |= run->targets[i].naddr > 0;
	}
	return any ? 0 : -1;
}

/* apply_scope - with a scope in the config, addresses outside it are
 * dropped (reported) before anything is contacted; -1 on a bad scope or
 * when nothing is left */
static int apply_scope(struct run *run, const struct rw_config *cfg)
{
	struct ipset *scope;
	char bad[64], text[64];
	const char *e;
	int any = 0;

	if (cfg->scope == NULL)
		return 0;
	scope = ipset_new();
	if ((e = ipset_add_list(scope, cfg->scope, bad, sizeof(bad))) != NULL) {
		fprintf(stderr, "relaywatch test: config scope: %s: %s\n", bad, e);
		ipset_free(scope);
		return -1;
	}
	for (size_t i = 0; i < run->ntargets; i++) {
		struct target *t = &run->targets[i];

		for (int k = 0; k < t->naddr;) {
			struct ipset_addr a;

			if (ipset_addr_from_sa((struct sockaddr *)&t->addr[k], &a) == 0 &&
			    ipset_contains(scope, &a)) {
				k++;
				continue;
			}
			fprintf(
			    stderr,
			    "relaywatch test: %s (%s): outside the config's scope, not tested\n",
			    netaddr_text((struct sockaddr *)&t->addr[k], text, sizeof(text)),
			    t->given);
			t->naddr--;
			memmove(&t->addr[k], &t->addr[k + 1],
			        (size_t)(t->naddr - k) * sizeof(t->addr[0]));
			memmove(&t->addrlen[k], &t->addrlen[k + 1],
			        (size_t)(t->naddr - k) * sizeof(t->addrlen[0]));
		}
		any |= t->naddr > 0;
	}
	ipset_free(scope);
	return any ? 0 : -1;
}

/* ---- set-up ---------------------------------------------------------- */

/* default_canary_safe - "[me]" names this machine as seen by every target:
 * each target is reached from the same address, and no target is public
 * while this address is private (NAT: the relay would deliver "[10.x]" to
 * some host of its own network) */
static int default_canary_safe(struct run *run, const char *me)
{
	for (size_t i = 0; i < run->ntargets; i++) {
		struct target *t = &run->targets[i];

		for (int k = 0; k < t->naddr; k++) {
			char src[64], addr[64];

			netaddr_text((struct sockaddr *)&t->addr[k], addr, sizeof(addr));
			if (netaddr_route_source((struct sockaddr *)&t->addr[k], t->addrlen[k], src,
			                         sizeof(src)) == 0 &&
			    strcmp(src, me) != 0 && !run->cfg->source) {
				fprintf(
				    stderr,
				    "relaywatch test: %s is reached from %s, not %s: set "
				    "canary_domain (or --canary) for targets on several networks\n",
				    addr, src, me);
				return 0;
			}
			if (netaddr_scope(me) != NETADDR_PUBLIC &&
			    netaddr_scope(addr) == NETADDR_PUBLIC) {
				fprintf(
				    stderr,
				    "relaywatch test: this machine's address %s is not public but "
				    "%s "
				    "is: a relay would take [%s] for a host of its own network. "
				    "Set canary_domain (or --canary) to a domain of yours whose MX "
				    "is "
				    "this machine\n",
				    me, addr, me);
				return 0;
			}
		}
	}
	return 1;
}

/* choose_identity - canary, sink address and HELO name when not configured */
static int choose_identity(struct run *run, int no_sink)
{
	struct rw_config *cfg = run->cfg;
	char me[64] = "";
	char host[256];

	for (size_t i = 0; i < run->ntargets && !me[0]; i++)
		if (run->targets[i].naddr > 0 &&
		    netaddr_route_source((struct sockaddr *)&run->targets[i].addr[0],
		                         run->targets[i].addrlen[0], me, sizeof(me)) < 0)
			me[0] = '\0';
	if (cfg->source)
		snprintf(me, sizeof(me), "%s", cfg->source);
	if (cfg->canary) {
		if (!probeopt_valid_name(cfg->canary)) {
			fprintf(stderr,
			        "relaywatch test: canary '%s' is neither a domain name nor "
			        "an address literal like [192.0.2.1]\n",
			        cfg->canary);
			return -1;
		}
		snprintf(run->canary, sizeof(run->canary), "%s", cfg->canary);
	} else {
		if (!me[0]) {
			fprintf(stderr, "relaywatch test: cannot tell this machine's address; "
			                "set canary_domain or --canary\n");
			return -1;
		}
		if (!default_canary_safe(run, me))
			return -1;
		run->default_sink = !cfg->sink_listen;
		snprintf(run->canary, sizeof(run->canary), strchr(me, ':') ? "[IPv6:%s]" : "[%s]",
		         me);
		if (!cfg->sink_listen) {
			char *l = xasprintf(strchr(me, ':') ? "[%s]:25" : "%s:25", me);
			config_set(cfg, "sink_listen", l);
			free(l);
		}
		fprintf(stderr,
		        "relaywatch: no canary_domain configured: using the address literal %s "
		        "(this machine), sink on %s\n",
		        run->canary, cfg->sink_listen);
	}
	if (cfg->helo_name) {
		snprintf(run->myname, sizeof(run->myname), "%s", cfg->helo_name);
	} else if (gethostname(host, sizeof(host)) == 0 && strchr(host, '.')) {
		host[sizeof(host) - 1] = '\0';
		snprintf(run->myname, sizeof(run->myname), "%s", host);
	} else if (me[0]) {
		snprintf(run->myname, sizeof(run->myname), strchr(me, ':') ? "[IPv6:%s]" : "[%s]",
		         me);
	} else {
		snprintf(run->myname, sizeof(run->myname), "relaywatch.invalid");
	}
	if (!probeopt_valid_name(run->myname)) {
		fprintf(stderr, "relaywatch test: HELO name '%s' is not a host name or literal\n",
		        run->myname);
		return -1;
	}
	if (!no_sink && !cfg->sink_listen) {
		fprintf(stderr, "relaywatch test: sink_listen is not set (or use --no-sink)\n");
		return -1;
	}
	return 0;
}

/* cmd_test - flags, identity, sink, sessions, wait, report; the exit status */
int cmd_test(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    PROBEOPT_OPTIONS,
	    {"proxy", no_argument, NULL, PO__NEXT},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rw_config *cfg = ctx->cfg;
	struct run run = {.cfg = cfg, .verbose = ctx->verbose};
	struct probeopt_flags pf = {0};
	int c, no_sink, rc = EXIT_CLEAN;
	char err[512];
	const struct battery_test *const *bat;
	size_t nbat;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (probeopt_take(c, optarg, cfg, &pf, "test")) {
		case 1:
			continue;
		case -1:
			return EXIT_USAGE;
		}
		switch (c) {
		case PO__NEXT:
			run.proxy = 1;
			break;
		case 'v':
			run.verbose++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	no_sink = pf.no_sink;
	run.json = pf.json;
	if (run.verbose >= 2)
		log_init("relaywatch", LOG_DEST_STDERR, 2);
	if (optind >= argc) {
		fprintf(stderr, "relaywatch test: no target given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argc - optind > RW_TEST_TARGETS_MAX) {
		fprintf(stderr, "relaywatch test: at most %d targets (use scan for more)\n",
		        RW_TEST_TARGETS_MAX);
		return EXIT_USAGE;
	}
	if ((bat = battery_get(cfg->battery, &nbat)) == NULL) {
		fprintf(stderr, "relaywatch test: unknown battery '%s'\n", cfg->battery);
		return EXIT_USAGE;
	}
	run.color = !run.json && isatty(STDOUT_FILENO);
	if (parse_targets(&run, argc - optind, argv + optind) < 0) {
		free(run.targets);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	run.base = event_base_new();
	if (resolve_names(&run) < 0) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (apply_scope(&run, cfg) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (choose_identity(&run, no_sink) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (token_key_load(cfg->token_key, 1, &run.key, err, sizeof(err)) < 0) {
		fprintf(stderr, "relaywatch test: %s\n", err);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (!no_sink) {
		struct sink_config skc = {
		    .listen = cfg->sink_listen,
		    .canary = run.canary,
		    .myname = run.myname,
		    .key = &run.key,
		    .token_max_age = cfg->token_max_age,
		    .greet_wait_ms = cfg->sink_greet_wait,
		};

		run.sink = sink_new(run.base, &skc, on_arrival, &run, err, sizeof(err));
		if (run.sink == NULL && run.default_sink) {
			/* port 25 needs root (or CAP_NET_BIND_SERVICE): test anyway */
			fprintf(
			    stderr,
			    "relaywatch test: cannot run the sink on %s (%s); testing without "
			    "it: relaying cannot be proven, accepted tests stay suspect. Run as "
			    "root, or configure canary_domain and sink_listen\n",
			    cfg->sink_listen, err);
		} else if (run.sink == NULL) {
			fprintf(stderr, "relaywatch test: sink: %s\n", err);
			rc = EXIT_RUNTIME;
			goto out;
		}
	}
	struct sockaddr_storage src;
	socklen_t srclen = 0;
	if (cfg->source && netaddr_numeric(cfg->source, 0, &src, &srclen) < 0) {
		fprintf(stderr, "relaywatch test: --source %s: not a numeric address\n",
		        cfg->source);
		rc = EXIT_USAGE;
		goto out;
	}
	run.sc = (struct sess_config){
	    .canary = run.canary,
	    .myname = run.myname,
	    .operator_name = cfg->operator_name,
	    .abuse_contact = cfg->abuse_contact,
	    .scan_id = "0",
	    .key = &run.key,
	    .tls = probeopt_tls_mode(cfg->tls),
	    .battery = bat,
	    .nbattery = nbat,
	    .connect_timeout_ms = cfg->connect_timeout * 1000,
	    .banner_timeout_ms = cfg->banner_timeout * 1000,
	    .reply_timeout_ms = cfg->reply_timeout * 1000,
	    .session_timeout_ms = cfg->session_timeout * 1000,
	    .greylist_delay_ms = cfg->greylist_delay * 1000,
	    .greylist_rounds = RW_GREYLIST_ROUNDS_MAX,
	    .reconnect_max = RW_RECONNECT_MAX,
	};
	run.env = (struct probe_env){
	    .base = run.base,
	    .ssl_ctx = probe_ssl_ctx(),
	    .source = srclen ? (struct sockaddr *)&src : NULL,
	    .source_len = srclen,
	    .session_timeout_ms = cfg->session_timeout * 1000,
	};
	if (run.proxy) {
		if (probeopt_proxy(cfg, "test", &run.env, &run.key, &run.pxcanary, &run.pxenv) <
		    0) {
			rc = EXIT_USAGE;
			goto out;
		}
		start_proxies(&run);
	} else {
		start_jobs(&run);
	}
	event_base_dispatch(run.base);
	for (size_t i = 0; i < run.npx; i++) {
		struct proxy_result *r = &run.pxjobs[i].r;

		if (run.json)
			output_proxy_json(stdout, r, run.verbose);
		else
			output_proxy_human(stdout, r, run.verbose, run.color);
		if (r->verdict == V_OPEN || r->verdict == V_SUSPECT)
			rc = EXIT_FOUND;
	}
	for (size_t i = 0; i < run.njobs; i++) {
		struct target_result *r = &run.jobs[i].r;

		verdict_decide(r);
		if (run.json)
			output_json(stdout, r, run.canary, run.verbose);
		else
			output_human(stdout, r, run.verbose, run.color);
		if (r->verdict == V_OPEN || r->verdict == V_SUSPECT)
			rc = EXIT_FOUND;
	}
	if (run.foreign_total && !run.json)
		fprintf(stderr,
		        "relaywatch: %lu arrival(s) at the sink did not match a test "
		        "(forged, replayed or foreign tokens; not counted)\n",
		        run.foreign_total);
	fflush(stdout);
	SSL_CTX_free(run.env.ssl_ctx);
out:
	for (size_t i = 0; i < run.njobs; i++) {
		struct job *j = &run.jobs[i];
		j->probe = probe_free(j->probe);
		j->sess = sess_free(j->sess);
		result_clear(&j->r);
	}
	for (size_t i = 0; i < run.npx; i++) {
		run.pxjobs[i].pp = pxprobe_free(run.pxjobs[i].pp);
		presult_clear(&run.pxjobs[i].r);
	}
	free(run.pxjobs);
	for (size_t i = 0; i < run.nforeign; i++)
		arrival_clear(&run.foreign[i]);
	free(run.jobs);
	free(run.targets);
	run.sink = sink_free(run.sink);
	if (run.wait_timer)
		event_free(run.wait_timer);
	if (run.dns)
		evdns_base_free(run.dns, 0);
	event_base_free(run.base);
	return rc;
}
