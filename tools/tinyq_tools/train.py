"""Train the Tiny-Face style MobileNetV2 OutA face detector (CPU).

  cd tools && nice -n 15 /usr/bin/python3 -m tinyq_tools.train --alpha 1.0 --epochs 60 --threads 1 \
      --mix wider_train:0.30,face_mask_train:0.30,mosaic:0.25,lfw:0.10,dlib:0.05 \
      --out ../models/face_mnv2_a100_outA.npz [--state-dir DIR] [--resume]

Data: `--mix` (sampling.py): per-source weights over the training sets of data.py and the LFW mosaic; ignore
regions of every set are honoured by the target assignment (targets.py). The shipped v1 runs used the 164-image
mix `wider_train:160,dlib:4` (= uniform over those images).

State: `<state-dir>/<tag>.ckpt.pt` (model, Adam state, epoch and batch reached, RNG states, training time; written
after every epoch and when the process gets SIGTERM/SIGINT, which stops it after the current batch),
`<tag>.latest.npz` (current weights) and `<tag>.log.txt` (one line per epoch with UTC wall time).
`--resume` continues from the checkpoint at the batch it stopped, with the same random stream.

Recipe (see docs/training.md): Tiny-Face target assignment (IoU >= 0.7 positive plus each
face's best anchor if IoU >= 0.3; max IoU < 0.3 negative; rest ignored), loss = paper eq. (4):
  L = 1/N sum_{i in minibatch} CE(p_i, p*_i) + lambda * 1/(Npos*Nreg) sum_{pos} sum_{k<Nreg} (t_ik - t*_ik)^2
with N = 256 sampled anchors per image (up to 128 positives, the rest negatives: half the hardest
by current score, half random), Nreg = 4
regression coordinates, lambda = 1.  Augmentation: random rescale {0.5, 1, 2} x U(0.85, 1.18),
320x320 crops (biased towards faces), horizontal flip, colour jitter.  Every layer is trained;
early layers with a smaller learning rate.

Distillation (optional, `--teacher DETECTOR.npz --distill-weight W`): the frozen teacher (eval mode, no grad)
runs on every training crop and a dense term is added to eq. (4):
  L += W * ( 1/B sum_b [ sum_k BCE(s_bk, sigmoid(s^T_bk)) / (1 + sum_k sigmoid(s^T_bk)) ]
           + 1/B sum_b [ sum_{k: sigmoid(s^T_bk) > thr} sum_{c<4} (t_bkc - t^T_bkc)^2 / (4 max(1, n_b)) ] )
i.e. binary cross-entropy of the student's score logits against the teacher's probabilities over ALL anchors
(normalised by the teacher's soft positive count), plus MSE on the regression channels where the teacher's score
exceeds `--distill-reg-thr` (0.3).  `--hint-weight H` adds H * mean((f_s - f_t[:, :C_s])^2), a feature hint
between the student's OutA and the first C_s channels of the teacher's OutA (the channels a first-channels slice
keeps, or the channels recorded by prune.py when `--init` is a pruned npz).  `--init-teacher-slice` initialises the student (backbone and head) from the first-channels slice of the
teacher instead of ImageNet, with each sliced non-depthwise conv scaled by cin_teacher / cin_student (the sum over
the dropped input channels is replaced by a scaled sum over the kept ones).  Without --teacher the loss is eq. (4)
alone, as before.

Quantization-aware training (`--qat QFORMATS_JSON`, OutA detector only): the forward pass is qat.FakeQuantDetector,
the C++ integer executor's arithmetic for the export `export-detector --weight-bits 8 --per-channel
--activation-bits 8 --qformats QFORMATS_JSON` of the current weights (straight-through gradients; docs/qat.md);
the loss and data are the ones above. The saved npz holds float weights whose export is the trained model.
`--qat-format q7` (q9..q6, instead of --qat): the same for the paper's uniform 16-bit export `export-detector
--format q7 --uniform-weights` (int16 weights at frac 7, int16 activations at frac 7 everywhere; docs/qat.md).
"""
import argparse
import datetime
import math
import os
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import DEFAULT_DATA, REPO_ROOT
from .augment import augment  # noqa: F401  (re-exported: the single-image augmentation)
from .detector import FaceDetector, anchors_for, head_to_flat, save_npz, load_npz
from .multi_exit import MultiExitDetector, exit_anchors, exit_to_flat, load_multi_npz_dict
from .imagenet_init import load_imagenet_dict, slice_to_alpha
from .mobilenet_v2 import layer_specs
from .sampling import DEFAULT_MIX, MixSampler, load_mix, parse_mix
from .targets import assign, sample

CACHE = os.path.join(REPO_ROOT, "tools", ".cache")


def param_groups(model, lr, early_mult=0.1):
    early, late, head = [], [], []
    for name, p in model.named_parameters():
        if name.startswith("head"):
            head.append(p)
        elif any(("convs." + k) in name for k in ["Conv__", "expanded_conv__", "expanded_conv_1__",
                                                   "expanded_conv_2__", "expanded_conv_3__",
                                                   "expanded_conv_4__", "expanded_conv_5__"]):
            early.append(p)
        else:
            late.append(p)
    return [dict(params=early, lr=lr * early_mult, name="early(Conv..expanded_conv_5)"),
            dict(params=late, lr=lr * 0.4, name="late(expanded_conv_6..13/expand)"),
            dict(params=head, lr=lr, name="head")]


def teacher_slice_dict(teacher_npz, alpha):
    """First-channels slice of a trained detector npz (any width) to width `alpha`, backbone and head; the
    weights of each non-depthwise conv (and the head) are scaled by cin_full / cin_alpha."""
    with np.load(teacher_npz) as z:
        T = {k: z[k] for k in z.files}
    full = {s["name"]: s for s in layer_specs(float(T.get("meta/alpha", 1.0)))}
    d = {}
    for s in layer_specs(alpha):
        if s["name"] + "/weights" not in T:
            continue
        w, b = T[s["name"] + "/weights"], T[s["name"] + "/biases"]
        if s["kind"] == "dw":
            d[s["name"] + "/weights"] = w[:, :, :, :s["cout"]].copy()
        else:
            d[s["name"] + "/weights"] = w[:s["cout"], :, :, :s["cin"]] * (full[s["name"]]["cin"] / s["cin"])
        d[s["name"] + "/biases"] = b[:s["cout"]].copy()
    hw = T["head/weights"]
    c = [s for s in layer_specs(alpha) if s["name"] == "expanded_conv_13/expand"][0]["cout"]
    d["head/weights"] = hw[..., :c] * (hw.shape[-1] / c)
    d["head/biases"] = T["head/biases"].copy()
    return d


def eq4_loss(score, reg, lab_l, tgt_l, rng, hard_frac, n=256):
    """Paper eq. (4) for one map, averaged over the batch: (cls, reg, positives sampled)."""
    cls_loss = 0.0
    reg_loss = 0.0
    npos_tot = 0
    sc_np = score.detach().numpy()
    for b in range(len(lab_l)):
        pos, neg = sample(lab_l[b], rng, n, sc_np[b], hard_frac)
        idx = np.concatenate([pos, neg])
        y = torch.zeros(len(idx))
        y[:len(pos)] = 1
        cls_loss = cls_loss + F.binary_cross_entropy_with_logits(score[b, idx], y, reduction="sum") / max(len(idx), 1)
        if len(pos):
            t = torch.from_numpy(tgt_l[b][pos])
            reg_loss = reg_loss + ((reg[b, pos] - t) ** 2).sum() / (len(pos) * 4)
        npos_tot += len(pos)
    return cls_loss / len(lab_l), reg_loss / len(lab_l), npos_tot


def dense_distill(score, reg, t_score, t_reg, reg_thr):
    """Dense score BCE against the teacher's probabilities + regression MSE where the teacher is confident."""
    t_prob = torch.sigmoid(t_score)
    d_cls = F.binary_cross_entropy_with_logits(score, t_prob, reduction="none").sum(1) / (1.0 + t_prob.sum(1))
    m = (t_prob > reg_thr).float()
    d_reg = (((reg - t_reg) ** 2).sum(2) * m).sum(1) / (4.0 * m.sum(1).clamp(min=1.0))
    return (d_cls + d_reg).mean()


def rescale_batch(x, scale):
    """The eval.py resize on a normalised batch: 2x bilinear (cv2 INTER_LINEAR, half-pixel centres),
    0.5x 2x2 mean (cv2 INTER_AREA at an exact factor 2), 1x as is."""
    if scale == 1.0:
        return x
    if scale == 2.0:
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    if scale == 0.5:
        return F.avg_pool2d(x, 2)
    raise ValueError("teacher scale must be 0.5, 1 or 2, got %g" % scale)


def multi_exit_batch_loss(model, teacher, x, boxes_l, anchors_l, rng, args):
    """Eq. (4) per exit (each exit's own anchors and Tiny-Face assignment, its own N = 256 sample), summed
    over exits; with a teacher, + distill_weight * the dense distillation of each exit against the OutA
    teacher run at scale 16/stride_k, restricted to exit k's Tiny-Face templates (the 3-scale inference)."""
    outs = model(x)
    cls_t, reg_t, dist_t = 0.0, 0.0, torch.zeros(())
    npos = []
    for k, (e, out, anchors) in enumerate(zip(model.exits, outs, anchors_l)):
        T = len(e["templates"])
        score, reg = exit_to_flat(out, T)
        lab_l, tgt_l = [], []
        for bx, ig in boxes_l:
            lab, tgt = assign(anchors, bx, ig)
            lab_l.append(lab)
            tgt_l.append(tgt)
        c, r, n = eq4_loss(score, reg, lab_l, tgt_l, rng, args.hard_frac)
        cls_t, reg_t = cls_t + c, reg_t + r
        npos.append(n)
        if teacher is not None:
            scale = 16.0 / e["stride"]
            with torch.no_grad():
                t_out = teacher.head(teacher.backbone(rescale_batch(x, scale)))
            if t_out.shape[2:] != out.shape[2:]:
                raise ValueError("teacher map %s at scale %g != exit %d map %s" % (
                    tuple(t_out.shape[2:]), scale, k, tuple(out.shape[2:])))
            n_, _, h, w = t_out.shape
            src = torch.from_numpy(np.asarray(e["source"], np.int64))
            t_sel = t_out.view(n_, 5, -1, h, w)[:, :, src].reshape(n_, 5 * T, h, w)
            t_score, t_reg = exit_to_flat(t_sel, T)
            dist_t = dist_t + dense_distill(score, reg, t_score, t_reg, args.distill_reg_thr)
    loss = cls_t + args.lam * reg_t + args.distill_weight * dist_t
    return loss, cls_t, reg_t, dist_t, npos


def save_state(path, model, opt, epoch, it, elapsed, rng, args, counts):
    """Checkpoint written atomically (tmp + rename), so a kill during the write keeps the previous one."""
    torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), epoch=epoch, it=it, elapsed=elapsed,
                    rng=rng.bit_generator.state, torch_rng=torch.get_rng_state(), args=vars(args),
                    source_counts=counts), path + ".tmp")
    os.replace(path + ".tmp", path)


def utc_now():
    return datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S UTC")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--mix", default=DEFAULT_MIX, help="source:weight,... (sampling.py); default %(default)s")
    ap.add_argument("--state-dir", default=CACHE, help="where the checkpoint, latest npz and log live")
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--iters-per-epoch", type=int, default=21, help="batches per epoch")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--lr", type=float, default=1e-3, help="head LR (Adam); late backbone 0.4x, early 0.1x")
    ap.add_argument("--early-lr-mult", type=float, default=0.1,
                    help="LR of Conv..expanded_conv_5 relative to --lr (a resumed run takes the new value)")
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--hard-frac", type=float, default=0.5, help="fraction of sampled negatives that are the hardest")
    ap.add_argument("--init", default=None, help="init from a detector npz instead of ImageNet")
    ap.add_argument("--teacher", default=None, help="detector npz to distil from (frozen, eval mode)")
    ap.add_argument("--distill-weight", type=float, default=1.0, help="weight of the dense distillation term")
    ap.add_argument("--distill-reg-thr", type=float, default=0.3,
                    help="teacher probability above which the regression channels are distilled")
    ap.add_argument("--hint-weight", type=float, default=0.0,
                    help="weight of the OutA feature hint (student OutA vs the teacher's first channels)")
    ap.add_argument("--init-teacher-slice", action="store_true",
                    help="init the student from the first-channels slice of --teacher instead of ImageNet")
    ap.add_argument("--multi", action="store_true",
                    help="train the multi-exit single-pass detector (multi_exit.py, default exits); needs --init; "
                         "--teacher is then the OutA model run at 16/stride of each exit (its 3-scale inference)")
    ap.add_argument("--qat", default=None, metavar="QFORMATS_JSON",
                    help="quantization-aware training (qat.py): the forward pass is the C++ integer executor's "
                         "arithmetic for the export with these calibrated activation formats (calibrate.py --json)")
    ap.add_argument("--qat-bits", type=int, default=8, choices=[8, 16],
                    help="with --qat: 8 = int8 weights per output channel + int8 activations (export-detector "
                         "--weight-bits 8 --per-channel --activation-bits 8); 16 = the int16 per-tensor export")
    ap.add_argument("--qat-format", default=None, choices=["q9", "q8", "q7", "q6"],
                    help="quantization-aware training for the paper's uniform 16-bit export (export-detector "
                         "--format Q --uniform-weights): weights and every activation at that format's frac "
                         "(instead of --qat; --qat-bits is ignored)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default=None)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (after saving) when exceeded")
    ap.add_argument("--stop-after-batches", type=int, default=0,
                    help="stop like on SIGTERM after this many batches of this process (checkpoint, then exit)")
    ap.add_argument("--time-budget-min", type=float, default=0,
                    help="if > 0 the LR schedule runs on max(step/total_steps, train_time/budget): training ends "
                         "(fully annealed) when either the epochs or the time budget are used up")
    args = ap.parse_args(argv)
    if (args.init_teacher_slice or args.hint_weight > 0) and not args.teacher:
        ap.error("--init-teacher-slice and --hint-weight need --teacher")
    if args.multi and (args.init_teacher_slice or args.hint_weight > 0):
        ap.error("--multi takes neither --init-teacher-slice nor --hint-weight")
    if args.multi and (args.qat or args.qat_format):
        ap.error("--qat covers the OutA detector only (not --multi)")
    if args.qat and args.qat_format:
        ap.error("--qat (calibrated formats) and --qat-format (uniform) exclude each other")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    try:
        mix = parse_mix(args.mix)
    except ValueError as e:
        ap.error(str(e))
    tag = args.tag or os.path.splitext(os.path.basename(args.out))[0]
    os.makedirs(args.state_dir, exist_ok=True)
    ckpt = os.path.join(args.state_dir, tag + ".ckpt.pt")
    log = open(os.path.join(args.state_dir, tag + ".log.txt"), "a")

    def say(*a):
        s = " ".join(str(x) for x in a)
        print(s, flush=True)
        log.write(s + "\n")
        log.flush()

    t0 = time.time()
    sets = load_mix(mix, args.data)
    sampler = MixSampler(mix, sets)
    say("%s  start: mix %s; images %s (%.1fs)" % (utc_now(), " ".join("%s %.3f" % kv for kv in sorted(mix.items())),
                                                  " ".join("%s %d" % (k, len(v)) for k, v in sets.items()),
                                                  time.time() - t0))
    multi = args.multi
    model = MultiExitDetector(alpha=args.alpha) if multi else FaceDetector(alpha=args.alpha)
    hint_channels = None  # teacher OutA channels the student's OutA stands for (None: the first C_s)
    if multi:
        if not args.init:
            ap.error("--multi needs --init (an OutA detector npz of the same width, or a multi-exit npz)")
        with np.load(args.init) as z:
            d = {k: z[k] for k in z.files}
        if "meta/exits" in d:
            model.load_state_dict(load_multi_npz_dict(d).state_dict())
            say("init from the multi-exit npz", args.init)
        else:
            mf = model.init_from_single(d)
            say("init from", args.init, "(backbone; exit 1 head = its rows t=%s; mean-filter init: %s)" % (
                ",".join(str(t) for t in model.exits[1]["source"]), ", ".join(mf) or "none"))
        say("exits: " + "; ".join("%d: %s stride %d, %d templates (Tiny-Face %s)" % (
            k, e["name"], e["stride"], len(e["templates"]), ",".join(str(t) for t in e["source"]))
            for k, e in enumerate(model.exits)))
    elif args.init_teacher_slice:
        model.load_npz_dict(teacher_slice_dict(args.teacher, args.alpha))
        say("init from the first-channels slice of the teacher", args.teacher)
    elif args.init:
        with np.load(args.init) as z:
            model.load_npz_dict({k: z[k] for k in z.files})
            if "prune/outA_teacher_channels" in z.files:  # written by prune.py
                hint_channels = torch.from_numpy(z["prune/outA_teacher_channels"].astype(np.int64))
        say("init from", args.init, "(hint on the teacher channels prune.py kept)" if hint_channels is not None else "")
    else:
        model.backbone.load_npz_dict(slice_to_alpha(load_imagenet_dict(args.data), args.alpha))
        say("init backbone from ImageNet (alpha %.2f: %s)" % (args.alpha, "as is" if args.alpha == 1.0 else "first-channels slice"))
    teacher = None
    if args.teacher:
        teacher = load_npz(args.teacher)
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        say("distilling from %s (alpha %.2f), weight %.3g, reg thr %.2f" % (
            args.teacher, teacher.alpha, args.distill_weight, args.distill_reg_thr))
    qat_model = None
    if args.qat:
        from .qat import FakeQuantDetector
        qat_model = FakeQuantDetector.from_qformats(model, args.qat, args.qat_bits, args.qat_bits,
                                                    per_channel=args.qat_bits == 8)
        say("QAT: W%dA%d%s fake quantization (C++ integer arithmetic), activation formats from %s" % (
            args.qat_bits, args.qat_bits, " per channel" if args.qat_bits == 8 else " per tensor", args.qat))
    elif args.qat_format:
        from .qat import FakeQuantDetector
        qat_model = FakeQuantDetector.uniform(model, args.qat_format)
        say("QAT: uniform 16-bit %s fake quantization (C++ integer arithmetic of export-detector --format %s "
            "--uniform-weights): int16 weights and activations at frac %d" % (
                args.qat_format.upper(), args.qat_format, qat_model.uniform_frac))
    groups = param_groups(model, args.lr, args.early_lr_mult)
    for g in groups:
        g["base_lr"] = g["lr"]
    opt = torch.optim.Adam(groups, lr=args.lr, weight_decay=0)
    start_epoch, start_it, elapsed = 0, 0, 0.0
    counts = {}
    rng = np.random.default_rng(args.seed)
    if args.resume and not os.path.exists(ckpt):
        say("--resume: no checkpoint at %s, starting from scratch" % ckpt)
    if args.resume and os.path.exists(ckpt):
        st = torch.load(ckpt)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        for g, g_new in zip(opt.param_groups, groups):  # the LRs come from the command line, not the checkpoint
            g["base_lr"] = g_new["base_lr"]
        start_epoch, start_it, elapsed = st["epoch"], st.get("it", 0), st["elapsed"]
        counts = dict(st.get("source_counts", {}))
        if "rng" in st:
            rng.bit_generator.state = st["rng"]
            torch.set_rng_state(st["torch_rng"])
        else:  # checkpoints written before the step-granular state
            rng = np.random.default_rng(args.seed + 1000 * start_epoch)
        old = st.get("args", {})
        old.setdefault("early_lr_mult", 0.1)  # checkpoints from before the option had 0.1
        for k in ("mix", "alpha", "epochs", "iters_per_epoch", "batch", "size", "lr", "early_lr_mult"):
            if k in old and old[k] != getattr(args, k):
                say("warning: --%s was %s in the checkpoint, now %s" % (k.replace("_", "-"), old[k], getattr(args, k)))
        say("%s  resumed from epoch %d batch %d (%.1f min trained so far)" % (utc_now(), start_epoch, start_it,
                                                                             elapsed / 60))
    stop = {"signal": None}

    def on_signal(signum, _frame):
        stop["signal"] = signum  # finish the current batch, save, exit

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    fh = fw = -(-args.size // 16)
    anchors = anchors_for(fh, fw)
    if multi:
        if args.size % model.pad_multiple:
            ap.error("--size must be a multiple of the largest exit stride (%d)" % model.pad_multiple)
        anchors_l = [exit_anchors(e["stride"], e["templates"], args.size // e["stride"], args.size // e["stride"])
                     for e in model.exits]
    total_steps = args.epochs * args.iters_per_epoch
    model.train()
    epoch = start_epoch
    batches_run = 0
    for epoch in range(start_epoch, args.epochs):
        te = time.time()
        stats = np.zeros(6)
        pos_exit = 0.0
        first_it = start_it if epoch == start_epoch else 0
        next_it = first_it  # the first batch of this epoch not yet trained
        for it in range(first_it, args.iters_per_epoch):
            if stop["signal"] is not None:
                break
            step = epoch * args.iters_per_epoch + it
            warm = min(1.0, (step + 1) / args.iters_per_epoch)
            progress = step / total_steps
            if args.time_budget_min > 0:
                progress = max(progress, (elapsed + time.time() - te) / 60.0 / args.time_budget_min)
            if progress >= 1.0:
                break
            cos = 0.5 * (1 + math.cos(math.pi * progress))
            for g in opt.param_groups:
                g["lr"] = g["base_lr"] * warm * (0.02 + 0.98 * cos)
            imgs, lab_l, tgt_l, boxes_l = [], [], [], []
            for b in range(args.batch):
                im, bx, ig, src = sampler.make_sample(args.size, rng)
                counts[src] = counts.get(src, 0) + 1
                imgs.append(im)
                boxes_l.append((bx, ig))
                if not multi:
                    lab, tgt = assign(anchors, bx, ig)
                    lab_l.append(lab)
                    tgt_l.append(tgt)
            x = torch.from_numpy(np.stack(imgs)).float().sub_(128).div_(128).permute(0, 3, 1, 2).contiguous()
            if multi:
                loss, cls_loss, reg_loss, dist_loss, npos_tot = multi_exit_batch_loss(
                    model, teacher, x, boxes_l, anchors_l, rng, args)
            else:
                if qat_model is not None:
                    f_s, out = qat_model.features_and_head(x)
                else:
                    f_s = model.backbone(x)
                    out = model.head(f_s)
                score, reg = head_to_flat(out)
                cls_loss, reg_loss, npos_tot = eq4_loss(score, reg, lab_l, tgt_l, rng, args.hard_frac)
                loss = cls_loss + args.lam * reg_loss
                dist_loss = torch.zeros(())
                if teacher is not None:
                    with torch.no_grad():
                        f_t = teacher.backbone(x)
                        t_score, t_reg = head_to_flat(teacher.head(f_t))
                    dist_loss = dense_distill(score, reg, t_score, t_reg, args.distill_reg_thr)
                    if args.hint_weight > 0:
                        f_h = f_t[:, :f_s.shape[1]] if hint_channels is None else f_t[:, hint_channels]
                        dist_loss = dist_loss + args.hint_weight * ((f_s - f_h) ** 2).mean()
                    loss = loss + args.distill_weight * dist_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            stats += [float(loss), float(cls_loss), float(reg_loss), np.sum(npos_tot) / args.batch, 1, float(dist_loss)]
            pos_exit = pos_exit + np.asarray(npos_tot, np.float64) / args.batch
            next_it = it + 1
            batches_run += 1
            if args.stop_after_batches and batches_run >= args.stop_after_batches and stop["signal"] is None:
                stop["signal"] = 0  # "signal 0": the --stop-after-batches limit
        elapsed += time.time() - te
        done = args.time_budget_min > 0 and elapsed / 60.0 >= args.time_budget_min
        if stop["signal"] is not None and next_it < args.iters_per_epoch:
            save_state(ckpt, model, opt, epoch, next_it, elapsed, rng, args, counts)
            save_npz(model, os.path.join(args.state_dir, tag + ".latest.npz"))
            say("%s  signal %d: stopped in epoch %d before batch %d; checkpoint %s (%.1f min trained); "
                "resume with --resume" % (utc_now(), stop["signal"], epoch + 1, next_it, ckpt, elapsed / 60))
            log.close()
            return
        if stats[4] == 0:
            break
        s = stats / max(stats[4], 1)
        say("%s  epoch %d/%d loss %.4f cls %.4f reg %.4f%s pos/img %.1f%s  %.1fs/epoch  total %.1f min  lr_head %.2e"
            "  crops %s" % (
                utc_now(), epoch + 1, args.epochs, s[0], s[1], s[2],
                (" distill %.4f" % s[5]) if teacher is not None else "", s[3],
                (" (exits %s)" % "/".join("%.1f" % v for v in pos_exit / stats[4])) if multi else "",
                time.time() - te, elapsed / 60,
                opt.param_groups[2]["lr"], ",".join("%s=%d" % kv for kv in sorted(counts.items()))))
        save_state(ckpt, model, opt, epoch + 1, 0, elapsed, rng, args, counts)
        save_npz(model, os.path.join(args.state_dir, tag + ".latest.npz"))
        if stop["signal"] is not None:
            say("%s  signal %d: stopped at the end of epoch %d; checkpoint %s; resume with --resume" % (
                utc_now(), stop["signal"], epoch + 1, ckpt))
            log.close()
            return
        if args.max_minutes and elapsed / 60 > args.max_minutes:
            say("max minutes reached; stopping at epoch", epoch + 1)
            break
        if done:
            say("time budget used up (LR annealed); stopping at epoch", epoch + 1)
            break
    model.eval()
    save_npz(model, args.out)
    say("%s  saved %s, training time %.1f min over %d epochs" % (utc_now(), args.out, elapsed / 60, epoch + 1))
    log.close()


if __name__ == "__main__":
    main()
