"""Evaluate face detectors on an evaluation set (--set): wider_val (wider_val_200 val split, 40 images,
the default), fddb_paper (fddb_283, 283 images at native size, the paper's square boxes; evaluation only)
or face_mask_val (face_mask_853 val split, 85 images, human boxes).

VOC all-point AP at IoU >= 0.5: detections of all images sorted by score, each matched
greedily to the unmatched-or-not GT box of highest IoU (VOC rule: if that box is already
matched the detection is a false positive); boxes flagged `invalid` are "don't care" (a
detection matching one is neither TP nor FP).  Size subsets (`w>=16` etc.) count only faces
at least that wide (image pixels) as positives; smaller faces become
don't-care regions, and an unmatched detection narrower than the subset's minimum is ignored
(the COCO area-range rule), so a subset measures the detector on faces of that size only.

  cd tools && /usr/bin/python3 -m tinyq_tools.eval --model ../models/face_mnv2_a100_outA.npz \
      --scales 0.5,1,2 --haar --plot ../docs/pr_curve.png

Multi-scale inference: the image is resized by each scale (cv2 bilinear), padded to a multiple
of 16 at the bottom/right with pixel 128, run through the detector; detections (score >=
--score-thr) of all scales are mapped back and merged with greedy NMS (IoU > --nms).
"""
import argparse
import json
import os
import time

import cv2
import numpy as np
import torch

from . import DEFAULT_DATA, REPO_ROOT
from .data import EVAL_SETS, image_of, load_items
from .detector import anchors_for, best_cells, decode, finish_boxes, head_to_flat, pad_to_multiple
from .multi_exit import detect_single_pass, load_any as load_npz
from .templates import HR_RES101_TEMPLATES, NUM_TEMPLATES

SUBSETS = (("all", 0.0), ("w>=10", 10.0), ("w>=16", 16.0))


def template_gate(scale, gate):
    """Templates used at an inference scale, the C++ rule (include/tinyq/detect/decode.h,
    template_used_at). gate 'none': all 25; 'tinyface': those whose Tiny-Face scale column
    equals the inference scale (0.5: t 0-3, 1: t 4-11, 2: t 12-24), and below the smallest
    bound scale (0.5) that scale's templates (the large-face octaves 0.25, 0.125, ...); any
    other scale (0.75, say) uses none."""
    if gate == "none":
        return np.ones(NUM_TEMPLATES, bool)
    col = HR_RES101_TEMPLATES[:, 4]
    smallest = col.min()
    if scale < smallest and not np.isclose(scale, smallest):
        return np.isclose(col, smallest)
    return np.isclose(col, scale)


def detect(model, img, scales=(1.0, 2.0), score_thr=0.03, nms_thr=0.3, max_per_scale=3000, gate="none"):
    """A multi-exit model (multi_exit.py) ignores scales and gate: one pass at 1x over all its exits."""
    if getattr(model, "is_multi_exit", False):
        return detect_single_pass(model, img, score_thr, nms_thr, max_per_scale)
    h, w = img.shape[:2]
    all_b, all_s = [], []
    for s in scales:
        nh, nw = max(16, int(round(h * s))), max(16, int(round(w * s)))
        im = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR) if s != 1 else img
        im = pad_to_multiple(im)
        x = torch.from_numpy(im).float().sub_(128).div_(128).permute(2, 0, 1)[None].contiguous()
        with torch.no_grad():
            out = model(x)
        sc, reg = head_to_flat(out)
        sc = torch.sigmoid(sc[0]).numpy()
        reg = reg[0].numpy()
        sc = sc * np.tile(template_gate(s, gate), len(sc) // NUM_TEMPLATES)
        idx = best_cells(sc, score_thr, max_per_scale)
        anchors = anchors_for(out.shape[2], out.shape[3])
        b = decode(reg[idx], anchors[idx]) / np.array([nw / w, nh / h, nw / w, nh / h], np.float32)
        all_b.append(b)
        all_s.append(sc[idx])
    return finish_boxes(all_b, all_s, w, h, nms_thr)


HAAR_VARIANTS = {  # name -> (upscale, histogram equalisation)
    "paper": (1.0, False),   # as the paper ran it: greyscale image, scaleFactor 1.1, OpenCV defaults otherwise
    "eq1x": (1.0, True),     # + histogram equalisation (the variant reported before on wider_val)
    "eq2x": (2.0, True),     # + image upscaled 2x first (reaches faces below the cascade's 24 px window)
}


def haar_detect(img, cascade, upscale=1.0, equalize=True):
    """OpenCV Viola-Jones: detectMultiScale3(scaleFactor 1.1, minNeighbors 3 (OpenCV's default),
    outputRejectLevels) on the grey image; score = the final stage's level weight."""
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if upscale != 1.0:
        gray = cv2.resize(gray, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_LINEAR)
    if equalize:
        gray = cv2.equalizeHist(gray)
    rects, _levels, weights = cascade.detectMultiScale3(gray, scaleFactor=1.1, minNeighbors=3,
                                                        outputRejectLevels=True)
    if len(rects) == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    r = np.asarray(rects, np.float32) / upscale
    b = np.stack([r[:, 0], r[:, 1], r[:, 0] + r[:, 2], r[:, 1] + r[:, 3]], 1)
    return b, np.asarray(weights, np.float32).ravel()


def voc_ap(dets, gts, min_w=0.0, iou_thr=0.5):
    """dets: list per image of (boxes, scores); gts: list of (boxes, invalid).
    Returns ap, recall array, precision array, n_pos."""
    recs = []
    npos = 0
    care_l = []
    for (gb, inv) in gts:
        care = (~inv) & ((gb[:, 2] - gb[:, 0]) >= min_w) if len(gb) else np.zeros(0, bool)
        care_l.append(care)
        npos += int(care.sum())
    for i, (b, s) in enumerate(dets):
        for k in range(len(s)):
            recs.append((float(s[k]), i, k))
    recs.sort(key=lambda r: -r[0])
    matched = [np.zeros(len(g[0]), bool) for g in gts]
    tp, fp = [], []
    for score, i, k in recs:
        gb = gts[i][0]
        bb = dets[i][0][k]
        if len(gb) == 0:
            if (bb[2] - bb[0]) >= min_w:
                tp.append(0); fp.append(1)
            continue
        ix1 = np.maximum(gb[:, 0], bb[0]); iy1 = np.maximum(gb[:, 1], bb[1])
        ix2 = np.minimum(gb[:, 2], bb[2]); iy2 = np.minimum(gb[:, 3], bb[3])
        inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
        uni = (bb[2] - bb[0]) * (bb[3] - bb[1]) + (gb[:, 2] - gb[:, 0]) * (gb[:, 3] - gb[:, 1]) - inter
        iou = inter / np.maximum(uni, 1e-9)
        j = int(np.argmax(iou))
        if iou[j] >= iou_thr:
            if not care_l[i][j]:
                continue  # don't care
            if not matched[i][j]:
                matched[i][j] = True
                tp.append(1); fp.append(0)
            else:
                tp.append(0); fp.append(1)
        elif (bb[2] - bb[0]) < min_w:
            continue  # unmatched detection smaller than the subset's size range: ignored (COCO rule)
        else:
            tp.append(0); fp.append(1)
    tp = np.cumsum(tp); fp = np.cumsum(fp)
    rec = tp / max(npos, 1)
    prec = tp / np.maximum(tp + fp, 1e-9)
    mrec = np.concatenate([[0.0], rec, [1.0]])
    mpre = np.concatenate([[0.0], prec, [0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    ap = float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))
    return ap, rec, prec, npos


COLOURS = [(0, 0, 200), (0, 150, 0), (200, 0, 0), (0, 140, 200), (160, 0, 160), (120, 120, 0), (80, 80, 80)]


def draw_pr(curves, path, title):
    """curves: list of (label, rec, prec). Plot with cv2 (BGR)."""
    W, H, m = 900, 560, 60
    img = np.full((H, W, 3), 255, np.uint8)
    x0, y0, x1, y1 = m, H - m, W - 400, m
    cv2.rectangle(img, (x0, y1), (x1, y0), (0, 0, 0), 1)
    for t in np.linspace(0, 1, 6):
        x = int(x0 + t * (x1 - x0)); y = int(y0 - t * (y0 - y1))
        cv2.line(img, (x, y0), (x, y0 + 5), (0, 0, 0), 1)
        cv2.line(img, (x0 - 5, y), (x0, y), (0, 0, 0), 1)
        cv2.line(img, (x, y0), (x, y1), (225, 225, 225), 1)
        cv2.line(img, (x0, y), (x1, y), (225, 225, 225), 1)
        cv2.putText(img, "%.1f" % t, (x - 10, y0 + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        cv2.putText(img, "%.1f" % t, (x0 - 35, y + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    cv2.putText(img, "recall", ((x0 + x1) // 2 - 20, H - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.putText(img, "precision", (5, y1 - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.putText(img, title, (x0, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    for n, (label, rec, prec) in enumerate(curves):
        c = COLOURS[n % len(COLOURS)]
        if len(rec):
            pts = np.stack([x0 + rec * (x1 - x0), y0 - prec * (y0 - y1)], 1).astype(np.int32)
            cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, c, 2, cv2.LINE_AA)
        ly = y1 + 10 + 22 * n
        cv2.line(img, (x1 + 10, ly), (x1 + 30, ly), c, 2)
        cv2.putText(img, label, (x1 + 35, ly + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1)
    cv2.imwrite(path, img)


GATE = "none"


def evaluate_model(model, items, scales, score_thr=0.03, nms_thr=0.3):
    model.eval()
    return [detect(model, image_of(it), scales, score_thr, nms_thr, gate=GATE) for it in items]


def report(name, dets, gts):
    res = {}
    for sub, mw in SUBSETS:
        ap, rec, prec, npos = voc_ap(dets, gts, mw)
        res[sub] = dict(ap=ap, npos=npos, max_recall=float(rec[-1]) if len(rec) else 0.0, rec=rec, prec=prec)
    print("%-34s " % name + "  ".join("AP[%s]=%.4f (n=%d, maxrec %.3f)" % (s, res[s]["ap"], res[s]["npos"], res[s]["max_recall"])
                                      for s, _ in SUBSETS), flush=True)
    return res


def write_results_json(results, args, path, timing=None):
    """AP figures per detector and subset (no PR arrays), plus the command-line arguments and, if given, the
    Python float wall time per image of each detector (a sanity number, not a benchmark)."""
    out = {n: {s: dict(ap=v["ap"], npos=v["npos"], max_recall=v["max_recall"]) for s, v in r.items()}
           for n, r in results.items()}
    if timing:
        out["_python_float_ms_per_image"] = timing
    out["_args"] = vars(args)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--model", action="append", default=[], help="detector npz (repeatable)")
    ap.add_argument("--scales", default="0.5,1,2")
    ap.add_argument("--score-thr", type=float, default=0.03)
    ap.add_argument("--nms", type=float, default=0.3)
    ap.add_argument("--gate", default="none", choices=["none", "tinyface"],
                    help="templates per inference scale (see template_gate)")
    ap.add_argument("--set", default="wider_val", choices=list(EVAL_SETS) + ["wider_train"],
                    help="evaluation set (wider_train only for choosing inference settings)")
    ap.add_argument("--wq", default="", help="comma list of weights-only quantization modes to simulate, "
                                            "e.g. FP16,Q9,Q8,Q7,Q6,auto16,auto8 (see calibrate.py)")
    ap.add_argument("--aq", default="", help="comma list of modes simulated with weights AND activations "
                                            "fake-quantized (PyTorch float simulation, not the C++ integer path)")
    ap.add_argument("--qformats", default=None, help="calibrate.py JSON (activation ranges for auto16/auto8 --aq)")
    ap.add_argument("--no-float", action="store_true", help="skip the float run of --model (only --wq/--aq)")
    ap.add_argument("--haar", action="store_true", help="also run OpenCV's Haar cascade (--haar-variants)")
    ap.add_argument("--haar-variants", default="eq1x,eq2x", help="comma list of " + ", ".join(HAAR_VARIANTS))
    ap.add_argument("--haar-xml", default="/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml")
    ap.add_argument("--teachers", default="", help="comma list of teacher detectors to score too (teachers.py: "
                                                  "scrfd, yunet_n; 640 letterbox, detections >= --score-thr)")
    ap.add_argument("--plot", default=None, help="PR curve PNG (subset given by --plot-subset)")
    ap.add_argument("--plot-subset", default="w>=16")
    ap.add_argument("--json", default=None, help="write AP numbers as JSON")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    scales = [float(s) for s in args.scales.split(",")]
    global GATE
    GATE = args.gate
    items = load_items(args.set, args.data, eager=True)
    gts = [(it["boxes"], it["invalid"]) for it in items]
    results = {}
    timing = {}
    for mp in args.model:
        model = load_npz(mp)
        tagm = os.path.splitext(os.path.basename(mp))[0]
        name = "%s float scales %s gate %s" % (tagm, args.scales, args.gate)
        if getattr(model, "is_multi_exit", False):
            name = "%s float single pass 1x, %d exits" % (tagm, len(model.exits))
        if not args.no_float:
            t0 = time.time()
            dets = evaluate_model(model, items, scales, args.score_thr, args.nms)
            timing[name] = 1000.0 * (time.time() - t0) / max(len(items), 1)
            results[name] = report(name, dets, gts)
            print("  python float: %.1f ms per image (%d images, %d threads)" % (timing[name], len(items),
                                                                                args.threads), flush=True)
        for mode in [m for m in args.wq.split(",") if m]:
            from .calibrate import quantize_weights_only
            qm = load_npz(mp)
            quantize_weights_only(qm, mode)
            name = "%s weights-only %s" % (tagm, mode)
            results[name] = report(name, evaluate_model(qm, items, scales, args.score_thr, args.nms), gts)
        for mode in [m for m in args.aq.split(",") if m]:
            from .calibrate import quantize_weights_only, install_act_quant
            act = None
            if mode.startswith("auto"):
                with open(args.qformats) as f:
                    act = json.load(f)["activations"]
            qm = install_act_quant(quantize_weights_only(load_npz(mp), mode), mode, act)
            name = "%s weights+act fake-quant %s" % (tagm, mode)
            results[name] = report(name, evaluate_model(qm, items, scales, args.score_thr, args.nms), gts)
    if args.haar:
        casc = cv2.CascadeClassifier(args.haar_xml)
        if casc.empty():
            raise SystemExit("cannot load " + args.haar_xml + " (apt-get install opencv-data)")
        for v in [v for v in args.haar_variants.split(",") if v]:
            if v not in HAAR_VARIANTS:
                raise SystemExit("unknown --haar-variants entry '%s' (known: %s)" % (v, ", ".join(HAAR_VARIANTS)))
            up, eq = HAAR_VARIANTS[v]
            name = "OpenCV Haar (frontalface_default) %s" % v
            results[name] = report(name, [haar_detect(image_of(it), casc, up, eq) for it in items], gts)
    for t in [t for t in args.teachers.split(",") if t]:
        from .teachers import Teacher
        cv2.setNumThreads(args.threads)
        teacher = Teacher(t, args.data)
        name = "teacher %s (640 letterbox)" % t
        dets = [teacher.detect(cv2.cvtColor(image_of(it), cv2.COLOR_RGB2BGR), conf=args.score_thr, nms_thr=0.4)
                for it in items]
        results[name] = report(name, dets, gts)
    if args.plot:
        curves = [("%s AP %.3f" % (n.replace("face_mnv2_", "").replace("OpenCV Haar (frontalface_default)", "Haar"),
                                   r[args.plot_subset]["ap"]), r[args.plot_subset]["rec"], r[args.plot_subset]["prec"])
                  for n, r in results.items()]
        faces = "all faces" if args.plot_subset == "all" else "faces %s px" % args.plot_subset[1:]
        draw_pr(curves, args.plot, "PR, %s, %s, IoU 0.5" % (args.set, faces))
        print("wrote", args.plot)
    if args.json:
        write_results_json(results, args, args.json, timing)
    return results


if __name__ == "__main__":
    main()
