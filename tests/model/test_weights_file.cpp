// The loader: a valid synthetic file round-trips; the error table, one test per error
// the loader (WeightsFile::open + Graph::build) can return, each made by one edit of a
// valid file.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "model_test_util.h"
#include "tinyq/model/mobilenet_v2.h"

using namespace tinyq::model;
using namespace tinyq_test;

namespace {

Status load(Buffer& b, Graph* g = nullptr, size_t size = 0) {
  WeightsFile wf;
  Status s = WeightsFile::open(b.data(), size ? size : b.size, &wf);
  if (!s.ok()) return s;
  static Graph graph;
  return Graph::build(wf, g ? g : &graph);
}

SyntheticOptions small() {
  SyntheticOptions o;
  o.width_per_mille = 350;
  o.output = OutputVariant::B;
  o.head_templates = 3;
  o.per_channel = true;
  return o;
}

}  // namespace

TEST_CASE("crc32 matches the IEEE check value", "[weights_file]") {
  const char* s = "123456789";
  CHECK(crc32(reinterpret_cast<const uint8_t*>(s), 9) == 0xCBF43926u);
  CHECK(crc32_update(crc32(reinterpret_cast<const uint8_t*>(s), 4), reinterpret_cast<const uint8_t*>(s) + 4, 5) ==
        0xCBF43926u);
}

TEST_CASE("slicing-by-8 crc32 equals the bit-by-bit definition at every length, offset and split", "[weights_file]") {
  // Independent reference: the polynomial division one bit at a time.
  auto bitwise = [](const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
      c ^= p[i];
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
  };
  uint8_t buf[300];
  uint32_t x = 12345;
  for (uint8_t& b : buf) b = uint8_t((x = x * 1103515245u + 12345u) >> 24);
  for (size_t off = 0; off < 8; ++off)
    for (size_t n = 0; n + off <= 290; n += (n < 40 ? 1 : 13)) {
      REQUIRE(crc32(buf + off, n) == bitwise(buf + off, n));
      const size_t cut = n / 3;
      REQUIRE(crc32_update(crc32(buf + off, cut), buf + off + cut, n - cut) == bitwise(buf + off, n));
    }
}

#if TINYQ_CRC32_PCLMUL
TEST_CASE("the carry-less-multiply crc32 equals the table at every length and offset", "[weights_file]") {
  if (!tinyq::model::detail::cpu_has_pclmul()) {
    WARN("this CPU has no PCLMULQDQ: only the table path runs here");
    return;
  }
  // The fold constants from their definition (crc32_pclmul.h): K(D)_j = coefficient of
  // x^(32-j) in x^(D+32) mod P, P = 0x104C11DB7 (non-reflected form).
  auto fold_constant = [](int d) {
    uint64_t r = 1;
    for (int i = 0; i < d + 32; ++i) r = (r << 1) ^ ((r >> 31 & 1) ? 0x104C11DB7u : 0) ;
    uint64_t k = 0;
    for (int deg = 0; deg < 32; ++deg)
      if (r >> deg & 1) k |= uint64_t(1) << (32 - deg);
    return k;
  };
  using namespace tinyq::model::detail;
  CHECK(fold_constant(512) == kCrcFold512Lo);
  CHECK(fold_constant(448) == kCrcFold512Hi);
  CHECK(fold_constant(128) == kCrcFold128Lo);
  CHECK(fold_constant(64) == kCrcFold128Hi);
  // Both paths on the same bytes: crc32_fold_pclmul for the whole 16-byte blocks (it needs
  // >= 64 bytes), the table for the rest, against the table alone, from several registers.
  std::vector<uint8_t> buf(5000);
  uint32_t x = 777;
  for (uint8_t& b : buf) b = uint8_t((x = x * 1103515245u + 12345u) >> 24);
  for (size_t off = 0; off < 16; off += 3)
    for (size_t n = 64; n + off <= buf.size(); n += (n < 300 ? 1 : 97))
      for (const uint32_t reg : {0xFFFFFFFFu, 0u, 0x12345678u}) {
        size_t done = 0;
        const uint32_t folded = crc32_fold_pclmul(reg, buf.data() + off, n, &done);
        REQUIRE(done <= n);
        REQUIRE(n - done < 16);
        REQUIRE(crc32_register(folded, buf.data() + off + done, n - done) == crc32_register(reg, buf.data() + off, n));
      }
}
#endif

TEST_CASE("make_divisible matches Keras for every width", "[graph]") {
  // Keras MobileNetV2 channel counts (first conv, block outputs 16,24,32,64,96,160,320).
  struct Row { int per_mille; int c[8]; };
  const Row rows[] = {{350, {16, 8, 8, 16, 24, 32, 56, 112}},
                      {500, {16, 8, 16, 16, 32, 48, 80, 160}},
                      {750, {24, 16, 24, 24, 48, 72, 120, 240}},
                      {1000, {32, 16, 24, 32, 64, 96, 160, 320}}};
  const int base[7] = {16, 24, 32, 64, 96, 160, 320};
  for (const Row& r : rows) {
    CHECK(make_divisible_per_mille(32, r.per_mille) == r.c[0]);
    for (int i = 0; i < 7; ++i) CHECK(block_channels(base[i], r.per_mille) == r.c[i + 1]);
  }
}

TEST_CASE("a valid synthetic file opens and the graph matches Keras MobileNetV2", "[weights_file][graph]") {
  for (OutputVariant out : {OutputVariant::A, OutputVariant::B, OutputVariant::C}) {
    SyntheticOptions o = small();
    o.width_per_mille = 1000;
    o.output = out;
    Buffer b = synthetic_buffer(o, 16u << 20);
    REQUIRE(b.size > 0);
    WeightsFile wf;
    Status s = WeightsFile::open(b.data(), b.size, &wf);
    INFO(s.message);
    REQUIRE(s.ok());
    CHECK(wf.info().width_per_mille == 1000);
    CHECK(wf.find("expanded_conv_13/expand/weights").shape[0] == 576);
    static Graph g;
    s = Graph::build(wf, &g);
    INFO(s.message);
    REQUIRE(s.ok());
    Shape shapes[kMaxValues];
    REQUIRE(g.shapes(224, 224, shapes).ok());
    const Shape bo = shapes[g.backbone_output_value()];
    if (out == OutputVariant::A) CHECK((bo.height == 14 && bo.width == 14 && bo.channels == 576));
    if (out == OutputVariant::B) CHECK((bo.height == 7 && bo.width == 7 && bo.channels == 1280));
    if (out == OutputVariant::C) CHECK((bo.height == 14 && bo.width == 14 && bo.channels == 576 + 1280));
    const Shape ho = shapes[g.output_value()];
    CHECK(ho.channels == 15);
    // op counts: A stops at expanded_conv_13/expand
    int adds = 0;
    for (int i = 0; i < g.op_count(); ++i) adds += g.op(i).kind == OpKind::add;
    CHECK(adds == (out == OutputVariant::A ? 8 : 10));  // residual blocks 2,4,5,7,8,9,11,12 (,14,15)
  }
}

TEST_CASE("any input size >= 32 gives ceil(in / 16) for OutA", "[graph]") {
  SyntheticOptions o = small();
  o.output = OutputVariant::C;
  Buffer b = synthetic_buffer(o);
  WeightsFile wf;
  REQUIRE(WeightsFile::open(b.data(), b.size, &wf).ok());
  static Graph g;
  REQUIRE(Graph::build(wf, &g).ok());
  Shape shapes[kMaxValues];
  for (int h : {32, 33, 47, 100, 321, 500}) {
    REQUIRE(g.shapes(h, h + 3, shapes).ok());
    CHECK(shapes[g.backbone_output_value()].height == (h + 15) / 16);
    CHECK(shapes[g.backbone_output_value()].width == (h + 3 + 15) / 16);
  }
  CHECK(g.shapes(31, 64, shapes).code == Error::bad_input_size);
}

// ---------------------------------------------------------------------------------------
// The error table: one case per Error the loader returns.
// ---------------------------------------------------------------------------------------
struct ErrorCase {
  Error expected;
  const char* what;
  std::function<Status(Buffer&)> make;  // edits a valid buffer, returns the load status
};

TEST_CASE("error table: every loader error code, one edit each", "[weights_file][errors]") {
  const std::vector<ErrorCase> cases = {
      {Error::null_buffer, "null pointer", [](Buffer& b) { WeightsFile wf; return WeightsFile::open(nullptr, b.size, &wf); }},
      {Error::misaligned_buffer, "buffer at an odd address",
       [](Buffer& b) { WeightsFile wf; return WeightsFile::open(b.data() + 1, b.size - 1, &wf); }},
      {Error::truncated, "shorter than the header", [](Buffer& b) { return load(b, nullptr, 40); }},
      {Error::truncated, "shorter than file_size", [](Buffer& b) { return load(b, nullptr, b.size - 1); }},
      {Error::bad_magic, "magic", [](Buffer& b) { b[0] = 'X'; return load(b); }},
      {Error::unsupported_version, "version 2", [](Buffer& b) { put16(b.data() + 4, 2); return load(b); }},
      {Error::bad_table, "table offset", [](Buffer& b) { put32(b.data() + 20, 128); return load(b); }},
      {Error::bad_table, "zero tensors", [](Buffer& b) { put32(b.data() + 16, 0); return load(b); }},
      {Error::bad_table, "table past file_size", [](Buffer& b) { put32(b.data() + 8, 1000); return load(b); }},
      {Error::header_crc_mismatch, "flipped table byte", [](Buffer& b) { entry(b, 0)[1] ^= 1; return load(b); }},
      {Error::bad_alignment, "alignment 24", [](Buffer& b) { put32(b.data() + 24, 24); fix_crcs(b); return load(b); }},
      {Error::bad_metadata, "output variant 7", [](Buffer& b) { b[32] = 7; fix_crcs(b); return load(b); }},
      {Error::bad_metadata, "reserved byte", [](Buffer& b) { b[60] = 1; fix_crcs(b); return load(b); }},
      {Error::unsupported_architecture, "architecture 2", [](Buffer& b) { put16(b.data() + 28, 2); fix_crcs(b); return load(b); }},
      {Error::unsupported_architecture, "width 600", [](Buffer& b) { put16(b.data() + 30, 600); fix_crcs(b); return load(b); }},
      {Error::bad_tensor_name, "control byte in a name", [](Buffer& b) { entry(b, 2)[0] = 1; fix_crcs(b); return load(b); }},
      {Error::bad_tensor_name, "name without NUL", [](Buffer& b) { memset(entry(b, 2), 'a', 60); fix_crcs(b); return load(b); }},
      {Error::duplicate_tensor_name, "two Conv/weights",
       [](Buffer& b) { memcpy(entry(b, 3), entry(b, 0), 60); fix_crcs(b); return load(b); }},
      {Error::bad_dtype, "dtype 9", [](Buffer& b) { entry(b, 0)[60] = 9; fix_crcs(b); return load(b); }},
      {Error::bad_shape, "ndim 0", [](Buffer& b) { entry(b, 0)[61] = 0; fix_crcs(b); return load(b); }},
      {Error::bad_shape, "unused dimension set", [](Buffer& b) {
         const int i = find_entry(b, "Conv/biases"); put32(entry(b, i) + 68, 1); fix_crcs(b); return load(b); }},
      {Error::bad_quant, "quant 3", [](Buffer& b) { entry(b, 0)[62] = 3; fix_crcs(b); return load(b); }},
      {Error::bad_quant, "frac 40", [](Buffer& b) {
         const int i = find_entry(b, "Conv/biases"); entry(b, i)[63] = 40; fix_crcs(b); return load(b); }},
      {Error::size_mismatch, "size + 1", [](Buffer& b) { put32(entry(b, 0) + 84, get32(entry(b, 0) + 84) + 1); fix_crcs(b); return load(b); }},
      {Error::out_of_bounds, "offset at the end", [](Buffer& b) {
         put32(entry(b, 0) + 80, static_cast<uint32_t>(b.size) & ~63u); fix_crcs(b); return load(b); }},
      {Error::out_of_bounds, "offset inside the table", [](Buffer& b) { put32(entry(b, 0) + 80, 64); fix_crcs(b); return load(b); }},
      {Error::misaligned_tensor, "offset + 16", [](Buffer& b) { put32(entry(b, 0) + 80, get32(entry(b, 0) + 80) + 16); fix_crcs(b); return load(b); }},
      {Error::overlap, "two tensors at one offset", [](Buffer& b) {
         const int i = find_entry(b, "Conv/biases"); put32(entry(b, i) + 80, get32(entry(b, 0) + 80)); fix_crcs(b); return load(b); }},
      {Error::tensor_crc_mismatch, "flipped payload byte", [](Buffer& b) { b[get32(entry(b, 0) + 80)] ^= 0x10; return load(b); }},
      {Error::missing_tensor, "Conv/biases renamed", [](Buffer& b) {
         const int i = find_entry(b, "Conv/biases"); entry(b, i)[5] = 'z'; fix_crcs(b); return load(b); }},
      {Error::missing_tensor, "no per-channel fracs", [](Buffer& b) {
         const int i = find_entry(b, "Conv/weights.frac"); entry(b, i)[0] = 'X'; fix_crcs(b); return load(b); }},
      {Error::unexpected_tensor, "a tensor the graph does not use", [](Buffer& b) {
         // drop the head: head tensors are left over
         b[35] = 0; put16(b.data() + 44, 0); b[46] = 0; put16(b.data() + 48, 0); fix_crcs(b); return load(b); }},
      {Error::shape_mismatch, "width 350 -> 500", [](Buffer& b) { put16(b.data() + 30, 500); fix_crcs(b); return load(b); }},
      {Error::dtype_mismatch, "per-channel bias", [](Buffer& b) {
         const int i = find_entry(b, "Conv/biases"); entry(b, i)[62] = 2; entry(b, i)[63] = 0; fix_crcs(b); return load(b); }},
      {Error::bad_frac, "activation frac 20", [](Buffer& b) {
         const int i = find_entry(b, "activation_frac_bits"); b[get32(entry(b, i) + 80) + 3] = 20; fix_crcs(b); return load(b); }},
  };
  // Every loader code appears at least once.
  for (Error e : {Error::null_buffer, Error::misaligned_buffer, Error::truncated, Error::bad_magic,
                  Error::unsupported_version, Error::bad_table, Error::header_crc_mismatch, Error::bad_alignment,
                  Error::bad_metadata, Error::unsupported_architecture, Error::bad_tensor_name,
                  Error::duplicate_tensor_name, Error::bad_dtype, Error::bad_shape, Error::bad_quant,
                  Error::size_mismatch, Error::out_of_bounds, Error::misaligned_tensor, Error::overlap,
                  Error::tensor_crc_mismatch, Error::missing_tensor, Error::unexpected_tensor, Error::shape_mismatch,
                  Error::dtype_mismatch, Error::bad_frac}) {
    bool found = false;
    for (const auto& c : cases) found = found || c.expected == e;
    INFO(error_name(e));
    CHECK(found);
  }
  for (const auto& c : cases) {
    Buffer b = synthetic_buffer(small());
    REQUIRE(load(b).ok());  // the edit, not the base file, causes the error
    const Status s = c.make(b);
    INFO(std::string(c.what) + ": got " + error_name(s.code) + " (" + s.message + ")");
    CHECK(s.code == c.expected);
    CHECK(std::string(s.message).size() > 10);
  }
}

TEST_CASE("verify_crc = false skips only the CRC checks", "[weights_file]") {
  Buffer b = synthetic_buffer(small());
  b[get32(entry(b, 0) + 80)] ^= 1;
  WeightsFile wf;
  CHECK(WeightsFile::open(b.data(), b.size, &wf).code == Error::tensor_crc_mismatch);
  LoadOptions lo;
  lo.verify_crc = false;
  CHECK(WeightsFile::open(b.data(), b.size, &wf, lo).ok());
}

TEST_CASE("a buffer larger than file_size is accepted (flash partitions)", "[weights_file]") {
  Buffer b = synthetic_buffer(small());
  WeightsFile wf;
  CHECK(WeightsFile::open(b.data(), b.size + 100, &wf).ok());
  CHECK(wf.file_size() == b.size);
}

TEST_CASE("the writer fails cleanly when the buffer is too small", "[weights_file]") {
  std::vector<uint64_t> small_buf(64);
  CHECK(write_synthetic_model(reinterpret_cast<uint8_t*>(small_buf.data()), 512, small()) == 0);
}
