// Frame cost of the whole detector on x86: the integer FaceDetector (the product) vs
// the float reference executor (FloatFaceDetector), one scale, square inputs 224 and
// 500, MobileNetV2 OutA + the 25-template head at width 1.0 and 0.5. The weights are the
// committed models in the CLI's default format (models/face_mnv2_a{100,050}_outA.w12d8.tqw:
// 12-bit per-channel pointwise weights in int16 words, 8-bit depthwise, 16-bit activations):
// the value ranges decide which exact kernel path runs (int32 sums, split-weight/activation
// sums, pre-shifted epilogues), so a synthetic model would time other code. Without the
// files a synthetic model of the same structure is used (label "synthetic"). The integer
// detector runs both memory schedules (0 = layer by layer, 1 = row-streamed fused blocks).
// BM_detect_photo times what tinyq-detect runs per photo: each model's default scales
// (0.5x/1x/2x for the paper-mode models, one 1x pass for the multi-exit
// models/face_mnv2_a050_multi.auto.tqw; tiled past 2048 px), layer by layer, on a real
// photo resized to 640x480 and 1280x720
// (TINYQ_BENCH_PHOTO, default the first WIDER val image of ../shared; noise without it,
// label "noise"), with 1 thread and every core (examples/detect/thread_pool.h).
//   bench_detector --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench_photo.h"
#include "thread_pool.h"

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
  if (b.size == 0 && read_model(i == 0 ? TINYQ_MODEL_DIR "/face_mnv2_a100_outA.w12d8.tqw"
                                       : TINYQ_MODEL_DIR "/face_mnv2_a050_outA.w12d8.tqw", b))
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


// The bench photo (bench_photo.h) resized to w x h; photo_noise when it is missing.
bool photo_noise = false;
std::vector<uint8_t> photo(int w, int h) { return bench_photo::photo(w, h, &photo_noise); }

// Models of BM_detect_photo: 0 = a100 OutA, 1 = a050 OutA (paper mode, 3 scales),
// 2 = a050 multi-exit (one pass). Without the file, the multi-exit one is synthetic too.
const char* const kPhotoModelNames[3] = {"a100_outA", "a050_outA", "a050_multi"};
bool multi_synthetic = false;
const Buffer& photo_model(int id) {
  if (id < 2) return model(id == 0 ? 1000 : 500);
  static Buffer b;
  if (b.size == 0 && !read_model(TINYQ_MODEL_DIR "/face_mnv2_a050_multi.auto.tqw", b)) {
    multi_synthetic = true;
    tinyq_test::SyntheticOptions o;
    o.width_per_mille = 500;
    tinyq_test::set_three_exits(o, 13, 8, 4);
    o.weight_dtype = tinyq::model::DType::int16;
    b = tinyq_test::synthetic_buffer(o, 16u << 20);
  }
  return b;
}
bool photo_model_synthetic(int id) { return id < 2 ? synthetic[id] : multi_synthetic; }

tinyq::DetectOptions one_scale(int schedule = 1) {
  tinyq::DetectOptions o;
  o.num_scales = 1;
  o.scales_q8[0] = 256;
  o.schedule = schedule == 0 ? tinyq::model::Schedule::layer_by_layer : tinyq::model::Schedule::row_streamed;
  return o;
}

// Times detect() of the model in b on the bench photo resized to side x side with options o (arena sized
// and allocated outside the timed loop). False (the benchmark skipped) if the model or the
// options are refused.
bool time_frames(benchmark::State& state, const Buffer& b, int side, const tinyq::DetectOptions& o) {
  static tinyq::FaceDetector det;
  if (!tinyq::FaceDetector::open(b.data(), b.size, &det).ok()) { state.SkipWithError("model"); return false; }
  std::vector<uint8_t> prepared(det.prepared_bytes());  // as tinyq-detect: weights packed once
  if (!det.prepare(prepared.data(), prepared.size()).ok()) { state.SkipWithError("prepare"); return false; }
  const auto img = photo(side, side);  // a real photo: the data decide the bounds the kernels see
  size_t need = 0;
  if (!det.arena_bytes(side, side, o, &need).ok()) { state.SkipWithError("arena_bytes"); return false; }
  std::vector<uint64_t> arena(need / 8 + 1);
  tinyq::Detection boxes[256];
  int count = 0;
  for (auto _ : state) {
    det.detect(tinyq::ImageView{img.data(), side, side, side * 3}, o, reinterpret_cast<uint8_t*>(arena.data()),
               arena.size() * 8, boxes, 256, &count);
    benchmark::DoNotOptimize(count);
  }
  state.counters["arena_MiB"] = double(arena.size() * 8) / (1 << 20);
  return true;
}

void BM_integer_frame(benchmark::State& state) {
  const int side = int(state.range(0)), width = int(state.range(1));
  if (time_frames(state, model(width), side, one_scale(int(state.range(2)))))
    state.SetLabel(std::string(synthetic[width == 1000 ? 0 : 1] ? "synthetic" : "w12d8") + (photo_noise ? ", noise" : ", photo"));
}

void BM_detect_photo(benchmark::State& state) {
  const int w = int(state.range(0)), h = w == 640 ? 480 : 720, id = int(state.range(1));
  const int threads = state.range(2) == 0 ? std::max(1, int(std::thread::hardware_concurrency())) : int(state.range(2));
  const Buffer& b = photo_model(id);
  static tinyq::FaceDetector det;
  if (!tinyq::FaceDetector::open(b.data(), b.size, &det).ok()) { state.SkipWithError("model"); return; }
  std::vector<uint8_t> prepared(det.prepared_bytes());  // as tinyq-detect: weights packed once
  if (!det.prepare(prepared.data(), prepared.size()).ok()) { state.SkipWithError("prepare"); return; }
  const auto img = photo(w, h);
  tinyq::DetectOptions o = det.default_options(h);  // the CLI's scales for this model and frame height
  o.schedule = tinyq::model::Schedule::layer_by_layer;
  size_t need = 0;
  if (!det.arena_bytes(w, h, o, &need).ok()) { state.SkipWithError("arena_bytes"); return; }
  std::vector<uint64_t> arena(need / 8 + 1);
  tinyq_cli::ThreadPool pool(threads);
  const tinyq::ParallelFor par = pool.parallel_for();
  tinyq::Detection boxes[256];
  int count = 0;
  for (auto _ : state) {
    det.detect(tinyq::ImageView{img.data(), w, h, w * 3}, o, reinterpret_cast<uint8_t*>(arena.data()), need, boxes, 256,
               &count, nullptr, &par);
    benchmark::DoNotOptimize(count);
  }
  state.counters["threads"] = threads;
  state.counters["faces"] = count;
  state.SetLabel(std::string(kPhotoModelNames[id]) + (photo_model_synthetic(id) ? " synthetic" : " shipped") +
                 (photo_noise ? ", noise" : ", photo"));
}

// One 1x frame of each shipped weight format, same run: 16-bit (`.auto.tqw`), 8-bit
// per-channel weights with 16-bit activations (`.w8.tqw`) and 8-bit weights and activations
// (`.w8a8.tqw`, when present), 12-bit (`.w12d8.tqw`). Layer by layer, one thread, the bench
// photo. Skipped for files that are not there.
const char* const kFormatFiles[] = {"face_mnv2_a100_outA.auto.tqw",  "face_mnv2_a100_outA.w8.tqw",
                                    "face_mnv2_a100_outA.w12d8.tqw", "face_mnv2_a050_outA.auto.tqw",
                                    "face_mnv2_a050_outA.w8.tqw",    "face_mnv2_a050_outA.w12d8.tqw",
                                    "face_mnv2_a050_outA.w8a8.tqw"};
constexpr int kFormatFileCount = int(sizeof(kFormatFiles) / sizeof(kFormatFiles[0]));
void BM_frame_format(benchmark::State& state) {
  const int side = int(state.range(0)), id = int(state.range(1));
  static Buffer files[kFormatFileCount];
  Buffer& b = files[id];
  if (b.size == 0 && !read_model((std::string(TINYQ_MODEL_DIR "/") + kFormatFiles[id]).c_str(), b)) {
    state.SkipWithError("model file not found");
    return;
  }
  if (time_frames(state, b, side, one_scale(0))) state.SetLabel(std::string(kFormatFiles[id]) + (photo_noise ? ", noise" : ", photo"));
}

void BM_float_reference_frame(benchmark::State& state) {
  const int side = int(state.range(0)), width = int(state.range(1));
  const Buffer& b = model(width);
  static tinyq::FloatFaceDetector det;
  if (!tinyq::FloatFaceDetector::open(b.data(), b.size, &det).ok()) { state.SkipWithError("model"); return; }
  const auto img = photo(side, side);
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
BENCHMARK(BM_detect_photo)
    ->ArgNames({"w", "model", "threads"})
    ->ArgsProduct({{640, 1280}, {0, 1, 2}, {1, 0}})  // model: kPhotoModelNames; threads 0 = every core
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_frame_format)
    ->ArgNames({"side", "file"})
    ->ArgsProduct({{224, 500}, benchmark::CreateDenseRange(0, kFormatFileCount - 1, 1)})  // file: kFormatFiles
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_float_reference_frame)
    ->ArgNames({"side", "width"})
    ->ArgsProduct({{224, 500}, {1000, 500}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
