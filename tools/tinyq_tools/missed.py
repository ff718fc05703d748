"""The faces a C++ detector never finds on an evaluation set: for every ground-truth face with no detection at
IoU >= 0.5 (at any score >= --threshold), its width, the best IoU any detection reaches, its box and whether the
box reaches outside the image. Answers "is recall limited by size, by box shape or by faces never seen?".

  cd tools && /usr/bin/python3 -m tinyq_tools.missed --detect ../build/host/examples/detect/tinyq-detect \\
      --model ../models/face_mnv2_a100_outA.w12d8.tqw --set fddb_paper

Diagnosis only: nothing here feeds training, calibration or any choice (fddb_paper is evaluation only).
"""
import argparse

import cv2
import numpy as np

from . import DEFAULT_DATA
from .cli_runner import run_tinyq
from .detector import iou_matrix
from .eval_cpp import set_items


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detect", required=True, help="the tinyq-detect binary")
    ap.add_argument("--model", required=True, help="weights file")
    ap.add_argument("--set", default="fddb_paper", choices=("fddb_paper", "wider_val", "face_mask_val"))
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--threshold", type=float, default=0.05)
    args = ap.parse_args(argv)
    items = set_items(args.set, args.data)
    paths = [p for p, _ in items]
    dets, _ms, _cmd = run_tinyq(args.detect, args.model, paths, threshold=args.threshold)
    found, missed = [], []
    gts = [g for _, g in items]
    for (boxes, _scores), (gt, invalid), path in zip(dets, gts, paths):
        h, w = cv2.imread(path).shape[:2]
        best = iou_matrix(np.asarray(boxes, np.float64).reshape(-1, 4), gt).max(0, initial=0.0)  # per face
        for g, inv, iou in zip(gt, invalid, best):
            if inv:
                continue
            if iou >= 0.5:
                found.append(g[2] - g[0])
            else:
                outside = g[0] < 0 or g[1] < 0 or g[2] > w or g[3] > h
                missed.append((g[2] - g[0], iou, g, w, h, outside, path))
    print("%s on %s: %d faces found, %d missed (score >= %.2f)" % (args.model, args.set, len(found), len(missed),
                                                                    args.threshold))
    if found:
        print("found face widths, percentiles 5/50/95: %s px" % np.percentile(found, [5, 50, 95]).round(1))
    for width, iou, g, w, h, outside, path in sorted(missed, key=lambda m: m[0]):
        print("missed: width %4.0f  best IoU %.2f  box %s  image %dx%d%s  %s" % (
            width, iou, np.round(g).astype(int).tolist(), w, h, "  (box outside the image)" if outside else "", path))
    return missed


if __name__ == "__main__":
    main()
