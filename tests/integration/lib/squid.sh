# squid.sh - private Squid instances on loopback for integration tests
# (sourced after common.sh, POSIX sh).
#
# Each instance runs the installed daemon (Debian's squid 5.7) in the
# foreground with no SMP workers (-N) under rw_bg, with a configuration,
# pid file and logs of its own in $T/px/NAME, and no cache at all (no
# cache_dir, "cache deny all", 8 MB of memory). /etc/squid, /var/spool/squid
# and the system service (:3128) are never read, written or started. It
# listens on 127.0.0.1 at a free port; its DNS client sockets are bound to
# 127.0.0.1 and ask 127.0.0.1 only (the tests use address literals); ICP,
# HTCP, SNMP and the pinger are off. Its access rules let 127.0.0.0/8 reach
# 127.0.0.0/8 only, with any method: GET and POST with absolute URIs, and
# CONNECT to any port (the stock "deny CONNECT !SSL_ports" is not there).
# As root it drops to proxy:proxy (cache_effective_user), which writes the
# logs: the directory is theirs. Squid answers CONNECT with a bare "200
# Connection established" and adds "Via: 1.1 squid.lab.test (squid/5.7)"
# to what it forwards.
#
#   sq_require            skip (77) unless squid is installed (and, as
#                         root, its user proxy exists)
#   sq_start NAME PROFILE start an instance; its port in the shell variable
#                         NAME. PROFILE:
#                         open    the rules above
#   sq_stop NAME          stop it (INT, at once; KILL after SQ_STOP_WAIT
#                         seconds)
#   sq_dump NAME          print its logs and output (for failures)
#
# LIMITS: start-up waits at most SQ_START_WAIT seconds (20) for the port
# (it takes about 0.15 s here); shutdown_lifetime 1 s.

. "$(cd "${here:-$(dirname "$0")}" && pwd)/lib/proxyd.sh"

SQ_START_WAIT=${SQ_START_WAIT:-20}
SQ_STOP_WAIT=${SQ_STOP_WAIT:-10}
SQ_BIN=""
SQ_USER=proxy

# sq_require - skip unless squid can run here
sq_require() {
	SQ_BIN=$(command -v squid 2>/dev/null || echo /usr/sbin/squid)
	[ -x "$SQ_BIN" ] || skip "squid not installed (Debian package squid)"
	if [ "$(id -u)" -eq 0 ]; then
		getent passwd "$SQ_USER" >/dev/null || skip "no user $SQ_USER for squid to run as"
	fi
}

# sq_start NAME PROFILE - a private squid, port in NAME
sq_start() {
	[ -n "$SQ_BIN" ] || sq_require
	_sqn=$1 _sqprof=$2
	case $_sqprof in
	open) ;;
	*) fail "sq_start: profile is open, not '$_sqprof'" ;;
	esac
	if [ "$(id -u)" -eq 0 ]; then
		_sqd=$(pxd_dir "$_sqn" "$SQ_USER:$SQ_USER")
		_squser="cache_effective_user $SQ_USER
cache_effective_group $SQ_USER"
	else
		_sqd=$(pxd_dir "$_sqn")
		_squser=""
	fi
	_sqp=$(free_port)
	cat >"$_sqd/squid.conf" <<EOF
# relaywatch test rig: squid profile $_sqprof, loopback only
http_port 127.0.0.1:$_sqp
visible_hostname squid.lab.test
$_squser
pid_filename $_sqd/squid.pid
cache_log $_sqd/cache.log
access_log stdio:$_sqd/access.log
cache_store_log none
netdb_filename none
coredump_dir $_sqd
cache deny all
cache_mem 8 MB
pinger_enable off
icp_port 0
htcp_port 0
snmp_port 0
udp_incoming_address 127.0.0.1
udp_outgoing_address 127.0.0.1
dns_nameservers 127.0.0.1
shutdown_lifetime 1 seconds
acl rw_src src 127.0.0.0/8
acl rw_dst dst 127.0.0.0/8
http_access allow rw_src rw_dst
http_access deny all
EOF
	"$SQ_BIN" -k parse -f "$_sqd/squid.conf" >"$_sqd/parse.out" 2>&1 || {
		tail -20 "$_sqd/parse.out"; fail "squid rejects its configuration ($_sqprof)"
	}
	pxd_run "$_sqn" "$_sqp" "$SQ_START_WAIT" squid sq_dump "$SQ_BIN" -N -f "$_sqd/squid.conf"
}

# sq_stop NAME - stop the instance
# (SIGINT: squid -k interrupt, a shutdown that waits for no connection)
sq_stop() { pxd_stop "$1" "$SQ_STOP_WAIT" INT; }

# sq_dump NAME - its logs and output
sq_dump() {
	pxd_file_dump "squid $1" "$PXD_ROOT/$1/stdout" "$PXD_ROOT/$1/cache.log" "$PXD_ROOT/$1/access.log"
}
