#!/usr/bin/env python3
"""Markdown table for docs/benchmarks.md from bench_kernels' JSON output.

usage: make_table.py bench.json [rv64_cost.txt]
(with --benchmark_repetitions the medians are used)
rv64_cost.txt: the output of the riscv64 kernel-cost program (tinyq_bench_rv64 under
QEMU), merged by kernel and channel counts.
Rows: every layer shape; columns: tinyq (Q9 16-bit, optimized; pre-packed weights for
pointwise; Q9 activations with 8-bit weights; int8 x int8), XNNPACK qs8, ratio of the
best 16-bit tinyq figure to XNNPACK, % of the int16 peak, the reference for scale.
"""
import json
import re
import sys

data = json.load(open(sys.argv[1]))
rates = {}
peak = None
for b in data["benchmarks"]:
    name = b["name"]
    if "aggregate_name" in b:  # --benchmark_repetitions: use the medians
        if b["aggregate_name"] != "median":
            continue
        name = b["run_name"]
    if name.startswith("peak/"):
        peak = b["MAC/s"] / 1e9
        continue
    if "MAC/s" in b:
        rates[name] = b["MAC/s"] / 1e9
rv64 = {}
if len(sys.argv) > 2:
    for line in open(sys.argv[2]):
        m = re.match(r"pointwise \S+ (\d+)->(\d+) w16 .* instr/MAC ([\d.]+)", line)
        if m:
            rv64[("pw", m.group(1), m.group(2))] = m.group(3)
        # the 16x16 int16 tiles (the program also prints real-size and 8-bit rows)
        m = re.match(r"depthwise 16x16x(\d+) s(\d) macs .* instr/MAC ([\d.]+)", line)
        if m:
            rv64[("dw", m.group(1), m.group(2))] = m.group(3)
        m = re.match(r"conv3x3 stem 32x32x3->32 s2 macs .* instr/MAC ([\d.]+)", line)
        if m:
            rv64[("stem",)] = m.group(1)


def rv64_cost(layer):
    m = re.match(r"pw_\d+x\d+_(\d+)-(\d+)", layer)
    if m:
        return rv64.get(("pw", m.group(1), m.group(2)), "")
    m = re.match(r"dw_\d+x\d+_(\d+)_s(\d)", layer)
    if m:
        return rv64.get(("dw", m.group(1), m.group(2)), "")
    return rv64.get(("stem",), "") if layer.startswith("stem") else ""

shapes = []
for name in rates:
    m = re.match(r"(\d+_w[\d.]+)/((?:pw|dw|stem)_[^/]+)/", name)
    if m and (m.group(1), m.group(2)) not in shapes:
        shapes.append((m.group(1), m.group(2)))

def g(key):
    return rates.get(key)

def f(v):
    return "" if v is None else f"{v:.1f}"

print(f"int16 MAC peak (vpdpwssd zmm, one core): {peak:.1f} GMAC/s\n")
print("| net | layer | Q9 ref | Q7 opt | Q8 opt | Q9 opt | Q9 prepacked | Q9 w8 | i8 | XNNPACK qs8 | ratio (best Q9 / XNNPACK) | % of peak (best Q9) | rv64 instr/MAC |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for net, layer in shapes:
    base = f"{net}/{layer}"
    ref = g(f"{base}/Q9/ref")
    opt = g(f"{base}/Q9/opt")
    pre = g(f"{base}/Q9/opt_prepacked")
    w8 = g(f"{base}/Q9_w8/opt")
    i8 = g(f"{base}/i8/opt")
    xnn = g(f"{base}/xnnpack_qs8")
    best = max(v for v in (opt, pre) if v is not None) if (opt or pre) else None
    ratio = f"{best / xnn:.2f}x" if best and xnn else ""
    pct = f"{100 * best / peak:.0f}%" if best and peak else ""
    q7 = g(f"{base}/Q7/opt")
    q8 = g(f"{base}/Q8/opt")
    print(f"| {net} | {layer} | {f(ref)} | {f(q7)} | {f(q8)} | {f(opt)} | {f(pre)} | {f(w8)} | {f(i8)} | {f(xnn)} | {ratio} | {pct} | {rv64_cost(layer)} |")

# Full-word 16-bit data (a calibrated auto16 model): the split / pre-shift paths.
if any("/A16/" in k for k in rates):
    print("\nCalibrated full-word 16-bit data (`A16`: Q3.12 activations, |w| < 2^15, output shift 17; docs/kernels.md):\n")
    print("| net | layer | A16 ref | A16 opt | A16 prepacked | Q9 opt (same shape) | A16 opt / Q9 opt |")
    print("|---|---|---|---|---|---|---|")
    for net, layer in shapes:
        base = f"{net}/{layer}"
        ref, opt, pre, q9 = (g(f"{base}/A16/ref"), g(f"{base}/A16/opt"), g(f"{base}/A16/opt_prepacked"), g(f"{base}/Q9/opt"))
        if opt is None:
            continue
        rel = f"{opt / q9:.2f}" if q9 else ""
        print(f"| {net} | {layer} | {f(ref)} | {f(opt)} | {f(pre)} | {f(q9)} | {rel} |")
