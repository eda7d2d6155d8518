# sendmail.sh - a private Sendmail instance on loopback for integration tests
# (sourced after common.sh, POSIX sh).
#
# Postfix is the installed MTA and Debian's MTA packages conflict, so Sendmail
# is never installed: lib/fetch_deb.sh downloads Debian's sendmail-bin and
# sendmail-cf (plus the libraries they need that are missing here, and m4
# when it is not installed) and unpacks them into a private root, cached under
# build/peers/sendmail (RW_PEERS overrides build/peers). The
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
#                         percent, sender-domain) and build sendmail.cf; port in $SM_PORT
#   sm_start              check the routing with -bt, start, wait for the port
#   sm_stop               stop the instance and anything of it left behind
#   sm_dump               print the traffic log and the queue (for failures)
#
# The probe and its judgement are lib/mta.sh's (sourced here): mta_relaywatch
# runs `relaywatch test --source $SM_CLIENT`; mta_expect judges the object for
# $SM_ADDR:PORT (mta "sendmail"; with "valid", every arrival came from
# $SM_ADDR with a valid token, through sm.lab.test); mta_tests checks the
# stage each named test ended at (delivered, mail...); mta_log_has and
# mta_log_lacks read the traffic log.
#
# LIMITS: downloads as lib/fetch_deb.sh allows (120 s per apt-get call and
# for another test's lock); start-up waits at most SM_START_WAIT seconds (20);
# the routing check 10 s; relaywatch 120 s.

SM_DIR="$T/sm"
SM_HOST=sm.lab.test
SM_ADDR=127.0.0.3
SM_CLIENT=127.0.0.2
SM_CLIENT_NAME=rw-client.lab.test
_sm_here=$(cd "${here:-$(dirname "$0")}" && pwd)
. "$_sm_here/lib/fetch_deb.sh"
. "$_sm_here/lib/mta.sh"

SM_START_WAIT=${SM_START_WAIT:-20}
SM_PACKAGES="sendmail-bin sendmail-cf"
SM_PORT=""
SM_ROOT=$(fetch_deb_peer sendmail)
SM_BIN="$SM_ROOT/usr/libexec/sendmail/sendmail"
SM_LIBPATH=""
SM_M4=""
_sm_pid=""
_sm_pidns=""
_sm_started=""
MTA_NAME=sendmail
MTA_ADDR=$SM_ADDR
MTA_RECEIVED='by sm\.lab\.test'
MTA_STRICT_ARRIVALS=1
MTA_DUMP=sm_dump
MTA_LOG="$SM_DIR/traffic" MTA_LOG_WHAT="sendmail traffic"
MTA_RW_OPTS="--source $SM_CLIENT"
MTA_RW_TIMEOUT=120

# _sm_unsetgid ROOT - setgid would make the loader ignore LD_LIBRARY_PATH
# (secure mode)
_sm_unsetgid() { chmod g-s "$1/usr/libexec/sendmail/sendmail"; }

# sm_fetch - download and unpack Sendmail into $SM_ROOT unless it is cached
# (m4 too when this machine has none, for building sendmail.cf)
sm_fetch() {
	command -v ldd >/dev/null 2>&1 || skip "no ldd to check the unpacked sendmail"
	_pk=$SM_PACKAGES
	command -v m4 >/dev/null 2>&1 || _pk="$_pk m4"
	fetch_deb_require -f _sm_unsetgid "$SM_ROOT" usr/libexec/sendmail/sendmail $_pk
	SM_LIBPATH=$(fetch_deb_libpath "$SM_ROOT")
	_libs=$(fetch_deb_missing "$SM_ROOT" "$SM_BIN" | awk '{ print $1 }')
	[ -z "$_libs" ] || skip "unpacked sendmail still lacks libraries:" $_libs
	echo "sm: unpacked into $SM_ROOT:" $(sed 1d "$SM_ROOT/.fetched")
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
_sm_version() { echo "sendmail-bin $(fetch_deb_version "$SM_ROOT" sendmail-bin)"; }

# sm_init PROFILE SINKPORT - write the instance's files and build sendmail.cf
sm_init() {
	_profile=$1 _sink=$2
	mkdir -p "$SM_DIR/queue"
	chmod 0700 "$SM_DIR/queue"
	SM_PORT=$(free_port)
	_tab=$(printf '\t')
	_sm_rules=""
	_sm_names=""
	_sm_mt=""
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
	sender-domain)
		# a site that lets its own senders relay from anywhere:
		# FEATURE(relay_mail_from, domain) with From:lab.test RELAY in the
		# access map (lab.test, the parent of sm.lab.test), so any forged
		# sender in lab.test or below (sm.lab.test too) relays for anyone.
		_sm_policy="FEATURE(\`access_db', \`text -T<TMPF> -k0 -v1 -z\\t $SM_DIR/access')dnl
FEATURE(\`relay_mail_from', \`domain')dnl"
		printf 'From:lab.test\tRELAY\n' >"$SM_DIR/access"
		# lab.test has an address, as a real parent domain has, and its
		# mail stays here (the local mailer drops it): a sender whose
		# domain routes to the error mailer is refused at MAIL
		_sm_names="$SM_ADDR	lab.test"
		_sm_mt="lab.test	local:postmaster" ;;
	*) fail "sm_init: unknown profile '$_profile'" ;;
	esac
	# names: ours, the canary's "A record" (the sink's machine), the client's
	printf '127.0.0.1\tlocalhost\n%s\t%s sm\n127.0.0.1\tcanary.test\n%s\t%s\n' \
		"$SM_ADDR" "$SM_HOST" "$SM_CLIENT" "$SM_CLIENT_NAME" >"$SM_DIR/hosts"
	[ -z "$_sm_names" ] || printf '%s\n' "$_sm_names" >>"$SM_DIR/hosts"
	printf 'hosts: files\nnetworks: files\n' >"$SM_DIR/nsswitch.conf"
	printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n' >"$SM_DIR/resolv.conf"
	printf 'hosts\tfiles\naliases\tfiles\n' >"$SM_DIR/service.switch"
	: >"$SM_DIR/empty"
	{ printf 'canary.test\tesmtp:[127.0.0.1]\n'
	  [ -z "$_sm_mt" ] || printf '%s\n' "$_sm_mt"
	  printf '.\terror:5.7.1:nothing leaves the relaywatch test instance\n'; } >"$SM_DIR/mailertable"
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
	# the only expected warnings are promiscuous_relay's and relay_mail_from's
	if grep -v -e promiscuous_relay -e 'relay.  Do NOT use' -e relay_mail_from \
		-e 'relay.  Use SMTP AUTH' -e '^[[:space:]]*$' "$SM_DIR/m4.err"; then
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
	mta_kill_strays sm $(_sm_procs)
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

# stop relaywatch and sendmail before common.sh removes $T (and on interruption too)
mta_traps sm_stop
