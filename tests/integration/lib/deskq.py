# deskq.py - the desk tests' view of the store (SQLite, read only):
#   python3 deskq.py DB q EXPR          print an expression
#   python3 deskq.py DB wait SECS WHAT EXPR   poll EXPR (0.2 s) until true, bounded
#   python3 deskq.py DB check FILE      run a check script with these helpers
# Environment: CLOCK (the desk's clock file), VM (Maildirs), FWLOG (the
# firewall command's log), when a test uses them.
import email, email.policy, json, os, sqlite3, sys, time

db = sys.argv[1]

def con():
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
    c.row_factory = sqlite3.Row
    return c

def inc(i):
    with con() as c:
        r = c.execute("SELECT * FROM incidents WHERE id = ?", (i,)).fetchone()
    if r is None:
        return None
    d = dict(r)
    d["m"] = json.loads(r["machine"])
    return d

def events(i, kind=None):
    with con() as c:
        rows = c.execute("SELECT * FROM events WHERE incident = ? ORDER BY id", (i,)).fetchall()
    return [dict(r) for r in rows if kind is None or r["kind"] == kind]

def actions(i=None, kind=None):
    with con() as c:
        rows = c.execute("SELECT * FROM actions ORDER BY id").fetchall()
    return [dict(r) for r in rows if (i is None or r["incident"] == i) and
            (kind is None or r["kind"] == kind)]

def outbox(i=None, step=None):
    with con() as c:
        rows = c.execute("SELECT * FROM outbox ORDER BY id").fetchall()
    return [dict(r) for r in rows if (i is None or r["incident"] == i) and
            (step is None or r["step"] == step)]

def fw():
    return [l.split() for l in open(os.environ["FWLOG"]) if l.strip()]

def results(addr):
    with con() as c:
        rows = c.execute("SELECT * FROM results WHERE target = ? ORDER BY id", (addr,)).fetchall()
    return [dict(r) for r in rows]

def clock():
    return int(open(os.environ["CLOCK"]).read())

# tested(i): the retest for the clock's time has come back, nothing runs
def tested(i):
    m = inc(i)["m"]
    return m["last_tested_ms"] == clock() and m["running_ms"] == 0

def msgs(box):
    out = []
    d = os.path.join(os.environ["VM"], box, "new")
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        raw = open(os.path.join(d, f), "rb").read()
        out.append(email.message_from_bytes(raw, policy=email.policy.default))
    return out

def body(m):
    return m.get_content()

# expressions may span lines: evaluated inside parentheses
if sys.argv[2] == "q":
    print(eval("(%s)" % sys.argv[3]))
elif sys.argv[2] == "wait":
    secs, what, cond = float(sys.argv[3]), sys.argv[4], "(%s)" % sys.argv[5]
    end, n, last = time.time() + secs, 0, None
    while time.time() < end and n < secs * 5 + 1:
        try:
            if eval(cond):
                sys.exit(0)
        except (sqlite3.OperationalError, KeyError, TypeError) as e:
            last = e
        time.sleep(0.2)
        n += 1
    print("timed out after %gs waiting for %s (%s)%s" % (secs, what, cond,
          ": %s" % last if last else ""))
    sys.exit(1)
elif sys.argv[2] == "check":
    exec(compile(open(sys.argv[3]).read(), sys.argv[3], "exec"))
