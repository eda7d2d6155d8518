#!/bin/sh
# lab_proxies.sh - the lab's proxy profiles behave as lab/profile.c says.
# Peers: relaywatch-lab (every proxy-* profile and web-server, one host
# each, from 127.24.0.1 at one free port) and a stand-in canary on
# 127.0.0.1 (and [::1] when the host has IPv6 loopback): a python server
# that greets a tunnel with "220 canary ESMTP test-nonce", answers a HELO
# with "250 canary test-nonce", and an HTTP request with a 200 whose body
# is "nonce"; it logs each client's address. Clients: curl (-x, -p, --socks4,
# --socks4a, --socks5, --socks5-hostname) for what curl speaks, python
# sockets for the rest (SOCKS replies, telnet, fakes, drips, junk).
# Checks: each open profile reaches the canary by every protocol it
# forwards and the canary's bytes come back, from the lab host's own
# address; closed and auth profiles refuse as specified; a destination
# off loopback (192.0.2.1, TEST-NET) is refused by every forwarding
# profile; the truth file's fifth column says each profile's proxy
# verdict; the lab stops cleanly (VALGRIND=1: under valgrind, without
# errors). Only loopback is ever contacted.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v curl >/dev/null 2>&1 || skip "no curl"
port=$(free_port)
canary=$(free_port)
sink=$(free_port)
ready_wait=15
[ -n "$RW_VG" ] && ready_wait=90
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 120"

profiles=$("$RWLAB" --list | awk 'NR > 1 && $1 ~ /^(proxy-|web-server$)/ { printf "%s%s", s, $1; s = "," }')
[ -n "$profiles" ] || fail "relaywatch-lab --list shows no proxy profile"

# the stand-in canary: tunnel greeting after 400 ms of client silence, or HTTP
cat >"$T/canary.py" <<'PY'
import socket, socketserver, sys, threading
port, log = int(sys.argv[1]), open(sys.argv[2], "a", buffering=1)
class H(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        log.write("%s\n" % self.client_address[0])
        s.settimeout(0.4)
        try:
            first = s.recv(4096)
        except socket.timeout:
            first = b""
        s.settimeout(5)
        try:
            if first[:1].isalpha() and not first.upper().startswith(b"HELO"):
                while b"\r\n\r\n" not in first and len(first) < 65536:
                    more = s.recv(4096)
                    if not more:
                        break
                    first += more
                s.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nnonce")
                return
            s.sendall(b"220 canary ESMTP test-nonce\r\n")
            buf = first
            for _ in range(20):
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.upper().startswith(b"HELO"):
                        s.sendall(b"250 canary test-nonce\r\n")
                    elif line.upper().startswith(b"QUIT"):
                        s.sendall(b"221 bye\r\n"); return
                    else:
                        s.sendall(b"500 what\r\n")
                more = s.recv(4096)
                if not more:
                    return
                buf += more
        except OSError:
            pass
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
class S6(S):
    address_family = socket.AF_INET6
servers = [S(("127.0.0.1", port), H)]
try:
    servers.append(S6(("::1", port), H))
except OSError:
    pass
for srv in servers[1:]:
    threading.Thread(target=srv.serve_forever, daemon=True).start()
print("ready v6" if len(servers) > 1 else "ready", flush=True)
servers[0].serve_forever()
PY
rw_bg python3 "$T/canary.py" "$canary" "$T/canary.log" >"$T/canary.out" 2>"$T/canary.err"
rw_bg $RW_VG "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.24.0.1 \
	--port "$port" --profiles "$profiles" --truth "$T/truth" >"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null && grep -q ready "$T/canary.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	n=$((n + 1))
	[ $n -lt $((ready_wait * 10)) ] || fail "lab or canary not ready after ${ready_wait}s"
	sleep 0.1
done

# addr_of PROFILE - the lab host running it
addr_of() { awk -v p="$1" '$3 == p { print $1 }' "$T/truth"; }

# ---- the truth: five columns, the proxy verdicts of lab/profile.c
python3 - "$T/truth" "$port" <<'PY' || { cat "$T/truth"; fail "the truth file"; }
import sys
want = {
    "proxy-http-open": ("unreachable", "open"), "proxy-connect-only": ("unreachable", "open"),
    "proxy-post-only": ("unreachable", "open"), "proxy-socks4": ("unreachable", "open"),
    "proxy-socks5": ("unreachable", "open"), "proxy-socks5-auth": ("unreachable", "auth-required"),
    "proxy-socks-closed": ("unreachable", "closed"), "proxy-http-closed": ("unreachable", "closed"),
    "proxy-http-auth": ("unreachable", "auth-required"), "proxy-wingate": ("not-smtp", "open"),
    "proxy-telnet-login": ("not-smtp", "auth-required"), "proxy-fake": ("unreachable", "suspect"),
    "proxy-drip": ("unreachable", "error"), "proxy-garbage": ("unreachable", "not-proxy"),
    "web-server": ("unreachable", "not-proxy"),
}
got = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) != 5 or f[1] != sys.argv[2]:
        print("bad line:", line.strip()); sys.exit(1)
    got[f[2]] = (f[3], f[4])
if got != want:
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print("%s: got %s, want %s" % (k, got.get(k), want.get(k)))
    sys.exit(1)
PY
echo "truth: $(wc -l <"$T/truth") hosts, five columns as profile.c says"

# ---- curl through the proxies that curl speaks
url="http://127.0.0.1:$canary/rwp/lab-test"
bad=0
# want_body NAME CURL-ARGS... - the canary's "nonce" came back
want_body() {
	_name=$1; shift
	_got=$($limit curl -s -m 10 "$@" 2>"$T/curl.err")
	if [ "$_got" = nonce ]; then echo "PASS curl $_name"; else
		echo "FAIL curl $_name: got \"$_got\" $(head -c 200 "$T/curl.err")"; bad=1; fi
}
# want_code NAME CODE CURL-ARGS... - the proxy's own status (or CONNECT's)
want_code() {
	_name=$1; _want=$2; shift 2
	_got=$($limit curl -s -m 10 -o "$T/curl.body" -D "$T/curl.head" \
		-w '%{http_code} %{http_connect}' "$@" 2>/dev/null)
	case " $_got " in
	*" $_want "*) echo "PASS curl $_name ($_got)" ;;
	*) echo "FAIL curl $_name: got \"$_got\", want $_want"; bad=1 ;;
	esac
}
# want_fail NAME CURL-ARGS... - curl gets nothing from the canary
want_fail() {
	_name=$1; shift
	_got=$($limit curl -s -m 10 "$@" 2>/dev/null)
	if [ "$_got" != nonce ]; then echo "PASS curl $_name (refused)"; else
		echo "FAIL curl $_name: the canary was reached"; bad=1; fi
}
H=$(addr_of proxy-http-open)
want_body http-open-get -x "http://$H:$port" "$url"
want_body http-open-post -x "http://$H:$port" -d "HELO x" "$url"
want_body http-open-connect -p -x "http://$H:$port" "$url"
want_code http-open-get-offnet 403 -x "http://$H:$port" http://192.0.2.1/
want_code http-open-connect-offnet 403 -p -x "http://$H:$port" http://192.0.2.1:25/
want_code http-open-name 502 -x "http://$H:$port" "http://localhost:$canary/"
H=$(addr_of proxy-connect-only)
want_body connect-only-connect -p -x "http://$H:$port" "$url"
want_code connect-only-get 403 -x "http://$H:$port" "$url"
want_code connect-only-post 403 -x "http://$H:$port" -d x "$url"
H=$(addr_of proxy-post-only)
want_body post-only-get -x "http://$H:$port" "$url"
want_body post-only-post -x "http://$H:$port" -d "HELO x" "$url"
want_code post-only-connect 405 -p -x "http://$H:$port" "$url"
H=$(addr_of proxy-socks4)
want_body socks4 --socks4 "$H:$port" "$url"
want_body socks4a --socks4a "$H:$port" "$url"
want_fail socks4-socks5 --socks5 "$H:$port" "$url"
want_fail socks4-offnet --socks4 "$H:$port" http://192.0.2.1/
H=$(addr_of proxy-socks5)
want_body socks5 --socks5 "$H:$port" "$url"
want_body socks5-hostname --socks5-hostname "$H:$port" "$url"
want_fail socks5-socks4 --socks4 "$H:$port" "$url"
want_fail socks5-offnet --socks5 "$H:$port" http://192.0.2.1/
want_fail socks5-name --socks5-hostname "$H:$port" "http://localhost:$canary/"
H=$(addr_of proxy-socks5-auth)
want_fail socks5-auth --socks5 "$H:$port" -U user:pass "$url"
H=$(addr_of proxy-socks-closed)
want_fail socks-closed-5 --socks5 "$H:$port" "$url"
want_fail socks-closed-4 --socks4 "$H:$port" "$url"
H=$(addr_of proxy-http-closed)
want_code http-closed-get 403 -x "http://$H:$port" "$url"
want_code http-closed-connect 403 -p -x "http://$H:$port" "$url"
grep -qi '^Server: lab-proxy' "$T/curl.head" || { echo "FAIL http-closed: no Server: lab-proxy"; bad=1; }
H=$(addr_of proxy-http-auth)
want_code http-auth-get 407 -x "http://$H:$port" "$url"
grep -qi '^Proxy-Authenticate: Basic realm="lab"' "$T/curl.head" ||
	{ echo "FAIL http-auth: no Proxy-Authenticate"; bad=1; }
want_code http-auth-connect 407 -p -x "http://$H:$port" "$url"
H=$(addr_of proxy-fake)
want_code fake-get 200 -x "http://$H:$port" "$url"
grep -qi '^Via: 1.1 fake-proxy' "$T/curl.head" || { echo "FAIL fake: no Via: fake-proxy"; bad=1; }
grep -q nonce "$T/curl.body" && { echo "FAIL fake: a nonce in its page"; bad=1; }
H=$(addr_of web-server)
want_code web-get 404 -x "http://$H:$port" "$url"
grep -qi '^Server: lab-httpd' "$T/curl.head" || { echo "FAIL web-server: no Server: lab-httpd"; bad=1; }
want_code web-direct 404 "http://$H:$port/"
want_code web-connect 405 -p -x "http://$H:$port" "$url"

# ---- raw bytes for the rest
v6=0
grep -q "ready v6" "$T/canary.out" && v6=1
$limit python3 - "$T/truth" "$port" "$canary" "$v6" <<'PY' || bad=1
import socket, struct, sys, time
hosts = {l.split()[2]: l.split()[0] for l in open(sys.argv[1])}
port, canary, v6 = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
bad = 0

def check(name, ok, got=b""):
    global bad
    print("%s raw %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else ": got %r" % got[:200]))
    bad |= not ok

def conn(profile):
    s = socket.create_connection((hosts[profile], port), timeout=5)
    return s

def recv_until(s, want, limit=5.0):
    buf, end = b"", time.time() + limit
    while want not in buf and time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            b = s.recv(4096)
        except socket.timeout:
            break
        if not b:
            break
        buf += b
    return buf

def recv_n(s, n, limit=5.0):
    buf, end = b"", time.time() + limit
    while len(buf) < n and time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            b = s.recv(n - len(buf))
        except socket.timeout:
            break
        if not b:
            break
        buf += b
    return buf

def socks5(profile, atyp, addr, methods=b"\x00\x02"):
    s = conn(profile)
    s.sendall(b"\x05" + bytes([len(methods)]) + methods)
    hello = recv_n(s, 2)
    if hello != b"\x05\x00":
        return s, hello, b""
    s.sendall(b"\x05\x01\x00" + bytes([atyp]) + addr)
    rep = recv_n(s, 10 if atyp != 4 else 4)
    if len(rep) >= 4 and rep[3] == 4:
        rep += recv_n(s, 18)
    return s, hello, rep

def tunnel_proves(s, name):
    banner = recv_until(s, b"\r\n")
    s.sendall(b"HELO lab-test\r\n")
    helo = recv_until(s, b"250 canary test-nonce\r\n")
    check(name, b"test-nonce" in banner and b"250 canary test-nonce" in helo, banner + helo)

cport = struct.pack(">H", canary)
# SOCKS5, the three address types, to the canary
s, h, r = socks5("proxy-socks5", 1, socket.inet_aton("127.0.0.1") + cport)
check("socks5-ipv4 granted", h == b"\x05\x00" and r[:2] == b"\x05\x00", h + r)
tunnel_proves(s, "socks5-ipv4 tunnel")
s, h, r = socks5("proxy-socks5", 3, b"\x09127.0.0.1" + cport)
check("socks5-dotted-name granted", r[:2] == b"\x05\x00", h + r)
tunnel_proves(s, "socks5-dotted-name tunnel")
if v6:
    s, h, r = socks5("proxy-socks5", 4, socket.inet_pton(socket.AF_INET6, "::1") + cport)
    check("socks5-ipv6 granted", r[:2] == b"\x05\x00", h + r)
    tunnel_proves(s, "socks5-ipv6 tunnel")
else:
    print("skip raw socks5-ipv6: no ::1")
s, h, r = socks5("proxy-socks5", 1, socket.inet_aton("192.0.2.1") + b"\x00\x19")
check("socks5 off loopback: 0x02", r[:2] == b"\x05\x02", h + r)
s, h, r = socks5("proxy-socks5", 3, b"\x09localhost" + cport)
check("socks5 a name: not resolved", r[:2] == b"\x05\x04", h + r)
s = conn("proxy-socks5")
s.sendall(b"\x04\x01" + cport + socket.inet_aton("127.0.0.1") + b"u\x00")
r = recv_n(s, 8)
check("socks5 host, socks4: 0x5B", r[:2] == b"\x00\x5b", r)
# SOCKS4 and 4a
s = conn("proxy-socks4")
s.sendall(b"\x04\x01" + cport + socket.inet_aton("127.0.0.1") + b"u\x00")
r = recv_n(s, 8)
check("socks4 granted", r[:2] == b"\x00\x5a", r)
tunnel_proves(s, "socks4 tunnel")
s = conn("proxy-socks4")
s.sendall(b"\x04\x01" + cport + b"\x00\x00\x00\x01u\x00127.0.0.1\x00")
r = recv_n(s, 8)
check("socks4a granted", r[:2] == b"\x00\x5a", r)
tunnel_proves(s, "socks4a tunnel")
s = conn("proxy-socks4")
s.sendall(b"\x04\x01\x00\x19" + socket.inet_aton("192.0.2.1") + b"u\x00")
check("socks4 off loopback: 0x5B", recv_n(s, 8)[:2] == b"\x00\x5b")
s = conn("proxy-socks4")
s.sendall(b"\x04\x01" + cport + b"\x00\x00\x00\x01u\x00localhost\x00")
check("socks4a a name: 0x5B", recv_n(s, 8)[:2] == b"\x00\x5b")
s, h, r = socks5("proxy-socks4", 1, socket.inet_aton("127.0.0.1") + cport)
check("socks4 host, socks5: closed", h == b"", h)
# HTTP CONNECT by hand: the canary's banner and HELO through the tunnel
s = conn("proxy-http-open")
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (canary, canary))
r = recv_until(s, b"\r\n\r\n")
check("http-open CONNECT 200", r.startswith(b"HTTP/1.0 200"), r)
tunnel_proves(s, "http-open CONNECT tunnel")
# SOCKS5 auth: user/password chosen, never granted
s = conn("proxy-socks5-auth")
s.sendall(b"\x05\x02\x00\x02")
r = recv_n(s, 2)
check("socks5-auth picks 0x02", r == b"\x05\x02", r)
s.sendall(b"\x01\x04user\x04pass")
r = recv_n(s, 2)
check("socks5-auth fails the login", len(r) == 2 and r[1] != 0, r)
s = conn("proxy-socks5-auth")
s.sendall(b"\x05\x01\x00")
check("socks5-auth without 0x02 offered: 0xFF", recv_n(s, 2) == b"\x05\xff")
# SOCKS closed: 0x02 and 0x5B
s, h, r = socks5("proxy-socks-closed", 1, socket.inet_aton("127.0.0.1") + cport)
check("socks-closed socks5 0x02", h == b"\x05\x00" and r[:2] == b"\x05\x02", h + r)
s = conn("proxy-socks-closed")
s.sendall(b"\x04\x01" + cport + socket.inet_aton("127.0.0.1") + b"u\x00")
check("socks-closed socks4 0x5B", recv_n(s, 8)[:2] == b"\x00\x5b")
# WinGate: prompt, host:port and host port, off loopback refused
for line in (b"127.0.0.1:%d" % canary, b"127.0.0.1 %d" % canary):
    s = conn("proxy-wingate")
    p = recv_until(s, b"WinGate>")
    check("wingate prompt", p == b"\r\nWinGate>", p)
    s.sendall(line + b"\r\n")
    r = recv_until(s, b"Connected\r\n")
    check("wingate %s connected" % line.decode(), r.endswith(b"...Connected\r\n"), r)
    tunnel_proves(s, "wingate tunnel")
s = conn("proxy-wingate")
recv_until(s, b"WinGate>")
s.sendall(b"192.0.2.1 25\r\n")
r = recv_until(s, b"refused\r\n")
check("wingate off loopback refused", b"Connection refused" in r and b"Connected" not in r, r)
# telnet login: the prompt, then nothing
s = conn("proxy-telnet-login")
r = recv_until(s, b"Username: ")
check("telnet-login prompt", r == b"\r\nUser Access Verification\r\n\r\nUsername: ", r)
s.sendall(b"admin\r\n")
more = recv_until(s, b"\n", 1.0)
check("telnet-login says no more", more == b"", more)
# the fake: grants, then its own banner, no nonce
s = conn("proxy-fake")
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n" % canary)
r = recv_until(s, b"ready\r\n")
check("fake CONNECT: 200 and its own banner",
      r.startswith(b"HTTP/1.0 200 Connection established\r\n\r\n220 mail.example.com ESMTP ready"), r)
s.sendall(b"HELO lab-test\r\n")
r = recv_until(s, b"\r\n")
check("fake: 250 ok to HELO, no nonce", r == b"250 ok\r\n", r)
s, h, r = socks5("proxy-fake", 1, socket.inet_aton("127.0.0.1") + cport)
r += recv_until(s, b"ready\r\n")
check("fake SOCKS5: granted, its banner", r[:2] == b"\x05\x00" and b"220 mail.example.com" in r
      and b"nonce" not in r, h + r)
# the drip: at most a byte or two within 3 s
s = conn("proxy-drip")
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n" % canary)
t0 = time.time()
r = recv_n(s, 64, 3.0)
check("drip: <= 2 bytes in 3 s", 1 <= len(r) <= 2 and b"HTTP/1.0 200"[:len(r)] == r, r)
# garbage: 512 bytes of junk to any first bytes, no protocol's first byte
for first in (b"CONNECT 127.0.0.1:25 HTTP/1.1\r\n\r\n", b"\x05\x01\x00"):
    s = conn("proxy-garbage")
    s.sendall(first)
    r = recv_n(s, 600, 2.0)
    check("garbage %r" % first[:7], len(r) == 512 and r[0] >= 0x80, r)
# web server: SOCKS bytes get an HTTP 400
s = conn("web-server")
s.sendall(b"\x05\x01\x00")
r = recv_until(s, b"\r\n\r\n")
check("web-server SOCKS5: HTTP 400", r.startswith(b"HTTP/1.0 400"), r)
sys.exit(bad)
PY

# ---- the canary saw only lab hosts (their own addresses as the egress)
python3 - "$T/truth" "$T/canary.log" <<'PY' || bad=1
import sys
lab = {l.split()[0] for l in open(sys.argv[1])} | {"::1"}
seen = [l.strip() for l in open(sys.argv[2])]
other = sorted(set(seen) - lab)
ok = seen and not other
print("%s canary clients: %d connections from %d lab hosts%s" %
      ("PASS" if ok else "FAIL", len(seen), len(set(seen)), " other: %s" % other if other else ""))
sys.exit(not ok)
PY

# ---- a clean stop
kill -TERM "$labpid"
n=0
while kill -0 "$labpid" 2>/dev/null && [ $n -lt $((ready_wait * 10)) ]; do sleep 0.1; n=$((n + 1)); done
kill -0 "$labpid" 2>/dev/null && fail "lab still running ${ready_wait}s after SIGTERM"
wait "$labpid"
rc=$?
# valgrind's 99: the lab leaked or touched bad memory
[ $rc -eq 0 ] || { tail -20 "$T/lab.log"; fail "lab exited $rc"; }
[ $bad -eq 0 ] || { tail -40 "$T/lab.log"; fail "a proxy profile misbehaved"; }
echo "PASS: every proxy profile behaves as specified, only loopback reached"
