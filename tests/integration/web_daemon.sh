#!/bin/sh
# web_daemon.sh - `relaywatch daemon` with `web = yes` serves the console
# in its own loop: /metrics from loopback, the API refuses a caller
# without credentials (401) and answers one with an API token, and SIGTERM
# still stops the daemon with exit 0. With `web = no` (the default)
# nothing listens on the console's port.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
[ -x "$RW" ] || fail "$RW is not built"
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v curl >/dev/null 2>&1 || skip "no curl"

repo=$(cd "$here/../.." && pwd)
key_file "$T/key"
SP=$(free_port)
WP=$(free_port)
cp "$repo/contrib/policies/university.conf" "$T/policy.conf"
cat >"$T/rw.conf" <<CFG
policy = $T/policy.conf
notify_from = Abuse desk <abuse@desk.test>
db = $T/d.db
token_key = $T/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:$SP
pid_file = $T/rw.pid
web = yes
web_listen = 127.0.0.1:$WP
CFG

echo "web-daemon-password" | "$RW" --config "$T/rw.conf" user add ops --role viewer >/dev/null 2>"$T/user.err" ||
	{ cat "$T/user.err"; fail "user add"; }
token=$("$RW" --config "$T/rw.conf" user token add ops 2>/dev/null | grep -o 'rwt_[0-9a-f]\{64\}' | head -1)
[ -n "$token" ] || fail "no API token"

"$RW" --config "$T/rw.conf" daemon -f --tick-ms 200 >"$T/d.log" 2>&1 &
D=$!
_rw_pids="$_rw_pids $D"
wait_port 127.0.0.1 "$WP" 10 || { cat "$T/d.log"; fail "the console does not listen"; }
curl -s "http://127.0.0.1:$WP/metrics" >"$T/metrics" || fail "GET /metrics failed"
grep -q '^relaywatch_store_up 1' "$T/metrics" || { head "$T/metrics"; fail "no relaywatch_store_up 1"; }
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WP/api/v1/incidents")
[ "$code" = 401 ] || fail "the API without credentials answered $code, want 401"
code=$(curl -s -o "$T/inc.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
	"http://127.0.0.1:$WP/api/v1/incidents")
[ "$code" = 200 ] || fail "the API with a token answered $code, want 200"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d["data"], list)' \
	"$T/inc.json" || fail "the incidents envelope is not JSON with data[]"
kill -TERM "$D"
i=0
while kill -0 "$D" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "the daemon did not stop within 5 s"; sleep 0.1
done
wait "$D"; rc=$?
[ $rc -eq 0 ] || { tail "$T/d.log"; fail "the daemon exited $rc after SIGTERM, want 0"; }

# web = no: the console's port stays closed
sed -i 's/^web = yes$/web = no/' "$T/rw.conf"
"$RW" --config "$T/rw.conf" daemon -f --tick-ms 200 >"$T/d2.log" 2>&1 &
D=$!
_rw_pids="$_rw_pids $D"
wait_port 127.0.0.1 "$SP" 10 || fail "the second daemon's sink does not listen"
if wait_port 127.0.0.1 "$WP" 1; then fail "web = no, yet the console listens"; fi
kill -TERM "$D"; wait "$D"
echo "PASS: the daemon serves the console when web = yes (metrics, 401, token), not when no"
