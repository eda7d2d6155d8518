#!/bin/sh
# proxy_squid.sh - a real Squid that forwards for loopback must be found open.
# Peer: a private squid (lib/squid.sh, profile "open") on 127.0.0.1 at a free
# port, no cache, allowing 127.0.0.0/8 to 127.0.0.0/8 with any method and
# CONNECT to any port. Expect open, with http-connect open (the sink's
# nonce through the tunnel) and http-post or http-get open (the sink's nonce
# body through the forwarded request), no SOCKS or telnet open; exit status
# 1; squid's access log shows the CONNECT and a request for the canary.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/squid.sh"
. "$here/lib/pxtest.sh"
px_require
sq_require
px_config

sq_start sq open
PX_DUMP="sq_dump sq"
px_relaywatch "$T/open.json" "127.0.0.1:$sq"
px_expect "$T/open.json" open http-connect=open "http-post|http-get=open"
px_not_open "$T/open.json" socks5 socks4 socks4a telnet
px_rc 1 "an open proxy"
px_software_note "$T/open.json" squid
grep -q "TCP_TUNNEL/200 .* CONNECT 127\.0\.0\.1:$PX_SINK " "$PXD_ROOT/sq/access.log" ||
	{ sq_dump sq; fail "squid logged no CONNECT to the canary"; }
grep -Eq " (GET|POST) http://127\.0\.0\.1:$PX_SINK/" "$PXD_ROOT/sq/access.log" ||
	{ sq_dump sq; fail "squid logged no forwarded request to the canary"; }
echo "PASS: squid open is open (http-connect and http-post/http-get)"
