/*
 * desk_sql.h - the abuse desk's SQL (contacts, complaints, incidents,
 * events, outbox, actions), one text for both backends (sqlite_desk.c,
 * pg_desk.c): the statements are the dialects' common subset; the
 * upsert's RETURNING, the text order, the timeline's first empty text and
 * the outbox claim's row lock differ, passed in as the macros' arguments.
 * What one backend alone runs (SQLite's contact id read) and action_mark,
 * whose PostgreSQL text casts its parameters, stay in the backend's own
 * file. Expanded where store.h is included (STORE_EVENT_ESCALATE).
 */
#ifndef RW_DESK_SQL_H
#define RW_DESK_SQL_H

#define CONTACT_COLS "id, netblock, customer, account, emails, noc, updated_ms, prefix"
#define COMPLAINT_COLS                                                                             \
	"id, received_ms, reporter, addr, port, kind, summary, raw, raw_size, ref, incident"
#define INCIDENT_COLS                                                                              \
	"id, addr, port, state, policy, contact, opened_ms, updated_ms, closed_ms, machine,"       \
	" due_ms, level, rev"
#define EVENT_COLS "id, incident, at_ms, kind, detail"
#define OUTBOX_COLS                                                                                \
	"id, incident, step, rcpt, subject, body, message_id, state, attempts, next_ms,"           \
	" queued_ms, sent_ms, last_error"
#define ACTION_COLS                                                                                \
	"id, incident, kind, what, addr, state, requested_ms, applied_ms, lifted_ms, error"

/* RETURNING: " RETURNING id" (SQLite: the caller read the id before) or
 * " RETURNING id, xmax = 0" (PostgreSQL: inserted or updated, in one) */
#define DESK_SQL_CONTACT_PUT(RETURNING)                                                            \
	"INSERT INTO contacts (netblock, family, prefix, network, customer,"                       \
	" account, emails, noc, updated_ms)"                                                       \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"                                             \
	" ON CONFLICT (netblock) DO UPDATE SET customer = excluded.customer,"                      \
	" account = excluded.account, emails = excluded.emails,"                                   \
	" noc = excluded.noc, updated_ms = excluded.updated_ms" RETURNING
#define DESK_SQL_CONTACT_MATCH                                                                     \
	"SELECT " CONTACT_COLS " FROM contacts"                                                    \
	" WHERE family = $1 AND prefix = $2 AND network = $3"
#define DESK_SQL_CONTACT_PREFIXES                                                                  \
	"SELECT DISTINCT prefix FROM contacts WHERE family = $1"                                   \
	" ORDER BY prefix DESC"
#define DESK_SQL_CONTACT_DELETE "DELETE FROM contacts WHERE netblock = $1 RETURNING id"
/* COLLATE: "" (SQLite orders text by bytes) or " COLLATE \"C\""
 * (PostgreSQL, whatever the database's locale) */
#define DESK_SQL_CONTACTS_LIST(COLLATE)                                                            \
	"SELECT " CONTACT_COLS " FROM contacts"                                                    \
	" ORDER BY family, network" COLLATE ", prefix LIMIT $1 OFFSET $2"
#define DESK_SQL_COMPLAINT_ADD                                                                     \
	"INSERT INTO complaints (received_ms, reporter, addr, port, kind,"                         \
	" summary, raw, raw_size, ref, incident)"                                                  \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"                                             \
	" (SELECT id FROM incidents WHERE id = $10))"                                              \
	" ON CONFLICT (ref) WHERE ref <> '' DO NOTHING RETURNING id"
#define DESK_SQL_COMPLAINT_REF    "SELECT id FROM complaints WHERE ref = $1"
#define DESK_SQL_COMPLAINT_ATTACH "UPDATE complaints SET incident = $1 WHERE id = $2 RETURNING id"
#define DESK_SQL_COMPLAINT_GET    "SELECT " COMPLAINT_COLS " FROM complaints WHERE id = $1"
#define DESK_SQL_COMPLAINTS_FOR                                                                    \
	"SELECT " COMPLAINT_COLS " FROM complaints WHERE incident = $1"                            \
	" ORDER BY id"
#define DESK_SQL_INCIDENT_INSERT                                                                   \
	"INSERT INTO incidents (addr, port, state, policy, contact,"                               \
	" opened_ms, updated_ms, machine, due_ms, level)"                                          \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"                                        \
	" ON CONFLICT (addr, port) WHERE closed_ms = 0 DO NOTHING"                                 \
	" RETURNING id"
#define DESK_SQL_INCIDENT_OPEN_ID                                                                  \
	"SELECT id FROM incidents WHERE addr = $1 AND port = $2"                                   \
	" AND closed_ms = 0"
#define DESK_SQL_INCIDENT_UPDATE                                                                   \
	"UPDATE incidents SET state = $1, updated_ms = $2, closed_ms = $3,"                        \
	" machine = $4, due_ms = $5, level = $6, rev = rev + 1"                                    \
	" WHERE id = $7 AND rev = $8 RETURNING id"
#define DESK_SQL_INCIDENT_GET "SELECT " INCIDENT_COLS " FROM incidents WHERE id = $1"
#define DESK_SQL_INCIDENT_OPEN_FOR                                                                 \
	"SELECT " INCIDENT_COLS " FROM incidents WHERE addr = $1"                                  \
	" AND port = $2 AND closed_ms = 0"
#define DESK_SQL_INCIDENTS_DUE                                                                     \
	"SELECT " INCIDENT_COLS " FROM incidents WHERE closed_ms = 0"                              \
	" AND due_ms > 0 AND due_ms <= $1 ORDER BY due_ms, id LIMIT $2"
#define DESK_SQL_INCIDENTS_ALL                                                                     \
	"SELECT " INCIDENT_COLS " FROM incidents ORDER BY id DESC"                                 \
	" LIMIT $1 OFFSET $2"
#define DESK_SQL_INCIDENTS_STATE                                                                   \
	"SELECT " INCIDENT_COLS " FROM incidents WHERE state = $1"                                 \
	" ORDER BY id DESC LIMIT $2 OFFSET $3"
#define DESK_SQL_INCIDENTS_OF                                                                      \
	"SELECT " INCIDENT_COLS " FROM incidents WHERE addr = $1"                                  \
	" ORDER BY id DESC LIMIT $2 OFFSET $3"
#define DESK_SQL_INCIDENTS_OPEN                                                                    \
	"SELECT " INCIDENT_COLS " FROM incidents WHERE closed_ms = 0"                              \
	" ORDER BY id DESC LIMIT $1 OFFSET $2"
#define DESK_SQL_COUNT_OPEN  "SELECT COUNT(*) FROM incidents WHERE closed_ms = 0"
#define DESK_SQL_COUNT_ALL   "SELECT COUNT(*) FROM incidents"
#define DESK_SQL_COUNT_STATE "SELECT COUNT(*) FROM incidents WHERE state = $1"
#define DESK_SQL_EVENT_ADD                                                                         \
	"INSERT INTO events (incident, at_ms, kind, detail)"                                       \
	" VALUES ($1, $2, $3, $4) RETURNING id"
#define DESK_SQL_EVENTS_LIST "SELECT " EVENT_COLS " FROM events WHERE incident = $1 ORDER BY id"
/* o orders sources at one instant: the complaint, what it caused, the
 * notices and the actions. EMPTY, the first branch's empty state: "''"
 * (SQLite) or "''::text" (PostgreSQL: a typed text, not an untyped
 * literal) */
#define DESK_SQL_TIMELINE(EMPTY)                                                                   \
	"SELECT at_ms, o, id, kind, state, txt FROM ("                                             \
	" SELECT received_ms AS at_ms, 0 AS o, id, kind, " EMPTY " AS state,"                      \
	" summary AS txt FROM complaints WHERE incident = $1"                                      \
	" UNION ALL SELECT at_ms, 1, id, kind, '', detail FROM events"                             \
	" WHERE incident = $1"                                                                     \
	" UNION ALL SELECT queued_ms, 2, id, step, state, subject FROM outbox"                     \
	" WHERE incident = $1"                                                                     \
	" UNION ALL SELECT requested_ms, 3, id, kind, state,"                                      \
	" what || ' ' || addr FROM actions WHERE incident = $1"                                    \
	") t ORDER BY at_ms, o, id"
#define DESK_SQL_REPORT                                                                            \
	"SELECT (SELECT COUNT(*) FROM incidents WHERE opened_ms >= $1),"                           \
	" (SELECT COUNT(*) FROM incidents WHERE state = 'repaired'"                                \
	"  AND closed_ms >= $1),"                                                                  \
	" (SELECT COUNT(*) FROM actions WHERE kind = 'block' AND applied_ms > 0"                   \
	"  AND applied_ms >= $1),"                                                                 \
	" (SELECT COUNT(*) FROM events WHERE kind = '" STORE_EVENT_ESCALATE "'"                    \
	"  AND at_ms >= $1),"                                                                      \
	" (SELECT COUNT(*) FROM complaints WHERE received_ms >= $1)"
#define DESK_SQL_REPAIR_TIMES                                                                      \
	"SELECT closed_ms - opened_ms FROM incidents WHERE state = 'repaired'"                     \
	" AND closed_ms >= $1 ORDER BY 1 LIMIT $2 OFFSET $3"
#define DESK_SQL_OUTBOX_QUEUE                                                                      \
	"INSERT INTO outbox (incident, step, rcpt, subject, body, message_id,"                     \
	" next_ms, queued_ms)"                                                                     \
	" VALUES ((SELECT id FROM incidents WHERE id = $1), $2, $3, $4, $5,"                       \
	" $6, $7, $8)"                                                                             \
	" ON CONFLICT (message_id) DO NOTHING RETURNING id"
/* a message is due to send: queued, or sending past its lease ($2 now) */
#define DESK_OUTBOX_DUE "state IN ('queued', 'sending') AND next_ms <= $2"
/* LOCK, RECHECK: "", "" (SQLite: the write lock serialises claims) or
 * " FOR UPDATE SKIP LOCKED", " AND " DESK_OUTBOX_DUE (PostgreSQL: skip a
 * row another sender holds; one it has just claimed is no longer due) */
#define DESK_SQL_OUTBOX_CLAIM(LOCK, RECHECK)                                                       \
	"UPDATE outbox SET state = 'sending', attempts = attempts + 1,"                            \
	" next_ms = $1 WHERE id = (SELECT id FROM outbox"                                          \
	" WHERE " DESK_OUTBOX_DUE " ORDER BY next_ms, id LIMIT 1" LOCK ")" RECHECK                 \
	" RETURNING " OUTBOX_COLS
#define DESK_SQL_OUTBOX_MARK                                                                       \
	"UPDATE outbox SET state = $1, next_ms = $2, sent_ms = $3,"                                \
	" last_error = $4 WHERE id = $5 AND state = 'sending' RETURNING id"
#define DESK_SQL_OUTBOX_FOR "SELECT " OUTBOX_COLS " FROM outbox WHERE incident = $1 ORDER BY id"
#define DESK_SQL_ACTION_ADD                                                                        \
	"INSERT INTO actions (incident, kind, what, addr, requested_ms)"                           \
	" VALUES ((SELECT id FROM incidents WHERE id = $1), $2, $3, $4, $5)"                       \
	" RETURNING id"
#define DESK_SQL_ACTIONS_STATE                                                                     \
	"SELECT " ACTION_COLS " FROM actions WHERE state = $1 AND id > $2"                         \
	" ORDER BY id LIMIT $3"
#define DESK_SQL_ACTIONS_KIND                                                                      \
	"SELECT " ACTION_COLS " FROM actions WHERE state = $1 AND kind = $2"                       \
	" AND id > $3 ORDER BY id LIMIT $4"

#endif
