# Cross-builds the digest runner and the platform-independent Catch2 suites for hosted
# Linux aarch64 (ExternalProject over the same source tree with cmake/aarch64-linux-gnu.cmake;
# what it builds: tests/aarch64/CMakeLists.txt) and runs them under qemu-aarch64 in ctest.
# On aarch64 the dispatcher (include/tinyq/kernels/kernels.h) takes the NEON pointwise and
# depthwise convolutions (kernels/arm/neon.h) and the portable scalar kernels for the rest; the
# "scalar" programs are built with TINYQ_NO_SIMD (no NEON at all). Test names say which.
include(ExternalProject)

find_program(TINYQ_AARCH64_GXX aarch64-linux-gnu-g++)
find_program(TINYQ_QEMU_AARCH64 qemu-aarch64)
if(NOT TINYQ_AARCH64_GXX OR NOT TINYQ_QEMU_AARCH64)
  message(STATUS "aarch64-linux-gnu-g++ or qemu-aarch64 not found: aarch64 tests skipped "
                 "(scripts/install-deps.sh installs g++-aarch64-linux-gnu and qemu-user)")
  return()
endif()

# Catch2 v2's single header, from the host's Catch2 package; the cross build copies it.
get_target_property(catch2_includes Catch2::Catch2 INTERFACE_INCLUDE_DIRECTORIES)
find_file(TINYQ_CATCH2_HEADER catch2/catch.hpp HINTS ${catch2_includes} NO_CMAKE_FIND_ROOT_PATH)
if(NOT TINYQ_CATCH2_HEADER)
  message(STATUS "catch2/catch.hpp not found: aarch64 tests skipped")
  return()
endif()

set(bin ${PROJECT_BINARY_DIR}/aarch64)
ExternalProject_Add(aarch64_linux
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${bin}
  CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/aarch64-linux-gnu.cmake -DCMAKE_BUILD_TYPE=Release
             -DTINYQ_CATCH2_HEADER=${TINYQ_CATCH2_HEADER}
  BUILD_ALWAYS ON
  INSTALL_COMMAND ""
  USES_TERMINAL_BUILD ON)

# The programs are static; -L points qemu at the cross glibc anyway (dynamic builds need it).
set(qemu ${TINYQ_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)

foreach(runner "neon|freestanding/tinyq_digest" "scalar|aarch64/tinyq_digest_scalar")
  string(REPLACE "|" ";" parts "${runner}")
  list(GET parts 0 level)
  list(GET parts 1 program)
  add_test(NAME aarch64.${level}.digest_runs COMMAND ${qemu} ${bin}/tests/${program})
  set_tests_properties(aarch64.${level}.digest_runs PROPERTIES TIMEOUT 60 PASS_REGULAR_EXPRESSION "digest all [0-9a-f]+")
endforeach()

# One ctest entry per Catch2 program (test_core in two halves by tag, so that ctest -j runs
# its exhaustive int16 sweeps side by side); Catch2 exits non-zero on a failed assertion,
# and the summary line proves assertions ran.
foreach(suite "neon.kernels_equality|test_kernels_equality" "scalar.kernels_equality|test_kernels_equality_scalar"
              "kernels_reference|test_kernels_reference" "core.exp|test_core|[exp]" "core.other|test_core|~[exp]"
              "neon.blocks|test_blocks")
  string(REPLACE "|" ";" parts "${suite}")
  list(GET parts 0 test_name)
  list(GET parts 1 program)
  set(catch_args "")
  list(LENGTH parts n)
  if(n GREATER 2)
    list(GET parts 2 catch_args)
  endif()
  add_test(NAME aarch64.${test_name} COMMAND ${qemu} ${bin}/tests/aarch64/${program} ${catch_args})
  set_tests_properties(aarch64.${test_name} PROPERTIES TIMEOUT 120
    PASS_REGULAR_EXPRESSION "All tests passed \\([1-9][0-9]* assertions")
endforeach()

# aarch64 (NEON and scalar) must print the same digests as the host at every SIMD level and (where
# Riscv64Tests.cmake ran first) rv64imac and rv64imafc.
if(DEFINED TINYQ_DIGEST_COMMANDS)
  set(digest_commands ${TINYQ_DIGEST_COMMANDS})
else()
  set(digest_commands "$<TARGET_FILE:tinyq_digest>" ${TINYQ_HOST_DIGESTS})
endif()
string(REPLACE ";" " " qemu_str "${qemu}")
list(APPEND digest_commands "${qemu_str} ${bin}/tests/freestanding/tinyq_digest"
                            "${qemu_str} ${bin}/tests/aarch64/tinyq_digest_scalar")
add_test(NAME aarch64.digests_equal_host
  COMMAND ${CMAKE_COMMAND} "-DCOMMANDS=${digest_commands}" -P ${PROJECT_SOURCE_DIR}/cmake/compare_digests.cmake)
set_tests_properties(aarch64.digests_equal_host PROPERTIES TIMEOUT 300)
