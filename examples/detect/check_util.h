// Small helpers shared by the structure checks (check_jpeg.cpp, check_png.cpp, check_bmp.cpp).
#pragma once
#include <cstdarg>
#include <cstdint>
#include <cstdio>

#include "image_io.h"

namespace tinyq_cli {
namespace check_util {

inline bool fail(ImageError* error, const char* format, ...) __attribute__((format(printf, 2, 3)));
inline bool fail(ImageError* error, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(error->text, sizeof error->text, format, args);
  va_end(args);
  return false;
}

inline uint32_t be16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
inline uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
inline uint32_t le16(const uint8_t* p) { return uint32_t(p[1]) << 8 | p[0]; }
inline uint32_t le32(const uint8_t* p) { return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]; }

}  // namespace check_util
}  // namespace tinyq_cli
