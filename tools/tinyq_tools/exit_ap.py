"""Per-exit AP of a multi-exit detector next to the per-scale AP of the OutA model it replaces.

  cd tools && /usr/bin/python3 -m tinyq_tools.exit_ap --model ../models/face_mnv2_a050_multi.npz \
      --ref ../models/face_mnv2_a050_outA.npz [--set wider_val] [--json out.json]

"exit k only": the other exits' score logits are set to -50 (no detections), one pass at 1x. "ref s x gated":
the OutA model at scale s with the templates of that Tiny-Face scale only (eval.py --gate tinyface), i.e. what
exit k (stride 16/s) replaces. VOC AP at IoU 0.5, score >= 0.03, NMS 0.3, subsets as eval.py.
"""
import argparse
import json

import torch

from . import DEFAULT_DATA
from .data import EVAL_SETS, image_of, load_items
from .detector import load_npz
from .eval import SUBSETS, detect, voc_ap
from .multi_exit import detect_single_pass, load_any


def only_exit(model, k):
    """Copy of the score biases, then every exit but k silenced (in place); returns the copy to restore."""
    keep = [h.bias.detach().clone() for h in model.heads]
    with torch.no_grad():
        for j, (e, h) in enumerate(zip(model.exits, model.heads)):
            if j != k:
                h.bias[:len(e["templates"])] = -50.0
    return keep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ref", default=None)
    ap.add_argument("--set", default="wider_val", choices=list(EVAL_SETS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    items = load_items(a.set, a.data, eager=True)
    gts = [(it["boxes"], it["invalid"]) for it in items]
    m = load_any(a.model).eval()
    res = {}

    def show(name, dets):
        res[name] = {s: voc_ap(dets, gts, mw)[0] for s, mw in SUBSETS}
        print("%-34s " % name + "  ".join("AP[%s] %.4f" % (s, res[name][s]) for s, _ in SUBSETS), flush=True)

    for k, e in enumerate(m.exits):
        keep = only_exit(m, k)
        show("exit %d only (stride %d)" % (k, e["stride"]), [detect_single_pass(m, image_of(it)) for it in items])
        with torch.no_grad():
            for h, b in zip(m.heads, keep):
                h.bias.copy_(b)
    if a.ref:
        ref = load_npz(a.ref).eval()
        for e in m.exits:
            s = 16.0 / e["stride"]
            show("ref %gx gated" % s, [detect(ref, image_of(it), (s,), gate="tinyface") for it in items])
    if a.json:
        res["_args"] = vars(a)
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
