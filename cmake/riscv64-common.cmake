# Shared part of the bare-metal riscv64 toolchain files: riscv64-unknown-elf-gcc in
# C++ mode (Debian ships no libstdc++ for this target), picolibc with semihosting
# for QEMU's `virt` machine (RAM at 0x80000000).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_CXX_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_CXX_COMPILER_TARGET riscv64-unknown-elf)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(TINYQ_RISCV_FLAGS "-march=${TINYQ_RISCV_MARCH} -mabi=${TINYQ_RISCV_MABI} -mcmodel=medany")
set(CMAKE_CXX_FLAGS_INIT "-x c++ ${TINYQ_RISCV_FLAGS} -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit --specs=picolibc.specs")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${TINYQ_RISCV_FLAGS} --specs=picolibc.specs --crt0=semihost --oslib=semihost -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x4000000 -Wl,--defsym=__ram=0x84000000 -Wl,--defsym=__ram_size=0x4000000")
# `-x c++` would also apply to the object files on the link line: link with plain flags.
set(CMAKE_CXX_LINK_EXECUTABLE "<CMAKE_CXX_COMPILER> <LINK_FLAGS> <CMAKE_CXX_LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
