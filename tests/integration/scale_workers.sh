#!/bin/sh
# scale_workers.sh - issue 9's distributed scan on one store: a lab /20 (/22 on SQLite)
# planned as shards, three `relaywatch worker` processes scan it, one is
# killed with -9 midway; the scan completes with every target tested
# exactly once and every lab host's verdict equal to the ground truth.
# Then vantages: two workers with source addresses 127.0.0.2 ("inside")
# and 127.0.0.1 ("outside"); the lab host inside-only relays only for
# 127.0.0.2: open from inside, closed from outside (results --by-vantage).
# The desk: `feed` of that scan under a policy with internal_vantages =
# inside and internal_open = ignore opens an incident for the open host
# only; under internal_open = incident for both.
# Then two workers with sinks of their own, the relays delivering to node
# A's only: node B's tests are proven through the store all the same.
# The store is $RW_TEST_STORE_URL when set (PostgreSQL, store_pg.sh runs
# this script again with it), else a SQLite file.
# Peers: relaywatch-lab (the mail profiles) on 127.60.0.1.. at a free port;
# `relaywatch sink --db` on the store gets every relayed message, and the
# workers run with --no-sink: arrivals are tied through the store, whatever
# node's test sent them.
# LIMITS: each worker at most 120 s; every wait bounded (0.2 s polls).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
[ -x "$RW" ] || fail "$RW is not built"
[ -x "$RWLAB" ] || fail "$RWLAB is not built"
command -v python3 >/dev/null 2>&1 || skip "no python3"
t0=$(date +%s)
db=${RW_TEST_STORE_URL:-$T/scale.db}
key_file "$T/key"
port=$(free_port)
sink=$(free_port)
rw() { "$RW" "$@"; }

# the lab: every mail profile (not the proxies, not the web server)
smtp=$("$RWLAB" --list | awk 'NR > 1 && $1 !~ /^(proxy-|web-server$)/ { printf "%s%s", s, $1; s = "," }')
rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.60.0.1 \
	--port "$port" --greylist 2 --delay 2 --profiles "$smtp" --truth "$T/truth" \
	>"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	n=$((n + 1)); [ $n -lt 150 ] || fail "lab not ready after 15s"
	sleep 0.1
done
rw_bg "$RW" sink --db "$db" --listen "127.0.0.1:$sink" --canary canary.lab.test \
	--token-key "$T/key" >"$T/sink.out" 2>"$T/sink.log"
SINKPID=$RW_LASTPID
wait_port 127.0.0.1 "$sink" 10 || { cat "$T/sink.log"; fail "the sink does not listen"; }

SCAN="--allow-reserved --token-key $T/key --canary canary.lab.test --ports $port --timeout 4 \
--greylist-delay 3 --wait 5 --session-timeout 40 --retry-after 2 --concurrency 200"
# scan_id FILE - the id `scan --shards --no-run` printed
scan_id() { sed -n 's/^scan \([0-9]*\) planned:.*/\1/p' "$1"; }

# ---- 1. three workers on a /20 (PostgreSQL; SQLite: a /22), one killed -9 midway
NET=127.60.0.0/20
[ -n "${RW_TEST_STORE_URL:-}" ] || NET=127.60.0.0/22
# shellcheck disable=SC2086
rw scan $SCAN --db "$db" --shards 9 --no-run --seed 11 "$NET" >"$T/plan.out" 2>"$T/plan.err" ||
	{ cat "$T/plan.err"; fail "plan: exit $?"; }
S=$(scan_id "$T/plan.out")
[ -n "$S" ] || { cat "$T/plan.out"; fail "no scan id in the plan's output"; }
for w in a b c; do
	rw_bg timeout -k 5 120 "$RW" --db "$db" worker --once --name "w$w" --lease 3 --poll 1 \
		-- --no-sink >"$T/w$w.log" 2>&1
	eval "W_$w=\$RW_LASTPID"
done
# kill b once it has a shard with results saved (at most 30 s)
python3 - "$db" "$S" <<'PY' || fail "worker b never saved a shard's progress"
import sqlite3, sys, time, os
db, scan = sys.argv[1], int(sys.argv[2])
end = time.time() + 30
while time.time() < end:
    try:
        if db.startswith("postgres"):
            import subprocess
            out = subprocess.run(["psql", "-At", db, "-c",
                "SELECT count(*) FROM shards WHERE scan = %d AND worker = 'wb' AND state = 'claimed' AND done > 0" % scan],
                capture_output=True, text=True).stdout.strip()
            n = int(out or 0)
        else:
            c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
            n = c.execute("SELECT count(*) FROM shards WHERE scan = ? AND worker = 'wb'"
                          " AND state = 'claimed' AND done > 0", (scan,)).fetchone()[0]
        if n:
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
sys.exit(1)
PY
# $W_b is timeout(1); the worker is its child
pkill -9 -P "$W_b" || fail "no worker b under timeout $W_b"
echo "killed worker b (kill -9) in the middle of a shard"
wait "$W_b" 2>/dev/null
for w in a c; do
	eval "p=\$W_$w"
	wait "$p"; rc=$?
	[ $rc -eq 0 ] || { tail -20 "$T/w$w.log"; fail "worker $w exited $rc"; }
done
rw scan --status "$S" --db "$db" >"$T/status.txt" || fail "scan --status"
cat "$T/status.txt"
rw scan --status "$S" --db "$db" --json >"$T/status.json" || fail "scan --status --json"
python3 - "$T/status.json" <<'PY' || { cat "$T/status.txt"; fail "want the scan done, 9 shards done, at least one taken over"; }
import json, sys
o = json.load(open(sys.argv[1]))
v = o["vantages"][0]
ok = o["state"] == "done" and v["shards"] == 9 and v["done"] == 9 and v["taken_over"] >= 1
sys.exit(0 if ok else 1)
PY
rw results "$S" --db "$db" --json >"$T/results.json" || fail "results --json"
python3 - "$T/truth" "$T/results.json" "$NET" <<'PY' || fail "the workers' results differ from the truth, or a target is missing or twice"
import ipaddress, json, sys
truth = {}
for line in open(sys.argv[1]):
    addr, p, profile, want = line.split()[:4]
    truth[addr] = (profile, want)
seen, bad = {}, 0
for line in open(sys.argv[2]):
    o = json.loads(line)
    seen[o["addr"]] = seen.get(o["addr"], 0) + 1
    if o["addr"] in truth:
        profile, want = truth[o["addr"]]
        if o["verdict"] != want:
            print("%s (%s): %s, want %s" % (o["addr"], profile, o["verdict"], want)); bad += 1
    elif o["verdict"] != "unreachable":
        print("%s (no host): %s" % (o["addr"], o["verdict"])); bad += 1
want = {str(a) for a in ipaddress.ip_network(sys.argv[3])}
if set(seen) != want:
    print("missing %d, extra %d" % (len(want - set(seen)), len(set(seen) - want))); bad += 1
twice = [a for a, n in seen.items() if n > 1]
if twice:
    print("tested twice:", twice[:5]); bad += 1
print("%d results, %d lab hosts, %d problems" % (len(seen), len(truth), bad))
sys.exit(1 if bad else 0)
PY
echo "ok: 3 workers, one killed -9: $(wc -l <"$T/results.json") results, each target once, the truth"

# ---- 2. vantages: inside (127.0.0.2) and outside (127.0.0.1)
grep -q " inside-only " "$T/truth" || fail "the lab has no inside-only host"
inside=$(awk '$3 == "inside-only" { print $1 }' "$T/truth")
open1=$(awk '$3 == "open" { print $1 }' "$T/truth")
# shellcheck disable=SC2086
rw scan $SCAN --db "$db" --shards 2 --vantages inside,outside --no-run --seed 5 "$inside" "$open1" \
	>"$T/plan2.out" 2>"$T/plan2.err" || { cat "$T/plan2.err"; fail "plan 2"; }
S2=$(scan_id "$T/plan2.out")
rw_bg timeout -k 5 120 "$RW" --db "$db" worker --once --name vin --vantage inside -- --no-sink \
	--source 127.0.0.2 >"$T/vin.log" 2>&1
VIN=$RW_LASTPID
rw_bg timeout -k 5 120 "$RW" --db "$db" worker --once --name vout --vantage outside -- --no-sink \
	--source 127.0.0.1 >"$T/vout.log" 2>&1
VOUT=$RW_LASTPID
wait "$VIN" || { tail "$T/vin.log"; fail "the inside worker failed"; }
wait "$VOUT" || { tail "$T/vout.log"; fail "the outside worker failed"; }
rw results "$S2" --db "$db" --by-vantage >"$T/bv.txt" || fail "results --by-vantage"
cat "$T/bv.txt"
rw results "$S2" --db "$db" --by-vantage --json >"$T/bv.json" || fail "results --by-vantage --json"
python3 - "$T/bv.json" "$inside" "$open1" <<'PY' || fail "want $inside open from inside only, $open1 open from both"
import json, sys
rows = {json.loads(l)["target"]: json.loads(l) for l in open(sys.argv[1])}
a, b = rows[sys.argv[2]], rows[sys.argv[3]]
ok = (a["verdicts"] == {"inside": "open", "outside": "closed"} and a["exposure"] == "open-from-some" and
      b["verdicts"] == {"inside": "open", "outside": "open"} and b["exposure"] == "open-to-all")
sys.exit(0 if ok else 1)
PY
# the inside worker took only inside shards, the outside one only outside shards
grep -q "vantage 'outside'" "$T/vin.log" && fail "the inside worker ran an outside shard"
grep -q "vantage 'inside'" "$T/vout.log" && fail "the outside worker ran an inside shard"
echo "ok: $inside open from inside only, $open1 open from both"

# the desk's policy: "open from inside only" ignored, then treated as any
for mode in ignore incident; do
	cat >"$T/policy-$mode.conf" <<POL
[policy]
name = vantage-$mode
open_on = scan
internal_vantages = inside
internal_open = $mode
POL
	printf 'db = %s\npolicy = %s\nnotify_from = abuse@desk.test\n' "$db" "$T/policy-$mode.conf" >"$T/rw-$mode.conf"
done
"$RW" --config "$T/rw-ignore.conf" feed "$S2" --json >"$T/feed1.json" 2>"$T/feed1.err"
[ $? -eq 1 ] || { cat "$T/feed1.json" "$T/feed1.err"; fail "feed (ignore): want exit 1 (an incident opened)"; }
"$RW" --config "$T/rw-ignore.conf" incidents --json >"$T/inc1.json" || fail "incidents after the first feed"
python3 - "$T/feed1.json" "$T/inc1.json" "$inside" "$open1" <<'PY' || { cat "$T/feed1.json" "$T/inc1.json"; fail "internal_open = ignore: want an incident for the open host only"; }
import json, sys
f = json.load(open(sys.argv[1]))
incs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
addrs = sorted(i["addr"] for i in incs)
sys.exit(0 if f["internal_ignored"] == 2 and addrs == [sys.argv[4]] else 1)
PY
"$RW" --config "$T/rw-incident.conf" feed "$S2" >"$T/feed2.out" 2>"$T/feed2.err"
[ $? -eq 1 ] || { cat "$T/feed2.out" "$T/feed2.err"; fail "feed (incident): want exit 1"; }
"$RW" --config "$T/rw-incident.conf" incidents --json >"$T/inc2.json" || fail "incidents after the second feed"
python3 - "$T/inc2.json" "$inside" "$open1" <<'PY' || { cat "$T/inc2.json"; fail "internal_open = incident: want incidents for both hosts"; }
import json, sys
incs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if sorted(i["addr"] for i in incs) == sorted([sys.argv[2], sys.argv[3]]) else 1)
PY
echo "ok: the desk ignores an inside-only relay under internal_open = ignore, opens one under incident"

# the daemon feeds a planned scan's results to the desk by itself (SQLite:
# a daemon on a URL store keeps its state in the system directory)
if [ -z "${RW_TEST_STORE_URL:-}" ]; then
	rm -f "$T/dd.db"
	# the lab's relays deliver to $sink: that sink now writes into dd.db
	kill "$SINKPID"; wait "$SINKPID" 2>/dev/null
	rw_bg "$RW" sink --db "$T/dd.db" --listen "127.0.0.1:$sink" --canary canary.lab.test \
		--token-key "$T/key" >"$T/sink2.out" 2>"$T/sink2.log"
	wait_port 127.0.0.1 "$sink" 10 || { cat "$T/sink2.log"; fail "the second sink does not listen"; }
	# shellcheck disable=SC2086
	rw scan $SCAN --db "$T/dd.db" --shards 2 --vantages inside,outside --no-run --seed 5 "$inside" "$open1" \
		>"$T/plan4.out" 2>&1 || { cat "$T/plan4.out"; fail "plan 4"; }
	for v in inside:127.0.0.2 outside:127.0.0.1; do
		timeout -k 5 120 "$RW" --db "$T/dd.db" worker --once --name "d${v%%:*}" --vantage "${v%%:*}" \
			-- --no-sink --source "${v#*:}" >"$T/dw-${v%%:*}.log" 2>&1 ||
			{ tail "$T/dw-${v%%:*}.log"; fail "daemon scenario: worker ${v%%:*}"; }
	done
	dsink=$(free_port)
	printf 'db = %s\npolicy = %s\nnotify_from = abuse@desk.test\nsink_listen = 127.0.0.1:%s\ncanary_domain = canary.lab.test\ntoken_key = %s\n' \
		"$T/dd.db" "$T/policy-ignore.conf" "$dsink" "$T/key" >"$T/rw-daemon.conf"
	rw_bg "$RW" --config "$T/rw-daemon.conf" daemon -f --tick-ms 200 >"$T/daemon.log" 2>&1
	DM=$RW_LASTPID
	i=0
	until grep -q "event=scan-fed" "$T/daemon.log"; do
		i=$((i + 1)); [ $i -lt 150 ] || { tail -20 "$T/daemon.log"; fail "the daemon fed nothing within 30 s"; }
		sleep 0.2
	done
	kill -TERM "$DM"; wait "$DM"
	"$RW" --config "$T/rw-daemon.conf" incidents --json >"$T/inc3.json" || fail "incidents (daemon)"
	python3 - "$T/inc3.json" "$open1" <<'PY' || { cat "$T/inc3.json"; tail "$T/daemon.log"; fail "the daemon's feed: want an incident for the open host only"; }
import json, sys
incs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if sorted(i["addr"] for i in incs) == [sys.argv[2]] else 1)
PY
	echo "ok: the daemon fed the planned scan to the desk (the inside-only relay ignored)"
fi
# ---- 3. a relay delivers to another node's sink: still proven (the
# store's part is the same on both backends: run on SQLite only)
if [ -z "${RW_TEST_STORE_URL:-}" ]; then
# eight open hosts deliver to worker A's embedded sink only; worker B (its
# own sink on another port, where nothing arrives) ties its tests' arrivals
# through the store
sinkA=$(free_port)
sinkB=$(free_port)
port3=$(free_port)
rw_bg "$RWLAB" --sink "127.0.0.1:$sinkA" --canary canary.lab.test --base 127.61.0.1 \
	--port "$port3" --profiles open --repeat 8 --truth "$T/truth3" \
	>"$T/lab3.out" 2>"$T/lab3.log"
n=0
until grep -qx ready "$T/lab3.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 150 ] || fail "lab 3 not ready after 15s"
	sleep 0.1
done
SCAN3="--allow-reserved --token-key $T/key --canary canary.lab.test --ports $port3 --timeout 4 \
--wait 5 --session-timeout 40 --retry-after 0"
# shellcheck disable=SC2086
rw scan $SCAN3 --db "$db" --shards 2 --no-run --seed 3 127.61.0.1-127.61.0.8 >"$T/plan3.out" 2>&1 ||
	{ cat "$T/plan3.out"; fail "plan 3"; }
S3=$(scan_id "$T/plan3.out")
rw_bg timeout -k 5 120 "$RW" --db "$db" worker --name nodeA --poll 1 -- --sink-listen "127.0.0.1:$sinkA" \
	>"$T/nodeA.log" 2>&1
NA=$RW_LASTPID
wait_port 127.0.0.1 "$sinkA" 10 || { cat "$T/nodeA.log"; fail "node A's sink does not listen"; }
rw_bg timeout -k 5 120 "$RW" --db "$db" worker --once --name nodeB -- --sink-listen "127.0.0.1:$sinkB" \
	>"$T/nodeB.log" 2>&1
NB=$RW_LASTPID
wait "$NB" || { tail "$T/nodeB.log"; fail "node B failed"; }
i=0
until rw scan --status "$S3" --db "$db" | grep -q "^scan $S3: done"; do
	i=$((i + 1)); [ $i -lt 300 ] || { tail "$T/nodeA.log"; fail "scan 3 not done within 60 s"; }
	sleep 0.2
done
pkill -TERM -P "$NA"; wait "$NA" 2>/dev/null
grep -q "shard" "$T/nodeB.log" || fail "node B ran no shard"
rw results "$S3" --db "$db" >"$T/r3.txt" || fail "results 3"
cat "$T/r3.txt"
[ "$(grep -c '^open ' "$T/r3.txt")" -eq 8 ] || { cat "$T/nodeB.log"; fail "want 8 open: node B's relays delivered to node A's sink"; }
echo "ok: relays delivering to node A's sink proved node B's tests too"
fi

# ---- 4. SIGTERM: the worker stops its shard and gives it up at once (SQLite)
if [ -z "${RW_TEST_STORE_URL:-}" ]; then
	# shellcheck disable=SC2086
	rw scan $SCAN --rate 50 --db "$db" --shards 2 --no-run --seed 21 127.62.0.0/24 >"$T/plan5.out" 2>&1 ||
		{ cat "$T/plan5.out"; fail "plan 5"; }
	S5=$(scan_id "$T/plan5.out")
	rw_bg "$RW" --db "$db" worker --name stopper --lease 60 -- --no-sink >"$T/stopper.log" 2>&1
	ST=$RW_LASTPID
	i=0
	until grep -q "shard 1/2\|shard 2/2" "$T/stopper.log"; do
		i=$((i + 1)); [ $i -lt 100 ] || { cat "$T/stopper.log"; fail "the worker claimed nothing"; }
		sleep 0.1
	done
	kill -TERM "$ST"
	wait "$ST" || { tail "$T/stopper.log"; fail "the stopped worker exited $?"; }
	start=$(date +%s)
	timeout -k 5 60 "$RW" --db "$db" worker --once --name after-stop -- --no-sink >"$T/after.log" 2>&1 ||
		{ tail "$T/after.log"; fail "the next worker failed"; }
	rw scan --status "$S5" --db "$db" | grep -q "^scan $S5: done" ||
		{ rw scan --status "$S5" --db "$db"; fail "after SIGTERM the shard was not taken over"; }
	[ $(( $(date +%s) - start )) -lt 50 ] || fail "the stopped worker's 60 s lease was waited out"
	echo "ok: SIGTERM gives the shard up at once: taken over in $(( $(date +%s) - start )) s (lease 60 s)"
fi

echo "PASS: workers share a $NET (one killed -9, its shard taken over), each target once; $inside open from inside only ($(( $(date +%s) - t0 )) s)"
exit 0
