"""Detector contract tests (no data needed): head channel order, anchors, encode/decode, npz round trip.

Run from tools/:  /usr/bin/python3 -m unittest tests.test_detector -v
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tinyq_tools.detector import (FaceDetector, anchors_for, decode, encode, head_to_flat,  # noqa: E402
                                  load_npz, save_npz)
from tinyq_tools.templates import NUM_TEMPLATES, templates_xyxy  # noqa: E402


class Detector(unittest.TestCase):
    def test_templates(self):
        t = templates_xyxy()
        self.assertEqual(t.shape, (25, 4))
        np.testing.assert_allclose(t[:, 0], -t[:, 2])
        np.testing.assert_allclose(t[24], [-9.6613, -10.6161, 9.6613, 10.6161], rtol=1e-5)

    def test_template_gate_matches_cpp_rule(self):
        # decode.h template_used_at: bound scale -> its templates; below the smallest bound scale
        # (0.5) -> the 0.5x templates (large-face octaves); any other scale -> none
        from tinyq_tools.eval import template_gate
        idx = lambda s: list(np.where(template_gate(s, "tinyface"))[0])
        self.assertEqual(idx(0.5), [0, 1, 2, 3])
        self.assertEqual(idx(1.0), list(range(4, 12)))
        self.assertEqual(idx(2.0), list(range(12, 25)))
        self.assertEqual(idx(0.25), [0, 1, 2, 3])
        self.assertEqual(idx(0.0625), [0, 1, 2, 3])
        self.assertEqual(idx(0.75), [])
        self.assertEqual(idx(4.0), [])
        self.assertEqual(int(template_gate(0.75, "none").sum()), NUM_TEMPLATES)

    def test_anchor_centres(self):
        a = anchors_for(2, 3)
        self.assertEqual(a.shape, (2 * 3 * 25, 4))
        # order (i, j, t): index ((i*W + j)*25 + t)
        k = (1 * 3 + 2) * 25 + 7
        c = (a[k, :2] + a[k, 2:]) / 2
        np.testing.assert_allclose(c, [16 * 2 + 15.5, 16 * 1 + 15.5])

    def test_channel_order(self):
        out = torch.zeros(1, 125, 2, 3)
        i, j, t = 1, 2, 7
        for blk, v in enumerate([10.0, 1.0, 2.0, 3.0, 4.0]):
            out[0, blk * NUM_TEMPLATES + t, i, j] = v
        sc, reg = head_to_flat(out)
        k = (i * 3 + j) * 25 + t
        self.assertEqual(float(sc[0, k]), 10.0)
        self.assertEqual(reg[0, k].tolist(), [1.0, 2.0, 3.0, 4.0])

    def test_encode_decode(self):
        a = anchors_for(4, 4)[:50]
        rng = np.random.default_rng(0)
        g = a + rng.uniform(-3, 3, a.shape).astype(np.float32)
        np.testing.assert_allclose(decode(encode(g, a), a), g, atol=1e-3)

    def test_npz_roundtrip(self):
        m = FaceDetector(alpha=0.5)
        m.eval()
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "m.npz")
            save_npz(m, p)
            z = np.load(p)
            self.assertEqual(z["head/weights"].shape, (125, 1, 1, 288))
            self.assertEqual(z["expanded_conv_1/depthwise/weights"].shape[0], 1)
            m2 = load_npz(p)
        x = torch.randn(1, 3, 64, 48)
        with torch.no_grad():
            torch.testing.assert_close(m(x), m2(x))


if __name__ == "__main__":
    unittest.main()
