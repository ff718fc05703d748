// Helpers shared by the model tests: synthetic files in aligned host buffers, and byte
// surgery on them (with CRC repair) for the error table.
#pragma once
#include <stdint.h>
#include <string.h>

#include <vector>

#include "synthetic_model.h"
#include "tinyq/model/weights_file.h"

namespace tinyq_test {

// 64-byte aligned bytes (std::vector<uint64_t>-backed).
struct Buffer {
  std::vector<uint64_t> storage;
  size_t size = 0;
  uint8_t* data() { return reinterpret_cast<uint8_t*>(storage.data()); }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(storage.data()); }
  uint8_t& operator[](size_t i) { return data()[i]; }
};

inline Buffer synthetic_buffer(const SyntheticOptions& o, size_t capacity = 8u << 20) {
  Buffer b;
  b.storage.assign(capacity / 8 + 8, 0);
  b.size = write_synthetic_model(b.data(), capacity, o);
  return b;
}

inline uint32_t get32(const uint8_t* p) { return tinyq::model::detail::le32(p); }
inline void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put16(uint8_t* p, uint16_t v) { p[0] = static_cast<uint8_t>(v); p[1] = static_cast<uint8_t>(v >> 8); }
inline uint8_t* entry(Buffer& b, uint32_t i) { return b.data() + 64 + 96 * i; }
inline uint32_t tensor_count(const Buffer& b) { return get32(b.data() + 16); }

inline int find_entry(Buffer& b, const char* name) {
  for (uint32_t i = 0; i < tensor_count(b); ++i)
    if (strcmp(reinterpret_cast<const char*>(entry(b, i)), name) == 0) return static_cast<int>(i);
  return -1;
}

// Recomputes every tensor CRC (where the entry's range is inside the file) and the header CRC.
inline void fix_crcs(Buffer& b) {
  using tinyq::model::crc32;
  const uint32_t n = tensor_count(b);
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t* e = entry(b, i);
    const uint64_t off = get32(e + 80), size = get32(e + 84);
    if (off + size <= b.size) put32(e + 88, crc32(b.data() + off, size));
  }
  put32(b.data() + 12, 0);
  put32(b.data() + 12, crc32(b.data(), 64 + 96 * n));
}

}  // namespace tinyq_test
