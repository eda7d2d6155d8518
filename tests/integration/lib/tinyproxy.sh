# tinyproxy.sh - private tinyproxy instances on loopback for integration
# tests (sourced after common.sh, POSIX sh).
#
# Each instance runs the installed daemon (Debian's tinyproxy 1.11) in the
# foreground (-d) under rw_bg, with a configuration, pid file and log of its
# own in $T/px/NAME. /etc/tinyproxy and the system service (:8888) are never
# read, written or started. It listens only on 127.0.0.1 at a free port; it
# has no upstream, no filter, no reverse path, and forwards plain HTTP
# (absolute URIs, GET and POST) and CONNECT. As root it drops to
# nobody:nogroup (User, Group), which then writes the log: the directory is
# theirs. tinyproxy adds "Via: 1.1 <host> (tinyproxy/1.11.1)" to what it
# forwards and "Proxy-agent: tinyproxy/1.11.1" to CONNECT's 200, and names
# itself in "Server:" on its own error pages (403, 500).
#
#   tp_require            skip (77) unless tinyproxy is installed
#   tp_start NAME PROFILE start an instance; its port in the shell variable
#                         NAME. PROFILE:
#                         open    Allow 127.0.0.0/8 and no ConnectPort line,
#                                 which in tinyproxy means CONNECT to every
#                                 port (tinyproxy.conf(5))
#                         closed  Allow 127.99.99.99 only: every client of
#                                 ours gets "403 Access denied"
#   tp_stop NAME          stop it (TERM; KILL after TP_STOP_WAIT seconds)
#   tp_dump NAME          print its log and output (for failures)
#
# LIMITS: start-up waits at most TP_START_WAIT seconds (10) for the port;
# MaxClients 20, Timeout 30 s per connection.

. "$(cd "${here:-$(dirname "$0")}" && pwd)/lib/proxyd.sh"

TP_START_WAIT=${TP_START_WAIT:-10}
TP_STOP_WAIT=${TP_STOP_WAIT:-5}
TP_BIN=""

# tp_require - skip unless the tinyproxy daemon is installed
tp_require() {
	TP_BIN=$(command -v tinyproxy 2>/dev/null || echo /usr/bin/tinyproxy)
	[ -x "$TP_BIN" ] || skip "tinyproxy not installed (Debian package tinyproxy)"
	if [ "$(id -u)" -eq 0 ]; then
		getent passwd nobody >/dev/null || skip "no user nobody for tinyproxy to run as"
		getent group nogroup >/dev/null || skip "no group nogroup for tinyproxy to run as"
	fi
}

# tp_start NAME PROFILE - a private tinyproxy, port in NAME
tp_start() {
	[ -n "$TP_BIN" ] || tp_require
	_tpn=$1 _tpprof=$2
	case $_tpprof in
	open) _tpacl="Allow 127.0.0.0/8" ;;
	closed) _tpacl="Allow 127.99.99.99" ;;
	*) fail "tp_start: profile is open or closed, not '$_tpprof'" ;;
	esac
	if [ "$(id -u)" -eq 0 ]; then
		_tpd=$(pxd_dir "$_tpn" nobody:nogroup)
		_tpuser="User nobody
Group nogroup"
	else
		_tpd=$(pxd_dir "$_tpn")
		_tpuser=""
	fi
	_tpp=$(free_port)
	cat >"$_tpd/tinyproxy.conf" <<EOF
# relaywatch test rig: tinyproxy profile $_tpprof, loopback only
$_tpuser
Listen 127.0.0.1
Port $_tpp
Timeout 30
MaxClients 20
LogLevel Info
LogFile "$_tpd/tinyproxy.log"
PidFile "$_tpd/tinyproxy.pid"
# no ConnectPort line: CONNECT may reach any port (the canary's is not 443)
$_tpacl
EOF
	pxd_run "$_tpn" "$_tpp" "$TP_START_WAIT" tinyproxy tp_dump "$TP_BIN" -d -c "$_tpd/tinyproxy.conf"
}

# tp_stop NAME - stop the instance
tp_stop() { pxd_stop "$1" "$TP_STOP_WAIT"; }

# tp_dump NAME - its log and output
tp_dump() { pxd_file_dump "tinyproxy $1" "$PXD_ROOT/$1/stdout" "$PXD_ROOT/$1/tinyproxy.log"; }
