#!/bin/sh
# proxy_webserver.sh - a plain web server is not a proxy.
# Peer: python3 -m http.server on 127.0.0.1 at a free port, serving an empty
# directory. It answers every protocol, but never as a proxy: CONNECT is
# 501, an absolute-URI GET is its own 404, SOCKS bytes are a 400. Expect
# not-proxy, no protocol open or suspect, exit status 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/pxtest.sh"
px_require
px_config

mkdir -p "$T/www"
web=$(free_port)
rw_bg python3 -m http.server "$web" --bind 127.0.0.1 --directory "$T/www"
webpid=$RW_LASTPID
wait_port 127.0.0.1 "$web" 10 || fail "python3 http.server on 127.0.0.1:$web did not answer within 10s"
px_relaywatch "$T/web.json" "127.0.0.1:$web"
px_expect "$T/web.json" not-proxy
px_not_open "$T/web.json" http-connect http-post http-get socks5 socks4 socks4a telnet
px_rc 0 "no proxy"
kill "$webpid" 2>/dev/null
echo "PASS: a web server is not-proxy"
