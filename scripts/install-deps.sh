#!/usr/bin/env bash
# Installs the Debian (bookworm) packages tinyq needs, only those missing.
# Idempotent: a second run installs nothing and does not touch the network.
#   install-deps.sh          everything the tests, benchmarks and tools need
#   install-deps.sh --demo   only what the quick start needs to build and run tinyq-detect
set -euo pipefail

demo_packages=(cmake ninja-build g++ libstb-dev libwebp-dev pkg-config)

packages=(
  "${demo_packages[@]}"
  clang libclang-rt-14-dev                                 # ASan/UBSan/TSan/MSan, libFuzzer
  catch2 libbenchmark-dev libxsimd-dev                     # tests, benchmarks, SIMD
  libxnnpack-dev libpthreadpool-dev                        # the benchmark peer
  gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc  # riscv64
  g++-aarch64-linux-gnu qemu-user                          # aarch64 (hosted Linux, under qemu-aarch64)
  python3-numpy python3-torch python3-opencv opencv-data   # tools/ (training, export, evaluation)
)

if [ "${1:-}" = "--demo" ]; then
  packages=("${demo_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
