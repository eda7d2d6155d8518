#!/bin/sh
# web_owner_retest.sh - issue 8's owner page end to end in the daemon: a
# wrong token gets 404 and no data; the retest button on a repaired lab
# host lifts the block; pressing it again at once is refused (429).
# Peers: relaywatch-lab on 127.41.0.5 port 25 (profile open, later
# restarted as closed-rcpt: "repaired"); `relaywatch daemon` (web = yes
# on a free loopback port, the canary sink on another) on a test clock
# frozen a second after the complaint; a policy of the test's own that
# blocks outbound SMTP at once on confirmation and never retests a
# blocked host by itself (blocked_retest_interval = 0: only on demand);
# `block_backend = command` whose add and remove commands append their
# arguments to $T/fw.log. No smarthost: the notices stay queued.
# Steps:
#   1. `complaint add` opens incident 1; the daemon tests the host open
#      and blocks it: state blocked, one applied outbound block, the add
#      command ran once with the address, `block list --json` shows it
#   1b. the operator's buttons (a console session, CSRF): on the blocked
#      incident an "Unblock" form; its POST without a reason is 400, with
#      one 303: state notified, deadline the desk clock + unblock_grace
#      (1h), the block lifted and the remove command run, the reason and
#      the user in the timeline; then "Block now": blocked again, the add
#      command run a second time; a viewer's block is 403
#   2. the host is repaired (closed-rcpt); for 2 s (10 ticks) nothing is
#      retested and the block stays: only the button may lift it
#   3. GET and POST /owner/WRONG (a changed MAC, another incident's id,
#      no MAC) are 404 with neither the address nor the state in the body,
#      and reach nothing: no retest event, and the owner's once-per-10-
#      minutes budget is still whole for step 4
#   4. POST /owner/TOKEN/retest is 303 to the page, at once again 429;
#      the wall clock is then past the frozen desk clock, so the retest
#      only runs if the console stamps it with the desk's time
#   5. within 60 s: incident repaired (last verdict closed), the unblock
#      applied and the block lifted in the store, the remove command ran
#      with the address, `block list --json` has no block for it, the
#      repaired notice queued; one retest by the owner, not two; the
#      owner page says repaired and shows the closed result
#   6. SIGTERM: the daemon exits 0 within 5 s
# LIMITS: each wait on the store at most 60 s (0.2 s polls); the lab
# starts within 10 s; curl at most 10 s per request.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
[ -x "$RW" ] || fail "$RW is not built"
[ -x "$RWLAB" ] || fail "$RWLAB is not built"
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v curl >/dev/null 2>&1 || skip "no curl"
[ "$(id -u)" -eq 0 ] || skip "the lab host listens on port 25 (root)"
repo=$(cd "$here/../.." && pwd)
H=127.41.0.5
t0=$(date +%s)

# the lab host, (re)started with a profile; the old one is stopped first
LABPID=""
lab_start() {
	if [ -n "$LABPID" ]; then
		kill "$LABPID" 2>/dev/null
		wait "$LABPID" 2>/dev/null
	fi
	: >"$T/lab.out"
	rw_bg "$RWLAB" --sink "127.0.0.1:$SP" --canary canary.lab.test --base "$H" --port 25 \
		--profiles "$1" --truth "$T/lab.truth" >"$T/lab.out" 2>>"$T/lab.err"
	LABPID=$RW_LASTPID
	_i=0
	while ! grep -qx ready "$T/lab.out" 2>/dev/null; do
		kill -0 "$LABPID" 2>/dev/null || { cat "$T/lab.err"; fail "lab $H ($1) exited"; }
		[ $_i -lt 100 ] || { cat "$T/lab.err"; fail "lab $H ($1) not ready within 10 s"; }
		sleep 0.1; _i=$((_i + 1))
	done
	echo "lab: $H:25 profile $1"
}

SP=$(free_port)
WP=$(free_port)
lab_start open

key_file "$T/key"
# the firewall: each call's arguments, one line per call
printf '%s\n' 'printf "%s\n" "$*" >>"$(dirname "$0")/fw.log"' >"$T/fw.sh"
: >"$T/fw.log"
cat >"$T/policy.conf" <<'POL'
[policy]
name = owner-retest
open_on = complaint
grace = 0
retest_interval = 0
; a blocked host is retested only on demand: the owner's button
blocked_retest_interval = 0
tempfail_retry = 1h
test_attempts = 6
suspect = retest
suspect_retests = 2
block = outbound
block_at_once = yes
unblock_grace = 1h

[notify]
blocked = admin:blocked
repaired = admin:repaired
POL
cat >"$T/rw.conf" <<CFG
policy = $T/policy.conf
templates = $repo/contrib/templates
notify_from = Abuse desk <abuse@desk.test>
incident_url = http://127.0.0.1:$WP/incidents/
db = $T/d.db
token_key = $T/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:$SP
helo_name = desk.test
scan_args = --allow-reserved --wait 3 --battery quick --timeout 5 --greylist-delay 1 --retry-after 0
pid_file = $T/rw.pid
web = yes
web_listen = 127.0.0.1:$WP
block_backend = command
block_command_add = /bin/sh $T/fw.sh add {addr} {direction}
block_command_remove = /bin/sh $T/fw.sh remove {addr} {direction}
CFG
rw() { "$RW" --config "$T/rw.conf" "$@"; }
printf 'cidr,customer,emails,account\n127.41.0.0/24,Owner Lab,admin@desk.test,U-41\n' >"$T/owners.csv"
rw contacts import "$T/owners.csv" >/dev/null || fail "contacts import"
echo "op-password-1" | rw user add oper --role operator >/dev/null 2>"$T/u1.err" ||
	{ cat "$T/u1.err"; fail "user add oper"; }
echo "view-password-1" | rw user add viewer1 --role viewer >/dev/null 2>"$T/u2.err" ||
	{ cat "$T/u2.err"; fail "user add viewer1"; }

# the store's view in Python: q prints an expression, wait polls one
cp "$here/lib/deskq.py" "$T/desk.py"
CLOCK="$T/clock" FWLOG="$T/fw.log"
export CLOCK FWLOG
q() { python3 "$T/desk.py" "$T/d.db" q "$1"; }
dump() {
	echo "---- daemon log (tail)"; tail -40 "$T/daemon.log"
	echo "---- incident 1"
	q 'inc(1)' 2>&1
	echo "---- events"
	q '"\n".join("%d %s %s" % (e["at_ms"], e["kind"], e["detail"]) for e in events(1))' 2>&1
	echo "---- actions"
	q '"\n".join("%d %s %s %s %s" % (a["id"], a["kind"], a["what"], a["addr"], a["state"]) for a in actions())' 2>&1
	echo "---- fw.log"; cat "$T/fw.log"
}
wait_for() { # SECONDS WHAT PYCOND
	python3 "$T/desk.py" "$T/d.db" wait "$1" "$2" "$3" || { dump; fail "$2"; }
}
# true PYCOND WHAT - the store shows PYCOND now
true_now() {
	q "$1" 2>&1 | grep -qx True || { dump; fail "$2"; }
}
setclock() {
	echo "$1" >"$T/clock.tmp" && mv "$T/clock.tmp" "$CLOCK"
	echo "clock: $1 (frozen)"
}
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

setclock "$(now_ms)"
rw_bg "$RW" --config "$T/rw.conf" daemon -f --tick-ms 200 --clock-file "$CLOCK" >"$T/daemon.log" 2>&1
D=$RW_LASTPID
wait_port 127.0.0.1 "$WP" 10 || { cat "$T/daemon.log"; fail "the console does not listen on $WP"; }
wait_port 127.0.0.1 "$SP" 10 || { cat "$T/daemon.log"; fail "the sink does not listen on $SP"; }

# 1. the complaint (the wall clock's time), then the desk clock just after it
rw complaint add "$H" --from x@desk.test --json >"$T/c.json" 2>"$T/c.err" ||
	{ cat "$T/c.err"; fail "complaint add $H"; }
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("incident"))' "$T/c.json")
[ "$got" = 1 ] || { cat "$T/c.json" "$T/c.err"; fail "complaint about $H: incident '$got', want 1"; }
setclock $(( $(now_ms) + 1000 ))
wait_for 60 "incident 1 blocked (tested open, blocked at once)" "inc(1)['state'] == 'blocked'"
wait_for 20 "the block applied and the add command run" '[(a["kind"], a["what"], a["addr"], a["state"]) for a in actions()] ==
	[("block", "outbound", "'$H'", "applied")] and fw() == [["add", "'$H'", "outbound"]]'
true_now 'inc(1)["m"]["last_verdict"] == "open" and inc(1)["m"]["test_at_ms"] == 0 and
	len(events(1, "test-started")) == 1' "want one test (open) and no retest scheduled while blocked"
rw block list --json >"$T/bl1.json" || fail "block list"
python3 - "$T/bl1.json" "$H" <<'PY' || { cat "$T/bl1.json"; fail "block list: want the outbound block of incident 1"; }
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if [(r["addr"], r["direction"], r["incident"], r["state"]) for r in rows] ==
         [(sys.argv[2], "outbound", 1, "blocked")] else 1)
PY
echo "ok: $H tested open and blocked (outbound), the add command ran"

# 1b. the operator's unblock and block, through the console's forms
base="http://127.0.0.1:$WP"
# scode JAR METHOD PATH [curl args] - with a cookie jar; body and headers as code's
scode() {
	_jar=$1 _m=$2 _p=$3
	shift 3
	curl -s -m 10 -o "$T/body" -D "$T/hdr" -w '%{http_code}' -b "$_jar" -c "$_jar" -X "$_m" "$@" "$base$_p"
}
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//; s/"//'; }
for who in oper:op-password-1 viewer1:view-password-1; do
	c=$(scode "$T/${who%%:*}.jar" POST /login --data-urlencode "user=${who%%:*}" --data-urlencode "password=${who#*:}")
	[ "$c" = 303 ] || { cat "$T/body"; fail "login ${who%%:*}: got $c"; }
done
c=$(scode "$T/viewer1.jar" GET /incidents/1)
vcsrf=$(csrf_of)
! grep -q "/incidents/1/unblock\|/incidents/1/block" "$T/body" || fail "a viewer sees the block forms"
c=$(scode "$T/oper.jar" GET /incidents/1)
[ "$c" = 200 ] && grep -q 'action="/incidents/1/unblock"' "$T/body" && ! grep -q 'action="/incidents/1/block"' "$T/body" ||
	{ cat "$T/body"; fail "the blocked incident's page: want the unblock form and no block form"; }
csrf=$(csrf_of)
[ ${#csrf} -eq 64 ] || fail "no CSRF token on the operator's page"
c=$(scode "$T/oper.jar" POST /incidents/1/unblock --data-urlencode "csrf=$csrf" --data-urlencode "text=")
[ "$c" = 400 ] || { cat "$T/body"; fail "unblock without a reason: got $c, want 400"; }
c=$(scode "$T/viewer1.jar" POST /incidents/1/unblock --data-urlencode "csrf=$vcsrf" --data-urlencode "text=viewer")
[ "$c" = 403 ] || fail "a viewer's unblock: got $c, want 403"
c=$(scode "$T/oper.jar" POST /incidents/1/unblock --data-urlencode "csrf=$csrf" \
	--data-urlencode "text=payroll mail <today>; fix promised")
[ "$c" = 303 ] && grep -qi "^location: /incidents/1?done=unblock" "$T/hdr" ||
	{ cat "$T/hdr" "$T/body"; fail "the operator's unblock: got $c, want 303"; }
wait_for 20 "the operator's unblock applied and the remove command run" 'inc(1)["state"] == "notified" and
	[(a["kind"], a["state"]) for a in actions()] == [("block", "lifted"), ("unblock", "applied")] and
	fw() == [["add", "'$H'", "outbound"], ["remove", "'$H'", "outbound"]]'
true_now 'inc(1)["m"]["deadline_ms"] == clock() + 3600000 and
	[(d["user"], d["text"], d["outcome"]) for d in [json.loads(e["detail"]) for e in events(1, "unblock")] if "outcome" in d] ==
	[("oper", "payroll mail <today>; fix promised", "applied")]' \
	"the unblock: want a new grace of 1h and the user and reason in the timeline"
c=$(scode "$T/oper.jar" GET /incidents/1)
grep -q 'action="/incidents/1/block"' "$T/body" && grep -q "payroll mail &lt;today&gt;" "$T/body" ||
	{ cat "$T/body"; fail "the notified incident's page: want the block form and the escaped reason"; }
c=$(scode "$T/viewer1.jar" POST /incidents/1/block --data-urlencode "csrf=$vcsrf")
[ "$c" = 403 ] || fail "a viewer's block: got $c, want 403"
c=$(scode "$T/oper.jar" POST /incidents/1/block --data-urlencode "csrf=$csrf" --data-urlencode "text=still relaying")
[ "$c" = 303 ] || { cat "$T/body"; fail "the operator's block: got $c, want 303"; }
wait_for 20 "the operator's block applied and the add command run again" 'inc(1)["state"] == "blocked" and
	[(a["kind"], a["state"]) for a in actions()] == [("block", "lifted"), ("unblock", "applied"), ("block", "applied")] and
	fw() == [["add", "'$H'", "outbound"], ["remove", "'$H'", "outbound"], ["add", "'$H'", "outbound"]]'
c=$(scode "$T/oper.jar" POST /incidents/1/block --data-urlencode "csrf=$csrf")
[ "$c" = 409 ] || fail "a second block: got $c, want 409 (already blocked)"
echo "ok: the operator's unblock (reason, new grace of 1h) and block through the console, viewers refused"

# 2. the repair; nothing retests it by itself
lab_start closed-rcpt
sleep 2
true_now 'inc(1)["state"] == "blocked" and len(events(1, "test-started")) == 1 and
	len(actions()) == 3 and len(fw()) == 3' \
	"a repaired host retested or unblocked without the button"
echo "ok: repaired host, 10 ticks later still blocked and not retested"

# the owner's token: the id and HMAC(key, "owner|ID"), 32 hex (doc/web.md)
tok=$(python3 - "$T/key" 1 <<'PY'
import hmac, hashlib, sys
key = bytes.fromhex(open(sys.argv[1]).read().strip())
mac = hmac.new(key, ("owner|%s" % sys.argv[2]).encode(), hashlib.sha256).hexdigest()[:32]
print("%s-%s" % (sys.argv[2], mac))
PY
)
# code METHOD PATH - the status; the body in $T/body, headers in $T/hdr
code() {
	curl -s -m 10 -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$1" "$base$2"
}
c=$(code GET "/owner/$tok")
[ "$c" = 200 ] && grep -q "now <b>blocked</b>" "$T/body" && grep -q "$H" "$T/body" &&
	grep -q "Request a retest</button>" "$T/body" ||
	{ cat "$T/body"; fail "owner page: got $c, want 200 naming $H, blocked"; }

# 3. wrong tokens: 404, no data
mac=${tok#1-}
wrong=1-$(echo "$mac" | tr '0-9a-f' '1-9a-f0')
for w in "$wrong" "2-$mac" "1" "1-" "$tok/x"; do
	for m in GET POST; do
		p="/owner/$w"
		[ $m = POST ] && p="$p/retest"
		[ "$w" = "$tok/x" ] && [ $m = POST ] && continue
		c=$(code $m "$p")
		[ "$c" = 404 ] && ! grep -q "127\.41\|blocked\|open-relay" "$T/body" ||
			{ cat "$T/body"; fail "$m $p: got $c, want 404 and no data"; }
	done
done
true_now 'len(events(1, "retest")) == 0 and len(events(1, "test-started")) == 1' \
	"a wrong token's POST reached the desk"
echo "ok: wrong tokens are 404 without data, and retest nothing"

# 4. the button: 303, then at once 429
c=$(code POST "/owner/$tok/retest")
[ "$c" = 303 ] && grep -qi "^location: /owner/$tok?retest=1" "$T/hdr" ||
	{ cat "$T/hdr" "$T/body"; fail "owner retest: got $c, want 303 to the page"; }
c=$(code POST "/owner/$tok/retest")
[ "$c" = 429 ] || { cat "$T/body"; fail "owner retest again at once: got $c, want 429"; }
lag=$(( $(now_ms) - $(cat "$CLOCK") ))
echo "ok: retest requested (303), at once again refused (429); wall clock ${lag} ms past the desk clock"

# 5. the retest runs, finds it closed, lifts the block
wait_for 60 "incident 1 repaired by the owner's retest" "inc(1)['state'] == 'repaired'"
wait_for 20 "the unblock applied and the remove command run" '[(a["kind"], a["what"], a["addr"], a["state"]) for a in actions()][2:] ==
	[("block", "outbound", "'$H'", "lifted"), ("unblock", "outbound", "'$H'", "applied")] and
	fw()[3:] == [["remove", "'$H'", "outbound"]]'
true_now 'inc(1)["m"]["last_verdict"] == "closed" and inc(1)["closed_ms"] == clock() and
	len(events(1, "test-started")) == 2 and len(events(1, "retest")) == 1 and
	json.loads(events(1, "retest")[0]["detail"]).get("user") == "owner" and events(1, "retest")[0]["at_ms"] == clock() and
	[o["rcpt"] for o in outbox(1, "repaired")] == ["admin@desk.test"]' \
	"want repaired at the desk clock, closed verdict, one owner retest, the repaired notice queued"
rw block list --json >"$T/bl2.json" || fail "block list after the repair"
! grep -q "\"$H\"" "$T/bl2.json" || { cat "$T/bl2.json"; fail "block list still shows $H"; }
c=$(code GET "/owner/$tok")
[ "$c" = 200 ] && grep -q "now <b>repaired</b>" "$T/body" && grep -q ": <b>closed</b>" "$T/body" &&
	! grep -q "Request a retest</button>" "$T/body" ||
	{ cat "$T/body"; fail "owner page after the repair: got $c, want 200, repaired, the closed result"; }
echo "ok: repaired, unblocked (remove command ran), no block listed, the page says so"

grep -q "event=desk-error\|event=store-error" "$T/daemon.log" && { dump; fail "the daemon logged an error"; }
kill -TERM "$D"
i=0
while kill -0 "$D" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$D" 2>/dev/null && { dump; fail "the daemon still runs 5 s after SIGTERM"; }
wait "$D"; rc=$?
[ $rc -eq 0 ] || { dump; fail "the daemon exited $rc after SIGTERM, want 0"; }
echo "PASS: owner page: 404 for wrong tokens, the button lifts the block, 429 at once again ($(( $(date +%s) - t0 )) s)"
exit 0
