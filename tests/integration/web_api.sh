#!/bin/sh
# web_api.sh - `relaywatch web` serves the store over HTTP on loopback.
# Peers: relaywatch-lab (open, closed-rcpt, auth-required, not-smtp) on
# 127.10.6.1-4 at one free port, scanned with its own sink into a store
# (127.10.6.0/29: four more addresses unreachable); a complaint about
# 127.10.6.1 opens an incident under the university policy; the fixture
# then adds, through SQLite, a result whose banner is hostile markup, an
# applied block and a listed (confirmed) incident. The console on a free
# loopback port: 401 (JSON) without credentials or with a bad token;
# with a token (`relaywatch user token add` once `relaywatch user`
# exists, else the auth stub's RW_WEB_TEST_TOKEN) the scans, a page of
# results (limit=2&offset=1, the envelope's total and next), incidents
# by state, one incident with its timeline, a host, blocks and the DNSBL
# listing answer in the documented shapes; bad ids, states and limits are
# 400, an unknown API path 404; the OpenAPI document parses and names
# every path served; /metrics is Prometheus text without credentials
# from loopback; a header block over the limit and a body over the
# limit are refused (400/413) and the server still answers; the hostile
# banner comes back as one plain JSON string; SIGTERM stops it (exit 0).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
repo=$(cd "$here/../.." && pwd)
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 60"
db="$T/w.db"
cfg="$T/relaywatch.conf"
cat >"$cfg" <<EOF
policy = $repo/contrib/policies/university.conf
notify_from = Abuse desk <abuse@desk.test>
db = $db
EOF
rw() { "$RW" --config "$cfg" "$@"; }
unset SUDO_USER
USER=alice; export USER

# ---- the store: a real lab scan
port=$(free_port)
sink=$(free_port)
key_file "$T/key"
rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.10.6.1 \
	--port "$port" --profiles open,closed-rcpt,auth-required,not-smtp --truth "$T/truth" \
	>"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	n=$((n + 1))
	[ $n -lt 150 ] || fail "lab not ready after 15s"
	sleep 0.1
done
$limit "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$sink" --ports "$port" --timeout 4 --wait 3 \
	--session-timeout 30 --seed 7 --db "$db" 127.10.6.0/29 >"$T/scan.out" 2>"$T/scan.err"
[ $? -eq 1 ] || { cat "$T/scan.err"; fail "scan: want exit 1 (the open relay)"; }
kill "$labpid" 2>/dev/null

# ---- the desk: a complaint opens incident 1 about the open relay
printf 'cidr,customer,emails,account\n127.10.6.0/24,Lab <b>Dept</b>,admin@desk.test,U-7\n' >"$T/owners.csv"
"$RW" contacts import --db "$db" "$T/owners.csv" >/dev/null || fail "contacts import"
rw complaint add 127.10.6.1 --from alice@example.org >"$T/c1.out" 2>"$T/c1.err" ||
	{ cat "$T/c1.err"; fail "complaint add"; }
# a second address, listed: confirmed (the DNSBL lists it) and blocked
rw complaint add 127.10.6.3 --from bob@example.org >/dev/null 2>"$T/c2.err" ||
	{ cat "$T/c2.err"; fail "second complaint add"; }

# the fixture's hostile banner, an applied block, a listed state
python3 - "$db" "$port" <<'PY' || fail "fixture rows"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ev = {"addr": "127.10.6.200", "port": 25, "banner": "220 <script>\"'</script> \u00e9",
      "verdict": "closed"}
db.execute("INSERT INTO results (scan, target, port, probe, vantage, verdict, reason,"
           " evidence, tested, updated) VALUES (1, '127.10.6.200', 25, 'smtp', '', 'closed',"
           " '<b>reason</b>', ?, 1700000000, 0)", (json.dumps(ev),))
inc = db.execute("SELECT id FROM incidents WHERE addr = '127.10.6.3'").fetchone()[0]
db.execute("UPDATE incidents SET state = 'confirmed' WHERE id = ?", (inc,))
db.execute("INSERT INTO actions (incident, kind, what, addr, state, requested_ms, applied_ms)"
           " VALUES (?, 'block', 'inbound', '127.10.6.3', 'applied', 1700000000000,"
           " 1700000001000)", (inc,))
db.commit()
PY

# ---- credentials: the real users once they exist, else the stub's variable
if "$RW" user --help >/dev/null 2>&1; then
	echo "web-test-password-1" | rw user add webtest --role viewer >/dev/null 2>"$T/user.err" ||
		{ cat "$T/user.err"; fail "user add"; }
	token=$(rw user token add webtest 2>"$T/token.err" | grep -o 'rwt_[0-9a-f]\{64\}' | head -1)
	[ -n "$token" ] || { cat "$T/token.err"; fail "user token add printed no rwt_ token"; }
else
	token="rwt_$(printf '%064x' 7)"
	RW_WEB_TEST_TOKEN=$token; export RW_WEB_TEST_TOKEN
fi

# ---- the console
wport=$(free_port)
rw_bg "$RW" --config "$cfg" web --listen "127.0.0.1:$wport" >"$T/web.out" 2>"$T/web.log"
webpid=$RW_LASTPID
wait_port 127.0.0.1 "$wport" 10 || { cat "$T/web.log"; fail "web not listening"; }

python3 - "$wport" "$token" "$T/scan.out" <<'PY' || { cat "$T/web.log"; fail "the API"; }
import json, socket, sys, urllib.request, urllib.error
base = "http://127.0.0.1:%s" % sys.argv[1]
token = sys.argv[2]
bad = []

def get(path, tok=token, raw=False):
    req = urllib.request.Request(base + path)
    if tok:
        req.add_header("Authorization", "Bearer " + tok)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            body, code, ctype = r.read(), r.status, r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        body, code, ctype = e.read(), e.code, e.headers.get("Content-Type", "")
    if raw:
        return code, ctype, body
    try:
        return code, json.loads(body)
    except ValueError:
        return code, body

def check(what, cond, got=None):
    if not cond:
        bad.append("%s: got %r" % (what, got))

def envelope(what, o, total=True):
    keys = {"data", "limit", "offset", "next"} | ({"total"} if total else set())
    check(what + " envelope", isinstance(o, dict) and keys <= set(o) and
          isinstance(o["data"], list), o)

# 401 without credentials, and with a bad token; JSON either way
for path in ["/api/v1/scans", "/api/v1/incidents/1", "/api/v1/nothing", "/api/v1/openapi.json"]:
    code, o = get(path, tok=None)
    check("401 " + path, code == 401 and isinstance(o, dict) and o.get("status") == 401, (code, o))
code, o = get("/api/v1/scans", tok="rwt_" + "0" * 64)
check("401 bad token", code == 401 and isinstance(o, dict), (code, o))
code, o = get("/metrics", tok="rwt_" + "0" * 64)
check("metrics with a bad token", code == 401, code)

# scans
code, o = get("/api/v1/scans")
check("scans 200", code == 200, (code, o))
envelope("scans", o)
check("scans total", o.get("total") == 1 and len(o["data"]) == 1, o)
s = o["data"][0]
for k in ["id", "created", "finished", "state", "seed", "total", "done", "counts", "params"]:
    check("scan field " + k, k in s, s)
check("scan 1 done, 8 of 8", s.get("id") == 1 and s.get("state") == "done" and s.get("total") == 8, s)
code, one = get("/api/v1/scans/1")
check("scan 1", code == 200 and one.get("id") == 1, (code, one))
check("no scan 9", get("/api/v1/scans/9")[0] == 404)
check("scan id x", get("/api/v1/scans/x")[0] == 400)

# results: the whole list, then a page
code, allr = get("/api/v1/scans/1/results?limit=100")
envelope("results", allr)
check("results total 9", allr.get("total") == 9 and len(allr["data"]) == 9, allr)
code, pg = get("/api/v1/scans/1/results?limit=2&offset=1")
envelope("results page", pg)
check("page size", code == 200 and len(pg["data"]) == 2 and pg["limit"] == 2 and pg["offset"] == 1, pg)
check("page rows", [r["addr"] for r in pg["data"]] == [r["addr"] for r in allr["data"][1:3]], pg)
check("page next", pg["next"] == "/api/v1/scans/1/results?limit=2&offset=3", pg.get("next"))
for r in pg["data"]:
    for k in ["addr", "port", "probe", "verdict", "reason", "updated", "scan"]:
        check("result field " + k, k in r, r)
code, last = get("/api/v1/scans/1/results?limit=5&offset=5")
check("last page next null", last.get("next") is None and len(last["data"]) == 4, last)
code, opens = get("/api/v1/scans/1/results?verdict=open")
check("verdict filter", opens.get("total") == 1 and opens["data"][0]["addr"] == "127.10.6.1", opens)
check("bad verdict", get("/api/v1/scans/1/results?verdict=bogus")[0] == 400)
check("limit 0", get("/api/v1/scans/1/results?limit=0")[0] == 400)
check("limit too big", get("/api/v1/scans/1/results?limit=100000")[0] == 400)
check("offset -1", get("/api/v1/scans/1/results?offset=-1")[0] == 400)

# the hostile banner: one JSON string, the same bytes
hostile = [r for r in allr["data"] if r["addr"] == "127.10.6.200"]
check("hostile row", len(hostile) == 1, allr["data"])
if hostile:
    check("banner verbatim", hostile[0].get("banner") == "220 <script>\"'</script> \u00e9", hostile[0])
    check("reason verbatim", hostile[0].get("reason") == "<b>reason</b>", hostile[0])
code, ctype, body = get("/api/v1/scans/1/results?limit=100", raw=True)
check("json content type", ctype.startswith("application/json"), ctype)
check("banner is a JSON string in the body", b'"220 <script>\\"\'</script>' in body, body[:300])

# incidents
code, o = get("/api/v1/incidents?state=reported")
envelope("incidents", o)
check("reported: incident 1", code == 200 and o["total"] == 1 and o["data"][0]["addr"] == "127.10.6.1", o)
i = o["data"][0] if o.get("data") else {}
for k in ["id", "addr", "port", "class", "state", "policy", "contact", "opened", "updated",
          "closed", "due", "level", "rev"]:
    check("incident field " + k, k in i, i)
check("contact snapshot", i.get("contact", {}).get("customer") == "Lab <b>Dept</b>", i)
code, o = get("/api/v1/incidents?state=open")
check("open: two", o.get("total") == 2, o)
code, o = get("/api/v1/incidents")
check("all: two", o.get("total") == 2, o)
check("bad state", get("/api/v1/incidents?state=bogus")[0] == 400)
iid = i.get("id", 1)
code, one = get("/api/v1/incidents/%d" % iid)
check("incident one", code == 200 and one.get("id") == iid, (code, one))
tl = one.get("timeline", [])
check("timeline", isinstance(tl, list) and {"complaint", "event"} <= {t.get("source") for t in tl}, tl)
for t in tl:
    for k in ["at", "source", "id", "kind", "state"]:
        check("timeline field " + k, k in t, t)
check("no incident 99", get("/api/v1/incidents/99")[0] == 404)

# a host: its results over every scan, its incidents
code, h = get("/api/v1/hosts/127.10.6.1")
envelope("host", h, total=False)
check("host", code == 200 and h.get("addr") == "127.10.6.1" and len(h["data"]) == 1 and
      h["data"][0]["verdict"] == "open" and len(h.get("incidents", [])) == 1, h)
check("host bad", get("/api/v1/hosts/not-an-address")[0] == 400)
code, h6 = get("/api/v1/hosts/2001:db8::1")
check("host v6, none", code == 200 and h6.get("data") == [], (code, h6))

# blocks and the DNSBL listing
code, b = get("/api/v1/blocks")
envelope("blocks", b)
check("blocks", code == 200 and b["total"] == 1 and b["data"][0]["addr"] == "127.10.6.3" and
      b["data"][0]["direction"] == "inbound", b)
for k in ["action", "addr", "direction", "since", "state", "policy", "incident"]:
    check("block field " + k, k in (b["data"][0] if b.get("data") else {}), b)
code, d = get("/api/v1/dnsbl")
envelope("dnsbl", d)
check("dnsbl", code == 200 and d["total"] == 1 and d["data"][0]["addr"] == "127.10.6.3" and
      d["data"][0]["state"] == "confirmed", d)
check("unknown api path", get("/api/v1/nothing")[0] == 404)

# the OpenAPI document names every path served
code, doc = get("/api/v1/openapi.json")
check("openapi", code == 200 and isinstance(doc, dict) and doc.get("openapi", "").startswith("3."), code)
served = ["/api/v1/openapi.json", "/api/v1/scans", "/api/v1/scans/{id}",
          "/api/v1/scans/{id}/results", "/api/v1/hosts/{addr}", "/api/v1/incidents",
          "/api/v1/incidents/{id}", "/api/v1/blocks", "/api/v1/dnsbl", "/metrics"]
paths = doc.get("paths", {}) if isinstance(doc, dict) else {}
for p in served:
    check("openapi names " + p, p in paths, sorted(paths))
for p, item in paths.items():
    check("openapi " + p + " has get", "get" in item, item)

# metrics: loopback without credentials, Prometheus text
code, ctype, body = get("/metrics", tok=None, raw=True)
text = body.decode()
check("metrics 200 text", code == 200 and ctype.startswith("text/plain"), (code, ctype))
for name in ["relaywatch_scans_running", "relaywatch_results", "relaywatch_incidents",
             "relaywatch_outbox_queue", "relaywatch_sink_arrivals_total", "relaywatch_blocks",
             "relaywatch_store_up", "relaywatch_web_requests_total"]:
    check("metric " + name, "# TYPE %s " % name in text, text[:400])
check("results open 1", 'relaywatch_results{verdict="open"} 1' in text, text)
check("incidents reported 1", 'relaywatch_incidents{state="reported"} 1' in text, text)
check("store up", "relaywatch_store_up 1" in text, text)
import re
for line in text.splitlines():
    if line and not line.startswith("#"):
        check("sample line", re.match(r'^[a-z_]+(\{[a-z_]+="[^"\n]*"\})? [0-9]+$', line), line)

# oversized requests: refused, and the server lives on
def raw(data):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(data)
    out = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            out += c
    except OSError:
        pass
    s.close()
    return out
r1 = raw(b"GET /api/v1/scans HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
check("big headers refused", r1.split(b" ")[1:2] in ([b"400"], [b"413"]), r1[:80])
r2 = raw(b"POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + b"a" * 200000)
check("big body refused", r2.split(b" ")[1:2] in ([b"400"], [b"413"]), r2[:80])
code, o = get("/api/v1/scans")
check("alive after", code == 200, code)

if bad:
    print("\n".join(bad))
    sys.exit(1)
PY

# the request log: one key=value line per request
grep -q "^relaywatch: web client=127.0.0.1 method=GET path=/api/v1/scans route=scans status=401 " "$T/web.log" ||
	{ tail "$T/web.log"; fail "request log line"; }
kill -TERM "$webpid"
n=0
while kill -0 "$webpid" 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 50 ] || fail "web did not stop on SIGTERM"
	sleep 0.1
done
wait "$webpid"
[ $? -eq 0 ] || fail "web: exit status after SIGTERM"

# ---- TLS: the same console behind web_tls_cert / web_tls_key (when openssl can make a cert)
if command -v openssl >/dev/null 2>&1 &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-keyout "$T/web.key" -out "$T/web.pem" >/dev/null 2>&1; then
	cp "$cfg" "$T/tls.conf"
	printf 'web_tls_cert = %s\nweb_tls_key = %s\n' "$T/web.pem" "$T/web.key" >>"$T/tls.conf"
	tport=$(free_port)
	rw_bg "$RW" --config "$T/tls.conf" web --listen "127.0.0.1:$tport" 2>"$T/tls.log"
	tlspid=$RW_LASTPID
	wait_port 127.0.0.1 "$tport" 10 || { cat "$T/tls.log"; fail "TLS web not listening"; }
	python3 - "$tport" "$token" <<'PY' || { cat "$T/tls.log"; fail "TLS"; }
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
req = urllib.request.Request("https://127.0.0.1:%s/api/v1/scans" % sys.argv[1],
                             headers={"Authorization": "Bearer " + sys.argv[2]})
with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
    o = json.load(r)
assert o["total"] == 1, o
try:  # plain HTTP to the TLS listener gets no HTTP answer
    urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5)
    sys.exit("plain HTTP answered on the TLS listener")
except Exception:
    pass
PY
	kill -TERM "$tlspid"
	wait "$tlspid" || fail "TLS web: exit status after SIGTERM"
	echo "web_api: TLS ok"
	# a key without a certificate refuses to start
	printf 'web_tls_key = %s\n' "$T/web.key" >"$T/half.conf"
	"$RW" --config "$T/half.conf" web --db "$db" --listen "127.0.0.1:$tport" 2>"$T/half.err"
	[ $? -eq 3 ] && grep -q "go together" "$T/half.err" ||
		{ cat "$T/half.err"; fail "web_tls_key alone: want exit 3"; }
fi
echo "web_api: ok"
exit 0
