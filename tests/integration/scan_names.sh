#!/bin/sh
# scan_names.sh - `relaywatch scan` resolves names and --mx domains through
# the name servers it is given, all at once. Peer: dnsmasq (dnsmasq-base)
# on 127.0.0.1 at a free port, with only its own records (--no-resolv
# --no-hosts --local=/test/), so no lookup leaves loopback: every scan here
# names it with --dns-server and uses --dry-run (nothing is contacted).
# Checks: a name with A and AAAA gives both; name:port keeps its port;
# --mx gives the MX hosts' addresses on each --ports port; a domain
# without MX falls back to its own A (RFC 5321 5.1); a null MX (RFC 7505),
# NXDOMAIN names and domains, and an MX host that does not exist are each
# one line on stderr while the rest still scans; dnsmasq saw the queries.
# 200 names behind a proxy that delays every answer by 100 ms resolve in
# under 3 s (one after another would take 40 s); a server that never
# answers gives "timed out" per name within dns_timeout x tries; a bad
# --dns-server is a usage error (exit 2).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
command -v python3 >/dev/null 2>&1 || skip "no python3"
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || skip "no dnsmasq (Debian package dnsmasq-base)"
[ "$(id -u)" -eq 0 ] || skip "dnsmasq needs root to start"
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 60"

# a free UDP port on loopback now
# (dnsmasq listens on TCP too: the port must be free for both, or it
# exits with "Address already in use" when a TCP socket holds it)
free_udp() {
	python3 - <<'PY'
import socket
for _ in range(100):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        u.close(); t.close(); continue
    u.close(); t.close(); print(port); break
PY
}

# dns_ask PORT NAME - 0 when the server on PORT answers an A query for NAME
dns_ask() {
	python3 - "$1" "$2" <<'PY'
import socket, struct, sys
port, name = int(sys.argv[1]), sys.argv[2]
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
for label in name.split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
s.sendto(q, ("127.0.0.1", port))
r = s.recv(512)
sys.exit(0 if r[:2] == q[:2] and r[3] & 0x0f == 0 else 1)
PY
}

dport=$(free_udp)
i=1
while [ $i -le 200 ]; do
	printf '127.21.%d.%d n%03d.bulk.test\n' $((i / 250)) $((i % 250 + 1)) $i
	i=$((i + 1))
done >"$T/bulk.hosts"
rw_bg "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --pid-file="$T/dnsmasq.pid" \
	--user="$(id -un)" --no-resolv --no-hosts --port="$dport" --listen-address=127.0.0.1 \
	--bind-interfaces --local=/test/ --log-queries --log-facility="$T/dnsmasq.log" \
	--host-record=both.test,127.20.0.1,2001:db8::1 \
	--mx-host=dom.test,mx1.dom.test,10 --mx-host=dom.test,mx2.dom.test,20 \
	--host-record=mx1.dom.test,127.20.0.11 --host-record=mx2.dom.test,127.20.0.12,2001:db8::12 \
	--host-record=plain.test,127.20.0.21 \
	--dns-rr=nullmx.test,15,000000 --host-record=nullmx.test,127.20.0.31 \
	--address=/nx.test/ \
	--mx-host=half.test,mx.nx.test,10 --mx-host=half.test,mx1.dom.test,20 \
	--addn-hosts="$T/bulk.hosts"
dpid=$RW_LASTPID
n=0
until dns_ask "$dport" both.test 2>/dev/null; do
	kill -0 "$dpid" 2>/dev/null || { cat "$T/dnsmasq.log"; fail "dnsmasq exited before answering"; }
	n=$((n + 1))
	[ $n -lt 50 ] || fail "dnsmasq not answering after 15s"
	sleep 0.1
done

scan() {
	$limit "$RW" scan --allow-reserved --dry-run --seed 7 "$@"
}
# has FILE "ADDR PORT"... - every line is in the dry-run order
has() {
	_f=$1; shift
	for _l in "$@"; do
		grep -qxF "$_l" "$_f" || { cat "$_f"; fail "'$_l' missing from $_f"; }
	done
}
# hasnt FILE ADDR... - no line for these addresses
hasnt() {
	_f=$1; shift
	for _a in "$@"; do
		! grep -q "^$_a " "$_f" || fail "$_a should not be in $_f"
	done
}

# ---- names, MX, fallbacks and failures in one run
scan --dns-server "127.0.0.1:$dport" --ports 25,2525 both.test other.both.test:2526 \
	--mx dom.test --mx plain.test --mx nullmx.test --mx nx.test --mx half.test \
	gone.nx.test both.test:2526 >"$T/run1.out" 2>"$T/run1.err"
rc=$?
[ $rc -eq 0 ] || { cat "$T/run1.err"; fail "run 1 exited $rc"; }
has "$T/run1.out" "127.20.0.1 25" "127.20.0.1 2525" "2001:db8::1 25" "2001:db8::1 2525" \
	"127.20.0.1 2526" "2001:db8::1 2526" \
	"127.20.0.11 25" "127.20.0.11 2525" "127.20.0.12 25" "127.20.0.12 2525" \
	"2001:db8::12 25" "2001:db8::12 2525" "127.20.0.21 25" "127.20.0.21 2525"
hasnt "$T/run1.out" 127.20.0.31
[ "$(wc -l <"$T/run1.out")" -eq 14 ] || { cat "$T/run1.out"; fail "run 1: want 14 pairs"; }
for want in "cannot resolve nullmx.test: accepts no mail (null MX, RFC 7505)" \
	"cannot resolve nx.test: no such domain" \
	"cannot resolve gone.nx.test: no such domain" \
	"cannot resolve other.both.test: no such domain" \
	"cannot resolve half.test: MX host mx.nx.test: no such domain"; do
	grep -qF "$want" "$T/run1.err" || { cat "$T/run1.err"; fail "stderr lacks '$want'"; }
done
# the queries went to our dnsmasq (and nowhere else: it was the only server given)
for q in "query[MX] dom.test" "query[A] mx2.dom.test" "query[AAAA] both.test"; do
	grep -qiF "$q" "$T/dnsmasq.log" || fail "dnsmasq never saw '$q'"
done

# ---- 200 names at once, each answer delayed by 100 ms
pport=$(free_udp)
cat >"$T/delay.py" <<'PY'
# delay.py LISTEN_PORT UPSTREAM_PORT - forward each DNS datagram to the
# upstream after 100 ms; exits by itself after 60 s
import socket, sys, threading, time
lp, up = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# a burst of 256 queries must not overflow the default buffer (a lost
# datagram would cost a 5 s retry and look like no concurrency)
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (root)
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("127.0.0.1", lp))
s.settimeout(0.5)
def relay(data, peer):
    time.sleep(0.1)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(2)
    try:
        u.sendto(data, ("127.0.0.1", up))
        s.sendto(u.recv(4096), peer)
    except OSError:
        pass
    u.close()
end = time.time() + 60
print("ready", flush=True)
while time.time() < end:
    try:
        data, peer = s.recvfrom(4096)
    except socket.timeout:
        continue
    threading.Thread(target=relay, args=(data, peer), daemon=True).start()
PY
rw_bg python3 "$T/delay.py" "$pport" "$dport" >"$T/delay.out" 2>&1
n=0
until grep -qx ready "$T/delay.out" 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 100 ] || fail "delay proxy not ready after 10s"
	sleep 0.1
done
i=1
while [ $i -le 200 ]; do printf 'n%03d.bulk.test\n' $i; i=$((i + 1)); done >"$T/names.txt"
start=$(python3 -c 'import time; print(time.time())')
scan -v --dns-server "127.0.0.1:$pport" -iL "$T/names.txt" >"$T/bulk.out" 2>"$T/bulk.err"
rc=$?
secs=$(python3 -c "import time; print('%.2f' % (time.time() - $start))")
[ $rc -eq 0 ] || { cat "$T/bulk.err"; fail "200 names: exited $rc"; }
[ "$(sort -u "$T/bulk.out" | wc -l)" -eq 200 ] || { cat "$T/bulk.err"; fail "200 names: $(wc -l <"$T/bulk.out") pairs"; }
has "$T/bulk.out" "127.21.0.2 25" "127.21.0.201 25"
python3 -c "import sys; sys.exit(0 if $secs < 3 else 1)" ||
	fail "200 names took ${secs}s behind a 100 ms delay: not concurrent"
echo "200 names in ${secs}s: $(grep 'resolved' "$T/bulk.err")"

# ---- a server that never answers: per-name timeouts, quickly
bport=$(free_udp)
rw_bg python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', $bport)); s.settimeout(0.5)
print('ready', flush=True)
end = time.time() + 40
while time.time() < end:
    try: s.recvfrom(4096)
    except socket.timeout: pass
" >"$T/silent.out" 2>&1
n=0
until grep -qx ready "$T/silent.out" 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 100 ] || fail "silent server not ready after 10s"
	sleep 0.1
done
printf '[relaywatch]\ndns_timeout = 1\ndns_servers = 127.0.0.1:%s\n' "$bport" >"$T/rw.conf"
start=$(date +%s)
$limit "$RW" --config "$T/rw.conf" scan --allow-reserved --dry-run both.test --mx dom.test \
	>"$T/bh.out" 2>"$T/bh.err"
rc=$?
secs=$(( $(date +%s) - start ))
[ $rc -eq 0 ] || { cat "$T/bh.err"; fail "silent server: exited $rc"; }
grep -q "cannot resolve both.test: request timed out" "$T/bh.err" || { cat "$T/bh.err"; fail "no timeout for both.test"; }
grep -q "cannot resolve dom.test: MX lookup: .*[Tt]imeout" "$T/bh.err" || { cat "$T/bh.err"; fail "no timeout for --mx dom.test"; }
[ $secs -le 10 ] || fail "silent server: ${secs}s with dns_timeout = 1"
[ ! -s "$T/bh.out" ] || fail "silent server: something to scan"

# ---- /etc/hosts is asked before DNS, as getaddrinfo() does
# its dnsmasq is named so that nothing leaves loopback even without a localhost line
scan --dns-server "127.0.0.1:$dport" localhost:2525 >"$T/lh.out" 2>"$T/lh.err" || { cat "$T/lh.err"; fail "localhost scan failed"; }
grep -qx "127.0.0.1 2525" "$T/lh.out" || { cat "$T/lh.out" "$T/lh.err"; fail "localhost not taken from /etc/hosts"; }

# ---- bad lists are usage errors
"$RW" scan --dry-run --dns-server ns1.example.net both.test >/dev/null 2>"$T/bad.err"
[ $? -eq 2 ] || fail "--dns-server with a name: want exit 2"
grep -q "not a numeric address" "$T/bad.err" || fail "--dns-server error unclear: $(cat "$T/bad.err")"
"$RW" scan --dry-run --mx "[192.0.2.1]" >/dev/null 2>&1
[ $? -eq 2 ] || fail "--mx with a literal: want exit 2"
exit 0
