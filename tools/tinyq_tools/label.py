"""Label a folder of photos with two teacher detectors (teachers.py), and check labels against others.

  cd tools && /usr/bin/python3 -m tinyq_tools.label label PHOTOS/ --out labels.txt --ignore-out ignore.txt
  cd tools && /usr/bin/python3 -m tinyq_tools.label check --set lfw --sample 200 --json ../models/x.json

Two-teacher rule (the one ../shared/data/teacher_labels was made with, teacher_labels/SOURCE.md): each teacher
keeps detections down to score 0.3 (NMS 0.4, 640 letterbox); the two lists are paired one-to-one, highest IoU
first, a pair needing IoU >= 0.5.
  label   a pair whose mean score (s_a + s_b) / 2 >= 0.5; box = the corner-wise mean of the two boxes
  ignore  a pair with mean score in [0.3, 0.5), or a box found by one teacher only
Boxes are clipped to the image; boxes under 1 px are dropped.
Output: WIDER bbx_gt style (file path relative to the folder, count, then one line per box):
  labels  `x y w h score` (pixels, one decimal; score = the mean, 3 decimals)
  ignore  `x y w h score src`, src 0 = both teachers with a low mean, 1 = teacher A only, 2 = teacher B only
The files load as a training set the way data.py loads lfw_3000 (labels = faces, ignore = ignore regions).

`check` labels a deterministic sample (every k-th image) of lfw_3000 or face_mask_853 and reports agreement of
these labels with the provided teacher_labels (precision/recall at IoU 0.5, mean IoU of the matches) and, for
face_mask_853, of both with the human boxes.
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

from . import DEFAULT_DATA
from .data import read_bbx_gt, xywh_to_xyxy
from .detector import iou_matrix
from .teachers import Teacher

IMAGE_EXT = (".jpg", ".jpeg", ".png", ".bmp")


def pair_one_to_one(a, b, min_iou=0.5):
    """Greedy one-to-one pairs (i, j), highest IoU first, IoU >= min_iou."""
    if len(a) == 0 or len(b) == 0:
        return []
    iou = iou_matrix(a, b)
    order = np.dstack(np.unravel_index(np.argsort(-iou, axis=None, kind="stable"), iou.shape))[0]
    used_a, used_b, pairs = set(), set(), []
    for i, j in order:
        if iou[i, j] < min_iou:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((int(i), int(j)))
    return pairs


def combine(ba, sa, bb, sb, label_thr=0.5, min_score=0.3, pair_iou=0.5):
    """Two teachers' detections -> (labels (N,4), label scores, ignore (M,4), ignore scores, ignore src)."""
    ka, kb = sa >= min_score, sb >= min_score
    ba, sa, bb, sb = ba[ka], sa[ka], bb[kb], sb[kb]
    pairs = pair_one_to_one(ba, bb, pair_iou)
    lab, lab_s, ign, ign_s, ign_src = [], [], [], [], []
    for i, j in pairs:
        m = 0.5 * (sa[i] + sb[j])
        box = 0.5 * (ba[i] + bb[j])
        if m >= label_thr:
            lab.append(box)
            lab_s.append(m)
        else:
            ign.append(box)
            ign_s.append(m)
            ign_src.append(0)
    pa = {i for i, _ in pairs}
    pb = {j for _, j in pairs}
    for src, (b, s, paired) in ((1, (ba, sa, pa)), (2, (bb, sb, pb))):
        for k in range(len(b)):
            if k not in paired:
                ign.append(b[k])
                ign_s.append(s[k])
                ign_src.append(src)

    def arr(x, w=4):
        return np.array(x, np.float32).reshape(-1, w) if w else np.array(x, np.float32)
    return arr(lab), arr(lab_s, 0), arr(ign), arr(ign_s, 0), np.array(ign_src, np.int32)


def clip_boxes(b, w, h):
    b = b.copy()
    b[:, 0::2] = np.clip(b[:, 0::2], 0, w)
    b[:, 1::2] = np.clip(b[:, 1::2], 0, h)
    keep = ((b[:, 2] - b[:, 0]) >= 1) & ((b[:, 3] - b[:, 1]) >= 1)
    return b, keep


def label_image(teachers, img_bgr):
    h, w = img_bgr.shape[:2]
    (ba, sa), (bb, sb) = [t.detect(img_bgr, conf=0.3, nms_thr=0.4) for t in teachers]
    lab, ls, ign, is_, src = combine(ba, sa, bb, sb)
    lab, kl = clip_boxes(lab, w, h)
    ign, ki = clip_boxes(ign, w, h)
    return lab[kl], ls[kl], ign[ki], is_[ki], src[ki]


def list_images(folder):
    out = []
    for root, _dirs, files in os.walk(folder):
        for f in files:
            if f.lower().endswith(IMAGE_EXT):
                out.append(os.path.relpath(os.path.join(root, f), folder))
    return sorted(out)


def fmt_box(b):
    return "%.1f %.1f %.1f %.1f" % (b[0], b[1], b[2] - b[0], b[3] - b[1])


def write_labels(results, out, ignore_out):
    with open(out, "w") as f, open(ignore_out, "w") as g:
        for name, (lab, ls, ign, is_, src) in results:
            f.write("%s\n%d\n" % (name, len(lab)))
            for b, s in zip(lab, ls):
                f.write("%s %.3f\n" % (fmt_box(b), s))
            g.write("%s\n%d\n" % (name, len(ign)))
            for b, s, c in zip(ign, is_, src):
                g.write("%s %.3f %d\n" % (fmt_box(b), s, c))


def run_label(folder, names, teachers, verbose=True):
    results = []
    t0 = time.time()
    for k, n in enumerate(names):
        img = cv2.imread(os.path.join(folder, n), cv2.IMREAD_COLOR)
        if img is None:
            raise SystemExit("error: cannot read image %s" % os.path.join(folder, n))
        results.append((n, label_image(teachers, img)))
        if verbose and (k + 1) % 50 == 0:
            print("  %d/%d images, %.1f s" % (k + 1, len(names), time.time() - t0), file=sys.stderr, flush=True)
    return results


def agreement(pred, ref, iou_thr=0.5):
    """Per-box agreement of two lists of box sets: one-to-one matching at IoU >= iou_thr."""
    n_pred = sum(len(p) for p in pred)
    n_ref = sum(len(r) for r in ref)
    matched, ious = 0, []
    for p, r in zip(pred, ref):
        if len(p) == 0 or len(r) == 0:
            continue
        iou = iou_matrix(p, r)
        for i, j in pair_one_to_one(p, r, iou_thr):
            matched += 1
            ious.append(float(iou[i, j]))
    return dict(pred=n_pred, ref=n_ref, matched=matched, precision=matched / max(n_pred, 1),
                recall=matched / max(n_ref, 1), mean_iou=float(np.mean(ious)) if ious else 0.0)


def check(args):
    d = args.data
    if args.set == "lfw":
        folder = os.path.join(d, "lfw_3000")
        ref_l = read_bbx_gt(os.path.join(d, "teacher_labels", "lfw_3000.txt"))
        ref_i = read_bbx_gt(os.path.join(d, "teacher_labels", "lfw_3000_ignore.txt"))
        human = None
    else:
        folder = os.path.join(d, "face_mask_853")
        ref_l = read_bbx_gt(os.path.join(d, "teacher_labels", "face_mask_853.txt"))
        ref_i = read_bbx_gt(os.path.join(d, "teacher_labels", "face_mask_853_ignore.txt"))
        human = read_bbx_gt(os.path.join(folder, "annotations.txt"))
    names = sorted(ref_l)
    step = max(1, len(names) // args.sample)
    names = names[::step][:args.sample]
    teachers = [Teacher(t, d) for t in args.teachers.split(",")]
    t0 = time.time()
    res = run_label(folder, names, teachers)
    secs = time.time() - t0
    ours_l = [r[1][0] for r in res]
    ours_i = [r[1][2] for r in res]

    def boxes(tab, n):
        return xywh_to_xyxy(tab[n]) if n in tab and len(tab[n]) else np.zeros((0, 4), np.float32)
    out = dict(set=args.set, images=len(names), every_kth=step, teachers=args.teachers, seconds=round(secs, 1),
               labels_vs_provided_labels=agreement(ours_l, [boxes(ref_l, n) for n in names]),
               ignore_vs_provided_ignore=agreement(ours_i, [boxes(ref_i, n) for n in names]))
    if human is not None:
        hb = [boxes(human, n) for n in names]
        out["our_labels_vs_human"] = agreement(ours_l, hb)
        out["provided_labels_vs_human"] = agreement([boxes(ref_l, n) for n in names], hb)
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("label", help="label every image under a folder")
    lp.add_argument("folder")
    lp.add_argument("--out", required=True, help="labels file (x y w h score)")
    lp.add_argument("--ignore-out", required=True, help="ignore file (x y w h score src)")
    cp = sub.add_parser("check", help="agreement with the provided teacher_labels on a sample")
    cp.add_argument("--set", choices=["lfw", "face_mask"], default="lfw")
    cp.add_argument("--sample", type=int, default=200, help="images (every k-th of the sorted list)")
    cp.add_argument("--json", default=None)
    for p in (lp, cp):
        p.add_argument("--data", default=DEFAULT_DATA, help="folder holding teachers/ (and the sets for check)")
        p.add_argument("--teachers", default="scrfd,yunet_n", help="two of: scrfd, yunet_n (A,B; src 1 = A)")
        p.add_argument("--threads", type=int, default=1, help="cv2 threads")
    args = ap.parse_args(argv)
    cv2.setNumThreads(args.threads)
    if len(args.teachers.split(",")) != 2:
        ap.error("--teachers needs exactly two names")
    try:
        if args.cmd == "check":
            if args.sample < 1:
                ap.error("--sample must be >= 1")
            return check(args)
        if not os.path.isdir(args.folder):
            ap.error("not a folder: %s" % args.folder)
        names = list_images(args.folder)
        if not names:
            ap.error("no images (%s) under %s" % (", ".join(IMAGE_EXT), args.folder))
        teachers = [Teacher(t, args.data) for t in args.teachers.split(",")]
        res = run_label(args.folder, names, teachers)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit("error: %s" % e)
    write_labels(res, args.out, args.ignore_out)
    n_l = sum(len(r[1][0]) for r in res)
    n_i = sum(len(r[1][2]) for r in res)
    print("%d images: %d labels -> %s, %d ignore boxes -> %s" % (len(res), n_l, args.out, n_i, args.ignore_out))
    return res


if __name__ == "__main__":
    main()
