# Inputs of the bare-metal firmware example and of the golden detector test: the
# committed face model and the README's demo photo, turned into C headers by the
# host tool tinyq-embed. Sets TINYQ_FIRMWARE_DATA_DIR (and the target
# tinyq_firmware_data) when both inputs exist; otherwise says why and skips.
set(TINYQ_FIRMWARE_MAX_SIDE 256 CACHE STRING "Longer side of the image embedded in the firmware")
set(TINYQ_K210_FRAME_SIDE 224 CACHE STRING "Longer side of the frame embedded in the K210 board image")
# The K210 model by default (width 0.5: 0.41 MB of weights, docs/model-card-face_mnv2_a050_outA.md);
# -DTINYQ_FIRMWARE_MODEL=.../face_mnv2_a100_outA.auto.tqw for width 1.0 (fits 6 MiB at 256x256 too).
foreach(candidate face_mnv2_a050_outA face_mnv2_a100_outA)
  if(NOT TINYQ_FIRMWARE_MODEL AND EXISTS ${PROJECT_SOURCE_DIR}/models/${candidate}.auto.tqw)
    set(TINYQ_FIRMWARE_MODEL ${PROJECT_SOURCE_DIR}/models/${candidate}.auto.tqw)
  endif()
endforeach()
if(NOT TINYQ_FIRMWARE_MODEL)
  message(STATUS "tinyq: no committed face model in models/: firmware example and golden detector test skipped")
  return()
endif()

if(NOT TARGET tinyq_stb)
  message(STATUS "tinyq: libstb-dev missing: firmware example skipped")
  return()
endif()

# The demo photo is extracted from Debian's python3-skimage package (never committed).
if(NOT TINYQ_DEMO_IMAGE OR NOT EXISTS "${TINYQ_DEMO_IMAGE}")
  execute_process(COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/demo-image.sh
                  OUTPUT_VARIABLE demo OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${demo}")
    message(STATUS "tinyq: the demo photo could not be fetched (apt-get download python3-skimage): "
                   "firmware example and golden detector test skipped")
    return()
  endif()
  set(TINYQ_DEMO_IMAGE "${demo}" CACHE FILEPATH "The README's demo photo" FORCE)
endif()

add_executable(tinyq-embed ${PROJECT_SOURCE_DIR}/examples/firmware/embed.cpp)
target_link_libraries(tinyq-embed PRIVATE tinyq::tinyq tinyq_stb)

set(TINYQ_FIRMWARE_DATA_DIR ${PROJECT_BINARY_DIR}/firmware_data)
add_custom_command(OUTPUT ${TINYQ_FIRMWARE_DATA_DIR}/firmware_model.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${TINYQ_FIRMWARE_DATA_DIR}
  COMMAND tinyq-embed bin ${TINYQ_FIRMWARE_MODEL} firmware_model ${TINYQ_FIRMWARE_DATA_DIR}/firmware_model.h
  DEPENDS tinyq-embed ${TINYQ_FIRMWARE_MODEL} VERBATIM)
add_custom_command(OUTPUT ${TINYQ_FIRMWARE_DATA_DIR}/firmware_image.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${TINYQ_FIRMWARE_DATA_DIR}
  COMMAND tinyq-embed image ${TINYQ_DEMO_IMAGE} ${TINYQ_FIRMWARE_MAX_SIDE} firmware_image
          ${TINYQ_FIRMWARE_DATA_DIR}/firmware_image.h
  DEPENDS tinyq-embed ${TINYQ_DEMO_IMAGE} VERBATIM)
# The static arena of each image: exactly what detect() needs (tinyq-embed arena).
add_custom_command(OUTPUT ${TINYQ_FIRMWARE_DATA_DIR}/firmware_arena.h
  COMMAND tinyq-embed arena ${TINYQ_FIRMWARE_MODEL} ${TINYQ_DEMO_IMAGE} ${TINYQ_FIRMWARE_MAX_SIDE}
          ${TINYQ_FIRMWARE_DATA_DIR}/firmware_arena.h
  DEPENDS tinyq-embed ${TINYQ_FIRMWARE_MODEL} ${TINYQ_DEMO_IMAGE} VERBATIM)
# The K210 board image: the same model, the demo photo as a 224x224 frame (k210/ first on
# its include path, so it takes this image and arena and the shared model header).
set(k210_dir ${TINYQ_FIRMWARE_DATA_DIR}/k210)
add_custom_command(OUTPUT ${k210_dir}/firmware_image.h ${k210_dir}/firmware_arena.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${k210_dir}
  COMMAND tinyq-embed image ${TINYQ_DEMO_IMAGE} ${TINYQ_K210_FRAME_SIDE} firmware_image ${k210_dir}/firmware_image.h
  COMMAND tinyq-embed arena ${TINYQ_FIRMWARE_MODEL} ${TINYQ_DEMO_IMAGE} ${TINYQ_K210_FRAME_SIDE}
          ${k210_dir}/firmware_arena.h layers
  DEPENDS tinyq-embed ${TINYQ_FIRMWARE_MODEL} ${TINYQ_DEMO_IMAGE} VERBATIM)
add_custom_target(tinyq_firmware_data
  DEPENDS ${TINYQ_FIRMWARE_DATA_DIR}/firmware_model.h ${TINYQ_FIRMWARE_DATA_DIR}/firmware_image.h
          ${TINYQ_FIRMWARE_DATA_DIR}/firmware_arena.h ${k210_dir}/firmware_image.h ${k210_dir}/firmware_arena.h)
message(STATUS "tinyq: firmware embeds ${TINYQ_FIRMWARE_MODEL} and ${TINYQ_DEMO_IMAGE}")

# The firmware program on the host, at default flags and at every SIMD level this CPU
# runs: their box lists must equal the riscv64 runs' (cmake/Riscv64Tests.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/SimdLevels.cmake)
tinyq_simd_levels(firmware_levels)
set(TINYQ_FIRMWARE_HOST_COMMANDS "")
foreach(level IN ITEMS "default|" ${firmware_levels})
  tinyq_simd_level_parse("${level}" name flags)
  set(target tinyq_firmware_host)
  if(NOT name STREQUAL "default")
    set(target tinyq_firmware_host_${name})
  endif()
  add_executable(${target} ${PROJECT_SOURCE_DIR}/examples/firmware/main.cpp
                           ${PROJECT_SOURCE_DIR}/examples/firmware/board_stdio.cpp)
  target_link_libraries(${target} PRIVATE tinyq::tinyq)
  target_include_directories(${target} PRIVATE ${TINYQ_FIRMWARE_DATA_DIR})
  target_compile_options(${target} PRIVATE -O2 ${flags})
  add_dependencies(${target} tinyq_firmware_data)
  list(APPEND TINYQ_FIRMWARE_HOST_COMMANDS "$<TARGET_FILE:${target}>")
endforeach()
# The same program on the K210 image's 224x224 frame: its box list must equal the K210
# image's QEMU twin (cmake/Riscv64Tests.cmake).
add_executable(tinyq_firmware_host_k210_frame ${PROJECT_SOURCE_DIR}/examples/firmware/main.cpp
                                              ${PROJECT_SOURCE_DIR}/examples/firmware/board_stdio.cpp)
target_link_libraries(tinyq_firmware_host_k210_frame PRIVATE tinyq::tinyq)
target_include_directories(tinyq_firmware_host_k210_frame PRIVATE ${k210_dir} ${TINYQ_FIRMWARE_DATA_DIR})
target_compile_options(tinyq_firmware_host_k210_frame PRIVATE -O2)
target_compile_definitions(tinyq_firmware_host_k210_frame PRIVATE TINYQ_FIRMWARE_LAYER_BY_LAYER=1)
add_dependencies(tinyq_firmware_host_k210_frame tinyq_firmware_data)
