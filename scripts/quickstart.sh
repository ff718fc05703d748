#!/usr/bin/env bash
# The README's first command: install what is missing, build, run the main job.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
cmake --preset host >/dev/null
cmake --build --preset host --target tinyq_q_demo
./build/host/examples/demo/tinyq_q_demo
