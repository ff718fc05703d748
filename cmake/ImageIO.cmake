# The CLI's image reader (examples/detect/image_io.*): compiled into each program that
# uses it (the CLI, its tests, the fuzzers), so each gets its own sanitizer flags.
#   tinyq_add_image_io(TARGET): adds the sources, stb_image's include path and libwebp.
set(TINYQ_IMAGE_IO_DIR ${CMAKE_CURRENT_LIST_DIR}/../examples/detect)
set(TINYQ_IMAGE_IO_SOURCES
  ${TINYQ_IMAGE_IO_DIR}/image_io.cpp
  ${TINYQ_IMAGE_IO_DIR}/check_jpeg.cpp
  ${TINYQ_IMAGE_IO_DIR}/check_png.cpp
  ${TINYQ_IMAGE_IO_DIR}/check_bmp.cpp
  ${TINYQ_IMAGE_IO_DIR}/stb_decode.cpp)

# Debian's libwebp-dev (scripts/install-deps.sh); without it the reader refuses WebP files.
find_path(TINYQ_WEBP_INCLUDE_DIR webp/decode.h)
find_library(TINYQ_WEBP_LIBRARY webp)

function(tinyq_add_image_io target)
  target_sources(${target} PRIVATE ${TINYQ_IMAGE_IO_SOURCES})
  target_include_directories(${target} PRIVATE ${TINYQ_IMAGE_IO_DIR} ${STB_INCLUDE_DIR})
  # stb 2.27 overflows int on hostile JPEG scans (DC prediction): -fwrapv makes that wrap
  # (wrong pixels) instead of UB; -w: the static stb functions the CLI does not call;
  # -fno-sanitize=shift-exponent: stb's JPEG bit reader shifts a zero by 32..40 after a scan
  # ends early (stb issue 1293, fixed after 2.27; stb_decode.cpp says why the value is 0).
  set_source_files_properties(${TINYQ_IMAGE_IO_DIR}/stb_decode.cpp TARGET_DIRECTORY ${target}
    PROPERTIES COMPILE_OPTIONS "-fwrapv;-w;-fno-sanitize=shift-exponent")
  if(TINYQ_WEBP_INCLUDE_DIR AND TINYQ_WEBP_LIBRARY)
    target_include_directories(${target} PRIVATE ${TINYQ_WEBP_INCLUDE_DIR})
    target_link_libraries(${target} PRIVATE ${TINYQ_WEBP_LIBRARY})
  else()
    message(WARNING "libwebp-dev not found: ${target} reads no WebP files")
    target_compile_definitions(${target} PRIVATE TINYQ_IMAGE_IO_WEBP=0)
  endif()
endfunction()
