// Freestanding integer traits: what <type_traits>/<limits> would give us, but
// those headers do not exist for riscv64-unknown-elf (no libstdc++ there).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tinyq {

// Smallest signed integer type holding `Bits` bits (sign included).
template <int Bits, bool Fits8 = (Bits <= 8), bool Fits16 = (Bits <= 16), bool Fits32 = (Bits <= 32)>
struct smallest_signed;
template <int Bits, bool F16, bool F32> struct smallest_signed<Bits, true, F16, F32> { using type = int8_t; };
template <int Bits, bool F32> struct smallest_signed<Bits, false, true, F32> { using type = int16_t; };
template <int Bits> struct smallest_signed<Bits, false, false, true> { using type = int32_t; };
template <int Bits> struct smallest_signed<Bits, false, false, false> {
  static_assert(Bits <= 64, "tinyq: no signed storage wider than 64 bits");
  using type = int64_t;
};
template <int Bits> using smallest_signed_t = typename smallest_signed<Bits>::type;

// Range of a signed storage type, without <limits>.
template <typename T> struct int_limits;
template <> struct int_limits<int8_t> { static constexpr int8_t min = INT8_MIN, max = INT8_MAX; static constexpr int bits = 8; };
template <> struct int_limits<int16_t> { static constexpr int16_t min = INT16_MIN, max = INT16_MAX; static constexpr int bits = 16; };
template <> struct int_limits<int32_t> { static constexpr int32_t min = INT32_MIN, max = INT32_MAX; static constexpr int bits = 32; };
template <> struct int_limits<int64_t> { static constexpr int64_t min = INT64_MIN, max = INT64_MAX; static constexpr int bits = 64; };

template <typename A, typename B> struct is_same { static constexpr bool value = false; };
template <typename A> struct is_same<A, A> { static constexpr bool value = true; };

}  // namespace tinyq
