# sendmail.sh - a private Sendmail instance on loopback for integration tests
# (sourced after common.sh, POSIX sh).
#
# Postfix is the installed MTA and Debian's MTA packages conflict, so Sendmail
# is never installed: sm_fetch downloads Debian's sendmail-bin and sendmail-cf
# (plus the libraries and m4 they need that are missing here) with
# `apt-get download` and unpacks them with `dpkg-deb -x` into a private root,
# cached under build/peers/sendmail (RW_PEERS overrides build/peers). The
# instance's sendmail.cf is built with m4 from the unpacked cf macros, and its
# queue, help file, pid file, maps and traffic log live under $T/sm.
#
# Nothing can leave loopback, and no name is ever looked up in DNS:
#  - the daemon runs in its own mount, UTS and PID namespaces (unshare): host
#    name sm.lab.test, and private /etc/hosts, /etc/nsswitch.conf ("hosts:
#    files") and /etc/resolv.conf (nameserver 127.0.0.1) bind-mounted over the
#    system's for it alone, so even libc's own look-ups (the daemon's host
#    name, the client's PTR) stay in files; its ServiceSwitchFile and
#    HostsFile name the same private files (FEATURE(nocanonify) besides);
#  - it listens only on $SM_ADDR (127.0.0.3):<free port> (DaemonPortOptions):
#    not 127.0.0.1, since Sendmail refuses a sender at [127.0.0.1] or
#    localhost from strangers ("553 5.5.4 Real domain name required"), which
#    a server at any other address would not, and the battery's nmap rows
#    send from the target's own literal;
#  - the mailertable sends canary.test to esmtp:[127.0.0.1], whose mailer
#    connects to port <sink port> (ESMTP_MAILER_ARGS), and every other domain
#    to the error mailer; a LOCAL_RULE_0 rule refuses non-local address
#    literals, which Sendmail would otherwise send straight out; local mail
#    (postmaster, bounces) goes to a "local mailer" that reads and drops it;
#  - the client (relaywatch) connects from $SM_CLIENT (127.0.0.2), not
#    127.0.0.1: Sendmail lets 127.0.0.1 relay ("originated locally"), so a
#    stranger's address is what proves the relay controls.
# When the namespace's first process dies (kill -9 of unshare, whose
# --kill-child sends it SIGKILL), the kernel kills every process in it; a scan
# of /proc for processes in the instance's PID namespace catches anything
# left behind.
# There is no syslog here: the evidence is the traffic log (-X) of every SMTP
# dialogue in and out, and the queue.
#
#   sm_require            skip (77) unless root, namespaces and the unpacked
#                         Sendmail (fetched on first use) are available
#   sm_init PROFILE SINKPORT
#                         write the configuration for PROFILE (open, default,
#                         percent) and build sendmail.cf; port in $SM_PORT
#   sm_start              check the routing with -bt, start, wait for the port
#   sm_stop               stop the instance and anything of it left behind
#   sm_dump               print the traffic log and the queue (for failures)
#   sm_relaywatch OUT SINKPORT TARGET...
#                         run `relaywatch test --json --source $SM_CLIENT`
#                         against the instance, exit status in $SM_RW_RC
#   sm_expect OUT PORT VERDICTS ARRIVALS [REASON]
#                         the object for $SM_ADDR:PORT has a verdict in
#                         VERDICTS (a|b), ARRIVALS is "valid" (valid tokens
#                         arrived from $SM_ADDR through sm.lab.test) or
#                         "none", its mta is "sendmail" and its reason
#                         matches REASON (regex)
#   sm_tests OUT PORT STAGE ID...
#                         each named test ended at STAGE (delivered, rcpt...)
#   sm_traffic_has PATTERN WHAT / sm_traffic_lacks PATTERN WHAT
#                         the traffic log shows (never shows) PATTERN (grep -E)
#
# LIMITS: downloads and unpacking at most SM_FETCH_WAIT seconds (180) in all;
# start-up waits at most SM_START_WAIT seconds (20); the routing check 10 s.

SM_DIR="$T/sm"
SM_HOST=sm.lab.test
SM_ADDR=127.0.0.3
SM_CLIENT=127.0.0.2
SM_CLIENT_NAME=rw-client.lab.test
SM_START_WAIT=${SM_START_WAIT:-20}
SM_FETCH_WAIT=${SM_FETCH_WAIT:-180}
SM_PACKAGES="sendmail-bin sendmail-cf"
SM_PORT=""
_sm_repo=$(cd "$(dirname "$0")/../.." && pwd)
SM_ROOT="${RW_PEERS:-$_sm_repo/build/peers}/sendmail"
SM_BIN="$SM_ROOT/usr/libexec/sendmail/sendmail"
SM_LIBPATH="$SM_ROOT/usr/lib/x86_64-linux-gnu:$SM_ROOT/lib/x86_64-linux-gnu"
SM_M4=""
_sm_pid=""
_sm_pidns=""
_sm_started=""

# _sm_installed PKG - the Debian package is installed on this machine
_sm_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# _sm_missing_libs - "not found" libraries of the unpacked binary, if any
_sm_missing_libs() {
	LD_LIBRARY_PATH="$SM_LIBPATH" ldd "$SM_BIN" 2>&1 | awk '/not found/ { print $1 }'
}

# _sm_download DIR PKG... - apt-get download, once more after apt-get update
_sm_download() {
	_dl=$1; shift
	( cd "$_dl" && timeout "$SM_FETCH_WAIT" apt-get download "$@" ) >"$_dl/apt.log" 2>&1 && return 0
	echo "sm: apt-get download $* failed; updating the package lists once"
	sed 's/^/sm apt: /' "$_dl/apt.log" | tail -5
	timeout "$SM_FETCH_WAIT" apt-get update -qq >"$_dl/update.log" 2>&1 ||
		{ tail -5 "$_dl/update.log"; return 1; }
	( cd "$_dl" && timeout "$SM_FETCH_WAIT" apt-get download "$@" ) >"$_dl/apt.log" 2>&1 ||
		{ tail -5 "$_dl/apt.log"; return 1; }
}

# _sm_cached - a complete unpacked root is there and its binary links
_sm_cached() {
	[ -f "$SM_ROOT/.rw-complete" ] && [ -x "$SM_BIN" ] && [ -z "$(_sm_missing_libs)" ]
}

# sm_fetch - download and unpack Sendmail into $SM_ROOT unless it is cached;
# concurrent runs (make check and make asan, two developers) are serialised
# by flock on $SM_ROOT.lock, and a complete root is never replaced
sm_fetch() {
	if _sm_cached; then echo "sm: cached root $SM_ROOT"; return 0; fi
	for _c in apt-get dpkg-deb dpkg-query flock ldd; do
		command -v $_c >/dev/null 2>&1 || skip "no $_c to fetch and unpack Debian's sendmail-bin"
	done
	mkdir -p "$(dirname "$SM_ROOT")"
	exec 8>"$SM_ROOT.lock"
	flock -w "$SM_FETCH_WAIT" 8 || fail "$SM_ROOT.lock held for ${SM_FETCH_WAIT}s"
	if _sm_cached; then exec 8>&-; echo "sm: cached root $SM_ROOT (by another run)"; return 0; fi
	_new="$SM_ROOT.new.$$"
	_dl="$SM_ROOT.dl.$$"
	rm -rf "$_new" "$_dl"
	mkdir -p "$_new" "$_dl"
	# apt's sandbox user must be able to write the downloads
	chmod 0755 "$_dl"
	_sm_download "$_dl" $SM_PACKAGES ||
		{ rm -rf "$_new" "$_dl"; exec 8>&-; skip "cannot download $SM_PACKAGES from the Debian mirror"; }
	# libraries sendmail-bin depends on that this machine lacks (libwrap0,
	# liblockfile1, ...), and m4 when it is not installed
	_extra=""
	for _d in $(dpkg-deb -f "$_dl"/sendmail-bin_*.deb Depends | tr ',' '\n' |
		    sed 's/|.*//; s/(.*//; s/:any//; s/[[:space:]]//g' | grep '^lib'); do
		_sm_installed "$_d" || _extra="$_extra $_d"
	done
	command -v m4 >/dev/null 2>&1 || _extra="$_extra m4"
	if [ -n "$_extra" ]; then
		echo "sm: also fetching:$_extra"
		_sm_download "$_dl" $_extra ||
			{ rm -rf "$_new" "$_dl"; exec 8>&-; skip "cannot download$_extra"; }
	fi
	for _deb in "$_dl"/*.deb; do
		dpkg-deb -x "$_deb" "$_new" ||
			{ rm -rf "$_new" "$_dl"; exec 8>&-; fail "dpkg-deb -x $_deb failed"; }
	done
	# setgid would make the loader ignore LD_LIBRARY_PATH (secure mode)
	chmod g-s "$_new/usr/libexec/sendmail/sendmail"
	( cd "$_dl" && ls -- *.deb ) >"$_new/.rw-complete"
	# only an incomplete root (an interrupted fetch) is in the way here
	rm -rf "$SM_ROOT" "$_dl"
	mv "$_new" "$SM_ROOT"
	exec 8>&-
	_libs=$(_sm_missing_libs)
	[ -z "$_libs" ] || skip "unpacked sendmail still lacks libraries: $_libs"
	echo "sm: unpacked into $SM_ROOT: $(tr "\n" " " <"$SM_ROOT/.rw-complete")"
}

# sm_require - skip unless Sendmail can be run here, fetching it if needed
sm_require() {
	[ "$(id -u)" -eq 0 ] || skip "a private sendmail instance (namespaces, bind mounts) needs root"
	command -v unshare >/dev/null 2>&1 || skip "no unshare (util-linux)"
	unshare --mount --uts --pid --fork --kill-child true 2>/dev/null ||
		skip "cannot create mount/UTS/PID namespaces here (unshare failed)"
	[ -f /etc/nsswitch.conf ] || skip "no /etc/nsswitch.conf to replace for the instance"
	getent passwd daemon >/dev/null || skip "no daemon user (Sendmail's DefaultUser)"
	for _a in "$SM_CLIENT" "$SM_ADDR"; do
		python3 -c 'import socket, sys; s=socket.socket(); s.bind((sys.argv[1],0)); s.close()' "$_a" 2>/dev/null ||
			skip "cannot bind $_a on loopback"
	done
	sm_fetch
	if command -v m4 >/dev/null 2>&1; then
		SM_M4="m4"
	elif [ -x "$SM_ROOT/usr/bin/m4" ]; then
		SM_M4="$SM_ROOT/usr/bin/m4"
	else
		skip "no m4 to build sendmail.cf (Debian package m4)"
	fi
	echo "sm: $(_sm_version), m4 $SM_M4"
}

# _sm_version - the unpacked sendmail-bin's version
_sm_version() {
	sed -n 's/^sendmail-bin_\([^_]*\)_.*/sendmail-bin \1/p' "$SM_ROOT/.rw-complete" | sed 's/%3a/:/'
}

# sm_init PROFILE SINKPORT - write the instance's files and build sendmail.cf
sm_init() {
	_profile=$1 _sink=$2
	mkdir -p "$SM_DIR/queue"
	chmod 0700 "$SM_DIR/queue"
	SM_PORT=$(free_port)
	_tab=$(printf '\t')
	_sm_rules=""
	case $_profile in
	open)
		# an old-style open relay: relays for anyone, takes any sender
		_sm_policy="FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unqualified_senders')dnl
FEATURE(\`accept_unresolvable_domains')dnl" ;;
	default)
		# Sendmail's own relay controls: relay only from 127.0.0.1, $=R or
		# to $=w; our client 127.0.0.2 is a stranger
		_sm_policy="dnl Sendmail's default relay controls" ;;
	percent)
		# the relay check of Sendmail before 8.9 looked only at the domain
		# right of the last @, so user%remote@local passed as local mail
		# while routing (Parse0) still honours the percent hack: relays
		# only through it. FEATURE(loose_relay_check) no longer does this
		# (CanonAddr resolves the percent hack before the check), so the
		# old check is a Local_check_rcpt rule, answering OK early.
		_sm_policy="dnl Local_check_rcpt below: the pre-8.9 relay check"
		_sm_rules="LOCAL_RULESETS
SLocal_check_rcpt
R\$*${_tab}\$: \$>canonify \$1
R\$+ % \$+ < @ \$=w . >${_tab}\$#OK" ;;
	*) fail "sm_init: unknown profile '$_profile'" ;;
	esac
	# names: ours, the canary's "A record" (the sink's machine), the client's
	printf '127.0.0.1\tlocalhost\n%s\t%s sm\n127.0.0.1\tcanary.test\n%s\t%s\n' \
		"$SM_ADDR" "$SM_HOST" "$SM_CLIENT" "$SM_CLIENT_NAME" >"$SM_DIR/hosts"
	printf 'hosts: files\nnetworks: files\n' >"$SM_DIR/nsswitch.conf"
	printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n' >"$SM_DIR/resolv.conf"
	printf 'hosts\tfiles\naliases\tfiles\n' >"$SM_DIR/service.switch"
	: >"$SM_DIR/empty"
	printf 'canary.test\tesmtp:[127.0.0.1]\n.\terror:5.7.1:nothing leaves the relaywatch test instance\n' \
		>"$SM_DIR/mailertable"
	cp "$SM_ROOT/etc/mail/helpfile" "$SM_DIR/helpfile"
	cat >"$SM_DIR/sendmail.mc" <<EOF
divert(-1)
# relaywatch test instance, profile $_profile (generated by tests/integration/lib/sendmail.sh)
divert(0)dnl
VERSIONID(\`relaywatch test instance, profile $_profile')dnl
dnl local mail is read and dropped (linux.m4's local mailer is procmail)
define(\`PROCMAIL_MAILER_PATH', \`/bin/sh')dnl
define(\`PROCMAIL_MAILER_ARGS', \`sh -c cat>/dev/null')dnl
OSTYPE(\`linux')dnl
define(\`MAIL_SETTINGS_DIR', \`$SM_DIR/')dnl
define(\`QUEUE_DIR', \`$SM_DIR/queue')dnl
define(\`HELP_FILE', \`$SM_DIR/helpfile')dnl
define(\`STATUS_FILE', \`$SM_DIR/statistics')dnl
define(\`confPID_FILE', \`$SM_DIR/sendmail.pid')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM_DIR/service.switch')dnl
define(\`confHOSTS_FILE', \`$SM_DIR/hosts')dnl
define(\`confDOMAIN_NAME', \`$SM_HOST')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confDEF_USER_ID', \`daemon:daemon')dnl
dnl $T lies under a world-writable directory (TMPDIR)
define(\`confDONT_BLAME_SENDMAIL', \`MapInUnsafeDirPath')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confTO_CONNECT', \`10s')dnl
define(\`confTO_INITIAL', \`10s')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $_sink')dnl
dnl a single-homed server: it sends from the address it listens on
CLIENT_OPTIONS(\`Family=inet, Address=$SM_ADDR')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`mailertable', \`text -k0 -v1 -z\\t $SM_DIR/mailertable')dnl
$_sm_policy
LOCAL_DOMAIN(\`[$SM_ADDR]')dnl
LOCAL_DOMAIN(\`[127.0.0.1]')dnl
LOCAL_DOMAIN(\`localhost')dnl
DAEMON_OPTIONS(\`Family=inet, Name=MTA, Addr=$SM_ADDR, Port=$SM_PORT')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
LOCAL_RULE_0
# a non-local address literal would go straight to its address: refuse it
R\$* < @ [ \$+ ] > \$*	\$#error \$@ 5.7.1 \$: "550 nothing leaves the relaywatch test instance"
$_sm_rules
EOF
	"$SM_M4" -D_CF_DIR_="$SM_ROOT/usr/share/sendmail/cf/" \
		"$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$SM_DIR/sendmail.mc" \
		>"$SM_DIR/sendmail.cf" 2>"$SM_DIR/m4.err" ||
		{ cat "$SM_DIR/m4.err"; fail "m4 could not build sendmail.cf"; }
	# the only expected warning is promiscuous_relay's
	if grep -v -e promiscuous_relay -e 'relay.  Do NOT use' -e '^[[:space:]]*$' "$SM_DIR/m4.err"; then
		fail "m4 warns about sendmail.mc"
	fi
	# the namespace's set-up, then the command
	cat >"$SM_DIR/ns.sh" <<EOF
# run "\$@" as the relaywatch test instance's sendmail sees the world
set -e
hostname $SM_HOST
mount --bind $SM_DIR/hosts /etc/hosts
mount --bind $SM_DIR/nsswitch.conf /etc/nsswitch.conf
if [ -e /etc/resolv.conf ]; then mount --bind $SM_DIR/resolv.conf /etc/resolv.conf; fi
for f in /etc/hosts.allow /etc/hosts.deny; do
	if [ -f "\$f" ]; then mount --bind $SM_DIR/empty "\$f"; fi
done
cd $SM_DIR
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LD_LIBRARY_PATH=$SM_LIBPATH "\$@"
EOF
	echo "sm: profile $_profile, daemon $SM_ADDR:$SM_PORT, canary.test -> [127.0.0.1]:$_sink, client $SM_CLIENT, config $SM_DIR/sendmail.cf"
}

# _sm_ns CMD... - run CMD in a fresh namespace set up like the daemon's
_sm_ns() {
	unshare --mount --uts --pid --fork --kill-child sh "$SM_DIR/ns.sh" "$@"
}

# _sm_route ADDR - the mailer triple Sendmail's ruleset 3,0 picks for ADDR
_sm_route() {
	printf '3,0 %s\n' "$1" | timeout -k 2 10 sh -c '
		unshare --mount --uts --pid --fork --kill-child sh "$1" "$2" -C "$3" -bt' \
		_ "$SM_DIR/ns.sh" "$SM_BIN" "$SM_DIR/sendmail.cf" 2>&1 |
		sed -n 's/^parse[[:space:]]*returns: //p' | tail -1
}

# sm_check - Sendmail reads the configuration and routes only the canary out
sm_check() {
	_r=$(_sm_route "rw@canary.test")
	echo "sm check: rw@canary.test -> $_r"
	case $_r in
	*'$# esmtp $@ [ 127 . 0 . 0 . 1 ]'*) ;;
	*) printf '3,0 rw@canary.test\n' | _sm_ns "$SM_BIN" -C "$SM_DIR/sendmail.cf" -bt 2>&1 | tail -20
	   fail "sendmail does not route canary.test to [127.0.0.1]" ;;
	esac
	for _a in rw@example.org "rw@[192.0.2.1]" "rw%example.org@[127.0.0.1]" "example.org!rw"; do
		_r=$(_sm_route "$_a")
		echo "sm check: $_a -> $_r"
		case $_r in
		*'$# error'*) ;;
		*) fail "sendmail routes $_a somewhere else than the error mailer" ;;
		esac
	done
}

# _sm_procs - pids of processes in the instance's PID namespace (sendmail
# rewrites its environment for its process titles, so no tag survives there)
_sm_procs() {
	[ -n "$_sm_pidns" ] || return 0
	for _n in /proc/[0-9]*/ns/pid; do
		[ "$(readlink "$_n" 2>/dev/null)" = "$_sm_pidns" ] || continue
		_p=${_n#/proc/}; echo "${_p%/ns/pid}"
	done
}

# sm_start - check the routing, start the daemon in its namespaces, wait
sm_start() {
	sm_check
	_sm_started=1
	# -bD: daemon in the foreground; -q10s: retry anything deferred;
	# -X: every SMTP dialogue, in and out, is the log
	rw_bg unshare --mount --uts --pid --fork --kill-child sh "$SM_DIR/ns.sh" \
		"$SM_BIN" -C "$SM_DIR/sendmail.cf" -bD -q10s -X "$SM_DIR/traffic" \
		>"$SM_DIR/daemon.out" 2>&1
	_sm_pid=$RW_LASTPID
	_i=0
	while ! wait_port "$SM_ADDR" "$SM_PORT" 1; do
		_i=$((_i + 1))
		if ! kill -0 "$_sm_pid" 2>/dev/null || [ $_i -ge "$SM_START_WAIT" ]; then
			sm_dump
			fail "sendmail on $SM_ADDR:$SM_PORT did not answer within ${SM_START_WAIT}s"
		fi
	done
	_c=$(tr -d ' \n' <"/proc/$_sm_pid/task/$_sm_pid/children" 2>/dev/null)
	_sm_pidns=$(readlink "/proc/$_c/ns/pid" 2>/dev/null)
	echo "sm: running, unshare pid $_sm_pid, namespace $_sm_pidns, pids $(_sm_procs | tr "\n" " ")"
}

# sm_stop - stop the instance and anything of it left behind
sm_stop() {
	[ -n "$_sm_started" ] || return 0
	_sm_started=""
	# unshare ignores TERM while it waits; its death SIGKILLs the
	# namespace's first process, and with it the whole namespace
	kill -9 "$_sm_pid" 2>/dev/null
	wait "$_sm_pid" 2>/dev/null
	_i=0
	while [ -n "$(_sm_procs)" ] && [ $_i -lt 20 ]; do sleep 0.1; _i=$((_i + 1)); done
	_left=$(_sm_procs)
	if [ -n "$_left" ]; then
		echo "sm: killing stray processes:" $_left
		kill -9 $_left 2>/dev/null
	fi
	return 0
}

# sm_dump - the traffic log and the queue, for a failing test's log
sm_dump() {
	echo "---- sendmail daemon output"
	[ -f "$SM_DIR/daemon.out" ] && tail -20 "$SM_DIR/daemon.out"
	echo "---- sendmail traffic log ($SM_DIR/traffic)"
	[ -f "$SM_DIR/traffic" ] && tail -120 "$SM_DIR/traffic"
	echo "---- sendmail queue (status and recipients)"
	for _q in "$SM_DIR"/queue/qf*; do
		[ -f "$_q" ] || continue
		echo "$(basename "$_q"):"; grep -E '^(M|S|r|R)' "$_q" | sed 's/^/  /'
	done
	echo "----"
}

# sm_relaywatch OUT SINKPORT TARGET... - the probe under test, bounded in time
sm_relaywatch() {
	_out=$1 _sinkport=$2; shift 2
	[ -x "$RW" ] || fail "$RW is not built"
	[ -f "$T/token.key" ] || key_file "$T/token.key"
	set -- "$RW" test --json --canary canary.test --sink-listen "127.0.0.1:$_sinkport" \
		--source "$SM_CLIENT" --token-key "$T/token.key" --wait 20 --timeout 10 \
		--greylist-delay 1 "$@"
	echo "run: $*"
	# in the background, so that a TERM to this script is handled at once
	rw_bg timeout 120 "$@" >"$_out" 2>"$_out.err"
	wait "$RW_LASTPID"
	SM_RW_RC=$?
	echo "relaywatch exit status $SM_RW_RC"
	if [ $SM_RW_RC -eq 124 ]; then
		tail -40 "$_out.err"; sm_dump; fail "relaywatch test did not finish within 120s"
	fi
	python3 - "$_out" <<'PY' || { tail -40 "$_out.err"; sm_dump; fail "relaywatch wrote no valid JSON"; }
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
        print("  test=%s stage=%s code=%s esc=%s attempts=%s rcpt=%s text=%s" % (t.get("id"),
              t.get("stage"), t.get("code"), t.get("esc"), t.get("attempts"), t.get("rcpt_to"),
              json.dumps(t.get("text"))))
    for a in o.get("arrivals", []):
        print("  arrival test=%s token_status=%s rcpt=%s received=%s" % (a.get("test"),
              a.get("token_status"), a.get("rcpt_to"), json.dumps(a.get("received"))))
sys.exit(0 if n else 1)
PY
}

# sm_expect OUT PORT VERDICTS ARRIVALS [REASON] - judge one target's JSON object
sm_expect() {
	python3 - "$SM_HOST" "$SM_ADDR" "$@" <<'PY' || { echo "---- relaywatch stderr"; tail -40 "$1.err"; sm_dump; fail "$SM_ADDR:$2: unexpected result"; }
import json, re, sys
host, addr, out, port, verdicts, arrivals = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5].split("|"), sys.argv[6]
want_reason = sys.argv[7] if len(sys.argv) > 7 else ""
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
if o.get("mta") != "sendmail":
    bad.append("mta: got %r, want 'sendmail' (banner %r)" % (o.get("mta"), o.get("banner")))
arr = o.get("arrivals") or []
if arrivals == "valid":
    good = [a for a in arr if a.get("token_status") == "valid"
            and any(("by " + host) in r for r in a.get("received") or [])]
    if not good:
        bad.append("arrivals: got %d, none valid with 'by %s' in its Received chain" % (len(arr), host))
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
	echo "ok: $SM_ADDR:$2 verdict $(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l) if l.strip() else {}
    if o.get("port") == int(sys.argv[2]): print(o["verdict"])' "$1" "$2")"
}

# sm_tests OUT PORT STAGE ID... - each named test ended at STAGE
sm_tests() {
	python3 - "$SM_ADDR" "$@" <<'PY' || { sm_dump; fail "$SM_ADDR:$2: tests not at stage $3"; }
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
	echo "ok: $SM_ADDR:$2 stage $3:" "$(echo "$@" | cut -d' ' -f4-)"
}

# sm_traffic_has PATTERN WHAT - the traffic log shows PATTERN (grep -E), else fail
sm_traffic_has() {
	grep -Eq "$1" "$SM_DIR/traffic" 2>/dev/null || { sm_dump; fail "sendmail traffic: $2"; }
}

# sm_traffic_lacks PATTERN WHAT - the traffic log never shows PATTERN
sm_traffic_lacks() {
	! grep -E "$1" "$SM_DIR/traffic" 2>/dev/null || { sm_dump; fail "sendmail traffic: $2"; }
}

# stop sendmail before common.sh removes $T (and on interruption too)
_sm_exit() { sm_stop; rw_cleanup; }
trap _sm_exit EXIT
trap '_sm_exit; trap - EXIT; exit 130' INT TERM
