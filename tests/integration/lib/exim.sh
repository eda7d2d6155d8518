# exim.sh - a private Exim instance on loopback for integration tests
# (sourced after common.sh, POSIX sh).
#
# Debian's MTA packages conflict with the installed Postfix, so Exim is not
# installed: exim4-daemon-light (and any library it needs that is missing) is
# downloaded and unpacked once into $RW_PEERS/exim (default build/peers/exim
# in the source tree, shared by every build directory; lib/fetch_deb.sh),
# and its binary is started by hand with a config of our own (-C, as root)
# whose spool, logs and pid file all live under $T/exim.
# /etc/exim4, /var/spool/exim4 and /var/log/exim4 are never read or written.
# The unpacked binary loses its setuid bit: when the Exim user re-executes it
# for a delivery, a setuid binary would make the dynamic loader ignore
# LD_LIBRARY_PATH; deliver_drop_privilege makes root unnecessary there.
#
# The binary looks up its compiled-in user, Debian-exim, when it starts. When
# the machine has no such user, the instance runs in a private mount
# namespace (unshare -m) where /etc/passwd and /etc/group are copies with a
# Debian-exim entry on a free uid; only when namespaces are refused is the
# user created for real (useradd --system, as the package would; EXIM_NO_NS=1
# forces this).
#
# Nothing can leave loopback: the daemon listens only on 127.0.0.1:<free
# port>, the only route out is a manualroute router sending canary.test to
# 127.0.0.1 port <sink port> (self = send, as 127.0.0.1 is this host), local
# domains are blackholed, every other domain fails, and no option does a DNS
# or ident lookup (host_lookup, rfc1413_hosts, helo_lookup_domains empty); in
# the namespace, /etc/resolv.conf also names only 127.0.0.1.
#
#   exim_require          fetch and unpack Exim (skip 77 when impossible),
#                         check that we are root and that the binary runs
#   exim_init PROFILE SINKPORT
#                         PROFILE open (relay_from_hosts 0.0.0.0/0), default
#                         (Debian's ACL, our 127.0.0.1 outside
#                         relay_from_hosts) or datareject (open, but the DATA
#                         command is refused); first listener on $EXIM_PORT
#   exim_listener VAR POLICY
#                         another listener on a free port, stored in VAR, with
#                         POLICY none, relay-defer (relaying refused with
#                         451 4.7.1), predata-deny (550 at the DATA command),
#                         data-deny (550 after the message), queue-only
#                         (accepted, queued, never delivered) or
#                         sender-trust (the RCPT ACL accepts any sender
#                         *@lab.test, the parent of exim.lab.test, before
#                         its relay check: the sender trick) (before start)
#   exim_start            write and check the configuration, start the
#                         daemon, wait for every port
#   exim_stop             stop the daemon, kill its stray processes
#   exim_dump             print the logs and the queue (for failures)
#
# The probe and its judgement are lib/mta.sh's (sourced here): mta_relaywatch,
# mta_rc, mta_expect (mta "exim", a valid arrival's Received chain has Exim's
# "by exim.lab.test with ... (Exim 4.x)"), mta_log_has / mta_log_lacks on the
# main log.
#
# LIMITS: start-up waits at most EXIM_START_WAIT seconds (20) per port; stop
# waits at most 5 seconds before SIGKILL; relaywatch runs at most 300 s.

_exim_here=$(cd "${here:-$(dirname "$0")}" && pwd)
. "$_exim_here/lib/fetch_deb.sh"
. "$_exim_here/lib/mta.sh"

EXIM_PKGS="exim4-daemon-light"
EXIM_ROOT=$(fetch_deb_peer exim)
EXIM_BIN="$EXIM_ROOT/usr/sbin/exim4"
EXIM_DIR="$T/exim"
EXIM_CONF="$EXIM_DIR/configure"
EXIM_SPOOL="$EXIM_DIR/spool"
EXIM_LOGDIR="$EXIM_DIR/log"
EXIM_LOG="$EXIM_LOGDIR/mainlog"
EXIM_HOST=exim.lab.test
EXIM_START_WAIT=${EXIM_START_WAIT:-20}
EXIM_PORT=""
EXIM_PID=""
EXIM_LIBPATH=""
EXIM_MODE=""   # system: Debian-exim exists; ns: private /etc/passwd in a mount namespace
EXIM_UID="" EXIM_GID=""
_exim_ports=""
_exim_profile="" _exim_sink=""
_exim_policy_ports=""  # "policy:port ..." for the ACLs
MTA_NAME=exim
MTA_RECEIVED='^(?=.*by exim\.lab\.test with )(?=.*\(Exim )'
MTA_DUMP=exim_dump
MTA_LOG=$EXIM_LOG MTA_LOG_WHAT="exim log"

# _exim_go [exec] ARGS... - run the unpacked exim with our environment (and
# namespace); with exec, in place of the calling (background) shell
_exim_go() {
	_x=$1; shift
	if [ "$EXIM_MODE" = ns ]; then
		$_x env LD_LIBRARY_PATH="$EXIM_LIBPATH" unshare -m sh -c '
			d=$1; shift
			mount --bind "$d/etc/passwd" /etc/passwd &&
			mount --bind "$d/etc/group" /etc/group &&
			{ [ ! -f /etc/resolv.conf ] || mount --bind "$d/etc/resolv.conf" /etc/resolv.conf; } &&
			exec "$@"' sh "$EXIM_DIR" "$EXIM_BIN" "$@"
	else
		$_x env LD_LIBRARY_PATH="$EXIM_LIBPATH" "$EXIM_BIN" "$@"
	fi
}
_exim_run() { _exim_go "" "$@"; }
_exim_exec() { _exim_go exec "$@"; }

# _exim_free_id - a number that is neither a uid nor a gid here
_exim_free_id() {
	_id=64990
	while [ $_id -gt 64000 ]; do
		if ! getent passwd $_id >/dev/null && ! getent group $_id >/dev/null; then
			echo $_id; return 0
		fi
		_id=$((_id - 1))
	done
	return 1
}

# _exim_user - decide how the compiled-in user Debian-exim will exist
_exim_user() {
	if getent passwd Debian-exim >/dev/null && getent group Debian-exim >/dev/null; then
		EXIM_MODE=system
	elif [ -z "${EXIM_NO_NS:-}" ] && unshare -m true 2>/dev/null; then
		EXIM_MODE=ns
		EXIM_UID=$(_exim_free_id) || fail "no free uid for Debian-exim in 64001..64990"
		EXIM_GID=$EXIM_UID
		return 0
	else
		echo "exim: no mount namespace (unshare -m refused or EXIM_NO_NS set);" \
			"creating the system user Debian-exim"
		getent group Debian-exim >/dev/null || groupadd --system Debian-exim ||
			fail "cannot create the group Debian-exim"
		getent passwd Debian-exim >/dev/null ||
			useradd --system --gid Debian-exim --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin Debian-exim ||
			fail "cannot create the user Debian-exim"
		EXIM_MODE=system
	fi
	EXIM_UID=$(id -u Debian-exim) EXIM_GID=$(getent group Debian-exim | cut -d: -f3)
}

# _exim_unsetuid ROOT - clear the setuid bit of the freshly unpacked binary
_exim_unsetuid() { chmod u-s "$1/usr/sbin/exim4"; }

# exim_require - the unpacked Exim, root, and a user to run it as
exim_require() {
	[ "$(id -u)" -eq 0 ] || skip "a private exim instance must be started as root"
	command -v python3 >/dev/null 2>&1 || skip "no python3"
	command -v apt-get >/dev/null 2>&1 || skip "no apt-get to download exim"
	fetch_deb_require -f _exim_unsetuid "$EXIM_ROOT" usr/sbin/exim4 $EXIM_PKGS
	[ -x "$EXIM_BIN" ] || fail "no $EXIM_BIN after unpacking $EXIM_PKGS"
	[ ! -u "$EXIM_BIN" ] || fail "$EXIM_BIN is setuid (an old cache: remove $EXIM_ROOT)"
	EXIM_LIBPATH=$(fetch_deb_libpath "$EXIM_ROOT")
	_missing=$(fetch_deb_missing "$EXIM_ROOT" "$EXIM_BIN")
	[ -z "$_missing" ] || {
		echo "$_missing"
		fail "$EXIM_BIN lacks libraries (fetch_deb missed a dependency)"
	}
	_exim_user
	mkdir -p "$EXIM_DIR/etc"
	# the Exim user must traverse $T and reach the binary (as in postfix.sh)
	chmod 0711 "$T" "$EXIM_DIR"
	if [ "$EXIM_MODE" = ns ]; then
		{
			cat /etc/passwd
			echo "Debian-exim:x:$EXIM_UID:$EXIM_GID::/nonexistent:/usr/sbin/nologin"
		} >"$EXIM_DIR/etc/passwd"
		{ cat /etc/group; echo "Debian-exim:x:$EXIM_GID:"; } >"$EXIM_DIR/etc/group"
		printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$EXIM_DIR/etc/resolv.conf"
	fi
	if command -v setpriv >/dev/null 2>&1 &&
	   ! setpriv --reuid="$EXIM_UID" --regid="$EXIM_GID" --clear-groups \
		sh -c 'test -x "$1" && test -x "$2"' sh "$EXIM_DIR" "$EXIM_BIN"; then
		fail "uid $EXIM_UID cannot reach $EXIM_DIR or $EXIM_BIN (a parent directory is closed to others)"
	fi
	_v=$(_exim_run -C /dev/null -bV 2>&1) || { echo "$_v"; fail "the unpacked exim does not run"; }
	echo "exim: $(echo "$_v" | sed -n 's/^Exim version \([^ ]*\).*/Exim \1/p') from $EXIM_ROOT:" \
		$(sed -n '2,$p' "$EXIM_ROOT/.fetched")
	echo "exim: Debian-exim is uid $EXIM_UID ($EXIM_MODE)"
}

# exim_init PROFILE SINKPORT - choose the profile; the config is written at start
exim_init() {
	_exim_profile=$1 _exim_sink=$2
	case $_exim_profile in
	open | default | datareject) ;;
	*) fail "exim_init: unknown profile '$_exim_profile'" ;;
	esac
	mkdir -p "$EXIM_SPOOL" "$EXIM_LOGDIR"
	chown "$EXIM_UID:$EXIM_GID" "$EXIM_SPOOL" "$EXIM_LOGDIR"
	EXIM_PORT=$(free_port)
	_exim_ports="$EXIM_PORT"
	[ "$_exim_profile" != datareject ] || _exim_policy_ports="predata-deny:$EXIM_PORT"
	echo "exim: profile $_exim_profile, daemon 127.0.0.1:$EXIM_PORT," \
		"canary.test -> 127.0.0.1 port $_exim_sink, config $EXIM_CONF"
}

# exim_listener VAR POLICY - another listening port with its own ACL policy
exim_listener() {
	_var=$1 _pol=$2
	case $_pol in
	none | relay-defer | predata-deny | data-deny | queue-only | sender-trust) ;;
	*) fail "exim_listener: unknown policy '$_pol'" ;;
	esac
	_p=$(mta_new_port "$_exim_ports") || fail "no fresh free port"
	_exim_ports="$_exim_ports $_p"
	_exim_policy_ports="$_exim_policy_ports $_pol:$_p"
	eval "$_var=\$_p"
	echo "exim: extra listener 127.0.0.1:$_p, policy $_pol"
}

# _exim_policy POLICY - the ports with POLICY as an Exim list (0: none)
_exim_policy() {
	_l=""
	for _pp in $_exim_policy_ports; do
		[ "${_pp%%:*}" = "$1" ] && _l="$_l${_l:+ : }${_pp#*:}"
	done
	echo "${_l:-0}"
}

# _exim_config - write $EXIM_CONF: our settings as macros, then a fixed body
_exim_config() {
	case $_exim_profile in
	default) _relay="127.0.0.2" ;; # our client 127.0.0.1 is a stranger
	*) _relay="0.0.0.0/0" ;;       # the classic misconfiguration: relay for everyone
	esac
	cat >"$EXIM_CONF" <<EOF
# relaywatch test instance, profile $_exim_profile (generated by tests/integration/lib/exim.sh)
RW_RELAYNETS = $_relay
RW_SINKPORT = $_exim_sink
RW_PORTS_DEFER = $(_exim_policy relay-defer)
RW_PORTS_PREDATA = $(_exim_policy predata-deny)
RW_PORTS_DATA = $(_exim_policy data-deny)
RW_PORTS_QUEUE = $(_exim_policy queue-only)
RW_PORTS_SENDER = $(_exim_policy sender-trust)
RW_SENDER_DOMAIN = ${EXIM_HOST#*.}

exim_path = $EXIM_BIN
spool_directory = $EXIM_SPOOL
log_file_path = $EXIM_LOGDIR/%slog
pid_file_path = $EXIM_DIR/exim.pid
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $(echo $_exim_ports | sed 's/ / : /g')

primary_hostname = $EXIM_HOST
qualify_domain = $EXIM_HOST
domainlist local_domains = $EXIM_HOST : localhost
EOF
	cat >>"$EXIM_CONF" <<'EOF'
# the unpacked libraries, for the re-executed delivery process
keep_environment = LD_LIBRARY_PATH

domainlist relay_to_domains =
hostlist relay_from_hosts = RW_RELAYNETS

acl_smtp_rcpt = acl_check_rcpt
acl_smtp_predata = acl_check_predata
acl_smtp_data = acl_check_data

# no DNS, no ident, no TLS
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
helo_lookup_domains =
tls_advertise_hosts =
# no queue runner here: deliver every message at once, however many a
# connection brings (Exim queues from the 11th on by default)
smtp_accept_queue_per_connection = 0
# deliveries run as Debian-exim; the binary is not setuid
deliver_drop_privilege = true
never_users = root
log_selector = +smtp_connection +smtp_protocol_error +smtp_syntax_error \
	+received_recipients +incoming_port +incoming_interface +outgoing_port

begin acl

# Debian's acl_check_rcpt (exim4-config) without its optional macros
acl_check_rcpt:
  accept  hosts = :
  deny    domains       = +local_domains
          local_parts   = ^[.] : ^.*[@%!/|]
          message       = restricted characters in address
  deny    domains       = !+local_domains
          local_parts   = ^[./|] : ^.*[@%!] : ^.*/\\.\\./
          message       = restricted characters in address
  accept  local_parts   = postmaster
          domains       = +local_domains
  accept  hosts         = +relay_from_hosts
          control       = submission/sender_retain
  # relay-defer listeners: the same refusal, but temporary
  defer   condition     = ${if inlist{$received_port}{RW_PORTS_DEFER}}
          domains       = !+local_domains : !+relay_to_domains
          message       = 4.7.1 relay not permitted, try again later
  # sender-trust listeners: the misconfiguration that trusts an envelope
  # sender in the own domain (anyone can forge one) before the relay check
  accept  condition     = ${if inlist{$received_port}{RW_PORTS_SENDER}}
          senders       = *@RW_SENDER_DOMAIN
  require message       = relay not permitted
          domains       = +local_domains : +relay_to_domains
  require verify        = recipient
  accept

acl_check_predata:
  deny    condition     = ${if inlist{$received_port}{RW_PORTS_PREDATA}}
          message       = 5.7.1 no message accepted here (relaywatch test policy)
  accept

acl_check_data:
  deny    condition     = ${if inlist{$received_port}{RW_PORTS_DATA}}
          message       = 5.7.1 message refused (relaywatch test policy)
  # queue-only listeners: accepted, left for a queue runner that never comes
  warn    condition     = ${if inlist{$received_port}{RW_PORTS_QUEUE}}
          control       = queue/only
  accept

begin routers

# the only way out: the canary domain, to the sink on this host
canary:
  driver = manualroute
  domains = canary.test
  route_list = * 127.0.0.1
  hosts_randomize
  self = send
  transport = to_sink
  no_more

# mail for this host (postmaster@, bounces) is accepted, then dropped
local_drop:
  driver = redirect
  domains = +local_domains
  data = :blackhole:

nothing_leaves:
  driver = redirect
  allow_fail
  data = :fail: nothing leaves the relaywatch test instance

begin transports

to_sink:
  driver = smtp
  port = RW_SINKPORT
  hosts_avoid_tls = *
  hosts_try_dane = :
  hosts_try_fastopen = :

begin retry

*   *   F,1m,2s
EOF
}

# exim_start - write and check the configuration, start, wait for every port
exim_start() {
	_exim_config
	chmod 0644 "$EXIM_CONF"
	# -bV reads the whole configuration and fails on any error in it
	_out=$(_exim_run -C "$EXIM_CONF" -bV 2>&1) || { echo "$_out"; fail "exim rejects $EXIM_CONF"; }
	_out=$(echo "$_out" | grep -iE 'warning|error')
	[ -z "$_out" ] || { echo "$_out"; fail "exim warns about $EXIM_CONF"; }
	# -bdf: the daemon stays in the foreground, so its pid is ours to stop
	rw_bg _exim_exec -C "$EXIM_CONF" -bdf
	EXIM_PID=$RW_LASTPID
	for _p in $_exim_ports; do
		wait_port 127.0.0.1 "$_p" "$EXIM_START_WAIT" || {
			exim_dump
			fail "exim on 127.0.0.1:$_p did not answer within ${EXIM_START_WAIT}s"
		}
	done
	kill -0 "$EXIM_PID" 2>/dev/null || { exim_dump; fail "exim daemon exited"; }
	echo "exim: running, daemon pid $EXIM_PID, ports $_exim_ports"
}

# _exim_procs - pids of processes started from this instance's config
_exim_procs() { mta_procs_with cmdline "$EXIM_CONF"; }

# exim_stop - stop the daemon and anything of it left behind
exim_stop() {
	[ -n "$EXIM_PID" ] || return 0
	# its children first, while the daemon is there to reap them
	_kids=$(_exim_procs | grep -vxF "$EXIM_PID")
	if [ -n "$_kids" ]; then
		kill $_kids 2>/dev/null
		sleep 0.3
	fi
	kill "$EXIM_PID" 2>/dev/null
	_i=0
	while kill -0 "$EXIM_PID" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -9 "$EXIM_PID" 2>/dev/null
	wait "$EXIM_PID" 2>/dev/null
	EXIM_PID=""
	mta_kill_strays exim $(_exim_procs)
}

# exim_dump - the logs and the queue, for a failing test's log
exim_dump() {
	for _l in mainlog rejectlog paniclog; do
		[ -s "$EXIM_LOGDIR/$_l" ] || continue
		echo "---- exim $_l"
		tail -80 "$EXIM_LOGDIR/$_l"
	done
	echo "---- exim queue"
	_exim_run -C "$EXIM_CONF" -bp 2>&1 | tail -30
	echo "----"
}

# stop relaywatch, then exim, before common.sh removes $T (and on
# interruption too: a prober left running would open new sessions)
mta_traps exim_stop
