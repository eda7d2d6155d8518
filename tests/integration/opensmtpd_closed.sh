#!/bin/sh
# opensmtpd_closed.sh - an OpenSMTPD with its default rules must be closed.
# Peer: a private OpenSMTPD (lib/opensmtpd.sh, Debian's package unpacked, not
# installed; profile "default": the rules of Debian's smtpd.conf, local mail
# for local clients and `match from local for any action "relay"`, the relay
# going to the sink) with two listeners on 127.0.0.1:
#   $OSD_PORT  just those rules
#   $mx        tagged "inbound", which also takes mail for its own domain
#              osd.lab.test from anyone (the usual MX set-up)
# The tester connects from 127.0.0.2, which OpenSMTPD does not count as local
# (its local table holds the interface addresses, 127.0.0.1 among them).
# Expect verdict "closed" for both, quick and full battery, no arrivals, exit
# status 0, and nothing relayed. Control: from 127.0.0.1, which is local, the
# same rules relay, and relaywatch must find the instance open.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/opensmtpd.sh"
osd_require

sink=$(free_port)
osd_init default "$sink"
osd_listener mx 'tag "inbound"'
osd_match 'match tag "inbound" from any for domain "osd.lab.test" action "local"'
osd_start

# the stranger is refused relaying on both listeners, and the inbound one
# takes mail for its own domain (else "closed" there would prove little)
python3 - "$OSD_PORT" "$mx" <<'PY' || { osd_dump; fail "SMTP dialogue from 127.0.0.2"; }
import smtplib, sys
default, inbound = int(sys.argv[1]), int(sys.argv[2])
want = [(default, "rw-check@canary.test", 550), (default, "postmaster@osd.lab.test", 550),
        (inbound, "rw-check@canary.test", 550), (inbound, "postmaster@osd.lab.test", 250),
        (inbound, "no-such-user@osd.lab.test", 550)]
bad = 0
for port, rcpt, code in want:
    s = smtplib.SMTP("127.0.0.1", port, timeout=10, source_address=("127.0.0.2", 0))
    s.ehlo("stranger.lab.test")
    s.docmd("MAIL FROM:<>")
    got = s.docmd("RCPT TO:<%s>" % rcpt)
    s.quit()
    print("127.0.0.2 -> 127.0.0.1:%d RCPT %s: %d %s" % (port, rcpt, got[0], got[1].decode()))
    if got[0] != code:
        print("  got %d, want %d" % (got[0], code))
        bad = 1
# and delivers it (locally, to /dev/null); a null sender gets no bounce
s = smtplib.SMTP("127.0.0.1", inbound, timeout=10, source_address=("127.0.0.2", 0))
s.sendmail("", ["postmaster@osd.lab.test"], "Subject: relaywatch test\r\n\r\nlocal mail\r\n")
s.quit()
sys.exit(bad)
PY

mta_relaywatch "$T/quick.json" "$sink" --source 127.0.0.2 --battery quick \
	"127.0.0.1:$OSD_PORT" "127.0.0.1:$mx"
mta_rc 0 "quick battery: nothing open"
mta_expect "$T/quick.json" "$OSD_PORT" closed none "refused"
mta_expect "$T/quick.json" "$mx" closed none "refused"
# the full battery now; it is judged last, after the control
mta_relaywatch "$T/full.json" "$sink" --source 127.0.0.2 \
	"127.0.0.1:$OSD_PORT" "127.0.0.1:$mx"
full_rc=$MTA_RW_RC
mta_log_has 'command="RCPT TO:<rw-plain@canary\.test>" result="550 Invalid recipient' \
	"no refusal of the plain relay attempt logged"
# the bang path is qualified with the local domain, then has no such user
mta_log_has 'command="RCPT TO:<canary\.test!rw-bang>" result="550 Invalid recipient: <canary\.test!rw-bang@osd\.lab\.test>"' \
	"no refusal of the bang path into the local domain logged"
mta_log_wait 10 "mda delivery .* to=<postmaster@osd\.lab\.test> .*result=Ok" \
	"the message for the local domain was not delivered locally"
mta_log_lacks " mta (connecting|delivery) " "a stranger's message was relayed"

# control: for 127.0.0.1 the same rules relay, and that must be found
mta_relaywatch "$T/local.json" "$sink" --battery quick "127.0.0.1:$OSD_PORT"
mta_rc 1 "control: open for 127.0.0.1"
mta_expect "$T/local.json" "$OSD_PORT" open valid "relayed to the canary"
osd_only_canary "$sink"

# the full battery's HELO tests meet OpenSMTPD's refusal of a second EHLO or
# HELO in a session (503 5.5.1 Invalid command: Already identified): every
# relay attempt was still refused, so the verdict must still be closed
[ "$full_rc" -eq 0 ] || { osd_dump; fail "full: exit status: got $full_rc, want 0"; }
mta_expect "$T/full.json" "$OSD_PORT" closed none "refused"
mta_expect "$T/full.json" "$mx" closed none "refused"
echo "PASS: opensmtpd default profile is closed"
