/*
 * verdict.h - decide a target's verdict from its tests and session facts
 */
#ifndef RW_VERDICT_H
#define RW_VERDICT_H

#include "result.h"

/* verdict_decide - set r->verdict and r->reason from r->end, the tests'
 * stages and codes and the arrivals. Pure; may be called again when a
 * late arrival upgrades suspect to open. */
void verdict_decide(struct target_result *r);

/* verdict_is_auth - the reply demands authentication (530, 5.7.0 with
 * "auth", 535, "authentication required" ...) */
int verdict_is_auth(int code, const char *esc, const char *text);
/* verdict_is_relay_denial - the text says relaying is refused; a 4xx of
 * this kind (Postfix's default defer_unauth_destination answers 454 4.7.1
 * Relay access denied) is a refusal, not greylisting, and is not retried */
int verdict_is_relay_denial(int code, const char *esc, const char *text);
/* verdict_is_starttls - the reply demands STARTTLS first */
int verdict_is_starttls(int code, const char *esc, const char *text);

#endif
