// Frame cost of the whole detector on x86: the integer FaceDetector (the product) vs
// the float reference executor (FloatFaceDetector), one scale, square inputs 224 and
// 500, MobileNetV2 OutA + the 25-template head at width 1.0 and 0.5. The weights are the
// committed models (models/face_mnv2_a{100,050}_outA.auto.tqw, 16-bit per-tensor formats):
// the value ranges decide which exact kernel path runs (int32 sums, split-weight/activation
// sums, pre-shifted epilogues), so a synthetic model would time other code. Without the
// files a synthetic model of the same structure is used (label "synthetic"). The integer
// detector runs both memory schedules (0 = layer by layer, 1 = row-streamed fused blocks).
//   bench_detector --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <vector>

#include "model/model_test_util.h"
#include "tinyq/detect/face_detector.h"
#include "tinyq/detect/host/float_face_detector.h"

namespace {

using tinyq_test::Buffer;

bool read_model(const char* path, Buffer& b) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  std::fseek(f, 0, SEEK_END);
  const long n = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  b.storage.assign(static_cast<size_t>(n > 0 ? n : 0) / 8 + 8, 0);
  b.size = n > 0 && std::fread(b.data(), 1, static_cast<size_t>(n), f) == static_cast<size_t>(n) ? static_cast<size_t>(n) : 0;
  std::fclose(f);
  return b.size != 0;
}

bool synthetic[2] = {false, false};

const Buffer& model(int width_per_mille) {
  static Buffer models[2];
  const int i = width_per_mille == 1000 ? 0 : 1;
  Buffer& b = models[i];
  if (b.size == 0 && read_model(i == 0 ? TINYQ_MODEL_DIR "/face_mnv2_a100_outA.auto.tqw"
                                       : TINYQ_MODEL_DIR "/face_mnv2_a050_outA.auto.tqw", b))
    return b;
  if (b.size == 0) {
    synthetic[i] = true;
    tinyq_test::SyntheticOptions o;
    o.width_per_mille = static_cast<uint16_t>(width_per_mille);
    o.head_templates = 25;
    o.weight_dtype = tinyq::model::DType::int16;
    o.activation_dtype = tinyq::model::DType::int16;
    b = tinyq_test::synthetic_buffer(o, 16u << 20);
  }
  return b;
}

std::vector<uint8_t> image(int side) {
  tinyq_test::Rng rng(5);
  std::vector<uint8_t> img(size_t(side) * side * 3);
  for (auto& v : img) v = uint8_t(rng.uniform(0, 255));
  return img;
}

tinyq::DetectOptions one_scale(int schedule = 1) {
  tinyq::DetectOptions o;
  o.num_scales = 1;
  o.scales_q8[0] = 256;
  o.schedule = schedule == 0 ? tinyq::model::Schedule::layer_by_layer : tinyq::model::Schedule::row_streamed;
  return o;
}

void BM_integer_frame(benchmark::State& state) {
  const int side = int(state.range(0)), width = int(state.range(1));
  const Buffer& b = model(width);
  static tinyq::FaceDetector det;
  if (!tinyq::FaceDetector::open(b.data(), b.size, &det).ok()) { state.SkipWithError("model"); return; }
  const auto img = image(side);
  const tinyq::DetectOptions o = one_scale(int(state.range(2)));
  std::vector<uint64_t> arena(det.arena_bytes(side, side, o) / 8 + 1);
  tinyq::Detection boxes[256];
  int count = 0;
  for (auto _ : state) {
    det.detect(tinyq::ImageView{img.data(), side, side, side * 3}, o, reinterpret_cast<uint8_t*>(arena.data()),
               arena.size() * 8, boxes, 256, &count);
    benchmark::DoNotOptimize(count);
  }
  state.counters["arena_MiB"] = double(arena.size() * 8) / (1 << 20);
  if (synthetic[width == 1000 ? 0 : 1]) state.SetLabel("synthetic");
}

void BM_float_reference_frame(benchmark::State& state) {
  const int side = int(state.range(0)), width = int(state.range(1));
  const Buffer& b = model(width);
  static tinyq::FloatFaceDetector det;
  if (!tinyq::FloatFaceDetector::open(b.data(), b.size, &det).ok()) { state.SkipWithError("model"); return; }
  const auto img = image(side);
  const tinyq::DetectOptions o = one_scale();
  std::vector<tinyq::Detection> boxes;
  for (auto _ : state) {
    det.detect(tinyq::ImageView{img.data(), side, side, side * 3}, o, &boxes);
    benchmark::DoNotOptimize(boxes.data());
  }
}

}  // namespace

BENCHMARK(BM_integer_frame)
    ->ArgNames({"side", "width", "rows"})
    ->ArgsProduct({{224, 500}, {1000, 500}, {0, 1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_float_reference_frame)
    ->ArgNames({"side", "width"})
    ->ArgsProduct({{224, 500}, {1000, 500}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
