# opensmtpd.sh - a private OpenSMTPD on loopback for integration tests
# (sourced after common.sh, POSIX sh).
#
# Debian's opensmtpd conflicts with the installed postfix (both are the
# mail-transport-agent), so it is never installed: `apt-get download` fetches
# the package (and any library it needs that is missing) and `dpkg-deb -x`
# unpacks it into a cache, build/peers/opensmtpd (RW_PEERS overrides
# build/peers), shared by every build directory and reused by later runs.
#
# smtpd(8) has its spool (/var/spool/smtpd), chroot (/var/lib/opensmtpd/empty)
# and control socket (/var/run/smtpd.sock) compiled in, and none can be
# configured. So the instance runs in a mount namespace of its own
# (unshare -m) in which $T/osd/var is bound over /var: the host's /var, its
# spool and any system smtpd are never touched. Its own /etc/hosts and
# /etc/resolv.conf are bound there too: the resolver reads "lookup file", so
# OpenSMTPD's resolver (asr) only ever reads that hosts file and sends no DNS
# query. The package's /usr/libexec (mail.mda and the other delivery agents
# smtpd runs by their compiled-in paths) is bound over /usr/libexec there.
# smtpd runs in the foreground (-d), logging to $OSD_LOG.
#
# Nothing can leave loopback: the listeners are on 127.0.0.1:<free port>, and
# the only relay action in any profile is `relay host smtp://127.0.0.1:<sink>`
# (by address, no MX lookup). Mail for other domains is refused at RCPT, or,
# in the default profile, may only ever go to that sink, which refuses every
# domain but the canary. Local mail is thrown away (an mda writing to
# /dev/null as nobody).
#
#   osd_require           skip (77) unless root, unshare and the unpacked
#                         package are available; creates the privsep users
#   osd_init PROFILE SINKPORT
#                         write smtpd.conf for PROFILE (open, default); the
#                         first listener is 127.0.0.1:$OSD_PORT
#   osd_listener VAR [OPTION]...
#                         another listener on a free port, stored in VAR, with
#                         extra `listen on` options such as 'tag "inbound"'
#   osd_match RULE        a match rule tried before the profile's own rules
#   osd_start             check the configuration, start, wait for every port
#   osd_stop              stop the instance, kill what is left in its namespace
#   osd_dump              print the log and the queue (for failures)
#   osd_relaywatch OUT SINKPORT [OPTION]... TARGET...
#                         run `relaywatch test --json` against the instance,
#                         JSON Lines in OUT, exit status in $OSD_RW_RC
#   osd_expect OUT PORT VERDICTS ARRIVALS [REASON]
#                         the object for 127.0.0.1:PORT has a verdict in
#                         VERDICTS (a|b), mta "opensmtpd" (its banner must say
#                         OpenSMTPD), ARRIVALS is "valid" (a valid token that
#                         came "by osd.lab.test") or "none", and its reason
#                         matches the regex REASON (case-insensitive)
#   osd_log_has PATTERN WHAT / osd_log_lacks PATTERN WHAT
#                         the smtpd log shows (never shows) PATTERN (grep -E)
#   osd_log_wait SECONDS PATTERN WHAT
#                         the smtpd log shows PATTERN within SECONDS
#   osd_only_canary SINKPORT
#                         every delivery in the log was for the canary domain,
#                         and every outgoing connection went to the sink
#
# LIMITS: the download waits at most OSD_FETCH_WAIT seconds (120) per apt-get
# call and for another test's download; start-up at most OSD_START_WAIT (20)
# per port; stop 5 seconds before the namespace's processes are killed;
# osd_log_wait as long as its caller says.

_osd_here=$(cd "$(dirname "$0")" && pwd)
OSD_CACHE="${RW_PEERS:-$(cd "$_osd_here/../.." && pwd)/build/peers}/opensmtpd"
OSD_ROOT="$OSD_CACHE/root"
OSD_SMTPD="$OSD_ROOT/usr/sbin/smtpd"
OSD_SMTPCTL="$OSD_ROOT/usr/sbin/smtpctl"
OSD_DIR="$T/osd"
OSD_CONF="$OSD_DIR/smtpd.conf"
OSD_LOG="$OSD_DIR/smtpd.log"
OSD_HOST=osd.lab.test
OSD_FETCH_WAIT=${OSD_FETCH_WAIT:-120}
OSD_START_WAIT=${OSD_START_WAIT:-20}
OSD_PORT=""
OSD_VERSION=""
_osd_ports=""
_osd_listen=""
_osd_rules=""
_osd_pid=""
_osd_ns=""
_osd_ldpath=""

# _osd_apt_download DIR PACKAGE... - apt-get download into DIR, bounded;
# refreshes the package lists once if the package is unknown
_osd_apt_download() {
	_d=$1; shift
	(cd "$_d" && timeout "$OSD_FETCH_WAIT" apt-get download -q "$@") >>"$_d/fetch.log" 2>&1 &&
		return 0
	echo "osd: apt-get download $* failed, updating the package lists once"
	timeout $((OSD_FETCH_WAIT * 2)) apt-get update -qq >>"$_d/fetch.log" 2>&1 || return 1
	(cd "$_d" && timeout "$OSD_FETCH_WAIT" apt-get download -q "$@") >>"$_d/fetch.log" 2>&1
}

# _osd_fetch - unpack opensmtpd (and missing libraries) into $OSD_ROOT once
_osd_fetch() {
	[ -f "$OSD_CACHE/version" ] && [ -x "$OSD_SMTPD" ] && return 0
	command -v apt-get >/dev/null 2>&1 || skip "no apt-get to fetch opensmtpd"
	command -v dpkg-deb >/dev/null 2>&1 || skip "no dpkg-deb to unpack opensmtpd"
	mkdir -p "$OSD_CACHE" || skip "cannot create $OSD_CACHE"
	# one download at a time; the loser of the race finds the cache filled
	exec 9>"$OSD_CACHE.lock"
	flock -w "$OSD_FETCH_WAIT" 9 || skip "another test holds $OSD_CACHE.lock"
	if [ -f "$OSD_CACHE/version" ] && [ -x "$OSD_SMTPD" ]; then exec 9>&-; return 0; fi
	rm -rf "$OSD_ROOT" "$OSD_CACHE"/fetch.*
	_f=$(mktemp -d "$OSD_CACHE/fetch.XXXXXX")
	echo "osd: fetching opensmtpd into $OSD_CACHE"
	_osd_apt_download "$_f" opensmtpd || {
		tail -5 "$_f/fetch.log"; rm -rf "$_f"
		skip "cannot download the opensmtpd package (apt-get download opensmtpd)"
	}
	_deb=$(ls "$_f"/opensmtpd_*.deb 2>/dev/null | sed 1q)
	[ -n "$_deb" ] || skip "apt-get download left no opensmtpd_*.deb"
	dpkg-deb -x "$_deb" "$_f/root" || fail "dpkg-deb -x $_deb failed"
	# libraries named in Depends that this machine lacks join the root
	_libs=""
	for _dep in $(dpkg-deb -f "$_deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/[[:space:]]//g'); do
		case $_dep in lib*) ;; *) continue ;; esac
		dpkg-query -W -f='${Status}\n' "$_dep" 2>/dev/null | grep -q 'install ok installed' ||
			_libs="$_libs $_dep"
	done
	if [ -n "$_libs" ]; then
		echo "osd: libraries missing here, unpacked beside smtpd:$_libs"
		_osd_apt_download "$_f" $_libs || {
			tail -5 "$_f/fetch.log"; rm -rf "$_f"
			skip "cannot download libraries for opensmtpd:$_libs"
		}
		for _l in $_libs; do
			dpkg-deb -x "$(ls "$_f/${_l}"_*.deb | sed 1q)" "$_f/root" ||
				fail "dpkg-deb -x $_l failed"
		done
	fi
	mv "$_f/root" "$OSD_ROOT" || fail "cannot move the unpacked root into $OSD_CACHE"
	dpkg-deb -f "$_deb" Version >"$OSD_CACHE/version"
	rm -rf "$_f"
	exec 9>&-
}

# osd_require - skip unless everything a private OpenSMTPD needs is here
osd_require() {
	command -v python3 >/dev/null 2>&1 || skip "python3 missing"
	[ "$(id -u)" -eq 0 ] || skip "a private opensmtpd must be started as root"
	for _c in unshare nsenter mount flock timeout; do
		command -v $_c >/dev/null 2>&1 || skip "no $_c (util-linux, coreutils)"
	done
	unshare -m --propagation private true 2>/dev/null ||
		skip "cannot create a mount namespace here (unshare -m)"
	_osd_fetch
	OSD_VERSION=$(cat "$OSD_CACHE/version")
	# the library directories of the private root, if it holds any
	for _l in "$OSD_ROOT"/lib/*-linux-gnu* "$OSD_ROOT"/usr/lib/*-linux-gnu* \
		  "$OSD_ROOT/lib" "$OSD_ROOT/usr/lib"; do
		ls "$_l"/*.so* >/dev/null 2>&1 && _osd_ldpath="${_osd_ldpath:+$_osd_ldpath:}$_l"
	done
	_missing=$(env ${_osd_ldpath:+"LD_LIBRARY_PATH=$_osd_ldpath"} ldd "$OSD_SMTPD" 2>&1 | grep 'not found')
	[ -z "$_missing" ] || { echo "$_missing"; skip "smtpd $OSD_VERSION lacks libraries"; }
	# the privsep users smtpd was built with (Debian: opensmtpd, opensmtpq;
	# its postinst creates them), as its "unknown user NAME" messages say
	_osd_users=$(grep -ao 'unknown user [a-z_][a-z0-9_-]*' "$OSD_SMTPD" | sed 's/.* //' | sort -u)
	[ -n "$_osd_users" ] || _osd_users="opensmtpd opensmtpq"
	for _u in $_osd_users; do
		getent group "$_u" >/dev/null || groupadd --system "$_u" ||
			skip "cannot create group $_u"
		getent passwd "$_u" >/dev/null ||
			useradd --system --gid "$_u" --home-dir /var/lib/opensmtpd/empty \
				--no-create-home --shell /usr/sbin/nologin \
				--comment "OpenSMTPD privsep (relaywatch tests)" "$_u" ||
			skip "cannot create user $_u"
	done
	getent passwd nobody >/dev/null || skip "no user nobody for local deliveries"
}

# _osd_new_port - a free loopback port not yet given to this instance
_osd_new_port() {
	for _i in 1 2 3 4 5; do
		_p=$(free_port)
		case " $_osd_ports " in *" $_p "*) continue ;; esac
		echo "$_p"; return 0
	done
	fail "no fresh free port"
}

# osd_init PROFILE SINKPORT - the private tree and the profile's rules
osd_init() {
	_profile=$1 _sink=$2
	# bound over /var in the namespace: the spool, chroot and control socket
	mkdir -p "$OSD_DIR/var/spool/smtpd" "$OSD_DIR/var/lib/opensmtpd/empty" \
		"$OSD_DIR/var/run" "$OSD_DIR/var/mail" "$OSD_DIR/var/tmp"
	chmod 0711 "$OSD_DIR/var/spool/smtpd"
	chmod 0755 "$OSD_DIR/var/lib/opensmtpd/empty"
	chmod 1777 "$OSD_DIR/var/tmp"
	printf '127.0.0.1\tlocalhost\n127.0.0.2\tstranger.lab.test\n' >"$OSD_DIR/hosts"
	printf '# relaywatch test instance: hosts file only, never DNS\nlookup file\n' \
		>"$OSD_DIR/resolv.conf"
	printf 'postmaster: root\nabuse: root\n' >"$OSD_DIR/aliases"
	OSD_PORT=$(free_port)
	_osd_ports="$OSD_PORT"
	_osd_listen="listen on 127.0.0.1 port $OSD_PORT hostname $OSD_HOST"
	_osd_rules=""
	_osd_relay="relay host smtp://127.0.0.1:$_sink helo $OSD_HOST"
	case $_profile in
	open)
		# relays for everyone, but only to the canary domain
		_osd_actions="action \"canary\" $_osd_relay"
		_osd_policy="match from any for domain \"canary.test\" action \"canary\"
match from any for any reject" ;;
	default)
		# the rules of Debian's /etc/smtpd.conf: local mail for local
		# clients, relaying only from local; the relay goes to the sink
		# instead of MX hosts, and local mail to /dev/null
		_osd_actions="action \"local\" mda \"cat >/dev/null\" alias <aliases> user nobody
action \"relay\" $_osd_relay"
		_osd_policy="match for local action \"local\"
match from local for any action \"relay\"" ;;
	*) fail "osd_init: unknown profile '$_profile'" ;;
	esac
	_osd_profile=$_profile
	echo "osd: opensmtpd $OSD_VERSION, profile $_profile, 127.0.0.1:$OSD_PORT," \
		"canary.test -> 127.0.0.1:$_sink, config $OSD_CONF"
}

# osd_listener VAR [OPTION]... - another listener on a fresh port, port in VAR
osd_listener() {
	_var=$1; shift
	_p=$(_osd_new_port)
	_osd_listen="$_osd_listen
listen on 127.0.0.1 port $_p hostname $OSD_HOST $*"
	_osd_ports="$_osd_ports $_p"
	eval "$_var=\$_p"
	echo "osd: extra listener 127.0.0.1:$_p $*"
}

# osd_match RULE - a rule of the test's own, tried before the profile's
osd_match() {
	_osd_rules="$_osd_rules$1
"
}

# _osd_write - assemble smtpd.conf (tables, listeners, actions, rules)
_osd_write() {
	cat >"$OSD_CONF" <<EOF
# relaywatch test instance, profile $_osd_profile (generated by tests/integration/lib/opensmtpd.sh)
table aliases file:$OSD_DIR/aliases

$_osd_listen

$_osd_actions

$_osd_rules$_osd_policy
EOF
}

# the namespace's set-up, run by `sh -c` inside `unshare -m`: $1 the private
# tree, $2 the unpacked package, $3 a library path (or ""), then the command,
# which it execs
_OSD_NS_SH='d=$1 r=$2 ldp=$3; shift 3
mount --bind "$d/var" /var &&
mount --bind "$d/hosts" /etc/hosts &&
mount --bind "$d/resolv.conf" /etc/resolv.conf &&
mount --bind "$r/usr/libexec" /usr/libexec || {
	echo "osd: private mounts failed" >&2; exit 125; }
[ -z "$ldp" ] || export LD_LIBRARY_PATH="$ldp"
exec "$@"'

# _osd_in_ns CMD... - CMD in a new mount namespace with the private /var and /etc files
_osd_in_ns() {
	unshare -m --propagation private sh -c "$_OSD_NS_SH" osd-ns "$OSD_DIR" "$OSD_ROOT" "$_osd_ldpath" "$@"
}

# osd_check - smtpd -n must accept the configuration
osd_check() {
	_out=$(_osd_in_ns "$OSD_SMTPD" -n -f "$OSD_CONF" 2>&1) || {
		echo "$_out"; cat -n "$OSD_CONF"; fail "smtpd -n rejects $OSD_CONF"; }
	echo "$_out" | sed 's/^/osd check: /'
}

# _osd_alive - smtpd's parent still runs (neither gone nor a zombie)
_osd_alive() {
	_st=$(sed 's/.*) //; s/ .*//' "/proc/$_osd_pid/stat" 2>/dev/null)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# _osd_find_ns - note smtpd's mount namespace once it runs in its own; never
# ours, since osd_stop kills every process in the namespace noted
_osd_find_ns() {
	[ -z "$_osd_ns" ] || return 0
	[ "$(readlink "/proc/$_osd_pid/exe" 2>/dev/null)" = "$OSD_SMTPD" ] || return 1
	_n=$(readlink "/proc/$_osd_pid/ns/mnt" 2>/dev/null)
	[ -n "$_n" ] && [ "$_n" != "$(readlink "/proc/$$/ns/mnt")" ] || return 1
	_osd_ns=$_n
}

# _osd_wait_port PORT - wait for the listener, OSD_START_WAIT seconds at most;
# fail at once when smtpd has exited
_osd_wait_port() {
	_i=0
	while [ $_i -lt $((OSD_START_WAIT * 10)) ]; do
		_osd_alive || { osd_dump; fail "smtpd exited during start-up"; }
		_osd_find_ns
		wait_port 127.0.0.1 "$1" 1 && return 0
		_i=$((_i + 10))
	done
	return 1
}

# osd_start - check the configuration, start smtpd -d, wait for every port
osd_start() {
	_osd_write
	osd_check
	# a simple command in the background: $! is unshare, which execs sh,
	# which execs smtpd, so the pid is smtpd's parent process
	rw_bg unshare -m --propagation private sh -c "$_OSD_NS_SH" osd-ns "$OSD_DIR" "$OSD_ROOT" "$_osd_ldpath" \
		"$OSD_SMTPD" -d -f "$OSD_CONF" >>"$OSD_LOG" 2>&1
	_osd_pid=$RW_LASTPID
	for _p in $_osd_ports; do
		_osd_wait_port "$_p" || {
			osd_dump
			fail "opensmtpd on 127.0.0.1:$_p did not answer within ${OSD_START_WAIT}s"
		}
	done
	sleep 0.2 # a listener that answered may have been another program's
	_osd_alive || { osd_dump; fail "smtpd exited during start-up"; }
	_osd_find_ns || {
		osd_dump; fail "pid $_osd_pid is not $OSD_SMTPD in a mount namespace of its own"; }
	echo "osd: running, pid $_osd_pid, $_osd_ns"
}

# _osd_procs - pids of every process in the instance's mount namespace
_osd_procs() {
	[ -n "$_osd_ns" ] && [ "$_osd_ns" != "$(readlink "/proc/$$/ns/mnt")" ] || return 0
	for _e in /proc/[0-9]*; do
		[ "$(readlink "$_e/ns/mnt" 2>/dev/null)" = "$_osd_ns" ] && echo "${_e#/proc/}"
	done
}

# osd_stop - TERM smtpd, wait 5 s for its namespace to empty, then KILL
osd_stop() {
	[ -n "$_osd_pid" ] || return 0
	kill -TERM "$_osd_pid" 2>/dev/null
	_i=0
	while [ $_i -lt 50 ] && { _osd_alive || [ -n "$(_osd_procs)" ]; }; do
		sleep 0.1; _i=$((_i + 1))
	done
	_left=$(_osd_procs)
	_osd_alive && _left="$_osd_pid $_left"
	if [ -n "$_left" ]; then
		echo "osd: killing stray processes:" $_left
		kill -9 $_left 2>/dev/null
	fi
	wait "$_osd_pid" 2>/dev/null
	_osd_pid=""
	_osd_ns=""
	return 0
}

# osd_dump - the smtpd log and the queue, for a failing test's log
osd_dump() {
	echo "---- opensmtpd log ($OSD_LOG)"
	[ -f "$OSD_LOG" ] && tail -80 "$OSD_LOG"
	echo "---- opensmtpd queue"
	# smtpctl insists on running with its group (setgid in a real install)
	[ -n "$_osd_pid" ] && _osd_alive && timeout 5 nsenter -t "$_osd_pid" -m setpriv --regid=opensmtpq \
		--keep-groups env ${_osd_ldpath:+"LD_LIBRARY_PATH=$_osd_ldpath"} \
		"$OSD_SMTPCTL" show queue 2>&1 | tail -30
	echo "----"
}

# osd_relaywatch OUT SINKPORT [OPTION]... TARGET... - the probe under test
osd_relaywatch() {
	_out=$1 _sinkport=$2; shift 2
	[ -x "$RW" ] || fail "$RW is not built"
	[ -f "$T/token.key" ] || key_file "$T/token.key"
	set -- "$RW" test --json --canary canary.test --sink-listen "127.0.0.1:$_sinkport" \
		--token-key "$T/token.key" --wait 20 --timeout 10 --greylist-delay 1 "$@"
	echo "run: $*"
	# in the background, so that a TERM to this script is handled at once
	rw_bg timeout 120 "$@" >"$_out" 2>"$_out.err"
	wait "$RW_LASTPID"
	OSD_RW_RC=$?
	echo "relaywatch exit status $OSD_RW_RC"
	if [ $OSD_RW_RC -eq 124 ]; then
		tail -40 "$_out.err"; osd_dump; fail "relaywatch test did not finish within 120s"
	fi
	python3 - "$_out" <<'PY' || { tail -40 "$_out.err"; osd_dump; fail "relaywatch wrote no valid JSON"; }
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

# osd_expect OUT PORT VERDICTS ARRIVALS [REASON] - judge one target's JSON object
osd_expect() {
	python3 - "$@" <<'PY' || { echo "---- relaywatch stderr"; tail -40 "$1.err"; osd_dump; fail "127.0.0.1:$2: unexpected result"; }
import json, re, sys
out, port, verdicts, arrivals = sys.argv[1], int(sys.argv[2]), sys.argv[3].split("|"), sys.argv[4]
want_reason = sys.argv[5] if len(sys.argv) > 5 else ""
objs = [json.loads(l) for l in open(out) if l.strip()]
objs = [o for o in objs if o.get("port") == port and o.get("addr") == "127.0.0.1"]
bad = []
if len(objs) != 1:
    print("want one object for 127.0.0.1:%d, got %d" % (port, len(objs)))
    sys.exit(1)
o = objs[0]
if o.get("verdict") not in verdicts:
    bad.append("verdict: got %r, want %s" % (o.get("verdict"), " or ".join(verdicts)))
if not o.get("reason"):
    bad.append("reason: got empty, want the evidence")
elif want_reason and not re.search(want_reason, o["reason"], re.I):
    bad.append("reason: got %r, want it to match /%s/" % (o["reason"], want_reason))
# the fingerprint is judged only on what the banner says
if "OpenSMTPD" not in (o.get("banner") or ""):
    bad.append("banner: got %r, want it to name OpenSMTPD" % o.get("banner"))
elif o.get("mta") != "opensmtpd":
    bad.append("mta: got %r, want 'opensmtpd' (banner %r)" % (o.get("mta"), o.get("banner")))
arr = o.get("arrivals") or []
if arrivals == "valid":
    good = [a for a in arr if a.get("token_status") == "valid"
            and any(re.search(r"\bby osd\.lab\.test\b", r) for r in a.get("received") or [])]
    if not good:
        bad.append("arrivals: got %d, none valid with 'by osd.lab.test' in its Received chain"
                   % len(arr))
elif arr:
    bad.append("arrivals: got %d, want none" % len(arr))
for b in bad:
    print("127.0.0.1:%d: %s" % (port, b))
sys.exit(1 if bad else 0)
PY
	echo "ok: 127.0.0.1:$2 verdict $(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l) if l.strip() else {}
    if o.get("port") == int(sys.argv[2]): print(o["verdict"])' "$1" "$2")"
}

# osd_log_has PATTERN WHAT - the smtpd log shows PATTERN (grep -E), else fail
osd_log_has() {
	grep -Eq "$1" "$OSD_LOG" || { osd_dump; fail "opensmtpd log: $2"; }
}

# osd_log_wait SECONDS PATTERN WHAT - the smtpd log shows PATTERN within SECONDS
# (deliveries are logged when the queue gets to them), else fail
osd_log_wait() {
	_i=0
	while ! grep -Eq "$2" "$OSD_LOG"; do
		[ $_i -lt $(($1 * 10)) ] || { osd_dump; fail "opensmtpd log: $3 (waited $1 s)"; }
		sleep 0.1; _i=$((_i + 1))
	done
}

# osd_log_lacks PATTERN WHAT - the smtpd log never shows PATTERN
osd_log_lacks() {
	! grep -E "$1" "$OSD_LOG" || { osd_dump; fail "opensmtpd log: $2"; }
}

# osd_only_canary - every delivery attempt the log shows went to the canary
# domain (any case) and to the sink port SINKPORT
osd_only_canary() {
	_bad=$(grep ' mta delivery ' "$OSD_LOG" | grep -Eiv ' to=<[^>]*@canary\.test> ')
	[ -z "$_bad" ] || { echo "$_bad"; osd_dump; fail "opensmtpd relayed mail for another domain"; }
	_bad=$(grep ' mta connecting ' "$OSD_LOG" | grep -Fv " address=smtp://127.0.0.1:$1 ")
	[ -z "$_bad" ] || { echo "$_bad"; osd_dump; fail "opensmtpd connected somewhere else than the sink"; }
}

# stop smtpd before common.sh removes $T (and on interruption too)
_osd_exit() { osd_stop; rw_cleanup; }
trap _osd_exit EXIT
trap '_osd_exit; trap - EXIT; exit 130' INT TERM
