/*
 * presult.h - the result of testing one address and port for open proxies
 *
 * The attempts (one per protocol tried, src/proxy/proxy.h) and the
 * target's verdict decided from them: the strongest outcome wins, in the
 * order open, suspect, auth-required, closed, not-proxy, error,
 * unreachable. The verdict uses enum verdict (src/smtp/result.h), so relay
 * and proxy results share the store, the counts and the desk.
 */
#ifndef RW_PRESULT_H
#define RW_PRESULT_H

#include "../core/limits.h"
#include "../smtp/result.h"
#include "proxy.h"

struct proxy_result {
	char target[RW_DOMAIN_MAX + 1]; /* as given */
	char addr[64];                  /* address tested, text */
	unsigned port;
	enum verdict verdict;
	char reason[512];
	char software[64];           /* best fingerprint of the attempts, "" unknown */
	char egress[64];             /* the proxy's egress address the canary saw, "" */
	struct proxy_canary canary;  /* what the proxy was asked to reach */
	long long started, finished; /* unix ms */
	size_t n;                    /* attempts made */
	struct pxa *att[PX__COUNT];  /* owned, in the order tried */
};

/* presult_init - empty, verdict error until decided */
void presult_init(struct proxy_result *r);
/* presult_clear - free the attempts; r reusable after presult_init */
void presult_clear(struct proxy_result *r);
/* presult_add - take ownership of a (decided or not) attempt */
void presult_add(struct proxy_result *r, struct pxa *a);
/* presult_decide - verdict, reason, software and egress from the
 * attempts; no attempt at all is unreachable */
void presult_decide(struct proxy_result *r);
/* presult_verdict_of - the verdict an attempt outcome stands for */
enum verdict presult_verdict_of(enum px_outcome o);

#endif
