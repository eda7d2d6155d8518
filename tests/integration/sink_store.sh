#!/bin/sh
# sink_store.sh - a standalone `relaywatch sink --db` gives a --no-sink scan
# its late arrivals. Peers: relaywatch-lab (profiles open, bounce, delayed,
# closed-rcpt; --delay 3) on 127.12.0.1.. delivering to
# `relaywatch sink --db rw.db --listen 127.0.0.1:$sink --canary canary.lab.test`;
# `relaywatch scan --no-sink --db rw.db` over 127.12.0.0/29 with --wait 1.
# The scan polls the store for what the sink records, so the open host is
# open in the scan itself (or, had its arrival come after the wait, by the
# store's rule); the delayed host's message arrives after the scan ended,
# and the store makes it open with the reason naming the test and peer
# and an "updated" time. The bounce host stays suspect (its
# token came back only quoted), closed stays closed. `results` pages with
# --limit/--offset agree with the whole list; RELAYWATCH_DB is the default
# store of `scans`/`results`.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
port=$(free_port)
sink=$(free_port)
key_file "$T/key"

rw_bg "$RW" sink --db "$T/rw.db" --listen "127.0.0.1:$sink" --canary canary.lab.test \
	--token-key "$T/key" >"$T/sink.out" 2>"$T/sink.log"
wait_port 127.0.0.1 "$sink" 10 || { cat "$T/sink.log"; fail "sink did not start"; }
rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.12.0.1 \
	--port "$port" --delay 3 --profiles open,bounce,delayed,closed-rcpt --truth "$T/truth" \
	>"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	n=$((n + 1))
	[ $n -lt 150 ] || fail "lab not ready after 15s"
	sleep 0.1
done
cat "$T/truth"

timeout -k 5 60 "$RW" scan --allow-reserved --no-sink --token-key "$T/key" \
	--canary canary.lab.test --ports "$port" --timeout 4 --wait 1 --session-timeout 30 \
	--db "$T/rw.db" 127.12.0.0/29 >"$T/scan.out" 2>"$T/scan.err"
rc=$?
[ $rc -le 1 ] || { cat "$T/scan.err"; fail "scan exited $rc"; }

# the delayed host delivers --delay 3 s after its DATA: wait (bounded) for it
want_open() { # addr: the stored verdict is open
	"$RW" results --db "$T/rw.db" --json 1 | python3 -c '
import json, sys
sys.exit(0 if any(o["addr"] == sys.argv[1] and o["verdict"] == "open"
                  for o in map(json.loads, sys.stdin)) else 1)' "$1"
}
addr_of() { awk -v p="$1" '$3 == p { print $1 }' "$T/truth"; }
n=0
until want_open "$(addr_of delayed)"; do
	n=$((n + 1))
	[ $n -lt 100 ] || { cat "$T/sink.out"; fail "the delayed host's late arrival did not upgrade it in 10s"; }
	sleep 0.1
done
sleep 1 # the bounce's quoted token, if any, has come too
# the scan saw the open host's arrivals through the store (--no-sink)
grep -q "^open  *$(addr_of open):$port  *relayed to the canary" "$T/scan.out" ||
	{ cat "$T/scan.out"; fail "the --no-sink scan did not see the sink's arrivals in the store"; }

"$RW" results --db "$T/rw.db" --json 1 >"$T/results.json" || fail "results failed"
cat "$T/results.json" | cut -c1-300
python3 - "$T/truth" "$T/results.json" "$T/rw.db" <<'PY' || { cat "$T/sink.out"; fail "stored verdicts"; }
import json, sqlite3, sys
prof = {l.split()[0]: l.split()[2] for l in open(sys.argv[1])}
got = {o["addr"]: o for o in map(json.loads, open(sys.argv[2]))}
want = {"open": "open", "delayed": "open", "bounce": "suspect", "closed-rcpt": "closed"}
bad = 0
for addr, p in prof.items():
    o = got.get(addr)
    if o is None:
        print(p, addr, "no result"); bad = 1; continue
    if o["verdict"] != want[p]:
        print(p, addr, "got", o["verdict"], "want", want[p]); bad = 1
    late = o["reason"].startswith("message arrived at the sink after the wait: test ")
    if (p == "delayed" and not late) or (want[p] != "open" and late) or late != (o["updated"] > 0):
        print(p, addr, "updated", o["updated"], "reason", o["reason"]); bad = 1
db = sqlite3.connect(sys.argv[3])
q = db.execute("SELECT COUNT(*) FROM arrivals WHERE scan = 1 AND relayed = 0 AND target = ?",
               (next(a for a, p in prof.items() if p == "bounce"),)).fetchone()[0]
if q < 1:
    print("no quoted arrival stored for the bounce host"); bad = 1
u = db.execute("SELECT COUNT(*) FROM arrivals WHERE scan IS NULL").fetchone()[0]
if u:
    print(u, "arrivals not tied to scan 1"); bad = 1
sys.exit(bad)
PY

# pages: --offset/--limit cover the list once, in order
"$RW" results --db "$T/rw.db" 1 >"$T/all.txt" || fail "results (text) failed"
: >"$T/paged.txt"
for off in 0 3 6; do
	"$RW" results --db "$T/rw.db" --limit 3 --offset $off 1 >>"$T/paged.txt" || fail "results --limit"
done
cmp -s "$T/all.txt" "$T/paged.txt" || { diff "$T/all.txt" "$T/paged.txt"; fail "pages differ from the whole list"; }
[ "$("$RW" results --db "$T/rw.db" --limit 2 1 | wc -l)" -eq 2 ] || fail "--limit 2"
"$RW" results --db "$T/rw.db" --limit x 1 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--limit x: want exit 2"

# the default store
RELAYWATCH_DB="$T/rw.db" "$RW" scans >"$T/scans.out" || fail "scans with RELAYWATCH_DB"
awk 'NR == 2 && $1 == 1 { ok = 1 } END { exit !ok }' "$T/scans.out" || { cat "$T/scans.out"; fail "scans via RELAYWATCH_DB"; }
RELAYWATCH_DB="$T/none.db" "$RW" results 1 >/dev/null 2>&1
[ $? -eq 3 ] || fail "a missing default store: want exit 3"
[ ! -e "$T/none.db" ] || fail "a listing created the default store"
echo "late arrivals recorded by the sink upgraded the scan's suspects"
exit 0
