#!/bin/sh
# exim_data_reject.sh - an Exim that accepts RCPT but refuses the message is
# not an open relay.
# Peer: a private Exim 4 instance (lib/exim.sh, profile "datareject":
# relaying allowed by relay_from_hosts = 0.0.0.0/0) with two listeners on
# 127.0.0.1:
#   $EXIM_PORT  acl_smtp_predata denies: 550 at the DATA command
#   $eod        acl_smtp_data denies: 550 after the message
# Expect verdict "closed" for both (never "open"), no arrivals, exit status 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/exim.sh"
exim_require

sink=$(free_port)
exim_init datareject "$sink"
exim_listener eod data-deny
exim_start

mta_relaywatch "$T/out.json" "$sink" "127.0.0.1:$EXIM_PORT" "127.0.0.1:$eod"
mta_rc 0 "nothing open"
mta_expect "$T/out.json" "$EXIM_PORT" closed none "refused|denied|reject"
mta_expect "$T/out.json" "$eod" closed none "refused|denied|reject"
mta_log_has "I=\[127\.0\.0\.1\]:$EXIM_PORT rejected DATA: 5\.7\.1 no message accepted here" \
	"no refusal at DATA logged"
mta_log_has "I=\[127\.0\.0\.1\]:$eod F=<rw-plain@canary\.test> rejected after DATA: 5\.7\.1 message refused" \
	"no refusal after the message logged"
mta_log_lacks "R=canary T=to_sink" "a message was passed to the sink"
mta_log_lacks " <= " "a message was accepted"
echo "PASS: exim reject-at-DATA profile is closed"
