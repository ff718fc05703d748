// check_bmp and check_bmp_palette (image_checks.h): the header and palette checks run
// before stb_image decodes a BMP.
#include "image_checks.h"

#include "check_util.h"

namespace tinyq_cli {

using namespace check_util;

bool check_bmp(const uint8_t* d, size_t size, int* width_out, int* height_out, ImageError* e) {
  if (size < 26 || d[0] != 'B' || d[1] != 'M') return fail(e, "BMP: header cut short");
  const uint32_t offset = le32(d + 10), header = le32(d + 14);
  if (header != 12 && header != 40 && header != 56 && header != 108 && header != 124)
    return fail(e, "BMP: info header of %u bytes not supported", header);
  if (size < 14 + size_t(header)) return fail(e, "BMP: info header runs past the end of the file");
  int64_t width, height;
  uint32_t planes, bpp, compression = 0;
  if (header == 12) {
    width = le16(d + 18);  // unsigned in the OS/2 header, as stb reads them
    height = le16(d + 20);
    planes = le16(d + 22);
    bpp = le16(d + 24);
  } else {
    width = int32_t(le32(d + 18));
    height = int32_t(le32(d + 22));
    planes = le16(d + 26);
    bpp = le16(d + 28);
    compression = le32(d + 30);
  }
  // stb takes |height| (negative = top-down rows) with abs() on an int: INT32_MIN is UB.
  const int64_t rows = height < 0 ? -height : height;
  if (width <= 0 || rows == 0 || width > INT32_MAX || rows > INT32_MAX)
    return fail(e, "BMP: image size %lldx%lld", static_cast<long long>(width), static_cast<long long>(height));
  if (planes != 1) return fail(e, "BMP: %u planes", planes);
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) return fail(e, "BMP: %u bits per pixel", bpp);
  if (compression != 0 && !(compression == 3 && (bpp == 16 || bpp == 32)))
    return fail(e, "BMP: compression %u with %u bits per pixel not supported", compression, bpp);
  if (offset < 14 + header || offset > size) return fail(e, "BMP: pixel data offset %u outside the file", offset);
  *width_out = int(width);
  *height_out = int(rows);
  return true;
}

bool check_bmp_palette(const uint8_t* d, size_t size, ImageError* e) {
  const uint32_t offset = le32(d + 10), header = le32(d + 14);
  const int64_t width = header == 12 ? le16(d + 18) : int32_t(le32(d + 18));
  const int64_t height = header == 12 ? le16(d + 20) : int32_t(le32(d + 22));
  const int64_t rows = height < 0 ? -height : height;
  const uint32_t bpp = header == 12 ? le16(d + 24) : le16(d + 28);
  if (bpp > 8) return true;

  // Palette images: stb reads `entries` colours into a 256-entry array on its stack and
  // indexes it with each pixel, unchecked; an index past the colours read would copy
  // uninitialised stack bytes into the picture. The same count as stb's:
  const int64_t entries = header == 12 ? (int64_t(offset) - 14 - 24) / 3 : (int64_t(offset) - 14 - header) >> 2;
  if (entries < 1 || entries > 256) return fail(e, "BMP: palette of %lld colours (1..256)", static_cast<long long>(entries));
  const size_t row_bytes = (size_t(width) * bpp + 7) / 8, padded = (row_bytes + 3) & ~size_t(3);
  const unsigned mask = (1u << bpp) - 1;
  for (int64_t y = 0; y < rows; ++y) {
    const size_t start = size_t(offset) + size_t(y) * padded;
    for (int64_t x = 0; x < width; ++x) {
      const size_t bit = size_t(x) * bpp, at = start + bit / 8;
      if (at >= size) return true;  // stb reads zeros past the end: index 0, always read
      const unsigned index = (d[at] >> (8 - bpp - bit % 8)) & mask;
      if (index >= entries)
        return fail(e, "BMP: pixel (%lld, %lld) uses colour %u of a %lld-colour palette", static_cast<long long>(x),
                    static_cast<long long>(y), index, static_cast<long long>(entries));
    }
  }
  return true;
}

}  // namespace tinyq_cli
