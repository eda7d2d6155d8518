#!/bin/sh
# block_netns.sh - `relaywatch block apply` on a real nftables, inside two
# network namespaces of the test's own joined by a veth pair (10.200.77.0/30,
# nothing on the host): "srv" runs a TCP listener on port 25 and applies the
# blocks; "cli" (10.200.77.2) connects to it. A pending inbound-and-outbound
# block of cli's address (incident 1, put in the store the way the desk does:
# a row in actions) makes cli unable to reach port 25 after apply, while port
# 2525 still answers (only the configured ports are blocked); the action is
# applied, `block list` shows it; a second apply prints no diff and leaves
# `nft list ruleset` as it was; a foreign table with its own rule is
# untouched throughout; a `flush ruleset` (Debian's nftables.service at boot)
# is repaired by the next apply; a pending unblock lifts the block (cli
# connects again, the table's sets are empty); a hostile address in the
# store is marked failed, reaches no script, and shows in the timeline.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || skip "no nft (apt-get install nftables)"
PATH="$PATH:/usr/sbin:/sbin"
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
command -v ip >/dev/null 2>&1 || skip "no ip (iproute2)"

srv="rwsrv$$"; cli="rwcli$$"
ip netns add "$srv" 2>/dev/null || skip "ip netns unavailable"
ns_cleanup() {
	ip netns pids "$srv" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids "$cli" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
	rw_cleanup
}
trap ns_cleanup EXIT INT TERM
ip netns add "$cli" || fail "ip netns add $cli"
ip link add "rwa$$" netns "$srv" type veth peer name "rwb$$" netns "$cli" ||
	fail "veth pair"
S() { ip netns exec "$srv" "$@"; }
C() { ip netns exec "$cli" "$@"; }
S ip addr add 10.200.77.1/30 dev "rwa$$" && S ip link set "rwa$$" up && S ip link set lo up &&
	C ip addr add 10.200.77.2/30 dev "rwb$$" && C ip link set "rwb$$" up && C ip link set lo up ||
	fail "addresses"

# the listener: ports 25 and 2525 in srv, each connection answered and closed
S python3 - >"$T/listener.log" 2>&1 <<'PY' &
import socket, selectors
sel = selectors.DefaultSelector()
for port in (25, 2525):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.200.77.1", port)); s.listen(16); sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept(); c.sendall(b"220 hello\r\n"); c.close()
PY
_rw_pids="$_rw_pids $!"
# reach PORT - exit 0 when cli gets the banner within 2 s
reach() {
	C python3 - "$1" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("10.200.77.1", int(sys.argv[1])), timeout=2)
    sys.exit(0 if s.recv(64).startswith(b"220") else 1)
except OSError:
    sys.exit(1)
PY
}
i=0; until reach 25; do i=$((i + 1)); [ $i -lt 30 ] || fail "listener never answered"; sleep 0.2; done
reach 2525 || fail "port 2525 unreachable before any block"

# a foreign table with a rule that must outlive every apply
S nft -f - <<'EOF' || fail "foreign table"
table inet foreign {
	chain c { type filter hook input priority 10; policy accept; tcp dport 9999 counter accept; }
}
EOF

cfg="$T/relaywatch.conf"
cat >"$cfg" <<EOF
db = $T/d.db
block_backend = nft
block_ports = 25, 465
EOF
rw() { "$RW" --config "$cfg" "$@"; }
printf 'cidr,customer,emails,account\n10.200.77.0/30,Lab,admin@lab.test,L-1\n' >"$T/owners.csv"
"$RW" contacts import --db "$T/d.db" "$T/owners.csv" >/dev/null || fail "contacts import (creates the store)"
# sql STATEMENT... - run statements on the store
sql() {
	python3 - "$T/d.db" "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for q in sys.argv[2:]:
    for row in db.execute(q):
        print("|".join(str(c) for c in row))
db.commit()
PY
}
now=$(($(date +%s) * 1000))
sql "INSERT INTO incidents (addr, port, state, policy, opened_ms, updated_ms) VALUES ('10.200.77.2', 25, 'blocked', 'isp', $now, $now)" \
    "INSERT INTO actions (incident, kind, what, addr, requested_ms) VALUES (1, 'block', 'both', '10.200.77.2', $now)" ||
	fail "store rows"

# dry run: the diff, nothing changed
S "$RW" --config "$cfg" block apply --dry-run >"$T/dry.out" 2>"$T/dry.err" || { cat "$T/dry.err"; fail "dry run: exit $?"; }
printf '+ 10.200.77.2 inbound\n+ 10.200.77.2 outbound\n' | cmp -s - "$T/dry.out" || { cat "$T/dry.out"; fail "dry-run diff"; }
S nft list tables | grep -q relaywatch && fail "the dry run created the table"
[ "$(sql "SELECT state FROM actions WHERE id = 1")" = pending ] || fail "the dry run changed the action"

# apply: blocked
S "$RW" --config "$cfg" block apply >"$T/a1.out" 2>"$T/a1.err" || { cat "$T/a1.err"; fail "apply: exit $?"; }
cmp -s "$T/dry.out" "$T/a1.out" || { cat "$T/a1.out"; fail "apply printed another diff than the dry run"; }
[ "$(sql "SELECT state FROM actions WHERE id = 1")" = applied ] || fail "the block action is not applied"
reach 25 && fail "cli still reaches port 25 after the block"
reach 2525 || fail "port 2525 (not configured) is blocked too"
S nft list table inet foreign | grep -q "tcp dport 9999 counter" || fail "the foreign table was touched"

rw block list >"$T/list.out" || fail "block list"
sed -n 2p "$T/list.out" | grep -Eq '^10\.200\.77\.2 +both +1 +[0-9T:-]+Z +blocked \(isp\)$' ||
	{ cat "$T/list.out"; fail "block list row"; }
rw block list --json | python3 -c '
import json, sys
o = json.loads(sys.stdin.readline())
assert (o["addr"], o["direction"], o["incident"], o["state"], o["policy"]) == ("10.200.77.2", "both", 1, "blocked", "isp"), o
' || fail "block list --json"

# apply again: no diff, no change
S nft list ruleset >"$T/rs1"
S "$RW" --config "$cfg" block apply >"$T/a2.out" 2>&1 || { cat "$T/a2.out"; fail "second apply: exit $?"; }
[ -s "$T/a2.out" ] && { cat "$T/a2.out"; fail "the second apply printed something"; }
S nft list ruleset >"$T/rs2"
cmp -s "$T/rs1" "$T/rs2" || { diff "$T/rs1" "$T/rs2"; fail "the second apply changed the ruleset"; }

# a flush ruleset (the distribution's nftables service) is repaired
S nft flush ruleset
S "$RW" --config "$cfg" block apply >"$T/a3.out" 2>&1 || { cat "$T/a3.out"; fail "apply after flush"; }
reach 25 && fail "the block was not restored after a flush ruleset"
S nft add table inet foreign # the test's own foreign rule again
S nft 'add chain inet foreign c { type filter hook input priority 10; policy accept; }'
S nft add rule inet foreign c tcp dport 9999 counter accept

# a hostile address in the store: failed, never in a script
sql "INSERT INTO actions (incident, kind, what, addr, requested_ms) VALUES (1, 'block', 'inbound', '10.0.0.1 } ; flush ruleset ; add element inet relaywatch blocked_in4 { 10.0.0.9', $now)"
S "$RW" --config "$cfg" block apply >"$T/a4.out" 2>"$T/a4.err"
[ $? -eq 1 ] || { cat "$T/a4.out" "$T/a4.err"; fail "a hostile address: want exit 1"; }
[ "$(sql "SELECT state FROM actions WHERE id = 2")" = failed ] || fail "the hostile action is not failed"
S nft list table inet foreign | grep -q "tcp dport 9999" || fail "the hostile address reached nft"
S nft list ruleset | grep -q 10.0.0.9 && fail "the hostile address reached nft"
rw incident 1 >"$T/timeline.out" 2>&1
grep -q "block-failed" "$T/timeline.out" || { cat "$T/timeline.out"; fail "no block-failed in the timeline"; }

# the unblock lifts it
sql "INSERT INTO actions (incident, kind, what, addr, requested_ms) VALUES (1, 'unblock', 'both', '10.200.77.2', $now + 1000)"
S "$RW" --config "$cfg" block apply >"$T/a5.out" 2>"$T/a5.err" || { cat "$T/a5.err"; fail "unblock apply: exit $?"; }
printf -- '- 10.200.77.2 inbound\n- 10.200.77.2 outbound\n' | cmp -s - "$T/a5.out" || { cat "$T/a5.out"; fail "unblock diff"; }
[ "$(sql "SELECT state FROM actions WHERE id = 1" "SELECT state FROM actions WHERE id = 3")" = "lifted
applied" ] || fail "block not lifted / unblock not applied"
reach 25 || fail "cli cannot reach port 25 after the unblock"
S nft list table inet foreign | grep -q "tcp dport 9999" || fail "the foreign table was touched by the unblock"
[ -z "$(rw block list)" ] || fail "block list after the unblock is not empty"
S "$RW" --config "$cfg" block apply >"$T/a6.out" 2>&1 || fail "last apply"
[ -s "$T/a6.out" ] && { cat "$T/a6.out"; fail "an apply after the unblock printed something"; }

# the daemon: a pending block is applied at a tick, the unblock lifts it
repo=$(cd "$here/../.." && pwd)
key_file "$T/key"
cat >"$T/daemon.conf" <<EOF
db = $T/d.db
block_backend = nft
block_ports = 25
policy = $repo/contrib/policies/university.conf
notify_from = Abuse desk <abuse@desk.test>
token_key = $T/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:2600
EOF
# wait_state ID STATE - the action reaches STATE within 10 s
wait_state() {
	_i=0
	until [ "$(sql "SELECT state FROM actions WHERE id = $1")" = "$2" ]; do
		[ $_i -lt 100 ] || { cat "$T/daemon.log"; fail "action $1 never $2"; }
		sleep 0.1; _i=$((_i + 1))
	done
}
ip netns exec "$srv" "$RW" --config "$T/daemon.conf" daemon -f --tick-ms 200 >"$T/daemon.log" 2>&1 &
D=$!; _rw_pids="$_rw_pids $D"
sql "INSERT INTO actions (incident, kind, what, addr, requested_ms) VALUES (1, 'block', 'outbound', '10.200.77.2', $now + 2000)"
wait_state 4 applied
reach 25 && fail "the daemon's block does not hold"
S nft list table inet relaywatch | grep -q 'tcp dport 25 ip saddr @blocked_out4' ||
	fail "the daemon's rules are not for block_ports = 25"
sql "INSERT INTO actions (incident, kind, what, addr, requested_ms) VALUES (1, 'unblock', 'outbound', '10.200.77.2', $now + 3000)"
wait_state 5 applied
wait_state 4 lifted
reach 25 || fail "the daemon's unblock did not lift the block"
kill "$D"; wait "$D" 2>/dev/null

# the command backend: one command per element, the address as one argument
printf '%s\n' 'printf "%s|%s|%s\n" "$1" "$2" "$#" >>"$(dirname "$0")/cmd.log"' >"$T/log.sh"
cat >"$T/cmd.conf" <<EOF
db = $T/d.db
block_backend = command
block_command_add = /bin/sh $T/log.sh {addr} {direction}
block_command_remove = /bin/sh $T/log.sh {addr} removed
EOF
sql "INSERT INTO actions (incident, kind, what, addr, requested_ms) VALUES (1, 'block', 'both', '2001:DB8::0:7', $now + 4000)"
"$RW" --config "$T/cmd.conf" block apply >"$T/c1.out" 2>&1 || { cat "$T/c1.out"; fail "command backend: exit $?"; }
printf '2001:db8::7|inbound|2\n2001:db8::7|outbound|2\n' | cmp -s - "$T/cmd.log" ||
	{ cat "$T/cmd.log"; fail "command backend: the commands run"; }
wait_state 6 applied
"$RW" --config "$T/cmd.conf" block apply >"$T/c2.out" 2>&1 || fail "command backend: second apply"
[ "$(wc -l <"$T/cmd.log")" -eq 2 ] || fail "the second apply ran commands again"

# a failing command in the daemon: retried with a back-off, one event per
# attempt (not one per tick), the action stays pending
grep -v -e "^block" -e "^sink_listen" "$T/daemon.conf" >"$T/fail.conf"; echo "sink_listen = 127.0.0.1:2601" >>"$T/fail.conf"
printf 'block_backend = command\nblock_command_add = /bin/false {addr}\nblock_command_remove = /bin/true {addr}\n' >>"$T/fail.conf"
sql "INSERT INTO actions (incident, kind, what, addr, requested_ms) VALUES (1, 'block', 'inbound', '10.200.77.3', $now + 5000)"
ip netns exec "$srv" "$RW" --config "$T/fail.conf" daemon -f --tick-ms 100 >"$T/daemon2.log" 2>&1 &
D=$!; _rw_pids="$_rw_pids $D"
i=0
until grep -q "event=apply-failed" "$T/daemon2.log"; do
	[ $i -lt 100 ] || { cat "$T/daemon2.log"; fail "no apply-failed logged"; }
	sleep 0.1; i=$((i + 1))
done
sleep 2 # 20 ticks
kill "$D"; wait "$D" 2>/dev/null
[ "$(sql "SELECT state FROM actions WHERE id = 7")" = pending ] || fail "the failing action is not pending"
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'block-failed' AND detail LIKE '%\"action\":7,%'")" = 1 ] ||
	{ sql "SELECT at_ms, detail FROM events WHERE kind = 'block-failed'"; fail "want one block-failed event for action 7"; }
sql "SELECT detail FROM events WHERE kind = 'block-failed' AND detail LIKE '%\"action\":7,%'" |
	grep -q '"attempt":1' || fail "the event does not say attempt 1"
grep -q 'retry_in_s=60' "$T/daemon2.log" || { cat "$T/daemon2.log"; fail "no 60 s back-off logged"; }
echo "ok"
exit 0
