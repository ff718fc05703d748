// Deterministic test-vector generator shared by the Catch2 tests and the
// freestanding digest runner (so host and riscv64 see the very same inputs).
#pragma once
#include <stdint.h>

namespace tinyq_test {

// splitmix64: tiny, full-period, identical on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi] (inclusive); the modulo bias is irrelevant for test vectors.
  int64_t uniform(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

// FNV-1a 64 over the bytes of integers, fed little-endian so the digest does not
// depend on the machine's byte order.
class Digest {
 public:
  void add(int64_t v, int bytes = 8) {
    uint64_t u = static_cast<uint64_t>(v);
    for (int i = 0; i < bytes; ++i) {
      hash_ = (hash_ ^ ((u >> (8 * i)) & 0xFF)) * 0x100000001B3ull;
    }
  }
  template <typename T>
  void add_all(const T* values, uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) add(values[i], sizeof(T));
  }
  uint64_t value() const { return hash_; }

 private:
  uint64_t hash_ = 0xCBF29CE484222325ull;
};

}  // namespace tinyq_test
