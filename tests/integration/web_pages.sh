#!/bin/sh
# web_pages.sh - the console's HTML pages over `relaywatch web`.
# Peers: relaywatch-lab (open, closed-rcpt, auth-required, not-smtp) on
# 127.10.7.1-4 and a hostile SMTP peer (python3) on 127.10.7.5 whose
# banner is `<script>alert(1)</script>"'`, all at one free port, scanned
# with the lab's sink into a store; complaints open incidents about the
# open relay (.1) and the hostile host (.5) under the university policy;
# the fixture adds an applied block. Users: an operator and a viewer.
# With curl and a cookie jar: GET / without a session is 303 /login; a
# wrong password is refused (401), the right one sets rw_session
# (HttpOnly, SameSite=Strict); every page is 200 and names the expected
# incident or address; no page body carries a literal "<script"; a form
# POST without the CSRF token is 403; a viewer's POST is 403; the
# operator's note shows in the timeline with the user's name; the owner
# page with the right token is 200 with repair advice, a wrong token 404
# with no data; its retest button is accepted once (303), refused at
# once again (429); the first notice links to the owner page
# ({{owner_url}}, a template copy). Headless Chromium (when installed and quick) loads the
# login and owner pages (--dump-dom) and takes screenshots into
# $RW_BUILD/web-shots/ of those and of the signed-in pages curl saved.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v curl >/dev/null 2>&1 || skip "no curl"
repo=$(cd "$here/../.." && pwd)
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 60"
db="$T/w.db"
cfg="$T/relaywatch.conf"
key_file "$T/key"
# the templates, with the owner's link in the first notice
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

# ---- the peers: the lab and the hostile banner
port=$(free_port)
sink=$(free_port)
rw_bg "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test --base 127.10.7.1 \
	--port "$port" --profiles open,closed-rcpt,auth-required,not-smtp --truth "$T/truth" \
	>"$T/lab.out" 2>"$T/lab.log"
labpid=$RW_LASTPID
rw_bg python3 "$here/lib/hostile_smtp.py" 127.10.7.5 "$port" >"$T/hostile.out" 2>"$T/hostile.log"
hostilepid=$RW_LASTPID
n=0
until grep -qx ready "$T/lab.out" 2>/dev/null && grep -qx ready "$T/hostile.out" 2>/dev/null; do
	kill -0 "$labpid" 2>/dev/null || { cat "$T/lab.log"; fail "lab exited before ready"; }
	kill -0 "$hostilepid" 2>/dev/null || { cat "$T/hostile.log"; fail "hostile peer exited"; }
	n=$((n + 1))
	[ $n -lt 150 ] || fail "peers not ready after 15s"
	sleep 0.1
done
$limit "$RW" scan --allow-reserved --token-key "$T/key" --canary canary.lab.test \
	--sink-listen "127.0.0.1:$sink" --ports "$port" --timeout 4 --wait 3 \
	--session-timeout 30 --seed 7 --db "$db" 127.10.7.0/29 >"$T/scan.out" 2>"$T/scan.err"
[ $? -eq 1 ] || { cat "$T/scan.err"; fail "scan: want exit 1 (the open relay)"; }
kill "$labpid" "$hostilepid" 2>/dev/null
python3 - "$db" <<'PY' || { cat "$T/scan.out"; fail "the hostile banner was not recorded"; }
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(
    "SELECT evidence FROM results WHERE target = '127.10.7.5'").fetchone()
sys.exit(0 if row and "<script>alert(1)</script>" in row[0] else 1)
PY

# ---- the desk: incidents about the open relay and the hostile host, a block
printf 'cidr,customer,emails,account\n127.10.7.0/24,Lab <b>Dept</b>,admin@desk.test,U-7\n' >"$T/owners.csv"
"$RW" contacts import --db "$db" "$T/owners.csv" >/dev/null || fail "contacts import"
rw complaint add 127.10.7.1 --from alice@example.org >/dev/null 2>"$T/c1.err" ||
	{ cat "$T/c1.err"; fail "complaint add"; }
rw complaint add 127.10.7.5 --from bob@example.org >/dev/null 2>"$T/c2.err" ||
	{ cat "$T/c2.err"; fail "second complaint add"; }
python3 - "$db" <<'PY' || fail "fixture rows"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
inc = db.execute("SELECT id FROM incidents WHERE addr = '127.10.7.5'").fetchone()[0]
db.execute("INSERT INTO actions (incident, kind, what, addr, state, requested_ms, applied_ms)"
           " VALUES (?, 'block', 'inbound', '127.10.7.5', 'applied', 1700000000000,"
           " 1700000001000)", (inc,))
db.commit()
PY
inc1=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM incidents WHERE addr='127.10.7.1'\").fetchone()[0])" "$db")
inc5=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM incidents WHERE addr='127.10.7.5'\").fetchone()[0])" "$db")

# ---- users
echo "op-password-1" | rw user add oper --role operator >/dev/null 2>"$T/u1.err" ||
	{ cat "$T/u1.err"; fail "user add oper"; }
echo "view-password-1" | rw user add viewer1 --role viewer >/dev/null 2>"$T/u2.err" ||
	{ cat "$T/u2.err"; fail "user add viewer1"; }

# ---- the console
wport=$(free_port)
rw_bg "$RW" --config "$cfg" web --listen "127.0.0.1:$wport" >"$T/web.out" 2>"$T/web.log"
webpid=$RW_LASTPID
wait_port 127.0.0.1 "$wport" 10 || { cat "$T/web.log"; fail "web not listening"; }
grep -q "owner_pages=yes" "$T/web.log" || { cat "$T/web.log"; fail "owner pages not enabled"; }
base="http://127.0.0.1:$wport"
bad=0
check() { # what, condition (exit status of the previous command)
	if [ "$2" -ne 0 ]; then echo "FAIL: $1"; bad=$((bad + 1)); fi
}
# code JAR METHOD PATH [curl args] - the status; the body in $T/body, headers in $T/hdr
code() {
	jar=$1 m=$2 p=$3
	shift 3
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -b "$jar" -c "$jar" -X "$m" "$@" "$base$p"
}
noscript() { ! grep -qi '<script' "$T/body"; }

# unauthenticated: 303 to /login
c=$(code "$T/anon" GET /)
[ "$c" = 303 ] && grep -qi '^location: /login' "$T/hdr"
check "GET / without a session: got $c, want 303 /login" $?
c=$(code "$T/anon" GET /incidents/$inc1)
[ "$c" = 303 ]
check "GET /incidents without a session: got $c" $?
c=$(code "$T/anon" GET /login)
[ "$c" = 200 ] && grep -q 'name="password"' "$T/body"
check "GET /login: got $c" $?
c=$(code "$T/anon" GET /static/style.css)
[ "$c" = 200 ] && grep -qi '^content-type: text/css' "$T/hdr"
check "the style sheet: got $c" $?

# login: wrong, then right
c=$(code "$T/op" POST /login --data-urlencode user=oper --data-urlencode password=wrong)
[ "$c" = 401 ] && ! grep -q rw_session "$T/op"
check "wrong password: got $c, want 401 and no cookie" $?
c=$(code "$T/op" POST /login --data-urlencode user=oper --data-urlencode password=op-password-1)
[ "$c" = 303 ] && grep -qi '^set-cookie: rw_session=[0-9a-f]\{64\}; HttpOnly; SameSite=Strict; Path=/' "$T/hdr"
check "right password: got $c, want 303 and the cookie" $?
c=$(code "$T/vw" POST /login --data-urlencode user=viewer1 --data-urlencode password=view-password-1)
[ "$c" = 303 ]
check "viewer login: got $c" $?

# every page: 200, what it should name, nothing unescaped
page() { # jar path want-text...
	jar=$1 p=$2
	shift 2
	c=$(code "$jar" GET "$p")
	[ "$c" = 200 ]
	check "GET $p: got $c, want 200" $?
	for w in "$@"; do
		grep -qF -- "$w" "$T/body"
		check "GET $p: no '$w' in the page" $?
	done
	noscript
	check "GET $p: a literal <script in the page" $?
	cp "$T/body" "$T/page$(echo "$p" | tr -c 'a-zA-Z0-9' _).html"
}
page "$T/op" / "Overview" "127.10.7.1" "127.10.7.5" "open relays" "<svg" "median time to repair"
page "$T/op" /scans "/scans/1"
page "$T/op" /scans/1 "127.10.7.1" "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"
page "$T/op" "/scans/1?verdict=open&probe=smtp" "127.10.7.1"
page "$T/op" "/hosts?q=127.10.7.5" "&lt;script&gt;alert(1)" "#$inc5"
page "$T/op" "/hosts?q=127.10.7.0/29" "127.10.7.1" "127.10.7.5"
page "$T/op" /incidents "#$inc1" "#$inc5"
page "$T/op" "/incidents/$inc1" "127.10.7.1" "Timeline" "Evidence" 'class="path"' 'class="hop"' \
	"Retest now" 'name="csrf"'
page "$T/op" "/incidents/$inc5" "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"
page "$T/op" /blocks "127.10.7.5" "#$inc5" "inbound"
page "$T/op" /dnsbl "DNSBL"
page "$T/vw" "/incidents/$inc1" "127.10.7.1"
! grep -q 'name="csrf" value="[0-9a-f]\{64\}"><button>Retest' "$T/body"
check "a viewer sees no forms" $?
c=$(code "$T/op" GET /hosts?q=not-an-address)
[ "$c" = 400 ]
check "host: a bad address: got $c" $?
c=$(code "$T/op" GET /incidents/9999)
[ "$c" = 404 ]
check "no incident 9999: got $c" $?

# forms: CSRF, viewer, the operator's note
c=$(code "$T/op" GET "/incidents/$inc1")
csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//; s/"//')
[ ${#csrf} -eq 64 ]
check "a CSRF token in the operator's page" $?
c=$(code "$T/op" POST "/incidents/$inc1/note" --data-urlencode "text=no token")
[ "$c" = 403 ]
check "note without CSRF: got $c, want 403" $?
c=$(code "$T/op" POST "/incidents/$inc1/note" --data-urlencode "text=bad token" \
	--data-urlencode "csrf=$(printf '%064d' 0)")
[ "$c" = 403 ]
check "note with a wrong CSRF: got $c, want 403" $?
c=$(code "$T/vw" GET "/incidents/$inc1")
vcsrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//; s/"//')
c=$(code "$T/vw" POST "/incidents/$inc1/note" --data-urlencode "text=viewer note" \
	--data-urlencode "csrf=$vcsrf")
[ "$c" = 403 ]
check "a viewer's note: got $c, want 403" $?
c=$(code "$T/op" POST "/incidents/$inc1/note" --data-urlencode "text=called the <admin> & left word" \
	--data-urlencode "csrf=$csrf")
[ "$c" = 303 ] && grep -qi "^location: /incidents/$inc1?done=note" "$T/hdr"
check "operator's note: got $c, want 303" $?
page "$T/op" "/incidents/$inc1" "<b>oper</b> called the &lt;admin&gt; &amp; left word"
grep -c "viewer note\|no token\|bad token" "$T/body" | grep -qx 0
check "refused notes left no trace" $?
c=$(code "$T/op" POST "/incidents/$inc1/retest" --data-urlencode "csrf=$csrf")
[ "$c" = 303 ]
check "operator's retest: got $c" $?

# the owner's page
tok=$(python3 - "$T/key" "$inc5" <<'PY'
import hmac, hashlib, sys
key = bytes.fromhex(open(sys.argv[1]).read().strip())
mac = hmac.new(key, ("owner|%s" % sys.argv[2]).encode(), hashlib.sha256).hexdigest()[:32]
print("%s-%s" % (sys.argv[2], mac))
PY
)
python3 - "$db" "$inc5" "https://desk.test:8443/owner/$tok" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT body FROM outbox WHERE incident = ?", (int(sys.argv[2]),)).fetchall()
sys.exit(0 if any(sys.argv[3] in r[0] for r in rows) else 1)
PY
check "the first notice carries {{owner_url}}" $?
c=$(code "$T/anon" GET "/owner/$tok")
[ "$c" = 200 ] && grep -q "How to repair it" "$T/body" && grep -q "127.10.7.5" "$T/body" &&
	grep -q "Request a retest" "$T/body" && noscript
check "owner page: got $c, want 200 with advice" $?
cp "$T/body" "$T/owner.html"
wrong=$(echo "$tok" | sed 's/.$/0/')
[ "$wrong" != "$tok" ] || wrong=$(echo "$tok" | sed 's/.$/1/')
for w in "$wrong" "$inc5" "$inc5-" "x" "$inc1-$(echo "$tok" | sed 's/^[0-9]*-//')"; do
	c=$(code "$T/anon" GET "/owner/$w")
	[ "$c" = 404 ] && ! grep -q "127.10.7" "$T/body"
	check "owner page, wrong token $w: got $c, want 404 and no data" $?
done
c=$(code "$T/anon" POST "/owner/$wrong/retest")
[ "$c" = 404 ]
check "owner retest with a wrong token: got $c" $?
c=$(code "$T/anon" POST "/owner/$tok/retest")
[ "$c" = 303 ] || [ "$c" = 200 ]
check "owner retest: got $c, want 303" $?
c=$(code "$T/anon" POST "/owner/$tok/retest")
[ "$c" = 429 ]
check "owner retest again at once: got $c, want 429" $?
page "$T/op" "/incidents/$inc5" "<b>owner</b>"

# logout: the session is gone
c=$(code "$T/op" POST /logout --data-urlencode "csrf=$csrf")
[ "$c" = 303 ]
check "logout: got $c" $?
c=$(code "$T/op" GET /)
[ "$c" = 303 ]
check "after logout: got $c, want 303" $?

# ---- headless Chromium: the pages without a login, their DOM and screenshots
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
	echo "web_pages: chromium not installed, the browser checks skipped"
else
	shots="$RW_BUILD/web-shots"
	mkdir -p "$shots"
	cr() { timeout -k 5 30 "$chrome" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$T/chrome" --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-default-apps \
		--disable-domain-reliability --no-proxy-server "$@" 2>>"$T/chrome.log"; }
	t0=$(date +%s)
	if cr --dump-dom "$base/login" >"$T/dom-login.html" &&
		[ $(($(date +%s) - t0)) -le 20 ]; then
		grep -q 'name="password"' "$T/dom-login.html"
		check "chromium: the login form in the DOM" $?
		cr --dump-dom "$base/owner/$tok" >"$T/dom-owner.html"
		grep -q "How to repair it" "$T/dom-owner.html" && ! grep -qi "<script" "$T/dom-owner.html"
		check "chromium: the owner page's DOM (advice, no script element)" $?
		cr --screenshot="$shots/login.png" --window-size=1280,900 "$base/login" >/dev/null
		cr --screenshot="$shots/owner.png" --window-size=1280,900 "$base/owner/$tok" >/dev/null
		[ -s "$shots/login.png" ] && [ -s "$shots/owner.png" ]
		check "chromium: screenshots in $shots" $?
		# the signed-in pages as curl fetched them, drawn from files (the
		# style sheet from the console): chromium sends no session cookie
		for f in "$T"/page_*.html; do
			n=$(basename "$f" .html)
			sed "s|<head>|<head><base href=\"$base/\">|" "$f" >"$shots/$n.html"
			cr --screenshot="$shots/$n.png" --window-size=1280,900 "file://$shots/$n.html" >/dev/null
			[ -s "$shots/$n.png" ]
			check "chromium: screenshot of $n" $?
		done
	else
		echo "web_pages: chromium did not answer within 20 s, the browser checks skipped"
		tail -5 "$T/chrome.log"
	fi
fi

kill -TERM "$webpid"
wait "$webpid"
[ $? -eq 0 ] || fail "web: exit status after SIGTERM"
[ $bad -eq 0 ] || { tail -20 "$T/web.log"; fail "$bad checks failed"; }
echo "web_pages: ok"
exit 0
