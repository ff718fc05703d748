"""The C++ MobileNetV2 layer table (for_each_backbone_layer, printed by tinyq-layer-table) equals the Python
one (tinyq_tools/layer_table.py) at every width, for outputs A and B; and the PyTorch model and the weights
file exporter both take their layers from the Python table.

Run from tools/:  TINYQ_LAYER_TABLE=../build/host/tests/model/tinyq-layer-table /usr/bin/python3 -m unittest tests.test_layer_table -v
(ctest sets TINYQ_LAYER_TABLE; the C++ comparison skips without it).
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tinyq_tools import layer_table, mobilenet_v2, weights_file  # noqa: E402

DUMP = os.environ.get("TINYQ_LAYER_TABLE", "")


def python_rows():
    rows = []
    for w in layer_table.WIDTHS_PER_MILLE:
        for o in "AB":
            for l in layer_table.layers(w / 1000.0, o):
                rows.append((w, o, l["name"], l["kind"], l["cin"], l["cout"], l["stride"], int(l["relu6"]),
                             int(l["residual"]), l["block"]))
    return rows


class TestPythonUsers(unittest.TestCase):
    def test_exporter_and_pytorch_model_use_the_table(self):
        for w in layer_table.WIDTHS_PER_MILLE:
            t = layer_table.layers(w / 1000.0, "B")
            self.assertEqual([(l["name"], l["cin"], l["cout"], l["stride"]) for l in t],
                             [(n, ci, co, st) for n, k, ci, co, st, r6, res in weights_file.conv_layers(w, "B")])
            self.assertEqual([(l["name"], l["cin"], l["cout"], l["stride"]) for l in t],
                             [(s["name"], s["cin"], s["cout"], s["stride"]) for s in mobilenet_v2.layer_specs(w / 1000.0)])
            a = layer_table.layers(w / 1000.0, "A")
            self.assertEqual(a[-1]["name"], "expanded_conv_13/expand")
            self.assertEqual(a, t[:len(a)])

    def test_known_channels(self):
        # Keras MobileNetV2: stem 32 / 16 / 24 / 16 channels, OutA 576 / 288 at widths 1.0 / 0.5
        self.assertEqual([layer_table.layers(w / 1000.0)[0]["cout"] for w in (1000, 750, 500, 350)], [32, 24, 16, 16])
        self.assertEqual([layer_table.layers(a, "A")[-1]["cout"] for a in (1.0, 0.5)], [576, 288])
        self.assertEqual(len(layer_table.layers(1.0, "B")), 52)
        with self.assertRaises(ValueError):
            layer_table.layers(1.0, "C")


@unittest.skipUnless(DUMP and os.path.exists(DUMP), "TINYQ_LAYER_TABLE (tinyq-layer-table) not given")
class TestCppTable(unittest.TestCase):
    def test_cpp_equals_python(self):
        out = subprocess.run([DUMP], check=True, capture_output=True, text=True).stdout.split("\n")
        cpp = []
        for line in out:
            if not line.strip():
                continue
            p = line.split()
            cpp.append((int(p[0]), p[1], p[2], p[3], int(p[4]), int(p[5]), int(p[6]), int(p[7]), int(p[8]),
                        int(p[9])))
        py = python_rows()
        self.assertEqual(len(cpp), len(py))
        for c, p in zip(cpp, py):
            self.assertEqual(c, p)


if __name__ == "__main__":
    unittest.main()
