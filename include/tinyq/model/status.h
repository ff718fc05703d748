// Errors at the edges are values: every fallible tinyq::model function returns a
// Status (code + fixed, human-readable message + the index of the tensor or op it
// is about, -1 when none). Messages are string literals: no heap, no formatting.
#pragma once
#include <stdint.h>

namespace tinyq {
namespace model {

enum class Error : uint8_t {
  ok = 0,
  // --- file structure (WeightsFile::open) ---
  null_buffer,           // a required pointer is nullptr (weights, arena or input buffer)
  misaligned_buffer,     // data not 8-byte aligned (tensors are read in place)
  truncated,             // buffer empty, shorter than the header or than header.file_size
  bad_magic,             // first 4 bytes are not "TQWF"
  unsupported_version,   // version_major != 1
  bad_table,             // table_offset != 64, tensor_count 0 or > 512, or table past file_size
  header_crc_mismatch,   // CRC-32 of header + table differs from header.header_crc32
  bad_alignment,         // payload_alignment not a power of two in [16, 4096]
  bad_metadata,          // a metadata field has an undefined value (see message)
  unsupported_architecture,  // architecture != MobileNetV2 or width not 350/500/750/1000
  bad_tensor_name,       // empty, not NUL-terminated, or a byte outside printable ASCII
  duplicate_tensor_name,
  bad_dtype,             // dtype code not int8/int16/int32/float32
  bad_shape,             // ndim not 1..4, a used dimension 0 or > 2^24, unused dimension not 0
  bad_quant,             // quant kind undefined, or frac bits inconsistent with dtype/kind
  size_mismatch,         // size != element count * dtype size
  out_of_bounds,         // payload range outside [end of table, file_size)
  misaligned_tensor,     // offset not a multiple of payload_alignment
  overlap,               // two tensors' payload ranges intersect
  tensor_crc_mismatch,
  // --- consistency with the architecture (Graph::build) ---
  missing_tensor,        // a tensor the graph needs is absent
  unexpected_tensor,     // a tensor the graph does not use is present
  shape_mismatch,        // a tensor's shape differs from what the architecture implies
  dtype_mismatch,        // a tensor's dtype is not allowed where it is used
  bad_frac,              // fractional bits out of range for the operation
  // --- running (executors, memory plan) ---
  bad_input_size,        // input height/width < 32 or > 4096, or not 3 channels
  arena_too_small,       // caller's arena smaller than MemoryPlan::arena_bytes
  not_integer_model,     // integer executor given a float32 model
  // --- added in 0.2 (appended: earlier codes keep their values) ---
  graph_too_large,       // the architecture needs more than kMaxOps ops (Graph::build)
  plan_mismatch,         // the MemoryPlan was made for another graph (element size, steps, shapes)
  block_rejected,        // a fused block's kernels rejected their shapes or scratch (a planner bug)
  // --- the detector (FaceDetector) ---
  not_open,              // FaceDetector used before a successful open()
  bad_options,           // DetectOptions out of range (scales, threshold, IoU, capacities, tile side)
  bad_image,             // image null, a side outside [1, 8192], or row_stride < 3 * width
};

struct Status {
  Error code;
  const char* message;
  int32_t index;  // tensor index (file errors), op index (graph errors), or -1
  constexpr bool ok() const { return code == Error::ok; }
};

constexpr Status ok_status() { return Status{Error::ok, "ok", -1}; }
constexpr Status make_error(Error code, const char* message, int32_t index = -1) {
  return Status{code, message, index};
}

// Stable lower-case name of a code ("header_crc_mismatch"), for logs and tests.
constexpr const char* error_name(Error e) {
  switch (e) {
    case Error::ok: return "ok";
    case Error::null_buffer: return "null_buffer";
    case Error::misaligned_buffer: return "misaligned_buffer";
    case Error::truncated: return "truncated";
    case Error::bad_magic: return "bad_magic";
    case Error::unsupported_version: return "unsupported_version";
    case Error::bad_table: return "bad_table";
    case Error::header_crc_mismatch: return "header_crc_mismatch";
    case Error::bad_alignment: return "bad_alignment";
    case Error::bad_metadata: return "bad_metadata";
    case Error::unsupported_architecture: return "unsupported_architecture";
    case Error::bad_tensor_name: return "bad_tensor_name";
    case Error::duplicate_tensor_name: return "duplicate_tensor_name";
    case Error::bad_dtype: return "bad_dtype";
    case Error::bad_shape: return "bad_shape";
    case Error::bad_quant: return "bad_quant";
    case Error::size_mismatch: return "size_mismatch";
    case Error::out_of_bounds: return "out_of_bounds";
    case Error::misaligned_tensor: return "misaligned_tensor";
    case Error::overlap: return "overlap";
    case Error::tensor_crc_mismatch: return "tensor_crc_mismatch";
    case Error::missing_tensor: return "missing_tensor";
    case Error::unexpected_tensor: return "unexpected_tensor";
    case Error::shape_mismatch: return "shape_mismatch";
    case Error::dtype_mismatch: return "dtype_mismatch";
    case Error::bad_frac: return "bad_frac";
    case Error::bad_input_size: return "bad_input_size";
    case Error::arena_too_small: return "arena_too_small";
    case Error::not_integer_model: return "not_integer_model";
    case Error::graph_too_large: return "graph_too_large";
    case Error::plan_mismatch: return "plan_mismatch";
    case Error::block_rejected: return "block_rejected";
    case Error::not_open: return "not_open";
    case Error::bad_options: return "bad_options";
    case Error::bad_image: return "bad_image";
  }
  return "unknown";
}

}  // namespace model
}  // namespace tinyq
