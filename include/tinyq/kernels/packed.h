// Pointwise weights packed once (at model load) for the fastest pointwise form this
// build has, so the per-call cost is the convolution alone (as with XNNPACK, which packs
// at operator creation). Portable API: where the build has no packed form
// (pointwise_packed_bytes == 0) the plain weights are used.
//
//   std::vector<unsigned char> buf(pointwise_packed_bytes(cin, cout, sizeof(TW)));
//   auto pw = pack_pointwise_weights(weights, cin, cout, buf.data(), buf.size());
//   pointwise_conv(in, pw, bias, q, out);   // == pointwise_conv(in, weights, bias, q, out), bit for bit
#pragma once
#include "kernels.h"

// Builds whose pointwise_conv is pointwise_conv_scalar (riscv64 and other cores without
// the SIMD paths) pack the SWAR words instead (swar.h swar_prepack): one word giving the
// lanes L (2 or 3), then 4 words of L lanes per block of 4 L channels (4 bytes per weight
// with 2 lanes, 8/3 with 3). The lanes a layer takes depend on its types and L1 bound, so
// the packing that knows them (the overload with TA and q) packs for them; the other packs
// 2 lanes. A call whose lanes differ from the packed ones packs per call as without.
#if !TINYQ_HAVE_AVX512 && !TINYQ_HAVE_SSE2 && !TINYQ_HAVE_NEON
#define TINYQ_PACKED_SWAR 1
#else
#define TINYQ_PACKED_SWAR 0
#endif

namespace tinyq {

template <typename TW>
struct PackedPointwiseWeights {
  const TW* weights;      // the plain [cout][cin] weights (always valid)
  // AVX-512: [cout/32][cin/2][32] int16 pairs; SWAR builds: swar_prepack's uint64 words
  // (8-byte aligned, carried as this pointer); nullptr when not packed
  const int32_t* packed;
  int cin;
  int cout;
  uint32_t max_abs_w;     // max |w| (the int32 bound needs it every call)
  // AVX-512 VNNI, int8 weights, cin <= 1024: the vpdpbusd layout for int8 activations, per
  // block of 32 channels [32 x -128 sum_k w][ceil(cin/4)][32] byte quads (avx512_variant.h);
  // nullptr when not packed
  const int32_t* quads = nullptr;
};

// Bytes of the SWAR form (any build computes it: the firmware sizes its buffer on the host):
// the lanes word, the words, 8 bytes of alignment slack.
inline size_t pointwise_swar_packed_bytes(int cin, int cout) {
  const size_t words = detail::swar_prepacked_words(cin, cout);
  return words == 0 ? 0 : (words + 1) * 8 + 8;
}

// Bytes of the packed form (64-byte aligned data + 64 bytes of slack; SWAR builds: the
// form above); 0 without one (x86 or Arm without AVX-512 compiled in, or a CPU without it). weight_bytes = sizeof(TW): with 1, on a CPU
// with AVX-512 VNNI, room for the int8 x int8 (vpdpbusd) layout as well.
inline size_t pointwise_packed_bytes(int cin, int cout, int weight_bytes = 2) {
#if TINYQ_HAVE_AVX512
  if (!cpu_has_avx512()) return 0;
  size_t bytes = static_cast<size_t>((cout + 31) / 32) * ((cin + 1) / 2) * 32 * 4 + 64;
#if TINYQ_HAVE_AVX512_VNNI
  if (weight_bytes == 1 && cpu_has_avx512_vnni() && cin <= detail::avx512vnni::kQuadMaxCin)
    bytes += static_cast<size_t>((cout + 31) / 32) * detail::avx512vnni::quad_block_ints(cin) * 4;
#else
  (void)weight_bytes;
#endif
  return bytes;
#elif TINYQ_PACKED_SWAR
  (void)weight_bytes;
  return pointwise_swar_packed_bytes(cin, cout);
#else
  (void)cin;
  (void)cout;
  (void)weight_bytes;
  return 0;
#endif
}

#if TINYQ_PACKED_SWAR
namespace detail {
// The SWAR form for `lanes` lanes: words[0] = lanes, the blocks from words[1].
template <typename TW>
PackedPointwiseWeights<TW> pack_pointwise_swar(const TW* weights, int cin, int cout, void* buffer, size_t bytes,
                                               int lanes) {
  PackedPointwiseWeights<TW> w{weights, nullptr, cin, cout, max_abs(weights, static_cast<size_t>(cin) * cout)};
  const size_t need = pointwise_packed_bytes(cin, cout);
  if (buffer == nullptr || need == 0 || bytes < need) return w;
  unsigned char* base = static_cast<unsigned char*>(buffer);
  base += (8 - reinterpret_cast<uintptr_t>(base) % 8) % 8;
  uint64_t* words = reinterpret_cast<uint64_t*>(base);
  words[0] = static_cast<uint64_t>(lanes);
  if (lanes == 3)
    swar_prepack<3>(weights, cin, cout, words + 1);
  else
    swar_prepack<2>(weights, cin, cout, words + 1);
  w.packed = reinterpret_cast<const int32_t*>(words);
  return w;
}
}  // namespace detail
#endif

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
#if TINYQ_HAVE_AVX512_VNNI
  // after the pairs (a multiple of 128 bytes, so still 64-byte aligned)
  if constexpr (sizeof(TW) == 1) {
    if (bytes >= pointwise_packed_bytes(cin, cout, 1) && pointwise_packed_bytes(cin, cout, 1) > pointwise_packed_bytes(cin, cout, 2)) {
      int32_t* quads = dst + static_cast<size_t>((cout + 31) / 32) * block_ints;
      const size_t quad_ints = detail::avx512vnni::quad_block_ints(cin);
      for (int c0 = 0; c0 < cout; c0 += 32)
        detail::avx512vnni::pack_quads(weights, cin, c0, cout - c0 < 32 ? cout - c0 : 32, quads + static_cast<size_t>(c0 / 32) * quad_ints);
      w.quads = quads;
    }
  }
#endif
#elif TINYQ_PACKED_SWAR
  return detail::pack_pointwise_swar(weights, cin, cout, buffer, bytes, 2);
#else
  (void)buffer;
  (void)bytes;
#endif
  return w;
}

// The same for a layer of activation type TA and quantization q (its weight_l1_bound): on
// SWAR builds the words for the lanes that layer takes (swar.h swar_lanes); elsewhere q is
// not needed.
template <typename TA, typename TW>
PackedPointwiseWeights<TW> pack_pointwise_weights(const TW* weights, const ConvQuant& q, int cin, int cout,
                                                  void* buffer, size_t bytes) {
#if TINYQ_PACKED_SWAR
  return detail::pack_pointwise_swar(weights, cin, cout, buffer, bytes, detail::swar_lanes<TA, TW>(q, cin, cout));
#else
  (void)q;
  return pack_pointwise_weights(weights, cin, cout, buffer, bytes);
#endif
}

template <typename TA, typename TW>
void pointwise_conv(const Tensor<const TA>& in, const PackedPointwiseWeights<TW>& w, const int32_t* bias,
                    const ConvQuant& q, const Tensor<TA>& out) {
#if TINYQ_HAVE_AVX512
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
#if TINYQ_HAVE_AVX512_VNNI
  // int8 x int8 with the vpdpbusd layout: any pixel count (no packing left to amortise)
  if constexpr (sizeof(TA) == 1 && sizeof(TW) == 1)
    if (w.quads != nullptr && cpu_has_avx512_vnni() && in.channels == w.cin && out.channels == w.cout &&
        detail::avx512vnni::pointwise_quads(in, w.weights, w.quads, bias, q, out))
      return;
#endif
  if (w.packed != nullptr && cpu_has_avx512() && pixels != 0 && out.channels != 0 && in.channels == w.cin && out.channels == w.cout &&
      (sizeof(TA) == 2 || in.channels <= detail::avx512::kPackMaxCin) && detail::preshift_shifts<TA>(q, out.channels)) {
    const uint64_t xmax =
        given_or_scanned(q.input_max_abs, [&] { return simd::Avx512::max_abs(in.data, pixels * in.channels); });
    const uint64_t prod = xmax * w.max_abs_w;
    if (fits_int32(2 * prod) || fits_int32(pointwise_sum_bound(q, in.channels, prod, xmax))) {
#if TINYQ_HAVE_AVX512_VNNI
      if (cpu_has_avx512_vnni())
        return detail::avx512vnni::pointwise_packed(in, w.weights, w.packed, bias, q, out, prod, w.max_abs_w);
#endif
      return detail::avx512::pointwise_packed(in, w.weights, w.packed, bias, q, out, prod, w.max_abs_w);
    }
  }
#elif TINYQ_PACKED_SWAR
  if (w.packed != nullptr && in.channels == w.cin && out.channels == w.cout)
    return pointwise_conv_scalar(in, w.weights, bias, q, out, reinterpret_cast<const uint64_t*>(w.packed) + 1,
                                 static_cast<int>(reinterpret_cast<const uint64_t*>(w.packed)[0]));
#endif
  pointwise_conv(in, w.weights, bias, q, out);
}

}  // namespace tinyq
