#!/usr/bin/env python3
"""The model-layer table of docs/benchmarks.md from bench_kernels JSON (medians of repetitions).

  python3 bench/model_table.py new.json [old.json]

new.json: `bench_kernels --benchmark_filter='^model_' --benchmark_repetitions=3
--benchmark_report_aggregates_only=true --benchmark_out=new.json`; old.json (optional): the same
filter ('^model_.*/opt$') from the older tree's binary. GMAC/s per layer of tinyq (old, new),
XNNPACK qs8 on the same shape, the ratios, the share of the int16 peak, and a summary per model.
"""
import json
import statistics
import sys


def medians(path):
    out = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"]
        out[name] = (b["MAC/s"] / 1e9, b.get("peak_GMACs", 0.0), b.get("label", ""))
    return out


def main():
    new = medians(sys.argv[1])
    old = medians(sys.argv[2]) if len(sys.argv) > 2 else {}
    models = sorted({n.split("/")[0] for n in new})
    for m in models:
        layers = sorted({n.split("/")[1] for n in new if n.startswith(m + "/")})
        print(f"\n### {m}\n")
        head = "| layer | " + ("old | " if old else "") + "new | " + ("new/old | " if old else "")
        print(head + "XNNPACK qs8 | new/XNNPACK | % of peak | weights, path |")
        print("|" + "---|" * (head.count("|") + 3))
        ratios, pw_peak, speedups = [], [], []
        for l in layers:
            opt = new.get(f"{m}/{l}/opt")
            xnn = new.get(f"{m}/{l}/xnnpack_qs8")
            if opt is None:
                continue
            g, peak, label = opt
            row = f"| {l} | "
            if old:
                o = old.get(f"{m}/{l}/opt")
                row += (f"{o[0]:.1f} | " if o else " | ") + f"{g:.1f} | " + (f"{g / o[0]:.2f}x | " if o else " | ")
                if o:
                    speedups.append(g / o[0])
            else:
                row += f"{g:.1f} | "
            if xnn:
                ratios.append(g / xnn[0])
                row += f"{xnn[0]:.1f} | {g / xnn[0]:.2f}x | "
            else:
                row += " | | "
            pct = 100 * g / peak if peak else 0
            if "/" in l and False:
                pass
            if l.split("_")[1] == "pw":
                pw_peak.append(pct)
            label = label.replace(" photo", "").replace(" avx512_vnni", "").replace(" noise", " (noise)")
            print(row + f"{pct:.0f}% | {label} |")
        if ratios:
            print(f"\n{m}: new/XNNPACK median {statistics.median(ratios):.2f}x, min {min(ratios):.2f}x over {len(ratios)} layers"
                  + (f"; new/old median {statistics.median(speedups):.2f}x, min {min(speedups):.2f}x" if speedups else "")
                  + (f"; pointwise median {statistics.median(pw_peak):.0f}% of the int16 peak" if pw_peak else ""))


if __name__ == "__main__":
    main()
