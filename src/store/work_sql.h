/*
 * work_sql.h - the distributed scan's SQL, one text for both backends
 * (sqlite_work.c, pg_work.c): the statements are the dialects' common
 * subset; only the claim's row lock and the workers' name order differ,
 * passed in as the macros' arguments
 */
#ifndef RW_WORK_SQL_H
#define RW_WORK_SQL_H

#define WORK_SHARD_COLS                                                                            \
	"id, scan, vantage, shard, shards, state, worker, lease_ms, claims, walk_pos, done,"       \
	" counts, updated_ms"
#define WORK_WORKER_COLS "name, vantage, started_ms, seen_ms, shard, inflight"

#define WORK_SQL_PLAN                                                                              \
	"INSERT INTO shards (scan, vantage, shard, shards, updated_ms)"                            \
	" VALUES ($1, $2, $3, $4, $5)"                                                             \
	" ON CONFLICT (scan, vantage, shard) DO NOTHING RETURNING id"
/* LOCK: "" (SQLite: the write lock serialises claims) or
 * " FOR UPDATE OF sh SKIP LOCKED" (PostgreSQL) */
#define WORK_SQL_CLAIM(LOCK)                                                                       \
	"UPDATE shards SET state = 'claimed', worker = $1, lease_ms = $2,"                         \
	" claims = claims + 1, updated_ms = $3"                                                    \
	" WHERE id = (SELECT sh.id FROM shards sh JOIN scans sc ON sc.id = sh.scan"                \
	" WHERE sc.state = 'running' AND sh.vantage IN ($4, '')"                                   \
	" AND (sh.state = 'pending' OR (sh.state = 'claimed' AND sh.lease_ms < $3))"               \
	" ORDER BY sh.id LIMIT 1" LOCK ") RETURNING " WORK_SHARD_COLS
#define WORK_SQL_RENEW                                                                             \
	"UPDATE shards SET lease_ms = $1, updated_ms = $2"                                         \
	" WHERE id = $3 AND worker = $4 AND state = 'claimed' RETURNING id"
#define WORK_SQL_SAVE                                                                              \
	"UPDATE shards SET walk_pos = $1, done = $2, counts = $3, updated_ms = $4"                 \
	" WHERE id = $5 AND worker = $6 AND state = 'claimed' RETURNING id"
#define WORK_SQL_FINISH                                                                            \
	"UPDATE shards SET state = 'done', lease_ms = 0, updated_ms = $1"                          \
	" WHERE id = $2 AND worker = $3 AND state = 'claimed' RETURNING id"
#define WORK_SQL_LIST "SELECT " WORK_SHARD_COLS " FROM shards WHERE scan = $1 ORDER BY id"
#define WORK_SQL_BEAT                                                                              \
	"INSERT INTO workers (name, vantage, started_ms, seen_ms, shard, inflight)"                \
	" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET"                        \
	" vantage = excluded.vantage, started_ms = excluded.started_ms,"                           \
	" seen_ms = excluded.seen_ms, shard = excluded.shard, inflight = excluded.inflight"
/* ORDER: "name" (SQLite: bytes) or "name COLLATE \"C\"" (PostgreSQL) */
#define WORK_SQL_WORKERS(ORDER)                                                                    \
	"SELECT " WORK_WORKER_COLS " FROM workers WHERE seen_ms >= $1 ORDER BY " ORDER
#define WORK_SQL_KEYS                                                                              \
	"SELECT id, target, port FROM results WHERE scan = $1"                                     \
	" AND id > $2 AND probe = $3 AND vantage = $4 ORDER BY id LIMIT $5"

#endif
