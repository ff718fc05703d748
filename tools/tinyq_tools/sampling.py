"""The training mix: per-source sampling weights and one function that makes a training crop.

A mix is written `source:weight,...` (weights need not sum to 1; they are normalised), e.g. the default
    wider_train:0.30,face_mask_train:0.30,mosaic:0.25,lfw:0.10,dlib:0.05
Sources: every training set of data.py (one image -> augment.random_crop + flip + colour jitter), and `mosaic`
(augment.mosaic of g x g tiles, g in {2, 3, 4} with p 0.3/0.4/0.3; each tile is an LFW portrait with probability
`portrait_p`, else a square crop of an image drawn from the other sets of the mix by their weights).
Each draw picks a source by weight, then an image of that source uniformly.
"""
import numpy as np

from . import augment
from .data import TRAIN_SETS, image_of, load_items

DEFAULT_MIX = "wider_train:0.30,face_mask_train:0.30,mosaic:0.25,lfw:0.10,dlib:0.05"
MOSAIC = "mosaic"


def parse_mix(text):
    """'a:1,b:2' -> {'a': 1/3, 'b': 2/3}; clear errors for unknown sources and bad weights."""
    out = {}
    for part in [p for p in text.split(",") if p.strip()]:
        if ":" not in part:
            raise ValueError("mix entry '%s' is not source:weight" % part)
        name, w = part.split(":", 1)
        name = name.strip()
        if name not in TRAIN_SETS and name != MOSAIC:
            raise ValueError("unknown mix source '%s' (known: %s, %s)" % (name, ", ".join(TRAIN_SETS), MOSAIC))
        try:
            w = float(w)
        except ValueError:
            raise ValueError("weight of '%s' is not a number: '%s'" % (name, w))
        if not w >= 0 or w == float("inf"):
            raise ValueError("weight of '%s' must be finite and >= 0, got %s" % (name, w))
        out[name] = out.get(name, 0.0) + w
    total = sum(out.values())
    if total <= 0:
        raise ValueError("mix '%s' has no positive weight" % text)
    return {k: v / total for k, v in out.items() if v > 0}


class MixSampler:
    def __init__(self, weights, sets, portrait_p=0.6):
        """weights: parse_mix output; sets: dict set name -> list of items (must hold every set the mix names,
        and 'lfw' when the mix has mosaic)."""
        self.names = sorted(weights)
        self.p = np.array([weights[n] for n in self.names], np.float64)
        self.sets = sets
        self.portrait_p = portrait_p
        for n in self.names:
            if n != MOSAIC and not sets.get(n):
                raise ValueError("mix source '%s' has no images" % n)
        crop_names = [n for n in self.names if n not in (MOSAIC, "lfw")]
        self.crop_names = crop_names
        self.crop_p = np.array([weights[n] for n in crop_names], np.float64)
        if MOSAIC in self.names:
            if not sets.get("lfw"):
                raise ValueError("the mosaic source needs the lfw set")
            if not crop_names:
                self.portrait_p = 1.0

    def draw_source(self, rng):
        return self.names[int(rng.choice(len(self.names), p=self.p))]

    def draw_item(self, name, rng):
        items = self.sets[name]
        return items[int(rng.integers(len(items)))]

    def _tile(self, rng):
        if rng.uniform() < self.portrait_p:
            it = self.draw_item("lfw", rng)
            return augment.as_rgb3(image_of(it)), it["boxes"], it["invalid"]
        name = self.crop_names[int(rng.choice(len(self.crop_names), p=self.crop_p / self.crop_p.sum()))]
        it = self.draw_item(name, rng)
        return augment.square_crop(image_of(it), it["boxes"], it["invalid"], rng)

    def make_sample(self, size, rng):
        """One augmented size x size training image: (img uint8 RGB, boxes xyxy, ignore bool, source name)."""
        src = self.draw_source(rng)
        if src == MOSAIC:
            g = int(rng.choice([2, 3, 4], p=[0.3, 0.4, 0.3]))
            img, boxes, ign = augment.mosaic([self._tile(rng) for _ in range(g * g)], size, rng, g)
        else:
            it = self.draw_item(src, rng)
            img, boxes, ign = augment.random_crop(image_of(it), it["boxes"], it["invalid"], size, rng)
        if rng.uniform() < 0.5:
            img, boxes = augment.hflip(img, boxes)
        return augment.colour_jitter(img, rng), boxes.astype(np.float32), ign, src


def load_mix(weights, data_dir=None):
    """Every training set the mix needs, loaded lazily (paths + boxes; images decoded per draw)."""
    need = {n for n in weights if n != MOSAIC}
    if MOSAIC in weights:
        need.add("lfw")
    return {n: load_items(n, data_dir, for_training=True) for n in sorted(need)}
