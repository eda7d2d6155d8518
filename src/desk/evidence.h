/*
 * evidence.h - a target's result as notice variables (verdict, tests,
 * transcript excerpt, Received chain, advice)
 */
#ifndef RW_EVIDENCE_H
#define RW_EVIDENCE_H

#include "../smtp/result.h"
#include "template.h"

/* evidence_vars - set in v, from r: host.addr, host.port, host.name,
 * incident.class ("open-relay"), verdict, reason, tested_at, mta, mta.product, tests_worked,
 * transcript_excerpt, arrival ("yes" or none), arrival.peer, arrival.time,
 * arrival.received, advice, verify and retest_command ("relaywatch test
 * ADDR:PORT" unless retest_command is given). r is only read; the other
 * std names (incident.*, deadline, operator, ...) are the caller's. */
void evidence_vars(struct template_vars *v, const struct target_result *r,
                   const char *retest_command);

/* evidence_vars_json - the same from a result as JSON (output_json's
 * form: scan --json, the store's evidence column); the transcript excerpt
 * only when the JSON has the transcript (-v). A result of the proxy probe
 * ("probe":"proxy") sets instead: incident.class ("open-proxy"), proxy
 * ("yes"), proxy.protocols, proxy.excerpt, proxy.egress, proxy.software,
 * proxy.canary, proxy.product, host.*, verdict, reason, tested_at,
 * advice, verify and retest_command ("relaywatch test --proxy ADDR:PORT").
 * -1 when json is not a JSON object (nothing set). */
int evidence_vars_json(struct template_vars *v, const char *json, const char *retest_command);

#endif
