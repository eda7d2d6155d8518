#!/bin/sh
# notify_auth.sh - the notifier's client authenticates (AUTH PLAIN, AUTH
# LOGIN) to a real SASL server over STARTTLS, and never sends the password
# where it should not.
# Peer: a private Postfix instance (lib/postfix.sh, profile "open") on
# 127.0.0.1 with Cyrus SASL: a sasldb made here with saslpasswd2 (user noc,
# realm desk.test, in $T/pf/sasldb2, readable by user postfix alone) and an
# smtpd.conf of our own in $T/pf/conf/sasl (auxprop sasldb, PLAIN and LOGIN
# only); smtpd is not chrooted. admin@desk.test is a Maildir under
# $T/pf/vmail. Two listeners besides pf_init's plain one:
#   submission  STARTTLS required (encrypt), AUTH only after it
#               (smtpd_tls_auth_only), relaying and delivery only for
#               authenticated clients (permit_sasl_authenticated, reject),
#               the Received header names the authenticated sender
#   plainauth   no TLS at all, AUTH offered in plain text, same restrictions
# relaywatch notify-test sends:
#   1. AUTH PLAIN over STARTTLS (certificate checked): sent, read back from
#      the Maildir with "Authenticated sender: noc@desk.test" in Received;
#      the log ties our queue id to sasl_method=PLAIN, sasl_username=noc@...
#   2. AUTH LOGIN likewise (sasl_method=LOGIN)
#   3. a wrong password, PLAIN and LOGIN: permanent failure (535, exit 1),
#      the session ends before MAIL
#   4. no AUTH where the password could be read: --starttls never without
#      --auth-plaintext is refused before connecting (exit 2); on plainauth
#      (AUTH offered without TLS) the client refuses to AUTH (exit 75) and
#      Postfix logs no AUTH command; with --auth-plaintext the same listener
#      accepts it (so it did offer AUTH); on submission without TLS Postfix
#      offers no AUTH, and the client does not send unauthenticated (75)
#   5. the control: without AUTH, submission refuses both admin@desk.test and
#      a remote recipient (554 5.7.1), so the deliveries above were due to AUTH
# Finally admin's mailbox holds exactly the 3 messages sent with AUTH.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
pf_require
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
command -v saslpasswd2 >/dev/null 2>&1 || skip "saslpasswd2 not installed (Debian: sasl2-bin)"
postconf -a 2>/dev/null | grep -qx cyrus || skip "this postfix has no Cyrus SASL support (postconf -a)"
if command -v saslpluginviewer >/dev/null 2>&1; then
	_mechs=$(saslpluginviewer -s 2>/dev/null | sed -n '/^Installed.*server side/{n;p;}')
	for _m in PLAIN LOGIN; do
		echo " $_mechs " | grep -q " $_m " ||
			skip "no Cyrus SASL $_m plugin (Debian: libsasl2-modules)"
	done
	saslpluginviewer -a 2>/dev/null | grep -qx sasldb ||
		skip "no Cyrus SASL sasldb plugin (Debian: libsasl2-modules-db)"
fi
[ -x "$RW" ] || fail "$RW is not built"

pf_init open "$(free_port)"
VM="$PF_DIR/vmail"
# upstream Postfix reads smtpd.conf from cyrus_sasl_config_path, Debian's
# from $config_directory/sasl whatever that says: both name this directory
SASL="$PF_CONF/sasl"
SASL_USER=noc
PASS='c0rrect horse: battery staple!'
mkdir -p "$VM" "$SASL"
chown postfix:postfix "$VM"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=smarthost.test \
	-addext subjectAltName=DNS:smarthost.test \
	-keyout "$PF_DIR/key.pem" -out "$PF_DIR/cert.pem" >/dev/null 2>&1 || fail "openssl req failed"
chmod 600 "$PF_DIR/key.pem"

# the SASL side: a sasldb of our own, read by smtpd (user postfix) only
# (outside the config directory, which `postfix check` wants owned by root)
printf '%s\n' "$PASS" | saslpasswd2 -p -c -f "$PF_DIR/sasldb2" -u desk.test "$SASL_USER" ||
	fail "saslpasswd2 failed"
chown postfix:postfix "$PF_DIR/sasldb2"
chmod 600 "$PF_DIR/sasldb2"
cat >"$SASL/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $PF_DIR/sasldb2
mech_list: PLAIN LOGIN
EOF
chmod 644 "$SASL/smtpd.conf"
printf '%s\n' "$PASS" >"$T/pass"
printf '%s\n' "not the password" >"$T/wrongpass"
chmod 600 "$T/pass" "$T/wrongpass"

postconf -c "$PF_CONF" -e \
	"virtual_mailbox_domains = desk.test" \
	"virtual_mailbox_base = $VM" \
	"virtual_mailbox_maps = inline:{admin@desk.test=admin/}" \
	"virtual_uid_maps = static:$(id -u postfix)" \
	"virtual_gid_maps = static:$(id -g postfix)" \
	"virtual_minimum_uid = 1" \
	"virtual_transport = virtual" \
	"smtpd_tls_cert_file = $PF_DIR/cert.pem" \
	"smtpd_tls_key_file = $PF_DIR/key.pem" \
	"smtpd_sasl_type = cyrus" \
	"smtpd_sasl_path = smtpd" \
	"cyrus_sasl_config_path = $SASL" \
	"smtpd_sasl_local_domain = desk.test" || fail "postconf -e failed"
{
	echo "virtual   unix  -       n       n       -       -       virtual"
	echo "tlsmgr    unix  -       -       n       1000?   1       tlsmgr"
} >>"$PF_CONF/master.cf"
# each listener logs under its own name, so a session is found by listener
pf_listener SUBPORT -o syslog_name=postfix-rwtest/submission \
	-o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes \
	-o smtpd_tls_auth_only=yes -o smtpd_sasl_authenticated_header=yes \
	-o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pf_listener PLAINPORT -o syslog_name=postfix-rwtest/plainauth \
	-o smtpd_tls_security_level=none -o smtpd_sasl_auth_enable=yes \
	-o smtpd_tls_auth_only=no \
	-o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pf_start

printf 'Open relay at 192.0.2.7, proof attached.\n' >"$T/body"
# the credentials as AUTH PLAIN and AUTH LOGIN would encode them
B64_PLAIN=$(printf '\000%s\000%s' "$SASL_USER" "$PASS" | base64 -w0)
B64_PASS=$(printf '%s' "$PASS" | base64 -w0)
B64_WRONG=$(printf '%s' "not the password" | base64 -w0)

# notify OUT [OPTION...] - run notify-test (-v: transcript on OUT.err), bounded
notify() {
	_out=$1; shift
	echo "run: relaywatch notify-test $*"
	timeout 60 "$RW" notify-test -v --helo client.test --timeout 20 \
		--from "Relaywatch NOC <noc@lab.test>" "$@" <"$T/body" >"$_out" 2>"$_out.err"
	RC=$?
	cat "$_out"
	[ $RC -ne 124 ] || { cat "$_out.err"; pf_dump; fail "notify-test did not finish in 60 s"; }
	# the transcript names AUTH, never its secrets
	! grep -F -e "$PASS" -e "not the password" "$_out" "$_out.err" ||
		fail "the password is in notify-test's output"
	! grep -F -e "$B64_PLAIN" -e "$B64_PASS" -e "$B64_WRONG" "$_out" "$_out.err" ||
		fail "an encoded credential is in notify-test's output"
}

# notify_auth OUT MECH PASSFILE [OPTION...] - an AUTH MECH session over verified STARTTLS
notify_auth() {
	_o=$1 _m=$2 _p=$3; shift 3
	notify "$_o" --smarthost "127.0.0.1:$SUBPORT" --starttls require --tls-name smarthost.test \
		--ca-file "$PF_DIR/cert.pem" --auth-user "$SASL_USER" --auth-pass-file "$_p" \
		--auth-mech "$_m" "$@"
}

# wait_msgid MSGID - MSGFILE: the file in admin's Maildir holding MSGID, within 20 s
wait_msgid() {
	_i=0
	until MSGFILE=$(grep -l -F "Message-ID: $1" "$VM"/admin/new/* 2>/dev/null | sed 1q) &&
	      [ -n "$MSGFILE" ]; do
		[ $_i -lt 200 ] || { pf_dump; fail "message $1 not in admin's mailbox within 20 s"; }
		sleep 0.1; _i=$((_i + 1))
	done
}

# log_count PATTERN - how many lines of the mail log match (grep -E)
log_count() { grep -Ec "$1" "$PF_LOG" 2>/dev/null; }

# check_auth OUT MECH MSGID - sent with AUTH MECH over TLS, read back, logged
check_auth() {
	[ $RC -eq 0 ] || { cat "$1.err"; pf_dump; fail "AUTH $2: exit $RC, want 0"; }
	grep -Eq "^sent .*tls=TLSv1\.[23] auth=yes .*queue_id=[0-9A-Za-z]+" "$1" ||
		fail "AUTH $2: want sent over TLS, authenticated, with a queue id"
	grep -q "^C: AUTH $2" "$1.err" || fail "AUTH $2: the transcript shows no AUTH $2"
	_qid=$(sed -n 's/.*queue_id=\([0-9A-Za-z]*\).*/\1/p' "$1")
	mta_log_has "submission/smtpd\[[0-9]+\]: $_qid: client=[^ ]*\[127\.0\.0\.1\], sasl_method=$2, sasl_username=$SASL_USER@desk\.test\$" \
		"queue id $_qid not logged as authenticated with $2 as $SASL_USER"
	wait_msgid "$3"
	_f=$MSGFILE
	python3 - "$_f" "$3" "$SASL_USER@desk.test" "$T/body" <<'PY' || { cat "$_f"; fail "AUTH $2: message read back is wrong"; }
import email, email.policy, re, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
bad = []
if m["Message-ID"] != sys.argv[2]:
    bad.append("Message-ID: got %r, want %r" % (m["Message-ID"], sys.argv[2]))
rcvd = [str(r) for r in m.get_all("Received") or []]
if not any(re.search(r"\(Authenticated sender: %s\)" % re.escape(sys.argv[3]), r)
           and re.search(r"with ESMTPSA", r) for r in rcvd):
    bad.append("Received: no hop with ESMTPSA and 'Authenticated sender: %s' in %r" % (sys.argv[3], rcvd))
if m.get_content() != open(sys.argv[4], encoding="utf-8").read():
    bad.append("body differs")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
	echo "ok: AUTH $2 message $3 delivered, queue id $_qid logged with sasl_method=$2"
}

# 1. AUTH PLAIN over STARTTLS
notify_auth "$T/o1" PLAIN "$T/pass" --to admin@desk.test --subject "auth plain" \
	--message-id "<a1.1700000000@lab.test>"
check_auth "$T/o1" PLAIN "<a1.1700000000@lab.test>"

# 2. AUTH LOGIN over STARTTLS
notify_auth "$T/o2" LOGIN "$T/pass" --to admin@desk.test --subject "auth login" \
	--message-id "<a2.1700000000@lab.test>"
check_auth "$T/o2" LOGIN "<a2.1700000000@lab.test>"
mta_log_has "submission/smtpd\[[0-9]+\]: disconnect from .* ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1" \
	"no whole STARTTLS + AUTH session logged"

# 3. a wrong password: permanent failure, the session ends before MAIL
for mech in PLAIN LOGIN; do
	notify_auth "$T/o3$mech" $mech "$T/wrongpass" --to admin@desk.test \
		--subject "wrong password" --message-id "<a3$mech@lab.test>"
	[ $RC -eq 1 ] || { cat "$T/o3$mech.err"; pf_dump; fail "wrong password ($mech): exit $RC, want 1"; }
	grep -Eq '^permfail stage=auth code=535 esc=5\.7\.8 .*auth=no' "$T/o3$mech" ||
		fail "wrong password ($mech): want permfail at auth with 535 5.7.8"
	! grep -q '^C: MAIL' "$T/o3$mech.err" || fail "wrong password ($mech): MAIL sent after a failed AUTH"
	mta_log_wait 10 "submission/smtpd\[[0-9]+\]: warning: [^ ]*\[127\.0\.0\.1\]: SASL $mech authentication failed" \
		"no failed $mech authentication logged"
done
mta_log_wait 10 "submission/smtpd\[[0-9]+\]: disconnect from .* ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5" \
	"no session with a failed AUTH (and no MAIL) logged"

# 4a. --starttls never without --auth-plaintext: refused before any connection
sub_conns=$(log_count "submission/smtpd\[[0-9]+\]: connect from ")
notify "$T/o4a" --smarthost "127.0.0.1:$SUBPORT" --starttls never --auth-user "$SASL_USER" \
	--auth-pass-file "$T/pass" --to admin@desk.test --subject x --message-id "<a4a@lab.test>"
[ $RC -eq 2 ] || { cat "$T/o4a.err"; fail "AUTH without TLS: exit $RC, want 2 (refused)"; }
grep -q 'AUTH without TLS is refused' "$T/o4a.err" || { cat "$T/o4a.err"; fail "AUTH without TLS: no reason given"; }

# 4b. plainauth offers AUTH in plain text; auto finds no STARTTLS: no AUTH sent
notify "$T/o4b" --smarthost "127.0.0.1:$PLAINPORT" --starttls auto --auth-user "$SASL_USER" \
	--auth-pass-file "$T/pass" --to admin@desk.test --subject x --message-id "<a4b@lab.test>"
[ $RC -eq 75 ] || { cat "$T/o4b.err"; pf_dump; fail "AUTH offered without TLS: exit $RC, want 75"; }
grep -q '^tempfail .*auth=no .*AUTH over plain text refused by policy' "$T/o4b" ||
	fail "AUTH offered without TLS: want a tempfail naming the policy"
# (the transcript holds a reply's further lines as they came)
grep -qx 'AUTH PLAIN LOGIN' "$T/o4b.err" || { cat "$T/o4b.err"; fail "plainauth did not offer AUTH PLAIN LOGIN"; }
! grep -q '^C: AUTH' "$T/o4b.err" || fail "AUTH sent without TLS"
mta_log_wait 10 "plainauth/smtpd\[[0-9]+\]: disconnect from .* ehlo=1 quit=1 commands=2" \
	"plainauth: no session of EHLO and QUIT alone logged"
mta_log_lacks "plainauth/smtpd\[[0-9]+\]: (disconnect from .* auth=|.*SASL)" \
	"plainauth saw an AUTH attempt without --auth-plaintext"

# 4c. the same listener with --auth-plaintext: AUTH in plain text works there
notify "$T/o4c" --smarthost "127.0.0.1:$PLAINPORT" --starttls never --auth-plaintext \
	--auth-user "$SASL_USER" --auth-pass-file "$T/pass" --to admin@desk.test \
	--subject "auth in plain text" --message-id "<a4c.1700000000@lab.test>"
[ $RC -eq 0 ] || { cat "$T/o4c.err"; pf_dump; fail "--auth-plaintext: exit $RC, want 0"; }
grep -Eq '^sent .*tls=no auth=yes' "$T/o4c" || fail "--auth-plaintext: want sent, no TLS, authenticated"
mta_log_wait 10 "plainauth/smtpd\[[0-9]+\]: [0-9A-Za-z]+: client=[^ ]*\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=$SASL_USER@desk\.test$" \
	"plainauth: the --auth-plaintext session is not logged as authenticated"
wait_msgid "<a4c.1700000000@lab.test>"

# 4d. submission without TLS offers no AUTH; the client does not go on unauthenticated
notify "$T/o4d" --smarthost "127.0.0.1:$SUBPORT" --starttls never --auth-plaintext \
	--auth-user "$SASL_USER" --auth-pass-file "$T/pass" --to admin@desk.test --subject x \
	--message-id "<a4d@lab.test>"
[ $RC -eq 75 ] || { cat "$T/o4d.err"; pf_dump; fail "no AUTH before STARTTLS: exit $RC, want 75"; }
grep -q '^tempfail .*server offers no AUTH' "$T/o4d" || fail "no AUTH before STARTTLS: want a tempfail saying so"
! grep -q '^C: \(AUTH\|MAIL\)' "$T/o4d.err" || fail "no AUTH before STARTTLS: AUTH or MAIL sent"
mta_log_wait 10 "submission/smtpd\[[0-9]+\]: disconnect from .* ehlo=1 quit=1 commands=2" \
	"submission: no session of EHLO and QUIT alone logged"
# 4a's refusal left no trace: of the connections since, 4d's is the only one
[ "$(log_count "submission/smtpd\[[0-9]+\]: connect from ")" -eq $((sub_conns + 1)) ] ||
	{ pf_dump; fail "AUTH without TLS: the refused run connected to the smarthost"; }

# 5. the control: without AUTH, over STARTTLS, nothing is accepted
notify "$T/o5" --smarthost "127.0.0.1:$SUBPORT" --starttls require --tls-name smarthost.test \
	--ca-file "$PF_DIR/cert.pem" --to admin@desk.test --to someone@remote.test \
	--subject "no auth" --message-id "<a5@lab.test>"
[ $RC -eq 1 ] || { cat "$T/o5.err"; pf_dump; fail "no AUTH: exit $RC, want 1"; }
grep -Eq '^permfail stage=rcpt code=554 esc=5\.7\.1 .*tls=TLSv1\.[23] auth=no' "$T/o5" ||
	fail "no AUTH: want permfail at rcpt with 554 5.7.1 over TLS"
for r in admin@desk.test someone@remote.test; do
	grep -q "^refused rcpt=$r code=554" "$T/o5" || fail "no AUTH: $r not refused with 554"
done
mta_log_wait 10 "submission/smtpd\[[0-9]+\]: NOQUEUE: reject: RCPT from [^ ]*\[127\.0\.0\.1\]: 554 5\.7\.1 <someone@remote\.test>" \
	"the unauthenticated remote recipient was not refused"

# nothing else arrived: the three notices sent with AUTH
[ "$(ls "$VM"/admin/new | wc -l)" -eq 3 ] || { ls -l "$VM"/admin/new; fail "admin's mailbox: want exactly 3 messages"; }
echo "PASS: AUTH PLAIN and LOGIN to a real Cyrus SASL server over STARTTLS"
