/*
 * sess.h - the relay-test client session as a pure state machine
 *
 * No sockets, no clock: the I/O layer (src/net/probe.c) feeds events in
 * and performs the step that comes back. sess_on_reply() judges a whole
 * reply and sess_enter() (internal) emits the next command's bytes into
 * the output buffer. Time arrives as a parameter (milliseconds).
 * Standards: RFC 5321 (session), RFC 2920 (pipelining: MAIL, RCPT, DATA
 * in one write), RFC 3207 (STARTTLS), RFC 8314 (implicit TLS on 465).
 */
#ifndef RW_SESS_H
#define RW_SESS_H

#include <stddef.h>

#include "../core/dbuf.h"
#include "battery.h"
#include "reply.h"
#include "result.h"
#include "token.h"

enum tls_mode { TLS_AUTO, TLS_REQUIRE, TLS_NEVER };

struct sess_config {
	const char *canary;            /* domain or "[literal]" */
	const char *myname;            /* our HELO name */
	const char *operator_name;
	const char *abuse_contact;
	const char *scan_id;           /* "0" for `relaywatch test` */
	const struct token_key *key;
	enum tls_mode tls;
	int implicit_tls;              /* TLS from the first byte (port 465) */
	const struct battery_test *const *battery;
	size_t nbattery;
	int connect_timeout_ms, banner_timeout_ms, reply_timeout_ms, session_timeout_ms;
	int greylist_delay_ms;         /* first retry delay; doubles per round */
	int greylist_rounds;           /* at most; 0 = no retries */
	int reconnect_max;             /* after 421 / drops mid-battery */
	int no_transcript;             /* keep no transcript: nothing will show it
	                                  (scan without -v); the verdict never reads it */
};

enum sess_action {
	SA_READ,      /* wait for the next reply (deadline: sess_deadline_ms) */
	SA_SEND,      /* write sess_output(), then wait for the next reply */
	SA_STARTTLS,  /* start the TLS handshake now; report with sess_on_tls */
	SA_RECONNECT, /* close; after step.delay_ms connect again (sess_on_connect) */
	SA_FINISH,    /* close; the result is final (but arrivals may follow) */
};

struct sess_step {
	enum sess_action act;
	int delay_ms; /* SA_RECONNECT only */
};

enum sess_failure {
	FAIL_CONNECT,        /* connect refused, unreachable or timed out */
	FAIL_EOF,            /* peer closed or reset */
	FAIL_TIMEOUT,        /* the current deadline passed */
	FAIL_PROTOCOL,       /* the reply parser gave up (detail = its error) */
	FAIL_SESSION_TIMEOUT,/* the whole-session budget is spent */
	FAIL_TLS,            /* the handshake failed */
};

struct sess;

/* sess_new - a session for one target; r is borrowed and filled in as the
 * session goes (must outlive the session); r->addr, r->port, r->target
 * and r->host must be set by the caller; tests are prepared here. */
struct sess *sess_new(const struct sess_config *cfg, struct target_result *r, long long now_ms);
struct sess *sess_free(struct sess *s);

/* Events. Each returns what the I/O layer must do next. */
struct sess_step sess_on_connect(struct sess *s, long long now_ms);
struct sess_step sess_on_reply(struct sess *s, const struct reply *rep, long long now_ms);
struct sess_step sess_on_tls(struct sess *s, int ok, const char *version, long long now_ms);
struct sess_step sess_on_failure(struct sess *s, enum sess_failure f, const char *detail,
				 long long now_ms);

/* sess_output - bytes to write after SA_SEND; the layer drains it */
struct dbuf *sess_output(struct sess *s);
/* sess_deadline_ms - how long the current wait may last (connect, banner,
 * reply or end of DATA) */
int sess_deadline_ms(const struct sess *s);
/* sess_wants_tls_first - implicit TLS: handshake before the banner */
int sess_wants_tls_first(const struct sess *s);
/* sess_accepted - tests accepted at end of DATA, not yet delivered or bounced */
size_t sess_accepted(const struct sess *s);
/* sess_state_name - for logs */
const char *sess_state_name(const struct sess *s);

/* sess_expand_tests - (re)expand every test's HELO, MAIL and RCPT for the
 * target (exposed for tests); host may be NULL (then the IP literal) */
int sess_expand_tests(struct sess *s, const char *host);

#endif
