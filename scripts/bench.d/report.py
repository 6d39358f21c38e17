#!/usr/bin/env python3
"""report.py RUN-DIR: the table, JSON and chart of a scripts/bench run.

RUN-DIR holds one results-<driver>-<rep>.txt per lab boot (the guest's RESULT
lines; the in-kernel ceiling's come from the kernel log, in ns). Writes
RUN-DIR/bench.json (every figure of every boot, and the summary) and
RUN-DIR/ratios.svg (this module / hvc_xen, per figure), and prints the table:
per figure and driver min / median / max over the boots, and the ratios of the
medians to hvc_xen's.
"""

import glob
import json
import os
import statistics
import sys

run = sys.argv[1]
DRIVERS = ("hvc", "xc", "kc")
LABEL = {"hvc": "hvc_xen", "xc": "xen_channel", "kc": "in-kernel"}
# figure name -> (result figure, field, unit, better when lower)
FIGURES = [
    ("guest->dom0 throughput", "guest_to_dom0", "mib_per_s", "MiB/s", False),
    ("dom0->guest throughput", "dom0_to_guest", "mib_per_s", "MiB/s", False),
    ("guest->dom0 CPU (busy)", "guest_to_dom0", "cpu_busy_s_per_mib", "s/MiB", True),
    ("dom0->guest CPU (busy)", "dom0_to_guest", "cpu_busy_s_per_mib", "s/MiB", True),
    ("guest->dom0 khvcd", "guest_to_dom0", "khvcd_s_per_mib", "s/MiB", True),
    ("dom0->guest khvcd", "dom0_to_guest", "khvcd_s_per_mib", "s/MiB", True),
    ("guest->dom0 steal", "guest_to_dom0", "cpu_steal_s_per_mib", "s/MiB", True),
    ("dom0->guest steal", "dom0_to_guest", "cpu_steal_s_per_mib", "s/MiB", True),
    ("echo p50, back to back", "echo_back_to_back", "p50_ms", "ms", True),
    ("echo p99, back to back", "echo_back_to_back", "p99_ms", "ms", True),
    ("echo p50 after 0.2 s", "echo_after_0.2s", "p50_ms", "ms", True),
    ("echo p99 after 0.2 s", "echo_after_0.2s", "p99_ms", "ms", True),
    ("echo p50 after 1 s", "echo_after_1s", "p50_ms", "ms", True),
    ("echo p99 after 1 s", "echo_after_1s", "p99_ms", "ms", True),
    ("echo p50 after 5 s", "echo_after_5s", "p50_ms", "ms", True),
    ("echo p99 after 5 s", "echo_after_5s", "p99_ms", "ms", True),
    ("4 channels guest->dom0", "multi_guest_to_dom0", "mib_per_s", "MiB/s", False),
    ("4 channels dom0->guest", "multi_dom0_to_guest", "mib_per_s", "MiB/s", False),
]

boots = {d: [] for d in DRIVERS}
for path in sorted(glob.glob(os.path.join(run, "results-*.txt"))):
    driver = os.path.basename(path).split("-")[1]
    results = {}
    for line in open(path):
        if line.startswith("RESULT "):
            r = json.loads(line[len("RESULT "):])
            if "ns" in r:
                r["seconds"] = r["ns"] / 1e9
                r["mib_per_s"] = r["bytes"] / (1 << 20) / r["seconds"]
            for k in ("p50", "p99", "max"):
                if k + "_ns" in r:
                    r[k + "_ms"] = r[k + "_ns"] / 1e6
            results[r["figure"]] = r
    if driver in boots and results:
        boots[driver].append(results)

summary = []
for name, figure, field, unit, lower in FIGURES:
    row = {"figure": name, "unit": unit, "lower_is_better": lower}
    for d in DRIVERS:
        values = [b[figure][field] for b in boots[d] if figure in b and field in b[figure]]
        row[d] = {"min": min(values), "median": statistics.median(values), "max": max(values),
                  "n": len(values)} if values else None
    h = row["hvc"]
    for d in DRIVERS[1:]:
        x = row[d]
        row["ratio" if d == "xc" else "ratio_" + d] = x["median"] / h["median"] if h and x and h["median"] else None
    summary.append(row)

intact = all(r.get("intact", True) for d in DRIVERS for b in boots[d] for r in b.values())
json.dump({"boots": boots, "summary": summary, "all_intact": intact},
          open(os.path.join(run, "bench.json"), "w"), indent=1)


def fmt(v):
    return "-" if v is None else (f"{v:.4g}")


present = [d for d in DRIVERS if boots[d]]
head = f"{'figure':28} {'unit':6}"
for d in present:
    head += f" {LABEL[d] + ' min/median/max':>30}"
for d in present[1:]:
    head += f" {LABEL[d] + '/hvc':>16}"
print(head)
for row in summary:
    line = f"{row['figure']:28} {row['unit']:6}"
    for d in present:
        s = row[d]
        line += f" {'-' if not s else fmt(s['min']) + '/' + fmt(s['median']) + '/' + fmt(s['max']):>30}"
    for d in present[1:]:
        line += f" {fmt(row['ratio' if d == 'xc' else 'ratio_' + d]):>16}"
    print(line)
print("boots: " + ", ".join(f"{LABEL[d]} {len(boots[d])}" for d in present)
      + f"; every transfer intact: {'yes' if intact else 'NO'}")

# The chart: one bar per figure, the ratio on a log scale (1 = as hvc_xen);
# green where the module is better.
import math

rows = [r for r in summary if r["ratio"]]
W, bar, left = 900, 22, 230
H = 60 + bar * len(rows)
lo, hi = math.log10(0.05), math.log10(20)


def xpos(v):
    return left + (math.log10(min(max(v, 0.05), 20)) - lo) / (hi - lo) * (W - left - 20)


svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<text x="{left}" y="20">xen_channel / hvc_xen, ratio of medians (log scale; 1 = equal)</text>']
for v in (0.1, 0.25, 0.5, 1, 2, 3, 5, 10):
    svg.append(f'<line x1="{xpos(v):.1f}" y1="30" x2="{xpos(v):.1f}" y2="{H - 20}" stroke="#ccc"/>')
    svg.append(f'<text x="{xpos(v):.1f}" y="{H - 5}" text-anchor="middle">{v:g}</text>')
for i, r in enumerate(rows):
    y = 35 + i * bar
    better = r["ratio"] < 1 if r["lower_is_better"] else r["ratio"] > 1
    x0, x1 = sorted((xpos(1), xpos(r["ratio"])))
    svg.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{r["figure"]}</text>')
    svg.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" height="{bar - 8}" '
               f'fill="{"#3a3" if better else "#c33"}"/>')
    svg.append(f'<text x="{x1 + 4:.1f}" y="{y + 14}">{r["ratio"]:.2f}</text>')
svg.append(f'<line x1="{xpos(1):.1f}" y1="30" x2="{xpos(1):.1f}" y2="{H - 20}" stroke="#000"/>')
svg.append("</svg>")
open(os.path.join(run, "ratios.svg"), "w").write("\n".join(svg))
print(f"raw figures: {os.path.join(run, 'bench.json')}; chart: {os.path.join(run, 'ratios.svg')}")
