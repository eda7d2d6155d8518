#!/bin/sh
# scan_lab22.sh - `relaywatch scan` over a sparse /22 lab earns the ground
# truth at every address. Peers: relaywatch-lab --range 127.22.0.0/22
# --density 0.1 --seed 5 (about 100 hosts drawn from the fast profiles, the
# closed ones twice as often; no tarpit, greylist, delayed or busy host,
# which are slow by design and covered by scan_lab.sh), latency 0, at one
# free port, delivering to the scan's embedded sink. The lab is started
# twice with the same seed: the same addresses and profiles both times.
# The scan (--json, full battery): every one of the 1,024 addresses
# appears exactly once, each populated address has its truth's verdict,
# every other one is unreachable, exit 1 (open relays found), in well
# under the 90 s bound.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 90"
port=$(free_port)
sink=$(free_port)
key_file "$T/key"
mix=open,percent-only,percent-strict-sender,bang-only,srcroute-only,nullsender-only
mix=$mix,spoofed-local-only,closed-rcpt,closed-rcpt,closed-opensmtpd,closed-opensmtpd
mix=$mix,closed-data,closed-data,discard,bounce,auth-required,starttls-required,not-smtp
mix=$mix,close-on-connect,hostile-longline,hostile-continuation,hostile-binary
mix=$mix,chain-entry,chain-smarthost

# lab_up NAME - start the lab, wait (bounded) for "ready"
lab_up() {
	rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --range 127.22.0.0/22 \
		--density 0.1 --seed 5 --port "$port" --profiles "$mix" -q \
		--truth "$T/$1.truth" >"$T/$1.out" 2>"$T/$1.log"
	labpid=$RW_LASTPID
	n=0
	until grep -qx ready "$T/$1.out" 2>/dev/null; do
		kill -0 "$labpid" 2>/dev/null || { cat "$T/$1.log"; fail "lab exited before ready"; }
		n=$((n + 1))
		[ $n -lt 150 ] || fail "lab not ready after 15s"
		sleep 0.1
	done
}

# the draw is deterministic: a second lab with the same seed, same truth
lab_up lab0
kill "$labpid"
n=0
while kill -0 "$labpid" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 100 ] || fail "lab did not stop"; sleep 0.1
done
lab_up lab
cmp -s "$T/lab0.truth" "$T/lab.truth" || fail "the same --seed drew another lab"
nlab=$(wc -l <"$T/lab.truth")
# 1,024 addresses at density 0.1: about 102 (a binomial sd of 10)
[ "$nlab" -ge 60 ] && [ "$nlab" -le 150 ] || fail "lab truth has $nlab hosts, want about 102"
awk '$3 ~ /^(tarpit|greylist|delayed|busy)$/ { bad = 1 } END { exit bad }' "$T/lab.truth" ||
	fail "a slow profile slipped into the mix"

start=$(date +%s)
$limit "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$sink" --ports "$port" --timeout 4 --greylist-delay 3 \
	--wait 4 --session-timeout 40 --json --seed 22 127.22.0.0/22 >"$T/scan.json" 2>"$T/scan.err"
rc=$?
secs=$(( $(date +%s) - start ))
[ $rc -eq 1 ] || { cat "$T/scan.err"; fail "scan exited $rc, want 1 (open relays found)"; }
python3 - "$T/lab.truth" "$T/scan.json" "$port" <<'PY' || fail "verdicts differ from the ground truth"
import collections, ipaddress, json, sys
truth = {}
for line in open(sys.argv[1]):
    addr, p, profile, want = line.split()[:4]
    truth[addr] = (profile, want)
port = int(sys.argv[3])
got, bad = {}, 0
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o["addr"] in got:
        print("duplicate result for", o["addr"]); bad = 1
    if o["port"] != port:
        print("wrong port", o["addr"], o["port"]); bad = 1
    got[o["addr"]] = o["verdict"]
want_addrs = {str(a) for a in ipaddress.ip_network("127.22.0.0/22")}
if set(got) != want_addrs:
    print("missing:", sorted(want_addrs - set(got))[:20], "extra:", sorted(set(got) - want_addrs)[:20])
    bad = 1
if not set(truth) <= want_addrs:
    print("truth outside the /22:", sorted(set(truth) - want_addrs)[:20]); bad = 1
per = collections.Counter()
for a in sorted(want_addrs, key=ipaddress.ip_address):
    profile, want = truth.get(a, ("-", "unreachable"))
    g = got.get(a, "none")
    per[(profile, want, g)] += 1
    if g != want:
        bad = 1
        print("%-14s %-22s want %-14s got %s" % (a, profile, want, g))
for (profile, want, g), n in sorted(per.items()):
    print("%4d  %-22s want %-14s got %-14s %s" % (n, profile, want, g, "ok" if g == want else "FAIL"))
sys.exit(bad)
PY
[ $secs -lt 60 ] || fail "the /22 took ${secs}s, want under 60"
echo "PASS: 1024 addresses ($nlab populated) scanned in ${secs}s, every verdict as the truth says"
