// Tiling (detect/tiling.h): the grid covers the resized image with overlaps >= the stated
// overlap, uses the fewest tiles, never exceeds the tile limit, leaves untiled inputs
// unchanged; a tile's resize window equals the same crop of the whole resized image.
#include <catch2/catch.hpp>
#include <algorithm>
#include <vector>

#include "common/rng.h"
#include "tinyq/detect/resize.h"
#include "tinyq/detect/tiling.h"

using namespace tinyq;

TEST_CASE("tile axes cover the image with the stated overlap and the fewest tiles", "[detect][tiling]") {
  tinyq_test::Rng rng(41);
  const int stride = 16;
  for (int n = 0; n < 20000; ++n) {
    const int resized = int(rng.uniform(1, 70000));
    const int max_tile = int(rng.uniform(4, 256)) * stride;                   // 64 .. 4096
    const int overlap = int(rng.uniform(1, max_tile / stride / 2)) * stride;  // <= max_tile / 2
    const int padded = std::max(32, (resized + stride - 1) / stride * stride);
    const TileAxis a = tile_axis(resized, padded, max_tile, overlap, stride);
    INFO("R " << resized << " T " << max_tile << " O " << overlap << " -> n " << a.tiles << " L " << a.length);
    REQUIRE(a.tiles >= 1);
    REQUIRE(a.length % stride == 0);
    REQUIRE(a.length >= 32);
    if (padded <= max_tile) {  // untiled: exactly the padded network input
      REQUIRE(a.tiles == 1);
      REQUIRE(a.length == padded);
      continue;
    }
    REQUIRE(a.tiles >= 2);
    REQUIRE(a.length <= max_tile);
    REQUIRE(a.length <= resized);  // tiles lie inside the photo: no padding mid-image
    REQUIRE(a.origin(0) == 0);
    REQUIRE(a.origin(a.tiles - 1) + a.length == resized);
    for (int k = 0; k + 1 < a.tiles; ++k) {
      REQUIRE(a.origin(k + 1) > a.origin(k));
      REQUIRE(a.origin(k) + a.length - a.origin(k + 1) >= overlap);  // shared pixels
    }
    // Fewest tiles: n - 1 tiles of the largest size could not keep the overlap.
    REQUIRE(int64_t(a.tiles - 1) * (max_tile - overlap) + overlap < resized);
  }
}

TEST_CASE("tile_grid leaves inputs within the limit untiled and caps the overlap", "[detect][tiling]") {
  const TileGrid small = tile_grid(640, 480, 512, 16, 2048, 120);  // 2x: 1280x960 network input
  CHECK_FALSE(small.tiled());
  CHECK(small.x.length == 1280);
  CHECK(small.y.length == 960);
  const TileGrid phone = tile_grid(4032, 3024, 512, 16, 2048, 120);  // 8064x6048
  CHECK(phone.tiled());
  CHECK(phone.overlap == 128);
  CHECK(phone.x.length <= 2048);
  CHECK(phone.y.length <= 2048);
  CHECK(phone.x.tiles * (phone.x.length - phone.overlap) + phone.overlap >= 8064);
  const TileGrid capped = tile_grid(8192, 100, 256, 16, 64, 1000);  // overlap > limit / 2
  CHECK(capped.overlap == 32);
  CHECK(capped.x.length <= 64);
}

TEST_CASE("a tile's resize window is the same crop of the whole resized image", "[detect][tiling][resize]") {
  tinyq_test::Rng rng(42);
  const int sw = 97, sh = 61, rw = 150, rh = 113;
  std::vector<uint8_t> src(size_t(sw) * sh * 3);
  for (auto& v : src) v = uint8_t(rng.uniform(0, 255));
  const ImageView view{src.data(), sw, sh, sw * 3};
  std::vector<uint8_t> whole(size_t(rw) * rh * 3);
  resize_bilinear_rgb(view, rw, rh, whole.data(), rw, rh, 0);
  for (int n = 0; n < 50; ++n) {
    const int x0 = int(rng.uniform(0, rw + 10)), y0 = int(rng.uniform(0, rh + 10));
    const int tw = int(rng.uniform(1, 80)), th = int(rng.uniform(1, 80));
    std::vector<uint8_t> tile(size_t(tw) * th * 3);
    resize_bilinear_rgb_window(view, rw, rh, x0, y0, tile.data(), tw, th, 77);
    for (int y = 0; y < th; ++y)
      for (int x = 0; x < tw; ++x)
        for (int c = 0; c < 3; ++c) {
          const bool inside = x0 + x < rw && y0 + y < rh;
          const uint8_t want = inside ? whole[(size_t(y0 + y) * rw + x0 + x) * 3 + c] : 77;
          REQUIRE(tile[(size_t(y) * tw + x) * 3 + c] == want);
        }
  }
}
