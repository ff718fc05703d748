// check_png and pad_png_palette (image_checks.h): the chunk walk run before stb_image
// decodes a PNG, and the palette padding.
#include "image_checks.h"

#include <cstring>

#include "check_util.h"

namespace tinyq_cli {

using namespace check_util;

bool check_png(const uint8_t* d, size_t size, int* width_out, int* height_out, PngPalette* palette, ImageError* e) {
  *palette = PngPalette{};
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (size < 8) return fail(e, "PNG: shorter than its signature");
  for (int i = 0; i < 8; ++i)
    if (d[i] != kSignature[i]) return fail(e, "PNG: bad signature");
  size_t pos = 8;
  bool have_idat = false;
  for (int index = 0;; ++index) {
    if (size - pos < 12) return fail(e, "PNG: the file ends at offset %zu without an IEND chunk", pos);
    const uint32_t length = be32(d + pos);
    const uint8_t* type = d + pos + 4;
    if (length > 0x7FFFFFFFu || length > size - pos - 12) {
      char name[12];  // the chunk type when it is 4 letters (as PNG requires), else its hex
      bool letters = true;
      for (int i = 0; i < 4; ++i) letters = letters && ((type[i] | 0x20) >= 'a' && (type[i] | 0x20) <= 'z');
      if (letters) std::snprintf(name, sizeof name, "'%c%c%c%c'", type[0], type[1], type[2], type[3]);
      else std::snprintf(name, sizeof name, "%02x%02x%02x%02x", type[0], type[1], type[2], type[3]);
      return fail(e, "PNG: chunk %s at offset %zu: length %u runs past the end of the file (%zu bytes)", name, pos,
                  length, size);
    }
    const uint8_t* body = d + pos + 8;
    const bool is_ihdr = type[0] == 'I' && type[1] == 'H' && type[2] == 'D' && type[3] == 'R';
    if (index == 0) {
      if (type[0] == 'C' && type[1] == 'g' && type[2] == 'B' && type[3] == 'I')
        return fail(e, "PNG: Apple CgBI PNG not supported");
      if (!is_ihdr) return fail(e, "PNG: first chunk is not IHDR");
      if (length != 13) return fail(e, "PNG: IHDR of %u bytes (13 expected)", length);
      const uint32_t width = be32(body), height = be32(body + 4);
      const int depth = body[8], color = body[9];
      if (width == 0 || height == 0 || width > 0x7FFFFFFFu || height > 0x7FFFFFFFu)
        return fail(e, "PNG: image size %ux%u", width, height);
      bool depth_ok = false;
      switch (color) {
        case 0: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16; break;
        case 3: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8; break;
        case 2: case 4: case 6: depth_ok = depth == 8 || depth == 16; break;
        default: return fail(e, "PNG: colour type %d", color);
      }
      if (!depth_ok) return fail(e, "PNG: bit depth %d with colour type %d", depth, color);
      if (body[10] != 0 || body[11] != 0) return fail(e, "PNG: compression %d / filter %d (0 expected)", body[10], body[11]);
      if (body[12] > 1) return fail(e, "PNG: interlace method %d", body[12]);
      palette->indexed = color == 3;
      *width_out = int(width);
      *height_out = int(height);
    } else if (is_ihdr) {
      return fail(e, "PNG: a second IHDR at offset %zu", pos);
    }
    if (type[0] == 'P' && type[1] == 'L' && type[2] == 'T' && type[3] == 'E') {
      if (palette->chunk_offset) return fail(e, "PNG: a second PLTE at offset %zu", pos);
      if (have_idat) return fail(e, "PNG: PLTE after the image data");
      if (length == 0 || length > 768 || length % 3 != 0) return fail(e, "PNG: PLTE of %u bytes", length);
      palette->chunk_offset = pos;
      palette->entries = length / 3;
    }
    if (type[0] == 'I' && type[1] == 'D' && type[2] == 'A' && type[3] == 'T') have_idat = true;
    if (type[0] == 'I' && type[1] == 'E' && type[2] == 'N' && type[3] == 'D') {
      if (!have_idat) return fail(e, "PNG: no IDAT chunk before IEND");
      return true;
    }
    pos += 12 + size_t(length);
  }
}

namespace {

uint32_t png_crc(const uint8_t* p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;  // CRC-32 (reflected polynomial 0xEDB88320), bit by bit
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

}  // namespace

void pad_png_palette(const uint8_t* d, size_t size, const PngPalette& palette, uint8_t* out) {
  const size_t at = palette.chunk_offset, old_end = at + 12 + 3 * size_t(palette.entries);
  std::memcpy(out, d, at);
  uint8_t* chunk = out + at;
  const uint32_t length = 768;
  const uint8_t head[8] = {0, 0, uint8_t(length >> 8), uint8_t(length & 0xFF), 'P', 'L', 'T', 'E'};
  std::memcpy(chunk, head, 8);
  std::memcpy(chunk + 8, d + at + 8, 3 * size_t(palette.entries));
  std::memset(chunk + 8 + 3 * size_t(palette.entries), 0, 768 - 3 * size_t(palette.entries));
  const uint32_t crc = png_crc(chunk + 4, 4 + 768);
  const uint8_t tail[4] = {uint8_t(crc >> 24), uint8_t(crc >> 16), uint8_t(crc >> 8), uint8_t(crc)};
  std::memcpy(chunk + 8 + 768, tail, 4);
  std::memcpy(chunk + 12 + 768, d + old_end, size - old_end);
}

}  // namespace tinyq_cli
