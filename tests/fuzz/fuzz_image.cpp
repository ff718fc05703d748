// libFuzzer target over tinyq_cli::decode_image, the function tinyq-detect decodes every
// picture with (examples/detect/image_io.h): any byte string must give RGB pixels or a
// message, never a sanitizer report. Built with -fsanitize=fuzzer,address,undefined (the
// sanitize preset) and, from the same sources, with -fsanitize=fuzzer,memory (WebP left
// out there: image_io.cpp says why). Every output byte is read, and under MSan checked to
// be initialised, so a decoder that leaves pixels unwritten is a finding too.
#include <stdint.h>
#include <stdlib.h>

#include "image_io.h"

#if defined(__has_feature)
#if __has_feature(memory_sanitizer)
#include <sanitizer/msan_interface.h>
#define TINYQ_FUZZ_MSAN 1
#endif
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The CLI's limits (8..8192 px a side, the same budgets per pixel), except at most 1 Mpx
  // per picture (the CLI: 64 Mpx): a few hundred bytes can declare 8192 x 8192, and stb
  // then decodes every pixel of it (~1 s in a release build, 20 s under ASan), which would
  // spend the run on a few huge pictures. Sizes cannot overflow stb's int arithmetic at
  // either limit (8192 * 8192 * 8 < 2^31); sides up to 8192 are still reached (8192 x 128).
  tinyq_cli::ImageLimits limits;
  limits.max_pixels = size_t(1) << 20;
  tinyq_cli::RgbImage image;
  tinyq_cli::ImageError error;
  if (!tinyq_cli::decode_image(data, size, limits, &image, &error)) {
    if (error.text[0] == '\0' || image.pixels) abort();  // a refusal says why, and holds nothing
    return 0;
  }
  if (!image.pixels || image.width < limits.min_side || image.height < limits.min_side ||
      image.width > limits.max_side || image.height > limits.max_side || image.peak_bytes > image.budget_bytes)
    abort();
  const size_t bytes = size_t(image.width) * size_t(image.height) * 3;
#ifdef TINYQ_FUZZ_MSAN
  __msan_check_mem_is_initialized(image.pixels.get(), bytes);
#endif
  // Read every byte (ASan: the buffer really holds width * height * 3).
  unsigned sum = 0;
  for (size_t i = 0; i < bytes; ++i) sum += image.pixels.get()[i];
  volatile unsigned sink = sum;
  (void)sink;
  return 0;
}
