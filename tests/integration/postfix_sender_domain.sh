#!/bin/sh
# postfix_sender_domain.sh - a Postfix that trusts a sender in its own domain
# must be found open by the sender rows, and only by them.
# Peer: a private Postfix instance (lib/postfix.sh, profile "sender-domain":
# our client 127.0.0.1 outside mynetworks, but check_sender_access answers OK
# for lab.test, the parent of myhostname pf.lab.test, before
# reject_unauth_destination) with two listeners on 127.0.0.1:
#   $PF_PORT  that profile: open through sender-domain
#             (<rw-sender-domain@pf.lab.test>, a subdomain of the key) and
#             sender-parent (<rw-sender-parent@lab.test>), nothing else
#   $rej      the same instance with the usual permit_mynetworks,
#             reject_unauth_destination: closed, the sender rows refused
# relaywatch finds the names in the banner (the target is an address). The
# sender rows' RCPT asks NOTIFY=NEVER, as Postfix offers DSN; other rows'
# RCPT has no parameter. Expect exit status 1, valid tokens that arrived
# through pf.lab.test, Postfix's log of both deliveries to the sink.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
pf_require

sink=$(free_port)
pf_init sender-domain "$sink"
pf_listener rej -o smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination
pf_start

mta_relaywatch "$T/out.json" "$sink" -v "127.0.0.1:$PF_PORT" "127.0.0.1:$rej"
mta_rc 1 "the sender-domain listener is open"
mta_expect "$T/out.json" "$PF_PORT" open valid "relayed|canary|deliver"
mta_delivered "$T/out.json" "$PF_PORT" sender-domain sender-parent
mta_rcpt_params "$T/out.json" "$PF_PORT" sender-domain NOTIFY=NEVER
mta_rcpt_params "$T/out.json" "$PF_PORT" sender-parent NOTIFY=NEVER
mta_rcpt_params "$T/out.json" "$PF_PORT" plain
# the arrivals really came through this Postfix, from the forged senders
mta_log_has "from=<rw-sender-parent@lab\.test>" "no message from rw-sender-parent@lab.test queued"
mta_log_has "from=<rw-sender-domain@pf\.lab\.test>" "no message from rw-sender-domain@pf.lab.test queued"
mta_log_has "to=<rw-sender-parent@canary\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$sink,.*status=sent" \
	"no delivery of sender-parent to the sink logged"
mta_log_has "to=<rw-sender-domain@canary\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$sink,.*status=sent" \
	"no delivery of sender-domain to the sink logged"

# without the access map the same senders are strangers
mta_expect "$T/out.json" "$rej" closed none "refused|denied|reject"
mta_rcpt_params "$T/out.json" "$rej" sender-parent NOTIFY=NEVER
mta_log_has "reject: RCPT from .*: 554 5\.7\.1 <rw-sender-parent@canary\.test>: Relay access denied; from=<rw-sender-parent@lab\.test>" \
	"no 554 relay refusal of sender-parent logged"
echo "PASS: postfix trusting its own sender domain is open through the sender rows"
