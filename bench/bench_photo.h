// The benchmarks' real photo (bench_detector, bench_kernels' model layers): TINYQ_BENCH_PHOTO,
// default the first WIDER val image of ../shared/data, resized to w x h with the detector's
// own integer resize; noise (and *noise = true) without it.
#pragma once
#if __has_include(<stb/stb_image.h>)
#include <stb/stb_image.h>
#define TINYQ_BENCH_HAVE_STB 1
#endif

#include <cstdlib>
#include <string>
#include <vector>

#include "common/rng.h"
#include "tinyq/detect/resize.h"

namespace bench_photo {

inline std::vector<uint8_t> photo(int w, int h, bool* noise) {
  const char* env = std::getenv("TINYQ_BENCH_PHOTO");
  const std::string path = env ? env : TINYQ_SHARED_DATA "/wider_val_200/0--Parade/0_Parade_Parade_0_102.jpg";
  int pw = 0, ph = 0, c = 0;
#ifdef TINYQ_BENCH_HAVE_STB
  uint8_t* px = stbi_load(path.c_str(), &pw, &ph, &c, 3);
#else
  uint8_t* px = nullptr;
#endif
  std::vector<uint8_t> out(size_t(w) * h * 3);
  *noise = px == nullptr;
  if (px == nullptr) {
    tinyq_test::Rng rng(7);
    for (auto& v : out) v = uint8_t(rng.uniform(0, 255));
    return out;
  }
  tinyq::resize_bilinear_rgb(tinyq::ImageView{px, pw, ph, pw * 3}, w, h, out.data(), w, h, 0);
#ifdef TINYQ_BENCH_HAVE_STB
  stbi_image_free(px);
#endif
  return out;
}

}  // namespace bench_photo
