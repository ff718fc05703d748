// Writes the generated part of the fuzz seed corpora: `make_corpus DIR` fills DIR/loader
// (8 control bytes + a weights file, for fuzz_loader) and DIR/detector (40-byte header +
// a face model + pixels, for fuzz_detector) with valid width-0.35 synthetic models and one
// broken variant per loader error. These files are 100-450 KB, so they are generated at
// build time; the small committed seeds live in tests/fuzz/corpus/.
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "../model/model_test_util.h"

using namespace tinyq::model;
using namespace tinyq_test;

namespace {

void save(const std::string& path, const std::vector<uint8_t>& prefix, const uint8_t* body, size_t size,
          const std::vector<uint8_t>& suffix = {}) {
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) return;
  fwrite(prefix.data(), 1, prefix.size(), f);
  fwrite(body, 1, size, f);
  fwrite(suffix.data(), 1, suffix.size(), f);
  fclose(f);
}

// fuzz_loader control bytes: CRC mode, plan size indices, image width/height, options.
std::vector<uint8_t> loader_prefix(uint8_t crc_mode, uint16_t image_w, uint16_t image_h, uint8_t options) {
  return {crc_mode, 13, 11, static_cast<uint8_t>(image_w), static_cast<uint8_t>(image_w >> 8),
          static_cast<uint8_t>(image_h), static_cast<uint8_t>(image_h >> 8), options};
}

// fuzz_detector header (see fuzz_detector.cpp): default options on a small image.
std::vector<uint8_t> detector_header(uint8_t flags, int w, int h, int num_scales, const int16_t* scales,
                                     int32_t threshold_q30) {
  std::vector<uint8_t> v(40, 0);
  v[0] = flags;
  const int raw_w = (flags & 8) ? w : w - 1, raw_h = (flags & 8) ? h : h - 1;  // see the size mapping
  v[1] = static_cast<uint8_t>(raw_w);
  v[2] = static_cast<uint8_t>(raw_w >> 8);
  v[3] = static_cast<uint8_t>(raw_h);
  v[4] = static_cast<uint8_t>(raw_h >> 8);
  v[6] = static_cast<uint8_t>(num_scales);
  for (int k = 0; k < 8; ++k) {
    v[7 + 2 * k] = static_cast<uint8_t>(scales[k]);
    v[8 + 2 * k] = static_cast<uint8_t>(static_cast<uint16_t>(scales[k]) >> 8);
  }
  for (int i = 0; i < 4; ++i) v[23 + i] = static_cast<uint8_t>(uint32_t(threshold_q30) >> (8 * i));
  const int32_t nms = 19661, candidates = 4096, capacity = 64;
  for (int i = 0; i < 4; ++i) v[27 + i] = static_cast<uint8_t>(uint32_t(nms) >> (8 * i));
  v[31] = static_cast<uint8_t>(candidates);
  v[32] = static_cast<uint8_t>(candidates >> 8);
  v[34] = static_cast<uint8_t>(capacity);
  return v;
}

Buffer model(OutputVariant output, DType act, bool per_channel, uint16_t templates, bool template_scales = false,
             bool classifier = false, PaddingMode padding = PaddingMode::tf_same, uint64_t seed = 1) {
  SyntheticOptions o;
  o.width_per_mille = 350;
  o.output = output;
  o.activation_dtype = act;
  o.per_channel = per_channel;
  o.head_templates = templates;
  o.template_scales = template_scales;
  o.classifier = classifier;
  o.padding = padding;
  o.seed = seed;
  return synthetic_buffer(o);
}

// A multi-exit face model (output exits: heads at strides 8, 16, 32 on taps 18, 39, 40).
Buffer exits_model(DType act, bool per_channel, uint64_t seed) {
  SyntheticOptions o;
  o.width_per_mille = 350;
  set_three_exits(o, 2, 2, 1);
  o.activation_dtype = act;
  o.per_channel = per_channel;
  o.seed = seed;
  return synthetic_buffer(o);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 1;
  const std::string loader = std::string(argv[1]) + "/loader", detector = std::string(argv[1]) + "/detector";
  mkdir(argv[1], 0755);
  mkdir(loader.c_str(), 0755);
  mkdir(detector.c_str(), 0755);

  // Face models (OutA, about 110 KB; one OutC and one OutB) and plain backbones.
  const Buffer face_a8 = model(OutputVariant::A, DType::int8, false, 2);
  const Buffer face_a16 = model(OutputVariant::A, DType::int16, true, 3, true, false, PaddingMode::symmetric, 2);
  const Buffer face_c16 = model(OutputVariant::C, DType::int16, true, 2);
  const Buffer face_b8 = model(OutputVariant::B, DType::int8, false, 1);
  const Buffer plain_a8 = model(OutputVariant::A, DType::int8, false, 0);
  const Buffer classifier_b = model(OutputVariant::B, DType::int16, false, 0, false, true);
  const Buffer face_x16 = exits_model(DType::int16, true, 3);

  struct Named { const char* name; const Buffer* b; };
  const Named faces[] = {{"face_a_int8", &face_a8}, {"face_a_int16_pc_scales_sym", &face_a16},
                         {"face_c_int16_pc", &face_c16}, {"face_b_int8", &face_b8}, {"face_exits_int16_pc", &face_x16}};
  // Verifying modes cost a CRC pass over the file: the 430 KB OutB/OutC models get one
  // verified seed (with the detector checks), the OutA ones two; the rest skip the CRCs.
  for (const Named& m : faces) {
    const bool big = m.b->size > 200000;
    if (!big) save(loader + "/" + m.name + "_verify", loader_prefix(4, 640, 480, 0), m.b->data(), m.b->size);
    save(loader + "/" + m.name + "_nocrc", loader_prefix(1, 4000, 3000, 0x13), m.b->data(), m.b->size);
    save(loader + "/" + m.name + "_repair", loader_prefix(6, 4032, 3024, 0), m.b->data(), m.b->size);
  }
  save(loader + "/plain_a_int8", loader_prefix(1, 0, 0, 0), plain_a8.data(), plain_a8.size);
  save(loader + "/classifier_b_int16", loader_prefix(3, 0, 0, 0), classifier_b.data(), classifier_b.size);

  // broken variants of the plain OutA file (CRCs repaired: each fails exactly one check)
  Buffer x = plain_a8;
  const std::vector<uint8_t> verify = loader_prefix(0, 0, 0, 0);
  x[32] = 9; fix_crcs(x); save(loader + "/bad_metadata", verify, x.data(), x.size);
  x = plain_a8; put32(entry(x, 0) + 80, get32(entry(x, 0) + 80) + 16); fix_crcs(x);
  save(loader + "/misaligned_tensor", verify, x.data(), x.size);
  x = plain_a8; put16(x.data() + 30, 500); fix_crcs(x); save(loader + "/shape_mismatch", verify, x.data(), x.size);
  x = plain_a8; x[get32(entry(x, 1) + 80)] ^= 1; save(loader + "/tensor_crc", verify, x.data(), x.size);
  save(loader + "/truncated_half", verify, plain_a8.data(), plain_a8.size / 2);

  // fuzz_detector: the face models on small images, so that the tiles of all scales stay
  // within the target's run budget (64 x 64 network pixels): 3 scales on 16 px, one on
  // up to 64 px; one large photo (sized only: arena_bytes and the refusal checks).
  std::vector<uint8_t> pixels(64 * 64 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 37) ^ (i >> 5));
  const int16_t defaults[8] = {128, 256, 512}, one[8] = {256}, four[8] = {64, 128, 192, 256};
  save(detector + "/a8_defaults_16px", detector_header(0, 16, 16, 3, defaults, 1 << 29), face_a8.data(), face_a8.size,
       pixels);
  save(detector + "/a8_low_threshold_compare", detector_header(4, 40, 24, 1, one, 1 << 20), face_a8.data(),
       face_a8.size, pixels);
  save(detector + "/a8_parallel_64px", detector_header(16, 64, 60, 1, one, 1 << 24), face_a8.data(), face_a8.size,
       pixels);
  save(detector + "/a16_defaults_layer", detector_header(2, 15, 13, 3, defaults, 1 << 28), face_a16.data(),
       face_a16.size, pixels);
  save(detector + "/a16_four_scales", detector_header(0, 20, 20, 4, four, 1 << 26), face_a16.data(), face_a16.size,
       pixels);
  save(detector + "/a8_large_image", detector_header(8, 4032, 3024, 3, defaults, 1 << 29), face_a8.data(),
       face_a8.size);
  save(detector + "/b8_one_scale", detector_header(0, 40, 30, 1, one, 1 << 25), face_b8.data(), face_b8.size, pixels);
  save(detector + "/c16_one_scale", detector_header(4, 32, 32, 1, one, 1 << 25), face_c16.data(), face_c16.size,
       pixels);
  save(detector + "/exits16_one_scale", detector_header(2, 48, 40, 1, one, 1 << 24), face_x16.data(), face_x16.size,
       pixels);
  save(detector + "/exits16_defaults_16px", detector_header(0, 16, 16, 3, defaults, 1 << 28), face_x16.data(),
       face_x16.size, pixels);
  return 0;
}
