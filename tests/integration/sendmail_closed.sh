#!/bin/sh
# sendmail_closed.sh - a Sendmail with its default relay controls must be closed.
# Peer: a private Sendmail instance (lib/sendmail.sh, profile "default": no
# relaying feature, so Sendmail relays only for 127.0.0.1, $=R and mail to
# its own names) on 127.0.0.1:<port>. The probe comes from 127.0.0.2, a
# stranger whose name resolves (rw-client.lab.test), so every relay attempt
# meets the plain "550 5.7.1 ... Relaying denied".
# Expect verdict "closed", no arrivals, exit status 0, and no message passed
# to the sink.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/sendmail.sh"
sm_require

sink=$(free_port)
sm_init default "$sink"
sm_start

mta_relaywatch "$T/out.json" "$sink" "$SM_ADDR:$SM_PORT"
mta_rc 0 "nothing open"
mta_expect "$T/out.json" "$SM_PORT" closed none "refused|denied|reject"
# the plain and the classic tricks were all refused at RCPT
mta_tests "$T/out.json" "$SM_PORT" mail plain null-sender percent-ip bang-ip source-route-ip
mta_log_has ">>> 550 5\.7\.1 <rw-plain@canary\.test>\.\.\. Relaying denied" "no relay refusal logged"
mta_log_lacks "=== CONNECT \[127\.0\.0\.1\]" "sendmail connected out (to the sink)"
mta_log_lacks ">>> 250 2\.0\.0 .* Message accepted for delivery" "a message was accepted"
echo "PASS: sendmail default profile is closed"
