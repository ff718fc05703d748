// CRC-32 (IEEE 802.3 / zlib / PNG: reflected polynomial 0xEDB88320, initial value
// 0xFFFFFFFF, final XOR 0xFFFFFFFF). crc32("123456789") == 0xCBF43926.
//
// Slicing-by-8: T[0] is the usual byte table; T[k][b] is the CRC of byte b followed by
// k zero bytes, T[k][b] = (T[k-1][b] >> 8) ^ T[0][T[k-1][b] & 0xFF]. Because the CRC is
// linear, the state after 8 more bytes is the XOR of each byte's contribution looked up in
// the table for its distance from the end: 8 lookups per 8 bytes instead of 8 dependent
// steps. Bytes are assembled little-endian explicitly (any alignment, any host byte
// order). Freestanding: the 8 KiB of tables are built at compile time.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tinyq {
namespace model {

namespace detail {
struct Crc32Tables {
  uint32_t t[8][256];
  constexpr Crc32Tables() : t() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
      t[0][i] = c;
    }
    for (int k = 1; k < 8; ++k)
      for (uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFu];
  }
};
inline constexpr Crc32Tables kCrc32Tables{};

inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// The raw register (not inverted) after `size` more bytes, slicing-by-8.
inline uint32_t crc32_register(uint32_t c, const uint8_t* data, size_t size) {
  const auto& t = kCrc32Tables.t;
  for (; size >= 8; data += 8, size -= 8) {
    const uint32_t lo = c ^ load_le32(data), hi = load_le32(data + 4);
    c = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFFu] ^ t[2][(hi >> 8) & 0xFFu] ^ t[1][(hi >> 16) & 0xFFu] ^ t[0][hi >> 24];
  }
  for (; size > 0; ++data, --size) c = t[0][(c ^ *data) & 0xFFu] ^ (c >> 8);
  return c;
}
}  // namespace detail
}  // namespace model
}  // namespace tinyq

// x86-64 hosts: a carry-less-multiply version, chosen at run time (every translation unit
// gets the same crc32_update body whatever its -m flags; the PCLMUL code is a separate
// function with its own target attribute).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TINYQ_NO_SIMD)
#define TINYQ_CRC32_PCLMUL 1
#include "crc32_pclmul.h"
#else
#define TINYQ_CRC32_PCLMUL 0
#endif

namespace tinyq {
namespace model {

// Running form: crc32_update(crc32_update(0, a), b) == crc32(a ++ b).
inline uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) {
  uint32_t c = ~crc;
#if TINYQ_CRC32_PCLMUL
  if (size >= 64 && detail::cpu_has_pclmul()) {
    size_t done = 0;
    c = detail::crc32_fold_pclmul(c, data, size, &done);
    data += done;
    size -= done;
  }
#endif
  return ~detail::crc32_register(c, data, size);
}

inline uint32_t crc32(const uint8_t* data, size_t size) { return crc32_update(0, data, size); }

}  // namespace model
}  // namespace tinyq
