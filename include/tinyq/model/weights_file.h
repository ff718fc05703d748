// Zero-copy reader of the tinyq weights file (docs/weights-format.md).
//
//   WeightsFile wf;
//   Status s = WeightsFile::open(data, size, &wf);   // validates everything
//   if (!s.ok()) { puts(s.message); ... }
//   TensorView w = wf.find("expanded_conv_3/expand/weights");
//
// The bytes stay where they are (flash, a C array, a mapped file): the views point
// into them, so the buffer must outlive the WeightsFile. No heap, no float, no
// exceptions; every read is bounds-checked before it happens.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "crc32.h"
#include "status.h"

namespace tinyq {
namespace model {

// ---- constants of format version 1 ----------------------------------------------------------
constexpr uint8_t kMagic[4] = {'T', 'Q', 'W', 'F'};
constexpr uint16_t kVersionMajor = 1;
constexpr uint16_t kVersionMinor = 1;  // 1.1: output variant 4 (exits), header byte 50 (head_exits)
constexpr uint32_t kHeaderBytes = 64;
constexpr uint32_t kTableEntryBytes = 96;
constexpr uint32_t kNameBytes = 60;
constexpr uint32_t kMaxTensors = 512;
constexpr uint32_t kMaxDim = 1u << 24;
constexpr int kMinFrac = 0;
constexpr int kMaxFrac = 31;

enum class DType : uint8_t { int8 = 1, int16 = 2, int32 = 3, float32 = 4 };
constexpr uint32_t dtype_bytes(DType d) {
  return d == DType::int8 ? 1u : d == DType::int16 ? 2u : (d == DType::int32 || d == DType::float32) ? 4u : 0u;
}
constexpr const char* dtype_name(DType d) {
  return d == DType::int8 ? "int8" : d == DType::int16 ? "int16" : d == DType::int32 ? "int32" : d == DType::float32 ? "float32" : "?";
}

enum class QuantKind : uint8_t {
  none = 0,         // float32 tensors (frac must be 0)
  per_tensor = 1,   // integer tensor, real = raw * 2^-frac
  per_channel = 2,  // integer weights; fracs in the int8 tensor "<name>.frac", one per output channel
};

enum class Architecture : uint16_t { mobilenet_v2 = 1 };
// Where the backbone ends. A, B, C: the paper's cuts (one head on that output). exits: the
// backbone runs up to its deepest tapped layer and every exit has its own head
// (`head/exits`, model/mobilenet_v2.h).
enum class OutputVariant : uint8_t { A = 1, B = 2, C = 3, exits = 4 };
enum class PaddingMode : uint8_t { tf_same = 0, symmetric = 1 };

constexpr uint8_t kFlagHead = 1u << 0;
constexpr uint8_t kFlagClassifier = 1u << 1;

// Model metadata, decoded from header bytes 28..63.
struct ModelInfo {
  Architecture architecture;
  uint16_t width_per_mille;  // the graph checks it (MobileNetV2: 350, 500, 750, 1000)
  OutputVariant output;
  PaddingMode padding;
  DType activation_dtype;    // int8 / int16 (quantized) or float32 (float model)
  bool has_head;
  bool has_classifier;
  uint16_t input_height_hint;  // 0 = any
  uint16_t input_width_hint;
  int16_t input_offset;        // real input = (pixel - input_offset) / 2^input_shift
  uint8_t input_shift;
  uint8_t input_channels;      // 3 (RGB)
  uint16_t head_templates;     // T (0 without head)
  uint8_t head_values_per_template;  // 5: score logit, tx, ty, tw, th
  uint8_t head_layout;         // 0: planar, channel = value * T + template
  uint16_t head_stride;        // head cell in input pixels (the largest exit's); inputs are padded to a multiple of it
  uint8_t head_exits;          // output exits: heads on 1..4 backbone taps (head/exits); else 0
};

struct TensorView {
  const char* name;  // NUL-terminated, inside the buffer
  DType dtype;
  QuantKind quant;
  int frac;          // fractional bits (per_tensor), 0 otherwise
  int ndim;
  uint32_t shape[4];
  const uint8_t* data;  // aligned to payload_alignment (>= 16)
  uint32_t size;        // bytes
  int32_t index;        // position in the table; -1 for "absent"

  bool valid() const { return data != nullptr; }
  uint32_t elements() const {
    uint32_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= shape[i];
    return n;
  }
  template <typename T>
  const T* as() const { return reinterpret_cast<const T*>(data); }
};

namespace detail {
inline uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
inline bool name_equal(const char* a, const char* b) {
  for (uint32_t i = 0;; ++i) {
    if (a[i] != b[i]) return false;
    if (a[i] == '\0') return true;
  }
}
}  // namespace detail

struct LoadOptions {
  bool verify_crc = true;  // false only for fuzzing the later checks / trusted flash images
};

class WeightsFile {
 public:
  WeightsFile() = default;

  // Validates the whole file; on success *out views it. On failure *out is left empty.
  static Status open(const uint8_t* data, size_t size, WeightsFile* out, LoadOptions options = LoadOptions{}) {
    *out = WeightsFile{};
    if (size == 0) return make_error(Error::truncated, "weights buffer is empty (0 bytes)");
    if (data == nullptr) return make_error(Error::null_buffer, "weights buffer is null");
    if ((reinterpret_cast<uintptr_t>(data) & 7u) != 0)
      return make_error(Error::misaligned_buffer, "weights buffer must be 8-byte aligned (tensors are read in place)");
    if (size < kHeaderBytes) return make_error(Error::truncated, "buffer shorter than the 64-byte header");
    for (int i = 0; i < 4; ++i)
      if (data[i] != kMagic[i]) return make_error(Error::bad_magic, "not a tinyq weights file (magic is not \"TQWF\")");
    if (detail::le16(data + 4) != kVersionMajor)
      return make_error(Error::unsupported_version, "unsupported format major version (this reader reads 1)");
    const uint32_t file_size = detail::le32(data + 8);
    if (file_size < kHeaderBytes || size < file_size)
      return make_error(Error::truncated, "buffer shorter than header.file_size (file truncated?)");
    const uint32_t count = detail::le32(data + 16);
    const uint32_t table_offset = detail::le32(data + 20);
    if (table_offset != kHeaderBytes) return make_error(Error::bad_table, "table_offset must be 64");
    if (count == 0 || count > kMaxTensors) return make_error(Error::bad_table, "tensor_count must be in [1, 512]");
    const uint32_t table_end = table_offset + count * kTableEntryBytes;  // <= 64 + 512*96: no overflow
    if (table_end > file_size) return make_error(Error::bad_table, "tensor table extends past file_size");
    if (options.verify_crc) {
      static const uint8_t zeros[4] = {0, 0, 0, 0};
      uint32_t crc = crc32_update(0, data, 12);
      crc = crc32_update(crc, zeros, 4);
      crc = crc32_update(crc, data + 16, table_end - 16);
      if (crc != detail::le32(data + 12))
        return make_error(Error::header_crc_mismatch, "header CRC-32 mismatch (header or tensor table corrupted)");
    }
    const uint32_t alignment = detail::le32(data + 24);
    if (alignment < 16 || alignment > 4096 || (alignment & (alignment - 1)) != 0)
      return make_error(Error::bad_alignment, "payload_alignment must be a power of two in [16, 4096]");

    WeightsFile f;
    f.data_ = data;
    f.file_size_ = file_size;
    f.count_ = count;
    f.alignment_ = alignment;
    f.table_end_ = table_end;
    Status s = f.decode_info();
    if (!s.ok()) return s;
    for (uint32_t i = 0; i < count; ++i) {
      s = f.check_entry(i, options);
      if (!s.ok()) return s;
    }
    s = check_pairs(data, count);
    if (!s.ok()) return s;
    *out = f;
    return ok_status();
  }

  const ModelInfo& info() const { return info_; }
  uint32_t tensor_count() const { return count_; }
  uint32_t file_size() const { return file_size_; }
  uint32_t payload_alignment() const { return alignment_; }
  const uint8_t* bytes() const { return data_; }

  // Table entry i (i < tensor_count()), decoded; valid after a successful open.
  TensorView tensor(uint32_t i) const {
    TensorView v{};
    v.index = -1;
    if (data_ == nullptr || i >= count_) return v;
    const uint8_t* e = data_ + kHeaderBytes + i * kTableEntryBytes;
    v.name = reinterpret_cast<const char*>(e);
    v.dtype = static_cast<DType>(e[60]);
    v.ndim = e[61];
    v.quant = static_cast<QuantKind>(e[62]);
    v.frac = static_cast<int8_t>(e[63]);
    for (int d = 0; d < 4; ++d) v.shape[d] = detail::le32(e + 64 + 4 * d);
    v.data = data_ + detail::le32(e + 80);
    v.size = detail::le32(e + 84);
    v.index = static_cast<int32_t>(i);
    return v;
  }

  // The tensor called `name`, or an invalid view (data == nullptr, index == -1). The scan
  // starts at entry `from` and wraps around, so the answer does not depend on it; callers
  // that look tensors up in about file order (Graph::build: the writer emits each layer's
  // tensors in graph order) pass the entry after the last one found, and a lookup then
  // costs one name comparison instead of half a table of them.
  TensorView find(const char* name, uint32_t from = 0) const {
    if (from >= count_) from = 0;
    for (uint32_t k = 0; k < count_; ++k) {
      const uint32_t i = from + k < count_ ? from + k : from + k - count_;
      const char* n = reinterpret_cast<const char*>(data_ + kHeaderBytes + i * kTableEntryBytes);
      if (detail::name_equal(n, name)) return tensor(i);
    }
    TensorView none{};
    none.index = -1;
    return none;
  }

 private:
  // No two names equal, no two non-empty payloads overlapping; the error names the later
  // entry of the first such pair in double-loop order.
  static Status check_pairs(const uint8_t* data, uint32_t count) {
    // Pairwise checks (n <= 512: at most ~131k pairs), on keys decoded once (6 KiB of
    // stack): a name's key is a hash of its 60-byte field, which check_entry requires to be
    // zero after the NUL, so equal names have equal fields and equal keys; only equal keys
    // compare the fields. Payload ranges are [begin, end) inside the file (check_entry),
    // so end cannot wrap. Pairs are visited in the same order as a plain double loop.
    uint32_t key[kMaxTensors], begin[kMaxTensors], end[kMaxTensors];
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t* e = data + kHeaderBytes + i * kTableEntryBytes;
      uint32_t h = 2166136261u;  // FNV-1a over the field's 32-bit words
      for (uint32_t k = 0; k < kNameBytes; k += 4) h = (h ^ detail::le32(e + k)) * 16777619u;
      key[i] = h;
      begin[i] = detail::le32(e + 80);
      end[i] = begin[i] + detail::le32(e + 84);
    }
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t* ei = data + kHeaderBytes + i * kTableEntryBytes;
      for (uint32_t j = i + 1; j < count; ++j) {
        if (key[i] == key[j]) {
          const uint8_t* ej = data + kHeaderBytes + j * kTableEntryBytes;
          uint32_t k = 0;
          while (k < kNameBytes && ei[k] == ej[k]) ++k;
          if (k == kNameBytes)
            return make_error(Error::duplicate_tensor_name, "two tensors have the same name", static_cast<int32_t>(j));
        }
        if (begin[i] != end[i] && begin[j] != end[j] && begin[i] < end[j] && begin[j] < end[i])
          return make_error(Error::overlap, "two tensors' payloads overlap", static_cast<int32_t>(j));
      }
    }
    return ok_status();
  }

  Status decode_info() {
    const uint8_t* h = data_;
    ModelInfo m{};
    m.architecture = static_cast<Architecture>(detail::le16(h + 28));
    m.width_per_mille = detail::le16(h + 30);
    if (m.architecture != Architecture::mobilenet_v2)
      return make_error(Error::unsupported_architecture, "architecture must be 1 (MobileNetV2)");
    if (h[32] < 1 || h[32] > 4)
      return make_error(Error::bad_metadata, "output_variant must be 1 (A), 2 (B), 3 (C) or 4 (exits)");
    m.output = static_cast<OutputVariant>(h[32]);
    if (h[33] > 1) return make_error(Error::bad_metadata, "padding must be 0 (tf_same) or 1 (symmetric)");
    m.padding = static_cast<PaddingMode>(h[33]);
    if (h[34] != 1 && h[34] != 2 && h[34] != 4)
      return make_error(Error::bad_metadata, "activation_dtype must be 1 (int8), 2 (int16) or 4 (float32)");
    m.activation_dtype = static_cast<DType>(h[34]);
    const uint8_t flags = h[35];
    if ((flags & ~(kFlagHead | kFlagClassifier)) != 0) return make_error(Error::bad_metadata, "undefined flag bits set");
    m.has_head = (flags & kFlagHead) != 0;
    m.has_classifier = (flags & kFlagClassifier) != 0;
    if (m.has_head && m.has_classifier) return make_error(Error::bad_metadata, "head and classifier are exclusive");
    if (m.has_classifier && m.output != OutputVariant::B)
      return make_error(Error::bad_metadata, "the classifier needs output variant B");
    m.input_height_hint = detail::le16(h + 36);
    m.input_width_hint = detail::le16(h + 38);
    if ((m.input_height_hint != 0 && m.input_height_hint < 32) || (m.input_width_hint != 0 && m.input_width_hint < 32))
      return make_error(Error::bad_metadata, "input size hints must be 0 (any) or >= 32");
    m.input_offset = static_cast<int16_t>(detail::le16(h + 40));
    m.input_shift = h[42];
    if (m.input_offset < 0 || m.input_offset > 255 || m.input_shift > 15)
      return make_error(Error::bad_metadata, "input_offset must be in [0, 255] and input_shift in [0, 15]");
    m.input_channels = h[43];
    if (m.input_channels != 3) return make_error(Error::bad_metadata, "input_channels must be 3 (RGB)");
    m.head_templates = detail::le16(h + 44);
    m.head_values_per_template = h[46];
    m.head_layout = h[47];
    m.head_stride = detail::le16(h + 48);
    m.head_exits = h[50];
    // The container checks the fields' form; which stride a head has is the graph's business
    // (model/mobilenet_v2.h derives it from the layers and checks it).
    const bool stride_pow2 = m.head_stride >= 8 && m.head_stride <= 64 && (m.head_stride & (m.head_stride - 1)) == 0;
    if (m.has_head) {
      if (m.head_templates == 0 || m.head_templates > 1024 || m.head_values_per_template != 5 || m.head_layout != 0 ||
          !stride_pow2)
        return make_error(Error::bad_metadata,
                          "head: templates must be 1..1024, values_per_template 5, layout 0, stride 8, 16, 32 or 64");
    } else if (m.head_templates != 0 || m.head_values_per_template != 0 || m.head_layout != 0 || m.head_stride != 0) {
      return make_error(Error::bad_metadata, "head fields must be 0 without a head");
    }
    if (m.output == OutputVariant::exits ? (!m.has_head || m.head_exits < 1 || m.head_exits > 4) : m.head_exits != 0)
      return make_error(Error::bad_metadata, "head_exits (byte 50): 1..4 with output 4 (exits, needs the head flag), else 0");
    for (uint32_t i = 51; i < kHeaderBytes; ++i)
      if (h[i] != 0) return make_error(Error::bad_metadata, "reserved header bytes 51..63 must be 0");
    if (detail::le16(h + 6) > 0xFF) return make_error(Error::bad_metadata, "version_minor out of range");
    info_ = m;
    return ok_status();
  }

  // The 60-byte name field: printable ASCII, NUL-terminated, NUL-padded; nullptr if so,
  // else what is wrong.
  static const char* name_field_error(const uint8_t* field) {
    uint32_t len = 0;
    while (len < kNameBytes && field[len] != 0) {
      if (field[len] < 0x21 || field[len] > 0x7E) return "tensor name has a byte outside printable ASCII";
      ++len;
    }
    if (len == 0) return "tensor name is empty";
    if (len == kNameBytes) return "tensor name is not NUL-terminated within 60 bytes";
    for (uint32_t k = len; k < kNameBytes; ++k)
      if (field[k] != 0) return "tensor name padding must be NUL bytes";
    return nullptr;
  }

  Status check_entry(uint32_t i, const LoadOptions& options) const {
    const int32_t idx = static_cast<int32_t>(i);
    const uint8_t* e = data_ + kHeaderBytes + i * kTableEntryBytes;
    if (const char* why = name_field_error(e)) return make_error(Error::bad_tensor_name, why, idx);
    const DType dtype = static_cast<DType>(e[60]);
    if (dtype_bytes(dtype) == 0) return make_error(Error::bad_dtype, "tensor dtype must be 1 (int8), 2 (int16), 3 (int32) or 4 (float32)", idx);
    const uint32_t ndim = e[61];
    if (ndim < 1 || ndim > 4) return make_error(Error::bad_shape, "tensor ndim must be 1..4", idx);
    uint64_t elements = 1;
    for (uint32_t d = 0; d < 4; ++d) {
      const uint32_t dim = detail::le32(e + 64 + 4 * d);
      if (d < ndim) {
        if (dim == 0 || dim > kMaxDim) return make_error(Error::bad_shape, "tensor dimension must be in [1, 2^24]", idx);
        elements *= dim;
        if (elements > 0xFFFFFFFFull) return make_error(Error::bad_shape, "tensor has more than 2^32 - 1 elements", idx);
      } else if (dim != 0) {
        return make_error(Error::bad_shape, "unused tensor dimensions must be 0", idx);
      }
    }
    const uint8_t quant = e[62];
    const int frac = static_cast<int8_t>(e[63]);
    if (dtype == DType::float32) {
      if (quant != 0 || frac != 0) return make_error(Error::bad_quant, "float32 tensors must have quant 0 and frac 0", idx);
    } else if (quant == 1) {
      if (frac < kMinFrac || frac > kMaxFrac) return make_error(Error::bad_quant, "per-tensor frac bits must be in [0, 31]", idx);
    } else if (quant == 2) {
      if (frac != 0) return make_error(Error::bad_quant, "per-channel tensors must have frac 0 (fracs live in <name>.frac)", idx);
    } else {
      return make_error(Error::bad_quant, "integer tensors must have quant 1 (per-tensor) or 2 (per-channel)", idx);
    }
    const uint32_t offset = detail::le32(e + 80);
    const uint32_t size = detail::le32(e + 84);
    if (static_cast<uint64_t>(size) != elements * dtype_bytes(dtype))
      return make_error(Error::size_mismatch, "tensor size != element count * dtype size", idx);
    if (offset < table_end_ || static_cast<uint64_t>(offset) + size > file_size_)
      return make_error(Error::out_of_bounds, "tensor payload lies outside [end of table, file_size)", idx);
    if ((offset & (alignment_ - 1)) != 0)
      return make_error(Error::misaligned_tensor, "tensor offset is not a multiple of payload_alignment", idx);
    if (detail::le32(e + 92) != 0) return make_error(Error::bad_table, "reserved tensor-entry bytes 92..95 must be 0", idx);
    if (options.verify_crc && crc32(data_ + offset, size) != detail::le32(e + 88))
      return make_error(Error::tensor_crc_mismatch, "tensor payload CRC-32 mismatch", idx);
    return ok_status();
  }

  const uint8_t* data_ = nullptr;
  uint32_t file_size_ = 0;
  uint32_t count_ = 0;
  uint32_t alignment_ = 0;
  uint32_t table_end_ = 0;
  ModelInfo info_{};
};

}  // namespace model
}  // namespace tinyq
