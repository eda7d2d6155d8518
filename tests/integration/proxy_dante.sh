#!/bin/sh
# proxy_dante.sh - a real Dante SOCKS server: open without a method, and
# auth-required when it chooses username/password.
# Peers: two private danted instances (lib/dante.sh) on 127.0.0.1 at free
# ports, passing 127.0.0.0/8 to 127.0.0.0/8 only. Profile "open"
# (socksmethod none) must be found open through socks5 and socks4 alike -
# the sink's nonce came back through each tunnel - with no HTTP protocol
# open (dante speaks only SOCKS); exit status 1. Profile "auth" (socksmethod
# username) answers our SOCKS5 greeting (methods 0x00, 0x02) with 0x02:
# auth-required, socks5 auth-required, nothing open; exit status 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/dante.sh"
. "$here/lib/pxtest.sh"
px_require
dt_require
px_config

dt_start dtopen open
PX_DUMP="dt_dump dtopen"
px_relaywatch "$T/open.json" "127.0.0.1:$dtopen"
px_expect "$T/open.json" open socks5=open socks4=open
px_not_open "$T/open.json" http-connect http-post http-get telnet
px_rc 1 "an open SOCKS server"
# both tunnels really went through this danted to the sink
n=$(grep -c "tcp/connect \[: .* -> 127\.0\.0\.1\.[0-9]* 127\.0\.0\.1\.$PX_SINK\$" "$PXD_ROOT/dtopen/danted.log")
[ "${n:-0}" -ge 2 ] || { dt_dump dtopen; fail "danted logged $n connections to the canary, want 2 or more"; }
dt_stop dtopen

dt_start dtauth auth
PX_DUMP="dt_dump dtauth"
px_relaywatch "$T/auth.json" "127.0.0.1:$dtauth"
px_expect "$T/auth.json" auth-required socks5=auth-required
px_not_open "$T/auth.json" socks5 socks4 socks4a http-connect http-post http-get telnet
px_rc 0 "a SOCKS server that wants a password"
echo "PASS: dante open is open (socks4, socks5), with username it is auth-required"
