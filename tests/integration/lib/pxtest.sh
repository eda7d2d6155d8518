# pxtest.sh - what every open-proxy integration test shares: the guard for
# the command, a private relaywatch configuration, running
# `relaywatch test --proxy` against a rig, judging its JSON (sourced after
# common.sh, POSIX sh).
#
#   px_require            skip (77) unless $RW exists and its `test --help`
#                         mentions --proxy
#   px_config             write $PX_CONF: token key in $T, canary
#                         canary.test, the embedded sink and proxy_canary on
#                         127.0.0.1:$PX_SINK (a free port); short timeouts
#   px_relaywatch OUT ADDR:PORT [OPTION...]
#                         run `relaywatch --config $PX_CONF test --json
#                         --proxy ADDR:PORT [OPTION...]`, JSON Lines in OUT,
#                         stderr in OUT.err, exit status in $PX_RW_RC; fails
#                         when it times out or writes no JSON object
#   px_rc WANT WHY        $PX_RW_RC is WANT, else dump and fail
#   px_expect OUT VERDICTS [PROTO=VERDICTS]...
#                         the one object in OUT has a verdict in VERDICTS
#                         (a|b) and each named protocol one in its own;
#                         PROTO may be a|b too (at least one of them)
#   px_not_open OUT PROTO...
#                         none of these protocols is open or suspect (the
#                         daemon does not speak them)
#   px_field OUT PROTO FIELD
#                         print one protocol's field ("" when absent)
#   px_software_note OUT PATTERN
#                         say whether some protocol names the software
#                         (a note, not a failure)
#
# Set by the test: PX_DUMP, the command that prints the rig's logs.
# Every failure prints relaywatch's stderr and $PX_DUMP first.
# LIMITS: relaywatch runs at most PX_RW_TIMEOUT seconds (120).

PX_CONF="$T/relaywatch.conf"
PX_SINK=""
PX_RW_TIMEOUT=${PX_RW_TIMEOUT:-120}
PX_RW_RC=""
PX_DUMP=:
_px_out=""

# px_require - the binary, and a binary that has --proxy
px_require() {
	[ -x "$RW" ] || skip "no $RW"
	command -v python3 >/dev/null 2>&1 || skip "no python3"
	"$RW" test --help 2>&1 | grep -q -- '--proxy' || skip "relaywatch test --proxy not built yet"
}

# px_config - a private configuration; the canary is our own sink
px_config() {
	PX_SINK=$(free_port)
	key_file "$T/token.key"
	cat >"$PX_CONF" <<EOF
[relaywatch]
canary_domain = canary.test
sink_listen = 127.0.0.1:$PX_SINK
proxy_canary = 127.0.0.1:$PX_SINK
token_key = $T/token.key
helo_name = rw.lab.test
connect_timeout = 5
banner_timeout = 10
reply_timeout = 10
session_timeout = 60
wait = 5
EOF
}

# px_summary OUT - the run at a glance, for the test's log
px_summary() {
	python3 - "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    o = json.loads(line)
    n += 1
    print("target=%s verdict=%s reason=%s" % (o.get("target"), o.get("verdict"), json.dumps(o.get("reason"))))
    for p in o.get("protocols") or []:
        print("  proto=%s verdict=%s status=%s software=%s egress=%s reason=%s" % (
              p.get("proto"), p.get("verdict"), p.get("status"), json.dumps(p.get("software")),
              p.get("egress"), json.dumps(p.get("reason"))))
sys.exit(0 if n else 1)
PY
}

_px_fail() { echo "---- relaywatch stderr"; tail -40 "$_px_out.err"; $PX_DUMP; fail "$*"; }

# px_relaywatch OUT ADDR:PORT [OPTION...] - the probe under test, bounded in time
px_relaywatch() {
	_px_out=$1 _px_target=$2; shift 2
	[ -f "$PX_CONF" ] || px_config
	set -- "$RW" --config "$PX_CONF" test --json --timeout 10 --proxy "$_px_target" "$@"
	echo "run: $*"
	# in the background, so that a TERM to this script is handled at once
	rw_bg timeout "$PX_RW_TIMEOUT" "$@" >"$_px_out" 2>"$_px_out.err"
	wait "$RW_LASTPID"
	PX_RW_RC=$?
	echo "relaywatch exit status $PX_RW_RC"
	[ $PX_RW_RC -ne 124 ] || _px_fail "relaywatch test --proxy did not finish within ${PX_RW_TIMEOUT}s"
	px_summary "$_px_out" || _px_fail "relaywatch wrote no valid JSON"
}

# px_rc WANT WHY - the last run's exit status is WANT
px_rc() {
	[ "$PX_RW_RC" -eq "$1" ] || _px_fail "exit status: got $PX_RW_RC, want $1 ($2)"
}

# px_expect OUT VERDICTS [PROTO=VERDICTS]... - judge the one object
px_expect() {
	_px_out=$1
	python3 - "$@" <<'PY' || _px_fail "unexpected result"
import json, sys
out, want, protos = sys.argv[1], sys.argv[2].split("|"), sys.argv[3:]
objs = [json.loads(l) for l in open(out) if l.strip()]
if len(objs) != 1:
    print("want one object, got %d" % len(objs))
    sys.exit(1)
o, bad = objs[0], []
if o.get("verdict") not in want:
    bad.append("verdict: got %r, want %s" % (o.get("verdict"), " or ".join(want)))
got = {p.get("proto"): p for p in o.get("protocols") or []}
for spec in protos:
    names, verdicts = spec.split("=", 1)
    names, verdicts = names.split("|"), verdicts.split("|")
    have = [n for n in names if n in got and got[n].get("verdict") in verdicts]
    if not have:
        bad.append("%s: got %s, want %s" % (" or ".join(names),
                   ", ".join("%s %r" % (n, got[n].get("verdict") if n in got else "absent") for n in names),
                   " or ".join(verdicts)))
    for n in have:
        p = got[n]
        if not p.get("reason"):
            bad.append("%s: reason empty, want the evidence" % n)
        # a nonce came back through the proxy: it reached the canary from
        # the proxy's own loopback address, nowhere else
        eg = p.get("egress")
        if p.get("verdict") == "open" and eg and not str(eg).startswith("127."):
            bad.append("%s: egress %r, want a loopback address" % (n, eg))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
	echo "ok: verdict $2${3:+, $(shift 2; echo "$@")}"
}

# px_not_open OUT PROTO... - protocols the daemon does not speak are not open
px_not_open() {
	_px_out=$1
	python3 - "$@" <<'PY' || _px_fail "a protocol the proxy does not speak was judged open"
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][0]
got = {p.get("proto"): p.get("verdict") for p in o.get("protocols") or []}
bad = ["%s: got %r, want neither open nor suspect" % (n, got[n])
       for n in sys.argv[2:] if got.get(n) in ("open", "suspect")]
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
	shift; echo "ok: not open: $*"
}

# px_field OUT PROTO FIELD - one protocol's field
px_field() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][0]
for p in o.get("protocols") or []:
    if p.get("proto") == sys.argv[2]:
        v = p.get(sys.argv[3])
        print("" if v is None else v)
        break
PY
}

# px_software_note OUT PATTERN - does some protocol name the software?
px_software_note() {
	if python3 - "$1" "$2" <<'PY'
import json, re, sys
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][0]
sys.exit(0 if any(re.search(sys.argv[2], p.get("software") or "", re.I)
                  for p in o.get("protocols") or []) else 1)
PY
	then echo "ok: software named /$2/"
	else echo "note: no protocol names the software /$2/"
	fi
}
