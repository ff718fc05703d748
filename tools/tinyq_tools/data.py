"""Datasets: WIDER-style annotation files (wider_val_200, dlib_faces_train)."""
import os

import cv2
import numpy as np

from . import DEFAULT_DATA


def read_annotations(path):
    """WIDER bbx_gt format -> dict file -> (boxes xyxy float32 (N,4), invalid bool (N,))."""
    out = {}
    with open(path) as f:
        lines = [l.strip() for l in f if l.strip() != ""]
    i = 0
    while i < len(lines):
        name = lines[i]
        n = int(lines[i + 1])
        i += 2
        boxes, inv = [], []
        for k in range(n):
            v = lines[i + k].split()
            x, y, w, h = map(float, v[:4])
            boxes.append([x, y, x + w, y + h])
            inv.append(int(v[7]) != 0)
        i += n
        out[name] = (np.array(boxes, np.float32).reshape(-1, 4), np.array(inv, bool))
    return out


def read_split(path):
    d = {}
    with open(path) as f:
        for l in f:
            p = l.split()
            if len(p) == 2:
                d[p[0]] = p[1]
    return d


def load_rgb(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise IOError("cannot read image " + path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def load_set(which, data_dir=None):
    """which: 'train' (wider train split + dlib) or 'val' (wider val split).
    Returns list of dicts: name, img (uint8 RGB), boxes (xyxy), invalid."""
    data_dir = data_dir or DEFAULT_DATA
    items = []
    wdir = os.path.join(data_dir, "wider_val_200")
    ann = read_annotations(os.path.join(wdir, "annotations.txt"))
    split = read_split(os.path.join(wdir, "split.txt"))
    for name in sorted(ann):
        if split.get(name) != which:
            continue
        b, inv = ann[name]
        items.append(dict(name=name, img=load_rgb(os.path.join(wdir, name)), boxes=b, invalid=inv))
    if which == "train":
        ddir = os.path.join(data_dir, "dlib_faces_train")
        dann = read_annotations(os.path.join(ddir, "annotations.txt"))
        for name in sorted(dann):
            b, inv = dann[name]
            items.append(dict(name="dlib/" + name, img=load_rgb(os.path.join(ddir, name)), boxes=b, invalid=inv))
    return items
