// resize_normalise_rgb against a double-precision model of the same sampling
// (half-pixel centres, clamped edges) and normalisation.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "common/rng.h"
#include "tinyq/detect/resize.h"

using namespace tinyq;

namespace {

double reference_sample(const std::vector<uint8_t>& img, int w, int h, double sx, double sy, int c) {
  sx = std::min(std::max(sx, 0.0), double(w - 1));
  sy = std::min(std::max(sy, 0.0), double(h - 1));
  const int x0 = int(sx), y0 = int(sy);
  const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
  const double fx = sx - x0, fy = sy - y0;
  auto p = [&](int x, int y) { return double(img[(size_t(y) * w + x) * 3 + c]); };
  return p(x0, y0) * (1 - fx) * (1 - fy) + p(x1, y0) * fx * (1 - fy) + p(x0, y1) * (1 - fx) * fy + p(x1, y1) * fx * fy;
}

}  // namespace

TEST_CASE("resize_bilinear_rgb rounds the real-valued resize to the nearest level", "[detect][resize]") {
  tinyq_test::Rng rng(7);
  const int sizes[][4] = {{17, 13, 34, 26}, {40, 30, 20, 15}, {64, 48, 64, 48}, {31, 7, 10, 23}, {1, 1, 5, 3}};
  for (const auto& s : sizes) {
    const int sw = s[0], sh = s[1], dw = s[2], dh = s[3];
    std::vector<uint8_t> img(size_t(sw) * sh * 3);
    for (auto& v : img) v = uint8_t(rng.uniform(0, 255));
    const int pad_w = dw + 3, pad_h = dh + 2;  // padded buffer, as the detector rounds up to the stride
    std::vector<uint8_t> out(size_t(pad_w) * pad_h * 3, 99);
    resize_bilinear_rgb(ImageView{img.data(), sw, sh, sw * 3}, dw, dh, out.data(), pad_w, pad_h, 128);
    for (int y = 0; y < pad_h; ++y) {
      for (int x = 0; x < pad_w; ++x) {
        for (int c = 0; c < 3; ++c) {
          const int got = out[(size_t(y) * pad_w + x) * 3 + c];
          if (x >= dw || y >= dh) {
            REQUIRE(got == 128);
            continue;
          }
          const double sx = (x + 0.5) * sw / dw - 0.5, sy = (y + 0.5) * sh / dh - 0.5;
          // Q16 coordinates differ from the real ones by < 2^-16 px: allow that much slack.
          REQUIRE(std::fabs(got - reference_sample(img, sw, sh, sx, sy, c)) <= 0.5 + 0.01);
        }
      }
    }
  }
}

TEST_CASE("resize to the same size is the identity", "[detect][resize]") {
  tinyq_test::Rng rng(8);
  std::vector<uint8_t> img(12 * 9 * 3);
  for (auto& v : img) v = uint8_t(rng.uniform(0, 255));
  std::vector<uint8_t> out(img.size());
  resize_bilinear_rgb(ImageView{img.data(), 12, 9, 36}, 12, 9, out.data(), 12, 9, 0);
  REQUIRE(out == img);
}

// The per-pixel definition (the Q16 coordinate, the four Q32 weights, one rounding), written
// out once here: the resize must equal it exactly, for windows wider than its column chunks,
// windows starting inside the image and windows reaching past the resized image.
TEST_CASE("resize windows equal the per-pixel Q16 x Q16 formula bit for bit", "[detect][resize]") {
  tinyq_test::Rng rng(9);
  const int cases[][6] = {// src w, h, resized w, h, window x0, y0
                          {300, 200, 410, 260, 0, 0},   {640, 480, 333, 250, 129, 17},
                          {90, 70, 500, 390, 260, 300}, {1000, 20, 257, 9, 200, 3}};
  for (const auto& k : cases) {
    const int sw = k[0], sh = k[1], rw = k[2], rh = k[3], x0 = k[4], y0 = k[5];
    const int dw = 300, dh = 40;  // the window (may reach past the resized image: pad value there)
    std::vector<uint8_t> img(size_t(sw) * sh * 3);
    for (auto& v : img) v = uint8_t(rng.uniform(0, 255));
    std::vector<uint8_t> out(size_t(dw) * dh * 3, 1);
    resize_bilinear_rgb_window(ImageView{img.data(), sw, sh, sw * 3}, rw, rh, x0, y0, out.data(), dw, dh, 77);
    int mismatches = 0;
    for (int y = 0; y < dh; ++y)
      for (int x = 0; x < dw; ++x)
        for (int c = 0; c < 3; ++c) {
          int want = 77;
          if (x0 + x < rw && y0 + y < rh) {
            const int64_t sx = detail::source_coordinate_q16(x0 + x, sw, rw), sy = detail::source_coordinate_q16(y0 + y, sh, rh);
            const int ix0 = int(sx >> 16), iy0 = int(sy >> 16);
            const int ix1 = std::min(ix0 + 1, sw - 1), iy1 = std::min(iy0 + 1, sh - 1);
            const int64_t fx = sx & 0xFFFF, fy = sy & 0xFFFF;
            auto p = [&](int px, int py) { return int64_t(img[(size_t(py) * sw + px) * 3 + c]); };
            const int64_t v = p(ix0, iy0) * (65536 - fx) * (65536 - fy) + p(ix1, iy0) * fx * (65536 - fy) +
                              p(ix0, iy1) * (65536 - fx) * fy + p(ix1, iy1) * fx * fy;
            want = int((v + (int64_t(1) << 31)) >> 32);
          }
          mismatches += out[(size_t(y) * dw + x) * 3 + c] != want;
        }
    REQUIRE(mismatches == 0);
  }
}
