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
  // The source columns and weights of a destination column are the same on every row:
  // computed once per chunk of columns (a division each), then reused by all rows.
  constexpr int kChunk = 128;
  struct Column {
    int32_t off0, off1;  // byte offsets of the two source pixels in a row
    int32_t fx;          // Q16 weight of the second
  };
  for (int xc = 0; xc < dst_w; xc += kChunk) {
    const int xn = dst_w - xc < kChunk ? dst_w - xc : kChunk;
    int inside = 0;  // columns of the chunk inside the resized image (a prefix)
    Column col[kChunk];
    for (; inside < xn && x0 + xc + inside < resized_w; ++inside) {
      const int64_t sx = detail::source_coordinate_q16(x0 + xc + inside, src.width, resized_w);
      const int sx0 = static_cast<int>(sx >> 16);
      const int sx1 = sx0 + 1 < src.width ? sx0 + 1 : sx0;
      col[inside] = Column{sx0 * 3, sx1 * 3, static_cast<int32_t>(sx & 0xFFFF)};
    }
    for (int y = 0; y < dst_h; ++y) {
      uint8_t* out_row = dst + (int64_t(y) * dst_w + xc) * 3;
      const int ry = y0 + y;  // row of the resized image
      if (ry >= resized_h) {
        for (int i = 0; i < xn * 3; ++i) out_row[i] = pad_value;
        continue;
      }
      const int64_t sy = detail::source_coordinate_q16(ry, src.height, resized_h);
      const int sy0 = static_cast<int>(sy >> 16);
      const int sy1 = sy0 + 1 < src.height ? sy0 + 1 : sy0;
      const int64_t fy = sy & 0xFFFF;
      const uint8_t* row0 = src.data + int64_t(sy0) * src.row_stride;
      const uint8_t* row1 = src.data + int64_t(sy1) * src.row_stride;
      for (int x = 0; x < inside; ++x) {
        const Column& k = col[x];
        const int32_t fx = k.fx;
        for (int c = 0; c < 3; ++c) {
          // (p00 (1 - fx) + p01 fx) (1 - fy) + (p10 (1 - fx) + p11 fx) fy in Q32: the four
          // weights sum to 2^32, each row sum is < 2^24, the total < 2^40; exact
          const int64_t top = int64_t(row0[k.off0 + c]) * (65536 - fx) + int64_t(row0[k.off1 + c]) * fx;
          const int64_t bottom = int64_t(row1[k.off0 + c]) * (65536 - fx) + int64_t(row1[k.off1 + c]) * fx;
          const int64_t v = top * (65536 - fy) + bottom * fy;
          out_row[x * 3 + c] = static_cast<uint8_t>((v + (int64_t(1) << 31)) >> 32);  // <= 255: a convex combination
        }
      }
      for (int i = inside * 3; i < xn * 3; ++i) out_row[i] = pad_value;  // past the resized image's width
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
