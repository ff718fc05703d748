"""label.py: the two-teacher rule (synthetic detections) and, with ../shared/data, the teachers themselves.

Run from tools/:  /usr/bin/python3 -m unittest tests.test_label -v
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from tinyq_tools import DEFAULT_DATA  # noqa: E402
from tinyq_tools.data import read_bbx_gt, xywh_to_xyxy  # noqa: E402
from tinyq_tools.detector import iou_matrix  # noqa: E402
from tinyq_tools.label import combine, main as label_main, pair_one_to_one  # noqa: E402

DATA = os.environ.get("TINYQ_DATA", DEFAULT_DATA)


def B(*rows):
    return np.array(rows, np.float32).reshape(-1, 4)


class TestRule(unittest.TestCase):
    def test_pairs_are_one_to_one_best_first(self):
        a = B([0, 0, 10, 10], [1, 0, 11, 10])
        b = B([1, 0, 11, 10])
        self.assertEqual(pair_one_to_one(a, b), [(1, 0)])  # the exact match wins, a[0] stays unpaired
        self.assertEqual(pair_one_to_one(a, B([50, 50, 60, 60])), [])

    def test_agree_label_disagree_ignore(self):
        ba = B([0, 0, 10, 10], [100, 100, 120, 120], [200, 200, 220, 220], [300, 0, 330, 30])
        sa = np.array([0.9, 0.4, 0.8, 0.2], np.float32)
        bb = B([1, 0, 11, 10], [101, 100, 121, 120], [400, 400, 420, 420])
        sb = np.array([0.7, 0.4, 0.35], np.float32)
        lab, ls, ign, is_, src = combine(ba, sa, bb, sb)
        np.testing.assert_allclose(lab, B([0.5, 0, 10.5, 10]))  # corner-wise mean of the agreeing pair
        np.testing.assert_allclose(ls, [0.8])
        # low-mean pair (src 0), A-only (src 1), B-only (src 2); A's 0.2 box is below min_score: gone
        self.assertEqual(sorted(src.tolist()), [0, 1, 2])
        got = {int(c): b for b, c in zip(ign, src)}
        np.testing.assert_allclose(got[0], [100.5, 100, 120.5, 120])
        np.testing.assert_allclose(got[1], [200, 200, 220, 220])
        np.testing.assert_allclose(got[2], [400, 400, 420, 420])
        np.testing.assert_allclose(sorted(is_.tolist()), [0.35, 0.4, 0.8], rtol=1e-6)

    def test_bad_folder_is_an_error(self):
        with self.assertRaises(SystemExit):
            label_main(["label", "/nonexistent/folder", "--out", "/tmp/x", "--ignore-out", "/tmp/y"])
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(SystemExit):  # no images
                label_main(["label", d, "--out", os.path.join(d, "l"), "--ignore-out", os.path.join(d, "i")])


@unittest.skipUnless(os.path.isdir(os.path.join(DATA, "teachers")) and os.path.isdir(os.path.join(DATA, "lfw_3000")),
                     "shared data not found at %s (set TINYQ_DATA): teacher test skipped" % DATA)
class TestTeachers(unittest.TestCase):
    def test_reproduces_the_provided_labels_on_lfw_images(self):
        ref = read_bbx_gt(os.path.join(DATA, "teacher_labels", "lfw_3000.txt"))
        names = sorted(ref)[:3]
        with tempfile.TemporaryDirectory() as d:
            for n in names:
                os.makedirs(os.path.dirname(os.path.join(d, n)), exist_ok=True)
                cv2.imwrite(os.path.join(d, n), cv2.imread(os.path.join(DATA, "lfw_3000", n)))
            lab_p, ign_p = os.path.join(d, "l.txt"), os.path.join(d, "i.txt")
            label_main(["label", d, "--out", lab_p, "--ignore-out", ign_p, "--data", DATA])
            ours = read_bbx_gt(lab_p)
        for n in names:
            r, o = xywh_to_xyxy(ref[n]), xywh_to_xyxy(ours[n])
            self.assertEqual(len(o), len(r), n)
            self.assertGreater(float(iou_matrix(r, o).max(1).min()), 0.9, n)


if __name__ == "__main__":
    unittest.main()
