#!/bin/sh
# web_browser.sh - the console in a real browser, and the API against its
# own OpenAPI document.
# Seeding as web_pages.sh (on 127.10.9.0/29): relaywatch-lab (open,
# closed-rcpt, auth-required, not-smtp) on .1-.4 and a hostile SMTP peer
# (python3) on .5 whose banner is `<script>alert(1)</script>"'`, scanned
# into a store (scan 1); a second lab host on .6 with the proxy-http-open
# profile, scanned with `--probe proxy` (scan 2, an open proxy);
# complaints open incidents about .1 and .5 under the university policy;
# the fixture adds an applied block. An operator user and an API token.
# The API (python3 stdlib): /api/v1/openapi.json, then every path the
# document lists is fetched at least once (and a few errors), each
# response checked against the document's schema for that path and status
# (a small validator: $ref, allOf, type, nullable, enum, required,
# properties, items, additionalProperties).
# The browser: headless Chromium driven through chromedriver with W3C
# WebDriver over urllib (no selenium): sign in through the login form,
# then every page (overview, scans, each scan, hosts, incidents, each
# incident, blocks, DNSBL, the owner page): the DOM holds the expected
# ids/addresses/evidence, the hostile banner is shown as text, no <script>
# element is in the DOM (document.getElementsByTagName('script')), and a
# screenshot goes to $RW_BUILD/web-shots/browser-NAME.png; an operator's
# note typed into the incident page's form appears in the timeline with
# the user's name. Without chromium/chromedriver the browser part is
# skipped (77) unless RW_STRICT=1. Chromedriver runs in its own process
# group; it and every chromium of this test's profile are killed on exit.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
repo=$(cd "$here/../.." && pwd)
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 60"
tstart=$(date +%s)
db="$T/w.db"
cfg="$T/relaywatch.conf"
key_file "$T/key"
cp -R "$repo/contrib/templates" "$T/tpl"
printf '{{#if owner_url}}\nYour page: {{owner_url}}\n{{/if}}\n' >>"$T/tpl/complaint-received.tpl"
cat >"$cfg" <<EOF2
policy = $repo/contrib/policies/university.conf
templates = $T/tpl
notify_from = Abuse desk <abuse@desk.test>
incident_url = https://desk.test:8443/incidents/
db = $db
token_key = $T/key
EOF2
rw() { "$RW" --config "$cfg" "$@"; }
unset SUDO_USER
USER=alice; export USER

# ---- the browser's processes: chromedriver (own process group) and chromium
cdpid=""
browser_cleanup() {
	if [ -n "$cdpid" ]; then
		kill -TERM -- "-$cdpid" 2>/dev/null
		kill -TERM "$cdpid" 2>/dev/null
	fi
	# any chromium still running with this test's profile directory
	for d in /proc/[0-9]*; do
		case $(cat "$d/cmdline" 2>/dev/null | tr '\0' ' ') in
		*"--user-data-dir=$T/chrome-prof"*) kill -9 "${d#/proc/}" 2>/dev/null ;;
		esac
	done
	[ -z "$cdpid" ] || kill -9 -- "-$cdpid" 2>/dev/null
}
trap 'browser_cleanup; rw_cleanup' EXIT
trap 'exit 1' INT TERM

# ---- the peers: the lab, the hostile banner, an open proxy
port=$(free_port)
sink=$(free_port)
psink=$(free_port)
rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.10.9.1 \
	--port "$port" --profiles open,closed-rcpt,auth-required,not-smtp --truth "$T/truth" \
	>"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
rw_bg "$RWLAB" --sink "127.0.0.1:$psink" --canary canary.lab.test --base 127.10.9.6 \
	--port "$port" --profiles proxy-http-open --truth "$T/ptruth" \
	>"$T/plab.out" 2>"$T/plab.log"
plabpid=$RW_LASTPID
rw_bg python3 "$here/lib/hostile_smtp.py" 127.10.9.5 "$port" >"$T/hostile.out" 2>"$T/hostile.log"
hostilepid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null && grep -qx ready "$T/plab.out" 2>/dev/null &&
	grep -qx ready "$T/hostile.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	kill -0 "$plabpid" 2>/dev/null || { cat "$T/plab.log"; fail "proxy lab exited before ready"; }
	kill -0 "$hostilepid" 2>/dev/null || { cat "$T/hostile.log"; fail "hostile peer exited"; }
	n=$((n + 1))
	[ $n -lt 150 ] || fail "peers not ready after 15s"
	sleep 0.1
done
$limit "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$sink" --ports "$port" --timeout 4 --wait 3 \
	--session-timeout 30 --seed 7 --db "$db" 127.10.9.0/29 >"$T/scan.out" 2>"$T/scan.err"
[ $? -eq 1 ] || { cat "$T/scan.err"; fail "scan: want exit 1 (the open relay)"; }
$limit "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$psink" --probe proxy --ports "$port" --timeout 4 \
	--proxy-timeout 6 --wait 3 --session-timeout 30 --seed 8 --db "$db" 127.10.9.6/32 \
	>"$T/pscan.out" 2>"$T/pscan.err"
[ $? -eq 1 ] || { cat "$T/pscan.err"; fail "proxy scan: want exit 1 (the open proxy)"; }
kill "$labpid" "$plabpid" "$hostilepid" 2>/dev/null
python3 - "$db" <<'PY' || { cat "$T/scan.out" "$T/pscan.out"; fail "the store lacks the hostile banner or the open proxy"; }
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT evidence FROM results WHERE target = '127.10.9.5'").fetchone()
px = db.execute("SELECT verdict FROM results WHERE target = '127.10.9.6' AND probe = 'proxy'"
                " AND scan = 2").fetchone()
sys.exit(0 if row and "<script>alert(1)</script>" in row[0] and px and px[0] == "open" else 1)
PY

# ---- the desk: incidents about the open relay and the hostile host, a block
printf 'cidr,customer,emails,account\n127.10.9.0/24,Lab <b>Dept</b>,admin@desk.test,U-7\n' >"$T/owners.csv"
"$RW" contacts import --db "$db" "$T/owners.csv" >/dev/null || fail "contacts import"
rw complaint add 127.10.9.1 --from alice@example.org >/dev/null 2>"$T/c1.err" ||
	{ cat "$T/c1.err"; fail "complaint add"; }
rw complaint add 127.10.9.5 --from bob@example.org >/dev/null 2>"$T/c2.err" ||
	{ cat "$T/c2.err"; fail "second complaint add"; }
python3 - "$db" <<'PY' || fail "fixture rows"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
inc = db.execute("SELECT id FROM incidents WHERE addr = '127.10.9.5'").fetchone()[0]
db.execute("INSERT INTO actions (incident, kind, what, addr, state, requested_ms, applied_ms)"
           " VALUES (?, 'block', 'inbound', '127.10.9.5', 'applied', 1700000000000,"
           " 1700000001000)", (inc,))
db.commit()
PY
inc1=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM incidents WHERE addr='127.10.9.1'\").fetchone()[0])" "$db")
inc5=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM incidents WHERE addr='127.10.9.5'\").fetchone()[0])" "$db")
tok=$(python3 - "$T/key" "$inc5" <<'PY'
import hmac, hashlib, sys
key = bytes.fromhex(open(sys.argv[1]).read().strip())
mac = hmac.new(key, ("owner|%s" % sys.argv[2]).encode(), hashlib.sha256).hexdigest()[:32]
print("%s-%s" % (sys.argv[2], mac))
PY
)

# ---- the operator and an API token
echo "op-password-1" | rw user add oper --role operator >/dev/null 2>"$T/u1.err" ||
	{ cat "$T/u1.err"; fail "user add oper"; }
apitok=$(rw user token add oper 2>"$T/tok.err" | grep -o 'rwt_[0-9a-f]\{64\}' | head -1)
[ -n "$apitok" ] || { cat "$T/tok.err"; fail "user token add printed no rwt_ token"; }
tseed=$(date +%s)

# ---- the console
wport=$(free_port)
rw_bg "$RW" --config "$cfg" web --listen "127.0.0.1:$wport" >"$T/web.out" 2>"$T/web.log"
webpid=$RW_LASTPID
wait_port 127.0.0.1 "$wport" 10 || { cat "$T/web.log"; fail "web not listening"; }
base="http://127.0.0.1:$wport"

# ---- the API against the OpenAPI document
python3 - "$base" "$apitok" "$inc1" "$inc5" <<'PY' || { tail -20 "$T/web.log"; fail "the API does not match its OpenAPI document"; }
import json, sys, urllib.request, urllib.error
base, token, inc1, inc5 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()

code, ctype, body = get("/api/v1/openapi.json")
doc = json.loads(body)
assert code == 200 and doc.get("openapi", "").startswith("3."), (code, doc.get("openapi"))
KNOWN = {"$ref", "type", "nullable", "required", "properties", "items", "allOf",
         "additionalProperties", "enum", "description", "format", "example", "minimum",
         "maximum", "title"}
unknown = set()

def resolve(x):
    seen = 0
    while isinstance(x, dict) and "$ref" in x:
        ref = x["$ref"]
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        x, seen = node, seen + 1
        assert seen < 20, "a $ref loop at " + ref
    return x

TYPES = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
         "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
         "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
         "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}

def validate(v, s, where, errs):
    s = resolve(s)
    unknown.update(set(s) - KNOWN)
    if v is None:
        if not s.get("nullable") and s.get("type") is not None:
            errs.append("%s: null, schema type %s (not nullable)" % (where, s.get("type")))
        return
    for sub in s.get("allOf", []):
        validate(v, sub, where, errs)
    t = s.get("type")
    if t and not TYPES[t](v):
        errs.append("%s: %r is not %s" % (where, v if len(repr(v)) < 80 else type(v).__name__, t))
        return
    if "enum" in s and v not in s["enum"]:
        errs.append("%s: %r not in %r" % (where, v, s["enum"]))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append("%s: required %r missing" % (where, k))
        props = s.get("properties", {})
        for k, sub in props.items():
            if k in v:
                validate(v[k], sub, where + "." + k, errs)
        ap = s.get("additionalProperties", True)
        for k in set(v) - set(props):
            if ap is False and not s.get("allOf"):
                errs.append("%s: extra property %r" % (where, k))
            elif isinstance(ap, dict):
                validate(v[k], ap, where + "." + k, errs)
    if isinstance(v, list) and "items" in s:
        for i, e in enumerate(v):
            validate(e, s["items"], "%s[%d]" % (where, i), errs)

# each documented path, with the concrete requests that exercise it
examples = {
    "/api/v1/openapi.json": ["/api/v1/openapi.json"],
    "/api/v1/scans": ["/api/v1/scans", "/api/v1/scans?limit=1&offset=1"],
    "/api/v1/scans/{id}": ["/api/v1/scans/1", "/api/v1/scans/2", "/api/v1/scans/99",
                           "/api/v1/scans/x"],
    "/api/v1/scans/{id}/results": ["/api/v1/scans/1/results?limit=100",
                                   "/api/v1/scans/2/results", "/api/v1/scans/1/results?verdict=open",
                                   "/api/v1/scans/1/results?limit=2&offset=1",
                                   "/api/v1/scans/1/results?verdict=bogus"],
    "/api/v1/hosts/{addr}": ["/api/v1/hosts/127.10.9.5", "/api/v1/hosts/127.10.9.6",
                             "/api/v1/hosts/127.10.9.1", "/api/v1/hosts/2001:db8::1",
                             "/api/v1/hosts/not-an-address"],
    "/api/v1/incidents": ["/api/v1/incidents", "/api/v1/incidents?state=open",
                          "/api/v1/incidents?state=bogus"],
    "/api/v1/incidents/{id}": ["/api/v1/incidents/%d" % inc1, "/api/v1/incidents/%d" % inc5,
                               "/api/v1/incidents/9999"],
    "/api/v1/blocks": ["/api/v1/blocks"],
    "/api/v1/dnsbl": ["/api/v1/dnsbl"],
    "/metrics": ["/metrics"],
}
bad, n, exercised = [], 0, set()
for path in sorted(doc.get("paths", {})):
    op = doc["paths"][path].get("get")
    if op is None:
        bad.append("%s: no get operation" % path)
        continue
    if path not in examples:
        bad.append("%s: listed in the document, not exercised by this test" % path)
        continue
    for url in examples[path]:
        code, ctype, body = get(url)
        n += 1
        resp = op.get("responses", {}).get(str(code)) or op.get("responses", {}).get("default")
        if resp is None:
            bad.append("%s: status %d not documented (%s)" % (url, code, sorted(op["responses"])))
            continue
        resp = resolve(resp)
        mt = ctype.split(";")[0].strip()
        content = resp.get("content", {})
        if mt not in content:
            bad.append("%s: %d %s, documented %s" % (url, code, mt, sorted(content)))
            continue
        schema = content[mt].get("schema")
        if mt == "application/json":
            try:
                v = json.loads(body)
            except ValueError as e:
                bad.append("%s: not JSON: %s" % (url, e))
                continue
            if schema is not None:
                errs = []
                validate(v, schema, "%s(%d)" % (url, code), errs)
                bad.extend(errs)
        elif schema is not None:
            errs = []
            validate(body.decode(), schema, "%s(%d)" % (url, code), errs)
            bad.extend(errs)
        exercised.add(path)
        print("  api %-45s %d %s" % (url, code, mt))
missing = set(doc.get("paths", {})) - exercised
if missing:
    bad.append("documented paths never exercised: %s" % sorted(missing))
for p in examples:
    if p not in doc.get("paths", {}):
        bad.append("%s: served, not in the document" % p)
if unknown:
    print("  (schema keywords the validator ignores: %s)" % sorted(unknown))
if bad:
    print("\n".join("FAIL: " + b for b in bad))
    sys.exit(1)
print("web_browser: %d API responses match the OpenAPI document (%d paths)" % (n, len(exercised)))
PY
tapi=$(date +%s)

# ---- the browser
chrome=$(command -v chromium || command -v chromium-browser || true)
driver=$(command -v chromedriver || true)
if [ -z "$chrome" ] || [ -z "$driver" ]; then
	[ "${RW_STRICT:-0}" = 1 ] && fail "chromium or chromedriver missing (RW_STRICT=1)"
	skip "chromium or chromedriver missing (the API checks passed)"
fi
command -v setsid >/dev/null 2>&1 || skip "no setsid"
shots="$RW_BUILD/web-shots"
mkdir -p "$shots"
# a free port can be taken before chromedriver binds it: up to three tries
try=0
while :; do
	try=$((try + 1))
	cdport=$(free_port)
	rw_bg setsid "$driver" --port="$cdport" --allowed-ips=127.0.0.1 \
		--log-path="$T/chromedriver.log" >"$T/chromedriver.out" 2>&1
	cdpid=$RW_LASTPID
	n=0
	while kill -0 "$cdpid" 2>/dev/null && [ $n -lt 150 ] &&
		! grep -q "started successfully" "$T/chromedriver.out"; do
		n=$((n + 1))
		sleep 0.1
	done
	grep -q "started successfully" "$T/chromedriver.out" && kill -0 "$cdpid" 2>/dev/null &&
		wait_port 127.0.0.1 "$cdport" 5 && break
	browser_cleanup
	cdpid=""
	[ $try -lt 3 ] || { cat "$T/chromedriver.out"; fail "chromedriver did not start"; }
done

python3 - "$base" "$cdport" "$chrome" "$T/chrome-prof" "$shots" "$inc1" "$inc5" "$tok" <<'PY' || { tail -20 "$T/web.log"; fail "the browser checks"; }
import base64, json, sys, time, urllib.request, urllib.error
base, cdport, chrome, prof, shots, inc1, inc5, tok = sys.argv[1:9]
wd = "http://127.0.0.1:%s" % cdport
ELEM = "element-6066-11e4-a52e-4f735466cecf"
bad = []

def call(method, path, body=None, timeout=60):
    if body is None and method == "POST":
        body = {}
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(wd + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())["value"]
    except urllib.error.HTTPError as e:
        raise RuntimeError("%s %s: %d %s" % (method, path, e.code, e.read()[:300]))

def check(what, cond):
    if not cond:
        bad.append(what)
        print("FAIL: " + what)

t0 = time.time()
caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
    "binary": chrome,
    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
             "--user-data-dir=" + prof, "--no-first-run", "--disable-dev-shm-usage",
             # loopback only: no background fetches (updates, sync, metrics)
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-default-apps", "--disable-domain-reliability",
             "--no-proxy-server"]}}}}
sess = call("POST", "/session", caps, timeout=90)
sid = sess["sessionId"]
S = "/session/" + sid
print("  chromium %s up in %.1fs" % (sess["capabilities"].get("browserVersion"), time.time() - t0))
try:
    call("POST", S + "/timeouts", {"pageLoad": 20000, "script": 5000, "implicit": 0})

    def go(path):
        call("POST", S + "/url", {"url": base + path})

    def find(css):
        v = call("POST", S + "/element", {"using": "css selector", "value": css})
        if ELEM not in v:
            raise RuntimeError("find %s: %r" % (css, v))
        return v[ELEM]

    def js(script, *args):
        return call("POST", S + "/execute/sync", {"script": script, "args": list(args)})

    def wait_url(pred, what, secs=15):
        end = time.time() + secs
        while time.time() < end:
            u = call("GET", S + "/url")
            if pred(u) and js("return document.readyState") == "complete":
                return u
            time.sleep(0.1)
        check("%s: still at %s after %ds" % (what, call("GET", S + "/url"), secs), False)
        return None

    def shoot(name):
        png = base64.b64decode(call("GET", S + "/screenshot"))
        f = "%s/browser-%s.png" % (shots, name)
        with open(f, "wb") as fh:
            fh.write(png)
        check("screenshot %s is a PNG" % name, png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000)
        print("  " + f)

    def page(name, path, words=(), texts=()):
        t = time.time()
        go(path)
        src = call("GET", S + "/source")
        check("%s: the page is not the login form" % path,
              path.startswith(("/owner/", "/login")) or 'name="password"' not in src)
        for w in words:
            check("%s: no %r in the DOM" % (path, w), w in src)
        if texts:
            body = js("return document.body.innerText")
            for w in texts:
                check("%s: no %r in the text shown" % (path, w), w in body)
        n = js("return document.getElementsByTagName('script').length")
        check("%s: %r script elements in the DOM, want 0" % (path, n), n == 0)
        h = js("return document.querySelectorAll('[onerror],[onload],[onclick],[onmouseover],iframe,object,embed').length")
        check("%s: %r event-handler attributes or embeds in the DOM" % (path, h), h == 0)
        shoot(name)
        print("    %s %s %.2fs" % (name, path, time.time() - t))
        return src

    # sign in through the form
    page("login", "/login", ['name="user"', 'name="password"'])
    call("POST", S + "/element/%s/value" % find('input[name="user"]'), {"text": "oper"})
    call("POST", S + "/element/%s/value" % find('input[name="password"]'), {"text": "op-password-1"})
    call("POST", S + "/element/%s/click" % find('form[action="/login"] button'))
    wait_url(lambda u: not u.endswith("/login"), "login")
    cookies = call("GET", S + "/cookie")
    check("the rw_session cookie after sign-in",
          any(c["name"] == "rw_session" and c.get("httpOnly") for c in cookies))
    hostile_dom = "&lt;script&gt;alert(1)&lt;/script&gt;"
    hostile_txt = "<script>alert(1)</script>\"'"
    page("overview", "/", ["Overview", "127.10.9.1", "127.10.9.5", "open relays", "<svg",
                           "median time to repair"])
    page("scans", "/scans", ['/scans/1"', '/scans/2"'])
    page("scan-1", "/scans/1", ["127.10.9.1", "127.10.9.5", hostile_dom], [hostile_txt])
    page("scan-2", "/scans/2", ["127.10.9.6", "open"])
    page("hosts-hostile", "/hosts?q=127.10.9.5", [hostile_dom, "#" + inc5], [hostile_txt])
    page("hosts-proxy", "/hosts?q=127.10.9.6", ["127.10.9.6", "open"])
    page("hosts-net", "/hosts?q=127.10.9.0/29", ["127.10.9.1", "127.10.9.5", "127.10.9.6"])
    page("incidents", "/incidents", ["#" + inc1, "#" + inc5])
    page("incident-" + inc1, "/incidents/" + inc1,
         ["127.10.9.1", "Timeline", "Evidence", 'class="path"', 'class="hop"', "Retest now",
          'name="csrf"'])
    page("incident-" + inc5, "/incidents/" + inc5, ["127.10.9.5", hostile_dom], [hostile_txt])
    page("blocks", "/blocks", ["127.10.9.5", "#" + inc5, "inbound"])
    page("dnsbl", "/dnsbl", ["DNSBL"])
    page("owner", "/owner/" + tok, ["How to repair it", "127.10.9.5", "Request a retest"])

    # an operator's note through the incident page's form
    go("/incidents/" + inc1)
    note = "browser note <x> & \"q\""
    call("POST", S + "/element/%s/value" % find('form[action="/incidents/%s/note"] input[name="text"]' % inc1),
         {"text": note})
    call("POST", S + "/element/%s/click" % find('form[action="/incidents/%s/note"] button' % inc1))
    wait_url(lambda u: "done=note" in u, "the note's redirect")
    src = page("incident-%s-note" % inc1, "/incidents/%s?done=note" % inc1,
               ["<b>oper</b> browser note &lt;x&gt; &amp; \"q\""], ["oper browser note <x> & \"q\""])
finally:
    try:
        call("DELETE", S, timeout=20)
    except Exception as e:
        print("session delete: %s" % e)
print("web_browser: browser pages in %.1fs" % (time.time() - t0))
sys.exit(1 if bad else 0)
PY
rc=$?
tbrowser=$(date +%s)
[ $rc -eq 0 ] || fail "the browser checks"

kill -TERM "$webpid"
wait "$webpid"
[ $? -eq 0 ] || fail "web: exit status after SIGTERM"
echo "web_browser: ok (seed $((tseed - tstart))s, api $((tapi - tseed))s, browser $((tbrowser - tapi))s)"
exit 0
