// Drawing boxes and small score labels into an RGB888 image for the CLI's
// annotated output (host only). Text uses stb_easy_font's quads, filled here.
#pragma once
#include <stb/stb_easy_font.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace tinyq_cli {

struct Rgb { uint8_t r, g, b; };

inline void fill_rect(uint8_t* img, int w, int h, int x0, int y0, int x1, int y1, Rgb c) {
  x0 = std::max(x0, 0); y0 = std::max(y0, 0); x1 = std::min(x1, w); y1 = std::min(y1, h);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      uint8_t* p = img + (size_t(y) * w + x) * 3;
      p[0] = c.r; p[1] = c.g; p[2] = c.b;
    }
}

// Box outline of `thickness` pixels, inside [x0, x1) x [y0, y1).
inline void draw_box(uint8_t* img, int w, int h, int x0, int y0, int x1, int y1, int thickness, Rgb c) {
  fill_rect(img, w, h, x0, y0, x1, y0 + thickness, c);
  fill_rect(img, w, h, x0, y1 - thickness, x1, y1, c);
  fill_rect(img, w, h, x0, y0, x0 + thickness, y1, c);
  fill_rect(img, w, h, x1 - thickness, y0, x1, y1, c);
}

// Text at (x, y) scaled by `scale` (stb_easy_font glyphs are ~7 px tall), on a dark backdrop.
inline void draw_label(uint8_t* img, int w, int h, int x, int y, const char* text, int scale, Rgb c) {
  std::vector<char> buffer(16384);
  const int quads = stb_easy_font_print(0, 0, const_cast<char*>(text), nullptr, buffer.data(), int(buffer.size()));
  const int text_w = stb_easy_font_width(const_cast<char*>(text)) * scale;
  fill_rect(img, w, h, x, y, x + text_w + 2 * scale, y + 9 * scale, Rgb{0, 0, 0});
  const float* v = reinterpret_cast<const float*>(buffer.data());  // 4 vertices x (x, y, z, colour) per quad
  for (int q = 0; q < quads; ++q) {
    const float* quad = v + q * 16;
    const int qx0 = int(quad[0]), qy0 = int(quad[1]), qx1 = int(quad[8]), qy1 = int(quad[9]);
    fill_rect(img, w, h, x + scale + qx0 * scale, y + scale + qy0 * scale, x + scale + qx1 * scale,
              y + scale + qy1 * scale, c);
  }
}

}  // namespace tinyq_cli
