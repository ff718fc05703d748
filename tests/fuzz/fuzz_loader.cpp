// libFuzzer target: the loader and everything that sizes a run, without inference.
// Any input must give a Status, never a crash, an out-of-bounds access or UB; what loads
// must yield views inside the buffer and memory plans whose layout is sound.
//
// Input: 8 control bytes, then the weights file (copied to an exact-size 16-byte aligned
// block, so a read one byte past the end is an ASan report).
//   [0] bits 0-1: CRC mode. 0: verify; 1, 3: LoadOptions::verify_crc = false (mutations reach
//       the checks behind the checksums); 2: the harness repairs every CRC, then verifies
//       (so FaceDetector::open, which always verifies, sees mutated contents too);
//       bit 2: also FaceDetector::open + arena_bytes (verifying modes, face models).
//   [1], [2] plan height, width: index into kSizes (edges of the planner's [32, 4096]).
//   [3..4], [5..6] image width, height (LE, raw: 0 and > 8192 are invalid) for arena_bytes.
//   [7] DetectOptions: bits 0-2 scale set, bit 3 schedule, bits 4-5 max_candidates, bits 6-7
//       max_tile_side.
// Per input: WeightsFile::open; Graph::build; MemoryPlan::make at the selected size (kSizes:
// 32 and 4096, sizes between, and sizes outside [32, 4096], which must be refused) under both
// schedules, each plan checked by check_plan; FaceDetector::open and arena_bytes; when
// arena_bytes refuses, detect must refuse too without touching the arena, and one byte less
// than arena_bytes is arena_too_small.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_support.h"
#include "tinyq/detect/face_detector.h"

using namespace tinyq;
using namespace tinyq::model;
using tinyq_fuzz::Bytes;

namespace {

constexpr int kSizes[32] = {32,  33,  47,  48,   63,   64,   95,   96,   100,  127,  128,  224,  255,  256,  320,  321,
                            480, 512, 640, 1000, 1024, 2047, 2048, 2049, 4064, 4095, 4096, 4097, 31,   1,    0,    -1};

struct ScaleSet {
  int n;
  int32_t q8[DetectOptions::kMaxScales];
};
// Defaults, single scales at the limits, all eight slots, and invalid sets.
constexpr ScaleSet kScaleSets[8] = {
    {3, {128, 256, 512}}, {1, {256}}, {1, {16}}, {1, {2048}}, {8, {16, 64, 128, 256, 512, 1024, 1536, 2048}},
    {2, {15, 256}},       {0, {256}}, {9, {256}},
};
constexpr int kMaxCandidates[4] = {4096, 1, 1 << 20, (1 << 20) + 1};
constexpr int kTileSides[4] = {2048, 64, 4096, 63};  // default, the limits, one invalid
constexpr Schedule kSchedules[2] = {Schedule::layer_by_layer, Schedule::row_streamed};

struct State {
  tinyq_fuzz::ExactCopy file;
  tinyq_fuzz::GuardBlock guard;
  WeightsFile wf;
  Graph graph;
  MemoryPlan plan;
  FaceDetector detector;
};

void plan_and_check(const Graph& g, int h, int w, MemoryPlan* plan) {
  for (const Schedule sc : kSchedules) {
    const Status s = MemoryPlan::make(g, h, w, sc, plan);
    const bool in_range = h >= kMinInputSize && w >= kMinInputSize && h <= kMaxInputSize && w <= kMaxInputSize;
    TINYQ_FUZZ_CHECK(s.ok() == in_range);  // a built graph plans every supported size
    if (!s.ok()) {
      TINYQ_FUZZ_CHECK(s.code == Error::bad_input_size && s.message != nullptr);
      continue;
    }
    tinyq_fuzz::check_plan(g, *plan);
  }
}

void check_detector(State& st, const uint8_t* file, size_t size, Bytes& in) {
  const int image_w = in.u16(), image_h = in.u16();
  const uint8_t opt = in.u8();
  if (!FaceDetector::open(file, size, &st.detector).ok()) return;
  DetectOptions o;
  const ScaleSet& set = kScaleSets[opt & 7];
  o.num_scales = set.n;
  for (int k = 0; k < DetectOptions::kMaxScales; ++k) o.scales_q8[k] = set.q8[k];
  o.schedule = (opt & 8) ? Schedule::layer_by_layer : Schedule::row_streamed;
  o.max_candidates = kMaxCandidates[(opt >> 4) & 3];
  o.max_tile_side = kTileSides[(opt >> 6) & 3];
  size_t need = 1;
  const Status sized = st.detector.arena_bytes(image_w, image_h, o, &need);
  // The image and the arena handed to detect below are the guard block: only its first
  // 16 bytes are addressable, so detect must decide from the sizes alone.
  uint8_t* guard = st.guard.data();
  const ImageView image{guard, image_w, image_h, 3 * image_w};
  Detection out[1];
  int count = -1;
  if (!sized.ok()) {
    // no size: 0 bytes and a reason, and detect refuses such a call
    TINYQ_FUZZ_CHECK(need == 0 && sized.message != nullptr);
    const Status s = st.detector.detect(image, o, guard, tinyq_fuzz::GuardBlock::kOpen, out, 1, &count);
    TINYQ_FUZZ_CHECK(!s.ok() && count == 0);
    return;
  }
  TINYQ_FUZZ_CHECK(need > 0 && need % kArenaAlignment == 0);
  // One byte short is refused before anything is written.
  const Status s = st.detector.detect(image, o, guard, need - 1, out, 1, &count);
  TINYQ_FUZZ_CHECK(s.code == Error::arena_too_small && count == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static State* st = new State;  // lives for the process (large; not on the stack)
  if (size < 8) return 0;
  Bytes in{data, 8};
  const uint8_t mode = in.u8();
  const uint8_t crc_mode = mode & 3;
  const int plan_h = kSizes[in.u8() & 31], plan_w = kSizes[in.u8() & 31];
  const size_t file_size = size - 8;
  uint8_t* file = st->file.assign(data + 8, file_size);
  if (crc_mode == 2) tinyq_fuzz::repair_crcs(file, file_size);

  LoadOptions lo;
  lo.verify_crc = crc_mode == 0 || crc_mode == 2;
  Status s = WeightsFile::open(file, file_size, &st->wf, lo);
  if (!s.ok()) {
    TINYQ_FUZZ_CHECK(s.code != Error::ok && s.message != nullptr);
    return 0;
  }
  for (uint32_t i = 0; i < st->wf.tensor_count(); ++i) {  // every view inside the file
    const TensorView t = st->wf.tensor(i);
    TINYQ_FUZZ_CHECK(t.data >= file + 64 && t.data + t.size <= file + file_size);
    TINYQ_FUZZ_CHECK((reinterpret_cast<uintptr_t>(t.data) & 15) == 0);
  }
  s = Graph::build(st->wf, &st->graph);
  if (!s.ok()) {
    TINYQ_FUZZ_CHECK(s.code != Error::ok && s.message != nullptr);
    return 0;
  }
  TINYQ_FUZZ_CHECK(st->graph.op_count() <= kMaxOps && st->graph.value_count() == st->graph.op_count() + 1);
  // One size per input (MemoryPlan::make is quadratic in the op count: each plan costs as
  // much as the whole load); kSizes holds the planner's limits and values beyond them.
  plan_and_check(st->graph, plan_h, plan_w, &st->plan);
  // FaceDetector::open always verifies CRCs (one more pass over the file): face models only.
  if ((mode & 4) && lo.verify_crc && st->graph.info().has_head) check_detector(*st, file, file_size, in);
  return 0;
}
