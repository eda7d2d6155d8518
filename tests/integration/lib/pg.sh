# pg.sh - a throwaway PostgreSQL server for one test (sourced after
# common.sh): initdb in $T/pg, the server listening on a Unix socket in
# that directory only (listen_addresses = ''), stopped by the exit trap.
# initdb refuses root: as root the server runs as an unprivileged user
# (RW_PG_USER, default nobody) through runuser or setpriv. Every wait is
# bounded. Sets PG_DIR (the socket's directory) and PG_URL (a database
# "relaywatch" for the role "rwtest", trust authentication on the socket).

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

# pg_have - the server binaries are installed
pg_have() { [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ]; }

# pg_as CMD... - run as the server's user
pg_as() {
	if [ "$(id -u)" != 0 ]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u "${RW_PG_USER:-nobody}" -- "$@"
	else
		setpriv --reuid="${RW_PG_USER:-nobody}" --regid="$(id -g "${RW_PG_USER:-nobody}")" \
			--clear-groups -- "$@"
	fi
}

# pg_stop - stop the server (fast, then immediate), bounded
pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 10 stop >/dev/null 2>&1
}

# pg_start - initdb, start, create the database; 0, or 1 with the log shown
pg_start() {
	PG_DIR=$T/pg
	mkdir -p "$PG_DIR" || return 1
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$T" && chown "${RW_PG_USER:-nobody}" "$PG_DIR" || return 1
	fi
	chmod 700 "$PG_DIR"
	trap 'pg_stop; rw_cleanup' EXIT
	trap 'pg_stop; rw_cleanup; exit 1' INT TERM
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U rwtest --auth=trust -E UTF8 --no-locale \
		--no-sync >"$T/initdb.log" 2>&1 || { cat "$T/initdb.log"; return 1; }
	# no TCP at all; fsync off: the tests kill clients, never the server
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
		-o "-c listen_addresses='' -k $PG_DIR -c fsync=off -c max_connections=50" \
		start >"$T/pg_ctl.log" 2>&1 || { cat "$T/pg_ctl.log" "$PG_DIR/server.log"; return 1; }
	timeout 30 "$PG_BIN/psql" -X -q -h "$PG_DIR" -U rwtest -d postgres \
		-c 'CREATE DATABASE relaywatch' >"$T/createdb.log" 2>&1 ||
		{ cat "$T/createdb.log"; return 1; }
	PG_URL="postgresql://rwtest@/relaywatch?host=$PG_DIR"
}
