# postgrey.sh - private postgrey policy daemons on loopback for integration
# tests (sourced after common.sh, POSIX sh; usually with postfix.sh).
#
# Each daemon runs from the installed package (Debian's postgrey 1.37) in the
# foreground under rw_bg, so common.sh's cleanup ends it. It owns everything
# it writes: its database directory and its log (stderr, one line per
# decision) live under $T/pg/NAME, and it reads only the empty whitelist
# files there. /etc/postgrey, /var/lib/postgrey and the system service are
# never read, written or started. Clients are never auto-whitelisted, so a
# client is let through only per triplet, after the delay.
#
#   pg_require            skip (77) unless postgrey can run here (package,
#                         user, Perl modules) and we are root
#   pg_start NAME [postgrey option]...
#                         start a daemon on 127.0.0.1:<free port>, the port
#                         in the shell variable NAME, its log in $T/pg/NAME.log;
#                         options such as --delay=5 go to postgrey as given
#   pg_policy NAME        the check_policy_service argument for daemon NAME
#                         (inet:127.0.0.1:PORT)
#   pg_log_count NAME PATTERN
#                         how many lines of NAME's log match PATTERN (grep -E)
#   pg_log_has NAME PATTERN WHAT
#                         NAME's log shows PATTERN, else fail with WHAT
#   pg_dump NAME          print NAME's log (for failures)
#
# LIMITS: start-up waits at most PG_START_WAIT seconds (15) for the port.

PG_DIR="$T/pg"
PG_START_WAIT=${PG_START_WAIT:-15}
PG_USER=postgrey

# pg_require - skip unless postgrey, its user and its Perl modules are here
pg_require() {
	command -v postgrey >/dev/null 2>&1 || skip "postgrey not installed"
	[ "$(id -u)" -eq 0 ] || skip "a private postgrey must be started as root (it drops to $PG_USER)"
	getent passwd "$PG_USER" >/dev/null || skip "no $PG_USER user"
	# postgrey's own modules load at compile time; --version needs them all
	postgrey --version >/dev/null 2>&1 || skip "postgrey does not run: $(postgrey --version 2>&1 | sed 1q)"
}

# pg_start NAME [option]... - a private postgrey, port in NAME
pg_start() {
	_pgn=$1; shift
	_pgd="$PG_DIR/$_pgn"
	mkdir -p "$_pgd/db"
	: >"$_pgd/whitelist_clients"
	: >"$_pgd/whitelist_recipients"
	# the daemon drops to $PG_USER before it opens its database
	chmod 0711 "$T" "$PG_DIR" "$_pgd"
	chown "$PG_USER" "$_pgd/db"
	_pgp=$(free_port)
	echo "pg: $_pgn on 127.0.0.1:$_pgp $*"
	rw_bg postgrey --inet="127.0.0.1:$_pgp" --dbdir="$_pgd/db" --user="$PG_USER" \
		--max-age=1 --auto-whitelist-clients=0 \
		--whitelist-clients="$_pgd/whitelist_clients" \
		--whitelist-recipients="$_pgd/whitelist_recipients" \
		--hostname=pg.lab.test "$@" >"$PG_DIR/$_pgn.log" 2>&1
	wait_port 127.0.0.1 "$_pgp" "$PG_START_WAIT" || {
		pg_dump "$_pgn"
		fail "postgrey $_pgn on 127.0.0.1:$_pgp did not answer within ${PG_START_WAIT}s"
	}
	eval "$_pgn=\$_pgp"
}

# pg_policy NAME - the argument of check_policy_service for NAME
pg_policy() {
	eval "echo inet:127.0.0.1:\$$1"
}

# pg_log_count NAME PATTERN - lines of NAME's log that match PATTERN
pg_log_count() {
	grep -Ec "$2" "$PG_DIR/$1.log"
}

# pg_log_has NAME PATTERN WHAT - NAME's log shows PATTERN, else fail
pg_log_has() {
	grep -Eq "$2" "$PG_DIR/$1.log" || { pg_dump "$1"; fail "postgrey $1 log: $3"; }
}

# pg_dump NAME - NAME's log, for a failing test's log
pg_dump() {
	echo "---- postgrey $1 log ($PG_DIR/$1.log)"
	tail -60 "$PG_DIR/$1.log"
	echo "----"
}
