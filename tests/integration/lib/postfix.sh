# postfix.sh - a private Postfix instance on loopback for integration tests
# (sourced after common.sh, POSIX sh).
#
# The instance runs from the installed package (Debian's postfix 3.x) but
# owns everything else: its config directory, queue and data directories and
# mail log all live under $T/pf, and it is driven with `postfix -c DIR`. The
# system instance (/etc/postfix, /var/spool/postfix) is only read (meta files
# such as postfix-files and dynamicmaps.cf), never written or started.
#
# Nothing can leave loopback: smtpd listens only on 127.0.0.1:<free port>, the
# only route out is the transport map entry for the canary domain to
# [127.0.0.1]:<sink port>, every other destination (remote, relay, local,
# virtual) goes to the error(8) transport, and DNS is off everywhere.
#
#   pf_require            skip (77) unless postfix is installed and we are root
#   pf_init PROFILE SINKPORT
#                         write main.cf/master.cf for PROFILE (open, default,
#                         sender-domain, datareject); the first smtpd listens
#                         on $PF_PORT
#   pf_listener VAR [-o name=value]...
#                         add another smtpd on a free port, stored in VAR,
#                         with per-service overrides (before pf_start)
#   pf_start              check the configuration, start, wait for every port
#   pf_stop               stop the instance, kill its stray processes
#   pf_dump               print the mail log and the queue (for failures)
#
# The probe and its judgement are lib/mta.sh's (sourced here): mta_relaywatch,
# mta_rc, mta_expect (mta "postfix", a valid arrival's Received chain names
# pf.lab.test), mta_log_has / mta_log_lacks on the mail log.
#
# LIMITS: start-up waits at most PF_START_WAIT seconds (20) per port; stop
# waits at most 5 seconds before postfix-script kills the process group;
# relaywatch runs at most 300 s.

. "$(cd "${here:-$(dirname "$0")}" && pwd)/lib/mta.sh"

PF_DIR="$T/pf"
PF_CONF="$PF_DIR/conf"
PF_QUEUE="$PF_DIR/queue"
PF_DATA="$PF_DIR/data"
PF_LOG="$PF_DIR/maillog"
PF_HOST=pf.lab.test
PF_START_WAIT=${PF_START_WAIT:-20}
PF_PORT=""
_pf_ports=""
_pf_started=""
MTA_NAME=postfix
MTA_RECEIVED='pf\.lab\.test'
MTA_DUMP=pf_dump
MTA_LOG=$PF_LOG MTA_LOG_WHAT="postfix log"

# pf_require - skip unless the postfix package and root are available
pf_require() {
	command -v postconf >/dev/null 2>&1 || skip "postfix not installed (no postconf)"
	command -v postfix >/dev/null 2>&1 || skip "postfix not installed (no postfix command)"
	_d=$(postconf -dh daemon_directory 2>/dev/null)
	[ -x "$_d/master" ] && [ -x "$_d/smtpd" ] || skip "postfix daemons missing in '$_d'"
	[ "$(id -u)" -eq 0 ] || skip "a private postfix instance must be started as root"
	getent passwd postfix >/dev/null || skip "no postfix user"
	getent group postdrop >/dev/null || skip "no postdrop group"
}

# pf_init PROFILE SINKPORT - write the instance's configuration
pf_init() {
	_profile=$1 _sink=$2
	# the postfix command chdirs to the queue before post-install creates
	# the rest of it (owners and modes from the package's postfix-files)
	mkdir -p "$PF_CONF" "$PF_QUEUE"
	# postfix daemons run as the postfix user and must traverse $T
	chmod 0711 "$T"
	if command -v setpriv >/dev/null 2>&1 &&
	   ! setpriv --reuid=postfix --regid=postdrop --clear-groups test -x "$PF_DIR"; then
		fail "user postfix cannot reach $PF_DIR (a parent of TMPDIR is closed to others)"
	fi
	PF_PORT=$(free_port)
	_pf_ports="$PF_PORT"
	case $_profile in
	open)
		_pf_policy="mynetworks = 0.0.0.0/0
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" ;;
	default)
		# Postfix's own default restrictions (permit_mynetworks,
		# permit_sasl_authenticated, defer_unauth_destination); our client
		# 127.0.0.1 lies outside mynetworks, so it is a stranger
		_pf_policy="mynetworks = 127.0.0.2/32" ;;
	sender-domain)
		# the sender trick: 127.0.0.1 is a stranger (outside mynetworks),
		# but an access map answers OK for the own domain (the parent of
		# myhostname, lab.test) before reject_unauth_destination, so any
		# client that forges such an envelope sender relays. By
		# parent_domain_matches_subdomains (smtpd_access_maps is in its
		# default) the key also covers pf.lab.test. reject_non_fqdn_sender
		# comes first: without it an unqualified sender gets @$myorigin
		# appended and relays too, and the older sender-unqualified row
		# would find this open without the sender-domain rows
		_pf_policy="mynetworks = 127.0.0.2/32
smtpd_relay_restrictions = permit_mynetworks, reject_non_fqdn_sender,
	check_sender_access inline:{${PF_HOST#*.}=OK}, reject_unauth_destination" ;;
	datareject)
		# relaying is allowed, but the message itself is refused
		_pf_policy="mynetworks = 0.0.0.0/0
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_data_restrictions = reject" ;;
	*) fail "pf_init: unknown profile '$_profile'" ;;
	esac
	cat >"$PF_CONF/main.cf" <<EOF
# relaywatch test instance, profile $_profile (generated by tests/integration/lib/postfix.sh)
compatibility_level = 3.6
config_directory = $PF_CONF
meta_directory = $(postconf -dh meta_directory 2>/dev/null)
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PF_LOG
maillog_file_prefixes = $PF_DIR
syslog_name = postfix-rwtest

myhostname = $PF_HOST
mydestination = $PF_HOST, localhost
myorigin = \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
biff = no
append_dot_mydomain = no
smtpd_banner = \$myhostname ESMTP \$mail_name

# no DNS anywhere; the canary domain is routed to the sink by address
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
relayhost =
transport_maps = inline:{canary.test=smtp:[127.0.0.1]:$_sink}
default_transport = error:5.7.1 nothing leaves the relaywatch test instance
relay_transport = error:5.7.1 nothing leaves the relaywatch test instance
# local mail (postmaster@, bounces) is accepted like on a real server, then dropped
local_transport = discard:local mail is dropped in the relaywatch test instance
virtual_transport = discard:virtual mail is dropped in the relaywatch test instance
alias_maps = inline:{postmaster=root, abuse=root}
alias_database =
smtp_tls_security_level = none
smtpd_tls_security_level = none

$_pf_policy
EOF
	# chroot off everywhere: the queue directory under $T has no chroot
	# skeleton (etc/services, etc/resolv.conf) and needs none
	cat >"$PF_CONF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	echo "pf: profile $_profile, smtpd 127.0.0.1:$PF_PORT, canary.test -> [127.0.0.1]:$_sink, config $PF_CONF"
}

# pf_listener VAR [-o name=value]... - another smtpd with overrides, port in VAR
pf_listener() {
	_var=$1; shift
	_p=$(mta_new_port "$_pf_ports") || fail "no fresh free port"
	{
		echo "127.0.0.1:$_p inet n - n - - smtpd"
		for _o in "$@"; do echo "  $_o"; done
	} >>"$PF_CONF/master.cf"
	_pf_ports="$_pf_ports $_p"
	eval "$_var=\$_p"
	echo "pf: extra smtpd 127.0.0.1:$_p $*"
}

# pf_check - `postfix check` and postconf must report no problem with our files
pf_check() {
	_out=$(postconf -c "$PF_CONF" -n 2>&1 >/dev/null)
	if [ -n "$_out" ]; then
		echo "$_out"
		fail "postconf reports problems in $PF_CONF/main.cf"
	fi
	_out=$(postconf -c "$PF_CONF" -M 2>&1 >/dev/null)
	if [ -n "$_out" ]; then
		echo "$_out"
		fail "postconf reports problems in $PF_CONF/master.cf"
	fi
	_out=$(postfix -c "$PF_CONF" check 2>&1) || {
		echo "$_out"
		pf_dump
		fail "postfix -c $PF_CONF check failed"
	}
	# warnings about the shared package files are the host's business;
	# anything about our own instance is a bug in this file
	if echo "$_out" | grep -F "$PF_DIR" >/dev/null; then
		echo "$_out"
		fail "postfix check warns about the test instance"
	fi
	[ -z "$_out" ] || echo "$_out" | sed 's/^/pf check: /'
}

# pf_start - check the configuration, start the instance, wait for every port
pf_start() {
	pf_check
	_pf_started=1
	postfix -c "$PF_CONF" start 2>&1 | sed 's/^/pf start: /'
	[ -f "$PF_QUEUE/pid/master.pid" ] || { pf_dump; fail "postfix did not start (no master.pid)"; }
	for _p in $_pf_ports; do
		wait_port 127.0.0.1 "$_p" "$PF_START_WAIT" || {
			pf_dump
			fail "postfix smtpd on 127.0.0.1:$_p did not answer within ${PF_START_WAIT}s"
		}
	done
	echo "pf: running, master pid $(sed 1q "$PF_QUEUE/pid/master.pid" | tr -d ' ')"
}

# _pf_procs - pids of processes that belong to this instance (by MAIL_CONFIG)
_pf_procs() { mta_procs_with environ "MAIL_CONFIG=$PF_CONF"; }

# pf_stop - stop the instance and anything of it left behind
pf_stop() {
	[ -n "$_pf_started" ] || return 0
	_pf_started=""
	postfix -c "$PF_CONF" stop >/dev/null 2>&1
	mta_kill_strays pf $(_pf_procs)
}

# pf_dump - the mail log and the queue, for a failing test's log
pf_dump() {
	echo "---- postfix maillog ($PF_LOG)"
	[ -f "$PF_LOG" ] && tail -80 "$PF_LOG"
	echo "---- postfix queue"
	postqueue -c "$PF_CONF" -p 2>&1 | tail -30
	echo "----"
}

# stop relaywatch and postfix before common.sh removes $T (and on interruption too)
mta_traps pf_stop
