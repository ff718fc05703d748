"""Training-image augmentation: scaled random crop, mosaic, flip, colour jitter (greyscale included).

Every function takes and returns (img uint8 HxWx3, boxes (N,4) float32 x0,y0,x1,y1, ignore (N,) bool) and a
numpy Generator, so a run is reproducible from its seed.

* `random_crop`: rescale the image by s = {0.5, 1, 2} x U(0.85, 1.18) (log-uniform), cut a size x size window
  (80 % of the time near a random face >= 8 px), pad with 128 (= 0.0 after normalisation). A box less than 60 %
  visible in the window becomes an ignore region; a box not visible at all is dropped.
* `mosaic`: a g x g grid (g in {2, 3, 4}) of tiles on a size x size canvas; every tile (an LFW portrait or a
  square crop of another training image) is scaled so its longer side is U(0.6, 1) of the cell and placed at a
  random position inside the cell. A 250 px LFW portrait whose face is ~100 px wide becomes a 20-65 px face
  at a random place, so the model does not learn "one big centred face".
* `colour_jitter`: 1- or 3-channel input -> 3 channels. Colour images turn grey with probability p_grey (the
  luma replicated, like LFW and FDDB's grey photos); then saturation (a no-op on grey), contrast, brightness
  and a per-channel gain (which tints a grey image slightly), clipped to 0..255.
"""
import math

import cv2
import numpy as np

FILL = 128


def as_rgb3(img):
    """(H,W), (H,W,1) or (H,W,3) uint8 -> (H,W,3) uint8 (grey replicated)."""
    img = np.asarray(img)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3):
        raise ValueError("image must be HxW, HxWx1 or HxWx3, got shape %s" % (img.shape,))
    return np.repeat(img, 3, 2) if img.shape[2] == 1 else img


def visibility(boxes, w, h):
    """Fraction of each box's area inside the w x h image."""
    if len(boxes) == 0:
        return np.zeros(0, np.float32)
    cb = boxes.copy()
    cb[:, 0::2] = np.clip(cb[:, 0::2], 0, w)
    cb[:, 1::2] = np.clip(cb[:, 1::2], 0, h)
    area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1e-6)
    return np.clip(cb[:, 2] - cb[:, 0], 0, None) * np.clip(cb[:, 3] - cb[:, 1], 0, None) / area


def cut_window(img, boxes, ign, x0, y0, ww, wh, min_visible=0.6):
    """The ww x wh window at (x0, y0) (may stick out: padded with FILL); boxes shifted, clipped boxes handled
    as in the module doc."""
    h, w = img.shape[:2]
    out = np.full((wh, ww, 3), FILL, np.uint8)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + ww, w), min(y0 + wh, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = img[sy0:sy1, sx0:sx1]
    b = boxes - np.array([x0, y0, x0, y0], np.float32)
    vis = visibility(b, ww, wh)
    keep = vis > 0
    return out, b[keep].astype(np.float32), (ign | (vis < min_visible))[keep]


def rescale(img, boxes, s):
    h, w = img.shape[:2]
    nh, nw = max(1, int(round(h * s))), max(1, int(round(w * s)))
    im = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    return im, boxes * np.array([nw / w, nh / h, nw / w, nh / h], np.float32)


def random_crop(img, boxes, ign, size, rng, scales=(0.5, 1.0, 2.0), scale_p=(0.25, 0.35, 0.4)):
    s = float(rng.choice(scales, p=scale_p)) * math.exp(rng.uniform(math.log(0.85), math.log(1.18)))
    im, b = rescale(as_rgb3(img), boxes.astype(np.float32), s)
    nh, nw = im.shape[:2]
    bw = b[:, 2] - b[:, 0] if len(b) else np.zeros(0)
    cand = np.where((~ign) & (bw >= 8))[0] if len(b) else np.zeros(0, int)
    if len(cand) and rng.uniform() < 0.8:
        f = b[rng.choice(cand)]
        cx = (f[0] + f[2]) / 2 + rng.uniform(-size * 0.35, size * 0.35)
        cy = (f[1] + f[3]) / 2 + rng.uniform(-size * 0.35, size * 0.35)
        x0, y0 = int(round(cx - size / 2)), int(round(cy - size / 2))
    else:
        x0 = int(rng.integers(min(0, nw - size), max(0, nw - size) + 1))
        y0 = int(rng.integers(min(0, nh - size), max(0, nh - size) + 1))
    x0 = int(np.clip(x0, min(0, nw - size), max(0, nw - size)))
    y0 = int(np.clip(y0, min(0, nh - size), max(0, nh - size)))
    return cut_window(im, b, ign, x0, y0, size, size)


def square_crop(img, boxes, ign, rng, min_frac=0.35):
    """A random square window of side U(min_frac, 1) x min(h, w), fully inside the image (a mosaic tile)."""
    img = as_rgb3(img)
    h, w = img.shape[:2]
    side = max(8, int(round(min(h, w) * rng.uniform(min_frac, 1.0))))
    x0 = int(rng.integers(0, w - side + 1))
    y0 = int(rng.integers(0, h - side + 1))
    return cut_window(img, boxes.astype(np.float32), ign, x0, y0, side, side)


def mosaic(tiles, size, rng, grid):
    """tiles: list of (img, boxes, ign), at least grid*grid of them (extra ones unused); returns the canvas."""
    if len(tiles) < grid * grid:
        raise ValueError("mosaic %dx%d needs %d tiles, got %d" % (grid, grid, grid * grid, len(tiles)))
    cell = size // grid
    canvas = np.full((size, size, 3), FILL, np.uint8)
    out_b, out_i = [], []
    for k in range(grid * grid):
        img, b, ig = tiles[k]
        img = as_rgb3(img)
        h, w = img.shape[:2]
        s = cell * rng.uniform(0.6, 1.0) / max(h, w)
        im, bb = rescale(img, b.astype(np.float32), s)
        th, tw = im.shape[:2]
        r, c = divmod(k, grid)
        ox = c * cell + int(rng.integers(0, cell - tw + 1))
        oy = r * cell + int(rng.integers(0, cell - th + 1))
        canvas[oy:oy + th, ox:ox + tw] = im
        if len(bb):
            # boxes are clipped to their tile (a box sticking out of a portrait must not cover a neighbour)
            vis = visibility(bb, tw, th)
            bb = bb.copy()
            bb[:, 0::2] = np.clip(bb[:, 0::2], 0, tw)
            bb[:, 1::2] = np.clip(bb[:, 1::2], 0, th)
            keep = vis > 0
            out_b.append(bb[keep] + np.array([ox, oy, ox, oy], np.float32))
            out_i.append((ig | (vis < 0.6))[keep])
    boxes = np.concatenate(out_b).astype(np.float32) if out_b else np.zeros((0, 4), np.float32)
    ign = np.concatenate(out_i) if out_i else np.zeros(0, bool)
    return canvas, boxes, ign


def hflip(img, boxes):
    w = img.shape[1]
    out = np.ascontiguousarray(img[:, ::-1])
    if len(boxes):
        boxes = np.stack([w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], 1).astype(np.float32)
    return out, boxes


def is_grey(img, tol=2):
    img = as_rgb3(img)
    return int(np.abs(img.astype(np.int16) - img[:, :, :1].astype(np.int16)).max()) <= tol


def colour_jitter(img, rng, p_grey=0.15):
    f = as_rgb3(img).astype(np.float32)
    if not is_grey(f.astype(np.uint8)) and rng.uniform() < p_grey:
        luma = f @ np.array([0.299, 0.587, 0.114], np.float32)  # RGB order
        f = np.repeat(luma[:, :, None], 3, 2)
    grey = f.mean(2, keepdims=True)
    f = grey + (f - grey) * rng.uniform(0.6, 1.4)
    m = f.mean()
    f = (f - m) * rng.uniform(0.7, 1.3) + m + rng.uniform(-25, 25)
    f = f * rng.uniform(0.92, 1.08, size=3)[None, None]
    return np.clip(f, 0, 255).astype(np.uint8)


def augment(item, size, rng):
    """The single-image augmentation: random_crop + flip (0.5) + colour_jitter. item: dict with img, boxes, invalid."""
    out, boxes, ign = random_crop(item["img"], item["boxes"], item["invalid"], size, rng)
    if rng.uniform() < 0.5:
        out, boxes = hflip(out, boxes)
    return colour_jitter(out, rng), boxes.astype(np.float32), ign
