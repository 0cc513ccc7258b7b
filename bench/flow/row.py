#!/usr/bin/python3
"""One TSV row per bench run of bench/flow/run.sh, and the median summary."""
import json
import re
import statistics
import sys
from datetime import datetime


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def row(name, out, before, after):
    wall, user, sys_, rss = open(out + "/time").read().split()
    res = json.load(open(out + "/rep/results.json"))
    sc = res["scenarios"][0]
    mig = next(st for st in sc["steps"] if st["name"] == "test_migrate_vms")
    lab_min = "-"
    vms = [v for v in sc.get("vms", []) if v.get("started") and v.get("completed")]
    if vms:
        lab_min = "%.1f" % max(ts(v["completed"]) - ts(v["started"]) for v in vms)
    b, a = json.loads(before), json.loads(after)
    api = sum(a.values()) - sum(b.values())
    m = re.search(r"(\d+) SOAP round trips", open(out + "/stderr").read())
    soap = m.group(1) if m else "-"
    print("\t".join([name, wall, "%.2f" % mig["duration_s"], lab_min,
                     "%.2f" % (float(user) + float(sys_)), "%.1f" % (int(rss) / 1024),
                     str(api), soap]))


def summary(path):
    rows = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        rows.setdefault(f[0], []).append(f[1:])
    cols = ["wall s", "migrate s", "lab_min s", "cpu s", "rss MiB", "api", "soap"]
    print("| scenario | runs | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for name, rs in rows.items():
        med = []
        for i in range(len(cols)):
            vals = [float(r[i]) for r in rs if r[i] != "-"]
            med.append("%g" % statistics.median(vals) if vals else "-")
        print("| %s | %d | %s |" % (name, len(rs), " | ".join(med)))


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        summary(sys.argv[2])
    else:
        row(*sys.argv[1:5])
