#!/bin/sh
# lab_verdicts.sh - every relaywatch-lab host earns the verdict its ground
# truth names. Peers: relaywatch-lab (all profiles, canary.lab.test,
# --greylist 2 --delay 2) on 127.10.0.0/24, one free port; each host is
# tested by `relaywatch test --battery full` with its embedded sink, to
# which the lab delivers. The lab delivers to one sink address while every
# tester runs its own sink, so the profiles are dealt into LAB_LANES lanes
# (default 4, at most 8): one lab (from 127.10.0.(1+32*lane)) and one sink
# port per lane, the lanes in parallel, the hosts of a lane one after
# another. The chain profiles share a lane (the entry relays through the
# smarthost). Prints "addr profile expected got PASS/FAIL"; fails if any
# verdict differs. VALGRIND=1 runs the labs and every tester under valgrind
# and fails on their errors. Also run by `make demo`.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
lanes=${LAB_LANES:-4}
[ "$lanes" -ge 1 ] 2>/dev/null && [ "$lanes" -le 8 ] || fail "LAB_LANES=$lanes: want 1 to 8"
port=$(free_port)
key_file "$T/key"
ready_wait=15 stop_wait=10
[ -n "$RW_VG" ] && { ready_wait=90; stop_wait=60; }
# a tester that hangs must not hold the run: its own budget, and a kill
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 120"

# deal the profiles into lanes, the chain-* profiles all into chain-entry's
profiles=$("$RWLAB" --list | awk 'NR > 1 { print $1 }')
[ -n "$profiles" ] || fail "relaywatch-lab --list printed no profiles"
i=0
chain_lane=""
for p in $profiles; do
	case $p in
	chain-*)
		[ -n "$chain_lane" ] || { chain_lane=$((i % lanes)); i=$((i + 1)); }
		l=$chain_lane ;;
	*)
		l=$((i % lanes)); i=$((i + 1)) ;;
	esac
	eval "lane_$l=\"\${lane_$l:+\$lane_$l,}$p\""
done

# start one lab per lane
labpids=""
l=0
while [ $l -lt $lanes ]; do
	eval "list=\${lane_$l:-}"
	if [ -n "$list" ]; then
		sink=$(free_port)
		echo "$sink" >"$T/sink.$l"
		rw_bg $RW_VG "$RWLAB" --sink "127.0.0.1:$sink" --canary canary.lab.test \
			--base "127.10.0.$((1 + l * 32))" --port "$port" --greylist 2 --delay 2 \
			--truth "$T/truth.$l" --profiles "$list" >"$T/lab.$l.out" 2>"$T/lab.$l.log"
		labpids="$labpids $RW_LASTPID"
		echo "$RW_LASTPID" >"$T/labpid.$l"
	fi
	l=$((l + 1))
done
for l in $(seq 0 $((lanes - 1))); do
	[ -f "$T/labpid.$l" ] || continue
	n=0
	until grep -qx ready "$T/lab.$l.out" 2>/dev/null; do
		kill -0 "$(cat "$T/labpid.$l")" 2>/dev/null || { cat "$T/lab.$l.log"; fail "lab $l exited before ready"; }
		n=$((n + 1))
		[ $n -lt $((ready_wait * 10)) ] || fail "lab $l not ready after ${ready_wait}s"
		sleep 0.1
	done
done

# lane L: test its hosts one by one against its own sink port
run_lane() {
	sink=$(cat "$T/sink.$1")
	while read -r addr p profile want _proxy; do
		out="$T/out.$profile.json"
		$limit $RW_VG "$RW" test --json --token-key "$T/key" --canary canary.lab.test \
			--sink-listen "127.0.0.1:$sink" --timeout 4 --greylist-delay 3 --wait 8 \
			--session-timeout 60 --battery full "$addr:$p" \
			>"$out" 2>"$T/rw.$profile.log"
		rc=$?
		got=$(json_get "$out" 'o["verdict"]' 2>/dev/null | head -1)
		[ -n "$got" ] || got="none(rc=$rc)"
		# valgrind's exit status: the tester leaked or touched bad memory
		[ $rc -eq 99 ] && got="valgrind-errors"
		echo "$addr $profile $want $got" >>"$T/result.$1"
	done <"$T/truth.$1"
}
start=$(date +%s)
lanepids=""
for l in $(seq 0 $((lanes - 1))); do
	[ -f "$T/truth.$l" ] || continue
	run_lane "$l" &
	lanepids="$lanepids $!"
done
for p in $lanepids; do wait "$p"; done
secs=$(( $(date +%s) - start ))

# stop the labs: a clean exit (0), or valgrind's 99
bad=0
for l in $(seq 0 $((lanes - 1))); do
	[ -f "$T/labpid.$l" ] || continue
	pid=$(cat "$T/labpid.$l")
	kill -TERM "$pid" 2>/dev/null
	n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt $((stop_wait * 10)) ]; do
		sleep 0.1; n=$((n + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "lab lane $l still running ${stop_wait}s after SIGTERM"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "lab lane $l exited $rc"
		tail -20 "$T/lab.$l.log"
		bad=1
	fi
done

# the table
printf '%-14s %-22s %-14s %-14s %s\n' addr profile expected got result
fails=0 total=0
for f in "$T"/result.*; do cat "$f"; done | sort -t. -k3,3n -k4,4n |
while read -r addr profile want got; do
	r=PASS
	[ "$want" = "$got" ] || r=FAIL
	printf '%-14s %-22s %-14s %-14s %s\n' "$addr" "$profile" "$want" "$got" "$r"
done | tee "$T/table"
total=$(wc -l <"$T/table")
fails=$(grep -c ' FAIL$' "$T/table")
nprof=$(echo "$profiles" | wc -l)
echo "$total hosts tested in ${secs}s, $fails failed"
for profile in $(awk '/ FAIL$/ { print $2 }' "$T/table"); do
	echo "--- $profile: $(json_get "$T/out.$profile.json" 'o.get("reason")' 2>/dev/null)"
	tail -5 "$T/rw.$profile.log"
done
[ "$total" -eq "$nprof" ] || fail "tested $total hosts, the lab has $nprof profiles"
[ "$fails" -eq 0 ] || fail "$fails verdicts differ from the ground truth"
[ $bad -eq 0 ] || fail "a lab did not exit cleanly"
echo "PASS: every lab profile earned its verdict"
