"""Quantization-aware fake quantization of the OutA FaceDetector that reproduces the C++ integer executor.

The forward pass computes, in floating point, exactly the integers include/tinyq/model/executor.h computes for
the weights file that `weights_file.export_detector(npz, out, "auto", qformats, weight_bits, per_channel=...,
activation_bits=...)` writes for the current weights: the exported file IS this model (docs/qat.md).

Every activation is carried as a float32 tensor holding raw * 2^-frac (raw an int8/int16 value, frac the export's
activation format): a power-of-two scaling of a small integer is exact in float32.

  input    raw = shift_round_saturate(pixel - 128, 7 - f_in, bits)            (executor.h normalise_input)
  conv     acc_c = sum x_raw * w_raw (exact integer: float64 in `exact` mode; float32 rounded to the accumulator
           grid otherwise, equal whenever the float32 error < 1/2 LSB, checked by tests/test_qat.py)
           b'_c = shift_round_saturate(b_raw_c, b_frac - acc_frac_c, 48)     (quant.h align_bias)
           out = clamp(shift_round_saturate(acc + b', acc_frac_c - f_out, bits), lo, hi)  (requantize_output)
           lo, hi = 0, output_max (6 * 2^f_out saturated to the type) under ReLU6, else the type's range
  add      f = max(f_a, f_b); shift_round_saturate(a 2^(f - f_a) + b 2^(f - f_b), f - f_out, bits)  (add_value)
where shift_round_saturate(x, s, bits) = saturate(floor((x + 2^(s-1)) / 2^s)) for s > 0, saturate(x * 2^-s)
for s <= 0 (core/fixed_point.h), i.e. saturate(floor(x * 2^-s + 1/2)) in both cases, which is how it is
computed here (in float64, exact for |x| < 2^52).

Weights: quantize_conv's rule, recomputed from the current float weights at every forward (per output channel
or per tensor: frac_for_range of the max |w|; or, for the paper's uniform formats (`FakeQuantDetector.uniform`,
the export `--format q7 --uniform-weights`), the format's own frac for every weight; raw = clamp(floor(w 2^frac +
1/2)) to the int8/int16 word); bias frac min(f_in + max weight frac, 31, frac_for_range(max|b|, 32)). Activation
formats are fixed: those the export takes from the calibration JSON, or the uniform format's frac at every point
(weights_file.detector_activation_fracs).

Backward: straight-through estimators. A conv's gradient is that of the float conv of the (dequantized) input with
the weights, as if the weight rounding were the identity; a requantized output passes the gradient where it was
not clamped (saturation, ReLU6) and blocks it where it was.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .mobilenet_v2 import same_pad_amounts
from .weights_file import activation_points, detector_activation_fracs, frac_for_range

BIAS_BITS = 48  # quant.h kBiasBits


def round_half_up_saturate(x, lo, hi):
    """floor(x + 1/2) clamped to [lo, hi] (x float64: the shifted value x * 2^-s of shift_round_saturate)."""
    return torch.clamp(torch.floor(x + 0.5), lo, hi)


def output_range(relu6, frac, bits):
    """quant.h output_min / output_max: [0, 6 in the output format saturated to the type] under ReLU6."""
    tmax, tmin = 2 ** (bits - 1) - 1, -2 ** (bits - 1)
    if not relu6:
        return tmin, tmax
    if frac < 0:  # rounding_shift_right(6, -frac)
        s = -frac
        return 0, (6 >> s) + ((6 >> (s - 1)) & 1)
    return 0, min(6 * 2 ** frac, tmax)


def quantize_weights(w, bits, per_channel, b=None, in_frac=None, uniform_frac=None):
    """quantize_conv's weights: (raw float64 tensor, fracs list per output channel). w: torch OIHW (depthwise
    C,1,3,3: output channel = axis 0 in both layouts). Per channel, with the bias b and the input frac: no
    channel gets more fractional bits than the bias can carry (quantize_conv's cap). uniform_frac: every weight
    at that frac (quantize_conv(uniform_frac=...), saturating to the `bits` word: int16 for bits > 8)."""
    w64 = w.detach().double()
    if uniform_frac is not None:
        fr = [int(uniform_frac)] * w64.shape[0]
    elif per_channel:
        mx = w64.abs().reshape(w64.shape[0], -1).max(1).values.tolist()
        fr = [frac_for_range(float(m), bits) for m in mx]
        if b is not None:
            cap = max(frac_for_range(float(b.detach().double().abs().max()), 32) - in_frac, min(fr))
            fr = [min(f, cap) for f in fr]
    else:
        fr = [frac_for_range(float(w64.abs().max()), bits)] * w64.shape[0]
    scale = torch.tensor([2.0 ** f for f in fr], dtype=torch.float64).reshape(-1, 1, 1, 1)
    wb = 16 if bits > 8 else 8  # the word quantize_conv stores (int16 for 9..16 bits): its saturation
    raw = torch.clamp(torch.floor(w64 * scale + 0.5), -2 ** (wb - 1), 2 ** (wb - 1) - 1)
    return raw, fr


def quantize_bias(b, in_frac, weight_fracs):
    """quantize_conv's bias: (raw int32 value as float64, its frac)."""
    b64 = b.detach().double()
    bf = min(in_frac + max(weight_fracs), 31, frac_for_range(float(b64.abs().max()), 32))
    return torch.clamp(torch.floor(b64 * 2.0 ** bf + 0.5), -2 ** 31, 2 ** 31 - 1), bf


def align_bias(b_raw, b_frac, acc_fracs):
    """quant.h align_bias per channel: shift_round_saturate(b, b_frac - acc_frac, 48) (float64, exact)."""
    s = torch.tensor([b_frac - a for a in acc_fracs], dtype=torch.float64)
    return round_half_up_saturate(b_raw * torch.pow(2.0, -s), -2 ** (BIAS_BITS - 1), 2 ** (BIAS_BITS - 1) - 1)


class FakeQuantDetector(nn.Module):
    """Wraps a detector.FaceDetector (its float parameters are the ones trained). `fracs`: {activation point:
    frac} (weights_file.activation_points order), e.g. from `from_qformats` or `uniform`. exact=True: every conv
    in float64 on the raw integers (the reference; no gradient), False: float32 convs with straight-through
    gradients. uniform_frac: every weight at that frac (the paper's uniform formats)."""

    def __init__(self, model, fracs, weight_bits=8, activation_bits=8, per_channel=True, exact=False,
                 uniform_frac=None):
        super().__init__()
        self.model = model
        self.fracs = dict(fracs)
        self.weight_bits = weight_bits
        self.bits = activation_bits
        self.per_channel = per_channel
        self.exact = exact
        self.uniform_frac = uniform_frac
        bb = model.backbone
        if bb.cut != "A":
            raise ValueError("fake quantization covers the OutA detector only")
        missing = [p for p in activation_points(int(round(model.alpha * 1000)), "A", head=True) if p not in self.fracs]
        if missing:
            raise ValueError("no activation frac for %s" % missing[:3])

    @classmethod
    def from_qformats(cls, model, qformats, weight_bits=8, activation_bits=8, per_channel=True, exact=False):
        """The export's activation formats: detector_activation_fracs(width, 'auto', qformats, activation_bits)."""
        width = int(round(model.alpha * 1000))
        pts = activation_points(width, "A", head=True)
        fr = detector_activation_fracs(width, "auto", qformats, activation_bits)
        return cls(model, dict(zip(pts, fr)), weight_bits, activation_bits, per_channel, exact)

    @classmethod
    def uniform(cls, model, fmt="q7", exact=False):
        """The paper's uniform 16-bit format `fmt` (q9..q6): what `export-detector --format q7 --uniform-weights`
        writes (int16 weights at frac 7, int32 biases at min(7 + 7, 31, frac_for_range(max|b|, 32)), int16
        activations at frac 7 at every point, the input included)."""
        from .weights_file import UNIFORM_FORMATS
        if fmt not in UNIFORM_FORMATS:
            raise ValueError("uniform format must be one of %s" % (UNIFORM_FORMATS,))
        width = int(round(model.alpha * 1000))
        pts = activation_points(width, "A", head=True)
        fr = detector_activation_fracs(width, fmt, None, 16)
        return cls(model, dict(zip(pts, fr)), 16, 16, per_channel=False, exact=exact, uniform_frac=int(fmt[1]))

    # ---- the ops ----
    def quantize_input(self, x):
        """x: (p - 128) / 128 (train.py / eval.py normalisation) -> raw * 2^-f_in (normalise_input)."""
        f = self.fracs["input"]
        tmax = 2 ** (self.bits - 1) - 1
        d = torch.round(x.detach().double() * 128.0)  # pixel - 128, an integer
        raw = round_half_up_saturate(d * 2.0 ** (f - 7), -tmax - 1, tmax)
        return (raw * 2.0 ** -f).float()

    def conv(self, conv, x, in_frac, out_frac, stride, relu6, pad):
        """One conv (+ bias, requantization, ReLU6) on x = raw * 2^-in_frac; returns raw * 2^-out_frac."""
        k = conv.weight.shape[-1]
        groups = conv.groups
        w_raw, wf = quantize_weights(conv.weight, self.weight_bits, self.per_channel, conv.bias, in_frac,
                                     self.uniform_frac)
        b_raw, bf = quantize_bias(conv.bias, in_frac, wf)
        acc_fracs = [in_frac + f for f in wf]
        b_al = align_bias(b_raw, bf, acc_fracs)  # in accumulator units of each channel
        if k > 1:
            pt, pb = same_pad_amounts(x.shape[2], k, stride) if pad else (0, 0)
            pl, pr = same_pad_amounts(x.shape[3], k, stride) if pad else (0, 0)
            x = F.pad(x, (pl, pr, pt, pb))
        acc_scale = torch.tensor([2.0 ** a for a in acc_fracs], dtype=torch.float64).reshape(1, -1, 1, 1)
        if self.exact:
            x_raw = x.detach().double() * 2.0 ** in_frac
            acc = F.conv2d(x_raw, w_raw, None, stride, 0, 1, groups)
            y = None
        else:
            w_deq = (w_raw / torch.tensor([2.0 ** f for f in wf], dtype=torch.float64).reshape(-1, 1, 1, 1)).float()
            w_ste = conv.weight + (w_deq - conv.weight).detach()
            y32 = F.conv2d(x, w_ste, None, stride, 0, 1, groups)  # = acc * 2^-acc_frac up to float32 rounding
            acc = torch.round(y32.detach().double() * acc_scale)
            b_deq = (b_al / acc_scale.reshape(-1)).float()
            y = y32 + (conv.bias + (b_deq - conv.bias).detach()).reshape(1, -1, 1, 1)
        shift = acc_scale / 2.0 ** out_frac  # 2^(acc_frac - out_frac): the requantization's right shift
        lo, hi = output_range(relu6, out_frac, self.bits)
        pre = torch.floor((acc + b_al.reshape(1, -1, 1, 1)) / shift + 0.5)
        raw = torch.clamp(pre, lo, hi)
        out = (raw * 2.0 ** -out_frac).float()
        if y is None:
            return out
        inside = ((pre >= lo) & (pre <= hi)).float()
        return out + (y - y.detach()) * inside

    def add(self, a, a_frac, b, b_frac, out_frac):
        """add_value: both operands aligned exactly to max(a_frac, b_frac), one rounding to out_frac, saturation."""
        tmax = 2 ** (self.bits - 1) - 1
        s = a.detach().double() + b.detach().double()  # exact: the aligned sum times 2^-max(a_frac, b_frac)
        pre = torch.floor(s * 2.0 ** out_frac + 0.5)
        raw = torch.clamp(pre, -tmax - 1, tmax)
        out = (raw * 2.0 ** -out_frac).float()
        if self.exact:
            return out
        y = a + b
        inside = ((pre >= -tmax - 1) & (pre <= tmax)).float()
        return out + (y - y.detach()) * inside

    def features_and_head(self, x):
        """x: normalised batch N,3,H,W -> (OutA, head), both dequantized (raw * 2^-frac), like
        (backbone(x), head(backbone(x))) of the float model."""
        bb = self.model.backbone
        fr = self.fracs
        pad = bb.padding == "same"
        if not pad:
            raise ValueError("the C++ exporter writes TF SAME padding; symmetric is not simulated")
        x = self.quantize_input(x)
        prev, block_in, block_in_frac = "input", None, None
        for s in bb.specs:
            n = s["name"]
            if n.endswith("/expand") or (n.endswith("/depthwise") and s["block"] == 0):
                block_in, block_in_frac = x, fr[prev]
            x = self.conv(bb.conv(n), x, fr[prev], fr[n], s["stride"], s["relu6"], pad)
            if s.get("residual"):
                add = n.rsplit("/", 1)[0] + "/add"
                x = self.add(x, fr[n], block_in, block_in_frac, fr[add])
                prev = add
            else:
                prev = n
        feat = x
        head = self.conv(self.model.head, feat, fr[prev], fr["head"], 1, False, pad)
        return feat, head

    def forward(self, x):
        return self.features_and_head(x)[1]

    def head_raw(self, x):
        """The head's raw integers (float64 tensor) and frac."""
        return torch.round(self.forward(x).detach().double() * 2.0 ** self.fracs["head"]), self.fracs["head"]
