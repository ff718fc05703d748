// Quantization parameters of a convolution and the one requantization step every
// kernel (reference and optimized) ends with.
//
// Formats are powers of two: a raw value r with f fractional bits means r / 2^f.
//   acc     = sum_k x_k * w_k                          (input_frac + weight_frac fractional bits, exact)
//   bias'   = align_bias(bias, bias_frac, acc_frac)    (exact left shift, or the rounding rule;
//                                                       saturated to 48 bits so acc + bias' never overflows)
//   out     = saturate<TA>(rounding_shift_right(acc + bias', acc_frac - output_frac))
//             (a left shift, saturating, when output_frac > acc_frac)
//   relu6   : out = clamp(out, 0, min(6 * 2^output_frac, max of TA))
// The reference kernels accumulate in int64: |acc| <= K * max|w| * max|x| <= K * 2^30 for
// 16-bit data, so int64 is exact for any K < 2^33. Optimized kernels accumulate in int32
// only where accumulator_bound() proves it cannot overflow (see docs/kernels.md).
#pragma once
#include "../core/fixed_point.h"
#include "tensor.h"

namespace tinyq {

// ConvQuant::input_max_abs / weight_max_abs when no bound is given.
constexpr uint32_t kScanBound = 0xFFFFFFFFu;

struct ConvQuant {
  int input_frac;                          // activation fractional bits of the input
  int output_frac;                         // of the output
  int weight_frac;                         // per-tensor weight fractional bits ...
  const int8_t* weight_frac_per_channel;   // ... or per output channel (nullptr: use weight_frac)
  int bias_frac;                           // fractional bits of the int32 bias
  bool relu6;                              // clamp to [0, 6.0 in the output format] (saturated to its max)
  // Pointwise only, optional: an upper bound of max_c sum_k |w[c][k]| (weight_l1_bound below;
  // Graph::build computes it once per layer). 0: not given. With it, the kernels may prove
  // from the activation type alone that every output's sum fits 32 bits (int32_sum_l1_limit;
  // scalar.h's two-pixels-per-multiply path). It must not be smaller than the true value.
  uint32_t weight_l1_bound = 0;
  // Optional proven bounds: |x| <= input_max_abs for every input value, |w| <= weight_max_abs
  // for every weight. kScanBound (the default) means not given: the optimized kernels then
  // scan the data at each call. Graph::build gives them from proofs only (the producer's
  // ReLU6 clamp, the weights themselves), never from calibration: a bound below the true
  // value could let an int32 sum wrap.
  uint32_t input_max_abs = kScanBound;
  uint32_t weight_max_abs = kScanBound;
};

// A proven bound, or the scan's result where none is given (scan: a callable returning max|v|).
template <typename Scan>
inline uint32_t given_or_scanned(uint32_t given, Scan&& scan) {
  return given != kScanBound ? given : static_cast<uint32_t>(scan());
}

// The largest weight L1 bound that proves |sum_k x_k w_k| <= 2^31 - 1 for any activations of
// activation_bytes bytes (|x| <= 2^(bits - 1)): 2^(bits - 1) * L1 <= 2^31 - 1.
constexpr uint32_t int32_sum_l1_limit(int activation_bytes) {
  return activation_bytes >= 1 && activation_bytes <= 4 ? 0x7FFFFFFFu >> (8 * activation_bytes - 1) : 0;
}

// The same for |sum| <= 2^20 - 1 (three 21-bit lanes per 64-bit word, kernels/swar.h).
constexpr uint32_t int21_sum_l1_limit(int activation_bytes) {
  return activation_bytes >= 1 && activation_bytes <= 2 ? 0xFFFFFu >> (8 * activation_bytes - 1) : 0;
}

// max over rows of sum_k |w[r][k]| for weights laid out [rows][row_len] (pointwise: [cout][cin]),
// saturated to UINT32_MAX. With stop_above, it returns UINT32_MAX at the first row whose
// sum passes that value (a caller that can only use a bound up to it scans no further).
template <typename TW>
constexpr uint32_t weight_l1_bound(const TW* w, int rows, int row_len, uint64_t stop_above = 0xFFFFFFFFu) {
  uint64_t best = 0;
  for (int r = 0; r < rows; ++r) {
    uint64_t sum = 0;
    const TW* row = w + static_cast<size_t>(r) * row_len;
    for (int k = 0; k < row_len; ++k) sum += static_cast<uint64_t>(row[k] < 0 ? -int64_t(row[k]) : int64_t(row[k]));
    if (sum > stop_above) return 0xFFFFFFFFu;
    if (sum > best) best = sum;
  }
  return static_cast<uint32_t>(best);
}

// Fractional bits of the accumulator of output channel c.
constexpr int accumulator_frac(const ConvQuant& q, int c) {
  return q.input_frac + (q.weight_frac_per_channel != nullptr ? q.weight_frac_per_channel[c] : q.weight_frac);
}

// Right shift from the accumulator to the output format for channel c (negative: left shift).
constexpr int output_shift(const ConvQuant& q, int c) { return accumulator_frac(q, c) - q.output_frac; }

// Bias (bias_frac fractional bits) in the accumulator's format: exact left shift or the
// rounding rule, saturated to 48 bits (|acc| < 2^46 for K < 2^16, so acc + bias' fits int64).
constexpr int kBiasBits = 48;
constexpr int64_t align_bias(int32_t bias, int bias_frac, int acc_frac) {
  return shift_round_saturate(bias, bias_frac - acc_frac, kBiasBits);
}
constexpr int64_t aligned_bias(const int32_t* bias, const ConvQuant& q, int c) {
  return bias != nullptr ? align_bias(bias[c], q.bias_frac, accumulator_frac(q, c)) : 0;
}

// Largest output value: the storage maximum, or 6.0 in the output format under ReLU6.
template <typename TA>
constexpr int32_t output_max(const ConvQuant& q) {
  if (!q.relu6) return int_limits<TA>::max;
  if (q.output_frac < 0) return static_cast<int32_t>(rounding_shift_right(int64_t(6), -q.output_frac));
  return static_cast<int32_t>(saturating_shift_left(6, q.output_frac, int_limits<TA>::bits));
}
template <typename TA>
constexpr int32_t output_min(const ConvQuant& q) {
  return q.relu6 ? 0 : int_limits<TA>::min;
}

// The requantization of one output: the single definition every kernel uses.
template <typename TA>
constexpr TA requantize_output(int64_t acc_plus_bias, int shift, int32_t out_min, int32_t out_max) {
  const int64_t v = shift_round_saturate(acc_plus_bias, shift, int_limits<TA>::bits);
  return static_cast<TA>(v < out_min ? out_min : (v > out_max ? out_max : v));
}

// Accumulator bound: |sum of k products| <= k * max|w| * max|x|. Optimized kernels use
// int32 sums only where this (plus |bias'|) stays <= INT32_MAX.
constexpr uint64_t accumulator_bound(uint64_t k, uint64_t max_abs_w, uint64_t max_abs_x) {
  return k * max_abs_w * max_abs_x;
}
constexpr bool fits_int32(uint64_t bound) { return bound <= static_cast<uint64_t>(INT32_MAX); }

// The bound the pointwise kernels use: every partial sum of an output's products (any
// prefix of sum_k w[c][k] x_k, a pair of them included) is at most
//   min(K max|w| max|x|, max|x| sum_k |w[c][k]|) <= min(k prod, max|x| L1)
// with prod = max|w| max|x| and L1 = q.weight_l1_bound (when given). Trained weights are
// far from all at max|w|: L1 is 2-5x below K max|w| in the shipped models, which is what
// keeps their layers on single-pass int32 sums.
constexpr uint64_t pointwise_sum_bound(const ConvQuant& q, uint64_t k, uint64_t prod, uint64_t max_abs_x) {
  const uint64_t by_type = k * prod;
  if (q.weight_l1_bound == 0) return by_type;
  const uint64_t by_l1 = static_cast<uint64_t>(q.weight_l1_bound) * max_abs_x;
  return by_l1 < by_type ? by_l1 : by_type;
}

// max |v| over n values (32768 for INT16_MIN).
template <typename T>
inline uint32_t max_abs(const T* v, size_t n) {
  uint32_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    const int32_t x = v[i];
    const uint32_t a = static_cast<uint32_t>(x < 0 ? -x : x);
    m = a > m ? a : m;
  }
  return m;
}

}  // namespace tinyq
