// The integer executor (the product): runs a Graph of an int8/int16 model on uint8 RGB
// pixels, entirely inside the caller's arena laid out by a MemoryPlan. No heap, no float,
// no exceptions; bit-exact on every platform (the kernels' contract).
//
//   MemoryPlan plan;  MemoryPlan::make(graph, h, w, Schedule::layer_by_layer, &plan);
//   alignas(16) static uint8_t arena[...];           // >= plan.arena_bytes
//   IntegerOutput out;
//   Status s = run_integer(graph, plan, arena, sizeof arena, rgb, &out);
//   // out.data: out.shape (HWC) values of out.dtype with out.frac fractional bits
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "../core/fixed_point.h"
#include "../core/parallel.h"
#include "../blocks/inverted_residual.h"
#include "../kernels/kernels.h"
#include "memory_plan.h"
#include "mobilenet_v2.h"
#include "prepared_weights.h"

namespace tinyq {
namespace model {

struct IntegerOutput {
  DType dtype;       // int8 or int16
  const void* data;  // inside the arena
  Shape shape;
  int frac;
  template <typename T>
  const T* as() const { return static_cast<const T*>(data); }
};

namespace exec_detail {

// round(num / den) = floor(num / den + 1/2), ties up (the rounding rule of
// core/fixed_point.h), for den > 0. Computed as q = floor(num / den), r = num - q den in
// [0, den), then q + (2 r >= den): no intermediate exceeds |num| or 2 den, so any int64
// num and any den in (0, 2^62] are exact (the old 2 num + den form overflowed for
// |num| > 2^62).
constexpr int64_t rounding_divide(int64_t num, int64_t den) {
  int64_t q = num / den, r = num % den;  // truncation: r has num's sign
  if (r < 0) { q -= 1; r += den; }       // floor
  return r >= den - r ? q + 1 : q;       // 2 r >= den without forming 2 r
}

template <typename TA>
Tensor<TA> view(const MemoryPlan& p, uint8_t* arena, int v) {
  const Shape& s = p.shape[v];
  return Tensor<TA>{reinterpret_cast<TA*>(arena + p.offset[v]), s.height, s.width, s.channels};
}
template <typename TA>
Tensor<const TA> cview(const MemoryPlan& p, uint8_t* arena, int v) {
  return view<TA>(p, arena, v);
}

inline ConvQuant conv_quant(const Graph& g, const Op& op) {
  ConvQuant q{};
  q.input_frac = g.value_frac(op.in0);
  q.output_frac = op.out_frac;
  q.weight_frac = op.weights.quant == QuantKind::per_tensor ? op.weights.frac : 0;
  q.weight_frac_per_channel = op.weight_fracs.valid() ? op.weight_fracs.as<int8_t>() : nullptr;
  q.bias_frac = op.bias.frac;
  q.relu6 = op.relu6;
  q.weight_l1_bound = op.weight_l1_bound;
  q.input_max_abs = op.input_max_abs;
  q.weight_max_abs = op.weight_max_abs;
  return q;
}

// Op i (= op) on in -> out; its packed weights from pw where prepare_weights made them.
template <typename TA, typename TW>
void run_conv(const Graph& g, const Op& op, const Tensor<const TA>& in, const Tensor<TA>& out,
              const PreparedWeights* pw = nullptr, int i = -1) {
  const ConvQuant q = conv_quant(g, op);
  const TW* w = op.weights.as<TW>();
  const int32_t* b = op.bias.as<int32_t>();
  const Padding pad = g.info().padding == PaddingMode::symmetric ? Padding::symmetric : Padding::tf_same;
  switch (op.kind) {
    case OpKind::conv3x3: conv3x3<TA, TW>(in, w, b, q, op.stride, pad, out); break;
    case OpKind::depthwise3x3: depthwise_conv3x3<TA, TW>(in, w, b, q, op.stride, pad, out); break;
    default:
      if (has_prepared(pw, i)) pointwise_conv<TA, TW>(in, prepared_pointwise<TW>(op, *pw, i), b, q, out);
      else pointwise_conv<TA, TW>(in, w, b, q, out);
      break;
  }
}

template <typename TA>
void global_average(const Tensor<const TA>& in, int in_frac, const Tensor<TA>& out, int out_frac) {
  const int64_t pixels = static_cast<int64_t>(in.height) * in.width;
  for (int c = 0; c < in.channels; ++c) {
    int64_t sum = 0;
    for (int64_t p = 0; p < pixels; ++p) sum += in.data[p * in.channels + c];
    // one rounding: sum * 2^(out_frac - in_frac) / pixels
    const int d = out_frac - in_frac;
    const int64_t v = d >= 0 ? rounding_divide(saturating_shift_left(sum, d), pixels)
                             : rounding_divide(sum, pixels * (int64_t(1) << -d));
    out.data[c] = saturate<TA>(v);
  }
}

// (p - offset) * 2^(frac - shift), rounded and saturated, for every pixel byte p: the 256
// possible results are computed once per frame, then each byte is a table lookup.
template <typename TA>
void normalise_input(const ModelInfo& m, const uint8_t* rgb, int frac, const Tensor<TA>& out) {
  const int right = static_cast<int>(m.input_shift) - frac;
  TA table[256];
  for (int p = 0; p < 256; ++p)
    table[p] = static_cast<TA>(shift_round_saturate(int64_t(p) - m.input_offset, right, int_limits<TA>::bits));
  const size_t n = out.size();
  for (size_t i = 0; i < n; ++i) out.data[i] = table[rgb[i]];
}

// One fused step through blocks/inverted_residual.h: expand (op i), depthwise, project[, add],
// or (block 0) depthwise (op i), project.
template <typename TA, typename TW, typename TD>
bool run_fused(const Graph& g, const MemoryPlan& p, uint8_t* arena, int i, int len, const PreparedWeights* pw) {
  const bool has_expand = g.op(i).kind == OpKind::pointwise;
  const Op& d = g.op(has_expand ? i + 1 : i);
  const Op& pr = g.op(has_expand ? i + 2 : i + 1);
  const bool residual = pr.residual;
  InvertedResidualParams<TW, TD> bp{};
  if (has_expand) {
    const Op& e = g.op(i);
    bp.expand_weights = e.weights.as<TW>();
    bp.expand_bias = e.bias.as<int32_t>();
    bp.expand_q = conv_quant(g, e);
    if (has_prepared(pw, i)) {
      bp.expand_packed = pw->packed[i];
      bp.expand_quads = pw->quads[i];
    }
  }
  bp.expanded_channels = d.cin;
  bp.depthwise_weights = d.weights.as<TD>();
  bp.depthwise_bias = d.bias.as<int32_t>();
  bp.depthwise_q = conv_quant(g, d);
  bp.stride = d.stride;
  bp.padding = g.info().padding == PaddingMode::symmetric ? Padding::symmetric : Padding::tf_same;
  bp.project_weights = pr.weights.as<TW>();
  bp.project_bias = pr.bias.as<int32_t>();
  bp.project_q = conv_quant(g, pr);
  const int project = has_expand ? i + 2 : i + 1;
  if (has_prepared(pw, project)) {
    bp.project_packed = pw->packed[project];
    bp.project_quads = pw->quads[project];
  }
  bp.residual = residual;
  bp.input_frac = g.value_frac(g.op(i).in0);
  bp.residual_frac = residual ? g.op(i + len - 1).out_frac : 0;
  const int step = p.step_of_op[i];
  return inverted_residual<TA, TW>(cview<TA>(p, arena, g.op(i).in0), bp, view<TA>(p, arena, i + len),
                                   arena + p.scratch_offset[step - 1], static_cast<size_t>(p.scratch_bytes[step - 1]));
}

// Rows [r0, r1) of a tensor: a part of a parallel layer.
template <typename T>
Tensor<T> rows_of(const Tensor<T>& t, int r0, int r1) {
  return Tensor<T>{t.data + static_cast<int64_t>(r0) * t.width * t.channels, r1 - r0, t.width, t.channels};
}

// One layer cut into `parts` bands of output rows for a ParallelFor. Each band is an
// independent kernel call on its own rows (the 3x3 ones read the input rows they need,
// with the same padding), and every kernel variant equals the reference per output
// value, so the layer's result does not depend on the cut.
template <typename TA>
struct LayerBands {
  const Graph* g;
  const Op* op;
  Tensor<const TA> a, b;  // b: the second operand of add
  Tensor<TA> out;
  int parts;
  const PreparedWeights* pw;  // may be null
  int index;                  // of op

  template <typename TW>
  void run_rows(int r0, int r1) const {
    const ConvQuant q = conv_quant(*g, *op);
    const TW* w = op->weights.as<TW>();
    const int32_t* bias = op->bias.as<int32_t>();
    const Padding pad = g->info().padding == PaddingMode::symmetric ? Padding::symmetric : Padding::tf_same;
    switch (op->kind) {
      case OpKind::conv3x3: conv3x3_rows<TA, TW>(a, w, bias, q, op->stride, pad, out, r0, r1); break;
      case OpKind::depthwise3x3: depthwise_conv3x3_rows<TA, TW>(a, w, bias, q, op->stride, pad, out, r0, r1); break;
      default:
        if (has_prepared(pw, index))
          pointwise_conv<TA, TW>(rows_of(a, r0, r1), prepared_pointwise<TW>(*op, *pw, index), bias, q, rows_of(out, r0, r1));
        else
          pointwise_conv<TA, TW>(rows_of(a, r0, r1), w, bias, q, rows_of(out, r0, r1));
        break;
    }
  }
  static void task(void* ctx, int i) {
    const LayerBands& l = *static_cast<const LayerBands*>(ctx);
    const RangePart r = range_part(l.out.height, l.parts, i);
    if (r.begin == r.end) return;
    if (l.op->kind == OpKind::add) {
      add<TA>(rows_of(l.a, r.begin, r.end), l.g->value_frac(l.op->in0), rows_of(l.b, r.begin, r.end),
              l.g->value_frac(l.op->in1), rows_of(l.out, r.begin, r.end), l.op->out_frac);
    } else if (l.op->weights.dtype == DType::int16) {
      l.template run_rows<int16_t>(r.begin, r.end);
    } else {
      l.template run_rows<int8_t>(r.begin, r.end);
    }
  }
};

// Whether op runs as row bands under a ParallelFor (the rest run on the caller).
inline bool runs_in_bands(const Op& op, int cin, int out_height) {
  if (out_height < 2) return false;
  switch (op.kind) {
    case OpKind::conv3x3: return conv3x3_rows_supported(cin);
    case OpKind::depthwise3x3:
    case OpKind::pointwise:
    case OpKind::add: return true;
    default: return false;
  }
}

template <typename TA>
Status run(const Graph& g, const MemoryPlan& p, uint8_t* arena, const uint8_t* rgb, IntegerOutput* result,
           const ParallelFor* par, const PreparedWeights* pw) {
  normalise_input<TA>(g.info(), rgb, g.value_frac(0), view<TA>(p, arena, 0));
  for (int i = 0; i < g.op_count();) {
    const Op& op = g.op(i);
    int len = 1;
    while (i + len < g.op_count() && p.step_of_op[i + len] == p.step_of_op[i]) ++len;
    if (len > 1) {  // a fused inverted residual (row_streamed)
      // the 1x1s (expand, project) share one weight type, the depthwise may have its own
      const bool has_expand = op.kind == OpKind::pointwise;
      const DType wt = g.op(has_expand ? i + 2 : i + 1).weights.dtype;  // project
      const DType dt = g.op(has_expand ? i + 1 : i).weights.dtype;      // depthwise
      if (has_expand && op.weights.dtype != wt)
        return make_error(Error::dtype_mismatch, "a fused block needs one weight dtype for its expand and project", i);
      const bool w16 = wt == DType::int16, d16 = dt == DType::int16;
      const bool ok = w16 ? (d16 ? run_fused<TA, int16_t, int16_t>(g, p, arena, i, len, pw)
                                 : run_fused<TA, int16_t, int8_t>(g, p, arena, i, len, pw))
                          : (d16 ? run_fused<TA, int8_t, int16_t>(g, p, arena, i, len, pw)
                                 : run_fused<TA, int8_t, int8_t>(g, p, arena, i, len, pw));
      if (!ok) return make_error(Error::block_rejected, "fused block rejected its shapes or scratch", i);
      i += len;
      continue;
    }
    const int v = i + 1;
    const Tensor<TA> out = view<TA>(p, arena, v);
    const Tensor<const TA> a = cview<TA>(p, arena, op.in0);
    if (par != nullptr && par->parallel() && runs_in_bands(op, a.channels, out.height)) {
      const int parts = par->parts_for(out.height);
      const LayerBands<TA> bands{&g, &op, a, op.kind == OpKind::add ? cview<TA>(p, arena, op.in1) : a, out, parts, pw, i};
      par->run(par->pool, parts, &LayerBands<TA>::task, const_cast<LayerBands<TA>*>(&bands));
      ++i;
      continue;
    }
    switch (op.kind) {
      case OpKind::conv3x3:
      case OpKind::depthwise3x3:
      case OpKind::pointwise:
        if (op.weights.dtype == DType::int16) run_conv<TA, int16_t>(g, op, a, out, pw, i);
        else run_conv<TA, int8_t>(g, op, a, out, pw, i);
        break;
      case OpKind::add:
        add<TA>(a, g.value_frac(op.in0), cview<TA>(p, arena, op.in1), g.value_frac(op.in1), out, op.out_frac);
        break;
      case OpKind::upsample2x: upsample_bilinear_2x<TA>(a, out); break;
      case OpKind::concat:
        concat_channels<TA>(a, g.value_frac(op.in0), cview<TA>(p, arena, op.in1), g.value_frac(op.in1), out,
                            op.out_frac);
        break;
      case OpKind::global_avgpool: global_average<TA>(a, g.value_frac(op.in0), out, op.out_frac); break;
    }
    ++i;
  }
  const int ov = g.output_value();
  result->dtype = g.info().activation_dtype;
  result->data = arena + p.offset[ov];
  result->shape = p.shape[ov];
  result->frac = g.value_frac(ov);
  return ok_status();
}

}  // namespace exec_detail

// Value v after run_integer, for any v with g.is_output(v) (the plan keeps those to the
// end): e.g. every exit head of a multi-exit model, g.exit(k).value.
inline IntegerOutput integer_value(const Graph& g, const MemoryPlan& plan, const uint8_t* arena, int v) {
  IntegerOutput r{};
  r.dtype = g.info().activation_dtype;
  r.data = arena + plan.offset[v];
  r.shape = plan.shape[v];
  r.frac = g.value_frac(v);
  return r;
}

// rgb: input_height x input_width x 3 uint8 pixels (HWC, RGB), the plan's size.
// parallel (optional): the layers of whole tensors (layer_by_layer, and the unfused ops of
// row_streamed) run as bands of output rows on it; fused row-streamed blocks stream on
// the caller. The output is bit-identical for any ParallelFor (core/parallel.h).
// prepared (optional): g's pointwise weights packed once (prepared_weights.h); bit-identical.
inline Status run_integer(const Graph& g, const MemoryPlan& plan, uint8_t* arena, size_t arena_size,
                          const uint8_t* rgb, IntegerOutput* result, const ParallelFor* parallel = nullptr,
                          const PreparedWeights* prepared = nullptr) {
  if (!g.is_integer()) return make_error(Error::not_integer_model, "the integer executor needs an int8/int16 model");
  if (arena == nullptr || rgb == nullptr) return make_error(Error::null_buffer, "arena or input is null");
  if ((reinterpret_cast<uintptr_t>(arena) & (kArenaAlignment - 1)) != 0)
    return make_error(Error::misaligned_buffer, "the arena must be 16-byte aligned");
  if (arena_size < plan.arena_bytes) return make_error(Error::arena_too_small, "arena smaller than MemoryPlan::arena_bytes");
  if (plan.element_bytes != dtype_bytes(g.info().activation_dtype) || plan.step_count < 1 ||
      plan.value_count != g.value_count() || plan.op_count != g.op_count())
    return make_error(Error::plan_mismatch, "the plan was made for another graph");
  if (prepared != nullptr && prepared->op_count != g.op_count())
    return make_error(Error::plan_mismatch, "the prepared weights were made for another graph");
  return g.info().activation_dtype == DType::int16 ? exec_detail::run<int16_t>(g, plan, arena, rgb, result, parallel, prepared)
                                                   : exec_detail::run<int8_t>(g, plan, arena, rgb, result, parallel, prepared);
}

}  // namespace model
}  // namespace tinyq
