#!/bin/sh
# config_check.sh - `relaywatch config check` as an operator meets it: a
# clean configuration passes (exit 0, "config ok"); every problem of a bad
# one is printed with its file and line (three on known lines, exit 1); a
# policy's problems carry the policy's own path and line; a drop-in of
# relaywatch.d overrides a key, its problem names the drop-in, and files
# that are not *.conf or are dotfiles are ignored; a semantic problem (the
# sink on a wildcard with no canary) names the key's line; the daemon
# refuses such configurations (exit 2) and says where; its SIGHUP reads the
# drop-ins again and logs a bad one's path and line.
# Peers: a relaywatch daemon on a free loopback port (the refused ones stop
# at their checks, before they bind).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
[ -x "$RW" ] || skip "no $RW"

repo=$(cd "$here/../.." && pwd)
key_file "$T/key"
cp "$repo/contrib/policies/university.conf" "$T/policy.conf"
mkdir "$T/etc"
cat >"$T/etc/rw.conf" <<CFG
[relaywatch]
policy = $T/policy.conf
notify_from = Abuse desk <abuse@desk.test>
db = $T/d.db
token_key = $T/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:1
pid_file = $T/rw.pid
CFG

# run_check NAME CONF [ARGS] - config check; stdout in $T/NAME.out, stderr in $T/NAME.err, status in $rc
run_check() {
	_n=$1 _c=$2; shift 2
	"$RW" --config "$_c" config check "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	rc=$?
}
# want_line NAME TEXT - TEXT is a line of $T/NAME.err (fixed string, whole line)
want_line() {
	grep -qxF -- "$2" "$T/$1.err" || { cat "$T/$1.err"; fail "$1: no line '$2'"; }
}

# 1. clean
run_check clean "$T/etc/rw.conf"
[ $rc -eq 0 ] || { cat "$T/clean.err"; fail "clean config: exit $rc, want 0"; }
[ -s "$T/clean.err" ] && { cat "$T/clean.err"; fail "clean config: something on stderr"; }
grep -qxF "config ok: $T/etc/rw.conf (+ 0 drop-ins), policy $T/policy.conf" "$T/clean.out" ||
	{ cat "$T/clean.out"; fail "clean config: no 'config ok' line"; }

# 2. three problems on known lines: all three, in order, exit 1
cat >"$T/bad.conf" <<CFG
[relaywatch]
policy = $T/policy.conf
wiat = 4
token_key = $T/key
connect_timeout = soon
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:1
tls = maybe
CFG
run_check bad "$T/bad.conf"
[ $rc -eq 1 ] || { cat "$T/bad.err"; fail "3 problems: exit $rc, want 1"; }
want_line bad "$T/bad.conf:3: wiat = 4: unknown key (hint: did you mean wait?)"
want_line bad "$T/bad.conf:5: connect_timeout = soon: not a number (hint: a whole number from 1 to 86400)"
want_line bad "$T/bad.conf:8: tls = maybe: not one of the allowed values (hint: one of auto, require, never)"
[ "$(wc -l <"$T/bad.err")" -eq 3 ] || { cat "$T/bad.err"; fail "3 problems: want exactly 3 lines"; }
[ -s "$T/bad.out" ] && fail "3 problems: 'config ok' printed anyway"
# the same as JSON on stdout
if command -v python3 >/dev/null 2>&1; then
	run_check badjson "$T/bad.conf" --json
	[ $rc -eq 1 ] || fail "--json: exit $rc, want 1"
	python3 - "$T/badjson.out" <<'PY' || fail "--json: wrong object"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["ok"] is False, o
assert [(p["line"], p["key"]) for p in o["problems"]] == [(3, "wiat"), (5, "connect_timeout"), (8, "tls")], o
assert o["problems"][0]["hint"] == "did you mean wait?", o
PY
fi
# any other command refuses the file, naming every line (exit 2)
"$RW" --config "$T/bad.conf" scans >/dev/null 2>"$T/scans.err"
[ $? -eq 2 ] || fail "scans with a bad config: want exit 2"
[ "$(grep -c "^relaywatch: $T/bad.conf:[358]: " "$T/scans.err")" -eq 3 ] ||
	{ cat "$T/scans.err"; fail "scans with a bad config: want the 3 lines"; }

# 3. the policy's own problems, with the policy's path and line
sed 's/^grace = .*/grace = soon/' "$T/policy.conf" >"$T/badpolicy.conf"
pl=$(grep -n '^grace = soon' "$T/badpolicy.conf" | cut -d: -f1)
[ -n "$pl" ] || fail "no grace key in contrib/policies/university.conf"
sed "s#^policy = .*#policy = $T/badpolicy.conf#" "$T/etc/rw.conf" >"$T/pol.conf"
run_check pol "$T/pol.conf"
[ $rc -eq 1 ] || { cat "$T/pol.err"; fail "bad policy: exit $rc, want 1"; }
grep -q "^$T/badpolicy.conf:$pl: grace = soon: " "$T/pol.err" ||
	{ cat "$T/pol.err"; fail "bad policy: not named by its path and line $pl"; }
# ... and a policy named on the command line (the configuration's is good)
"$RW" --config "$T/etc/rw.conf" config check "$T/policy.conf" >"$T/arg.out" 2>"$T/arg.err" ||
	{ cat "$T/arg.err"; fail "config check GOOD-POLICY: want exit 0"; }
grep -q "^config ok: .*, $T/policy.conf\$" "$T/arg.out" || { cat "$T/arg.out"; fail "config ok does not name the extra policy"; }
"$RW" --config "$T/etc/rw.conf" config check "$T/badpolicy.conf" "$T/none.conf" >/dev/null 2>"$T/arg.err"
[ $? -eq 1 ] || { cat "$T/arg.err"; fail "config check BAD-POLICY: want exit 1"; }
grep -q "^$T/badpolicy.conf:$pl: grace = soon: " "$T/arg.err" &&
	grep -q "^$T/none.conf: No such file" "$T/arg.err" ||
	{ cat "$T/arg.err"; fail "policies named on the command line: problems not reported"; }

# 4. drop-ins: relaywatch.d beside the file, in name order, later wins
mkdir "$T/etc/relaywatch.d"
printf 'policy = %s\n' "$T/other.conf" >"$T/etc/relaywatch.d/20-policy.conf"
cp "$T/policy.conf" "$T/other.conf"
printf 'policy = %s\n' "$T/badpolicy.conf" >"$T/etc/relaywatch.d/10-early.conf"
printf 'wait = never\n' >"$T/etc/relaywatch.d/.hidden.conf"
printf 'wait = never\n' >"$T/etc/relaywatch.d/30-off.conf.disabled"
run_check drop "$T/etc/rw.conf"
[ $rc -eq 0 ] || { cat "$T/drop.err"; fail "drop-ins: exit $rc, want 0"; }
grep -qxF "config ok: $T/etc/rw.conf (+ 2 drop-ins), policy $T/other.conf" "$T/drop.out" ||
	{ cat "$T/drop.out"; fail "drop-ins: 20-policy.conf must win over 10-early.conf and rw.conf"; }
printf '# the sink\n\nsink_listen = 0.0.0.0:1\nwiat = 1\n' >"$T/etc/relaywatch.d/40-sink.conf"
run_check drop2 "$T/etc/rw.conf"
[ $rc -eq 1 ] || { cat "$T/drop2.err"; fail "bad drop-in: exit $rc, want 1"; }
want_line drop2 "$T/etc/relaywatch.d/40-sink.conf:4: wiat = 1: unknown key (hint: did you mean wait?)"
rm "$T/etc/relaywatch.d/40-sink.conf"

# 5. a semantic problem at its key's line: a wildcard sink with no canary
grep -v '^canary_domain' "$T/etc/rw.conf" | sed 's#^sink_listen = .*#sink_listen = 0.0.0.0:1#' >"$T/sem.conf"
sl=$(grep -n '^sink_listen' "$T/sem.conf" | cut -d: -f1)
run_check sem "$T/sem.conf"
[ $rc -eq 1 ] || { cat "$T/sem.err"; fail "no canary: exit $rc, want 1"; }
grep -q "^$T/sem.conf:$sl: sink_listen = 0.0.0.0:1: no canary domain" "$T/sem.err" ||
	{ cat "$T/sem.err"; fail "no canary: not named at line $sl"; }

# 6. the daemon refuses both kinds, exit 2, with file and line; it never
# gets to bind (sink_listen 127.0.0.1:1 would need root) or make the store
timeout 10 "$RW" --config "$T/bad.conf" daemon -f --db "$T/d.db" >"$T/d1.log" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$T/d1.log"; fail "daemon, bad line: exit $rc, want 2"; }
grep -qF "$T/bad.conf:5: connect_timeout = soon: not a number" "$T/d1.log" ||
	{ cat "$T/d1.log"; fail "daemon, bad line: file and line not named"; }
timeout 10 "$RW" --config "$T/sem.conf" daemon -f --db "$T/d.db" >"$T/d2.log" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$T/d2.log"; fail "daemon, no canary: exit $rc, want 2"; }
grep -qF "relaywatch daemon: $T/sem.conf:$sl: sink_listen = 0.0.0.0:1: no canary domain" "$T/d2.log" ||
	{ cat "$T/d2.log"; fail "daemon, no canary: file and line not named"; }
timeout 10 "$RW" --config "$T/pol.conf" daemon -f --db "$T/d.db" >"$T/d3.log" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$T/d3.log"; fail "daemon, bad policy: exit $rc, want 2"; }
grep -qF "relaywatch daemon: $T/badpolicy.conf:$pl: grace = soon" "$T/d3.log" ||
	{ cat "$T/d3.log"; fail "daemon, bad policy: policy line not named"; }
[ -e "$T/d.db" ] && fail "the daemon made its store before refusing"

# 7. usage: 2; no --config and no file at the default path: a problem
"$RW" config frob >/dev/null 2>&1; [ $? -eq 2 ] || fail "config frob: want exit 2"
"$RW" config check --frob >/dev/null 2>&1; [ $? -eq 2 ] || fail "config check --frob: want exit 2"
"$RW" config --help | grep -q "config check" || fail "config --help"
# the default path is compiled in (make's sysconfdir): --help names it
def=$("$RW" --help | sed -n 's/.*configuration file (default \(.*\), optional).*/\1/p')
[ -n "$def" ] || fail "relaywatch --help names no default configuration"
if [ ! -e "$def" ]; then
	"$RW" config check >/dev/null 2>"$T/def.err"
	[ $? -eq 1 ] || fail "no default file: want exit 1"
	grep -qF "no configuration at $def " "$T/def.err" ||
		{ cat "$T/def.err"; fail "no default file: not said"; }
fi

# 8. SIGHUP reads the drop-ins again: a bad one is logged with its path and
# line and the daemon goes on; once fixed, the reload takes
command -v python3 >/dev/null 2>&1 || skip "no python3 (free_port)"
SP=$(free_port)
mkdir "$T/run"
sed "s#^sink_listen = .*#sink_listen = 127.0.0.1:$SP#" "$T/etc/rw.conf" >"$T/run/rw.conf"
"$RW" --config "$T/run/rw.conf" daemon -f --db "$T/run/d.db" --tick-ms 200 >"$T/run/d.log" 2>&1 &
D=$!
_rw_pids="$_rw_pids $D"
wait_port 127.0.0.1 "$SP" 10 || { cat "$T/run/d.log"; fail "the daemon does not listen"; }
# wait_log TEXT - TEXT appears in the daemon's log within 10 s
wait_log() {
	_i=0
	while ! grep -qF -- "$1" "$T/run/d.log"; do
		[ $_i -lt 100 ] || { cat "$T/run/d.log"; fail "no '$1' in the daemon's log within 10 s"; }
		sleep 0.1; _i=$((_i + 1))
	done
}
mkdir "$T/run/relaywatch.d"
printf '\nsweep_interval = daily\n' >"$T/run/relaywatch.d/50-sweep.conf"
kill -HUP $D
wait_log "event=reload-failed error=\"$T/run/relaywatch.d/50-sweep.conf:2: sweep_interval = daily: not a number"
kill -0 $D 2>/dev/null || fail "the daemon died on a bad drop-in"
printf '\nsweep_interval = 0\n' >"$T/run/relaywatch.d/50-sweep.conf"
kill -HUP $D
wait_log "event=reloaded"
kill -TERM $D
i=0; while kill -0 $D 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $D 2>/dev/null && fail "the daemon still runs 5 s after SIGTERM"
echo "PASS: clean, every problem with its line, policy lines, drop-ins, semantic lines, daemon refusals, reload"
exit 0
