#!/bin/sh
# sendmail_open.sh - a real Sendmail that relays for everyone must be found open.
# Peer: a private Sendmail instance (lib/sendmail.sh, profile "open":
# FEATURE(promiscuous_relay), accept_unqualified_senders and
# accept_unresolvable_domains, the classic open relay) on 127.0.0.1:<port>,
# routing canary.test to relaywatch's own sink on 127.0.0.1:<sinkport>; the
# probe comes from 127.0.0.2, not from the "originated locally" 127.0.0.1.
# Expect verdict "open" (exit status 1), mta "sendmail", a valid token that
# arrived through sm.lab.test, and the classic tricks (percent hack, bang
# paths, source routes) delivered too.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/sendmail.sh"
sm_require

sink=$(free_port)
sm_init open "$sink"
sm_start

mta_relaywatch "$T/out.json" "$sink" "$SM_ADDR:$SM_PORT"
mta_rc 1 "open found"
mta_expect "$T/out.json" "$SM_PORT" open valid "relayed|canary|deliver"
mta_tests "$T/out.json" "$SM_PORT" delivered plain null-sender percent-ip quoted-percent \
	source-route-ip bang bang-ip unqualified
# Sendmail's parser refuses user@canary@target outright
mta_tests "$T/out.json" "$SM_PORT" mail double-at-ip double-at-host
# the arrivals really came through this Sendmail, from the stranger's address
mta_log_has "<<< (EHLO|HELO) " "no inbound SMTP dialogue logged"
mta_log_has ">>> Received: from .*\(rw-client\.lab\.test \[127\.0\.0\.2\]\)" \
	"no relayed message names the client 127.0.0.2"
mta_log_has ">>> RCPT To:<rw-plain@canary\.test>" "no delivery of rw-plain to the sink logged"
mta_log_has "<<< 250 2\.0\.0 Ok: queued as" "the sink never confirmed a delivery"
echo "PASS: sendmail open profile is open"
