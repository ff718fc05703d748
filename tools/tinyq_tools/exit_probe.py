"""Choosing the stride-32 exit before training: AP on large faces of candidate exit-2 initialisations against
what the exit replaces (the OutA model's 0.5x pass with templates t = 0..3), on TRAINING images only.

  cd tools && /usr/bin/python3 -m tinyq_tools.exit_probe --init ../models/face_mnv2_a050_outA.npz \
      --pruned .cache/a050_pruned.npz --json ../models/face_mnv2_a050_multi.exit2_probe.json

Each candidate is also trained briefly (--steps batches of --batch 320 px crops of the training mix, Adam 1e-3):
only the layers after OutA and the exit-2 head learn (the backbone up to OutA is frozen), loss = eq. (4) on exit 2
+ dense distillation from the OutA model's 0.5x pass (train.multi_exit_batch_loss), then the same AP.

Images: LFW portraits (every --every th of lfw_3000) and face_mask_853 train images, upscaled x2 (bilinear) so
the faces are 100-500 px, the range of exit 2's templates (103 x 135 .. 345 x 454 px). AP (eval.voc_ap) on faces
>= 100 px wide (smaller ones don't care). Candidates, all with exit 2's head = the OutA head's rows t = 0..3:
  meanfilter  expanded_conv_13/depthwise = 3x3 mean filter, zero bias;
  imagenet    expanded_conv_13/depthwise = the ImageNet 1.0 weights of the width-1.0 channels that the pruned
              OutA keeps (prune.py's prune/outA_teacher_channels), ImageNet biases;
  deeper      tap expanded_conv_14/expand (3 layers after OutA: depthwise as imagenet, expanded_conv_13/project
              and expanded_conv_14/expand = ImageNet slices: inputs the kept channels, outputs the 80 / 480 rows
              of largest norm; each sliced 1x1 scaled by cin_full / cin_kept).
"""
import argparse
import json
import time

import cv2
import numpy as np
import torch

from . import DEFAULT_DATA
from .data import image_of, load_items
from .eval import detect, voc_ap
from .imagenet_init import load_imagenet_dict
from .multi_exit import MultiExitDetector, default_exits, detect_single_pass, exit_anchors, layer_index
from .sampling import DEFAULT_MIX, MixSampler, load_mix, parse_mix
from .detector import load_npz

DW = "expanded_conv_13/depthwise"


def exit2_only(init, extra=None, tap_layer=DW):
    """Exit 2 alone (tap `tap_layer`); `extra`: npz-style dict of the layers after OutA (else mean filter)."""
    e = default_exits(0.5)[2]
    e = dict(e, tap=layer_index(0.5, tap_layer), name=tap_layer)
    m = MultiExitDetector(0.5, [e])
    d = dict(init)
    d.update(extra or {})
    m.init_from_single(d, copy_rows=[0])
    return m.eval()


def imagenet_slices(imnet, ch):
    """The layers after OutA from ImageNet 1.0, sliced to the kept OutA channels `ch` (see the module doc)."""
    d = {DW + "/weights": imnet[DW + "/weights"][..., ch], DW + "/biases": imnet[DW + "/biases"][ch]}
    keep_in = ch
    for name, n_out in (("expanded_conv_13/project", 80), ("expanded_conv_14/expand", 480)):
        w = imnet[name + "/weights"][:, :, :, keep_in]
        rows = np.sort(np.argsort(-np.linalg.norm(w.reshape(w.shape[0], -1), axis=1))[:n_out])
        d[name + "/weights"] = w[rows] * (imnet[name + "/weights"].shape[3] / len(keep_in))
        d[name + "/biases"] = imnet[name + "/biases"][rows]
        keep_in = rows
    return {k: np.ascontiguousarray(v, np.float32) for k, v in d.items()}


def short_train(m, teacher, sampler, steps, batch, seed=0):
    """Trains the layers after OutA + the head (rest frozen) for `steps` batches; returns the mean loss of the
    last 20 batches."""
    from types import SimpleNamespace
    from .train import multi_exit_batch_loss
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    train_names = [s["name"] for s in m.backbone.specs[m.backbone.specs.index(
        [s for s in m.backbone.specs if s["name"] == "expanded_conv_13/expand"][0]) + 1:]]
    params = list(m.heads.parameters())
    for p_name, p in m.backbone.named_parameters():
        p.requires_grad_(any(n.replace("/", "__") + "." in p_name for n in train_names))
        if p.requires_grad:
            params.append(p)
    opt = torch.optim.Adam(params, lr=1e-3)
    args = SimpleNamespace(hard_frac=0.5, lam=1.0, distill_weight=1.0, distill_reg_thr=0.3)
    e = m.exits[0]
    anchors = [exit_anchors(e["stride"], e["templates"], 320 // e["stride"], 320 // e["stride"])]
    m.train()
    losses = []
    for _ in range(steps):
        imgs, boxes = [], []
        for _b in range(batch):
            im, bx, ig, _src = sampler.make_sample(320, rng)
            imgs.append(im)
            boxes.append((bx, ig))
        x = torch.from_numpy(np.stack(imgs)).float().sub_(128).div_(128).permute(0, 3, 1, 2).contiguous()
        loss = multi_exit_batch_loss(m, teacher, x, boxes, anchors, rng, args)[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    m.eval()
    return float(np.mean(losses[-20:]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--init", required=True)
    ap.add_argument("--pruned", required=True, help="prune.py output (for prune/outA_teacher_channels)")
    ap.add_argument("--every", type=int, default=30)
    ap.add_argument("--min-w", type=float, default=100.0)
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--json", default=None)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    with np.load(a.init) as z:
        init = {k: z[k] for k in z.files}
    with np.load(a.pruned) as z:
        ch = z["prune/outA_teacher_channels"].astype(np.int64)
    imnet = load_imagenet_dict(a.data)
    sl = imagenet_slices(imnet, ch)
    dw_imnet = {k: v for k, v in sl.items() if k.startswith(DW)}
    items = load_items("lfw", a.data, for_training=True)[::a.every] + \
        load_items("face_mask_train", a.data, for_training=True)[::a.every // 3]
    imgs, gts = [], []
    for it in items:
        im = image_of(it)
        imgs.append(cv2.resize(im, (im.shape[1] * 2, im.shape[0] * 2), interpolation=cv2.INTER_LINEAR))
        inv = np.asarray(it["invalid"], bool)
        gts.append((np.asarray(it["boxes"], np.float32).reshape(-1, 4) * 2, inv))
    single = load_npz(a.init).eval()
    res = {"_images": len(imgs), "_faces_ge_min_w": int(sum(((g[:, 2] - g[:, 0]) >= a.min_w)[~i].sum()
                                                             for g, i in gts))}
    runs = [("OutA model, 0.5x pass, t=0..3", lambda im: detect(single, im, (0.5,), 0.03, 0.3, gate="tinyface"))]
    cands = [("meanfilter", None, DW), ("imagenet", dw_imnet, DW), ("deeper", sl, "expanded_conv_14/expand")]
    for name, extra, tap in cands:
        m = exit2_only(init, extra, tap)
        runs.append(("exit 2 %s, init" % name, lambda im, m=m: detect_single_pass(m, im, 0.03, 0.3)))
    sampler = MixSampler(parse_mix(DEFAULT_MIX), load_mix(parse_mix(DEFAULT_MIX), a.data))
    for name, extra, tap in cands:
        m = exit2_only(init, extra, tap)
        t0 = time.time()
        last = short_train(m, single, sampler, a.steps, a.batch)
        res["train %s" % name] = dict(last20_loss=last, seconds=time.time() - t0)
        print("trained %s: last-20 loss %.4f (%.0fs)" % (name, last, time.time() - t0), flush=True)
        runs.append(("exit 2 %s, %d steps" % (name, a.steps), lambda im, m=m: detect_single_pass(m, im, 0.03, 0.3)))
    for name, fn in runs:
        t0 = time.time()
        dets = [fn(im) for im in imgs]
        ap_, rec, _, npos = voc_ap(dets, gts, a.min_w)
        res[name] = dict(ap=ap_, npos=npos, max_recall=float(rec[-1]) if len(rec) else 0.0)
        print("%-34s AP[w>=%g] %.4f (n=%d, maxrec %.3f)  %.1fs" % (name, a.min_w, ap_, npos, res[name]["max_recall"],
                                                                   time.time() - t0), flush=True)
    if a.json:
        res["_args"] = vars(a)
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
