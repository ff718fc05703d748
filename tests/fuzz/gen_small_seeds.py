"""Regenerates the small committed seeds in tests/fuzz/corpus/ (run from the repository root
with /usr/bin/python3; PYTHONPATH=tools). Tiny files: structurally valid files that fail the
architecture checks, and a few broken headers."""
import os
import struct
import zlib

import numpy as np

from tinyq_tools.weights_file import weights_file_bytes

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)


def save(name, b):
    with open(os.path.join(out, name), "wb") as f:
        f.write(b)


one = weights_file_bytes(dict(width=350, output="A", activation_dtype="int16"),
                         [("Conv/weights", np.arange(16 * 27, dtype=np.int8).reshape(16, 3, 3, 3) % 50, 6),
                          ("Conv/biases", np.zeros(16, np.int32), 12)])
save("two_tensors_missing_rest", one)
flt = weights_file_bytes(dict(width=500, output="B", activation_dtype="float32"),
                         [("Conv/weights", np.ones((16, 3, 3, 3), np.float32), None),
                          ("Conv/biases", np.zeros(16, np.float32), None)])
save("float_missing_rest", flt)
pc = weights_file_bytes(dict(width=350, output="C", activation_dtype="int8", head_templates=2),
                        [("Conv/weights", np.ones((16, 3, 3, 3), np.int8), list(range(16))),
                         ("head/templates", np.array([[-16, -16, 16, 16], [-8, -8, 8, 8]], np.int32), 4)])
save("per_channel_head", pc)
save("header_only", one[:64])
save("bad_magic", b"TQWX" + one[4:200])
save("empty", b"")
b = bytearray(one)
struct.pack_into("<I", b, 16, 0)
save("zero_tensors", bytes(b))
