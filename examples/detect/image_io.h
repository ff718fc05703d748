// The CLI's pictures: read once (a path or '-' for stdin, with a byte cap), the format
// taken from the first bytes (not the name), decoded to RGB888 under a size and memory cap,
// with a clear message on every failure. The fuzzer (tests/fuzz/fuzz_image.cpp) runs
// decode_image, the same function the CLI calls. docs/images.md: the means and the limits.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tinyq_cli {

enum class ImageFormat { unknown, jpeg, png, bmp, webp };
const char* format_name(ImageFormat format);
// From the magic bytes: FF D8 FF (JPEG), 89 'PNG' 0D 0A 1A 0A, 'BM', 'RIFF' .... 'WEBP'.
ImageFormat sniff_format(const uint8_t* data, size_t size);
// Whether this build decodes WebP (not in the MemorySanitizer build: docs/images.md).
bool webp_supported();

constexpr int kLargestSideSupported = 8192;  // STBI_MAX_DIMENSIONS in stb_decode.cpp

struct ImageLimits {
  int min_side = 8;
  int max_side = kLargestSideSupported;  // values above kLargestSideSupported act as it
  size_t max_pixels = size_t(kLargestSideSupported) * kLargestSideSupported;  // width * height
  size_t max_file_bytes = size_t(256) << 20;
  // Ceiling on what the decoder may hold at once for one image; below it each image gets
  // a budget from its size and format (decode_budget in image_io.cpp).
  size_t max_decode_bytes = size_t(1) << 30;
};

struct ImageError {
  char text[256] = {};
};

struct PixelsFree {
  void operator()(uint8_t* pixels) const;
};
struct RgbImage {
  std::unique_ptr<uint8_t, PixelsFree> pixels;  // height rows of width * 3 bytes: R, G, B
  int width = 0;
  int height = 0;
  ImageFormat format = ImageFormat::unknown;
  size_t budget_bytes = 0;  // what this image was allowed to allocate
  size_t peak_bytes = 0;    // what the decoder held at most (stb formats; WebP: the output)
};

// The whole file or stdin ('-') into memory, refused past max_bytes.
bool read_file_capped(const char* path, size_t max_bytes, std::vector<uint8_t>* bytes, ImageError* error);
// Bytes to pixels: the decode path the CLI and the fuzzer share.
bool decode_image(const uint8_t* data, size_t size, const ImageLimits& limits, RgbImage* image, ImageError* error);
// read_file_capped + decode_image.
bool load_image(const char* path, const ImageLimits& limits, RgbImage* image, ImageError* error);

}  // namespace tinyq_cli
