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


if __name__ == "__main__":
    unittest.main()
