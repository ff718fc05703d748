// Fused MobileNetV2 inverted-residual block:
//   expand 1x1 (+ReLU6) -> depthwise 3x3, stride 1 or 2 (+ReLU6) -> project 1x1 -> optional residual add
// streamed one output row at a time: a ring of three expanded input rows, one depthwise
// output row and (with the residual) one projected row live in the caller's scratch, so
// the expanded tensor (t times the input) is never materialised.
//
// Definition (what the tests check bit for bit): the unfused composition
//   E = expand ? pointwise_conv(in, expand) : in
//   D = depthwise_conv3x3(E, depthwise, stride, padding)
//   P = pointwise_conv(D, project)
//   out = residual ? add(P, project_q.output_frac, in, input_frac, residual_frac) : P
// Every kernel is exact, so computing rows in a different order changes nothing.
#pragma once
#include "../kernels/packed.h"

namespace tinyq {

// TW: the 1x1 weights' type, TD: the depthwise weights' (a model may store them in different
// widths, e.g. 12-bit 1x1 weights in int16 words and 8-bit depthwise weights).
template <typename TW, typename TD = TW>
struct InvertedResidualParams {
  // expand 1x1: nullptr weights = no expansion layer (MobileNetV2's t = 1 block)
  const TW* expand_weights;
  const int32_t* expand_bias;
  ConvQuant expand_q;
  int expanded_channels;  // the input's channel count when there is no expansion
  // depthwise 3x3
  const TD* depthwise_weights;
  const int32_t* depthwise_bias;
  ConvQuant depthwise_q;
  int stride;
  Padding padding;
  // project 1x1 (linear: relu6 normally false)
  const TW* project_weights;
  const int32_t* project_bias;
  ConvQuant project_q;
  // residual add (stride 1, in.channels == out.channels): out = P + in
  bool residual;
  int input_frac;     // format of `in`
  int residual_frac;  // format of `out` when residual
  // optional: the 1x1 weights packed once (pack_pointwise_weights' packed / quads of the same
  // weights, e.g. model/prepared_weights.h); nullptr packs per call
  const int32_t* expand_packed = nullptr;
  const int32_t* expand_quads = nullptr;
  const int32_t* project_packed = nullptr;
  const int32_t* project_quads = nullptr;
};

namespace detail {
// One 1x1 of the block: the prepacked form when the caller gave one.
template <typename TA, typename TW>
void block_pointwise(const Tensor<const TA>& in, const TW* weights, const int32_t* packed, const int32_t* quads,
                     const int32_t* bias, const ConvQuant& q, const Tensor<TA>& out) {
  if (packed == nullptr) return pointwise_conv(in, weights, bias, q, out);
  const uint32_t wmax = q.weight_max_abs != kScanBound ? q.weight_max_abs
                                                        : max_abs(weights, static_cast<size_t>(in.channels) * out.channels);
  pointwise_conv(in, PackedPointwiseWeights<TW>{weights, packed, in.channels, out.channels, wmax, quads}, bias, q, out);
}
}  // namespace detail

namespace detail {
constexpr size_t round_up_64(size_t n) { return (n + 63) / 64 * 64; }
}  // namespace detail

// Scratch bytes for an input of width in_width (the twin of inverted_residual).
template <typename TA>
constexpr size_t inverted_residual_scratch_bytes(int in_width, int expanded_channels, int out_channels, int stride,
                                                 bool has_expand, bool residual) {
  const size_t out_width = static_cast<size_t>(conv_output_size(in_width, stride));
  const size_t ring = has_expand ? 3 * detail::round_up_64(static_cast<size_t>(in_width) * expanded_channels * sizeof(TA)) : 0;
  const size_t dw = detail::round_up_64(out_width * expanded_channels * sizeof(TA));
  const size_t proj = residual ? detail::round_up_64(out_width * out_channels * sizeof(TA)) : 0;
  return ring + dw + proj + 64;  // + 64: alignment of the caller's pointer
}

template <typename TA, typename TW, typename TD>
constexpr size_t inverted_residual_scratch_bytes(int in_width, int out_channels, const InvertedResidualParams<TW, TD>& p) {
  return inverted_residual_scratch_bytes<TA>(in_width, p.expanded_channels, out_channels, p.stride,
                                             p.expand_weights != nullptr, p.residual);
}

// Returns false (and writes nothing) when the shapes are inconsistent or the scratch is
// smaller than inverted_residual_scratch_bytes.
template <typename TA, typename TW, typename TD>
bool inverted_residual(const Tensor<const TA>& in, const InvertedResidualParams<TW, TD>& p, const Tensor<TA>& out,
                       void* scratch, size_t scratch_bytes) {
  const bool has_expand = p.expand_weights != nullptr;
  const int cexp = p.expanded_channels;
  if ((!has_expand && cexp != in.channels) || out.height != conv_output_size(in.height, p.stride) ||
      out.width != conv_output_size(in.width, p.stride) ||
      (p.residual && (p.stride != 1 || in.channels != out.channels)) ||
      scratch_bytes < inverted_residual_scratch_bytes<TA>(in.width, out.channels, p))
    return false;

  // Carve the scratch: [ring of 3 expanded rows][depthwise row][projected row].
  unsigned char* base = static_cast<unsigned char*>(scratch);
  base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
  const size_t row_bytes = detail::round_up_64(static_cast<size_t>(in.width) * cexp * sizeof(TA));
  TA* ring[3] = {nullptr, nullptr, nullptr};
  if (has_expand)
    for (int i = 0; i < 3; ++i) ring[i] = reinterpret_cast<TA*>(base + i * row_bytes);
  unsigned char* after_ring = base + (has_expand ? 3 * row_bytes : 0);
  TA* dw_row = reinterpret_cast<TA*>(after_ring);
  TA* proj_row = reinterpret_cast<TA*>(after_ring + detail::round_up_64(static_cast<size_t>(out.width) * cexp * sizeof(TA)));
  int ring_row[3] = {-1, -1, -1};  // which input row each slot holds

  // A bound of |x| for the depthwise input: known after a ReLU6 expansion, else scanned.
  const uint32_t dw_bound = (has_expand && p.expand_q.relu6) ? static_cast<uint32_t>(output_max<TA>(p.expand_q)) : kScanBound;
  const int pad_top = padding_before(in.height, p.stride, p.padding);
  const int pad_left = padding_before(in.width, p.stride, p.padding);

  for (int oy = 0; oy < out.height; ++oy) {
    const TA* rows[3];
    for (int ky = 0; ky < 3; ++ky) {
      const int iy = oy * p.stride - pad_top + ky;
      if (iy < 0 || iy >= in.height) {
        rows[ky] = nullptr;
        continue;
      }
      if (!has_expand) {
        rows[ky] = in.row(iy);
        continue;
      }
      const int slot = iy % 3;
      if (ring_row[slot] != iy) {
        detail::block_pointwise(Tensor<const TA>{in.row(iy), 1, in.width, in.channels}, p.expand_weights, p.expand_packed,
                                p.expand_quads, p.expand_bias, p.expand_q, Tensor<TA>{ring[slot], 1, in.width, cexp});
        ring_row[slot] = iy;
      }
      rows[ky] = ring[slot];
    }
    depthwise_conv3x3_row(rows, in.width, cexp, p.depthwise_weights, p.depthwise_bias, p.depthwise_q, p.stride, pad_left,
                          dw_row, out.width, dw_bound);
    const Tensor<const TA> d{dw_row, 1, out.width, cexp};
    if (p.residual) {
      detail::block_pointwise(d, p.project_weights, p.project_packed, p.project_quads, p.project_bias, p.project_q,
                              Tensor<TA>{proj_row, 1, out.width, out.channels});
      add(Tensor<const TA>{proj_row, 1, out.width, out.channels}, p.project_q.output_frac,
          Tensor<const TA>{in.row(oy), 1, in.width, in.channels}, p.input_frac,
          Tensor<TA>{out.row(oy), 1, out.width, out.channels}, p.residual_frac);
    } else {
      detail::block_pointwise(d, p.project_weights, p.project_packed, p.project_quads, p.project_bias, p.project_q,
                              Tensor<TA>{out.row(oy), 1, out.width, out.channels});
    }
  }
  return true;
}

}  // namespace tinyq
