// HOST ONLY (<vector>, float): turns a model (usually float32) into an integer weights file
// — the C++ twin of the exporter, used by the ImageNet cross-check and the tests.
//   * weights: int8/int16, fractional bits per tensor (or per output channel) from the
//     largest magnitude (the most bits that do not saturate), or one uniform value;
//   * biases: int32 at input_frac + weight_frac (so the kernel adds them exactly);
//   * activation fracs: given per activation point (uniform Qn, or calibrate_fracs()).
#pragma once
#if defined(__STDC_HOSTED__) && !__STDC_HOSTED__
#error "tinyq/model/host/quantize.h is host-only"
#endif
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "../weights_writer.h"
#include "float_executor.h"

namespace tinyq {
namespace model {

struct QuantizeOptions {
  DType activation_dtype = DType::int16;
  DType weight_dtype = DType::int16;
  bool per_channel = false;
  int uniform_weight_frac = -1;  // >= 0: every weight tensor at this frac; -1: from its range
  std::vector<int> activation_fracs;  // one per graph value (activation point)
};

// Fractional bits that fit max|x| in a signed `bits`-bit word: largest n with max * 2^n < 2^(bits-1).
inline int frac_for_range(double max_abs, int bits, int lo = 0, int hi = 31) {
  if (!(max_abs > 0)) return hi;
  int n = (bits - 1) - static_cast<int>(ceil(log2(max_abs * (1 + 1e-9)) + 1e-12));
  if (ldexp(max_abs, n) >= ldexp(1.0, bits - 1)) --n;
  return n < lo ? lo : (n > hi ? hi : n);
}

// Per-value fracs from float activations (max |x| over all the given runs).
inline std::vector<int> calibrate_fracs(const std::vector<std::vector<FloatTensor>>& runs, DType act) {
  std::vector<int> fr;
  if (runs.empty()) return fr;
  const size_t nv = runs[0].size();
  for (size_t v = 0; v < nv; ++v) {
    double m = 0;
    for (const auto& r : runs)
      for (float x : r[v].data) m = fabs(x) > m ? fabs(x) : m;
    fr.push_back(frac_for_range(m, act == DType::int8 ? 8 : 16, 0, 15));
  }
  return fr;
}

namespace quant_detail {
inline double round_half_up(double x) { return floor(x + 0.5); }
template <typename T>
inline T sat(double x) {
  const double lo = static_cast<double>(int_limits<T>::min), hi = static_cast<double>(int_limits<T>::max);
  return static_cast<T>(x < lo ? lo : (x > hi ? hi : x));
}
}  // namespace quant_detail

// Returns the integer file (8-byte aligned storage); empty on failure.
inline std::vector<uint64_t> quantize_model(const Graph& g, const QuantizeOptions& o, size_t* file_size) {
  using namespace quant_detail;
  if (g.info().output == OutputVariant::exits) return {};  // single-head and classifier models only (tools/ exports exits)
  const int nv = g.value_count();
  std::vector<int> afr = o.activation_fracs;
  afr.resize(nv, 9);
  for (int i = 0; i < g.op_count(); ++i)  // upsample keeps its input format
    if (g.op(i).kind == OpKind::upsample2x) afr[i + 1] = afr[g.op(i).in0];
  ModelInfo info = g.info();
  info.activation_dtype = o.activation_dtype;
  uint32_t count = 1 + (g.templates().valid() ? 1 : 0);
  size_t bytes = 1 << 16;
  for (int i = 0; i < g.op_count(); ++i)
    if (g.op(i).weights.valid()) {
      count += o.per_channel ? 3 : 2;
      bytes += g.op(i).weights.elements() * 2 + g.op(i).cout * 5 + 3 * 64;
    }
  std::vector<uint64_t> storage(bytes / 8 + 1024);
  WeightsWriter w(reinterpret_cast<uint8_t*>(storage.data()), storage.size() * 8);
  w.begin(info, count);
  const int wbits = o.weight_dtype == DType::int8 ? 8 : 16;
  for (int i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    if (!op.weights.valid()) continue;
    const std::vector<float> wf = float_detail::weights_float(op);
    const std::vector<float> bf = float_detail::bias_float(op);
    const int cout = op.cout;
    const size_t n = wf.size();
    auto channel_of = [&](size_t k) { return op.kind == OpKind::depthwise3x3 ? static_cast<int>(k % cout) : static_cast<int>(k / (n / cout)); };
    std::vector<int> fr(cout);
    if (o.uniform_weight_frac >= 0) {
      for (auto& f : fr) f = o.uniform_weight_frac;
    } else if (o.per_channel) {
      std::vector<double> m(cout, 0);
      for (size_t k = 0; k < n; ++k) m[channel_of(k)] = fmax(m[channel_of(k)], fabs(wf[k]));
      for (int c = 0; c < cout; ++c) fr[c] = frac_for_range(m[c], wbits);
    } else {
      double m = 0;
      for (float x : wf) m = fmax(m, fabs(x));
      for (auto& f : fr) f = frac_for_range(m, wbits);
    }
    const bool pc = o.per_channel && o.uniform_weight_frac < 0;
    std::string name = std::string(op.name) + "/weights";
    const uint32_t* shape = op.weights.shape;
    uint8_t* raw = w.add_raw(name.c_str(), o.weight_dtype, op.weights.ndim, shape,
                             pc ? QuantKind::per_channel : QuantKind::per_tensor, pc ? 0 : fr[0]);
    if (!raw) return {};
    for (size_t k = 0; k < n; ++k) {
      const double v = round_half_up(ldexp(static_cast<double>(wf[k]), fr[channel_of(k)]));
      if (o.weight_dtype == DType::int8) reinterpret_cast<int8_t*>(raw)[k] = sat<int8_t>(v);
      else reinterpret_cast<int16_t*>(raw)[k] = sat<int16_t>(v);
    }
    if (pc) {
      const uint32_t fshape[1] = {static_cast<uint32_t>(cout)};
      int8_t* f = w.add<int8_t>((name + ".frac").c_str(), 1, fshape, QuantKind::per_tensor, 0);
      if (!f) return {};
      for (int c = 0; c < cout; ++c) f[c] = static_cast<int8_t>(fr[c]);
    }
    // bias at input frac + (smallest) weight frac, at most 31
    int bfrac = afr[op.in0] + fr[0];
    for (int c = 0; c < cout; ++c) bfrac = fr[c] + afr[op.in0] < bfrac ? fr[c] + afr[op.in0] : bfrac;
    if (bfrac > 31) bfrac = 31;
    const uint32_t bshape[1] = {static_cast<uint32_t>(cout)};
    int32_t* b = w.add<int32_t>((std::string(op.name) + "/biases").c_str(), 1, bshape, QuantKind::per_tensor, bfrac);
    if (!b) return {};
    for (int c = 0; c < cout; ++c) b[c] = sat<int32_t>(round_half_up(ldexp(static_cast<double>(bf[c]), bfrac)));
  }
  if (g.templates().valid()) {
    const TensorView& t = g.templates();
    int32_t* d = w.add<int32_t>("head/templates", t.ndim, t.shape, QuantKind::per_tensor, t.frac);
    if (!d) return {};
    memcpy(d, t.data, t.size);
  }
  const uint32_t pshape[1] = {static_cast<uint32_t>(nv)};
  int8_t* f = w.add<int8_t>("activation_frac_bits", 1, pshape, QuantKind::per_tensor, 0);
  if (!f) return {};
  for (int v = 0; v < nv; ++v) f[v] = static_cast<int8_t>(afr[v]);
  *file_size = w.finish();
  if (*file_size == 0) return {};
  return storage;
}

}  // namespace model
}  // namespace tinyq
