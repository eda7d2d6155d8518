#!/bin/sh
# desk_kill9.sh - kill -9 of `relaywatch daemon` at random points of an ISP
# flow loses no event and sends no notice twice (beyond the one message a
# kill may catch between the smarthost's 250 and the store's commit, resent
# under the same Message-ID). Peers: relaywatch-lab on 127.31.0.2:25 (open,
# then closed-rcpt), delivering to the daemon's sink on 127.0.0.1:$SP; a
# fake smarthost (python asyncio, EHLO/HELO/MAIL/RCPT/DATA/RSET/NOOP/QUIT,
# no STARTTLS) on 127.0.0.1:$MP that writes each message to a spool
# directory before its 250. The daemon (isp.conf, sweep of the host every
# 3600 s of desk time, smarthost_starttls = never) is killed with SIGKILL 6
# times, each after a random 0.1-2 s sleep (seeded: RW_SEED) at points of
# the flow (the sweep, the incident opened, notices leaving, the retest,
# the repair, its notices) and restarted at once on the same store. When
# the flow stalls (a claimed notice or a handed-out test of a killed
# daemon) the desk clock moves 31 min, past the outbox lease (16 min) and
# the test lease (30 min). Flow: sweep finds it open -> incident blocked,
# 4 notices (confirmed, warning, blocked x2); the host is repaired and the
# clock moves 24 h -> retest -> repaired, 2 notices. At the end: one
# incident, repaired; the opening and the repair batches are in the events
# once each, in order; each outbox notice (one per step and recipient) is
# sent with one notice-sent event; the smarthost saw every Message-ID,
# none the outbox lacks, and at most one extra copy per kill; event ids
# are 1..N without a gap and times never go back.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v python3 >/dev/null 2>&1 || skip "no python3"
[ "$(id -u)" = 0 ] || skip "the lab host listens on port 25: needs root"

repo=$(cd "$here/../.." && pwd)
HOST=127.31.0.2
SP=$(free_port)
MP=$(free_port)
SEED=${RW_SEED:-$(date +%s)}
echo "seed $SEED (RW_SEED=$SEED to repeat the kill timing)"
key_file "$T/key"
mkdir "$T/spool"

# the fake smarthost: a message is in the spool before its 250
cat >"$T/smarthost.py" <<'PY'
import asyncio, os, re, sys, time

port, spool, life = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
seq = 0

async def session(r, w):
    global seq
    def say(s):
        w.write(s.encode() + b"\r\n")
    try:
        say("220 smarthost.test ESMTP fake")
        await w.drain()
        data, lines = False, []
        while True:
            line = await asyncio.wait_for(r.readline(), 60)
            if not line:
                return
            if data:
                if line.rstrip(b"\r\n") == b".":
                    data = False
                    msg = b"".join(lines)
                    lines = []
                    m = re.search(rb"^Message-ID:\s*(<[^>\r\n]*>)", msg, re.M | re.I)
                    seq += 1
                    name = os.path.join(spool, "%05d.eml" % seq)
                    with open(name + ".tmp", "wb") as f:
                        f.write(msg)
                    os.rename(name + ".tmp", name)
                    with open(os.path.join(spool, "ids.log"), "a") as f:
                        f.write("%s %s\n" % (m.group(1).decode() if m else "-", name))
                    # slow to answer: a kill now leaves a copy here the
                    # daemon never saw accepted (sent again, same Message-ID)
                    await asyncio.sleep(0.4)
                    say("250 2.0.0 queued as %05d" % seq)
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            await asyncio.sleep(0.05)
            if verb == b"EHLO":
                say("250-smarthost.test\r\n250-8BITMIME\r\n250 SIZE 10485760")
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                say("250 2.0.0 ok")
            elif verb == b"DATA":
                data = True
                say("354 go ahead")
            elif verb == b"QUIT":
                say("221 2.0.0 bye")
                await w.drain()
                return
            else:
                say("502 5.5.2 not here")
            await w.drain()
    except (asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        w.close()

async def main():
    srv = await asyncio.start_server(session, "127.0.0.1", port)
    open(os.path.join(spool, "ready"), "w").close()
    await asyncio.sleep(life)
    srv.close()

asyncio.run(main())
PY
rw_bg python3 "$T/smarthost.py" "$MP" "$T/spool" 300
i=0
until [ -f "$T/spool/ready" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the fake smarthost did not start"; sleep 0.1
done

cat >"$T/rw.conf" <<CFG
policy = $repo/contrib/policies/isp.conf
templates = $repo/contrib/templates
notify_from = Abuse desk <abuse@desk.test>
noc = noc@desk.test
db = $T/d.db
token_key = $T/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:$SP
scan_args = --allow-reserved --wait 3 --battery quick --timeout 5 --retry-after 1 --greylist-delay 1
sweep = $HOST
sweep_ports = 25
sweep_interval = 3600
smarthost = 127.0.0.1:$MP
smarthost_starttls = never
CFG
echo "127.31.0.0/24,Lab ISP customer,admin@desk.test,A1" >"$T/contacts.csv"
"$RW" --config "$T/rw.conf" contacts import "$T/contacts.csv" >"$T/contacts.out" 2>&1 ||
	{ cat "$T/contacts.out"; fail "contacts import"; }

NOW=$(( $(date +%s) * 1000 ))
set_clock() { NOW=$1; echo "$NOW" >"$T/clock.tmp" && mv "$T/clock.tmp" "$T/clock"; }
advance() { set_clock $(( NOW + $1 * 1000 )); }
set_clock "$NOW"

LABPID=""
LABN=0
lab() { # PROFILE: (re)start the lab host
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
	rw_bg "$RWLAB" --sink "127.0.0.1:$SP" --canary canary.lab.test --base "$HOST" --port 25 \
		--profiles "$1" --latency 100 --truth "$T/truth" >"$T/lab$LABN.out" 2>"$T/lab$LABN.log"
	LABPID=$RW_LASTPID
	lab_ready "$T/lab$LABN.out" "$LABPID" "$T/lab$LABN.log" "lab ($1)"
}

# the daemon: one log per run
D=""
DN=0
start_daemon() {
	DN=$((DN + 1))
	rw_bg "$RW" --config "$T/rw.conf" daemon -f --tick-ms 200 --clock-file "$T/clock" \
		>"$T/d$DN.log" 2>&1
	D=$RW_LASTPID
	_i=0
	until grep -q "daemon event=started" "$T/d$DN.log" 2>/dev/null; do
		kill -0 "$D" 2>/dev/null || { cat "$T/d$DN.log"; fail "daemon run $DN exited at start"; }
		_i=$((_i + 1)); [ $_i -lt 100 ] || { cat "$T/d$DN.log"; fail "daemon run $DN not started in 10 s"; }
		sleep 0.1
	done
}

# the kills: 6 random sleeps of 0.1-2 s from the seed
set -- $(python3 -c 'import random, sys
r = random.Random(int(sys.argv[1]))
print(" ".join("%.2f" % r.uniform(0.1, 2.0) for _ in range(6)))' "$SEED")
KILLS=0
kill9() { # WHAT: after the next random sleep, SIGKILL and restart
	_s=$1
	sleep "$_s"
	kill -0 "$D" 2>/dev/null || { cat "$T/d$DN.log"; fail "daemon run $DN died by itself"; }
	kill -9 "$D"
	wait "$D" 2>/dev/null
	KILLS=$((KILLS + 1))
	echo "kill $KILLS ($2, after ${_s} s): $(python3 "$T/chk.py" "$T/d.db" status "$T/spool")"
	start_daemon
}

cat >"$T/chk.py" <<'PY'
import json, os, re, sqlite3, sys

db_path, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
ADMIN, NOC = "admin@desk.test", "noc@desk.test"
OPENING = [("scan-open",), ("notify", "confirmed", "admin", "isp-relay-found"),
           ("escalate", "warning"), ("notify", "warning", "admin", "isp-warning"),
           ("block", "inbound"), ("notify", "blocked", "admin", "isp-inbound-blocked"),
           ("notify", "blocked", "noc", "isp-blocked"), ("test",)]
REPAIR = [("test-clean",), ("unblock", "inbound"),
          ("notify", "repaired", "admin", "isp-unblocked"),
          ("notify", "repaired", "noc", "isp-unblocked"), ("close",)]
NOTICES = sorted([("confirmed", ADMIN), ("warning", ADMIN), ("blocked", ADMIN),
                  ("blocked", NOC), ("repaired", ADMIN), ("repaired", NOC)])

db = sqlite3.connect(db_path, timeout=5)
db.row_factory = sqlite3.Row
def rows(sql, *a):
    return [dict(r) for r in db.execute(sql, a)]

def sig(e):
    d = json.loads(e["detail"])
    if e["kind"] == "notify":
        return ("notify", d["step"], d["rcpt"], d["template"])
    if e["kind"] in ("block", "unblock"):
        return (e["kind"], d["what"])
    if e["kind"] == "escalate":
        return ("escalate", d["level"])
    return (e["kind"],)

try:
    inc = rows("SELECT * FROM incidents")
    ob = rows("SELECT * FROM outbox ORDER BY id")
except sqlite3.OperationalError as e:
    if mode == "status":
        print("store: %s" % e); sys.exit(0)
    sys.exit(1)
sent = [o for o in ob if o["state"] == "sent"]

if mode == "status":
    print("incidents %s, outbox %d (%d sent, %d sending), spool %d" % (
        [i["state"] for i in inc], len(ob), len(sent),
        len([o for o in ob if o["state"] == "sending"]),
        len([f for f in os.listdir(args[0]) if f.endswith(".eml")]) if args else -1))
    sys.exit(0)
if mode == "blocked":   # phase 1 done: blocked, its 4 notices sent
    sys.exit(0 if len(inc) == 1 and inc[0]["state"] == "blocked" and len(sent) == 4 else 1)
if mode == "incident":
    sys.exit(0 if inc else 1)
if mode == "sent":
    sys.exit(0 if len(sent) >= int(args[0]) else 1)
if mode == "state":
    sys.exit(0 if inc and inc[0]["state"] == args[0] else 1)
if mode == "repaired":  # phase 2 done
    sys.exit(0 if len(inc) == 1 and inc[0]["state"] == "repaired" and len(sent) == 6 else 1)

# mode final: spool directory, kills
spool, kills = args[0], int(args[1])
bad = []
if [i["state"] for i in inc] != ["repaired"]:
    bad.append("incidents %s, want one repaired" % [(i["id"], i["state"]) for i in inc])
ev = rows("SELECT * FROM events ORDER BY id")
ids = [e["id"] for e in ev]
if ids != list(range(1, len(ids) + 1)):
    bad.append("event ids are not 1..%d without a gap" % len(ids))
at = [e["at_ms"] for e in ev]
if at != sorted(at):
    bad.append("event times go back")
if any(e["incident"] != 1 for e in ev):
    bad.append("events of another incident")
sigs = [sig(e) for e in ev]
def find(seq):
    return [i for i in range(len(sigs)) if sigs[i:i + len(seq)] == seq]
o, r = find(OPENING), find(REPAIR)
if len(o) != 1 or o[0] != 0:
    bad.append("the opening batch %s times (at %s), want once, first" % (len(o), o))
if len(r) != 1 or any(s[0] != "notice-sent" for s in sigs[r[0] + len(REPAIR):]):
    bad.append("the repair batch %s times (at %s), want once, then only notice-sent" % (len(r), r))
for k in ("notify", "block", "unblock", "escalate", "close", "test-clean"):
    n = len([s for s in sigs if s[0] == k])
    want = 6 if k == "notify" else 1
    if n != want:
        bad.append("%d %s events, want %d" % (n, k, want))
if o and r and o[0] < r[0]:
    between = {s[0] for s in sigs[o[0] + len(OPENING):r[0]]}
    extra = between - {"notice-sent", "scan-open", "scan-suspect", "scan-other", "scan-clean",
                       "test", "test-started"}
    if extra:
        bad.append("between opening and repair: %s" % sorted(extra))
    if "test-started" not in between:
        bad.append("no test-started before the repair")
got = sorted((x["step"], x["rcpt"]) for x in ob)
if got != NOTICES:
    bad.append("outbox %s, want one per step and recipient %s" % (got, NOTICES))
if len(sent) != len(ob):
    bad.append("outbox not all sent: %s" % [(x["id"], x["state"]) for x in ob])
mids = {x["message_id"] for x in ob}
ns = {}
for e in ev:
    if e["kind"] == "notice-sent":
        d = json.loads(e["detail"])
        if "message_id" in d:
            ns[d["message_id"]] = ns.get(d["message_id"], 0) + 1
if ns != {m: 1 for m in mids}:
    bad.append("notice-sent events per Message-ID %s, want one each of %s" % (ns, sorted(mids)))
seen = {}
for line in open(os.path.join(spool, "ids.log")):
    m = line.split()[0]
    seen[m] = seen.get(m, 0) + 1
if set(seen) - mids:
    bad.append("the smarthost got Message-IDs the outbox lacks: %s" % sorted(set(seen) - mids))
if mids - set(seen):
    bad.append("never reached the smarthost: %s" % sorted(mids - set(seen)))
extra = sum(n - 1 for n in seen.values())
if extra > kills:
    bad.append("%d extra copies at the smarthost for %d kills: %s" % (extra, kills, seen))
for x in ob:  # the copy sent is the stored one
    for f in sorted(os.listdir(spool)):
        if f.endswith(".eml"):
            body = open(os.path.join(spool, f), "rb").read()
            if x["message_id"].encode() in body.split(b"\r\n\r\n")[0] and \
                    body.replace(b"\r\n", b"\n").rstrip() != x["body"].encode().replace(b"\r\n", b"\n").rstrip():
                bad.append("%s: the smarthost's copy %s differs from the outbox" % (x["message_id"], f))
print("events %d, notices %d sent, smarthost copies %d (%d extra), kills %d" % (
    len(ev), len(sent), sum(seen.values()), extra, kills))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

# drive MODE [ARG] - wait for it; when nothing moves for 3 s, the desk clock
# goes 31 min on (leases of a killed daemon run out). Up to 40 s.
ADV=0
drive() {
	_i=0
	until python3 "$T/chk.py" "$T/d.db" "$@"; do
		kill -0 "$D" 2>/dev/null || { cat "$T/d$DN.log"; fail "daemon run $DN died"; }
		_i=$((_i + 1))
		[ $_i -lt 160 ] || { tail -30 "$T/d$DN.log"; python3 "$T/chk.py" "$T/d.db" status "$T/spool"; fail "no '$*' within 40 s"; }
		if [ $((_i % 12)) -eq 0 ]; then advance 1860; ADV=$((ADV + 1)); fi
		sleep 0.25
	done
}

start=$(date +%s)
lab open
start_daemon
# phase 1: the sweep opens the incident, blocks, notices leave
kill9 "$1" "during the sweep"
drive incident
kill9 "$2" "incident opened"
drive sent 1
kill9 "$3" "notices leaving"
drive blocked
[ $ADV -lt 40 ] || fail "phase 1 moved the clock $ADV times: near the 24 h retest"
echo "phase 1: blocked, 4 notices sent (clock moved 31 min $ADV times)"
# phase 2: repaired host, the retest 24 h later, the repaired notices
lab closed-rcpt
advance 86460
kill9 "$4" "retest"
drive state repaired
kill9 "$5" "repaired"
kill9 "$6" "repaired notices"
drive repaired
echo "phase 2: repaired, 6 notices sent (clock moved 31 min $ADV times in all)"
sleep 1 # a late duplicate, if any, reaches the spool
python3 "$T/chk.py" "$T/d.db" final "$T/spool" "$KILLS" || {
	python3 - "$T/d.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in db.execute("SELECT id, at_ms, kind, substr(detail, 1, 120) FROM events ORDER BY id"):
    print(*r)
for r in db.execute("SELECT id, step, rcpt, message_id, state, attempts FROM outbox"):
    print(*r)
PY
	cat "$T/spool/ids.log"
	fail "after $KILLS kills (seed $SEED)"
}
kill -TERM "$D"
i=0
while kill -0 "$D" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "the daemon still runs 5 s after SIGTERM"
	sleep 0.1
done
echo "PASS: $KILLS kills -9, nothing lost, no notice twice ($(( $(date +%s) - start )) s, seed $SEED)"
exit 0
