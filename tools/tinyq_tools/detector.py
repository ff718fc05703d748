"""Face detector = MobileNetV2 backbone cut at OutA (stride 16) + one 1x1 conv head.

Head output: 125 channels (NCHW in torch; NHWC in the C++ graph), for T = 25 templates:
    channel  0 .. 24 : score logit of template t            (c = t)
    channel 25 .. 49 : tx of template t                      (c = 25 + t)
    channel 50 .. 74 : ty of template t                      (c = 50 + t)
    channel 75 .. 99 : tw = log(w / w_t) of template t       (c = 75 + t)
    channel 100..124 : th = log(h / h_t) of template t       (c = 100 + t)
Anchors: cell (i, j) of the OutA map has centre (cx, cy) = (16*j + 15.5, 16*i + 15.5) in
input-pixel coordinates (pixel k spans [k, k+1)); that is the receptive-field centre of the
cell under TF SAME padding when H and W are multiples of 16 (the decoder pads the input to a
multiple of 16 at the bottom/right).  Template t has size (w_t, h_t) (templates.py).
Decode: cx' = cx + tx*w_t, cy' = cy + ty*h_t, w' = w_t*exp(tw), h' = h_t*exp(th);
box = (cx' - w'/2, cy' - h'/2, cx' + w'/2, cy' + h'/2); score = sigmoid(logit).
"""
import numpy as np
import torch
import torch.nn as nn

from .mobilenet_v2 import MobileNetV2
from .templates import NUM_TEMPLATES, templates_xyxy

STRIDE = 16
ANCHOR_OFFSET = 15.5


class FaceDetector(nn.Module):
    def __init__(self, alpha=1.0, padding="same"):
        super().__init__()
        self.alpha = alpha
        self.backbone = MobileNetV2(alpha=alpha, cut="A", padding=padding)
        self.head = nn.Conv2d(self.backbone.outA_channels, 5 * NUM_TEMPLATES, 1, bias=True)
        nn.init.normal_(self.head.weight, std=0.01)
        nn.init.zeros_(self.head.bias)
        self.register_buffer("templates", torch.from_numpy(templates_xyxy()))

    def forward(self, x, return_taps=False):
        if return_taps:
            f, taps = self.backbone(x, return_taps=True)
            out = self.head(f)
            taps["head"] = out
            return out, taps
        return self.head(self.backbone(x))

    def to_npz_dict(self):
        d = self.backbone.to_npz_dict()
        d["head/weights"] = self.head.weight.detach().cpu().numpy().transpose(0, 2, 3, 1).astype(np.float32)
        d["head/biases"] = self.head.bias.detach().cpu().numpy().astype(np.float32)
        d["templates"] = templates_xyxy()
        d["meta/alpha"] = np.array(self.alpha, np.float32)
        d["meta/stride"] = np.array(STRIDE, np.int32)
        d["meta/anchor_offset"] = np.array(ANCHOR_OFFSET, np.float32)
        return d

    def load_npz_dict(self, d):
        self.backbone.load_npz_dict(d)
        with torch.no_grad():
            self.head.weight.copy_(torch.from_numpy(np.ascontiguousarray(
                np.asarray(d["head/weights"], np.float32).transpose(0, 3, 1, 2))))
            self.head.bias.copy_(torch.from_numpy(np.asarray(d["head/biases"], np.float32)))


def save_npz(model, path):
    np.savez(path, **model.to_npz_dict())


def load_npz(path, padding="same"):
    with np.load(path) as z:
        d = {k: z[k] for k in z.files}
    alpha = float(d.get("meta/alpha", 1.0))
    m = FaceDetector(alpha=alpha, padding=padding)
    m.load_npz_dict(d)
    return m


def anchors_for(fh, fw):
    """(fh*fw*T, 4) anchors, order (i, j, t) -- t fastest."""
    t = templates_xyxy()
    ys = np.arange(fh, dtype=np.float32) * STRIDE + ANCHOR_OFFSET
    xs = np.arange(fw, dtype=np.float32) * STRIDE + ANCHOR_OFFSET
    cy, cx = np.meshgrid(ys, xs, indexing="ij")
    c = np.stack([cx, cy, cx, cy], -1)[:, :, None, :]  # fh,fw,1,4
    return (c + t[None, None]).reshape(-1, 4)


def head_to_flat(out):
    """out: (N, 125, H, W) -> scores (N, H*W*T), reg (N, H*W*T, 4) in (i, j, t) order."""
    n, c, h, w = out.shape
    T = NUM_TEMPLATES
    o = out.view(n, 5, T, h, w).permute(0, 3, 4, 2, 1).reshape(n, h * w * T, 5)
    return o[..., 0], o[..., 1:]


def decode(reg, anchors):
    """reg (K,4) tx,ty,tw,th; anchors (K,4) xyxy -> boxes (K,4) xyxy (numpy)."""
    aw = anchors[:, 2] - anchors[:, 0]
    ah = anchors[:, 3] - anchors[:, 1]
    acx = (anchors[:, 0] + anchors[:, 2]) / 2
    acy = (anchors[:, 1] + anchors[:, 3]) / 2
    cx = acx + reg[:, 0] * aw
    cy = acy + reg[:, 1] * ah
    w = aw * np.exp(np.clip(reg[:, 2], -6, 6))
    h = ah * np.exp(np.clip(reg[:, 3], -6, 6))
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)


def encode(gt, anchors):
    aw = anchors[:, 2] - anchors[:, 0]
    ah = anchors[:, 3] - anchors[:, 1]
    acx = (anchors[:, 0] + anchors[:, 2]) / 2
    acy = (anchors[:, 1] + anchors[:, 3]) / 2
    gw = gt[:, 2] - gt[:, 0]
    gh = gt[:, 3] - gt[:, 1]
    gcx = (gt[:, 0] + gt[:, 2]) / 2
    gcy = (gt[:, 1] + gt[:, 3]) / 2
    return np.stack([(gcx - acx) / aw, (gcy - acy) / ah, np.log(gw / aw), np.log(gh / ah)], 1)


def iou_matrix(a, b):
    """a (N,4), b (M,4) xyxy -> (N,M)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    ix1 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy1 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix2 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(aa[:, None] + ab[None, :] - inter, 1e-9)


def nms(boxes, scores, thr=0.3):
    order = np.argsort(-scores, kind="stable")
    keep = []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while len(order):
        i = order[0]
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[iou <= thr]
    return np.array(keep, np.int64)


def best_cells(scores, thr, limit):
    """Indices of the scores >= thr; the `limit` highest of them when there are more."""
    idx = np.where(scores >= thr)[0]
    if len(idx) > limit:
        idx = idx[np.argsort(-scores[idx])[:limit]]
    return idx


def finish_boxes(boxes, scores, w, h, nms_thr):
    """The decoded candidates of every scale or exit (lists of arrays) -> clipped to the w x h image, boxes
    of at most one pixel a side dropped, greedy NMS: (boxes, scores)."""
    b = np.concatenate(boxes) if boxes else np.zeros((0, 4))
    s = np.concatenate(scores) if scores else np.zeros(0)
    b[:, 0::2] = np.clip(b[:, 0::2], 0, w)
    b[:, 1::2] = np.clip(b[:, 1::2], 0, h)
    ok = (b[:, 2] - b[:, 0] > 1) & (b[:, 3] - b[:, 1] > 1)
    b, s = b[ok], s[ok]
    keep = nms(b, s, nms_thr)
    return b[keep], s[keep]


def pad_to_multiple(img, m=STRIDE, value=128):
    h, w = img.shape[:2]
    H = -(-h // m) * m
    W = -(-w // m) * m
    if H == h and W == w:
        return img
    out = np.full((H, W, 3), value, np.uint8)
    out[:h, :w] = img
    return out
