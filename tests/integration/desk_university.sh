#!/bin/sh
# desk_university.sh - the university policy end to end: the daemon on a
# test clock, lab hosts on 127.32.0.5-7 port 25, and every notice through a
# real Postfix smarthost (STARTTLS, certificate checked) into Maildirs,
# read back with Python's email module.
# Peers: relaywatch-lab hosts 127.32.0.5 (profile open: a Postfix banner),
# 127.32.0.6 (percent-only: Sendmail), 127.32.0.7 (srcroute-only: Exim),
# each its own lab process so it can be "repaired" alone; a private Postfix
# (lib/postfix.sh) with the virtual mailbox domain desk.test (admin@,
# alice@, noc@ Maildirs under $T/pf/vmail) on a STARTTLS listener with a
# self-signed certificate for smarthost.test.
# Steps (contrib/policies/university.conf):
#   1. `complaint add` from alice@desk.test about each host: incident
#      reported, "complaint received" to the admin, the test runs
#   2. open: results to the admin (the verdict, the tests that worked, the
#      transcript excerpt, the token's arrival with its Received chain, the
#      advice for the MTA the stored result names) and to the complainant
#      (evidence, no advice), the block warning; the grace (48h) starts
#      when the admin's results notice leaves the outbox
#   3. the clock moves 6h at a time: every retest finds the hosts still
#      open, the Sendmail host answers 421 (busy) once: a tempfail, retried
#      after 1h, never a repair; no block before 48h after the notice
#   4. at 48h: one outbound block per host, "blocked" to admin and noc
#   5. 127.32.0.5 is repaired (profile closed-rcpt); 6h later no retest
#      (blocked hosts are retested every 12h); at 12h the retest: repaired,
#      the block lifted, "repaired" to the admin (the retest's verdict, the
#      relaying found before for the record) and to the complainant (the
#      outcome only); the others are still open and stay blocked
#   6. every notice of the outbox is in its recipient's Maildir exactly
#      once, with the outbox's Subject and Message-ID, and nothing else is;
#      the bodies per step as above (advice only for the admin, and only
#      the fingerprinted MTA's: Postfix, Sendmail, Exim)
#   7. SIGTERM: the daemon exits 0 within 5 s
# LIMITS: each wait on the store at most 60 s (0.2 s polls), 90 s for the
# outbox to drain; the labs start within 10 s.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
pf_require
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
command -v python3 >/dev/null 2>&1 || skip "no python3"
[ -x "$RW" ] || fail "$RW is not built"
[ -x "$RWLAB" ] || fail "$RWLAB is not built"
repo=$(cd "$here/../.." && pwd)

H1=127.32.0.5 H2=127.32.0.6 H3=127.32.0.7
P1=open P2=percent-only P3=srcroute-only
HOUR=3600000

# stop the daemon (SIGTERM: its scan children go with it) and the labs
# before the smarthost, then common.sh's cleanup
_uni_daemon="" LABPID1="" LABPID2="" LABPID3=""
uni_stop() {
	if [ -n "$_uni_daemon" ]; then
		kill -TERM "$_uni_daemon" 2>/dev/null
		_i=0
		while kill -0 "$_uni_daemon" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
		kill -9 "$_uni_daemon" 2>/dev/null
		_uni_daemon=""
	fi
	for _p in $LABPID1 $LABPID2 $LABPID3; do kill "$_p" 2>/dev/null; done
	LABPID1="" LABPID2="" LABPID3=""
	pf_stop
}
mta_traps uni_stop

# the smarthost: Postfix with three virtual Maildirs, STARTTLS on TLSPORT
pf_init open "$(free_port)"
VM="$PF_DIR/vmail"
mkdir -p "$VM"
chown postfix:postfix "$VM"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=smarthost.test \
	-addext subjectAltName=DNS:smarthost.test \
	-keyout "$PF_DIR/key.pem" -out "$PF_DIR/cert.pem" >/dev/null 2>&1 || fail "openssl req failed"
chmod 600 "$PF_DIR/key.pem"
postconf -c "$PF_CONF" -e \
	"virtual_mailbox_domains = desk.test" \
	"virtual_mailbox_base = $VM" \
	"virtual_mailbox_maps = inline:{admin@desk.test=admin/, alice@desk.test=alice/, noc@desk.test=noc/}" \
	"virtual_uid_maps = static:$(id -u postfix)" \
	"virtual_gid_maps = static:$(id -g postfix)" \
	"virtual_minimum_uid = 1" \
	"virtual_transport = virtual" \
	"smtpd_tls_cert_file = $PF_DIR/cert.pem" \
	"smtpd_tls_key_file = $PF_DIR/key.pem" || fail "postconf -e failed"
{
	echo "virtual   unix  -       n       n       -       -       virtual"
	echo "tlsmgr    unix  -       -       n       1000?   1       tlsmgr"
} >>"$PF_CONF/master.cf"
pf_listener TLSPORT -o smtpd_tls_security_level=may
pf_start

# lab_start N PROFILE - (re)start lab host N (1..3) with PROFILE, wait for "ready"
lab_start() {
	eval "_old=\${LABPID$1:-} _addr=\$H$1"
	if [ -n "$_old" ]; then
		kill "$_old" 2>/dev/null
		wait "$_old" 2>/dev/null
	fi
	: >"$T/lab$1.out"
	"$RWLAB" --sink "127.0.0.1:$SP" --canary canary.lab.test --base "$_addr" --port 25 \
		--profiles "$2" --truth "$T/lab$1.truth" >"$T/lab$1.out" 2>>"$T/lab$1.err" &
	eval "LABPID$1=\$!"
	_i=0
	while ! grep -qx ready "$T/lab$1.out" 2>/dev/null; do
		[ $_i -lt 100 ] || { cat "$T/lab$1.err"; fail "lab $_addr ($2) not ready within 10 s"; }
		sleep 0.1; _i=$((_i + 1))
	done
	echo "lab: $_addr:25 profile $2"
}

SP=$(free_port)
lab_start 1 $P1
lab_start 2 $P2
lab_start 3 $P3

key_file "$T/key"
cat >"$T/rw.conf" <<CFG
policy = $repo/contrib/policies/university.conf
templates = $repo/contrib/templates
notify_from = Abuse desk <abuse@desk.test>
operator_name = University NOC
noc = noc@desk.test
db = $T/d.db
token_key = $T/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:$SP
helo_name = desk.test
scan_args = --allow-reserved --wait 3 --battery quick --timeout 5 --greylist-delay 1 --retry-after 0
smarthost = 127.0.0.1:$TLSPORT
smarthost_starttls = require
smarthost_tls_name = smarthost.test
smarthost_ca_file = $PF_DIR/cert.pem
CFG
rw() { "$RW" --config "$T/rw.conf" "$@"; }
printf 'cidr,customer,emails,account\n127.32.0.0/24,Physics Dept,admin@desk.test,U-32\n' >"$T/owners.csv"
rw contacts import "$T/owners.csv" >/dev/null || fail "contacts import"

# the store's view, in Python (the sqlite3 module): q prints, wait polls
cp "$here/lib/deskq.py" "$T/desk.py"
CLOCK="$T/clock"; export CLOCK VM
q() { python3 "$T/desk.py" "$T/d.db" q "$1"; }
# dump - what a failure needs: the daemon's log, the incidents, the outbox
dump() {
	echo "---- daemon log (tail)"; tail -60 "$T/daemon.log"
	echo "---- incidents"
	python3 "$T/desk.py" "$T/d.db" q '"\n".join("%d %s %s %s" % (r["id"], r["addr"], r["state"], r["machine"]) for r in [inc(i) for i in (1, 2, 3)] if r)' 2>&1
	echo "---- outbox"
	python3 "$T/desk.py" "$T/d.db" q '"\n".join("%d inc=%s %s %s %s %s" % (o["id"], o["incident"], o["step"], o["rcpt"], o["state"], o["last_error"]) for o in outbox())' 2>&1
	pf_dump
}
# wait_for SECONDS WHAT PYCOND - the store shows PYCOND within SECONDS
wait_for() {
	python3 "$T/desk.py" "$T/d.db" wait "$1" "$2" "$3" || { dump; fail "$2"; }
}
# setclock MS - the desk's time, replaced atomically
setclock() {
	echo "$1" >"$T/clock.tmp" && mv "$T/clock.tmp" "$CLOCK"
	echo "clock: $1 ($(python3 -c "import sys; d = int(sys.argv[1]) - int(sys.argv[2]); s = abs(d) // 1000
print('N%s%dh%02dm%02ds' % ('-' if d < 0 else '+', s // 3600, s // 60 % 60, s % 60))" "$1" "${N:-$1}"))"
}
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

setclock "$(now_ms)"
t0=$(date +%s)
# "$RW" itself, not the rw function: $! must be the daemon, not a subshell
"$RW" --config "$T/rw.conf" daemon -f --tick-ms 300 --clock-file "$CLOCK" >"$T/daemon.log" 2>&1 &
_uni_daemon=$!
wait_port 127.0.0.1 "$SP" 10 || { cat "$T/daemon.log"; fail "the daemon's sink does not listen on $SP"; }

# 1. the complaints (the wall clock's time), then the desk clock just after them
n=1
for h in $H1 $H2 $H3; do
	rw complaint add "$h" --from alice@desk.test --json >"$T/c$n.json" 2>"$T/c$n.err" ||
		{ cat "$T/c$n.err"; fail "complaint add $h: exit $?"; }
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("incident"))' "$T/c$n.json")
	[ "$got" = "$n" ] || { cat "$T/c$n.json" "$T/c$n.err"; fail "complaint about $h: incident '$got', want $n"; }
	n=$((n + 1))
done
setclock $(( $(now_ms) + 1000 ))

# 2. each first test finds its host open; the admin's results notice leaves
# the outbox and starts the grace: all three at the same desk time N
for i in 1 2 3; do
	wait_for 60 "incident $i notified (tested open, results notice sent)" "inc($i)['state'] == 'notified'"
done
N=$(cat "$CLOCK")
python3 "$T/desk.py" "$T/d.db" q 'all((inc(i)["m"]["notified_ms"] == clock() and
	inc(i)["m"]["deadline_ms"] == clock() + 48 * 3600000 and
	inc(i)["m"]["test_at_ms"] == clock() + 6 * 3600000 and
	[o["sent_ms"] for o in outbox(i, "confirmed") if o["rcpt"] == "admin@desk.test"] == [clock()] and
	[e["kind"] for e in events(i) if e["kind"].startswith("test-")] == ["test-started", "test-open"])
	for i in (1, 2, 3))' | grep -qx True ||
	{ dump; fail "the grace must start when the results notice was sent: deadline N+48h, retest N+6h"; }
echo "ok: open, results sent at N=$N, deadline N+48h, retests every 6h"

# the MTAs the stored first results name (the fingerprint of each lab host)
MTA1=$(q 'json.loads(results("'$H1'")[0]["evidence"])["mta"]')
MTA2=$(q 'json.loads(results("'$H2'")[0]["evidence"])["mta"]')
MTA3=$(q 'json.loads(results("'$H3'")[0]["evidence"])["mta"]')
echo "fingerprinted: $H1 $MTA1, $H2 $MTA2, $H3 $MTA3"
[ "$MTA1" = postfix ] || fail "$H1 ($P1): mta '$MTA1', want postfix (lab/profile.c's default flavor)"
[ "$MTA2" = sendmail ] || fail "$H2 ($P2): mta '$MTA2', want sendmail"
[ "$MTA3" = exim ] || fail "$H3 ($P3): mta '$MTA3', want exim"

# 3. the grace: retests every 6h find them open; the Sendmail host is busy once
k=1
while [ $k -le 7 ]; do
	[ $k -eq 3 ] && lab_start 2 busy
	setclock $((N + k * 6 * HOUR))
	for i in 1 2 3; do
		wait_for 60 "incident $i retested at N+$((k * 6))h" "tested($i)"
	done
	if [ $k -eq 3 ]; then
		python3 "$T/desk.py" "$T/d.db" q 'inc(2)["state"] == "notified" and
			inc(2)["m"]["last_verdict"] == "tempfail" and
			inc(2)["m"]["test_at_ms"] == clock() + 3600000 and
			inc(2)["m"]["deadline_ms"] == '$N' + 48 * 3600000 and not actions(2)' | grep -qx True ||
			{ dump; fail "a tempfail in the grace: want notified, retry in 1h, the deadline kept, no action"; }
		echo "ok: busy (tempfail) in the grace: no repair, retried in 1h, deadline unchanged"
		lab_start 2 $P2
	fi
	python3 "$T/desk.py" "$T/d.db" q 'not actions() and all(inc(i)["state"] == "notified" for i in (1, 2, 3))' |
		grep -qx True || { dump; fail "N+$((k * 6))h: want all notified and no action"; }
	k=$((k + 1))
done
# one second before the deadline: still no block
setclock $((N + 48 * HOUR - 1000))
sleep 2
python3 "$T/desk.py" "$T/d.db" q 'not actions() and all(inc(i)["state"] == "notified" for i in (1, 2, 3))' |
	grep -qx True || { dump; fail "a block before 48h after the results notice"; }
python3 "$T/desk.py" "$T/d.db" q '[len(events(i, "test-open")) for i in (1, 2, 3)] == [8, 7, 8] and
	[len(events(i, "test-other")) for i in (1, 2, 3)] == [0, 1, 0]' | grep -qx True ||
	{ dump; fail "want 1 + 7 open retests (the busy one: a tempfail instead)"; }
echo "ok: N+48h-1s: 7 retests in the grace, all still open, no block"

# 4. the deadline: the block, at exactly N+48h
setclock $((N + 48 * HOUR))
for i in 1 2 3; do
	wait_for 60 "incident $i blocked at N+48h" "inc($i)['state'] == 'blocked'"
done
python3 "$T/desk.py" "$T/d.db" q 'all([(a["kind"], a["what"], a["addr"], a["requested_ms"]) for a in actions(i)] ==
	[("block", "outbound", inc(i)["addr"], clock())] and
	inc(i)["m"]["test_at_ms"] == clock() + 12 * 3600000 and inc(i)["m"]["deadline_ms"] == 0 and
	sorted(o["rcpt"] for o in outbox(i, "blocked")) == ["admin@desk.test", "noc@desk.test"]
	for i in (1, 2, 3))' | grep -qx True ||
	{ dump; fail "want one outbound block per host at N+48h, blocked notices to admin and noc, retest in 12h"; }
echo "ok: N+48h: outbound block recorded, blocked notices queued, next retest in 12h"

# 5. the repair of 127.32.0.5; 6h later nothing is retested (every 12h when blocked)
lab_start 1 closed-rcpt
started=$(q 'len(events(1, "test-started"))')
setclock $((N + 54 * HOUR))
sleep 2
[ "$(q 'len(events(1, "test-started"))')" = "$started" ] || { dump; fail "a blocked host retested after 6h, not 12h"; }
setclock $((N + 60 * HOUR))
wait_for 60 "incident 1 repaired at N+60h" "inc(1)['state'] == 'repaired'"
for i in 2 3; do
	wait_for 60 "incident $i retested at N+60h" "tested($i)"
done
python3 "$T/desk.py" "$T/d.db" q '[(a["kind"], a["what"], a["requested_ms"]) for a in actions(1)] ==
	[("block", "outbound", clock() - 12 * 3600000), ("unblock", "outbound", clock())] and
	inc(1)["m"]["last_verdict"] == "closed" and inc(1)["closed_ms"] == clock() and
	sorted(o["rcpt"] for o in outbox(1, "repaired")) == ["admin@desk.test", "alice@desk.test"] and
	all(inc(i)["state"] == "blocked" and [a["kind"] for a in actions(i)] == ["block"] and
	    inc(i)["m"]["last_verdict"] == "open" for i in (2, 3))' | grep -qx True ||
	{ dump; fail "want $H1 repaired (unblock, notices to admin and complainant), the others still blocked"; }
echo "ok: N+60h: $H1 repaired and unblocked; $H2 and $H3 still open and blocked"

# 6. every notice sent, then read back from the Maildirs
wait_for 90 "the outbox sent everything" 'outbox() and all(o["state"] == "sent" for o in outbox())'
cat >"$T/check.py" <<'PY'
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)

boxes = {b: msgs(b) for b in ("admin", "alice", "noc")}
ob = outbox()
# each outbox row once in its recipient's Maildir, with its Subject, and nothing else
for o in ob:
    box = o["rcpt"].split("@")[0]
    got = [m for m in boxes.get(box, []) if m["Message-ID"] == o["message_id"]]
    want(len(got) == 1, "%s %s: %d copies of %s in %s's Maildir" % (o["step"], o["rcpt"], len(got), o["message_id"], box))
    if len(got) == 1:
        m = got[0]
        want(m["Subject"] == o["subject"], "%s: Subject %r, outbox %r" % (o["message_id"], m["Subject"], o["subject"]))
        want(m["To"] == o["rcpt"], "%s: To %r" % (o["message_id"], m["To"]))
        want("abuse@desk.test" in m["From"], "%s: From %r" % (o["message_id"], m["From"]))
        want(m["Auto-Submitted"] == "auto-generated", "%s: Auto-Submitted %r" % (o["message_id"], m["Auto-Submitted"]))
for b, ms in boxes.items():
    ids = [o["message_id"] for o in ob if o["rcpt"].split("@")[0] == b]
    want(len(ms) == len(ids), "%s's Maildir: %d messages, the outbox sent %d" % (b, len(ms), len(ids)))

def notice(i, step, rcpt):
    rows = [o for o in outbox(i, step) if o["rcpt"] == rcpt]
    want(len(rows) == 1, "incident %d: %d %s notices to %s, want 1" % (i, len(rows), step, rcpt))
    if len(rows) != 1:
        return None, ""
    box = rcpt.split("@")[0]
    m = [m for m in boxes[box] if m["Message-ID"] == rows[0]["message_id"]]
    return (m[0], body(m[0])) if m else (None, "")

# the steps and subjects of each incident, per recipient
addr = {1: os.environ["H1"], 2: os.environ["H2"], 3: os.environ["H3"]}
for i in (1, 2, 3):
    a = addr[i]
    steps = sorted((o["step"], o["rcpt"]) for o in outbox(i))
    wantsteps = sorted([("opened", "admin@desk.test"), ("confirmed", "admin@desk.test"),
                        ("confirmed", "alice@desk.test"), ("warning", "admin@desk.test"),
                        ("blocked", "admin@desk.test"), ("blocked", "noc@desk.test")] +
                       ([("repaired", "admin@desk.test"), ("repaired", "alice@desk.test")] if i == 1 else []))
    want(steps == wantsteps, "incident %d: notices %s, want %s" % (i, steps, wantsteps))
    subj = {
        ("opened", "admin@desk.test"): "[incident %d] Open relay complaint about %s" % (i, a),
        ("confirmed", "admin@desk.test"): "[incident %d] Test results for %s: open" % (i, a),
        ("confirmed", "alice@desk.test"): "[incident %d] Your report about %s: open" % (i, a),
        ("warning", "admin@desk.test"): "[incident %d] Warning: SMTP from %s may be blocked" % (i, a),
        ("blocked", "admin@desk.test"): "[incident %d] SMTP blocked for %s" % (i, a),
        ("blocked", "noc@desk.test"): "[incident %d] SMTP blocked for %s" % (i, a),
        ("repaired", "admin@desk.test"): "[incident %d] Block lifted for %s" % (i, a),
        ("repaired", "alice@desk.test"): "[incident %d] Your report about %s: repaired" % (i, a),
    }
    for (step, rcpt), s in subj.items():
        if step == "repaired" and i != 1:
            continue
        m, _ = notice(i, step, rcpt)
        if m is not None:
            want(m["Subject"] == s, "incident %d %s to %s: Subject %r, want %r" % (i, step, rcpt, m["Subject"], s))

# advice that only one MTA's row has (src/desk/advice.c)
only = {"postfix": "smtpd_relay_restrictions", "sendmail": "FEATURE(`promiscuous_relay')",
        "exim": "relay_from_hosts"}
product = {"postfix": "Postfix", "sendmail": "Sendmail", "exim": "Exim"}
trick_text = {"sendmail": "FEATURE(`loose_relay_check')", "exim": "Source route (@yourhost:user@domain) followed"}

for i in (1, 2, 3):
    a = addr[i]
    ev = json.loads(results(a)[0]["evidence"])
    mta = ev["mta"]
    worked = [t for t in ev["tests"] if t["stage"] in ("accepted", "delivered") and not t.get("bounced")]
    want(worked, "incident %d: the first result has no test that worked" % i)
    arr = ev["arrivals"][0] if ev.get("arrivals") else None
    want(arr and arr.get("received"), "incident %d: no arrival with a Received chain in the stored result" % i)
    m, b = notice(i, "confirmed", "admin@desk.test")
    want("Verdict: open (" in b, "incident %d results: no verdict" % i)
    want("Mail server: %s\n" % product[mta] in b, "incident %d results: not %s" % (i, product[mta]))
    for t in worked:
        line = "%s (%s): MAIL FROM:<%s> RCPT TO:<%s> -> %s" % (t["id"], t["trick"], t["mail_from"], t["rcpt_to"], t["stage"])
        want(line in b, "incident %d results: no line %r" % (i, line))
    first = [t for t in worked if t["stage"] == "delivered"][0]
    want("Excerpt of the SMTP session" in b and "C: MAIL FROM:<%s>" % first["mail_from"] in b and
         "C: RCPT TO:<%s>" % first["rcpt_to"] in b, "incident %d results: no transcript excerpt" % i)
    if arr:
        want("Our test message arrived at our canary from %s" % arr["peer"] in b,
             "incident %d results: no arrival from %s" % (i, arr["peer"]))
        for r in arr["received"]:
            want("Received: " + r.split("\n")[0] in b, "incident %d results: Received %r missing" % (i, r))
    want("How to repair it (%s)" % product[mta] in b and only[mta] in b,
         "incident %d results: no %s advice (%r)" % (i, mta, only[mta]))
    for other, needle in only.items():
        if other != mta:
            want(needle not in b, "incident %d results (%s): %s's advice %r" % (i, mta, other, needle))
    if mta in trick_text:
        want(trick_text[mta] in b, "incident %d results: no advice for the trick (%r)" % (i, trick_text[mta]))
    # the complainant: the evidence, not the repair advice (test-results-complainant.tpl)
    m, c = notice(i, "confirmed", "alice@desk.test")
    want("Verdict: open (" in c and "The administrator has been told how to repair it." in c,
         "incident %d complainant's results: verdict or the line about the administrator missing" % i)
    want("%s (%s): MAIL FROM:<%s>" % (first["id"], first["trick"], first["mail_from"]) in c,
         "incident %d complainant's results: no tests that worked" % i)
    want("How to repair" not in c and "How to check the repair" not in c and
         not any(n in c for n in only.values()), "incident %d complainant's results: repair advice" % i)
    # the warning and the block quote the proof and the advice
    for step in ("warning", "blocked"):
        m, w = notice(i, step, "admin@desk.test")
        want("Verdict: open (" in w and only[mta] in w,
             "incident %d %s: want the open verdict and the %s advice" % (i, step, mta))
    m, w = notice(i, "warning", "admin@desk.test")
    want("may be blocked at any time" in w, "incident %d warning: no warning" % i)
    m, w = notice(i, "blocked", "admin@desk.test")
    want("after the 2 days\ngrace period" in w and "outbound" in w and "is now blocked" in w,
         "incident %d blocked: grace or scope missing" % i)
    m, c = notice(i, "opened", "admin@desk.test")
    want("we received a complaint" in c and "We will now test the server" in c,
         "incident %d complaint received: text" % i)

# the repair: the retest's verdict; for the record the relaying found before
# (the last open result), not the repairing retest's refusals
last = [json.loads(x["evidence"]) for x in results(addr[1]) if x["verdict"] == "open"][-1]
closed = json.loads(results(addr[1])[-1]["evidence"])
want(closed["verdict"] == "closed", "the last result of %s is %s, want closed" % (addr[1], closed["verdict"]))
m, r = notice(1, "repaired", "admin@desk.test")
want("found it closed (%s)" % closed["reason"] in r and "so the block\nis lifted" in r,
     "repaired notice to the admin: the retest's verdict and the lifted block")
for t in last["tests"]:
    if t["stage"] == "delivered":
        want("%s (%s): MAIL FROM:<%s> RCPT TO:<%s> -> delivered" % (t["id"], t["trick"], t["mail_from"], t["rcpt_to"]) in r,
             "repaired notice to the admin: the relaying found before (%s) is not quoted" % t["id"])
refusal = [l for l in closed["transcript"] if l.startswith("S: 554 ")][0]
want(refusal not in r, "repaired notice to the admin quotes the retest's refusal %r as the relaying found before" % refusal)
want(only["postfix"] in r, "repaired notice to the admin: no Postfix advice")
m, r = notice(1, "repaired", "alice@desk.test")
want(m is not None and m["Subject"] == "[incident 1] Your report about %s: repaired" % addr[1],
     "repaired notice to the complainant: Subject %r" % (m and m["Subject"]))
flat = " ".join(r.split())
want("found it closed (%s)" % closed["reason"] in flat and "closed as repaired" in flat,
     "repaired notice to the complainant: text")
want("Physics Dept" not in r and "Keep it closed" not in r and not any(n in r for n in only.values()),
     "repaired notice to the complainant: the admin's letter (contact, advice)")
for i in (1, 2, 3):
    m, c = notice(i, "confirmed", "alice@desk.test")
    want("Physics Dept" not in c, "incident %d: the complainant's results name the admin's contact" % i)

for x in bad:
    print(x)
print("mail checks: %d messages (admin %d, alice %d, noc %d), %d problems" % (
      sum(len(v) for v in boxes.values()), len(boxes["admin"]), len(boxes["alice"]), len(boxes["noc"]), len(bad)))
sys.exit(1 if bad else 0)
PY
# Postfix delivers a moment after it accepted: wait for the Maildirs to hold them all
wait_for 30 "every sent notice in a Maildir" 'sum(len(msgs(b)) for b in ("admin", "alice", "noc")) >= len(outbox())'
H1=$H1 H2=$H2 H3=$H3 python3 "$T/desk.py" "$T/d.db" check "$T/check.py" || { dump; fail "the notices read back from the Maildirs"; }
grep -q "event=desk-error\|event=store-error" "$T/daemon.log" && { dump; fail "the daemon logged an error"; }

# SIGTERM: the daemon stops within 5 s with exit 0
kill -TERM "$_uni_daemon"
i=0
while kill -0 "$_uni_daemon" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$_uni_daemon" 2>/dev/null && { dump; fail "the daemon still runs 5 s after SIGTERM"; }
wait "$_uni_daemon"; rc=$?
_uni_daemon=""
[ $rc -eq 0 ] || { dump; fail "the daemon exited $rc after SIGTERM, want 0"; }
echo "PASS: university policy end to end in $(( $(date +%s) - t0 )) s: complaint, test, results, warning, 48h grace, block, repair, unblock; notices through Postfix"
exit 0
