/*
 * NAME
 *	sqlite_desk - the SQLite backend's abuse-desk calls
 * SUMMARY
 *	store_sqlite_desk_ops: contacts, complaints, incidents, events,
 *	outbox and actions (schema version 3)
 * SYNOPSIS
 *	extern const struct store_desk_ops store_sqlite_desk_ops;
 * DESCRIPTION
 *	The callbacks of struct store_desk_ops (store.h), on the session of
 *	sqlite.c (sqlite_int.h): statements prepared once per handle, $N
 *	parameters, every value bound, the texts both backends run in
 *	desk_sql.h. The calls that write two rows (incident_open,
 *	incident_update: the incident and its event; contact_put: the read
 *	that tells an insert from an update) run in their own BEGIN
 *	IMMEDIATE unless the caller's batch is open, so a crash leaves both
 *	rows or neither.
 *	outbox_claim is one UPDATE .. WHERE id = (SELECT .. LIMIT 1)
 *	RETURNING: SQLite holds the write lock for the statement, so two
 *	senders never claim one message (PostgreSQL will add FOR UPDATE SKIP
 *	LOCKED to the subquery). A sending row's next_ms is its lease's end,
 *	so "due" is one condition for both states.
 *	A desk id column that may be NULL (a complaint's or notice's
 *	incident) is bound NULL for 0 and read back as 0.
 * DIAGNOSTICS
 *	-1 with "sqlite: what: sqlite's message (extended code)".
 * LIMITS
 *	RW_STORE_RAW_MAX (the wrapper cuts raw), RW_STORE_PAGE_MAX.
 * STANDARDS
 *	SQLite 3.35+ (RETURNING; partial-index ON CONFLICT targets).
 */
#include "sqlite_int.h"
#include "desk_sql.h"
#include "../core/xalloc.h"

#include <stdlib.h>
#include <string.h>

enum dstmt {
	D_CONTACT_ID,
	D_CONTACT_PUT,
	D_CONTACT_MATCH,
	D_CONTACT_PREFIXES,
	D_CONTACT_DELETE,
	D_CONTACTS_LIST,
	D_COMPLAINT_ADD,
	D_COMPLAINT_REF,
	D_COMPLAINT_ATTACH,
	D_COMPLAINTS_FOR,
	D_COMPLAINT_GET,
	D_INCIDENT_INSERT,
	D_INCIDENT_OPEN_ID,
	D_INCIDENT_UPDATE,
	D_INCIDENT_GET,
	D_INCIDENT_OPEN_FOR,
	D_INCIDENTS_DUE,
	D_INCIDENTS_ALL,
	D_INCIDENTS_STATE,
	D_INCIDENTS_OF,
	D_INCIDENTS_OPEN,
	D_COUNT_OPEN,
	D_COUNT_ALL,
	D_COUNT_STATE,
	D_EVENT_ADD,
	D_EVENTS_LIST,
	D_TIMELINE,
	D_REPORT,
	D_REPAIR_TIMES,
	D_OUTBOX_QUEUE,
	D_OUTBOX_CLAIM,
	D_OUTBOX_MARK,
	D_OUTBOX_FOR,
	D_ACTION_ADD,
	D_ACTION_MARK,
	D_ACTIONS_STATE,
	D_ACTIONS_KIND,
	D__COUNT
};
_Static_assert(D__COUNT <= SQLITE_DESK_STMTS, "room for every desk statement");

static const struct {
	const char *name;
	const char *sql;
} dstmts[D__COUNT] = {
    /* SQLite's alone: its upsert does not say whether it inserted, so
     * contact_put reads the id first (pg_desk.c's RETURNING asks xmax) */
    [D_CONTACT_ID] = {"contact put", "SELECT id FROM contacts WHERE netblock = $1"},
    [D_CONTACT_PUT] = {"contact put", DESK_SQL_CONTACT_PUT(" RETURNING id")},
    [D_CONTACT_MATCH] = {"contact for", DESK_SQL_CONTACT_MATCH},
    [D_CONTACT_PREFIXES] = {"contact for", DESK_SQL_CONTACT_PREFIXES},
    [D_CONTACT_DELETE] = {"contact delete", DESK_SQL_CONTACT_DELETE},
    [D_CONTACTS_LIST] = {"contacts list", DESK_SQL_CONTACTS_LIST("")},
    [D_COMPLAINT_ADD] = {"complaint add", DESK_SQL_COMPLAINT_ADD},
    [D_COMPLAINT_REF] = {"complaint add", DESK_SQL_COMPLAINT_REF},
    [D_COMPLAINT_ATTACH] = {"complaint attach", DESK_SQL_COMPLAINT_ATTACH},
    [D_COMPLAINT_GET] = {"complaint get", DESK_SQL_COMPLAINT_GET},
    [D_COMPLAINTS_FOR] = {"complaints for", DESK_SQL_COMPLAINTS_FOR},
    [D_INCIDENT_INSERT] = {"incident open", DESK_SQL_INCIDENT_INSERT},
    [D_INCIDENT_OPEN_ID] = {"incident open", DESK_SQL_INCIDENT_OPEN_ID},
    [D_INCIDENT_UPDATE] = {"incident update", DESK_SQL_INCIDENT_UPDATE},
    [D_INCIDENT_GET] = {"incident get", DESK_SQL_INCIDENT_GET},
    [D_INCIDENT_OPEN_FOR] = {"incident open for", DESK_SQL_INCIDENT_OPEN_FOR},
    [D_INCIDENTS_DUE] = {"incidents due", DESK_SQL_INCIDENTS_DUE},
    [D_INCIDENTS_ALL] = {"incidents list", DESK_SQL_INCIDENTS_ALL},
    [D_INCIDENTS_STATE] = {"incidents list", DESK_SQL_INCIDENTS_STATE},
    [D_INCIDENTS_OF] = {"incidents of", DESK_SQL_INCIDENTS_OF},
    [D_INCIDENTS_OPEN] = {"incidents list", DESK_SQL_INCIDENTS_OPEN},
    [D_COUNT_OPEN] = {"incidents count", DESK_SQL_COUNT_OPEN},
    [D_COUNT_ALL] = {"incidents count", DESK_SQL_COUNT_ALL},
    [D_COUNT_STATE] = {"incidents count", DESK_SQL_COUNT_STATE},
    [D_EVENT_ADD] = {"event add", DESK_SQL_EVENT_ADD},
    [D_EVENTS_LIST] = {"events list", DESK_SQL_EVENTS_LIST},
    [D_TIMELINE] = {"timeline", DESK_SQL_TIMELINE("''")},
    [D_REPORT] = {"report", DESK_SQL_REPORT},
    [D_REPAIR_TIMES] = {"report", DESK_SQL_REPAIR_TIMES},
    [D_OUTBOX_QUEUE] = {"outbox queue", DESK_SQL_OUTBOX_QUEUE},
    [D_OUTBOX_CLAIM] = {"outbox claim", DESK_SQL_OUTBOX_CLAIM("", "")},
    [D_OUTBOX_MARK] = {"outbox mark", DESK_SQL_OUTBOX_MARK},
    [D_OUTBOX_FOR] = {"outbox for", DESK_SQL_OUTBOX_FOR},
    [D_ACTION_ADD] = {"action add", DESK_SQL_ACTION_ADD},
    /* its own text: pg_desk.c's casts its parameters to their types */
    [D_ACTION_MARK] = {"action mark",
                       "UPDATE actions SET state = $1,"
                       " applied_ms = CASE WHEN $1 = 'applied' THEN $2 ELSE applied_ms END,"
                       " lifted_ms = CASE WHEN $1 = 'lifted' THEN $2 ELSE lifted_ms END,"
                       " error = CASE WHEN $1 = 'failed' THEN $3 ELSE error END"
                       " WHERE id = $4 AND ((state IN ('pending', 'failed') AND $1 = 'applied')"
                       " OR (state = 'pending' AND $1 = 'failed')"
                       " OR (state = 'applied' AND $1 = 'lifted')) RETURNING id"},
    [D_ACTIONS_STATE] = {"actions list", DESK_SQL_ACTIONS_STATE},
    [D_ACTIONS_KIND] = {"actions list", DESK_SQL_ACTIONS_KIND},
};

static struct sqlite_store *S(struct store *st)
{
	return (struct sqlite_store *)st;
}

/* prep - one of this file's statements */
static sqlite3_stmt *prep(struct sqlite_store *s, enum dstmt id)
{
	return sqlite_prepare(s, &s->desk[id], dstmts[id].name, dstmts[id].sql);
}

/* bind_id - an optional reference: NULL for 0 */
static int bind_id(sqlite3_stmt *q, int i, int64_t id)
{
	return id > 0 ? sqlite3_bind_int64(q, i, id) : sqlite3_bind_null(q, i);
}

/* step_id - step a statement returning at most one id: 1 and *id, 0 no
 * row, -1 error */
static int step_id(struct sqlite_store *s, sqlite3_stmt *q, const char *what, int64_t *id)
{
	int rc = sqlite3_step(q), found = 0;

	if (rc == SQLITE_ROW) {
		found = 1;
		if (id != NULL)
			*id = sqlite3_column_int64(q, 0);
		rc = sqlite3_step(q);
	}
	if (rc != SQLITE_DONE)
		return sqlite_finish(q, sqlite_fail(s, what));
	return sqlite_finish(q, found);
}

/* dup - an owned copy of a text column, as the public structs' const */
static const char *dup(sqlite3_stmt *q, int i)
{
	return sqlite_col_dup(q, i);
}

/* rows - step q, calling row(q, slot) for each row into a grown vector;
 * *v, *n are the list's; on error the rows read so far stay for the
 * caller's free */
#define ROWS(s, q, what, l, rowfn)                                                                 \
	do {                                                                                       \
		size_t alloc_ = 0;                                                                 \
		int rc_;                                                                           \
		while ((rc_ = sqlite3_step(q)) == SQLITE_ROW) {                                    \
			(l)->v = sqlite_grow((l)->v, (l)->n, &alloc_, sizeof(*(l)->v));            \
			memset(&(l)->v[(l)->n], 0, sizeof(*(l)->v));                               \
			rowfn(q, &(l)->v[(l)->n++]);                                               \
		}                                                                                  \
		if (rc_ != SQLITE_DONE)                                                            \
			return sqlite_finish(q, sqlite_fail(s, what));                             \
		return sqlite_finish(q, 0);                                                        \
	} while (0)

/* contact_row - CONTACT_COLS into c */
static void contact_row(sqlite3_stmt *q, struct store_contact *c)
{
	c->id = sqlite3_column_int64(q, 0);
	c->netblock = dup(q, 1);
	c->customer = dup(q, 2);
	c->account = dup(q, 3);
	c->emails = dup(q, 4);
	c->noc = sqlite3_column_int(q, 5);
	c->updated_ms = sqlite3_column_int64(q, 6);
	c->prefix = sqlite3_column_int(q, 7);
}

/* dk_contact_put - upsert by netblock: 1 inserted, 0 updated */
static int dk_contact_put(struct store *st, const struct store_contact *c, const char *canon,
                          int family, int prefix, const char *network, int64_t *id)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	int own, had, rc;

	if (sqlite_own_begin(s, &own) < 0)
		return -1;
	if ((q = prep(s, D_CONTACT_ID)) == NULL)
		return sqlite_own_end(s, own, -1);
	sqlite_bind_text(q, 1, canon, NULL);
	if ((had = step_id(s, q, "contact put", NULL)) < 0)
		return sqlite_own_end(s, own, -1);
	if ((q = prep(s, D_CONTACT_PUT)) == NULL)
		return sqlite_own_end(s, own, -1);
	sqlite_bind_text(q, 1, canon, NULL);
	sqlite3_bind_int(q, 2, family);
	sqlite3_bind_int(q, 3, prefix);
	sqlite_bind_text(q, 4, network, NULL);
	sqlite_bind_text(q, 5, c->customer, "");
	sqlite_bind_text(q, 6, c->account, "");
	sqlite_bind_text(q, 7, c->emails, "");
	sqlite3_bind_int(q, 8, c->noc ? 1 : 0);
	sqlite3_bind_int64(q, 9, c->updated_ms);
	rc = step_id(s, q, "contact put", id);
	if (rc == 0)
		rc = sqlite_fail(s, "contact put: no row");
	return sqlite_own_end(s, own, rc < 0 ? -1 : !had);
}

/* dk_contact_match - the contact of exactly (family, prefix, network) */
static int dk_contact_match(struct store *st, int family, int prefix, const char *network,
                            struct store_contact *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_CONTACT_MATCH);
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int(q, 1, family);
	sqlite3_bind_int(q, 2, prefix);
	sqlite_bind_text(q, 3, network, NULL);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return sqlite_finish(q, 0);
	if (rc != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "contact for"));
	contact_row(q, out);
	return sqlite_finish(q, 1);
}

/* dk_contact_prefixes - the family's prefix lengths, longest first */
static int dk_contact_prefixes(struct store *st, int family, int *v, size_t *n)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_CONTACT_PREFIXES);
	int rc;

	*n = 0;
	if (q == NULL)
		return -1;
	sqlite3_bind_int(q, 1, family);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < 129)
		v[(*n)++] = sqlite3_column_int(q, 0);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "contact for"));
	return sqlite_finish(q, 0);
}

/* dk_contact_delete - 1 deleted, 0 no such netblock */
static int dk_contact_delete(struct store *st, const char *canon)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_CONTACT_DELETE);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, canon, NULL);
	return step_id(s, q, "contact delete", NULL);
}

/* dk_contacts_list - a page of contacts by family and network */
static int dk_contacts_list(struct store *st, const struct store_page *pg,
                            struct store_contacts *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_CONTACTS_LIST);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, pg->limit);
	sqlite3_bind_int64(q, 2, pg->offset);
	ROWS(s, q, "contacts list", out, contact_row);
}

/* dk_complaint_add - keep a complaint; 0 when its ref is already kept */
static int dk_complaint_add(struct store *st, const struct store_complaint *c, int64_t *id)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	int own, rc;

	if (sqlite_own_begin(s, &own) < 0)
		return -1;
	if ((q = prep(s, D_COMPLAINT_ADD)) == NULL)
		return sqlite_own_end(s, own, -1);
	sqlite3_bind_int64(q, 1, c->received_ms);
	sqlite_bind_text(q, 2, c->reporter, "");
	sqlite_bind_text(q, 3, c->addr, NULL);
	sqlite3_bind_int(q, 4, (int)c->port);
	sqlite_bind_text(q, 5, c->kind, "");
	sqlite_bind_text(q, 6, c->summary, "");
	if (c->raw != NULL)
		sqlite3_bind_blob64(q, 7, c->raw, c->raw_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 7);
	sqlite3_bind_int64(q, 8, c->raw_size);
	sqlite_bind_text(q, 9, c->ref, "");
	bind_id(q, 10, c->incident);
	rc = step_id(s, q, "complaint add", id);
	if (rc == 0 && id != NULL) {
		if ((q = prep(s, D_COMPLAINT_REF)) == NULL)
			return sqlite_own_end(s, own, -1);
		sqlite_bind_text(q, 1, c->ref, "");
		if (step_id(s, q, "complaint add", id) < 0)
			rc = -1;
	}
	return sqlite_own_end(s, own, rc);
}

/* dk_complaint_attach - tie a complaint to an incident */
static int dk_complaint_attach(struct store *st, int64_t complaint, int64_t incident)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_COMPLAINT_ATTACH);

	if (q == NULL)
		return -1;
	bind_id(q, 1, incident);
	sqlite3_bind_int64(q, 2, complaint);
	return step_id(s, q, "complaint attach", NULL);
}

/* complaint_row - COMPLAINT_COLS into c (owned copies, raw included) */
static void complaint_row(sqlite3_stmt *q, struct store_complaint *c)
{
	const void *raw = sqlite3_column_blob(q, 7);
	size_t len = (size_t)sqlite3_column_bytes(q, 7);

	c->id = sqlite3_column_int64(q, 0);
	c->received_ms = sqlite3_column_int64(q, 1);
	c->reporter = dup(q, 2);
	c->addr = dup(q, 3);
	c->port = (unsigned)sqlite3_column_int(q, 4);
	c->kind = dup(q, 5);
	c->summary = dup(q, 6);
	if (raw != NULL) {
		void *copy = xmalloc(len + 1);

		memcpy(copy, raw, len);
		((char *)copy)[len] = '\0';
		c->raw = copy;
		c->raw_len = len;
	}
	c->raw_size = sqlite3_column_int64(q, 8);
	c->ref = dup(q, 9);
	c->incident = sqlite3_column_int64(q, 10);
}

/* dk_complaints_for - an incident's complaints in id order */
static int dk_complaints_for(struct store *st, int64_t incident, struct store_complaints *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_COMPLAINTS_FOR);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, incident);
	ROWS(s, q, "complaints for", out, complaint_row);
}

/* dk_complaint_get - one complaint by id, as a list of 0 or 1 */
static int dk_complaint_get(struct store *st, int64_t id, struct store_complaints *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_COMPLAINT_GET);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	ROWS(s, q, "complaint get", out, complaint_row);
}

/* event_insert - append ev to incident */
static int event_insert(struct sqlite_store *s, int64_t incident, const struct store_event *ev,
                        int64_t *id)
{
	sqlite3_stmt *q = prep(s, D_EVENT_ADD);
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, incident);
	sqlite3_bind_int64(q, 2, ev->at_ms);
	sqlite_bind_text(q, 3, ev->kind, NULL);
	sqlite_bind_text(q, 4, ev->detail, "{}");
	rc = step_id(s, q, "event add", id);
	return rc == 0 ? sqlite_fail(s, "event add: no row") : rc;
}

/* dk_incident_open - the incident and its first event, or the open one's id */
static int dk_incident_open(struct store *st, const struct store_incident *inc,
                            const struct store_event *ev, int64_t *id)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	int own, rc;

	if (sqlite_own_begin(s, &own) < 0)
		return -1;
	if ((q = prep(s, D_INCIDENT_INSERT)) == NULL)
		return sqlite_own_end(s, own, -1);
	sqlite_bind_text(q, 1, inc->addr, NULL);
	sqlite3_bind_int(q, 2, (int)inc->port);
	sqlite_bind_text(q, 3, inc->state, NULL);
	sqlite_bind_text(q, 4, inc->policy, "");
	sqlite_bind_text(q, 5, inc->contact, "{}");
	sqlite3_bind_int64(q, 6, inc->opened_ms);
	sqlite3_bind_int64(q, 7, inc->updated_ms ? inc->updated_ms : inc->opened_ms);
	sqlite_bind_text(q, 8, inc->machine, "{}");
	sqlite3_bind_int64(q, 9, inc->due_ms);
	sqlite3_bind_int(q, 10, inc->level);
	rc = step_id(s, q, "incident open", id);
	if (rc == 1) {
		if (event_insert(s, *id, ev, NULL) < 0)
			rc = -1;
	} else if (rc == 0) {
		if ((q = prep(s, D_INCIDENT_OPEN_ID)) == NULL)
			return sqlite_own_end(s, own, -1);
		sqlite_bind_text(q, 1, inc->addr, NULL);
		sqlite3_bind_int(q, 2, (int)inc->port);
		if (step_id(s, q, "incident open", id) != 1)
			rc = -1;
	}
	return sqlite_own_end(s, own, rc);
}

/* dk_incident_update - the incident's new state and its event, or nothing */
static int dk_incident_update(struct store *st, const struct store_incident *inc,
                              const struct store_event *ev)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	int own, rc;

	if (sqlite_own_begin(s, &own) < 0)
		return -1;
	if ((q = prep(s, D_INCIDENT_UPDATE)) == NULL)
		return sqlite_own_end(s, own, -1);
	sqlite_bind_text(q, 1, inc->state, NULL);
	sqlite3_bind_int64(q, 2, inc->updated_ms);
	sqlite3_bind_int64(q, 3, inc->closed_ms);
	sqlite_bind_text(q, 4, inc->machine, "{}");
	sqlite3_bind_int64(q, 5, inc->due_ms);
	sqlite3_bind_int(q, 6, inc->level);
	sqlite3_bind_int64(q, 7, inc->id);
	sqlite3_bind_int64(q, 8, inc->rev);
	rc = step_id(s, q, "incident update", NULL);
	if (rc == 1 && event_insert(s, inc->id, ev, NULL) < 0)
		rc = -1;
	return sqlite_own_end(s, own, rc);
}

/* incident_row - INCIDENT_COLS into i */
static void incident_row(sqlite3_stmt *q, struct store_incident *i)
{
	i->id = sqlite3_column_int64(q, 0);
	i->addr = dup(q, 1);
	i->port = (unsigned)sqlite3_column_int(q, 2);
	i->state = dup(q, 3);
	i->policy = dup(q, 4);
	i->contact = dup(q, 5);
	i->opened_ms = sqlite3_column_int64(q, 6);
	i->updated_ms = sqlite3_column_int64(q, 7);
	i->closed_ms = sqlite3_column_int64(q, 8);
	i->machine = dup(q, 9);
	i->due_ms = sqlite3_column_int64(q, 10);
	i->level = sqlite3_column_int(q, 11);
	i->rev = sqlite3_column_int64(q, 12);
}

/* one_incident - step q for at most one incident row */
static int one_incident(struct sqlite_store *s, sqlite3_stmt *q, const char *what,
                        struct store_incident *out)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_DONE)
		return sqlite_finish(q, 0);
	if (rc != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, what));
	incident_row(q, out);
	return sqlite_finish(q, 1);
}

/* dk_incident_get - one incident by id */
static int dk_incident_get(struct store *st, int64_t id, struct store_incident *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_INCIDENT_GET);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	return one_incident(s, q, "incident get", out);
}

/* dk_incident_open_for - the open incident of (addr, port) */
static int dk_incident_open_for(struct store *st, const char *addr, unsigned port,
                                struct store_incident *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_INCIDENT_OPEN_FOR);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, addr, NULL);
	sqlite3_bind_int(q, 2, (int)port);
	return one_incident(s, q, "incident open for", out);
}

/* dk_incidents_due - open incidents due by before_ms, earliest first */
static int dk_incidents_due(struct store *st, int64_t before_ms, int64_t limit,
                            struct store_incidents *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_INCIDENTS_DUE);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, before_ms);
	sqlite3_bind_int64(q, 2, limit);
	ROWS(s, q, "incidents due", out, incident_row);
}

/* dk_incidents_list - a page of incidents, newest first */
static int dk_incidents_list(struct store *st, const char *state, const struct store_page *pg,
                             struct store_incidents *out)
{
	struct sqlite_store *s = S(st);
	int open = state && strcmp(state, STORE_STATE_OPEN) == 0;
	sqlite3_stmt *q = prep(s, open    ? D_INCIDENTS_OPEN
	                          : state ? D_INCIDENTS_STATE
	                                  : D_INCIDENTS_ALL);
	int i = 1;

	if (q == NULL)
		return -1;
	if (state != NULL && !open)
		sqlite_bind_text(q, i++, state, NULL);
	sqlite3_bind_int64(q, i++, pg->limit);
	sqlite3_bind_int64(q, i, pg->offset);
	ROWS(s, q, "incidents list", out, incident_row);
}

/* dk_incidents_of - a page of one address's incidents, newest first */
static int dk_incidents_of(struct store *st, const char *addr, const struct store_page *pg,
                           struct store_incidents *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_INCIDENTS_OF);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, addr, NULL);
	sqlite3_bind_int64(q, 2, pg->limit);
	sqlite3_bind_int64(q, 3, pg->offset);
	ROWS(s, q, "incidents of", out, incident_row);
}

/* dk_incidents_count - how many incidents_list pages through */
static int dk_incidents_count(struct store *st, const char *state, int64_t *n)
{
	struct sqlite_store *s = S(st);
	int open = state && strcmp(state, STORE_STATE_OPEN) == 0;
	sqlite3_stmt *q = prep(s, open ? D_COUNT_OPEN : state ? D_COUNT_STATE : D_COUNT_ALL);

	if (q == NULL)
		return -1;
	if (state != NULL && !open)
		sqlite_bind_text(q, 1, state, NULL);
	if (sqlite3_step(q) != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "incidents count"));
	*n = sqlite3_column_int64(q, 0);
	return sqlite_finish(q, 0);
}

/* dk_event_add - append one event */
static int dk_event_add(struct store *st, const struct store_event *ev, int64_t *id)
{
	return event_insert(S(st), ev->incident, ev, id) < 0 ? -1 : 0;
}

/* event_row - EVENT_COLS into e */
static void event_row(sqlite3_stmt *q, struct store_event *e)
{
	e->id = sqlite3_column_int64(q, 0);
	e->incident = sqlite3_column_int64(q, 1);
	e->at_ms = sqlite3_column_int64(q, 2);
	e->kind = dup(q, 3);
	e->detail = dup(q, 4);
}

/* dk_events_list - an incident's events in id order */
static int dk_events_list(struct store *st, int64_t incident, struct store_events *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_EVENTS_LIST);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, incident);
	ROWS(s, q, "events list", out, event_row);
}

/* timeline_row - a row of D_TIMELINE into t */
static void timeline_row(sqlite3_stmt *q, struct store_timeline_item *t)
{
	static const char *const sources[] = {"complaint", "event", "outbox", "action"};
	int o = sqlite3_column_int(q, 1);

	t->at_ms = sqlite3_column_int64(q, 0);
	t->source = o >= 0 && o < 4 ? sources[o] : "?";
	t->id = sqlite3_column_int64(q, 2);
	t->kind = dup(q, 3);
	t->state = dup(q, 4);
	t->text = dup(q, 5);
}

/* dk_timeline - an incident's rows of four tables in time order */
static int dk_timeline(struct store *st, int64_t incident, struct store_timeline *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_TIMELINE);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, incident);
	ROWS(s, q, "timeline", out, timeline_row);
}

/* repair_times - the median of the repair times (the mean of the middle
 * two when their count is even), read as one or two rows in order */
static int repair_times(struct sqlite_store *s, int64_t since_ms, int64_t n, int64_t *median)
{
	sqlite3_stmt *q = prep(s, D_REPAIR_TIMES);
	int64_t v[2] = {0, 0};
	int rc, k = 0;

	*median = 0;
	if (n == 0)
		return 0;
	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, since_ms);
	sqlite3_bind_int64(q, 2, n % 2 ? 1 : 2);
	sqlite3_bind_int64(q, 3, (n - 1) / 2);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && k < 2)
		v[k++] = sqlite3_column_int64(q, 0);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "report"));
	*median = k == 2 ? v[0] + (v[1] - v[0]) / 2 : v[0];
	return sqlite_finish(q, 0);
}

/* dk_report - the counters since since_ms, in one read transaction */
static int dk_report(struct store *st, int64_t since_ms, struct store_report *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	int own, rc;

	if (sqlite_own_begin(s, &own) < 0)
		return -1;
	if ((q = prep(s, D_REPORT)) == NULL)
		return sqlite_own_end(s, own, -1);
	sqlite3_bind_int64(q, 1, since_ms);
	if (sqlite3_step(q) != SQLITE_ROW)
		return sqlite_own_end(s, own, sqlite_finish(q, sqlite_fail(s, "report")));
	out->found = sqlite3_column_int64(q, 0);
	out->repaired = sqlite3_column_int64(q, 1);
	out->blocks = sqlite3_column_int64(q, 2);
	out->escalations = sqlite3_column_int64(q, 3);
	out->complaints = sqlite3_column_int64(q, 4);
	sqlite_finish(q, 0);
	rc = repair_times(s, since_ms, out->repaired, &out->repair_median_ms);
	return sqlite_own_end(s, own, rc);
}

/* dk_outbox_queue - queue once per message_id */
static int dk_outbox_queue(struct store *st, const struct store_outbox *m, int64_t *id)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_OUTBOX_QUEUE);

	if (q == NULL)
		return -1;
	bind_id(q, 1, m->incident);
	sqlite_bind_text(q, 2, m->step, "");
	sqlite_bind_text(q, 3, m->rcpt, NULL);
	sqlite_bind_text(q, 4, m->subject, "");
	sqlite_bind_text(q, 5, m->body, "");
	sqlite_bind_text(q, 6, m->message_id, NULL);
	sqlite3_bind_int64(q, 7, m->next_ms);
	sqlite3_bind_int64(q, 8, m->queued_ms);
	return step_id(s, q, "outbox queue", id);
}

/* outbox_row - OUTBOX_COLS into m */
static void outbox_row(sqlite3_stmt *q, struct store_outbox *m)
{
	m->id = sqlite3_column_int64(q, 0);
	m->incident = sqlite3_column_int64(q, 1);
	m->step = dup(q, 2);
	m->rcpt = dup(q, 3);
	m->subject = dup(q, 4);
	m->body = dup(q, 5);
	m->message_id = dup(q, 6);
	m->state = dup(q, 7);
	m->attempts = sqlite3_column_int(q, 8);
	m->next_ms = sqlite3_column_int64(q, 9);
	m->queued_ms = sqlite3_column_int64(q, 10);
	m->sent_ms = sqlite3_column_int64(q, 11);
	m->last_error = dup(q, 12);
}

/* dk_outbox_claim - lease the earliest due message */
static int dk_outbox_claim(struct store *st, int64_t now_ms, int64_t lease_ms,
                           struct store_outbox *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_OUTBOX_CLAIM);
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, now_ms + lease_ms);
	sqlite3_bind_int64(q, 2, now_ms);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return sqlite_finish(q, 0);
	if (rc != SQLITE_ROW)
		return sqlite_finish(q, sqlite_fail(s, "outbox claim"));
	outbox_row(q, out);
	if (sqlite3_step(q) != SQLITE_DONE) {
		store_outbox_clear(out);
		return sqlite_finish(q, sqlite_fail(s, "outbox claim"));
	}
	return sqlite_finish(q, 1);
}

/* dk_outbox_mark - a sending message to sent, queued or failed */
static int dk_outbox_mark(struct store *st, int64_t id, const char *to, int64_t next_ms,
                          int64_t sent_ms, const char *error)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_OUTBOX_MARK);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, to, NULL);
	sqlite3_bind_int64(q, 2, next_ms);
	sqlite3_bind_int64(q, 3, sent_ms);
	sqlite_bind_text(q, 4, error, "");
	sqlite3_bind_int64(q, 5, id);
	return step_id(s, q, "outbox mark", NULL);
}

/* dk_outbox_list - an incident's notices in id order */
static int dk_outbox_list(struct store *st, int64_t incident, struct store_outboxes *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_OUTBOX_FOR);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, incident);
	ROWS(s, q, "outbox for", out, outbox_row);
}

/* dk_action_add - a pending request */
static int dk_action_add(struct store *st, const struct store_action *a, int64_t *id)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_ACTION_ADD);
	int rc;

	if (q == NULL)
		return -1;
	bind_id(q, 1, a->incident);
	sqlite_bind_text(q, 2, a->kind, NULL);
	sqlite_bind_text(q, 3, a->what, "");
	sqlite_bind_text(q, 4, a->addr, NULL);
	sqlite3_bind_int64(q, 5, a->requested_ms);
	rc = step_id(s, q, "action add", id);
	return rc == 0 ? sqlite_fail(s, "action add: no row") : rc < 0 ? -1 : 0;
}

/* dk_action_mark - applied, failed or lifted, from the states that allow it */
static int dk_action_mark(struct store *st, int64_t id, const char *to, int64_t now_ms,
                          const char *error)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, D_ACTION_MARK);

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, 1, to, NULL);
	sqlite3_bind_int64(q, 2, now_ms);
	sqlite_bind_text(q, 3, error, "");
	sqlite3_bind_int64(q, 4, id);
	return step_id(s, q, "action mark", NULL);
}

/* action_row - ACTION_COLS into a */
static void action_row(sqlite3_stmt *q, struct store_action *a)
{
	a->id = sqlite3_column_int64(q, 0);
	a->incident = sqlite3_column_int64(q, 1);
	a->kind = dup(q, 2);
	a->what = dup(q, 3);
	a->addr = dup(q, 4);
	a->state = dup(q, 5);
	a->requested_ms = sqlite3_column_int64(q, 6);
	a->applied_ms = sqlite3_column_int64(q, 7);
	a->lifted_ms = sqlite3_column_int64(q, 8);
	a->error = dup(q, 9);
}

/* dk_actions_list - actions of a state (and kind) after id `after` */
static int dk_actions_list(struct store *st, const char *state, const char *kind, int64_t after,
                           int64_t limit, struct store_actions *out)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = prep(s, kind ? D_ACTIONS_KIND : D_ACTIONS_STATE);
	int i = 1;

	if (q == NULL)
		return -1;
	sqlite_bind_text(q, i++, state, NULL);
	if (kind != NULL)
		sqlite_bind_text(q, i++, kind, NULL);
	sqlite3_bind_int64(q, i++, after);
	sqlite3_bind_int64(q, i, limit);
	ROWS(s, q, "actions list", out, action_row);
}

const struct store_desk_ops store_sqlite_desk_ops = {
    .contact_put = dk_contact_put,
    .contact_match = dk_contact_match,
    .contact_prefixes = dk_contact_prefixes,
    .contact_delete = dk_contact_delete,
    .contacts_list = dk_contacts_list,
    .complaint_add = dk_complaint_add,
    .complaint_attach = dk_complaint_attach,
    .complaints_for = dk_complaints_for,
    .complaint_get = dk_complaint_get,
    .incident_open = dk_incident_open,
    .incident_update = dk_incident_update,
    .incident_get = dk_incident_get,
    .incident_open_for = dk_incident_open_for,
    .incidents_due = dk_incidents_due,
    .incidents_list = dk_incidents_list,
    .incidents_of = dk_incidents_of,
    .incidents_count = dk_incidents_count,
    .event_add = dk_event_add,
    .events_list = dk_events_list,
    .timeline = dk_timeline,
    .report = dk_report,
    .outbox_queue = dk_outbox_queue,
    .outbox_claim = dk_outbox_claim,
    .outbox_mark = dk_outbox_mark,
    .outbox_list = dk_outbox_list,
    .action_add = dk_action_add,
    .action_mark = dk_action_mark,
    .actions_list = dk_actions_list,
};
