/*
 * probeopt.h - what `test` and `scan` share: the probing options, the
 * check of canary and HELO names, the clock
 */
#ifndef RW_PROBEOPT_H
#define RW_PROBEOPT_H

#include <getopt.h>

#include "../core/config.h"
#include "../smtp/sess.h"

/* Option codes of the shared flags; a command's own codes start at
 * PO__NEXT. */
enum {
	PO_CANARY = 256,
	PO_SINK,
	PO_NOSINK,
	PO_WAIT,
	PO_SOURCE,
	PO_TIMEOUT,
	PO_STIMEOUT,
	PO_GREY,
	PO_TLS,
	PO_BATTERY,
	PO_HELO,
	PO_KEY,
	PO_JSON,
	PO_PXCANARY,
	PO_PXPROTOS,
	PO_PXTIMEOUT,
	PO__NEXT
};

/* PROBEOPT_OPTIONS - the shared rows of a getopt_long table */
#define PROBEOPT_OPTIONS                                                                           \
	{"canary", required_argument, NULL, PO_CANARY},                                            \
	    {"sink-listen", required_argument, NULL, PO_SINK},                                     \
	    {"no-sink", no_argument, NULL, PO_NOSINK}, {"wait", required_argument, NULL, PO_WAIT}, \
	    {"source", required_argument, NULL, PO_SOURCE},                                        \
	    {"timeout", required_argument, NULL, PO_TIMEOUT},                                      \
	    {"session-timeout", required_argument, NULL, PO_STIMEOUT},                             \
	    {"greylist-delay", required_argument, NULL, PO_GREY},                                  \
	    {"tls", required_argument, NULL, PO_TLS},                                              \
	    {"battery", required_argument, NULL, PO_BATTERY},                                      \
	    {"helo", required_argument, NULL, PO_HELO},                                            \
	    {"token-key", required_argument, NULL, PO_KEY}, {"json", no_argument, NULL, PO_JSON},  \
	    {"proxy-canary", required_argument, NULL, PO_PXCANARY},                                \
	    {"proxy-protocols", required_argument, NULL, PO_PXPROTOS},                             \
	{                                                                                          \
		"proxy-timeout", required_argument, NULL, PO_PXTIMEOUT                             \
	}

struct probeopt_flags {
	int no_sink;
	int json;
};

/* probeopt_take - handle one getopt result c if it is a shared option:
 * the value goes through config_set (--timeout sets all three phase
 * deadlines). Returns 1 when taken, 0 when c is not a shared option, -1
 * after printing "relaywatch WHO: --name value: problem" on stderr. */
int probeopt_take(int c, const char *arg, struct rw_config *cfg, struct probeopt_flags *f,
                  const char *who);

/* probeopt_valid_name - a domain name, or an address literal, as a battery
 * placeholder may hold (letters, digits, '-', '.'; "[...]" literal) */
int probeopt_valid_name(const char *d);

/* probeopt_tls_mode - config text to mode; anything unknown is auto */
enum tls_mode probeopt_tls_mode(const char *s);

/* probeopt_now_ms - wall clock in ms for sessions and result times */
long long probeopt_now_ms(void);

struct proxy_canary;
struct probe_env;
struct pxprobe_env;
struct token_key;
/* probeopt_proxy - the proxy probes' environment: the canary (proxy_canary,
 * else sink_listen) into *c, the protocols (proxy_protocols, else all),
 * the timeouts, and the loop and source address of the relay probes' env;
 * out points at c and key (both must outlive it). 0, or -1 after printing
 * "relaywatch WHO: ..." on stderr */
int probeopt_proxy(const struct rw_config *cfg, const char *who, const struct probe_env *env,
                   const struct token_key *key, struct proxy_canary *c, struct pxprobe_env *out);

#endif
