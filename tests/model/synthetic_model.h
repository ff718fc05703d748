// A synthetic MobileNetV2 weights file (random integer weights from tests/common/rng.h),
// written with the freestanding WeightsWriter: used by the Catch2 tests, the fuzz seed
// corpus and the riscv64 digest section. No heap, no float.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "../common/rng.h"
#include "tinyq/model/mobilenet_v2.h"
#include "tinyq/model/weights_writer.h"

namespace tinyq_test {

struct SyntheticOptions {
  uint16_t width_per_mille = 350;
  tinyq::model::OutputVariant output = tinyq::model::OutputVariant::A;
  tinyq::model::DType activation_dtype = tinyq::model::DType::int16;
  tinyq::model::DType weight_dtype = tinyq::model::DType::int8;
  bool per_channel = false;
  uint16_t head_templates = 0;  // > 0: a head with this many templates
  bool template_scales = false;  // with a head: head/template_scales cycling 0.5x, 1x, 2x, every scale
  bool classifier = false;       // Logits on output B
  int classes = 10;
  int activation_frac = -1;      // -1: 9 for int16, 4 for int8
  uint64_t seed = 1;
  tinyq::model::PaddingMode padding = tinyq::model::PaddingMode::tf_same;
  // output exits: exit_count heads, exit k on backbone layer exit_tap[k] with
  // exit_templates[k] templates (head_templates is then their sum)
  int exit_count = 0;
  int16_t exit_tap[4] = {};
  uint16_t exit_templates[4] = {};
  int head_frac = -1;  // -1: activation_frac
};

// The shipped multi-exit layout (models/face_mnv2_a050_multi): output exits with heads on
// expanded_conv_6/expand (stride 8), OutA (16) and expanded_conv_13/depthwise (32), t0, t1 and
// t2 templates; every other field of o as it was.
constexpr int16_t kExitTapExpand6 = 18;
constexpr int16_t kExitTapDepthwise13 = 40;
inline void set_three_exits(SyntheticOptions& o, uint16_t t0, uint16_t t1, uint16_t t2) {
  o.output = tinyq::model::OutputVariant::exits;
  o.exit_count = 3;
  o.exit_tap[0] = kExitTapExpand6;
  o.exit_tap[1] = tinyq::model::kOutALayer;
  o.exit_tap[2] = kExitTapDepthwise13;
  o.exit_templates[0] = t0;
  o.exit_templates[1] = t1;
  o.exit_templates[2] = t2;
}

// Input pixels per output pixel after backbone layer `tap`.
inline int32_t synthetic_tap_stride(uint16_t width_per_mille, int tap) {
  int32_t stride = 0;
  tinyq::model::for_each_backbone_layer(width_per_mille, tap,
                                        [&](const tinyq::model::ConvLayerSpec& s) { stride = s.total_stride; });
  return stride;
}

inline tinyq::model::ModelInfo synthetic_info(const SyntheticOptions& o) {
  using namespace tinyq::model;
  ModelInfo m{};
  m.architecture = Architecture::mobilenet_v2;
  m.width_per_mille = o.width_per_mille;
  m.output = o.output;
  m.padding = o.padding;
  m.activation_dtype = o.activation_dtype;
  m.has_head = o.head_templates > 0;
  m.has_classifier = o.classifier;
  m.input_offset = 128;
  m.input_shift = 7;
  m.input_channels = 3;
  if (m.has_head) {
    m.head_templates = o.head_templates;
    m.head_values_per_template = 5;
    m.head_stride = o.output == OutputVariant::B ? 32 : 16;
  }
  if (o.output == OutputVariant::exits) {
    m.has_head = true;
    m.head_values_per_template = 5;
    m.head_exits = static_cast<uint8_t>(o.exit_count);
    m.head_templates = 0;
    m.head_stride = 0;
    for (int k = 0; k < o.exit_count; ++k) {
      m.head_templates = static_cast<uint16_t>(m.head_templates + o.exit_templates[k]);
      const int32_t st = synthetic_tap_stride(o.width_per_mille, o.exit_tap[k]);
      if (st > m.head_stride) m.head_stride = static_cast<uint16_t>(st);
    }
  }
  return m;
}

namespace detail {
inline const char* join(char* dst, const char* a, const char* b) {
  int n = 0;
  for (int i = 0; a[i] != '\0'; ++i) dst[n++] = a[i];
  for (int i = 0; b[i] != '\0'; ++i) dst[n++] = b[i];
  dst[n] = '\0';
  return dst;
}

inline int ceil_log2(uint32_t v) {
  int n = 0;
  while ((uint32_t(1) << n) < v) ++n;
  return n;
}

template <typename TW>
inline void fill_weights(tinyq::model::WeightsWriter& w, Rng& rng, const char* name, int ndim, const uint32_t* shape,
                         const SyntheticOptions& o, int fan_in, int cout, char* scratch_name) {
  using namespace tinyq::model;
  // |w| < 2^(b-1) with frac = (b - 1) + ceil(log2(fan_in)) / 2: weights ~ +-1/sqrt(fan_in)
  const int bits = sizeof(TW) * 8;
  const int frac = (bits - 2) + (ceil_log2(static_cast<uint32_t>(fan_in)) + 1) / 2;
  TW* p = w.add<TW>(name, ndim, shape, o.per_channel ? QuantKind::per_channel : QuantKind::per_tensor,
                    o.per_channel ? 0 : frac);
  if (p) {
    uint32_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= shape[d];
    const int64_t lim = (int64_t(1) << (bits - 2)) - 1;
    for (uint32_t i = 0; i < n; ++i) p[i] = static_cast<TW>(rng.uniform(-lim, lim));
  }
  if (o.per_channel) {
    int n = 0;
    for (; name[n] != '\0'; ++n) scratch_name[n] = name[n];
    const char* suffix = ".frac";
    for (int i = 0; suffix[i] != '\0'; ++i) scratch_name[n++] = suffix[i];
    scratch_name[n] = '\0';
    const uint32_t fshape[1] = {static_cast<uint32_t>(cout)};
    int8_t* f = w.add<int8_t>(scratch_name, 1, fshape, QuantKind::per_tensor, 0);
    if (f)
      for (int c = 0; c < cout; ++c) f[c] = static_cast<int8_t>(frac + rng.uniform(-1, 1));
  }
}
}  // namespace detail

// Writes the model into buffer; returns the file size (0 if it did not fit).
inline size_t write_synthetic_model(uint8_t* buffer, size_t capacity, const SyntheticOptions& o) {
  using namespace tinyq::model;
  const ModelInfo info = synthetic_info(o);
  const bool exits = o.output == OutputVariant::exits;
  const int last_layer = exits ? o.exit_tap[o.exit_count - 1]
                               : (o.output == OutputVariant::A ? kOutALayer : kBackboneLayers - 1);
  // pass 1: count tensors and activation points
  uint32_t convs = 0, points = 1;
  for_each_backbone_layer(o.width_per_mille, last_layer, [&](const ConvLayerSpec& s) {
    ++convs;
    points += s.residual ? 2 : 1;
  });
  if (o.output == OutputVariant::C) points += 2;
  const uint32_t heads = exits ? static_cast<uint32_t>(o.exit_count) : (info.has_head ? 1u : 0u);
  convs += heads;
  points += heads;
  if (o.classifier) { ++convs; points += 2; }
  const uint32_t count = convs * (o.per_channel ? 3 : 2) + heads + (exits ? 1 : 0) +
                         (info.has_head && !exits && o.template_scales ? 1 : 0) + 1;
  WeightsWriter w(buffer, capacity);
  w.begin(info, count);
  Rng rng(o.seed);
  const int act_frac = o.activation_frac >= 0 ? o.activation_frac : (o.activation_dtype == DType::int8 ? 4 : 9);
  char name[64];
  char extra[64];
  auto conv = [&](const char* layer, OpKind kind, int32_t cin, int32_t cout) {
    int n = 0;
    for (; layer[n] != '\0'; ++n) name[n] = layer[n];
    const char* sw = "/weights";
    int k = n;
    for (int i = 0; sw[i] != '\0'; ++i) name[k++] = sw[i];
    name[k] = '\0';
    uint32_t shape[4];
    int fan_in;
    if (kind == OpKind::conv3x3) { shape[0] = cout; shape[1] = 3; shape[2] = 3; shape[3] = cin; fan_in = 9 * cin; }
    else if (kind == OpKind::depthwise3x3) { shape[0] = 1; shape[1] = 3; shape[2] = 3; shape[3] = cin; fan_in = 9; }
    else { shape[0] = cout; shape[1] = 1; shape[2] = 1; shape[3] = cin; fan_in = cin; }
    if (o.weight_dtype == DType::int16)
      detail::fill_weights<int16_t>(w, rng, name, 4, shape, o, fan_in, cout, extra);
    else
      detail::fill_weights<int8_t>(w, rng, name, 4, shape, o, fan_in, cout, extra);
    const char* sb = "/biases";
    k = n;
    for (int i = 0; sb[i] != '\0'; ++i) name[k++] = sb[i];
    name[k] = '\0';
    const uint32_t bshape[1] = {static_cast<uint32_t>(cout)};
    int32_t* b = w.add<int32_t>(name, 1, bshape, QuantKind::per_tensor, act_frac);
    if (b)
      for (int c = 0; c < cout; ++c) b[c] = static_cast<int32_t>(rng.uniform(-(1 << act_frac), 1 << act_frac));
  };
  auto templates = [&](const char* tensor, uint32_t n) {
    const uint32_t tshape[2] = {n, 4};
    int32_t* t = w.add<int32_t>(tensor, 2, tshape, QuantKind::per_tensor, 4);
    if (t)
      for (uint32_t i = 0; i < n; ++i) {
        const int32_t hw = static_cast<int32_t>(rng.uniform(80, 1600)), hh = static_cast<int32_t>(rng.uniform(80, 1600));
        t[4 * i] = -hw; t[4 * i + 1] = -hh; t[4 * i + 2] = hw; t[4 * i + 3] = hh;
      }
  };
  int32_t last_c = 0, outA_c = 0;
  int next_exit = 0;
  for_each_backbone_layer(o.width_per_mille, last_layer, [&](const ConvLayerSpec& s) {
    conv(s.name, s.kind, s.cin, s.cout);
    last_c = s.cout;
    if (s.index == kOutALayer) outA_c = s.cout;
    if (exits && next_exit < o.exit_count && o.exit_tap[next_exit] == s.index) {
      char head[8] = {'h', 'e', 'a', 'd', '_', static_cast<char>('0' + next_exit), '\0', '\0'};
      conv(head, OpKind::pointwise, s.cout, 5 * o.exit_templates[next_exit]);
      char tname[24];
      templates(detail::join(tname, head, "/templates"), o.exit_templates[next_exit]);
      ++next_exit;
    }
  });
  int32_t out_c = o.output == OutputVariant::A ? outA_c : o.output == OutputVariant::B ? last_c : outA_c + last_c;
  if (exits) {
    const uint32_t eshape[2] = {static_cast<uint32_t>(o.exit_count), 3};
    int32_t* e = w.add<int32_t>("head/exits", 2, eshape, QuantKind::per_tensor, 0);
    if (e)
      for (int k = 0; k < o.exit_count; ++k) {
        e[3 * k] = o.exit_tap[k];
        e[3 * k + 1] = synthetic_tap_stride(o.width_per_mille, o.exit_tap[k]);
        e[3 * k + 2] = o.exit_templates[k];
      }
  } else if (info.has_head) {
    conv("head", OpKind::pointwise, out_c, 5 * o.head_templates);
    templates("head/templates", o.head_templates);
    if (o.template_scales) {
      const uint32_t sshape[1] = {o.head_templates};
      int32_t* sc = w.add<int32_t>("head/template_scales", 1, sshape, QuantKind::per_tensor, 8);
      const int32_t cycle[4] = {128, 256, 512, 0};
      if (sc)
        for (uint32_t i = 0; i < o.head_templates; ++i) sc[i] = cycle[i % 4];
    }
  }
  if (o.classifier) conv("Logits/Conv2d_1c_1x1", OpKind::pointwise, last_c, o.classes);
  const uint32_t pshape[1] = {points};
  int8_t* f = w.add<int8_t>("activation_frac_bits", 1, pshape, QuantKind::per_tensor, 0);
  if (f) {
    for (uint32_t i = 0; i < points; ++i) f[i] = static_cast<int8_t>(act_frac);
    f[0] = static_cast<int8_t>(o.activation_dtype == DType::int8 ? 7 : act_frac);  // input
    if (o.head_frac >= 0 && info.has_head) {  // the head points: after each tap, or the last (A) / before Logits
      uint32_t p = 1;
      int k = 0;
      for_each_backbone_layer(o.width_per_mille, last_layer, [&](const ConvLayerSpec& s) {
        p += s.residual ? 2 : 1;
        if (exits && k < o.exit_count && o.exit_tap[k] == s.index) { f[p++] = static_cast<int8_t>(o.head_frac); ++k; }
      });
      if (!exits) f[points - 1] = static_cast<int8_t>(o.head_frac);
    }
  }
  return w.finish();
}

}  // namespace tinyq_test
