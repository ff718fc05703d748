// Every optimized variant compiled into this binary that this CPU runs, against the
// reference, XNNPACK style: tester objects describe one case (shape, formats, value
// regime), run the reference and each variant, and require every output to be equal. This
// file is built once with run-time dispatch (every x86 level compiled in, each tested where
// the CPU has it) and once per SIMD level pinned at compile time (TINYQ_SIMD_PIN; see
// CMakeLists.txt), where the dispatcher must run exactly that level.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "kernel_oracle.h"
#include "tinyq/kernels/packed.h"

// GCC 12 reports -Warray-bounds inside std::pair's constructor for the variant lists
// (a known false positive of its inlined std::vector::emplace_back); nothing here indexes.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif

using namespace tinyq;

// An aarch64 build without TINYQ_NO_SIMD must test the NEON variant (kernels/arm/config.h).
#if defined(__aarch64__) && !defined(TINYQ_NO_SIMD)
static_assert(TINYQ_HAVE_NEON, "aarch64 build without the NEON variant");
#endif

namespace {

// How the values are drawn.
enum class Regime {
  relu6,      // activations in [0, 6.0] of their format (what MobileNetV2 feeds), |w| < 2^13
  moderate,   // |x| < 2^14, |w| < 2^14: int32 needs the multi-pass path for large K
  full,       // the full storage range, extremes frequent: saturation and the reference fallback
  narrow,     // small values: nothing saturates
  model,      // a calibrated 16-bit model: post-ReLU6 inputs at Q3.12, |w| up to 2^15 - 1, shifts 9..26:
              // the int32 bound fails (split-weight depthwise, pre-shifted pointwise epilogue)
};

const char* name(Regime r) {
  switch (r) {
    case Regime::relu6: return "relu6";
    case Regime::moderate: return "moderate";
    case Regime::full: return "full";
    case Regime::model: return "model";
    default: return "narrow";
  }
}

template <typename T>
std::vector<T> draw(tinyq_test::Rng& rng, size_t n, Regime r, bool activation, int frac) {
  const int bits = int_limits<T>::bits;
  int64_t lo = int_limits<T>::min, hi = int_limits<T>::max;
  bool extremes = false;
  switch (r) {
    case Regime::relu6:
      if (activation) {
        lo = 0;
        hi = frac + 3 < bits ? (int64_t(6) << frac) : int_limits<T>::max;
      } else {
        hi = bits == 16 ? 8191 : 100;
        lo = -hi;
      }
      break;
    case Regime::moderate:
      hi = bits == 16 ? 16383 : 100;
      lo = -hi - 1;
      break;
    case Regime::full:
      extremes = true;
      break;
    case Regime::narrow:
      hi = bits == 16 ? 255 : 15;
      lo = -hi;
      break;
    case Regime::model:
      if (activation) {
        lo = 0;
        hi = frac + 3 < bits ? (int64_t(6) << frac) : int_limits<T>::max;
      } else {
        hi = int_limits<T>::max;
        lo = -hi;
      }
      break;
  }
  return oracle::random_tensor<T>(rng, n, extremes, lo, hi);
}

struct Formats {
  std::vector<int8_t> per_channel;
  std::vector<int32_t> bias;
  ConvQuant q;
};

template <typename TA>
Formats draw_formats(tinyq_test::Rng& rng, int channels, bool per_channel, bool relu6, Regime r) {
  Formats f;
  f.per_channel.resize(channels);
  for (auto& w : f.per_channel) w = static_cast<int8_t>(rng.uniform(10, 14));
  f.bias.resize(channels);
  for (auto& b : f.bias) b = static_cast<int32_t>(rng.uniform(-(int64_t(1) << 26), int64_t(1) << 26));
  int in_frac = sizeof(TA) == 2 ? static_cast<int>(rng.uniform(7, 9)) : static_cast<int>(rng.uniform(3, 5));
  if (r == Regime::model) {
    in_frac = sizeof(TA) == 2 ? 12 : 4;
    for (auto& b : f.bias) b = static_cast<int32_t>(rng.uniform(-(int64_t(1) << 30), int64_t(1) << 30));
  }
  f.q = ConvQuant{in_frac, 0, static_cast<int>(rng.uniform(10, 14)), per_channel ? f.per_channel.data() : nullptr, 24, relu6};
  if (r == Regime::model) {  // output shift 9..26 (per-channel weight formats move it by up to 4)
    f.q.output_frac = in_frac + f.q.weight_frac - static_cast<int>(rng.uniform(9, 22));
    if (f.q.output_frac < 0) f.q.output_frac = 0;
    return f;
  }
  // Output format: usually the realistic one (acc frac - ~12), sometimes one that saturates,
  // sometimes a shift the vector epilogue cannot take (negative or too large).
  const int64_t pick = rng.uniform(0, 9);
  if (pick == 0) {
    f.q.output_frac = f.q.input_frac + 16;  // left shift: reference path ...
    if (per_channel)  // ... or, per channel, some channels left (fracs 10..14) and some right (17..24) in one row
      for (size_t c = 0; c < f.per_channel.size(); c += 2) f.per_channel[c] = static_cast<int8_t>(rng.uniform(17, 24));
  }
  else if (pick == 1) f.q.output_frac = 0;                 // large right shift
  else if (pick == 2 || r == Regime::full) f.q.output_frac = f.q.input_frac - 3;  // saturation-heavy
  else f.q.output_frac = f.q.input_frac;
  return f;
}

template <typename TA, typename TW>
using PointwiseFn = std::function<void(const Tensor<const TA>&, const TW*, const int32_t*, const ConvQuant&, const Tensor<TA>&)>;

template <typename TA, typename TW>
std::vector<std::pair<std::string, PointwiseFn<TA, TW>>> pointwise_variants() {
  std::vector<std::pair<std::string, PointwiseFn<TA, TW>>> v;
  v.reserve(64);
  v.emplace_back("scalar", [](auto&&... a) { pointwise_conv_scalar(a...); });
  // with the layer's weight L1 bound (as Graph::build gives it): SWAR blocks where |x| allows
  v.emplace_back("scalar swar", [](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, const Tensor<TA>& out) {
    ConvQuant qb = q;
    qb.weight_l1_bound = weight_l1_bound(w, out.channels, in.channels);
    pointwise_conv_scalar(in, w, b, qb, out);
  });
  // the same with the SWAR words packed once (as packed.h does on riscv64): every K, 4 words,
  // for the lanes the layer takes; and 2-lane words given to every layer (a 3-lane layer
  // must then pack per call)
  v.emplace_back("scalar swar prepacked", [](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, const Tensor<TA>& out) {
    ConvQuant qb = q;
    qb.weight_l1_bound = weight_l1_bound(w, out.channels, in.channels);
    std::vector<uint64_t> words(detail::swar_prepacked_words(in.channels, out.channels));
    const int lanes = detail::swar_lanes<TA, TW>(qb, in.channels, out.channels);
    if (lanes == 3) detail::swar_prepack<3>(w, in.channels, out.channels, words.data());
    else detail::swar_prepack<2>(w, in.channels, out.channels, words.data());
    pointwise_conv_scalar(in, w, b, qb, out, words.data(), lanes);
  });
  v.emplace_back("scalar swar prepacked 2 lanes", [](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, const Tensor<TA>& out) {
    ConvQuant qb = q;
    qb.weight_l1_bound = weight_l1_bound(w, out.channels, in.channels);
    std::vector<uint64_t> words(detail::swar_prepacked_words(in.channels, out.channels));
    detail::swar_prepack<2>(w, in.channels, out.channels, words.data());
    pointwise_conv_scalar(in, w, b, qb, out, words.data(), 2);
  });
  v.emplace_back("dispatch", [](auto&&... a) { pointwise_conv(a...); });
  // Proven bounds given (ConvQuant::input_max_abs / weight_max_abs), as Graph::build gives
  // them: the exact maxima, and loose ones (the types' full range) that the paths must survive.
  v.emplace_back("dispatch, exact bounds", [](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, const Tensor<TA>& out) {
    ConvQuant qb = q;
    qb.input_max_abs = max_abs(in.data, in.size());
    qb.weight_max_abs = max_abs(w, static_cast<size_t>(in.channels) * out.channels);
    pointwise_conv(in, w, b, qb, out);
  });
  v.emplace_back("dispatch, loose bounds", [](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, const Tensor<TA>& out) {
    ConvQuant qb = q;
    qb.input_max_abs = uint32_t(-int32_t(int_limits<TA>::min));
    qb.weight_max_abs = uint32_t(-int32_t(int_limits<TW>::min));
    pointwise_conv(in, w, b, qb, out);
  });
  v.emplace_back("prepacked", [](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, const Tensor<TA>& out) {
    std::vector<unsigned char> buf(pointwise_packed_bytes(in.channels, out.channels, sizeof(TW)));
    pointwise_conv(in, pack_pointwise_weights(w, in.channels, out.channels, buf.data(), buf.size()), b, q, out);
  });
  if (sizeof(TW) == 1)  // a buffer sized for the int16-pair layout only (no vpdpbusd layout)
    v.emplace_back("prepacked pairs", [](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, const Tensor<TA>& out) {
      std::vector<unsigned char> buf(pointwise_packed_bytes(in.channels, out.channels));
      pointwise_conv(in, pack_pointwise_weights(w, in.channels, out.channels, buf.data(), buf.size()), b, q, out);
    });
#if TINYQ_HAVE_NEON
  v.emplace_back("neon", [](auto&&... a) { pointwise_conv_neon(a...); });
#endif
#if TINYQ_HAVE_SSE2
  v.emplace_back("sse2", [](auto&&... a) { pointwise_conv_sse2(a...); });
#endif
#if TINYQ_HAVE_AVX2
  if (cpu_has_avx2()) v.emplace_back("avx2", [](auto&&... a) { pointwise_conv_avx2(a...); });
#endif
#if TINYQ_HAVE_AVX512
  if (cpu_has_avx512()) {
    v.emplace_back("avx512", [](auto&&... a) { pointwise_conv_avx512(a...); });
    v.emplace_back("avx512 dot", [](auto&&... a) { pointwise_conv_dot_avx512(a...); });
    v.emplace_back("avx512 packed", [](auto&&... a) { pointwise_conv_packed_avx512(a...); });
  }
#endif
#if TINYQ_HAVE_AVX512_VNNI
  if (cpu_has_avx512_vnni()) {
    v.emplace_back("avx512vnni", [](auto&&... a) { pointwise_conv_avx512vnni(a...); });
    v.emplace_back("avx512vnni dot", [](auto&&... a) { pointwise_conv_dot_avx512vnni(a...); });
    v.emplace_back("avx512vnni packed", [](auto&&... a) { pointwise_conv_packed_avx512vnni(a...); });
    if constexpr (sizeof(TA) == 1 && sizeof(TW) == 1)  // the vpdpbusd form at every pixel count
      v.emplace_back("avx512vnni quads", [](auto&&... a) { pointwise_conv_quads_avx512vnni(a...); });
  }
#endif
  // Every variant once more with all the bounds Graph::build gives: exact max |x| and max |w|,
  // and the weights' L1 norm, which proves single-pass int32 sums where K max|w| max|x| does not.
  const size_t plain = v.size();
  for (size_t i = 0; i < plain; ++i) {
    const PointwiseFn<TA, TW> f = v[i].second;
    v.emplace_back(v[i].first + ", graph bounds",
                   [f](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, const Tensor<TA>& out) {
                     ConvQuant qb = q;
                     qb.input_max_abs = max_abs(in.data, in.size());
                     qb.weight_max_abs = max_abs(w, static_cast<size_t>(in.channels) * out.channels);
                     qb.weight_l1_bound = weight_l1_bound(w, out.channels, in.channels);
                     f(in, w, b, qb, out);
                   });
  }
  return v;
}

template <typename TA, typename TW>
using DepthwiseFn = std::function<void(const Tensor<const TA>&, const TW*, const int32_t*, const ConvQuant&, int, Padding, const Tensor<TA>&)>;

// Whole-tensor variants, and the row kernels driven row by row (with and without a |x| bound).
template <typename TA, typename TW, typename RowFn>
DepthwiseFn<TA, TW> rows_of(RowFn row, bool pass_bound) {
  return [row, pass_bound](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, int stride,
                           Padding pad, const Tensor<TA>& out) {
    const int pt = padding_before(in.height, stride, pad), pl = padding_before(in.width, stride, pad);
    const uint32_t bound = pass_bound ? max_abs(in.data, in.size()) : kScanBound;
    for (int oy = 0; oy < out.height; ++oy) {
      const TA* rows[3];
      depthwise_input_rows(in, oy, stride, pt, rows);
      row(rows, in.width, in.channels, w, b, q, stride, pl, out.row(oy), out.width, bound);
    }
  };
}

// The row-group kernels (depthwise_conv3x3_row_group[_scalar]) on runs of up to n output rows
// whose input rows are all real; with `reversed` the input rows lie in reverse order in memory
// (a negative row step, as in the fused block's odd row pairs). Rows with a padding row one
// by one through depthwise_conv3x3_row_scalar.
template <typename TA, typename TW, typename GroupFn>
DepthwiseFn<TA, TW> row_groups_of(GroupFn group, int n, bool reversed) {
  return [group, n, reversed](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, int stride,
                              Padding pad, const Tensor<TA>& out) {
    const int pt = padding_before(in.height, stride, pad), pl = padding_before(in.width, stride, pad);
    const size_t row_values = static_cast<size_t>(in.width) * in.channels;
    std::vector<TA> flipped(reversed ? in.size() : 0);
    for (int iy = 0; reversed && iy < in.height; ++iy)
      std::copy(in.row(iy), in.row(iy) + row_values, flipped.begin() + static_cast<ptrdiff_t>((in.height - 1 - iy) * row_values));
    const auto row_at = [&](int iy) { return reversed ? flipped.data() + (in.height - 1 - iy) * row_values : in.row(iy); };
    const ptrdiff_t step = reversed ? -static_cast<ptrdiff_t>(row_values) : static_cast<ptrdiff_t>(row_values);
    for (int oy = 0; oy < out.height;) {
      const int iy0 = oy * stride - pt;
      int k = 0;  // output rows from oy on whose three input rows are real
      while (k < n && oy + k < out.height && iy0 >= 0 && iy0 + stride * k + 2 < in.height) ++k;
      if (k > 0) {
        group(row_at(iy0), step, k, in.width, in.channels, w, b, q, stride, pl, out.row(oy),
              static_cast<ptrdiff_t>(out.width) * out.channels, out.width);
        oy += k;
        continue;
      }
      const TA* rows[3];
      depthwise_input_rows(in, oy, stride, pt, rows);
      depthwise_conv3x3_row_scalar(rows, in.width, in.channels, w, b, q, stride, pl, out.row(oy), out.width);
      ++oy;
    }
  };
}

template <typename TA, typename TW>
std::vector<std::pair<std::string, DepthwiseFn<TA, TW>>> depthwise_variants() {
  std::vector<std::pair<std::string, DepthwiseFn<TA, TW>>> v;
  v.reserve(40);
  v.emplace_back("dispatch", [](auto&&... a) { depthwise_conv3x3(a...); });
  v.emplace_back("scalar", [](auto&&... a) { depthwise_conv3x3_scalar(a...); });
  v.emplace_back("scalar rows", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_scalar(a...); }, false));
  v.emplace_back("dispatch rows", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row(a...); }, true));
  v.emplace_back("scalar row pairs, rows reversed",
                 row_groups_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_group_scalar(a...); }, 2, true));
  v.emplace_back("scalar row groups of 3",
                 row_groups_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_group_scalar(a...); }, 3, false));
  v.emplace_back("dispatch row pairs, rows reversed",
                 row_groups_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_group<TA, TW>(a...); }, 2, true));
  v.emplace_back("dispatch, exact bounds", [](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, int stride, Padding pad, const Tensor<TA>& out) {
    ConvQuant qb = q;
    qb.input_max_abs = max_abs(in.data, in.size());
    qb.weight_max_abs = max_abs(w, static_cast<size_t>(9) * in.channels);
    depthwise_conv3x3(in, w, b, qb, stride, pad, out);
  });
  v.emplace_back("dispatch, loose bounds", [](const Tensor<const TA>& in, const TW* w, const int32_t* b, const ConvQuant& q, int stride, Padding pad, const Tensor<TA>& out) {
    ConvQuant qb = q;
    qb.input_max_abs = uint32_t(-int32_t(int_limits<TA>::min));
    qb.weight_max_abs = uint32_t(-int32_t(int_limits<TW>::min));
    depthwise_conv3x3(in, w, b, qb, stride, pad, out);
  });
  v.emplace_back("dispatch rows, bound in ConvQuant", rows_of<TA, TW>([](const TA* const rows[3], int in_width, int channels, const TW* w, const int32_t* b, const ConvQuant& q, int stride, int pad_left, TA* out_row, int out_width, uint32_t) {
    // rows_of passes no bound (kScanBound); the kernel must take it from ConvQuant: the type's range.
    ConvQuant qb = q;
    qb.input_max_abs = uint32_t(-int32_t(int_limits<TA>::min));
    depthwise_conv3x3_row(rows, in_width, channels, w, b, qb, stride, pad_left, out_row, out_width, kScanBound);
  }, false));
#if TINYQ_HAVE_SSE2
  v.emplace_back("sse2", [](auto&&... a) { depthwise_conv3x3_sse2(a...); });
  v.emplace_back("sse2 rows", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_sse2(a...); }, false));
#endif
#if TINYQ_HAVE_NEON
  v.emplace_back("neon", [](auto&&... a) { depthwise_conv3x3_neon(a...); });
  v.emplace_back("neon rows", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_neon(a...); }, false));
  v.emplace_back("neon rows bound", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_neon(a...); }, true));
#endif
#if TINYQ_HAVE_AVX2
  if (cpu_has_avx2()) {
    v.emplace_back("avx2", [](auto&&... a) { depthwise_conv3x3_avx2(a...); });
    v.emplace_back("avx2 rows", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_avx2(a...); }, false));
    v.emplace_back("avx2 rows bound", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_avx2(a...); }, true));
  }
#endif
#if TINYQ_HAVE_AVX512
  if (cpu_has_avx512()) {
    v.emplace_back("avx512", [](auto&&... a) { depthwise_conv3x3_avx512(a...); });
    v.emplace_back("avx512 rows", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_avx512(a...); }, false));
    v.emplace_back("avx512 rows bound", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_avx512(a...); }, true));
  }
#endif
#if TINYQ_HAVE_AVX512_VNNI
  if (cpu_has_avx512_vnni()) {
    v.emplace_back("avx512vnni", [](auto&&... a) { depthwise_conv3x3_avx512vnni(a...); });
    v.emplace_back("avx512vnni rows", rows_of<TA, TW>([](auto&&... a) { depthwise_conv3x3_row_avx512vnni(a...); }, false));
  }
#endif
  return v;
}

class PointwiseTester {
 public:
  PointwiseTester& pixels(int h, int w) { h_ = h; w_ = w; return *this; }
  PointwiseTester& channels(int cin, int cout) { cin_ = cin; cout_ = cout; return *this; }
  PointwiseTester& regime(Regime r) { regime_ = r; return *this; }
  PointwiseTester& per_channel(bool v) { per_channel_ = v; return *this; }
  PointwiseTester& relu6(bool v) { relu6_ = v; return *this; }
  PointwiseTester& bias(bool v) { bias_ = v; return *this; }
  // Bias format (default: Q.24, below every accumulator format): 0 makes |bias'| large
  // (shifted left by the accumulator's fractional bits), past the int32 epilogues.
  PointwiseTester& bias_frac(int v) { bias_frac_ = v; return *this; }

  template <typename TA, typename TW>
  void test(uint64_t seed) const {
    tinyq_test::Rng rng(seed);
    Formats f = draw_formats<TA>(rng, cout_, per_channel_, relu6_, regime_);
    if (bias_frac_ >= 0) f.q.bias_frac = bias_frac_;
    auto x = draw<TA>(rng, static_cast<size_t>(h_) * w_ * cin_, regime_, true, f.q.input_frac);
    auto w = draw<TW>(rng, static_cast<size_t>(cout_) * cin_, regime_, false, 0);
    const int32_t* b = bias_ ? f.bias.data() : nullptr;
    const Tensor<const TA> in{x.data(), h_, w_, cin_};
    std::vector<TA> want(static_cast<size_t>(h_) * w_ * cout_);
    pointwise_conv_reference(in, w.data(), b, f.q, Tensor<TA>{want.data(), h_, w_, cout_});
    for (const auto& [vname, fn] : pointwise_variants<TA, TW>()) {
      std::vector<TA> got(want.size(), TA(0x55));
      fn(in, w.data(), b, f.q, Tensor<TA>{got.data(), h_, w_, cout_});
      INFO("pointwise " << vname << " " << h_ << "x" << w_ << " cin " << cin_ << " cout " << cout_ << " regime " << name(regime_)
                        << " per-channel " << per_channel_ << " relu6 " << relu6_ << " bias " << bias_ << " out_frac "
                        << f.q.output_frac << " in_frac " << f.q.input_frac << " seed " << seed);
      REQUIRE(got == want);
    }
  }

 private:
  int h_ = 1, w_ = 1, cin_ = 1, cout_ = 1;
  int bias_frac_ = -1;
  Regime regime_ = Regime::relu6;
  bool per_channel_ = false, relu6_ = false, bias_ = true;
};

class DepthwiseTester {
 public:
  DepthwiseTester& size(int h, int w) { h_ = h; w_ = w; return *this; }
  DepthwiseTester& channels(int c) { c_ = c; return *this; }
  DepthwiseTester& stride(int s) { stride_ = s; return *this; }
  DepthwiseTester& padding(Padding p) { pad_ = p; return *this; }
  DepthwiseTester& regime(Regime r) { regime_ = r; return *this; }
  DepthwiseTester& per_channel(bool v) { per_channel_ = v; return *this; }
  DepthwiseTester& relu6(bool v) { relu6_ = v; return *this; }
  DepthwiseTester& bias(bool v) { bias_ = v; return *this; }

  template <typename TA, typename TW>
  void test(uint64_t seed) const {
    tinyq_test::Rng rng(seed);
    Formats f = draw_formats<TA>(rng, c_, per_channel_, relu6_, regime_);
    auto x = draw<TA>(rng, static_cast<size_t>(h_) * w_ * c_, regime_, true, f.q.input_frac);
    auto w = draw<TW>(rng, static_cast<size_t>(9) * c_, regime_, false, 0);
    const int32_t* b = bias_ ? f.bias.data() : nullptr;
    const Tensor<const TA> in{x.data(), h_, w_, c_};
    const int oh = conv_output_size(h_, stride_), ow = conv_output_size(w_, stride_);
    std::vector<TA> want(static_cast<size_t>(oh) * ow * c_);
    depthwise_conv3x3_reference(in, w.data(), b, f.q, stride_, pad_, Tensor<TA>{want.data(), oh, ow, c_});
    for (const auto& [vname, fn] : depthwise_variants<TA, TW>()) {
      std::vector<TA> got(want.size(), TA(0x55));
      fn(in, w.data(), b, f.q, stride_, pad_, Tensor<TA>{got.data(), oh, ow, c_});
      INFO("depthwise " << vname << " " << h_ << "x" << w_ << "x" << c_ << " stride " << stride_ << " pad " << int(pad_)
                        << " regime " << name(regime_) << " per-channel " << per_channel_ << " relu6 " << relu6_
                        << " out_frac " << f.q.output_frac << " seed " << seed);
      REQUIRE(got == want);
    }
  }

 private:
  int h_ = 1, w_ = 1, c_ = 1, stride_ = 1;
  Padding pad_ = Padding::tf_same;
  Regime regime_ = Regime::relu6;
  bool per_channel_ = false, relu6_ = false, bias_ = true;
};

const Regime kRegimes[] = {Regime::relu6, Regime::moderate, Regime::full, Regime::narrow, Regime::model};
// Channel counts around every vector width (8, 16, 32 int16 lanes) and MobileNetV2's.
const int kChannels[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 63, 64, 65, 96, 144};

template <typename TA, typename TW>
void pointwise_sweep(uint64_t seed) {
  tinyq_test::Rng rng(seed);
  for (int cin : kChannels)
    for (Regime r : kRegimes) {
      const int cout = static_cast<int>(rng.uniform(1, 13));
      PointwiseTester()
          .pixels(static_cast<int>(rng.uniform(1, 5)), static_cast<int>(rng.uniform(1, 7)))
          .channels(cin, cout)
          .regime(r)
          .per_channel(rng.uniform(0, 1) == 1)
          .relu6(rng.uniform(0, 1) == 1)
          .bias(rng.uniform(0, 4) != 0)
          .template test<TA, TW>(rng.next());
    }
  // Large K: the multi-pass int32 -> int64 path (moderate) and MobileNetV2's widest layers.
  for (int cin : {160, 320, 384, 576, 960})
    for (Regime r : {Regime::relu6, Regime::moderate, Regime::full, Regime::model})
      PointwiseTester().pixels(1, 5).channels(cin, static_cast<int>(rng.uniform(1, 9))).regime(r).per_channel(rng.uniform(0, 1) == 1)
          .template test<TA, TW>(rng.next());
  // Many pixels (the outer-product form's pixel blocks of 8, 4, 2, 1), output channels around 16 and 32.
  for (int px : {127, 128, 131, 150})
    for (int cout : {1, 15, 16, 17, 33, 64})
      for (Regime r : kRegimes)
        PointwiseTester().pixels(1, px).channels(static_cast<int>(rng.uniform(1, 70)), cout).regime(r).per_channel(rng.uniform(0, 1) == 1)
            .relu6(rng.uniform(0, 1) == 1).template test<TA, TW>(rng.next());
  // Output channel counts around the 4-channel blocks, pixel counts around the pixel blocks.
  for (int cout = 1; cout <= 9; ++cout)
    for (int px = 1; px <= 9; ++px)
      PointwiseTester().pixels(1, px).channels(static_cast<int>(rng.uniform(1, 40)), cout).regime(Regime::relu6).relu6(true)
          .template test<TA, TW>(rng.next());
}

// int8 x int8 (the vpdpbusd form with VNNI, from kQuadMinPixels = 4 pixels): K around
// the quads of 4 and up to its limit 1024 (and past it), output channels around the 16- and
// 32-channel vectors and past the 8 blocks of the tiled walk, pixels around every pixel
// block and the threshold, large |bias'| (the int64 epilogue).
void pointwise_int8_sweep(uint64_t seed) {
  tinyq_test::Rng rng(seed);
  const int cins[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 32, 33, 63, 64, 65, 67, 96, 144, 320, 576, 960, 1023, 1024, 1025};
  const int couts[] = {1, 3, 15, 16, 17, 31, 32, 33, 48, 64, 96, 160, 257, 1280};
  const int pixels[] = {1, 3, 4, 5, 7, 15, 17, 49, 64, 65, 100};
  for (int cin : cins)
    for (Regime r : kRegimes) {
      const int cout = couts[rng.uniform(0, cin > 320 ? 9 : 13)];
      const int px = pixels[rng.uniform(0, 10)];
      PointwiseTester()
          .pixels(1, px)
          .channels(cin, cout)
          .regime(r)
          .per_channel(rng.uniform(0, 1) == 1)
          .relu6(rng.uniform(0, 1) == 1)
          .bias(rng.uniform(0, 5) != 0)
          .bias_frac(rng.uniform(0, 3) == 0 ? 0 : -1)
          .template test<int8_t, int8_t>(rng.next());
    }
#if TINYQ_HAVE_AVX512
  const int threshold = static_cast<int>(kQuadMinPixels);
#else
  const int threshold = 4;
#endif
  for (int px : {threshold > 1 ? threshold - 1 : 1, threshold, threshold + 1, 16})  // around the threshold, every output channel tail
    for (int cout : {1, 16, 17, 33, 257})
      PointwiseTester().pixels(1, px).channels(static_cast<int>(rng.uniform(1, 200)), cout).regime(Regime::relu6).relu6(true)
          .per_channel(true).template test<int8_t, int8_t>(rng.next());
  // 2-D tensors (rows of pixels are one run), large |bias'|, saturation-heavy data.
  PointwiseTester().pixels(7, 7).channels(160, 960).regime(Regime::full).bias_frac(0).template test<int8_t, int8_t>(rng.next());
  PointwiseTester().pixels(5, 9).channels(27, 16).regime(Regime::relu6).relu6(true).template test<int8_t, int8_t>(rng.next());
}

template <typename TA, typename TW>
void depthwise_sweep(uint64_t seed) {
  tinyq_test::Rng rng(seed);
  for (int c : kChannels)
    for (Regime r : kRegimes)
      for (int stride : {1, 2})
        for (Padding pad : {Padding::tf_same, Padding::symmetric}) {
          // odd and even sizes, including 1 and 2
          const int h = static_cast<int>(rng.uniform(1, 9)), w = static_cast<int>(rng.uniform(1, 9));
          DepthwiseTester()
              .size(h, w)
              .channels(c)
              .stride(stride)
              .padding(pad)
              .regime(r)
              .per_channel(rng.uniform(0, 1) == 1)
              .relu6(rng.uniform(0, 1) == 1)
              .bias(rng.uniform(0, 4) != 0)
              .template test<TA, TW>(rng.next());
        }
  for (int h : {1, 2, 3, 4, 7, 8})
    for (int stride : {1, 2})
      for (Padding pad : {Padding::tf_same, Padding::symmetric})
        DepthwiseTester().size(h, 9 - h).channels(32).stride(stride).padding(pad).relu6(true).template test<TA, TW>(rng.next());
  // The split-weight path over MobileNetV2's depthwise widths and more than one plan group,
  // and the scalar kernel's constant-count loops (every count it specialises; widths 6 and 7
  // give odd and even numbers of outputs at both strides).
  for (int c : {16, 24, 32, 48, 72, 96, 144, 192, 288, 384, 576, 1100})
    for (int stride : {1, 2})
      for (int w : {6, 7})
        DepthwiseTester().size(5, w).channels(c).stride(stride).regime(Regime::model).per_channel(rng.uniform(0, 1) == 1)
            .relu6(true).template test<TA, TW>(rng.next());
}

}  // namespace

TEST_CASE("pointwise variants equal the reference: int16 x int16", "[equality][pointwise]") { pointwise_sweep<int16_t, int16_t>(101); }
TEST_CASE("pointwise variants equal the reference: int16 x int8", "[equality][pointwise]") { pointwise_sweep<int16_t, int8_t>(102); }
TEST_CASE("pointwise variants equal the reference: int8 x int8", "[equality][pointwise]") { pointwise_sweep<int8_t, int8_t>(103); }
TEST_CASE("pointwise variants equal the reference: int8 x int8, vpdpbusd shapes", "[equality][pointwise]") { pointwise_int8_sweep(105); }
TEST_CASE("pointwise variants equal the reference: int8 x int16", "[equality][pointwise]") { pointwise_sweep<int8_t, int16_t>(104); }
TEST_CASE("depthwise variants equal the reference: int16 x int16", "[equality][depthwise]") { depthwise_sweep<int16_t, int16_t>(201); }
TEST_CASE("depthwise variants equal the reference: int16 x int8", "[equality][depthwise]") { depthwise_sweep<int16_t, int8_t>(202); }
TEST_CASE("depthwise variants equal the reference: int8 x int8", "[equality][depthwise]") { depthwise_sweep<int8_t, int8_t>(203); }
TEST_CASE("depthwise variants equal the reference: int8 x int16", "[equality][depthwise]") { depthwise_sweep<int8_t, int16_t>(204); }

TEST_CASE("worst-case accumulators: every product (-32768)^2 or 32767 * -32768", "[equality][pointwise][depthwise]") {
  for (int cin : {1, 2, 16, 33, 960}) {
    std::vector<int16_t> x(static_cast<size_t>(3) * cin, INT16_MIN), w(static_cast<size_t>(2) * cin, INT16_MIN);
    for (int i = 0; i < cin; ++i) w[cin + i] = INT16_MAX;
    const ConvQuant q{15, 0, 15, nullptr, 0, false};
    std::vector<int16_t> want(6), got(6);
    pointwise_conv_reference(Tensor<const int16_t>{x.data(), 1, 3, cin}, w.data(), nullptr, q, Tensor<int16_t>{want.data(), 1, 3, 2});
    CHECK(want[0] == (cin < 32768 ? cin : 32767));
    for (const auto& [vname, fn] : pointwise_variants<int16_t, int16_t>()) {
      fn(Tensor<const int16_t>{x.data(), 1, 3, cin}, w.data(), nullptr, q, Tensor<int16_t>{got.data(), 1, 3, 2});
      INFO(vname << " cin " << cin);
      REQUIRE(got == want);
    }
  }
}

TEST_CASE("worst-case int8 accumulators: every product (-128)^2 or 127 * -128", "[equality][pointwise]") {
  for (int cin : {1, 4, 5, 33, 960, 1024, 1025})
    for (int px : {3, 40}) {
      std::vector<int8_t> x(static_cast<size_t>(px) * cin, INT8_MIN), w(static_cast<size_t>(2) * cin, INT8_MIN);
      for (int i = 0; i < cin; ++i) w[cin + i] = INT8_MAX;
      const ConvQuant q{7, 0, 7, nullptr, 0, false};  // output shift 14: out = sum / 2^14, saturated
      std::vector<int8_t> want(static_cast<size_t>(px) * 2), got(want.size());
      pointwise_conv_reference(Tensor<const int8_t>{x.data(), 1, px, cin}, w.data(), nullptr, q, Tensor<int8_t>{want.data(), 1, px, 2});
      CHECK(want[0] == (cin < 128 ? cin : 127));
      CHECK(int(want[1]) == -((cin * 127 + 63) / 128 < 128 ? (cin * 127 + 63) / 128 : 128));  // floor((-127 cin + 64) / 128)
      for (const auto& [vname, fn] : pointwise_variants<int8_t, int8_t>()) {
        fn(Tensor<const int8_t>{x.data(), 1, px, cin}, w.data(), nullptr, q, Tensor<int8_t>{got.data(), 1, px, 2});
        INFO(vname << " cin " << cin << " pixels " << px);
        REQUIRE(got == want);
      }
    }
}

TEST_CASE("conv3x3 (im2col + pointwise, scalar stem) equals the reference", "[equality][conv3x3]") {
  tinyq_test::Rng rng(301);
  for (int iter = 0; iter < 120; ++iter) {
    const Regime r = kRegimes[iter % 4];
    const int h = static_cast<int>(rng.uniform(1, 12)), w = static_cast<int>(rng.uniform(1, 12));
    const int cin = iter % 5 == 0 ? static_cast<int>(rng.uniform(1, 12)) : 3;
    const int cout = static_cast<int>(rng.uniform(1, 40));
    const int stride = static_cast<int>(rng.uniform(1, 2));
    const Padding pad = rng.uniform(0, 1) ? Padding::tf_same : Padding::symmetric;
    Formats f = draw_formats<int16_t>(rng, cout, rng.uniform(0, 1) == 1, rng.uniform(0, 1) == 1, r);
    auto x = draw<int16_t>(rng, static_cast<size_t>(h) * w * cin, r, true, f.q.input_frac);
    auto wt = draw<int16_t>(rng, static_cast<size_t>(cout) * 9 * cin, r, false, 0);
    const int oh = conv_output_size(h, stride), ow = conv_output_size(w, stride);
    const Tensor<const int16_t> in{x.data(), h, w, cin};
    std::vector<int16_t> want(static_cast<size_t>(oh) * ow * cout), got(want.size()), got2(want.size()), got3(want.size());
    conv3x3_reference(in, wt.data(), f.bias.data(), f.q, stride, pad, Tensor<int16_t>{want.data(), oh, ow, cout});
    conv3x3(in, wt.data(), f.bias.data(), f.q, stride, pad, Tensor<int16_t>{got.data(), oh, ow, cout});
    conv3x3_im2col(in, wt.data(), f.bias.data(), f.q, stride, pad, Tensor<int16_t>{got2.data(), oh, ow, cout});
    conv3x3_scalar(in, wt.data(), f.bias.data(), f.q, stride, pad, Tensor<int16_t>{got3.data(), oh, ow, cout});
    INFO("iter " << iter << " " << h << "x" << w << "x" << cin << " -> " << cout << " stride " << stride << " regime " << name(r));
    REQUIRE(got == want);
    REQUIRE(got2 == want);
    REQUIRE(got3 == want);
  }
}

// The scalar stem with 8-bit types: conv3x3_scalar takes im2col + the SWAR pointwise there
// (kernels/swar.h), int8 x int8 and int16 x int8; every output must equal the reference.
template <typename TA, typename TW>
void conv3x3_scalar_sweep(uint64_t seed) {
  tinyq_test::Rng rng(seed);
  for (int iter = 0; iter < 80; ++iter) {
    const Regime r = kRegimes[iter % 4];
    const int h = static_cast<int>(rng.uniform(1, 20)), w = static_cast<int>(rng.uniform(1, 140));
    const int cin = iter % 5 == 0 ? static_cast<int>(rng.uniform(1, 8)) : 3;
    const int cout = static_cast<int>(rng.uniform(1, 40));
    const int stride = static_cast<int>(rng.uniform(1, 2));
    const Padding pad = rng.uniform(0, 1) ? Padding::tf_same : Padding::symmetric;
    Formats f = draw_formats<TA>(rng, cout, rng.uniform(0, 1) == 1, rng.uniform(0, 1) == 1, r);
    auto x = draw<TA>(rng, static_cast<size_t>(h) * w * cin, r, true, f.q.input_frac);
    auto wt = draw<TW>(rng, static_cast<size_t>(cout) * 9 * cin, r, false, 0);
    const int oh = conv_output_size(h, stride), ow = conv_output_size(w, stride);
    const Tensor<const TA> in{x.data(), h, w, cin};
    std::vector<TA> want(static_cast<size_t>(oh) * ow * cout), got(want.size());
    conv3x3_reference(in, wt.data(), f.bias.data(), f.q, stride, pad, Tensor<TA>{want.data(), oh, ow, cout});
    conv3x3_scalar(in, wt.data(), f.bias.data(), f.q, stride, pad, Tensor<TA>{got.data(), oh, ow, cout});
    INFO("iter " << iter << " " << h << "x" << w << "x" << cin << " -> " << cout << " stride " << stride << " regime " << name(r));
    REQUIRE(got == want);
  }
}

TEST_CASE("conv3x3 scalar stem by SWAR equals the reference: int8 x int8", "[equality][conv3x3]") {
  conv3x3_scalar_sweep<int8_t, int8_t>(302);
}
TEST_CASE("conv3x3 scalar stem by SWAR equals the reference: int16 x int8", "[equality][conv3x3]") {
  conv3x3_scalar_sweep<int16_t, int8_t>(303);
}

#if TINYQ_X86_SIMD
#include <cpuid.h>

namespace {
// The level this CPU should run, from cpuid and xgetbv directly (not the compiler runtime
// that the dispatcher asks): the OS must save the vector state (XCR0) for AVX2 and AVX-512.
std::string expected_x86_level() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return "sse2";
  const bool osxsave = (c >> 27) & 1;
  uint64_t xcr0 = 0;
  if (osxsave) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (uint64_t(hi) << 32) | lo;
  }
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return "sse2";
  const bool ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
  const bool avx2 = ymm && ((b >> 5) & 1);
  const bool avx512 = zmm && ((b >> 16) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1) && ((b >> 17) & 1);  // F BW VL DQ
  const bool vnni = avx512 && ((c >> 11) & 1);
#if TINYQ_RUNTIME_DISPATCH
  if (vnni) return "avx512_vnni";
  if (avx512) return "avx512";
  if (avx2) return "avx2";
  return "sse2";
#else  // pinned: exactly the compiled level (the build only runs on a CPU that has it)
  (void)vnni, (void)avx512, (void)avx2;
  return TINYQ_HAVE_AVX512_VNNI ? "avx512_vnni" : TINYQ_HAVE_AVX512 ? "avx512" : TINYQ_HAVE_AVX2 ? "avx2" : "sse2";
#endif
}
}  // namespace

TEST_CASE("the dispatcher runs the best level the CPU has (or the pinned one)", "[equality][dispatch]") {
  INFO("runtime dispatch " << TINYQ_RUNTIME_DISPATCH);
  REQUIRE(std::string(x86_simd_level()) == expected_x86_level());
#if !TINYQ_RUNTIME_DISPATCH
  // A pinned build compiles no level above its flags.
#if defined(__AVX2__)
  REQUIRE(TINYQ_HAVE_AVX2 == 1);
#else
  REQUIRE(TINYQ_HAVE_AVX2 == 0);
#endif
#endif
}
#endif
