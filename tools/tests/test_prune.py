"""prune.py (channel selection + least-squares reconstruction) on random detectors; no data needed.

Run from tools/:  /usr/bin/python3 -m unittest tests.test_prune -v
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from tinyq_tools.detector import FaceDetector, save_npz  # noqa: E402
from tinyq_tools.prune import prune  # noqa: E402
from tinyq_tools.train import teacher_slice_dict  # noqa: E402


def random_detector(alpha, seed):
    torch.manual_seed(seed)
    m = FaceDetector(alpha=alpha).eval()
    with torch.no_grad():
        for conv in m.backbone.convs.values():  # biases keep ReLU6 units alive and clipping sometimes
            conv.bias.uniform_(-0.2, 0.6)
            conv.weight.mul_(2.0)
        m.head.weight.normal_(0.0, 0.1)
    return m


def images(n, size, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, size, size, generator=g) * 2 - 1


def rel_err(a, b):
    return float(((a - b) ** 2).mean().sqrt() / (b ** 2).mean().sqrt())


class Prune(unittest.TestCase):
    def test_same_width_reproduces_the_teacher(self):
        # Keeping every channel, each layer's least-squares fit has an exact solution: the teacher's own
        # weights.  This checks the padding, depthwise unfolding, residual targets and head fit together.
        teacher = random_detector(0.35, 1)
        x = images(8, 128, 2)
        student, outa = prune(teacher, x, 0.35, eps=1e-9, log=lambda *a: None)
        self.assertEqual(outa.tolist(), list(range(teacher.backbone.outA_channels)))
        with torch.no_grad():
            self.assertLess(rel_err(student(x), teacher(x)), 1e-4)  # on the fitted crops: exact
            # unseen inputs reach directions the fit never saw (units dead or clipped on every fitted
            # pixel), so they match only closely
            self.assertLess(rel_err(student(images(2, 96, 3)), teacher(images(2, 96, 3))), 1e-2)

    def test_narrower_student_beats_the_first_channels_slice(self):
        teacher = random_detector(0.5, 4)
        x = images(12, 128, 5)
        student, outa = prune(teacher, x, 0.35, log=lambda *a: None)
        self.assertEqual(student.backbone.outA_channels, 192)
        self.assertEqual(len(outa), 192)
        self.assertTrue(bool((outa[1:] > outa[:-1]).all()) and 0 <= int(outa[0]) and int(outa[-1]) < 288)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.npz")
            save_npz(teacher, path)
            sliced = FaceDetector(alpha=0.35).eval()
            sliced.load_npz_dict(teacher_slice_dict(path, 0.35))
        held_out = images(4, 128, 6)
        with torch.no_grad():
            ref = teacher(held_out)
            e_pruned = rel_err(student(held_out), ref)
            e_sliced = rel_err(sliced(held_out), ref)
        self.assertLess(e_pruned, 0.5 * e_sliced)


if __name__ == "__main__":
    unittest.main()
