// Helpers shared by the libFuzzer targets (tests/fuzz/): exact-size copies that ASan
// guards, a CRC repair so mutated files get past the checksums, a poisoned guard block for
// "must not touch" buffers, and an independent check of a MemoryPlan's layout.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyq/model/crc32.h"
#include "tinyq/model/memory_plan.h"
#include "tinyq/model/mobilenet_v2.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define TINYQ_FUZZ_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define TINYQ_FUZZ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#endif
#endif
#ifndef TINYQ_FUZZ_POISON
#define TINYQ_FUZZ_POISON(p, n) ((void)(p), (void)(n))
#define TINYQ_FUZZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace tinyq_fuzz {

// A finding: abort with a line libFuzzer shows next to the stack.
#define TINYQ_FUZZ_CHECK(cond)                                                             \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "tinyq fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

// One reused 64-byte aligned block holding a copy of exactly `size` bytes: everything past
// the copy is poisoned, so ASan reports a read one byte past the end as it would for a heap
// block of that size. Re-poisoning touches only the bytes between the old and new sizes
// (no per-execution memset of the whole block).
class ExactCopy {
 public:
  ~ExactCopy() { free(block_); }
  uint8_t* assign(const uint8_t* src, size_t size) {
    if (size > capacity_) grow(size);
    if (size > used_) TINYQ_FUZZ_UNPOISON(block_ + used_, size - used_);
    if (size < used_) TINYQ_FUZZ_POISON(block_ + size, used_ - size);
    used_ = size;
    if (size) memcpy(block_, src, size);
    return block_;
  }

 private:
  void grow(size_t size) {
    size_t cap = capacity_ ? capacity_ : 4096;
    while (cap < size) cap *= 2;
    void* p = nullptr;
    if (posix_memalign(&p, 64, cap) != 0) abort();
    if (block_) {
      TINYQ_FUZZ_UNPOISON(block_, capacity_);
      free(block_);
    }
    block_ = static_cast<uint8_t*>(p);
    capacity_ = cap;
    used_ = 0;
    TINYQ_FUZZ_POISON(block_, capacity_);
  }
  uint8_t* block_ = nullptr;
  size_t capacity_ = 0, used_ = 0;
};

// A large block of which only the first `open_bytes` are addressable: given to code that
// must reject its input before touching more (an arena declared too small, an image that
// must not be read), it turns a stray write or read anywhere in the next 64 MiB into an
// ASan "use-after-poison" report instead of silent heap corruption.
class GuardBlock {
 public:
  static constexpr size_t kBytes = size_t(64) << 20;
  static constexpr size_t kOpen = 16;
  GuardBlock() {
    if (posix_memalign(reinterpret_cast<void**>(&block_), 64, kBytes) != 0) abort();
    TINYQ_FUZZ_POISON(block_ + kOpen, kBytes - kOpen);
  }
  ~GuardBlock() {
    TINYQ_FUZZ_UNPOISON(block_, kBytes);
    free(block_);
  }
  uint8_t* data() const { return block_; }

 private:
  uint8_t* block_ = nullptr;
};

inline uint32_t rd32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
inline void wr32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Rewrites the header CRC and every tensor CRC whose payload range lies inside the
// buffer, so a mutated file passes CRC verification and reaches the checks behind it.
// Uses the library's CRC-32 (PCLMULQDQ on x86-64: ~30 us for a 430 KB file under ASan;
// the table form here cost a third of fuzz_loader's time on the OutB/OutC seeds).
// Touches only fields inside [0, size).
inline void repair_crcs(uint8_t* f, size_t size) {
  if (size < 64) return;
  uint64_t count = rd32(f + 16);
  const uint64_t fits = (size - 64) / 96;
  if (count > fits) count = fits;
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t* e = f + 64 + 96 * i;
    const uint64_t off = rd32(e + 80), n = rd32(e + 84);
    if (off + n <= size) wr32(e + 88, tinyq::model::crc32(f + off, n));
  }
  // header CRC: bytes [0, table_end) with the CRC field read as zero
  const uint64_t table_end = 64 + 96 * uint64_t(rd32(f + 16));
  if (table_end > size) return;
  wr32(f + 12, 0);
  wr32(f + 12, tinyq::model::crc32(f, table_end));
}

// An input-driven byte reader: past the end it yields zeros.
struct Bytes {
  const uint8_t* p;
  size_t n;
  size_t at = 0;
  uint8_t u8() { return at < n ? p[at++] : 0; }
  uint16_t u16() { const uint16_t lo = u8(); return static_cast<uint16_t>(lo | (u8() << 8)); }
  uint32_t u32() { const uint32_t lo = u16(); return lo | (uint32_t(u16()) << 16); }
};

// Checks a plan against the graph, independently of how MemoryPlan::make placed things:
// every stored value is 16-byte aligned, large enough for its shape and inside the arena;
// no two stored values (or fused-block scratches) that are alive at the same step overlap.
// Liveness is recomputed here from the graph's edges and the plan's step numbers.
struct PlanVerdict {
  bool sound;
  const char* why;
};
inline PlanVerdict plan_verdict(const tinyq::model::Graph& g, const tinyq::model::MemoryPlan& p) {
  using namespace tinyq::model;
  const int nv = g.value_count();
  if (p.step_count < 1 || p.step_count > g.op_count()) return {false, "step count outside [1, op count]"};
  struct Span { uint64_t offset, bytes; int first, last; };
  Span spans[kMaxValues + kMaxOps];
  int n = 0;
  const int end = p.step_count + 1;
  for (int v = 0; v < nv; ++v) {
    if (p.bytes[v] == 0) continue;
    if (p.offset[v] % kArenaAlignment != 0) return {false, "a value is not 16-byte aligned"};
    if (p.bytes[v] < p.shape[v].elements() * p.element_bytes) return {false, "a value is smaller than its shape"};
    if (p.offset[v] + p.bytes[v] > p.arena_bytes) return {false, "a value ends past arena_bytes"};
    int first = v == 0 ? 0 : p.step_of_op[v - 1], last = first;
    for (int i = 0; i < g.op_count(); ++i)
      if (g.op(i).in0 == v || g.op(i).in1 == v) last = p.step_of_op[i] > last ? p.step_of_op[i] : last;
    if (v == g.output_value()) last = end;
    spans[n++] = Span{p.offset[v], p.bytes[v], first, last};
  }
  for (int st = 1; st <= p.step_count; ++st) {
    const uint64_t b = p.scratch_bytes[st - 1];
    if (b == 0) continue;
    if (p.scratch_offset[st - 1] % kArenaAlignment != 0) return {false, "a scratch is not 16-byte aligned"};
    if (p.scratch_offset[st - 1] + b > p.arena_bytes) return {false, "a scratch ends past arena_bytes"};
    spans[n++] = Span{p.scratch_offset[st - 1], b, st, st};
  }
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) {
      const Span &x = spans[a], &y = spans[b];
      const bool alive_together = !(x.last < y.first || y.last < x.first);
      const bool overlap = x.offset < y.offset + y.bytes && y.offset < x.offset + x.bytes;
      if (alive_together && overlap) return {false, "two buffers alive at the same step overlap"};
    }
  return {true, "sound"};
}

inline void check_plan(const tinyq::model::Graph& g, const tinyq::model::MemoryPlan& p) {
  const PlanVerdict v = plan_verdict(g, p);
  if (!v.sound) fprintf(stderr, "unsound memory plan (%dx%d): %s\n", p.input_height, p.input_width, v.why);
  TINYQ_FUZZ_CHECK(v.sound);
}

}  // namespace tinyq_fuzz
