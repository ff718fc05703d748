"""Precision, recall and F1 of tinyq-detect versus the score threshold, to choose the CLI's default.

Runs the built `tinyq-detect --json` once per model at a low threshold (--sweep-from) with every other
option at the CLI's default (scales, NMS), then keeps the boxes with score >= t for each t of a 0.01 grid.
That equals running the CLI at t: the threshold filters cells before greedy NMS, and a box that scores
>= t can only be suppressed by a better box, which also passes t. (Exact as long as the 4096-candidate
heap does not fill at the low threshold; --check-at reruns the CLI at the chosen t to confirm.)

Matching is eval.py's voc_ap at IoU >= 0.5 (greedy by descending score, invalid GT boxes don't care),
on the subset 'all' by default (--subset as eval.py's SUBSETS): TP and FP are counted over every detection kept at t, P = TP / (TP + FP),
R = TP / positives, F1 = 2PR / (P + R) (0 when P + R = 0, and P = 0 when nothing is kept).

  cd tools && /usr/bin/python3 -m tinyq_tools.threshold --detect ../build/host/examples/detect/tinyq-detect \
      --model ../models/face_mnv2_a100_outA.auto.tqw --set wider_val

Only validation sets are offered (wider_val, face_mask_val): fddb_paper is evaluation only. `--set` repeats:
the sets are pooled (their images form one list, so TP, FP and positives are summed over both), which is how the
CLI's default was chosen (docs/detector.md):

  /usr/bin/python3 -m tinyq_tools.threshold --detect ... --model ../models/face_mnv2_a100_outA.w12d8.tqw \
      --set wider_val --set face_mask_val
"""
import argparse
import json
import os

import numpy as np

from . import DEFAULT_DATA
from .cli_runner import run_tinyq
from .eval import SUBSETS, voc_ap
from .eval_cpp import set_items

CHOICE_SETS = ("wider_val", "face_mask_val")


def prf_at(dets, gts, t, min_w=0.0):
    """(P, R, F1, n kept) over the detections with score >= t."""
    kept = [(b[s >= t], s[s >= t]) for b, s in dets]
    _ap, rec, prec, _npos = voc_ap(kept, gts, min_w)
    p = float(prec[-1]) if len(prec) else 0.0
    r = float(rec[-1]) if len(rec) else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, f1, int(sum(len(s) for _, s in kept))


def grid(lo, hi, step=0.01):
    """Thresholds lo, lo+step, ..., hi, each rounded to 2 decimals (no float drift in the keys)."""
    n = int(round((hi - lo) / step))
    return [round(lo + k * step, 2) for k in range(n + 1)]


def sweep(dets, gts, thresholds, min_w=0.0):
    return [dict(t=t, **dict(zip(("p", "r", "f1", "kept"), prf_at(dets, gts, t, min_w)))) for t in thresholds]


def best(curve):
    """The row of highest F1 (ties: the lowest threshold)."""
    return max(curve, key=lambda row: (row["f1"], -row["t"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detect", required=True, help="the tinyq-detect binary")
    ap.add_argument("--model", action="append", required=True, help="weights file (repeatable)")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--set", action="append", choices=CHOICE_SETS,
                    help="validation set (default wider_val; repeat to pool several)")
    ap.add_argument("--subset", default="all", choices=[n for n, _ in SUBSETS])
    ap.add_argument("--sweep-from", type=float, default=0.03, help="threshold of the one CLI run")
    ap.add_argument("--lo", type=float, default=0.05)
    ap.add_argument("--hi", type=float, default=0.95)
    ap.add_argument("--print-step", type=float, default=0.05, help="rows printed (the best row always is)")
    ap.add_argument("--at", type=float, default=None, help="also print P/R/F1 at this threshold")
    ap.add_argument("--check-at", action="store_true", help="rerun the CLI at --at (or the best t) and compare")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.sweep_from > args.lo:
        ap.error("--sweep-from must be <= --lo")
    sets = args.set or ["wider_val"]
    if len(set(sets)) != len(sets):
        ap.error("--set given twice with the same set")
    items = [it for name in sets for it in set_items(name, args.data)]
    set_name = "+".join(sets)
    paths = [p for p, _ in items]
    gts = [g for _, g in items]
    min_w = dict(SUBSETS)[args.subset]
    npos = voc_ap([(np.zeros((0, 4)), np.zeros(0))] * len(gts), gts, min_w)[3]
    out = {}
    every = max(1, int(round(args.print_step / 0.01)))
    for m in args.model:
        dets, _ms, cmd = run_tinyq(args.detect, m, paths, threshold=args.sweep_from)
        curve = sweep(dets, gts, grid(args.lo, args.hi), min_w)
        b = best(curve)
        name = os.path.basename(m)
        print("\n%s on %s, subset %s (%d images, %d positives): %s" % (name, set_name, args.subset, len(paths), npos,
                                                                 " ".join(cmd[:6])))
        print("| threshold | P | R | F1 | boxes kept |\n|---|---|---|---|---|")
        shown = set()
        for k, row in enumerate(curve):
            if k % every == 0 or row is b or (args.at is not None and abs(row["t"] - args.at) < 1e-9):
                mark = " **best**" if row is b else ""
                print("| %.2f%s | %.3f | %.3f | %.3f | %d |" % (row["t"], mark, row["p"], row["r"], row["f1"],
                                                              row["kept"]))
                shown.add(row["t"])
        print("best F1 %.3f at threshold %.2f (P %.3f, R %.3f)" % (b["f1"], b["t"], b["p"], b["r"]))
        res = dict(command=cmd, curve=curve, best=b)
        if args.at is not None and args.at not in shown:
            p, r, f1, kept = prf_at(dets, gts, args.at, min_w)
            print("at %.2f: P %.3f R %.3f F1 %.3f (%d boxes)" % (args.at, p, r, f1, kept))
        if args.check_at:
            t = args.at if args.at is not None else b["t"]
            direct, _ms, _cmd = run_tinyq(args.detect, m, paths, threshold=t)
            pd, rd, fd, kd = prf_at(direct, gts, 0.0, min_w)
            ps, rs, fs, ks = prf_at(dets, gts, t, min_w)
            same = kd == ks and abs(pd - ps) < 1e-12 and abs(rd - rs) < 1e-12
            print("check: CLI run at --threshold %.2f: P %.3f R %.3f F1 %.3f, %d boxes (%s the sweep's row)"
                  % (t, pd, rd, fd, kd, "equals" if same else "DIFFERS from"))
            res["check"] = dict(t=t, p=pd, r=rd, f1=fd, kept=kd, equals_sweep=same)
        out[name] = res
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(set=set_name, npos=npos, results=out, args=vars(args)), f, indent=1)
    return out


if __name__ == "__main__":
    main()
