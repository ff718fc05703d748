"""AP of the C++ detectors on an evaluation set (--set, as eval.py: wider_val, fddb_paper,
face_mask_val), with eval.py's metric.

Runs `tinyq-detect --json` (the integer FaceDetector for integer weights files, the float
reference executor for float32 ones) over the set's images and scores its boxes exactly as
eval.py scores the PyTorch detector (VOC all-point AP at IoU >= 0.5, size subsets).

  cd tools && /usr/bin/python3 -m tinyq_tools.eval_cpp --detect ../build/host/examples/detect/tinyq-detect \
      --model ../models/face_mnv2_a100_outA.float.tqw --model ../models/face_mnv2_a100_outA.auto.tqw \
      --scales 0.5,1,2 --json ../docs/results_cpp.json

The C++ pipeline differs from eval.py's PyTorch one only where stated in docs/detector.md:
its resize is the integer bilinear one at every scale (eval.py uses cv2 INTER_AREA below 1x)
and its box coordinates are integer pixels.
"""
import argparse
import os
import subprocess

from . import DEFAULT_DATA
from .data import EVAL_SETS, load_items
from .cli_runner import parse_json
from .eval import report, write_results_json


def set_items(set_name, data_dir):
    """(image path, (boxes, invalid)) of every image of an evaluation set."""
    return [(it["path"], (it["boxes"], it["invalid"])) for it in load_items(set_name, data_dir)]


def run_detector(binary, model, paths, scales, threshold, nms, threads=None):
    cmd = [binary, "--model", model] + (["--scales", scales] if scales else []) + [
        "--threshold", str(threshold), "--nms", str(nms), "--json"] + (
        ["--threads", str(int(threads))] if threads else [])
    r = subprocess.run(cmd + paths, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed (exit %d): %s" % (" ".join(cmd[:3]), r.returncode, r.stderr.strip()[-2000:]))
    by_image = parse_json(r.stdout)
    return [by_image[p] for p in paths]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detect", required=True, help="the tinyq-detect binary")
    ap.add_argument("--model", action="append", required=True, help="weights file (repeatable)")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--set", default="wider_val", choices=EVAL_SETS)
    ap.add_argument("--scales", default=None,
                    help="e.g. 0.5,1,2 (default: the model's own: 0.5,1,2 paper-mode, 1 for multi-exit models)")
    ap.add_argument("--threshold", type=float, default=0.03)
    ap.add_argument("--nms", type=float, default=0.3)
    ap.add_argument("--threads", type=int, default=None,
                    help="tinyq-detect --threads (default: every core; the detections do not depend on it)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    items = set_items(args.set, args.data)
    paths = [p for p, _ in items]
    gts = [(b, inv) for _, (b, inv) in items]
    results = {}
    for m in args.model:
        name = "C++ " + os.path.basename(m)
        results[name] = report(name, run_detector(args.detect, m, paths, args.scales, args.threshold, args.nms,
                                                 args.threads), gts)
    if args.json:
        write_results_json(results, args, args.json)
    return results


if __name__ == "__main__":
    main()
