// stb_image, compiled once for the CLI and its fuzzer (docs/images.md says why this way):
//  - STBI_ONLY_JPEG/PNG/BMP: the formats the CLI reads through stb; the other decoders
//    (GIF, PSD, PIC, PNM, HDR, TGA) are not compiled, so hostile files cannot reach them;
//  - STBI_MAX_DIMENSIONS 8192: the CLI's largest side, enforced inside every decoder;
//  - STBI_MALLOC/REALLOC_SIZED/FREE: a zero-filling allocator charged to a per-image budget,
//    so a decoder that reads memory it never wrote sees zeros (not earlier images' pixels or
//    heap metadata), and no file can make it allocate more than the budget;
//  - STBI_ASSERT aborts in every build (release builds would otherwise run on past it).
// This file is compiled with -fwrapv (cmake/ImageIO.cmake): stb 2.27 adds DC differences of
// hostile scans in int without an overflow check, which is UB; with -fwrapv it wraps to
// wrong pixels, never to a memory error.
// It is also compiled with -fno-sanitize=shift-exponent, for one shift in stb's JPEG bit
// reader (`code_buffer |= b << (24 - code_bits)` in stbi__grow_buffer_unsafe; stb issue
// 1293, fixed upstream after 2.27). When a scan's data ends before the decoder has the bits
// it asks for, the reader stops at the marker, code_bits goes negative (at least -16) and the
// next refill shifts by 25..40. That happens only after the marker set `nomore`, so the byte
// shifted is always 0 (stb feeds zeros past a marker): the result is 0 for any shift count
// the hardware applies, and the bad scan decodes to wrong pixels. Only this check is off,
// only here; found by the CI's bounded image-fuzzer run
// (tests/fuzz/image_corpus/bad_found_ubsan_jpeg_progressive_scan_ends_early.jpg).
#include "stb_decode.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tinyq_cli {
namespace stb {
namespace {

thread_local Budget* active_budget = nullptr;

// Every block starts with a 16-byte header holding its size (keeps malloc's 16-byte
// alignment for stb's SSE2 loads): the budget is credited on free and realloc.
constexpr size_t kHeader = 16;

size_t block_size(void* user) {
  size_t n = 0;
  std::memcpy(&n, static_cast<char*>(user) - kHeader, sizeof n);
  return n;
}

bool charge(size_t more) {
  Budget* b = active_budget;
  if (!b) return true;
  if (more > b->limit || b->used > b->limit - more) {
    b->refused = true;
    return false;
  }
  b->used += more;
  if (b->used > b->peak) b->peak = b->used;
  return true;
}

void credit(size_t less) {
  Budget* b = active_budget;
  if (b) b->used -= less < b->used ? less : b->used;
}

void* hook_malloc(size_t n) {
  if (n > SIZE_MAX - kHeader || !charge(n)) return nullptr;
  char* block = static_cast<char*>(std::calloc(1, n + kHeader));
  if (!block) {
    credit(n);
    return nullptr;
  }
  std::memcpy(block, &n, sizeof n);
  return block + kHeader;
}

void hook_free(void* user) {
  if (!user) return;
  credit(block_size(user));
  std::free(static_cast<char*>(user) - kHeader);
}

void* hook_realloc(void* user, size_t n) {
  if (!user) return hook_malloc(n);
  const size_t old = block_size(user);
  if (n > SIZE_MAX - kHeader || (n > old && !charge(n - old))) return nullptr;
  char* block = static_cast<char*>(std::realloc(static_cast<char*>(user) - kHeader, n + kHeader));
  if (!block) {
    if (n > old) credit(n - old);
    return nullptr;
  }
  if (n > old) std::memset(block + kHeader + old, 0, n - old);  // grown part zero-filled too
  if (n < old) credit(old - n);
  std::memcpy(block, &n, sizeof n);
  return block + kHeader;
}

[[noreturn]] void assert_failed(const char* what) {
  std::fprintf(stderr, "stb_image internal check failed: %s\n", what);
  std::abort();
}

}  // namespace
}  // namespace stb
}  // namespace tinyq_cli

#define STBI_MALLOC(n) tinyq_cli::stb::hook_malloc(n)
#define STBI_REALLOC_SIZED(p, old_n, n) tinyq_cli::stb::hook_realloc(p, n)
#define STBI_FREE(p) tinyq_cli::stb::hook_free(p)
#define STBI_ASSERT(x) ((x) ? (void)0 : tinyq_cli::stb::assert_failed(#x))
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS 8192
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

namespace tinyq_cli {
namespace stb {

static const char* failure_reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown stb_image error";
}

ScopedBudget::ScopedBudget(Budget* budget) : previous_(active_budget) { active_budget = budget; }
ScopedBudget::~ScopedBudget() { active_budget = previous_; }

bool read_size(const uint8_t* data, size_t size, int* width, int* height, const char** reason) {
  int channels = 0;
  if (size > size_t(INT32_MAX)) {
    *reason = "file too large for stb_image";
    return false;
  }
  if (stbi_info_from_memory(data, int(size), width, height, &channels)) return true;
  *reason = failure_reason();
  return false;
}

uint8_t* decode_rgb(const uint8_t* data, size_t size, int* width, int* height, const char** reason) {
  int channels = 0;
  if (size > size_t(INT32_MAX)) {
    *reason = "file too large for stb_image";
    return nullptr;
  }
  uint8_t* pixels = stbi_load_from_memory(data, int(size), width, height, &channels, 3);
  if (!pixels) *reason = failure_reason();
  return pixels;
}

void* allocate(size_t bytes) { return hook_malloc(bytes); }
void free_pixels(void* pixels) { hook_free(pixels); }

}  // namespace stb
}  // namespace tinyq_cli
