#!/bin/sh
# postfix_greylist.sh - greylisting by a real greylister is waited out, not
# mistaken for a refusal, and never turned into a pass.
# Peers: three private postgrey daemons (lib/postgrey.sh) and a private
# Postfix (lib/postfix.sh, profile "open") with three listeners on 127.0.0.1,
# each asking its own postgrey at RCPT, so every new triplet first gets
# "450 4.2.0 ... Greylisted":
#   $open   postgrey --delay=5 (default DEFER_IF_PERMIT), then
#           permit_mynetworks (0.0.0.0/0): relays once the delay has passed
#   $closed postgrey --delay=5 --greylist-action=DEFER (greylists even a
#           request that would be refused), mynetworks excludes the client,
#           then reject_unauth_destination: 554 once the delay has passed
#   $long   postgrey --delay=300: never passes within relaywatch's budget
# Expect: $open "open" with greylist_rounds >= 1, tests retried (attempts
# >= 2) and a valid arrival through Postfix; $closed "closed" after a
# greylist round, no arrival; $long (--session-timeout 20 --greylist-delay 3)
# "tempfail", never "closed" nor "open". Both logs must show the greylisting.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/postgrey.sh"
pf_require
pg_require

# daemons first: their bound ports cannot be handed out again below
pg_start pgopen --delay=5
pg_start pgclosed --delay=5 --greylist-action=DEFER
pg_start pglong --delay=300

sink=$(free_port)
sink2=$(free_port)
open="" closed="" long="" # listener ports, set by pf_listener
pf_init open "$sink"
pf_listener open \
	-o "smtpd_recipient_restrictions=check_policy_service,$(pg_policy pgopen),permit_mynetworks,reject_unauth_destination"
# the relay restrictions run before the recipient ones: leave the relay
# decision to the recipient restrictions, after the policy service
pf_listener closed -o mynetworks=127.0.0.2/32 -o smtpd_relay_restrictions= \
	-o "smtpd_recipient_restrictions=check_policy_service,$(pg_policy pgclosed),permit_mynetworks,reject_unauth_destination"
pf_listener long \
	-o "smtpd_recipient_restrictions=check_policy_service,$(pg_policy pglong),permit_mynetworks,reject_unauth_destination"
pf_start

# dump the daemons' logs too when a check fails
_pg_fail_dump() { pg_dump pgopen; pg_dump pgclosed; pg_dump pglong; }
_pg_pf_dump() { _pg_fail_dump; pf_dump; }
MTA_DUMP=_pg_pf_dump

# greylist_expect OUT PORT - rounds >= 1 and every test that ran was retried
greylist_expect() {
	python3 - "$1" "$2" <<'PY' || { $MTA_DUMP; fail "127.0.0.1:$2: greylisting not waited out"; }
import json, sys
port = int(sys.argv[2])
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
o = [x for x in o if x.get("port") == port][0]
bad = []
if (o.get("greylist_rounds") or 0) < 1:
    bad.append("greylist_rounds: got %r, want >= 1" % o.get("greylist_rounds"))
ran = [t for t in o.get("tests", []) if t.get("attempts", 0) > 0]
if not ran:
    bad.append("tests: none ran")
for t in ran:
    if t["attempts"] < 2:
        bad.append("test %s: attempts %d, want >= 2 (first answer %s %s)" % (t["id"],
                   t["attempts"], t.get("code"), t.get("text")))
    if t.get("code", 0) // 100 == 4:
        bad.append("test %s: still %s %s after the delay" % (t["id"], t["code"], t.get("text")))
for b in bad:
    print("127.0.0.1:%d: %s" % (port, b))
sys.exit(1 if bad else 0)
PY
}

# 1. delay 5 s, relaywatch retries after 6 s: open and closed, side by side
mta_relaywatch "$T/out.json" "$sink" --greylist-delay 6 --wait 20 --timeout 10 \
	--battery quick "127.0.0.1:$open" "127.0.0.1:$closed"
mta_rc 1 "open found"
mta_expect "$T/out.json" "$open" open valid "relayed|canary|deliver"
greylist_expect "$T/out.json" "$open"
mta_expect "$T/out.json" "$closed" closed none "refused|denied|reject"
greylist_expect "$T/out.json" "$closed"

# 2. delay 300 s, relaywatch may wait 20 s in all: still greylisted at the end
mta_relaywatch "$T/long.json" "$sink2" --greylist-delay 3 --session-timeout 20 --timeout 3 \
	--wait 20 --battery quick "127.0.0.1:$long"
mta_rc 0 "nothing open"
mta_expect "$T/long.json" "$long" tempfail none "4xx|greylist"
python3 - "$T/long.json" "$long" <<'PY' || { _pg_fail_dump; fail "127.0.0.1:$long: greylisting not retried"; }
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][0]
ran = [t for t in o["tests"] if t.get("attempts", 0) > 0]
bad = ["greylist_rounds: got %r, want >= 1" % o.get("greylist_rounds")] \
    if (o.get("greylist_rounds") or 0) < 1 else []
bad += ["test %s: %s %s %s, want a 450 4.2.0 greylisting" % (t["id"], t.get("code"), t.get("esc"),
        t.get("text")) for t in ran if t.get("code") != 450 or "greylist" not in (t.get("text") or "").lower()]
bad += ["test %s: attempts %d, want >= 2" % (t["id"], t["attempts"]) for t in ran if t["attempts"] < 2]
print("\n".join(bad))
sys.exit(1 if bad or not ran else 0)
PY

# the greylisting really happened: postgrey decided, Postfix answered 450,
# and only the first two daemons ever let a triplet through
mta_log_has "reject: RCPT from .*: 450 4\.2\.0 .*Greylisted" "no 450 greylisting logged"
mta_log_has "reject: RCPT from .*: 554 5\.7\.1 .*Relay access denied" "no relay refusal after the delay logged"
mta_log_has "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$sink,.*status=sent" "no delivery to the sink logged"
mta_log_lacks "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$sink2" "a greylisted message reached the sink"
for d in pgopen pgclosed pglong; do
	pg_log_has $d "action=greylist, reason=new, .*client_address=127\.0\.0\.1" "no new triplet greylisted"
done
pg_log_has pglong "action=greylist, reason=early-retry" "no early retry greylisted again"
pg_log_has pgopen "action=pass, reason=triplet found" "no triplet let through after the delay"
pg_log_has pgclosed "action=pass, reason=triplet found" "no triplet let through after the delay"
[ "$(pg_log_count pglong 'action=pass')" -eq 0 ] || { pg_dump pglong; fail "postgrey pglong let a triplet through"; }
echo "PASS: postfix with postgrey: open after greylisting, closed after greylisting, tempfail when the delay is too long"
