#!/usr/bin/env bash
# Installs the Debian (bookworm) packages tinyq needs, only those missing.
# Idempotent: a second run installs nothing and does not touch the network.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev          # host build, ASan/UBSan, libFuzzer
  catch2 libbenchmark-dev libxsimd-dev libstb-dev libwebp-dev  # tests, benchmarks, SIMD, images
  libxnnpack-dev libpthreadpool-dev                        # the benchmark peer
  gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc  # riscv64
  python3-numpy python3-torch python3-opencv opencv-data   # tools/ (training, export, evaluation)
)

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
