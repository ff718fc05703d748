"""tinyq weights file writer/reader (tinyq_tools.weights_file): round trip, layout rules of
docs/weights-format.md, per-channel fracs, activation points, and corruption detection.

Run from tools/:  /usr/bin/python3 -m unittest tests.test_weights_file -v
"""
import os
import struct
import sys
import unittest
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tinyq_tools import weights_file as wf  # noqa: E402


class WeightsFileTest(unittest.TestCase):
    def sample(self):
        meta = dict(width=0.5, output="C", padding="symmetric", activation_dtype="int16", head_templates=25,
                    input_size=(320, 240))
        tensors = [("a/weights", np.arange(24, dtype=np.int16).reshape(2, 3, 4), [3, 4]),
                   ("a/biases", np.array([1, -2], np.int32), 12),
                   ("f", np.linspace(-1, 1, 7).astype(np.float32), None)]
        return meta, tensors

    def test_round_trip(self):
        meta, tensors = self.sample()
        b = wf.weights_file_bytes(meta, tensors)
        m, t = wf.read_weights_file(b)
        self.assertEqual(m["width"], 500)
        self.assertEqual(m["output"], "C")
        self.assertEqual(m["padding"], "symmetric")
        self.assertEqual(m["head_templates"], 25)
        self.assertEqual(m["input_size"], (320, 240))
        np.testing.assert_array_equal(t["a/weights"][0], tensors[0][1])
        self.assertEqual(t["a/weights"][1], 2)  # per-channel
        np.testing.assert_array_equal(t["a/weights.frac"][0], [3, 4])
        self.assertEqual(t["a/biases"][1:], (1, 12))
        np.testing.assert_array_equal(t["f"][0], tensors[2][1])

    def test_layout(self):
        meta, tensors = self.sample()
        b = wf.weights_file_bytes(meta, tensors, alignment=64)
        self.assertEqual(b[:4], b"TQWF")
        major, minor, file_size, hcrc, n, table_off, align = struct.unpack_from("<HHIIIII", b, 4)
        self.assertEqual((major, table_off, align, file_size), (1, 64, 64, len(b)))
        self.assertEqual(n, 4)
        for i in range(n):
            off, size, crc = struct.unpack_from("<III", b, 64 + 96 * i + 80)
            self.assertEqual(off % 64, 0)
            self.assertGreaterEqual(off, 64 + 96 * n)
            self.assertEqual(zlib.crc32(b[off:off + size]), crc)
        self.assertEqual(zlib.crc32(b[:12] + b"\0" * 4 + b[16:64 + 96 * n]), hcrc)

    def test_corruption_detected(self):
        meta, tensors = self.sample()
        b = bytearray(wf.weights_file_bytes(meta, tensors))
        b[-1] ^= 1
        with self.assertRaises(ValueError):
            wf.read_weights_file(bytes(b))
        b = bytearray(wf.weights_file_bytes(meta, tensors))
        b[70] ^= 1
        with self.assertRaises(ValueError):
            wf.read_weights_file(bytes(b))

    def test_rejects_bad_input(self):
        with self.assertRaises(ValueError):
            wf.weights_file_bytes({}, [("x", np.zeros(3, np.float64), None)])
        with self.assertRaises(ValueError):
            wf.weights_file_bytes({}, [("x", np.zeros(3, np.int16), None)])
        with self.assertRaises(ValueError):
            wf.weights_file_bytes({}, [("x" * 60, np.zeros(3, np.float32), None)])
        with self.assertRaises(ValueError):
            wf.weights_file_bytes(dict(width=600), [("x", np.zeros(3, np.float32), None)])

    def test_architecture_tables(self):
        # Keras MobileNetV2 1.0: 52 convs; OutA stops at expanded_conv_13/expand (576 ch)
        layers = wf.conv_layers(1000, "B")
        self.assertEqual(len(layers), 52)
        a = wf.conv_layers(1000, "A")
        self.assertEqual(a[-1][0], "expanded_conv_13/expand")
        self.assertEqual(a[-1][3], 576)
        self.assertEqual(wf.conv_layers(500, "A")[-1][3], 288)
        self.assertEqual(wf.conv_layers(350, "B")[0][3], 16)
        pts = wf.activation_points(1000, "B", classifier=True)
        self.assertEqual(pts[0], "input")
        self.assertEqual(pts[-1], "Logits/Conv2d_1c_1x1")
        self.assertEqual(sum(p.endswith("/add") for p in pts), 10)
        self.assertEqual(len(wf.activation_points(1000, "C", head=True)), 1 + 52 + 10 + 2 + 1)

    def test_depthwise_per_channel_uses_last_axis(self):
        b = wf.weights_file_bytes({}, [("d/weights", np.ones((1, 3, 3, 5), np.int8), [1, 2, 3, 4, 5])])
        _, t = wf.read_weights_file(b)
        np.testing.assert_array_equal(t["d/weights.frac"][0], [1, 2, 3, 4, 5])

    def test_per_channel_fracs_stay_within_the_bias(self):
        # a dead channel (weights ~1e-9) must not get 31 fractional bits: its accumulator would
        # need the bias shifted far past int32 (the whole layer then leaves the SIMD int32 paths)
        w = np.zeros((1, 3, 3, 4))
        w[..., 0], w[..., 1], w[..., 2], w[..., 3] = 0.9, 0.1, 0.01, 1e-9
        b = np.array([4.0, -2.0, 1.0, 3.5])
        in_frac = 12
        entries = dict((n, (a, f)) for n, a, f in wf.quantize_conv("dw", w, b, in_frac, weight_bits=8, per_channel=True))
        fracs = entries["dw/weights"][1]
        bias_frac = entries["dw/biases"][1]
        raw = [wf.frac_for_range(m, 8) for m in (0.9, 0.1, 0.01, 1e-9)]
        self.assertEqual(raw[3], 31)
        cap = wf.frac_for_range(4.0, 32) - in_frac
        self.assertEqual(list(fracs), [min(f, cap) for f in raw])
        self.assertLessEqual(in_frac + max(fracs), bias_frac + 1)
        # the other channels keep their own precision
        self.assertEqual(list(fracs[:2]), raw[:2])

    def test_c_header(self):
        import re
        from tinyq_tools.to_c_header import c_header
        meta, tensors = self.sample()
        b = wf.weights_file_bytes(meta, tensors)
        text = c_header(b, "my_model")
        self.assertIn("aligned(64)", text)
        self.assertIn("my_model_size = %d" % len(b), text)
        body = text[text.index("= {") + 3:text.index("};")]
        self.assertEqual(bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", body)), b)
        with self.assertRaises(ValueError):
            c_header(b, "1bad")
        with self.assertRaises(ValueError):
            c_header(b[:-1] + bytes([b[-1] ^ 1]), "ok")

    def test_export_detector(self):
        import json
        import tempfile
        rng = np.random.default_rng(1)
        d = {"meta/alpha": np.float32(0.35), "templates": np.tile(np.array([[-10, -12, 10, 12]], np.float32), (25, 1))}
        acts = {"head": {"maxabs": 5.0}}
        for n, k, ci, co, st, r6, res in wf.conv_layers(350, "A"):
            shape = {"conv3x3": (co, 3, 3, ci), "dw": (1, 3, 3, ci), "pw": (co, 1, 1, ci)}[k]
            d[n + "/weights"] = (rng.standard_normal(shape) * 0.1).astype(np.float32)
            d[n + "/biases"] = (rng.standard_normal(co) * 0.1).astype(np.float32)
            acts[n + ("/add" if res else "")] = {"maxabs": 3.0}
        d["head/weights"] = rng.standard_normal((125, 1, 1, 192)).astype(np.float32)
        d["head/biases"] = np.zeros(125, np.float32)
        with tempfile.TemporaryDirectory() as tmp:
            np.savez(os.path.join(tmp, "m.npz"), **d)
            with open(os.path.join(tmp, "q.json"), "w") as f:
                json.dump({"activations": acts}, f)
            wf.export_detector(os.path.join(tmp, "m.npz"), os.path.join(tmp, "f.tqw"), "float")
            wf.export_detector(os.path.join(tmp, "m.npz"), os.path.join(tmp, "q.tqw"), "q8")
            wf.export_detector(os.path.join(tmp, "m.npz"), os.path.join(tmp, "a.tqw"), "auto", os.path.join(tmp, "q.json"))
            m, t = wf.read_weights_file(os.path.join(tmp, "f.tqw"))
            self.assertEqual((m["width"], m["output"], m["activation_dtype"], m["head_templates"]), (350, "A", "float32", 25))
            self.assertNotIn("activation_frac_bits", t)
            np.testing.assert_array_equal(t["head/templates"][0][0], [-160, -192, 160, 192])
            m, t = wf.read_weights_file(os.path.join(tmp, "q.tqw"))
            self.assertEqual(m["activation_dtype"], "int16")
            self.assertTrue((t["activation_frac_bits"][0] == 8).all())
            self.assertEqual(len(t["activation_frac_bits"][0]), len(wf.activation_points(350, "A", head=True)))
            w, _, frac = t["Conv/weights"]
            self.assertLessEqual(np.abs(w.astype(np.float64) * 2.0 ** -frac - d["Conv/weights"]).max(), 2.0 ** -frac)
            _, t = wf.read_weights_file(os.path.join(tmp, "a.tqw"))
            fr = t["activation_frac_bits"][0]
            self.assertEqual(fr[0], 14)   # input in [-1, 1)
            self.assertEqual(fr[1], 13)   # max |x| = 3 -> 15 - 2
            with self.assertRaises(ValueError):
                wf.export_detector(os.path.join(tmp, "m.npz"), os.path.join(tmp, "x.tqw"), "auto")
            # 8-bit: per-channel weight formats (each channel's own range) and int8 activations
            wf.export_detector(os.path.join(tmp, "m.npz"), os.path.join(tmp, "p.tqw"), "auto", os.path.join(tmp, "q.json"),
                               weight_bits=8, per_channel=True, activation_bits=8)
            m, t = wf.read_weights_file(os.path.join(tmp, "p.tqw"))
            self.assertEqual(m["activation_dtype"], "int8")
            fr = t["activation_frac_bits"][0]
            self.assertEqual((fr[0], fr[1]), (6, 5))  # 8 bits: input 7 - 1, max |x| = 3 -> 7 - 2
            w, quant, _ = t["expanded_conv_1/expand/weights"]
            self.assertEqual((w.dtype, quant), (np.int8, 2))
            cf = t["expanded_conv_1/expand/weights.frac"][0]
            ref = d["expanded_conv_1/expand/weights"]
            for c in range(w.shape[0]):  # every channel uses its range: max |raw| in [64, 127]
                self.assertTrue(64 <= np.abs(w[c]).max() <= 127)
                self.assertLessEqual(np.abs(w[c] * 2.0 ** -cf[c] - ref[c]).max(), 2.0 ** -(cf[c] + 1) + 1e-12)
            dw, quant, _ = t["expanded_conv_1/depthwise/weights"]
            self.assertEqual(quant, 2)
            self.assertEqual(len(t["expanded_conv_1/depthwise/weights.frac"][0]), dw.shape[-1])  # 1HWC: last axis



class MultiExitFileTest(unittest.TestCase):
    """The 'exits' variant (output_variant 4, version 1.1): header bytes, tensor names and order, activation
    points, one head frac, round trip of the values."""
    TAPS = (18, 39, 40)  # expanded_conv_6/expand (s8), expanded_conv_13/expand (s16), expanded_conv_13/depthwise (s32)

    def make(self, tmp):
        import json
        import torch
        from tinyq_tools.multi_exit import MultiExitDetector, save_npz
        torch.manual_seed(0)
        m = MultiExitDetector(0.5)
        with torch.no_grad():
            for p in m.parameters():
                p.normal_(0, 0.1)
        save_npz(m, os.path.join(tmp, "m.npz"))
        acts = {"input": {"maxabs": 1.0}}
        for n, k, ci, co, st, r6, res in wf.conv_layers(500, "exits", self.TAPS):
            acts[n] = {"maxabs": 3.0}
            if res:
                acts[n + "/add"] = {"maxabs": 5.0}
        acts.update({"head_0": {"maxabs": 7.0}, "head_1": {"maxabs": 20.0}, "head_2": {"maxabs": 2.0}})
        with open(os.path.join(tmp, "q.json"), "w") as f:
            json.dump({"activations": acts}, f)
        return m

    def test_activation_point_order(self):
        pts = wf.activation_points(500, "exits", exit_taps=self.TAPS)
        self.assertEqual(pts[0], "input")
        i0 = pts.index("expanded_conv_6/expand")
        self.assertEqual(pts[i0 + 1], "head_0")
        self.assertEqual(pts[pts.index("expanded_conv_13/expand") + 1], "head_1")
        self.assertEqual(pts[-2:], ["expanded_conv_13/depthwise", "head_2"])
        self.assertEqual(pts[pts.index("expanded_conv_5/project") + 1], "expanded_conv_5/add")
        # 41 conv layers (Conv .. expanded_conv_13/depthwise), the adds of blocks 2, 4, 5, 7, 8, 9, 11, 12, 3 heads
        self.assertEqual(len(pts), 1 + 41 + 8 + 3)
        # a tapped residual project: its head follows the add
        p2 = wf.activation_points(500, "exits", exit_taps=(8,))  # expanded_conv_2/project, residual
        self.assertEqual(p2[-3:], ["expanded_conv_2/project", "expanded_conv_2/add", "head_0"])

    def test_round_trip(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            m = self.make(tmp)
            n = wf.export_detector(os.path.join(tmp, "m.npz"), os.path.join(tmp, "a.tqw"), "auto",
                                   os.path.join(tmp, "q.json"))
            with open(os.path.join(tmp, "a.tqw"), "rb") as f:
                b = f.read()
            self.assertEqual(len(b), n)
            self.assertEqual(struct.unpack_from("<HH", b, 4), (1, 1))
            self.assertEqual(b[32], 4)
            self.assertEqual(b[35] & 1, 1)
            self.assertEqual(struct.unpack_from("<HBB", b, 44), (25, 5, 0))
            self.assertEqual(struct.unpack_from("<H", b, 48)[0], 32)
            self.assertEqual(b[50], 3)
            self.assertEqual(b[51:64], bytes(13))
            meta, t = wf.read_weights_file(b)
            self.assertEqual((meta["output"], meta["head_exits"], meta["head_stride"]), ("exits", 3, 32))
            names = list(t)
            for gone in ("head/weights", "head/biases", "head/templates", "head/template_scales",
                         "expanded_conv_13/project/weights"):
                self.assertNotIn(gone, names)
            self.assertEqual(names.index("head_0/weights"), names.index("expanded_conv_6/expand/biases") + 1)
            self.assertEqual(names.index("head_1/weights"), names.index("expanded_conv_13/expand/biases") + 1)
            self.assertEqual(names.index("head_2/weights"), names.index("expanded_conv_13/depthwise/biases") + 1)
            self.assertEqual(names[-5:], ["head_0/templates", "head_1/templates", "head_2/templates", "head/exits",
                                          "activation_frac_bits"])
            np.testing.assert_array_equal(t["head/exits"][0], [[18, 8, 13], [39, 16, 8], [40, 32, 4]])
            self.assertEqual(t["head/exits"][0].dtype, np.int32)
            self.assertEqual(t["head/exits"][1:], (1, 0))
            self.assertEqual(t["head_0/weights"][0].shape, (65, 1, 1, 96))
            self.assertEqual(t["head_2/biases"][0].shape, (20,))
            tp, _, frac = t["head_0/templates"]
            self.assertEqual(frac, 4)
            np.testing.assert_allclose(tp / 16.0, m.exits[0]["templates"], atol=1 / 32)
            w, _, wfr = t["head_1/weights"]
            ref = m.heads[1].weight.detach().numpy().transpose(0, 2, 3, 1)
            self.assertLessEqual(np.abs(w * 2.0 ** -wfr - ref).max(), 2.0 ** -wfr)
            fr = t["activation_frac_bits"][0]
            pts = wf.activation_points(500, "exits", exit_taps=self.TAPS)
            self.assertEqual(len(fr), len(pts))
            heads = [int(fr[pts.index("head_%d" % k)]) for k in range(3)]
            self.assertEqual(heads, [wf.frac_for_range(20.0, 16, 0, 15)] * 3)  # the smallest: max |head_1| = 20
            self.assertEqual(int(fr[pts.index("expanded_conv_5/add")]), wf.frac_for_range(5.0, 16, 0, 15))
            # head_0's bias frac is at most the frac of its input (expanded_conv_6/expand) + its weight frac
            _, _, bfr = t["head_0/biases"]
            self.assertLessEqual(bfr, int(fr[pts.index("expanded_conv_6/expand")]) + t["head_0/weights"][2])
            # an old-style file keeps version 1.0 and byte 50 = 0
            ob = wf.weights_file_bytes(dict(width=500, head_templates=25), [("x", np.zeros(2, np.float32), None)])
            self.assertEqual((struct.unpack_from("<HH", ob, 4), ob[50]), ((1, 0), 0))

    def test_rejects_bad_exits(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            self.make(tmp)
            with np.load(os.path.join(tmp, "m.npz")) as z:
                d = {k: z[k] for k in z.files}
            d["meta/exits"] = d["meta/exits"].copy()
            d["meta/exits"][0, 1] = 16  # stride does not match the tap
            np.savez(os.path.join(tmp, "bad.npz"), **d)
            with self.assertRaises(ValueError):
                wf.export_detector(os.path.join(tmp, "bad.npz"), os.path.join(tmp, "x.tqw"), "q8")
            with self.assertRaises(ValueError):  # no gating for multi-exit
                wf.export_detector(os.path.join(tmp, "m.npz"), os.path.join(tmp, "x.tqw"), "q8", gate="tinyface")
            with self.assertRaises(ValueError):  # auto without the calibrated head ranges
                import json
                with open(os.path.join(tmp, "q2.json"), "w") as f:
                    json.dump({"activations": {"input": {"maxabs": 1.0}}}, f)
                wf.export_detector(os.path.join(tmp, "m.npz"), os.path.join(tmp, "x.tqw"), "auto",
                                   os.path.join(tmp, "q2.json"))


if __name__ == "__main__":
    unittest.main()
