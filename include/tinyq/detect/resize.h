// Integer bilinear resize of an RGB888 image into the network's input buffer.
//
// Sampling follows half-pixel centres (TF2 tf.image.resize, OpenCV INTER_LINEAR):
// destination pixel x looks at source coordinate sx = (x + 0.5) * src_w / dst_w - 0.5,
// clamped to [0, src_w - 1], kept in Q16. The interpolated value is exact in Q32
// (four 8-bit pixels times Q16 x Q16 weights) and rounded once, half up, to 8 bits.
// Like tf.image.resize without antialias, downscaling samples; it does not average.
//
// The destination may be larger than the resized image (the detector rounds the
// network input up to a multiple of the head stride): the extra columns/rows get
// `pad_value` (the model's input offset, i.e. a normalised 0, as the Python tools pad).
#pragma once
#include <stdint.h>

#include "image.h"

namespace tinyq {

namespace detail {
// Q16 source coordinate of destination index i (half-pixel centres), clamped.
inline int64_t source_coordinate_q16(int i, int src_size, int dst_size) {
  const int64_t s = ((2 * int64_t(i) + 1) * src_size * 65536) / (2 * int64_t(dst_size)) - 32768;
  const int64_t max = int64_t(src_size - 1) * 65536;
  return s < 0 ? 0 : (s > max ? max : s);
}
}  // namespace detail

// Writes the window [x0, x0 + dst_w) x [y0, y0 + dst_h) of `src` resized to
// resized_w x resized_h into `dst` (dst_w x dst_h RGB888, dense): a tile of the resized
// image (detect/tiling.h). Window pixels past the resized image get pad_value.
// Preconditions (checked by the caller): all sizes >= 1, 0 <= x0, 0 <= y0.
inline void resize_bilinear_rgb_window(const ImageView& src, int resized_w, int resized_h, int x0, int y0, uint8_t* dst,
                                       int dst_w, int dst_h, uint8_t pad_value) {
  for (int y = 0; y < dst_h; ++y) {
    uint8_t* out_row = dst + int64_t(y) * dst_w * 3;
    const int ry = y0 + y;  // row of the resized image
    if (ry >= resized_h) {
      for (int i = 0; i < dst_w * 3; ++i) out_row[i] = pad_value;
      continue;
    }
    const int64_t sy = detail::source_coordinate_q16(ry, src.height, resized_h);
    const int sy0 = static_cast<int>(sy >> 16);
    const int sy1 = sy0 + 1 < src.height ? sy0 + 1 : sy0;
    const int64_t fy = sy & 0xFFFF;
    const uint8_t* row0 = src.data + int64_t(sy0) * src.row_stride;
    const uint8_t* row1 = src.data + int64_t(sy1) * src.row_stride;
    for (int x = 0; x < dst_w; ++x) {
      uint8_t* out = out_row + x * 3;
      const int rx = x0 + x;  // column of the resized image
      if (rx >= resized_w) {
        out[0] = out[1] = out[2] = pad_value;
        continue;
      }
      const int64_t sx = detail::source_coordinate_q16(rx, src.width, resized_w);
      const int sx0 = static_cast<int>(sx >> 16);
      const int sx1 = sx0 + 1 < src.width ? sx0 + 1 : sx0;
      const int64_t fx = sx & 0xFFFF;
      const int64_t w00 = (65536 - fx) * (65536 - fy), w01 = fx * (65536 - fy);
      const int64_t w10 = (65536 - fx) * fy, w11 = fx * fy;  // the four weights sum to 2^32
      for (int c = 0; c < 3; ++c) {
        const int64_t v = row0[sx0 * 3 + c] * w00 + row0[sx1 * 3 + c] * w01 + row1[sx0 * 3 + c] * w10 +
                          row1[sx1 * 3 + c] * w11;
        out[c] = static_cast<uint8_t>((v + (int64_t(1) << 31)) >> 32);  // <= 255: a convex combination
      }
    }
  }
}

// Resizes `src` to resized_w x resized_h into the top-left corner of `dst`
// (dst_w x dst_h RGB888, dense), padding the rest with pad_value.
// Preconditions (checked by the caller): all sizes >= 1, resized_* <= dst_*.
inline void resize_bilinear_rgb(const ImageView& src, int resized_w, int resized_h, uint8_t* dst, int dst_w, int dst_h,
                                uint8_t pad_value) {
  resize_bilinear_rgb_window(src, resized_w, resized_h, 0, 0, dst, dst_w, dst_h, pad_value);
}

}  // namespace tinyq
