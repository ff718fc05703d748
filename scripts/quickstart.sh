#!/usr/bin/env bash
# The README's first command: install what is missing, build the detector, run it on
# the demo photo (scikit-image's public-domain astronaut, taken from Debian's
# python3-skimage package at this step) and print where the annotated picture is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh --demo   # compiler, cmake, ninja, stb, webp: not torch, opencv or qemu
image=$(bash scripts/demo-image.sh)
cmake --preset quick >/dev/null          # tinyq-detect only: no tests, benchmarks or riscv64 builds
cmake --build --preset quick
out="$root/build/demo/astronaut_faces.png"
./build/quick/examples/detect/tinyq-detect "$image" -o "$out"
echo "annotated picture: $out"
