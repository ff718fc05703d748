"""Multi-exit detector (tinyq_tools/multi_exit.py): exits, init from the OutA model, anchors, npz round trip,
single-pass decode. No data needed."""
import os
import tempfile
import unittest

import numpy as np
import torch
import torch.nn.functional as F

from tinyq_tools.detector import FaceDetector
from tinyq_tools.multi_exit import (MultiExitDetector, check_exits, default_exits, detect_single_pass,
                                    exit_anchors, exit_to_flat, load_any, save_npz)
from tinyq_tools.targets import assign
from tinyq_tools.templates import HR_RES101_TEMPLATES


def random_outA(alpha=0.5, seed=0):
    torch.manual_seed(seed)
    m = FaceDetector(alpha=alpha)
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.1)
    return m


class DefaultExits(unittest.TestCase):
    def test_taps_strides_templates(self):
        ex = default_exits(0.5)
        self.assertEqual([e["tap"] for e in ex], [18, 39, 40])
        self.assertEqual([e["name"] for e in ex], ["expanded_conv_6/expand", "expanded_conv_13/expand",
                                                  "expanded_conv_13/depthwise"])
        self.assertEqual([e["stride"] for e in ex], [8, 16, 32])
        self.assertEqual([len(e["templates"]) for e in ex], [13, 8, 4])
        np.testing.assert_allclose(ex[0]["templates"], HR_RES101_TEMPLATES[12:25, :4] * 0.5, rtol=1e-6)
        np.testing.assert_allclose(ex[1]["templates"], HR_RES101_TEMPLATES[4:12, :4], rtol=1e-6)
        np.testing.assert_allclose(ex[2]["templates"], HR_RES101_TEMPLATES[0:4, :4] * 2, rtol=1e-6)

    def test_check_rejects_bad_exits(self):
        ex = default_exits(0.5)
        with self.assertRaises(ValueError):
            check_exits(0.5, [ex[1], ex[0]])
        bad = dict(ex[0], stride=16)
        with self.assertRaises(ValueError):
            check_exits(0.5, [bad])

    def test_anchor_centres(self):
        t = np.array([[-4, -5, 4, 5]], np.float32)
        a = exit_anchors(8, t, 2, 3)  # order (i, j, t)
        cx = (a[:, 0] + a[:, 2]) / 2
        cy = (a[:, 1] + a[:, 3]) / 2
        np.testing.assert_allclose(cx, [7.5, 15.5, 23.5] * 2)
        np.testing.assert_allclose(cy, [7.5] * 3 + [15.5] * 3)
        np.testing.assert_allclose(exit_anchors(32, t, 1, 1)[0], [27.5, 26.5, 35.5, 36.5])


class InitFromOutA(unittest.TestCase):
    def setUp(self):
        self.single = random_outA()
        self.multi = MultiExitDetector(0.5)
        self.mean_filtered = self.multi.init_from_single(self.single.to_npz_dict())
        self.x = torch.randn(2, 3, 64, 96) * 0.5

    def test_exit1_is_the_outA_head_rows(self):
        self.assertEqual(self.mean_filtered, ["expanded_conv_13/depthwise"])
        with torch.no_grad():
            ref = self.single(self.x)  # (2, 125, 4, 6)
            outs = self.multi(self.x)
        rows = [v * 25 + t for v in range(5) for t in range(4, 12)]
        np.testing.assert_allclose(outs[1].numpy(), ref[:, rows].numpy(), rtol=1e-5, atol=1e-5)

    def test_exit2_averages_outA(self):
        with torch.no_grad():
            fa = self.single.backbone(self.x)
            f2 = self.multi.backbone.run_taps(self.x, ["expanded_conv_13/depthwise"])[0]
        # TF SAME, stride 2, 3x3 on an even size: 0 before, 1 after; mean filter, ReLU6 (no-op on [0, 6])
        ref = F.avg_pool2d(F.pad(fa, (0, 1, 0, 1)), 3, 2) * 1.0
        # F.pad pads zeros and avg_pool2d divides by 9 including them: the same as the mean filter
        np.testing.assert_allclose(f2.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)
        self.assertEqual(tuple(f2.shape[2:]), (2, 3))

    def test_fresh_exits_start_at_prior(self):
        with torch.no_grad():
            b0 = self.multi.heads[0].bias.numpy()
        np.testing.assert_allclose(b0[:13], np.log(0.01 / 0.99), rtol=1e-6)
        np.testing.assert_allclose(b0[13:], 0)

    def test_npz_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "m.npz")
            save_npz(self.multi, p)
            with np.load(p) as z:
                np.testing.assert_array_equal(z["meta/exits"], [[18, 8, 13], [39, 16, 8], [40, 32, 4]])
                self.assertEqual(z["head_0/weights"].shape, (65, 1, 1, 96))
                self.assertEqual(z["head_2/weights"].shape, (20, 1, 1, 288))
                self.assertNotIn("head/weights", z.files)
                self.assertNotIn("expanded_conv_13/project/weights", z.files)
            m2 = load_any(p)
            self.assertTrue(m2.is_multi_exit)
            with torch.no_grad():
                for a, b in zip(self.multi(self.x), m2(self.x)):
                    np.testing.assert_array_equal(a.numpy(), b.numpy())


class SinglePassDecode(unittest.TestCase):
    def test_one_firing_anchor_per_exit_decodes_to_its_anchor(self):
        m = MultiExitDetector(0.5)
        with torch.no_grad():
            for e, h in zip(m.exits, m.heads):
                h.weight.zero_()
                h.bias.zero_()
                h.bias[:len(e["templates"])] = -20.0  # every score off
            m.heads[2].bias[1] = 20.0   # exit 2, template 1: score channel t = 1 everywhere
            m.heads[2].bias[4 + 1] = 0.1  # tx of template 1 (channel 1*T + t)
        img = np.full((60, 70, 3), 128, np.uint8)  # padded to 64 x 96 -> a 2 x 3 stride-32 map
        boxes, scores = detect_single_pass(m, img, 0.5, 1.0)  # NMS 1.0 keeps every box
        self.assertEqual(len(boxes), 6)
        t = m.exits[2]["templates"][1]
        w = t[2] - t[0]
        a = exit_anchors(32, t[None], 2, 3)
        cx = (a[:, 0] + a[:, 2]) / 2 + 0.1 * w
        got = np.sort((boxes[:, 0] + boxes[:, 2]) / 2)
        # boxes are clipped to the image; compare the unclipped centres of the boxes inside it
        inside = (a[:, 0] + 0.1 * w >= 0) & (a[:, 2] + 0.1 * w <= 70) & (a[:, 1] >= 0) & (a[:, 3] <= 60)
        for c in cx[inside]:
            self.assertTrue(np.any(np.abs(got - c) < 1e-3))

    def test_flat_order_is_i_j_t(self):
        out = torch.arange(2 * 5 * 3 * 2 * 2, dtype=torch.float32).view(2, 15, 2, 2)
        sc, reg = exit_to_flat(out, 3)
        # score of (i=1, j=0, t=2) = channel 2 at (1, 0)
        self.assertEqual(float(sc[0, (1 * 2 + 0) * 3 + 2]), float(out[0, 2, 1, 0]))
        self.assertEqual(float(reg[1, (0 * 2 + 1) * 3 + 1, 3]), float(out[1, 4 * 3 + 1, 0, 1]))


class MacCount(unittest.TestCase):
    def test_analytic_macs_match_the_modules(self):
        """conv_macs against a count taken from the torch convs' actual output shapes."""
        from tinyq_tools.multi_exit import macs_multi_exit
        m = MultiExitDetector(0.5)
        counted = []

        def hook(mod, inp, out):
            counted.append(out.numel() * mod.weight.shape[1] * mod.weight.shape[2] * mod.weight.shape[3])
        for mod in list(m.backbone.convs.values()) + list(m.heads):
            mod.register_forward_hook(hook)
        with torch.no_grad():
            m(torch.zeros(1, 3, 96, 128))
        self.assertEqual(macs_multi_exit(m, 90, 110), sum(counted))  # 90 x 110 pads to 96 x 128


class PerExitAssignment(unittest.TestCase):
    def test_small_face_is_positive_on_exit0_only(self):
        ex = default_exits(0.5)
        face = np.array([[100, 100, 118, 121]], np.float32)  # 18 x 21 px
        npos = []
        for e in ex:
            n = 320 // e["stride"]
            lab, _ = assign(exit_anchors(e["stride"], e["templates"], n, n), face, np.zeros(1, bool))
            npos.append(int((lab == 1).sum()))
        self.assertGreater(npos[0], 0)
        self.assertEqual(npos[2], 0)


if __name__ == "__main__":
    unittest.main()
