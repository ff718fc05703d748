"""Writes a synthetic integer MobileNetV2 (width 0.35, OutA + 25-template head, int16 activations,
int8 per-channel weights, random values) with the *Python* writer, then its C header with
to_c_header: the C++ test test_model_python opens the header's array and runs it. Checks the
Python exporter against the C++ loader/graph without any shared data.
usage: make_python_model.py OUT_DIR   (PYTHONPATH must contain tools/)
"""
import os
import sys

import numpy as np

from tinyq_tools.to_c_header import c_header
from tinyq_tools.weights_file import activation_points, conv_layers, export_detector, write_weights_file


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(5)
    tensors = []
    cout_last = 0
    for name, kind, cin, cout, stride, relu6, residual in conv_layers(350, "A"):
        shape = {"conv3x3": (cout, 3, 3, cin), "dw": (1, 3, 3, cin), "pw": (cout, 1, 1, cin)}[kind]
        fan_in = {"conv3x3": 27, "dw": 9, "pw": cin}[kind]
        frac = 6 + int(np.ceil(np.log2(fan_in) / 2))
        tensors.append((name + "/weights", rng.integers(-63, 64, shape).astype(np.int8),
                        list(frac + rng.integers(-1, 2, cout))))
        tensors.append((name + "/biases", rng.integers(-512, 512, cout).astype(np.int32), 9))
        cout_last = cout
    t = 25
    tensors.append(("head/weights", rng.integers(-63, 64, (5 * t, 1, 1, cout_last)).astype(np.int8), 10))
    tensors.append(("head/biases", rng.integers(-512, 512, 5 * t).astype(np.int32), 9))
    tensors.append(("head/templates", np.tile(np.array([[-160, -200, 160, 200]], np.int32), (t, 1)), 4))
    pts = activation_points(350, "A", head=True)
    tensors.append(("activation_frac_bits", np.array([7] + [9] * (len(pts) - 1), np.int8), 0))
    meta = dict(width=350, output="A", activation_dtype="int16", head_templates=t, input_size=(64, 64))
    path = os.path.join(out_dir, "python_model.tqw")
    write_weights_file(path, meta, tensors)
    with open(path, "rb") as f:
        data = f.read()
    with open(os.path.join(out_dir, "python_model.h"), "w") as f:
        f.write(c_header(data, "python_model", "python_model.tqw"))

    # A float detector npz (detector.py layout, random weights ~ N(0, 1/fan_in)) exported with
    # export_detector as float, q9 and auto (with a calibrate.py-style json claiming max |x| = 24).
    import json
    d = {"meta/alpha": np.float32(0.35), "templates": np.tile(np.array([[-10, -12, 10, 12]], np.float32), (t, 1))}
    acts = {"head": {"maxabs": 24.0}}
    for name, kind, cin, cout, stride, relu6, residual in conv_layers(350, "A"):
        shape = {"conv3x3": (cout, 3, 3, cin), "dw": (1, 3, 3, cin), "pw": (cout, 1, 1, cin)}[kind]
        fan_in = {"conv3x3": 27, "dw": 9, "pw": cin}[kind]
        d[name + "/weights"] = (rng.standard_normal(shape) * (1.5 / np.sqrt(fan_in))).astype(np.float32)
        d[name + "/biases"] = (rng.standard_normal(cout) * 0.1).astype(np.float32)
        acts[name + ("/add" if residual else "")] = {"maxabs": 24.0}
    d["head/weights"] = (rng.standard_normal((5 * t, 1, 1, cout_last)) / np.sqrt(cout_last)).astype(np.float32)
    d["head/biases"] = np.zeros(5 * t, np.float32)
    np.savez(os.path.join(out_dir, "detector.npz"), **d)
    with open(os.path.join(out_dir, "detector.qformats.json"), "w") as f:
        json.dump({"activations": acts}, f)
    for fmt in ("float", "q9", "auto"):
        export_detector(os.path.join(out_dir, "detector.npz"), os.path.join(out_dir, "detector.%s.tqw" % fmt), fmt,
                        os.path.join(out_dir, "detector.qformats.json"))


if __name__ == "__main__":
    main(sys.argv[1])
