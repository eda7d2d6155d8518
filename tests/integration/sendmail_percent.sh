#!/bin/sh
# sendmail_percent.sh - a Sendmail that relays only through the percent hack
# must be found open, by the percent tests alone.
# Peer: a private Sendmail instance (lib/sendmail.sh, profile "percent": the
# relay check of Sendmail before 8.9, which judged user%remote@local by its
# last domain only and so took it as local mail, while routing still honours
# the percent hack). The probe comes from the stranger 127.0.0.2.
# Expect verdict "open" (exit status 1), mta "sendmail", valid tokens through
# sm.lab.test, the percent tests at the target's literal delivered, and every
# other form refused at RCPT with "Relaying denied": plain, bang paths,
# source routes, and the percent hack without the target's name.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/sendmail.sh"
sm_require

sink=$(free_port)
sm_init percent "$sink"
sm_start

mta_relaywatch "$T/out.json" "$sink" "$SM_ADDR:$SM_PORT"
mta_rc 1 "open found"
mta_expect "$T/out.json" "$SM_PORT" open valid "relayed|canary|deliver"
mta_tests "$T/out.json" "$SM_PORT" delivered percent-ip percent-host
mta_tests "$T/out.json" "$SM_PORT" mail plain null-sender quoted-percent unqualified bang-ip \
	source-route-ip trailing-dot
mta_log_has ">>> 550 5\.7\.1 <rw-plain@canary\.test>\.\.\. Relaying denied" "plain relaying was not refused"
mta_log_has ">>> RCPT To:<rw-percent-ip@canary\.test>" "no percent-hack delivery to the sink logged"
echo "PASS: sendmail percent-hack profile is open through the percent hack only"
