// Stack use of a whole detection, measured: FaceDetector::arena_bytes + detect run on a
// thread whose stack we allocate and paint (0xCD); afterwards the lowest overwritten
// byte gives the high-water mark. Built once per SIMD level (the x86 kernels keep their
// tile buffers on the stack) and run with the shipped models and both schedules, so
// the bound in docs/memory.md holds for what the product runs. The bound is the figure
// a worker thread or a firmware task must be given.
#include <catch2/catch.hpp>
#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "common/rng.h"
#include "tinyq/detect/face_detector.h"

#ifndef TINYQ_SOURCE_DIR
#error "TINYQ_SOURCE_DIR must name the repository (the shipped models)"
#endif

namespace {

// docs/memory.md "Stack": the most a detection may use on any SIMD level (optimized
// builds). AddressSanitizer's redzones grow every frame, so its builds get 4x.
#if defined(__SANITIZE_ADDRESS__)
#define TINYQ_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TINYQ_TEST_ASAN 1
#endif
#endif
#ifdef TINYQ_TEST_ASAN
constexpr size_t kStackBoundBytes = 4 * 192 * 1024;
#else
constexpr size_t kStackBoundBytes = 192 * 1024;
#endif
constexpr size_t kStackBytes = 2 * 1024 * 1024;  // the painted thread stack
constexpr unsigned char kPaint = 0xCD;

struct Job {
  const tinyq::FaceDetector* det;
  tinyq::DetectOptions options;
  const uint8_t* image;
  int w, h;
  uint8_t* arena;
  size_t arena_size;
  bool ok;
  int count;
};

void* run_job(void* p) {
  Job& j = *static_cast<Job*>(p);
  size_t need = 0;
  tinyq::Detection boxes[64];
  j.ok = j.det->arena_bytes(j.w, j.h, j.options, &need).ok() && need <= j.arena_size &&
         j.det->detect(tinyq::ImageView{j.image, j.w, j.h, j.w * 3}, j.options, j.arena, j.arena_size, boxes, 64, &j.count)
             .ok();
  return nullptr;
}

// Bytes of the painted stack the job overwrote (the stack grows down on every target).
size_t stack_used(Job* job) {
  std::vector<unsigned char> stack(kStackBytes, kPaint);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  REQUIRE(pthread_attr_setstack(&attr, stack.data(), stack.size()) == 0);
  pthread_t t;
  REQUIRE(pthread_create(&t, &attr, run_job, job) == 0);
  REQUIRE(pthread_join(t, nullptr) == 0);
  pthread_attr_destroy(&attr);
  size_t lowest = 0;
  while (lowest < stack.size() && stack[lowest] == kPaint) ++lowest;
  return stack.size() - lowest;
}

std::vector<uint64_t> read_words(const std::string& path, size_t* size) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  const std::streamoff n = f.tellg();
  std::vector<uint64_t> words(n > 0 ? size_t(n) / 8 + 1 : 0);
  f.seekg(0);
  if (n > 0) f.read(reinterpret_cast<char*>(words.data()), n);
  *size = n > 0 ? size_t(n) : 0;
  return words;
}

}  // namespace

TEST_CASE("a detection's stack use stays within the documented bound", "[detect][stack]") {
  tinyq_test::Rng rng(71);
  const int W = 96, H = 80;
  std::vector<uint8_t> img(size_t(W) * H * 3);
  for (auto& v : img) v = uint8_t(rng.uniform(0, 255));
  std::vector<uint64_t> arena((64u << 20) / 8);
  for (const char* name : {"face_mnv2_a100_outA.auto.tqw", "face_mnv2_a050_outA.auto.tqw", "face_mnv2_a100_outA.q9.tqw"}) {
    size_t size = 0;
    const std::vector<uint64_t> words = read_words(std::string(TINYQ_SOURCE_DIR) + "/models/" + name, &size);
    REQUIRE(size > 0);
    static tinyq::FaceDetector det;  // ~14 KiB: not on this test's own stack
    REQUIRE(tinyq::FaceDetector::open(reinterpret_cast<const uint8_t*>(words.data()), size, &det).ok());
    for (auto schedule : {tinyq::model::Schedule::layer_by_layer, tinyq::model::Schedule::row_streamed}) {
      Job job{&det, {}, img.data(), W, H, reinterpret_cast<uint8_t*>(arena.data()), arena.size() * 8, false, 0};
      job.options.schedule = schedule;
      const size_t used = stack_used(&job);
      INFO(name << (schedule == tinyq::model::Schedule::row_streamed ? " row-streamed" : " layer-by-layer")
                << ": stack " << used << " bytes");
      std::printf("stack: %s %s %zu bytes\n", name,
                  schedule == tinyq::model::Schedule::row_streamed ? "row-streamed" : "layer-by-layer", used);
      REQUIRE(job.ok);
      CHECK(used > 1024);  // the measurement sees the call at all
      CHECK(used <= kStackBoundBytes);
    }
  }
}
