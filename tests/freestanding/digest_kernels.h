// Digest section: every kernel (through the dispatching entry points, plus the
// reference and the portable scalar variant by name) on deterministic vectors from
// tests/common/rng.h. Static buffers only: no heap, no libstdc++.
#pragma once
#include "../common/rng.h"
#include "tinyq/blocks/inverted_residual.h"
#include "tinyq/kernels/packed.h"

namespace digest_kernels_detail {

constexpr int kMaxIn = 11 * 13 * 21;
constexpr int kMaxOut = 22 * 26 * 21;
constexpr int kMaxW = 9 * 21 * 21;

template <typename T>
inline void fill(tinyq_test::Rng& rng, T* v, int n, int shrink) {
  for (int i = 0; i < n; ++i) {
    const int64_t r = rng.uniform(0, 15);
    const int64_t lo = tinyq::int_limits<T>::min, hi = tinyq::int_limits<T>::max;
    v[i] = static_cast<T>(r == 0 ? lo : (r == 1 ? hi : rng.uniform(lo >> shrink, hi >> shrink)));
  }
}

template <typename TA, typename TW>
inline void run(tinyq_test::Digest& d, uint64_t seed) {
  using namespace tinyq;
  static TA x[kMaxIn], x2[kMaxIn], out[kMaxOut], out2[kMaxOut];
  static TW w[kMaxW];
  static int32_t bias[32];
  static int8_t wf[32];
  tinyq_test::Rng rng(seed);
  for (int iter = 0; iter < 24; ++iter) {
    const int h = static_cast<int>(rng.uniform(1, 11)), wd = static_cast<int>(rng.uniform(1, 13));
    const int cin = static_cast<int>(rng.uniform(1, 21)), cout = static_cast<int>(rng.uniform(1, 21));
    const int stride = 1 + (iter & 1);
    const Padding pad = (iter & 2) ? Padding::symmetric : Padding::tf_same;
    fill(rng, x, h * wd * cin, static_cast<int>(rng.uniform(0, int_limits<TA>::bits - 4)));
    fill(rng, x2, h * wd * cin, static_cast<int>(rng.uniform(0, int_limits<TA>::bits - 4)));
    fill(rng, w, 9 * cin * cout, static_cast<int>(rng.uniform(0, int_limits<TW>::bits - 3)));
    for (int c = 0; c < 32; ++c) {
      bias[c] = static_cast<int32_t>(rng.uniform(-(int64_t(1) << 28), int64_t(1) << 28));
      wf[c] = static_cast<int8_t>(rng.uniform(8, 15));
    }
    ConvQuant q{static_cast<int>(rng.uniform(4, 12)), 0, static_cast<int>(rng.uniform(6, 15)),
                (iter % 3 == 0) ? wf : nullptr, static_cast<int>(rng.uniform(10, 30)), (iter % 4) < 2};
    q.output_frac = static_cast<int>(rng.uniform(q.input_frac - 2, q.input_frac + 6));
    const Tensor<const TA> in{x, h, wd, cin};
    const int oh = conv_output_size(h, stride), ow = conv_output_size(wd, stride);

    conv3x3(in, w, bias, q, stride, pad, Tensor<TA>{out, oh, ow, cout});
    d.add_all(out, static_cast<uint64_t>(oh) * ow * cout);
    depthwise_conv3x3(in, w, bias, q, stride, pad, Tensor<TA>{out, oh, ow, cin});
    d.add_all(out, static_cast<uint64_t>(oh) * ow * cin);
    depthwise_conv3x3_reference(in, w, bias, q, stride, pad, Tensor<TA>{out2, oh, ow, cin});
    d.add_all(out2, static_cast<uint64_t>(oh) * ow * cin);
    pointwise_conv(in, w, bias, q, Tensor<TA>{out, h, wd, cout});
    d.add_all(out, static_cast<uint64_t>(h) * wd * cout);
    pointwise_conv_scalar(in, w, bias, q, Tensor<TA>{out2, h, wd, cout});
    d.add_all(out2, static_cast<uint64_t>(h) * wd * cout);
    ConvQuant qb = q;  // with the weights' L1 bound: the SWAR path where it applies (scalar.h)
    qb.weight_l1_bound = weight_l1_bound(w, cout, cin);
    pointwise_conv_scalar(in, w, bias, qb, Tensor<TA>{out2, h, wd, cout});
    d.add_all(out2, static_cast<uint64_t>(h) * wd * cout);
    pointwise_conv_reference(in, w, nullptr, q, Tensor<TA>{out2, h, wd, cout});
    d.add_all(out2, static_cast<uint64_t>(h) * wd * cout);

    const int af = static_cast<int>(rng.uniform(4, 12)), bf = static_cast<int>(rng.uniform(4, 12)), of = static_cast<int>(rng.uniform(4, 12));
    add(in, af, Tensor<const TA>{x2, h, wd, cin}, bf, Tensor<TA>{out, h, wd, cin}, of);
    d.add_all(out, static_cast<uint64_t>(h) * wd * cin);
    const int cb = cin / 2 + 1;
    concat_channels(Tensor<const TA>{x, h, wd / 2 + 1, cin - cin / 2}, af, Tensor<const TA>{x2, h, wd / 2 + 1, cb}, bf,
                    Tensor<TA>{out, h, wd / 2 + 1, cin - cin / 2 + cb}, of);
    d.add_all(out, static_cast<uint64_t>(h) * (wd / 2 + 1) * (cin - cin / 2 + cb));
    upsample_bilinear_2x(in, Tensor<TA>{out, 2 * h, 2 * wd, cin});
    d.add_all(out, static_cast<uint64_t>(4) * h * wd * cin);

    // Pointwise through pre-packed weights (a packed form on AVX-512 builds, plain elsewhere).
    static unsigned char packed_buf[21 * 22 * 4 + 64];
    const auto pw = pack_pointwise_weights(w, cin, cout, packed_buf, sizeof(packed_buf));
    pointwise_conv(in, pw, bias, q, Tensor<TA>{out, h, wd, cout});
    d.add_all(out, static_cast<uint64_t>(h) * wd * cout);

    // Fused inverted residual: expand cin -> cexp, depthwise, project -> cout (+ residual
    // when stride 1 and cout == cin).
    const int cexp = cin + static_cast<int>(rng.uniform(0, 10));
    const bool residual = stride == 1 && (iter & 4) != 0;
    const int cproj = residual ? cin : cout;
    const int f = q.input_frac;
    InvertedResidualParams<TW> p{w, bias, ConvQuant{f, f, q.weight_frac, nullptr, q.bias_frac, true}, cexp,
                                 w + 3, bias, ConvQuant{f, f, q.weight_frac, wf, q.bias_frac, true}, stride, pad,
                                 w + 7, bias, ConvQuant{f, f - 1, q.weight_frac, nullptr, q.bias_frac, false},
                                 residual, f, f};
    static unsigned char scratch[5 * 13 * 31 * 2 + 2 * 13 * 31 * 2 + 13 * 21 * 2 + 4 * 64];  // stride 2: five rows, two out
    const size_t need = inverted_residual_scratch_bytes<TA>(wd, cproj, p);
    const bool ran = need <= sizeof(scratch) &&
                     inverted_residual(in, p, Tensor<TA>{out, oh, ow, cproj}, scratch, sizeof(scratch));
    d.add(ran ? 1 : 0, 1);
    if (ran) d.add_all(out, static_cast<uint64_t>(oh) * ow * cproj);
  }
}

}  // namespace digest_kernels_detail

inline void digest_kernels(tinyq_test::Digest& d) {
  digest_kernels_detail::run<int16_t, int16_t>(d, 0x4B31);
  digest_kernels_detail::run<int16_t, int8_t>(d, 0x4B32);
  digest_kernels_detail::run<int8_t, int8_t>(d, 0x4B33);
  digest_kernels_detail::run<int8_t, int16_t>(d, 0x4B34);
}
