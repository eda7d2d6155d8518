#!/bin/sh
# run.sh - run every unit test binary and integration script.
# Prints PASS name / FAIL name / SKIP name (reason), then "N passed, N failed".
# An integration script exits 0 (pass), 77 (skip: a prerequisite is missing)
# or anything else (fail). RW_STRICT=1 (CI) turns skips into failures.
# VALGRIND=1 runs unit tests under valgrind (and tells scripts via env).
# RW_TEST_TIMEOUT (seconds, default 900) bounds each test.
# TESTS=REGEX runs only the tests whose name matches (grep -E).
#
# RW_TEST_JOBS=N (default 1) runs N integration scripts at once: most of
# them wait on peers and timers, not on the CPU. The longest known ones
# (tests/slow.txt) start first. A script whose header has the line
# "# rw-test: exclusive" (it changes the machine, or holds a fixed port or
# a tight time bound) runs alone, after the others. One with the line
# "# rw-test: plain build" (it builds and checks a package, not the code
# under a sanitizer) is not run in a sanitizer build (RW_SANITIZE=1, set by
# make asan) and says so. Every test has its own
# log in $RW_BUILD/test-logs; a failure's tail is printed with its line.
set -u
: "${RW_BUILD:?RW_BUILD must name the build directory}"
here=$(cd "$(dirname "$0")" && pwd)
logdir="$RW_BUILD/test-logs"
mkdir -p "$logdir"
only="${TESTS:-}"
jobs="${RW_TEST_JOBS:-1}"
case $jobs in '' | *[!0-9]* | 0) jobs=1 ;; esac
# the outcome of each test: one file per test, so parallel runs add up
resdir=$(mktemp -d "$logdir/.results.XXXXXX")
trap 'rm -rf "$resdir"' EXIT
trap 'exit 130' INT TERM

selected() { [ -z "$only" ] || echo "$1" | grep -Eq "$only"; }

# run_one NAME COMMAND... - run one test within its time bound, print its
# line (one write, so parallel lines do not mix) and keep its outcome
run_one() {
	name=$1; shift
	base=$(echo "$name" | tr / _)
	log="$logdir/$base.log"
	start=$(date +%s)
	# every test is bounded: a hang fails (124) instead of holding CI
	timeout -k 10 "${RW_TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1
	rc=$?
	[ $rc -eq 124 ] && echo "timed out after ${RW_TEST_TIMEOUT:-900}s" >>"$log"
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		echo pass >"$resdir/$base"
		echo "PASS $name (${secs}s)"
	elif [ $rc -eq 77 ] && [ "${RW_STRICT:-0}" != 1 ]; then
		echo skip >"$resdir/$base"
		echo "SKIP $name ($(tail -1 "$log"))"
	else
		echo fail >"$resdir/$base"
		printf 'FAIL %s (rc=%d, %ds; log %s)\n%s\n' "$name" $rc $secs "$log" \
			"$(tail -25 "$log" | sed 's/^/    /')"
	fi
}

vg=""
if [ -n "${VALGRIND:-}" ]; then
	vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
fi

for t in "$RW_BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	selected "unit/$(basename "$t")" || continue
	run_one "unit/$(basename "$t")" $vg "$t"
done

# the integration scripts: the slow ones first, then the rest in name order
queue="$resdir/queue" solo="$resdir/solo"
: >"$queue"; : >"$solo"
{
	grep -v '^#' "$here/slow.txt" 2>/dev/null | while read -r s; do
		[ -f "$here/integration/$s.sh" ] && echo "$s"
	done
	for s in "$here"/integration/*.sh; do
		[ -f "$s" ] && basename "$s" .sh
	done
} | awk '!seen[$0]++' | while read -r s; do
	selected "integration/$s" || continue
	if [ "${RW_SANITIZE:-0}" = 1 ] && grep -q '^# rw-test: plain build' "$here/integration/$s.sh"; then
		echo "NOT RUN integration/$s (plain build only: the sanitizer build does not change it)"
	elif grep -q '^# rw-test: exclusive' "$here/integration/$s.sh"; then
		echo "$s" >>"$solo"
	else
		echo "$s" >>"$queue"
	fi
done

# take - the next name from the queue (a mkdir lock among the lanes)
take() {
	_n=0
	until mkdir "$queue.lock" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -lt 600 ] || return 1 # 60 s: a lane died holding it
		sleep 0.1
	done
	_t=$(sed -n 1p "$queue")
	sed -i 1d "$queue"
	rmdir "$queue.lock"
	[ -n "$_t" ] && echo "$_t"
}

lane() {
	while s=$(take); do
		run_one "integration/$s" sh "$here/integration/$s.sh"
	done
}

if [ "$jobs" -gt 1 ]; then
	i=0 pids=""
	while [ $i -lt "$jobs" ]; do
		lane &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do wait "$p"; done
else
	lane
fi
while read -r s; do
	run_one "integration/$s" sh "$here/integration/$s.sh"
done <"$solo"

pass=$(grep -lx pass "$resdir"/* 2>/dev/null | wc -l)
fail=$(grep -lx fail "$resdir"/* 2>/dev/null | wc -l)
skip=$(grep -lx skip "$resdir"/* 2>/dev/null | wc -l)
[ "$skip" -gt 0 ] && echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
