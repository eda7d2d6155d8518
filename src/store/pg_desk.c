/*
 * NAME
 *	pg_desk - the PostgreSQL backend's abuse-desk calls
 * SUMMARY
 *	store_pg_desk_ops: contacts, complaints, incidents, events, outbox
 *	and actions (schema version 3)
 * SYNOPSIS
 *	extern const struct store_desk_ops store_pg_desk_ops;
 * DESCRIPTION
 *	The callbacks of struct store_desk_ops (store.h), on the session of
 *	pg.c (pg_int.h), statement for statement as sqlite_desk.c (the
 *	texts both run are desk_sql.h's): every value a parameter. The
 *	calls that write two rows (incident_open, incident_update: the
 *	incident and its event) and complaint_add (a replay reads the kept
 *	one's id) run in their own transaction unless the caller's batch is
 *	open. contact_put tells an insert from an update in its one
 *	statement (RETURNING xmax = 0: a row the upsert updated carries this
 *	transaction's id in xmax).
 *	outbox_claim is one UPDATE .. WHERE id = (SELECT .. FOR UPDATE SKIP
 *	LOCKED LIMIT 1) RETURNING, and the UPDATE repeats the due condition:
 *	two senders never claim one message (the second skips the row the
 *	first holds, or finds it no longer due once the first commits).
 *	A desk id column that may be NULL (a complaint's or notice's
 *	incident) is sent NULL for 0 and read back as 0. Raw complaint
 *	bytes travel binary one way and as bytea's hex text the other.
 * DIAGNOSTICS
 *	-1 with "postgresql: what: the server's message (SQLSTATE)".
 * LIMITS
 *	RW_STORE_RAW_MAX (the wrapper cuts raw), RW_STORE_PAGE_MAX.
 * STANDARDS
 *	PostgreSQL 10+ (ON CONFLICT with partial-index inference, SKIP
 *	LOCKED).
 */
#include "pg_int.h"
#include "desk_sql.h"
#include "../core/xalloc.h"

#include <stdlib.h>
#include <string.h>

enum dstmt {
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

/* Text orders by bytes (COLLATE "C"), as SQLite's */
#define COLLATE_C " COLLATE \"C\""

static const struct {
	const char *name;
	const char *sql;
} dstmts[D__COUNT] = {
    [D_CONTACT_PUT] = {"contact put", DESK_SQL_CONTACT_PUT(" RETURNING id, xmax = 0")},
    [D_CONTACT_MATCH] = {"contact for", DESK_SQL_CONTACT_MATCH},
    [D_CONTACT_PREFIXES] = {"contact for", DESK_SQL_CONTACT_PREFIXES},
    [D_CONTACT_DELETE] = {"contact delete", DESK_SQL_CONTACT_DELETE},
    [D_CONTACTS_LIST] = {"contacts list", DESK_SQL_CONTACTS_LIST(COLLATE_C)},
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
    [D_TIMELINE] = {"timeline", DESK_SQL_TIMELINE("''::text")},
    [D_REPORT] = {"report", DESK_SQL_REPORT},
    [D_REPAIR_TIMES] = {"report", DESK_SQL_REPAIR_TIMES},
    [D_OUTBOX_QUEUE] = {"outbox queue", DESK_SQL_OUTBOX_QUEUE},
    [D_OUTBOX_CLAIM] = {"outbox claim",
                        DESK_SQL_OUTBOX_CLAIM(" FOR UPDATE SKIP LOCKED", " AND " DESK_OUTBOX_DUE)},
    [D_OUTBOX_MARK] = {"outbox mark", DESK_SQL_OUTBOX_MARK},
    [D_OUTBOX_FOR] = {"outbox for", DESK_SQL_OUTBOX_FOR},
    [D_ACTION_ADD] = {"action add", DESK_SQL_ACTION_ADD},
    /* its own text: PostgreSQL deduces an untyped parameter's type from
     * its uses ($1 is assigned and compared, $2 and $3 stand in CASE
     * branches), so each is cast; sqlite_desk.c's needs no casts */
    [D_ACTION_MARK] = {"action mark",
                       "UPDATE actions SET state = $1::text,"
                       " applied_ms = CASE WHEN $1::text = 'applied' THEN $2::bigint"
                       "  ELSE applied_ms END,"
                       " lifted_ms = CASE WHEN $1::text = 'lifted' THEN $2::bigint"
                       "  ELSE lifted_ms END,"
                       " error = CASE WHEN $1::text = 'failed' THEN $3::text ELSE error END"
                       " WHERE id = $4 AND ((state IN ('pending', 'failed')"
                       " AND $1::text = 'applied')"
                       " OR (state = 'pending' AND $1::text = 'failed')"
                       " OR (state = 'applied' AND $1::text = 'lifted')) RETURNING id"},
    [D_ACTIONS_STATE] = {"actions list", DESK_SQL_ACTIONS_STATE},
    [D_ACTIONS_KIND] = {"actions list", DESK_SQL_ACTIONS_KIND},
};

static struct pg_store *P(struct store *st)
{
	return (struct pg_store *)st;
}

/* q - run one of this file's statements */
static PGresult *q(struct pg_store *s, enum dstmt id, struct pg_args *a)
{
	return pg_exec(s, dstmts[id].name, dstmts[id].sql, a);
}

/* one_id - one of this file's statements returning at most one id */
static int one_id(struct pg_store *s, enum dstmt id, struct pg_args *a, int64_t *out)
{
	return pg_one_id(s, dstmts[id].name, dstmts[id].sql, a, out);
}

/* contact_row - CONTACT_COLS into c */
static void contact_row(const PGresult *r, int i, struct store_contact *c)
{
	c->id = pg_i64(r, i, 0);
	c->netblock = pg_dup(r, i, 1);
	c->customer = pg_dup(r, i, 2);
	c->account = pg_dup(r, i, 3);
	c->emails = pg_dup(r, i, 4);
	c->noc = pg_int32(r, i, 5);
	c->updated_ms = pg_i64(r, i, 6);
	c->prefix = pg_int32(r, i, 7);
}

/* dk_contact_put - upsert by netblock: 1 inserted, 0 updated */
static int dk_contact_put(struct store *st, const struct store_contact *c, const char *canon,
                          int family, int prefix, const char *network, int64_t *id)
{
	struct pg_args a = {0};
	PGresult *r;
	int inserted;

	pg_text(&a, canon, NULL);
	pg_int(&a, family);
	pg_int(&a, prefix);
	pg_text(&a, network, NULL);
	pg_text(&a, c->customer, "");
	pg_text(&a, c->account, "");
	pg_text(&a, c->emails, "");
	pg_int(&a, c->noc ? 1 : 0);
	pg_int(&a, c->updated_ms);
	if ((r = q(P(st), D_CONTACT_PUT, &a)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return pg_fail(P(st), "contact put: no row", NULL);
	}
	if (id != NULL)
		*id = pg_i64(r, 0, 0);
	inserted = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	return inserted;
}

/* dk_contact_match - the contact of exactly (family, prefix, network) */
static int dk_contact_match(struct store *st, int family, int prefix, const char *network,
                            struct store_contact *out)
{
	struct pg_args a = {0};
	PGresult *r;
	int found;

	pg_int(&a, family);
	pg_int(&a, prefix);
	pg_text(&a, network, NULL);
	if ((r = q(P(st), D_CONTACT_MATCH, &a)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0))
		contact_row(r, 0, out);
	PQclear(r);
	return found;
}

/* dk_contact_prefixes - the family's prefix lengths, longest first */
static int dk_contact_prefixes(struct store *st, int family, int *v, size_t *n)
{
	struct pg_args a = {0};
	PGresult *r;

	*n = 0;
	pg_int(&a, family);
	if ((r = q(P(st), D_CONTACT_PREFIXES, &a)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && *n < 129; i++)
		v[(*n)++] = pg_int32(r, i, 0);
	PQclear(r);
	return 0;
}

/* dk_contact_delete - 1 deleted, 0 no such netblock */
static int dk_contact_delete(struct store *st, const char *canon)
{
	struct pg_args a = {0};

	pg_text(&a, canon, NULL);
	return one_id(P(st), D_CONTACT_DELETE, &a, NULL);
}

/* dk_contacts_list - a page of contacts by family and network */
static int dk_contacts_list(struct store *st, const struct store_page *pg,
                            struct store_contacts *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, pg->limit);
	pg_int(&a, pg->offset);
	if ((r = q(P(st), D_CONTACTS_LIST, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, contact_row);
	return 0;
}

/* dk_complaint_add - keep a complaint; 0 when its ref is already kept */
static int dk_complaint_add(struct store *st, const struct store_complaint *c, int64_t *id)
{
	struct pg_store *s = P(st);
	struct pg_args a = {0};
	int own, rc;

	if (pg_own_begin(s, &own) < 0)
		return -1;
	pg_int(&a, c->received_ms);
	pg_text(&a, c->reporter, "");
	pg_text(&a, c->addr, NULL);
	pg_int(&a, c->port);
	pg_text(&a, c->kind, "");
	pg_text(&a, c->summary, "");
	pg_bytes(&a, c->raw, c->raw_len);
	pg_int(&a, c->raw_size);
	pg_text(&a, c->ref, "");
	pg_id(&a, c->incident);
	rc = one_id(s, D_COMPLAINT_ADD, &a, id);
	if (rc == 0 && id != NULL) {
		struct pg_args b = {0};

		pg_text(&b, c->ref, "");
		if (one_id(s, D_COMPLAINT_REF, &b, id) < 0)
			rc = -1;
	}
	return pg_own_end(s, own, rc);
}

/* dk_complaint_attach - tie a complaint to an incident */
static int dk_complaint_attach(struct store *st, int64_t complaint, int64_t incident)
{
	struct pg_args a = {0};

	pg_id(&a, incident);
	pg_int(&a, complaint);
	return one_id(P(st), D_COMPLAINT_ATTACH, &a, NULL);
}

/* complaint_row - COMPLAINT_COLS into c (owned copies, raw included) */
static void complaint_row(const PGresult *r, int i, struct store_complaint *c)
{
	c->id = pg_i64(r, i, 0);
	c->received_ms = pg_i64(r, i, 1);
	c->reporter = pg_dup(r, i, 2);
	c->addr = pg_dup(r, i, 3);
	c->port = (unsigned)pg_int32(r, i, 4);
	c->kind = pg_dup(r, i, 5);
	c->summary = pg_dup(r, i, 6);
	if (!PQgetisnull(r, i, 7)) {
		size_t len = 0;
		unsigned char *raw =
		    PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 7), &len);
		char *copy = xmalloc(len + 1);

		if (raw == NULL)
			rw_panic("%s: out of memory", __func__);
		memcpy(copy, raw, len);
		copy[len] = '\0';
		PQfreemem(raw);
		c->raw = copy;
		c->raw_len = len;
	}
	c->raw_size = pg_i64(r, i, 8);
	c->ref = pg_dup(r, i, 9);
	c->incident = pg_i64(r, i, 10);
}

/* dk_complaints_for - an incident's complaints in id order */
static int dk_complaints_for(struct store *st, int64_t incident, struct store_complaints *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, incident);
	if ((r = q(P(st), D_COMPLAINTS_FOR, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, complaint_row);
	return 0;
}

/* dk_complaint_get - one complaint by id, as a list of 0 or 1 */
static int dk_complaint_get(struct store *st, int64_t id, struct store_complaints *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, id);
	if ((r = q(P(st), D_COMPLAINT_GET, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, complaint_row);
	return 0;
}

/* event_insert - append ev to incident */
static int event_insert(struct pg_store *s, int64_t incident, const struct store_event *ev,
                        int64_t *id)
{
	struct pg_args a = {0};
	int rc;

	pg_int(&a, incident);
	pg_int(&a, ev->at_ms);
	pg_text(&a, ev->kind, NULL);
	pg_text(&a, ev->detail, "{}");
	rc = one_id(s, D_EVENT_ADD, &a, id);
	return rc == 0 ? pg_fail(s, "event add: no row", NULL) : rc;
}

/* dk_incident_open - the incident and its first event, or the open one's id */
static int dk_incident_open(struct store *st, const struct store_incident *inc,
                            const struct store_event *ev, int64_t *id)
{
	struct pg_store *s = P(st);
	struct pg_args a = {0};
	int own, rc;

	if (pg_own_begin(s, &own) < 0)
		return -1;
	pg_text(&a, inc->addr, NULL);
	pg_int(&a, inc->port);
	pg_text(&a, inc->state, NULL);
	pg_text(&a, inc->policy, "");
	pg_text(&a, inc->contact, "{}");
	pg_int(&a, inc->opened_ms);
	pg_int(&a, inc->updated_ms ? inc->updated_ms : inc->opened_ms);
	pg_text(&a, inc->machine, "{}");
	pg_int(&a, inc->due_ms);
	pg_int(&a, inc->level);
	rc = one_id(s, D_INCIDENT_INSERT, &a, id);
	if (rc == 1) {
		if (event_insert(s, *id, ev, NULL) < 0)
			rc = -1;
	} else if (rc == 0) {
		struct pg_args b = {0};

		pg_text(&b, inc->addr, NULL);
		pg_int(&b, inc->port);
		if (one_id(s, D_INCIDENT_OPEN_ID, &b, id) != 1)
			rc = -1;
	}
	return pg_own_end(s, own, rc);
}

/* dk_incident_update - the incident's new state and its event, or nothing */
static int dk_incident_update(struct store *st, const struct store_incident *inc,
                              const struct store_event *ev)
{
	struct pg_store *s = P(st);
	struct pg_args a = {0};
	int own, rc;

	if (pg_own_begin(s, &own) < 0)
		return -1;
	pg_text(&a, inc->state, NULL);
	pg_int(&a, inc->updated_ms);
	pg_int(&a, inc->closed_ms);
	pg_text(&a, inc->machine, "{}");
	pg_int(&a, inc->due_ms);
	pg_int(&a, inc->level);
	pg_int(&a, inc->id);
	pg_int(&a, inc->rev);
	rc = one_id(s, D_INCIDENT_UPDATE, &a, NULL);
	if (rc == 1 && event_insert(s, inc->id, ev, NULL) < 0)
		rc = -1;
	return pg_own_end(s, own, rc);
}

/* incident_row - INCIDENT_COLS into inc */
static void incident_row(const PGresult *r, int i, struct store_incident *inc)
{
	inc->id = pg_i64(r, i, 0);
	inc->addr = pg_dup(r, i, 1);
	inc->port = (unsigned)pg_int32(r, i, 2);
	inc->state = pg_dup(r, i, 3);
	inc->policy = pg_dup(r, i, 4);
	inc->contact = pg_dup(r, i, 5);
	inc->opened_ms = pg_i64(r, i, 6);
	inc->updated_ms = pg_i64(r, i, 7);
	inc->closed_ms = pg_i64(r, i, 8);
	inc->machine = pg_dup(r, i, 9);
	inc->due_ms = pg_i64(r, i, 10);
	inc->level = pg_int32(r, i, 11);
	inc->rev = pg_i64(r, i, 12);
}

/* one_incident - at most one incident row of r into out; PQclear(r) */
static int one_incident(PGresult *r, struct store_incident *out)
{
	int found;

	if (r == NULL)
		return -1;
	if ((found = PQntuples(r) > 0))
		incident_row(r, 0, out);
	PQclear(r);
	return found;
}

/* dk_incident_get - one incident by id */
static int dk_incident_get(struct store *st, int64_t id, struct store_incident *out)
{
	struct pg_args a = {0};

	pg_int(&a, id);
	return one_incident(q(P(st), D_INCIDENT_GET, &a), out);
}

/* dk_incident_open_for - the open incident of (addr, port) */
static int dk_incident_open_for(struct store *st, const char *addr, unsigned port,
                                struct store_incident *out)
{
	struct pg_args a = {0};

	pg_text(&a, addr, NULL);
	pg_int(&a, port);
	return one_incident(q(P(st), D_INCIDENT_OPEN_FOR, &a), out);
}

/* incidents - the rows of one of the incident lists */
static int incidents(struct pg_store *s, enum dstmt id, struct pg_args *a,
                     struct store_incidents *out)
{
	PGresult *r = q(s, id, a);

	if (r == NULL)
		return -1;
	PG_ROWS(r, out, incident_row);
	return 0;
}

/* dk_incidents_due - open incidents due by before_ms, earliest first */
static int dk_incidents_due(struct store *st, int64_t before_ms, int64_t limit,
                            struct store_incidents *out)
{
	struct pg_args a = {0};

	pg_int(&a, before_ms);
	pg_int(&a, limit);
	return incidents(P(st), D_INCIDENTS_DUE, &a, out);
}

/* dk_incidents_list - a page of incidents, newest first */
static int dk_incidents_list(struct store *st, const char *state, const struct store_page *pg,
                             struct store_incidents *out)
{
	int open = state && strcmp(state, STORE_STATE_OPEN) == 0;
	struct pg_args a = {0};

	if (state != NULL && !open)
		pg_text(&a, state, NULL);
	pg_int(&a, pg->limit);
	pg_int(&a, pg->offset);
	return incidents(P(st),
	                 open    ? D_INCIDENTS_OPEN
	                 : state ? D_INCIDENTS_STATE
	                         : D_INCIDENTS_ALL,
	                 &a, out);
}

/* dk_incidents_of - a page of one address's incidents, newest first */
static int dk_incidents_of(struct store *st, const char *addr, const struct store_page *pg,
                           struct store_incidents *out)
{
	struct pg_args a = {0};

	pg_text(&a, addr, NULL);
	pg_int(&a, pg->limit);
	pg_int(&a, pg->offset);
	return incidents(P(st), D_INCIDENTS_OF, &a, out);
}

/* dk_incidents_count - how many incidents_list pages through */
static int dk_incidents_count(struct store *st, const char *state, int64_t *n)
{
	int open = state && strcmp(state, STORE_STATE_OPEN) == 0;
	struct pg_args a = {0};
	PGresult *r;

	if (state != NULL && !open)
		pg_text(&a, state, NULL);
	if ((r = q(P(st), open ? D_COUNT_OPEN : state ? D_COUNT_STATE : D_COUNT_ALL, &a)) == NULL)
		return -1;
	*n = pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* dk_event_add - append one event */
static int dk_event_add(struct store *st, const struct store_event *ev, int64_t *id)
{
	return event_insert(P(st), ev->incident, ev, id) < 0 ? -1 : 0;
}

/* event_row - EVENT_COLS into e */
static void event_row(const PGresult *r, int i, struct store_event *e)
{
	e->id = pg_i64(r, i, 0);
	e->incident = pg_i64(r, i, 1);
	e->at_ms = pg_i64(r, i, 2);
	e->kind = pg_dup(r, i, 3);
	e->detail = pg_dup(r, i, 4);
}

/* dk_events_list - an incident's events in id order */
static int dk_events_list(struct store *st, int64_t incident, struct store_events *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, incident);
	if ((r = q(P(st), D_EVENTS_LIST, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, event_row);
	return 0;
}

/* timeline_row - a row of D_TIMELINE into t */
static void timeline_row(const PGresult *r, int i, struct store_timeline_item *t)
{
	static const char *const sources[] = {"complaint", "event", "outbox", "action"};
	int o = pg_int32(r, i, 1);

	t->at_ms = pg_i64(r, i, 0);
	t->source = o >= 0 && o < 4 ? sources[o] : "?";
	t->id = pg_i64(r, i, 2);
	t->kind = pg_dup(r, i, 3);
	t->state = pg_dup(r, i, 4);
	t->text = pg_dup(r, i, 5);
}

/* dk_timeline - an incident's rows of four tables in time order */
static int dk_timeline(struct store *st, int64_t incident, struct store_timeline *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, incident);
	if ((r = q(P(st), D_TIMELINE, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, timeline_row);
	return 0;
}

/* repair_times - the median of the repair times (the mean of the middle
 * two when their count is even), read as one or two rows in order */
static int repair_times(struct pg_store *s, int64_t since_ms, int64_t n, int64_t *median)
{
	struct pg_args a = {0};
	PGresult *r;
	int64_t v[2] = {0, 0};
	int k;

	*median = 0;
	if (n == 0)
		return 0;
	pg_int(&a, since_ms);
	pg_int(&a, n % 2 ? 1 : 2);
	pg_int(&a, (n - 1) / 2);
	if ((r = q(s, D_REPAIR_TIMES, &a)) == NULL)
		return -1;
	for (k = 0; k < PQntuples(r) && k < 2; k++)
		v[k] = pg_i64(r, k, 0);
	PQclear(r);
	*median = k == 2 ? v[0] + (v[1] - v[0]) / 2 : v[0];
	return 0;
}

/* dk_report - the counters since since_ms, in one transaction */
static int dk_report(struct store *st, int64_t since_ms, struct store_report *out)
{
	struct pg_store *s = P(st);
	struct pg_args a = {0};
	PGresult *r;
	int own, rc;

	if (pg_own_begin(s, &own) < 0)
		return -1;
	pg_int(&a, since_ms);
	if ((r = q(s, D_REPORT, &a)) == NULL)
		return pg_own_end(s, own, -1);
	out->found = pg_i64(r, 0, 0);
	out->repaired = pg_i64(r, 0, 1);
	out->blocks = pg_i64(r, 0, 2);
	out->escalations = pg_i64(r, 0, 3);
	out->complaints = pg_i64(r, 0, 4);
	PQclear(r);
	rc = repair_times(s, since_ms, out->repaired, &out->repair_median_ms);
	return pg_own_end(s, own, rc);
}

/* dk_outbox_queue - queue once per message_id */
static int dk_outbox_queue(struct store *st, const struct store_outbox *m, int64_t *id)
{
	struct pg_args a = {0};

	pg_id(&a, m->incident);
	pg_text(&a, m->step, "");
	pg_text(&a, m->rcpt, NULL);
	pg_text(&a, m->subject, "");
	pg_text(&a, m->body, "");
	pg_text(&a, m->message_id, NULL);
	pg_int(&a, m->next_ms);
	pg_int(&a, m->queued_ms);
	return one_id(P(st), D_OUTBOX_QUEUE, &a, id);
}

/* outbox_row - OUTBOX_COLS into m */
static void outbox_row(const PGresult *r, int i, struct store_outbox *m)
{
	m->id = pg_i64(r, i, 0);
	m->incident = pg_i64(r, i, 1);
	m->step = pg_dup(r, i, 2);
	m->rcpt = pg_dup(r, i, 3);
	m->subject = pg_dup(r, i, 4);
	m->body = pg_dup(r, i, 5);
	m->message_id = pg_dup(r, i, 6);
	m->state = pg_dup(r, i, 7);
	m->attempts = pg_int32(r, i, 8);
	m->next_ms = pg_i64(r, i, 9);
	m->queued_ms = pg_i64(r, i, 10);
	m->sent_ms = pg_i64(r, i, 11);
	m->last_error = pg_dup(r, i, 12);
}

/* dk_outbox_claim - lease the earliest due message */
static int dk_outbox_claim(struct store *st, int64_t now_ms, int64_t lease_ms,
                           struct store_outbox *out)
{
	struct pg_args a = {0};
	PGresult *r;
	int found;

	pg_int(&a, now_ms + lease_ms);
	pg_int(&a, now_ms);
	if ((r = q(P(st), D_OUTBOX_CLAIM, &a)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0))
		outbox_row(r, 0, out);
	PQclear(r);
	return found;
}

/* dk_outbox_mark - a sending message to sent, queued or failed */
static int dk_outbox_mark(struct store *st, int64_t id, const char *to, int64_t next_ms,
                          int64_t sent_ms, const char *error)
{
	struct pg_args a = {0};

	pg_text(&a, to, NULL);
	pg_int(&a, next_ms);
	pg_int(&a, sent_ms);
	pg_text(&a, error, "");
	pg_int(&a, id);
	return one_id(P(st), D_OUTBOX_MARK, &a, NULL);
}

/* dk_outbox_list - an incident's notices in id order */
static int dk_outbox_list(struct store *st, int64_t incident, struct store_outboxes *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_int(&a, incident);
	if ((r = q(P(st), D_OUTBOX_FOR, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, outbox_row);
	return 0;
}

/* dk_action_add - a pending request */
static int dk_action_add(struct store *st, const struct store_action *a, int64_t *id)
{
	struct pg_args p = {0};
	int rc;

	pg_id(&p, a->incident);
	pg_text(&p, a->kind, NULL);
	pg_text(&p, a->what, "");
	pg_text(&p, a->addr, NULL);
	pg_int(&p, a->requested_ms);
	rc = one_id(P(st), D_ACTION_ADD, &p, id);
	return rc == 0 ? pg_fail(P(st), "action add: no row", NULL) : rc < 0 ? -1 : 0;
}

/* dk_action_mark - applied, failed or lifted, from the states that allow it */
static int dk_action_mark(struct store *st, int64_t id, const char *to, int64_t now_ms,
                          const char *error)
{
	struct pg_args a = {0};

	pg_text(&a, to, NULL);
	pg_int(&a, now_ms);
	pg_text(&a, error, "");
	pg_int(&a, id);
	return one_id(P(st), D_ACTION_MARK, &a, NULL);
}

/* action_row - ACTION_COLS into ac */
static void action_row(const PGresult *r, int i, struct store_action *ac)
{
	ac->id = pg_i64(r, i, 0);
	ac->incident = pg_i64(r, i, 1);
	ac->kind = pg_dup(r, i, 2);
	ac->what = pg_dup(r, i, 3);
	ac->addr = pg_dup(r, i, 4);
	ac->state = pg_dup(r, i, 5);
	ac->requested_ms = pg_i64(r, i, 6);
	ac->applied_ms = pg_i64(r, i, 7);
	ac->lifted_ms = pg_i64(r, i, 8);
	ac->error = pg_dup(r, i, 9);
}

/* dk_actions_list - actions of a state (and kind) after id `after` */
static int dk_actions_list(struct store *st, const char *state, const char *kind, int64_t after,
                           int64_t limit, struct store_actions *out)
{
	struct pg_args a = {0};
	PGresult *r;

	pg_text(&a, state, NULL);
	if (kind != NULL)
		pg_text(&a, kind, NULL);
	pg_int(&a, after);
	pg_int(&a, limit);
	if ((r = q(P(st), kind ? D_ACTIONS_KIND : D_ACTIONS_STATE, &a)) == NULL)
		return -1;
	PG_ROWS(r, out, action_row);
	return 0;
}

const struct store_desk_ops store_pg_desk_ops = {
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
