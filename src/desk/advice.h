/*
 * advice.h - repair advice for an open relay, per fingerprinted MTA and trick,
 * and for an open proxy, per proxy software
 */
#ifndef RW_ADVICE_H
#define RW_ADVICE_H

#include <stddef.h>

#include "../core/dbuf.h"

struct advice {
	const char *mta;     /* fingerprint_guess() name; "unknown" for the fallback */
	const char *product; /* "Postfix", "Microsoft Exchange", ... */
	const char *fix;     /* what to change, lines ending in "\n" */
	const char *verify;  /* a manual check on the server itself */
};

/* advice_for - the row for an MTA name (as fingerprint_guess() writes it,
 * case-insensitive); the "unknown" row for NULL, "" or a name without
 * advice of its own. Static; never NULL. */
const struct advice *advice_for(const char *mta);
/* advice_all - the whole table and its size (the unknown row last) */
const struct advice *advice_all(size_t *n);

/* advice_trick - extra advice for a battery test id that worked on this
 * MTA ("percent-ip", "bang-host", "quoted", ...): the MTA's own row, else a
 * generic one; NULL when the id needs nothing beyond the general fix.
 * Static text. */
const char *advice_trick(const char *mta, const char *test_id);

/* advice_write - the whole advice into out: the general fix, then each
 * distinct trick text for ids (nids of them, NULL entries skipped) */
void advice_write(struct dbuf *out, const char *mta, const char *const *ids, size_t nids);
/* advice_verify - how to check the repair: the manual check, then the
 * retest command (e.g. "relaywatch test 192.0.2.7:25"; NULL leaves it out) */
void advice_verify(struct dbuf *out, const char *mta, const char *retest_command);

/* Open proxies: one row per proxy software, chosen by the "software"
 * string a proxy result carries (its Server, Via or Proxy-Agent value). */
struct proxy_advice {
	const char *name;    /* "tinyproxy", "squid", "dante", "3proxy", "socks",
	                        "apache", "nginx", "isa", "wingate"; "unknown" last */
	const char *product; /* "tinyproxy", "Squid", ... */
	const char *fix;     /* what to change, lines ending in "\n" */
	const char *verify;  /* a manual check on the proxy host itself */
};

/* advice_proxy_for - the row for software (case-insensitive fingerprints:
 * "tinyproxy/1.11.1", "squid/5.7", "Apache/2.4.57", "nginx", "Microsoft-ISA",
 * "TMG", "WinGate", ...; NULL or "" when the proxy named none), else by the
 * protocols that let us through (nprotos names as proxy_proto_name writes
 * them, NULL entries skipped): telnet -> WinGate, socks4/4a/5 -> the SOCKS
 * row (Dante and 3proxy), else "unknown". Static; never NULL. */
const struct proxy_advice *advice_proxy_for(const char *software, const char *const *protos,
                                            size_t nprotos);
/* advice_proxy_all - the whole proxy table and its size (unknown last) */
const struct proxy_advice *advice_proxy_all(size_t *n);
/* advice_proxy_write - the row's fix into out; the unknown row first says
 * what software the proxy named, if any */
void advice_proxy_write(struct dbuf *out, const struct proxy_advice *a, const char *software);
/* advice_proxy_verify - the row's manual check, then a curl/telnet command
 * against hostport ("192.0.2.7:3128", "[2001:db8::1]:1080"; NULL: none) for
 * each protocol that worked, then the retest command (NULL leaves it out) */
void advice_proxy_verify(struct dbuf *out, const struct proxy_advice *a, const char *hostport,
                         const char *const *protos, size_t nprotos, const char *retest_command);

#endif
