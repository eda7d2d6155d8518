# dante.sh - private Dante SOCKS servers (danted) on loopback for
# integration tests (sourced after common.sh, POSIX sh).
#
# Each instance runs the installed daemon (Debian's dante-server 1.4) in the
# foreground (no -D) under rw_bg, one mother process (-N 1) with the
# children it forks, with a configuration, pid file and logs of its own in
# $T/px/NAME. /etc/danted.conf and the system service are never read,
# written or started. It listens on 127.0.0.1 at a free port, connects out
# from 127.0.0.1, and its rules pass clients from 127.0.0.0/8 to
# 127.0.0.0/8 only (any other destination is blocked and logged): it can
# never carry a probe off loopback. It speaks SOCKS4 and SOCKS5; SOCKS4a
# it does not resolve (the 0.0.0.x address falls outside the pass rule and
# is refused with 91).
#
#   dt_require            skip (77) unless danted is installed and we are
#                         root (it switches between root and nobody)
#   dt_start NAME PROFILE start an instance; its port in the shell variable
#                         NAME. PROFILE:
#                         open    socksmethod none: SOCKS4 and SOCKS5
#                                 CONNECT to loopback without credentials
#                         auth    socksmethod username: SOCKS5 clients that
#                                 offer 0x00 and 0x02 are told 0x02
#                                 (username/password, RFC 1929), SOCKS4 is
#                                 refused; no account is made, so no
#                                 credentials could pass anyway
#   dt_stop NAME          stop it and its children (TERM; KILL after
#                         DT_STOP_WAIT seconds)
#   dt_dump NAME          print its logs and output (for failures)
#
# LIMITS: start-up waits at most DT_START_WAIT seconds (10) for the port.

. "$(cd "${here:-$(dirname "$0")}" && pwd)/lib/proxyd.sh"

DT_START_WAIT=${DT_START_WAIT:-10}
DT_STOP_WAIT=${DT_STOP_WAIT:-5}
DT_BIN=""

# dt_require - skip unless danted can run here
dt_require() {
	DT_BIN=$(command -v danted 2>/dev/null || echo /usr/sbin/danted)
	[ -x "$DT_BIN" ] || skip "danted not installed (Debian package dante-server)"
	[ "$(id -u)" -eq 0 ] || skip "a private danted must be started as root (it switches to nobody)"
	getent passwd nobody >/dev/null || skip "no user nobody for danted to run as"
}

# dt_start NAME PROFILE - a private danted, port in NAME
dt_start() {
	[ -n "$DT_BIN" ] || dt_require
	_dtn=$1 _dtprof=$2
	case $_dtprof in
	open) _dtmethod=none ;;
	auth) _dtmethod=username ;;
	*) fail "dt_start: profile is open or auth, not '$_dtprof'" ;;
	esac
	# the children log as nobody: the directory is theirs
	_dtd=$(pxd_dir "$_dtn" nobody)
	_dtp=$(free_port)
	cat >"$_dtd/danted.conf" <<EOF
# relaywatch test rig: danted profile $_dtprof, loopback only
logoutput: $_dtd/danted.log
errorlog: $_dtd/danted.err
internal: 127.0.0.1 port = $_dtp
external: 127.0.0.1
clientmethod: none
socksmethod: $_dtmethod
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	log: error connect disconnect
}
client block {
	from: 0.0.0.0/0 to: 0.0.0.0/0
	log: error connect
}
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	command: connect
	protocol: tcp
	log: error connect disconnect
}
socks block {
	from: 0.0.0.0/0 to: 0.0.0.0/0
	log: error connect
}
EOF
	"$DT_BIN" -V -f "$_dtd/danted.conf" >"$_dtd/verify.out" 2>&1 || {
		cat "$_dtd/verify.out"; fail "danted rejects its configuration ($_dtprof)"
	}
	pxd_run "$_dtn" "$_dtp" "$DT_START_WAIT" danted dt_dump \
		"$DT_BIN" -f "$_dtd/danted.conf" -p "$_dtd/danted.pid" -N 1
}

# dt_stop NAME - stop the instance and its children
dt_stop() { pxd_stop "$1" "$DT_STOP_WAIT"; }

# dt_dump NAME - its logs and output
dt_dump() {
	pxd_file_dump "danted $1" "$PXD_ROOT/$1/stdout" "$PXD_ROOT/$1/danted.err" "$PXD_ROOT/$1/danted.log"
}
