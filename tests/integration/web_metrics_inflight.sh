#!/bin/sh
# web_metrics_inflight.sh - /metrics tells the sessions a separate
# `relaywatch scan` has open, through the store. Peers: relaywatch-lab,
# three tarpits (one reply byte every 2 s) on 127.10.8.1-3 at one free
# port; `relaywatch web` on a free loopback port over the scan's store.
# Scan 1 (--timeout 15: each session holds its connection ~15 s, no
# result comes before): /metrics says relaywatch_sessions_in_flight 3
# while it runs; the progress row is saved again (its `updated` moves)
# while nothing changes, so a slow scan stays fresh; once it has ended
# the gauge is 0, the stored counts say "inflight":0 next to the
# verdicts, and `relaywatch scans --json` still reads them. Scan 2 is
# killed -9 with its three sessions open: the store keeps it running and
# its row says 3, counted while fresh; the row made 61 s older (SQLite,
# instead of waiting the minute) is no longer counted, though the scan
# is still running.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 60"
db="$T/m.db"
: >"$T/empty.conf"
port=$(free_port)
sink=$(free_port)
key_file "$T/key"

rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.10.8.1 \
	--port "$port" --profiles tarpit --repeat 3 -q --truth "$T/truth" \
	>"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	n=$((n + 1)); [ $n -lt 150 ] || fail "lab not ready after 15s"
	sleep 0.1
done
[ "$(wc -l <"$T/truth")" -eq 3 ] || fail "lab truth has $(wc -l <"$T/truth") hosts, want 3"

wport=$(free_port)
rw_bg "$RW" --config "$T/empty.conf" web --db "$db" --listen "127.0.0.1:$wport" \
	>"$T/web.out" 2>"$T/web.log"
webpid=$RW_LASTPID
wait_port 127.0.0.1 "$wport" 10 || { cat "$T/web.log"; fail "web not listening"; }

# metric NAME - its value in one scrape of /metrics (empty: absent or no answer)
metric() {
	python3 - "$wport" "$1" <<'PY'
import re, sys, urllib.request
try:
    with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5) as r:
        text = r.read().decode()
except Exception as e:
    print("scrape:", e, file=sys.stderr); sys.exit(0)
m = re.search(r"^%s ([0-9]+)$" % re.escape(sys.argv[2]), text, re.M)
print(m.group(1) if m else "")
PY
}

# wait_metric NAME VALUE PID - scrape every 0.2 s, at most 10 s, until
# NAME is VALUE; fail when PID (the scan) has ended first
wait_metric() {
	n=0
	while :; do
		v=$(metric "$1")
		[ "$v" = "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || fail "scan ended before $1 was $2 (last: '$v')"
		n=$((n + 1)); [ $n -lt 50 ] || fail "$1 is '$v' after 10s, want $2"
		sleep 0.2
	done
}

# updated ID - the progress row's `updated` of scan ID (empty: no row)
updated() {
	python3 - "$db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
r = db.execute("SELECT updated FROM scan_progress WHERE scan = ?", (int(sys.argv[2]),)).fetchone()
print(r[0] if r else "")
PY
}

[ "$(metric relaywatch_sessions_in_flight)" = 0 ] || fail "no scan yet, but sessions in flight"

# the scan of the tarpits, as words after "$RW" scan
args="--allow-reserved --token-key $T/key --canary canary.lab.test --sink-listen 127.0.0.1:$sink
 --ports $port --timeout 15 --session-timeout 25 --wait 1 --retry-after 0 --db $db 127.10.8.1-3"

# ---- scan 1: three sessions in flight, the row kept fresh, 0 at the end
rw_bg $limit "$RW" scan --seed 1 $args >"$T/scan1.out" 2>"$T/scan1.err"
pid=$RW_LASTPID
wait_metric relaywatch_sessions_in_flight 3 "$pid"
[ "$(metric relaywatch_scans_running)" = 1 ] || fail "the scan is not running in the store"
u0=$(updated 1)
[ -n "$u0" ] || fail "no progress row while the gauge said 3"
n=0
while [ "$(updated 1)" = "$u0" ]; do
	kill -0 "$pid" 2>/dev/null || fail "scan 1 ended before its progress row was saved again"
	n=$((n + 1)); [ $n -lt 40 ] || fail "progress row not saved again within 8s (still $u0)"
	sleep 0.2
done
[ "$(metric relaywatch_sessions_in_flight)" = 3 ] || fail "the heartbeat lost the sessions"
echo "scan 1: 3 sessions in flight, progress saved at $u0 and again at $(updated 1)"
n=0
while kill -0 "$pid" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 400 ] || fail "scan 1 still running after 40s"
	sleep 0.1
done
wait "$pid"
rc=$?
[ $rc -eq 0 ] || { cat "$T/scan1.err"; fail "scan 1 exited $rc, want 0 (nothing open)"; }
[ "$(metric relaywatch_sessions_in_flight)" = 0 ] || fail "scan 1 done, sessions still in flight"
[ "$(metric relaywatch_scans_running)" = 0 ] || fail "scan 1 done, still running in the store"
"$RW" scans --db "$db" --json >"$T/scans1.json" || fail "relaywatch scans --json failed"
python3 - "$T/scans1.json" <<'PY' || fail "scan 1's stored counts"
import json, sys
o = json.loads(open(sys.argv[1]).readline())
c = o["counts"]
assert o["state"] == "done" and o["done"] == 3, o
assert c.get("inflight") == 0 and c.get("unreachable") == 3, c
PY

# ---- scan 2: killed -9 with its sessions open; counted only while its row is fresh
rw_bg "$RW" scan --seed 2 $args >"$T/scan2.out" 2>"$T/scan2.err"
pid=$RW_LASTPID
wait_metric relaywatch_sessions_in_flight 3 "$pid"
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ "$(metric relaywatch_scans_running)" = 1 ] || fail "after kill -9 the store does not keep scan 2 running"
[ "$(metric relaywatch_sessions_in_flight)" = 3 ] || fail "scan 2's fresh row is not counted"
python3 - "$db" <<'PY' || fail "aging scan 2's progress row"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("UPDATE scan_progress SET updated = updated - 61 WHERE scan = 2")
db.commit()
PY
[ "$(metric relaywatch_sessions_in_flight)" = 0 ] ||
	fail "a killed scan's row 61 s old still counts its sessions"
[ "$(metric relaywatch_scans_running)" = 1 ] || fail "scan 2 no longer running"
echo "scan 2: killed -9 with 3 in flight; counted while fresh, not after 61 s"

kill -TERM "$webpid"
echo "PASS: /metrics shows the sessions in flight of a separate scan, 0 when it is over"
exit 0
