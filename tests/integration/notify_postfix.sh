#!/bin/sh
# notify_postfix.sh - notices go through a real Postfix smarthost and are read
# back from its mailbox.
# Peer: a private Postfix instance (lib/postfix.sh, profile "open") on
# 127.0.0.1 with a virtual mailbox domain desk.test (admin@desk.test is a
# Maildir under $T/pf/vmail; any other desk.test recipient is refused 550),
# one plain smtpd and one offering STARTTLS with a self-signed certificate
# for smarthost.test made here. relaywatch notify-test sends:
#   1. plain text (--starttls never): a non-ASCII subject, a 2,000-octet
#      line, a leading dot; read back: decoded subject, our Message-ID,
#      the body byte for byte, Auto-Submitted
#   2. STARTTLS required, certificate checked against our CA and name
#   3. STARTTLS with the wrong name: temporary failure, nothing sent
#   4. one recipient refused (550) next to an accepted one: exit 1, the
#      refused one named; all refused: permanent failure, exit 1
#   5. the smarthost down (connection refused): temporary failure, exit 75
# AUTH PLAIN and LOGIN against a real SASL server (Cyrus, sasldb) are
# notify_auth.sh's; test_submit covers them by script.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
pf_require
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
[ -x "$RW" ] || fail "$RW is not built"

pf_init open "$(free_port)"
VM="$PF_DIR/vmail"
mkdir -p "$VM"
chown postfix:postfix "$VM"
# the smarthost's certificate, valid for smarthost.test only
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=smarthost.test \
	-addext subjectAltName=DNS:smarthost.test \
	-keyout "$PF_DIR/key.pem" -out "$PF_DIR/cert.pem" >/dev/null 2>&1 || fail "openssl req failed"
chmod 600 "$PF_DIR/key.pem"
# edited in place (postconf -e), so no setting of pf_init's is overridden twice
postconf -c "$PF_CONF" -e \
	"virtual_mailbox_domains = desk.test" \
	"virtual_mailbox_base = $VM" \
	"virtual_mailbox_maps = inline:{admin@desk.test=admin/, ops@desk.test=ops/}" \
	"virtual_uid_maps = static:$(id -u postfix)" \
	"virtual_gid_maps = static:$(id -g postfix)" \
	"virtual_minimum_uid = 1" \
	"virtual_transport = virtual" \
	"smtpd_tls_cert_file = $PF_DIR/cert.pem" \
	"smtpd_tls_key_file = $PF_DIR/key.pem" || fail "postconf -e failed"
{
	echo "virtual   unix  -       n       n       -       -       virtual"
	echo "tlsmgr    unix  -       -       n       1000?   1       tlsmgr"
} >>"$PF_CONF/master.cf"
pf_listener TLSPORT -o smtpd_tls_security_level=may
pf_start

# notify OUT [OPTION...] - run notify-test with the body in $T/body, bounded
notify() {
	_out=$1; shift
	echo "run: relaywatch notify-test $*"
	timeout 60 "$RW" notify-test --helo client.test --timeout 20 "$@" <"$T/body" >"$_out" 2>"$_out.err"
	RC=$?
	cat "$_out"
	[ $RC -ne 124 ] || { cat "$_out.err"; pf_dump; fail "notify-test did not finish in 60 s"; }
}

# wait_mail DIR COUNT - COUNT messages in Maildir DIR/new within 20 s
wait_mail() {
	_i=0
	while [ "$(ls "$1/new" 2>/dev/null | wc -l)" -lt "$2" ]; do
		[ $_i -lt 200 ] || { pf_dump; fail "no message $2 in $1 within 20 s"; }
		sleep 0.1; _i=$((_i + 1))
	done
}

# check_mail FILE MSGID SUBJECT - headers and body read back with Python's email
check_mail() {
	python3 - "$1" "$2" "$3" "$T/body" <<'PY' || { cat "$1"; fail "message read back is wrong"; }
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
want_body = open(sys.argv[4], encoding="utf-8").read()
bad = []
if m["Subject"] != sys.argv[3]:
    bad.append("Subject: got %r, want %r" % (m["Subject"], sys.argv[3]))
if m["Message-ID"] != sys.argv[2]:
    bad.append("Message-ID: got %r, want %r" % (m["Message-ID"], sys.argv[2]))
if m["Auto-Submitted"] != "auto-generated":
    bad.append("Auto-Submitted: got %r" % m["Auto-Submitted"])
if "Relaywatch NOC" not in str(m["From"]):
    bad.append("From: got %r" % m["From"])
body = m.get_content()
if body != want_body:
    bad.append("body: got %d chars, want %d; first difference at %d" % (len(body), len(want_body),
               next((i for i, (a, b) in enumerate(zip(body, want_body)) if a != b), min(len(body), len(want_body)))))
for line in raw.split(b"\n"):
    if len(line.rstrip(b"\r")) > 998:
        bad.append("a line of %d octets in the stored message" % len(line))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
	echo "ok: $1 has the subject, Message-ID and body we sent"
}

python3 - "$T/body" <<'PY'
import sys
long = " ".join("word%d" % i for i in range(400))  # one line of ~3,000 octets
open(sys.argv[1], "w", encoding="utf-8").write(
    "Grüße aus dem Labor,\n\n.this line starts with a dot\n" + long + "\nFrom the end.\n")
PY
SUBJ="Offenes Relais gefunden: 192.0.2.7 — bitte prüfen ✓"

# 1. plain text, non-ASCII subject, long line
notify "$T/o1" --smarthost "127.0.0.1:$PF_PORT" --starttls never \
	--from "Relaywatch NOC <noc@lab.test>" --to admin@desk.test \
	--subject "$SUBJ" --message-id "<n1.1700000000@lab.test>"
[ $RC -eq 0 ] || { cat "$T/o1.err"; pf_dump; fail "plain send: exit $RC, want 0"; }
grep -Eq '^sent .*queue_id=[0-9A-Za-z]+' "$T/o1" || fail "plain send: no queue id in the result"
wait_mail "$VM/admin" 1
check_mail "$(ls "$VM"/admin/new/* | head -1)" "<n1.1700000000@lab.test>" "$SUBJ"
qid=$(sed -n 's/.*queue_id=\([0-9A-Za-z]*\).*/\1/p' "$T/o1")
mta_log_has "$qid: .*message-id=<n1.1700000000@lab.test>" "the queue id we reported is not the one Postfix logged"

# 2. STARTTLS required, certificate verified against our CA and name
notify "$T/o2" --smarthost "127.0.0.1:$TLSPORT" --starttls require \
	--tls-name smarthost.test --ca-file "$PF_DIR/cert.pem" \
	--from "Relaywatch NOC <noc@lab.test>" --to admin@desk.test \
	--subject "$SUBJ" --message-id "<n2.1700000000@lab.test>"
[ $RC -eq 0 ] || { cat "$T/o2.err"; pf_dump; fail "STARTTLS send: exit $RC, want 0"; }
grep -Eq '^sent .*tls=TLSv1\.[23]' "$T/o2" || fail "STARTTLS send: not over TLS"
wait_mail "$VM/admin" 2
f=$(grep -l "n2.1700000000@lab.test" "$VM"/admin/new/*) || fail "STARTTLS message not in the mailbox"
check_mail "$f" "<n2.1700000000@lab.test>" "$SUBJ"
mta_log_has "ehlo=2 starttls=1 mail=1 rcpt=1 data=1" "no session with STARTTLS logged"

# 3. the certificate does not name the smarthost: temporary failure
notify "$T/o3" --smarthost "127.0.0.1:$TLSPORT" --starttls require \
	--tls-name wrong.test --ca-file "$PF_DIR/cert.pem" \
	--from noc@lab.test --to admin@desk.test --subject x --message-id "<n3@lab.test>"
[ $RC -eq 75 ] || fail "wrong TLS name: exit $RC, want 75"
grep -Eq '^tempfail stage=tls .*verif' "$T/o3" || fail "wrong TLS name: want a tempfail at tls naming verification"
# require on a listener without STARTTLS: temporary failure too
notify "$T/o3b" --smarthost "127.0.0.1:$PF_PORT" --starttls require \
	--from noc@lab.test --to admin@desk.test --subject x --message-id "<n3b@lab.test>"
[ $RC -eq 75 ] || fail "STARTTLS not offered: exit $RC, want 75"

# 4. one recipient refused next to an accepted one; then all refused
notify "$T/o4" --smarthost "127.0.0.1:$PF_PORT" --starttls never \
	--from noc@lab.test --to ops@desk.test --to nobody@desk.test --subject partial \
	--message-id "<n4@lab.test>"
[ $RC -eq 1 ] || fail "partial: exit $RC, want 1"
grep -Eq '^sent ' "$T/o4" || fail "partial: want sent to the accepted recipient"
grep -Eq '^refused rcpt=nobody@desk.test code=550' "$T/o4" || fail "partial: refused recipient not named"
wait_mail "$VM/ops" 1
notify "$T/o5" --smarthost "127.0.0.1:$PF_PORT" --starttls never \
	--from noc@lab.test --to nobody@desk.test --subject refused --message-id "<n5@lab.test>"
[ $RC -eq 1 ] || fail "refused: exit $RC, want 1"
grep -Eq '^permfail stage=rcpt code=550' "$T/o5" || fail "refused: want permfail at rcpt with 550"

# 5. the smarthost is down
down=$(mta_new_port "$PF_PORT $TLSPORT") || fail "no free port"
notify "$T/o6" --smarthost "127.0.0.1:$down" --from noc@lab.test --to admin@desk.test \
	--subject down --message-id "<n6@lab.test>"
[ $RC -eq 75 ] || fail "down: exit $RC, want 75"
grep -Eq '^tempfail stage=connect' "$T/o6" || fail "down: want tempfail at connect"

# nothing else arrived: two notices for admin, one for ops
[ "$(ls "$VM"/admin/new | wc -l)" -eq 2 ] || fail "admin's mailbox: want exactly 2 messages"
echo "PASS: notices through a real Postfix smarthost"
