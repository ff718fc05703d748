"""Refit the detector head so that its calibrated range allows a finer 8-bit format (before QAT, docs/qat.md).

The 8-bit head format is frac_for_range(max |head|, 8) over the calibration images. The trained width-0.5 head
spans [-19.0, 2.8] (score logits of easy background; tx..th stay within +-2), which gives 2 fractional bits: a
0.25 step on every box regression value. With max |head| < 8 the format has 4 (step 1/16). This refit keeps the
backbone (so every other activation range and format stays the same) and fits only the 1x1 head (linear in the
frozen OutA features), to
    L = dense_distill(head, original head)                    (train.py: score BCE against the original
                                                                probabilities, box MSE where they exceed 0.3)
      + W * mean(relu(|head| - T)^2)                           (the range: every output inside +-T)
on OutA features of the training images (wider_val_200 train split + dlib: the calibration images) at the
inference scales 0.5 / 1 / 2. The background logits rise from ~-19 to ~-T (probability 0.0015 at T = 6.5, far
below any detection threshold); the positive logits and boxes stay the original head's.

Cells kept for the fit: every cell whose original score probability exceeds 1e-2 for some template, plus a random
share of the others; after each round the head is checked on every cell at scale 1 (the calibration scale) and the
cells outside +-T are added, until max |head| < `--stop-below` (7.5) or `rounds` rounds.

  cd tools && /usr/bin/python3 -m tinyq_tools.head_range --model ../models/face_mnv2_a050_outA.npz \
      --out .cache/a050_head_range.npz --limit 6.5
"""
import argparse
import time

import cv2
import numpy as np
import torch

from . import DEFAULT_DATA
from .data import load_set
from .detector import load_npz, pad_to_multiple, save_npz
from .templates import NUM_TEMPLATES
from .train import dense_distill


def features(model, img, scale):
    """OutA features (cells, C) and the head's output (cells, 125) of one image at one scale."""
    if scale != 1.0:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    img = pad_to_multiple(img)
    x = torch.from_numpy(img).float().sub_(128).div_(128).permute(2, 0, 1)[None].contiguous()
    with torch.no_grad():
        f = model.backbone(x)[0]
        h = model.head(f[None])[0]
    return f.reshape(f.shape[0], -1).t().contiguous(), h.reshape(h.shape[0], -1).t().contiguous()


def head_of(f, w, b):
    return f @ w.t() + b


def flat(h):
    """(cells, 125) in detector.py channel order -> scores (1, cells * T), reg (1, cells * T, 4)."""
    n = h.shape[0]
    o = h.view(n, 5, NUM_TEMPLATES).permute(0, 2, 1).reshape(1, n * NUM_TEMPLATES, 5)
    return o[..., 0], o[..., 1:]


def fit(f, t, w, b, limit, weight, steps, lr):
    t_score, t_reg = flat(t)
    w = w.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    opt = torch.optim.Adam([w, b], lr=lr)
    for _ in range(steps):
        h = head_of(f, w, b)
        score, reg = flat(h)
        loss = dense_distill(score, reg, t_score, t_reg, 0.3) + weight * (torch.relu(h.abs() - limit) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return w.detach(), b.detach(), float(loss)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=float, default=6.5, help="T: the head's outputs are fitted into +-T")
    ap.add_argument("--stop-below", type=float, default=7.5,
                    help="stop once max |head| over the scale-1 cells is below this (8: the 4-fractional-bit bound)")
    ap.add_argument("--weight", type=float, default=1000.0, help="W of the range term")
    ap.add_argument("--scales", default="0.5,1,2")
    ap.add_argument("--keep", type=float, default=0.02, help="share of the background cells kept per image")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-images", type=int, default=0, help="first N images only (a quick check)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    t0 = time.time()
    model = load_npz(a.model).eval()
    imgs = [it["img"] for it in load_set("train", a.data)]
    imgs = imgs[:a.max_images] if a.max_images else imgs
    fs, ts, full = [], [], []
    for img in imgs:
        for s in (float(v) for v in a.scales.split(",")):
            f, t = features(model, img, s)
            if s == 1.0:
                full.append((f, t))
            p = torch.sigmoid(t[:, :NUM_TEMPLATES]).max(1).values
            keep = (p > 1e-2).numpy() | (rng.random(len(p)) < a.keep)
            fs.append(f[keep])
            ts.append(t[keep])
    f, t = torch.cat(fs), torch.cat(ts)
    print("%d images, %d cells kept of the fit (%.0f s); original head range on the scale-1 cells: [%.2f, %.2f]" % (
        len(imgs), len(f), time.time() - t0, min(float(x[1].min()) for x in full), max(float(x[1].max()) for x in full)),
        flush=True)
    w = model.head.weight.detach()[:, :, 0, 0].clone()
    b = model.head.bias.detach().clone()
    for r in range(a.rounds):
        w, b, loss = fit(f, t, w, b, a.limit, a.weight, a.steps, a.lr)
        outside_f, outside_t, top = [], [], 0.0
        for fi, ti in full:
            h = head_of(fi, w, b)
            m = (h.abs() > a.limit).any(1)
            top = max(top, float(h.abs().max()))
            outside_f.append(fi[m])
            outside_t.append(ti[m])
        n_out = sum(len(x) for x in outside_f)
        print("round %d: loss %.4f; scale-1 cells: max |head| %.3f, %d cells outside +-%.2f (%.0f s)" % (
            r + 1, loss, top, n_out, a.limit, time.time() - t0), flush=True)
        if top < a.stop_below:
            break
        f, t = torch.cat([f] + outside_f), torch.cat([t] + outside_t)
    with torch.no_grad():
        model.head.weight.copy_(w[:, :, None, None])
        model.head.bias.copy_(b)
    save_npz(model, a.out)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
