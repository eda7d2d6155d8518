/*
 * page.h - what the pages share beyond html.h: the incident and result
 * tables (page_incident.c, page_scans.c)
 */
#ifndef RW_WEB_PAGE_H
#define RW_WEB_PAGE_H

#include "../core/dbuf.h"
#include "../store/store.h"

/* page_incident_head - a table's opening and header row for incident rows */
void page_incident_head(struct dbuf *b);
/* page_incident_row - one incident: id (linked), address (linked to its
 * host page), class, state, policy, opened, due */
void page_incident_row(struct dbuf *b, const struct store_incident *in);
/* page_results_table - results as a whole table: scan, tested, address,
 * probe, verdict, reason, banner or software; only probe's (NULL: all),
 * at most max rows */
void page_results_table(struct dbuf *b, const struct store_results *l, const char *probe,
                        size_t max);

#endif
