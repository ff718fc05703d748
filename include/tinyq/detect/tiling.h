// Tiling one inference scale: the network input of a scale is the image resized to
// round(s W) x round(s H) (NetworkInput). When that is larger than `max_tile_side` on an
// axis, the axis is cut into n overlapping tiles of one common length L, so the arena a
// detection needs is bounded by the tile, never by the photo (a 4032x3024 photo at 2x is
// an 8064x6048 network input; at most 2048x2048 per tile by default).
//
// Per tiled axis of resized length R, with the largest allowed tile T and the overlap O
// (both multiples of the head stride, O <= T / 2):
//   n     = ceil((R - O) / (T - O))            fewest tiles whose overlaps are >= O
//   L     = ceil_stride(ceil((R + (n - 1) O) / n))      <= T, and L <= R
//   o_k   = floor(k (R - L) / (n - 1)),  k = 0 .. n - 1   (o_0 = 0, o_{n-1} = R - L)
// Neighbours then share L - (o_{k+1} - o_k) >= O pixels, since n L >= R + (n - 1) O. A face
// no larger than O at this scale lies wholly inside at least one tile; the duplicates the
// overlap creates are removed by the one NMS over all tiles and scales. Each tile sees
// image content up to its own borders (no padding inside the photo), and an untiled axis
// is exactly the untiled network input, so images that need no tiling are unchanged.
#pragma once
#include <stdint.h>

namespace tinyq {

// The network input for one scale: the image resized to round(scale * size) per axis,
// then padded (bottom/right) up to a multiple of the head stride, and to at least 32.
struct NetworkInput {
  int resized_w, resized_h;  // the resized image
  int net_w, net_h;          // the padded network input
};
inline NetworkInput network_input(int image_w, int image_h, int32_t scale_q8, int stride) {
  auto scaled = [&](int size) {
    const int64_t v = (int64_t(size) * scale_q8 + 128) >> 8;
    return v < 1 ? 1 : static_cast<int>(v);
  };
  auto padded = [&](int v) {
    const int r = (v + stride - 1) / stride * stride;
    return r < 32 ? 32 : r;
  };
  const int rw = scaled(image_w), rh = scaled(image_h);
  return NetworkInput{rw, rh, padded(rw), padded(rh)};
}

// One axis of a tile grid.
struct TileAxis {
  int tiles;   // n >= 1
  int length;  // L: network input length of every tile (a multiple of the stride, >= 32)
  int resized; // R: the resized image length
  // Origin of tile k in the resized image.
  int origin(int k) const { return tiles == 1 ? 0 : static_cast<int>(int64_t(k) * (resized - length) / (tiles - 1)); }
};

// `padded` is NetworkInput's padded length of `resized`; max_tile and overlap are
// multiples of the stride with 2 overlap <= max_tile.
inline TileAxis tile_axis(int resized, int padded, int max_tile, int overlap, int stride) {
  if (padded <= max_tile) return TileAxis{1, padded, resized};
  const int n = (resized - overlap + (max_tile - overlap) - 1) / (max_tile - overlap);
  const int64_t covered = int64_t(resized) + int64_t(n - 1) * overlap;
  const int per_tile = static_cast<int>((covered + n - 1) / n);
  const int length = (per_tile + stride - 1) / stride * stride;
  return TileAxis{n, length, resized};
}

// All tiles of one scale.
struct TileGrid {
  int32_t scale_q8;
  NetworkInput input;  // the untiled network input of this scale
  int overlap;         // resized pixels neighbouring tiles share (on tiled axes)
  TileAxis x, y;
  int count() const { return x.tiles * y.tiles; }
  bool tiled() const { return count() > 1; }
};

inline TileGrid tile_grid(int image_w, int image_h, int32_t scale_q8, int stride, int max_tile_side, int overlap) {
  TileGrid g{};
  g.scale_q8 = scale_q8;
  g.input = network_input(image_w, image_h, scale_q8, stride);
  const int max_tile = max_tile_side / stride * stride;
  int o = (overlap + stride - 1) / stride * stride;
  if (o < stride) o = stride;
  if (2 * o > max_tile) o = max_tile / 2 / stride * stride;
  g.overlap = o;
  g.x = tile_axis(g.input.resized_w, g.input.net_w, max_tile, o, stride);
  g.y = tile_axis(g.input.resized_h, g.input.net_h, max_tile, o, stride);
  return g;
}

}  // namespace tinyq
