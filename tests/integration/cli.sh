#!/bin/sh
# rw-test: exclusive (it checks the default sink on port 25 of every address)
# cli.sh - relaywatch's command line as a user meets it: exit statuses,
# configuration errors that name the line, names resolved from /etc/hosts
# (no DNS server), IPv6 targets, the default canary (an address literal of
# this machine with the sink on port 25), the JSON fields.
# Peers: relaywatch sink instances on 127.0.0.1 and ::1.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
[ -x "$RW" ] || skip "no $RW"
key_file "$T/key"

# usage errors: 2
"$RW" test >/dev/null 2>&1; [ $? -eq 2 ] || fail "no target: want exit 2"
"$RW" test --tls sometimes 127.0.0.1 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --tls: want exit 2"
"$RW" test --battery huge 127.0.0.1 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --battery: want exit 2"
"$RW" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command: want exit 2"
printf '[relaywatch]\nwait = 3\nwiat = 4\n' >"$T/bad.conf"
"$RW" --config "$T/bad.conf" test 127.0.0.1 2>"$T/err" >/dev/null
[ $? -eq 2 ] || fail "bad config: want exit 2"
grep -q "bad.conf:3: wiat = 4: unknown key" "$T/err" || { cat "$T/err"; fail "config error must name file and line"; }
"$RW" --config "$T/missing.conf" test 127.0.0.1 2>"$T/err" >/dev/null
[ $? -eq 2 ] || fail "missing --config: want exit 2"
grep -q "missing.conf: cannot open" "$T/err" || fail "missing config must be named"
"$RW" --help | grep -q "usage: relaywatch" || fail "--help"
"$RW" test --help | grep -q -- "--sink-listen" || fail "test --help"

"$RW" test --canary 'bad canary' 127.0.0.1 2>"$T/err" >/dev/null
[ $? -eq 2 ] || fail "bad canary: want exit 2"
grep -q "neither a domain name nor an address literal" "$T/err" || fail "bad canary must be explained"
"$RW" test --helo 'bad helo' --canary x.test 127.0.0.1 >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad HELO name: want exit 2"
# a key others may read would let them forge verdicts
printf '%064x\n' 7 >"$T/loose.key"; chmod 644 "$T/loose.key"
"$RW" test --token-key "$T/loose.key" --canary x.test --no-sink 127.0.0.1:1 2>"$T/err" >/dev/null
[ $? -eq 3 ] || fail "key mode 0644: want exit 3"
grep -q "mode 0600" "$T/err" || fail "loose key must be explained"

# a sink to test against (closed for any other canary)
sp=$(free_port)
rw_bg "$RW" sink --listen "127.0.0.1:$sp" --canary own.test --token-key "$T/key" >"$T/sink.out" 2>"$T/sink.log"
wait_port 127.0.0.1 "$sp" 10 || fail "sink did not start"

# a name from /etc/hosts (evdns reads it; no DNS server involved)
grep -qw localhost /etc/hosts || skip "no localhost in /etc/hosts"
p2=$(free_port)
"$RW" test --json --token-key "$T/key" --canary other.test --sink-listen "127.0.0.1:$p2" \
	--timeout 5 --battery quick "localhost:$sp" >"$T/name.json" 2>"$T/name.log"
rc=$?
[ $rc -eq 0 ] || { cat "$T/name.log"; fail "localhost: exit $rc, want 0"; }
v=$(json_get "$T/name.json" 'o["verdict"]+" "+o["addr"]+" "+o["host"]' | head -1)
echo "localhost: $v"
[ "$v" = "closed 127.0.0.1 localhost" ] || fail "localhost: got '$v'"
n=$(json_get "$T/name.json" 'len(o["tests"])' | head -1)
[ "$n" = 8 ] || fail "quick battery: got $n tests, want 8"
# every JSON field the documentation promises
json_get "$T/name.json" 'sorted(k for k in ["target","addr","port","verdict","reason","mta","banner","tls","tests","arrivals","started","elapsed_ms"] if k not in o)' | grep -qx '\[\]' \
	|| fail "JSON fields missing"
json_get "$T/name.json" 'sorted(k for k in ["id","trick","helo","mail_from","rcpt_to","stage","code","esc","text","attempts","token"] if k not in o["tests"][0])' | grep -qx '\[\]' \
	|| fail "JSON test fields missing"
# -v adds the transcript
"$RW" test --json -v --token-key "$T/key" --canary other.test --sink-listen "127.0.0.1:$p2" \
	--timeout 5 --battery quick "127.0.0.1:$sp" >"$T/v.json" 2>/dev/null
json_get "$T/v.json" '[l for l in o["transcript"] if l.startswith("S: 220 ")][0][:7]' | grep -qx 'S: 220 ' \
	|| fail "-v: no banner in the transcript"

# IPv6: a sink on ::1 tested from ::1 (skip when the host has no IPv6 loopback)
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
	sp6=$(free_port)
	rw_bg "$RW" sink --listen "[::1]:$sp6" --canary own6.test --token-key "$T/key" >/dev/null 2>"$T/sink6.log"
	wait_port ::1 "$sp6" 10 || fail "IPv6 sink did not start"
	p3=$(free_port)
	"$RW" test --json --token-key "$T/key" --canary other.test --sink-listen "[::1]:$p3" \
		--timeout 5 --battery quick "[::1]:$sp6" >"$T/v6.json" 2>"$T/v6.log"
	v=$(json_get "$T/v6.json" 'o["verdict"]+" "+o["addr"]' | head -1)
	echo "ipv6: $v"
	[ "$v" = "closed ::1" ] || { cat "$T/v6.log"; fail "IPv6: got '$v'"; }
	json_get "$T/v6.json" 'o["tests"][3]["rcpt_to"]' | grep -q '@\[IPv6:::1\]' || fail "IPv6 literal in the percent test"
fi

# no canary configured: an address literal of this machine, sink on port 25
if ! wait_port 127.0.0.1 25 1; then
	"$RW" test --json --token-key "$T/key" --timeout 5 --battery quick --wait 1 "127.0.0.1:$sp" \
		>"$T/def.json" 2>"$T/def.log"
	grep -q "no canary_domain configured: using the address literal \[127.0.0.1\]" "$T/def.log" \
		|| { cat "$T/def.log"; fail "default canary not announced"; }
	json_get "$T/def.json" 'o["canary"]' | grep -qx '\[127.0.0.1\]' || fail "default canary"
	json_get "$T/def.json" 'o["tests"][0]["rcpt_to"]' | grep -qx 'rw-plain@\[127.0.0.1\]' || fail "default rcpt"
else
	echo "port 25 busy: default-canary check skipped"
fi

# not root: the default sink cannot have port 25; the test still runs
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && ! wait_port 127.0.0.1 25 1; then
	mkdir -p "$T/nobody" && chown 65534:65534 "$T/nobody" && chmod 711 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$T/nobody" \
		"$RW" test --json --token-key "$T/nobody/key" --timeout 5 --battery quick --wait 1 \
		"127.0.0.1:$sp" >"$T/nobody.json" 2>"$T/nobody.log"
	rc=$?
	[ $rc -eq 0 ] || { cat "$T/nobody.log"; fail "non-root default run: exit $rc, want 0"; }
	grep -q "testing without it" "$T/nobody.log" || { cat "$T/nobody.log"; fail "non-root: no notice"; }
	v=$(json_get "$T/nobody.json" 'o["verdict"]' | head -1)
	[ "$v" = closed ] || fail "non-root default run: got '$v', want closed"
fi

# a sink address in use: runtime error 3
"$RW" test --token-key "$T/key" --canary other.test --sink-listen "127.0.0.1:$sp" \
	--timeout 2 "127.0.0.1:$sp" >/dev/null 2>"$T/busy.log"
[ $? -eq 3 ] || { cat "$T/busy.log"; fail "sink port in use: want exit 3"; }
echo "PASS: command line"
