/*
 * store.h - the store: scans, their progress, results and arrivals
 *
 * One interface, several backends (a `const struct store_ops` each, found
 * by name in a registry): SQLite now, PostgreSQL later. Every query the
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
#define STORE_SCHEMA_VERSION 2

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
	const char *target;   /* address as text (inet_ntop form) */
	unsigned port;
	const char *probe;    /* "smtp" (later "http-connect", "socks5", ...) */
	const char *vantage;  /* where it was tested from; "" = the only one */
	const char *verdict;  /* verdict_name(): "open", "closed", ... */
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
	int64_t scan;         /* the scan the token names; 0 = none. A scan
	                         this store does not hold is stored as 0 */
	const char *target;   /* from the token; "" when unknown */
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
#define STORE_DURABLE 0x1 /* fsync at commit (synchronous=FULL): enforcement
                             transitions that must survive a power cut */

/*
 * The backend interface. Backends embed `struct store` (store_int.h) at
 * the start of their handle; the store_* wrappers check the schema
 * version and the batch state before calling, so a callback may assume:
 * st is open, the schema is current (except for migrate), pointers in
 * arguments are non-NULL unless said, and batch calls come in order.
 * Every callback sets the error with store_seterr() when it returns -1.
 */
struct store_ops {
	const char *name; /* URL scheme: "sqlite" */

	/* open - connect to `location` (the URL without "scheme:"), create
	 * it if missing (files 0600, missing parent directories 0700), set
	 * the session up (SQLite: WAL, synchronous=NORMAL, foreign keys,
	 * busy timeout) and read the schema version into st->version.
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
};

/* store_by_name - the backend registered under `name`, or NULL */
const struct store_ops *store_by_name(const char *name);

/* store_open - open "sqlite:PATH", a plain PATH (SQLite) or, once built,
 * "postgresql://...". Returns an owned handle, or NULL with err filled
 * ("postgresql: backend not built" for a reserved scheme). */
struct store *store_open(const char *url, char *err, size_t errlen);
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

/* The default store when no --db is given, first that applies:
 * $RELAYWATCH_DB; STORE_SYSTEM_DIR/STORE_FILE when running as root or
 * when that directory is writable; $XDG_DATA_HOME/relaywatch/STORE_FILE
 * (an absolute XDG_DATA_HOME only, per the XDG base directory spec),
 * else $HOME/.local/share/relaywatch/STORE_FILE. */
#define STORE_SYSTEM_DIR "/var/lib/relaywatch"
#define STORE_FILE "relaywatch.db"

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

/* Freeing what the store returned; each accepts an empty or zeroed struct. */
void store_scan_clear(struct store_scan *sc);
void store_progress_clear(struct store_progress *p);
void store_scans_free(struct store_scans *l);
void store_results_free(struct store_results *l);
void store_arrivals_free(struct store_arrivals *l);

#endif
