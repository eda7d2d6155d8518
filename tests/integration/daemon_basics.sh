#!/bin/sh
# daemon_basics.sh - `relaywatch daemon` as a service: READY=1 on
# $NOTIFY_SOCKET once it listens, the pid file written and locked (a second
# daemon on it refuses, exit 3), SIGHUP with a broken policy keeps the old
# one running (reload-failed, RELOADING=1 then READY=1), SIGHUP with a good
# one reloads, SIGTERM stops it within 5 s with exit 0 (STOPPING=1) and
# removes the pid file; a bad configuration refuses to start (exit 2).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
[ -x "$RW" ] || fail "$RW is not built"
command -v python3 >/dev/null 2>&1 || skip "no python3"

repo=$(cd "$here/../.." && pwd)
key_file "$T/key"
SP=$(free_port)
cp "$repo/contrib/policies/university.conf" "$T/policy.conf"
cat >"$T/rw.conf" <<CFG
policy = $T/policy.conf
notify_from = Abuse desk <abuse@desk.test>
db = $T/d.db
token_key = $T/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:$SP
pid_file = $T/rw.pid
CFG

# the notify socket: every datagram the daemon sends, one per line
python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(0.5)
end = time.time() + 60
with open(sys.argv[2], "a") as log:
    while time.time() < end:
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        log.write(d.decode() + "\n"); log.flush()
PY
_rw_pids="$_rw_pids $!"
i=0; while [ ! -S "$T/notify.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

# wait_log FILE TEXT - TEXT appears in FILE within 10 s
wait_log() {
	_i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		[ $_i -lt 100 ] || { cat "$1"; fail "no '$2' in $1 within 10 s"; }
		sleep 0.1; _i=$((_i + 1))
	done
}

NOTIFY_SOCKET="$T/notify.sock" "$RW" --config "$T/rw.conf" daemon -f --tick-ms 200 >"$T/d.log" 2>&1 &
D=$!
_rw_pids="$_rw_pids $D"
wait_log "$T/notify.log" "READY=1"
wait_port 127.0.0.1 "$SP" 5 || fail "the sink does not listen"
[ "$(cat "$T/rw.pid")" = "$D" ] || fail "pid file holds '$(cat "$T/rw.pid")', want $D"

# a second daemon on the same pid file refuses
"$RW" --config "$T/rw.conf" daemon -f >"$T/d2.log" 2>&1
rc=$?
[ $rc -eq 3 ] || { cat "$T/d2.log"; fail "second daemon: exit $rc, want 3"; }
grep -q "already running (pid $D" "$T/d2.log" || { cat "$T/d2.log"; fail "second daemon: no reason"; }

# a broken policy: the reload fails, the daemon goes on with the old one
echo "grace = soon" >>"$T/policy.conf"
kill -HUP $D
wait_log "$T/d.log" "event=reload-failed"
kill -0 $D 2>/dev/null || fail "the daemon died on a bad reload"
grep -q "RELOADING=1" "$T/notify.log" || fail "no RELOADING=1"
cp "$repo/contrib/policies/university.conf" "$T/policy.conf"
kill -HUP $D
wait_log "$T/d.log" "event=reloaded"

# SIGTERM: exit 0 within 5 s, pid file gone
t0=$(date +%s)
kill -TERM $D
i=0; while kill -0 $D 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $D 2>/dev/null && fail "still running 5 s after SIGTERM"
wait $D; rc=$?
[ $rc -eq 0 ] || { tail "$T/d.log"; fail "exit $rc after SIGTERM, want 0"; }
[ ! -e "$T/rw.pid" ] || fail "pid file left behind"
wait_log "$T/notify.log" "STOPPING=1"
echo "stopped in $(( $(date +%s) - t0 )) s"

# a configuration it cannot run with: exit 2 and the reason
sed "s#^policy = .*#policy = $T/nope.conf#" "$T/rw.conf" >"$T/bad.conf"
"$RW" --config "$T/bad.conf" daemon -f >"$T/d3.log" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$T/d3.log"; fail "missing policy: exit $rc, want 2"; }
grep -q "nope.conf" "$T/d3.log" || { cat "$T/d3.log"; fail "missing policy: not named"; }
echo "PASS: notify protocol, pid lock, reload (bad and good), clean stop, bad config refused"
exit 0
