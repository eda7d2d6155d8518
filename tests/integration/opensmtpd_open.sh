#!/bin/sh
# opensmtpd_open.sh - a real OpenSMTPD that relays for everyone must be found open.
# Peer: a private OpenSMTPD (lib/opensmtpd.sh, Debian's package unpacked, not
# installed; profile "open": `match from any for domain "canary.test"`, every
# other domain refused) on 127.0.0.1:<port>, relaying canary.test to
# relaywatch's own sink on 127.0.0.1:<sinkport>. Expect verdict "open" (exit
# status 1), mta "opensmtpd", and a valid token that came "by osd.lab.test".
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/opensmtpd.sh"
osd_require

sink=$(free_port)
osd_init open "$sink"
osd_start

mta_relaywatch "$T/out.json" "$sink" "127.0.0.1:$OSD_PORT"
mta_rc 1 "open found"
mta_expect "$T/out.json" "$OSD_PORT" open valid "relayed to the canary"
# the arrival really came through this OpenSMTPD, not around it
mta_log_has "mta connecting address=smtp://127\.0\.0\.1:$sink " "no connection to the sink logged"
mta_log_wait 10 'mta delivery .* to=<rw-plain@canary\.test> .*result="Ok"' \
	"no delivery to the sink logged"
# and it refused what was not for the canary domain
mta_log_has 'failed-command command="RCPT TO:<[^>]*@\[127\.0\.0\.1\]>" result="550 ' \
	"no RCPT refusal for another domain logged"
osd_only_canary "$sink"
echo "PASS: opensmtpd open profile is open"
