"""The QAT fake quantization (tinyq_tools/qat.py) against the exporter and the C++ integer executor.

* Without the binary: the fake-quant model's integer weights, biases and formats are the ones export_detector
  writes (W8 per channel + A8), and the float32 training path equals the float64 reference path.
* With TINYQ_HEAD_DUMP (tinyq-head-dump, set by ctest): the committed width-0.5 detector exported to int8
  (and, as a second arithmetic, the int16 per-tensor export) runs one padded input through the C++ integer
  executor; the head's raw integers must equal the fake-quant head's, bit for bit. On a random image always, on
  a real training photo (wider_val_200 train split) when ../shared/data (or TINYQ_DATA) is present.
* The paper's uniform 16-bit Q7 (`export-detector --format q7 --uniform-weights`, FakeQuantDetector.uniform) of the
  committed width-1.0 detector: its integer tensors are the exported ones, and with TINYQ_HEAD_DUMP its head equals
  the C++ executor's bit for bit (float64 path) on a random input and a real training photo; the float32 training
  path is reported against it (within 1 LSB, on at most 0.1 % of the head values).
"""
import os
import subprocess
import tempfile
import unittest

import numpy as np
import torch

from tinyq_tools import DEFAULT_DATA
from tinyq_tools.detector import load_npz, pad_to_multiple
from tinyq_tools.qat import FakeQuantDetector
from tinyq_tools.weights_file import export_detector, read_weights_file

HEAD_DUMP = os.environ.get("TINYQ_HEAD_DUMP", "")
DATA = os.environ.get("TINYQ_DATA", DEFAULT_DATA)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NPZ = os.path.join(REPO, "models", "face_mnv2_a050_outA.npz")
QFORMATS = os.path.join(REPO, "models", "face_mnv2_a050_outA.qformats.json")
HAVE_MODEL = os.path.exists(NPZ) and os.path.exists(QFORMATS)
QAT_NPZ = os.path.join(REPO, "models", "face_mnv2_a050_outA.w8a8.npz")
QAT_QFORMATS = os.path.join(REPO, "models", "face_mnv2_a050_outA.w8a8.qformats.json")
QAT_TQW = os.path.join(REPO, "models", "face_mnv2_a050_outA.w8a8.tqw")
HAVE_QAT = all(os.path.exists(p) for p in (QAT_NPZ, QAT_QFORMATS, QAT_TQW))
NPZ_100 = os.path.join(REPO, "models", "face_mnv2_a100_outA.npz")
QFORMATS_100 = os.path.join(REPO, "models", "face_mnv2_a100_outA.qformats.json")


def normalised(rgb):
    return torch.from_numpy(rgb).float().sub_(128).div_(128).permute(2, 0, 1)[None].contiguous()


def fake_head_raw(model, rgb, exact, bits, qformats=QFORMATS):
    q = FakeQuantDetector.from_qformats(model, qformats, weight_bits=bits, activation_bits=bits,
                                        per_channel=bits == 8, exact=exact)
    with torch.no_grad():
        raw, frac = q.head_raw(normalised(rgb))
    return raw[0].permute(1, 2, 0).numpy(), frac  # NHWC, as tinyq-head-dump writes it


def cpp_head_raw(tqw, rgb, frac, work):
    h, w = rgb.shape[:2]
    inp, out = os.path.join(work, "in.rgb"), os.path.join(work, "head.f32")
    rgb.tofile(inp)
    subprocess.run([HEAD_DUMP, tqw, inp, str(h), str(w), out], check=True)
    return np.round(np.fromfile(out, np.float32).astype(np.float64) * 2.0 ** frac)


def random_rgb(h=96, w=128, seed=5):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@unittest.skipUnless(HAVE_MODEL, "no committed models/face_mnv2_a050_outA.npz + .qformats.json")
class FakeQuantMatchesExport(unittest.TestCase):
    def test_integer_tensors_are_the_exported_ones(self):
        model = load_npz(NPZ).eval()
        q = FakeQuantDetector.from_qformats(model, QFORMATS)
        with tempfile.TemporaryDirectory() as work:
            f = os.path.join(work, "m.tqw")
            export_detector(NPZ, f, "auto", QFORMATS, 8, per_channel=True, activation_bits=8)
            meta, t = read_weights_file(f)
        self.assertEqual(meta["activation_dtype"], "int8")
        from tinyq_tools.weights_file import activation_points
        pts = activation_points(500, "A", head=True)
        self.assertEqual(list(t["activation_frac_bits"][0]), [q.fracs[p] for p in pts])
        from tinyq_tools.qat import quantize_bias, quantize_weights
        prev = "input"
        layers = [(s["name"], s.get("residual")) for s in model.backbone.specs] + [("head", False)]
        for name, residual in layers:
            conv = model.head if name == "head" else model.backbone.conv(name)
            w_raw, wf = quantize_weights(conv.weight, 8, True, conv.bias, q.fracs[prev])
            b_raw, bf = quantize_bias(conv.bias, q.fracs[prev], wf)
            ew, eb = t[name + "/weights"][0], t[name + "/biases"]
            ohwi = w_raw.numpy().transpose(0, 2, 3, 1)
            if conv.groups > 1:
                ohwi = w_raw.numpy()[:, 0].transpose(1, 2, 0)[None]  # C,1,3,3 -> 1HWC
            np.testing.assert_array_equal(ew, ohwi.astype(np.int8), err_msg=name)
            self.assertEqual(list(t[name + "/weights.frac"][0]), wf, name)
            np.testing.assert_array_equal(eb[0], b_raw.numpy().astype(np.int32), err_msg=name)
            self.assertEqual(eb[2], bf, name)
            prev = name.rsplit("/", 1)[0] + "/add" if residual else name

    def test_float32_training_path_equals_float64_reference(self):
        model = load_npz(NPZ).eval()
        rgb = random_rgb(160, 192, seed=11)
        ref, _ = fake_head_raw(model, rgb, True, 8)
        got, _ = fake_head_raw(model, rgb, False, 8)
        np.testing.assert_array_equal(got, ref)

    def test_straight_through_gradients_reach_every_layer(self):
        model = load_npz(NPZ)
        q = FakeQuantDetector.from_qformats(model, QFORMATS)
        q(normalised(random_rgb(64, 64))).pow(2).sum().backward()
        for name, p in model.named_parameters():
            self.assertIsNotNone(p.grad, name)
            self.assertTrue(torch.isfinite(p.grad).all(), name)
        self.assertGreater(float(model.head.weight.grad.abs().sum()), 0)
        self.assertGreater(float(model.backbone.conv("Conv").weight.grad.abs().sum()), 0)


@unittest.skipUnless(HEAD_DUMP and os.path.exists(HEAD_DUMP), "TINYQ_HEAD_DUMP (tinyq-head-dump) not given")
@unittest.skipUnless(HAVE_MODEL, "no committed models/face_mnv2_a050_outA.npz + .qformats.json")
class FakeQuantMatchesCppIntegerExecutor(unittest.TestCase):
    def check(self, rgb, label, bits=8, npz=NPZ, qformats=QFORMATS, tqw=None):
        model = load_npz(npz).eval()
        with tempfile.TemporaryDirectory() as work:
            f = tqw or os.path.join(work, "m.tqw")
            if tqw is None:
                export_detector(npz, f, "auto", qformats, bits, per_channel=bits == 8, activation_bits=bits)
            for exact in ((True, False) if bits == 8 else (True,)):  # float32 holds 8-bit products only
                fake, frac = fake_head_raw(model, rgb, exact, bits, qformats)
                cpp = cpp_head_raw(f, rgb, frac, work).reshape(fake.shape)
                diff = np.abs(cpp - fake)
                print("%s, W%dA%d%s, %s path: head %s, frac %d, raw range [%d, %d]: max |C++ - fake| = %d LSB, "
                      "%d of %d values differ" % (label, bits, bits, " per channel" if bits == 8 else " per tensor",
                                                  "float64" if exact else "float32", fake.shape, frac, fake.min(),
                                                  fake.max(), diff.max(), (diff > 0).sum(), diff.size))
                self.assertGreater(fake.max() - fake.min(), 10)  # a live head, not a saturated constant
                self.assertEqual(diff.max(), 0, "%s: fake quantization is not bit-exact" % label)

    def test_random_image_int8(self):
        self.check(random_rgb(), "random 96x128")

    @unittest.skipUnless(os.path.exists(NPZ_100) and os.path.exists(QFORMATS_100), "no committed width-1.0 model")
    def test_random_image_int8_width_100(self):
        self.check(random_rgb(seed=6), "width 1.0, random 96x128", npz=NPZ_100, qformats=QFORMATS_100)

    @unittest.skipUnless(HAVE_QAT, "no committed models/face_mnv2_a050_outA.w8a8.{npz,qformats.json,tqw}")
    def test_shipped_qat_file(self):
        """The committed int8 file is the export of the committed QAT npz, and its C++ head is the fake quant's."""
        with tempfile.TemporaryDirectory() as work:
            f = os.path.join(work, "m.tqw")
            export_detector(QAT_NPZ, f, "auto", QAT_QFORMATS, 8, gate="tinyface", per_channel=True, activation_bits=8)
            with open(f, "rb") as a, open(QAT_TQW, "rb") as b:
                self.assertEqual(a.read(), b.read(), "models/face_mnv2_a050_outA.w8a8.tqw is not the npz's export")
        self.check(random_rgb(seed=8), "shipped QAT file", npz=QAT_NPZ, qformats=QAT_QFORMATS, tqw=QAT_TQW)

    def test_random_image_int16(self):
        self.check(random_rgb(), "random 96x128", bits=16)

    @unittest.skipUnless(os.path.isdir(os.path.join(DATA, "wider_val_200")), "no ../shared/data (set TINYQ_DATA)")
    def test_real_photo(self):
        from tinyq_tools.data import load_items, load_rgb
        item = load_items("wider_train", DATA)[0]  # a training image (never the val split or FDDB)
        rgb = load_rgb(item["path"])
        s = 320.0 / max(rgb.shape[:2])
        if s < 1:
            import cv2
            rgb = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        self.check(np.ascontiguousarray(pad_to_multiple(rgb)), "photo %s %dx%d" % (
            os.path.basename(item["path"]), rgb.shape[1], rgb.shape[0]))


def uniform_head_raw(model, rgb, exact, fmt="q7"):
    q = FakeQuantDetector.uniform(model, fmt, exact=exact)
    with torch.no_grad():
        raw, frac = q.head_raw(normalised(rgb))
    return raw[0].permute(1, 2, 0).numpy(), frac


def training_photo():
    """The first wider_train image (a training image: never the val split or FDDB), at most 320 px, padded."""
    from tinyq_tools.data import load_items, load_rgb
    item = load_items("wider_train", DATA)[0]
    rgb = load_rgb(item["path"])
    s = 320.0 / max(rgb.shape[:2])
    if s < 1:
        import cv2
        rgb = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(pad_to_multiple(rgb)), "photo %s %dx%d" % (
        os.path.basename(item["path"]), rgb.shape[1], rgb.shape[0])


@unittest.skipUnless(os.path.exists(NPZ_100), "no committed models/face_mnv2_a100_outA.npz")
class UniformQ7MatchesExport(unittest.TestCase):
    """Width 1.0, the paper's uniform 16-bit formats (weights and activations at one frac)."""

    def test_integer_tensors_are_the_exported_ones(self):
        from tinyq_tools.qat import quantize_bias, quantize_weights
        from tinyq_tools.weights_file import activation_points
        model = load_npz(NPZ_100).eval()
        for fmt in ("q7", "q6"):
            q = FakeQuantDetector.uniform(model, fmt)
            with tempfile.TemporaryDirectory() as work:
                f = os.path.join(work, "m.tqw")
                export_detector(NPZ_100, f, fmt, None, 16, gate="tinyface", uniform_weights=True)
                meta, t = read_weights_file(f)
            self.assertEqual(meta["activation_dtype"], "int16")
            pts = activation_points(1000, "A", head=True)
            self.assertEqual(list(t["activation_frac_bits"][0]), [q.fracs[p] for p in pts])
            self.assertEqual(set(q.fracs.values()), {int(fmt[1])})
            prev = "input"
            layers = [(s["name"], s.get("residual")) for s in model.backbone.specs] + [("head", False)]
            for name, residual in layers:
                conv = model.head if name == "head" else model.backbone.conv(name)
                w_raw, wf = quantize_weights(conv.weight, 16, False, conv.bias, q.fracs[prev], q.uniform_frac)
                b_raw, bf = quantize_bias(conv.bias, q.fracs[prev], wf)
                ew, eb = t[name + "/weights"], t[name + "/biases"]
                ohwi = w_raw.numpy().transpose(0, 2, 3, 1)
                if conv.groups > 1:
                    ohwi = w_raw.numpy()[:, 0].transpose(1, 2, 0)[None]
                self.assertEqual(ew[0].dtype, np.int16, name)
                np.testing.assert_array_equal(ew[0], ohwi.astype(np.int16), err_msg="%s %s" % (fmt, name))
                self.assertEqual(ew[2], int(fmt[1]), name)
                self.assertEqual(set(wf), {int(fmt[1])}, name)
                np.testing.assert_array_equal(eb[0], b_raw.numpy().astype(np.int32), err_msg="%s %s" % (fmt, name))
                self.assertEqual(eb[2], bf, name)
                prev = name.rsplit("/", 1)[0] + "/add" if residual else name

    def test_straight_through_gradients_reach_every_layer(self):
        model = load_npz(NPZ_100)
        FakeQuantDetector.uniform(model, "q7")(normalised(random_rgb(64, 64))).pow(2).sum().backward()
        for name, p in model.named_parameters():
            self.assertIsNotNone(p.grad, name)
            self.assertTrue(torch.isfinite(p.grad).all(), name)
        self.assertGreater(float(model.backbone.conv("Conv").weight.grad.abs().sum()), 0)


@unittest.skipUnless(HEAD_DUMP and os.path.exists(HEAD_DUMP), "TINYQ_HEAD_DUMP (tinyq-head-dump) not given")
@unittest.skipUnless(os.path.exists(NPZ_100), "no committed models/face_mnv2_a100_outA.npz")
class UniformQ7MatchesCppIntegerExecutor(unittest.TestCase):
    def check(self, rgb, label, fmt="q7", npz=NPZ_100, tqw=None):
        model = load_npz(npz).eval()
        with tempfile.TemporaryDirectory() as work:
            f = os.path.join(work, "m.tqw")
            export_detector(npz, f, fmt, None, 16, gate="tinyface", uniform_weights=True)
            if tqw is not None:  # a committed file: it must be this npz's export, and it is what C++ runs
                with open(f, "rb") as a, open(tqw, "rb") as b:
                    self.assertEqual(a.read(), b.read(), "%s is not the export of %s" % (tqw, npz))
                f = tqw
            ref = None
            for exact in (True, False):
                fake, frac = uniform_head_raw(model, rgb, exact, fmt)
                cpp = cpp_head_raw(f, rgb, frac, work).reshape(fake.shape)
                diff = np.abs(cpp - fake)
                print("%s, uniform %s (int16 weights + activations), %s path: head %s, frac %d, raw range [%d, %d]: "
                      "max |C++ - fake| = %d LSB, %d of %d values differ" % (
                          label, fmt.upper(), "float64" if exact else "float32", fake.shape, frac, fake.min(),
                          fake.max(), diff.max(), (diff > 0).sum(), diff.size))
                self.assertGreater(fake.max() - fake.min(), 10)
                if exact:  # the reference: bit-exact
                    self.assertEqual(diff.max(), 0, "%s: uniform %s fake quantization is not bit-exact" % (label, fmt))
                else:  # the training path: float32 sums of 16-bit products, rounded to the accumulator grid
                    self.assertLessEqual(diff.max(), 1, label)
                    self.assertLessEqual((diff > 0).mean(), 1e-3, label)

    def test_random_image_q7(self):
        self.check(random_rgb(seed=7), "width 1.0, random 96x128")

    def test_random_image_q6(self):
        self.check(random_rgb(seed=9), "width 1.0, random 96x128", fmt="q6")

    @unittest.skipUnless(os.path.isdir(os.path.join(DATA, "wider_val_200")), "no ../shared/data (set TINYQ_DATA)")
    def test_real_photo_q7(self):
        rgb, label = training_photo()
        self.check(rgb, "width 1.0, " + label)

    @unittest.skipUnless(os.path.exists(os.path.join(REPO, "models", "face_mnv2_a100_outA.q7qat.npz")),
                         "no committed QAT model")
    def test_shipped_qat_model_q7(self):
        """models/face_mnv2_a100_outA.q7qat.tqw = the export of the committed QAT npz; its C++ head = fake quant."""
        base = os.path.join(REPO, "models", "face_mnv2_a100_outA.q7qat")
        self.check(random_rgb(seed=10), "shipped QAT q7 file, random 96x128", npz=base + ".npz", tqw=base + ".tqw")

    @unittest.skipUnless(os.path.exists(os.path.join(REPO, "models", "face_mnv2_a100_outA.q6qat.npz")),
                         "no committed Q6 QAT model")
    def test_shipped_qat_model_q6(self):
        base = os.path.join(REPO, "models", "face_mnv2_a100_outA.q6qat")
        self.check(random_rgb(seed=12), "shipped QAT q6 file, random 96x128", fmt="q6", npz=base + ".npz",
                   tqw=base + ".tqw")


if __name__ == "__main__":
    unittest.main()


class ScoreScale(unittest.TestCase):
    def test_scaled_scores_keep_the_detections_at_the_mapped_threshold(self):
        from tinyq_tools.detector import FaceDetector, head_to_flat
        from tinyq_tools.head_range import mapped_threshold, scale_scores
        torch.manual_seed(2)
        model = FaceDetector(alpha=0.5).eval()
        with torch.no_grad():
            model.head.weight.normal_(0, 0.3)
        x = normalised(random_rgb(64, 64, seed=3))
        with torch.no_grad():
            s0, r0 = head_to_flat(model(x))
            s1, r1 = head_to_flat(scale_scores(model, 0.4)(x))
        torch.testing.assert_close(s1, 0.4 * s0, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(r1, r0)  # the box channels are not touched
        for p in (0.03, 0.2):
            keep0 = torch.sigmoid(s0) >= p
            keep1 = torch.sigmoid(s1) >= mapped_threshold(p, 0.4)
            self.assertGreater(int(keep0.sum()), 0)
            self.assertTrue(bool((keep0 == keep1).all()))
        self.assertAlmostEqual(mapped_threshold(0.03, 0.4), 0.1993, places=4)
