"""PyTorch MobileNetV2 mirroring Keras/TF-slim MobileNetV2 layer for layer.

* BatchNorm is folded: every conv has weights + bias, no BN layers.
* ReLU6 after Conv, expand and depthwise convs; project convs are linear.
* Padding: TF SAME (default) done explicitly with F.pad:
      out = ceil(in/stride); pad_total = max((out-1)*stride + k - in, 0)
      pad_before = pad_total // 2, the extra row/col at bottom/right.
  or 'symmetric' (pad (k-1)//2 on all sides).
* Width multiplier alpha in {0.35, 0.5, 0.75, 1.0}: channels = _make_divisible(c*alpha, 8)
  (Keras rule); the last 1x1 conv (Conv_1) stays 1280 for alpha <= 1.
* Layer names are TF-slim names (`Conv`, `expanded_conv/depthwise`, `expanded_conv_13/expand`,
  `Conv_1`, `Logits/Conv2d_1c_1x1`), the keys of the ImageNet npz.

Cut points:
  OutA = after expanded_conv_13/expand + ReLU6 (Keras `block_13_expand_relu`), stride 16,
         576 channels at alpha 1.0 (288 at 0.5).
  OutB = after Conv_1 + ReLU6 (Keras `out_relu`), stride 32, 1280 channels.
  OutC = concat(OutA, bilinear 2x upsample of OutB (half-pixel centres, align_corners=False)).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .layer_table import BLOCK_TABLE, block_name, make_divisible  # noqa: F401  (the one layer table)
from . import layer_table


def same_pad_amounts(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def layer_specs(alpha=1.0):
    """List of dicts: name, kind ('conv'|'dw'), cin, cout, k, stride, relu6, residual, block index (Conv_1: 17).
    Order is execution order (same as the TFLite graph / npz); from layer_table.layers."""
    specs = []
    for l in layer_table.layers(alpha, "B"):
        d = dict(l, kind="dw" if l["kind"] == "dw" else "conv")
        if d["name"] == "Conv_1":
            d["block"] = 17
        specs.append(d)
    return specs


def _mod_name(name):
    return name.replace("/", "__")


class MobileNetV2(nn.Module):
    """Backbone. `cut` = 'A' (stop after expanded_conv_13/expand, OutA), 'B' (Conv_1, OutB),
    'C' (both, concatenated), 'classifier' (adds 7x7 avgpool + Logits 1x1 conv; returns logits),
    or `last_layer=<layer name>` (cut 'taps': the layers up to and including that one; use `run_taps`)."""

    def __init__(self, alpha=1.0, cut="A", padding="same", num_classes=1001, last_layer=None):
        super().__init__()
        assert padding in ("same", "symmetric")
        self.alpha = alpha
        self.cut = cut
        self.padding = padding
        specs = layer_specs(alpha)
        if last_layer is not None:
            names = [sp["name"] for sp in specs]
            if last_layer not in names:
                raise ValueError("unknown layer %r" % (last_layer,))
            self.cut = cut = "taps"
            specs = specs[:names.index(last_layer) + 1]
        elif cut == "A":
            idx = [i for i, s in enumerate(specs) if s["name"] == "expanded_conv_13/expand"][0]
            specs = specs[:idx + 1]
        self.specs = specs
        self.convs = nn.ModuleDict()
        for s in specs:
            groups = s["cin"] if s["kind"] == "dw" else 1
            self.convs[_mod_name(s["name"])] = nn.Conv2d(s["cin"], s["cout"], s["k"], s["stride"], 0,
                                                         groups=groups, bias=True)
        if cut == "classifier":
            self.logits = nn.Conv2d(specs[-1]["cout"], num_classes, 1, bias=True)
        self.outA_channels = [s for s in layer_specs(alpha) if s["name"] == "expanded_conv_13/expand"][0]["cout"]
        self.outB_channels = specs[-1]["cout"]
        # optional callable(name, tensor) -> tensor applied to the input ('input') and to every
        # layer output (after ReLU6 / residual add); used by calibrate.py for fake quantization.
        self.act_hook = None

    def conv(self, name):
        return self.convs[_mod_name(name)]

    def _apply(self, s, x):
        m = self.convs[_mod_name(s["name"])]
        k, st = s["k"], s["stride"]
        if k > 1:
            if self.padding == "same":
                pt, pb = same_pad_amounts(x.shape[2], k, st)
                pl, pr = same_pad_amounts(x.shape[3], k, st)
            else:
                pt = pb = pl = pr = (k - 1) // 2
            x = F.pad(x, (pl, pr, pt, pb))
        x = m(x)
        if s["relu6"]:
            x = torch.clamp(x, 0.0, 6.0)
        return x

    def _layers(self, x, taps, wanted=(), stop_after=None):
        """Runs the layers in execution order; returns {name: block output} for the names in `wanted`
        (a residual project's entry is its block output, after the add). Stops after `stop_after`."""
        got = {}
        block_in = None
        if taps is not None:
            taps["input"] = x
        if self.act_hook is not None:
            x = self.act_hook("input", x)
        for s in self.specs:
            n = s["name"]
            if n.endswith("/expand") or (n.endswith("/depthwise") and s["block"] == 0):
                block_in = x
            x = self._apply(s, x)
            if s.get("residual"):
                if self.act_hook is not None:
                    x = self.act_hook(n, x)  # project output is a tensor of its own before the add
                if taps is not None:
                    taps[n] = x
                x = x + block_in
            if self.act_hook is not None:
                x = self.act_hook(n + ("/add" if s.get("residual") else ""), x)
            if taps is not None:
                taps[n + ("/add" if s.get("residual") else "")] = x
            if n in wanted:
                got[n] = x
            if n == stop_after:
                break
        return x, got

    def run_taps(self, x, names, taps=None):
        """Block outputs of the layers `names` (list, any order; list of tensors in that order).
        `taps`: optional dict filled with every activation point (calibration)."""
        _, got = self._layers(x, taps, set(names), stop_after=self.specs[-1]["name"])
        return [got[n] for n in names]

    def forward(self, x, return_taps=False):
        """x: N,3,H,W float, already normalised ((p-128)/128, RGB).
        return_taps=True also returns a dict name->activation (for calibration)."""
        taps = {} if return_taps else None
        x, got = self._layers(x, taps, ("expanded_conv_13/expand",),
                              stop_after="expanded_conv_13/expand" if self.cut == "A" else None)
        outA = got.get("expanded_conv_13/expand")
        if self.cut == "A":
            out = outA
        elif self.cut == "B":
            out = x
        elif self.cut == "C":
            up = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            up = up[:, :, :outA.shape[2], :outA.shape[3]]
            out = torch.cat([outA, up], 1)
        else:  # classifier: 7x7 VALID avgpool at 224 input == global average over 7x7
            x = F.avg_pool2d(x, kernel_size=(x.shape[2], x.shape[3]))
            out = self.logits(x).flatten(1)
        if return_taps:
            return out, taps
        return out

    # ---- numpy (TF layouts) <-> torch ----
    def load_npz_dict(self, d, strict=True):
        """d: mapping '<layer>/weights' (OHWI conv, 1HWC depthwise) and '<layer>/biases'."""
        for s in self.specs:
            m = self.convs[_mod_name(s["name"])]
            w = np.asarray(d[s["name"] + "/weights"], np.float32)
            b = np.asarray(d[s["name"] + "/biases"], np.float32)
            if s["kind"] == "dw":
                w = w[0].transpose(2, 0, 1)[:, None]  # 1HWC -> C,1,H,W
            else:
                w = w.transpose(0, 3, 1, 2)  # OHWI -> OIHW
            assert tuple(w.shape) == tuple(m.weight.shape), (s["name"], w.shape, m.weight.shape)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
                m.bias.copy_(torch.from_numpy(b))
        if self.cut == "classifier":
            w = np.asarray(d["Logits/Conv2d_1c_1x1/weights"], np.float32).transpose(0, 3, 1, 2)
            with torch.no_grad():
                self.logits.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
                self.logits.bias.copy_(torch.from_numpy(np.asarray(d["Logits/Conv2d_1c_1x1/biases"], np.float32)))

    def to_npz_dict(self):
        out = {}
        for s in self.specs:
            m = self.convs[_mod_name(s["name"])]
            w = m.weight.detach().cpu().numpy()
            if s["kind"] == "dw":
                w = w[:, 0].transpose(1, 2, 0)[None]  # C,1,H,W -> 1,H,W,C
            else:
                w = w.transpose(0, 2, 3, 1)  # OIHW -> OHWI
            out[s["name"] + "/weights"] = np.ascontiguousarray(w, np.float32)
            out[s["name"] + "/biases"] = m.bias.detach().cpu().numpy().astype(np.float32)
        return out


def normalise_uint8_rgb(img_hwc_uint8):
    """uint8 HxWx3 RGB -> 1x3xHxW float tensor, (p-128)/128."""
    x = torch.from_numpy(np.ascontiguousarray(img_hwc_uint8)).float()
    return ((x - 128.0) / 128.0).permute(2, 0, 1)[None].contiguous()
