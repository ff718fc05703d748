"""The C++ executors against PyTorch on the detector head (issue: C++ float reference
equals PyTorch, max relative error <= 1e-4). A detector npz is exported to tinyq weights
files, one padded network input goes through PyTorch and through `tinyq-head-dump`
(the C++ float reference executor / integer executor), and the heads are compared.

Runs on a freshly initialised width-0.5 detector (always), a freshly initialised multi-exit
one (every exit's head, in exit order: the multi-exit graph of the C++ side) and on the committed
trained models when present. Needs the TINYQ_HEAD_DUMP binary (set by ctest); skips without it."""
import os
import subprocess
import tempfile
import unittest

import numpy as np
import torch

from tinyq_tools import multi_exit
from tinyq_tools.detector import FaceDetector, load_npz, save_npz
from tinyq_tools.weights_file import export_detector

HEAD_DUMP = os.environ.get("TINYQ_HEAD_DUMP", "")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAINED = os.path.join(REPO, "models", "face_mnv2_a100_outA.npz")
TRAINED_MULTI = os.path.join(REPO, "models", "face_mnv2_a050_multi.npz")


def torch_head(model, rgb):
    """NHWC head; a multi-exit model's heads flattened one after the other (tinyq-head-dump's order)."""
    x = torch.from_numpy(rgb).float().sub_(128).div_(128).permute(2, 0, 1)[None].contiguous()
    with torch.no_grad():
        out = model(x)
    if isinstance(out, (list, tuple)):
        return np.concatenate([o[0].permute(1, 2, 0).numpy().ravel() for o in out])
    return out[0].permute(1, 2, 0).numpy()  # NHWC


def cpp_head(tqw, rgb, work):
    h, w = rgb.shape[:2]
    inp, out = os.path.join(work, "in.rgb"), os.path.join(work, "head.f32")
    rgb.tofile(inp)
    subprocess.run([HEAD_DUMP, tqw, inp, str(h), str(w), out], check=True)
    return np.fromfile(out, np.float32)


@unittest.skipUnless(HEAD_DUMP and os.path.exists(HEAD_DUMP), "TINYQ_HEAD_DUMP (tinyq-head-dump) not given")
class CppHeadMatchesPyTorch(unittest.TestCase):
    def check(self, npz, model, label):
        rng = np.random.default_rng(5)
        rgb = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
        ref = torch_head(model, rgb)
        with tempfile.TemporaryDirectory() as work:
            f = os.path.join(work, "m.float.tqw")
            export_detector(npz, f, "float")
            got = cpp_head(f, rgb, work).reshape(ref.shape)
            rel = float(np.abs(got - ref).max() / np.abs(ref).max())
            print("%s: C++ float reference vs PyTorch head: max|diff|/max|ref| = %.3g" % (label, rel))
            self.assertLessEqual(rel, 1e-4)
            for fmt in ("q9", "q8"):
                q = os.path.join(work, "m.%s.tqw" % fmt)
                export_detector(npz, q, fmt)
                qrel = float(np.abs(cpp_head(q, rgb, work).reshape(ref.shape) - ref).max() / np.abs(ref).max())
                print("%s: C++ integer %s vs PyTorch head: max|diff|/max|ref| = %.3g" % (label, fmt, qrel))
                self.assertLess(qrel, 0.25)  # quantized: close, not equal (figures in docs/results.md)

    def test_fresh_detector(self):
        torch.manual_seed(3)
        model = FaceDetector(alpha=0.5).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.05)
        with tempfile.TemporaryDirectory() as work:
            npz = os.path.join(work, "fresh.npz")
            save_npz(model, npz)
            self.check(npz, model, "fresh width 0.5")

    @unittest.skipUnless(os.path.exists(TRAINED), "no committed trained model at models/face_mnv2_a100_outA.npz")
    def test_trained_detector(self):
        self.check(TRAINED, load_npz(TRAINED).eval(), "trained width 1.0")

    def test_fresh_multi_exit_detector(self):
        torch.manual_seed(4)
        model = multi_exit.MultiExitDetector(alpha=0.5).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.05)
        with tempfile.TemporaryDirectory() as work:
            npz = os.path.join(work, "fresh_multi.npz")
            multi_exit.save_npz(model, npz)
            self.check(npz, model, "fresh multi-exit width 0.5")

    @unittest.skipUnless(os.path.exists(TRAINED_MULTI), "no committed model at models/face_mnv2_a050_multi.npz")
    def test_trained_multi_exit_detector(self):
        self.check(TRAINED_MULTI, multi_exit.load_any(TRAINED_MULTI).eval(), "trained multi-exit width 0.5")


if __name__ == "__main__":
    unittest.main()
