// check_jpeg (image_checks.h): the marker-segment walk run before stb_image decodes a JPEG.
#include "image_checks.h"

#include "check_util.h"

namespace tinyq_cli {
namespace {

using namespace check_util;

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

}  // namespace tinyq_cli
