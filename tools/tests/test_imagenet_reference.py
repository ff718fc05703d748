"""ImageNet sanity test: our PyTorch MobileNetV2 (TF SAME padding, folded BN) on
../shared/data/mobilenet_v2_imagenet/reference_check.npz must reproduce the float
logits (rel err ~1e-4) and the top-5.

Run from tools/:  /usr/bin/python3 -m unittest tests.test_imagenet_reference -v
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tinyq_tools import DEFAULT_DATA  # noqa: E402

REF_DIR = os.path.join(os.environ.get("TINYQ_DATA", DEFAULT_DATA), "mobilenet_v2_imagenet")
HAVE_DATA = os.path.exists(os.path.join(REF_DIR, "reference_check.npz")) and os.path.exists(
    os.path.join(REF_DIR, "weights.npz"))


@unittest.skipUnless(HAVE_DATA, "shared data not found at %s (needs ../shared/data/mobilenet_v2_imagenet; "
                                "set TINYQ_DATA to the data folder)" % REF_DIR)
class ImagenetReference(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import numpy as np
        import torch
        from tinyq_tools.mobilenet_v2 import MobileNetV2, normalise_uint8_rgb
        from tinyq_tools.imagenet_init import load_imagenet_dict
        torch.set_num_threads(2)
        cls.np = np
        net = MobileNetV2(alpha=1.0, cut="classifier", padding="same")
        net.load_npz_dict(load_imagenet_dict(os.path.dirname(REF_DIR)))
        net.eval()
        cls.results = {}
        with np.load(os.path.join(REF_DIR, "reference_check.npz")) as ref:
            names = sorted({k.split("/")[0] for k in ref.files})
            for n in names:
                with torch.no_grad():
                    logits = net(normalise_uint8_rgb(ref[n + "/input_uint8_rgb_224"]))[0].numpy()
                cls.results[n] = (logits, ref[n + "/float_logits"].astype(np.float32), ref[n + "/float_top5"])

    def test_logits_match(self):
        np = self.np
        for n, (got, want, _) in self.results.items():
            rel = np.abs(got - want).max() / np.abs(want).max()
            self.assertLess(rel, 1e-4, "%s: max rel err %.3g" % (n, rel))

    def test_top5_match(self):
        np = self.np
        for n, (got, _, top5) in self.results.items():
            self.assertEqual(list(np.argsort(-got)[:5]), [int(v) for v in np.asarray(top5).ravel()[:5]], n)

    def test_symmetric_padding_differs(self):
        """The padding mode matters: symmetric padding must give different logits (guards
        against a test that would pass whatever the padding)."""
        import torch
        from tinyq_tools.mobilenet_v2 import MobileNetV2, normalise_uint8_rgb
        from tinyq_tools.imagenet_init import load_imagenet_dict
        net = MobileNetV2(alpha=1.0, cut="classifier", padding="symmetric")
        net.load_npz_dict(load_imagenet_dict(os.path.dirname(REF_DIR)))
        n = sorted(self.results)[0]
        with self.np.load(os.path.join(REF_DIR, "reference_check.npz")) as ref:
            with torch.no_grad():
                got = net(normalise_uint8_rgb(ref[n + "/input_uint8_rgb_224"]))[0].numpy()
        want = self.results[n][1]
        self.assertGreater(self.np.abs(got - want).max() / self.np.abs(want).max(), 1e-3)


class MakeDivisible(unittest.TestCase):
    def test_channels(self):
        from tinyq_tools.mobilenet_v2 import layer_specs
        s1 = {s["name"]: s for s in layer_specs(1.0)}
        self.assertEqual(s1["Conv"]["cout"], 32)
        self.assertEqual(s1["expanded_conv_13/expand"]["cout"], 576)
        self.assertEqual(s1["Conv_1"]["cout"], 1280)
        s5 = {s["name"]: s for s in layer_specs(0.5)}
        self.assertEqual(s5["Conv"]["cout"], 16)
        self.assertEqual(s5["expanded_conv/project"]["cout"], 8)
        self.assertEqual(s5["expanded_conv_13/expand"]["cout"], 288)
        self.assertEqual(s5["Conv_1"]["cout"], 1280)
        s35 = {s["name"]: s for s in layer_specs(0.35)}
        self.assertEqual(s35["Conv"]["cout"], 16)
        self.assertEqual(s35["expanded_conv_13/expand"]["cout"], 192)


if __name__ == "__main__":
    unittest.main()
