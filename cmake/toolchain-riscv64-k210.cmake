# The Kendryte K210's own ABI: rv64imafc / lp64f (single-precision FPU). tinyq's
# inference path uses no float, so the binaries must equal the rv64imac results.
set(TINYQ_RISCV_MARCH rv64imafc)
set(TINYQ_RISCV_MABI lp64f)
set(TINYQ_QEMU_CPU "rv64")
include(${CMAKE_CURRENT_LIST_DIR}/riscv64-common.cmake)
