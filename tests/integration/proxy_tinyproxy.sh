#!/bin/sh
# proxy_tinyproxy.sh - a real tinyproxy: open when it lets us in, closed on 403.
# Peers: two private tinyproxy instances (lib/tinyproxy.sh) on 127.0.0.1 at
# free ports. Profile "open" (Allow 127.0.0.0/8, no ConnectPort line: CONNECT
# to any port) must be found open, with http-connect open - the sink's nonce
# came back through the tunnel - and neither SOCKS nor telnet open (tinyproxy
# speaks only HTTP); exit status 1. Profile "closed" (Allow 127.99.99.99
# only) answers "403 Access denied": closed, http-connect closed with status
# 403; exit status 0. relaywatch's canary (proxy_canary) is its own sink on
# 127.0.0.1:<free port>.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/tinyproxy.sh"
. "$here/lib/pxtest.sh"
px_require
tp_require
px_config

tp_start tpopen open
PX_DUMP="tp_dump tpopen"
px_relaywatch "$T/open.json" "127.0.0.1:$tpopen"
px_expect "$T/open.json" open http-connect=open
px_not_open "$T/open.json" socks5 socks4 socks4a telnet
px_rc 1 "an open proxy"
px_software_note "$T/open.json" tinyproxy
# the tunnel really went through this tinyproxy to the sink
grep -q "Established connection to host \"127.0.0.1\"" "$PXD_ROOT/tpopen/tinyproxy.log" ||
	{ tp_dump tpopen; fail "tinyproxy logged no connection to the canary"; }
tp_stop tpopen

tp_start tpclosed closed
PX_DUMP="tp_dump tpclosed"
px_relaywatch "$T/closed.json" "127.0.0.1:$tpclosed"
px_expect "$T/closed.json" closed http-connect=closed
[ "$(px_field "$T/closed.json" http-connect status)" = 403 ] ||
	{ $PX_DUMP; fail "http-connect status: got '$(px_field "$T/closed.json" http-connect status)', want 403"; }
px_rc 0 "a closed proxy"
echo "PASS: tinyproxy open is open (http-connect), closed is closed (403)"
