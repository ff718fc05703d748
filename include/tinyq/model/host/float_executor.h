// HOST ONLY (uses <vector>, float, the heap): the float reference executor, for accuracy
// work (ImageNet cross-check, calibration of per-layer Q formats). Runs the very Graph the
// integer executor runs; integer tensors are dequantized (raw * 2^-frac) on the fly, so it
// also evaluates a quantized model's weights in float.
#pragma once
#if defined(__STDC_HOSTED__) && !__STDC_HOSTED__
#error "tinyq/model/host/float_executor.h is host-only"
#endif
#include <math.h>
#include <stdint.h>

#include <vector>

#include "../mobilenet_v2.h"

namespace tinyq {
namespace model {

struct FloatTensor {
  Shape shape{0, 0, 0};
  std::vector<float> data;  // NHWC, batch 1
};

namespace float_detail {
// Raw values as float (fractional bits not applied yet).
inline std::vector<float> dequantize(const TensorView& t) {
  std::vector<float> out(t.elements());
  for (uint32_t i = 0; i < t.elements(); ++i) {
    double v = 0;
    switch (t.dtype) {
      case DType::float32: v = t.as<float>()[i]; break;
      case DType::int8: v = t.as<int8_t>()[i]; break;
      case DType::int16: v = t.as<int16_t>()[i]; break;
      case DType::int32: v = t.as<int32_t>()[i]; break;
    }
    out[i] = static_cast<float>(v);
  }
  return out;
}

// Weights as float with fractional bits applied; per-channel fracs index axis 0 (OHWI) or
// the last axis (1HWC depthwise).
inline std::vector<float> weights_float(const Op& op) {
  std::vector<float> w = dequantize(op.weights);
  const uint32_t n = static_cast<uint32_t>(w.size());
  if (op.weights.quant == QuantKind::per_tensor) {
    const float s = ldexpf(1.0f, -op.weights.frac);
    for (auto& x : w) x *= s;
  } else if (op.weights.quant == QuantKind::per_channel) {
    const int8_t* f = op.weight_fracs.as<int8_t>();
    const uint32_t cout = static_cast<uint32_t>(op.cout);
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t c = op.kind == OpKind::depthwise3x3 ? i % cout : i / (n / cout);
      w[i] = ldexpf(w[i], -f[c]);
    }
  }
  return w;
}
inline std::vector<float> bias_float(const Op& op) {
  std::vector<float> b = dequantize(op.bias);
  if (op.bias.quant == QuantKind::per_tensor)
    for (auto& x : b) x = ldexpf(x, -op.bias.frac);
  return b;
}

inline void pad_amounts(PaddingMode mode, int in, int out, int stride, int* before) {
  if (mode == PaddingMode::symmetric) {
    *before = 1;
  } else {
    int total = (out - 1) * stride + 3 - in;
    if (total < 0) total = 0;
    *before = total / 2;
  }
}
}  // namespace float_detail

// Normalises uint8 RGB HWC pixels as the metadata says: (p - offset) / 2^shift.
inline FloatTensor normalise_input(const ModelInfo& m, const uint8_t* rgb, int height, int width) {
  FloatTensor t;
  t.shape = Shape{height, width, 3};
  t.data.resize(static_cast<size_t>(height) * width * 3);
  const float scale = ldexpf(1.0f, -m.input_shift);
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = (static_cast<float>(rgb[i]) - m.input_offset) * scale;
  return t;
}

class FloatExecutor {
 public:
  explicit FloatExecutor(const Graph& g) : g_(g) {
    for (int i = 0; i < g.op_count(); ++i) {
      const Op& op = g.op(i);
      if (op.weights.valid()) {
        w_.push_back(float_detail::weights_float(op));
        b_.push_back(float_detail::bias_float(op));
      } else {
        w_.emplace_back();
        b_.emplace_back();
      }
    }
  }

  // Runs the graph on a normalised input. `values` (optional) receives every activation
  // (index = graph value), e.g. for calibration.
  Status run(const FloatTensor& input, FloatTensor* output, std::vector<FloatTensor>* values = nullptr) const {
    std::vector<Shape> shapes(g_.value_count());
    Status s = g_.shapes(input.shape.height, input.shape.width, shapes.data());
    if (!s.ok()) return s;
    if (input.shape.channels != 3) return make_error(Error::bad_input_size, "input must have 3 channels");
    std::vector<FloatTensor> v(g_.value_count());
    v[0] = input;
    for (int i = 0; i < g_.op_count(); ++i) {
      const Op& op = g_.op(i);
      FloatTensor& o = v[i + 1];
      o.shape = shapes[i + 1];
      o.data.assign(o.shape.elements(), 0.0f);
      run_op(i, op, v[op.in0], op.in1 >= 0 ? &v[op.in1] : nullptr, o);
      if (!values) {  // free dead values
        for (int k = 0; k <= i; ++k)
          if (g_.last_use(k) == i) std::vector<float>().swap(v[k].data);
      }
    }
    *output = v[g_.output_value()];
    if (values) *values = std::move(v);
    return ok_status();
  }

 private:
  void run_op(int i, const Op& op, const FloatTensor& a, const FloatTensor* b, FloatTensor& o) const {
    const Shape& as = a.shape;
    const Shape& os = o.shape;
    const std::vector<float>& w = w_[i];
    const std::vector<float>& bias = b_[i];
    const PaddingMode pm = g_.info().padding;
    switch (op.kind) {
      case OpKind::conv3x3:
      case OpKind::depthwise3x3: {
        int pt, pl;
        float_detail::pad_amounts(pm, as.height, os.height, op.stride, &pt);
        float_detail::pad_amounts(pm, as.width, os.width, op.stride, &pl);
        const bool dw = op.kind == OpKind::depthwise3x3;
        for (int y = 0; y < os.height; ++y)
          for (int x = 0; x < os.width; ++x)
            for (int co = 0; co < os.channels; ++co) {
              double acc = bias[co];
              for (int ky = 0; ky < 3; ++ky) {
                const int iy = y * op.stride - pt + ky;
                if (iy < 0 || iy >= as.height) continue;
                for (int kx = 0; kx < 3; ++kx) {
                  const int ix = x * op.stride - pl + kx;
                  if (ix < 0 || ix >= as.width) continue;
                  const float* px = &a.data[(static_cast<size_t>(iy) * as.width + ix) * as.channels];
                  if (dw) {
                    acc += static_cast<double>(px[co]) * w[(ky * 3 + kx) * os.channels + co];
                  } else {
                    const float* wk = &w[((static_cast<size_t>(co) * 3 + ky) * 3 + kx) * as.channels];
                    for (int ci = 0; ci < as.channels; ++ci) acc += static_cast<double>(px[ci]) * wk[ci];
                  }
                }
              }
              o.data[(static_cast<size_t>(y) * os.width + x) * os.channels + co] = act(op, acc);
            }
        break;
      }
      case OpKind::pointwise: {
        const size_t pixels = static_cast<size_t>(os.height) * os.width;
        for (size_t p = 0; p < pixels; ++p) {
          const float* px = &a.data[p * as.channels];
          for (int co = 0; co < os.channels; ++co) {
            const float* wk = &w[static_cast<size_t>(co) * as.channels];
            double acc = bias[co];
            for (int ci = 0; ci < as.channels; ++ci) acc += static_cast<double>(px[ci]) * wk[ci];
            o.data[p * os.channels + co] = act(op, acc);
          }
        }
        break;
      }
      case OpKind::add:
        for (size_t k = 0; k < o.data.size(); ++k) o.data[k] = a.data[k] + b->data[k];
        break;
      case OpKind::upsample2x:  // bilinear, half-pixel centres (align_corners = false)
        for (int y = 0; y < os.height; ++y) {
          int y0, y1;
          float ly;
          source(y, as.height, &y0, &y1, &ly);
          for (int x = 0; x < os.width; ++x) {
            int x0, x1;
            float lx;
            source(x, as.width, &x0, &x1, &lx);
            for (int c = 0; c < os.channels; ++c) {
              auto at = [&](int yy, int xx) { return a.data[(static_cast<size_t>(yy) * as.width + xx) * as.channels + c]; };
              const float top = at(y0, x0) * (1 - lx) + at(y0, x1) * lx;
              const float bot = at(y1, x0) * (1 - lx) + at(y1, x1) * lx;
              o.data[(static_cast<size_t>(y) * os.width + x) * os.channels + c] = top * (1 - ly) + bot * ly;
            }
          }
        }
        break;
      case OpKind::concat:  // b is cropped to a's height and width (top-left)
        for (int y = 0; y < os.height; ++y)
          for (int x = 0; x < os.width; ++x) {
            float* dst = &o.data[(static_cast<size_t>(y) * os.width + x) * os.channels];
            const float* pa = &a.data[(static_cast<size_t>(y) * as.width + x) * as.channels];
            const float* pb = &b->data[(static_cast<size_t>(y) * b->shape.width + x) * b->shape.channels];
            for (int c = 0; c < as.channels; ++c) dst[c] = pa[c];
            for (int c = 0; c < b->shape.channels; ++c) dst[as.channels + c] = pb[c];
          }
        break;
      case OpKind::global_avgpool: {
        const size_t pixels = static_cast<size_t>(as.height) * as.width;
        for (int c = 0; c < as.channels; ++c) {
          double s = 0;
          for (size_t p = 0; p < pixels; ++p) s += a.data[p * as.channels + c];
          o.data[c] = static_cast<float>(s / static_cast<double>(pixels));
        }
        break;
      }
    }
  }

  static float act(const Op& op, double acc) {
    if (op.relu6) acc = acc < 0 ? 0 : (acc > 6 ? 6 : acc);
    return static_cast<float>(acc);
  }
  static void source(int dst, int in, int* i0, int* i1, float* lambda) {
    float s = (static_cast<float>(dst) + 0.5f) * 0.5f - 0.5f;
    if (s < 0) s = 0;
    *i0 = static_cast<int>(s);
    if (*i0 > in - 1) *i0 = in - 1;
    *i1 = *i0 + 1 < in ? *i0 + 1 : in - 1;
    *lambda = s - static_cast<float>(*i0);
  }

  const Graph& g_;
  std::vector<std::vector<float>> w_, b_;
};

}  // namespace model
}  // namespace tinyq
