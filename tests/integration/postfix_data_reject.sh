#!/bin/sh
# postfix_data_reject.sh - a Postfix that accepts RCPT but refuses the message
# is not an open relay.
# Peer: a private Postfix instance (lib/postfix.sh, profile "datareject":
# relaying allowed) with two listeners on 127.0.0.1:
#   $PF_PORT  smtpd_data_restrictions = reject (554 at the DATA command)
#   $eod      smtpd_end_of_data_restrictions = reject (554 after the message)
# Expect verdict "closed" for both (never "open"), no arrivals, exit status 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
pf_require

sink=$(free_port)
pf_init datareject "$sink"
pf_listener eod -o smtpd_data_restrictions= -o smtpd_end_of_data_restrictions=reject
pf_start

mta_relaywatch "$T/out.json" "$sink" "127.0.0.1:$PF_PORT" "127.0.0.1:$eod"
mta_rc 0 "nothing open"
mta_expect "$T/out.json" "$PF_PORT" closed none "refused|denied|reject"
mta_expect "$T/out.json" "$eod" closed none "refused|denied|reject"
mta_log_has "reject: DATA from .*: 554 5\.7\.1" "no refusal at DATA logged"
mta_log_has "reject: END-OF-MESSAGE from .*: 554 5\.7\.1" "no refusal at end of data logged"
mta_log_lacks "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$sink" "a message was passed to the sink"
echo "PASS: postfix reject-at-DATA profile is closed"
