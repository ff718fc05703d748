// The fused, row-streamed inverted-residual block equals the unfused composition of
// the reference kernels bit for bit; its scratch twin is sufficient and respected.
#include <catch2/catch.hpp>

#include <vector>

#include "kernels/kernel_oracle.h"
#include "tinyq/blocks/inverted_residual.h"

using namespace tinyq;

namespace {

// TW: the 1x1 weights, TD: the depthwise weights (the w12d8 models: int16 and int8).
template <typename TA, typename TW, typename TD = TW>
struct Case {
  int h, w, cin, t, cout, stride;
  Padding pad;
  bool expand, residual;
  std::vector<TA> x;
  std::vector<TW> we, wp;
  std::vector<TD> wd;
  std::vector<int32_t> be, bd, bp;
  std::vector<int8_t> pc;
  InvertedResidualParams<TW, TD> p;
};

template <typename TA, typename TW, typename TD>
Case<TA, TW, TD> make_case(tinyq_test::Rng& rng, int h, int w, int cin, int t, int cout, int stride, Padding pad, bool expand,
                           bool residual) {
  Case<TA, TW, TD> c{h, w, cin, t, cout, stride, pad, expand, residual, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  const int cexp = expand ? cin * t : cin;
  const bool i16 = sizeof(TA) == 2;
  const int f = i16 ? static_cast<int>(rng.uniform(7, 9)) : 4;
  c.x = oracle::random_values<TA>(rng, static_cast<size_t>(h) * w * cin, -(int64_t(3) << f), int64_t(3) << f);
  const int64_t wm = sizeof(TW) == 2 ? 8191 : 100;
  c.we = oracle::random_values<TW>(rng, static_cast<size_t>(cexp) * cin, -wm, wm);
  const int64_t wdm = sizeof(TD) == 2 ? 8191 : 100;
  c.wd = oracle::random_values<TD>(rng, static_cast<size_t>(9) * cexp, -wdm, wdm);
  c.wp = oracle::random_values<TW>(rng, static_cast<size_t>(cout) * cexp, -wm, wm);
  c.be = oracle::random_values<int32_t>(rng, cexp, -(1 << 20), 1 << 20);
  c.bd = oracle::random_values<int32_t>(rng, cexp, -(1 << 20), 1 << 20);
  c.bp = oracle::random_values<int32_t>(rng, cout, -(1 << 20), 1 << 20);
  c.pc = oracle::random_values<int8_t>(rng, cexp > cout ? cexp : cout, 10, 13);
  const int wf = sizeof(TW) == 2 ? 13 : 6;
  const int shift = sizeof(TW) == 2 ? 0 : 0;
  (void)shift;
  c.p.expand_weights = expand ? c.we.data() : nullptr;
  c.p.expand_bias = c.be.data();
  c.p.expand_q = ConvQuant{f, f, wf, nullptr, 20, true};
  c.p.expanded_channels = cexp;
  c.p.depthwise_weights = c.wd.data();
  c.p.depthwise_bias = rng.uniform(0, 1) ? c.bd.data() : nullptr;
  const int wdf = sizeof(TD) == 2 ? 13 : 6;
  c.p.depthwise_q = ConvQuant{f, f, wdf, rng.uniform(0, 1) ? c.pc.data() : nullptr, 20, true};
  c.p.stride = stride;
  c.p.padding = pad;
  c.p.project_weights = c.wp.data();
  c.p.project_bias = c.bp.data();
  c.p.project_q = ConvQuant{f, f - 1, wf, nullptr, 20, false};
  c.p.residual = residual;
  c.p.input_frac = f;
  c.p.residual_frac = f - static_cast<int>(rng.uniform(0, 1));
  return c;
}

// The definition: the unfused composition through the reference kernels.
template <typename TA, typename TW, typename TD>
std::vector<TA> unfused(const Case<TA, TW, TD>& c) {
  const auto& p = c.p;
  const int cexp = p.expanded_channels;
  const Tensor<const TA> in{c.x.data(), c.h, c.w, c.cin};
  std::vector<TA> e;
  Tensor<const TA> et = in;
  if (c.expand) {
    e.resize(static_cast<size_t>(c.h) * c.w * cexp);
    pointwise_conv_reference(in, p.expand_weights, p.expand_bias, p.expand_q, Tensor<TA>{e.data(), c.h, c.w, cexp});
    et = Tensor<const TA>{e.data(), c.h, c.w, cexp};
  }
  const int oh = conv_output_size(c.h, c.stride), ow = conv_output_size(c.w, c.stride);
  std::vector<TA> d(static_cast<size_t>(oh) * ow * cexp), pr(static_cast<size_t>(oh) * ow * c.cout);
  depthwise_conv3x3_reference(et, p.depthwise_weights, p.depthwise_bias, p.depthwise_q, c.stride, c.pad, Tensor<TA>{d.data(), oh, ow, cexp});
  pointwise_conv_reference(Tensor<const TA>{d.data(), oh, ow, cexp}, p.project_weights, p.project_bias, p.project_q,
                           Tensor<TA>{pr.data(), oh, ow, c.cout});
  if (!c.residual) return pr;
  std::vector<TA> out(pr.size());
  add_reference(Tensor<const TA>{pr.data(), oh, ow, c.cout}, p.project_q.output_frac, in, p.input_frac,
                Tensor<TA>{out.data(), oh, ow, c.cout}, p.residual_frac);
  return out;
}

template <typename TA, typename TW, typename TD>
void check_block(tinyq_test::Rng& rng, int h, int w, int cin, int t, int cout, int stride, Padding pad, bool expand, bool residual) {
  auto c = make_case<TA, TW, TD>(rng, h, w, cin, t, cout, stride, pad, expand, residual);
  const auto want = unfused(c);
  const int oh = conv_output_size(h, stride), ow = conv_output_size(w, stride);
  const size_t bytes = inverted_residual_scratch_bytes<TA>(w, cout, c.p);
  std::vector<unsigned char> scratch(bytes + 256, 0xA5);
  std::vector<TA> got(want.size(), TA(0x5A));
  INFO(h << "x" << w << "x" << cin << " t " << t << " cout " << cout << " stride " << stride << " pad " << int(pad)
         << " expand " << expand << " residual " << residual);
  REQUIRE(inverted_residual(Tensor<const TA>{c.x.data(), h, w, cin}, c.p, Tensor<TA>{got.data(), oh, ow, cout}, scratch.data(), bytes));
  REQUIRE(got == want);
  // Nothing written past the scratch it asked for (the carve-out starts at the first 64-byte boundary).
  for (size_t i = bytes; i < scratch.size(); ++i) REQUIRE(scratch[i] == 0xA5);
  // Too little scratch: refused, output untouched.
  std::vector<TA> untouched(want.size(), TA(0x5A));
  CHECK_FALSE(inverted_residual(Tensor<const TA>{c.x.data(), h, w, cin}, c.p, Tensor<TA>{untouched.data(), oh, ow, cout}, scratch.data(), bytes - 1));
  CHECK(untouched == std::vector<TA>(want.size(), TA(0x5A)));
}

template <typename TA, typename TW, typename TD = TW>
void sweep(uint64_t seed) {
  tinyq_test::Rng rng(seed);
  for (int iter = 0; iter < 40; ++iter) {
    const int stride = static_cast<int>(rng.uniform(1, 2));
    const bool residual = stride == 1 && rng.uniform(0, 1);
    const int cin = static_cast<int>(rng.uniform(1, 24));
    const bool expand = iter % 5 != 0;
    check_block<TA, TW, TD>(rng, static_cast<int>(rng.uniform(1, 9)), static_cast<int>(rng.uniform(1, 9)), cin,
                        static_cast<int>(rng.uniform(1, 6)), residual ? cin : static_cast<int>(rng.uniform(1, 24)), stride,
                        rng.uniform(0, 1) ? Padding::tf_same : Padding::symmetric, expand, residual);
  }
  // MobileNetV2-like blocks (channel counts of width 0.5 and 1.0)
  check_block<TA, TW, TD>(rng, 8, 8, 16, 6, 24, 2, Padding::tf_same, true, false);
  check_block<TA, TW, TD>(rng, 7, 7, 24, 6, 24, 1, Padding::symmetric, true, true);
  check_block<TA, TW, TD>(rng, 6, 5, 32, 6, 32, 1, Padding::tf_same, true, true);
  check_block<TA, TW, TD>(rng, 9, 9, 32, 1, 16, 1, Padding::tf_same, false, false);
  check_block<TA, TW, TD>(rng, 4, 4, 160, 6, 320, 1, Padding::symmetric, true, false);
  // stride 2 over many row pairs (the ring's slots alternate direction per pair), odd and
  // even heights, both paddings, with and without the expansion
  for (int h = 10; h <= 17; ++h)
    check_block<TA, TW, TD>(rng, h, 7 + h % 3, 8, h % 2 == 0 ? 6 : 1, 12, 2, h % 4 < 2 ? Padding::tf_same : Padding::symmetric,
                            h != 13, false);
  // wider maps: 2 and 3 output rows per stride-2 step (block_rows_per_step)
  check_block<TA, TW, TD>(rng, 13, 70, 4, 3, 6, 2, Padding::tf_same, true, false);
  check_block<TA, TW, TD>(rng, 14, 50, 4, 3, 6, 2, Padding::symmetric, true, false);
  check_block<TA, TW, TD>(rng, 15, 47, 4, 3, 6, 2, Padding::tf_same, true, false);
}

}  // namespace

TEST_CASE("fused inverted residual equals the unfused composition: int16 x int16", "[blocks]") { sweep<int16_t, int16_t>(31); }
TEST_CASE("fused inverted residual equals the unfused composition: int16 x int8", "[blocks]") { sweep<int16_t, int8_t>(32); }
TEST_CASE("fused inverted residual equals the unfused composition: int8 x int8", "[blocks]") { sweep<int8_t, int8_t>(33); }
TEST_CASE("fused inverted residual equals the unfused composition: int16 x int16 1x1s, int8 depthwise", "[blocks]") {
  sweep<int16_t, int16_t, int8_t>(34);
}

TEST_CASE("inverted residual scratch twin", "[blocks]") {
  // 224-wide, t = 6 expansion of 16 channels (96 expanded), stride 2, int16: five expanded
  // rows (224 * 96 * 2 bytes each: a row pair's inputs) + two depthwise rows (112 * 96 * 2
  // each) + alignment slack.
  CHECK(inverted_residual_scratch_bytes<int16_t>(224, 96, 24, 2, true, false) == 5 * 43008 + 2 * 21504 + 64);
  CHECK(inverted_residual_scratch_bytes<int16_t>(224, 96, 24, 2, false, false) == 2 * 21504 + 64);
  // narrower maps take more output rows per step: 56 wide (28 outputs) 3, so seven expanded
  // rows and three depthwise rows; 28 wide (14 outputs) 4 (the most), nine and four
  CHECK(inverted_residual_scratch_bytes<int16_t>(56, 96, 24, 2, true, false) == 7 * 10752 + 3 * 5376 + 64);
  CHECK(inverted_residual_scratch_bytes<int16_t>(28, 96, 24, 2, true, false) == 9 * 5376 + 4 * 2688 + 64);
  // stride 1: three expanded rows, one depthwise row, one projected row (56 * 24 * 2)
  CHECK(inverted_residual_scratch_bytes<int16_t>(56, 144, 24, 1, true, true) == 3 * 16128 + 16128 + 2688 + 64);
  // against the materialised expanded tensor (112 x 112 x 96 x 2 bytes = 2.4 MB)
  CHECK(inverted_residual_scratch_bytes<int16_t>(112, 96, 24, 2, true, false) < size_t(112) * 112 * 96 * 2 / 15);
}
