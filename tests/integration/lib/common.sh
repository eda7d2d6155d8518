# common.sh - helpers for integration scripts (sourced, POSIX sh).
# Scripts exit 0 pass, 1 fail, 77 skip (prerequisite missing).
# Every wait here is bounded in count and time.

: "${RW_BUILD:?RW_BUILD must name the build directory}"
RW="$RW_BUILD/relaywatch"
RWLAB="$RW_BUILD/relaywatch-lab"
# valgrind for our own binaries when VALGRIND is set (lab test only)
RW_VG=""
if [ -n "${VALGRIND:-}" ]; then
	RW_VG="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/rwtest.XXXXXX")
# the default store of `relaywatch scan`: never the system one in tests
RELAYWATCH_DB="$T/default.db"; export RELAYWATCH_DB
_rw_pids=""
rw_cleanup() {
	for p in $_rw_pids; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in $_rw_pids; do kill -9 "$p" 2>/dev/null; done
	[ -n "${RW_KEEP:-}" ] || rm -rf "$T"
}
trap rw_cleanup EXIT INT TERM

# rw_bg CMD... - start in the background, remember the pid for cleanup
rw_bg() { "$@" & _rw_pids="$_rw_pids $!"; RW_LASTPID=$!; }

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skip: $*"; exit 77; }

# wait_port ADDR PORT [SECONDS] - wait until a TCP listener answers
wait_port() {
	_i=0; _max=$(( ${3:-10} * 10 ))
	while [ $_i -lt $_max ]; do
		if python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.5); s.close()
PY
		then return 0; fi
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# lab_ready OUT PID LOG WHAT - wait up to 15 s for relaywatch-lab's "ready"
# line in OUT; fail (showing LOG) if PID exits first or it never comes
lab_ready() {
	_i=0
	until grep -qx ready "$1" 2>/dev/null; do
		kill -0 "$2" 2>/dev/null || { cat "$3"; fail "$4 exited before ready"; }
		_i=$((_i + 1)); [ $_i -lt 150 ] || fail "$4 not ready after 15 s"
		sleep 0.1
	done
}

# free_port - a TCP port free on loopback now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# key_file PATH - write a fixed test token key
key_file() { printf '%064x\n' 42 > "$1"; chmod 600 "$1"; }

# json_get FILE EXPR - evaluate a python expression over each JSON line `o`
json_get() {
	python3 - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    o = json.loads(line)
    print(eval(sys.argv[2]))
PY
}
