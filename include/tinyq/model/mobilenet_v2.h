// The MobileNetV2 graph (Keras `MobileNetV2` / TF-slim layer for layer), built from a
// validated WeightsFile. Both executors (integer: executor.h; float: host/float_executor.h)
// and the memory plan (memory_plan.h) walk the same Graph.
//
// Ops, in execution order (TF-slim names; Keras names in brackets):
//   Conv                       3x3 s2 conv + ReLU6                     [Conv1, Conv1_relu]
//   expanded_conv/depthwise    3x3 dw + ReLU6, then /project 1x1       [expanded_conv_*]
//   expanded_conv_i/expand     1x1 + ReLU6 (i = 1..16)                 [block_i_expand_relu]
//   expanded_conv_i/depthwise  3x3 dw (stride 2 for i = 1, 3, 6, 13) + ReLU6
//   expanded_conv_i/project    1x1, linear
//   expanded_conv_i/add        residual add when stride 1 and cin == cout
//   Conv_1                     1x1 -> 1280 + ReLU6                     [out_relu]
// Output A = expanded_conv_13/expand (stride 16); B = Conv_1 (stride 32);
// C = concat(A, bilinear 2x upsample of B cropped to A's size) (stride 16).
// Optional: head (1x1 conv, linear) on the output, or the ImageNet classifier on B
// (global average pool + Logits/Conv2d_1c_1x1 1x1 conv).
// Output `exits` (multi-exit detector): `head/exits` lists up to 4 taps (backbone conv
// layers, by index in execution order); the backbone stops at the deepest tap, and the
// 1x1 head `head_<k>` runs right after its tap (after the tap's residual add), so a
// tapped tensor dies as soon as its head has read it.
//
// Every op carries its role (LayerRole), so the passes that follow (memory_plan.h's
// fusion, the executors) read structure from data, never from names.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "../tensor/quant.h"
#include "status.h"
#include "weights_file.h"

namespace tinyq {
namespace model {

// Ops of the largest graph the layer table builds (width 1.0, output C or B + classifier)
// stay below 72. TINYQ_MAX_OPS exists only so a test can prove the graph_too_large guard;
// every translation unit of one program must see the same value.
#ifndef TINYQ_MAX_OPS
#define TINYQ_MAX_OPS 72
#endif
constexpr int kMaxOps = TINYQ_MAX_OPS;
constexpr int kMaxValues = kMaxOps + 1;
constexpr int kOpNameBytes = 32;
constexpr int kMinInputSize = 32;
constexpr int kMaxInputSize = 4096;

enum class OpKind : uint8_t { conv3x3, depthwise3x3, pointwise, add, upsample2x, concat, global_avgpool };

// What an op is for in the network (kind says how it computes).
enum class LayerRole : uint8_t { stem, expand, depthwise, project, final_pointwise, residual_add, upsample, concat, head,
                                 avgpool, classifier };

// Backbone conv layers of the full table (Conv, 17 blocks, Conv_1), indexed 0..51 in
// execution order; output A ends at index kOutALayer (expanded_conv_13/expand).
constexpr int kBackboneLayers = 52;
constexpr int kOutALayer = 39;
constexpr int kMaxExits = 4;

struct Op {
  OpKind kind;
  LayerRole role;
  bool relu6;
  uint8_t stride;
  int16_t in0;   // value index (0 = input image)
  int16_t in1;   // second input (add, concat) or -1
  int32_t cin;
  int32_t cout;
  int16_t block;  // inverted-residual block index (0..16), -1 outside blocks
  bool residual;  // project op whose block ends with an add (the next op)
  char name[kOpNameBytes];
  TensorView weights;       // conv ops; invalid otherwise
  TensorView bias;
  TensorView weight_fracs;  // per-channel weights: int8 [cout]; invalid otherwise
  int out_frac;             // integer models: fractional bits of the output activation
  uint32_t weight_l1_bound;  // integer pointwise: max_c sum_k |w[c][k]| (ConvQuant::weight_l1_bound); else 0
  // Integer conv ops (ConvQuant::input_max_abs / weight_max_abs): max |w| of the weights, and
  // a proven bound of |x| where the producer's clamp gives one (ReLU6: its output_max), else
  // kScanBound (the kernels scan).
  uint32_t input_max_abs;
  uint32_t weight_max_abs;
};

struct Shape {
  int32_t height, width, channels;
  uint64_t elements() const { return static_cast<uint64_t>(height) * width * channels; }
};

// Keras / TF `_make_divisible(v, 8)`, in integers: v = c * width_per_mille / 1000.
constexpr int32_t make_divisible_per_mille(int32_t c, int32_t per_mille) {
  // int(v + 4) // 8 * 8 with v = c * per_mille / 1000 (floor; exact in integers)
  const int32_t v1000 = c * per_mille;
  int32_t nv = (v1000 + 4000) / 8000 * 8;
  if (nv < 8) nv = 8;
  if (nv * 1000 * 10 < 9 * v1000) nv += 8;  // new_v < 0.9 v
  return nv;
}

// Channels at a width: Keras applies _make_divisible(int(c * alpha)) to block outputs and
// _make_divisible(32 * alpha) to the stem; int() only matters for non-integer products.
constexpr int32_t block_channels(int32_t c, int32_t per_mille) { return make_divisible_per_mille(c * per_mille / 1000, 1000); }

struct ConvLayerSpec {
  OpKind kind;
  int32_t cin, cout;
  int stride;
  bool relu6;
  bool residual;
  int16_t block;
  char name[kOpNameBytes];
  LayerRole role;
  int16_t index;         // 0..kBackboneLayers-1, execution order
  int32_t total_stride;  // input pixels per output pixel after this layer
};

namespace detail {
// dst = a + suffix (dst holds both).
inline const char* join_name(char* dst, const char* a, const char* suffix) {
  int n = 0;
  for (; a[n] != '\0'; ++n) dst[n] = a[n];
  for (int i = 0; suffix[i] != '\0'; ++i) dst[n++] = suffix[i];
  dst[n] = '\0';
  return dst;
}

inline void copy_name(char* dst, const char* a, int block = -1, const char* suffix = nullptr) {
  int n = 0;
  for (int i = 0; a[i] != '\0' && n < kOpNameBytes - 1; ++i) dst[n++] = a[i];
  if (block > 0) {
    const char digits[] = {'_', static_cast<char>(block >= 10 ? '0' + block / 10 : '0' + block),
                           static_cast<char>(block >= 10 ? '0' + block % 10 : '\0'), '\0'};
    for (int i = 0; digits[i] != '\0' && n < kOpNameBytes - 1; ++i) dst[n++] = digits[i];
  }
  if (suffix)
    for (int i = 0; suffix[i] != '\0' && n < kOpNameBytes - 1; ++i) dst[n++] = suffix[i];
  dst[n] = '\0';
}
}  // namespace detail

// Calls visit(const ConvLayerSpec&) for the backbone conv layers 0..last_layer in execution
// order (kBackboneLayers - 1: the whole table).
template <typename Visit>
void for_each_backbone_layer(int32_t width_per_mille, int last_layer, Visit&& visit) {
  static constexpr int32_t table[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                          {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int16_t index = 0;
  int32_t total_stride = 1;
  // false once last_layer has been visited
  auto emit = [&](OpKind kind, LayerRole role, int32_t cin, int32_t cout, int stride, bool relu6, bool residual,
                  int16_t block, const char* base, const char* suffix) {
    if (index > last_layer) return false;
    ConvLayerSpec s{kind, cin, cout, stride, relu6, residual, block, {}, role, index, total_stride * stride};
    detail::copy_name(s.name, base, block, suffix);
    total_stride = s.total_stride;
    visit(static_cast<const ConvLayerSpec&>(s));
    return ++index <= last_layer;
  };
  const int32_t c0 = make_divisible_per_mille(32, width_per_mille);
  if (!emit(OpKind::conv3x3, LayerRole::stem, 3, c0, 2, true, false, -1, "Conv", nullptr)) return;
  int32_t cin = c0;
  int16_t bi = 0;
  for (int r0 = 0; r0 < 7; ++r0) {
    const int32_t t = table[r0][0];
    const int32_t cout = block_channels(table[r0][1], width_per_mille);
    for (int r = 0; r < table[r0][2]; ++r) {
      const int stride = r == 0 ? table[r0][3] : 1;
      const int32_t mid = cin * t;
      if (t != 1 && !emit(OpKind::pointwise, LayerRole::expand, cin, mid, 1, true, false, bi, "expanded_conv", "/expand"))
        return;
      if (!emit(OpKind::depthwise3x3, LayerRole::depthwise, mid, mid, stride, true, false, bi, "expanded_conv", "/depthwise"))
        return;
      if (!emit(OpKind::pointwise, LayerRole::project, mid, cout, 1, false, stride == 1 && cin == cout, bi,
                "expanded_conv", "/project"))
        return;
      cin = cout;
      ++bi;
    }
  }
  emit(OpKind::pointwise, LayerRole::final_pointwise, cin, 1280, 1, true, false, -1, "Conv_1", nullptr);
}

// The paper's cuts: output A stops after expanded_conv_13/expand, B and C run the table.
// (Output exits stops at the deepest tap: Graph::build reads it from head/exits.)
template <typename Visit>
void for_each_backbone_layer(int32_t width_per_mille, OutputVariant output, Visit&& visit) {
  for_each_backbone_layer(width_per_mille, output == OutputVariant::A ? kOutALayer : kBackboneLayers - 1, visit);
}

// One detection exit: the head op reading a backbone tap, its stride and its templates.
struct HeadExit {
  int16_t head_op;       // op index of the 1x1 head
  int16_t value;         // the head's output value
  int16_t tap_layer;     // backbone conv layer index it reads (-1: the paper cuts' output)
  int32_t stride;        // input pixels per head cell
  uint16_t templates;    // T_k
  TensorView template_boxes;  // int32 [T_k, 4]: x1, y1, x2, y2, centred on the cell
};

class Graph {
 public:
  // Builds the graph the metadata describes and checks every tensor of the file against
  // it (presence, dtype, shape, fractional bits; no tensor left over).
  static Status build(const WeightsFile& file, Graph* out) {
    Graph& g = *out;
    g.reset();  // no `g = Graph{}`: that would put a ~16 KiB temporary on the (firmware) stack
    g.file_ = &file;
    g.info_ = file.info();
    g.template_scales_.index = -1;
    const ModelInfo& m = g.info_;
    g.integer_ = m.activation_dtype != DType::float32;
    if (m.width_per_mille != 350 && m.width_per_mille != 500 && m.width_per_mille != 750 && m.width_per_mille != 1000)
      return make_error(Error::unsupported_architecture, "MobileNetV2 width_per_mille must be 350, 500, 750 or 1000");
    uint32_t used = 0;
    Status st = ok_status();
    int last_layer = m.output == OutputVariant::A ? kOutALayer : kBackboneLayers - 1;
    if (m.output == OutputVariant::exits) {
      st = g.read_exits(used);
      if (!st.ok()) return st;
      last_layer = g.exits_[g.exit_count_ - 1].tap_layer;
    } else if (m.has_head && m.head_stride != (m.output == OutputVariant::B ? 32 : 16)) {
      return make_error(Error::bad_metadata, "head_stride must be 16 (outputs A, C) or 32 (B)");
    }
    g.value_count_ = 1;  // value 0: the input
    int16_t x = 0;       // the backbone's current tensor (heads branch off it)
    int16_t block_input = 0;
    int16_t outA = -1;
    int next_exit = 0;
    for_each_backbone_layer(m.width_per_mille, last_layer, [&](const ConvLayerSpec& s) {
      if (!st.ok()) return;
      const bool first_of_block = s.role == LayerRole::expand || (s.role == LayerRole::depthwise && s.block == 0);
      if (first_of_block) block_input = x;
      Op& op = g.new_op(s.kind, s.name, x, -1);
      if (g.too_many_ops_) {
        st = make_error(Error::graph_too_large, "the backbone needs more than kMaxOps ops");
        return;
      }
      op.role = s.role;
      op.relu6 = s.relu6;
      op.stride = static_cast<uint8_t>(s.stride);
      op.cin = s.cin;
      op.cout = s.cout;
      op.block = s.block;
      op.residual = s.residual;
      st = g.bind_conv(op, used);
      if (!st.ok()) return;
      x = static_cast<int16_t>(g.value_count_ - 1);
      if (s.residual) {
        char name[kOpNameBytes];
        detail::copy_name(name, "expanded_conv", s.block, "/add");
        Op& add = g.new_op(OpKind::add, name, x, block_input);
        add.role = LayerRole::residual_add;
        add.cin = add.cout = s.cout;
        add.block = s.block;
        x = static_cast<int16_t>(g.value_count_ - 1);
      }
      if (s.index == kOutALayer) outA = x;
      if (next_exit < g.exit_count_ && m.output == OutputVariant::exits && g.exits_[next_exit].tap_layer == s.index) {
        if (g.exits_[next_exit].stride != s.total_stride) {
          st = make_error(Error::bad_metadata, "head/exits: an exit's stride differs from its tap's", g.exits_tensor_);
          return;
        }
        st = g.add_exit_head(next_exit++, x, s.cout, used);
      }
    });
    if (!st.ok()) return st;
    if (g.too_many_ops_) return make_error(Error::graph_too_large, "the backbone needs more than kMaxOps ops");  // its adds
    int16_t outv = x;
    if (m.output == OutputVariant::A) outv = outA;
    if (m.output == OutputVariant::C) {
      const int32_t cb = g.ops_[g.op_count_ - 1].cout;
      Op& up = g.new_op(OpKind::upsample2x, "upsample", outv, outA);  // in1: only its size is used
      up.role = LayerRole::upsample;
      up.cin = up.cout = cb;
      const int32_t ca = g.ops_[value_producer(outA)].cout;
      Op& cat = g.new_op(OpKind::concat, "concat", outA, static_cast<int16_t>(g.value_count_ - 1));
      cat.role = LayerRole::concat;
      cat.cin = ca;
      cat.cout = ca + cb;
      outv = static_cast<int16_t>(g.value_count_ - 1);
    }
    g.backbone_output_ = outv;
    if (m.output == OutputVariant::exits) {
      g.backbone_output_ = x;  // the deepest tap
    } else if (m.has_head) {
      g.exit_count_ = 1;
      g.exits_[0] = HeadExit{-1, -1, -1, m.head_stride, m.head_templates, TensorView{}};
      st = g.add_exit_head(0, outv, g.channels_of(outv), used);
      if (!st.ok()) return st;
      // Optional: the inference scale each template is used at (Tiny-Face's gating).
      const TensorView ts = file.find("head/template_scales");
      if (ts.valid()) {
        if (ts.dtype != DType::int32 || ts.quant != QuantKind::per_tensor || ts.frac != 8)
          return make_error(Error::dtype_mismatch, "head/template_scales must be int32 with frac 8", ts.index);
        if (ts.ndim != 1 || ts.shape[0] != m.head_templates)
          return make_error(Error::shape_mismatch, "head/template_scales must be [head_templates]", ts.index);
        const int32_t* v = ts.as<int32_t>();
        for (uint32_t i = 0; i < ts.shape[0]; ++i)
          if (v[i] < 0 || v[i] > 2048)
            return make_error(Error::bad_metadata, "head/template_scales: each in [0, 8.0] (0 = every scale)", ts.index);
        g.template_scales_ = ts;
        ++used;
      }
    }
    if (m.has_classifier) {
      Op& p = g.new_op(OpKind::global_avgpool, "avgpool", outv, -1);
      p.role = LayerRole::avgpool;
      p.cin = p.cout = g.channels_of(outv);
      const TensorView w = file.find("Logits/Conv2d_1c_1x1/weights");
      Op& l = g.new_op(OpKind::pointwise, "Logits/Conv2d_1c_1x1", static_cast<int16_t>(g.value_count_ - 1), -1);
      if (g.too_many_ops_) return make_error(Error::graph_too_large, "the classifier needs more than kMaxOps ops");
      l.role = LayerRole::classifier;
      l.cin = p.cout;
      l.cout = (w.valid() && w.ndim == 4) ? static_cast<int32_t>(w.shape[0]) : 1;
      l.stride = 1;
      st = g.bind_conv(l, used);
      if (!st.ok()) return st;
    }
    if (g.too_many_ops_) return make_error(Error::graph_too_large, "the graph needs more than kMaxOps ops");
    g.output_ = static_cast<int16_t>(g.value_count_ - 1);
    for (int i = 0; i < g.op_count_; ++i)  // every op reads the channels it was built for
      if (g.ops_[i].kind != OpKind::concat && g.channels_of(g.ops_[i].in0) != g.ops_[i].cin)
        return make_error(Error::shape_mismatch, "internal: an op's input has other channels than it expects", i);
    // activation formats (validated after the leftover check, so a wrong architecture
    // reports the first tensor it does not use)
    const TensorView fr = file.find("activation_frac_bits");
    if (fr.valid()) ++used;
    if (used != file.tensor_count()) {
      for (uint32_t i = 0; i < file.tensor_count(); ++i)
        if (!g.tensor_used(i)) return make_error(Error::unexpected_tensor, "a tensor is not used by the architecture", static_cast<int32_t>(i));
      return make_error(Error::unexpected_tensor, "a tensor is not used by the architecture");
    }
    if (fr.valid()) {
      if (fr.dtype != DType::int8 || fr.quant != QuantKind::per_tensor || fr.frac != 0)
        return make_error(Error::dtype_mismatch, "activation_frac_bits must be int8 with frac 0", fr.index);
      if (fr.ndim != 1 || fr.shape[0] != static_cast<uint32_t>(g.value_count_))
        return make_error(Error::shape_mismatch, "activation_frac_bits must have one entry per activation point", fr.index);
      const int8_t* f = fr.as<int8_t>();
      for (int v = 0; v < g.value_count_; ++v) {
        if (f[v] < 0 || f[v] > 15) return make_error(Error::bad_frac, "activation frac bits must be in [0, 15]", fr.index);
        g.value_frac_[v] = f[v];
      }
      for (int i = 0; i < g.op_count_; ++i) {
        Op& op = g.ops_[i];
        op.out_frac = g.value_frac_[i + 1];
        if (op.kind == OpKind::upsample2x && op.out_frac != g.value_frac_[op.in0])
          return make_error(Error::bad_frac, "upsample output frac must equal its input frac", fr.index);
      }
      // Proven input bounds: an input written by a ReLU6 conv lies in [0, output_max] of
      // that op's format (the requantization clamps it there).
      const bool act16 = dtype_bytes(g.info_.activation_dtype) == 2;
      for (int i = 0; i < g.op_count_; ++i) {
        Op& op = g.ops_[i];
        op.input_max_abs = kScanBound;
        if (op.in0 < 1) continue;
        const Op& producer = g.ops_[op.in0 - 1];
        const bool conv = producer.kind == OpKind::conv3x3 || producer.kind == OpKind::depthwise3x3 ||
                          producer.kind == OpKind::pointwise;
        if (conv && producer.relu6) {
          ConvQuant pq{};
          pq.relu6 = true;
          pq.output_frac = producer.out_frac;
          op.input_max_abs = static_cast<uint32_t>(act16 ? output_max<int16_t>(pq) : output_max<int8_t>(pq));
        }
      }
      // One logit format for all exits: candidates of every exit are ranked together.
      for (int k = 1; k < g.exit_count_; ++k)
        if (g.value_frac_[g.exits_[k].value] != g.value_frac_[g.exits_[0].value])
          return make_error(Error::bad_frac, "every exit head must have the same output frac bits", fr.index);
    } else if (g.integer_) {
      return make_error(Error::missing_tensor, "integer models need activation_frac_bits");
    }
    return ok_status();
  }

  const ModelInfo& info() const { return info_; }
  const WeightsFile& file() const { return *file_; }
  bool is_integer() const { return integer_; }
  int op_count() const { return op_count_; }
  const Op& op(int i) const { return ops_[i]; }
  int value_count() const { return value_count_; }  // values: 0 = input, i + 1 = output of op i
  int output_value() const { return output_; }
  int backbone_output_value() const { return backbone_output_; }
  int value_frac(int v) const { return value_frac_[v]; }
  // Templates of the single-head models (outputs A, B, C): exit 0's; multi-exit models have
  // one set per exit (exit(k).template_boxes).
  const TensorView& templates() const { return exits_[0].template_boxes; }
  int exit_count() const { return exit_count_; }  // 0 without a head
  const HeadExit& exit(int k) const { return exits_[k]; }
  // Values the caller reads after a run: the last value and every exit head (memory_plan.h
  // keeps them alive to the end).
  bool is_output(int v) const {
    if (v == output_) return true;
    for (int k = 0; k < exit_count_; ++k)
      if (exits_[k].value == v) return true;
    return false;
  }
  // [T] int32 Q8 scales, or an invalid view: template t is used only at inference scale
  // template_scales()[t] (0: at every scale); absent, every template is used everywhere.
  const TensorView& template_scales() const { return template_scales_; }
  static int value_producer(int v) { return v - 1; }

  // Shapes of every value for an input of height x width (3 channels). Fails for sizes
  // outside [32, 4096].
  Status shapes(int height, int width, Shape* out /* [value_count()] */) const {
    if (height < kMinInputSize || width < kMinInputSize || height > kMaxInputSize || width > kMaxInputSize)
      return make_error(Error::bad_input_size, "input height and width must be in [32, 4096]");
    out[0] = Shape{height, width, 3};
    for (int i = 0; i < op_count_; ++i) {
      const Op& op = ops_[i];
      const Shape a = out[op.in0];
      Shape s = a;
      switch (op.kind) {
        case OpKind::conv3x3:
        case OpKind::depthwise3x3:
          s = Shape{(a.height + op.stride - 1) / op.stride, (a.width + op.stride - 1) / op.stride, op.cout};
          break;
        case OpKind::pointwise: s.channels = op.cout; break;
        case OpKind::add: break;
        case OpKind::upsample2x:  // 2x, cropped (top-left) to the size of in1 (OutA)
          s = Shape{out[op.in1].height, out[op.in1].width, a.channels};
          if (s.height > 2 * a.height || s.width > 2 * a.width) s = Shape{2 * a.height, 2 * a.width, a.channels};
          break;
        case OpKind::concat: s.channels = a.channels + out[op.in1].channels; break;
        case OpKind::global_avgpool: s = Shape{1, 1, a.channels}; break;
      }
      out[i + 1] = s;
    }
    return ok_status();
  }

  // Last op reading value v (the value is dead after it); -1 if unused (the output).
  int last_use(int v) const {
    int last = -1;
    for (int i = 0; i < op_count_; ++i)
      if (ops_[i].in0 == v || ops_[i].in1 == v) last = i;
    return last;
  }

 private:
  void reset() {
    file_ = nullptr;
    lookup_from_ = 0;
    info_ = ModelInfo{};
    integer_ = false;
    op_count_ = 0;
    too_many_ops_ = false;
    value_count_ = 0;
    output_ = 0;
    backbone_output_ = 0;
    for (int i = 0; i < kMaxValues; ++i) value_frac_[i] = 0;
    exit_count_ = 0;
    for (int k = 0; k < kMaxExits; ++k) {
      exits_[k] = HeadExit{-1, -1, -1, 0, 0, TensorView{}};
      exits_[k].template_boxes.index = -1;
    }
    exits_tensor_ = -1;
    template_scales_ = TensorView{};
  }

  int32_t channels_of(int v) const { return v == 0 ? 3 : ops_[v - 1].cout; }

  // The next op slot; when all kMaxOps are taken, a spare slot that build() never uses
  // (too_many_ops_ makes it fail with graph_too_large), so callers need no check per op.
  Op& new_op(OpKind kind, const char* name, int16_t in0, int16_t in1) {
    if (op_count_ >= kMaxOps) {
      too_many_ops_ = true;
      overflow_op_ = Op{};
      overflow_op_.kind = kind;
      overflow_op_.weights.index = overflow_op_.bias.index = overflow_op_.weight_fracs.index = -1;
      detail::copy_name(overflow_op_.name, name);
      return overflow_op_;
    }
    Op& op = ops_[op_count_++];
    op = Op{};
    op.input_max_abs = op.weight_max_abs = kScanBound;
    op.kind = kind;
    op.in0 = in0;
    op.in1 = in1;
    op.stride = 1;
    op.block = -1;
    op.weights.index = op.bias.index = op.weight_fracs.index = -1;
    detail::copy_name(op.name, name);
    ++value_count_;
    return op;
  }

  bool tensor_used(uint32_t i) const {
    for (int k = 0; k < op_count_; ++k)
      if (ops_[k].weights.index == static_cast<int32_t>(i) || ops_[k].bias.index == static_cast<int32_t>(i) ||
          ops_[k].weight_fracs.index == static_cast<int32_t>(i))
        return true;
    if (template_scales_.index == static_cast<int32_t>(i) || exits_tensor_ == static_cast<int32_t>(i)) return true;
    for (int k = 0; k < exit_count_; ++k)
      if (exits_[k].template_boxes.index == static_cast<int32_t>(i)) return true;
    const TensorView fr = file_->find("activation_frac_bits");
    return fr.index == static_cast<int32_t>(i);
  }

  // file_->find from the entry after the last tensor found (see WeightsFile::find).
  TensorView lookup(const char* name) {
    const TensorView t = file_->find(name, lookup_from_);
    if (t.valid()) lookup_from_ = static_cast<uint32_t>(t.index) + 1;
    return t;
  }

  // head/exits: int32 [E, 3], rows (tap layer, stride, templates), taps increasing, the
  // templates adding up to head_templates and the largest stride equal to head_stride.
  Status read_exits(uint32_t& used) {
    const ModelInfo& m = info_;
    const TensorView e = file_->find("head/exits");
    if (!e.valid()) return make_error(Error::missing_tensor, "output 4 (exits) needs head/exits");
    if (e.dtype != DType::int32 || e.quant != QuantKind::per_tensor || e.frac != 0)
      return make_error(Error::dtype_mismatch, "head/exits must be int32 with frac 0", e.index);
    if (e.ndim != 2 || e.shape[0] != m.head_exits || e.shape[1] != 3)
      return make_error(Error::shape_mismatch, "head/exits must be [head_exits, 3]", e.index);
    exits_tensor_ = e.index;
    ++used;
    const int32_t* row = e.as<int32_t>();
    uint32_t templates = 0;
    int32_t max_stride = 0;
    for (int k = 0; k < m.head_exits; ++k, row += 3) {
      const int32_t tap = row[0], stride = row[1], t = row[2];
      if (tap < 0 || tap >= kBackboneLayers || (k > 0 && tap <= exits_[k - 1].tap_layer))
        return make_error(Error::bad_metadata, "head/exits: taps must be backbone layers 0..51, increasing", e.index);
      if (stride < 2 || stride > 64 || t < 1 || t > 1024)
        return make_error(Error::bad_metadata, "head/exits: stride 2..64 and 1..1024 templates per exit", e.index);
      exits_[k] = HeadExit{-1, -1, static_cast<int16_t>(tap), stride, static_cast<uint16_t>(t), TensorView{}};
      templates += static_cast<uint32_t>(t);
      if (stride > max_stride) max_stride = stride;
    }
    exit_count_ = m.head_exits;
    if (templates != m.head_templates)
      return make_error(Error::bad_metadata, "head/exits: templates must add up to head_templates", e.index);
    if (max_stride != m.head_stride)
      return make_error(Error::bad_metadata, "head_stride must be the largest exit stride", e.index);
    return ok_status();
  }

  // The 1x1 head of exit k on value `tap` (cin channels) and its templates: head/* for the
  // single-head models, head_<k>/* for exits.
  Status add_exit_head(int k, int16_t tap, int32_t cin, uint32_t& used) {
    HeadExit& x = exits_[k];
    const bool multi = info_.output == OutputVariant::exits;
    char base[8] = {'h', 'e', 'a', 'd', '\0', '\0', '\0', '\0'};
    if (multi) { base[4] = '_'; base[5] = static_cast<char>('0' + k); }
    Op& h = new_op(OpKind::pointwise, base, tap, -1);
    if (too_many_ops_) return make_error(Error::graph_too_large, "the head needs more than kMaxOps ops");
    h.role = LayerRole::head;
    h.cin = cin;
    h.cout = static_cast<int32_t>(x.templates) * info_.head_values_per_template;
    h.stride = 1;
    x.head_op = static_cast<int16_t>(op_count_ - 1);
    x.value = static_cast<int16_t>(value_count_ - 1);
    Status st = bind_conv(h, used);
    if (!st.ok()) return st;
    char name[kOpNameBytes + 16];
    const TensorView t = file_->find(detail::join_name(name, base, "/templates"));
    if (!t.valid()) return make_error(Error::missing_tensor, multi ? "head_<k>/templates is missing" : "head/templates is missing");
    if (t.dtype != DType::int32 || t.quant != QuantKind::per_tensor)
      return make_error(Error::dtype_mismatch, "head templates must be int32, per-tensor frac", t.index);
    if (t.ndim != 2 || t.shape[0] != x.templates || t.shape[1] != 4)
      return make_error(Error::shape_mismatch, "head templates must be [templates, 4]", t.index);
    x.template_boxes = t;
    ++used;
    return ok_status();
  }

  Status bind_conv(Op& op, uint32_t& used) {
    char name[kOpNameBytes + 16];  // op name (< kOpNameBytes) + the longest suffix
    const int32_t idx = static_cast<int32_t>(op_count_ - 1);
    auto with_suffix = [&](const char* suffix) { return detail::join_name(name, op.name, suffix); };
    const TensorView w = lookup(with_suffix("/weights"));
    if (!w.valid()) return make_error(Error::missing_tensor, "a conv layer's <layer>/weights tensor is missing", idx);
    uint32_t expect[4];
    if (op.kind == OpKind::conv3x3) {
      expect[0] = static_cast<uint32_t>(op.cout); expect[1] = 3; expect[2] = 3; expect[3] = static_cast<uint32_t>(op.cin);
    } else if (op.kind == OpKind::depthwise3x3) {
      expect[0] = 1; expect[1] = 3; expect[2] = 3; expect[3] = static_cast<uint32_t>(op.cin);
    } else {
      expect[0] = static_cast<uint32_t>(op.cout); expect[1] = 1; expect[2] = 1; expect[3] = static_cast<uint32_t>(op.cin);
    }
    if (w.ndim != 4 || w.shape[0] != expect[0] || w.shape[1] != expect[1] || w.shape[2] != expect[2] || w.shape[3] != expect[3])
      return make_error(Error::shape_mismatch, "weights shape differs from the architecture (OHWI conv, 1HWC depthwise)", w.index);
    if (integer_ && w.dtype != DType::int8 && w.dtype != DType::int16)
      return make_error(Error::dtype_mismatch, "integer models need int8 or int16 weights", w.index);
    if (w.dtype == DType::int32) return make_error(Error::dtype_mismatch, "weights cannot be int32", w.index);
    op.weights = w;
    // The pointwise L1 bound max_c sum_k |w[c][k]| (ConvQuant::weight_l1_bound): with max|x| it
    // bounds every partial sum (pointwise_sum_bound), which is what keeps trained layers on
    // the int32 paths (their L1 is 2-5x below K max|w|), and the SWAR lanes of kernels/swar.h.
    // K * max|w| of the weight type is a bound too: when it is already within the three-lane
    // limit (8-bit weights and activations, K <= 63) no scan is needed.
    op.weight_max_abs = kScanBound;
    if (w.dtype == DType::int8) op.weight_max_abs = max_abs(w.as<int8_t>(), w.elements());
    if (w.dtype == DType::int16) op.weight_max_abs = max_abs(w.as<int16_t>(), w.elements());
    if (op.kind == OpKind::pointwise && (w.dtype == DType::int8 || w.dtype == DType::int16)) {
      const int act_bytes = static_cast<int>(dtype_bytes(info_.activation_dtype));
      const uint64_t type_bound = static_cast<uint64_t>(op.cin) << (8 * dtype_bytes(w.dtype) - 1);
      if (type_bound <= int21_sum_l1_limit(act_bytes))
        op.weight_l1_bound = static_cast<uint32_t>(type_bound);
      else if (w.dtype == DType::int8)
        op.weight_l1_bound = weight_l1_bound(w.as<int8_t>(), op.cout, op.cin);
      else
        op.weight_l1_bound = weight_l1_bound(w.as<int16_t>(), op.cout, op.cin);
    }
    ++used;
    if (w.quant == QuantKind::per_channel) {
      const TensorView f = lookup(with_suffix("/weights.frac"));
      if (!f.valid()) return make_error(Error::missing_tensor, "per-channel weights need <layer>/weights.frac", idx);
      if (f.dtype != DType::int8 || f.quant != QuantKind::per_tensor || f.frac != 0)
        return make_error(Error::dtype_mismatch, "<layer>/weights.frac must be int8 with frac 0", f.index);
      const uint32_t channels = static_cast<uint32_t>(op.cout);
      if (f.ndim != 1 || f.shape[0] != channels)
        return make_error(Error::shape_mismatch, "<layer>/weights.frac must have one entry per output channel", f.index);
      for (uint32_t c = 0; c < channels; ++c)
        if (f.as<int8_t>()[c] < kMinFrac || f.as<int8_t>()[c] > kMaxFrac)
          return make_error(Error::bad_frac, "per-channel frac bits must be in [0, 31]", f.index);
      op.weight_fracs = f;
      ++used;
    }
    const TensorView b = lookup(with_suffix("/biases"));
    if (!b.valid()) return make_error(Error::missing_tensor, "a conv layer's <layer>/biases tensor is missing", idx);
    if (b.ndim != 1 || b.shape[0] != static_cast<uint32_t>(op.cout))
      return make_error(Error::shape_mismatch, "biases must be [cout]", b.index);
    if (integer_ ? b.dtype != DType::int32 : (b.dtype != DType::float32 && b.dtype != DType::int32))
      return make_error(Error::dtype_mismatch, "biases must be int32 (integer model) or float32/int32 (float model)", b.index);
    if (b.quant == QuantKind::per_channel) return make_error(Error::dtype_mismatch, "biases must be per-tensor", b.index);
    op.bias = b;
    ++used;
    return ok_status();
  }

  const WeightsFile* file_ = nullptr;
  uint32_t lookup_from_ = 0;  // where lookup() starts its next scan
  ModelInfo info_{};
  bool integer_ = false;
  Op ops_[kMaxOps];
  Op overflow_op_{};
  bool too_many_ops_ = false;
  int op_count_ = 0;
  int value_count_ = 0;
  int16_t output_ = 0;
  int16_t backbone_output_ = 0;
  int8_t value_frac_[kMaxValues] = {};
  HeadExit exits_[kMaxExits] = {};
  int exit_count_ = 0;
  int32_t exits_tensor_ = -1;  // head/exits' table index
  TensorView template_scales_{};
};

}  // namespace model
}  // namespace tinyq
