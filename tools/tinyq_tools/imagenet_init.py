"""Initialise MobileNetV2 from ../shared/data/mobilenet_v2_imagenet/weights.npz.

The npz holds the dequantized TF-slim MobileNetV2 1.0/224 weights (coral
`mobilenet_v2_1.0_224_quant.tflite`, BN folded): CONV_2D weights OHWI, DEPTHWISE 1HWC.

For alpha < 1 there are no pretrained weights of that width.  We use a
**first-channels slice** of the 1.0 weights: every layer keeps its first
`cout` output channels and first `cin` input channels (depthwise: first C).
This is consistent through the residual adds (the same channel subset flows on
both branches), so the sliced net is a valid (if degraded) network that is then
fine-tuned on faces.
"""
import os

import numpy as np

from . import DEFAULT_DATA
from .mobilenet_v2 import MobileNetV2, layer_specs


def imagenet_npz_path(data_dir=None):
    return os.path.join(data_dir or DEFAULT_DATA, "mobilenet_v2_imagenet", "weights.npz")


def load_imagenet_dict(data_dir=None):
    with np.load(imagenet_npz_path(data_dir)) as z:
        return {k: z[k] for k in z.files}


def slice_to_alpha(d, alpha):
    """First-channels slice of the 1.0 dict to width alpha (see module doc)."""
    if alpha == 1.0:
        return dict(d)
    out = {}
    for s in layer_specs(alpha):
        w = d[s["name"] + "/weights"]
        b = d[s["name"] + "/biases"]
        if s["kind"] == "dw":
            out[s["name"] + "/weights"] = w[:, :, :, :s["cout"]].copy()
        else:
            out[s["name"] + "/weights"] = w[:s["cout"], :, :, :s["cin"]].copy()
        out[s["name"] + "/biases"] = b[:s["cout"]].copy()
    return out


def build_backbone(alpha=1.0, cut="A", padding="same", data_dir=None):
    net = MobileNetV2(alpha=alpha, cut=cut, padding=padding)
    d = slice_to_alpha(load_imagenet_dict(data_dir), alpha)
    net.load_npz_dict(d)
    return net
