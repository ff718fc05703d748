"""The plumbing of peer.py (tinyq vs YuNet-n table) and threshold.py (the CLI's default threshold) on
synthetic inputs: medians, AP and P/R/F1 through eval.voc_ap, box scaling, the YuNet grid decoder, the
MAC counts, the CLI's stderr parser. The cv2.dnn MAC count runs on the real YuNet-n file when
../shared/data/teachers is present and skips otherwise.

Run from tools/:  /usr/bin/python3 -m unittest tests.test_peer -v
"""
import math
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tinyq_tools import DEFAULT_DATA  # noqa: E402
from tinyq_tools import cli_runner, peer, threshold  # noqa: E402


def gt(boxes, invalid=None):
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    return b, np.zeros(len(b), bool) if invalid is None else np.asarray(invalid, bool)


def det(boxes, scores):
    return np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(scores, np.float32)


class TestMedianAndAp(unittest.TestCase):
    def test_median_ignores_missing_times(self):
        self.assertEqual(peer.median_ms([3.0, float("nan"), 1.0, 2.0]), 2.0)
        self.assertEqual(peer.median_ms([4.0, 1.0]), 2.5)
        self.assertTrue(math.isnan(peer.median_ms([float("nan")])))

    def test_ap_perfect_and_one_false_positive_first(self):
        g = [gt([[0, 0, 10, 10]]), gt([[20, 20, 40, 40]])]
        perfect = [det([[0, 0, 10, 10]], [0.9]), det([[20, 20, 40, 40]], [0.8])]
        self.assertAlmostEqual(peer.ap_of(perfect, g), 1.0)
        # A false positive ranked above both hits: precision 1/2 at recall 1/2, 2/3 at recall 1.
        fp_first = [det([[0, 0, 10, 10], [50, 50, 60, 60]], [0.5, 0.99]), det([[20, 20, 40, 40]], [0.4])]
        self.assertAlmostEqual(peer.ap_of(fp_first, g), 0.5 * 2 / 3 + 0.5 * 2 / 3)

    def test_invalid_box_is_dont_care_and_subset_drops_small_faces(self):
        g = [gt([[0, 0, 10, 10], [30, 30, 60, 60]], [True, False])]
        d = [det([[0, 0, 10, 10], [30, 30, 60, 60]], [0.9, 0.8])]
        self.assertAlmostEqual(peer.ap_of(d, g), 1.0)  # the hit on the invalid box is no FP
        g2 = [gt([[0, 0, 10, 10], [30, 30, 60, 60]])]
        self.assertAlmostEqual(peer.ap_of(d, g2, 16.0), 1.0)  # the 10 px face is not a positive at w>=16
        self.assertAlmostEqual(peer.ap_of([det([[30, 30, 60, 60]], [0.8])], g2), 0.5)


class TestThresholdSweep(unittest.TestCase):
    def setUp(self):
        self.g = [gt([[0, 0, 20, 20], [40, 0, 60, 20]])]
        self.d = [det([[0, 0, 20, 20], [100, 100, 120, 120], [40, 0, 60, 20]], [0.9, 0.6, 0.4])]

    def test_prf_at_thresholds(self):
        p, r, f1, kept = threshold.prf_at(self.d, self.g, 0.5)
        self.assertEqual(kept, 2)
        self.assertAlmostEqual(p, 0.5)
        self.assertAlmostEqual(r, 0.5)
        self.assertAlmostEqual(f1, 0.5)
        p, r, f1, kept = threshold.prf_at(self.d, self.g, 0.3)
        self.assertAlmostEqual(p, 2 / 3)
        self.assertAlmostEqual(r, 1.0)
        self.assertAlmostEqual(f1, 0.8)
        self.assertEqual(threshold.prf_at(self.d, self.g, 0.95), (0.0, 0.0, 0.0, 0))

    def test_best_and_grid(self):
        self.assertEqual(threshold.grid(0.05, 0.10), [0.05, 0.06, 0.07, 0.08, 0.09, 0.10])
        curve = threshold.sweep(self.d, self.g, [0.3, 0.5, 0.95])
        self.assertEqual(threshold.best(curve)["t"], 0.3)
        # Ties go to the lowest threshold.
        self.assertEqual(threshold.best([dict(t=0.4, f1=0.5), dict(t=0.2, f1=0.5), dict(t=0.3, f1=0.1)])["t"], 0.2)


class TestInputs(unittest.TestCase):
    def test_resize_longer_and_scale_boxes(self):
        img = np.zeros((50, 100, 3), np.uint8)
        im, (fx, fy) = peer.resize_longer(img, 640)
        self.assertEqual(im.shape, (320, 640, 3))
        self.assertEqual((fx, fy), (6.4, 6.4))
        np.testing.assert_allclose(peer.scale_boxes([[1, 2, 3, 4]], fx, fy), [[6.4, 12.8, 19.2, 25.6]], rtol=1e-6)

    def test_pad_to_multiple_of_32(self):
        img = np.full((33, 64, 3), 7, np.uint8)
        p = peer.pad_to_multiple(img)
        self.assertEqual(p.shape, (64, 64, 3))
        self.assertTrue((p[:33] == 7).all() and (p[33:] == 0).all())
        self.assertIs(peer.pad_to_multiple(p), p)


class TestYuNetDecoder(unittest.TestCase):
    def outputs(self, net_w, net_h):
        outs = {}
        for s in peer.YUNET_STRIDES:
            n = (net_w // s) * (net_h // s)
            outs["cls_%d" % s] = np.zeros((1, n, 1), np.float32)
            outs["obj_%d" % s] = np.zeros((1, n, 1), np.float32)
            outs["bbox_%d" % s] = np.zeros((1, n, 4), np.float32)
        return outs

    def test_one_cell_of_a_non_square_grid(self):
        outs = self.outputs(64, 32)  # stride 8: 8 columns x 4 rows
        cell = 1 * 8 + 2  # row 1, column 2
        outs["cls_8"][0, cell, 0] = 0.81
        outs["obj_8"][0, cell, 0] = 1.5  # clipped to 1
        outs["bbox_8"][0, cell] = [0.5, 0.5, math.log(2), math.log(3)]
        b, s = peer.decode_yunet_n_grid(outs, 64, 32)
        self.assertEqual(len(s), 32 + 8 + 2)
        k = int(np.argmax(s))
        self.assertEqual(k, cell)
        self.assertAlmostEqual(float(s[k]), 0.9, places=6)
        np.testing.assert_allclose(b[k], [12, 0, 28, 24], atol=1e-4)  # centre (20, 12), 16 x 24

    def test_wrong_grid_is_refused(self):
        with self.assertRaises(ValueError):
            peer.decode_yunet_n_grid(self.outputs(64, 32), 32, 64 + 32)


MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")


class TestMacs(unittest.TestCase):
    def test_conv_macs_from_layer_shapes(self):
        layers = [("Convolution", [np.zeros((16, 3, 3, 3))], [(1, 16, 10, 10)]),
                  ("Convolution", [np.zeros((16, 1, 3, 3))], [(1, 16, 5, 5)]),  # depthwise
                  ("ReLU", [], [(1, 16, 5, 5)])]
        self.assertEqual(peer.conv_macs_from(layers), 16 * 100 * 27 + 16 * 25 * 9)

    def test_tinyq_macs_equal_graph_macs_figures(self):
        # docs/frame-cost.md: model::graph_macs at 224 x 224 is 234.8 M (width 1.0) and 77.8 M (width 0.5).
        self.assertAlmostEqual(peer.tinyq_macs_per_net_pixel(1.0) * 224 * 224 / 1e6, 234.8, delta=0.05)
        self.assertAlmostEqual(peer.tinyq_macs_per_net_pixel(0.5) * 224 * 224 / 1e6, 77.8, delta=0.05)

    def test_tinyq_network_pixels_follow_tiling_rule(self):
        # 100 x 50 at 0.5x: 50 x 25 -> 64 x 32; 1x: 112 x 64; 2x: 208 x 112.
        self.assertEqual(peer.tinyq_network_pixels(100, 50), 64 * 32 + 112 * 64 + 208 * 112)
        self.assertEqual(peer.tinyq_network_pixels(512, 512), 256 ** 2 + 512 ** 2 + 1024 ** 2)

    def test_model_cost_of_a_multi_exit_file_equals_its_module_count(self):
        # A multi-exit file: one 1x pass, padding to its largest stride (32), MACs from the weight shapes equal
        # to multi_exit.macs_multi_exit (the module's own count) on an input whose sides are multiples of 32.
        import tempfile
        from tinyq_tools import multi_exit
        from tinyq_tools.weights_file import export_detector
        model = multi_exit.MultiExitDetector(alpha=0.5)
        with tempfile.TemporaryDirectory() as work:
            npz, tqw = os.path.join(work, "m.npz"), os.path.join(work, "m.q9.tqw")
            multi_exit.save_npz(model, npz)
            export_detector(npz, tqw, "q9")
            per_px, scales, stride = peer.tinyq_model_cost(tqw)
        self.assertEqual((scales, stride), ((1.0,), 32))
        self.assertAlmostEqual(per_px * 256 * 320, multi_exit.macs_multi_exit(model, 256, 320), delta=1.0)

    def test_model_cost_of_the_shipped_files_equals_the_layer_table(self):
        # The per-file count (weight shapes) agrees with the layer-table count for the paper-mode models,
        # and a paper-mode file runs the three scales at stride 16.
        for alpha, name in ((1.0, "face_mnv2_a100_outA.auto.tqw"), (0.5, "face_mnv2_a050_outA.auto.tqw")):
            per_px, scales, stride = peer.tinyq_model_cost(os.path.join(MODELS, name))
            self.assertAlmostEqual(per_px, peer.tinyq_macs_per_net_pixel(alpha), delta=1e-6 * per_px)
            self.assertEqual(scales, (0.5, 1.0, 2.0))
            self.assertEqual(stride, 16)

    @unittest.skipUnless(os.path.exists(os.path.join(DEFAULT_DATA, "teachers", "yunet_n_2023")),
                         "../shared/data/teachers absent: YuNet-n cv2.dnn MAC count not checked")
    def test_yunet_macs_scale_with_input_pixels(self):
        y = peer.YuNet(DEFAULT_DATA)
        small, big = y.conv_macs(320, 320), y.conv_macs(640, 640)
        self.assertGreater(small, 0)
        self.assertEqual(big, 4 * small)  # every layer's output grows with the input area


class TestCliParser(unittest.TestCase):
    def test_progress_lines(self):
        err = ("[1/3] a b.jpg: 10x20, 1 face, 12.5 ms\n[1/3] a b.jpg: scale 2x: tiled\n"
               "[3/3] c.png: 8x8, 0 faces, 3.0 ms\n[2/3] x: cannot read image: bad\n")
        ms = cli_runner.parse_progress(err, 3)
        self.assertEqual(ms[0], 12.5)
        self.assertTrue(math.isnan(ms[1]))
        self.assertEqual(ms[2], 3.0)

    def test_json_lines(self):
        out = ('{"image": "a.jpg", "width": 4, "height": 4, "faces": [{"x0": 1, "y0": 2, "x1": 3, "y1": 4, '
               '"score": 0.5, "score_q30": 536870912}]}\n{"image": "b.jpg", "width": 4, "height": 4, "faces": []}\n')
        r = cli_runner.parse_json(out)
        np.testing.assert_array_equal(r["a.jpg"][0], [[1, 2, 3, 4]])
        self.assertEqual(float(r["a.jpg"][1][0]), 0.5)
        self.assertEqual(r["b.jpg"][0].shape, (0, 4))


if __name__ == "__main__":
    unittest.main()
