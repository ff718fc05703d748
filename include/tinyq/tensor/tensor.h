// Tensor views: NHWC, batch 1, dense, no ownership. Padding modes and output sizes
// of the 3x3 convolutions.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tinyq {

// tf_same:   TensorFlow "SAME": pad_total = max((out - 1) * stride + 3 - in, 0),
//            pad_before = pad_total / 2, the extra row/column (if any) at the bottom/right.
// symmetric: one row/column of zeros on every side (what the K210's KPU does).
// Both give out = ceil(in / stride) for a 3x3 kernel; they differ (only) for stride 2 on
// even sizes, where SAME pads 0 before and 1 after, symmetric 1 and 1.
enum class Padding : uint8_t { tf_same, symmetric };

template <typename T>
struct Tensor {
  T* data;
  int height;
  int width;
  int channels;

  constexpr size_t size() const { return static_cast<size_t>(height) * static_cast<size_t>(width) * static_cast<size_t>(channels); }
  constexpr T* pixel(int y, int x) const {
    return data + (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * static_cast<size_t>(channels);
  }
  constexpr T* row(int y) const { return pixel(y, 0); }
  // Tensor<T> -> Tensor<const T>
  constexpr operator Tensor<const T>() const { return Tensor<const T>{data, height, width, channels}; }
};

template <typename T>
constexpr Tensor<T> make_tensor(T* data, int height, int width, int channels) {
  return Tensor<T>{data, height, width, channels};
}

// Output size of a 3x3 convolution with either padding mode.
constexpr int conv_output_size(int in, int stride) { return (in + stride - 1) / stride; }

// Zeros before the first input row/column (top/left) for a 3x3 kernel.
constexpr int padding_before(int in, int stride, Padding pad) {
  if (pad == Padding::symmetric) return 1;
  const int total = (conv_output_size(in, stride) - 1) * stride + 3 - in;
  return total > 0 ? total / 2 : 0;
}

}  // namespace tinyq
