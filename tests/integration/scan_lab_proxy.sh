#!/bin/sh
# scan_lab_proxy.sh - one `relaywatch scan --probe smtp,proxy` over a sparse
# /22 lab that mixes mail servers and proxies earns the ground truth of both
# probes at every address, and never touches an excluded one. Peers:
# relaywatch-lab --range 127.23.0.0/22 --density 0.1 --seed 9 with the fast
# mail profiles and every proxy profile but proxy-drip (slow by design:
# covered by proxy_lab.sh), all on one free port, relaying and proxying to
# the scan's embedded sink (the proxies' canary). An address inside the /22
# that the lab leaves empty is excluded and served by a listener of the
# test's own that records any connection: it must see none.
# The scan (--json): every address appears once per probe, each populated
# address has its truth's smtp verdict (column 4) and proxy verdict (column
# 5), every other one is unreachable on both, exit 1.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
"$RW" scan --help 2>&1 | grep -q -- '--probe' || skip "relaywatch scan --probe not built"
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 150"
port=$(free_port)
sink=$(free_port)
key_file "$T/key"
mix=open,percent-only,bang-only,srcroute-only,closed-rcpt,closed-data,discard,auth-required
mix=$mix,not-smtp,close-on-connect,hostile-binary
mix=$mix,proxy-http-open,proxy-connect-only,proxy-post-only,proxy-socks4,proxy-socks5
mix=$mix,proxy-socks5-auth,proxy-socks-closed,proxy-http-closed,proxy-http-auth
mix=$mix,proxy-wingate,proxy-telnet-login,proxy-fake,proxy-garbage,web-server

rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --range 127.23.0.0/22 \
	--density 0.1 --seed 9 --port "$port" --profiles "$mix" -q \
	--truth "$T/lab.truth" >"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	n=$((n + 1)); [ $n -lt 150 ] || fail "lab not ready after 15s"
	sleep 0.1
done
nlab=$(wc -l <"$T/lab.truth")
[ "$nlab" -ge 60 ] && [ "$nlab" -le 150 ] || fail "lab truth has $nlab hosts, want about 102"
awk 'NF != 5 { bad = 1 } END { exit bad }' "$T/lab.truth" || fail "truth lines without a proxy column"

# the excluded address: one the lab left empty, with a recorder on it
guard=$(python3 - "$T/lab.truth" <<'PY'
import ipaddress, sys
used = {l.split()[0] for l in open(sys.argv[1])}
for a in ipaddress.ip_network("127.23.0.0/22").hosts():
    if str(a) not in used and int(a) % 7 == 3:
        print(a); break
PY
)
[ -n "$guard" ] || fail "no empty address for the guard"
echo "$guard/32" >"$T/exclude"
cat >"$T/guard.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
log = open(sys.argv[3], "a", buffering=1)
log.write("listening\n")
while True:
    c, peer = s.accept(); log.write("connection from %s\n" % (peer,)); c.close()
PY
rw_bg python3 "$T/guard.py" "$guard" "$port" "$T/guard.log"
n=0
until grep -q listening "$T/guard.log" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 50 ] || fail "guard listener did not start"; sleep 0.1
done

start=$(date +%s)
$limit "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$sink" --probe smtp,proxy --ports "$port" --exclude "$T/exclude" \
	--timeout 4 --proxy-timeout 6 --greylist-delay 3 --wait 4 --session-timeout 40 \
	--json --seed 23 --db "$T/scan.db" 127.23.0.0/22 >"$T/scan.json" 2>"$T/scan.err"
rc=$?
secs=$(( $(date +%s) - start ))
[ $rc -eq 1 ] || { tail -20 "$T/scan.err"; fail "scan exited $rc, want 1 (open relays and proxies found)"; }
[ ! -s "$T/guard.log" ] || [ "$(grep -c connection "$T/guard.log")" -eq 0 ] ||
	fail "the excluded address $guard was contacted: $(cat "$T/guard.log")"
python3 - "$T/lab.truth" "$T/scan.json" "$port" "$guard" <<'PY' || fail "verdicts differ from the ground truth"
import collections, ipaddress, json, sys
truth = {}
for line in open(sys.argv[1]):
    addr, p, profile, smtp, proxy = line.split()[:5]
    truth[addr] = (profile, smtp, proxy)
port, guard = int(sys.argv[3]), sys.argv[4]
got, bad = {}, 0
for line in open(sys.argv[2]):
    o = json.loads(line)
    k = (o["addr"], o.get("probe", "smtp"))
    if k in got:
        print("duplicate result for", k); bad = 1
    if o["port"] != port:
        print("wrong port", k, o["port"]); bad = 1
    got[k] = o["verdict"]
    if o.get("probe") == "proxy" and o["verdict"] == "open" and o.get("egress") != o["addr"]:
        print("open proxy", o["addr"], "egress", o.get("egress"), "is not the lab host"); bad = 1
want = {str(a) for a in ipaddress.ip_network("127.23.0.0/22")} - {guard}
for probe in ("smtp", "proxy"):
    have = {a for (a, p) in got if p == probe}
    if have != want:
        print(probe, "missing:", sorted(want - have)[:10], "extra:", sorted(have - want)[:10]); bad = 1
per = collections.Counter()
for a in sorted(want, key=ipaddress.ip_address):
    profile, ws, wp = truth.get(a, ("-", "unreachable", "unreachable"))
    for probe, w in (("smtp", ws), ("proxy", wp)):
        g = got.get((a, probe), "none")
        per[(probe, profile, w, g)] += 1
        if g != w:
            bad = 1
            print("%-14s %-5s %-20s want %-14s got %s" % (a, probe, profile, w, g))
for (probe, profile, w, g), n in sorted(per.items()):
    if profile != "-":
        print("%4d %-5s %-20s want %-14s got %-14s %s" % (n, probe, profile, w, g, "ok" if g == w else "FAIL"))
sys.exit(bad)
PY
# the store has both probes' results for the scan
n=$("$RW" results --db "$T/scan.db" --json 1 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if l.strip() and json.loads(l).get("probe") == "proxy"))')
[ "${n:-0}" -ge 1000 ] || fail "the store holds ${n:-0} proxy results, want 1023"
[ $secs -lt 120 ] || fail "the /22 took ${secs}s, want under 120"
echo "PASS: 1023 addresses x 2 probes ($nlab populated) in ${secs}s, every verdict as the truth says, $guard untouched"
