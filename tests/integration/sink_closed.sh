#!/bin/sh
# sink_closed.sh - the canary sink is never a relay itself.
# Peer: `relaywatch sink --listen 127.0.0.1:$port --canary sink-own.test`
# (the real binary, under valgrind when VALGRIND is set), driven by a raw
# python3 smtplib client:
#   RCPT to another domain                       550 5.7.1
#   %-hack, bang path, quoted local part, source route, double @ aimed
#   through the sink's own domain or its address literal   550 5.7.1
#   plain someone@sink-own.test (any case, trailing dot)     250 2.1.5
# Messages: a valid token (key from lib/common.sh key_file), the same token
# again (replayed), a token signed with another key (forged); each printed
# as one JSON line with the sink's own Received line first.
# Then `relaywatch test --canary other.test` against the sink, and against a
# second sink whose canary is its own literal [127.0.0.1], must say "closed".
# Flag errors exit 2, a taken port exits 3, SIGTERM exits 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 missing"
[ -x "$RW" ] || fail "$RW not built"

key_file "$T/key"
printf '[relaywatch]\ntoken_key = %s\nhelo_name = sink.relaywatch.test\n' "$T/key" >"$T/rw.conf"
port=$(free_port)
rw_bg $RW_VG "$RW" -v --config "$T/rw.conf" sink --json --listen "127.0.0.1:$port" \
	--canary sink-own.test >"$T/sink.out" 2>"$T/sink.err"
sinkpid=$RW_LASTPID
wait_port 127.0.0.1 "$port" 30 || { cat "$T/sink.err"; fail "sink did not listen on port $port"; }

# usage and runtime errors have their own exit statuses
"$RW" --config "$T/rw.conf" sink --listen 127.0.0.1 --canary x.test >/dev/null 2>&1
rc=$?; [ $rc -eq 2 ] || fail "bad --listen: exit $rc, want 2"
"$RW" --config "$T/rw.conf" sink --bogus >/dev/null 2>&1
rc=$?; [ $rc -eq 2 ] || fail "unknown flag: exit $rc, want 2"
"$RW" --config "$T/rw.conf" sink --listen "127.0.0.1:$port" --canary x.test >/dev/null 2>&1
rc=$?; [ $rc -eq 3 ] || fail "port in use: exit $rc, want 3"

python3 - "$port" "$T/key" <<'PY' || { cat "$T/sink.err"; fail "SMTP dialogue with the sink"; }
import hashlib, hmac, smtplib, sys, time

port, keyfile = int(sys.argv[1]), sys.argv[2]
key = bytes.fromhex(open(keyfile).read().strip())
bad = 0

def token(k, test="percent-ip", target="192.0.2.25", t=None):
    t = int(time.time()) if t is None else t
    mac = hmac.new(k, f"0|25|{test}|{t}|{target}".encode(), hashlib.sha256).digest()[:16]
    return f"rw1-0-25-{test.replace('-', '.')}-{t}-{target.encode().hex()}-{mac.hex()}"

s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.relaywatch.test", timeout=30)
code, ehlo = s.ehlo()
assert code == 250, (code, ehlo)
for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes"):
    if not s.has_extn(ext):
        print(f"EHLO lacks {ext}"); bad += 1
for ext in ("starttls", "auth"):
    if s.has_extn(ext):
        print(f"EHLO offers {ext}"); bad += 1

refused = [
    "someone@other.test",
    "someone@sub.sink-own.test",
    "someone%other.test@sink-own.test",
    "someone%other.test@[127.0.0.1]",
    "other.test!someone@sink-own.test",
    "other.test!someone",
    '"someone@other.test"@sink-own.test',
    '"someone%other.test"@sink-own.test',
    "@sink-own.test:someone@other.test",
    "@other.test:someone@sink-own.test",
    "someone@other.test@sink-own.test",
    "someone",
]
accepted = ["someone@sink-own.test", "SOMEONE@Sink-Own.TEST", "some.one+tag@sink-own.test."]
for path in refused + accepted:
    s.rset()
    code, text = s.docmd("MAIL", "FROM:<probe@tester.relaywatch.test>")
    assert code == 250, (code, text)
    code, text = s.docmd("RCPT", f"TO:<{path}>")
    want = (250, b"2.1.5") if path in accepted else (550, b"5.7.1")
    if code != want[0] or not text.startswith(want[1]):
        print(f"RCPT TO:<{path}>: got {code} {text!r}, want {want[0]} {want[1].decode()}")
        bad += 1
s.rset()
# nothing accepted: DATA is refused
s.docmd("MAIL", "FROM:<>")
s.docmd("RCPT", "TO:<someone@other.test>")
code, text = s.docmd("DATA")
if code != 554:
    print(f"DATA without a valid rcpt: got {code} {text!r}, want 554"); bad += 1
s.rset()

good = token(key)
forged = token(bytes(32), test="bang")
for tok in (good, good, forged):
    msg = (f"Received: from entry.example (entry.example [192.0.2.25])\r\n"
           f"\tby smarthost.example (Postfix) with ESMTP id 4ABC; Thu, 27 Nov 2025 13:00:00 +0000\r\n"
           f"Subject: relaywatch test {tok}\r\nX-Relaywatch-Token: {tok}\r\n\r\nToken: {tok}.\r\n")
    try:
        s.sendmail("probe@tester.relaywatch.test", ["someone@sink-own.test"], msg)
    except smtplib.SMTPException as e:
        print(f"sendmail: {e!r}"); bad += 1
s.quit()
print(good)
sys.exit(1 if bad else 0)
PY

# the three arrivals, in order, as JSON Lines
n=0
while [ "$(wc -l <"$T/sink.out")" -lt 3 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
got=$(json_get "$T/sink.out" 'o["token_status"] + ("/replayed" if o["replayed"] else "")' | tr '\n' ' ')
[ "$got" = "valid valid/replayed forged " ] || { cat "$T/sink.out"; fail "arrivals: got '$got'"; }
json_get "$T/sink.out" 'o["rcpt_to"] == "someone@sink-own.test" and o["peer"] == "127.0.0.1" and o["helo"] == "client.relaywatch.test" and o["mail_from"] == "probe@tester.relaywatch.test"' |
	grep -qv True && { cat "$T/sink.out"; fail "arrival envelope"; }
json_get "$T/sink.out" 'o["received"][0].startswith("from client.relaywatch.test ([127.0.0.1]) by sink.relaywatch.test with ESMTP id ") and o["received"][1].startswith("from entry.example (entry.example [192.0.2.25]) by smarthost.example") and len(o["received"]) == 2' |
	grep -qv True && { cat "$T/sink.out"; fail "arrival Received chain"; }
json_get "$T/sink.out" 'o["token_fields"]["test"] in ("percent-ip", "bang") and o["token_fields"]["target"] == "192.0.2.25" and o["token_fields"]["port"] == 25' |
	grep -qv True && { cat "$T/sink.out"; fail "arrival token_fields"; }

# relaywatch test, canary elsewhere: the sink must test closed. Twice: the
# sink above (its own domain is a name the battery never uses), and a sink
# whose canary is its own address literal, so the battery's %-hack and bang
# paths through [127.0.0.1] meet the local-part check.
if ! "$RW" test --help >/dev/null 2>&1; then
	fail "this relaywatch has no 'test' subcommand: cannot check the sink's verdict"
fi
lit=$(free_port)
rw_bg $RW_VG "$RW" -v --config "$T/rw.conf" sink --json --listen "127.0.0.1:$lit" \
	--canary "[127.0.0.1]" >"$T/sink-lit.out" 2>"$T/sink-lit.err"
litpid=$RW_LASTPID
wait_port 127.0.0.1 "$lit" 30 || { cat "$T/sink-lit.err"; fail "literal sink did not listen"; }
for target in "$port" "$lit"; do
	port2=$(free_port)
	"$RW" --config "$T/rw.conf" test --json --canary other.test \
		--sink-listen "127.0.0.1:$port2" --wait 2 --timeout 10 "127.0.0.1:$target" \
		>"$T/test.json" 2>"$T/test.err"
	rc=$?
	verdict=$(json_get "$T/test.json" 'o["verdict"]')
	if [ "$verdict" != closed ] || [ $rc -ne 0 ]; then
		cat "$T/test.err" "$T/test.json"
		fail "relaywatch test against the sink on $target: verdict '$verdict' exit $rc, want closed and 0"
	fi
done
[ "$(wc -l <"$T/sink.out")" -eq 3 ] || { cat "$T/sink.out"; fail "the battery delivered to the sink"; }
[ -s "$T/sink-lit.out" ] && { cat "$T/sink-lit.out"; fail "the battery delivered to the literal sink"; }

# a clean stop for both: SIGTERM, exit 0 (valgrind: no errors, no definite
# leaks); rw_cleanup still kills whatever a failure leaves behind
for pair in "$sinkpid:$T/sink.err" "$litpid:$T/sink-lit.err"; do
	pid=${pair%%:*} log=${pair#*:}
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ $rc -eq 0 ] || { cat "$log"; fail "sink exit after SIGTERM: $rc, want 0"; }
	grep -q "event=stopped" "$log" || { cat "$log"; fail "sink did not log its stop"; }
done
echo "PASS: the sink is closed for other canaries and records tokens"
