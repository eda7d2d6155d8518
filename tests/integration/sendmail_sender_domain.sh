#!/bin/sh
# sendmail_sender_domain.sh - a Sendmail that lets its own domain's senders
# relay from anywhere (FEATURE(relay_mail_from, domain)) must be found open,
# with the sender rows among the tests that relayed, and every row with a
# stranger's sender refused.
# Peer: a private Sendmail instance (lib/sendmail.sh, profile
# "sender-domain": From:lab.test RELAY in the access map, lab.test being the
# parent of sm.lab.test). The probe comes from the stranger 127.0.0.2.
# relaywatch finds the names in the banner (the target is an address).
# Sendmail looks a sender's domain up with its parents, and takes its own
# literal [127.0.0.3] as sm.lab.test, so sender-domain
# (<rw-sender-domain@sm.lab.test>), sender-parent (<rw-sender-parent@lab.test>),
# sender-host and sender-postmaster relay, and so do the nmap recipient rows,
# which send from the target's literal (the advice then names the sender
# alone: test_advice). Unlike Exim's exact address list, a Sendmail access
# key covers the host names below it, so the older sender-host row found this
# server open as well; what this test adds is Sendmail's own word on the new
# rows. Sendmail offers DSN, so their RCPT asks NOTIFY=NEVER, while other
# rows' RCPT has no parameter. Expect exit status 1, mta "sendmail", valid
# tokens through sm.lab.test, the deliveries to the sink in the traffic log,
# and the rows sent from the canary or the null sender refused at RCPT
# ("Relaying denied").
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/sendmail.sh"
sm_require

sink=$(free_port)
sm_init sender-domain "$sink"
sm_start

mta_relaywatch "$T/out.json" "$sink" -v "$SM_ADDR:$SM_PORT"
mta_rc 1 "open found"
mta_expect "$T/out.json" "$SM_PORT" open valid "relayed|canary|deliver"
mta_tests "$T/out.json" "$SM_PORT" delivered sender-domain sender-parent sender-host sender-postmaster
mta_rcpt_params "$T/out.json" "$SM_PORT" sender-domain NOTIFY=NEVER
mta_rcpt_params "$T/out.json" "$SM_PORT" sender-parent NOTIFY=NEVER
mta_rcpt_params "$T/out.json" "$SM_PORT" plain
mta_tests "$T/out.json" "$SM_PORT" mail plain null-sender unqualified trailing-dot upper-case helo-host helo-ip
mta_log_has ">>> 550 5\.7\.1 <rw-plain@canary\.test>\.\.\. Relaying denied" "plain relaying was not refused"
mta_log_has ">>> MAIL From:<rw-sender-parent@lab\.test>" "no relay from the parent domain logged"
mta_log_has ">>> RCPT To:<rw-sender-parent@canary\.test>" "no sender-parent delivery to the sink logged"
mta_log_has ">>> RCPT To:<rw-sender-domain@canary\.test>" "no sender-domain delivery to the sink logged"
echo "PASS: sendmail with relay_mail_from is open to senders in its own domain, closed to strangers"
