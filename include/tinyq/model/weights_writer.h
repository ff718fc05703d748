// Writer of the tinyq weights file into a caller-provided buffer (freestanding: the
// digest runner builds synthetic models with it on riscv64). Tests and tools use it;
// exporters normally use tools/tinyq_tools/weights_file.py.
//
//   WeightsWriter w(buffer, capacity);
//   w.begin(info, tensor_count);                         // tensor_count known up front
//   int16_t* p = w.add<int16_t>("Conv/weights", 4, shape, QuantKind::per_tensor, 12);
//   ... fill p ...                                        // payload is written in place
//   size_t bytes = w.finish();                            // CRCs; 0 if anything overflowed
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "weights_file.h"

namespace tinyq {
namespace model {

class WeightsWriter {
 public:
  WeightsWriter(uint8_t* buffer, size_t capacity, uint32_t alignment = 64)
      : buf_(buffer), cap_(capacity), alignment_(alignment) {}

  void begin(const ModelInfo& m, uint32_t tensor_count) {
    count_ = tensor_count;
    added_ = 0;
    failed_ = tensor_count == 0 || tensor_count > kMaxTensors;
    const size_t table_end = kHeaderBytes + static_cast<size_t>(tensor_count) * kTableEntryBytes;
    end_ = align(table_end);
    if (failed_ || end_ > cap_) { failed_ = true; return; }
    for (size_t i = 0; i < end_; ++i) buf_[i] = 0;
    for (int i = 0; i < 4; ++i) buf_[i] = kMagic[i];
    put16(4, kVersionMajor);
    put16(6, kVersionMinor);
    put32(16, tensor_count);
    put32(20, kHeaderBytes);
    put32(24, alignment_);
    put16(28, static_cast<uint16_t>(m.architecture));
    put16(30, m.width_per_mille);
    buf_[32] = static_cast<uint8_t>(m.output);
    buf_[33] = static_cast<uint8_t>(m.padding);
    buf_[34] = static_cast<uint8_t>(m.activation_dtype);
    buf_[35] = static_cast<uint8_t>((m.has_head ? kFlagHead : 0) | (m.has_classifier ? kFlagClassifier : 0));
    put16(36, m.input_height_hint);
    put16(38, m.input_width_hint);
    put16(40, static_cast<uint16_t>(m.input_offset));
    buf_[42] = m.input_shift;
    buf_[43] = m.input_channels;
    put16(44, m.head_templates);
    buf_[46] = m.head_values_per_template;
    buf_[47] = m.head_layout;
    put16(48, m.head_stride);
    buf_[50] = m.head_exits;
  }

  // Appends a table entry and reserves its payload; returns where to write it (zeroed),
  // or nullptr when the buffer is full / the name too long / count exceeded.
  uint8_t* add_raw(const char* name, DType dtype, int ndim, const uint32_t* shape, QuantKind quant, int frac) {
    if (failed_ || added_ >= count_ || ndim < 1 || ndim > 4) { failed_ = true; return nullptr; }
    uint8_t* e = buf_ + kHeaderBytes + added_ * kTableEntryBytes;
    uint32_t len = 0;
    while (name[len] != '\0') {
      if (len + 1 >= kNameBytes) { failed_ = true; return nullptr; }
      e[len] = static_cast<uint8_t>(name[len]);
      ++len;
    }
    uint64_t elements = 1;
    for (int d = 0; d < ndim; ++d) elements *= shape[d];
    const uint64_t size = elements * dtype_bytes(dtype);
    if (end_ + size > cap_ || end_ + size > 0xFFFFFFFFull) { failed_ = true; return nullptr; }
    e[60] = static_cast<uint8_t>(dtype);
    e[61] = static_cast<uint8_t>(ndim);
    e[62] = static_cast<uint8_t>(quant);
    e[63] = static_cast<uint8_t>(static_cast<int8_t>(frac));
    for (int d = 0; d < ndim; ++d) put32(64 + 4 * d, shape[d], e);
    put32(80, static_cast<uint32_t>(end_), e);
    put32(84, static_cast<uint32_t>(size), e);
    uint8_t* payload = buf_ + end_;
    for (uint64_t i = 0; i < size; ++i) payload[i] = 0;
    const size_t next = align(end_ + static_cast<size_t>(size));
    last_end_ = end_ + static_cast<size_t>(size);
    end_ = next <= cap_ ? next : cap_;
    ++added_;
    return payload;
  }

  template <typename T>
  T* add(const char* name, int ndim, const uint32_t* shape, QuantKind quant, int frac) {
    return reinterpret_cast<T*>(add_raw(name, dtype_of<T>(), ndim, shape, quant, frac));
  }

  // Computes the payload CRCs, file_size and the header CRC. Returns the file size, or 0
  // when something did not fit / fewer tensors than announced were added.
  size_t finish() {
    if (failed_ || added_ != count_) return 0;
    const size_t file_size = last_end_;
    put32(8, static_cast<uint32_t>(file_size));
    for (uint32_t i = 0; i < count_; ++i) {
      uint8_t* e = buf_ + kHeaderBytes + i * kTableEntryBytes;
      put32(88, crc32(buf_ + detail::le32(e + 80), detail::le32(e + 84)), e);
    }
    put32(12, 0);
    put32(12, crc32(buf_, kHeaderBytes + count_ * kTableEntryBytes));
    return file_size;
  }

  bool failed() const { return failed_; }

  template <typename T> static constexpr DType dtype_of();

 private:
  size_t align(size_t x) const { return (x + alignment_ - 1) / alignment_ * alignment_; }
  void put16(size_t at, uint16_t v) { buf_[at] = static_cast<uint8_t>(v); buf_[at + 1] = static_cast<uint8_t>(v >> 8); }
  void put32(size_t at, uint32_t v, uint8_t* base = nullptr) {
    uint8_t* p = (base ? base : buf_) + at;
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  }

  uint8_t* buf_;
  size_t cap_;
  uint32_t alignment_;
  uint32_t count_ = 0;
  uint32_t added_ = 0;
  size_t end_ = 0;
  size_t last_end_ = 0;
  bool failed_ = true;
};

template <> constexpr DType WeightsWriter::dtype_of<int8_t>() { return DType::int8; }
template <> constexpr DType WeightsWriter::dtype_of<int16_t>() { return DType::int16; }
template <> constexpr DType WeightsWriter::dtype_of<int32_t>() { return DType::int32; }
template <> constexpr DType WeightsWriter::dtype_of<float>() { return DType::float32; }

}  // namespace model
}  // namespace tinyq
