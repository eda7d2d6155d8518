# hostile_smtp.py ADDR PORT - an SMTP peer whose banner and replies carry
# markup and quotes (<script>, <b>, "'), refusing every relay: the web
# console must show all of it as text. Prints "ready" once it listens.
import socketserver, sys
class H(socketserver.StreamRequestHandler):
    def handle(self):
        w = lambda s: self.wfile.write(s.encode() + b"\r\n")
        w("220 <script>alert(1)</script>\"' ESMTP hostile")
        data = False
        for line in self.rfile:
            c = line.decode("latin-1").strip()
            if data:
                if c == ".":
                    data = False
                    w("554 5.7.1 <b>no</b>")
                continue
            u = c.upper()
            if u.startswith("EHLO") or u.startswith("HELO"):
                w("250 <i>hostile</i>")
            elif u.startswith("MAIL") or u.startswith("RSET") or u.startswith("NOOP"):
                w("250 ok")
            elif u.startswith("RCPT"):
                w("554 5.7.1 <script>relay</script> denied")
            elif u.startswith("QUIT"):
                w("221 bye")
                return
            else:
                w("502 <script>no</script>")
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
s = S((sys.argv[1], int(sys.argv[2])), H)
print("ready", flush=True)
s.serve_forever()
