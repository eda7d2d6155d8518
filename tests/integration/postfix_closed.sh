#!/bin/sh
# postfix_closed.sh - a Postfix with its default relay controls must be closed.
# Peer: a private Postfix instance (lib/postfix.sh, profile "default": our
# client 127.0.0.1 is outside mynetworks) with two listeners on 127.0.0.1:
#   $PF_PORT  Postfix's default smtpd_relay_restrictions, whose
#             defer_unauth_destination answers 454 4.7.1 Relay access denied
#   $rej      reject_unauth_destination, the usual 554 5.7.1 answer
# Expect verdict "closed" for both, no arrivals, exit status 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
pf_require

sink=$(free_port)
pf_init default "$sink"
pf_listener rej -o smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination
pf_start

mta_relaywatch "$T/out.json" "$sink" "127.0.0.1:$PF_PORT" "127.0.0.1:$rej"
mta_rc 0 "nothing open"
mta_expect "$T/out.json" "$PF_PORT" closed none "refused|denied|reject"
mta_expect "$T/out.json" "$rej" closed none "refused|denied|reject"
mta_log_has "reject: RCPT from .*: 454 4\.7\.1 .*Relay access denied" "no 454 relay refusal logged"
mta_log_has "reject: RCPT from .*: 554 5\.7\.1 .*Relay access denied" "no 554 relay refusal logged"
mta_log_lacks "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$sink" "a message was passed to the sink"
echo "PASS: postfix default profile is closed"
