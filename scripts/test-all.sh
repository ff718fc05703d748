#!/usr/bin/env bash
# The README's second command: every test tinyq has.
#  1. host build (GCC, Release): Catch2 suites at every SIMD level this CPU runs,
#     the install/find_package consumer, riscv64 rv64imac + rv64imafc under QEMU
#     (digests equal to the host's, integer-only disassembly check);
#  2. the host suite under Clang with ASan + UBSan (the fuzzers' bounded runs; the image
#     fuzzer under ASan + UBSan and, built from the same sources, MemorySanitizer); its test
#     programs are built once with run-time dispatch, which tests every SIMD level the CPU
#     has, and once without SIMD (TINYQ_SIMD_LEVEL_BUILDS=OFF: no pinned per-level copies);
#  3. the concurrent-detection tests under ThreadSanitizer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
jobs=$(nproc)

echo "== host build and tests"
cmake --preset host >/dev/null
cmake --build --preset host -j "$jobs"
ctest --preset host -j "$jobs"

echo "== sanitizer build (clang, ASan + UBSan) and tests"
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize -j "$jobs"
ctest --preset sanitize -j "$jobs"

echo "== ThreadSanitizer build (clang) and the concurrent-detection tests"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs"
ctest --preset tsan -j "$jobs"
