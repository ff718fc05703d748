"""Regenerates the small committed seeds in tests/fuzz/corpus/{loader,detector}/ (run from the
repository root with /usr/bin/python3; PYTHONPATH=tools). Tiny files: structurally valid files
that fail the architecture checks, and a few broken headers, each behind the control bytes of
the target (fuzz_loader.cpp: 8 bytes, fuzz_detector.cpp: 40 bytes; see those files)."""
import os
import struct
import zlib

import numpy as np

from tinyq_tools.weights_file import weights_file_bytes

corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
for target in ("loader", "detector"):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)

# fuzz_loader: CRC mode (0 verify, 1 skip; bit 2: detector checks), plan size indices 13 and
# 11 (256 x 224), a 640 x 480 image, default options.
LOADER = {"verify": bytes([4, 13, 11]) + struct.pack("<HH", 640, 480) + bytes([0]),
          "nocrc": bytes([1, 13, 11]) + struct.pack("<HH", 640, 480) + bytes([0])}
# fuzz_detector: CRCs kept (bit 0), a 32 x 24 image, the default scales 0.5x, 1x, 2x,
# threshold 0.5, IoU 0.3, 4096 candidates, 64 detections.
DETECTOR = (bytes([1]) + struct.pack("<HHB", 31, 23, 0) + bytes([3]) +
            struct.pack("<8h", 128, 256, 512, 0, 0, 0, 0, 0) + struct.pack("<iiHBH", 1 << 29, 19661, 4096, 0, 64))
DETECTOR += bytes(40 - len(DETECTOR))


def save(name, b):
    for mode, prefix in LOADER.items():
        with open(os.path.join(corpus, "loader", name + "_" + mode), "wb") as f:
            f.write(prefix + b)
    with open(os.path.join(corpus, "detector", name), "wb") as f:
        f.write(DETECTOR + b)


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
