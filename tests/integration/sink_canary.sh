#!/bin/sh
# sink_canary.sh - the sink as the open-proxy canary (issue 7).
# Peer: `relaywatch sink --listen 127.0.0.1:$port --canary sink-own.test` with
# sink_greet_wait = 1000 in its config (wide, for valgrind), driven by python3 sockets (and smtplib):
#   a silent client            banner after ~1000 ms: "220 NAME ESMTP relaywatch
#                              canary sink rwp1-...", nonce bound to "0"
#   GET /rwp/ID HTTP/1.0 at once   "HTTP/1.0 200 OK", no banner, body
#                              "relaywatch proxy canary rwp1-..." bound to ID;
#                              the absolute form too; a malformed head 400
#   HELO/EHLO <probe id>       "250 NAME Hello rwp1-..." / "250-NAME Hello ..."
#   an SMTP client talking first   the banner at once, its pipelined
#                              transaction delivered; smtplib delivers too
#   a late HTTP request line after the banner   the HTTP answer, bound
# Each nonce's fields are read here (peer = hex of "127.0.0.1", bind, serial);
# their MAC is checked by tests/unit/test_sink.c with nonce_verify.
# SIGTERM: exit 0 and the proxy counters in the stop line.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 missing"
[ -x "$RW" ] || fail "$RW not built"

key_file "$T/key"
printf '[relaywatch]\ntoken_key = %s\nhelo_name = sink.relaywatch.test\nsink_greet_wait = 1000\n' \
	"$T/key" >"$T/rw.conf"
port=$(free_port)
rw_bg $RW_VG "$RW" -v --config "$T/rw.conf" sink --json --listen "127.0.0.1:$port" \
	--canary sink-own.test >"$T/sink.out" 2>"$T/sink.err"
sinkpid=$RW_LASTPID
wait_port 127.0.0.1 "$port" 30 || { cat "$T/sink.err"; fail "sink did not listen on port $port"; }

python3 - "$port" "$T/key" <<'PY' || { cat "$T/sink.err"; fail "canary dialogues with the sink"; }
import hashlib, hmac, re, smtplib, socket, sys, time

port, keyfile = int(sys.argv[1]), sys.argv[2]
key = bytes.fromhex(open(keyfile).read().strip())
NAME = "sink.relaywatch.test"
GET_ID = "rwpget.0123456789abcdef"
CONNECT_ID = "rwpconnect.0123456789abcdef"
PEER = "127.0.0.1".encode().hex()
bad = 0

def complain(msg):
    global bad
    print(msg)
    bad += 1

def nonce_in(data, bind, what):
    """the nonce in data: fields as the prober would read them"""
    m = re.search(rb"(?<![A-Za-z0-9.-])rwp1-[A-Za-z0-9.-]+", data)
    if not m:
        complain(f"{what}: no nonce in {data!r}")
        return None
    parts = m.group(0).decode().split("-")
    if len(parts) != 6:
        complain(f"{what}: nonce {m.group(0)!r} has {len(parts)} fields")
        return None
    _, t, serial, peer, b, mac = parts
    if peer != PEER or b != bind or not serial.isdigit() or int(serial) < 1 \
            or abs(int(t) - time.time()) > 60 or not re.fullmatch(r"[0-9a-f]{32}", mac):
        complain(f"{what}: nonce {m.group(0)} want peer={PEER} bind={bind}")
    return m.group(0).decode()

def connect():
    return socket.create_connection(("127.0.0.1", port), timeout=10)

def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            break
        buf += c
    return buf

def read_reply(s):
    lines = []
    while True:
        line = read_line(s)
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return b"".join(lines)

def read_all(s):
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            return data
        data += c

def check_http(data, bind, what):
    head, sep, body = data.partition(b"\r\n\r\n")
    want = (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\n"
            b"Connection: close\r\nContent-Length: ")
    if not head.startswith(want) or not sep:
        complain(f"{what}: got {data!r}")
        return
    if int(head[len(want):]) != len(body) or not body.startswith(b"relaywatch proxy canary rwp1-") \
            or not body.endswith(b"\r\n"):
        complain(f"{what}: body {body!r}")
    nonce_in(body, bind, what)

# 1. a silent client: the banner after the greet wait, with an unbound nonce
s = connect()
t0 = time.monotonic()
banner = read_line(s)
waited = time.monotonic() - t0
if not banner.startswith(f"220 {NAME} ESMTP relaywatch canary sink rwp1-".encode()) \
        or not banner.endswith(b"\r\n"):
    complain(f"banner: {banner!r}")
if not 0.9 <= waited < 6:
    complain(f"banner after {waited:.3f} s, want ~1")
nonce_in(banner, "0", "banner")
# 3. HELO and EHLO with a probe id
s.sendall(f"HELO {CONNECT_ID}\r\n".encode())
r = read_reply(s)
if not r.startswith(f"250 {NAME} Hello rwp1-".encode()):
    complain(f"HELO probe id: {r!r}")
nonce_in(r, CONNECT_ID, "HELO")
s.sendall(f"EHLO {GET_ID}\r\n".encode())
r = read_reply(s)
if not r.startswith(f"250-{NAME} Hello rwp1-".encode()) or b"250-PIPELINING\r\n" not in r \
        or not r.endswith(b"250 ENHANCEDSTATUSCODES\r\n"):
    complain(f"EHLO probe id: {r!r}")
nonce_in(r, GET_ID, "EHLO")
s.sendall(b"EHLO client.relaywatch.test\r\n")
r = read_reply(s)
if not r.startswith(f"250-{NAME}\r\n".encode()):
    complain(f"plain EHLO: {r!r}")
s.sendall(b"QUIT\r\n")
read_all(s)
s.close()

# 2. HTTP at once: the answer, no banner; origin and absolute forms, any split
for what, chunks, bind in (
        ("GET origin form", [f"GET /rwp/{GET_ID} HTTP/1.0\r\n\r\n".encode()], GET_ID),
        ("GET absolute form, split", [b"GET http://127.0.0.1:%d/rw" % port,
                                      f"p/{GET_ID} HTTP/1.1\r\nHo".encode(),
                                      b"st: 127.0.0.1\r\n\r\n"], GET_ID),
        ("GET elsewhere", [b"GET / HTTP/1.1\nHost: x\n\n"], "0")):
    s = connect()
    for c in chunks:
        s.sendall(c)
        time.sleep(0.02)
    data = read_all(s)
    s.close()
    if data.startswith(b"220"):
        complain(f"{what}: the banner came first: {data!r}")
    check_http(data, bind, what)
s = connect()
s.sendall(b"GET / HTTP/1.0\r\nno colon\r\n\r\n")
data = read_all(s)
s.close()
if not data.startswith(b"HTTP/1.0 400 Bad Request\r\n"):
    complain(f"malformed head: {data!r}")

# 4. an SMTP client talking first: banner at once, its transaction served
def token(k, test="open", target="192.0.2.25"):
    t = int(time.time())
    mac = hmac.new(k, f"0|25|{test}|{t}|{target}".encode(), hashlib.sha256).digest()[:16]
    return f"rw1-0-25-{test}-{t}-{target.encode().hex()}-{mac.hex()}"

tok = token(key)
s = connect()
t0 = time.monotonic()
s.sendall(("EHLO early.relaywatch.test\r\nMAIL FROM:<probe@tester.relaywatch.test>\r\n"
           "RCPT TO:<someone@sink-own.test>\r\nDATA\r\n"
           f"Subject: early {tok}\r\n\r\nToken: {tok}.\r\n.\r\nQUIT\r\n").encode())
codes = []
for _ in range(7):
    codes.append(read_reply(s)[:3])
if time.monotonic() - t0 > 0.8:
    complain(f"early talker waited {time.monotonic() - t0:.3f} s for its banner")
if codes != [b"220", b"250", b"250", b"250", b"354", b"250", b"221"]:
    complain(f"early talker: replies {codes}")
read_all(s)
s.close()
# and a polite one (smtplib waits for the banner)
try:
    c = smtplib.SMTP("127.0.0.1", port, local_hostname="client.relaywatch.test", timeout=10)
    c.sendmail("probe@tester.relaywatch.test", ["someone@sink-own.test"],
               f"Subject: polite {tok}\r\n\r\nToken: {tok}.\r\n")
    c.quit()
except smtplib.SMTPException as e:
    complain(f"smtplib: {e!r}")

# 5. a late HTTP request line after the banner: answered as HTTP, bound
s = connect()
banner = read_line(s)
s.sendall(f"GET /rwp/{GET_ID} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
data = read_all(s)
s.close()
if not banner.startswith(b"220 "):
    complain(f"late HTTP: banner {banner!r}")
check_http(data, GET_ID, "late HTTP")
sys.exit(1 if bad else 0)
PY

# the two deliveries, as JSON Lines
n=0
while [ "$(wc -l <"$T/sink.out")" -lt 2 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
got=$(json_get "$T/sink.out" 'o["helo"] + "/" + o["token_status"]' | tr '\n' ' ')
[ "$got" = "early.relaywatch.test/valid client.relaywatch.test/valid " ] ||
	{ cat "$T/sink.out"; fail "arrivals: got '$got'"; }
grep -q "event=proxy-canary peer=127.0.0.1 id=rwpconnect.0123456789abcdef serial=[0-9]* via=helo" \
	"$T/sink.err" || { cat "$T/sink.err"; fail "no proxy-canary log line for HELO"; }

kill -TERM "$sinkpid"
wait "$sinkpid"
rc=$?
[ $rc -eq 0 ] || { cat "$T/sink.err"; fail "sink exit after SIGTERM: $rc, want 0"; }
grep -q "event=stopped .* proxy_http=4 proxy_helo=2" "$T/sink.err" ||
	{ cat "$T/sink.err"; fail "stop line without proxy_http=4 proxy_helo=2"; }
echo "PASS: the sink answers the proxy canary (banner, HELO, HTTP) and still takes mail"
