#include "image_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "check_util.h"
#include "image_checks.h"
#include "stb_decode.h"

#ifndef TINYQ_IMAGE_IO_WEBP
#define TINYQ_IMAGE_IO_WEBP 1
#endif
// MemorySanitizer needs every byte a program reads to have been written by instrumented
// code; Debian's libwebp is not instrumented, so what it writes (the size, the pixels) is
// reported as uninitialised at its first use (measured: docs/images.md). The MSan build of
// the decode path therefore leaves WebP out (it is fuzzed under ASan + UBSan, and libwebp
// itself under OSS-Fuzz).
#if defined(__has_feature)
#if __has_feature(memory_sanitizer)
#undef TINYQ_IMAGE_IO_WEBP
#define TINYQ_IMAGE_IO_WEBP 0
#endif
#endif
#if TINYQ_IMAGE_IO_WEBP
#include <webp/decode.h>
#endif

namespace tinyq_cli {
namespace {

using check_util::fail;

// What a decoder may hold at once for a width x height picture (docs/images.md has the
// measured peaks): bytes per pixel of the worst legitimate file of each format, on sides
// rounded up to a whole JPEG MCU (at most 32 px), plus the file itself (PNG keeps its
// compressed data) and 1 MiB for tables.
size_t decode_budget(ImageFormat format, int width, int height, size_t file_bytes, size_t ceiling) {
  // JPEG: progressive CMYK keeps 1 + 2 bytes per sample (pixels + coefficients) for 4
  //       components, plus the RGB output: 15; PNG: 16-bit RGBA interlaced keeps the
  //       inflated rows (grown by doubling: up to 16), the 16-bit picture (8) and a pass:
  //       28; BMP: the RGB output (3) or RGBA output and its conversion (7); WebP: RGB (3).
  size_t per_pixel = 3;
  switch (format) {
    case ImageFormat::jpeg: per_pixel = 16; break;
    case ImageFormat::png: per_pixel = 32; break;
    case ImageFormat::bmp: per_pixel = 8; break;
    default: break;
  }
  const size_t padded = (size_t(width) + 32) * (size_t(height) + 32);
  const size_t budget = per_pixel * padded + file_bytes + (size_t(1) << 20);
  return budget < ceiling ? budget : ceiling;
}

bool check_size(int width, int height, const ImageLimits& limits, ImageError* error) {
  const int largest = limits.max_side < kLargestSideSupported ? limits.max_side : kLargestSideSupported;
  if (width < limits.min_side || height < limits.min_side || width > largest || height > largest)
    return fail(error, "image size %dx%d outside [%d, %d] per side", width, height, limits.min_side, largest);
  if (size_t(width) * size_t(height) > limits.max_pixels)
    return fail(error, "image size %dx%d is over the limit of %zu pixels", width, height, limits.max_pixels);
  return true;
}

bool decode_webp(const uint8_t* data, size_t size, const ImageLimits& limits, RgbImage* image, ImageError* error) {
#if TINYQ_IMAGE_IO_WEBP
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(data, size, &features) != VP8_STATUS_OK) return fail(error, "WebP: invalid or truncated header");
  if (features.has_animation) return fail(error, "WebP: animated images not supported");
  if (!check_size(features.width, features.height, limits, error)) return false;
  const size_t stride = size_t(features.width) * 3, bytes = stride * size_t(features.height);
  stb::Budget budget;
  budget.limit = decode_budget(ImageFormat::webp, features.width, features.height, size, limits.max_decode_bytes);
  uint8_t* pixels = nullptr;
  {
    stb::ScopedBudget scope(&budget);
    pixels = static_cast<uint8_t*>(stb::allocate(bytes));
  }
  if (!pixels) return fail(error, "WebP: no memory for %dx%d pixels", features.width, features.height);
  image->pixels.reset(pixels);
  // The output size is passed in: libwebp refuses to write past it.
  if (!WebPDecodeRGBInto(data, size, pixels, bytes, int(stride))) {
    image->pixels.reset();
    return fail(error, "WebP: corrupt image data");
  }
  image->width = features.width;
  image->height = features.height;
  image->budget_bytes = budget.limit;
  image->peak_bytes = budget.peak;
  return true;
#else
  (void)data, (void)size, (void)limits, (void)image;
  return fail(error, "WebP is not supported by this build (MemorySanitizer build: libwebp is not instrumented)");
#endif
}

// width x height: what the structure check read from the header, already within limits.
bool decode_with_stb(const uint8_t* data, size_t size, ImageFormat format, int width, int height,
                     const ImageLimits& limits, RgbImage* image, ImageError* error) {
  const char* reason = "";
  int info_width = 0, info_height = 0;
  stb::Budget header_budget;
  header_budget.limit = size_t(1) << 20;  // reading a header needs stb's decoder state only
  {
    stb::ScopedBudget scope(&header_budget);
    if (!stb::read_size(data, size, &info_width, &info_height, &reason))
      return fail(error, "%s: cannot read the header (%s)", format_name(format), reason);
  }
  // stb's BMP header reader returns the signed height (negative: rows stored top-down);
  // check_bmp has refused INT32_MIN, so the negation is defined.
  if (format == ImageFormat::bmp && info_height < 0) info_height = -info_height;
  if (info_width != width || info_height != height)
    return fail(error, "%s: header read as %dx%d by the check, %dx%d by stb", format_name(format), width, height,
                info_width, info_height);
  stb::Budget budget;
  budget.limit = decode_budget(format, width, height, size, limits.max_decode_bytes);
  int decoded_width = 0, decoded_height = 0;
  uint8_t* pixels = nullptr;
  {
    stb::ScopedBudget scope(&budget);
    pixels = stb::decode_rgb(data, size, &decoded_width, &decoded_height, &reason);
  }
  if (!pixels) {
    if (budget.refused)
      return fail(error, "%s: decoding %dx%d needs more than its memory budget of %zu MiB", format_name(format), width,
                  height, budget.limit >> 20);
    return fail(error, "%s: cannot decode (%s)", format_name(format), reason);
  }
  image->pixels.reset(pixels);
  if (decoded_width != width || decoded_height != height) {
    image->pixels.reset();
    return fail(error, "%s: header says %dx%d, decoder gave %dx%d", format_name(format), width, height, decoded_width,
                decoded_height);
  }
  image->width = width;
  image->height = height;
  image->budget_bytes = budget.limit;
  image->peak_bytes = budget.peak;
  return true;
}

}  // namespace

void PixelsFree::operator()(uint8_t* pixels) const { stb::free_pixels(pixels); }

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::jpeg: return "JPEG";
    case ImageFormat::png: return "PNG";
    case ImageFormat::bmp: return "BMP";
    case ImageFormat::webp: return "WebP";
    default: return "unknown";
  }
}

bool webp_supported() { return TINYQ_IMAGE_IO_WEBP != 0; }

ImageFormat sniff_format(const uint8_t* d, size_t size) {
  if (size >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return ImageFormat::jpeg;
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (size >= 8 && std::memcmp(d, kPng, 8) == 0) return ImageFormat::png;
  if (size >= 2 && d[0] == 'B' && d[1] == 'M') return ImageFormat::bmp;
  if (size >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) return ImageFormat::webp;
  return ImageFormat::unknown;
}

bool decode_image(const uint8_t* data, size_t size, const ImageLimits& limits, RgbImage* image, ImageError* error) {
  *image = RgbImage{};
  if (size > limits.max_file_bytes) return fail(error, "file of %zu bytes is over the %zu-byte limit", size, limits.max_file_bytes);
  const ImageFormat format = sniff_format(data, size);
  image->format = format;
  int width = 0, height = 0;
  switch (format) {
    case ImageFormat::jpeg:
      if (!check_jpeg(data, size, &width, &height, error) || !check_size(width, height, limits, error)) return false;
      break;
    case ImageFormat::png: {
      PngPalette palette;
      if (!check_png(data, size, &width, &height, &palette, error) || !check_size(width, height, limits, error))
        return false;
      if (palette.indexed && palette.chunk_offset && palette.entries < 256) {
        std::vector<uint8_t> padded(size + padded_png_growth(palette.entries));
        pad_png_palette(data, size, palette, padded.data());
        return decode_with_stb(padded.data(), padded.size(), format, width, height, limits, image, error);
      }
      break;
    }
    case ImageFormat::bmp:
      if (!check_bmp(data, size, &width, &height, error) || !check_size(width, height, limits, error) ||
          !check_bmp_palette(data, size, error))
        return false;
      break;
    case ImageFormat::webp:
      return decode_webp(data, size, limits, image, error);
    default:
      if (size < 4) return fail(error, "not an image: %zu bytes", size);
      return fail(error, "not a JPEG, PNG, BMP or WebP file (starts with %02x %02x %02x %02x)", data[0], data[1], data[2],
                  data[3]);
  }
  return decode_with_stb(data, size, format, width, height, limits, image, error);
}

bool read_file_capped(const char* path, size_t max_bytes, std::vector<uint8_t>* bytes, ImageError* error) {
  bytes->clear();
  const bool is_stdin = std::strcmp(path, "-") == 0;
  FILE* f = is_stdin ? stdin : std::fopen(path, "rb");
  if (!f) return fail(error, "cannot open: %s", std::strerror(errno));
  // In chunks, so a pipe works as well as a file, and a huge file stops at the cap.
  constexpr size_t kChunk = size_t(1) << 16;
  bool ok = true;
  for (;;) {
    const size_t old = bytes->size();
    if (old > max_bytes) {
      ok = fail(error, "file is over the %zu-byte limit", max_bytes);
      break;
    }
    bytes->resize(old + kChunk);
    const size_t got = std::fread(bytes->data() + old, 1, kChunk, f);
    bytes->resize(old + got);
    if (got < kChunk) {
      if (std::ferror(f)) ok = fail(error, "read error: %s", std::strerror(errno));
      break;
    }
  }
  if (ok && bytes->size() > max_bytes) ok = fail(error, "file is over the %zu-byte limit", max_bytes);
  if (!is_stdin) std::fclose(f);
  return ok;
}

bool load_image(const char* path, const ImageLimits& limits, RgbImage* image, ImageError* error) {
  std::vector<uint8_t> bytes;
  if (!read_file_capped(path, limits.max_file_bytes, &bytes, error)) return false;
  return decode_image(bytes.data(), bytes.size(), limits, image, error);
}

}  // namespace tinyq_cli
