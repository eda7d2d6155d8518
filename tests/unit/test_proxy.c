/*
 * NAME
 *	test_proxy - open-proxy attempts: every protocol against scripted proxies
 * SUMMARY
 *	table of {protocol, canary, the proxy's bytes, outcome, status, software}
 * DESCRIPTION
 *	Each case's answer is a template: {BANNER} is the canary's greeting
 *	with a fresh nonce (bind "0"), {HELO} its reply to our HELO with a
 *	nonce bound to the attempt's probe id, {N0}/{NB} those nonces alone,
 *	{NF} a nonce under another key (forged), {NO} a banner nonce written
 *	before the attempt began, {NX} an expired bound nonce, {NOTHER} a
 *	valid nonce bound to another probe, {ID} the probe id, {PAD} 9000
 *	bytes of 'a', {BIG} 17000 bytes of text, {LINES} 120 header lines. Every case runs whole,
 *one byte at a time and split in two at every point (every few points for long answers), and all
 *runs must agree on outcome, status, software, reason and both transcripts. The do-no-harm test
 *checks that every request of every protocol names the canary and nothing else, whatever the proxy
 *answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/dbuf.h"
#include "../../src/core/limits.h"
#include "../../src/proxy/nonce.h"
#include "../../src/proxy/proxy.h"

#define NOW  1800000000LL
#define V4   "192.0.2.25"
#define V6   "2001:db8::25"
#define PEER "198.51.100.9"
#define ID   "rwptest.0123456789abcdef"

static const struct token_key key = {.k = {7, 1, 7, 1, 7, 1, 7, 1, 9, 9, 9, 9, 3, 3, 3, 3,
                                           4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 8, 8, 8, 8}};
static const struct token_key other_key = {.k = {0x42}};

enum end { END_EOF, END_TIMEOUT, END_NONE };

struct px_case {
	const char *name;
	enum proxy_proto proto;
	const char *canary; /* NULL: V4 */
	const char *answer;
	size_t alen; /* 0: strlen(answer); set when it holds a NUL */
	enum end end;
	enum px_outcome want;
	int status;
	const char *software;  /* NULL: "" */
	const char *want_sent; /* bytes that must be among those sent ({ID} expands) */
};

#define BYTES(s) .answer = s, .alen = sizeof(s) - 1

/* the canary's side of a good conversation */
#define CANARY "{BANNER}{HELO}221 canary closing\r\n"

static const struct px_case cases[] = {
    /* ---- http-connect ---- */
    {.name = "connect: open",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 Connection established\r\nProxy-Agent: Fooproxy/1.0\r\n\r\n" CANARY,
     .want = PXO_OPEN,
     .status = 200,
     .software = "Fooproxy/1.0",
     .want_sent = "HELO {ID}\r\n"},
    {.name = "connect: open, LF-only head",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.0 200 OK\nServer:  tinyproxy/1.11  \n\n" CANARY,
     .want = PXO_OPEN,
     .status = 200,
     .software = "tinyproxy/1.11"},
    {.name = "connect: open after 100 Continue",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n" CANARY,
     .want = PXO_OPEN,
     .status = 200},
    {.name = "connect: open, IPv6 canary",
     .proto = PX_HTTP_CONNECT,
     .canary = V6,
     .answer = "HTTP/1.1 200 OK\r\nVia: 1.1 gw\r\n\r\n" CANARY,
     .want = PXO_OPEN,
     .status = 200,
     .software = "1.1 gw",
     .want_sent = "CONNECT [" V6 "]:25 HTTP/1.1\r\n"},
    {.name = "connect: banner nonce, then closed",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n{BANNER}",
     .want = PXO_OPEN,
     .status = 200},
    {.name = "connect: banner nonce, then timeout",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n{BANNER}",
     .end = END_TIMEOUT,
     .want = PXO_OPEN,
     .status = 200},
    {.name = "connect: banner nonce, HELO answered without one",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n{BANNER}250 canary\r\n",
     .end = END_NONE,
     .want = PXO_OPEN,
     .status = 200},
    {.name = "connect: bound nonce decides at once",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n220 canary {N0}\r\n250-canary {NB}\r\n",
     .end = END_NONE,
     .want = PXO_OPEN,
     .status = 200},
    {.name = "connect: fake banner",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n220 mail.example ESMTP ready\r\n250 mail.example\r\n",
     .end = END_NONE,
     .want = PXO_SUSPECT,
     .status = 200,
     .want_sent = "HELO {ID}\r\n"},
    {.name = "connect: portal page",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n<html><body>Please log in</body></html>",
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "connect: 200 then nothing",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n",
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "connect: 200 then silence",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n",
     .end = END_TIMEOUT,
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "connect: forged nonce",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n220 canary {NF}\r\n250 canary {NF}\r\n",
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "connect: old banner nonce",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n220 canary {NO}\r\n250 canary\r\n",
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "connect: expired bound nonce",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n220 canary\r\n250 canary {NX}\r\n",
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "connect: tunnel line too long",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n\r\n{PAD}",
     .end = END_NONE,
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "connect: 407",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\n"
               "Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n",
     .end = END_NONE,
     .want = PXO_AUTH,
     .status = 407,
     .software = "squid/5.7"},
    {.name = "connect: 403",
     .proto = PX_HTTP_CONNECT,
     .answer =
         "HTTP/1.1 403 Forbidden\r\nServer: squid\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\n\r\n",
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = 403,
     .software = "squid"},
    {.name = "connect: 502 with Via",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 502 Bad Gateway\r\nVia: 1.1 proxy (squid/4.13)\r\n\r\n",
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = 502,
     .software = "1.1 proxy (squid/4.13)"},
    {.name = "connect: 500",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 500 Internal Server Error\r\n\r\n",
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = 500},
    {.name = "connect: 404 web server",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\n\r\n<html>",
     .end = END_NONE,
     .want = PXO_NOT_PROXY,
     .status = 404,
     .software = "nginx/1.22.1"},
    {.name = "connect: 405 web server",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 405 Method Not Allowed\r\nServer: Apache/2.4.57 (Debian)\r\n"
               "Allow: GET,POST,OPTIONS,HEAD\r\n\r\n",
     .end = END_NONE,
     .want = PXO_NOT_PROXY,
     .status = 405,
     .software = "Apache/2.4.57 (Debian)"},
    {.name = "connect: 405 from a proxy",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 405 Method Not Allowed\r\nX-Cache: MISS from gw\r\n\r\n",
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = 405},
    {.name = "connect: 400 web server, LF only",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.0 400 Bad Request\nServer: lighttpd\n\n",
     .end = END_NONE,
     .want = PXO_NOT_PROXY,
     .status = 400,
     .software = "lighttpd"},
    {.name = "connect: garbage",
     .proto = PX_HTTP_CONNECT,
     .answer = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1\r\n",
     .end = END_NONE,
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "connect: short garbage, then closed",
     BYTES("\x15\x03\x01\x00\x02\x02\x50"),
     .proto = PX_HTTP_CONNECT,
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "connect: malformed status line",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 OK\r\n\r\n",
     .end = END_NONE,
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "connect: closed at the request",
     .proto = PX_HTTP_CONNECT,
     .answer = "",
     .want = PXO_CLOSED,
     .status = -1},
    {.name = "connect: silent",
     .proto = PX_HTTP_CONNECT,
     .answer = "",
     .end = END_TIMEOUT,
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "connect: closed mid-head",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\nServer: x",
     .want = PXO_ERROR,
     .status = 200},
    {.name = "connect: drip, then timeout",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 2",
     .end = END_TIMEOUT,
     .want = PXO_ERROR,
     .status = -1},
    {.name = "connect: oversized head",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\nX-Pad: {PAD}\r\n\r\n",
     .end = END_NONE,
     .want = PXO_ERROR,
     .status = 200},
    {.name = "connect: too many head lines",
     .proto = PX_HTTP_CONNECT,
     .answer = "HTTP/1.1 200 OK\r\n{LINES}\r\n",
     .end = END_NONE,
     .want = PXO_ERROR,
     .status = 200},
    /* ---- socks5 ---- */
    {.name = "socks5: open",
     BYTES("\x05\x00\x05\x00\x00\x01\xc0\x00\x02\x19\x00\x19" CANARY),
     .proto = PX_SOCKS5,
     .want = PXO_OPEN,
     .status = 0,
     .want_sent = "HELO {ID}\r\n"},
    {.name = "socks5: open, domain BND.ADDR",
     BYTES("\x05\x00\x05\x00\x00\x03\x05proxy\x04\x38" CANARY),
     .proto = PX_SOCKS5,
     .want = PXO_OPEN,
     .status = 0},
    {.name = "socks5: open, IPv6 canary",
     BYTES("\x05\x00\x05\x00\x00\x04"
           "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x04\x38" CANARY),
     .proto = PX_SOCKS5,
     .canary = V6,
     .want = PXO_OPEN,
     .status = 0},
    {.name = "socks5: user/pass",
     BYTES("\x05\x02"),
     .proto = PX_SOCKS5,
     .end = END_NONE,
     .want = PXO_AUTH,
     .status = -1},
    {.name = "socks5: no acceptable method",
     BYTES("\x05\xff"),
     .proto = PX_SOCKS5,
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = -1},
    {.name = "socks5: chose GSSAPI",
     BYTES("\x05\x01"),
     .proto = PX_SOCKS5,
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = -1},
    {.name = "socks5: not allowed by ruleset",
     BYTES("\x05\x00\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00"),
     .proto = PX_SOCKS5,
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = 2},
    {.name = "socks5: connection refused, cut short",
     BYTES("\x05\x00\x05\x05"),
     .proto = PX_SOCKS5,
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = 5},
    {.name = "socks5: granted, fake banner",
     BYTES("\x05\x00\x05\x00\x00\x01\xc0\x00\x02\x19\x00\x19"
           "220 honeypot ESMTP\r\n250 honeypot\r\n"),
     .proto = PX_SOCKS5,
     .end = END_NONE,
     .want = PXO_SUSPECT,
     .status = 0},
    {.name = "socks5: HTTP answer",
     .proto = PX_SOCKS5,
     .answer = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n",
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "socks5: drip, then timeout",
     BYTES("\x05\x00\x05\x00\x00\x01\xc0"),
     .proto = PX_SOCKS5,
     .end = END_TIMEOUT,
     .want = PXO_ERROR,
     .status = 0},
    {.name = "socks5: closed at the CONNECT request",
     BYTES("\x05\x00"),
     .proto = PX_SOCKS5,
     .want = PXO_CLOSED,
     .status = -1},
    {.name = "socks5: closed mid-reply",
     BYTES("\x05"),
     .proto = PX_SOCKS5,
     .want = PXO_ERROR,
     .status = -1},
    /* ---- socks4 / socks4a ---- */
    {.name = "socks4: open",
     BYTES("\x00\x5a\x00\x19\xc0\x00\x02\x19" CANARY),
     .proto = PX_SOCKS4,
     .want = PXO_OPEN,
     .status = 90},
    {.name = "socks4: open, VN 4",
     BYTES("\x04\x5a\x00\x00\x00\x00\x00\x00" CANARY),
     .proto = PX_SOCKS4,
     .want = PXO_OPEN,
     .status = 90},
    {.name = "socks4: rejected",
     BYTES("\x00\x5b\x00\x00\x00\x00\x00\x00"),
     .proto = PX_SOCKS4,
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = 91},
    {.name = "socks4: identd mismatch",
     BYTES("\x00\x5d\x00\x00\x00\x00\x00\x00"),
     .proto = PX_SOCKS4,
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = 93},
    {.name = "socks4: HTTP answer",
     .proto = PX_SOCKS4,
     .answer = "HTTP/1.0 400 Bad Request\r\n\r\n",
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "socks4: granted, nothing",
     BYTES("\x00\x5a\x00\x00\x00\x00\x00\x00"),
     .proto = PX_SOCKS4,
     .want = PXO_SUSPECT,
     .status = 90},
    {.name = "socks4a: open",
     BYTES("\x00\x5a\x00\x19\xc0\x00\x02\x19" CANARY),
     .proto = PX_SOCKS4A,
     .want = PXO_OPEN,
     .status = 90},
    {.name = "socks4a: open, IPv6 canary",
     BYTES("\x00\x5a\x00\x00\x00\x00\x00\x00" CANARY),
     .proto = PX_SOCKS4A,
     .canary = V6,
     .want = PXO_OPEN,
     .status = 90},
    /* ---- http-get / http-post ---- */
    {.name = "get: open",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 200 OK\r\nVia: 1.1 squid\r\nContent-Type: text/plain\r\n\r\n"
               "relaywatch canary {NB}\r\n",
     .end = END_NONE,
     .want = PXO_OPEN,
     .status = 200,
     .software = "1.1 squid",
     .want_sent = "GET http://" V4 ":25/rwp/{ID} HTTP/1.0\r\n"},
    {.name = "get: open, nonce in a header",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.0 200 OK\r\nX-Canary: {NB}\r\nServer: canary\r\n\r\nhello",
     .end = END_NONE,
     .want = PXO_OPEN,
     .status = 200},
    {.name = "get: open, nonce at the very end",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.0 200 OK\r\n\r\n{NB}",
     .want = PXO_OPEN,
     .status = 200},
    {.name = "get: open, body cut by timeout",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.0 200 OK\r\n\r\nnonce {NB}",
     .end = END_TIMEOUT,
     .want = PXO_OPEN,
     .status = 200},
    {.name = "get: HTTP/0.9 raw pass-through",
     .proto = PX_HTTP_GET,
     .answer = "{BANNER}500 5.5.1 command unrecognized\r\n",
     .end = END_NONE,
     .want = PXO_OPEN,
     .status = -1},
    {.name = "get: 200 from a proxy, no nonce",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 200 OK\r\nX-Cache: MISS from portal\r\n\r\n<html>welcome</html>",
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "get: web server's own page",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 200 OK\r\nServer: Apache\r\n\r\n<html>It works!</html>",
     .want = PXO_NOT_PROXY,
     .status = 200,
     .software = "Apache"},
    {.name = "get: forged nonce",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 200 OK\r\n\r\n{NF}\r\n",
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "get: nonce of another probe",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 200 OK\r\n\r\n{NOTHER}\r\n",
     .want = PXO_SUSPECT,
     .status = 200},
    {.name = "get: 407",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
     .want = PXO_AUTH,
     .status = 407},
    {.name = "get: 403",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 403 Forbidden\r\n\r\n",
     .want = PXO_CLOSED,
     .status = 403},
    {.name = "get: 504",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 504 Gateway Timeout\r\n\r\n",
     .end = END_TIMEOUT,
     .want = PXO_CLOSED,
     .status = 504},
    {.name = "get: 404",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 404 Not Found\r\n\r\n",
     .want = PXO_NOT_PROXY,
     .status = 404},
    {.name = "get: 404 from a proxy",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 404 Not Found\r\nVia: 1.1 cache\r\n\r\n",
     .want = PXO_CLOSED,
     .status = 404,
     .software = "1.1 cache"},
    {.name = "get: garbage",
     .proto = PX_HTTP_GET,
     .answer = "220 mx.example ESMTP\r\n500 5.5.2 what?\r\n",
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "get: drip, then timeout",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 200 O",
     .end = END_TIMEOUT,
     .want = PXO_ERROR,
     .status = -1},
    {.name = "get: answer past the limit",
     .proto = PX_HTTP_GET,
     .answer = "HTTP/1.1 200 OK\r\nServer: big\r\n\r\n{BIG}",
     .end = END_NONE,
     .want = PXO_NOT_PROXY,
     .status = 200,
     .software = "big"},
    {.name = "post: open",
     .proto = PX_HTTP_POST,
     .answer = "HTTP/1.0 200 OK\r\n\r\n220 canary {N0}\r\n250 canary {NB}\r\n221 bye\r\n",
     .end = END_NONE,
     .want = PXO_OPEN,
     .status = 200,
     .want_sent = "Content-Length: 37\r\nConnection: close\r\n\r\nHELO {ID}\r\nQUIT\r\n"},
    {.name = "post: 403",
     .proto = PX_HTTP_POST,
     .answer = "HTTP/1.1 403 Forbidden\r\nServer: squid\r\n\r\n",
     .want = PXO_CLOSED,
     .status = 403,
     .software = "squid"},
    /* ---- telnet ---- */
    {.name = "telnet: WinGate with IAC",
     BYTES("\xff\xfb\x01\xff\xfb\x03\xff\xfd\x18\xff\xfd\x1fWinGate> "
           "Connecting to host " V4 "...Connected\r\n" CANARY),
     .proto = PX_TELNET,
     .want = PXO_OPEN,
     .status = -1,
     .software = "WinGate",
     .want_sent = "\xff\xfe\x01\xff\xfe\x03\xff\xfc\x18\xff\xfc\x1f" V4 ":25\r\nHELO {ID}\r\n"},
    {.name = "telnet: WinGate, subnegotiation and IAC IAC",
     BYTES("\xff\xfa\x18\x01\xff\xff\xff\xf0\xff\xf1\xff\xffwingate>" CANARY),
     .proto = PX_TELNET,
     .want = PXO_OPEN,
     .status = -1,
     .software = "WinGate"},
    {.name = "telnet: WinGate, IPv6 canary",
     .proto = PX_TELNET,
     .canary = V6,
     .answer = "WinGate>" CANARY,
     .want = PXO_OPEN,
     .status = -1,
     .software = "WinGate",
     .want_sent = "[" V6 "]:25\r\n"},
    {.name = "telnet: WinGate, CR NUL",
     BYTES("Welcome\r\0\nWinGate>" CANARY),
     .proto = PX_TELNET,
     .want = PXO_OPEN,
     .status = -1,
     .software = "WinGate"},
    {.name = "telnet: WinGate, fake banner",
     .proto = PX_TELNET,
     .answer = "WinGate>220 fake ESMTP\r\n250 fake\r\n",
     .end = END_NONE,
     .want = PXO_SUSPECT,
     .status = -1,
     .software = "WinGate"},
    {.name = "telnet: router",
     .proto = PX_TELNET,
     .answer = "\r\n\r\nrouter1>telnet " V4 " 25\r\nTrying " V4 ", 25 ... Open\r\n" CANARY,
     .want = PXO_OPEN,
     .status = -1,
     .want_sent = "telnet " V4 " 25\r\nHELO {ID}\r\n"},
    {.name = "telnet: router, IPv6 canary",
     .proto = PX_TELNET,
     .canary = V6,
     .answer = "gw-2.lab#" CANARY,
     .want = PXO_OPEN,
     .status = -1,
     .want_sent = "telnet " V6 " 25\r\n"},
    {.name = "telnet: router, refused",
     .proto = PX_TELNET,
     .answer = "gw#\r\nTrying " V4 ", 25 ...\r\n% Connection refused by remote host\r\n",
     .end = END_NONE,
     .want = PXO_CLOSED,
     .status = -1},
    {.name = "telnet: Cisco login",
     .proto = PX_TELNET,
     .answer = "\r\n\r\nUser Access Verification\r\n\r\nUsername: ",
     .end = END_NONE,
     .want = PXO_AUTH,
     .status = -1},
    {.name = "telnet: Linux login with IAC",
     BYTES("\xff\xfd\x18\xff\xfd\x20\r\nDebian GNU/Linux 12\r\nhost login:"),
     .proto = PX_TELNET,
     .end = END_NONE,
     .want = PXO_AUTH,
     .status = -1},
    {.name = "telnet: password",
     .proto = PX_TELNET,
     .answer = "Password:",
     .end = END_NONE,
     .want = PXO_AUTH,
     .status = -1},
    {.name = "telnet: SMTP server",
     .proto = PX_TELNET,
     .answer = "220 mx.example ESMTP Postfix (Debian/GNU)\r\n",
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "telnet: HTTP server",
     .proto = PX_TELNET,
     .answer = "HTTP/1.1 400 Bad Request\r\n",
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "telnet: binary",
     BYTES("\x16\x03\x01\x00\xa5\x01\x00"),
     .proto = PX_TELNET,
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "telnet: text, no prompt",
     .proto = PX_TELNET,
     .answer = "Welcome to the BBS\r\nGoodbye\r\n",
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "telnet: text, no prompt, timeout",
     .proto = PX_TELNET,
     .answer = "Press any key",
     .end = END_TIMEOUT,
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "telnet: silent",
     .proto = PX_TELNET,
     .answer = "",
     .end = END_TIMEOUT,
     .want = PXO_NOT_PROXY,
     .status = -1},
    {.name = "telnet: closed at once",
     .proto = PX_TELNET,
     .answer = "",
     .want = PXO_CLOSED,
     .status = -1},
    {.name = "telnet: endless text",
     .proto = PX_TELNET,
     .answer = "{PAD}",
     .end = END_NONE,
     .want = PXO_NOT_PROXY,
     .status = -1},
};

/* ---- answers --------------------------------------------------------- */

/* nonce - a canary nonce: bind "0" or the id, written at t, under k */
static void nonce(char *out, const struct token_key *k, long long t, const char *bind)
{
	struct nonce_fields f = {.time = t, .serial = 42};

	snprintf(f.peer, sizeof(f.peer), "%s", PEER);
	snprintf(f.bind, sizeof(f.bind), "%s", bind);
	nonce_make(k, &f, out, NONCE_MAX);
}

/* expand - the case's answer with its placeholders filled for id */
static char *expand(const struct px_case *tc, const char *id, size_t *len)
{
	struct dbuf b;
	size_t n = tc->alen ? tc->alen : strlen(tc->answer);
	char nz[NONCE_MAX], nb[NONCE_MAX], nf[NONCE_MAX], no[NONCE_MAX], nx[NONCE_MAX],
	    nother[NONCE_MAX];

	nonce(nz, &key, NOW, "0");
	nonce(nb, &key, NOW + 1, id);
	nonce(nf, &other_key, NOW, id);
	nonce(no, &key, NOW - 60, "0");
	nonce(nx, &key, NOW - RW_PROXY_NONCE_AGE - 100, id);
	nonce(nother, &key, NOW, "rwpget.ffffffffffffffff");
	dbuf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		const char *p = tc->answer + i, *e = memchr(p, '}', n - i);
		size_t kl = e ? (size_t)(e - p) + 1 : 0;

#define IS(k) (kl == strlen(k) && memcmp(p, k, kl) == 0)
		if (*p != '{' || !e) {
			dbuf_addc(&b, *p);
			continue;
		}
		if (IS("{BANNER}"))
			dbuf_printf(&b, "220 canary ESMTP relaywatch canary %s\r\n", nz);
		else if (IS("{HELO}"))
			dbuf_printf(&b, "250 canary %s\r\n", nb);
		else if (IS("{N0}"))
			dbuf_adds(&b, nz);
		else if (IS("{NB}"))
			dbuf_adds(&b, nb);
		else if (IS("{NF}"))
			dbuf_adds(&b, nf);
		else if (IS("{NO}"))
			dbuf_adds(&b, no);
		else if (IS("{NX}"))
			dbuf_adds(&b, nx);
		else if (IS("{NOTHER}"))
			dbuf_adds(&b, nother);
		else if (IS("{ID}"))
			dbuf_adds(&b, id);
		else if (IS("{PAD}"))
			for (int k = 0; k < 9000; k++)
				dbuf_addc(&b, 'a');
		else if (IS("{BIG}"))
			for (int k = 0; k < 1700; k++)
				dbuf_adds(&b, "0123456 \r\n");
		else if (IS("{LINES}"))
			for (int k = 0; k < 120; k++)
				dbuf_printf(&b, "X-Line-%d: y\r\n", k);
		else {
			dbuf_addc(&b, *p);
			continue;
		}
#undef IS
		i += kl - 1;
	}
	*len = b.len;
	return dbuf_steal(&b);
}

/* ---- runs ------------------------------------------------------------------ */

struct got {
	enum px_outcome outcome;
	int status, decided_early, has_nonce;
	char software[64], reason[256];
	char *sent, *received, *out;
	size_t outlen;
};

static void got_free(struct got *g)
{
	free(g->sent);
	free(g->received);
	free(g->out);
}

/* canary - the case's canary */
static struct proxy_canary canary_of(const struct px_case *tc)
{
	struct proxy_canary c = {.port = 25};

	snprintf(c.addr, sizeof(c.addr), "%s", tc->canary ? tc->canary : V4);
	return c;
}

/* run - feed in chunks of step (0: split once at split), then end */
static struct got run(const struct px_case *tc, const char *id, size_t step, size_t split)
{
	struct proxy_canary c = canary_of(tc);
	struct pxa *a = pxa_new(tc->proto, &c, &key, NOW);
	const struct pxa_report *r;
	struct dbuf out;
	struct got g = {0};
	size_t n;
	char *in;
	int done = 0;

	if (id)
		assert_int_equal(pxa_set_probe_id(a, id), 0);
	in = expand(tc, pxa_report(a)->probe_id, &n);
	dbuf_init(&out, 0);
	pxa_start(a, &out);
	if (step) {
		for (size_t off = 0; off < n && !done; off += step)
			done =
			    pxa_feed(a, in + off, off + step <= n ? step : n - off, &out, NOW + 1);
	} else {
		done = pxa_feed(a, in, split, &out, NOW + 1);
		if (!done)
			done = pxa_feed(a, in + split, n - split, &out, NOW + 1);
	}
	g.decided_early = done;
	if (done)
		assert_int_equal(pxa_feed(a, "x", 1, &out, NOW + 1), 1); /* ignored */
	if (tc->end == END_EOF)
		pxa_eof(a, NOW + 2);
	else if (tc->end == END_TIMEOUT)
		pxa_timeout(a, NOW + 30);
	else if (!done)
		pxa_eof(a, NOW + 2); /* check() reports it */
	assert_true(pxa_decided(a));
	r = pxa_report(a);
	g.outcome = r->outcome;
	g.status = r->status;
	g.has_nonce = r->has_nonce;
	snprintf(g.software, sizeof(g.software), "%s", r->software);
	snprintf(g.reason, sizeof(g.reason), "%s", r->reason);
	g.sent = strdup(r->sent);
	g.received = strdup(r->received);
	assert_true(strlen(r->sent) <= RW_PROXY_EVIDENCE_MAX);
	assert_true(strlen(r->received) <= RW_PROXY_EVIDENCE_MAX);
	assert_true(r->reason[0] != '\0' && strchr(r->reason, '\n') == NULL);
	assert_int_equal(r->has_nonce, r->outcome == PXO_OPEN);
	if (r->has_nonce) {
		struct nonce_fields f;

		assert_int_equal(nonce_verify(&key, r->nonce, NOW + 1, 0, &f), TOKEN_VALID);
		assert_string_equal(r->canary.peer, PEER);
	}
	g.outlen = out.len;
	g.out = dbuf_steal(&out);
	if (tc->want_sent) {
		struct px_case w = {.answer = tc->want_sent};
		size_t wl;
		char *want = expand(&w, r->probe_id, &wl);

		if (!memmem(g.out, g.outlen, want, wl)) {
			print_error("case \"%s\": sent bytes lack the expected ones:\n%s\n",
			            tc->name, r->sent);
			fail();
		}
		free(want);
	}
	free(in);
	pxa_free(a);
	return g;
}

/* check - one run against the case, and against the whole run */
static void check(const struct px_case *tc, const char *how, struct got *g, const struct got *ref)
{
	const char *sw = tc->software ? tc->software : "";

	if (g->outcome != tc->want || g->status != tc->status || strcmp(g->software, sw) != 0) {
		print_error("case \"%s\" fed %s: got %s status %d software \"%s\" (%s), "
		            "want %s status %d software \"%s\"\nreceived: %s\n",
		            tc->name, how, px_outcome_name(g->outcome), g->status, g->software,
		            g->reason, px_outcome_name(tc->want), tc->status, sw, g->received);
		fail();
	}
	if (tc->end == END_NONE && !g->decided_early) {
		print_error("case \"%s\" fed %s: undecided before the end\n", tc->name, how);
		fail();
	}
	if (ref && (strcmp(g->reason, ref->reason) != 0 || strcmp(g->sent, ref->sent) != 0 ||
	            strcmp(g->received, ref->received) != 0 || g->outlen != ref->outlen ||
	            memcmp(g->out, ref->out, g->outlen) != 0)) {
		print_error("case \"%s\" fed %s differs from whole:\nreason %s\n  vs   %s\n"
		            "sent %s\n vs  %s\nreceived %s\n  vs     %s\n",
		            tc->name, how, g->reason, ref->reason, g->sent, ref->sent, g->received,
		            ref->received);
		fail();
	}
}

/* test_case - one row: whole, byte by byte, split everywhere */
static void test_case(void **state)
{
	const struct px_case *tc = *state;
	struct got whole = run(tc, ID, (size_t)-1 / 2, 0), g;
	size_t n, every;
	char *in = expand(tc, ID, &n), how[64];

	free(in);
	check(tc, "whole", &whole, NULL);
	if (getenv("PX_VERBOSE")) /* the reasons and transcripts, for people */
		printf("%-45s %-13s %3d | %s\n%50s sent: %s\n%50s recv: %.200s\n", tc->name,
		       px_outcome_name(whole.outcome), whole.status, whole.reason, "", whole.sent,
		       "", whole.received);
	g = run(tc, ID, 1, 0);
	check(tc, "byte by byte", &g, &whole);
	got_free(&g);
	every = n > 2048 ? n / 499 : 1;
	for (size_t s = 0; s <= n; s += every) {
		snprintf(how, sizeof(how), "split at %zu", s);
		g = run(tc, ID, 0, s);
		check(tc, how, &g, &whole);
		got_free(&g);
	}
	/* and with a random probe id, as the prober runs it */
	g = run(tc, NULL, 7, 0);
	check(tc, "in chunks of 7, random id", &g, NULL);
	got_free(&g);
	got_free(&whole);
}

/* ---- do no harm -------------------------------------------------------------- */

/* request - what a protocol must send to reach the tunnel, byte for byte */
static size_t request(enum proxy_proto p, const char *addr, const char *id, unsigned char *b)
{
	int v6 = strchr(addr, ':') != NULL;
	char hp[80];
	size_t n = 0;

	snprintf(hp, sizeof(hp), v6 ? "[%s]:25" : "%s:25", addr);
	switch (p) {
	case PX_HTTP_CONNECT:
		return (size_t)sprintf(
		    (char *)b, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: relaywatch\r\n\r\n",
		    hp, hp);
	case PX_HTTP_GET:
		return (size_t)sprintf((char *)b,
		                       "GET http://%s/rwp/%s HTTP/1.0\r\nHost: %s\r\nUser-Agent: "
		                       "relaywatch\r\nAccept: */*\r\nConnection: close\r\n\r\n",
		                       hp, id, hp);
	case PX_HTTP_POST:
		return (size_t)sprintf(
		    (char *)b,
		    "POST http://%s/rwp/%s HTTP/1.0\r\nHost: %s\r\nUser-Agent: relaywatch\r\n"
		    "Content-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n"
		    "HELO %s\r\nQUIT\r\n",
		    hp, id, hp, strlen(id) + 13, id);
	case PX_SOCKS5:
		memcpy(b, "\x05\x02\x00\x02\x05\x01\x00", 7);
		n = 7;
		if (v6) {
			static const unsigned char a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x25};
			b[n++] = 4;
			memcpy(b + n, a6, 16);
			n += 16;
		} else {
			memcpy(b + n, "\x01\xc0\x00\x02\x19", 5);
			n += 5;
		}
		b[n++] = 0;
		b[n++] = 25;
		return n;
	case PX_SOCKS4:
		memcpy(b, "\x04\x01\x00\x19\xc0\x00\x02\x19relaywatch", 19);
		return 19;
	case PX_SOCKS4A:
		memcpy(b, "\x04\x01\x00\x19\x00\x00\x00\x01relaywatch", 19);
		return 19 + (size_t)sprintf((char *)b + 19, "%s", addr) + 1;
	case PX_TELNET:
		return (size_t)sprintf((char *)b, "%s\r\n", hp);
	default:
		fail();
	}
	return 0;
}

/* answer - what takes each protocol into its tunnel, and then a hostile redirect */
static const char *hostile_answer(enum proxy_proto p, size_t *n)
{
	static const char http[] = "HTTP/1.1 200 OK\r\nLocation: http://198.51.100.7:25/\r\n\r\n"
	                           "220 198.51.100.7 please connect to 198.51.100.7 port 2525\r\n";
	static const char s5[] = "\x05\x00\x05\x00\x00\x01\xc6\x33\x64\x07\x09\xdd"
	                         "220 198.51.100.7 ESMTP\r\n";
	static const char s4[] = "\x00\x5a\x09\xdd\xc6\x33\x64\x07"
	                         "220 198.51.100.7 ESMTP\r\n";
	static const char tn[] = "WinGate>Connect to 198.51.100.7 instead\r\n220 198.51.100.7\r\n";

	switch (p) {
	case PX_SOCKS5:
		*n = sizeof(s5) - 1;
		return s5;
	case PX_SOCKS4:
	case PX_SOCKS4A:
		*n = sizeof(s4) - 1;
		return s4;
	case PX_TELNET:
		*n = sizeof(tn) - 1;
		return tn;
	default:
		*n = sizeof(http) - 1;
		return http;
	}
}

/* test_do_no_harm - every request names the canary, and nothing else is ever sent */
static void test_do_no_harm(void **state)
{
	static const char *const addrs[] = {V4, V6};

	for (int p = 0; p < PX__COUNT; p++) {
		for (size_t k = 0; k < 2; k++) {
			struct proxy_canary c = {.port = 25};
			unsigned char want[512];
			size_t wl, hl;
			const char *hostile;
			struct dbuf out;
			struct pxa *a;

			snprintf(c.addr, sizeof(c.addr), "%s", addrs[k]);
			if (!proxy_proto_applies(p, &c)) {
				assert_true(p == PX_SOCKS4 && k == 1);
				continue;
			}
			a = pxa_new(p, &c, &key, NOW);
			assert_int_equal(pxa_set_probe_id(a, ID), 0);
			wl = request(p, addrs[k], ID, want);
			if (p != PX_HTTP_GET && p != PX_HTTP_POST) {
				memcpy(want + wl, "HELO " ID "\r\n", strlen(ID) + 7);
				wl += strlen(ID) + 7;
			}
			dbuf_init(&out, 0);
			pxa_start(a, &out);
			hostile = hostile_answer(p, &hl);
			for (size_t i = 0; i < hl; i++)
				pxa_feed(a, hostile + i, 1, &out, NOW + 1);
			pxa_eof(a, NOW + 2);
			if (out.len != wl || memcmp(out.data, want, wl) != 0 ||
			    memmem(out.data, out.len, "198.51.100", 10) ||
			    memmem(out.data, out.len, "2525", 4)) {
				print_error("%s to %s sent: %s\n", proxy_proto_name(p), addrs[k],
				            pxa_report(a)->sent);
				fail();
			}
			assert_true(pxa_report(a)->outcome == PXO_SUSPECT ||
			            pxa_report(a)->outcome == PXO_NOT_PROXY);
			dbuf_free(&out);
			pxa_free(a);
		}
	}
}

/* ---- the table ----------------------------------------------------------------- */

static void test_table(void **state)
{
	unsigned short ports[32];
	size_t n = proxy_default_ports(ports, 32);
	static const unsigned short want[] = {23,   80,   1080, 1081, 3128,
	                                      6588, 8000, 8080, 8081, 8888};
	static const char *const names[] = {"http-connect", "socks5",   "socks4", "socks4a",
	                                    "http-post",    "http-get", "telnet"};
	struct proxy_canary c4 = {.addr = V4, .port = 25}, c6 = {.addr = V6, .port = 25},
	                    bad = {.addr = "evil\r\nHost: x", .port = 25}, p0 = {.addr = V4};

	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	assert_memory_equal(ports, want, sizeof(want));
	assert_int_equal(proxy_default_ports(ports, 3), 3);
	assert_int_equal(ports[2], 1080);
	for (int i = 0; i < PX__COUNT; i++) {
		assert_string_equal(proxy_proto_name(i), names[i]);
		assert_int_equal(proxy_proto_by_name(names[i]), i);
		assert_true(proxy_proto_ports(i)[0] != 0);
		assert_true(proxy_proto_applies(i, &c4));
		assert_int_equal(proxy_proto_applies(i, &c6), i != PX_SOCKS4);
		assert_false(proxy_proto_applies(i, &bad));
		assert_false(proxy_proto_applies(i, &p0));
	}
	assert_int_equal(proxy_proto_by_name("socks6"), -1);
	assert_string_equal(proxy_proto_name(PX__COUNT), "?");
	assert_string_equal(px_outcome_name(PXO_OPEN), "open");
	assert_string_equal(px_outcome_name(PXO_SUSPECT), "suspect");
	assert_string_equal(px_outcome_name(PXO_CLOSED), "closed");
	assert_string_equal(px_outcome_name(PXO_AUTH), "auth-required");
	assert_string_equal(px_outcome_name(PXO_NOT_PROXY), "not-proxy");
	assert_string_equal(px_outcome_name(PXO_UNREACHABLE), "unreachable");
	assert_string_equal(px_outcome_name(PXO_ERROR), "error");
}

/* test_unreachable - the I/O layer's verdict, and its id */
static void test_unreachable(void **state)
{
	struct proxy_canary c = {.addr = V4, .port = 25};
	struct pxa *a = pxa_new(PX_SOCKS5, &c, &key, NOW);

	assert_true(nonce_id_valid(pxa_report(a)->probe_id));
	assert_memory_equal(pxa_report(a)->probe_id, "rwpsocks5.", 10);
	assert_false(pxa_answered(a));
	assert_int_equal(pxa_set_probe_id(a, "not an id"), -1);
	pxa_unreachable(a, "connection refused");
	assert_true(pxa_decided(a));
	assert_int_equal(pxa_report(a)->outcome, PXO_UNREACHABLE);
	assert_string_equal(pxa_report(a)->reason, "connection refused");
	pxa_eof(a, NOW);
	assert_int_equal(pxa_report(a)->outcome, PXO_UNREACHABLE);
	assert_null(pxa_free(a));
	assert_null(pxa_free(NULL));
}

/* test_transcript_cap - 4 KiB of escaped evidence at most, cut with "..." */
static void test_transcript_cap(void **state)
{
	struct proxy_canary c = {.addr = V4, .port = 25};
	struct pxa *a = pxa_new(PX_HTTP_GET, &c, &key, NOW);
	struct dbuf out;
	char chunk[1000];
	const char *r;

	memset(chunk, 0x01, sizeof(chunk));
	memcpy(chunk, "HTTP/1.1 200 OK\r\n\r\n", 19);
	dbuf_init(&out, 0);
	pxa_start(a, &out);
	for (int i = 0; i < 10; i++)
		pxa_feed(a, chunk + (i ? 19 : 0), sizeof(chunk) - (i ? 19 : 0), &out, NOW);
	pxa_eof(a, NOW);
	r = pxa_report(a)->received;
	assert_true(strlen(r) <= RW_PROXY_EVIDENCE_MAX);
	assert_true(strlen(r) > RW_PROXY_EVIDENCE_MAX - 8);
	assert_string_equal(r + strlen(r) - 3, "...");
	assert_memory_equal(r, "HTTP/1.1 200 OK\\r\\n\\r\\n\\x01", 26);
	assert_int_equal(pxa_report(a)->outcome, PXO_NOT_PROXY);
	dbuf_free(&out);
	pxa_free(a);
}

int main(void)
{
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[NCASES + 4];
	size_t n = 0;

	for (size_t i = 0; i < NCASES; i++)
		tests[n++] =
		    (struct CMUnitTest){cases[i].name, test_case, NULL, NULL, (void *)&cases[i]};
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_do_no_harm);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_table);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_unreachable);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_transcript_cap);
	return _cmocka_run_group_tests("proxy", tests, n, NULL, NULL);
}
