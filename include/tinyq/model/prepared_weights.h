// Pointwise weights packed once, at model open, for the fastest pointwise form this CPU runs
// (kernels/packed.h), into a buffer the caller owns and keeps: TFLite Micro's prepare step,
// XNNPACK's packing at operator creation. The executor and the fused blocks then run the
// packed kernels with no per-call packing; the results are bit-identical either way.
//
//   size_t n = prepared_weights_bytes(graph);     // 0: nothing to pack on this CPU / build
//   std::vector<uint8_t> buffer(n);               // or a static one; kept while the graph is used
//   PreparedWeights pw;
//   Status s = prepare_weights(graph, buffer.data(), buffer.size(), &pw);
//   run_integer(graph, plan, arena, arena_size, rgb, &out, parallel, &pw);
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "../kernels/packed.h"
#include "mobilenet_v2.h"
#include "status.h"

namespace tinyq {
namespace model {

struct PreparedWeights {
  const int32_t* packed[kMaxOps] = {};  // op i's packed pairs (packed.h), nullptr: plain weights
  const int32_t* quads[kMaxOps] = {};   // op i's vpdpbusd layout (int8 weights), nullptr: none
  int op_count = 0;                     // of the graph it was prepared for
};

// The packed form of op i's weights, where prepare_weights made one.
template <typename TW>
PackedPointwiseWeights<TW> prepared_pointwise(const Op& op, const PreparedWeights& pw, int i) {
  return PackedPointwiseWeights<TW>{op.weights.as<TW>(), pw.packed[i], op.cin, op.cout, op.weight_max_abs, pw.quads[i]};
}

inline bool has_prepared(const PreparedWeights* pw, int i) { return pw != nullptr && pw->packed[i] != nullptr; }

// Whether op takes the SWAR path (kernels/swar.h) that packed words would serve: its
// activation and weight types and its L1 bound decide it (any build computes it).
inline bool op_takes_swar(const Graph& g, const Op& op) {
  ConvQuant q{};
  q.weight_l1_bound = op.weight_l1_bound;
  const bool a16 = g.info().activation_dtype == DType::int16, w16 = op.weights.dtype == DType::int16;
  if (a16) return w16 ? tinyq::detail::swar_takes_prepacked<int16_t, int16_t>(q, op.cin, op.cout)
                      : tinyq::detail::swar_takes_prepacked<int16_t, int8_t>(q, op.cin, op.cout);
  return w16 ? tinyq::detail::swar_takes_prepacked<int8_t, int16_t>(q, op.cin, op.cout)
             : tinyq::detail::swar_takes_prepacked<int8_t, int8_t>(q, op.cin, op.cout);
}

inline bool is_packable(const Op& op) {
  return op.kind == OpKind::pointwise && (op.weights.dtype == DType::int8 || op.weights.dtype == DType::int16);
}

// Bytes a SWAR build (riscv64: kernels/packed.h TINYQ_PACKED_SWAR) needs for g, computed on
// any build: tinyq-embed sizes the firmware's static buffer with it on the host.
inline size_t swar_prepared_weights_bytes(const Graph& g) {
  size_t n = 0;
  for (int i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    if (is_packable(op) && op_takes_swar(g, op)) n += pointwise_swar_packed_bytes(op.cin, op.cout);
  }
  return n;
}

inline size_t prepared_op_bytes(const Graph& g, const Op& op) {
  if (!is_packable(op)) return 0;
#if TINYQ_PACKED_SWAR
  if (!op_takes_swar(g, op)) return 0;  // the words would serve no call
#else
  (void)g;
#endif
  return pointwise_packed_bytes(op.cin, op.cout, static_cast<int>(dtype_bytes(op.weights.dtype)));
}

// Bytes prepare_weights needs for g on this CPU (the packed forms depend on its SIMD level).
inline size_t prepared_weights_bytes(const Graph& g) {
  size_t n = 0;
  for (int i = 0; i < g.op_count(); ++i) n += prepared_op_bytes(g, g.op(i));
  return n;
}

// op's weights packed for its activation type TA and L1 bound (what the SWAR lanes depend on).
template <typename TA, typename TW>
PackedPointwiseWeights<TW> pack_op(const Op& op, void* at, size_t n) {
  ConvQuant q{};
  q.weight_l1_bound = op.weight_l1_bound;
  return pack_pointwise_weights<TA>(op.weights.as<TW>(), q, op.cin, op.cout, at, n);
}

// Packs every pointwise op of g into buffer (any alignment; bytes >= prepared_weights_bytes).
// With 0 bytes needed, buffer may be null and *out holds no packed op.
inline Status prepare_weights(const Graph& g, void* buffer, size_t bytes, PreparedWeights* out) {
  if (out == nullptr) return make_error(Error::null_buffer, "prepare_weights needs an output");
  *out = PreparedWeights{};
  const size_t need = prepared_weights_bytes(g);
  if (need > 0 && buffer == nullptr) return make_error(Error::null_buffer, "prepared-weights buffer is null");
  if (bytes < need) return make_error(Error::arena_too_small, "buffer smaller than prepared_weights_bytes");
  unsigned char* at = static_cast<unsigned char*>(buffer);
  for (int i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    const size_t n = prepared_op_bytes(g, op);
    if (n == 0) continue;
    const bool a16 = g.info().activation_dtype == DType::int16;
    if (op.weights.dtype == DType::int16) {
      const PackedPointwiseWeights<int16_t> p = a16 ? pack_op<int16_t, int16_t>(op, at, n) : pack_op<int8_t, int16_t>(op, at, n);
      out->packed[i] = p.packed;
      out->quads[i] = p.quads;
    } else {
      const PackedPointwiseWeights<int8_t> p = a16 ? pack_op<int16_t, int8_t>(op, at, n) : pack_op<int8_t, int8_t>(op, at, n);
      out->packed[i] = p.packed;
      out->quads[i] = p.quads;
    }
    at += n;
  }
  out->op_count = g.op_count();
  return ok_status();
}

}  // namespace model
}  // namespace tinyq
