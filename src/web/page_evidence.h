/*
 * page_evidence.h - an incident's evidence as HTML, shared by the
 * operators' incident page and the host owner's page (page_evidence.c)
 */
#ifndef RW_WEB_PAGE_EVIDENCE_H
#define RW_WEB_PAGE_EVIDENCE_H

#include "../core/dbuf.h"
#include "../store/store.h"

/* evidence_find - the newest result of the incident's address, port and
 * probe class among the address's latest ones: 1 and *res (pointing into
 * l, which the caller frees with store_results_free), 0 none, -1 store */
int evidence_find(struct store *st, const struct store_incident *in, struct store_results *l,
                  const struct store_result **res);
/* evidence_html - the result's evidence: a relay's tests, transcript (the
 * lines of the tricks that worked highlighted) and arrivals with their
 * Received path; a proxy's protocols with what was sent and received */
void evidence_html(struct dbuf *b, const struct store_result *res);
/* evidence_advice - the repair advice for the MTA or proxy, as <pre> */
void evidence_advice(struct dbuf *b, const struct store_result *res);

#endif
