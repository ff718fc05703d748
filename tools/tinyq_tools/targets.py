"""Tiny-Face target assignment with ignore regions, and the N = 256 anchor sample of paper eq. (4).

assign(anchors, boxes, ignore):
  faces = boxes with ignore False.  For anchor a, IoU_f(a) = max IoU with a face.
    positive   IoU_f >= 0.7, or a is some face's best anchor with IoU >= 0.3 (target: that face)
    ignored    0.3 <= IoU_f < 0.7 and not positive
    negative   IoU_f < 0.3 ... unless an ignore region covers it:
  ignore regions (WIDER `invalid`, teacher ignore boxes, faces cut by a crop edge) turn a negative into
  "ignored" when IoU(a, region) >= 0.3 OR the region covers at least half of the anchor
  (|a & r| / |a| >= 0.5): a small anchor inside a large uncertain region is not background either.
  An ignore region never creates or removes a positive.
"""
import numpy as np

from .detector import encode, iou_matrix


def intersection_over_first(a, b):
    """(N, M): |a_i & b_j| / |a_i| for xyxy boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    area = np.maximum((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]), 1e-9)
    return ix * iy / area[:, None]


def assign(anchors, boxes, ign, pos_thr=0.7, neg_thr=0.3, best_thr=0.3, cover_thr=0.5):
    """Returns labels (K,) in {1 pos, 0 neg, -1 ignore} and regression targets (K,4)."""
    K = len(anchors)
    labels = np.zeros(K, np.int8)
    tgt = np.zeros((K, 4), np.float32)
    if len(boxes) == 0:
        return labels, tgt
    ign = np.asarray(ign, bool)
    valid = ~ign
    faces = boxes[valid]
    if len(faces):
        iou_v = iou_matrix(anchors, faces)
        best_g = iou_v.argmax(1)
        best = iou_v[np.arange(K), best_g]
        labels[(best >= neg_thr) & (best < pos_thr)] = -1
        pos = best >= pos_thr
        ba = iou_v.argmax(0)  # each face's best anchor
        bv = iou_v[ba, np.arange(len(faces))]
        ok = bv >= best_thr
        pos[ba[ok]] = True
        best_g[ba[ok]] = np.arange(len(faces))[ok]
        labels[pos] = 1
        tgt[pos] = encode(faces[best_g[pos]], anchors[pos])
    if ign.any():
        regions = boxes[ign]
        near = (iou_matrix(anchors, regions).max(1) >= neg_thr) | \
               (intersection_over_first(anchors, regions).max(1) >= cover_thr)
        labels[near & (labels == 0)] = -1
    return labels, tgt


def sample(labels, rng, n=256, neg_scores=None, hard_frac=0.0):
    """N = n anchors: up to n/2 positives, the rest negatives; a fraction `hard_frac` of the
    negatives are the highest-scoring ones (online hard negative mining), the rest random."""
    pos = np.where(labels == 1)[0]
    neg = np.where(labels == 0)[0]
    npos = min(len(pos), n // 2)
    pos = rng.choice(pos, npos, replace=False) if npos < len(pos) else pos
    nneg = min(len(neg), n - npos)
    if hard_frac > 0 and neg_scores is not None and nneg > 0:
        nh = int(round(nneg * hard_frac))
        order = np.argsort(-neg_scores[neg])
        hard = neg[order[:nh]]
        rest = neg[order[nh:]]
        neg = np.concatenate([hard, rng.choice(rest, min(len(rest), nneg - nh), replace=False)])
    else:
        neg = rng.choice(neg, nneg, replace=False)
    return pos, neg
