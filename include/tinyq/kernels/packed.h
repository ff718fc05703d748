// Pointwise weights packed once (at model load) for the fastest pointwise form this
// build has, so the per-call cost is the convolution alone (as with XNNPACK, which packs
// at operator creation). Portable API: where the build has no packed form
// (pointwise_packed_bytes == 0) the plain weights are used.
//
//   std::vector<unsigned char> buf(pointwise_packed_bytes(cin, cout));
//   auto pw = pack_pointwise_weights(weights, cin, cout, buf.data(), buf.size());
//   pointwise_conv(in, pw, bias, q, out);   // == pointwise_conv(in, weights, bias, q, out), bit for bit
#pragma once
#include "kernels.h"

namespace tinyq {

template <typename TW>
struct PackedPointwiseWeights {
  const TW* weights;      // the plain [cout][cin] weights (always valid)
  const int32_t* packed;  // AVX-512: [cout/32][cin/2][32] int16 pairs; nullptr when not packed
  int cin;
  int cout;
  uint32_t max_abs_w;     // max |w| (the int32 bound needs it every call)
};

// Bytes of the packed form (64-byte aligned data + 64 bytes of slack); 0 without one (no
// AVX-512 compiled in, or a CPU without it).
inline size_t pointwise_packed_bytes(int cin, int cout) {
#if TINYQ_HAVE_AVX512
  if (!cpu_has_avx512()) return 0;
  return static_cast<size_t>((cout + 31) / 32) * ((cin + 1) / 2) * 32 * 4 + 64;
#else
  (void)cin;
  (void)cout;
  return 0;
#endif
}

template <typename TW>
PackedPointwiseWeights<TW> pack_pointwise_weights(const TW* weights, int cin, int cout, void* buffer, size_t bytes) {
  PackedPointwiseWeights<TW> w{weights, nullptr, cin, cout, max_abs(weights, static_cast<size_t>(cin) * cout)};
#if TINYQ_HAVE_AVX512
  if (buffer == nullptr || bytes < pointwise_packed_bytes(cin, cout) || pointwise_packed_bytes(cin, cout) == 0) return w;
  unsigned char* base = static_cast<unsigned char*>(buffer);
  base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
  int32_t* dst = reinterpret_cast<int32_t*>(base);
  const size_t block_ints = static_cast<size_t>((cin + 1) / 2) * 32;
  for (int c0 = 0; c0 < cout; c0 += 32)
    detail::avx512::pack_weights(weights, cin, c0, cout - c0 < 32 ? cout - c0 : 32, dst + static_cast<size_t>(c0 / 32) * block_ints);
  w.packed = dst;
#else
  (void)buffer;
  (void)bytes;
#endif
  return w;
}

template <typename TA, typename TW>
void pointwise_conv(const Tensor<const TA>& in, const PackedPointwiseWeights<TW>& w, const int32_t* bias,
                    const ConvQuant& q, const Tensor<TA>& out) {
#if TINYQ_HAVE_AVX512
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  if (w.packed != nullptr && cpu_has_avx512() && pixels != 0 && out.channels != 0 && in.channels == w.cin && out.channels == w.cout &&
      (sizeof(TA) == 2 || in.channels <= detail::avx512::kPackMaxCin) && detail::preshift_shifts<TA>(q, out.channels)) {
    const uint64_t prod = uint64_t(detail::avx512::max_abs(in.data, pixels * in.channels)) * w.max_abs_w;
    if (fits_int32(2 * prod)) {
#if TINYQ_HAVE_AVX512_VNNI
      if (cpu_has_avx512_vnni())
        return detail::avx512vnni::pointwise_packed(in, w.weights, w.packed, bias, q, out, prod, w.max_abs_w);
#endif
      return detail::avx512::pointwise_packed(in, w.weights, w.packed, bias, q, out, prod, w.max_abs_w);
    }
  }
#endif
  pointwise_conv(in, w.weights, bias, q, out);
}

}  // namespace tinyq
