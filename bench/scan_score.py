#!/usr/bin/env python3
# NAME
#	scan_score.py - score one bench/scan run against the lab's truth; print the table
# SYNOPSIS
#	scan_score.py sample CIDR N SEED OUT           the address sample for nmap
#	scan_score.py rw CASE LAT CIDR|@FILE TRUTH JSON TIME WALL [STATS]   one row (JSON)
#	scan_score.py nmap CASE LAT SAMPLE TRUTH XML TIME WALL        one row (JSON) on stdout
#	scan_score.py list CIDR OUT                     every address of a block, a line each
#	scan_score.py pxrw CASE LAT CIDR|@FILE TRUTH JSON TIME WALL [OVERFLOWS]   a proxy row
#	scan_score.py pxnmap CASE LAT SAMPLE TRUTH XML TIME WALL      nmap's proxy scripts
#	scan_score.py pxcheck CASE LAT SAMPLE TRUTH OUT TIME WALL     proxycheck
#	scan_score.py table ROWS                        the table(s), ratios, targets
# DESCRIPTION
#	The truth file has `addr port profile verdict proxy-verdict` per
#	populated address (the proxy verdict is not scored here);
#	every other address of the block should be `unreachable` (it refuses
#	the connection). relaywatch is scored exactly (its verdict must equal
#	the truth's), on populated and on unpopulated addresses apart, and
#	on the binary question "open relay or not". nmap's smtp-open-relay
#	answers only that question: "Server is an open relay" is open; any
#	other answer (all tests failed, authentication needed, an error, a
#	closed port) is not open. Peak RSS is the "Maximum resident set
#	size" of /usr/bin/time -v; hosts/s is addresses scanned / wall time.
#	The proxy rows (bench/proxy, "kind":"proxy") are scored the same
#	way against the truth's 5th column: relaywatch exactly (populated
#	and unpopulated apart, each mismatch kept with its reason), the
#	anchors on "open proxy or not": nmap's socks-open-proxy "status:
#	open" or http-open-proxy "Potentially OPEN proxy" is open, anything
#	else (pattern not matched, no output, a closed port) not; a
#	proxycheck "ADDR proto:port open" line is open, "closed" or no line
#	not. The lab's suspect, closed, auth-required and not-proxy hosts
#	count as not open.
import ipaddress
import json
import random
import re
import sys
import xml.etree.ElementTree as ET


def load_truth(path, column=3):
    """addr -> (profile, verdict); column 3 the smtp verdict, 4 the proxy one"""
    truth = {}
    for line in open(path):
        f = line.split()
        truth[f[0]] = (f[2], f[column])
    return truth


def max_rss_mib(path):
    for line in open(path):
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", line)
        if m:
            return int(m.group(1)) / 1024.0
    return float("nan")


def sample(cidr, n, seed, out):
    """n addresses of the block, drawn with seed: the same mix relaywatch sees"""
    addrs = [str(a) for a in ipaddress.ip_network(cidr)]
    pick = random.Random(int(seed)).sample(addrs, int(n))
    pick.sort(key=ipaddress.ip_address)
    with open(out, "w") as f:
        f.write("".join(a + "\n" for a in pick))


def addresses(spec):
    """a CIDR, or @FILE with one address a line"""
    if spec.startswith("@"):
        return {l.strip() for l in open(spec[1:]) if l.strip()}
    return {str(a) for a in ipaddress.ip_network(spec)}


def score_rw(case, lat, cidr, truth_path, json_path, time_path, wall, stats_path=None):
    truth = load_truth(truth_path)
    want_addrs = addresses(cidr)
    got, dup = {}, 0
    for line in open(json_path):
        line = line.strip()
        if not line:
            continue
        o = json.loads(line)
        dup += o["addr"] in got
        got[o["addr"]] = o["verdict"]
    pop = [a for a in want_addrs if a in truth]
    unpop = [a for a in want_addrs if a not in truth]
    pop_ok = sum(got.get(a) == truth[a][1] for a in pop)
    unpop_ok = sum(got.get(a) == "unreachable" for a in unpop)
    bin_ok = sum((got.get(a) == "open") == (truth[a][1] == "open") for a in pop)
    wrong = {}
    for a in pop:
        if got.get(a) != truth[a][1]:
            k = "%s:%s->%s" % (truth[a][0], truth[a][1], got.get(a))
            wrong[k] = wrong.get(k, 0) + 1
    inflight = None
    if stats_path:
        peaks = [int(m.group(1)) for m in re.finditer(r"(\d+) in flight", open(stats_path).read())]
        inflight = max(peaks) if peaks else 0
    wall = float(wall)
    return {
        "case": case, "tool": "relaywatch", "latency": int(lat), "addrs": len(want_addrs),
        "populated": len(pop), "results": len(got), "dup": dup,
        "missing": len(want_addrs - set(got)), "wall": wall,
        "hps": len(want_addrs) / wall if wall > 0 else 0, "rss": max_rss_mib(time_path),
        "pop_ok": pop_ok, "unpop_ok": unpop_ok, "unpop": len(unpop), "bin_ok": bin_ok,
        "wrong": wrong, "inflight": inflight,
    }


def nmap_verdicts(xml_path):
    """address -> open / not-open label from nmap's XML"""
    out = {}
    root = ET.parse(xml_path).getroot()
    for host in root.iter("host"):
        addr = host.find("address").get("addr")
        label = "closed-port"
        for port in host.iter("port"):
            st = port.find("state").get("state")
            if st != "open":
                label = "closed-port"
                continue
            label = "no-output"
            for s in port.iter("script"):
                if s.get("id") != "smtp-open-relay":
                    continue
                o = s.get("output", "")
                if "Server is an open relay" in o:
                    label = "open"
                elif "authentication needed" in o:
                    label = "auth"
                elif "all tests failed" in o:
                    label = "closed"
                else:
                    label = "error"
        out[addr] = label
    return out


def score_nmap(case, lat, sample_path, truth_path, xml_path, time_path, wall):
    truth = load_truth(truth_path)
    addrs = [l.strip() for l in open(sample_path) if l.strip()]
    got = nmap_verdicts(xml_path)
    pop = [a for a in addrs if a in truth]
    unpop = [a for a in addrs if a not in truth]
    bin_ok = sum((got.get(a) == "open") == (truth[a][1] == "open") for a in pop)
    unpop_ok = sum(got.get(a, "closed-port") == "closed-port" for a in unpop)
    wrong = {}
    for a in pop:
        if (got.get(a) == "open") != (truth[a][1] == "open"):
            k = "%s:%s->%s" % (truth[a][0], truth[a][1], got.get(a))
            wrong[k] = wrong.get(k, 0) + 1
    wall = float(wall)
    return {
        "case": case, "tool": "nmap", "latency": int(lat), "addrs": len(addrs),
        "populated": len(pop), "results": len(got), "dup": 0,
        "missing": len(set(addrs) - set(got)), "wall": wall,
        "hps": len(addrs) / wall if wall > 0 else 0, "rss": max_rss_mib(time_path),
        "pop_ok": None, "unpop_ok": unpop_ok, "unpop": len(unpop), "bin_ok": bin_ok,
        "wrong": wrong, "inflight": None,
    }


def score_pxrw(case, lat, cidr, truth_path, json_path, time_path, wall, overflows="-1"):
    """relaywatch --probe proxy: exact against the truth's proxy column"""
    truth = load_truth(truth_path, 4)
    want_addrs = addresses(cidr)
    got, dup = {}, 0
    for line in open(json_path):
        line = line.strip()
        if not line:
            continue
        o = json.loads(line)
        if o.get("probe") != "proxy":
            continue
        dup += o["addr"] in got
        got[o["addr"]] = (o["verdict"], o.get("reason") or "")
    pop = [a for a in want_addrs if a in truth]
    unpop = [a for a in want_addrs if a not in truth]
    v = {a: g[0] for a, g in got.items()}
    pop_ok = sum(v.get(a) == truth[a][1] for a in pop)
    unpop_ok = sum(v.get(a) == "unreachable" for a in unpop)
    bin_ok = sum((v.get(a) == "open") == (truth[a][1] == "open") for a in pop)
    wrong, mism = {}, []
    for a in sorted(want_addrs, key=ipaddress.ip_address):
        profile, want = truth.get(a, ("-", "unreachable"))
        if v.get(a) != want:
            k = "%s:%s->%s" % (profile, want, v.get(a))
            wrong[k] = wrong.get(k, 0) + 1
            if len(mism) < 50:
                mism.append([a, profile, want, v.get(a), got.get(a, ("", ""))[1]])
    wall = float(wall)
    return {
        "kind": "proxy", "case": case, "tool": "relaywatch", "latency": int(lat),
        "addrs": len(want_addrs), "populated": len(pop), "results": len(got), "dup": dup,
        "missing": len(want_addrs - set(got)), "wall": wall,
        "hps": len(want_addrs) / wall if wall > 0 else 0, "rss": max_rss_mib(time_path),
        "pop_ok": pop_ok, "unpop_ok": unpop_ok, "unpop": len(unpop), "bin_ok": bin_ok,
        "wrong": wrong, "mismatches": mism, "inflight": None, "overflows": int(overflows),
    }


def nmap_proxy_verdicts(xml_path):
    """address -> open / not-open label from nmap's proxy scripts"""
    out = {}
    root = ET.parse(xml_path).getroot()
    for host in root.iter("host"):
        addr = host.find("address").get("addr")
        label = "closed-port"
        for port in host.iter("port"):
            if port.find("state").get("state") != "open":
                continue
            label = "no-output"
            for s in port.iter("script"):
                o = s.get("output", "")
                if s.get("id") == "socks-open-proxy":
                    if re.search(r"status: open\b", o):
                        label = "open"
                    elif label != "open":
                        label = "socks:" + (o.strip().splitlines() or ["no output"])[-1].strip()
                elif s.get("id") == "http-open-proxy":
                    if "Potentially OPEN proxy" in o:
                        label = "open"
                    elif label != "open":
                        label = "http:" + (o.strip().splitlines() or ["no output"])[0].strip()
        out[addr] = label
    return out


def proxycheck_verdicts(out_path):
    """address -> open / closed from proxycheck -n lines (ADDR proto:port open|closed ...)"""
    out = {}
    for line in open(out_path):
        f = line.split()
        if len(f) < 3:
            continue
        if f[2] == "open":
            out[f[0]] = "open"
        elif f[2] == "closed" and out.get(f[0]) != "open":
            out[f[0]] = "closed"
    return out


def score_pxanchor(tool, case, lat, sample_path, truth_path, out_path, time_path, wall):
    """an anchor answers only "open proxy or not": scored on that"""
    truth = load_truth(truth_path, 4)
    addrs = [l.strip() for l in open(sample_path) if l.strip()]
    got = nmap_proxy_verdicts(out_path) if tool == "nmap" else proxycheck_verdicts(out_path)
    pop = [a for a in addrs if a in truth]
    unpop = [a for a in addrs if a not in truth]
    bin_ok = sum((got.get(a) == "open") == (truth[a][1] == "open") for a in pop)
    unpop_ok = sum(got.get(a) != "open" for a in unpop)
    wrong = {}
    for a in pop:
        if (got.get(a) == "open") != (truth[a][1] == "open"):
            k = "%s:%s->%s" % (truth[a][0], truth[a][1], got.get(a, "nothing"))
            wrong[k] = wrong.get(k, 0) + 1
    wall = float(wall)
    return {
        "kind": "proxy", "case": case, "tool": tool, "latency": int(lat), "addrs": len(addrs),
        "populated": len(pop), "results": len(got), "dup": 0,
        "missing": len(set(addrs) - set(got)) if tool == "nmap" else 0, "wall": wall,
        "hps": len(addrs) / wall if wall > 0 else 0, "rss": max_rss_mib(time_path),
        "pop_ok": None, "unpop_ok": unpop_ok, "unpop": len(unpop), "bin_ok": bin_ok,
        "wrong": wrong, "inflight": None,
    }


def pct(a, b):
    return "-" if a is None or b == 0 else "%.1f%%" % (100.0 * a / b)


def table(rows_path):
    allrows = [json.loads(l) for l in open(rows_path) if l.strip()]
    rows = [r for r in allrows if r.get("kind", "smtp") == "smtp"]
    if rows:
        smtp_table(rows)
    px = [r for r in allrows if r.get("kind") == "proxy"]
    if px:
        if rows:
            print()
        proxy_table(px)


def ratio(a, b):
    """a over b: whole numbers from 10 up, two decimals below"""
    if not b:
        return "-"
    x = a / b
    return "%.0fx" % x if x >= 10 else "%.2fx" % x


def proxy_table(rows):
    """issue 7: relaywatch --probe proxy, nmap's proxy scripts, proxycheck"""
    def anchor(r, tool):
        """the anchor's row over the same addresses, else over the most"""
        c = [a for a in rows if a["tool"] == tool and a["latency"] == r["latency"]]
        c.sort(key=lambda a: (a["addrs"] != r["addrs"], -a["addrs"]))
        return c[0]["hps"] if c else None
    hdr = "%-18s %-10s %4s %6s %5s %8s %9s %8s %9s %9s %9s %7s %7s" % (
        "case", "tool", "lat", "addrs", "pop", "wall s", "hosts/s", "RSS MiB", "exact pop",
        "unpop ok", "open/not", "x nmap", "x pchk")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        xn = xp = "-"
        if r["tool"] == "relaywatch":
            n, p = anchor(r, "nmap"), anchor(r, "proxycheck")
            xn = ratio(r["hps"], n)
            xp = ratio(r["hps"], p)
        print("%-18s %-10s %4d %6d %5d %8.1f %9.1f %8.1f %9s %9s %9s %7s %7s" % (
            r["case"], r["tool"], r["latency"], r["addrs"], r["populated"], r["wall"], r["hps"],
            r["rss"], pct(r["pop_ok"], r["populated"]), pct(r["unpop_ok"], r["unpop"]),
            pct(r["bin_ok"], r["populated"]), xn, xp))
    print()
    for r in rows:
        notes = []
        if r["dup"] or r["missing"]:
            notes.append("%d duplicate, %d missing results" % (r["dup"], r["missing"]))
        if r["wrong"]:
            notes.append("wrong: " + ", ".join("%s x%d" % kv for kv in sorted(r["wrong"].items())))
        if r.get("overflows", -1) > 0:
            notes.append("%d connections dropped by a full accept queue (any listener)"
                         % r["overflows"])
        if notes:
            print("%s/%s: %s" % (r["case"], r["tool"], "; ".join(notes)))
        for m in r.get("mismatches", [])[:20]:
            print("  %-15s %-20s want %-13s got %-13s %s" % tuple(str(x) for x in m))
    print()
    for r in rows:
        if r["tool"] != "relaywatch":
            continue
        n, p = anchor(r, "nmap"), anchor(r, "proxycheck")
        if r["latency"] == 50 and n:
            x = r["hps"] / n
            print("target %-46s %s (%s)" % ("50 ms: >= 100x nmap's hosts/s [%s]" % r["case"],
                                            "MET" if x >= 100 else "MISSED", ratio(r["hps"], n)))
        if p:
            x = r["hps"] / p
            print("target %-46s %s (%s)" % ("faster than proxycheck [%s]" % r["case"],
                                            "MET" if x > 1 else "MISSED", ratio(r["hps"], p)))
        full = r["pop_ok"] == r["populated"] and r["unpop_ok"] == r["unpop"] and not r["missing"]
        print("target %-46s %s" % ("accuracy 100%% [%s]" % r["case"], "MET" if full else "MISSED"))
    for r in rows:
        if r["tool"] != "relaywatch":
            print("anchor %-46s open/not %s" % ("%s [%s]" % (r["tool"], r["case"]),
                                               pct(r["bin_ok"], r["populated"])))


def smtp_table(rows):
    nmap = {r["latency"]: r["hps"] for r in rows if r["tool"] == "nmap"}
    hdr = "%-16s %-10s %4s %6s %5s %8s %9s %8s %9s %9s %9s %8s" % (
        "case", "tool", "lat", "addrs", "pop", "wall s", "hosts/s", "RSS MiB", "exact pop",
        "unpop ok", "open/not", "x nmap")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        ratio = "-"
        if r["tool"] == "relaywatch" and nmap.get(r["latency"]) and r["inflight"] is None:
            ratio = "%.0fx" % (r["hps"] / nmap[r["latency"]])
        print("%-16s %-10s %4d %6d %5d %8.1f %9.1f %8.1f %9s %9s %9s %8s" % (
            r["case"], r["tool"], r["latency"], r["addrs"], r["populated"], r["wall"], r["hps"],
            r["rss"], pct(r["pop_ok"], r["populated"]), pct(r["unpop_ok"], r["unpop"]),
            pct(r["bin_ok"], r["populated"]), ratio))
    print()
    for r in rows:
        notes = []
        if r["dup"] or r["missing"]:
            notes.append("%d duplicate, %d missing results" % (r["dup"], r["missing"]))
        if r["wrong"]:
            notes.append("wrong: " + ", ".join("%s x%d" % kv for kv in sorted(r["wrong"].items())))
        if r["inflight"] is not None:
            notes.append("peak in flight %d" % r["inflight"])
        if notes:
            print("%s/%s: %s" % (r["case"], r["tool"], "; ".join(notes)))
    print()
    # the targets, each judged from the rows that measure it
    for r in rows:
        if r["tool"] == "relaywatch" and r["latency"] == 50 and nmap.get(50) and "nmap" not in r["case"]:
            x = r["hps"] / nmap[50]
            print("target %-40s %s (%.0fx)" % ("50 ms: relaywatch >= 100x nmap [%s]" % r["case"],
                                              "MET" if x >= 100 else "MISSED", x))
        if r["tool"] == "relaywatch" and r["latency"] == 0 and r["addrs"] == 65536:
            print("target %-40s %s (%.1f s)" % ("0 ms: /16 full battery < 60 s",
                                               "MET" if r["wall"] < 60 else "MISSED", r["wall"]))
        if r["inflight"] is not None:
            ok = r["rss"] < 256 and r["inflight"] >= 10000
            print("target %-40s %s (%.1f MiB at %d in flight)" % (
                "RSS < 256 MiB at 10,000 in flight", "MET" if ok else "MISSED", r["rss"],
                r["inflight"]))
        if r["tool"] == "relaywatch" and r["pop_ok"] is not None and r["inflight"] is None:
            full = r["pop_ok"] == r["populated"] and r["unpop_ok"] == r["unpop"] and not r["missing"]
            print("target %-40s %s" % ("accuracy 100%% [%s, %d ms]" % (r["case"], r["latency"]),
                                       "MET" if full else "MISSED"))


def main(argv):
    cmd = argv[1]
    if cmd == "sample":
        sample(*argv[2:6])
    elif cmd == "rw":
        print(json.dumps(score_rw(*argv[2:])))
    elif cmd == "nmap":
        print(json.dumps(score_nmap(*argv[2:])))
    elif cmd == "list":
        with open(argv[3], "w") as f:
            f.write("".join("%s\n" % a for a in ipaddress.ip_network(argv[2])))
    elif cmd == "pxrw":
        print(json.dumps(score_pxrw(*argv[2:])))
    elif cmd == "pxnmap":
        print(json.dumps(score_pxanchor("nmap", *argv[2:])))
    elif cmd == "pxcheck":
        print(json.dumps(score_pxanchor("proxycheck", *argv[2:])))
    elif cmd == "table":
        table(argv[2])
    else:
        sys.exit("scan_score.py: unknown command %s" % cmd)


if __name__ == "__main__":
    main(sys.argv)
