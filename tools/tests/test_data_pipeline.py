"""Training data pipeline: annotation reader, per-set loaders, ignore regions in target assignment, the mix
sampler, mosaic, colour jitter, and checkpoint/resume of train.py.

Run from tools/:  /usr/bin/python3 -m unittest tests.test_data_pipeline -v
The loader tests need ../shared/data (or TINYQ_DATA) and skip without it; the rest use synthetic data.
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from tinyq_tools import DEFAULT_DATA  # noqa: E402
from tinyq_tools.augment import colour_jitter, is_grey, mosaic, random_crop  # noqa: E402
from tinyq_tools.data import TRAIN_SETS, load_items, read_bbx_gt  # noqa: E402
from tinyq_tools.detector import anchors_for  # noqa: E402
from tinyq_tools.sampling import MixSampler, parse_mix  # noqa: E402
from tinyq_tools.targets import assign  # noqa: E402

DATA = os.environ.get("TINYQ_DATA", DEFAULT_DATA)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class TestReader(unittest.TestCase):
    def test_counts_columns_and_empty_images(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "a.txt")
            write(p, "a.jpg\n2\n1 2 3 4 0.9\n5 6 7 8 0.5\nb.jpg\n0\nc/d.jpg\n1\n10.5 20 30 40\n")
            r = read_bbx_gt(p)
            self.assertEqual(sorted(r), ["a.jpg", "b.jpg", "c/d.jpg"])
            self.assertEqual(r["a.jpg"].shape, (2, 5))
            self.assertEqual(r["b.jpg"].shape[0], 0)
            np.testing.assert_allclose(r["c/d.jpg"][0], [10.5, 20, 30, 40])

    def test_truncated_and_malformed_files_raise(self):
        with tempfile.TemporaryDirectory() as d:
            for text in ("a.jpg\n3\n1 2 3 4\n", "a.jpg\nx\n", "a.jpg\n1\n1 2 3\n", "a.jpg\n"):
                p = os.path.join(d, "bad.txt")
                write(p, text)
                with self.assertRaises(ValueError, msg=repr(text)):
                    read_bbx_gt(p)


class TestTargets(unittest.TestCase):
    def setUp(self):
        self.anchors = anchors_for(20, 20)  # a 320 x 320 input

    def test_ignore_region_turns_covered_negatives_into_ignored(self):
        face = np.array([[40, 40, 100, 110]], np.float32)
        region = np.array([[180, 150, 310, 310]], np.float32)  # a large uncertain region
        lab0, _ = assign(self.anchors, face, np.array([False]))
        lab1, tgt1 = assign(self.anchors, np.concatenate([face, region]), np.array([False, True]))
        # anchors whose area lies mostly inside the region
        a = self.anchors
        inside = (a[:, 0] >= 180) & (a[:, 1] >= 150) & (a[:, 2] <= 310) & (a[:, 3] <= 310)
        self.assertGreater(int(inside.sum()), 10)
        self.assertTrue((lab0[inside] == 0).all(), "without the region these are negatives")
        self.assertTrue((lab1[inside] == -1).all(), "inside an ignore region: ignored")
        # positives are untouched by the region, and far-away negatives stay negatives
        np.testing.assert_array_equal(lab0 == 1, lab1 == 1)
        self.assertGreater(int((lab1 == 1).sum()), 0)
        far = (a[:, 2] < 170) & (a[:, 0] > 120)
        self.assertTrue(((lab1[far] == 0) | (lab1[far] == -1)).all())
        self.assertGreater(int((lab1[far] == 0).sum()), 0)

    def test_ignore_region_never_makes_positives(self):
        region = np.array([[40, 40, 100, 110]], np.float32)
        lab, _ = assign(self.anchors, region, np.array([True]))
        self.assertEqual(int((lab == 1).sum()), 0)
        self.assertGreater(int((lab == -1).sum()), 0)


class TestMix(unittest.TestCase):
    def test_parse(self):
        m = parse_mix("wider_train:3,lfw:1")
        self.assertAlmostEqual(m["wider_train"], 0.75)
        self.assertAlmostEqual(m["lfw"], 0.25)
        for bad in ("fddb_paper:1", "wider_train", "wider_train:x", "wider_train:-1", "wider_train:0", "mosaic:nan"):
            with self.assertRaises(ValueError, msg=bad):
                parse_mix(bad)

    def test_sampling_frequencies_follow_the_weights(self):
        img = np.full((64, 64, 3), 90, np.uint8)

        def items(n):
            return [dict(name="x", img=img, boxes=np.array([[10, 10, 40, 40]], np.float32),
                         invalid=np.zeros(1, bool), set=n)]
        sets = {"wider_train": items("wider_train"), "lfw": items("lfw"), "dlib": items("dlib")}
        s = MixSampler(parse_mix("wider_train:0.6,lfw:0.3,dlib:0.1"), sets)
        rng = np.random.default_rng(1)
        n = 20000
        got = {}
        for _ in range(n):
            k = s.draw_source(rng)
            got[k] = got.get(k, 0) + 1
        for k, p in (("wider_train", 0.6), ("lfw", 0.3), ("dlib", 0.1)):
            sd = (p * (1 - p) / n) ** 0.5
            self.assertLess(abs(got[k] / n - p), 5 * sd, (k, got[k]))

    def test_mosaic_source_needs_lfw(self):
        with self.assertRaises(ValueError):
            MixSampler(parse_mix("mosaic:1,wider_train:1"), {"wider_train": [dict()]})


def portrait(face_xyxy, size=250, grey=True):
    """A synthetic portrait: a white face square on a dark background."""
    img = np.full((size, size), 20, np.uint8)
    x0, y0, x1, y1 = face_xyxy
    img[y0:y1, x0:x1] = 250
    return img if grey else np.repeat(img[:, :, None], 3, 2)


class TestAugment(unittest.TestCase):
    def test_mosaic_boxes_land_on_their_faces(self):
        rng = np.random.default_rng(3)
        for grid in (2, 3, 4):
            tiles = []
            for k in range(grid * grid):
                x0 = 60 + 5 * k
                f = (x0, 70, x0 + 100, 180)
                tiles.append((portrait(f), np.array([f], np.float32), np.zeros(1, bool)))
            canvas, boxes, ign = mosaic(tiles, 320, rng, grid)
            self.assertEqual(canvas.shape, (320, 320, 3))
            self.assertEqual(len(boxes), grid * grid)
            self.assertFalse(ign.any())
            cell = 320 // grid
            for b in boxes:
                x0, y0, x1, y1 = [int(round(v)) for v in b]
                inner = canvas[y0 + 2:y1 - 2, x0 + 2:x1 - 2]
                self.assertGreater(float(inner.mean()), 200, "box %s not on a face" % b)
                # each face lies in one cell: smaller than the cell, so no tile spills into a neighbour
                self.assertLessEqual(x1 - x0, cell)
            # faces are much smaller than in the 250 px portrait, and spread over the canvas
            self.assertLess(float((boxes[:, 2] - boxes[:, 0]).max()), 100 * cell / 250 + 1)
            self.assertGreater(float(np.ptp(boxes[:, 0])), cell * (grid - 1) * 0.5)

    def test_mosaic_needs_enough_tiles(self):
        with self.assertRaises(ValueError):
            mosaic([], 320, np.random.default_rng(0), 2)

    def test_crop_edge_faces_become_ignore_or_drop(self):
        img = np.zeros((400, 400, 3), np.uint8)
        boxes = np.array([[0, 0, 100, 100], [300, 300, 390, 390]], np.float32)
        rng = np.random.default_rng(0)
        seen_partial = False
        for _ in range(200):
            out, b, ig = random_crop(img, boxes, np.zeros(2, bool), 160, rng)
            self.assertEqual(out.shape, (160, 160, 3))
            for bb, g in zip(b, ig):
                inside = np.clip(bb, 0, 160)
                vis = (inside[2] - inside[0]) * (inside[3] - inside[1]) / ((bb[2] - bb[0]) * (bb[3] - bb[1]))
                self.assertGreater(vis, 0)
                self.assertEqual(bool(g), bool(vis < 0.6))
                seen_partial |= bool(g)
        self.assertTrue(seen_partial)

    def test_colour_jitter_covers_grey_inputs(self):
        rng = np.random.default_rng(5)
        grey = portrait((50, 50, 150, 150))  # 2-D grey input
        outs = [colour_jitter(grey, rng) for _ in range(20)]
        self.assertTrue(all(o.shape == (250, 250, 3) and o.dtype == np.uint8 for o in outs))
        self.assertTrue(any(not np.array_equal(o[..., 0], grey) for o in outs), "jitter changed nothing")
        self.assertTrue(any(not is_grey(o) for o in outs), "a grey input is sometimes tinted")
        colour = np.zeros((32, 32, 3), np.uint8)
        colour[..., 0] = 200
        colour[..., 2] = 40
        self.assertTrue(is_grey(colour_jitter(colour, rng, p_grey=1.0), tol=6), "p_grey=1 makes it grey")
        n_grey = sum(is_grey(colour_jitter(colour, rng, p_grey=0.5), tol=6) for _ in range(400))
        self.assertTrue(150 < n_grey < 250, n_grey)
        with self.assertRaises(ValueError):
            colour_jitter(np.zeros((4, 4, 2), np.uint8), rng)


@unittest.skipUnless(os.path.isdir(os.path.join(DATA, "lfw_3000")), "shared data not found at %s "
                     "(set TINYQ_DATA): loader tests skipped" % DATA)
class TestLoaders(unittest.TestCase):
    def test_every_training_set_loads_with_sane_boxes(self):
        counts = {}
        for s in TRAIN_SETS:
            items = load_items(s, DATA, for_training=True)
            self.assertGreater(len(items), 0, s)
            for it in items[:50]:
                img = cv2.imread(it["path"])
                self.assertIsNotNone(img, it["path"])
                h, w = img.shape[:2]
                b = it["boxes"]
                self.assertTrue((b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all(), it["name"])
                self.assertTrue((b[:, 0] > -0.5 * w).all() and (b[:, 2] < 1.5 * w).all(), it["name"])
            counts[s] = (len(items), sum(int((~i["invalid"]).sum()) for i in items),
                         sum(int(i["invalid"].sum()) for i in items))
        # figures from the SOURCE.md files
        self.assertEqual(counts["lfw"], (3000, 3378, 542))
        self.assertEqual(counts["dlib"][:2], (4, 18))
        self.assertEqual(counts["wider_train"][0], 160)
        self.assertEqual(counts["face_mask_train"][0], 767)
        self.assertGreater(counts["face_mask_train"][2], 0, "teacher-only boxes become ignore regions")

    def test_evaluation_sets_are_refused_for_training(self):
        for s in ("fddb_paper", "wider_val", "face_mask_val"):
            with self.assertRaises(ValueError):
                load_items(s, DATA, for_training=True)
        fd = load_items("fddb_paper", DATA)
        self.assertEqual((len(fd), sum(len(i["boxes"]) for i in fd)), (283, 499))
        fm = load_items("face_mask_val", DATA)
        self.assertEqual((len(fm), sum(len(i["boxes"]) for i in fm)), (85, 490))
        self.assertFalse(any(i["invalid"].any() for i in fm), "val is scored on the human boxes only")
        train_names = {os.path.basename(i["path"]) for i in load_items("face_mask_train", DATA)}
        self.assertFalse(train_names & {os.path.basename(i["path"]) for i in fm})


def tiny_training_set(d, seed, faces):
    """Three 128x96 noise images as a WIDER-style set under d/data (split train), each with the `faces` lines
    (WIDER bbx_gt: x y w h + six flags; "{x}" is 20, 30, 40 for the three images), and an untrained width-0.35
    detector npz d/init.npz. Returns (data dir, init npz)."""
    import torch
    from tinyq_tools.detector import FaceDetector, save_npz
    wd = os.path.join(d, "data", "wider_val_200")
    os.makedirs(wd)
    ann, split = "", ""
    rng = np.random.default_rng(seed)
    for k in range(3):
        cv2.imwrite(os.path.join(wd, "i%d.jpg" % k), rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
        ann += "i%d.jpg\n%d\n" % (k, len(faces)) + "".join(f.format(x=20 + 10 * k) + "\n" for f in faces)
        split += "i%d.jpg train\n" % k
    write(os.path.join(wd, "annotations.txt"), ann)
    write(os.path.join(wd, "split.txt"), split)
    torch.manual_seed(0)
    init = os.path.join(d, "init.npz")
    save_npz(FaceDetector(alpha=0.35), init)
    return os.path.join(d, "data"), init


class TestResume(unittest.TestCase):
    """A run stopped after k batches and resumed ends with the same weights as an uninterrupted run."""

    def test_stop_and_resume_matches_uninterrupted(self):
        import torch
        from tinyq_tools import train
        with tempfile.TemporaryDirectory() as d:
            data, init = tiny_training_set(d, 0, ["{x} 20 40 44 0 0 0 0 0 0"])
            common = ["--data", data, "--mix", "wider_train:1", "--alpha", "0.35", "--init", init,
                      "--epochs", "2", "--iters-per-epoch", "3", "--batch", "2", "--size", "64", "--threads", "1"]
            train.main(common + ["--out", os.path.join(d, "a.npz"), "--state-dir", os.path.join(d, "sa"), "--tag", "t"])
            sb = os.path.join(d, "sb")
            train.main(common + ["--out", os.path.join(d, "b.npz"), "--state-dir", sb, "--tag", "t",
                                 "--stop-after-batches", "4"])
            self.assertFalse(os.path.exists(os.path.join(d, "b.npz")), "a stopped run writes no final model")
            st = torch.load(os.path.join(sb, "t.ckpt.pt"))
            self.assertEqual((st["epoch"], st["it"]), (1, 1))
            train.main(common + ["--out", os.path.join(d, "b.npz"), "--state-dir", sb, "--tag", "t", "--resume"])
            with np.load(os.path.join(d, "a.npz")) as a, np.load(os.path.join(d, "b.npz")) as b:
                self.assertEqual(sorted(a.files), sorted(b.files))
                moved = False
                with np.load(init) as i0:
                    for k in a.files:
                        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
                        moved |= k in i0.files and not np.array_equal(a[k], i0[k])
                self.assertTrue(moved, "training changed no weight")

    def test_multi_exit_with_teacher_stop_and_resume(self):
        """train.py --multi (eq. (4) on every exit + 3-scale distillation): stop + resume = uninterrupted, and
        the result is a multi-exit npz whose every head moved."""
        from tinyq_tools import train
        with tempfile.TemporaryDirectory() as d:
            data, init = tiny_training_set(d, 1, ["{x} 20 40 44 0 0 0 0 0 0", "30 30 12 14 0 0 0 0 0 0"])
            common = ["--data", data, "--mix", "wider_train:1", "--alpha", "0.35", "--multi",
                      "--init", init, "--teacher", init, "--epochs", "2", "--iters-per-epoch", "2", "--batch", "2",
                      "--size", "64", "--threads", "1"]
            train.main(common + ["--out", os.path.join(d, "a.npz"), "--state-dir", os.path.join(d, "sa"), "--tag", "t"])
            sb = os.path.join(d, "sb")
            train.main(common + ["--out", os.path.join(d, "b.npz"), "--state-dir", sb, "--tag", "t",
                                 "--stop-after-batches", "3"])
            train.main(common + ["--out", os.path.join(d, "b.npz"), "--state-dir", sb, "--tag", "t", "--resume"])
            with np.load(os.path.join(d, "a.npz")) as a, np.load(os.path.join(d, "b.npz")) as b:
                self.assertEqual(sorted(a.files), sorted(b.files))
                self.assertIn("meta/exits", a.files)
                for k in a.files:
                    np.testing.assert_array_equal(a[k], b[k], err_msg=k)
                m0 = train.MultiExitDetector(0.35)
                with np.load(init) as i0:
                    m0.init_from_single({k: i0[k] for k in i0.files})
                d0 = m0.to_npz_dict()
                for k in range(3):
                    self.assertFalse(np.array_equal(a["head_%d/weights" % k], d0["head_%d/weights" % k]), k)


if __name__ == "__main__":
    unittest.main()
