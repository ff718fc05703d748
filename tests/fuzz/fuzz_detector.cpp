// libFuzzer target: the face detector end to end (open, arena_bytes, detect: resize, the
// integer executor, head decode, NMS) on a weights file, a small image and DetectOptions
// all taken from the input. The arena is a heap block of exactly arena_bytes(), the image
// and the detection array are exact-size blocks too, so ASan reports any access past them.
//
// Input: a 40-byte header, then the weights file (its header.file_size bytes, or the rest),
// then pixels (the bytes after the file, repeated; a fixed pattern if there are none).
//   [0]  flags: bit 0 set: keep the file's CRCs (else the harness repairs them, so mutated
//        contents get past FaceDetector::open's CRC checks); bit 1: layer_by_layer schedule;
//        bit 2: also run the other schedule and require identical detections; bit 3: a large
//        image (sizes only, see below); bit 4: also run through a ParallelFor (serial, tasks
//        in reverse order, 2..8 parts) and require identical detections.
//   [1..2], [3..4] image width, height (u16): 1..64 (% 64 + 1), or with bit 3 0..8999 (0 and
//        > 8192 invalid); [5] row padding bytes (% 16).
//   [6]  num_scales (byte % 10: 0 and 9 are invalid); [7..22] eight int16 scales, Q8 (raw).
//   [23..26] threshold_q30, [27..30] nms_iou_q16 (raw int32, invalid values included).
//   [31..32] max_candidates (u16); [33] 1: 2^20 candidates, 2: 2^20 + 1 (invalid).
//   [34..35] detection capacity (% 300); [36..37] max_tile_side (u16; 0: the default 2048;
//        valid 64..4096); [38] ParallelFor workers (% 7 + 2).
// Checks: a Status with a message for every refusal; when arena_bytes() refuses (and says
// 0 bytes), detect must refuse too, given a guard arena and image it must not touch; with
// the exact arena detect succeeds, count <= capacity, every box inside the image, scores in
// [0, 1], the report agrees with the options; one byte less is arena_too_small. Large
// images, and runs whose tiles add up to more than kMaxNetPixels network pixels, are only
// sized and checked for refusals, not run (keeps the target fast); their image is the
// guard block, so detect must not read it either.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "tinyq/detect/face_detector.h"

using namespace tinyq;
using namespace tinyq::model;
using tinyq_fuzz::Bytes;

namespace {

constexpr size_t kHeader = 40;
constexpr int kMaxSide = 64;
constexpr int64_t kMaxNetPixels = 64 * 64;  // e.g. one 64x64 network input, or four 32x32

struct State {
  tinyq_fuzz::ExactCopy file;
  tinyq_fuzz::GuardBlock guard;
  FaceDetector detector;
};

// A heap block of exactly `bytes` (16-byte aligned), freed on scope exit.
struct ExactBlock {
  uint8_t* p = nullptr;
  explicit ExactBlock(size_t bytes) {
    if (posix_memalign(reinterpret_cast<void**>(&p), 16, bytes ? bytes : 1) != 0) abort();
  }
  ~ExactBlock() { free(p); }
  ExactBlock(const ExactBlock&) = delete;
  ExactBlock& operator=(const ExactBlock&) = delete;
};

// A ParallelFor that runs the parts one after the other, last first (any order is allowed).
void run_reversed(void*, int n, void (*task)(void*, int), void* ctx) {
  for (int i = n - 1; i >= 0; --i) task(ctx, i);
}

// Runs detect with an arena of exactly `need` bytes; returns the detection count.
int run_exact(const FaceDetector& det, const ImageView& image, const DetectOptions& o, size_t need, Detection* out,
              int capacity, const ParallelFor* parallel = nullptr) {
  ExactBlock arena(need);
  int count = -1;
  DetectReport report{};
  const Status s = det.detect(image, o, arena.p, need, out, capacity, &count, &report, parallel);
  if (!s.ok()) fprintf(stderr, "detect refused a sized run: %s: %s\n", error_name(s.code), s.message);
  TINYQ_FUZZ_CHECK(s.ok());
  TINYQ_FUZZ_CHECK(count >= 0 && count <= capacity);
  TINYQ_FUZZ_CHECK(report.num_scales == o.num_scales);
  TINYQ_FUZZ_CHECK(report.candidates >= 0 && report.candidates <= o.max_candidates && count <= report.candidates);
  for (int k = 0; k < o.num_scales; ++k) {
    const TileGrid& g = report.scale[k];
    TINYQ_FUZZ_CHECK(g.x.tiles >= 1 && g.y.tiles >= 1 && g.x.length >= 32 && g.y.length >= 32);
  }
  for (int i = 0; i < count; ++i) {
    const Box& b = out[i].box;
    TINYQ_FUZZ_CHECK(0 <= b.x0 && b.x0 <= b.x1 && b.x1 <= image.width);
    TINYQ_FUZZ_CHECK(0 <= b.y0 && b.y0 <= b.y1 && b.y1 <= image.height);
    TINYQ_FUZZ_CHECK(out[i].score_q30 >= 0 && out[i].score_q30 <= (1 << 30));
  }
  return count;
}

// The detections of a second run equal the first's, bit for bit.
void check_same(const Detection* a, int na, const Detection* b, int nb) {
  TINYQ_FUZZ_CHECK(na == nb);
  for (int i = 0; i < na; ++i) TINYQ_FUZZ_CHECK(memcmp(&a[i], &b[i], sizeof(Detection)) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static State* st = new State;
  if (size < kHeader) return 0;
  Bytes in{data, kHeader};
  const uint8_t flags = in.u8();
  const bool large = (flags & 8) != 0;
  const uint16_t raw_w = in.u16(), raw_h = in.u16();
  const int width = large ? raw_w % 9000 : raw_w % kMaxSide + 1, height = large ? raw_h % 9000 : raw_h % kMaxSide + 1;
  const int pad = in.u8() % 16;
  DetectOptions o;
  o.num_scales = in.u8() % 10;
  for (int k = 0; k < DetectOptions::kMaxScales; ++k) o.scales_q8[k] = static_cast<int16_t>(in.u16());
  o.threshold_q30 = static_cast<int32_t>(in.u32());
  o.nms_iou_q16 = static_cast<int32_t>(in.u32());
  o.max_candidates = in.u16();
  const uint8_t big = in.u8();
  if (big == 1) o.max_candidates = 1 << 20;
  if (big == 2) o.max_candidates = (1 << 20) + 1;
  const int capacity = in.u16() % 300;
  const uint16_t tile = in.u16();
  o.max_tile_side = tile == 0 ? 2048 : tile;
  const int workers = in.u8() % 7 + 2;
  o.schedule = (flags & 2) ? Schedule::layer_by_layer : Schedule::row_streamed;

  // the weights file: exactly header.file_size bytes when the input holds that many
  const uint8_t* rest = data + kHeader;
  const size_t rest_size = size - kHeader;
  size_t file_size = rest_size;
  if (rest_size >= 64) {
    const uint32_t declared = tinyq_fuzz::rd32(rest + 8);
    if (declared >= 64 && declared <= rest_size) file_size = declared;
  }
  uint8_t* file = st->file.assign(rest, file_size);
  if (!(flags & 1)) tinyq_fuzz::repair_crcs(file, file_size);
  Status s = FaceDetector::open(file, file_size, &st->detector);
  if (!s.ok()) {
    TINYQ_FUZZ_CHECK(s.message != nullptr);
    return 0;
  }
  const FaceDetector& det = st->detector;

  // the image: an exact block of (h - 1) * stride + 3 w bytes (large: the guard block)
  const int stride = 3 * width + pad;
  const size_t image_bytes = large ? 0 : size_t(height - 1) * stride + 3 * size_t(width);
  ExactBlock pixels(image_bytes);
  const uint8_t* tail = rest + file_size;
  const size_t tail_size = rest_size - file_size;
  for (size_t i = 0; i < image_bytes; ++i)
    pixels.p[i] = tail_size ? tail[i % tail_size] : static_cast<uint8_t>(i * 7 + (i >> 6));
  const ImageView image{large ? st->guard.data() : pixels.p, width, height, stride};

  size_t need = 1;
  s = det.arena_bytes(width, height, o, &need);
  uint8_t* guard = st->guard.data();
  int count = -1;
  if (!s.ok()) {  // cannot be sized: detect must refuse, without touching the arena
    TINYQ_FUZZ_CHECK(need == 0 && s.message != nullptr);
    Detection one[1];
    const Status d = det.detect(image, o, guard, tinyq_fuzz::GuardBlock::kOpen, one, 1, &count);
    TINYQ_FUZZ_CHECK(!d.ok() && count == 0);
    return 0;
  }
  TINYQ_FUZZ_CHECK(need > 0 && need % kArenaAlignment == 0);
  s = det.detect(image, o, guard, need - 1, nullptr, 0, &count);
  TINYQ_FUZZ_CHECK(s.code == Error::arena_too_small && count == 0);

  int64_t net_pixels = 0;
  for (int k = 0; k < o.num_scales; ++k) {
    const TileGrid g = det.tiles_for(width, height, o, k);
    net_pixels += int64_t(g.count()) * g.x.length * g.y.length;
  }
  if (large || net_pixels > kMaxNetPixels) return 0;

  Detection* out = new Detection[capacity];  // exact: a write at [capacity] is an ASan report
  const int n = run_exact(det, image, o, need, out, capacity);
  if (flags & 4) {  // the schedules are bit-exact: the same detections
    DetectOptions other = o;
    other.schedule = o.schedule == Schedule::row_streamed ? Schedule::layer_by_layer : Schedule::row_streamed;
    size_t need2 = 0;
    TINYQ_FUZZ_CHECK(det.arena_bytes(width, height, other, &need2).ok() && need2 > 0);
    Detection* out2 = new Detection[capacity];
    check_same(out, n, out2, run_exact(det, image, other, need2, out2, capacity));
    delete[] out2;
  }
  if (flags & 16) {  // any split into parts: the same detections
    const ParallelFor parallel{run_reversed, nullptr, workers};
    Detection* out2 = new Detection[capacity];
    check_same(out, n, out2, run_exact(det, image, o, need, out2, capacity, &parallel));
    delete[] out2;
  }
  delete[] out;
  return 0;
}
