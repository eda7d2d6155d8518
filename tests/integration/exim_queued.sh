#!/bin/sh
# exim_queued.sh - an Exim that accepts relay mail but only queues it is
# suspect: accepted through end of DATA, nothing arrived.
# Peer: a private Exim 4 instance (lib/exim.sh, profile "open") whose only
# listener, $q, sets control = queue/only in acl_smtp_data: every message
# waits for a queue runner, and this instance runs none. Expect verdict
# "suspect" (exit status 1), no arrivals, the messages still in the queue.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/exim.sh"
exim_require

sink=$(free_port)
exim_init open "$sink"
exim_listener q queue-only
exim_start

# nothing can arrive, so a short wait measures the same thing as a long one
mta_relaywatch "$T/out.json" "$sink" --wait 5 "127.0.0.1:$q"
mta_rc 1 "suspect found"
mta_expect "$T/out.json" "$q" suspect none "accepted|no arrival"
mta_log_has "<= rw-plain@canary\.test H=.* I=\[127\.0\.0\.1\]:$q .* for rw-plain@canary\.test" \
	"the plain test was not accepted on the queue-only listener"
mta_log_has "no immediate delivery: queued by ACL" "no message was held by the queue-only ACL"
mta_log_lacks "R=canary T=to_sink" "a message was passed to the sink"
echo "PASS: exim queue-only listener is suspect"
