"""Multi-exit single-pass face detector: MobileNetV2 with a 1x1 detection head on several backbone exits.

Exit k taps the block output of backbone layer `tap_k` (index in layer_table.layers(), execution order;
after ReLU6, or after the residual add for a residual project), at stride s_k, with its own T_k templates.
Head k: 1x1 conv (with bias), planar channels  c = v*T_k + t,  v = 0 score logit, 1 tx, 2 ty, 3 tw, 4 th.
Anchor of cell (i, j): centre (s_k*j + s_k - 0.5, s_k*i + s_k - 0.5) in input pixels (the receptive-field
centre under TF SAME padding when the input is a multiple of the largest stride; the input is padded
bottom/right to that multiple with pixel 128). Decode as detector.decode; one NMS over all exits.

Default exits (DEFAULT_EXITS) replace the 3-scale Tiny-Face inference (0.5x / 1x / 2x with template gating)
by one pass at 1x:
  exit 0  stride  8  expanded_conv_6/expand      templates t = 12..24 x 0.5  (what the 2x pass matched)
  exit 1  stride 16  expanded_conv_13/expand     templates t = 4..11        (OutA, the 1x pass)
  exit 2  stride 32  expanded_conv_13/depthwise  templates t = 0..3 x 2     (the 0.5x pass)
The Tiny-Face scale s of a template is the inference scale it was used at; a stride-16 map of an image
resized by s is a stride-16/s map of the original, and templates shrink by 1/s: hence stride 16/s and
templates / s. `source` keeps the Tiny-Face template indices (distillation from the 3-scale model).

npz layout (detector.py's backbone names): `<layer>/weights|biases` for Conv .. the deepest tap,
`head_<k>/weights` OHWI (5 T_k, 1, 1, C_tap), `head_<k>/biases` (5 T_k,), `head_<k>/templates` (T_k, 4)
centred x1, y1, x2, y2, `meta/exits` int32 (E, 3) rows (tap, stride, T_k), `meta/exit_sources` int32 (25,)
the Tiny-Face index of each template in exit order (-1 if none), `meta/alpha`. All float32 otherwise.
"""
import numpy as np
import torch
import torch.nn as nn

from . import layer_table
from .detector import best_cells, decode, finish_boxes, pad_to_multiple
from .mobilenet_v2 import MobileNetV2
from .templates import HR_RES101_TEMPLATES

DEFAULT_EXIT_LAYERS = (("expanded_conv_6/expand", 2.0), ("expanded_conv_13/expand", 1.0),
                       ("expanded_conv_13/depthwise", 0.5))  # (tap layer, Tiny-Face scale)


def layer_index(alpha, name):
    names = [l["name"] for l in layer_table.layers(alpha, "B")]
    if name not in names:
        raise ValueError("unknown backbone layer %r" % (name,))
    return names.index(name)


def stride_of(alpha, tap):
    """Product of the strides of layers 0 .. tap."""
    s = 1
    for l in layer_table.layers(alpha, "B")[:tap + 1]:
        s *= l["stride"]
    return s


def default_exits(alpha, layers=DEFAULT_EXIT_LAYERS):
    """list of dict(tap, name, stride, templates (T_k, 4) float32, source (T_k,) Tiny-Face indices)."""
    out = []
    for name, scale in layers:
        src = np.where(np.isclose(HR_RES101_TEMPLATES[:, 4], scale))[0]
        tap = layer_index(alpha, name)
        out.append(dict(tap=tap, name=name, stride=stride_of(alpha, tap), source=src,
                        templates=(HR_RES101_TEMPLATES[src, :4] / scale).astype(np.float32)))
    return out


def check_exits(alpha, exits):
    taps = [e["tap"] for e in exits]
    if not 1 <= len(exits) <= 4:
        raise ValueError("1 to 4 exits, got %d" % len(exits))
    if any(b <= a for a, b in zip(taps, taps[1:])):
        raise ValueError("exit taps must be strictly increasing: %s" % taps)
    for e in exits:
        if e["stride"] != stride_of(alpha, e["tap"]):
            raise ValueError("exit at layer %d: stride %d, the layers give %d" % (e["tap"], e["stride"],
                                                                                  stride_of(alpha, e["tap"])))


class MultiExitDetector(nn.Module):
    is_multi_exit = True

    def __init__(self, alpha=0.5, exits=None, padding="same"):
        super().__init__()
        self.alpha = alpha
        self.exits = exits if exits is not None else default_exits(alpha)
        check_exits(alpha, self.exits)
        specs = layer_table.layers(alpha, "B")
        for e in self.exits:
            e["name"] = specs[e["tap"]]["name"]
        self.tap_names = [e["name"] for e in self.exits]
        self.backbone = MobileNetV2(alpha=alpha, padding=padding, last_layer=self.tap_names[-1])
        self.heads = nn.ModuleList()
        for e in self.exits:
            h = nn.Conv2d(specs[e["tap"]]["cout"], 5 * len(e["templates"]), 1, bias=True)
            nn.init.normal_(h.weight, std=0.01)
            nn.init.zeros_(h.bias)
            self.heads.append(h)
        self.pad_multiple = max(e["stride"] for e in self.exits)

    def forward(self, x, return_taps=False):
        """List of head outputs (N, 5 T_k, H_k, W_k), one per exit; taps dict too if return_taps."""
        taps = {} if return_taps else None
        feats = self.backbone.run_taps(x, self.tap_names, taps)
        outs = []
        for k, (f, h) in enumerate(zip(feats, self.heads)):
            o = h(f)
            if self.backbone.act_hook is not None:
                o = self.backbone.act_hook("head_%d" % k, o)
            if taps is not None:
                taps["head_%d" % k] = o
            outs.append(o)
        return (outs, taps) if return_taps else outs

    def init_from_single(self, d, copy_rows=None):
        """Backbone from a FaceDetector npz dict (OutA cut); the exits in `copy_rows` (default: the exit on
        OutA) take the rows of its head for their Tiny-Face templates (score rows t, tx rows 25 + t, ...); a backbone layer missing from `d` (after OutA) that is
        a depthwise becomes a 3x3 mean filter with zero bias (it then averages OutA cells). Exits with other
        templates keep N(0, 0.01) weights and get score bias log(0.01/0.99) (prior 1 %, so the fresh exits do
        not start with 0.5 on every anchor). Returns the names of the layers initialised as mean filters."""
        part = {k: v for k, v in d.items()}
        mean_filtered = []
        for s in self.backbone.specs:
            if s["name"] + "/weights" not in part:
                if s["kind"] != "dw":
                    raise ValueError("%s is not in the init npz and is not a depthwise" % s["name"])
                part[s["name"] + "/weights"] = np.full((1, 3, 3, s["cout"]), 1.0 / 9.0, np.float32)
                part[s["name"] + "/biases"] = np.zeros(s["cout"], np.float32)
                mean_filtered.append(s["name"])
        self.backbone.load_npz_dict(part)
        hw = np.asarray(d["head/weights"], np.float32)[:, 0, 0, :]  # (125, C)
        hb = np.asarray(d["head/biases"], np.float32)
        T = hw.shape[0] // 5
        if copy_rows is None:
            copy_rows = [k for k, e in enumerate(self.exits) if e["name"] == "expanded_conv_13/expand"]
        with torch.no_grad():
            for k, (e, h) in enumerate(zip(self.exits, self.heads)):
                rows = [v * T + int(t) for v in range(5) for t in e["source"]]
                if k in copy_rows and min(e["source"]) >= 0 and hw.shape[1] == h.weight.shape[1]:
                    h.weight.copy_(torch.from_numpy(hw[rows])[:, :, None, None])
                    h.bias.copy_(torch.from_numpy(hb[rows]))
                else:
                    h.bias[:len(e["templates"])] = float(np.log(0.01 / 0.99))
        return mean_filtered

    def to_npz_dict(self):
        d = self.backbone.to_npz_dict()
        src = []
        for k, (e, h) in enumerate(zip(self.exits, self.heads)):
            d["head_%d/weights" % k] = h.weight.detach().cpu().numpy().transpose(0, 2, 3, 1).astype(np.float32)
            d["head_%d/biases" % k] = h.bias.detach().cpu().numpy().astype(np.float32)
            d["head_%d/templates" % k] = np.asarray(e["templates"], np.float32)
            src += list(e.get("source", [-1] * len(e["templates"])))
        d["meta/exits"] = np.array([[e["tap"], e["stride"], len(e["templates"])] for e in self.exits], np.int32)
        d["meta/exit_sources"] = np.array(src, np.int32)
        d["meta/alpha"] = np.array(self.alpha, np.float32)
        return d


def exits_from_npz_dict(d):
    rows = np.asarray(d["meta/exits"], np.int64)
    src = np.asarray(d.get("meta/exit_sources", -np.ones(int(rows[:, 2].sum()))), np.int64)
    out, o = [], 0
    for k, (tap, stride, t) in enumerate(rows):
        out.append(dict(tap=int(tap), stride=int(stride), source=src[o:o + t],
                        templates=np.asarray(d["head_%d/templates" % k], np.float32)))
        o += t
    return out


def load_multi_npz_dict(d, padding="same"):
    alpha = float(d.get("meta/alpha", 1.0))
    m = MultiExitDetector(alpha, exits_from_npz_dict(d), padding)
    m.backbone.load_npz_dict(d)
    with torch.no_grad():
        for k, h in enumerate(m.heads):
            h.weight.copy_(torch.from_numpy(np.ascontiguousarray(
                np.asarray(d["head_%d/weights" % k], np.float32).transpose(0, 3, 1, 2))))
            h.bias.copy_(torch.from_numpy(np.asarray(d["head_%d/biases" % k], np.float32)))
    return m


def save_npz(model, path):
    np.savez(path, **model.to_npz_dict())


def load_any(path, padding="same"):
    """A detector npz of either kind: multi-exit (has meta/exits) or the OutA FaceDetector."""
    with np.load(path) as z:
        d = {k: z[k] for k in z.files}
    if "meta/exits" in d:
        return load_multi_npz_dict(d, padding)
    from .detector import load_npz
    return load_npz(path, padding)


def exit_anchors(stride, templates, fh, fw):
    """(fh*fw*T, 4) anchors of one exit, order (i, j, t), t fastest; centre stride*j + stride - 0.5."""
    off = stride - 0.5
    ys = np.arange(fh, dtype=np.float32) * stride + off
    xs = np.arange(fw, dtype=np.float32) * stride + off
    cy, cx = np.meshgrid(ys, xs, indexing="ij")
    c = np.stack([cx, cy, cx, cy], -1)[:, :, None, :]
    return (c + np.asarray(templates, np.float32)[None, None]).reshape(-1, 4)


def exit_to_flat(out, T):
    """(N, 5T, H, W) planar head output -> scores (N, H*W*T), reg (N, H*W*T, 4), order (i, j, t)."""
    n, c, h, w = out.shape
    o = out.view(n, 5, T, h, w).permute(0, 3, 4, 2, 1).reshape(n, h * w * T, 5)
    return o[..., 0], o[..., 1:]


def detect_single_pass(model, img, score_thr=0.03, nms_thr=0.3, max_per_exit=3000):
    """One pass at 1x over all exits, greedy NMS over the union. img: uint8 RGB HxWx3."""
    h, w = img.shape[:2]
    im = pad_to_multiple(img, model.pad_multiple)
    x = torch.from_numpy(im).float().sub_(128).div_(128).permute(2, 0, 1)[None].contiguous()
    with torch.no_grad():
        outs = model(x)
    all_b, all_s = [], []
    for e, out in zip(model.exits, outs):
        T = len(e["templates"])
        sc, reg = exit_to_flat(out, T)
        sc = torch.sigmoid(sc[0]).numpy()
        reg = reg[0].numpy()
        idx = best_cells(sc, score_thr, max_per_exit)
        anchors = exit_anchors(e["stride"], e["templates"], out.shape[2], out.shape[3])
        all_b.append(decode(reg[idx], anchors[idx]))
        all_s.append(sc[idx])
    return finish_boxes(all_b, all_s, w, h, nms_thr)


def conv_macs(alpha, h, w, last_layer, heads):
    """Multiply-accumulates of the convolutions of Conv .. `last_layer` on an h x w input (TF SAME sizes,
    out = ceil(in / stride)) plus 1x1 heads `heads` = [(layer name it reads, output channels)]."""
    total, size, at = 0, (h, w), {}
    for l in layer_table.layers(alpha, "B"):
        size = (-(-size[0] // l["stride"]), -(-size[1] // l["stride"]))
        per_out = l["k"] * l["k"] * (1 if l["kind"] == "dw" else l["cin"])
        total += size[0] * size[1] * l["cout"] * per_out
        at[l["name"]] = (size, l["cout"])
        if l["name"] == last_layer:
            break
    for name, cout in heads:
        (fh, fw), cin = at[name]
        total += fh * fw * cin * cout
    return total


def macs_multi_exit(model, h, w):
    """One pass of `model` (MultiExitDetector) on an h x w image padded to its largest stride."""
    m = model.pad_multiple
    H, W = -(-h // m) * m, -(-w // m) * m
    return conv_macs(model.alpha, H, W, model.tap_names[-1],
                     [(e["name"], 5 * len(e["templates"])) for e in model.exits])


def macs_outA_scales(alpha, h, w, scales=(0.5, 1.0, 2.0), templates=25):
    """The OutA detector run at every scale (eval.py: resize, pad to 16), all 125 head channels."""
    total = 0
    for s in scales:
        nh, nw = max(16, int(round(h * s))), max(16, int(round(w * s)))
        total += conv_macs(alpha, -(-nh // 16) * 16, -(-nw // 16) * 16, "expanded_conv_13/expand",
                           [("expanded_conv_13/expand", 5 * templates)])
    return total
