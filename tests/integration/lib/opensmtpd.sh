# opensmtpd.sh - a private OpenSMTPD on loopback for integration tests
# (sourced after common.sh, POSIX sh).
#
# Debian's opensmtpd conflicts with the installed postfix (both are the
# mail-transport-agent), so it is never installed: lib/fetch_deb.sh fetches
# the package (and any library it needs that is missing) and unpacks it into
# a cache, build/peers/opensmtpd (RW_PEERS overrides build/peers), shared by
# every build directory and reused by later runs.
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
#   osd_only_canary SINKPORT
#                         every delivery in the log was for the canary domain,
#                         and every outgoing connection went to the sink
#
# The probe and its judgement are lib/mta.sh's (sourced here): mta_relaywatch,
# mta_rc, mta_expect (the banner must name OpenSMTPD and the mta be
# "opensmtpd"; a valid arrival came "by osd.lab.test"), mta_log_has,
# mta_log_lacks and mta_log_wait on the smtpd log.
#
# LIMITS: the download as lib/fetch_deb.sh allows (120 s per apt-get call,
# 120 s waiting for another test's download, which skips); start-up at most
# OSD_START_WAIT (20) per port; stop 5 seconds before the namespace's
# processes are killed; relaywatch at most 120 s.

_osd_here=$(cd "${here:-$(dirname "$0")}" && pwd)
. "$_osd_here/lib/fetch_deb.sh"
. "$_osd_here/lib/mta.sh"

OSD_ROOT=$(fetch_deb_peer opensmtpd)
OSD_SMTPD="$OSD_ROOT/usr/sbin/smtpd"
OSD_SMTPCTL="$OSD_ROOT/usr/sbin/smtpctl"
OSD_DIR="$T/osd"
OSD_CONF="$OSD_DIR/smtpd.conf"
OSD_LOG="$OSD_DIR/smtpd.log"
OSD_HOST=osd.lab.test
OSD_START_WAIT=${OSD_START_WAIT:-20}
OSD_PORT=""
OSD_VERSION=""
_osd_ports=""
_osd_listen=""
_osd_rules=""
_osd_pid=""
_osd_ns=""
_osd_ldpath=""
FETCH_DEB_BUSY=skip
MTA_NAME=opensmtpd
MTA_BANNER=OpenSMTPD
MTA_RECEIVED='\bby osd\.lab\.test\b'
MTA_DUMP=osd_dump
MTA_LOG=$OSD_LOG MTA_LOG_WHAT="opensmtpd log"
MTA_RW_TIMEOUT=120

# _osd_try GETENT-ARGS... -- CREATE... - until getent finds the name, run
# CREATE (its failure is only reported); 10 tries, 0.5 s apart
_osd_try() {
	_q=""
	while [ "$1" != -- ]; do _q="$_q $1"; shift; done
	shift
	_n=0
	while ! $_q >/dev/null; do
		[ $_n -lt 10 ] || return 1
		"$@" || echo "osd: '$*' failed, try $((_n + 1)) of 10"
		_n=$((_n + 1))
		$_q >/dev/null && return 0
		sleep 0.5
	done
}

# osd_require - skip unless everything a private OpenSMTPD needs is here
osd_require() {
	command -v python3 >/dev/null 2>&1 || skip "python3 missing"
	[ "$(id -u)" -eq 0 ] || skip "a private opensmtpd must be started as root"
	for _c in unshare nsenter mount timeout; do
		command -v $_c >/dev/null 2>&1 || skip "no $_c (util-linux, coreutils)"
	done
	unshare -m --propagation private true 2>/dev/null ||
		skip "cannot create a mount namespace here (unshare -m)"
	fetch_deb_require "$OSD_ROOT" usr/sbin/smtpd opensmtpd
	[ -x "$OSD_SMTPD" ] || skip "no $OSD_SMTPD after unpacking opensmtpd"
	OSD_VERSION=$(fetch_deb_version "$OSD_ROOT" opensmtpd)
	# the library directories of the private root, if it holds any
	_osd_ldpath=$(fetch_deb_libpath "$OSD_ROOT")
	_missing=$(fetch_deb_missing "$OSD_ROOT" "$OSD_SMTPD")
	[ -z "$_missing" ] || { echo "$_missing"; skip "smtpd $OSD_VERSION lacks libraries"; }
	# the privsep users smtpd was built with (Debian: opensmtpd, opensmtpq;
	# its postinst creates them), as its "unknown user NAME" messages say
	_osd_users=$(grep -ao 'unknown user [a-z_][a-z0-9_-]*' "$OSD_SMTPD" | sed 's/.* //' | sort -u)
	[ -n "$_osd_users" ] || _osd_users="opensmtpd opensmtpq"
	# (opensmtpd_open and opensmtpd_closed may do this at once in two lanes:
	# the other one's useradd can win, or hold /etc/passwd's lock, so each
	# is tried again until the name exists, 10 times at most)
	for _u in $_osd_users; do
		_osd_try getent group "$_u" -- groupadd --system "$_u" ||
			skip "cannot create group $_u"
		_osd_try getent passwd "$_u" -- useradd --system --gid "$_u" \
			--home-dir /var/lib/opensmtpd/empty --no-create-home \
			--shell /usr/sbin/nologin --comment "OpenSMTPD privsep (relaywatch tests)" "$_u" ||
			skip "cannot create user $_u"
	done
	getent passwd nobody >/dev/null || skip "no user nobody for local deliveries"
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
	_p=$(mta_new_port "$_osd_ports") || fail "no fresh free port"
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
	mta_kill_strays osd $_left
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

# osd_only_canary - every delivery attempt the log shows went to the canary
# domain (any case) and to the sink port SINKPORT
osd_only_canary() {
	_bad=$(grep ' mta delivery ' "$OSD_LOG" | grep -Eiv ' to=<[^>]*@canary\.test> ')
	[ -z "$_bad" ] || { echo "$_bad"; osd_dump; fail "opensmtpd relayed mail for another domain"; }
	_bad=$(grep ' mta connecting ' "$OSD_LOG" | grep -Fv " address=smtp://127.0.0.1:$1 ")
	[ -z "$_bad" ] || { echo "$_bad"; osd_dump; fail "opensmtpd connected somewhere else than the sink"; }
}

# stop relaywatch and smtpd before common.sh removes $T (and on interruption too)
mta_traps osd_stop
