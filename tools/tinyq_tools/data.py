"""Datasets: one reader for the WIDER bbx_gt style files every set in ../shared/data uses, and one
loader per set, all returning the same item dict:

    name     str, unique ("<set>/<file>")
    path     image file (decoded on demand by `image_of`, so thousands of items cost no memory)
    boxes    (N, 4) float32 x0, y0, x1, y1 in image pixels: faces AND ignore regions
    invalid  (N,) bool: True = ignore region ("don't care": never a positive, never background)
    set      the set's name

Sets (see every ../shared/data/*/SOURCE.md):
  wider_train / wider_val  wider_val_200, split.txt; the WIDER `invalid` column marks ignore boxes
  dlib                     dlib_faces_train (4 images; attribute columns all 0)
  face_mask_train / _val   face_mask_853, split.txt; human boxes `x y w h class` are the faces; the
                           teacher labels and teacher ignore boxes (teacher_labels/face_mask_853*.txt)
                           that no human box covers (IoU < 0.3) become ignore regions: they are mostly
                           faces the annotators skipped (teacher_labels/SOURCE.md)
  lfw                      lfw_3000 (greyscale portraits), boxes = teacher labels (`x y w h score`),
                           ignore regions = teacher_labels/lfw_3000_ignore.txt
  fddb_paper               fddb_283 with boxes_paper.txt (the paper's square boxes). EVALUATION ONLY:
                           `load_items` refuses it for training (`for_training=True`).
"""
import os

import cv2
import numpy as np

from . import DEFAULT_DATA

TRAIN_SETS = ("wider_train", "dlib", "face_mask_train", "lfw")
EVAL_SETS = ("wider_val", "fddb_paper", "face_mask_val")


def read_bbx_gt(path):
    """WIDER bbx_gt style file -> dict file -> (N, C) float64 rows (C = columns per box line, >= 4).
    Grammar: file line, count line, then `count` box lines; blank lines are skipped. An image with
    count 0 has no box line (the convention of every file in ../shared/data)."""
    out = {}
    with open(path) as f:
        lines = [l.strip() for l in f if l.strip() != ""]
    i = 0
    while i < len(lines):
        name = lines[i]
        if i + 1 >= len(lines):
            raise ValueError("%s: file line '%s' without a count line" % (path, name))
        try:
            n = int(lines[i + 1])
        except ValueError:
            raise ValueError("%s: expected a face count after '%s', got '%s'" % (path, name, lines[i + 1]))
        if n < 0 or i + 2 + n > len(lines):
            raise ValueError("%s: '%s' announces %d boxes, file has %d lines left" % (path, name, n, len(lines) - i - 2))
        rows = [[float(v) for v in lines[i + 2 + k].split()] for k in range(n)]
        if any(len(r) < 4 for r in rows):
            raise ValueError("%s: a box line of '%s' has fewer than 4 numbers" % (path, name))
        width = max((len(r) for r in rows), default=4)
        arr = np.zeros((n, width), np.float64)
        for k, r in enumerate(rows):
            arr[k, :len(r)] = r
        out[name] = arr
        i += 2 + n
    return out


def xywh_to_xyxy(rows):
    b = np.asarray(rows, np.float32).reshape(-1, rows.shape[1] if len(rows) else 4)[:, :4].copy()
    b[:, 2:] += b[:, :2]
    return b


def read_annotations(path):
    """WIDER file with the 10 WIDER columns -> dict file -> (boxes xyxy float32 (N,4), invalid bool (N,))."""
    return {n: (xywh_to_xyxy(r), (r[:, 7] != 0) if r.shape[1] >= 8 else np.zeros(len(r), bool))
            for n, r in read_bbx_gt(path).items()}


def read_split(path):
    d = {}
    with open(path) as f:
        for l in f:
            p = l.split()
            if len(p) == 2:
                d[p[0]] = p[1]
    return d


def load_rgb(path):
    """Any JPEG (colour or 1-channel) -> uint8 RGB (H, W, 3)."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise IOError("cannot read image " + path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def image_of(item):
    """The item's decoded uint8 RGB image (kept in the item when it was loaded eagerly)."""
    return item["img"] if "img" in item else load_rgb(item["path"])


def _iou(a, b):
    from .detector import iou_matrix
    return iou_matrix(a, b)


def _item(set_name, folder, name, boxes, invalid):
    return dict(name=set_name + "/" + name, path=os.path.join(folder, name), boxes=boxes.astype(np.float32),
                invalid=invalid.astype(bool), set=set_name)


def _wider(data_dir, split):
    d = os.path.join(data_dir, "wider_val_200")
    ann = read_annotations(os.path.join(d, "annotations.txt"))
    sp = read_split(os.path.join(d, "split.txt"))
    return [_item("wider_" + split, d, n, *ann[n]) for n in sorted(ann) if sp.get(n) == split]


def _dlib(data_dir):
    d = os.path.join(data_dir, "dlib_faces_train")
    ann = read_annotations(os.path.join(d, "annotations.txt"))
    return [_item("dlib", d, n, *ann[n]) for n in sorted(ann)]


def _face_mask(data_dir, split):
    d = os.path.join(data_dir, "face_mask_853")
    human = read_bbx_gt(os.path.join(d, "annotations.txt"))
    sp = read_split(os.path.join(d, "split.txt"))
    tdir = os.path.join(data_dir, "teacher_labels")
    tl = os.path.join(tdir, "face_mask_853.txt")
    ti = os.path.join(tdir, "face_mask_853_ignore.txt")
    teach = read_bbx_gt(tl) if os.path.exists(tl) else {}
    teach_ign = read_bbx_gt(ti) if os.path.exists(ti) else {}
    items = []
    for n in sorted(human):
        if sp.get(n) != split:
            continue
        faces = xywh_to_xyxy(human[n])
        extra = [xywh_to_xyxy(t[n]) for t in (teach, teach_ign) if n in t and len(t[n])]
        if split == "train" and extra:
            extra = np.concatenate(extra)
            if len(faces):
                extra = extra[_iou(extra, faces).max(1) < 0.3]
        else:  # validation: human boxes only (an evaluation against teacher guesses would be circular)
            extra = np.zeros((0, 4), np.float32)
        boxes = np.concatenate([faces, extra]) if len(extra) else faces
        inv = np.concatenate([np.zeros(len(faces), bool), np.ones(len(extra), bool)])
        items.append(_item("face_mask_" + split, d, n, boxes, inv))
    return items


def _lfw(data_dir):
    d = os.path.join(data_dir, "lfw_3000")
    tdir = os.path.join(data_dir, "teacher_labels")
    lab = read_bbx_gt(os.path.join(tdir, "lfw_3000.txt"))
    ign = read_bbx_gt(os.path.join(tdir, "lfw_3000_ignore.txt"))
    items = []
    for n in sorted(lab):
        f = xywh_to_xyxy(lab[n])
        g = xywh_to_xyxy(ign[n]) if n in ign and len(ign[n]) else np.zeros((0, 4), np.float32)
        items.append(_item("lfw", d, n, np.concatenate([f, g]),
                           np.concatenate([np.zeros(len(f), bool), np.ones(len(g), bool)])))
    return items


def _fddb_paper(data_dir):
    d = os.path.join(data_dir, "fddb_283")
    gt = read_bbx_gt(os.path.join(d, "boxes_paper.txt"))
    return [_item("fddb_paper", d, n, xywh_to_xyxy(gt[n]), np.zeros(len(gt[n]), bool)) for n in gt]  # file order


def load_items(set_name, data_dir=None, for_training=False, eager=False):
    """Items of one set (see the module doc). eager=True decodes every image now (key 'img')."""
    data_dir = data_dir or DEFAULT_DATA
    if for_training and set_name not in TRAIN_SETS:
        raise ValueError("set '%s' is not a training set (training sets: %s; fddb_paper and the val splits are "
                         "evaluation only)" % (set_name, ", ".join(TRAIN_SETS)))
    loaders = dict(wider_train=lambda: _wider(data_dir, "train"), wider_val=lambda: _wider(data_dir, "val"),
                   dlib=lambda: _dlib(data_dir), face_mask_train=lambda: _face_mask(data_dir, "train"),
                   face_mask_val=lambda: _face_mask(data_dir, "val"), lfw=lambda: _lfw(data_dir),
                   fddb_paper=lambda: _fddb_paper(data_dir))
    if set_name not in loaders:
        raise ValueError("unknown set '%s' (known: %s)" % (set_name, ", ".join(sorted(loaders))))
    items = loaders[set_name]()
    if eager:
        for it in items:
            it["img"] = load_rgb(it["path"])
    return items


def load_set(which, data_dir=None):
    """The original 164-image mix: 'train' (wider train split + dlib) or 'val' (wider val split), images decoded."""
    if which == "train":
        return load_items("wider_train", data_dir, eager=True) + load_items("dlib", data_dir, eager=True)
    if which == "val":
        return load_items("wider_val", data_dir, eager=True)
    return load_items(which, data_dir, eager=True)
