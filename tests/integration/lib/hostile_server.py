#!/usr/bin/env python3
"""hostile_server.py - SMTP peers that lie, drip, flood and break the protocol.

usage: hostile_server.py PORTS_FILE LOG_FILE [LABEL=]MODE...

Listens on 127.0.0.1, one free port per argument (MODE is a function below;
LABEL names the listener, default the mode), writes one "LABEL PORT" line
per listener to PORTS_FILE, then prints "ready" on stdout. Every accepted
connection appends "LABEL" to LOG_FILE, so a test can count how often
relaywatch came back.

Bounds of the server itself: a connection lives at most CONN_MAX seconds,
the process at most LIFE_MAX; every write awaits drain (a flood is as fast as
the peer reads, never buffered here); every read has a deadline.
"""
import asyncio
import random
import socket
import struct
import sys

CONN_MAX = 120        # seconds one connection may live
LIFE_MAX = 240        # seconds the whole server may live
READ_MAX = 30         # seconds to wait for one command line
HOST = b"hostile.test"


class Stop(Exception):
    """The dialogue is over: close the connection."""


class Peer:
    def __init__(self, reader, writer):
        self.r, self.w = reader, writer

    async def send(self, data):
        self.w.write(data)
        await self.w.drain()

    async def drip(self, data, delay):
        for i in range(len(data)):
            await self.send(data[i:i + 1])
            await asyncio.sleep(delay)

    async def line(self):
        line = await asyncio.wait_for(self.r.readline(), READ_MAX)
        if not line:
            raise Stop()
        return line

    async def body(self):
        """Read a message up to the lone dot."""
        while (await self.line()).rstrip(b"\r\n") != b".":
            pass

    async def hold(self):
        """Say nothing until the peer goes away (or CONN_MAX ends it)."""
        while await self.r.read(65536):
            pass
        raise Stop()

    def rst(self):
        """Close with a TCP reset instead of a FIN."""
        sock = self.w.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.w.transport.abort()
        raise Stop()


def verb_of(line):
    return line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper()


# Replies of a plain, closed server: the default for every command a mode
# does not override.
CLOSED = {
    b"EHLO": b"250-" + HOST + b"\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n",
    b"HELO": b"250 " + HOST + b"\r\n",
    b"MAIL": b"250 2.1.0 Ok\r\n",
    b"RCPT": b"554 5.7.1 Relay access denied\r\n",
    b"DATA": b"503 5.5.1 No valid recipients\r\n",
    b"RSET": b"250 2.0.0 Ok\r\n",
    b"NOOP": b"250 2.0.0 Ok\r\n",
    b"QUIT": b"221 2.0.0 Bye\r\n",
}


async def dialogue(p, banner=b"220 " + HOST + b" ESMTP\r\n", **over):
    """A command loop: over[VERB] is bytes to answer or an async function
    (peer, line) doing what it likes; anything else as CLOSED."""
    if banner:
        await p.send(banner)
    while True:
        line = await p.line()
        verb = verb_of(line)
        act = over.get(verb.decode("ascii", "replace"), CLOSED.get(verb))
        if act is None:
            await p.send(b"502 5.5.2 Command not recognized\r\n")
        elif isinstance(act, bytes):
            await p.send(act)
        else:
            await act(p, line)
        if verb == b"QUIT":
            raise Stop()


async def forever(p, chunk, delay=0.0):
    while True:
        await p.send(chunk)
        if delay:
            await asyncio.sleep(delay)


# --- the behaviours -------------------------------------------------------

async def drip_banner(p):
    """'220 ' then one byte a second, forever: the banner never ends."""
    await p.send(b"220 ")
    await forever(p, b"x", 1.0)


async def drip_mail(p):
    """A normal greeting; the reply to MAIL comes one byte a second."""
    async def mail(p, line):
        await p.drip(b"250 2.1.0 Ok, eventually\r\n", 1.0)
    await dialogue(p, MAIL=mail)


async def endless_banner(p):
    """'220-x' continuation lines as fast as they are read, never a last line."""
    await forever(p, b"220-x\r\n" * 512)


async def endless_ehlo(p):
    """The EHLO reply is an endless multi-line reply."""
    async def ehlo(p, line):
        await p.send(b"250-" + HOST + b"\r\n")
        await forever(p, b"250-X-ENDLESS\r\n" * 512)
    await dialogue(p, EHLO=ehlo)


JUNK = random.Random(1).randbytes(1 << 20)


async def firehose(p):
    """A banner, then 50 MB of random binary as fast as it is read."""
    await p.send(b"220 " + HOST + b" ESMTP\r\n")
    for _ in range(50):
        await p.send(JUNK)
    await p.hold()


async def junk_banner(p):
    """Random binary instead of a banner."""
    for _ in range(50):
        await p.send(JUNK)
    await p.hold()


async def overlong(p):
    """The EHLO reply is one 100 KB line without CRLF."""
    async def ehlo(p, line):
        await p.send(b"250-" + b"A" * 100_000)
        await p.hold()
    await dialogue(p, EHLO=ehlo)


async def nul_ehlo(p):
    """NUL bytes inside the EHLO reply."""
    await dialogue(p, EHLO=b"250-" + HOST + b"\r\n250 SIZE \x00\x00\x0010240000\r\n")


async def barelf_mail(p):
    """The reply to MAIL ends with a bare LF."""
    await dialogue(p, MAIL=b"250 2.1.0 Ok\n")


async def rst_banner(p):
    """Accept, then reset before any banner."""
    p.rst()


def rst_at(verb, doc):
    """A server that looks open (RCPT 250, DATA 354) and resets the
    connection when VERB arrives ("BODY": after the message), every time."""
    async def reset(p, line):
        p.rst()

    async def data(p, line):
        await p.send(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        await p.body()
        p.rst()
    over = {"RCPT": b"250 2.1.5 Ok\r\n", "DATA": data}
    over[verb] = reset
    if verb == "BODY":
        over["DATA"] = data
    elif verb == "RSET":
        over["RCPT"] = CLOSED[b"RCPT"]  # refused: RSET follows each test

    async def mode(p):
        await dialogue(p, **over)
    mode.__name__ = "rst_" + verb.lower()
    mode.__doc__ = doc
    return mode


rst_ehlo = rst_at("EHLO", "A banner, then a TCP reset at EHLO.")
rst_mail = rst_at("MAIL", "A banner and EHLO, then a TCP reset at MAIL.")
rst_rcpt = rst_at("RCPT", "MAIL accepted, then a TCP reset at RCPT.")
rst_data = rst_at("DATA", "RCPT accepted, then a TCP reset at DATA.")
rst_body = rst_at("BODY", "DATA 354, then a TCP reset after the message.")
rst_rset = rst_at("RSET", "Each test refused at RCPT, then a TCP reset at RSET.")


async def svc421(p):
    """A 220 banner, then 421 to the first command, and close: every time."""
    async def shut(p, line):
        await p.send(b"421 4.3.2 Service shutting down\r\n")
        raise Stop()
    await dialogue(p, EHLO=shut, HELO=shut, MAIL=shut)


async def banner421(p):
    """The banner itself says 421."""
    await p.send(b"421 4.3.2 Too busy, try later\r\n")


async def junk250(p):
    """Says 250 (354 to DATA) to everything, message included, and pipelines
    an unasked-for '250 junk' after every reply."""
    extra = b"250 2.0.0 junk nobody asked for\r\n"

    async def data(p, line):
        await p.send(b"354 go ahead\r\n" + extra)
        await p.body()
        await p.send(b"250 2.0.0 Ok: queued as JUNK\r\n" + extra)

    def ok(reply):
        return reply + extra
    await dialogue(p, EHLO=ok(b"250-" + HOST + b"\r\n250 PIPELINING\r\n"),
                   HELO=ok(b"250 " + HOST + b"\r\n"), MAIL=ok(b"250 2.1.0 Ok\r\n"),
                   RCPT=ok(b"250 2.1.5 Ok\r\n"), RSET=ok(b"250 2.0.0 Ok\r\n"), DATA=data)


async def tls_junk(p):
    """Offers STARTTLS, says 220, then answers the ClientHello with garbage.
    A plain session (no STARTTLS) gets a closed server."""
    async def starttls(p, line):
        await p.send(b"220 2.0.0 Ready to start TLS\r\n")
        if not await asyncio.wait_for(p.r.read(65536), READ_MAX):  # the ClientHello
            raise Stop()
        await p.send(b"this is not a TLS ServerHello\r\n" * 64 + JUNK[:4096])
        await p.hold()
    await dialogue(p, EHLO=b"250-" + HOST + b"\r\n250 STARTTLS\r\n", STARTTLS=starttls)


async def tls_silent(p):
    """Offers STARTTLS, says 220, then never answers the ClientHello."""
    async def starttls(p, line):
        await p.send(b"220 2.0.0 Ready to start TLS\r\n")
        await p.hold()
    await dialogue(p, EHLO=b"250-" + HOST + b"\r\n250 STARTTLS\r\n", STARTTLS=starttls)


async def slow_ok(p):
    """Every reply arrives whole well inside a 3 s deadline (0.2 s a byte,
    at most 1.6 s a reply): only the session budget can end this."""
    slow = 0.2

    def dripped(reply):
        async def act(p, line):
            await p.drip(reply, slow)
        return act
    await p.drip(b"220 x\r\n", slow)
    await dialogue(p, banner=None, EHLO=dripped(b"250 x\r\n"), HELO=dripped(b"250 x\r\n"),
                   MAIL=dripped(b"250 ok\r\n"), RCPT=dripped(b"554 no\r\n"),
                   DATA=dripped(b"503 no\r\n"), RSET=dripped(b"250 ok\r\n"),
                   QUIT=dripped(b"221 x\r\n"))


MODES = {f.__name__: f for f in (
    drip_banner, drip_mail, endless_banner, endless_ehlo, firehose, junk_banner,
    overlong, nul_ehlo, barelf_mail, rst_banner, rst_ehlo, rst_mail, rst_rcpt,
    rst_data, rst_body, rst_rset, svc421, banner421, junk250, tls_junk, tls_silent,
    slow_ok)}


def handler(label, mode, log):
    async def handle(reader, writer):
        with open(log, "a") as f:
            f.write(label + "\n")
        try:
            await asyncio.wait_for(MODES[mode](Peer(reader, writer)), CONN_MAX)
        except (Stop, asyncio.TimeoutError, ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort() if writer.transport.is_closing() else writer.close()
    return handle


async def main(ports_file, log, modes):
    servers = []
    with open(ports_file, "w") as f:
        for arg in modes:
            label, _, mode = arg.rpartition("=")
            if mode not in MODES:
                sys.exit("unknown mode %s; modes: %s" % (mode, " ".join(MODES)))
            srv = await asyncio.start_server(handler(label or mode, mode, log), "127.0.0.1", 0)
            servers.append(srv)
            f.write("%s %d\n" % (label or mode, srv.sockets[0].getsockname()[1]))
    print("ready", flush=True)
    await asyncio.sleep(LIFE_MAX)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
    except KeyboardInterrupt:
        pass
