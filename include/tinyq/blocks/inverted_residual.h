// Fused MobileNetV2 inverted-residual block:
//   expand 1x1 (+ReLU6) -> depthwise 3x3, stride 1 or 2 (+ReLU6) -> project 1x1 -> optional residual add
// streamed a few output rows at a time: a ring of expanded input rows, the depthwise output
// rows and (with the residual) one projected row live in the caller's scratch, so the
// expanded tensor (t times the input) is never materialised.
//   stride 1: one output row per step, a ring of three expanded rows (slot = row mod 3);
//   stride 2: G output rows per step (2 to 4, block_rows_per_step: more on narrow maps).
//     Rows Gk .. Gk + G - 1 read the 2G + 1 input rows 2Gk - pad_top .. 2Gk - pad_top + 2G,
//     and the last of them is the next step's first. The ring holds 2G + 1 rows, input row
//     j of step k in slot j for even k and 2G - j for odd k: the shared row stays where it
//     is, and a step's rows lie one slot apart (step +1 or -1 slot), so one depthwise call
//     takes all G output rows (each channel's taps set up once per step: on rv64 ~50
//     instructions per channel and call) and one projection call all G depthwise rows. A
//     padding row (above or below the input) is a slot of zeros there, so the steps at the
//     borders take the same call: padding reads as zero input, which is what the
//     definition's padding is, so the sums are the same.
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
// One 1x1 of the block: the prepacked form when the caller gave one. q.weight_max_abs is
// filled in by inverted_residual (once per block, not per row).
template <typename TA, typename TW>
void block_pointwise(const Tensor<const TA>& in, const TW* weights, const int32_t* packed, const int32_t* quads,
                     const int32_t* bias, const ConvQuant& q, const Tensor<TA>& out) {
  if (packed == nullptr) return pointwise_conv(in, weights, bias, q, out);
  pointwise_conv(in, PackedPointwiseWeights<TW>{weights, packed, in.channels, out.channels, q.weight_max_abs, quads}, bias,
                 q, out);
}
}  // namespace detail

namespace detail {
constexpr size_t round_up_64(size_t n) { return (n + 63) / 64 * 64; }
// Output rows per step of the fused block: 1 at stride 1; at stride 2 G >= 2 rows, enough
// that a step holds ~64 outputs per channel (each channel's depthwise setup is shared by the
// G rows: on rv64 ~50 instructions, next to ~30 per output), at most 4 (the ring's memory).
constexpr int kBlockMaxRowsPerStep = 4;
constexpr int block_rows_per_step(int stride, int out_width) {
  if (stride != 2) return 1;
  const int g = out_width > 0 ? (64 + out_width - 1) / out_width : 1;
  return g < 2 ? 2 : g > kBlockMaxRowsPerStep ? kBlockMaxRowsPerStep : g;
}
// The expanded rows a step reads, all in the ring: (G - 1) stride + 3.
constexpr int block_ring_rows(int stride, int out_width) {
  return (block_rows_per_step(stride, out_width) - 1) * stride + 3;
}
}  // namespace detail

// Scratch bytes for an input of width in_width (the twin of inverted_residual).
template <typename TA>
constexpr size_t inverted_residual_scratch_bytes(int in_width, int expanded_channels, int out_channels, int stride,
                                                 bool has_expand, bool residual) {
  const size_t out_width = static_cast<size_t>(conv_output_size(in_width, stride));
  const int ow = static_cast<int>(out_width);
  const size_t ring = has_expand ? detail::block_ring_rows(stride, ow) *
                                       detail::round_up_64(static_cast<size_t>(in_width) * expanded_channels * sizeof(TA))
                                 : 0;
  const size_t dw = detail::round_up_64(detail::block_rows_per_step(stride, ow) * out_width * expanded_channels * sizeof(TA));
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

  // Carve the scratch: [ring of expanded rows][depthwise rows][projected row].
  const int group = detail::block_rows_per_step(p.stride, out.width);
  const int ring_rows = detail::block_ring_rows(p.stride, out.width);
  unsigned char* base = static_cast<unsigned char*>(scratch);
  base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
  const size_t row_bytes = detail::round_up_64(static_cast<size_t>(in.width) * cexp * sizeof(TA));
  TA* const ring = has_expand ? reinterpret_cast<TA*>(base) : nullptr;
  const size_t slot_values = row_bytes / sizeof(TA);
  unsigned char* after_ring = base + (has_expand ? ring_rows * row_bytes : 0);
  TA* dw_rows = reinterpret_cast<TA*>(after_ring);
  const size_t dw_row_values = static_cast<size_t>(out.width) * cexp;
  TA* proj_row = reinterpret_cast<TA*>(after_ring + detail::round_up_64(group * dw_row_values * sizeof(TA)));
  // which input row each slot holds (padding rows are slots of zeros: iy -1 or in.height..)
  constexpr int kNoRow = -(1 << 30);
  int ring_row[2 * detail::kBlockMaxRowsPerStep + 1];
  for (int& r : ring_row) r = kNoRow;

  // The packed 1x1s need max |w|: taken from ConvQuant when given, else scanned here once
  // for all steps (not once per row).
  ConvQuant expand_q = p.expand_q, project_q = p.project_q;
  if (has_expand && p.expand_packed != nullptr && expand_q.weight_max_abs == kScanBound)
    expand_q.weight_max_abs = max_abs(p.expand_weights, static_cast<size_t>(in.channels) * cexp);
  if (p.project_packed != nullptr && project_q.weight_max_abs == kScanBound)
    project_q.weight_max_abs = max_abs(p.project_weights, static_cast<size_t>(cexp) * out.channels);

  // A bound of |x| for the depthwise input: known after a ReLU6 expansion, else scanned.
  const uint32_t dw_bound = (has_expand && p.expand_q.relu6) ? static_cast<uint32_t>(output_max<TA>(p.expand_q)) : kScanBound;
  const int pad_top = padding_before(in.height, p.stride, p.padding);
  const int pad_left = padding_before(in.width, p.stride, p.padding);

  for (int oy = 0; oy < out.height; oy += group) {
    const int n = out.height - oy < group ? out.height - oy : group;  // output rows of this step
    const int iy0 = oy * p.stride - pad_top;
    const bool forward = (oy / group) % 2 == 0;
    // rows[j]: input row iy0 + j (expanded), nullptr for a padding row
    const TA* rows[2 * detail::kBlockMaxRowsPerStep + 1];
    const int n_in = (n - 1) * p.stride + 3;
    bool all_real = true;
    for (int j = 0; j < n_in; ++j) {
      const int iy = iy0 + j;
      const bool padding = iy < 0 || iy >= in.height;
      if (padding && (group == 1 || !has_expand)) {
        rows[j] = nullptr;
        all_real = false;
        continue;
      }
      if (!has_expand) {
        rows[j] = in.row(iy);
        continue;
      }
      const int slot = group == 1 ? iy % 3 : (forward ? j : ring_rows - 1 - j);
      TA* dst = ring + slot * slot_values;
      if (ring_row[slot] != iy) {  // (a padding row's iy is < 0 or >= in.height: no real row's)
        if (padding)
          for (size_t v = 0; v < static_cast<size_t>(in.width) * cexp; ++v) dst[v] = TA(0);
        else
          detail::block_pointwise(Tensor<const TA>{in.row(iy), 1, in.width, in.channels}, p.expand_weights,
                                  p.expand_packed, p.expand_quads, p.expand_bias, expand_q,
                                  Tensor<TA>{dst, 1, in.width, cexp});
        ring_row[slot] = iy;
      }
      rows[j] = dst;
    }
    if (n > 1 && all_real) {  // the rows one step apart in the ring (or in `in`)
      depthwise_conv3x3_row_group(rows[0], rows[1] - rows[0], n, in.width, cexp, p.depthwise_weights, p.depthwise_bias,
                                  p.depthwise_q, p.stride, pad_left, dw_rows, static_cast<ptrdiff_t>(dw_row_values),
                                  out.width, dw_bound);
    } else {
      for (int i = 0; i < n; ++i)
        depthwise_conv3x3_row(rows + i * p.stride, in.width, cexp, p.depthwise_weights, p.depthwise_bias, p.depthwise_q,
                              p.stride, pad_left, dw_rows + i * dw_row_values, out.width, dw_bound);
    }
    const Tensor<const TA> d{dw_rows, n, out.width, cexp};
    if (p.residual) {  // (stride 1: n = 1)
      detail::block_pointwise(d, p.project_weights, p.project_packed, p.project_quads, p.project_bias, project_q,
                              Tensor<TA>{proj_row, 1, out.width, out.channels});
      add(Tensor<const TA>{proj_row, 1, out.width, out.channels}, p.project_q.output_frac,
          Tensor<const TA>{in.row(oy), 1, in.width, in.channels}, p.input_frac,
          Tensor<TA>{out.row(oy), 1, out.width, out.channels}, p.residual_frac);
    } else {
      detail::block_pointwise(d, p.project_weights, p.project_packed, p.project_quads, p.project_bias, project_q,
                              Tensor<TA>{out.row(oy), n, out.width, out.channels});
    }
  }
  return true;
}

}  // namespace tinyq
