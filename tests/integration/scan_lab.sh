#!/bin/sh
# scan_lab.sh - `relaywatch scan` over the whole lab block earns the ground
# truth, and never touches an excluded address. Peers: relaywatch-lab (every
# mail profile, not the proxies and the web server; canary.lab.test,
# --greylist 2 --delay 2) on 127.10.0.1.. at one free port, delivering to
# the scan's own embedded sink (one scan process covers every host, so one
# sink suffices); python listeners on
# 127.10.0.40-127.10.0.48 at the lab's port that count connections.
# Run 1: 127.10.0.0/27 on the command line, --json, --db: every address
# appears exactly once, lab hosts earn their truth, empty addresses
# unreachable, exit 1 (open relays found); `scans` and `results` read the
# same back from the store. Run 2: 127.10.0.0/26 through -iL - with
# --exclude naming two lab hosts and the listeners .40-.47, paced by
# --concurrency, --rate and --per-subnet, human summary: the excluded
# addresses have no result and the excluded listeners saw no connection,
# while the control listener .48 (not excluded) saw one. A bad exclusion
# file refuses to start (exit 2); without --allow-reserved loopback is
# not scanned. --dry-run walks a /22 on two ports minus exclusions: every
# allowed pair once, none excluded, the same order for the same seed.
# SIGINT mid-scan: it finishes its running sessions and stops, the store
# says "stopped". 200 tarpits in one /24 finish within their deadline bound.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 60"
port=$(free_port)
sink=$(free_port)
key_file "$T/key"

# the mail servers, in .1-.30: not the proxies and the web server
smtp=$("$RWLAB" --list | awk 'NR > 1 && $1 !~ /^(proxy-|web-server$)/ { printf "%s%s", s, $1; s = "," }')
rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.10.0.1 \
	--port "$port" --greylist 2 --delay 2 --profiles "$smtp" --truth "$T/truth" \
	>"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	n=$((n + 1))
	[ $n -lt 150 ] || fail "lab not ready after 15s"
	sleep 0.1
done
nlab=$(wc -l <"$T/truth")
[ "$nlab" -ge 20 ] && [ "$nlab" -le 30 ] || fail "lab truth has $nlab hosts, want them inside .1-.30"

scan() {
	$limit "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
		--sink-listen "127.0.0.1:$sink" --ports "$port" --timeout 4 --greylist-delay 3 \
		--wait 8 --session-timeout 40 --retry-after 2 "$@"
}

# ---- run 1: the /27, JSON, every verdict against the truth
start=$(date +%s)
scan --json --seed 42 --db "$T/rw.db" 127.10.0.0/27 >"$T/run1.json" 2>"$T/run1.err"
rc=$?
secs=$(( $(date +%s) - start ))
[ $rc -eq 1 ] || { cat "$T/run1.err"; fail "run 1 exited $rc, want 1 (open relays found)"; }
python3 - "$T/truth" "$T/run1.json" "$port" <<'PY' || fail "run 1 verdicts differ from the ground truth"
import ipaddress, json, sys
truth = {}
for line in open(sys.argv[1]):
    addr, p, profile, want = line.split()[:4]
    truth[addr] = (profile, want)
port = int(sys.argv[3])
got = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o["addr"] in got:
        print("duplicate result for", o["addr"]); sys.exit(1)
    if o["port"] != port:
        print("wrong port", o["addr"], o["port"]); sys.exit(1)
    got[o["addr"]] = o["verdict"]
want_addrs = {str(a) for a in ipaddress.ip_network("127.10.0.0/27")}
bad = 0
if set(got) != want_addrs:
    print("addresses missing:", sorted(want_addrs - set(got)), "extra:", sorted(set(got) - want_addrs))
    bad = 1
for a in sorted(want_addrs, key=lambda x: ipaddress.ip_address(x)):
    profile, want = truth.get(a, ("-", "unreachable"))
    g = got.get(a, "none")
    r = "PASS" if g == want else "FAIL"
    bad |= g != want
    print("%-14s %-22s %-14s %-14s %s" % (a, profile, want, g, r))
sys.exit(bad)
PY
echo "run 1: 32 addresses scanned in ${secs}s"

# ---- the store holds run 1: the scan done, 32 results once each, the opens
"$RW" scans --db "$T/rw.db" >"$T/scans.out" || fail "relaywatch scans failed"
cat "$T/scans.out"
awk 'NR == 2 && $1 == 1 && $3 == "done" && $4 == 32 && $5 == 32 { ok = 1 } END { exit !ok }' \
	"$T/scans.out" || fail "scans does not show scan 1 done with 32 of 32"
"$RW" results --db "$T/rw.db" --json 1 >"$T/results.json" || fail "relaywatch results failed"
python3 - "$T/run1.json" "$T/results.json" <<'PY' || fail "the store's results differ from the JSON output"
import json, sys
a = sorted((o["addr"], o["verdict"]) for o in map(json.loads, open(sys.argv[1])))
b = [(o["addr"], o["verdict"]) for o in map(json.loads, open(sys.argv[2]))]
if len(b) != len(set(x[0] for x in b)): print("duplicate stored result"); sys.exit(1)
if a != sorted(b): print("stored", sorted(b), "printed", a); sys.exit(1)
PY
want=$(awk '$4 == "open"' "$T/truth" | wc -l)
got=$("$RW" results --db "$T/rw.db" --verdict open 1 | wc -l)
[ "$got" -eq "$want" ] || fail "results --verdict open lists $got, the truth has $want"

# ---- run 2: exclusions are never contacted
cat >"$T/listen.py" <<'PY'
import socket, selectors, sys, time
port, out, deadline = int(sys.argv[1]), sys.argv[2], time.time() + float(sys.argv[3])
sel = selectors.DefaultSelector()
counts = {}
for last in range(40, 49):
    a = "127.10.0.%d" % last
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, port)); s.listen(64); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, a)
    counts[a] = 0
open(out + ".ready", "w").close()
while time.time() < deadline:
    for key, _ in sel.select(timeout=0.2):
        c, _ = key.fileobj.accept()
        counts[key.data] += 1
        c.close()
    with open(out + ".tmp", "w") as f:
        for a in sorted(counts):
            f.write("%s %d\n" % (a, counts[a]))
    import os; os.replace(out + ".tmp", out)
PY
rw_bg python3 "$T/listen.py" "$port" "$T/counts" 70
n=0
until [ -f "$T/counts.ready" ]; do
	n=$((n + 1)); [ $n -lt 100 ] || fail "listeners not ready"; sleep 0.1
done
printf '# opt-outs\n127.10.0.1        # open\n127.10.0.8/32 # closed-rcpt\n127.10.0.40-47\n' >"$T/exclude"
start=$(date +%s)
printf '127.10.0.0/26\n' | scan --battery quick --concurrency 8 --rate 50 --per-subnet 6 \
	--seed 7 --exclude "$T/exclude" -iL - >"$T/run2.out" 2>"$T/run2.err"
rc=$?
secs=$(( $(date +%s) - start ))
sleep 0.5
cat "$T/run2.out"
[ $rc -eq 1 ] || { cat "$T/run2.err"; fail "run 2 exited $rc, want 1"; }
grep -q 'excluded by --exclude' "$T/run2.err" || fail "run 2 did not report its exclusions"
total=$(awk '$1 == "total" { print $2 }' "$T/run2.out")
[ "$total" = 54 ] || fail "run 2 tested $total targets, want 64 - 10 excluded = 54"
for a in 127.10.0.1 127.10.0.8; do
	grep -q " $a:" "$T/run2.out" && fail "excluded $a has a result"
done
cat "$T/counts"
awk '$1 != "127.10.0.48" && $2 != 0 { bad = 1; print "excluded " $1 " saw " $2 " connection(s)" }
     END { exit bad }' "$T/counts" || fail "an excluded address was contacted"
awk '$1 == "127.10.0.48" && $2 >= 1 { ok = 1 } END { exit !ok }' "$T/counts" ||
	fail "the control listener 127.10.0.48 saw no connection: the capture proves nothing"
echo "run 2: 54 targets in ${secs}s, no excluded address contacted"

# ---- refusals: a bad exclusion file, reserved space without opt-in
printf '127.10.0.1\nnot-an-address\n' >"$T/badexclude"
scan --exclude "$T/badexclude" 127.10.0.0/27 >"$T/run3.out" 2>"$T/run3.err"
rc=$?
[ $rc -eq 2 ] || fail "a bad exclusion file gave exit $rc, want 2"
grep -q 'badexclude:2' "$T/run3.err" || { cat "$T/run3.err"; fail "the bad line is not named"; }
$limit "$RW" scan --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$sink" --ports "$port" 127.10.0.0/27 >"$T/run4.out" 2>"$T/run4.err"
rc=$?
[ $rc -eq 0 ] || fail "a reserved-only scan gave exit $rc, want 0 (nothing scanned)"
grep -q 'excluded by reserved' "$T/run4.err" || fail "reserved exclusion not reported"

# ---- --dry-run: a /22 on two ports minus exclusions, every pair once, none excluded
printf '10.20.0.0/22\n' >"$T/dry.in"
printf '10.20.1.0/25\n10.20.3.7\n' >"$T/dry.ex"
"$RW" scan --dry-run --allow-reserved --ports 25,587 --seed 9 --exclude "$T/dry.ex" \
	-iL "$T/dry.in" >"$T/dry1" 2>/dev/null || fail "dry run failed"
"$RW" scan --dry-run --allow-reserved --ports 25,587 --seed 9 --exclude "$T/dry.ex" \
	-iL "$T/dry.in" >"$T/dry2" 2>/dev/null || fail "dry run failed"
cmp -s "$T/dry1" "$T/dry2" || fail "the same seed gave another order"
python3 - "$T/dry1" <<'PY' || fail "the dry run's order is not every allowed pair exactly once"
import ipaddress, sys
lines = [tuple(l.split()) for l in open(sys.argv[1])]
ex = set(ipaddress.ip_network("10.20.1.0/25")) | {ipaddress.ip_address("10.20.3.7")}
want = {(str(a), p) for a in ipaddress.ip_network("10.20.0.0/22") if a not in ex for p in ("25", "587")}
if len(lines) != len(set(lines)) or set(lines) != want:
    print(len(lines), "lines,", len(set(lines)), "distinct,", len(want), "wanted"); sys.exit(1)
PY

# ---- SIGINT: running sessions end, nothing new starts, the store says stopped
# (no timeout(1) here: it would pass SIGINT on and then kill the scan)
rw_bg "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$sink" --ports "$port" --timeout 4 --greylist-delay 3 \
	--wait 8 --session-timeout 40 --concurrency 2 --seed 3 --db "$T/int.db" \
	127.10.0.0/26 >"$T/int.out" 2>"$T/int.err"
intpid=$RW_LASTPID
sleep 1
kill -INT "$intpid"
n=0
while kill -0 "$intpid" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 300 ] || { kill -9 "$intpid"; fail "scan still running 30s after SIGINT"; }
	sleep 0.1
done
grep -q 'SIGINT: finishing' "$T/int.err" || { cat "$T/int.err"; fail "SIGINT not acknowledged"; }
"$RW" scans --db "$T/int.db" >"$T/int.scans"
awk 'NR == 2 && $3 == "stopped" && $5 < 64 { ok = 1 } END { exit !ok }' "$T/int.scans" ||
	{ cat "$T/int.scans"; fail "after SIGINT the store does not say stopped with fewer than 64 done"; }
echo "SIGINT: stopped after $(awk 'NR == 2 { print $5 }' "$T/int.scans") of 64"

# ---- 200 tarpits (one reply byte every 2 s) in one /24: with --timeout 3
# and --per-subnet 100 that is two rounds of banner deadlines, well under 20 s
tsink=$(free_port)
tport=$(free_port)
rw_bg "$RWLAB" --sink "127.0.0.1:$tsink" --canary canary.lab.test --base 127.11.0.1 \
	--port "$tport" --profiles tarpit --repeat 200 -q --truth "$T/tarpit.truth" \
	>"$T/tlab.out" 2>"$T/tlab.log"
n=0
until grep -qx ready "$T/tlab.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 150 ] || fail "tarpit lab not ready after 15s"; sleep 0.1
done
start=$(date +%s)
$limit "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$tsink" --ports "$tport" --timeout 3 --session-timeout 20 \
	--wait 2 --per-subnet 100 127.11.0.1-200 >"$T/tarpit.out" 2>"$T/tarpit.err"
rc=$?
secs=$(( $(date +%s) - start ))
[ $rc -eq 0 ] || { cat "$T/tarpit.err"; fail "tarpit scan exited $rc"; }
awk '$1 == "unreachable" && $2 == 200 { ok = 1 } END { exit !ok }' "$T/tarpit.out" ||
	{ cat "$T/tarpit.out"; fail "not every tarpit is unreachable"; }
[ $secs -lt 20 ] || fail "200 tarpits took ${secs}s, want under 20"
echo "tarpits: 200 in ${secs}s"
echo "PASS: scan matches the ground truth and contacts no excluded address"
