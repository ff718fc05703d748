"""Calibration: per-layer weight and activation ranges, automatic per-tensor Q formats,
uniform Q9/Q8/Q7/Q6 variants, and quantization simulations.

  cd tools && /usr/bin/python3 -m tinyq_tools.calibrate --model ../models/face_mnv2_a100_outA.npz \
      --plot ../docs/calibration_a100.png --json ../models/face_mnv2_a100_outA.qformats.json

Q formats (the paper's notation Q<m,n>: m integer bits, n fraction bits, 1 sign bit, word = m+n+1):
  uniform  Q9 = Q<6,9>, Q8 = Q<7,8>, Q7 = Q<8,7>, Q6 = Q<9,6> (16-bit words), every weight, bias
           and activation tensor in the same format;
  auto16   per tensor: n = 15 - ceil(log2(max|v|)), clipped to [0, 15] (16-bit word);
  auto8    per tensor: n =  7 - ceil(log2(max|v|)), clipped to [0, 7]  (8-bit word).
  (max|v| = 0 gives the largest n.)  A value v is stored as q = clamp(round(v * 2^n), -2^(w-1), 2^(w-1)-1).

Activation ranges are measured over the training images (wider_val_200 train split + dlib) at
inference scale 1x (images padded to a multiple of 16; of the largest exit stride for a multi-exit model),
every layer output after ReLU6, each project output of a residual block before the add, the add output,
the input and the head (every `head_<k>` of a multi-exit model; weights_file.py then gives all heads the
smallest of their fracs).

Simulations (PyTorch, float arithmetic):
  weights-only (the paper's mode): weights and biases rounded/saturated to the format, float
           activations: `quantize_weights_only(model, mode)`; run via eval.py --wq Q9,Q8,...
  fake-quant activations too (--act): every activation tensor also rounded/saturated to its
           format after each layer (a float simulation, not the C++ integer kernels).
"""
import argparse
import json
import math
import os

import cv2
import numpy as np
import torch

from . import DEFAULT_DATA
from .data import load_set
from .detector import pad_to_multiple
from .multi_exit import load_any as load_npz

UNIFORM = {"Q9": 9, "Q8": 8, "Q7": 7, "Q6": 6}


def auto_frac_bits(maxabs, word=16):
    top = word - 1
    if maxabs <= 0:
        return top
    return int(np.clip(top - math.ceil(math.log2(maxabs)), 0, top))


def quantize_tensor(v, frac, word=16):
    s = 2.0 ** frac
    lo, hi = -(2 ** (word - 1)), 2 ** (word - 1) - 1
    return torch.clamp(torch.round(v * s), lo, hi) / s


def _conv_modules(model):
    """(name, nn.Conv2d) for every conv incl. the head, TF-slim names."""
    out = [(s["name"], model.backbone.conv(s["name"])) for s in model.backbone.specs]
    if getattr(model, "is_multi_exit", False):
        out += [("head_%d" % k, h) for k, h in enumerate(model.heads)]
    else:
        out.append(("head", model.head))
    return out


def formats_for(mode, ranges=None, kind="weights", name=None):
    if mode in UNIFORM:
        return UNIFORM[mode], 16
    word = 16 if mode == "auto16" else 8 if mode == "auto8" else None
    if word is None:
        raise ValueError("unknown mode " + mode)
    return auto_frac_bits(ranges[name][kind], word), word


def quantize_weights_only(model, mode):
    """In place: weights and biases of every conv rounded to `mode` (FP16 = IEEE half, Q9..Q6, auto16, auto8)."""
    with torch.no_grad():
        for name, m in _conv_modules(model):
            for kind, p in (("weights", m.weight), ("biases", m.bias)):
                if mode == "FP16":
                    p.copy_(p.half().float())
                    continue
                if mode in UNIFORM:
                    n, word = UNIFORM[mode], 16
                else:
                    word = 16 if mode == "auto16" else 8
                    n = auto_frac_bits(float(p.abs().max()), word)
                p.copy_(quantize_tensor(p, n, word))
    return model


def install_act_quant(model, mode, act_ranges):
    """Fake-quantize every activation tensor to `mode` (needs act ranges for auto modes)."""
    def hook(name, x):
        if mode in UNIFORM:
            n, word = UNIFORM[mode], 16
        else:
            word = 16 if mode == "auto16" else 8
            n = auto_frac_bits(act_ranges[name]["maxabs"], word)
        return quantize_tensor(x, n, word)
    model.backbone.act_hook = hook
    if getattr(model, "is_multi_exit", False):
        return model  # the multi-exit forward applies act_hook to every head_<k> itself
    orig_head = model.head.forward

    def head_fwd(x):
        y = orig_head(x)
        return hook("head", y)
    model.head.forward = head_fwd
    return model


def weight_ranges(model):
    r = {}
    for name, m in _conv_modules(model):
        w = m.weight.detach()
        b = m.bias.detach()
        r[name] = dict(w_min=float(w.min()), w_max=float(w.max()), weights=float(w.abs().max()),
                       b_min=float(b.min()), b_max=float(b.max()), biases=float(b.abs().max()))
    return r


def activation_ranges(model, items, scale=1.0, max_images=0):
    r = {}
    model.eval()
    for k, it in enumerate(items):
        if max_images and k >= max_images:
            break
        img = it["img"]
        if scale != 1.0:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        img = pad_to_multiple(img, getattr(model, "pad_multiple", 16))
        x = torch.from_numpy(img).float().sub_(128).div_(128).permute(2, 0, 1)[None].contiguous()
        with torch.no_grad():
            _, taps = model(x, return_taps=True)
        for n, t in taps.items():
            lo, hi = float(t.min()), float(t.max())
            if n in r:
                r[n]["min"] = min(r[n]["min"], lo)
                r[n]["max"] = max(r[n]["max"], hi)
            else:
                r[n] = dict(min=lo, max=hi)
    for v in r.values():
        v["maxabs"] = max(abs(v["min"]), abs(v["max"]))
    return r


def draw_ranges(wr, ar, path, title):
    """Paper Fig. 3 style: per layer, weight range (top) and activation range (bottom) as
    vertical min..max bars on a signed log2 axis, with the Q9..Q6 (16-bit) limits drawn."""
    names = list(wr.keys())
    anames = list(ar.keys())
    W, H = 1400, 820
    img = np.full((H, W, 3), 255, np.uint8)

    def slog(v):  # signed log2 magnitude axis: y = sign(v) * (log2|v| + 10); |v| < 2^-10 drawn at 0
        a = abs(v)
        return 0.0 if a < 2 ** -10 else math.copysign(math.log2(a) + 10, v)

    def panel(y0, y1, labels, lows, highs, colour, heading, lim):
        x0, x1 = 70, W - 20
        cv2.rectangle(img, (x0, y0), (x1, y1), (0, 0, 0), 1)
        mid = (y0 + y1) / 2

        def Y(v):
            return int(mid - slog(v) / lim * (y1 - y0) / 2)
        cv2.putText(img, "0", (5, int(mid) + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1)
        for e in range(-8, int(lim) - 10 + 1, 2):
            for sg in (1, -1):
                v = sg * 2.0 ** e
                y = Y(v)
                if y0 < y < y1:
                    cv2.line(img, (x0, y), (x1, y), (230, 230, 230), 1)
                    cv2.putText(img, ("-" if sg < 0 else "") + "2^%d" % e, (5, y + 4), cv2.FONT_HERSHEY_SIMPLEX,
                                0.35, (0, 0, 0), 1)
        for q, c in (("Q9", (0, 160, 0)), ("Q6", (0, 0, 220))):
            lim_v = 2.0 ** (15 - UNIFORM[q])
            for sg in (1, -1):
                y = Y(sg * lim_v)
                if y0 < y < y1:
                    cv2.line(img, (x0, y), (x1, y), c, 1, cv2.LINE_AA)
            cv2.putText(img, "%s range +-%d" % (q, lim_v), (x1 - 150, Y(lim_v) - 4), cv2.FONT_HERSHEY_SIMPLEX,
                        0.38, c, 1)
        step = 2.0 ** -UNIFORM["Q6"]
        y = Y(step)
        cv2.line(img, (x0, y), (x1, y), (0, 120, 220), 1)
        cv2.putText(img, "Q6 step 2^-6", (x1 - 150, y - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 120, 220), 1)
        y = Y(2.0 ** -9)
        cv2.line(img, (x0, y), (x1, y), (0, 160, 0), 1)
        cv2.putText(img, "Q9 step 2^-9", (x1 - 150, y - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 160, 0), 1)
        cv2.line(img, (x0, int(mid)), (x1, int(mid)), (0, 0, 0), 1)
        n = len(labels)
        for i in range(n):
            x = int(x0 + (i + 0.5) * (x1 - x0) / n)
            cv2.line(img, (x, Y(lows[i])), (x, Y(highs[i])), colour, 3)
            if i % 5 == 0:
                cv2.putText(img, str(i), (x - 5, y1 + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1)
        cv2.putText(img, heading, (x0 + 5, y0 + 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)

    cv2.putText(img, title, (70, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1)
    panel(35, 405, names, [wr[n]["w_min"] for n in names], [wr[n]["w_max"] for n in names], (200, 60, 0),
          "weights min..max per layer (x: layer index in %s order, 0 = Conv, last = head); y: signed log2" %
          "execution", 20)
    panel(430, 800, anames, [ar[n]["min"] for n in anames], [ar[n]["max"] for n in anames], (0, 0, 200),
          "activations min..max per tensor over training images (0 = input, last = head output)", 20)
    cv2.imwrite(path, img)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--model", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--max-images", type=int, default=0)
    ap.add_argument("--plot", default=None)
    ap.add_argument("--json", default=None, help="ranges + auto formats per tensor")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_npz(args.model)
    items = load_set("train", args.data)
    wr = weight_ranges(model)
    ar = activation_ranges(model, items, args.scale, args.max_images)
    out = dict(model=os.path.basename(args.model), calibration=dict(
        images="wider_val_200 train split + dlib_faces_train (%d images)" % (args.max_images or len(items)),
        scale=args.scale, padding="bottom/right to a multiple of %d with pixel 128" % getattr(model, "pad_multiple", 16)),
        rule=dict(auto16="n = clip(15 - ceil(log2(max|v|)), 0, 15)", auto8="n = clip(7 - ceil(log2(max|v|)), 0, 7)",
                  uniform="Q9=Q<6,9>, Q8=Q<7,8>, Q7=Q<8,7>, Q6=Q<9,6>"),
        weights={}, activations={})
    for n, v in wr.items():
        out["weights"][n] = dict(v, w_frac_auto16=auto_frac_bits(v["weights"], 16),
                                 w_frac_auto8=auto_frac_bits(v["weights"], 8),
                                 b_frac_auto16=auto_frac_bits(v["biases"], 16),
                                 b_frac_auto8=auto_frac_bits(v["biases"], 8))
    for n, v in ar.items():
        out["activations"][n] = dict(v, frac_auto16=auto_frac_bits(v["maxabs"], 16),
                                     frac_auto8=auto_frac_bits(v["maxabs"], 8))
    print("%-34s %10s %10s %6s %6s | %-34s %9s %9s %6s" % ("layer", "w_min", "w_max", "n16", "n8", "activation", "min", "max", "n16"))
    an = list(ar)
    for i, n in enumerate(wr):
        a = an[i] if i < len(an) else ""
        print("%-34s %10.4f %10.4f %6d %6d | %-34s %9.3f %9.3f %6s" % (
            n, wr[n]["w_min"], wr[n]["w_max"], out["weights"][n]["w_frac_auto16"], out["weights"][n]["w_frac_auto8"],
            a, ar[a]["min"] if a else 0, ar[a]["max"] if a else 0, out["activations"][a]["frac_auto16"] if a else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        print("wrote", args.json)
    if args.plot:
        draw_ranges(wr, ar, args.plot, "%s: weight and activation ranges (cf. paper Fig. 3)" % os.path.basename(args.model))
        print("wrote", args.plot)
    return out


if __name__ == "__main__":
    main()
