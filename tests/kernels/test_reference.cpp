// The reference kernels (the spec) against the independent naive oracle and hand
// computed values: both paddings, strides 1 and 2 on odd and even sizes, 1 channel,
// per-channel weight formats, saturation, ReLU6, int16 and int8 activations/weights.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "kernel_oracle.h"
#include "tinyq/kernels/kernels.h"

using namespace tinyq;

TEST_CASE("padding_before follows TF SAME and symmetric", "[kernels][padding]") {
  // SAME, stride 2, even input: out 2, total (2-1)*2+3-4 = 1 -> 0 before, 1 after.
  CHECK(padding_before(4, 2, Padding::tf_same) == 0);
  CHECK(padding_before(5, 2, Padding::tf_same) == 1);  // total 2
  CHECK(padding_before(5, 1, Padding::tf_same) == 1);
  CHECK(padding_before(1, 1, Padding::tf_same) == 1);
  CHECK(padding_before(1, 2, Padding::tf_same) == 1);  // out 1, total 2
  CHECK(padding_before(2, 2, Padding::tf_same) == 0);  // out 1, total 1
  CHECK(padding_before(4, 2, Padding::symmetric) == 1);
  CHECK(conv_output_size(224, 2) == 112);
  CHECK(conv_output_size(7, 2) == 4);
  CHECK(conv_output_size(7, 1) == 7);
}

TEST_CASE("requantize_output: rounding ties up, saturation, ReLU6 in the output format", "[kernels][quant]") {
  CHECK(requantize_output<int16_t>(3, 1, INT16_MIN, INT16_MAX) == 2);    // 1.5 -> 2
  CHECK(requantize_output<int16_t>(-3, 1, INT16_MIN, INT16_MAX) == -1);  // -1.5 -> -1
  CHECK(requantize_output<int16_t>(-5, 1, INT16_MIN, INT16_MAX) == -2);  // -2.5 -> -2
  CHECK(requantize_output<int16_t>(int64_t(1) << 40, 4, INT16_MIN, INT16_MAX) == INT16_MAX);
  CHECK(requantize_output<int16_t>(-(int64_t(1) << 40), 4, INT16_MIN, INT16_MAX) == INT16_MIN);
  CHECK(requantize_output<int8_t>(1000, 0, INT8_MIN, INT8_MAX) == 127);
  CHECK(requantize_output<int16_t>(100, -3, INT16_MIN, INT16_MAX) == 800);     // left shift
  CHECK(requantize_output<int16_t>(5000, -3, INT16_MIN, INT16_MAX) == INT16_MAX);  // saturating left shift
  ConvQuant q{9, 9, 14, nullptr, 23, true};
  CHECK(output_max<int16_t>(q) == 6 * 512);  // 6.0 in Q9
  CHECK(output_min<int16_t>(q) == 0);
  q.output_frac = 7;
  CHECK(output_max<int16_t>(q) == 768);
  q.output_frac = 13;  // 6.0 does not fit Q<2,13>: saturates to the format's max
  CHECK(output_max<int16_t>(q) == INT16_MAX);
  q.output_frac = 5;
  CHECK(output_max<int8_t>(q) == 127);
  q.output_frac = 4;
  CHECK(output_max<int8_t>(q) == 96);
  CHECK(align_bias(3, 2, 5) == 24);              // exact left shift
  CHECK(align_bias(3, 5, 4) == 2);               // 1.5 -> 2
  CHECK(align_bias(INT32_MAX, 0, 30) == (int64_t(1) << 47) - 1);  // saturated to 48 bits
}

TEST_CASE("accumulator bound: int16 x int16 overflows int32 from K = 2, the reference stays exact", "[kernels][quant]") {
  STATIC_REQUIRE(!fits_int32(accumulator_bound(2, 32768, 32768)));
  STATIC_REQUIRE(fits_int32(accumulator_bound(1, 32768, 32767)));
  STATIC_REQUIRE(fits_int32(accumulator_bound(960, 128, 16384)));  // int8 weights, |x| < 2^14
  STATIC_REQUIRE(!fits_int32(accumulator_bound(960, 16384, 16384)));
  // Worst case through the reference: 960 products of (-32768)^2 = 960 * 2^30, shifted by 30.
  const int cin = 960;
  std::vector<int16_t> x(cin, INT16_MIN), w(cin, INT16_MIN), out(1);
  const ConvQuant q{15, 0, 15, nullptr, 0, false};  // acc frac 30 -> output frac 0: out = 960 exactly
  pointwise_conv_reference(Tensor<const int16_t>{x.data(), 1, 1, cin}, w.data(), nullptr, q, Tensor<int16_t>{out.data(), 1, 1, 1});
  CHECK(out[0] == 960);
  pointwise_conv_scalar(Tensor<const int16_t>{x.data(), 1, 1, cin}, w.data(), nullptr, q, Tensor<int16_t>{out.data(), 1, 1, 1});
  CHECK(out[0] == 960);
  pointwise_conv(Tensor<const int16_t>{x.data(), 1, 1, cin}, w.data(), nullptr, q, Tensor<int16_t>{out.data(), 1, 1, 1});
  CHECK(out[0] == 960);
}

TEST_CASE("hand-computed 3x3 and depthwise with both paddings", "[kernels][conv]") {
  // 4x4x1 input 1..16, all-ones 3x3 kernel, stride 2: SAME pads (0 before, 1 after),
  // symmetric pads 1 before: the windows differ.
  std::vector<int16_t> x(16);
  for (int i = 0; i < 16; ++i) x[i] = static_cast<int16_t>(i + 1);
  std::vector<int16_t> w(9, 1), out(4);
  const ConvQuant q{0, 0, 0, nullptr, 0, false};
  const Tensor<const int16_t> in{x.data(), 4, 4, 1};
  conv3x3_reference(in, w.data(), nullptr, q, 2, Padding::tf_same, Tensor<int16_t>{out.data(), 2, 2, 1});
  // window rows 0..2, cols 0..2: 1+2+3+5+6+7+9+10+11 = 54; (0, 2..3): 3+4+7+8+11+12 = 45;
  // (2..3, 0..2): 9+10+11+13+14+15 = 72; (2..3, 2..3): 11+12+15+16 = 54
  CHECK(out == std::vector<int16_t>{54, 45, 72, 54});
  conv3x3_reference(in, w.data(), nullptr, q, 2, Padding::symmetric, Tensor<int16_t>{out.data(), 2, 2, 1});
  // windows rows -1..1 / 1..3 and cols -1..1 / 1..3: 1+2+5+6 = 14; 2+3+4+6+7+8 = 30; 5+6+9+10+13+14 = 57; 6+7+8+10+11+12+14+15+16 = 99
  CHECK(out == std::vector<int16_t>{14, 30, 57, 99});
  depthwise_conv3x3_reference(in, w.data(), nullptr, q, 2, Padding::symmetric, Tensor<int16_t>{out.data(), 2, 2, 1});
  CHECK(out == std::vector<int16_t>{14, 30, 57, 99});
  depthwise_conv3x3(in, w.data(), nullptr, q, 2, Padding::tf_same, Tensor<int16_t>{out.data(), 2, 2, 1});
  CHECK(out == std::vector<int16_t>{54, 45, 72, 54});
}

namespace {

template <typename TA, typename TW>
void check_convs_against_oracle(uint64_t seed) {
  tinyq_test::Rng rng(seed);
  const int64_t amin = int_limits<TA>::min, amax = int_limits<TA>::max;
  const int64_t wmin = int_limits<TW>::min, wmax = int_limits<TW>::max;
  for (int iter = 0; iter < 60; ++iter) {
    const oracle::Shape in{static_cast<int>(rng.uniform(1, 9)), static_cast<int>(rng.uniform(1, 9)),
                           iter % 7 == 0 ? 1 : static_cast<int>(rng.uniform(1, 19))};
    const int cout = iter % 5 == 0 ? 1 : static_cast<int>(rng.uniform(1, 13));
    const int stride = static_cast<int>(rng.uniform(1, 2));
    const Padding pad = rng.uniform(0, 1) ? Padding::tf_same : Padding::symmetric;
    const bool extremes = iter % 3 == 0;
    // Narrow magnitudes in some iterations so the outputs are not all saturated.
    const int shrink_x = extremes ? 0 : static_cast<int>(rng.uniform(0, int_limits<TA>::bits - 4));
    const int shrink_w = extremes ? 0 : static_cast<int>(rng.uniform(0, int_limits<TW>::bits - 3));
    auto x = oracle::random_tensor<TA>(rng, static_cast<size_t>(in.h) * in.w * in.c, extremes, amin >> shrink_x, amax >> shrink_x);
    std::vector<int8_t> wf(cout > in.c ? cout : in.c);
    for (auto& f : wf) f = static_cast<int8_t>(rng.uniform(8, 15));
    std::vector<int32_t> bias(wf.size());
    for (auto& b : bias) b = static_cast<int32_t>(rng.uniform(-(int64_t(1) << 30), int64_t(1) << 30));
    ConvQuant q{static_cast<int>(rng.uniform(4, 12)), 0, static_cast<int>(rng.uniform(6, 15)),
                rng.uniform(0, 1) ? wf.data() : nullptr, static_cast<int>(rng.uniform(10, 30)), rng.uniform(0, 1) == 1};
    q.output_frac = static_cast<int>(rng.uniform(q.input_frac - 2, q.input_frac + 6));
    const int32_t* b = rng.uniform(0, 3) ? bias.data() : nullptr;
    const int oh = conv_output_size(in.h, stride), ow = conv_output_size(in.w, stride);
    INFO("iter " << iter << " in " << in.h << "x" << in.w << "x" << in.c << " cout " << cout << " stride " << stride
                 << " pad " << int(pad) << " relu6 " << q.relu6 << " per-channel " << (q.weight_frac_per_channel != nullptr));

    {  // dense 3x3
      auto w = oracle::random_tensor<TW>(rng, static_cast<size_t>(cout) * 9 * in.c, extremes, wmin >> shrink_w, wmax >> shrink_w);
      auto want = oracle::conv3x3<TA, TW>(x, in, w, b, q, stride, pad, cout, false);
      std::vector<TA> got(want.size());
      conv3x3_reference(Tensor<const TA>{x.data(), in.h, in.w, in.c}, w.data(), b, q, stride, pad, Tensor<TA>{got.data(), oh, ow, cout});
      REQUIRE(got == want);
      std::vector<TA> got2(want.size());  // the portable stem kernel (and, above 8 channels, its fallback)
      conv3x3_scalar(Tensor<const TA>{x.data(), in.h, in.w, in.c}, w.data(), b, q, stride, pad, Tensor<TA>{got2.data(), oh, ow, cout});
      REQUIRE(got2 == want);
      std::vector<TA> got3(want.size());  // im2col + the best pointwise of this build
      conv3x3_im2col(Tensor<const TA>{x.data(), in.h, in.w, in.c}, w.data(), b, q, stride, pad, Tensor<TA>{got3.data(), oh, ow, cout});
      REQUIRE(got3 == want);
    }
    {  // depthwise
      auto w = oracle::random_tensor<TW>(rng, static_cast<size_t>(9) * in.c, extremes, wmin >> shrink_w, wmax >> shrink_w);
      auto want = oracle::conv3x3<TA, TW>(x, in, w, b, q, stride, pad, in.c, true);
      std::vector<TA> got(want.size());
      depthwise_conv3x3_reference(Tensor<const TA>{x.data(), in.h, in.w, in.c}, w.data(), b, q, stride, pad, Tensor<TA>{got.data(), oh, ow, in.c});
      REQUIRE(got == want);
    }
    {  // pointwise, reference and portable scalar
      auto w = oracle::random_tensor<TW>(rng, static_cast<size_t>(cout) * in.c, extremes, wmin >> shrink_w, wmax >> shrink_w);
      auto want = oracle::pointwise<TA, TW>(x, in, w, b, q, cout);
      std::vector<TA> got(want.size());
      pointwise_conv_reference(Tensor<const TA>{x.data(), in.h, in.w, in.c}, w.data(), b, q, Tensor<TA>{got.data(), in.h, in.w, cout});
      REQUIRE(got == want);
      std::vector<TA> got2(want.size());
      pointwise_conv_scalar(Tensor<const TA>{x.data(), in.h, in.w, in.c}, w.data(), b, q, Tensor<TA>{got2.data(), in.h, in.w, cout});
      REQUIRE(got2 == want);
    }
  }
}

}  // namespace

TEST_CASE("reference convolutions equal the naive oracle", "[kernels][conv]") {
  SECTION("int16 activations, int16 weights") { check_convs_against_oracle<int16_t, int16_t>(1); }
  SECTION("int16 activations, int8 weights") { check_convs_against_oracle<int16_t, int8_t>(2); }
  SECTION("int8 activations, int8 weights") { check_convs_against_oracle<int8_t, int8_t>(3); }
  SECTION("int8 activations, int16 weights") { check_convs_against_oracle<int8_t, int16_t>(4); }
}

TEST_CASE("add and concat align formats with one rounding", "[kernels][add]") {
  tinyq_test::Rng rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    const int n = static_cast<int>(rng.uniform(1, 40));
    auto a = oracle::random_tensor<int16_t>(rng, n, iter % 2 == 0, INT16_MIN, INT16_MAX);
    auto b = oracle::random_tensor<int16_t>(rng, n, iter % 2 == 0, INT16_MIN, INT16_MAX);
    const int af = static_cast<int>(rng.uniform(5, 12)), bf = static_cast<int>(rng.uniform(5, 12)), of = static_cast<int>(rng.uniform(5, 12));
    std::vector<int16_t> out(n), cat(2 * n);
    add(Tensor<const int16_t>{a.data(), 1, n, 1}, af, Tensor<const int16_t>{b.data(), 1, n, 1}, bf, Tensor<int16_t>{out.data(), 1, n, 1}, of);
    concat_channels(Tensor<const int16_t>{a.data(), n, 1, 1}, af, Tensor<const int16_t>{b.data(), n, 1, 1}, bf, Tensor<int16_t>{cat.data(), n, 1, 2}, of);
    for (int i = 0; i < n; ++i) {
      // exact in double: the values are small dyadic rationals
      const double v = (std::ldexp(a[i], -af) + std::ldexp(b[i], -bf)) * std::ldexp(1.0, of);
      const double r = std::floor(v + 0.5);
      REQUIRE(out[i] == static_cast<int16_t>(r > 32767 ? 32767 : (r < -32768 ? -32768 : r)));
      const double ra = std::floor(std::ldexp(a[i], of - af) + 0.5), rb = std::floor(std::ldexp(b[i], of - bf) + 0.5);
      REQUIRE(cat[2 * i] == static_cast<int16_t>(ra > 32767 ? 32767 : (ra < -32768 ? -32768 : ra)));
      REQUIRE(cat[2 * i + 1] == static_cast<int16_t>(rb > 32767 ? 32767 : (rb < -32768 ? -32768 : rb)));
    }
  }
  // hand values: 1.5 (Q1) + 0.25 (Q2) = 1.75 -> Q1 rounds half up to 2.0 (raw 4)
  int16_t a = 3, b = 1, o = 0;
  add(Tensor<const int16_t>{&a, 1, 1, 1}, 1, Tensor<const int16_t>{&b, 1, 1, 1}, 2, Tensor<int16_t>{&o, 1, 1, 1}, 1);
  CHECK(o == 4);
}

namespace {
// TF2 tf.image.resize bilinear, half_pixel_centers (compute_interpolation_weights), in double.
double tf_bilinear(const std::vector<int16_t>& in, int h, int w, int c, int ch, int oy, int ox) {
  auto axis = [](int o, int n, int& lo, int& hi, double& frac) {
    const double src = (o + 0.5) * 0.5 - 0.5;
    const double f = std::floor(src);
    lo = f < 0 ? 0 : static_cast<int>(f);
    hi = std::ceil(src) > n - 1 ? n - 1 : static_cast<int>(std::ceil(src));
    frac = src - f;
  };
  int y0, y1, x0, x1;
  double fy, fx;
  axis(oy, h, y0, y1, fy);
  axis(ox, w, x0, x1, fx);
  auto at = [&](int y, int x) { return static_cast<double>(in[(static_cast<size_t>(y) * w + x) * c + ch]); };
  const double top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx;
  const double bot = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx;
  return top + (bot - top) * fy;
}
}  // namespace

TEST_CASE("upsample_bilinear_2x matches TF2 half-pixel bilinear, rounded half up", "[kernels][upsample]") {
  tinyq_test::Rng rng(11);
  for (int iter = 0; iter < 40; ++iter) {
    const int h = static_cast<int>(rng.uniform(1, 7)), w = static_cast<int>(rng.uniform(1, 7)), c = static_cast<int>(rng.uniform(1, 5));
    auto x = oracle::random_tensor<int16_t>(rng, static_cast<size_t>(h) * w * c, iter % 2 == 0, INT16_MIN, INT16_MAX);
    std::vector<int16_t> out(static_cast<size_t>(4) * h * w * c);
    upsample_bilinear_2x(Tensor<const int16_t>{x.data(), h, w, c}, Tensor<int16_t>{out.data(), 2 * h, 2 * w, c});
    for (int oy = 0; oy < 2 * h; ++oy)
      for (int ox = 0; ox < 2 * w; ++ox)
        for (int ch = 0; ch < c; ++ch) {
          const double want = std::floor(tf_bilinear(x, h, w, c, ch, oy, ox) + 0.5);
          INFO(oy << "," << ox << "," << ch);
          REQUIRE(out[(static_cast<size_t>(oy) * 2 * w + ox) * c + ch] == static_cast<int16_t>(want));
        }
  }
}

TEST_CASE("conv3x3_scalar: more output channels than one group of constants", "[kernels][conv]") {
  tinyq_test::Rng rng(12);
  const oracle::Shape in{9, 7, 3};
  const int cout = 70;
  auto x = oracle::random_values<int16_t>(rng, static_cast<size_t>(in.h) * in.w * in.c, -4000, 4000);
  auto w = oracle::random_values<int16_t>(rng, static_cast<size_t>(cout) * 27, -8000, 8000);
  auto bias = oracle::random_values<int32_t>(rng, cout, -(1 << 24), 1 << 24);
  std::vector<int8_t> wf(cout);
  for (auto& f : wf) f = static_cast<int8_t>(rng.uniform(11, 14));
  for (const int8_t* per_channel : {static_cast<const int8_t*>(nullptr), static_cast<const int8_t*>(wf.data())}) {
    const ConvQuant q{8, 8, 13, per_channel, 21, true};
    for (int stride : {1, 2}) {
      const int oh = conv_output_size(in.h, stride), ow = conv_output_size(in.w, stride);
      const auto want = oracle::conv3x3<int16_t, int16_t>(x, in, w, bias.data(), q, stride, Padding::tf_same, cout, false);
      std::vector<int16_t> got(want.size());
      conv3x3_scalar(Tensor<const int16_t>{x.data(), in.h, in.w, in.c}, w.data(), bias.data(), q, stride, Padding::tf_same,
                     Tensor<int16_t>{got.data(), oh, ow, cout});
      REQUIRE(got == want);
      std::vector<int16_t> got2(want.size());
      conv3x3(Tensor<const int16_t>{x.data(), in.h, in.w, in.c}, w.data(), bias.data(), q, stride, Padding::tf_same,
              Tensor<int16_t>{got2.data(), oh, ow, cout});
      REQUIRE(got2 == want);
    }
  }
}
