#!/bin/sh
# desk_contacts.sh - `relaywatch contacts`: import the owners CSV into the
# store, all or nothing (a file with one bad line imports nothing and names
# FILE:LINE), re-import updates by netblock, `for ADDR` answers the longest
# prefix with the NOC (0.0.0.0/0, ::/0) last, `list --json` holds them all.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
command -v python3 >/dev/null 2>&1 || skip "no python3"
db="$T/desk.db"

cat >"$T/good.csv" <<'CSV'
cidr,customer,emails,account
# the NOC: whoever else owns nothing
0.0.0.0/0,NOC,noc@example.net,
::/0,NOC,noc@example.net,
192.0.2.0/24,"Example Hosting",hosting@example.org admin@example.org,C-1
192.0.2.128/25,Tenant,tenant@example.com,C-2
2001:db8:10::/48,Lab,lab@example.org;lab2@example.org,C-3
CSV
"$RW" contacts import --db "$db" "$T/good.csv" >"$T/imp.out" 2>&1 || { cat "$T/imp.out"; fail "import failed"; }
grep -q "^5 contact(s) imported" "$T/imp.out" || { cat "$T/imp.out"; fail "import count"; }

owner() { "$RW" contacts for --db "$db" --json "$1" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["customer"], o["netblock"])'; }
[ "$(owner 192.0.2.200)" = "Tenant 192.0.2.128/25" ] || fail "192.0.2.200: $(owner 192.0.2.200)"
[ "$(owner 192.0.2.5)" = "Example Hosting 192.0.2.0/24" ] || fail "192.0.2.5: $(owner 192.0.2.5)"
[ "$(owner 198.51.100.1)" = "NOC 0.0.0.0/0" ] || fail "198.51.100.1: $(owner 198.51.100.1)"
[ "$(owner 2001:db8:10::25)" = "Lab 2001:db8:10::/48" ] || fail "v6: $(owner 2001:db8:10::25)"
[ "$(owner 2001:db8:99::1)" = "NOC ::/0" ] || fail "v6 NOC: $(owner 2001:db8:99::1)"

# one bad line: nothing of the file is written, the line is named
printf '192.0.2.0/24,Changed,changed@example.org,C-1\n10.0.0.0/8,Bad,not-an-email,\n' >"$T/bad.csv"
"$RW" contacts import --db "$db" "$T/bad.csv" >"$T/bad.out" 2>&1
[ $? -eq 2 ] || { cat "$T/bad.out"; fail "a bad line: want exit 2"; }
grep -q "bad.csv:2: email 'not-an-email' is not a mailbox" "$T/bad.out" || { cat "$T/bad.out"; fail "bad line not named"; }
[ "$(owner 192.0.2.5)" = "Example Hosting 192.0.2.0/24" ] || fail "a refused import changed a contact"

# re-import updates by netblock
printf '192.0.2.0/24,Renamed,new@example.org,C-1\n' | "$RW" contacts import --db "$db" - >/dev/null || fail "stdin import"
[ "$(owner 192.0.2.5)" = "Renamed 192.0.2.0/24" ] || fail "update by netblock: $(owner 192.0.2.5)"
n=$("$RW" contacts list --db "$db" --json | wc -l)
[ "$n" -eq 5 ] || fail "list holds $n contacts, want 5"
"$RW" contacts for --db "$db" nonsense >/dev/null 2>&1
[ $? -eq 2 ] || fail "a non-address: want exit 2"
echo "PASS: contacts import is all or nothing, longest prefix wins, the NOC is last"
exit 0
