#!/bin/sh
# exim_open.sh - a real Exim that relays for everyone must be found open.
# Peer: a private Exim 4 instance (lib/exim.sh, profile "open": Debian's RCPT
# ACL with relay_from_hosts = 0.0.0.0/0, the classic misconfiguration) on
# 127.0.0.1:<port>, routing canary.test to relaywatch's own sink on
# 127.0.0.1:<sinkport>. Expect verdict "open" (exit status 1), mta "exim",
# and a valid token that arrived through exim.lab.test.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/exim.sh"
exim_require

sink=$(free_port)
exim_init open "$sink"
exim_start

mta_relaywatch "$T/out.json" "$sink" "127.0.0.1:$EXIM_PORT"
mta_rc 1 "open found"
mta_expect "$T/out.json" "$EXIM_PORT" open valid "relayed|canary|deliver"
# the arrival really came through this Exim, not around it
mta_log_has "=> rw-plain@canary\.test R=canary T=to_sink H=127\.0\.0\.1 \[127\.0\.0\.1\]:$sink .*C=\"250 " \
	"no delivery of the plain test to the sink logged"
echo "PASS: exim open profile is open"
