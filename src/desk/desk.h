/*
 * desk.h - the abuse desk's engine: the incident machine's decisions
 * carried out on the store
 *
 * No sockets and no clock: every call takes the time (ms, the caller's
 * deskclock_now()). Each call reads the incident, feeds the pure machine
 * (src/desk/incident.h) one event, and writes in ONE store batch: the
 * incident row (state, machine JSON, due time, level; rev-checked), the
 * event, one event per action, the notices (rendered from the policy's
 * templates, composed with mailmsg, queued in the outbox) and the
 * block / unblock / suspend / terminate requests. A crash leaves all of
 * it or none.
 *
 * A notice's Message-ID is derived from the incident id, the revision the
 * event was applied to and the action's index, so a step replayed after a
 * crash queues the same Message-ID and the outbox keeps it once.
 *
 * Templates: for notify[step][rcpt] = NAME the file is looked up in the
 * template directory as NAME-RCPT.tpl, NAME.tpl, then through a short
 * alias table (results -> test-results-RCPT, repaired -> unblocked, the
 * isp-* names -> the generic files). Every template the policy names is
 * loaded and checked by desk_new(): a missing or bad one is an error
 * then, never when a notice is due.
 */
#ifndef RW_DESK_H
#define RW_DESK_H

#include <stddef.h>
#include <stdint.h>

#include "../smtp/result.h"
#include "../store/store.h"
#include "policy.h"

struct token_key;

/* version of the machine JSON kept in incidents.machine; 2 added the
 * incident's class (version 1 rows are read as open relays) */
#define DESK_MACHINE_VERSION 2

/* an incident's class: what was found open on (addr, port) */
#define DESK_CLASS_RELAY "open-relay" /* the smtp probe's results */
#define DESK_CLASS_PROXY "open-proxy" /* the proxy probe's results */
/* a test handed to the callback and never answered is handed out again
 * after this long (the daemon died mid-test) */
#define DESK_TEST_LEASE_MS (30LL * 60 * 1000)

struct desk_config {
	const struct policy *policy; /* copied */
	const char *template_dir;    /* e.g. contrib/templates */
	const char *from; /* "Abuse desk <abuse@example.net>": From and Message-ID domain */
	const char *operator_name;  /* {{operator}}; NULL: "" */
	const char *noc;            /* the noc recipient's address(es); NULL: no noc notices */
	const char *incident_url;   /* base, "https://desk/incident/" + id; NULL: none */
	const char *retest_command; /* NULL: "relaywatch test ADDR:PORT" */
	/* signs the host owner's link (src/desk/owner.h; copied): with
	 * incident_url the notices get {{owner_url}}, incident_url's origin +
	 * "/owner/" + the token; NULL: no owner_url */
	const struct token_key *owner_key;
};

struct desk;

/* desk_new - an engine on st (borrowed; must outlive it) for cfg (strings
 * copied). NULL with every problem in err (bad From, missing or bad
 * templates). */
struct desk *desk_new(struct store *st, const struct desk_config *cfg, char *err, size_t errlen);
/* desk_free - NULL ok; returns NULL */
struct desk *desk_free(struct desk *d);
/* desk_policy - the policy the desk applies (borrowed) */
const struct policy *desk_policy(const struct desk *d);
/* desk_error - the last failure's text; borrowed until the next call */
const char *desk_error(const struct desk *d);

/* desk_complaint - the stored complaint complaint_id: find or open the
 * incident of its (addr, port) (port 0 counts as 25), attach the
 * complaint, feed EV_COMPLAINT. A complaint whose kind names a proxy
 * ("open-proxy", "proxy", ...) opens an open-proxy incident. 1 and
 * *incident when attached to one, 0 when the policy opens nothing on
 * complaints, -1 on error. */
int desk_complaint(struct desk *d, int64_t complaint_id, long long now_ms, int64_t *incident);

/* desk_scan - a result of our own sweep (scan-open, -suspect, -clean,
 * -other): the same as desk_complaint for a sweep. 1 fed to an incident,
 * 0 nothing to do (no open incident and the policy opens none), -1. */
int desk_scan(struct desk *d, const struct target_result *r, long long now_ms, int64_t *incident);

/* desk_result - the result r (its verdict and evidence) of a test or
 * retest the machine asked for: 1 applied, 0 ignored by the machine (the
 * event is still recorded), -1 error (no such incident, store). */
int desk_result(struct desk *d, int64_t incident_id, const struct target_result *r,
                long long now_ms);

/* A result as the store keeps it (struct store_result): the daemon's
 * sweeps and retests run as scans and hand their stored rows in. */
struct desk_finding {
	const char *addr;
	unsigned port;
	enum verdict verdict;
	const char *reason;
	const char *evidence; /* output_json's JSON (the store's evidence), or NULL */
	const char *probe;    /* the store's probe: "smtp" or "proxy"; NULL: the
	                         evidence's "probe", and without one "smtp" */
	const char *vantage;  /* where it was tested from (doc/scale.md); NULL or "":
	                         the one place. An open or suspect finding from one
	                         of the policy's internal_vantages opens or confirms
	                         nothing under internal_open = ignore (recorded as
	                         inconclusive, the why in the event) */
};

/* desk_scan_finding, desk_result_finding - desk_scan and desk_result of
 * a stored result: the same answers. The notices' evidence (tests that
 * worked, transcript excerpt, arrival, advice; for a proxy the protocols,
 * the exchange, the egress) comes from f->evidence. A "proxy" finding
 * opens an open-proxy incident, an "smtp" one an open-relay incident (one
 * per addr and port either way); a finding of the other class than the
 * incident of its (addr, port) counts as inconclusive there (never a
 * confirmation, never a repair), and the event's detail says so. */
int desk_scan_finding(struct desk *d, const struct desk_finding *f, long long now_ms,
                      int64_t *incident);
/* desk_finding_of - the finding of a stored result (r's strings borrowed;
 * an unknown verdict name reads as error) */
struct desk_finding desk_finding_of(const struct store_result *r);
int desk_result_finding(struct desk *d, int64_t incident_id, const struct desk_finding *f,
                        long long now_ms);

/* desk_test_fn - run a test of (addr, port) for incident with the probe
 * of its class ("smtp" for an open relay, "proxy" for an open proxy) and
 * report it later with desk_result(); called outside any batch */
typedef void desk_test_fn(void *arg, int64_t incident, const char *addr, unsigned port,
                          const char *probe);

/* desk_due - every open incident due at now_ms: a deadline come is fed
 * to the machine; a test come is handed to on_test once (recorded as a
 * "test-started" event; handed again only after DESK_TEST_LEASE_MS
 * without a result). Returns the count of incidents acted on, or -1. */
int desk_due(struct desk *d, long long now_ms, desk_test_fn *on_test, void *arg);

/* operator commands (incident_event EV_CMD_*) */
enum desk_cmd { DESK_CMD_RETEST, DESK_CMD_NOTE, DESK_CMD_CLOSE, DESK_CMD_BLOCK, DESK_CMD_UNBLOCK };

/* desk_command - an operator's command on incident id, recorded with
 * user (the operator's name; NULL: "operator") and text (the note, the
 * close or unblock reason: required for those; block's is optional).
 * retest schedules a test now (the daemon's next desk_due hands it out);
 * block and unblock record the action the daemon applies at its next
 * tick (incident.h: unblock starts a new grace). 1 applied, 0 rejected by the
 * machine (e.g. close of a blocked incident, any command on a final
 * one: the why is in desk_error(), and the attempt is recorded), -1 an
 * error (no such incident, store). */
int desk_command(struct desk *d, int64_t incident, enum desk_cmd cmd, const char *user,
                 const char *text, long long now_ms);

/* desk_notice_sent - the outbox sent m (the row it claimed; borrowed):
 * when it is the confirmed step's notice to the admin, the machine's
 * grace starts (EV_NOTICE_SENT). 1 fed, 0 not such a notice, -1. */
int desk_notice_sent(struct desk *d, const struct store_outbox *m, long long now_ms);

/* desk_class_probe - the probe that tests a class ("proxy" for
 * DESK_CLASS_PROXY, else "smtp"); static */
const char *desk_class_probe(const char *klass);
/* desk_machine_class - the class kept in an incident's machine JSON
 * (struct store_incident's machine), DESK_CLASS_RELAY when it names none
 * (version 1) or is unreadable; static */
const char *desk_machine_class(const char *machine);

#endif
