/*
 * scan_sql.h - the scanner's SQL (scans, progress, results, arrivals,
 * tallies), one text for both backends (sqlite.c, pg_scan.c): the
 * statements are the dialects' common subset; only the tallies' text
 * order differs, passed in as the macros' argument. What one backend
 * alone runs (SQLite's transaction and PRAGMA statements, PostgreSQL's
 * advisory key lock) and the arrivals tally, whose text differs, stay in
 * the backend's own file.
 */
#ifndef RW_SCAN_SQL_H
#define RW_SCAN_SQL_H

#define SCAN_COLS "id, created, finished, state, seed, total, params"
#define RESULT_COLS                                                                                \
	"id, scan, target, port, probe, vantage, verdict, reason, evidence, tested, updated"
#define ARRIVAL_COLS "id, token, scan, target, port, test, peer, received, arrived, relayed"

#define SCAN_SQL_INSERT                                                                            \
	"INSERT INTO scans (created, seed, total, params)"                                         \
	" VALUES ($1, $2, $3, $4) RETURNING id"
#define SCAN_SQL_GET   "SELECT " SCAN_COLS " FROM scans WHERE id = $1"
#define SCAN_SQL_LIST  "SELECT " SCAN_COLS " FROM scans ORDER BY id DESC LIMIT $1 OFFSET $2"
#define SCAN_SQL_STATE "UPDATE scans SET state = $1, finished = $2 WHERE id = $3 RETURNING id"
#define SCAN_SQL_PROGRESS_SAVE                                                                     \
	"INSERT INTO scan_progress (scan, perm_pos, done, counts, updated)"                        \
	" VALUES ($1, $2, $3, $4, $5)"                                                             \
	" ON CONFLICT (scan) DO UPDATE SET perm_pos = excluded.perm_pos,"                          \
	" done = excluded.done, counts = excluded.counts,"                                         \
	" updated = excluded.updated"
#define SCAN_SQL_PROGRESS_LOAD                                                                     \
	"SELECT perm_pos, done, counts, updated FROM scan_progress"                                \
	" WHERE scan = $1"
#define SCAN_SQL_RESULT_PUT                                                                        \
	"INSERT INTO results (scan, target, port, probe, vantage, verdict,"                        \
	" reason, evidence, tested, updated)"                                                      \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"                                        \
	" ON CONFLICT (scan, target, port, probe, vantage) DO NOTHING"                             \
	" RETURNING id"
#define SCAN_SQL_RESULTS_ALL                                                                       \
	"SELECT " RESULT_COLS " FROM results WHERE scan = $1"                                      \
	" ORDER BY id LIMIT $2 OFFSET $3"
#define SCAN_SQL_RESULTS_VERDICT                                                                   \
	"SELECT " RESULT_COLS " FROM results"                                                      \
	" WHERE scan = $1 AND verdict = $2 ORDER BY id LIMIT $3 OFFSET $4"
#define SCAN_SQL_RESULTS_OF                                                                        \
	"SELECT " RESULT_COLS " FROM results WHERE target = $1"                                    \
	" ORDER BY id DESC LIMIT $2 OFFSET $3"
/* COLLATE: "" (SQLite orders text by bytes) or " COLLATE \"C\""
 * (PostgreSQL, whatever the database's locale) */
#define SCAN_SQL_TALLY_SCANS(COLLATE)                                                              \
	"SELECT state, COUNT(*) FROM scans GROUP BY state ORDER BY state" COLLATE
#define SCAN_SQL_TALLY_RESULTS(COLLATE)                                                            \
	"SELECT verdict, COUNT(*) FROM results GROUP BY verdict ORDER BY verdict" COLLATE
#define SCAN_SQL_TALLY_INCIDENTS(COLLATE)                                                          \
	"SELECT state, COUNT(*) FROM incidents GROUP BY state ORDER BY state" COLLATE
#define SCAN_SQL_TALLY_OUTBOX(COLLATE)                                                             \
	"SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state" COLLATE
#define SCAN_SQL_TALLY_BLOCKS(COLLATE)                                                             \
	"SELECT state, COUNT(*) FROM actions"                                                      \
	" WHERE kind = 'block' GROUP BY state ORDER BY state" COLLATE
#define SCAN_SQL_COUNT_ALL     "SELECT COUNT(*) FROM results WHERE scan = $1"
#define SCAN_SQL_COUNT_VERDICT "SELECT COUNT(*) FROM results WHERE scan = $1 AND verdict = $2"
#define SCAN_SQL_ARRIVAL_PUT                                                                       \
	"INSERT INTO arrivals (token, scan, target, port, test, peer,"                             \
	" received, arrived, relayed)"                                                             \
	" VALUES ($1, (SELECT id FROM scans WHERE id = $2), $3, $4, $5, $6,"                       \
	" $7, $8, $9)"                                                                             \
	" ON CONFLICT (token, peer, arrived) DO NOTHING RETURNING id, scan"
#define SCAN_SQL_ARRIVALS_SCAN                                                                     \
	"SELECT " ARRIVAL_COLS " FROM arrivals WHERE scan = $1"                                    \
	" ORDER BY id LIMIT $2 OFFSET $3"
#define SCAN_SQL_ARRIVALS_NONE                                                                     \
	"SELECT " ARRIVAL_COLS " FROM arrivals WHERE scan IS NULL"                                 \
	" ORDER BY id LIMIT $1 OFFSET $2"
#define SCAN_SQL_ARRIVALS_SINCE                                                                    \
	"SELECT " ARRIVAL_COLS " FROM arrivals WHERE scan = $1 AND id > $2"                        \
	" ORDER BY id LIMIT $3"
#define SCAN_SQL_ARRIVALS_SINCE_NONE                                                               \
	"SELECT " ARRIVAL_COLS " FROM arrivals"                                                    \
	" WHERE scan IS NULL AND id > $1 ORDER BY id LIMIT $2"
/* the late-arrival rule (store.h): the first arrival that proves a key,
 * and the one-time upgrade of its suspect smtp results */
#define SCAN_SQL_ARRIVAL_PROOF                                                                     \
	"SELECT test, peer FROM arrivals WHERE scan = $1 AND target = $2"                          \
	" AND port = $3 AND relayed = 1 ORDER BY id LIMIT 1"
#define SCAN_SQL_UPGRADE                                                                           \
	"UPDATE results SET verdict = 'open', reason = $1, updated = $2"                           \
	" WHERE scan = $3 AND target = $4 AND port = $5 AND probe = 'smtp'"                        \
	" AND verdict = 'suspect'"
#define SCAN_SQL_KEYS_ALL                                                                          \
	"SELECT id, target, port FROM results WHERE scan = $1 AND id > $2"                         \
	" ORDER BY id LIMIT $3"
#define SCAN_SQL_KEYS_PROBE                                                                        \
	"SELECT id, target, port FROM results WHERE scan = $1 AND id > $2"                         \
	" AND probe = $3 ORDER BY id LIMIT $4"

#endif
