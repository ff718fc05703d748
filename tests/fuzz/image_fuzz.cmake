# The image-decode fuzzer: tests/fuzz/fuzz_image.cpp over tinyq_cli::decode_image (the CLI's
# decode path), under ASan + UBSan (this preset's flags) and, built from the same sources by
# a direct clang++ call, under MemorySanitizer. Each runs the committed seeds (image_corpus/,
# made by gen_image_seeds.py), the reproducers in ../shared/repro when present, and a
# bounded run (TINYQ_IMAGE_FUZZ_SECONDS). docs/images.md has the rates and the campaign.
include(${PROJECT_SOURCE_DIR}/cmake/ImageIO.cmake)
if(NOT STB_INCLUDE_DIR)
  message(STATUS "tinyq: libstb-dev not found: image fuzzer skipped")
  return()
endif()
set(TINYQ_IMAGE_FUZZ_SECONDS 20 CACHE STRING "Length of each bounded image-fuzzer run in ctest (seconds)")
set(TINYQ_SHARED_REPRO "${PROJECT_SOURCE_DIR}/../shared/repro" CACHE PATH "Folder with the reliability reproducers")
set(image_seeds ${CMAKE_CURRENT_SOURCE_DIR}/image_corpus)

add_executable(fuzz_image fuzz_image.cpp)
tinyq_add_image_io(fuzz_image)
target_compile_options(fuzz_image PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g)
target_link_options(fuzz_image PRIVATE -fsanitize=fuzzer,address,undefined)

# MemorySanitizer: one clang++ call, not this preset's ASan flags (the two cannot mix).
# -fwrapv applies to all three files here (it matters for stb_decode.cpp only).
set(image_msan ${CMAKE_CURRENT_BINARY_DIR}/fuzz_image.msan)
add_custom_command(OUTPUT ${image_msan}
  COMMAND ${CMAKE_CXX_COMPILER} -std=c++17 -O1 -g -fno-omit-frame-pointer -fwrapv -w
          -fsanitize=fuzzer,memory -fsanitize-memory-track-origins
          -I${TINYQ_IMAGE_IO_DIR} -I${STB_INCLUDE_DIR}
          ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_image.cpp ${TINYQ_IMAGE_IO_SOURCES} -o ${image_msan}
  DEPENDS fuzz_image.cpp ${TINYQ_IMAGE_IO_SOURCES} ${TINYQ_IMAGE_IO_DIR}/image_io.h
          ${TINYQ_IMAGE_IO_DIR}/image_checks.h ${TINYQ_IMAGE_IO_DIR}/check_util.h ${TINYQ_IMAGE_IO_DIR}/stb_decode.h
  COMMENT "MemorySanitizer build of the image fuzzer"
  VERBATIM)
add_custom_target(fuzz_image_msan ALL DEPENDS ${image_msan})

set(fuzz_flags -rss_limit_mb=4096 -max_len=65536 -timeout=30 -print_final_stats=1)
string(JOIN " " fuzz_flags_text ${fuzz_flags})
foreach(variant asan msan)
  if(variant STREQUAL "asan")
    set(bin $<TARGET_FILE:fuzz_image>)
  else()
    set(bin ${image_msan})
  endif()
  # every committed seed once (valid ones decode, hostile ones are refused), no mutation
  add_test(NAME fuzz.image.${variant}.seeds COMMAND ${bin} -runs=0 ${fuzz_flags} ${image_seeds})
  # the reproducers from ../shared/repro, each run once; skipped when the folder is absent
  add_test(NAME fuzz.image.${variant}.shared_repro
    COMMAND bash -c "ls \"$1\"/*.jpg \"$1\"/*.png >/dev/null 2>&1 || { echo \"SKIP: no reproducers in $1\"; exit 77; }; \
                     \"$0\" \"$1\"/*.jpg \"$1\"/*.png" ${bin} ${TINYQ_SHARED_REPRO})
  set_tests_properties(fuzz.image.${variant}.shared_repro PROPERTIES SKIP_RETURN_CODE 77)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/image_work_${variant})
  add_test(NAME fuzz.image.${variant}.bounded_run
    COMMAND bash -c "rm -rf \"$1\" && mkdir -p \"$1\" && \"$0\" -max_total_time=$2 ${fuzz_flags_text} \
                     -artifact_prefix=\"$1/\" \"$1\" \"$3\"" ${bin} ${work} ${TINYQ_IMAGE_FUZZ_SECONDS} ${image_seeds})
  set_tests_properties(fuzz.image.${variant}.seeds fuzz.image.${variant}.shared_repro fuzz.image.${variant}.bounded_run
    PROPERTIES TIMEOUT 300 LABELS fuzz)
endforeach()
