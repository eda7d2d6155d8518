#!/bin/sh
# scan_resume.sh - kill -9 in the middle of a stored scan, then
# `relaywatch scan --resume ID`: the store ends with every target of the
# space exactly once, each verdict equal to the lab's ground truth; the
# resumed run tests none of the targets already stored; the scan is "done".
# Then a greylisting host whose delay outlasts the session's own retries
# is tempfail after the first session and open after the scan's one retry
# (--retry-after), within the same scan.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 120"
port=$(free_port)
sink=$(free_port)
key_file "$T/key"

rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.12.0.1 \
	--port "$port" --latency 40 --repeat 6 -q \
	--profiles open,closed-rcpt,percent-only,auth-required,closed-data \
	--truth "$T/truth" >"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	n=$((n + 1)); [ $n -lt 150 ] || fail "lab not ready after 15s"
	sleep 0.1
done
[ "$(wc -l <"$T/truth")" -eq 30 ] || fail "lab truth has $(wc -l <"$T/truth") hosts, want 30"

# ---- run 1, killed with SIGKILL once some results are stored
rw_bg "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$sink" --ports "$port" --timeout 4 --wait 3 --battery quick \
	--db "$T/rw.db" --json --seed 5 --concurrency 3 127.12.0.0/26 >"$T/run1.json" 2>"$T/run1.err"
pid=$RW_LASTPID
n=0
stored=0
while [ "$stored" -lt 12 ]; do
	kill -0 "$pid" 2>/dev/null || { cat "$T/run1.err"; fail "scan ended before it was killed"; }
	n=$((n + 1)); [ $n -lt 600 ] || fail "fewer than 12 results stored after 60s"
	sleep 0.1
	stored=$("$RW" results --db "$T/rw.db" --json 1 2>/dev/null | wc -l)
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
"$RW" results --db "$T/rw.db" --json 1 >"$T/before.json" || fail "results after kill -9 failed"
nbefore=$(wc -l <"$T/before.json")
[ "$nbefore" -lt 64 ] || fail "the scan finished before it was killed ($nbefore results)"
"$RW" scans --db "$T/rw.db" >"$T/scans1.out"
awk 'NR == 2 && $3 == "running" { ok = 1 } END { exit !ok }' "$T/scans1.out" ||
	{ cat "$T/scans1.out"; fail "after kill -9 the scan is not left running"; }
echo "killed after $nbefore of 64 results were stored"

# ---- resume: options and space from the store; nothing stored is tested again
start=$(date +%s)
$limit "$RW" scan --resume 1 --db "$T/rw.db" --json >"$T/run2.json" 2>"$T/run2.err"
rc=$?
echo "resumed in $(( $(date +%s) - start ))s, exit $rc"
[ $rc -eq 1 ] || { cat "$T/run2.err"; fail "resume exited $rc, want 1 (open relays found)"; }
grep -q "resuming scan 1" "$T/run2.err" || { cat "$T/run2.err"; fail "no resume message"; }
"$RW" results --db "$T/rw.db" --json 1 >"$T/after.json" || fail "results after resume failed"
"$RW" scans --db "$T/rw.db" >"$T/scans2.out"
awk 'NR == 2 && $3 == "done" && $4 == 64 && $5 == 64 { ok = 1 } END { exit !ok }' "$T/scans2.out" ||
	{ cat "$T/scans2.out"; fail "after resume the scan is not done with 64 of 64"; }
python3 - "$T/truth" "$T/before.json" "$T/run2.json" "$T/after.json" <<'PY' || fail "resume broke the results"
import ipaddress, json, sys
truth = {}
for line in open(sys.argv[1]):
    addr, p, profile, want = line.split()[:4]
    truth[addr] = want
load = lambda f: [json.loads(l) for l in open(f)]
before = {o["addr"] for o in load(sys.argv[2])}
run2 = [o["addr"] for o in load(sys.argv[3])]
after = load(sys.argv[4])
bad = 0
again = before & set(run2)
if again:
    print("tested again after resume:", sorted(again)); bad = 1
addrs = [o["addr"] for o in after]
if len(addrs) != len(set(addrs)):
    print("duplicate stored results"); bad = 1
space = {str(a) for a in ipaddress.ip_network("127.12.0.0/26")}
if set(addrs) != space:
    print("missing:", sorted(space - set(addrs)), "extra:", sorted(set(addrs) - space)); bad = 1
for o in after:
    want = truth.get(o["addr"], "unreachable")
    if o["verdict"] != want:
        print("%s: stored %s, truth %s" % (o["addr"], o["verdict"], want)); bad = 1
print("before kill %d, resumed run %d, stored %d; verdicts %s" %
      (len(before), len(run2), len(after), "match the truth" if not bad else "DIFFER"))
sys.exit(bad)
PY

# ---- the config's scope: targets outside it are dropped, never contacted
printf '[relaywatch]\nscope = 127.12.0.0/28\nscope = 127.12.0.40\n' >"$T/scope.conf"
$limit "$RW" --config "$T/scope.conf" scan --allow-reserved --token-key "$T/key" \
	--canary canary.lab.test --sink-listen "127.0.0.1:$sink" --ports "$port" --timeout 4 \
	--wait 3 --battery quick --no-db --json 127.12.0.0/26 >"$T/scope.json" 2>"$T/scope.err"
nscope=$(wc -l <"$T/scope.json")
[ "$nscope" -eq 17 ] || { cat "$T/scope.err"; fail "a scan scoped to 17 addresses tested $nscope"; }
grep -q "47 address(es) outside the config's scope" "$T/scope.err" ||
	{ cat "$T/scope.err"; fail "the addresses outside the scope are not reported"; }
python3 - "$T/scope.json" <<'PY' || fail "a result outside the scope"
import ipaddress, json, sys
ok = set(ipaddress.ip_network("127.12.0.0/28")) | {ipaddress.ip_address("127.12.0.40")}
sys.exit(any(ipaddress.ip_address(json.loads(l)["addr"]) not in ok for l in open(sys.argv[1])))
PY
echo "scope: 17 of 64 addresses tested"
"$RW" --config "$T/scope.conf" test --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$sink" --no-sink "127.12.0.20:$port" >"$T/scope-test.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "outside the config's scope, not tested" "$T/scope-test.out" ||
	{ cat "$T/scope-test.out"; fail "relaywatch test of an address outside the scope: exit $rc"; }

# ---- a greylist delay longer than the session's rounds: the scan's retry
gport=$(free_port)
rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.12.1.1 \
	--port "$gport" --profiles greylist --repeat 2 --greylist 14 -q >"$T/glab.out" 2>"$T/glab.log"
n=0
until grep -qx ready "$T/glab.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 150 ] || fail "greylist lab not ready after 15s"
	sleep 0.1
done
grey() { # grey RETRY-AFTER ADDR OUT
	$limit "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
		--sink-listen "127.0.0.1:$sink" --ports "$gport" --timeout 4 --wait 3 \
		--battery quick --greylist-delay 1 --session-timeout 8 --retry-after "$1" --no-db \
		--json "$2" >"$3.json" 2>"$3.err"
	python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["verdict"])' \
		"$3.json" 2>/dev/null
}
start=$(date +%s)
v0=$(grey 0 127.12.1.2 "$T/grey0")
echo "greylist 14s host, no retry: $v0 after $(( $(date +%s) - start ))s"
[ "$v0" = tempfail ] || { cat "$T/grey0.err"; fail "without a retry the greylisting host is $v0, want tempfail"; }
start=$(date +%s)
v1=$(grey 16 127.12.1.1 "$T/grey1")
secs=$(( $(date +%s) - start ))
echo "greylist 14s host, --retry-after 16: $v1 after ${secs}s"
[ "$v1" = open ] || { cat "$T/grey1.err"; fail "after the retry the greylisting host is $v1, want open"; }
[ "$secs" -ge 14 ] || fail "open before the greylist delay was over (${secs}s): the test proves nothing"

echo "PASS: kill -9 then --resume completes the scan once per target; a tempfail is retried"
exit 0
