#!/bin/sh
# store_pg.sh - the store suite on a real PostgreSQL: the same unit test
# binaries make check runs on SQLite (test_store, test_store_desk,
# test_store_late, test_store_work, test_webauth, test_desk), run again with
# RW_TEST_STORE_URL naming a database of a server this test starts:
# initdb in a temporary directory, pg_ctl, a Unix socket only (lib/pg.sh;
# as root the server runs as nobody). Each binary must report the
# PostgreSQL backend and pass every test; cmocka's skips (a check of
# SQLite alone) are listed. Then `relaywatch migrate`, the listings, contacts,
# users, incidents and report on the same database: the PostgreSQL URL where
# a path goes; and migrate of an SQLite file, as before.
# Skips (77) only when the server binaries are missing.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/pg.sh"

pg_have || skip "no PostgreSQL server binaries (apt-get install postgresql)"
[ -x "$RW" ] || skip "no $RW"
pg_start || fail "PostgreSQL did not start"
echo "server: $PG_URL"

bad=0
for t in test_store test_store_desk test_store_late test_store_work test_webauth test_desk; do
	bin="$RW_BUILD/tests/$t"
	[ -x "$bin" ] || fail "no $bin (make unit)"
	RW_TEST_STORE_URL=$PG_URL timeout -k 5 600 "$bin" >"$T/$t.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL $t on postgresql (rc=$rc):"
		tail -40 "$T/$t.out"
		bad=$((bad + 1))
		continue
	fi
	grep -q "store_fx: backend postgresql" "$T/$t.out" ||
		{ echo "FAIL $t: it did not run on postgresql"; bad=$((bad + 1)); continue; }
	echo "ok $t on postgresql: $(grep -E '^\[  PASSED  \]' "$T/$t.out")"
	grep -E '^skip on postgresql|^\[  SKIPPED \]' "$T/$t.out" | sed 's/^/    /'
done
[ $bad -eq 0 ] || fail "$bad store test binaries failed on postgresql"

# the program: migrate, then a listing, on the URL
"$RW" migrate --db "$PG_URL" >"$T/migrate.out" 2>&1 || { cat "$T/migrate.out"; fail "migrate"; }
cat "$T/migrate.out"
grep -q "schema version" "$T/migrate.out" || fail "migrate did not print the version"
"$RW" scans --db "$PG_URL" >"$T/scans.out" 2>&1 || { cat "$T/scans.out"; fail "scans"; }
RELAYWATCH_DB=$PG_URL "$RW" scans >"$T/scans2.out" 2>&1 ||
	{ cat "$T/scans2.out"; fail "scans with RELAYWATCH_DB a URL"; }
# the desk's and the console's commands on the same URL
printf 'cidr,customer,emails,account\n192.0.2.0/24,Example,admin@example.net,C-1\n0.0.0.0/0,NOC,noc@example.edu,\n' >"$T/owners.csv"
"$RW" contacts import --db "$PG_URL" "$T/owners.csv" >"$T/c.out" 2>&1 || { cat "$T/c.out"; fail "contacts import"; }
"$RW" contacts for --db "$PG_URL" 192.0.2.9 >"$T/for.out" 2>&1 || { cat "$T/for.out"; fail "contacts for"; }
grep -q Example "$T/for.out" || { cat "$T/for.out"; fail "contacts for: not the /24's"; }
printf 'correct horse battery\n' >"$T/pw"
"$RW" user add --db "$PG_URL" alice --role operator --password-file "$T/pw" >"$T/u.out" 2>&1 ||
	{ cat "$T/u.out"; fail "user add"; }
"$RW" user list --db "$PG_URL" >"$T/ul.out" 2>&1 && grep -q alice "$T/ul.out" ||
	{ cat "$T/ul.out"; fail "user list"; }
"$RW" incidents --db "$PG_URL" --all >"$T/i.out" 2>&1 || { cat "$T/i.out"; fail "incidents"; }
"$RW" report --db "$PG_URL" >"$T/r.out" 2>&1 || { cat "$T/r.out"; fail "report"; }
# the same database seen by SQLite's tools is not ours: migrate of a fresh
# SQLite file beside it still works (no --db URL: everything as before)
"$RW" migrate --db "$T/plain.db" >"$T/m2.out" 2>&1 && grep -q '(sqlite)' "$T/m2.out" ||
	{ cat "$T/m2.out"; fail "migrate of an SQLite file"; }

# a wrong password is refused with a message that does not repeat it
"$RW" scans --db "postgresql://rwtest:hunter2@/nosuchdb?host=$PG_DIR" >"$T/bad.out" 2>&1 &&
	fail "scans on a missing database succeeded"
cat "$T/bad.out"
grep -q hunter2 "$T/bad.out" && fail "the password is in the error"
grep -q 'nosuchdb' "$T/bad.out" || fail "the error does not name the database"
echo "store suite passed on postgresql"

# issue 9: three workers scan a lab /20 through this PostgreSQL, one killed
# -9; two vantages (scale_workers.sh, with the store's URL)
RW_TEST_STORE_URL=$PG_URL sh "$here/scale_workers.sh" >"$T/scale.out" 2>&1 ||
	{ tail -30 "$T/scale.out"; fail "scale_workers on postgresql"; }
grep -E "^ok|^PASS" "$T/scale.out"
echo "workers and vantages passed on postgresql"
