# Cross-builds tests/freestanding for the two riscv64 profiles (ExternalProject,
# same source tree with a toolchain file) and registers their QEMU runs in ctest.
include(ExternalProject)

find_program(TINYQ_RISCV_GCC riscv64-unknown-elf-gcc)
find_program(TINYQ_RISCV_OBJDUMP riscv64-unknown-elf-objdump)
find_program(TINYQ_RISCV_NM riscv64-unknown-elf-nm)
find_program(TINYQ_RISCV_READELF riscv64-unknown-elf-readelf)
find_program(TINYQ_QEMU_RISCV64 qemu-system-riscv64)
if(NOT TINYQ_RISCV_GCC OR NOT TINYQ_QEMU_RISCV64 OR NOT TINYQ_RISCV_OBJDUMP)
  message(WARNING "riscv64-unknown-elf-gcc or qemu-system-riscv64 not found: riscv64 tests disabled")
  return()
endif()

# profile name, toolchain file, QEMU -cpu
set(TINYQ_RISCV_PROFILES
  "rv64imac\;${PROJECT_SOURCE_DIR}/cmake/toolchain-riscv64-rv64imac.cmake\;rv64,f=false,d=false"
  "rv64imafc\;${PROJECT_SOURCE_DIR}/cmake/toolchain-riscv64-k210.cmake\;rv64")

# One QEMU command line for a bare-metal ELF; -icount shift=0 makes instruction
# counts (and so timing-dependent nothing) deterministic.
function(tinyq_qemu_command out_var cpu elf)
  set(${out_var} ${TINYQ_QEMU_RISCV64} -M virt -cpu ${cpu} -bios none -nographic -monitor none -serial none
      -icount shift=0 -semihosting-config enable=on,target=native -kernel ${elf} PARENT_SCOPE)
endfunction()

# The K210 board image (examples/firmware/k210, built in the rv64imafc tree): no QEMU
# machine models the K210 (docs/k210.md), so its tests read the ELF: integer-only, and the
# size check against the K210's memory map (cmake/check_k210_image.sh prints the size
# table), with two controls the check must reject: the QEMU virt firmware (linked for
# virt's RAM, semihosting) and the K210 image checked for a frame side it does not have.
function(tinyq_k210_image_tests dir)
  set(elf ${dir}/k210/tinyq_firmware_k210)
  set(check bash ${PROJECT_SOURCE_DIR}/cmake/check_k210_image.sh ${TINYQ_RISCV_READELF} ${TINYQ_RISCV_NM}
            ${TINYQ_RISCV_OBJDUMP})
  add_test(NAME riscv64.k210.image_fits
    COMMAND ${check} ${elf} ${elf}.bin ${TINYQ_FIRMWARE_DATA_DIR}/k210 ${TINYQ_K210_FRAME_SIDE})
  set_tests_properties(riscv64.k210.image_fits PROPERTIES PASS_REGULAR_EXPRESSION "OK: .* fits the K210's memory map"
    FAIL_REGULAR_EXPRESSION "FAIL")
  add_test(NAME riscv64.k210.image_fits_rejects_virt_firmware
    COMMAND ${check} ${dir}/tinyq_firmware ${elf}.bin ${TINYQ_FIRMWARE_DATA_DIR} ${TINYQ_FIRMWARE_MAX_SIDE})
  set_tests_properties(riscv64.k210.image_fits_rejects_virt_firmware PROPERTIES
    PASS_REGULAR_EXPRESSION "FAIL: section \\.bss .* is outside the K210's SRAM")
  math(EXPR wrong_side "${TINYQ_K210_FRAME_SIDE} + 32")
  add_test(NAME riscv64.k210.image_fits_rejects_wrong_frame
    COMMAND ${check} ${elf} ${elf}.bin ${TINYQ_FIRMWARE_DATA_DIR}/k210 ${wrong_side})
  set_tests_properties(riscv64.k210.image_fits_rejects_wrong_frame PROPERTIES
    PASS_REGULAR_EXPRESSION "FAIL: frame of [0-9]+ bytes is [0-9]+x[0-9]+: its longer side is not ${wrong_side}")
  add_test(NAME riscv64.k210.integer_only
    COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/check_integer_only.sh ${TINYQ_RISCV_OBJDUMP} ${TINYQ_RISCV_NM} ${elf})

  # The image's QEMU twin (same start-up, linker script, board layer, application; QEMU
  # virt's UART instead of the UARTHS) on two harts: hart 1 must take a task from hart 0,
  # and the box list must equal the host's on the same 224x224 frame.
  set(twin ${TINYQ_QEMU_RISCV64} -M virt -smp 2 -cpu rv64 -bios none -nographic -monitor none -serial stdio
           -icount shift=0 -kernel ${elf}_qemu)
  add_test(NAME riscv64.k210.qemu_twin_two_harts COMMAND ${twin})
  set_tests_properties(riscv64.k210.qemu_twin_two_harts PROPERTIES TIMEOUT 300
    PASS_REGULAR_EXPRESSION "hart 1: parked, ran a task.*digest boxes [0-9a-f]+.*instructions per frame [0-9]+.*exit 0"
    FAIL_REGULAR_EXPRESSION "did not answer|trap on hart|rejected|failed|too small")
  # Control: on one hart the probe must report that hart 1 did not answer.
  string(REPLACE "-smp;2" "-smp;1" twin_one_hart "${twin}")
  add_test(NAME riscv64.k210.qemu_twin_one_hart_control COMMAND ${twin_one_hart})
  set_tests_properties(riscv64.k210.qemu_twin_one_hart_control PROPERTIES TIMEOUT 300
    PASS_REGULAR_EXPRESSION "hart 1: did not answer.*exit 0")
  if(TARGET tinyq_firmware_host_k210_frame)
    string(REPLACE ";" " " twin_str "${twin}")
    add_test(NAME riscv64.k210.qemu_twin_boxes_equal_host
      COMMAND ${CMAKE_COMMAND} "-DCOMMANDS=$<TARGET_FILE:tinyq_firmware_host_k210_frame>;${twin_str}"
              -P ${PROJECT_SOURCE_DIR}/cmake/compare_digests.cmake)
    set_tests_properties(riscv64.k210.qemu_twin_boxes_equal_host PROPERTIES TIMEOUT 300)
  endif()
endfunction()

set(TINYQ_DIGEST_COMMANDS "$<TARGET_FILE:tinyq_digest>" ${TINYQ_HOST_DIGESTS})
foreach(profile IN LISTS TINYQ_RISCV_PROFILES)
  list(GET profile 0 name)
  list(GET profile 1 toolchain)
  list(GET profile 2 cpu)
  set(bin ${PROJECT_BINARY_DIR}/riscv64-${name})
  set(firmware_args "")
  set(firmware_deps "")
  if(TINYQ_FIRMWARE_DATA_DIR)
    set(firmware_args -DTINYQ_FIRMWARE_DATA_DIR=${TINYQ_FIRMWARE_DATA_DIR})
    set(firmware_deps DEPENDS tinyq_firmware_data)
  endif()
  ExternalProject_Add(riscv64_${name}
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${bin}
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${toolchain} -DCMAKE_BUILD_TYPE=Release ${firmware_args}
    ${firmware_deps}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)
  set(TINYQ_RISCV_${name}_DIR ${bin} CACHE INTERNAL "")

  tinyq_qemu_command(qemu ${cpu} ${bin}/tests/freestanding/tinyq_digest)
  add_test(NAME riscv64.${name}.digest_runs COMMAND ${qemu})
  set_tests_properties(riscv64.${name}.digest_runs PROPERTIES TIMEOUT 120 PASS_REGULAR_EXPRESSION "digest all [0-9a-f]+")
  string(REPLACE ";" " " qemu_str "${qemu}")
  list(APPEND TINYQ_DIGEST_COMMANDS "${qemu_str}")

  # Integer-only proof on the real binary, and on a float-using control that must be rejected.
  add_test(NAME riscv64.${name}.integer_only
    COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/check_integer_only.sh ${TINYQ_RISCV_OBJDUMP} ${TINYQ_RISCV_NM}
            ${bin}/tests/freestanding/tinyq_digest)
  add_test(NAME riscv64.${name}.integer_only_rejects_float
    COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/check_integer_only.sh ${TINYQ_RISCV_OBJDUMP} ${TINYQ_RISCV_NM}
            ${bin}/tests/freestanding/float_control)
  set_tests_properties(riscv64.${name}.integer_only_rejects_float PROPERTIES WILL_FAIL ON)

  if(TINYQ_FIRMWARE_DATA_DIR)
    # The firmware example: the committed model on the demo photo, bare metal.
    tinyq_qemu_command(qemu ${cpu} ${bin}/examples/firmware/tinyq_firmware)
    add_test(NAME riscv64.${name}.firmware COMMAND ${qemu})
    set_tests_properties(riscv64.${name}.firmware PROPERTIES TIMEOUT 900
      PASS_REGULAR_EXPRESSION "instructions per frame [0-9]+" FAIL_REGULAR_EXPRESSION "rejected|failed|too small")
    add_test(NAME riscv64.${name}.firmware_integer_only
      COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/check_integer_only.sh ${TINYQ_RISCV_OBJDUMP} ${TINYQ_RISCV_NM}
              ${bin}/examples/firmware/tinyq_firmware)
    string(REPLACE ";" " " qemu_str "${qemu}")
    list(APPEND TINYQ_FIRMWARE_COMMANDS "${qemu_str}")
  endif()
  if(TINYQ_FIRMWARE_DATA_DIR AND name STREQUAL "rv64imafc" AND TINYQ_RISCV_READELF)
    tinyq_k210_image_tests(${bin}/examples/firmware)
  endif()
endforeach()

if(TINYQ_FIRMWARE_DATA_DIR AND TARGET tinyq_firmware_host)
  # Golden detector test: the committed model's complete box list on the demo photo is
  # identical on the host (every SIMD level) and on rv64imac and rv64imafc.
  add_test(NAME riscv64.firmware_boxes_equal_host
    COMMAND ${CMAKE_COMMAND} "-DCOMMANDS=${TINYQ_FIRMWARE_HOST_COMMANDS};${TINYQ_FIRMWARE_COMMANDS}"
            -P ${PROJECT_SOURCE_DIR}/cmake/compare_digests.cmake)
  set_tests_properties(riscv64.firmware_boxes_equal_host PROPERTIES TIMEOUT 1800)
endif()

# Host (default flags and every SIMD level), rv64imac and rv64imafc must print the
# same digests, section by section.
add_test(NAME riscv64.digests_equal_host
  COMMAND ${CMAKE_COMMAND} "-DCOMMANDS=${TINYQ_DIGEST_COMMANDS}" -P ${PROJECT_SOURCE_DIR}/cmake/compare_digests.cmake)
set_tests_properties(riscv64.digests_equal_host PROPERTIES TIMEOUT 300)

# Kernel cost on rv64imac: instructions per MAC of each kernel, read from minstret under
# -icount shift=0 (deterministic). Fails on a wrong kernel output or a cost above the
# per-kernel bound printed in the program (tests/freestanding/bench_rv64.cpp).
tinyq_qemu_command(qemu_cost "rv64,f=false,d=false" ${TINYQ_RISCV_rv64imac_DIR}/tests/freestanding/tinyq_bench_rv64)
add_test(NAME riscv64.rv64imac.kernel_cost COMMAND ${qemu_cost})
set_tests_properties(riscv64.rv64imac.kernel_cost PROPERTIES TIMEOUT 300
  PASS_REGULAR_EXPRESSION "kernel cost OK" FAIL_REGULAR_EXPRESSION "FAIL")
add_test(NAME riscv64.rv64imac.kernel_cost_integer_only
  COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/check_integer_only.sh ${TINYQ_RISCV_OBJDUMP} ${TINYQ_RISCV_NM}
          ${TINYQ_RISCV_rv64imac_DIR}/tests/freestanding/tinyq_bench_rv64)
