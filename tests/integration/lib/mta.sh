# mta.sh - what every private-MTA integration test shares: running the probe
# against the instance, judging its JSON, grepping the MTA's log (sourced
# after common.sh, POSIX sh; each MTA library sources it and sets the MTA_*
# variables below, so a test script only calls the mta_* functions).
#
# Set by the MTA library (postfix.sh, exim.sh, opensmtpd.sh, sendmail.sh):
#   MTA_NAME          the "mta" every judged object must name (postfix...)
#   MTA_ADDR          the address the instance listens on (127.0.0.1)
#   MTA_RECEIVED      a Python regex (re.S) one line of a valid arrival's
#                     Received chain must match: proof it came through
#   MTA_BANNER        if set, the banner must contain it, and "mta" is judged
#                     only when it does (the fingerprint can only go by it)
#   MTA_STRICT_ARRIVALS
#                     if set, with ARRIVALS "valid" every arrival must also
#                     come from MTA_ADDR itself and carry a valid token
#   MTA_DUMP          the command that prints the instance's logs and queue
#   MTA_LOG           the log mta_log_* read; MTA_LOG_WHAT names it in failures
#   MTA_RW_OPTS       options for every run, before the test's own
#   MTA_RW_TIMEOUT    seconds one relaywatch run may take (300)
#
#   mta_traps STOP        on exit and interruption: stop a running relaywatch,
#                         then run STOP, then common.sh's rw_cleanup
#   mta_relaywatch OUT SINKPORT [OPTION...] TARGET...
#                         run `relaywatch test --json` against the instance
#                         (OPTIONs come last, so they override the defaults),
#                         JSON Lines in OUT, stderr in OUT.err, exit status in
#                         $MTA_RW_RC; fails when it times out or writes no JSON
#   mta_summary OUT       print OUT's objects, tests and arrivals, one a line;
#                         non-zero when OUT holds no object or bad JSON
#   mta_rc WANT WHY       $MTA_RW_RC is WANT, else dump and fail
#   mta_expect OUT PORT VERDICTS ARRIVALS [REASON] [RECEIVED]
#                         the one object for $MTA_ADDR:PORT has a verdict in
#                         VERDICTS (a|b), a reason (matching the regex REASON,
#                         case-insensitive, when given), mta $MTA_NAME (see
#                         MTA_BANNER), and ARRIVALS is "valid" (a valid token
#                         arrived with a Received line matching RECEIVED,
#                         default $MTA_RECEIVED) or "none"
#   mta_tests OUT PORT STAGE ID...
#                         each named test of $MTA_ADDR:PORT ended at STAGE
#   mta_delivered OUT PORT ID...
#                         the tests of $MTA_ADDR:PORT that ended "delivered",
#                         and those with an arrival, are exactly ID..., and
#                         the verdict's reason names each of them
#   mta_rcpt_params OUT PORT ID [PARAM...]
#                         every RCPT command of test ID in the transcript
#                         (run relaywatch with -v) carries exactly PARAM...
#                         after its path (none: a bare RCPT TO:<path>)
#   mta_log_has PATTERN WHAT / mta_log_lacks PATTERN WHAT
#                         $MTA_LOG shows / never shows PATTERN (grep -E)
#   mta_log_wait SECONDS PATTERN WHAT
#                         $MTA_LOG shows PATTERN within SECONDS
#   mta_new_port PORTS    a free loopback port not among PORTS
#   mta_procs_with FILE ITEM
#                         pids whose /proc/PID/FILE (cmdline, environ) holds
#                         ITEM as one of its NUL-separated items
#   mta_kill_strays TAG PID...
#                         SIGKILL what an instance left behind, saying so
#
# Every failure prints the evidence (relaywatch's stderr, $MTA_DUMP) first.
# LIMITS: relaywatch runs at most MTA_RW_TIMEOUT seconds; mta_log_wait as
# long as its caller says.

MTA_NAME="" MTA_ADDR=127.0.0.1 MTA_RECEIVED="" MTA_BANNER="" MTA_STRICT_ARRIVALS=""
MTA_DUMP=: MTA_LOG=/dev/null MTA_LOG_WHAT=log
MTA_RW_OPTS="" MTA_RW_TIMEOUT=300
MTA_RW_RC=""
_mta_rw_pid=""
_mta_stop=:

# mta_rw_stop - stop a relaywatch that is still running (a prober left running
# would open new sessions while the instance goes away)
mta_rw_stop() {
	[ -z "$_mta_rw_pid" ] || { kill "$_mta_rw_pid" 2>/dev/null; wait "$_mta_rw_pid" 2>/dev/null; }
	_mta_rw_pid=""
}

_mta_exit() { mta_rw_stop; $_mta_stop; rw_cleanup; }

# mta_traps STOP - stop relaywatch, then the instance, before common.sh removes $T
mta_traps() {
	_mta_stop=$1
	trap _mta_exit EXIT
	trap '_mta_exit; trap - EXIT; exit 130' INT TERM
}

# mta_summary OUT - the run at a glance, for the test's log
mta_summary() {
	python3 - "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    o = json.loads(line)
    n += 1
    print("target=%s verdict=%s mta=%s reason=%s" % (o.get("target"), o.get("verdict"),
          o.get("mta"), json.dumps(o.get("reason"))))
    print("  banner=%s" % json.dumps(o.get("banner")))
    for t in o.get("tests", []):
        print("  test=%s stage=%s code=%s esc=%s attempts=%s helo=%s rcpt=%s text=%s" % (
              t.get("id"), t.get("stage"), t.get("code"), t.get("esc"), t.get("attempts"),
              t.get("helo"), t.get("rcpt_to"), json.dumps(t.get("text"))))
    for a in o.get("arrivals", []):
        print("  arrival test=%s token_status=%s rcpt=%s received=%s" % (a.get("test"),
              a.get("token_status"), a.get("rcpt_to"), json.dumps(a.get("received"))))
sys.exit(0 if n else 1)
PY
}

# mta_relaywatch OUT SINKPORT [OPTION...] TARGET... - the probe under test, bounded in time
mta_relaywatch() {
	_mta_out=$1 _mta_sink=$2; shift 2
	[ -x "$RW" ] || fail "$RW is not built"
	[ -f "$T/token.key" ] || key_file "$T/token.key"
	set -- "$RW" test --json --canary canary.test --sink-listen "127.0.0.1:$_mta_sink" \
		$MTA_RW_OPTS --token-key "$T/token.key" --wait 20 --timeout 10 --greylist-delay 1 "$@"
	echo "run: $*"
	# in the background, so that a TERM to this script is handled at once
	# (sh runs traps only between commands, and wait is one)
	rw_bg timeout "$MTA_RW_TIMEOUT" "$@" >"$_mta_out" 2>"$_mta_out.err"
	_mta_rw_pid=$RW_LASTPID
	wait "$RW_LASTPID"
	MTA_RW_RC=$?
	_mta_rw_pid=""
	echo "relaywatch exit status $MTA_RW_RC"
	if [ $MTA_RW_RC -eq 124 ]; then
		tail -40 "$_mta_out.err"; $MTA_DUMP; fail "relaywatch test did not finish within ${MTA_RW_TIMEOUT}s"
	fi
	mta_summary "$_mta_out" || { tail -40 "$_mta_out.err"; $MTA_DUMP; fail "relaywatch wrote no valid JSON"; }
}

# mta_rc WANT WHY - the last run's exit status is WANT
mta_rc() {
	[ "$MTA_RW_RC" -eq "$1" ] || { $MTA_DUMP; fail "exit status: got $MTA_RW_RC, want $1 ($2)"; }
}

# mta_expect OUT PORT VERDICTS ARRIVALS [REASON] [RECEIVED] - judge one target's JSON object
mta_expect() {
	case $4 in valid | none) ;; *) fail "mta_expect: ARRIVALS is valid or none, not '$4'" ;; esac
	MTA_ADDR=$MTA_ADDR MTA_NAME=$MTA_NAME MTA_BANNER=$MTA_BANNER MTA_STRICT_ARRIVALS=$MTA_STRICT_ARRIVALS \
	python3 - "$1" "$2" "$3" "$4" "${5:-}" "${6:-$MTA_RECEIVED}" <<'PY' ||
import json, os, re, sys
out, port, verdicts, arrivals = sys.argv[1], int(sys.argv[2]), sys.argv[3].split("|"), sys.argv[4]
want_reason, received = sys.argv[5], sys.argv[6]
addr, mta, banner = os.environ["MTA_ADDR"], os.environ["MTA_NAME"], os.environ["MTA_BANNER"]
strict = os.environ["MTA_STRICT_ARRIVALS"]
objs = [json.loads(l) for l in open(out) if l.strip()]
objs = [o for o in objs if o.get("port") == port and o.get("addr") == addr]
bad = []
if len(objs) != 1:
    print("want one object for %s:%d, got %d" % (addr, port, len(objs)))
    sys.exit(1)
o = objs[0]
if o.get("verdict") not in verdicts:
    bad.append("verdict: got %r, want %s" % (o.get("verdict"), " or ".join(verdicts)))
if not o.get("reason"):
    bad.append("reason: got empty, want the evidence")
elif want_reason and not re.search(want_reason, o["reason"], re.I):
    bad.append("reason: got %r, want it to match /%s/" % (o["reason"], want_reason))
if banner and banner not in (o.get("banner") or ""):
    bad.append("banner: got %r, want it to name %s" % (o.get("banner"), banner))
elif o.get("mta") != mta:
    bad.append("mta: got %r, want %r (banner %r)" % (o.get("mta"), mta, o.get("banner")))
arr = o.get("arrivals") or []
if arrivals == "valid":
    good = [a for a in arr if a.get("token_status") == "valid"
            and any(re.search(received, r, re.S) for r in a.get("received") or [])]
    if not good:
        bad.append("arrivals: got %d, none valid with /%s/ in its Received chain" % (len(arr), received))
    if strict:
        far = ["%s from %s" % (a.get("test"), a.get("peer")) for a in arr if a.get("peer") != addr]
        if far:
            bad.append("arrivals: want every one from the target %s itself, got %s" % (addr, far))
        odd = [a.get("test") for a in arr if a.get("token_status") != "valid"]
        if odd:
            bad.append("arrivals: tokens not valid for %s" % odd)
elif arr:
    bad.append("arrivals: got %d, want none" % len(arr))
for b in bad:
    print("%s:%d: %s" % (addr, port, b))
sys.exit(1 if bad else 0)
PY
	{ echo "---- relaywatch stderr"; tail -40 "$1.err"; $MTA_DUMP; fail "$MTA_ADDR:$2: unexpected result"; }
	echo "ok: $MTA_ADDR:$2 verdict $(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l) if l.strip() else {}
    if o.get("port") == int(sys.argv[2]) and o.get("addr") == sys.argv[3]: print(o["verdict"])' "$1" "$2" "$MTA_ADDR")"
}

# mta_tests OUT PORT STAGE ID... - each named test ended at STAGE
mta_tests() {
	python3 - "$MTA_ADDR" "$@" <<'PY' || { $MTA_DUMP; fail "$MTA_ADDR:$2: tests not at stage $3"; }
import json, sys
addr, out, port, stage, ids = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
o = [json.loads(l) for l in open(out) if l.strip()]
o = [x for x in o if x.get("port") == port and x.get("addr") == addr][0]
tests = {t["id"]: t for t in o.get("tests", [])}
bad = 0
for i in ids:
    t = tests.get(i)
    if t is None:
        print("test %s: got none, want stage %s" % (i, stage)); bad = 1
    elif t.get("stage") != stage:
        print("test %s: got stage %s (%s %s), want %s" % (i, t.get("stage"), t.get("code"),
              t.get("text"), stage)); bad = 1
sys.exit(bad)
PY
	echo "ok: $MTA_ADDR:$2 stage $3:" "$(echo "$@" | cut -d' ' -f4-)"
}

# mta_delivered OUT PORT ID... - exactly these tests were delivered, and the reason says so
mta_delivered() {
	python3 - "$MTA_ADDR" "$@" <<'PY' || { $MTA_DUMP; fail "$MTA_ADDR:$2: delivered tests are not exactly $(echo "$@" | cut -d' ' -f3-)"; }
import json, re, sys
addr, out, port, ids = sys.argv[1], sys.argv[2], int(sys.argv[3]), set(sys.argv[4:])
o = [json.loads(l) for l in open(out) if l.strip()]
o = [x for x in o if x.get("port") == port and x.get("addr") == addr][0]
got = {t["id"] for t in o.get("tests", []) if t.get("stage") == "delivered"}
arrived = {a.get("test") for a in o.get("arrivals", [])}
bad = 0
if got != ids:
    print("delivered tests: got %s, want %s" % (sorted(got), sorted(ids))); bad = 1
if arrived != ids:
    print("arrivals: got %s, want %s" % (sorted(arrived), sorted(ids))); bad = 1
reason = o.get("reason") or ""
for i in sorted(ids):
    if not re.search(r"(^|[ ,:])%s($|[ ,.;])" % re.escape(i), reason):
        print("reason: got %r, want it to name %s" % (reason, i)); bad = 1
sys.exit(bad)
PY
	echo "ok: $MTA_ADDR:$2 delivered exactly:" "$(echo "$@" | cut -d' ' -f3-)"
}

# mta_rcpt_params OUT PORT ID [PARAM...] - test ID's RCPT carried exactly PARAM...
mta_rcpt_params() {
	python3 - "$MTA_ADDR" "$@" <<'PY' || { $MTA_DUMP; fail "$MTA_ADDR:$2: RCPT of $3 not as wanted"; }
import json, sys
addr, out, port, tid, want = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
o = [json.loads(l) for l in open(out) if l.strip()]
o = [x for x in o if x.get("port") == port and x.get("addr") == addr][0]
if "transcript" not in o:
    print("no transcript: run relaywatch with -v"); sys.exit(1)
t = [t for t in o.get("tests", []) if t["id"] == tid]
if not t:
    print("test %s: not in the result" % tid); sys.exit(1)
cmd = "C: RCPT TO:<%s>" % t[0]["rcpt_to"]
lines = [l for l in o["transcript"] if l == cmd or l.startswith(cmd + " ")]
if not lines:
    print("test %s: no %r line in the transcript%s" % (tid, cmd,
          " (truncated)" if o.get("transcript_truncated") else "")); sys.exit(1)
bad = 0
for l in lines:
    if l[len(cmd):].split() != want:
        print("test %s: got %r, want %r" % (tid, l, " ".join([cmd] + want))); bad = 1
sys.exit(bad)
PY
	_mta_p=$(echo "$@" | cut -d' ' -f4-)
	echo "ok: $MTA_ADDR:$2 RCPT of $3: ${_mta_p:-no parameters}"
}

# mta_log_has PATTERN WHAT - the log shows PATTERN (grep -E), else fail
mta_log_has() {
	grep -Eq "$1" "$MTA_LOG" 2>/dev/null || { $MTA_DUMP; fail "$MTA_LOG_WHAT: $2"; }
}

# mta_log_lacks PATTERN WHAT - the log never shows PATTERN
mta_log_lacks() {
	! grep -E "$1" "$MTA_LOG" 2>/dev/null || { $MTA_DUMP; fail "$MTA_LOG_WHAT: $2"; }
}

# mta_log_wait SECONDS PATTERN WHAT - the log shows PATTERN within SECONDS
# (deliveries are logged when the queue gets to them), else fail
mta_log_wait() {
	_mta_i=0
	while ! grep -Eq "$2" "$MTA_LOG" 2>/dev/null; do
		[ $_mta_i -lt $(($1 * 10)) ] || { $MTA_DUMP; fail "$MTA_LOG_WHAT: $3 (waited $1 s)"; }
		sleep 0.1; _mta_i=$((_mta_i + 1))
	done
}

# mta_new_port PORTS - a free loopback port not among PORTS (5 tries)
mta_new_port() {
	for _mta_i in 1 2 3 4 5; do
		_mta_p=$(free_port)
		case " $1 " in *" $_mta_p "*) continue ;; esac
		echo "$_mta_p"; return 0
	done
	return 1
}

# mta_procs_with FILE ITEM - pids whose /proc/PID/FILE lists ITEM
mta_procs_with() {
	for _mta_f in /proc/[0-9]*/"$1"; do
		{ tr '\0' '\n' <"$_mta_f"; } 2>/dev/null | grep -qxF "$2" || continue
		_mta_p=${_mta_f#/proc/}; echo "${_mta_p%/"$1"}"
	done
}

# mta_kill_strays TAG PID... - kill -9 what an instance left running
mta_kill_strays() {
	_mta_tag=$1; shift
	[ $# -gt 0 ] || return 0
	echo "$_mta_tag: killing stray processes:" "$@"
	kill -9 "$@" 2>/dev/null
	return 0
}
