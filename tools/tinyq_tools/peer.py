"""tinyq-detect next to the peer a user would otherwise take, YuNet-n 2023 on OpenCV's cv2.dnn, in one run.

For every image of each set (--sets; wider_val = WIDER val-40, fddb_paper = fddb_283, evaluation only) at
each size (--sizes: `native`, or `640` = resized so the longer side is 640 px, cv2 INTER_LINEAR up /
INTER_AREA down, written as PNG so both detectors read the same pixels; GT boxes scaled per axis):

  tinyq  `tinyq-detect --model M --threads T --threshold S --json` (every other option at the CLI default:
         the model's scales (0.5,1,2 for paper-mode models, one 1x pass for multi-exit ones), NMS 0.3).
         Time per image: the CLI's own timer around detect() (cli_runner.py).
  YuNet  teachers/yunet_n_2023/yunet_n_640_640.onnx through cv2.dnn with cv2.setNumThreads(T). Input sized
         to the image as OpenCV's FaceDetectorYN does: the picture itself, zero-padded bottom/right to a
         multiple of 32 (cv2.dnn reshapes the 640x640 graph; each stride's grid is then (W/s) x (H/s)).
         teachers.py's decoder, score >= S, NMS at IoU 0.4. Timed: padding + blobFromImage + forward +
         decode + NMS, after one untimed forward at that input shape (cv2.dnn re-plans on a new shape).

AP: eval.py's voc_ap (VOC all-point, IoU >= 0.5, invalid boxes don't care) over the detections >= S
(default 0.03, as eval.py / eval_cpp.py). Median ms over the images of a set and size.
MACs per pixel (multiply-accumulates of the convolutions per pixel of the image given to the detector):
  tinyq  every conv of the weights file (its weight shapes; each layer's stride from layer_table.py, each
         exit head's from head/exits), per network-input pixel (exact for sides that are multiples of the
         head stride: the counts of model::graph_macs), times the network pixels of the model's scales
         (tiling.h's network_input: round(side * s), padded up to the head stride, at least 32).
  YuNet  from the ONNX graph's Convolution layers as cv2.dnn loads them: sum over layers of output
         elements x (weights per output channel), shapes from net.getLayersShapes at the padded input.

  cd tools && /usr/bin/python3 -m tinyq_tools.peer --detect ../build/host/examples/detect/tinyq-detect \
      --tinyq ../models/face_mnv2_a100_outA.auto.tqw:1,2 --yunet-threads 1,2 --json /tmp/peer.json
"""
import argparse
import json
import math
import os
import shutil
import tempfile
import time

import cv2
import numpy as np

from . import DEFAULT_DATA
from .cli_runner import run_tinyq
from .data import load_items
from .detector import nms
from .eval import voc_ap
from .layer_table import layers
from .teachers import FILES as TEACHER_FILES
from .weights_file import read_weights_file

YUNET_STRIDES = (8, 16, 32)
YUNET_ALIGN = 32
TINYQ_SCALES = (0.5, 1.0, 2.0)  # the CLI's default --scales
TINYQ_STRIDE = 16
HEAD_OUTPUTS = 5 * 25  # 25 templates x (score, tx, ty, tw, th)


def median_ms(ms):
    """Median of the per-image times, ignoring missing (nan) ones; nan if none."""
    a = np.asarray(ms, np.float64)
    a = a[~np.isnan(a)]
    return float(np.median(a)) if len(a) else float("nan")


def ap_of(dets, gts, min_w=0.0):
    return voc_ap(dets, gts, min_w)[0]


# ---- inputs -----------------------------------------------------------------------------------------------

def resize_longer(img, side):
    """img resized so max(h, w) == side; returns image and per-axis factors (fx, fy)."""
    h, w = img.shape[:2]
    r = side / max(h, w)
    nw, nh = max(1, int(round(w * r))), max(1, int(round(h * r)))
    interp = cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR
    return cv2.resize(img, (nw, nh), interpolation=interp), (nw / w, nh / h)


def scale_boxes(boxes, fx, fy):
    return (np.asarray(boxes, np.float32).reshape(-1, 4) * np.array([fx, fy, fx, fy], np.float32)).astype(np.float32)


def prepare(set_name, size, data_dir, workdir, limit=None):
    """[(path, (boxes, invalid), (w, h))] for a set at a size ('native' or a longer side in px)."""
    items = load_items(set_name, data_dir)[:limit]
    out = []
    for k, it in enumerate(items):
        if size == "native":
            img = cv2.imread(it["path"], cv2.IMREAD_COLOR)
            if img is None:
                raise SystemExit("cannot read " + it["path"])
            out.append((it["path"], (it["boxes"], it["invalid"]), (img.shape[1], img.shape[0])))
            continue
        img = cv2.imread(it["path"], cv2.IMREAD_COLOR)
        if img is None:
            raise SystemExit("cannot read " + it["path"])
        im, (fx, fy) = resize_longer(img, int(size))
        path = os.path.join(workdir, "%s_%s_%04d.png" % (set_name, size, k))
        if not cv2.imwrite(path, im):
            raise SystemExit("cannot write " + path)
        out.append((path, (scale_boxes(it["boxes"], fx, fy), it["invalid"]), (im.shape[1], im.shape[0])))
    return out


# ---- YuNet-n on cv2.dnn -----------------------------------------------------------------------------------

def pad_to_multiple(img, m=YUNET_ALIGN):
    h, w = img.shape[:2]
    ph, pw = -(-h // m) * m, -(-w // m) * m
    if (ph, pw) == (h, w):
        return img
    out = np.zeros((ph, pw) + img.shape[2:], img.dtype)
    out[:h, :w] = img
    return out


def decode_yunet_n_grid(outs_by_name, net_w, net_h):
    """teachers.decode_yunet_n's rule for any input of net_w x net_h (multiples of 32): for stride s the
    grid is (net_w / s) columns x (net_h / s) rows, row-major; score = sqrt(clip(cls) clip(obj)), centre
    ((col + d0) s, (row + d1) s), size (exp(d2) s, exp(d3) s). Returns boxes (N,4), scores (N,)."""
    boxes, scores = [], []
    for s in YUNET_STRIDES:
        cols, rows = net_w // s, net_h // s
        cls = np.clip(outs_by_name["cls_%d" % s][0, :, 0], 0, 1)
        obj = np.clip(outs_by_name["obj_%d" % s][0, :, 0], 0, 1)
        d = outs_by_name["bbox_%d" % s][0]
        if len(d) != cols * rows:
            raise ValueError("bbox_%d has %d rows, expected %d x %d" % (s, len(d), cols, rows))
        ys, xs = np.mgrid[:rows, :cols]
        cx, cy = (xs.ravel() + d[:, 0]) * s, (ys.ravel() + d[:, 1]) * s
        w, h = np.exp(d[:, 2]) * s, np.exp(d[:, 3]) * s
        boxes.append(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1))
        scores.append(np.sqrt(cls * obj))
    return np.concatenate(boxes), np.concatenate(scores)


class YuNet:
    def __init__(self, data_dir):
        path = os.path.join(data_dir, "teachers", TEACHER_FILES["yunet_n"])
        if not os.path.exists(path):
            raise SystemExit("YuNet-n model not found: " + path)
        self.path = path
        self.net = cv2.dnn.readNet(path)
        self.names = self.net.getUnconnectedOutLayersNames()

    def run(self, img_bgr, conf, nms_thr=0.4):
        """boxes (N,4), scores (N,) in image pixels: the timed part."""
        h, w = img_bgr.shape[:2]
        im = pad_to_multiple(img_bgr)
        self.net.setInput(cv2.dnn.blobFromImage(im, 1.0, (im.shape[1], im.shape[0]), (0, 0, 0), swapRB=False))
        outs = dict(zip(self.names, self.net.forward(self.names)))
        b, s = decode_yunet_n_grid(outs, im.shape[1], im.shape[0])
        k = s >= conf
        b, s = b[k], s[k]
        if len(s) == 0:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
        b[:, 0::2] = np.clip(b[:, 0::2], 0, w)
        b[:, 1::2] = np.clip(b[:, 1::2], 0, h)
        keep = nms(b, s, nms_thr)
        return b[keep].astype(np.float32), s[keep].astype(np.float32)

    def conv_macs(self, net_w, net_h):
        """Multiply-accumulates of every Convolution layer at a net_w x net_h input."""
        ids, _ins, outs = self.net.getLayersShapes((1, 3, net_h, net_w))
        return conv_macs_from(((self.net.getLayer(i).type, self.net.getLayer(i).blobs, o) for i, o in zip(ids, outs)))


def conv_macs_from(layers_iter):
    """layers_iter: (type, weight blobs, output shapes). A convolution's weights are (Cout, Cin/groups,
    kh, kw), so each output element costs Cin/groups * kh * kw MACs."""
    total = 0
    for kind, blobs, out_shapes in layers_iter:
        if kind != "Convolution" or not blobs:
            continue
        per_output = int(np.prod(blobs[0].shape[1:]))
        total += int(np.prod(out_shapes[0][1:])) * per_output
    return total


# ---- tinyq MACs -------------------------------------------------------------------------------------------

def tinyq_macs_per_net_pixel(alpha):
    """Conv MACs per network-input pixel of the detector (backbone to output A + 1x1 head), for inputs
    whose sides are multiples of 16 (every stride divides them, so each layer's pixels are exactly
    input pixels / stride^2)."""
    total, stride = 0, 1
    for l in layers(alpha, "A"):
        stride *= l["stride"]
        per = {"conv3x3": 9 * l["cin"], "dw": 9, "pw": l["cin"]}[l["kind"]]
        total += l["cout"] * per / (stride * stride)
    head_cin = layers(alpha, "A")[-1]["cout"]
    return total + HEAD_OUTPUTS * head_cin / (stride * stride)


def tinyq_model_cost(model_path):
    """(conv MACs per network-input pixel, default scales, padding stride) of a weights file: every
    `<layer>/weights` (OHWI conv: cout*kh*kw*cin per output pixel; 1HWC depthwise: 9*C) over its stride^2."""
    meta, tensors = read_weights_file(model_path)
    stride, strides = 1, {}
    for l in layers(meta["width"] / 1000.0, "B"):
        stride *= l["stride"]
        strides[l["name"]] = stride
    exits = int(meta.get("head_exits", 0))
    head_stride = int(meta.get("head_stride") or (32 if meta["output"] == "B" else 16))
    if exits:
        for k, row in enumerate(np.asarray(tensors["head/exits"][0]).reshape(exits, 3)):
            strides["head_%d" % k] = int(row[1])
    else:
        strides["head"] = head_stride
    total = 0.0
    for name, (arr, _quant, _frac) in tensors.items():
        if not name.endswith("/weights"):
            continue
        layer = name[:-len("/weights")]
        o, kh, kw, i = arr.shape
        per_pixel = 9 * i if layer.endswith("/depthwise") else o * kh * kw * i
        total += per_pixel / float(strides[layer] ** 2)
    return total, ((1.0,) if exits else TINYQ_SCALES), head_stride


def tinyq_network_pixels(w, h, scales=TINYQ_SCALES, stride=TINYQ_STRIDE):
    """Network-input pixels of one detect() at the given scales (tiling.h's network_input; no tiling
    below 2048 px a side, which every image here stays under)."""
    def scaled(v, s):
        return max(1, (v * int(round(s * 256)) + 128) >> 8)

    def padded(v):
        return max(32, -(-v // stride) * stride)

    return sum(padded(scaled(w, s)) * padded(scaled(h, s)) for s in scales)


# ---- the run ----------------------------------------------------------------------------------------------

def parse_tinyq_spec(spec):
    """'MODEL:1,2' -> (MODEL, [1, 2]); 'MODEL' -> (MODEL, [1])."""
    if ":" in spec:
        model, threads = spec.rsplit(":", 1)
        return model, [int(t) for t in threads.split(",")]
    return spec, [1]


def row(detector, threads, set_name, size, dets, gts, ms, macs_px, extra=None):
    r = dict(detector=detector, threads=threads, set=set_name, size=size, images=len(gts),
             ap_all=ap_of(dets, gts), ap_w16=ap_of(dets, gts, 16.0), median_ms=median_ms(ms),
             mean_ms=float(np.nanmean(ms)) if len(ms) else float("nan"), macs_per_pixel=macs_px)
    r.update(extra or {})
    return r


def markdown(rows):
    lines = ["| set | size | detector | threads | AP50 all | AP50 w>=16 | median ms / image | MACs / image pixel |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %s | %s | %d | %.3f | %.3f | %.1f | %s |" % (
            r["set"], r["size"], r["detector"], r["threads"], r["ap_all"], r["ap_w16"], r["median_ms"],
            "%.0f" % r["macs_per_pixel"] if r["macs_per_pixel"] else "n/a"))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detect", required=True, help="the tinyq-detect binary")
    ap.add_argument("--tinyq", action="append", default=[], help="MODEL[:THREADS,...] (repeatable)")
    ap.add_argument("--yunet-threads", default="1,2", help="cv2.setNumThreads values ('' = no YuNet)")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--sets", default="wider_val,fddb_paper")
    ap.add_argument("--sizes", default="native,640")
    ap.add_argument("--score-thr", type=float, default=0.03)
    ap.add_argument("--limit", type=int, default=None, help="first N images of each set (trial runs)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    specs = [parse_tinyq_spec(s) for s in args.tinyq]
    yunet_threads = [int(t) for t in args.yunet_threads.split(",") if t.strip()]
    yunet = YuNet(args.data) if yunet_threads else None
    workdir = tempfile.mkdtemp(prefix="tinyq_peer_")
    rows = []
    started = time.time()

    def save():  # after every row, so a run stopped early keeps what it measured
        if args.json:
            with open(args.json, "w") as f:
                json.dump(dict(rows=rows, args=vars(args), wall_s=time.time() - started), f, indent=1)

    try:
        for set_name in args.sets.split(","):
            for size in args.sizes.split(","):
                items = prepare(set_name, size, args.data, workdir, args.limit)
                paths = [p for p, _, _ in items]
                gts = [g for _, g, _ in items]
                sizes = [wh for _, _, wh in items]
                img_px = sum(w * h for w, h in sizes)
                if yunet:
                    pads = [(-(-w // YUNET_ALIGN) * YUNET_ALIGN, -(-h // YUNET_ALIGN) * YUNET_ALIGN) for w, h in sizes]
                    macs_px = sum(yunet.conv_macs(pw, ph) for pw, ph in pads) / img_px
                    images = [cv2.imread(p, cv2.IMREAD_COLOR) for p in paths]
                    for t in yunet_threads:
                        cv2.setNumThreads(t)
                        dets, ms, cold = [], [], []
                        for img in images:
                            t0 = time.perf_counter()
                            yunet.run(img, args.score_thr)  # untimed for the table: first call at this shape
                            t1 = time.perf_counter()
                            dets.append(yunet.run(img, args.score_thr))
                            t2 = time.perf_counter()
                            cold.append((t1 - t0) * 1e3)
                            ms.append((t2 - t1) * 1e3)
                        rows.append(row("YuNet-n 2023 (cv2.dnn %s)" % cv2.__version__, t, set_name, size, dets, gts,
                                        ms, macs_px, dict(median_first_call_ms=median_ms(cold))))
                        print(markdown(rows[-1:]).splitlines()[-1], flush=True)
                        save()
                for model, thread_list in specs:
                    per_net_px, scales, pad = tinyq_model_cost(model)
                    net_px = sum(tinyq_network_pixels(w, h, scales, pad) for w, h in sizes)
                    macs_px = per_net_px * net_px / img_px
                    for t in thread_list:
                        dets, ms, _cmd = run_tinyq(args.detect, model, paths, threshold=args.score_thr, threads=t)
                        rows.append(row("tinyq " + os.path.basename(model), t, set_name, size, dets, gts, ms, macs_px))
                        print(markdown(rows[-1:]).splitlines()[-1], flush=True)
                        save()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n" + markdown(rows))
    print("\nwall time %.0f s" % (time.time() - started))
    save()
    return rows


if __name__ == "__main__":
    main()
