"""Shrink a trained detector to a smaller width by channel selection + least-squares reconstruction.

  cd tools && /usr/bin/python3 -m tinyq_tools.prune --teacher ../models/face_mnv2_a100_outA.npz \
      --alpha 0.5 --out /tmp/a050_pruned.npz

Why: a width-0.5 MobileNetV2 has half the channels of every layer, and no ImageNet width-0.5 weights are
in ../shared.  Taking the *first* channels of a width-1.0 net (imagenet_init.slice_to_alpha,
train.teacher_slice_dict) throws away half of every layer's input at random, so the sliced net starts
nowhere near a detector (training from it collapsed, see docs/training.md).  This tool does what
channel-pruning papers do (He et al. 2017 "Channel pruning", ThiNet): keep the channels that matter and
re-fit the remaining weights so each layer reproduces the teacher's output.

1. Channel selection.  Every tensor's channels are ranked by the energy they send into the next linear
   layer, E[a_c^2] * ||W_next[:, c]||^2 (a_c: activation of channel c over the calibration crops).
   * expand outputs (and the depthwise that filters them channel by channel) are ranked at the
     depthwise output, with W_next = that block's project conv;
   * the channels of a stage's residual stream (block outputs that are added together) form one set,
     ranked by the summed energy into every consumer (the next expand convs);
   * the stem is ranked at block 0's depthwise output; OutA by the head.
   The kept count per tensor is the width-alpha channel count (Keras make_divisible rule).
2. Reconstruction, layer by layer in execution order, on the *student's* own inputs (so each layer also
   corrects the error of the layers before it): ridge least squares
       W, b = argmin || [X_s 1] [W; b] - Y_t ||^2 + eps ||W||^2
   where Y_t is the teacher's pre-activation output at the kept channels.  A depthwise conv has one
   9-tap + bias problem per channel; a residual block's project conv targets the teacher's block output
   minus the student's skip input, so the sum is what is fitted; the head targets all 125 teacher
   outputs.
The npz gets `prune/outA_teacher_channels` (the teacher channels the student's OutA keeps) so that
`train --hint-weight` compares the right channels.
"""
import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import DEFAULT_DATA
from .data import load_set
from .detector import FaceDetector, load_npz, save_npz
from .mobilenet_v2 import layer_specs, same_pad_amounts
from .augment import augment


def _pad(spec, x):
    if spec["k"] == 1:
        return x
    pt, pb = same_pad_amounts(x.shape[2], spec["k"], spec["stride"])
    pl, pr = same_pad_amounts(x.shape[3], spec["k"], spec["stride"])
    return F.pad(x, (pl, pr, pt, pb))


def pre_activation(model, spec, x):
    return model.backbone.conv(spec["name"])(_pad(spec, x))


def finish(spec, y):
    return torch.clamp(y, 0.0, 6.0) if spec["relu6"] else y


def ridge(X, Y, eps=1e-3):
    """Least squares with a bias column; eps scales the ridge to the mean diagonal of X^T X."""
    X = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], 1).double()
    A = X.T @ X
    lam = eps * A.diagonal()[:-1].mean()
    A[:-1, :-1] += lam * torch.eye(A.shape[0] - 1, dtype=A.dtype)
    sol = torch.linalg.solve(A, X.T @ Y.double())
    return sol[:-1].float(), sol[-1].float()  # (Cin, Cout), (Cout,)


def pixels(t, idx):
    """(N, C, H, W) -> (P, C) rows at flat pixel indices idx (None: all)."""
    r = t.permute(0, 2, 3, 1).reshape(-1, t.shape[1])
    return r if idx is None else r[idx]


def sample_rows(n_rows, cap, gen):
    return None if n_rows <= cap else torch.randperm(n_rows, generator=gen)[:cap]


def top(score, k):
    return torch.sort(torch.argsort(score, descending=True)[:k]).values


def select_channels(teacher, x, alpha):
    """Kept teacher channel indices for every student tensor, keyed by the spec name producing it."""
    specs = teacher.backbone.specs
    by_name = {s["name"]: s for s in specs}
    student = {s["name"]: s for s in layer_specs(alpha)}
    with torch.no_grad():
        _, taps = teacher(x, return_taps=True)

    def energy(name):
        return (taps[name] ** 2).mean((0, 2, 3))

    def col_norm2(name):  # ||W[:, c]||^2 of a 1x1 conv
        return (teacher.backbone.conv(name).weight[:, :, 0, 0] ** 2).sum(0)

    keep = {}
    # depthwise outputs (and the expand / stem channels feeding them), ranked into the project conv
    for s in specs:
        if s["kind"] != "dw":
            continue
        blk = s["name"].rsplit("/", 1)[0]
        proj = blk + "/project"
        sc = energy(s["name"]) * col_norm2(proj)
        k = student[s["name"]]["cout"]
        keep[s["name"]] = top(sc, k)
        src = blk + "/expand" if blk + "/expand" in by_name else "Conv"
        keep[src] = keep[s["name"]]
    # residual streams: the block outputs of one stage share a channel set
    stream, streams = [], []
    for s in specs:
        if s["name"].endswith("/project"):
            if not s.get("residual") and stream:
                streams.append(stream)
                stream = []
            stream.append(s["name"])
    streams.append(stream)
    for st in streams:
        score = 0
        for pname in st:
            out_tap = pname + "/add" if by_name[pname].get("residual") else pname
            nxt = [s for s in specs if s["name"].endswith("/expand") and s["cin"] == by_name[pname]["cout"]
                   and specs.index(s) > specs.index(by_name[pname])][:1]
            if nxt:
                score = score + energy(out_tap) * col_norm2(nxt[0]["name"])
        k = student[st[0]]["cout"]
        sel = top(score, k)
        for pname in st:
            keep[pname] = sel
    # OutA, ranked by the head
    outa = "expanded_conv_13/expand"
    sc = energy(outa) * (teacher.head.weight[:, :, 0, 0] ** 2).sum(0)
    keep[outa] = top(sc, student[outa]["cout"])
    return keep


def prune(teacher, x, alpha, eps=1e-3, cap=200000, seed=0, log=print):
    gen = torch.Generator().manual_seed(seed)
    keep = select_channels(teacher, x, alpha)
    student = FaceDetector(alpha=alpha)
    t_specs = teacher.backbone.specs
    s_specs = {s["name"]: s for s in student.backbone.specs}
    xt, xs = x, x
    in_t = in_s = None  # block inputs (residual skip)
    in_keep = None  # teacher channels of the student's current tensor (None: the 3 input channels)
    with torch.no_grad():
        for s in t_specs:
            name = s["name"]
            ss = s_specs[name]
            if name.endswith("/expand") or (name.endswith("/depthwise") and s["block"] == 0):
                in_t, in_s = xt, xs
            yt = pre_activation(teacher, s, xt)
            out_keep = keep[name]
            conv_s = student.backbone.conv(name)
            if s["kind"] == "dw":
                # one 9-tap regression per channel on the student's (already selected) input
                # 10 unknowns per channel: a few images give plenty of rows
                L = yt.shape[2] * yt.shape[3]
                n = max(1, min(xs.shape[0], (cap // 4) // L))
                C = xs.shape[1]
                cols = F.unfold(_pad(s, xs[:n]), 3, stride=s["stride"])  # n, C*9, L
                cols = cols.view(n, C, 9, L).permute(1, 0, 3, 2).reshape(C, n * L, 9)
                tgt = yt[:n, out_keep].permute(1, 0, 2, 3).reshape(C, -1)
                Xb = torch.cat([cols, torch.ones(C, cols.shape[1], 1)], 2).double()
                A = Xb.transpose(1, 2) @ Xb
                # one ridge for all channels (a dead input channel gives an all-zero 9x9 block)
                lam = eps * A.diagonal(dim1=1, dim2=2)[:, :-1].mean() + 1e-12
                lam = lam.expand(C)
                A[:, :9, :9] += lam[:, None, None] * torch.eye(9, dtype=A.dtype)
                sol = torch.linalg.solve(A, Xb.transpose(1, 2) @ tgt.double()[:, :, None])[:, :, 0]
                conv_s.weight.copy_(sol[:, :9].float().view(C, 1, 3, 3))
                conv_s.bias.copy_(sol[:, 9].float())
            elif in_keep is None:
                # stem: the input is the image, identical for both nets; keep the teacher's rows
                conv_s.weight.copy_(teacher.backbone.conv(name).weight[out_keep])
                conv_s.bias.copy_(teacher.backbone.conv(name).bias[out_keep])
            else:
                tgt = yt[:, out_keep]
                if s.get("residual"):
                    tgt = (tgt + in_t[:, out_keep]) - in_s  # fit the sum: teacher block output - student skip
                rows = sample_rows(xs.shape[0] * xs.shape[2] * xs.shape[3], cap, gen)
                W, b = ridge(pixels(xs, rows), pixels(tgt, rows), eps)
                conv_s.weight.copy_(W.T[:, :, None, None])
                conv_s.bias.copy_(b)
            ys = finish(ss, pre_activation(student, ss, xs))
            if s.get("residual"):
                ys = ys + in_s
            xt = finish(s, yt)
            if s.get("residual"):
                xt = xt + in_t
            err = ((ys - xt[:, out_keep]) ** 2).mean().sqrt() / (xt[:, out_keep] ** 2).mean().sqrt().clamp(min=1e-12)
            log("%-28s %4d -> %4d ch   rel rms error vs teacher %.3f" % (name, s["cout"], ss["cout"], float(err)))
            xs, in_keep = ys, out_keep
            if name == "expanded_conv_13/expand":
                break
        # head: all 125 outputs of the teacher from the student's OutA
        ht = teacher.head(xt)
        rows = sample_rows(xs.shape[0] * xs.shape[2] * xs.shape[3], cap, gen)
        W, b = ridge(pixels(xs, rows), pixels(ht, rows), eps)
        student.head.weight.copy_(W.T[:, :, None, None])
        student.head.bias.copy_(b)
        hs = student.head(xs)
        sc_err = ((hs[:, :25] - ht[:, :25]) ** 2).mean().sqrt() / (ht[:, :25] ** 2).mean().sqrt()
        log("%-28s score-logit rel rms error vs teacher %.3f" % ("head", float(sc_err)))
    return student, keep["expanded_conv_13/expand"]


def calibration_crops(data, n, size, seed):
    items = load_set("train", data)
    rng = np.random.default_rng(seed)
    crops = [augment(items[rng.integers(len(items))], size, rng)[0] for _ in range(n)]
    return torch.from_numpy(np.stack(crops)).float().sub_(128).div_(128).permute(0, 3, 1, 2).contiguous()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", required=True, help="trained detector npz (wider)")
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--crops", type=int, default=96, help="training crops used for selection and fitting")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--eps", type=float, default=1e-2, help="ridge, relative to the mean diagonal of X^T X")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    teacher = load_npz(args.teacher).eval()
    x = calibration_crops(args.data, args.crops, args.size, args.seed)
    student, outa_keep = prune(teacher, x, args.alpha, args.eps, seed=args.seed)
    d = student.to_npz_dict()
    d["prune/outA_teacher_channels"] = outa_keep.numpy().astype(np.int32)
    np.savez(args.out, **d)
    print("saved %s (width %.2f from %s, %d crops of %d px) in %.1f s" % (
        args.out, args.alpha, args.teacher, args.crops, args.size, time.time() - t0))


if __name__ == "__main__":
    main()
