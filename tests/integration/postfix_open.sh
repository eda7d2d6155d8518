#!/bin/sh
# postfix_open.sh - a real Postfix that relays for everyone must be found open.
# Peer: a private Postfix instance (lib/postfix.sh, profile "open": mynetworks
# 0.0.0.0/0) on 127.0.0.1:<port>, routing canary.test to relaywatch's own sink
# on 127.0.0.1:<sinkport>. Expect verdict "open" (exit status 1), mta
# "postfix", and a valid token that arrived through pf.lab.test.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
pf_require

sink=$(free_port)
pf_init open "$sink"
pf_start

mta_relaywatch "$T/out.json" "$sink" "127.0.0.1:$PF_PORT"
mta_rc 1 "open found"
mta_expect "$T/out.json" "$PF_PORT" open valid "relayed|canary|deliver"
# the arrival really came through this Postfix, not around it
mta_log_has "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$sink,.*status=sent" "no delivery to the sink logged"
echo "PASS: postfix open profile is open"
