# Bare-metal riscv64 without any floating-point unit: rv64imac / lp64.
# Run with: qemu-system-riscv64 -M virt -cpu rv64,f=false,d=false -bios none -semihosting-config enable=on,target=native -kernel X.elf
set(TINYQ_RISCV_MARCH rv64imac)
set(TINYQ_RISCV_MABI lp64)
set(TINYQ_QEMU_CPU "rv64,f=false,d=false")
include(${CMAKE_CURRENT_LIST_DIR}/riscv64-common.cmake)
