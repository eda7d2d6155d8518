#!/bin/sh
# daemon_dnsbl.sh - the daemon keeps the DNSBL in step with the store and
# watches our own addresses: an ISP sweep finds a lab relay open ->
# the daemon re-exports dnsbl_output and the relay is in the zone a real
# rbldnsd serves; the daemon's watch of 127.0.0.2 and 127.0.0.1 against that
# rbldnsd logs listed and not-listed; the relay is repaired (retest after
# `relaywatch delist`, run by the daemon) -> re-exported without it.
# Lab address 127.33.0.5 only; everything on loopback; every wait bounded.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
[ -x "$RW" ] || fail "$RW is not built"
command -v python3 >/dev/null 2>&1 || skip "no python3"
RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
[ -x "$RBLDNSD" ] || skip "no rbldnsd (Debian package rbldnsd)"
repo=$(cd "$here/../.." && pwd)
HOST=127.33.0.5

free_udp() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# wait_for SECONDS CMD... - until CMD succeeds
wait_for() {
	_n=$(( $1 * 5 )); shift; _i=0
	until "$@"; do
		[ $_i -lt $_n ] || return 1
		sleep 0.2; _i=$((_i + 1))
	done
}
clock_set() { echo "$1" >"$T/clock.tmp" && mv "$T/clock.tmp" "$T/clock"; }

key_file "$T/key"
SP=$(free_port)
DP=$(free_udp)
mkdir -p "$T/zone"
cat >"$T/rw.conf" <<CFG
policy = $repo/contrib/policies/isp.conf
notify_from = Abuse desk <abuse@desk.test>
db = $T/d.db
token_key = $T/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:$SP
scan_args = --allow-reserved --wait 3 --battery quick --timeout 5 --greylist-delay 1 --retry-after 0
sweep = $HOST
sweep_interval = 31000000
dnsbl_zone = bl.test
dnsbl_ns = ns.bl.test
dnsbl_output = $T/zone/relays.rbl
dnsbl_format = rbldnsd
dnsbl_export_interval = 10
dnsbl_watch = 127.0.0.2 127.0.0.1
dnsbl_lists = bl.test
dns_servers = 127.0.0.1:$DP
dns_timeout = 1
CFG
printf '%s/24,Lab,admin@desk.test,A1\n' "${HOST%.*}.0" >"$T/c.csv"
"$RW" --config "$T/rw.conf" contacts import "$T/c.csv" >/dev/null || fail "contacts import"
# an empty zone first, so rbldnsd has something to serve when the daemon asks
"$RW" --config "$T/rw.conf" dnsbl export --output "$T/zone/relays.rbl" || fail "first export"
rw_bg "$RBLDNSD" -n -b "127.0.0.1/$DP" -r "$T/zone" -c 1 "bl.test:combined:relays.rbl"

lab() { # PROFILE - (re)start the lab host
	[ -z "${LABPID:-}" ] || { kill "$LABPID"; wait "$LABPID" 2>/dev/null; }
	"$RWLAB" --sink "127.0.0.1:$SP" --canary canary.lab.test --base $HOST --port 25 \
		--profiles "$1" >"$T/lab.out" 2>&1 &
	LABPID=$!; _rw_pids="$_rw_pids $LABPID"
	wait_for 10 grep -q ready "$T/lab.out" || fail "lab $1 not ready"
}
lab open
now=$(( $(date +%s) * 1000 ))
clock_set $now
"$RW" --config "$T/rw.conf" daemon -f --tick-ms 300 --clock-file "$T/clock" >"$T/d.log" 2>&1 &
D=$!; _rw_pids="$_rw_pids $D"

listed() { grep -q "^$HOST" "$T/zone/relays.rbl" 2>/dev/null; }
wait_for 60 listed || { cat "$T/d.log"; cat "$T/zone/relays.rbl"; fail "the relay never reached the zone"; }
echo "listed: $(grep "^$HOST" "$T/zone/relays.rbl")"
grep "^$HOST" "$T/zone/relays.rbl" | grep -q "incident 1" || fail "the zone's TXT does not name the incident"
wait_for 20 grep -q "dnsbl event=listed host=127.0.0.2 list=bl.test" "$T/d.log" ||
	{ grep dnsbl "$T/d.log"; fail "the watch did not log 127.0.0.2 listed"; }
grep -q "dnsbl event=not-listed host=127.0.0.1 list=bl.test" "$T/d.log" ||
	{ grep dnsbl "$T/d.log"; fail "the watch did not log 127.0.0.1 not listed"; }

# the repair: closed; `relaywatch delist` asks for the retest now (no waiting
# for the 24 h blocked interval), the daemon runs it at its next tick
lab closed-rcpt
"$RW" --config "$T/rw.conf" delist $HOST >"$T/delist.out" 2>&1 || { cat "$T/delist.out"; fail "delist"; }
clock_set $(( $(date +%s) * 1000 + 2000 ))
gone() { ! listed; }
wait_for 90 gone || { tail -30 "$T/d.log"; fail "the repaired relay is still in the zone"; }
state=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select state from incidents where id=1").fetchone()[0])' "$T/d.db")
[ "$state" = repaired ] || fail "incident 1 is $state, want repaired"
kill -TERM $D; wait $D; rc=$?
[ $rc -eq 0 ] || fail "daemon exit $rc after SIGTERM"
echo "PASS: the daemon lists a confirmed relay, delists it after the repair, and watches our addresses"
exit 0
