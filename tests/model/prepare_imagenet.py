"""Build-time step of the ImageNet cross-check (run by CMake, never committed output):
  weights.npz          -> <out>/imagenet_float.tqw   (tinyq weights file, float32, classifier)
  reference_check.npz  -> <out>/imagenet_reference.bin
      4 records: name (char[16]), input uint8[224*224*3] RGB HWC, float logits float32[1001],
      fakequant logits float32[1001] (little-endian)
usage: prepare_imagenet.py DATA_DIR OUT_DIR   (PYTHONPATH must contain tools/)
"""
import os
import sys

import numpy as np

from tinyq_tools.weights_file import imagenet_npz_to_tensors, write_weights_file


def main(data_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    npz = np.load(os.path.join(data_dir, "weights.npz"))
    meta = dict(width=1000, output="B", classifier=True, activation_dtype="float32", input_size=(224, 224),
                input_offset=128, input_shift=7, padding="tf_same")
    write_weights_file(os.path.join(out_dir, "imagenet_float.tqw"), meta, imagenet_npz_to_tensors(npz))
    ref = np.load(os.path.join(data_dir, "reference_check.npz"))
    with open(os.path.join(out_dir, "imagenet_reference.bin"), "wb") as f:
        for name in ("grace_hopper", "cat", "parrot", "bird"):
            f.write(name.encode().ljust(16, b"\0"))
            f.write(np.ascontiguousarray(ref[name + "/input_uint8_rgb_224"], np.uint8).tobytes())
            f.write(np.asarray(ref[name + "/float_logits"], "<f4").tobytes())
            f.write(np.asarray(ref[name + "/fakequant_logits"], "<f4").tobytes())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
