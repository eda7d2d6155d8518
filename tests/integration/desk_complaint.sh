#!/bin/sh
# desk_complaint.sh - `relaywatch complaint import|add`: ARF, X-ARF and
# plain complaints (the unit tests' samples) kept in the store with their
# address, port, reporter and kind; the same report delivered twice is kept
# once; an unusable one is refused with its reason (exit 2) and nothing is
# kept; --ip rescues a report without Source-IP; a report typed in by hand.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
command -v python3 >/dev/null 2>&1 || skip "no python3"
data="$here/../unit/data/complaints"
db="$T/desk.db"
imp() { "$RW" complaint import --db "$db" --json "$@"; }
field() { python3 -c 'import json,sys; o=json.loads(sys.stdin.readline()); print(o[sys.argv[1]])' "$1"; }

[ "$(imp <"$data/arf-rfc822.eml" | field addr)" = 192.0.2.7 ] || fail "ARF address"
[ "$(imp <"$data/xarf.eml" | field port)" = 25 ] || fail "X-ARF port"
[ "$(imp <"$data/plain-forward.eml" | field kind)" = plain ] || fail "plain complaint kind"
[ "$(imp <"$data/arf-rfc822.eml" | field duplicate)" = True ] || fail "a report delivered twice is kept twice"
imp <"$data/bad-arf-no-source-ip.eml" >"$T/bad.out" 2>&1
[ $? -eq 2 ] || { cat "$T/bad.out"; fail "no Source-IP: want exit 2"; }
grep -q "no Source-IP field; give the relay's address with --ip" "$T/bad.out" || { cat "$T/bad.out"; fail "reason"; }
[ "$(imp --ip 198.51.100.9 <"$data/bad-arf-no-source-ip.eml" | field addr)" = 198.51.100.9 ] || fail "--ip"
imp <"$data/bad-not-mail.eml" >/dev/null 2>&1
[ $? -eq 2 ] || fail "not a mail message: want exit 2"
[ "$("$RW" complaint add 192.0.2.99 --db "$db" --from caller@example.org --json | field reporter)" = caller@example.org ] ||
	fail "complaint add"
n=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from complaints").fetchone()[0])' "$db")
[ "$n" -eq 5 ] || fail "the store holds $n complaints, want 5 (3 kinds, --ip, by hand; no duplicate, no refused one)"
"$RW" complaint add not-an-ip --db "$db" >/dev/null 2>&1
[ $? -eq 2 ] || fail "add with a non-address: want exit 2"
echo "PASS: complaints kept once each, unusable ones refused with their reason"
exit 0
