/*
 * store.h - the store: scans, their progress, results and arrivals; the
 * abuse desk's contacts, complaints, incidents, events, outbox, actions;
 * the web console's users, sessions and API tokens; the work units
 * (shards) of a scan spread over several workers, and the workers
 *
 * One interface, several backends (a `const struct store_ops` each, found
 * by name in a registry): SQLite (sqlite.c) and PostgreSQL (pg.c). Every query the
 * program makes goes through the store_* functions below; callers never
 * see SQL or the backend's handle (`struct store` is opaque).
 *
 * Conventions shared by every call:
 * - Return 0 (or 1/0 where said) on success, -1 on error; the error text
 *   is then store_error(st), borrowed until the next call on st.
 * - Time is always passed in by the caller (unix seconds); the store
 *   never reads a clock.
 * - Strings passed in are borrowed for the duration of the call. Strings
 *   returned inside structs and lists are owned by that struct or list
 *   and freed by its *_clear / *_free function.
 * - JSON columns (params, counts, evidence, received) are the caller's
 *   JSON text, stored and returned as given; the store does not parse it.
 * - Outside a batch every write commits on its own. Inside
 *   store_batch_begin() .. store_batch_commit() writes are one
 *   transaction: a crash (kill -9) before the commit leaves none of them,
 *   after it all of them. After any failed call inside a batch the batch
 *   is spoiled: later calls still run but the commit rolls everything
 *   back and returns -1 (PostgreSQL's rule, kept by every backend).
 * - Data calls need the schema at STORE_SCHEMA_VERSION: run
 *   store_migrate() after store_open() (it is idempotent).
 * - A store handle is used by one thread at a time.
 *
 * Late arrivals (the rule DESIGN.md calls "suspect upgrades to open"):
 * an arrival tied to a scan (scan > 0, a target) and `relayed` is proof
 * that (scan, target, port) relays. Whichever of the two rows is written
 * second applies it, inside the same transaction as its own insert:
 * - store_arrival_put, when it inserts such an arrival and the scan has a
 *   result for (target, port) with probe "smtp" and verdict "suspect",
 *   sets that result to "open", its reason to "message arrived at the
 *   sink after the wait: test T via PEER" and its `updated` to the
 *   arrival's time. A replayed arrival record (0 returned) changes
 *   nothing, and an "open" result is never touched again: each result is
 *   upgraded at most once, by the first arrival that proves it. With no
 *   result yet the arrival is only kept: the scan decides.
 * - store_result_put, when it inserts an "smtp" result with verdict
 *   "suspect" and such an arrival is already stored for its key, stores
 *   it as "open" with that reason and `updated` = its `tested` time (an
 *   arrival that came after the scan's wait but before its result was
 *   saved). Its evidence is stored as given.
 * An arrival not marked `relayed` (its token came back only quoted in a
 * bounce or auto-reply, or the caller does not say) is kept but proves
 * nothing and upgrades nothing: proof is opt-in, never a default.
 */
#ifndef RW_STORE_H
#define RW_STORE_H

#include <stddef.h>
#include <stdint.h>

/* The schema version this program writes. A change to the schema adds a
 * migration step and bumps this (STYLE: store formats are versioned). */
#define STORE_SCHEMA_VERSION 5

struct store;

/* One scan: a target set walked in a permuted order from a seed. */
struct store_scan {
	int64_t id;       /* assigned by scan_create */
	int64_t created;  /* unix seconds */
	int64_t finished; /* unix seconds; 0 while running */
	char state[16];   /* "running", "stopped" or "done" */
	uint64_t seed;    /* permutation seed (stored as its 64-bit pattern) */
	int64_t total;    /* targets x ports in the permutation */
	char *params;     /* JSON text: the scan's command line and settings,
	                     up to RW_STORE_PARAMS_MAX bytes; owned */
};

/* Where a scan is: every permutation index below `position` has its
 * result committed (the scanner's low-water mark), `done` results so
 * far, `counts` a JSON object of counters (e.g. per verdict). Save it in
 * the same batch as the results it accounts for. */
struct store_progress {
	int64_t scan;
	int64_t position;
	int64_t done;
	char *counts;    /* JSON text; owned when loaded, borrowed when saved */
	int64_t updated; /* unix seconds */
};

/* One result: the verdict for (scan, target, port, probe, vantage), which
 * is unique. For store_result_put the pointers are borrowed; in a list
 * they are owned by the list. */
struct store_result {
	int64_t id;
	int64_t scan;
	const char *target; /* address as text (inet_ntop form) */
	unsigned port;
	const char *probe;   /* "smtp" (later "http-connect", "socks5", ...) */
	const char *vantage; /* where it was tested from; "" = the only one */
	const char *verdict; /* verdict_name(): "open", "closed", ... */
	const char *reason;
	const char *evidence; /* JSON text; NULL stores "{}" */
	int64_t tested;       /* unix seconds */
	int64_t updated;      /* unix seconds of the late-arrival upgrade;
	                         0 = never (ignored by result_put) */
};

/* One message seen by the sink (src/smtp/arrival.h, flattened). */
struct store_arrival {
	int64_t id;
	const char *token;
	int64_t scan;       /* the scan the token names; 0 = none. A scan
	                       this store does not hold is stored as 0 */
	const char *target; /* from the token; "" when unknown */
	unsigned port;
	const char *test;     /* battery test id from the token */
	const char *peer;     /* address that delivered it */
	const char *received; /* JSON text (array of Received: values); NULL = "[]" */
	int64_t arrived;      /* unix seconds at end of DATA */
	int relayed;          /* 1: the message itself carried the token:
	                         proof of relaying (!arrival.quoted). 0: it
	                         came back only quoted in a bounce or
	                         auto-reply, or unknown: kept, upgrades nothing */
};

/* Lists own their rows and every string in them. */
struct store_scans {
	size_t n;
	struct store_scan *v;
};
struct store_results {
	size_t n;
	struct store_result *v;
};
struct store_arrivals {
	size_t n;
	struct store_arrival *v;
};

/* A page: at most `limit` rows (0 or more than RW_STORE_PAGE_MAX means
 * RW_STORE_PAGE_MAX) after skipping `offset`. A NULL page is the first
 * RW_STORE_PAGE_MAX rows; backends always get a normalised page. */
struct store_page {
	int64_t limit;
	int64_t offset;
};

/* Batch flags. */
#define STORE_DURABLE                                                                              \
	0x1 /* fsync at commit (synchronous=FULL): enforcement                                     \
	       transitions that must survive a power cut */

/*
 * The abuse desk (schema version 3). Every desk time is in milliseconds
 * since the epoch of the caller's clock (`*_ms`, as src/desk/incident.h
 * counts), passed in like every store time; 0 = not (yet).
 *
 * Tables:
 * - contacts: who answers for a netblock. netblock (CIDR text, v4 or v6,
 *   stored canonical: "192.0.2.0/24", "2001:db8::/32"; host bits set are
 *   refused), family, prefix and network (hex of the network bytes), so
 *   the lookup is an index probe per prefix length present, longest
 *   first; customer, account, emails (the admin addresses as the
 *   caller's text list, e.g. "a@x, b@y"), noc (0/1: the NOC itself),
 *   updated_ms. The default (NOC) contact is simply the /0 of a family:
 *   "0.0.0.0/0" and "::/0" match every address, last.
 * - complaints: one report: received_ms, reporter, addr, port, kind
 *   ("open-relay", "spam", ...), summary, raw (the message, first
 *   RW_STORE_RAW_MAX bytes, as a BLOB; raw_size the whole size), ref
 *   (the report's Message-ID or digest: a non-empty ref is unique, so a
 *   redelivered report is kept once), incident (NULL until attached).
 * - incidents: id, addr, port, state (incident_state_name()), policy,
 *   contact (the JSON snapshot of the contact when it opened), opened /
 *   updated / closed (ms; closed > 0 exactly when the state is final:
 *   "repaired", "not-reproduced" or "closed", CHECKed), machine (the
 *   struct incident as the caller's JSON), due_ms (incident_next_due(),
 *   0 = nothing scheduled; indexed for "due before T"), level (the
 *   escalation rung), rev (bumped by every update: an update names the rev
 *   it read, so two writers never lose one another's change). At most one
 *   open incident (closed = 0) per (addr, port): a partial unique index.
 * - events: the append-only audit log: incident, at_ms, kind, detail
 *   (JSON). Triggers refuse UPDATE and DELETE, and an incident with
 *   events cannot be deleted (foreign key, no cascade).
 * - outbox: each notice to send exactly once: incident, step, rcpt (the
 *   caller's list of addresses), subject, body, message_id (fixed when
 *   queued, unique), state queued / sending / sent / failed, attempts,
 *   next_ms (queued: not before; sending: the lease's end), queued_ms,
 *   sent_ms, last_error.
 * - actions: block / unblock / suspend / terminate requests: incident,
 *   kind, what ("inbound", "outbound", "both"; "" for suspend and
 *   terminate), addr, state pending / applied / failed / lifted,
 *   requested_ms, applied_ms, lifted_ms, error.
 *
 * Exactly once, and what a kill -9 leaves:
 * - store_incident_open and store_incident_update write the incident row
 *   and its event in one transaction (their own, or the caller's batch):
 *   a crash leaves both or neither. A notice caused by that event is
 *   queued in the same batch (store_outbox_queue inside it).
 * - The outbox: store_outbox_claim marks a message "sending" with a lease
 *   (next_ms = now + lease) and counts the attempt; the sender then
 *   calls store_outbox_sent, or _retry / _failed. A sender killed between
 *   the claim and the mark leaves a "sending" row whose lease expires: the
 *   next claim hands it out again with the SAME message_id (the smarthost
 *   or the reader's MUA can drop the duplicate; the message may have left
 *   once already, which no SMTP client can know). A row marked "sent" is
 *   never claimed again.
 */

/* One contact; strings borrowed for put, owned when returned. */
struct store_contact {
	int64_t id;
	const char *netblock; /* CIDR text; canonical when returned */
	const char *customer;
	const char *account;
	const char *emails; /* admin addresses, the caller's text list */
	int noc;            /* 1: this is the NOC (the default contact) */
	int64_t updated_ms;
	/* returned only: */
	int prefix; /* the netblock's prefix length */
};

/* One complaint (struct for put: borrowed; returned: owned). */
struct store_complaint {
	int64_t id;
	int64_t received_ms;
	const char *reporter;
	const char *addr; /* the source address complained about */
	unsigned port;
	const char *kind;
	const char *summary;
	const void *raw;  /* the message; only its first RW_STORE_RAW_MAX bytes are kept */
	size_t raw_len;   /* bytes at raw (returned: bytes kept) */
	int64_t raw_size; /* returned: the size of the whole message */
	const char *ref;  /* Message-ID or digest; "" or NULL: none */
	int64_t incident; /* 0 = not attached */
};

/* One incident. For open/update the strings are borrowed. */
struct store_incident {
	int64_t id;
	const char *addr;
	unsigned port;
	const char *state;   /* incident_state_name() */
	const char *policy;  /* policy name */
	const char *contact; /* JSON snapshot of the contact; NULL = "{}" */
	int64_t opened_ms, updated_ms, closed_ms;
	const char *machine; /* JSON of struct incident; NULL = "{}" */
	int64_t due_ms;      /* next timer (test or deadline); 0 = none */
	int level;           /* escalation rung (enum policy_level) */
	int64_t rev;         /* revision read; an update must name it */
};

/* One audit event. */
struct store_event {
	int64_t id;
	int64_t incident;
	int64_t at_ms;
	const char *kind;   /* incident_event_name(), an action's name, "note" ... */
	const char *detail; /* JSON; NULL = "{}" */
};
/* The state filter of incidents_list / incidents_count meaning every
 * incident not closed (any open state) */
#define STORE_STATE_OPEN "open"

/* The event kind report counts as an escalation (incident_act_name(ACT_ESCALATE)) */
#define STORE_EVENT_ESCALATE "escalate"

/* One notice of the outbox. */
struct store_outbox {
	int64_t id;
	int64_t incident; /* 0 = none */
	const char *step; /* policy step name */
	const char *rcpt; /* recipient address(es) */
	const char *subject;
	const char *body;
	const char *message_id; /* unique, fixed at queue time */
	const char *state;      /* returned: queued, sending, sent, failed */
	int attempts;           /* returned: claims so far */
	int64_t next_ms;        /* queue: not before (0 = now); returned: the
	                           retry time, or the lease's end when sending */
	int64_t queued_ms;
	int64_t sent_ms;        /* returned */
	const char *last_error; /* returned */
};

/* One action: a block, unblock, suspension or termination request. */
struct store_action {
	int64_t id;
	int64_t incident; /* 0 = none (an operator's own) */
	const char *kind; /* "block", "unblock", "suspend", "terminate" */
	const char *what; /* "inbound", "outbound", "both"; "" or NULL for
	                     suspend and terminate */
	const char *addr;
	const char *state; /* returned: pending, applied, failed, lifted */
	int64_t requested_ms;
	int64_t applied_ms; /* returned */
	int64_t lifted_ms;  /* returned */
	const char *error;  /* returned: why it failed */
};

/* One line of an incident's timeline. */
struct store_timeline_item {
	int64_t at_ms;
	const char *source; /* "complaint", "event", "outbox", "action" (static) */
	int64_t id;         /* the row's id in its table */
	const char *kind;   /* complaint kind, event kind, notice step, action kind */
	const char *state;  /* outbox and action state; "" for the others */
	const char *text;   /* complaint summary, event detail (JSON), notice
	                       subject, action's what and addr */
};

/* The report's counters since a time. */
struct store_report {
	int64_t found;            /* incidents opened */
	int64_t repaired;         /* incidents closed as "repaired" */
	int64_t repair_median_ms; /* median opened -> repaired of those; 0 = none */
	int64_t blocks;           /* block actions applied */
	int64_t escalations;      /* STORE_EVENT_ESCALATE events */
	int64_t complaints;       /* complaints received */
};

struct store_contacts {
	size_t n;
	struct store_contact *v;
};
struct store_complaints {
	size_t n;
	struct store_complaint *v;
};
struct store_incidents {
	size_t n;
	struct store_incident *v;
};
struct store_outboxes {
	size_t n;
	struct store_outbox *v;
};
struct store_actions {
	size_t n;
	struct store_action *v;
};
struct store_events {
	size_t n;
	struct store_event *v;
};
struct store_timeline {
	size_t n;
	struct store_timeline_item *v;
};

/*
 * The desk's backend calls (store_ops.desk). The same promises as the
 * scanner's: the wrapper checked the schema and cleared the outputs; a
 * write outside a batch is its own transaction.
 */
struct store_desk_ops {
	/* contact_put - upsert by netblock (canonical CIDR, already checked
	 * by the wrapper into family, prefix and network hex) */
	int (*contact_put)(struct store *st, const struct store_contact *c, const char *canon,
	                   int family, int prefix, const char *network, int64_t *id);
	/* contact_match - the contact of (family, prefix, network) exactly:
	 * 1 found, 0 none */
	int (*contact_match)(struct store *st, int family, int prefix, const char *network,
	                     struct store_contact *out);
	/* contact_prefixes - the distinct prefix lengths of family, longest
	 * first, into v (room for 129); *n how many */
	int (*contact_prefixes)(struct store *st, int family, int *v, size_t *n);
	int (*contact_delete)(struct store *st, const char *canon);
	int (*contacts_list)(struct store *st, const struct store_page *pg,
	                     struct store_contacts *out);

	/* complaint_add - 1 inserted, 0 its ref was already there (*id its id) */
	int (*complaint_add)(struct store *st, const struct store_complaint *c, int64_t *id);
	/* complaint_attach - 1 attached, 0 no such complaint */
	int (*complaint_attach)(struct store *st, int64_t complaint, int64_t incident);
	int (*complaints_for)(struct store *st, int64_t incident, struct store_complaints *out);
	/* complaint_get - the complaint id as a list of one (none: empty) */
	int (*complaint_get)(struct store *st, int64_t id, struct store_complaints *out);

	/* incident_open - insert inc and ev (ev->incident is the new id) in
	 * one transaction: 1 opened, 0 an open incident of (addr, port)
	 * exists (its id in *id, nothing written) */
	int (*incident_open)(struct store *st, const struct store_incident *inc,
	                     const struct store_event *ev, int64_t *id);
	/* incident_update - set state, updated, closed, machine, due, level
	 * where id and rev match, rev + 1, and append ev: 1 done, 0 stale
	 * (rev moved on) or no such incident, nothing written */
	int (*incident_update)(struct store *st, const struct store_incident *inc,
	                       const struct store_event *ev);
	int (*incident_get)(struct store *st, int64_t id, struct store_incident *out);
	int (*incident_open_for)(struct store *st, const char *addr, unsigned port,
	                         struct store_incident *out);
	int (*incidents_due)(struct store *st, int64_t before_ms, int64_t limit,
	                     struct store_incidents *out);
	int (*incidents_list)(struct store *st, const char *state, const struct store_page *pg,
	                      struct store_incidents *out);
	/* incidents_of - a page of addr's incidents (any state), newest first */
	int (*incidents_of)(struct store *st, const char *addr, const struct store_page *pg,
	                    struct store_incidents *out);
	int (*incidents_count)(struct store *st, const char *state, int64_t *n);
	int (*event_add)(struct store *st, const struct store_event *ev, int64_t *id);
	int (*events_list)(struct store *st, int64_t incident, struct store_events *out);
	int (*timeline)(struct store *st, int64_t incident, struct store_timeline *out);
	int (*report)(struct store *st, int64_t since_ms, struct store_report *out);

	/* outbox_queue - 1 queued, 0 its message_id was there (a replay) */
	int (*outbox_queue)(struct store *st, const struct store_outbox *m, int64_t *id);
	/* outbox_claim - the due message with the earliest next_ms (queued and
	 * due, or sending with its lease over) marked sending until
	 * now + lease, attempts + 1: 1 claimed into *out, 0 none due */
	int (*outbox_claim)(struct store *st, int64_t now_ms, int64_t lease_ms,
	                    struct store_outbox *out);
	/* outbox_mark - a "sending" message to `to`: "sent" (sent_ms),
	 * "queued" (again at next_ms, error kept) or "failed" (error kept):
	 * 1 moved, 0 not sending (already sent, failed, or never claimed) */
	int (*outbox_mark)(struct store *st, int64_t id, const char *to, int64_t next_ms,
	                   int64_t sent_ms, const char *error);
	int (*outbox_list)(struct store *st, int64_t incident, struct store_outboxes *out);

	int (*action_add)(struct store *st, const struct store_action *a, int64_t *id);
	/* action_mark - to "applied" (from pending or failed; applied_ms),
	 * "failed" (from pending; error) or "lifted" (from applied;
	 * lifted_ms): 1 moved, 0 not in a state that allows it */
	int (*action_mark)(struct store *st, int64_t id, const char *to, int64_t now_ms,
	                   const char *error);
	/* actions_list - up to limit actions with id > after in id order,
	 * of state `state` and (unless NULL) of kind `kind` */
	int (*actions_list)(struct store *st, const char *state, const char *kind, int64_t after,
	                    int64_t limit, struct store_actions *out);
};

/* Tallies: how many rows hold each value of one column, for counters
 * (the console's /metrics). Keys are the stored text; a tally of an
 * empty table is an empty list. */
enum store_tally {
	STORE_TALLY_SCANS,     /* scans by state */
	STORE_TALLY_RESULTS,   /* results by verdict, every scan */
	STORE_TALLY_INCIDENTS, /* incidents by state */
	STORE_TALLY_OUTBOX,    /* outbox by state */
	STORE_TALLY_ARRIVALS,  /* arrivals by relayed: "relayed" or "quoted" */
	STORE_TALLY_BLOCKS,    /* block actions by state */
	STORE_TALLY__COUNT
};
struct store_tally_row {
	char *key; /* owned by the list */
	int64_t n;
};
struct store_tallies {
	size_t n;
	struct store_tally_row *v;
};

/*
 * The web console (schema version 4). Times are unix seconds.
 *
 * Tables:
 * - users: id, name (unique; [A-Za-z0-9._-]{1,64}, the caller checks),
 *   role ("viewer" or "operator", CHECKed), hash (the password hash text,
 *   src/web/auth.h), created, disabled (0/1: a disabled user's sessions
 *   and tokens stop working, its rows stay).
 * - sessions: id (the SHA-256 hex of the session id the cookie carries:
 *   a copy of the database opens no session), user (column user_name,
 *   "user" being a PostgreSQL keyword: a users.name; deleting
 *   the user deletes them), csrf, created, expires.
 * - api_tokens: id, hash (the SHA-256 hex of the token, unique), user (as
 *   sessions'), label, created, last_used (0 = never).
 * The store keeps what it is given: hashing ids and tokens is the caller's
 * (src/web/auth.c), so no secret ever reaches the database.
 */

/* One user; strings borrowed for put, owned when returned. */
struct store_user {
	int64_t id; /* returned */
	const char *name;
	const char *role; /* "viewer", "operator" */
	const char *hash; /* password hash text */
	int64_t created;  /* put: kept when the user exists */
	int disabled;     /* 1: no login, no session, no token */
};

/* One session (id: the SHA-256 hex of the cookie's id). */
struct store_session {
	const char *id;
	const char *user;
	const char *csrf;
	int64_t created;
	int64_t expires; /* unix seconds; not valid at or after */
};

/* One API token (hash: the SHA-256 hex of the token). */
struct store_apitoken {
	int64_t id;
	const char *hash;
	const char *user;
	const char *label;
	int64_t created;
	int64_t last_used; /* 0 = never */
};

struct store_users {
	size_t n;
	struct store_user *v;
};
struct store_apitokens {
	size_t n;
	struct store_apitoken *v;
};

/* The web console's backend calls (store_ops.web); the wrapper checked the
 * schema, the arguments (non-NULL names, a known role) and cleared the
 * outputs. 1/0 results as the wrappers' (store_user_put ... below). */
struct store_web_ops {
	/* user_put - upsert by name (created kept on update): 1 inserted, 0 updated */
	int (*user_put)(struct store *st, const struct store_user *u);
	int (*user_get)(struct store *st, const char *name, struct store_user *out);
	/* user_list - every user, by name */
	int (*user_list)(struct store *st, struct store_users *out);
	/* user_del - the user, its sessions and tokens: 1 deleted, 0 no such user */
	int (*user_del)(struct store *st, const char *name);

	int (*session_put)(struct store *st, const struct store_session *s);
	int (*session_get)(struct store *st, const char *id, struct store_session *out);
	int (*session_del)(struct store *st, const char *id);
	/* session_expire - delete sessions with expires <= now; *n how many */
	int (*session_expire)(struct store *st, int64_t now, int64_t *n);

	/* apitoken_put - insert: 1 and *id, -1 when its hash is there */
	int (*apitoken_put)(struct store *st, const struct store_apitoken *t, int64_t *id);
	int (*apitoken_get)(struct store *st, const char *hash, struct store_apitoken *out);
	/* apitoken_list - a user's tokens by id (NULL user: everyone's) */
	int (*apitoken_list)(struct store *st, const char *user, struct store_apitokens *out);
	/* apitoken_del - token id of user: 1 deleted, 0 none */
	int (*apitoken_del)(struct store *st, const char *user, int64_t id);
	/* apitoken_used - set last_used: 1, 0 no such token */
	int (*apitoken_used)(struct store *st, int64_t id, int64_t now);
};

/*
 * The distributed scan (schema version 5; doc/scale.md).
 *
 * A scan planned for workers is split into `shards` contiguous slices of
 * its permuted walk (src/scan/permute.h: permute_shard), once per vantage
 * (a name for where it is tested from; "" = anywhere). A worker claims a
 * shard for a lease (claim: the lowest id of a running scan's shards that
 * is pending, or claimed with a lease that ended, for the worker's vantage
 * or for ""), renews the lease while it runs, saves the shard's low-water
 * mark with the results it accounts for (in the same batch), and marks it
 * done. Renew, save and finish name the worker: when another has claimed
 * the shard since (the lease ended), they return 0 and change nothing, so
 * a worker that lost its lease cannot move a shard it no longer holds.
 * Results carry the shard's vantage; their unique key (scan, target,
 * port, probe, vantage) keeps each written once whatever replays.
 * Workers also beat: a row per worker name with its vantage, the time it
 * was last seen and its sessions in flight, from which the live workers
 * share a scan's rate.
 */

/* One shard; strings owned when returned. */
struct store_shard {
	int64_t id;
	int64_t scan;
	const char *vantage; /* "" = any worker */
	int64_t shard;       /* k of shards: 0 .. shards-1 */
	int64_t shards;
	const char *state;  /* "pending", "claimed", "done" */
	const char *worker; /* the holder (or the last one); "" never claimed */
	int64_t lease_ms;   /* the claim holds until then */
	int64_t claims;     /* times claimed: more than 1 = taken over */
	int64_t walk_pos;   /* every walk position of the shard below it is final */
	int64_t done;       /* results the shard wrote */
	const char *counts; /* JSON text, as store_progress's */
	int64_t updated_ms;
};
struct store_shards {
	size_t n;
	struct store_shard *v;
};

/* One worker's heartbeat; strings borrowed for beat, owned when listed. */
struct store_worker {
	const char *name;
	const char *vantage;
	int64_t started_ms;
	int64_t seen_ms;
	int64_t shard;    /* the shard it runs (id), 0 none */
	int64_t inflight; /* its sessions in flight */
};
struct store_workers {
	size_t n;
	struct store_worker *v;
};

struct store_work_ops {
	/* shards_plan - n shards of scan for each of the nv vantages, in one
	 * transaction; existing ones are kept: the count added */
	int (*shards_plan)(struct store *st, int64_t scan, const char *const *vantages, size_t nv,
	                   int64_t n, int64_t now_ms, int64_t *added);
	/* shard_claim - see above: 1 and *out (owned), 0 none claimable */
	int (*shard_claim)(struct store *st, const char *worker, const char *vantage,
	                   int64_t now_ms, int64_t lease_ms, struct store_shard *out);
	/* shard_renew / shard_save / shard_finish - 1 done, 0 not held by worker */
	int (*shard_renew)(struct store *st, int64_t id, const char *worker, int64_t until_ms,
	                   int64_t now_ms);
	int (*shard_save)(struct store *st, int64_t id, const char *worker, int64_t walk_pos,
	                  int64_t done, const char *counts, int64_t now_ms);
	int (*shard_finish)(struct store *st, int64_t id, const char *worker, int64_t now_ms);
	/* shards_list - the scan's shards in id order */
	int (*shards_list)(struct store *st, int64_t scan, struct store_shards *out);
	/* worker_beat - upsert the worker's row by name */
	int (*worker_beat)(struct store *st, const struct store_worker *w);
	/* workers_list - the workers seen at or after since_ms, by name */
	int (*workers_list)(struct store *st, int64_t since_ms, struct store_workers *out);
	/* result_keys_vantage - result_keys for one vantage only */
	int (*result_keys_vantage)(struct store *st, int64_t scan, const char *probe,
	                           const char *vantage,
	                           void (*fn)(void *arg, const char *target, unsigned port),
	                           void *arg);
};

/*
 * The backend interface. Backends embed `struct store` (store_int.h) at
 * the start of their handle; the store_* wrappers check the schema
 * version and the batch state before calling, so a callback may assume:
 * st is open, the schema is current (except for migrate), pointers in
 * arguments are non-NULL unless said, and batch calls come in order.
 * Every callback sets the error with store_seterr() when it returns -1.
 */
struct store_ops {
	const char *name; /* URL scheme: "sqlite", "postgresql" */

	/* open - connect to `location` (the URL without "scheme:"; the
	 * whole URL for PostgreSQL), create it if missing (SQLite: files
	 * 0600, missing parent directories 0700; a PostgreSQL database must
	 * exist), set the session up (SQLite: WAL, synchronous=NORMAL,
	 * foreign keys, busy timeout; PostgreSQL: lock_timeout) and read the
	 * schema version into st->version.
	 * A database whose version is newer than STORE_SCHEMA_VERSION, or
	 * that belongs to another program, is refused. On error returns NULL
	 * with the reason in err; nothing is left open. */
	struct store *(*open)(const char *location, char *err, size_t errlen);

	/* close - roll back an open batch, free everything. Never fails. */
	void (*close)(struct store *st);

	/* migrate - apply, in order, every step newer than the database's
	 * version, each in its own transaction together with its
	 * schema_version row; concurrent migrators serialise, and the loser
	 * finds nothing left to do. Refuses a newer database. */
	int (*migrate)(struct store *st, int64_t now);

	/* batch_begin / batch_commit / batch_abort - one write transaction.
	 * begin takes the write lock at once (no upgrade deadlock); commit
	 * makes every write since begin durable per the flags; abort (and a
	 * failed commit) leaves none of them. */
	int (*batch_begin)(struct store *st, unsigned flags);
	int (*batch_commit)(struct store *st);
	int (*batch_abort)(struct store *st);

	/* scan_create - insert sc (id, finished and state ignored: the scan
	 * starts "running") and return its new id in *id. */
	int (*scan_create)(struct store *st, const struct store_scan *sc, int64_t *id);
	/* scan_get - fill *out (owned params): 1 found, 0 no such scan. */
	int (*scan_get)(struct store *st, int64_t id, struct store_scan *out);
	/* scan_list - one page of scans, newest first, into *out. */
	int (*scan_list)(struct store *st, const struct store_page *pg, struct store_scans *out);
	/* scan_state_set - set state ("running" clears finished, the others
	 * set it to now): 1 updated, 0 no such scan. */
	int (*scan_state_set)(struct store *st, int64_t id, const char *state, int64_t now);

	/* progress_save - replace the scan's progress row with *p. */
	int (*progress_save)(struct store *st, const struct store_progress *p);
	/* progress_load - fill *out (owned counts): 1 found, 0 none saved. */
	int (*progress_load)(struct store *st, int64_t scan, struct store_progress *out);

	/* result_put - insert r unless a result with its key (scan, target,
	 * port, probe, vantage) exists: 1 inserted (its id in *id when id is
	 * not NULL), 0 already there (the stored row is kept, untouched).
	 * A replay after a crash thus writes each key exactly once. A new
	 * "smtp" "suspect" result applies the late-arrival rule. */
	int (*result_put)(struct store *st, const struct store_result *r, int64_t *id);
	/* results_list - one page of the scan's results in insertion order,
	 * only those with verdict `verdict` unless it is NULL. */
	int (*results_list)(struct store *st, int64_t scan, const char *verdict,
	                    const struct store_page *pg, struct store_results *out);
	/* results_count - how many rows results_list would page through. */
	int (*results_count)(struct store *st, int64_t scan, const char *verdict, int64_t *n);

	/* arrival_put - record one arrival; the same (token, peer, arrived)
	 * again is a replay of the record and is kept once: 1 inserted, 0
	 * already there. An a->scan this store does not hold is stored as
	 * 0 (untied). A new tied arrival applies the late-arrival rule
	 * (top of this file) in the same transaction. */
	int (*arrival_put)(struct store *st, const struct store_arrival *a, int64_t *id);
	/* arrivals_list - one page of a scan's arrivals (scan 0: those tied
	 * to no scan) in insertion order. */
	int (*arrivals_list)(struct store *st, int64_t scan, const struct store_page *pg,
	                     struct store_arrivals *out);
	/* arrivals_since - up to `limit` (1..RW_STORE_PAGE_MAX) of a scan's
	 * arrivals (scan 0: untied ones) with id > after, in id order: a
	 * scan polling what a separate sink writes keeps the last id. */
	int (*arrivals_since)(struct store *st, int64_t scan, int64_t after, int64_t limit,
	                      struct store_arrivals *out);
	/* result_keys - call fn(arg, target, port) for each of the scan's
	 * results (only those of `probe` unless it is NULL) in id order,
	 * reading only the key columns, RW_STORE_PAGE_MAX rows per query;
	 * no statement is open while fn runs, so fn may use the store.
	 * target is borrowed for the call. One call per row: with several
	 * probes or vantages a (target, port) may come more than once. */
	int (*result_keys)(struct store *st, int64_t scan, const char *probe,
	                   void (*fn)(void *arg, const char *target, unsigned port), void *arg);

	/* results_of - one page of target's results over every scan, newest
	 * first (the results_target index) */
	int (*results_of)(struct store *st, const char *target, const struct store_page *pg,
	                  struct store_results *out);
	/* tally - rows per value of one column (enum store_tally), key order */
	int (*tally)(struct store *st, enum store_tally what, struct store_tallies *out);

	/* the abuse desk's calls (schema version 3) */
	const struct store_desk_ops *desk;
	/* the web console's calls (schema version 4) */
	const struct store_web_ops *web;
	/* the distributed scan's calls (schema version 5) */
	const struct store_work_ops *work;
};

/* store_by_name - the backend registered under `name`, or NULL */
const struct store_ops *store_by_name(const char *name);

/* store_open - open "sqlite:PATH", a plain PATH (SQLite),
 * "postgresql://[user[:password]@][host][:port]/dbname[?key=value...]"
 * (also "postgres://"), or a libpq "host=... dbname=..." string
 * (PostgreSQL). Returns an owned handle, or NULL with err filled (a
 * password never appears in it). */
struct store *store_open(const char *url, char *err, size_t errlen);
/* store_path - the file an SQLite URL or path names (borrowed: points
 * into url), NULL when the store is no file (a PostgreSQL URL,
 * ":memory:"): what creates directories or stats the store checks it */
const char *store_path(const char *url);
/* store_redact - url for a message or a log, its password (if any)
 * replaced by "***", into buf */
void store_redact(const char *url, char *buf, size_t len);
/* store_close - roll back any open batch and free st; accepts NULL, returns NULL */
struct store *store_close(struct store *st);
/* store_error - the last error text; borrowed until the next call on st */
const char *store_error(const struct store *st);
/* store_backend - the backend's name ("sqlite") */
const char *store_backend(const struct store *st);
/* store_schema_version - the database's schema version (0 when empty) */
int store_schema_version(const struct store *st);

int store_migrate(struct store *st, int64_t now);

int store_batch_begin(struct store *st, unsigned flags);
int store_batch_commit(struct store *st);
int store_batch_abort(struct store *st);
/* store_in_batch - nonzero between batch_begin and commit/abort */
int store_in_batch(const struct store *st);

int store_scan_create(struct store *st, const struct store_scan *sc, int64_t *id);
int store_scan_get(struct store *st, int64_t id, struct store_scan *out);
int store_scan_list(struct store *st, const struct store_page *pg, struct store_scans *out);
int store_scan_state_set(struct store *st, int64_t id, const char *state, int64_t now);

int store_progress_save(struct store *st, const struct store_progress *p);
int store_progress_load(struct store *st, int64_t scan, struct store_progress *out);

int store_result_put(struct store *st, const struct store_result *r, int64_t *id);
int store_results_list(struct store *st, int64_t scan, const char *verdict,
                       const struct store_page *pg, struct store_results *out);
int store_results_count(struct store *st, int64_t scan, const char *verdict, int64_t *n);

int store_arrival_put(struct store *st, const struct store_arrival *a, int64_t *id);
int store_arrivals_list(struct store *st, int64_t scan, const struct store_page *pg,
                        struct store_arrivals *out);
/* store_arrivals_since - arrivals with id > after in id order; limit 0 or
 * more than RW_STORE_PAGE_MAX means RW_STORE_PAGE_MAX */
int store_arrivals_since(struct store *st, int64_t scan, int64_t after, int64_t limit,
                         struct store_arrivals *out);
/* store_result_keys - (target, port) of each result of scan, id order */
int store_result_keys(struct store *st, int64_t scan, const char *probe,
                      void (*fn)(void *arg, const char *target, unsigned port), void *arg);

/* store_results_of - a page of one address's results over every scan,
 * newest first (target as stored: inet_ntop text) */
int store_results_of(struct store *st, const char *target, const struct store_page *pg,
                     struct store_results *out);
/* store_tally - rows per value of one column (enum store_tally) in key
 * order; free with store_tallies_free; a bad `what` is -1 */
int store_tally(struct store *st, enum store_tally what, struct store_tallies *out);
void store_tallies_free(struct store_tallies *l);

/* The default store when no --db is given, first that applies:
 * $RELAYWATCH_DB; STORE_SYSTEM_DIR/STORE_FILE when running as root or
 * when that directory is writable; $XDG_DATA_HOME/relaywatch/STORE_FILE
 * (an absolute XDG_DATA_HOME only, per the XDG base directory spec),
 * else $HOME/.local/share/relaywatch/STORE_FILE. */
#define STORE_SYSTEM_DIR "/var/lib/relaywatch"
#define STORE_FILE       "relaywatch.db"

/* What store_default_path() reads, so the choice is testable. */
struct store_path_env {
	const char *db;   /* $RELAYWATCH_DB or NULL */
	const char *xdg;  /* $XDG_DATA_HOME or NULL */
	const char *home; /* $HOME (or the password file's) or NULL */
	int root;         /* effective uid 0 */
	int system_ok;    /* STORE_SYSTEM_DIR is writable */
};

/* store_path_choose - the default path for env, owned (free()); NULL when
 * nothing applies (no RELAYWATCH_DB, not root, no usable home) */
char *store_path_choose(const struct store_path_env *env);
/* store_default_path - store_path_choose() of this process; owned or NULL */
char *store_default_path(void);
/* store_local_path - the same without $RELAYWATCH_DB: this host's own
 * default file, whose directory holds local state when the store is a
 * server's (the daemon's, beside a PostgreSQL store); owned or NULL */
char *store_local_path(void);

/* Freeing what the store returned; each accepts an empty or zeroed struct. */
void store_scan_clear(struct store_scan *sc);
void store_progress_clear(struct store_progress *p);
void store_scans_free(struct store_scans *l);
void store_results_free(struct store_results *l);
void store_arrivals_free(struct store_arrivals *l);
/* Contacts. store_contact_put: upsert by netblock (1 inserted, 0
 * updated; the id in *id when not NULL); a bad CIDR or host bits set is
 * -1. Importing a list is the caller's loop inside one batch.
 * store_contact_for: the contact whose netblock holds addr (IPv4 or IPv6
 * text) with the longest prefix, the family's /0 (the NOC) last: 1 and
 * *out (owned: store_contact_clear), 0 none; a bad address is -1. */
int store_contact_put(struct store *st, const struct store_contact *c, int64_t *id);
int store_contact_delete(struct store *st, const char *netblock);
int store_contact_for(struct store *st, const char *addr, struct store_contact *out);
int store_contacts_list(struct store *st, const struct store_page *pg, struct store_contacts *out);

/* Complaints. store_complaint_add: 1 kept, 0 a report with its ref was
 * already kept (*id is then that one's id); raw beyond RW_STORE_RAW_MAX
 * is cut (raw_size keeps the whole size). store_complaint_attach: 1, or 0
 * no such complaint. store_complaints_for: an incident's, id order. */
int store_complaint_add(struct store *st, const struct store_complaint *c, int64_t *id);
int store_complaint_attach(struct store *st, int64_t complaint, int64_t incident);
int store_complaints_for(struct store *st, int64_t incident, struct store_complaints *out);
/* store_complaint_get - 1 and out->v[0] the complaint id (free the list
 * with store_complaints_free), 0 no such complaint */
int store_complaint_get(struct store *st, int64_t id, struct store_complaints *out);

/* Incidents. store_incident_open: inc (closed_ms must be 0) and its first
 * event ev (ev->incident ignored) in one transaction: 1 opened (its id in
 * *id), 0 an incident of (addr, port) is open already: its id in *id,
 * nothing written (attach the evidence to it). store_incident_update:
 * write inc's state, updated_ms, closed_ms, machine, due_ms and level where
 * its id and rev match (rev + 1) and append ev (ev->incident ignored), in
 * one transaction: 1 done, 0 stale (someone updated it since inc was read:
 * reload and apply again) or no such incident; nothing written then.
 * store_incident_open_for: the open incident of (addr, port): 1 or 0.
 * store_incidents_due: open incidents with 0 < due_ms <= before_ms,
 * earliest first, up to limit (0: RW_STORE_PAGE_MAX). store_incidents_list:
 * newest first, only those in `state` unless NULL. */
int store_incident_open(struct store *st, const struct store_incident *inc,
                        const struct store_event *ev, int64_t *id);
int store_incident_update(struct store *st, const struct store_incident *inc,
                          const struct store_event *ev);
int store_incident_get(struct store *st, int64_t id, struct store_incident *out);
int store_incident_open_for(struct store *st, const char *addr, unsigned port,
                            struct store_incident *out);
int store_incidents_due(struct store *st, int64_t before_ms, int64_t limit,
                        struct store_incidents *out);
int store_incidents_list(struct store *st, const char *state, const struct store_page *pg,
                         struct store_incidents *out);
/* store_incidents_of - a page of addr's incidents, newest first (the
 * escalation ladder counts them) */
int store_incidents_of(struct store *st, const char *addr, const struct store_page *pg,
                       struct store_incidents *out);
int store_incidents_count(struct store *st, const char *state, int64_t *n);

/* Events: store_event_add appends one (a note, an attached complaint);
 * store_events_list: an incident's, id order. */
int store_event_add(struct store *st, const struct store_event *ev, int64_t *id);
int store_events_list(struct store *st, int64_t incident, struct store_events *out);

/* store_incident_timeline - the incident's complaints, events, notices and
 * actions in time order (ties: that order, then id) */
int store_incident_timeline(struct store *st, int64_t incident, struct store_timeline *out);
/* store_report - the counters of everything since since_ms */
int store_report(struct store *st, int64_t since_ms, struct store_report *out);

/* Outbox (exactly-once rules at the top of this section).
 * store_outbox_queue: 1 queued, 0 its message_id was already queued (a
 * replay: nothing changes). store_outbox_claim: 1 and *out (owned) the
 * due message now marked sending until now_ms + lease_ms, 0 none due.
 * store_outbox_sent / _retry / _failed: 1 moved from sending, 0 it was
 * not sending. */
int store_outbox_queue(struct store *st, const struct store_outbox *m, int64_t *id);
int store_outbox_claim(struct store *st, int64_t now_ms, int64_t lease_ms,
                       struct store_outbox *out);
int store_outbox_sent(struct store *st, int64_t id, int64_t now_ms);
int store_outbox_retry(struct store *st, int64_t id, int64_t next_ms, const char *error);
int store_outbox_failed(struct store *st, int64_t id, const char *error);
int store_outbox_for(struct store *st, int64_t incident, struct store_outboxes *out);

/* Actions. store_action_add: a pending request. The marks: 1 moved, 0 not
 * in a state that allows it (applied: from pending or failed; failed:
 * from pending; lifted: from applied). store_actions_pending and
 * store_blocks_active (kind block, applied: what the firewall and the
 * DNSBL are rebuilt from) page by id: up to limit (0: RW_STORE_PAGE_MAX)
 * with id > after. */
int store_action_add(struct store *st, const struct store_action *a, int64_t *id);
int store_action_applied(struct store *st, int64_t id, int64_t now_ms);
int store_action_failed(struct store *st, int64_t id, int64_t now_ms, const char *error);
int store_action_lifted(struct store *st, int64_t id, int64_t now_ms);
int store_actions_pending(struct store *st, int64_t after, int64_t limit,
                          struct store_actions *out);
int store_blocks_active(struct store *st, int64_t after, int64_t limit, struct store_actions *out);

/* Freeing the desk's returned structs and lists; each accepts a zeroed one. */
void store_contact_clear(struct store_contact *c);
void store_incident_clear(struct store_incident *i);
void store_outbox_clear(struct store_outbox *m);
void store_contacts_free(struct store_contacts *l);
void store_complaints_free(struct store_complaints *l);
void store_incidents_free(struct store_incidents *l);
void store_events_free(struct store_events *l);
void store_outboxes_free(struct store_outboxes *l);
void store_actions_free(struct store_actions *l);
void store_timeline_free(struct store_timeline *l);

/* The web console's users, sessions and API tokens (schema version 4).
 * store_user_put: upsert by name, 1 inserted, 0 updated (role, hash,
 * disabled replaced; created kept); a role other than "viewer" or
 * "operator" is -1. store_user_get: 1 and *out (owned:
 * store_user_clear), 0 no such user. store_user_del: 1 deleted (with its
 * sessions and tokens), 0 no such user.
 * Sessions are keyed by the SHA-256 hex of their id (never the id).
 * store_session_get: 1 and *out (owned: store_session_clear), 0 none (an
 * expired one is still returned: the caller compares expires with now).
 * store_session_del: 1, 0 none. store_session_expire: deletes those with
 * expires <= now, *n (when not NULL) how many.
 * API tokens are keyed by the SHA-256 hex of the token. store_apitoken_put:
 * 1 and *id; a user that does not exist or a hash already stored is -1.
 * store_apitoken_get: 1 and *out (owned: store_apitoken_clear), 0 none.
 * store_apitoken_list: user's tokens (NULL: all) in id order.
 * store_apitoken_del: token id when it is user's: 1, 0 none.
 * store_apitoken_used: last_used = now: 1, 0 none. */
int store_user_put(struct store *st, const struct store_user *u);
int store_user_get(struct store *st, const char *name, struct store_user *out);
int store_user_list(struct store *st, struct store_users *out);
int store_user_del(struct store *st, const char *name);
int store_session_put(struct store *st, const struct store_session *s);
int store_session_get(struct store *st, const char *id, struct store_session *out);
int store_session_del(struct store *st, const char *id);
int store_session_expire(struct store *st, int64_t now, int64_t *n);
int store_apitoken_put(struct store *st, const struct store_apitoken *t, int64_t *id);
int store_apitoken_get(struct store *st, const char *hash, struct store_apitoken *out);
int store_apitoken_list(struct store *st, const char *user, struct store_apitokens *out);
int store_apitoken_del(struct store *st, const char *user, int64_t id);
int store_apitoken_used(struct store *st, int64_t id, int64_t now);

void store_user_clear(struct store_user *u);
void store_session_clear(struct store_session *s);
void store_apitoken_clear(struct store_apitoken *t);
void store_users_free(struct store_users *l);
void store_apitokens_free(struct store_apitokens *l);

/* The distributed scan's calls (struct store_work_ops above).
 * store_shards_plan: n >= 1 shards per vantage (vantages NULL or nv 0:
 * the one vantage ""). store_shard_claim: lease_ms >= 1. */
int store_shards_plan(struct store *st, int64_t scan, const char *const *vantages, size_t nv,
                      int64_t n, int64_t now_ms, int64_t *added);
int store_shard_claim(struct store *st, const char *worker, const char *vantage, int64_t now_ms,
                      int64_t lease_ms, struct store_shard *out);
int store_shard_renew(struct store *st, int64_t id, const char *worker, int64_t until_ms,
                      int64_t now_ms);
int store_shard_save(struct store *st, int64_t id, const char *worker, int64_t walk_pos,
                     int64_t done, const char *counts, int64_t now_ms);
int store_shard_finish(struct store *st, int64_t id, const char *worker, int64_t now_ms);
int store_shards_list(struct store *st, int64_t scan, struct store_shards *out);
int store_worker_beat(struct store *st, const struct store_worker *w);
int store_workers_list(struct store *st, int64_t since_ms, struct store_workers *out);
int store_result_keys_vantage(struct store *st, int64_t scan, const char *probe,
                              const char *vantage,
                              void (*fn)(void *arg, const char *target, unsigned port), void *arg);
void store_shard_clear(struct store_shard *s);
void store_shards_free(struct store_shards *l);
void store_workers_free(struct store_workers *l);

#endif
