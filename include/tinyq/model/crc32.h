// CRC-32 (IEEE 802.3 / zlib / PNG: reflected polynomial 0xEDB88320, initial value
// 0xFFFFFFFF, final XOR 0xFFFFFFFF). crc32("123456789") == 0xCBF43926.
// Freestanding: the 256-entry table is built at compile time.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tinyq {
namespace model {

namespace detail {
struct Crc32Table {
  uint32_t entry[256];
  constexpr Crc32Table() : entry() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
      entry[i] = c;
    }
  }
};
inline constexpr Crc32Table kCrc32Table{};
}  // namespace detail

// Running form: crc32_update(crc32_update(0, a), b) == crc32(a ++ b).
inline uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) {
  uint32_t c = ~crc;
  for (size_t i = 0; i < size; ++i) c = detail::kCrc32Table.entry[(c ^ data[i]) & 0xFFu] ^ (c >> 8);
  return ~c;
}

inline uint32_t crc32(const uint8_t* data, size_t size) { return crc32_update(0, data, size); }

}  // namespace model
}  // namespace tinyq
