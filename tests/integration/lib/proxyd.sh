# proxyd.sh - what the real-proxy rigs share: a private daemon's directory,
# its start under rw_bg with a bounded wait for its port, and a bounded stop
# that also ends the children it forked (sourced by tinyproxy.sh, dante.sh
# and squid.sh after common.sh, POSIX sh).
#
# Each rig names its instances (NAME, a shell identifier): the instance's
# port is stored in the shell variable NAME, its files live in $T/px/NAME
# (configuration, pid file, logs), and the daemon's pid in _pxd_pid_NAME.
# A daemon always listens on 127.0.0.1 at a free port and nowhere else.
#
#   pxd_dir NAME [OWNER]  create $T/px/NAME (owned by OWNER, for a daemon
#                         that drops privileges before writing its logs);
#                         prints the directory
#   pxd_run NAME PORT WAIT TAG DUMP CMD...
#                         start CMD (a daemon that stays in the foreground)
#                         under rw_bg, output in $T/px/NAME/stdout; wait at
#                         most WAIT seconds for 127.0.0.1:PORT, else run
#                         DUMP NAME and fail; sets NAME=PORT; says how long
#                         the start took (pxd_started_ms)
#   pxd_stop NAME WAIT [SIG]
#                         send the daemon SIG (TERM) and its children TERM,
#                         wait at most WAIT seconds, then KILL what is left
#   pxd_pid NAME          the daemon's pid ("" when not started)
#   pxd_file_dump TITLE FILE...
#                         print the last lines of each file that exists
#
# Sourcing this file sets the EXIT, INT and TERM traps: every instance still
# running is stopped (pxd_stop) before common.sh's rw_cleanup removes $T.
#
# LIMITS: the start waits as long as its caller says (each rig has its
# *_START_WAIT); a stop at most WAIT seconds, then SIGKILL.

# once per script, however many rigs source this
[ -z "${_pxd_loaded:-}" ] || return 0
_pxd_loaded=1
PXD_ROOT="$T/px"
PXD_STOP_WAIT=${PXD_STOP_WAIT:-10}
pxd_started_ms=""
_pxd_names=""

_pxd_exit() {
	for _n in $_pxd_names; do pxd_stop "$_n" "$PXD_STOP_WAIT"; done
	rw_cleanup
}
trap _pxd_exit EXIT
trap '_pxd_exit; trap - EXIT; exit 130' INT TERM

# pxd_dir NAME [OWNER] - the instance's private directory
pxd_dir() {
	mkdir -p "$PXD_ROOT/$1"
	if [ -n "${2:-}" ] && [ "$(id -u)" -eq 0 ]; then
		# the daemon's user must traverse $T to reach its directory
		chmod 0711 "$T" "$PXD_ROOT"
		chown "$2" "$PXD_ROOT/$1"
	fi
	echo "$PXD_ROOT/$1"
}

_pxd_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

# pxd_run NAME PORT WAIT TAG DUMP CMD... - start, wait for the port
pxd_run() {
	_pxn=$1 _pxp=$2 _pxw=$3 _pxt=$4 _pxdump=$5; shift 5
	echo "$_pxt: $_pxn on 127.0.0.1:$_pxp: $*"
	_pxt0=$(_pxd_ms)
	rw_bg "$@" >"$PXD_ROOT/$_pxn/stdout" 2>&1
	eval "_pxd_pid_$_pxn=$RW_LASTPID"
	_pxd_names="$_pxd_names $_pxn"
	if ! wait_port 127.0.0.1 "$_pxp" "$_pxw"; then
		$_pxdump "$_pxn"
		fail "$_pxt $_pxn on 127.0.0.1:$_pxp did not answer within ${_pxw}s"
	fi
	pxd_started_ms=$(( $(_pxd_ms) - _pxt0 ))
	echo "$_pxt: $_pxn answers on 127.0.0.1:$_pxp after ${pxd_started_ms} ms"
	eval "$_pxn=$_pxp"
}

# pxd_pid NAME - the daemon's pid
pxd_pid() { eval "echo \${_pxd_pid_$1:-}"; }

# _pxd_alive PID - the process exists and is not a zombie
_pxd_alive() {
	# the state follows the command name, which may hold spaces; a process
	# that ends between the two reads reads as gone
	_st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# _pxd_descendants PID - its children, theirs and so on (from /proc)
_pxd_descendants() {
	python3 - "$1" <<'PY'
import os, sys
kids = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            st = open("/proc/%s/stat" % d).read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: split after it
        ppid = st[st.rindex(")") + 2:].split()[1]
        kids.setdefault(ppid, []).append(d)
todo, out = [sys.argv[1]], []
while todo:
    for k in kids.get(todo.pop(), []):
        out.append(k)
        todo.append(k)
print(" ".join(out))
PY
}

# pxd_stop NAME WAIT [SIG] - stop the daemon and its children, bounded
pxd_stop() {
	_pxp=$(pxd_pid "$1")
	[ -n "$_pxp" ] || return 0
	# its children (dante forks a dozen) are remembered before it goes
	_pxkids=$(_pxd_descendants "$_pxp")
	# the children too: dante's mother waits seconds for them otherwise
	kill -"${3:-TERM}" "$_pxp" 2>/dev/null
	for _k in $_pxkids; do kill "$_k" 2>/dev/null; done
	_i=0 _left=""
	while [ $_i -lt $(( $2 * 10 )) ]; do
		_left=""
		for _p in "$_pxp" $_pxkids; do _pxd_alive "$_p" && _left="$_left $_p"; done
		[ -n "$_left" ] || break
		sleep 0.1; _i=$((_i + 1))
	done
	for _p in $_left; do
		echo "note: $1: pid $_p still running after ${2}s, killed"
		kill -9 "$_p" 2>/dev/null
	done
	wait "$_pxp" 2>/dev/null
	eval "_pxd_pid_$1="
	return 0
}

# pxd_file_dump TITLE FILE... - the last lines of each log, for failures
pxd_file_dump() {
	_pxft=$1; shift
	for _f in "$@"; do
		[ -s "$_f" ] || continue
		echo "---- $_pxft: $_f"
		tail -40 "$_f"
	done
}
