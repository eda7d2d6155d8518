#!/bin/sh
# exim_closed.sh - an Exim with Debian's relay controls must be closed.
# Peer: a private Exim 4 instance (lib/exim.sh, profile "default": Debian's
# RCPT ACL, our client 127.0.0.1 outside relay_from_hosts) with two
# listeners on 127.0.0.1:
#   $EXIM_PORT  Debian's ACL as shipped: 550 relay not permitted
#   $def        the same refusal made temporary: 451 4.7.1 relay not
#               permitted, try again later (it never turns into a yes)
# On both, the battery's forms at the address literal [127.0.0.1] get 501
# "domain literals not allowed" before any ACL (Exim's default).
# Expect verdict "closed" for both, no arrivals, exit status 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/exim.sh"
exim_require

sink=$(free_port)
exim_init default "$sink"
exim_listener def relay-defer
exim_start

mta_relaywatch "$T/out.json" "$sink" "127.0.0.1:$EXIM_PORT" "127.0.0.1:$def"
mta_rc 0 "nothing open"
mta_expect "$T/out.json" "$EXIM_PORT" closed none "refused|denied|reject|not permitted"
mta_expect "$T/out.json" "$def" closed none "refused|denied|reject|not permitted"
mta_log_has "I=\[127\.0\.0\.1\]:$EXIM_PORT F=<[^>]*> rejected RCPT <rw-plain@canary\.test>: relay not permitted" \
	"no 550 relay refusal logged"
mta_log_has "I=\[127\.0\.0\.1\]:$def F=<[^>]*> temporarily rejected RCPT <rw-plain@canary\.test>: 4\.7\.1 relay" \
	"no 451 relay refusal logged"
mta_log_lacks "R=canary T=to_sink" "a message was passed to the sink"
mta_log_lacks " <= " "a message was accepted"
echo "PASS: exim default profile is closed"
