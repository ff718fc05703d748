#include "image_checks.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace tinyq_cli {
namespace {

bool fail(ImageError* error, const char* format, ...) __attribute__((format(printf, 2, 3)));
bool fail(ImageError* error, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(error->text, sizeof error->text, format, args);
  va_end(args);
  return false;
}

uint32_t be16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint32_t le16(const uint8_t* p) { return uint32_t(p[1]) << 8 | p[0]; }
uint32_t le32(const uint8_t* p) { return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]; }

// ---- JPEG -----------------------------------------------------------------------------

struct JpegState {
  bool have_frame = false;
  bool progressive = false;
  int components = 0;
  int component_id[4] = {};
  int quant_id[4] = {};
  bool quant_defined[4] = {};
  bool huffman_defined[2][4] = {};  // [0] DC, [1] AC
  int scans = 0;
  int width = 0, height = 0;
  bool scanned[4] = {};   // component in some scan (progressive: in a first DC pass)
};

// Every frame component was decoded by some scan (progressive: by its first DC pass, which
// clears all its coefficients): stb never writes the pixels of a component no scan covers.
bool jpeg_all_components_scanned(const JpegState& st, ImageError* e) {
  for (int c = 0; c < st.components; ++c)
    if (!st.scanned[c])
      return fail(e, "JPEG: component %d is in no %s", st.component_id[c], st.progressive ? "first DC scan" : "scan");
  return true;
}

bool jpeg_frame(const uint8_t* s, size_t n, int marker, size_t at, JpegState* st, ImageError* e) {
  if (st->have_frame) return fail(e, "JPEG: a second frame header (SOF) at offset %zu", at);
  if (n < 6) return fail(e, "JPEG: frame header (SOF) of %zu bytes is too short", n);
  if (s[0] != 8) return fail(e, "JPEG: %d-bit samples not supported (8-bit only)", s[0]);
  const uint32_t height = be16(s + 1), width = be16(s + 3);
  if (height == 0) return fail(e, "JPEG: height 0 (defined later by DNL) not supported");
  if (width == 0) return fail(e, "JPEG: width 0");
  const int nc = s[5];
  if (nc != 1 && nc != 3 && nc != 4) return fail(e, "JPEG: %d components (1, 3 or 4 supported)", nc);
  if (n != size_t(6 + 3 * nc)) return fail(e, "JPEG: frame header of %zu bytes for %d components", n, nc);
  int h_max = 1, v_max = 1;
  for (int i = 0; i < nc; ++i) {
    const uint8_t* c = s + 6 + 3 * i;
    const int h = c[1] >> 4, v = c[1] & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) return fail(e, "JPEG: component %d sampling %dx%d (1..4 each)", i, h, v);
    if (c[2] > 3) return fail(e, "JPEG: component %d uses quantisation table %d (0..3)", i, c[2]);
    for (int j = 0; j < i; ++j)
      if (st->component_id[j] == c[0]) return fail(e, "JPEG: component id %d appears twice", c[0]);
    st->component_id[i] = c[0];
    st->quant_id[i] = c[2];
    h_max = h > h_max ? h : h_max;
    v_max = v > v_max ? v : v_max;
  }
  for (int i = 0; i < nc; ++i) {
    const uint8_t* c = s + 6 + 3 * i;
    if (h_max % (c[1] >> 4) != 0 || v_max % (c[1] & 15) != 0)
      return fail(e, "JPEG: component %d sampling is not an integer fraction of the largest", i);
  }
  st->have_frame = true;
  st->width = int(width);
  st->height = int(height);
  st->progressive = marker == 0xC2;
  st->components = nc;
  return true;
}

bool jpeg_huffman(const uint8_t* s, size_t n, JpegState* st, ImageError* e) {
  size_t off = 0;
  while (off < n) {
    if (n - off < 17) return fail(e, "JPEG: Huffman table (DHT) header cut short");
    const int table_class = s[off] >> 4, id = s[off] & 15;
    if (table_class > 1 || id > 3) return fail(e, "JPEG: Huffman table class %d id %d (class 0..1, id 0..3)", table_class, id);
    size_t codes = 0;
    for (int i = 1; i <= 16; ++i) codes += s[off + size_t(i)];
    // stb writes one code length per code into a 257-entry array: more than 256 codes
    // is the out-of-bounds write this check exists for.
    if (codes > 256) return fail(e, "JPEG: Huffman table %s%d defines %zu codes (at most 256)", table_class ? "AC" : "DC", id, codes);
    if (n - off - 17 < codes) return fail(e, "JPEG: Huffman table %s%d values run past its segment", table_class ? "AC" : "DC", id);
    st->huffman_defined[table_class][id] = true;
    off += 17 + codes;
  }
  return true;
}

bool jpeg_quant(const uint8_t* s, size_t n, JpegState* st, ImageError* e) {
  size_t off = 0;
  while (off < n) {
    const int precision = s[off] >> 4, id = s[off] & 15;
    if (precision > 1 || id > 3) return fail(e, "JPEG: quantisation table precision %d id %d (0..1, 0..3)", precision, id);
    const size_t bytes = 1 + 64 * size_t(precision + 1);
    if (n - off < bytes) return fail(e, "JPEG: quantisation table %d runs past its segment", id);
    st->quant_defined[id] = true;
    off += bytes;
  }
  return true;
}

bool jpeg_scan(const uint8_t* s, size_t n, size_t at, JpegState* st, ImageError* e) {
  if (!st->have_frame) return fail(e, "JPEG: scan (SOS) at offset %zu before the frame header", at);
  if (n < 1) return fail(e, "JPEG: empty scan header");
  const int ns = s[0];
  if (ns < 1 || ns > st->components) return fail(e, "JPEG: scan of %d components in a %d-component frame", ns, st->components);
  if (n != size_t(4 + 2 * ns)) return fail(e, "JPEG: scan header of %zu bytes for %d components", n, ns);
  const int ss = s[1 + 2 * ns], se = s[2 + 2 * ns], ah = s[3 + 2 * ns] >> 4;
  // Which tables the entropy decoder will read: baseline scans use both; a progressive
  // DC scan (Ss = 0) uses the DC table on its first pass only; AC scans use the AC table.
  const bool uses_dc = !st->progressive || (ss == 0 && ah == 0);
  const bool uses_ac = !st->progressive || ss > 0;
  (void)se;
  bool in_scan[4] = {};
  for (int i = 0; i < ns; ++i) {
    const int id = s[1 + 2 * i], dc = s[2 + 2 * i] >> 4, ac = s[2 + 2 * i] & 15;
    int which = -1;
    for (int c = 0; c < st->components; ++c)
      if (st->component_id[c] == id) which = c;
    if (which < 0) return fail(e, "JPEG: scan names component id %d, not in the frame", id);
    if (in_scan[which]) return fail(e, "JPEG: scan names component id %d twice", id);
    in_scan[which] = true;
    // Progressive: a component's first DC pass comes before its other scans (ITU T.81
    // G.1.1.1.1); stb refines coefficients in place, and only that pass initialises them.
    if (st->progressive && !(ss == 0 && ah == 0) && !st->scanned[which])
      return fail(e, "JPEG: scan at offset %zu refines component %d before its first DC scan", at, id);
    if (!st->progressive || (ss == 0 && ah == 0)) st->scanned[which] = true;
    if (dc > 3 || ac > 3) return fail(e, "JPEG: scan component %d uses Huffman tables DC%d/AC%d (ids 0..3)", id, dc, ac);
    if (uses_dc && !st->huffman_defined[0][dc])
      return fail(e, "JPEG: scan at offset %zu uses Huffman table DC%d, never defined before it", at, dc);
    if (uses_ac && !st->huffman_defined[1][ac])
      return fail(e, "JPEG: scan at offset %zu uses Huffman table AC%d, never defined before it", at, ac);
    if (!st->quant_defined[st->quant_id[which]])
      return fail(e, "JPEG: component %d uses quantisation table %d, never defined before its scan", id, st->quant_id[which]);
  }
  ++st->scans;
  return true;
}

// First byte after a scan's entropy-coded data: the 0xFF of the next marker, or size.
// Inside the data 0xFF is followed by 0x00 (a stuffed byte), RST0..7, or more 0xFF (fill),
// which is also where stb's bit reader stops (stbi__grow_buffer_unsafe).
size_t skip_entropy_data(const uint8_t* d, size_t size, size_t i) {
  while (i < size) {
    if (d[i] != 0xFF) {
      ++i;
      continue;
    }
    if (i + 1 >= size) return size;
    const uint8_t next = d[i + 1];
    if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
      i += 2;
    } else if (next == 0xFF) {
      i += 1;
    } else {
      return i;
    }
  }
  return size;
}

}  // namespace

bool check_jpeg(const uint8_t* d, size_t size, int* width, int* height, ImageError* e) {
  if (size < 4 || d[0] != 0xFF || d[1] != 0xD8) return fail(e, "JPEG: no start-of-image marker");
  JpegState st;
  size_t pos = 2;
  for (;;) {
    if (pos >= size) {
      // Cut short after a scan: stb decodes what is there (zeros for the rest).
      if (st.scans == 0) return fail(e, "JPEG: the file ends before any image data (%zu bytes)", size);
      if (!jpeg_all_components_scanned(st, e)) return false;
      *width = st.width;
      *height = st.height;
      return true;
    }
    if (d[pos] != 0xFF) return fail(e, "JPEG: expected a marker at offset %zu, found 0x%02X", pos, d[pos]);
    while (pos < size && d[pos] == 0xFF) ++pos;  // 0xFF fill bytes before a marker
    if (pos >= size) continue;
    const int marker = d[pos];
    const size_t at = pos - 1;
    ++pos;
    if (marker == 0xD9) {  // EOI
      if (st.scans == 0) return fail(e, "JPEG: end of image before any scan");
      if (!jpeg_all_components_scanned(st, e)) return false;
      *width = st.width;
      *height = st.height;
      return true;
    }
    if (marker == 0x00 || marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7))
      return fail(e, "JPEG: unexpected marker 0x%02X at offset %zu", marker, at);
    if (size - pos < 2) return fail(e, "JPEG: segment 0x%02X at offset %zu cut short", marker, at);
    const size_t length = be16(d + pos);
    if (length < 2) return fail(e, "JPEG: segment 0x%02X at offset %zu has length %zu", marker, at, length);
    if (length > size - pos)
      return fail(e, "JPEG: segment 0x%02X at offset %zu: length %zu runs past the end of the file (%zu bytes)", marker,
                  at, length, size);
    const uint8_t* seg = d + pos + 2;
    const size_t n = length - 2;
    bool ok = true;
    switch (marker) {
      case 0xC0:
      case 0xC1:
      case 0xC2:
        ok = jpeg_frame(seg, n, marker, at, &st, e);
        break;
      case 0xC4:
        ok = jpeg_huffman(seg, n, &st, e);
        break;
      case 0xDB:
        ok = jpeg_quant(seg, n, &st, e);
        break;
      case 0xDD:
        if (n != 2) ok = fail(e, "JPEG: restart interval segment of %zu bytes", n);
        break;
      case 0xDA:
        ok = jpeg_scan(seg, n, at, &st, e);
        break;
      case 0xDC:
        if (n != 2) ok = fail(e, "JPEG: DNL segment of %zu bytes", n);
        break;
      default:
        if ((marker >= 0xE0 && marker <= 0xEF) || marker == 0xFE) break;  // APPn, COM: skipped
        if (marker >= 0xC3 && marker <= 0xCF)
          return fail(e, "JPEG: coding process 0x%02X (lossless, hierarchical or arithmetic) not supported", marker);
        return fail(e, "JPEG: unsupported marker 0x%02X at offset %zu", marker, at);
    }
    if (!ok) return false;
    pos += length;
    if (marker == 0xDA) pos = skip_entropy_data(d, size, pos);
  }
}

// ---- PNG ------------------------------------------------------------------------------

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

uint32_t png_crc(const uint8_t* p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;  // CRC-32 (reflected polynomial 0xEDB88320), bit by bit
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

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

// ---- BMP ------------------------------------------------------------------------------

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
