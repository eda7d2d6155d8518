#!/bin/sh
# desk_proxy.sh - an open proxy through the abuse desk, end to end: the
# daemon (isp.conf, a test clock, no smarthost: notices stay queued) sweeps
# a lab host with `sweep_probes = proxy`; the host is an open HTTP proxy
# (proxy-http-open) -> an incident of class open-proxy opens, blocked at
# once, its queued notices say "open proxy", name the protocol that let us
# through and carry the proxy's repair advice (no SMTP transcript); the
# host is repaired (proxy-http-closed: 403), the clock moves 24 h, the
# daemon's retest runs the proxy probe (not the relay battery) and finds it
# closed -> repaired. Peers: relaywatch-lab on 127.32.0.1:$LP, the daemon's
# own sink as the proxy canary. Every wait polls the store for at most 60 s.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"

repo=$(cd "$here/../.." && pwd)
HOST=127.32.0.1
SP=$(free_port)
LP=$(free_port)
key_file "$T/key"
cat >"$T/rw.conf" <<CFG
policy = $repo/contrib/policies/isp.conf
templates = $repo/contrib/templates
notify_from = Abuse desk <abuse@desk.test>
noc = noc@desk.test
db = $T/d.db
token_key = $T/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:$SP
scan_args = --allow-reserved --wait 2 --timeout 5 --proxy-timeout 5 --retry-after 1
sweep = $HOST
sweep_ports = $LP
sweep_probes = proxy
sweep_interval = 3600
CFG
echo "127.32.0.0/24,Lab ISP customer,admin@desk.test,A1" >"$T/contacts.csv"
"$RW" --config "$T/rw.conf" contacts import "$T/contacts.csv" >"$T/contacts.out" 2>&1 ||
	{ cat "$T/contacts.out"; fail "contacts import"; }

NOW=$(( $(date +%s) * 1000 ))
set_clock() { NOW=$1; echo "$NOW" >"$T/clock.tmp" && mv "$T/clock.tmp" "$T/clock"; }
advance() { set_clock $(( NOW + $1 * 1000 )); }
set_clock "$NOW"

LABPID=""
LABN=0
lab() {
	if [ -n "$LABPID" ]; then
		kill "$LABPID" 2>/dev/null
		_i=0
		while kill -0 "$LABPID" 2>/dev/null; do
			_i=$((_i + 1)); [ $_i -lt 50 ] || { kill -9 "$LABPID"; break; }
			sleep 0.1
		done
		wait "$LABPID" 2>/dev/null
	fi
	LABN=$((LABN + 1))
	rw_bg "$RWLAB" --sink "127.0.0.1:$SP" --canary canary.lab.test --base "$HOST" --port "$LP" \
		--profiles "$1" --truth "$T/truth" >"$T/lab$LABN.out" 2>"$T/lab$LABN.log"
	LABPID=$RW_LASTPID
	lab_ready "$T/lab$LABN.out" "$LABPID" "$T/lab$LABN.log" "lab ($1)"
}

# poll MODE - the store's check for MODE, up to 60 s
cat >"$T/chk.py" <<'PY'
import json, sqlite3, sys, time
db_path, mode = sys.argv[1], sys.argv[2]

def check(db):
    db.row_factory = sqlite3.Row
    inc = [dict(r) for r in db.execute("SELECT * FROM incidents ORDER BY id")]
    if len(inc) != 1:
        return "%d incidents, want 1" % len(inc)
    i = inc[0]
    m = json.loads(i["machine"]) if i.get("machine") else {}
    if m.get("class") != "open-proxy":
        return "class %r, want open-proxy" % m.get("class")
    if mode == "blocked":
        if i["state"] != "blocked":
            return "state %s, want blocked" % i["state"]
        ob = [dict(r) for r in db.execute("SELECT * FROM outbox WHERE rcpt = 'admin@desk.test'")]
        if not ob:
            return "no notice for the admin"
        body = "\n".join(o["subject"] + "\n" + o["body"] for o in ob)
        for want in ("open proxy", "http-connect", "127.32.0.1"):
            if want.lower() not in body.lower():
                return "the admin's notices do not mention %r" % want
        if "ConnectPort" not in body and "Allow" not in body and "proxy" not in body.lower():
            return "no proxy repair advice in the notices"
        for bad in ("RCPT TO", "Received:"):
            if bad in body:
                return "a proxy notice carries SMTP evidence (%s)" % bad
        return None
    if mode == "repaired":
        if i["state"] not in ("repaired", "closed"):
            return "state %s, want repaired" % i["state"]
        res = [dict(r) for r in db.execute("SELECT probe, verdict FROM results ORDER BY id")]
        if not res or any(r["probe"] != "proxy" for r in res):
            return "results %s: every sweep and retest should run the proxy probe" % res
        if res[-1]["verdict"] != "closed":
            return "the last result is %s, want closed" % res[-1]["verdict"]
        return None

end = time.time() + 60
why = "?"
while time.time() < end:
    try:
        db = sqlite3.connect(db_path, timeout=5)
        why = check(db)
        db.close()
    except sqlite3.Error as e:
        why = str(e)
    if why is None:
        sys.exit(0)
    time.sleep(0.2)
print("FAIL (%s): %s" % (mode, why))
sys.exit(1)
PY

lab proxy-http-open
rw_bg "$RW" --config "$T/rw.conf" daemon -f --tick-ms 300 --clock-file "$T/clock" >"$T/d.log" 2>&1
DPID=$RW_LASTPID
python3 "$T/chk.py" "$T/d.db" blocked || { tail -20 "$T/d.log"; fail "the open proxy did not open a blocked open-proxy incident"; }
echo "swept: open proxy -> incident open-proxy, blocked, notices queued with proxy evidence"
lab proxy-http-closed
advance 86500
python3 "$T/chk.py" "$T/d.db" repaired || { tail -20 "$T/d.log"; fail "the retest did not repair the incident"; }
grep -q 'event=retest .*probe=proxy' "$T/d.log" || { grep 'event=retest' "$T/d.log"; fail "the retest did not run the proxy probe"; }
kill -TERM "$DPID"
_i=0
while kill -0 "$DPID" 2>/dev/null; do
	_i=$((_i + 1)); [ $_i -lt 50 ] || fail "the daemon did not stop within 5 s"; sleep 0.1
done
echo "PASS: an open proxy swept, incident open-proxy blocked with proxy notices, retested with the proxy probe, repaired"
