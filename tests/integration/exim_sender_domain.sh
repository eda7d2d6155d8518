#!/bin/sh
# exim_sender_domain.sh - an Exim that trusts a sender in its own domain
# must be found open by the sender rows, and only by them.
# Peer: a private Exim 4 instance (lib/exim.sh, profile "default": Debian's
# RCPT ACL, our client 127.0.0.1 outside relay_from_hosts) with two
# listeners on 127.0.0.1:
#   $EXIM_PORT  Debian's ACL as shipped: closed, the sender rows refused
#   $snd        policy sender-trust: "accept senders = *@lab.test" (the
#               parent of exim.lab.test) before the relay check. Open
#               through sender-parent (<rw-sender-parent@lab.test>) alone:
#               an Exim address list matches the domain exactly, so
#               sender-domain (<rw-sender-domain@exim.lab.test>) is refused
# relaywatch finds the names in the banner (the target is an address). Exim
# offers no DSN here (dsn_advertise_hosts is empty), so the sender rows'
# RCPT carries no NOTIFY=NEVER: Exim would refuse the unknown parameter.
# Expect exit status 1, a valid token that arrived through exim.lab.test,
# Exim's log of the delivery to the sink.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/exim.sh"
exim_require

sink=$(free_port)
exim_init default "$sink"
exim_listener snd sender-trust
exim_start

mta_relaywatch "$T/out.json" "$sink" -v "127.0.0.1:$EXIM_PORT" "127.0.0.1:$snd"
mta_rc 1 "the sender-trust listener is open"
mta_expect "$T/out.json" "$snd" open valid "relayed|canary|deliver"
mta_delivered "$T/out.json" "$snd" sender-parent
mta_rcpt_params "$T/out.json" "$snd" sender-parent
mta_rcpt_params "$T/out.json" "$snd" sender-domain
# the arrival really came through this Exim, from the forged sender
mta_log_has "<= rw-sender-parent@lab\.test H=.* I=\[127\.0\.0\.1\]:$snd " \
	"no message from rw-sender-parent@lab.test received on the sender-trust listener"
mta_log_has "=> rw-sender-parent@canary\.test R=canary T=to_sink H=127\.0\.0\.1 \[127\.0\.0\.1\]:$sink .*C=\"250 " \
	"no delivery of sender-parent to the sink logged"
mta_log_has "I=\[127\.0\.0\.1\]:$snd F=<rw-sender-domain@exim\.lab\.test> rejected RCPT <rw-sender-domain@canary\.test>: relay not permitted" \
	"no refusal of sender-domain on the sender-trust listener logged"

# Debian's ACL as shipped trusts no sender
mta_expect "$T/out.json" "$EXIM_PORT" closed none "refused|denied|reject|not permitted"
mta_log_has "I=\[127\.0\.0\.1\]:$EXIM_PORT F=<rw-sender-parent@lab\.test> rejected RCPT <rw-sender-parent@canary\.test>: relay not permitted" \
	"no 550 relay refusal of sender-parent logged"
echo "PASS: exim trusting its own sender domain is open through the sender rows"
