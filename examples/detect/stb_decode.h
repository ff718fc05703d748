// The CLI's one copy of stb_image (Debian's libstb-dev header, compiled in stb_decode.cpp):
// JPEG, PNG and BMP only, every allocation zero-filled and charged to a per-image budget.
// image_io.cpp checks the file's structure before any of these functions sees it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tinyq_cli {
namespace stb {

// What one decode may hold at once. `used` and `peak` count the bytes stb has asked for
// (live allocations), `refused` is set when a request would have gone over `limit`.
struct Budget {
  size_t limit = 0;
  size_t used = 0;
  size_t peak = 0;
  bool refused = false;
};

// stb's allocator hooks have no context argument, so the budget of the decode running on
// this thread is reached through a thread-local pointer: set for the lifetime of this object.
class ScopedBudget {
 public:
  explicit ScopedBudget(Budget* budget);
  ~ScopedBudget();
  ScopedBudget(const ScopedBudget&) = delete;
  ScopedBudget& operator=(const ScopedBudget&) = delete;

 private:
  Budget* previous_;
};

// Width and height from the header (no pixel data decoded); false with stb's reason.
bool read_size(const uint8_t* data, size_t size, int* width, int* height, const char** reason);
// RGB888 pixels (stb's buffer, release with free_pixels), or nullptr with stb's reason.
uint8_t* decode_rgb(const uint8_t* data, size_t size, int* width, int* height, const char** reason);

// The same zero-filling, budgeted allocator, for buffers other decoders fill (WebP).
void* allocate(size_t bytes);
void free_pixels(void* pixels);

}  // namespace stb
}  // namespace tinyq_cli
