// Google Benchmark: every kernel x {Q7, Q8, Q9 16-bit; Q9 activations with 8-bit
// weights; 8-bit activations and weights} x {reference, optimized} on MobileNetV2 layer
// shapes (inputs 224 and 500, width 1.0 and 0.5), XNNPACK's qs8 convolution on the same
// shapes (one thread) when it was found, and peak microbenchmarks of the multiply-add
// instructions the kernels use. Counters: MAC/s, and peak% = MAC/s over this machine's
// int16 MAC peak (vpdpwssd zmm where the CPU has AVX512-VNNI, else vpmaddwd+vpaddd),
// measured again right after each benchmark (best of 5 short runs, counter peak_GMACs):
// on a shared or frequency-scaling machine the peak moves between runs (a single startup
// figure varied 194-287 GMAC/s), and the kernel and its peak measured side by side see the
// same clock and the same neighbours.
//
//   bench_kernels --benchmark_min_time=0.05 --benchmark_filter='224_w1.0/pw'
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/rng.h"
#include "mobilenet_shapes.h"
#include "model_layers.h"
#include "tinyq/blocks/inverted_residual.h"
#include "tinyq/kernels/packed.h"

#if TINYQ_BENCH_XNNPACK
#include <xnnpack.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's own AVX-512 headers (bug 105593)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

using namespace tinyq;
using bench_shapes::Layer;

namespace {

// ---------------------------------------------------------------------------
// Peak: a tight loop of independent multiply-adds (12 accumulator chains hide the latency).
// ---------------------------------------------------------------------------
constexpr int kChains = 12;

#if defined(__AVX512VNNI__)  // the peak of the instruction set this bench is compiled for (-march=native)
constexpr const char* kPeakInstruction = "vpdpwssd zmm";
int64_t peak_loop(int64_t iters) {
  __m512i acc[kChains];  // distinct starting values: identical chains could be merged by the compiler
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_epi32(j);
  __m512i a = _mm512_set1_epi16(3), b = _mm512_set1_epi16(5);
  for (int64_t i = 0; i < iters; ++i) {
    __asm__ volatile("" : "+v"(a), "+v"(b));
    for (auto& x : acc) x = _mm512_dpwssd_epi32(x, a, b);
  }
  __m512i s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm512_add_epi32(s, acc[j]);
  return _mm512_reduce_add_epi32(s);
}
constexpr int kMacsPerInstruction = 32;
#elif defined(__AVX512BW__)
constexpr const char* kPeakInstruction = "vpmaddwd+vpaddd zmm";
int64_t peak_loop(int64_t iters) {
  __m512i acc[kChains];  // distinct starting values: identical chains could be merged by the compiler
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_epi32(j);
  __m512i a = _mm512_set1_epi16(3), b = _mm512_set1_epi16(5);
  for (int64_t i = 0; i < iters; ++i) {
    __asm__ volatile("" : "+v"(a), "+v"(b));
    for (auto& x : acc) x = _mm512_add_epi32(x, _mm512_madd_epi16(a, b));
  }
  __m512i s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm512_add_epi32(s, acc[j]);
  return _mm512_reduce_add_epi32(s);
}
constexpr int kMacsPerInstruction = 32;
#else
constexpr const char* kPeakInstruction = "vpmaddwd+vpaddd ymm";
int64_t peak_loop(int64_t iters) {
  __m256i acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm256_set1_epi32(j);
  __m256i a = _mm256_set1_epi16(3), b = _mm256_set1_epi16(5);
  for (int64_t i = 0; i < iters; ++i) {
    __asm__ volatile("" : "+x"(a), "+x"(b));
    for (auto& x : acc) x = _mm256_add_epi32(x, _mm256_madd_epi16(a, b));
  }
  __m256i s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm256_add_epi32(s, acc[j]);
  alignas(32) int32_t t[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), s);
  return t[0];
}
constexpr int kMacsPerInstruction = 16;
#endif

double measure_peak(int64_t iters = 2000000, int reps = 5) {
  double best = 0;
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(peak_loop(iters));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double rate = double(iters) * kChains * kMacsPerInstruction / s;
    best = rate > best ? rate : best;
  }
  return best;
}

void BM_peak(benchmark::State& state) {
  const int64_t iters = 100000;
  for (auto _ : state) benchmark::DoNotOptimize(peak_loop(iters));
  state.counters["MAC/s"] = benchmark::Counter(double(iters) * kChains * kMacsPerInstruction * state.iterations(), benchmark::Counter::kIsRate);
  state.SetLabel(kPeakInstruction);
}

void set_counters(benchmark::State& state, long long macs) {
  state.counters["MAC/s"] = benchmark::Counter(double(macs) * state.iterations(), benchmark::Counter::kIsRate);
  const double peak = measure_peak(400000, 5);  // ~1 ms each: next to the kernel, same conditions
  state.counters["peak_GMACs"] = peak / 1e9;
  state.counters["peak%"] = benchmark::Counter(100.0 * double(macs) * state.iterations() / peak, benchmark::Counter::kIsRate);
}

// ---------------------------------------------------------------------------
// Formats and data
// ---------------------------------------------------------------------------
struct Format {
  const char* name;
  int act_frac;  // Q7 / Q8 / Q9 activations (Q<3,4> for int8)
  int w_frac;
  int out_drop = 0;  // output_frac = act_frac - out_drop
};
const Format kQ7{"Q7", 7, 14}, kQ8{"Q8", 8, 14}, kQ9{"Q9", 9, 14}, kQ9w8{"Q9_w8", 9, 6}, kI8{"i8", 4, 6};
// A calibrated per-tensor 16-bit model (auto16): ReLU6 outputs at Q3.12 (up to 24576), weights
// using the whole word (|w| < 2^15), output shift 17 like the detector's project layers. The
// int32 bounds fail here: split sums and the pre-shifted epilogue (docs/kernels.md).
const Format kA16{"A16", 12, 16, 1};
// The same data with a short output shift (12): the AVX2 / AVX-512 dot forms' vector epilogue
// takes it (A16's 17 sends them to SSE2), so their own split-activation path runs.
const Format kA16s12{"A16_s12", 12, 16, -4};  // output frac 16: shift 28 - 16 = 12

template <typename TA, typename TW>
struct LayerData {
  std::vector<TA> x, out;
  std::vector<TW> w;
  std::vector<int32_t> bias;
  ConvQuant q;
  LayerData(const Layer& l, const Format& f) {
    tinyq_test::Rng rng(42);
    const int oh = (l.h + l.stride - 1) / l.stride, ow = (l.w + l.stride - 1) / l.stride;
    const int cout = l.depthwise ? l.cin : l.cout;
    x.resize(static_cast<size_t>(l.h) * l.w * l.cin);
    // Depthwise inputs follow a ReLU6: [0, 6.0]; 1x1 inputs may be block outputs: [-3.0, 6.0].
    const int64_t hi = int64_t(6) << f.act_frac, lo = l.depthwise ? 0 : -(int64_t(3) << f.act_frac);
    for (auto& v : x) v = static_cast<TA>(saturate_to_bits(rng.uniform(lo, hi), int_limits<TA>::bits));
    const size_t nw = l.depthwise ? size_t(9) * l.cin : (l.stem ? size_t(9) * l.cin * l.cout : size_t(l.cin) * l.cout);
    w.resize(nw);
    const int64_t wm = (int64_t(1) << (f.w_frac - 1)) - 1;  // |w| < 0.5
    for (auto& v : w) v = static_cast<TW>(rng.uniform(-wm, wm));
    bias.resize(cout);
    for (auto& b : bias) b = static_cast<int32_t>(rng.uniform(-(1 << 20), 1 << 20));
    out.resize(static_cast<size_t>(oh) * ow * cout);
    const bool project = !l.depthwise && !l.stem && l.cout < l.cin;
    q = ConvQuant{f.act_frac, f.act_frac - f.out_drop, f.w_frac, nullptr, f.act_frac + f.w_frac, !project};
  }
};

// impl: 0 reference, 1 optimized (plain weights), 2 optimized with weights packed beforehand
template <typename TA, typename TW>
void BM_layer(benchmark::State& state, Layer l, Format f, int impl) {
  LayerData<TA, TW> d(l, f);
  const bool optimized = impl != 0;
  // Pointwise layers only: a depthwise layer has 9 * cin weights, not cin * cout.
  const int pack_cin = l.depthwise ? 0 : l.cin, pack_cout = l.depthwise ? 0 : l.cout;
  std::vector<unsigned char> packed_buf(pointwise_packed_bytes(pack_cin, pack_cout, sizeof(TW)));
  const auto packed = pack_pointwise_weights(d.w.data(), pack_cin, pack_cout, packed_buf.data(), packed_buf.size());
  const Tensor<const TA> in{d.x.data(), l.h, l.w, l.cin};
  const int oh = (l.h + l.stride - 1) / l.stride, ow = (l.w + l.stride - 1) / l.stride;
  for (auto _ : state) {
    if (l.depthwise) {
      const Tensor<TA> out{d.out.data(), oh, ow, l.cin};
      if (optimized) depthwise_conv3x3(in, d.w.data(), d.bias.data(), d.q, l.stride, Padding::tf_same, out);
      else depthwise_conv3x3_reference(in, d.w.data(), d.bias.data(), d.q, l.stride, Padding::tf_same, out);
    } else if (l.stem) {
      const Tensor<TA> out{d.out.data(), oh, ow, l.cout};
      if (optimized) conv3x3(in, d.w.data(), d.bias.data(), d.q, l.stride, Padding::tf_same, out);
      else conv3x3_reference(in, d.w.data(), d.bias.data(), d.q, l.stride, Padding::tf_same, out);
    } else {
      const Tensor<TA> out{d.out.data(), l.h, l.w, l.cout};
      if (impl == 2) pointwise_conv(in, packed, d.bias.data(), d.q, out);
      else if (optimized) pointwise_conv(in, d.w.data(), d.bias.data(), d.q, out);
      else pointwise_conv_reference(in, d.w.data(), d.bias.data(), d.q, out);
    }
    benchmark::DoNotOptimize(d.out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, l.macs());
  // what ran: the dispatched level, and for pointwise the int32 path the data's bounds allow
  std::string label = impl == 0 ? "reference" : "";
#if TINYQ_HAVE_SSE2
  if (impl != 0) label = x86_simd_level();
#endif
  if (impl != 0 && !l.depthwise && !l.stem) {
    const uint64_t xmax = max_abs(d.x.data(), d.x.size()), prod = xmax * max_abs(d.w.data(), d.w.size());
    label += fits_int32(pointwise_sum_bound(d.q, l.cin, prod, xmax)) ? ", int32 single pass"
                                                                     : (fits_int32(2 * prod) ? ", int32 chunks or split" : ", int64");
  }
  state.SetLabel(label);
}

#if TINYQ_HAVE_AVX512_VNNI  // every x86 level compiled in (run-time dispatch)
// The dot-product pointwise form (simd/pointwise_dot.h) at each x86 level by name, on the
// layer table's 1x1 shapes: what SSE2- and AVX2-only CPUs run for every pointwise layer, and
// AVX-512 for few pixels. variant: 0 SSE2, 1 AVX2, 2 AVX-512, 3 AVX-512 VNNI.
template <typename TA, typename TW>
void BM_pointwise_dot(benchmark::State& state, Layer l, Format f, int variant) {
  static const char* const names[] = {"sse2", "avx2", "avx512", "avx512_vnni"};
  const bool runs[] = {true, cpu_has_avx2(), cpu_has_avx512(), cpu_has_avx512_vnni()};
  if (!runs[variant]) {
    state.SkipWithError("this CPU lacks the level");
    return;
  }
  LayerData<TA, TW> d(l, f);
  const Tensor<const TA> in{d.x.data(), l.h, l.w, l.cin};
  const Tensor<TA> out{d.out.data(), l.h, l.w, l.cout};
  for (auto _ : state) {
    switch (variant) {
      case 0: pointwise_conv_sse2(in, d.w.data(), d.bias.data(), d.q, out); break;
      case 1: pointwise_conv_avx2(in, d.w.data(), d.bias.data(), d.q, out); break;
      case 2: pointwise_conv_dot_avx512(in, d.w.data(), d.bias.data(), d.q, out); break;
      default: pointwise_conv_dot_avx512vnni(in, d.w.data(), d.bias.data(), d.q, out); break;
    }
    benchmark::DoNotOptimize(d.out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, l.macs());
  state.SetLabel(names[variant]);
}
#endif

#if TINYQ_BENCH_XNNPACK
void BM_xnnpack(benchmark::State& state, Layer l) {
  static const bool initialized = xnn_initialize(nullptr) == xnn_status_success;
  if (!initialized) {
    state.SkipWithError("xnn_initialize failed");
    return;
  }
  LayerData<int8_t, int8_t> d(l, kI8);
  const int oh = (l.h + l.stride - 1) / l.stride, ow = (l.w + l.stride - 1) / l.stride;
  const int k = (l.depthwise || l.stem) ? 3 : 1;
  uint32_t top = 0, left = 0, bottom = 0, right = 0;
  if (k == 3) {  // TF SAME
    const int th = (oh - 1) * l.stride + 3 - l.h, tw = (ow - 1) * l.stride + 3 - l.w;
    top = th > 0 ? th / 2 : 0;
    bottom = th > 0 ? th - th / 2 : 0;
    left = tw > 0 ? tw / 2 : 0;
    right = tw > 0 ? tw - tw / 2 : 0;
  }
  xnn_operator_t op = nullptr;
  const uint32_t groups = l.depthwise ? l.cin : 1;
  const size_t gin = l.depthwise ? 1 : l.cin, gout = l.depthwise ? 1 : l.cout;
  const size_t cout = l.depthwise ? l.cin : l.cout;
  xnn_status st = xnn_create_convolution2d_nhwc_qs8(top, right, bottom, left, k, k, l.stride, l.stride, 1, 1, groups, gin, gout,
                                                    l.cin, cout, 0, 1.0f / 16, 1.0f / 64, d.w.data(), d.bias.data(), 0, 1.0f / 16,
                                                    d.q.relu6 ? 0 : -128, d.q.relu6 ? 96 : 127,
                                                    l.depthwise ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op);
  if (st != xnn_status_success) {
    state.SkipWithError("xnn_create_convolution2d_nhwc_qs8 failed");
    return;
  }
  std::unique_ptr<xnn_operator, decltype(&xnn_delete_operator)> guard(op, xnn_delete_operator);
  if (xnn_setup_convolution2d_nhwc_qs8(op, 1, l.h, l.w, d.x.data(), d.out.data(), nullptr) != xnn_status_success) {
    state.SkipWithError("xnn_setup failed");
    return;
  }
  for (auto _ : state) {
    xnn_run_operator(op, nullptr);
    benchmark::DoNotOptimize(d.out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, l.macs());
}
#endif

// Fused inverted residual vs the unfused composition (56x56, 24 -> 144 -> 24, residual).
template <bool Fused>
void BM_inverted_residual(benchmark::State& state) {
  const int hw = 56, cin = 24, cexp = 144;
  tinyq_test::Rng rng(5);
  std::vector<int16_t> x(size_t(hw) * hw * cin), out(x.size()), we(size_t(cexp) * cin), wd(9 * cexp), wp(size_t(cin) * cexp);
  for (auto& v : x) v = static_cast<int16_t>(rng.uniform(-1536, 3072));
  for (auto* w : {&we, &wd, &wp})
    for (auto& v : *w) v = static_cast<int16_t>(rng.uniform(-8191, 8191));
  std::vector<int32_t> b(cexp, 1000);
  InvertedResidualParams<int16_t> p{we.data(), b.data(), ConvQuant{9, 9, 14, nullptr, 23, true}, cexp,
                                    wd.data(), b.data(), ConvQuant{9, 9, 14, nullptr, 23, true}, 1, Padding::tf_same,
                                    wp.data(), b.data(), ConvQuant{9, 9, 14, nullptr, 23, false}, true, 9, 9};
  std::vector<unsigned char> scratch(inverted_residual_scratch_bytes<int16_t>(hw, cin, p));
  std::vector<int16_t> e(size_t(hw) * hw * cexp), dd(e.size()), pr(x.size());
  const Tensor<const int16_t> in{x.data(), hw, hw, cin};
  for (auto _ : state) {
    if (Fused) {
      inverted_residual(in, p, Tensor<int16_t>{out.data(), hw, hw, cin}, scratch.data(), scratch.size());
    } else {
      pointwise_conv(in, p.expand_weights, p.expand_bias, p.expand_q, Tensor<int16_t>{e.data(), hw, hw, cexp});
      depthwise_conv3x3(Tensor<const int16_t>{e.data(), hw, hw, cexp}, p.depthwise_weights, p.depthwise_bias, p.depthwise_q, 1,
                        Padding::tf_same, Tensor<int16_t>{dd.data(), hw, hw, cexp});
      pointwise_conv(Tensor<const int16_t>{dd.data(), hw, hw, cexp}, p.project_weights, p.project_bias, p.project_q,
                     Tensor<int16_t>{pr.data(), hw, hw, cin});
      add(Tensor<const int16_t>{pr.data(), hw, hw, cin}, 9, in, 9, Tensor<int16_t>{out.data(), hw, hw, cin}, 9);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, (long long)hw * hw * (cin * cexp * 2 + 9 * cexp));
  state.counters["scratch_bytes"] = Fused ? double(scratch.size()) : double((e.size() + dd.size() + pr.size()) * 2);
}

// Elementwise kernels (elements/s).
void BM_elementwise(benchmark::State& state, int which) {
  const int h = 28, w = 28, c = 32;
  tinyq_test::Rng rng(9);
  std::vector<int16_t> a(size_t(h) * w * c), b(a.size()), out(a.size() * 4);
  for (auto& v : a) v = static_cast<int16_t>(rng.uniform(-4000, 4000));
  for (auto& v : b) v = static_cast<int16_t>(rng.uniform(-4000, 4000));
  const Tensor<const int16_t> ta{a.data(), h, w, c}, tb{b.data(), h, w, c};
  for (auto _ : state) {
    if (which == 0) add(ta, 9, tb, 8, Tensor<int16_t>{out.data(), h, w, c}, 9);
    else if (which == 1) concat_channels(ta, 9, tb, 8, Tensor<int16_t>{out.data(), h, w, 2 * c}, 9);
    else upsample_bilinear_2x(ta, Tensor<int16_t>{out.data(), 2 * h, 2 * w, c});
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double n = which == 2 ? 4.0 * a.size() : (which == 1 ? 2.0 * a.size() : double(a.size()));
  state.counters["elements/s"] = benchmark::Counter(n * state.iterations(), benchmark::Counter::kIsRate);
}

#if TINYQ_HAVE_AVX512_VNNI
// int8 x int8 pointwise on few pixels, the two AVX-512 VNNI forms by name: the vpdpbusd
// form (packs its weights per call) and the dot form; where they cross sets
// kQuadMinPixels (avx512.h). Args: pixels, cin, cout, form (0 vpdpbusd, 1 dot).
void BM_int8_forms(benchmark::State& state) {
  if (!cpu_has_avx512_vnni()) {
    state.SkipWithError("no AVX-512 VNNI");
    return;
  }
  const int px = int(state.range(0)), cin = int(state.range(1)), cout = int(state.range(2));
  LayerData<int8_t, int8_t> d(Layer{"", 1, px, cin, cout, 1, false, false}, kI8);
  const Tensor<const int8_t> in{d.x.data(), 1, px, cin};
  const Tensor<int8_t> out{d.out.data(), 1, px, cout};
  for (auto _ : state) {
    if (state.range(3) == 0) pointwise_conv_quads_avx512vnni(in, d.w.data(), d.bias.data(), d.q, out);
    else pointwise_conv_dot_avx512vnni(in, d.w.data(), d.bias.data(), d.q, out);
    benchmark::DoNotOptimize(d.out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, (long long)px * cin * cout);
}
#endif

// One conv op of a shipped model on its real input (model_layers.h): the dispatching kernel
// with the op's weights, bias and the bounds Graph::build proved, as the executor calls it.
void BM_model_layer(benchmark::State& state, model_layers::Model* m, int i) {
  using namespace tinyq::model;
  const Op& op = m->graph.op(i);
  const Tensor<const int16_t> in = model_layers::value(*m, op.in0);
  const Shape& s = m->shapes[i + 1];
  std::vector<int16_t> out_buf(s.elements());
  const Tensor<int16_t> out{out_buf.data(), s.height, s.width, s.channels};
  for (auto _ : state) {
    if (op.weights.dtype == DType::int16) exec_detail::run_conv<int16_t, int16_t>(m->graph, op, in, out);
    else exec_detail::run_conv<int16_t, int8_t>(m->graph, op, in, out);
    benchmark::DoNotOptimize(out_buf.data());
    benchmark::ClobberMemory();
  }
  const long long pixels = (long long)s.height * s.width;
  const long long macs = op.kind == OpKind::pointwise ? pixels * op.cin * op.cout
                                                      : (op.kind == OpKind::depthwise3x3 ? pixels * op.cout * 9 : pixels * op.cout * op.cin * 9);
  set_counters(state, macs);
  std::string label = std::string(op.weights.dtype == DType::int16 ? "w16" : "w8") + (m->noise ? " noise" : " photo");
#if TINYQ_HAVE_SSE2
  label += std::string(" ") + x86_simd_level();
#endif
  if (op.kind == OpKind::pointwise) label += std::string(", ") + model_layers::pointwise_path(*m, op);
  state.SetLabel(label);
}

}  // namespace

int main(int argc, char** argv) {
  const double startup_peak = measure_peak();
  std::printf("int16 MAC peak at startup (%s, %d chains, one core): %.1f GMAC/s (peak%% uses the one measured after each benchmark)\n",
              kPeakInstruction, kChains, startup_peak / 1e9);
  benchmark::RegisterBenchmark((std::string("peak/") + kPeakInstruction).c_str(), BM_peak);
  for (const Layer& l : bench_shapes::layers()) {
    for (int impl : {1, 2, 0}) {
      if (impl == 2 && (l.depthwise || l.stem)) continue;  // packing exists for pointwise only
      const char* name = impl == 0 ? "ref" : (impl == 1 ? "opt" : "opt_prepacked");
      auto reg = [&](const Format& f, auto fn) {
        benchmark::RegisterBenchmark((l.name + "/" + f.name + "/" + name).c_str(), fn, l, f, impl)->Unit(benchmark::kMicrosecond);
      };
      reg(kQ7, BM_layer<int16_t, int16_t>);
      reg(kQ8, BM_layer<int16_t, int16_t>);
      reg(kQ9, BM_layer<int16_t, int16_t>);
      reg(kQ9w8, BM_layer<int16_t, int8_t>);
      reg(kA16, BM_layer<int16_t, int16_t>);
      reg(kI8, BM_layer<int8_t, int8_t>);
    }
#if TINYQ_HAVE_AVX512_VNNI
    if (!l.depthwise && !l.stem)
      for (int v = 0; v < 4; ++v) {
        static const char* const names[] = {"dot_sse2", "dot_avx2", "dot_avx512", "dot_avx512vnni"};
        auto reg = [&](const Format& f, auto fn) {
          benchmark::RegisterBenchmark((l.name + "/" + f.name + "/" + names[v]).c_str(), fn, l, f, v)->Unit(benchmark::kMicrosecond);
        };
        reg(kQ9, BM_pointwise_dot<int16_t, int16_t>);
        reg(kA16, BM_pointwise_dot<int16_t, int16_t>);
        reg(kA16s12, BM_pointwise_dot<int16_t, int16_t>);
        reg(kQ9w8, BM_pointwise_dot<int16_t, int8_t>);
        reg(kI8, BM_pointwise_dot<int8_t, int8_t>);
      }
#endif
#if TINYQ_BENCH_XNNPACK
    benchmark::RegisterBenchmark((l.name + "/xnnpack_qs8").c_str(), BM_xnnpack, l)->Unit(benchmark::kMicrosecond);
#endif
  }
  // The shipped models' layers on the bench photo (model_layers.h), with XNNPACK on the same shapes.
  static std::vector<std::unique_ptr<model_layers::Model>> models;
  for (const char* file : {"face_mnv2_a100_outA.w12d8.tqw", "face_mnv2_a050_outA.w12d8.tqw"}) {
    const int side = 224;
    std::unique_ptr<model_layers::Model> m = model_layers::run_on_photo(std::string(TINYQ_MODEL_DIR "/") + file, side);
    if (!m) continue;
    const std::string tag = std::string("model_") + (std::string(file).find("a100") != std::string::npos ? "a100" : "a050") +
                            "_w12d8_" + std::to_string(side) + "/";
    for (int i = 0; i < m->graph.op_count(); ++i) {
      const tinyq::model::Op& op = m->graph.op(i);
      using tinyq::model::OpKind;
      if (op.kind != OpKind::conv3x3 && op.kind != OpKind::depthwise3x3 && op.kind != OpKind::pointwise) continue;
      const tinyq::model::Shape& si = m->shapes[op.in0];
      const bool dw = op.kind == OpKind::depthwise3x3, stem = op.kind == OpKind::conv3x3;
      const std::string shape = std::string(dw ? "dw_" : (stem ? "stem_" : "pw_")) + std::to_string(si.height) + "x" +
                                std::to_string(si.width) + "_" + std::to_string(op.cin) +
                                (dw ? "_s" + std::to_string(op.stride) : "-" + std::to_string(op.cout));
      char index[8];
      std::snprintf(index, sizeof index, "%02d_", i);
      const std::string name = tag + index + shape;
      benchmark::RegisterBenchmark((name + "/opt").c_str(), BM_model_layer, m.get(), i)->Unit(benchmark::kMicrosecond);
#if TINYQ_BENCH_XNNPACK
      const Layer l{name, si.height, si.width, op.cin, op.cout, op.stride, dw, stem};
      benchmark::RegisterBenchmark((name + "/xnnpack_qs8").c_str(), BM_xnnpack, l)->Unit(benchmark::kMicrosecond);
#endif
    }
    models.push_back(std::move(m));
  }
  benchmark::RegisterBenchmark("block/inverted_residual_56x56_24-144-24/fused", BM_inverted_residual<true>)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("block/inverted_residual_56x56_24-144-24/unfused", BM_inverted_residual<false>)->Unit(benchmark::kMicrosecond);
#if TINYQ_HAVE_AVX512_VNNI
  benchmark::RegisterBenchmark("int8_forms", BM_int8_forms)
      ->ArgNames({"px", "cin", "cout", "dot"})
      ->ArgsProduct({{1, 2, 3, 4, 8, 16}, {16, 144, 960}, {24, 96, 160}, {0, 1}})
      ->Unit(benchmark::kMicrosecond);
#endif
  benchmark::RegisterBenchmark("elementwise/add_28x28x32", BM_elementwise, 0);
  benchmark::RegisterBenchmark("elementwise/concat_28x28x32+32", BM_elementwise, 1);
  benchmark::RegisterBenchmark("elementwise/upsample2x_28x28x32", BM_elementwise, 2);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
