#!/bin/sh
# run.sh - run every unit test binary and integration script.
# Prints PASS name / FAIL name / SKIP name (reason), then "N passed, N failed".
# An integration script exits 0 (pass), 77 (skip: a prerequisite is missing)
# or anything else (fail). RW_STRICT=1 (CI) turns skips into failures.
# VALGRIND=1 runs unit tests under valgrind (and tells scripts via env).
# RW_TEST_TIMEOUT (seconds, default 900) bounds each test.
set -u
: "${RW_BUILD:?RW_BUILD must name the build directory}"
here=$(cd "$(dirname "$0")" && pwd)
logdir="$RW_BUILD/test-logs"
mkdir -p "$logdir"
pass=0 fail=0 skip=0
only="${TESTS:-}"

run_one() { # name, command...
	name=$1; shift
	if [ -n "$only" ] && ! echo "$name" | grep -Eq "$only"; then return; fi
	log="$logdir/$(echo "$name" | tr / _).log"
	start=$(date +%s)
	# every test is bounded: a hang fails (124) instead of holding CI
	timeout -k 10 "${RW_TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1
	rc=$?
	[ $rc -eq 124 ] && echo "timed out after ${RW_TEST_TIMEOUT:-900}s" >>"$log"
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $name (${secs}s)"
	elif [ $rc -eq 77 ] && [ "${RW_STRICT:-0}" != 1 ]; then
		skip=$((skip + 1)); echo "SKIP $name ($(tail -1 "$log"))"
	else
		fail=$((fail + 1)); echo "FAIL $name (rc=$rc, ${secs}s; log $log)"
		tail -25 "$log" | sed 's/^/    /'
	fi
}

vg=""
if [ -n "${VALGRIND:-}" ]; then
	vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
fi

for t in "$RW_BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" $vg "$t"
done
for s in "$here"/integration/*.sh; do
	[ -f "$s" ] || continue
	run_one "integration/$(basename "$s" .sh)" sh "$s"
done
[ $skip -gt 0 ] && echo "$skip skipped"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
