#!/bin/sh
# desk_cli.sh - the abuse desk's operator commands end to end, under the
# university policy with the store named by the `db` key: a complaint
# typed in opens incident 1 (reported) for the netblock's admin; `incidents`
# lists open ones (table and JSON), refuses an unknown state; `incident 1`
# shows the complaint, the complaint event and the queued "opened" notice;
# note (with its user, no notice sent), retest and close are recorded;
# a second close is refused (exit 1, the why on stderr); a missing incident
# is exit 3; `report` counts what happened in its window and nothing
# outside it; without a policy a complaint is kept and no incident opens.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
command -v python3 >/dev/null 2>&1 || skip "no python3"
repo=$(cd "$here/../.." && pwd)
cfg="$T/relaywatch.conf"
cat >"$cfg" <<EOF
policy = $repo/contrib/policies/university.conf
notify_from = Abuse desk <abuse@desk.test>
db = $T/d.db
EOF
rw() { "$RW" --config "$cfg" "$@"; }
# jq FILE EXPR - a python expression over the one JSON object `o` in FILE
jq() { python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
unset SUDO_USER
USER=alice; export USER

printf 'cidr,customer,emails,account\n192.0.2.0/24,Chemistry Dept,admin@desk.test,U-7\n' >"$T/owners.csv"
"$RW" contacts import --db "$T/d.db" "$T/owners.csv" >/dev/null || fail "contacts import"

# the complaint opens incident 1, in the store the `db` key names
rw complaint add 192.0.2.7 --from alice@example.org --json >"$T/c1.json" 2>"$T/c1.err" ||
	{ cat "$T/c1.err"; fail "complaint add: exit $?"; }
[ "$(jq "$T/c1.json" 'o["incident"]')" = 1 ] || { cat "$T/c1.json"; fail "the complaint opened no incident 1"; }
[ -f "$T/default.db" ] && fail "the complaint went to the default store, not the db key's"
rw complaint add 192.0.2.7 --from bob@example.org >"$T/c2.out" || fail "second complaint"
grep -q "^complaint 2: 192.0.2.7 from bob@example.org (manual); incident 1$" "$T/c2.out" ||
	{ cat "$T/c2.out"; fail "a second complaint about the address joins incident 1"; }

# incidents: the table and JSON Lines
rw incidents >"$T/list.out" || fail "incidents: exit $?"
[ "$(wc -l <"$T/list.out")" -eq 2 ] || { cat "$T/list.out"; fail "incidents: want a header and one row"; }
set -- $(sed -n 2p "$T/list.out")
[ "$1 $2 $3 $4 $5 $6" = "1 192.0.2.7:25 reported university-noc Chemistry Dept" ] ||
	{ cat "$T/list.out"; fail "incidents row: $*"; }
[ "$9" = none ] || fail "incidents: level '$9', want none"
head -1 "$T/list.out" | grep -q "^ID  *ADDRESS  *STATE  *POLICY  *CUSTOMER  *OPENED  *NEXT DUE  *LEVEL$" ||
	{ head -1 "$T/list.out"; fail "incidents header"; }
rw incidents --json >"$T/list.json" || fail "incidents --json"
[ "$(wc -l <"$T/list.json")" -eq 1 ] || fail "incidents --json: want one line"
[ "$(jq "$T/list.json" '(o["id"], o["addr"], o["port"], o["state"], o["policy"], o["contact"]["emails"], o["closed"], o["level"])')" = \
	"(1, '192.0.2.7', 25, 'reported', 'university-noc', 'admin@desk.test', None, 'none')" ] ||
	{ cat "$T/list.json"; fail "incidents --json fields"; }
[ "$(jq "$T/list.json" 'o["class"]')" = open-relay ] || { cat "$T/list.json"; fail "incidents --json: class"; }
jq "$T/list.json" 'o["opened"].endswith("Z") and o["due"] is not None and o["rev"] >= 1' | grep -qx True ||
	fail "incidents --json: opened, due, rev"
rw incidents --state bogus >/dev/null 2>"$T/bogus.err"
[ $? -eq 2 ] || fail "--state bogus: want exit 2"
grep -q "not-reproduced" "$T/bogus.err" || { cat "$T/bogus.err"; fail "--state bogus: the valid states"; }
[ -z "$(rw incidents --state closed | sed 1d)" ] || fail "--state closed lists an open incident"

# the timeline: the complaint, its event, the "opened" notice queued for the admin
rw incident 1 >"$T/show.out" || fail "incident 1: exit $?"
grep -q "^state  *reported$" "$T/show.out" || { cat "$T/show.out"; fail "incident 1: state"; }
grep -q "^class  *open-relay$" "$T/show.out" || { cat "$T/show.out"; fail "incident 1: class"; }
rw incident 1 --json >"$T/show.json" || fail "incident 1 --json"
[ "$(jq "$T/show.json" 'o["class"]')" = open-relay ] || { cat "$T/show.json"; fail "incident 1 --json: class"; }
grep -q "^contact  *Chemistry Dept (192.0.2.0/24): admin@desk.test, account U-7$" "$T/show.out" ||
	{ cat "$T/show.out"; fail "incident 1: contact"; }
[ "$(grep -c "Z  complaint  manual  *-  *entered by hand$" "$T/show.out")" -eq 2 ] ||
	{ cat "$T/show.out"; fail "incident 1: the two complaints"; }
grep -q "Z  event  *complaint  *-  *new -> reported, complaint 1$" "$T/show.out" ||
	{ cat "$T/show.out"; fail "incident 1: the complaint event"; }
grep -q "Z  outbox  *opened  *queued  *to admin@desk.test: " "$T/show.out" ||
	{ cat "$T/show.out"; fail "incident 1: the opened notice to the admin"; }

# note: recorded with the user, nothing sent
rw incident 1 note called the admin >"$T/note.out" || fail "note: exit $?"
[ "$(cat "$T/note.out")" = "incident 1: note recorded" ] || { cat "$T/note.out"; fail "note output"; }
rw incident 1 note --user carol "left a voicemail" >/dev/null || fail "note --user"
rw incident 1 retest >"$T/retest.out" || fail "retest: exit $?"
grep -q "^incident 1: retest scheduled" "$T/retest.out" || fail "retest output"
rw incident 1 --json >"$T/t.json" || fail "incident --json"
[ "$(jq "$T/t.json" '[(e["detail"]["user"], e["detail"]["text"]) for e in o["timeline"] if e["kind"] == "note"]')" = \
	"[('alice', 'called the admin'), ('carol', 'left a voicemail')]" ] ||
	{ cat "$T/t.json"; fail "the notes and their users"; }
[ "$(jq "$T/t.json" '[e["detail"].get("user") for e in o["timeline"] if e["kind"] == "retest"]')" = "['alice']" ] ||
	fail "the retest event and its user"
[ "$(jq "$T/t.json" '[(e["kind"], e["state"], e["rcpt"]) for e in o["timeline"] if e["source"] == "outbox"]')" = \
	"[('opened', 'queued', 'admin@desk.test')]" ] || fail "a note sent a notice, or the opened one is missing"
grep -q 'by alice, "called the admin"$' "$T/show.out" && fail "the note was there before it was made"
rw incident 1 | grep -q 'event  *note  *-  *by alice, "called the admin"$' || fail "the note in the timeline"

# block and unblock: refused before relaying is verified (exit 1, the why);
# unblock needs --reason (exit 2); the refusals are recorded, nothing acted
rw incident 1 block --reason "spam run" >"$T/blk.out" 2>"$T/blk.err"
[ $? -eq 1 ] || fail "block of a reported incident: want exit 1"
grep -q "block refused: relaying is not verified yet" "$T/blk.err" || { cat "$T/blk.err"; fail "block: the why"; }
rw incident 1 unblock >/dev/null 2>"$T/ublk.err"
[ $? -eq 2 ] || fail "unblock without --reason: want exit 2"
grep -q "unblock needs --reason" "$T/ublk.err" || { cat "$T/ublk.err"; fail "unblock: the usage message"; }
rw incident 1 unblock --reason "payroll mail" >/dev/null 2>"$T/ublk2.err"
[ $? -eq 1 ] || fail "unblock of an unblocked incident: want exit 1"
grep -q "unblock refused: nothing is blocked" "$T/ublk2.err" || { cat "$T/ublk2.err"; fail "unblock: the why"; }
rw incident 1 retest --reason x >/dev/null 2>&1
[ $? -eq 2 ] || fail "retest --reason: want exit 2"
rw incident 1 --json >"$T/b.json" || fail "incident --json after block"
[ "$(jq "$T/b.json" '[(e["kind"], e["detail"]["outcome"]) for e in o["timeline"] if e["kind"] in ("block", "unblock")]')" = \
	"[('block', 'rejected'), ('unblock', 'rejected')]" ] || { cat "$T/b.json"; fail "the refused block and unblock in the timeline"; }
[ "$(jq "$T/b.json" '[e for e in o["timeline"] if e["source"] == "action"]')" = "[]" ] || fail "a refused block acted"

# close; a second close is refused with the why
rw incident 1 close --reason "false report" >"$T/close.out" || fail "close: exit $?"
[ "$(cat "$T/close.out")" = "incident 1: closed" ] || fail "close output"
rw incident 1 --json >"$T/c.json" || fail "incident --json after close"
[ "$(jq "$T/c.json" '(o["state"], o["closed"] is not None, o["due"])')" = "('closed', True, None)" ] ||
	{ cat "$T/c.json"; fail "closed incident fields"; }
[ "$(jq "$T/c.json" '[e["detail"]["text"] for e in o["timeline"] if e["kind"] == "close" and "from" in e["detail"]]')" = \
	"['false report']" ] || fail "the close event and its reason"
rw incident 1 close --reason "again" >"$T/close2.out" 2>"$T/close2.err"
[ $? -eq 1 ] || fail "a second close: want exit 1"
grep -q "close refused: the incident is closed" "$T/close2.err" || { cat "$T/close2.err"; fail "second close: the why"; }
[ -s "$T/close2.out" ] && fail "a refused close printed on stdout"
[ -z "$(rw incidents | sed 1d)" ] || fail "incidents lists a closed incident"
[ "$(rw incidents --all | sed 1d | awk '{print $1, $3}')" = "1 closed" ] || fail "incidents --all"
[ "$(rw incidents --state closed --json | python3 -c 'import json,sys; print([json.loads(l)["id"] for l in sys.stdin])')" = "[1]" ] ||
	fail "incidents --state closed"

# no such incident: exit 3, with or without a command
rw incident 99 >/dev/null 2>"$T/99.err"
[ $? -eq 3 ] || fail "incident 99: want exit 3"
grep -q "99: no such incident" "$T/99.err" || fail "incident 99: message"
rw incident 99 retest >/dev/null 2>&1
[ $? -eq 3 ] || fail "incident 99 retest: want exit 3"
rw incident 1 close >/dev/null 2>&1
[ $? -eq 2 ] || fail "close without --reason: want exit 2"
rw incident 1 note "$(printf 'bell\007')" >/dev/null 2>&1
[ $? -eq 2 ] || fail "a note with a control byte: want exit 2"

# the report: everything within 30 days, nothing within the last second
rw report --since 30d --json >"$T/r.json" || fail "report: exit $?"
[ "$(jq "$T/r.json" '(o["found"], o["repaired"], o["complaints"], o["blocks"], o["open_total"], o["open"]["reported"])')" = \
	"(1, 0, 2, 0, 0, 0)" ] || { cat "$T/r.json"; fail "report --since 30d"; }
rw report >"$T/r.out" || fail "report (human)"
grep -q "^found  *1$" "$T/r.out" && grep -q "^median time to repair  *-$" "$T/r.out" ||
	{ cat "$T/r.out"; fail "report (human)"; }
rw report --since 2x >/dev/null 2>&1
[ $? -eq 2 ] || fail "report --since 2x: want exit 2"
sleep 2
rw report --since 1s --json >"$T/r1.json" || fail "report --since 1s"
[ "$(jq "$T/r1.json" '(o["found"], o["complaints"])')" = "(0, 0)" ] || { cat "$T/r1.json"; fail "report --since 1s"; }

# a new complaint opens a new incident; without a policy one is only kept
rw complaint add 192.0.2.7 --json >"$T/c3.json" || fail "complaint after close"
[ "$(jq "$T/c3.json" 'o["incident"]')" = 2 ] || fail "a complaint after the close opens incident 2"
printf 'db = %s\n' "$T/d.db" >"$T/nopolicy.conf"
"$RW" --config "$T/nopolicy.conf" complaint add 192.0.2.8 --json >"$T/c4.json" 2>"$T/c4.err" ||
	fail "complaint without a policy: exit $?"
[ "$(jq "$T/c4.json" '(o["id"], o["incident"])')" = "(4, None)" ] || { cat "$T/c4.json"; fail "kept without an incident"; }
grep -q "no policy configured" "$T/c4.err" || fail "no note that no policy is configured"
[ "$(rw incidents --json | wc -l)" -eq 1 ] || fail "an incident opened without a policy"
echo "PASS: incidents listed, shown, noted, retested, closed once; report counts its window"
exit 0
