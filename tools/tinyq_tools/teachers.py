"""Teacher face detectors (ONNX, OpenCV cv2.dnn) from ../shared/data/teachers, decoded here in numpy.

Both run on a 640 x 640 letterbox: the image scaled by r = 640 / max(h, w) (cv2 bilinear), placed at the
top-left, zero padding; boxes are divided by r to return to image pixels. Tensor layouts (teachers/SOURCE.md):

  scrfd   SCRFD-2.5G-kps (insightface; weights for non-commercial research only). Input RGB,
          (pixel - 127.5) / 128. For stride s in 8, 16, 32 with n = 640 / s and 2 anchors per cell,
          N_s = 2 n^2 rows (row-major cells, the 2 anchors of a cell adjacent): score (N_s, 1) in 0..1,
          distances (N_s, 4) = (left, top, right, bottom) / s from the anchor point (col s, row s).
          Tensors are told apart by shape (OpenCV's output order is not the file's).
  yunet_n YuNet-n 2023 (Apache-2.0). Input BGR 0..255. For s in 8, 16, 32, N_s = n^2 rows, one per cell:
          cls_s, obj_s (N_s, 1), score = sqrt(clip(cls) clip(obj)); bbox_s (N_s, 4): centre
          ((col + d0) s, (row + d1) s), size (exp(d2) s, exp(d3) s).
Detections at score >= conf, greedy NMS at IoU > 0.4 (detector.nms).
"""
import os

import cv2
import numpy as np

from . import DEFAULT_DATA
from .detector import nms

SIDE = 640
FILES = {"scrfd": "scrfd_2.5g_kps/scrfd_2.5g_kps.onnx", "yunet_n": "yunet_n_2023/yunet_n_640_640.onnx"}


def letterbox(img_bgr):
    h, w = img_bgr.shape[:2]
    r = SIDE / max(h, w)
    nw, nh = int(round(w * r)), int(round(h * r))
    out = np.zeros((SIDE, SIDE, 3), np.uint8)
    out[:nh, :nw] = cv2.resize(img_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out, r


def cell_points(n, stride, per_cell):
    """(n*n*per_cell, 2) cell (col, row) indices, row-major, each repeated per_cell times."""
    ys, xs = np.mgrid[:n, :n]
    return np.repeat(np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32), per_cell, axis=0)


def decode_scrfd(outs):
    by_shape = {(o.shape[1], o.shape[2]): o[0] for o in outs}
    boxes, scores = [], []
    for s in (8, 16, 32):
        n = SIDE // s
        N = 2 * n * n
        sc, d = by_shape[(N, 1)][:, 0], by_shape[(N, 4)] * s
        p = cell_points(n, s, 2) * s
        boxes.append(np.stack([p[:, 0] - d[:, 0], p[:, 1] - d[:, 1], p[:, 0] + d[:, 2], p[:, 1] + d[:, 3]], 1))
        scores.append(sc)
    return np.concatenate(boxes), np.concatenate(scores)


def decode_yunet_n(outs_by_name):
    boxes, scores = [], []
    for s in (8, 16, 32):
        n = SIDE // s
        cls = np.clip(outs_by_name["cls_%d" % s][0, :, 0], 0, 1)
        obj = np.clip(outs_by_name["obj_%d" % s][0, :, 0], 0, 1)
        d = outs_by_name["bbox_%d" % s][0]
        c = cell_points(n, s, 1)
        cx, cy = (c[:, 0] + d[:, 0]) * s, (c[:, 1] + d[:, 1]) * s
        w, h = np.exp(d[:, 2]) * s, np.exp(d[:, 3]) * s
        boxes.append(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1))
        scores.append(np.sqrt(cls * obj))
    return np.concatenate(boxes), np.concatenate(scores)


class Teacher:
    def __init__(self, name, data_dir=None):
        if name not in FILES:
            raise ValueError("unknown teacher '%s' (known: %s)" % (name, ", ".join(FILES)))
        path = os.path.join(data_dir or DEFAULT_DATA, "teachers", FILES[name])
        if not os.path.exists(path):
            raise FileNotFoundError("teacher model not found: %s" % path)
        self.name = name
        self.net = cv2.dnn.readNet(path)
        self.out_names = self.net.getUnconnectedOutLayersNames()

    def detect(self, img_bgr, conf=0.3, nms_thr=0.4):
        """boxes (N,4) x0,y0,x1,y1 and scores (N,) in image pixels, score >= conf, after NMS."""
        im, r = letterbox(img_bgr)
        if self.name == "scrfd":
            blob = cv2.dnn.blobFromImage(im, 1 / 128.0, (SIDE, SIDE), (127.5, 127.5, 127.5), swapRB=True)
        else:
            blob = cv2.dnn.blobFromImage(im, 1.0, (SIDE, SIDE), (0, 0, 0), swapRB=False)
        self.net.setInput(blob)
        outs = self.net.forward(self.out_names)
        if self.name == "scrfd":
            b, s = decode_scrfd(outs)
        else:
            b, s = decode_yunet_n(dict(zip(self.out_names, outs)))
        k = s >= conf
        b, s = b[k] / r, s[k]
        if len(s) == 0:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
        keep = nms(b, s, nms_thr)
        return b[keep].astype(np.float32), s[keep].astype(np.float32)
