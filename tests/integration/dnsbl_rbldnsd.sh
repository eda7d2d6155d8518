#!/bin/sh
# dnsbl_rbldnsd.sh - the DNSBL zone served by a real rbldnsd on loopback.
# Peer: rbldnsd (Debian package rbldnsd) on 127.0.0.1 at a free port, the
# zone bl.test from `relaywatch dnsbl export --format rbldnsd --output`;
# dig (bind9-dnsutils) and `relaywatch dnsbl check` ask it. The store's
# incidents are written with python3's sqlite3 (the desk's own path to a
# listed state takes a grace period; the zone only reads state and addr):
# 192.0.2.7 blocked, 2001:db8::7 notified, 198.51.100.1 confirmed,
# 203.0.113.9 repaired (not listed), one address with a newline in it.
# Checks: the relays have A 127.0.0.2 and the TXT naming their incident
# and the retest URL (with a quote, a semicolon, a backslash, a '$' and a
# newline, which add no line and no entry); the RFC 5782 test entries
# (127.0.0.2 and ::ffff:7f00:2 listed, 127.0.0.1 and ::ffff:7f00:1 not);
# the reload command ran (argv, no shell); `dnsbl check` agrees (listed
# with the TXT, a clean address not listed, exit 1 / 0, a dead server is
# an error, exit 3); after the relay is repaired, re-export + SIGHUP: it
# is gone. The BIND export of the same store passes named-checkzone
# (bind9utils) when installed. `delist` schedules a retest of an open
# incident and says there is none for a clean address (exit 1).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
command -v python3 >/dev/null 2>&1 || skip "no python3"
RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
[ -x "$RBLDNSD" ] || skip "no rbldnsd (Debian package rbldnsd)"
command -v dig >/dev/null 2>&1 || skip "no dig (Debian package bind9-dnsutils)"
repo=$(cd "$here/../.." && pwd)

free_udp() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

db="$T/d.db"
cfg="$T/relaywatch.conf"
cat >"$cfg" <<EOF
incident_url = https://desk.test/incident/"q;x\\y\$
dnsbl_zone = bl.test
dnsbl_ns = ns1.example.net
dns_timeout = 1
policy = $repo/contrib/policies/university.conf
notify_from = Abuse desk <abuse@desk.test>
db = $db
EOF
rw() { "$RW" --config "$cfg" "$@"; }

"$RW" incidents --db "$db" >/dev/null || fail "cannot create the store"
python3 - "$db" <<'PY' || fail "cannot write the incidents"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = [("192.0.2.7", "blocked", 0), ("2001:db8::7", "notified", 0),
        ("198.51.100.1", "confirmed", 0), ("203.0.113.9", "repaired", 5),
        ("192.0.2.8\n1.2.3.4 :127.0.0.2:injected", "blocked", 0)]
for a, s, closed in rows:
    c.execute("INSERT INTO incidents (addr, port, state, opened_ms, updated_ms, closed_ms)"
              " VALUES (?, 25, ?, 1, 1, ?)", (a, s, closed))
c.commit()
PY

mkdir -p "$T/zone"
nl='
'
export_rbl() {
	rw dnsbl export --format rbldnsd --output "$T/zone/relays.rbl" \
		--reload-command "touch $T/reloaded" 2>"$T/export.err" || { cat "$T/export.err"; fail "export: exit $?"; }
}
export_rbl
[ -f "$T/reloaded" ] || fail "the reload command did not run"
grep -q "3 listed (2 IPv4, 1 IPv6), 1 skipped" "$T/export.err" || { cat "$T/export.err"; fail "export counts"; }
grep -q 'not an IP address' "$T/export.err" || fail "the hostile address is not reported"
# 2 comments, $SOA, $NS, $TTL; each $DATASET with its default line, 2 test lines and the relays
[ "$(wc -l <"$T/zone/relays.rbl")" -eq 16 ] || { cat -A "$T/zone/relays.rbl"; fail "rbldnsd zone: want 16 lines"; }
grep -q "injected" "$T/zone/relays.rbl" && fail "the hostile address reached the zone"

dport=$(free_udp)
rw_bg "$RBLDNSD" -n -b "127.0.0.1/$dport" -r "$T/zone" -c 0 "bl.test:combined:relays.rbl"
rpid=$RW_LASTPID
q() { dig @127.0.0.1 -p "$dport" +short +time=1 +tries=2 "$@"; }
n=0
until [ "$(q 2.0.0.127.bl.test A)" = 127.0.0.2 ]; do
	kill -0 "$rpid" 2>/dev/null || fail "rbldnsd exited before answering"
	n=$((n + 1)); [ $n -lt 50 ] || fail "rbldnsd not answering after 5 s"
	sleep 0.1
done

[ "$(q 7.2.0.192.bl.test A)" = 127.0.0.2 ] || fail "192.0.2.7: no A 127.0.0.2"
txt=$(q 7.2.0.192.bl.test TXT)
[ "$txt" = '"open relay, incident 1; retest: https://desk.test/incident/\"q;x\\y$1"' ] ||
	fail "192.0.2.7 TXT: $txt"
[ "$(q 1.100.51.198.bl.test A)" = 127.0.0.2 ] || fail "198.51.100.1 (confirmed): not listed"
[ -z "$(q 9.113.0.203.bl.test A)" ] || fail "203.0.113.9 (repaired) is listed"
[ -z "$(q 4.3.2.1.bl.test A)" ] || fail "the injected 1.2.3.4 is listed"
[ -z "$(q 8.2.0.192.bl.test A)" ] || fail "the hostile 192.0.2.8 is listed"
[ "$(q 2.0.0.127.bl.test TXT)" = '"test entry"' ] || fail "127.0.0.2: TXT"
[ -z "$(q 1.0.0.127.bl.test A)" ] || fail "127.0.0.1 is listed (RFC 5782 5)"
v6=7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test
[ "$(q $v6 A)" = 127.0.0.2 ] || fail "2001:db8::7: no A"
q $v6 TXT | grep -q "incident 2;" || fail "2001:db8::7: TXT"
[ "$(q 2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test A)" = 127.0.0.2 ] ||
	fail "::ffff:7f00:2 not listed"
[ -z "$(q 1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test A)" ] ||
	fail "::ffff:7f00:1 is listed"

# relaywatch's own lookups agree
rw dnsbl check 192.0.2.7 192.0.2.99 2001:db8::7 --lists bl.test --dns-server "127.0.0.1:$dport" \
	>"$T/check.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$T/check.out"; fail "dnsbl check: exit $rc, want 1"; }
grep -qx '192.0.2.7 bl.test listed 127.0.0.2 "open relay, incident 1; retest: https://desk.test/incident/"q;x\\x5cy$1"' "$T/check.out" ||
	{ cat "$T/check.out"; fail "check: 192.0.2.7 listed with its TXT"; }
grep -qx '192.0.2.99 bl.test not-listed' "$T/check.out" || { cat "$T/check.out"; fail "check: clean address"; }
grep -q '^2001:db8::7 bl.test listed 127.0.0.2 "open relay, incident 2;' "$T/check.out" ||
	{ cat "$T/check.out"; fail "check: IPv6"; }
rw dnsbl check 192.0.2.7 --lists bl.test --dns-server "127.0.0.1:$dport" --json >"$T/check.json"
json_get "$T/check.json" '(o["status"], o["a"], "incident 1;" in o["txt"])' | grep -qx "('listed', '127.0.0.2', True)" ||
	{ cat "$T/check.json"; fail "check --json"; }
rw dnsbl check 192.0.2.99 --lists bl.test --dns-server "127.0.0.1:$dport" >/dev/null
[ $? -eq 0 ] || fail "check of a clean address: want exit 0"
dead=$(free_udp)
start=$(date +%s)
rw dnsbl check 192.0.2.7 --lists bl.test --dns-server "127.0.0.1:$dead" >"$T/dead.out" 2>&1
rc=$?
[ $rc -eq 3 ] || { cat "$T/dead.out"; fail "check against a dead server: exit $rc, want 3"; }
grep -q '^192.0.2.7 bl.test error ' "$T/dead.out" || { cat "$T/dead.out"; fail "dead server: error line"; }
[ $(( $(date +%s) - start )) -le 10 ] || fail "check against a dead server took more than 10 s"
rw dnsbl check not-an-address --lists bl.test >/dev/null 2>&1
[ $? -eq 2 ] || fail "check of a non-address: want exit 2"

# a hostile retest URL (newline, quote, semicolon, '$') adds no line to either zone
rw dnsbl export --format rbldnsd --retest-url "https://x.test/r?a=1;b=\"2\"${nl}7.7.7.7 :127.0.0.2:x \$" \
	>"$T/hostile.rbl" 2>/dev/null || fail "hostile export"
[ "$(wc -l <"$T/hostile.rbl")" -eq 16 ] || { cat -A "$T/hostile.rbl"; fail "hostile URL: want 16 lines"; }
grep -q '^7\.7\.7\.7' "$T/hostile.rbl" && fail "hostile URL started an entry"
"$RBLDNSD" -d -r "$T" "bl.test:combined:hostile.rbl" >"$T/hostile.dump" 2>&1 ||
	{ cat "$T/hostile.dump"; fail "rbldnsd does not load the hostile zone"; }

# BIND: the same store as a zone file
rw dnsbl export --format bind --retest-url "https://x.test/r?a=1;b=\"2\"\\${nl}@ IN NS evil." \
	>"$T/bl.zone" 2>/dev/null || fail "bind export"
[ "$(grep -c ' IN A 127.0.0.2$' "$T/bl.zone")" -eq 5 ] || { cat "$T/bl.zone"; fail "bind: want 5 A records"; }
[ "$(grep -c ' IN TXT ' "$T/bl.zone")" -eq 5 ] || { cat "$T/bl.zone"; fail "bind: want 5 TXT records"; }
grep -q '^@ IN NS evil' "$T/bl.zone" && fail "bind: the hostile URL added a record"
if command -v named-checkzone >/dev/null 2>&1; then
	named-checkzone bl.test "$T/bl.zone" >"$T/checkzone.out" 2>&1 ||
		{ cat "$T/checkzone.out"; cat "$T/bl.zone"; fail "named-checkzone refuses the zone"; }
else
	echo "note: no named-checkzone (bind9utils): BIND zone checked by line counts only"
fi
printf 'dnsbl_zone = bl.test\n' >"$T/nons.conf"
"$RW" --config "$T/nons.conf" dnsbl export --format bind --db "$db" >/dev/null 2>"$T/nons.err"
[ $? -eq 2 ] || fail "bind without dnsbl_ns: want exit 2"

# the relay is repaired: re-export, reload, gone
python3 - "$db" <<'PY' || fail "cannot repair incident 1"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE incidents SET state = 'repaired', closed_ms = 2, updated_ms = 2 WHERE id = 1")
c.commit()
PY
sleep 1 # a new mtime for rbldnsd's check
export_rbl
kill -HUP "$rpid"
n=0
while [ -n "$(q 7.2.0.192.bl.test A)" ]; do
	n=$((n + 1)); [ $n -lt 50 ] || fail "192.0.2.7 still listed 5 s after the repaired export"
	sleep 0.1
done
[ "$(q 1.100.51.198.bl.test A)" = 127.0.0.2 ] || fail "198.51.100.1 left with the repaired one"
[ "$(q 2.0.0.127.bl.test A)" = 127.0.0.2 ] || fail "the test entry left"
rw dnsbl check 192.0.2.7 --lists bl.test --dns-server "127.0.0.1:$dport" >"$T/check2.out"
[ $? -eq 0 ] || { cat "$T/check2.out"; fail "check after the repair: want exit 0"; }

# delist: a retest of the open incident (opened by a complaint), none for a clean address
rw complaint add 192.0.2.50 --from alice@example.org >/dev/null 2>&1 || fail "complaint add"
rw delist 192.0.2.50 >"$T/delist.out" 2>&1 || { cat "$T/delist.out"; fail "delist: exit $?"; }
grep -q "retest scheduled" "$T/delist.out" || { cat "$T/delist.out"; fail "delist: no retest"; }
grep -q "leaves the DNSBL when the retest passes" "$T/delist.out" || fail "delist: the listing's fate"
rw incident 6 --json >"$T/inc6.json" 2>/dev/null
json_get "$T/inc6.json" 'any(e["kind"] == "retest" for e in o["timeline"])' | grep -qx True ||
	fail "delist: no retest event in incident 6"
rw delist 192.0.2.99 >"$T/delist2.out" 2>&1
[ $? -eq 1 ] || { cat "$T/delist2.out"; fail "delist of a clean address: want exit 1"; }
grep -q "has no open incident" "$T/delist2.out" || fail "delist: no open incident message"
echo "ok"
