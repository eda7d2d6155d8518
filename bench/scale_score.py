#!/usr/bin/env python3
# NAME
#	scale_score.py - score one bench/scale configuration; print the table
# SYNOPSIS
#	scale_score.py row NAME BACKEND N CIDR TRUTH RESULTS STATUS T0 T1 HZ
#	    LAB_TICKS SINK_TICKS PG_TICKS VERDICTS_OUT REF|none TIME...   one row (JSON)
#	scale_score.py table ROWS                               the table and the ratios
# DESCRIPTION
#	row reads `relaywatch results --json` (RESULTS) and `scan --status
#	--json` (STATUS) of one configuration and each worker's
#	/usr/bin/time -v report (TIME...). Correctness: every address of
#	CIDR exactly once; a populated address's verdict must be the lab's
#	truth (4th column), an unpopulated one's `unreachable`; with REF (the
#	first configuration's `addr verdict` lines) each verdict must also
#	equal that configuration's. It writes this configuration's verdicts
#	to VERDICTS_OUT. hosts/s = addresses / (T1 - T0); RSS is each
#	worker's "Maximum resident set size"; CPU is user + system seconds
#	(the workers' from time -v, the lab's, the sink's and PostgreSQL's
#	from /proc ticks / HZ over the same wall). Exits 1 when a result is
#	missing, twice, or off the truth or the reference (after printing
#	the row).
import ipaddress
import json
import re
import sys


def time_report(path):
    """(peak RSS MiB, user + system s, elapsed s) of a /usr/bin/time -v report"""
    rss = cpu = el = 0.0
    for line in open(path):
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", line)
        if m:
            rss = int(m.group(1)) / 1024.0
        m = re.search(r"(User|System) time \(seconds\): ([\d.]+)", line)
        if m:
            cpu += float(m.group(2))
        m = re.search(r"Elapsed \(wall clock\) time .*: ([\d:.]+)$", line.strip())
        if m:
            el = 0.0
            for part in m.group(1).split(":"):
                el = el * 60 + float(part)
    return rss, cpu, el


def row(a):
    (name, backend, nw, cidr, truth_path, res_path, status_path, t0, t1, hz, lab_t, sink_t,
     pg_t, out_path, ref_path) = a[:15]
    times = a[15:]
    truth = {}
    for line in open(truth_path):
        f = line.split()
        truth[f[0]] = (f[2], f[3])
    want = {str(x) for x in ipaddress.ip_network(cidr)}
    got, dup = {}, 0
    for line in open(res_path):
        line = line.strip()
        if line:
            o = json.loads(line)
            dup += o["addr"] in got
            got[o["addr"]] = o["verdict"]
    wrong = {}
    for addr in want:
        w = truth[addr] if addr in truth else ("none", "unreachable")
        if got.get(addr, "missing") != w[1]:
            k = "%s:%s->%s" % (w[0], w[1], got.get(addr, "missing"))
            wrong[k] = wrong.get(k, 0) + 1
    with open(out_path, "w") as f:
        for addr in sorted(got, key=ipaddress.ip_address):
            f.write("%s %s\n" % (addr, got[addr]))
    bad_ref = None
    if ref_path != "none":
        ref = dict(l.split() for l in open(ref_path) if l.strip())
        bad_ref = sum(ref.get(x) != got.get(x) for x in set(ref) | set(got))
    try:
        st = json.load(open(status_path))
        v = st["vantages"][0]
        status = {"state": st["state"], "shards": v["shards"], "done": v["done"],
                  "taken_over": v["taken_over"]}
    except (OSError, ValueError, KeyError, IndexError):
        status = {"state": "unknown"}
    reports = [time_report(p) for p in times]
    # each shard's scan prints "total N (in S s)" on the worker's stdout
    shard_s = []
    for p in times:
        try:
            text = open(re.sub(r"\.time$", ".out", p)).read()
        except OSError:
            continue
        shard_s += [float(x) for x in re.findall(r"^total +\d+ \(in ([\d.]+) s\)", text, re.M)]
    wall = float(t1) - float(t0)
    hz = float(hz)
    o = {
        "name": name, "backend": backend, "workers": int(nw), "addrs": len(want),
        "populated": sum(x in truth for x in want), "results": len(got), "dup": dup,
        "missing": len(want - set(got)), "bad_truth": sum(wrong.values()), "wrong": wrong,
        "bad_ref": bad_ref, "wall": wall, "hps": len(want) / wall if wall > 0 else 0,
        "rss": [r[0] for r in reports], "wcpu": sum(r[1] for r in reports),
        "welapsed": [r[2] for r in reports], "lab_cpu": int(lab_t) / hz,
        "sink_cpu": int(sink_t) / hz, "pg_cpu": int(pg_t) / hz, "status": status,
        "shard_runs": len(shard_s), "shard_s": sum(shard_s) / len(shard_s) if shard_s else 0,
        "shard_max": max(shard_s) if shard_s else 0,
    }
    print(json.dumps(o))
    return 1 if (dup or o["missing"] or o["bad_truth"] or bad_ref) else 0


def table(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    by = {r["name"]: r for r in rows}
    base = by.get("pg-1")
    print("%-9s %3s %7s %7s %8s %6s %-17s %7s %6s %6s %6s %6s %6s %6s %5s %5s"
          % ("config", "wrk", "targets", "wall s", "hosts/s", "x pg1", "RSS MiB (each)",
             "shard s", "wrk s", "lab s", "pg s", "sink s", "cores", "shards", "truth", "ref"))
    for r in rows:
        cpu = r["wcpu"] + r["lab_cpu"] + r["pg_cpu"] + r["sink_cpu"]
        x = "%.2f" % (r["hps"] / base["hps"]) if base and base["hps"] else "-"
        st = r["status"]
        sh = ("%d/%d" % (st["done"], st["shards"])) if "done" in st else "?"
        print("%-9s %3d %7d %7.1f %8.1f %6s %-17s %7.1f %6.1f %6.1f %6.1f %6.1f %6.2f %6s %5d %5s"
              % (r["name"], r["workers"], r["addrs"], r["wall"], r["hps"], x,
                 "/".join("%.1f" % m for m in r["rss"]), r["shard_s"], r["wcpu"], r["lab_cpu"],
                 r["pg_cpu"],
                 r["sink_cpu"], cpu / r["wall"] if r["wall"] else 0, sh,
                 r["bad_truth"] + r["missing"] + r["dup"],
                 "-" if r["bad_ref"] is None else "%d" % r["bad_ref"]))
    print()
    for r in rows:
        if r["wrong"]:
            print("%s off the truth: %s" % (r["name"], ", ".join(
                "%s x%d" % kv for kv in sorted(r["wrong"].items()))))
    for k in ("pg-2", "pg-3"):
        if base and k in by:
            n = by[k]["workers"]
            print("scaling %s / pg-1: %.2fx hosts/s with %d workers (%.0f%% of linear)"
                  % (k, by[k]["hps"] / base["hps"], n, 100 * by[k]["hps"] / base["hps"] / n))
    if base and "sqlite-1" in by:
        print("sqlite-1 / pg-1: %.2fx hosts/s" % (by["sqlite-1"]["hps"] / base["hps"]))
    for r in rows:
        per = r["hps"] / r["workers"]
        print("%s: per worker %.0f hosts/s; CPU ms per target: workers %.2f, lab %.2f,"
              " postgresql %.2f, sink %.2f; a worker's CPU %.0f%% of the wall;"
              " %d shard runs of %.1f s mean (%.1f max), taken over %s"
              % (r["name"], per, 1000 * r["wcpu"] / r["addrs"], 1000 * r["lab_cpu"] / r["addrs"],
                 1000 * r["pg_cpu"] / r["addrs"], 1000 * r["sink_cpu"] / r["addrs"],
                 100 * r["wcpu"] / r["workers"] / r["wall"] if r["wall"] else 0,
                 r["shard_runs"], r["shard_s"], r["shard_max"],
                 r["status"].get("taken_over", "?")))
    return 1 if any(r["dup"] or r["missing"] or r["bad_truth"] or r["bad_ref"] for r in rows) else 0


if __name__ == "__main__":
    if len(sys.argv) >= 17 and sys.argv[1] == "row":
        sys.exit(row(sys.argv[2:]))
    if len(sys.argv) == 3 and sys.argv[1] == "table":
        sys.exit(table(sys.argv[2]))
    sys.stderr.write(__doc__ if __doc__ else "usage: scale_score.py row ... | table ROWS\n")
    sys.exit(2)
