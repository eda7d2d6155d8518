/*
 * NAME
 *	presult - a proxy target's attempts and the verdict they add up to
 * SUMMARY
 *	keep the attempts, decide the target's verdict from them
 * SYNOPSIS
 *	void presult_init(struct proxy_result *r);
 *	void presult_clear(struct proxy_result *r);
 *	void presult_add(struct proxy_result *r, struct pxa *a);
 *	void presult_decide(struct proxy_result *r);
 *	enum verdict presult_verdict_of(enum px_outcome o);
 * DESCRIPTION
 *	A target is as open as its most open protocol: one protocol that
 *	carried the canary's nonce makes it open whatever the others said.
 *	The order (open, suspect, auth-required, closed, not-proxy, error,
 *	unreachable) puts proof first, then claims of success without proof,
 *	then proxies that refuse, then what is no proxy at all. The reason
 *	names the deciding protocol and its own reason; software is the
 *	first fingerprint any attempt found (the deciding one preferred);
 *	egress is the address the canary saw the proxy come from.
 * DIAGNOSTICS
 *	none; an undecided attempt counts as error.
 * LIMITS
 *	PX__COUNT attempts (one per protocol).
 * STANDARDS
 *	none.
 */
#include "presult.h"
#include "../core/xalloc.h"

#include <stdio.h>
#include <string.h>

/* strength of each outcome: lower wins */
static const int rank[PXO__COUNT] = {
    [PXO_OPEN] = 0,      [PXO_SUSPECT] = 1, [PXO_AUTH] = 2,        [PXO_CLOSED] = 3,
    [PXO_NOT_PROXY] = 4, [PXO_ERROR] = 5,   [PXO_UNREACHABLE] = 6,
};

static const enum verdict as_verdict[PXO__COUNT] = {
    [PXO_OPEN] = V_OPEN,
    [PXO_SUSPECT] = V_SUSPECT,
    [PXO_AUTH] = V_AUTH_REQUIRED,
    [PXO_CLOSED] = V_CLOSED,
    [PXO_NOT_PROXY] = V_NOT_PROXY,
    [PXO_ERROR] = V_ERROR,
    [PXO_UNREACHABLE] = V_UNREACHABLE,
};

/* presult_verdict_of - the verdict an attempt outcome stands for */
enum verdict presult_verdict_of(enum px_outcome o)
{
	return (unsigned)o < PXO__COUNT ? as_verdict[o] : V_ERROR;
}

void presult_init(struct proxy_result *r)
{
	memset(r, 0, sizeof(*r));
	r->verdict = V_ERROR;
}

void presult_clear(struct proxy_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		r->att[i] = pxa_free(r->att[i]);
	r->n = 0;
}

/* presult_add - keep a; more than one attempt per protocol is a caller bug */
void presult_add(struct proxy_result *r, struct pxa *a)
{
	if (r->n >= PX__COUNT)
		rw_panic("%s: more than %d attempts", __func__, PX__COUNT);
	r->att[r->n++] = a;
}

/* outcome - an attempt's outcome, error while undecided */
static enum px_outcome outcome(const struct pxa *a)
{
	return pxa_decided(a) ? pxa_report(a)->outcome : PXO_ERROR;
}

/* presult_decide - the strongest outcome decides */
void presult_decide(struct proxy_result *r)
{
	const struct pxa_report *best = NULL;
	enum px_outcome bo = PXO_UNREACHABLE;

	r->software[0] = r->egress[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		enum px_outcome o = outcome(r->att[i]);

		if (best == NULL || rank[o] < rank[bo]) {
			best = pxa_report(r->att[i]);
			bo = o;
		}
	}
	if (best == NULL) {
		r->verdict = V_UNREACHABLE;
		snprintf(r->reason, sizeof(r->reason), "no protocol was tried");
		return;
	}
	r->verdict = as_verdict[bo];
	snprintf(r->reason, sizeof(r->reason), "%s: %s", proxy_proto_name(best->proto),
	         best->reason[0] ? best->reason : px_outcome_name(bo));
	if (best->software[0])
		snprintf(r->software, sizeof(r->software), "%s", best->software);
	for (size_t i = 0; i < r->n && !r->software[0]; i++)
		if (pxa_report(r->att[i])->software[0])
			snprintf(r->software, sizeof(r->software), "%s",
			         pxa_report(r->att[i])->software);
	if (best->has_nonce)
		snprintf(r->egress, sizeof(r->egress), "%s", best->canary.peer);
}
