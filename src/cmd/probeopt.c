/*
 * NAME
 *	probeopt - the probing options `test` and `scan` share
 * SUMMARY
 *	one table of flags mapped to config keys, one name check, one clock
 * SYNOPSIS
 *	int probeopt_take(int c, const char *arg, struct rw_config *cfg,
 *		struct probeopt_flags *f, const char *who);
 *	int probeopt_valid_name(const char *d);
 *	enum tls_mode probeopt_tls_mode(const char *s);
 *	long long probeopt_now_ms(void);
 * DESCRIPTION
 *	probeopt_take() turns a shared flag into its config key, so a flag
 *	and relaywatch.conf are checked by the same code (config_set);
 *	--no-sink and --json set f. probeopt_valid_name() decides whether a
 *	canary or HELO name can be expanded into battery paths at all (a name
 *	that cannot would make every test send empty paths).
 * DIAGNOSTICS
 *	probeopt_take: -1 after one line on stderr naming the flag.
 * LIMITS
 *	names up to RW_DOMAIN_MAX.
 * STANDARDS
 *	RFC 5321 4.1.2 (domain and address literal syntax), 4.1.3.
 */
#include "probeopt.h"
#include "../core/limits.h"
#include "../smtp/addr.h"

#include <stdio.h>
#include <string.h>
#include "../net/probe.h"
#include "../net/pxprobe.h"
#include <sys/time.h>

/* the config key of each shared flag that is one (NULL: handled here) */
static const struct {
	const char *flag;
	const char *key;
} shared[PO__NEXT - PO_CANARY] = {
    [PO_CANARY - PO_CANARY] = {"canary", "canary_domain"},
    [PO_SINK - PO_CANARY] = {"sink-listen", "sink_listen"},
    [PO_NOSINK - PO_CANARY] = {"no-sink", NULL},
    [PO_WAIT - PO_CANARY] = {"wait", "wait"},
    [PO_SOURCE - PO_CANARY] = {"source", "source_address"},
    [PO_TIMEOUT - PO_CANARY] = {"timeout", NULL},
    [PO_STIMEOUT - PO_CANARY] = {"session-timeout", "session_timeout"},
    [PO_GREY - PO_CANARY] = {"greylist-delay", "greylist_delay"},
    [PO_TLS - PO_CANARY] = {"tls", "tls"},
    [PO_BATTERY - PO_CANARY] = {"battery", "battery"},
    [PO_HELO - PO_CANARY] = {"helo", "helo_name"},
    [PO_KEY - PO_CANARY] = {"token-key", "token_key"},
    [PO_JSON - PO_CANARY] = {"json", NULL},
    [PO_PXCANARY - PO_CANARY] = {"proxy-canary", "proxy_canary"},
    [PO_PXPROTOS - PO_CANARY] = {"proxy-protocols", "proxy_protocols"},
    [PO_PXTIMEOUT - PO_CANARY] = {"proxy-timeout", "proxy_timeout"},
};

/* probeopt_take - one shared flag into the config or the flags */
int probeopt_take(int c, const char *arg, struct rw_config *cfg, struct probeopt_flags *f,
                  const char *who)
{
	const char *e;

	if (c < PO_CANARY || c >= PO__NEXT)
		return 0;
	switch (c) {
	case PO_NOSINK:
		f->no_sink = 1;
		return 1;
	case PO_JSON:
		f->json = 1;
		return 1;
	case PO_TIMEOUT:
		if ((e = config_set(cfg, "reply_timeout", arg)) == NULL &&
		    (e = config_set(cfg, "banner_timeout", arg)) == NULL)
			e = config_set(cfg, "connect_timeout", arg);
		break;
	default:
		e = config_set(cfg, shared[c - PO_CANARY].key, arg);
		break;
	}
	if (e) {
		fprintf(stderr, "relaywatch %s: --%s %s: %s\n", who, shared[c - PO_CANARY].flag,
		        arg, e);
		return -1;
	}
	return 1;
}

/* probeopt_valid_name - a name or literal the battery can expand */
int probeopt_valid_name(const char *d)
{
	size_t n = strlen(d);

	if (n == 0 || n > RW_DOMAIN_MAX)
		return 0;
	if (d[0] == '[')
		return addr_is_literal(d);
	for (size_t i = 0; i < n; i++)
		if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= 'A' && d[i] <= 'Z') ||
		      (d[i] >= '0' && d[i] <= '9') || d[i] == '.' || d[i] == '-'))
			return 0;
	return d[0] != '.' && d[0] != '-' && strstr(d, "..") == NULL;
}

/* probeopt_tls_mode - "require", "never", else auto */
enum tls_mode probeopt_tls_mode(const char *s)
{
	if (strcmp(s, "require") == 0)
		return TLS_REQUIRE;
	return strcmp(s, "never") == 0 ? TLS_NEVER : TLS_AUTO;
}

/* probeopt_now_ms - wall clock in milliseconds */
long long probeopt_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* probeopt_proxy - where proxies are sent, and which protocols are tried */
int probeopt_proxy(const struct rw_config *cfg, const char *who, const struct probe_env *env,
                   const struct token_key *key, struct proxy_canary *c, struct pxprobe_env *out)
{
	const char *where = cfg->proxy_canary ? cfg->proxy_canary : cfg->sink_listen;
	const char *e;
	unsigned *protos = &out->protos;

	if (where == NULL) {
		fprintf(stderr,
		        "relaywatch %s: proxy probes need a canary target: set proxy_canary "
		        "(or sink_listen)\n",
		        who);
		return -1;
	}
	if ((e = pxprobe_canary_parse(where, c)) != NULL) {
		fprintf(stderr, "relaywatch %s: %s %s: %s\n", who,
		        cfg->proxy_canary ? "proxy_canary" : "sink_listen", where, e);
		return -1;
	}
	*protos = 0;
	if (cfg->proxy_protocols && (e = pxprobe_protos_parse(cfg->proxy_protocols, protos))) {
		fprintf(stderr,
		        "relaywatch %s: proxy_protocols: unknown protocol '%s' (known: ", who, e);
		for (int i = 0; i < PX__COUNT; i++)
			fprintf(stderr, "%s%s", i ? ", " : "",
			        proxy_proto_name((enum proxy_proto)i));
		fprintf(stderr, ")\n");
		return -1;
	}
	out->base = env->base;
	out->source = env->source;
	out->source_len = env->source_len;
	out->canary = c;
	out->key = key;
	out->connect_timeout_ms = cfg->connect_timeout * 1000;
	out->attempt_timeout_ms = cfg->proxy_timeout * 1000;
	return 0;
}
