// Writes the generated part of the fuzz seed corpus (valid synthetic models and one broken
// variant per loader error) into a folder: `make_corpus DIR`. The small hand-made seeds in
// tests/fuzz/corpus/ are committed; these larger ones are generated at build time.
#include <stdio.h>
#include <string.h>

#include <string>

#include "../model/model_test_util.h"

using namespace tinyq::model;
using namespace tinyq_test;

static void save(const std::string& dir, const std::string& name, const Buffer& b, size_t size) {
  FILE* f = fopen((dir + "/" + name).c_str(), "wb");
  if (!f) return;
  fwrite(b.data(), 1, size, f);
  fclose(f);
}

int main(int argc, char** argv) {
  if (argc < 2) return 1;
  const std::string dir = argv[1];
  SyntheticOptions o;
  o.width_per_mille = 350;
  o.output = OutputVariant::A;
  o.activation_dtype = DType::int8;
  Buffer a = synthetic_buffer(o);
  save(dir, "valid_a_int8", a, a.size);
  o.output = OutputVariant::C;
  o.activation_dtype = DType::int16;
  o.per_channel = true;
  o.head_templates = 2;
  Buffer c = synthetic_buffer(o);
  save(dir, "valid_c_int16_pc_head", c, c.size);
  o.output = OutputVariant::B;
  o.classifier = true;
  o.head_templates = 0;
  Buffer b = synthetic_buffer(o);
  save(dir, "valid_b_classifier", b, b.size);
  // broken variants of the valid OutA file
  Buffer x = a;
  x[32] = 9; fix_crcs(x); save(dir, "bad_metadata", x, x.size);
  x = a; put32(entry(x, 0) + 80, get32(entry(x, 0) + 80) + 16); fix_crcs(x); save(dir, "misaligned_tensor", x, x.size);
  x = a; put16(x.data() + 30, 500); fix_crcs(x); save(dir, "shape_mismatch", x, x.size);
  x = a; x[get32(entry(x, 1) + 80)] ^= 1; save(dir, "tensor_crc", x, x.size);
  save(dir, "truncated_half", a, a.size / 2);
  return 0;
}
