// MobileNetV2 layer shapes (inputs 224 and 500, width 1.0 and 0.5) for the benchmarks.
#pragma once
#include <string>
#include <vector>

#include "tinyq/model/mobilenet_v2.h"

namespace bench_shapes {

// MobileNetV2's channel rounding: the library's (make_divisible(c * width, 8), the rule of the one layer table,
// tools/tinyq_tools/layer_table.py); widths here are 1.0 and 0.5, so c * width is an integer.
inline int channels(int c, double width) {
  return tinyq::model::make_divisible_per_mille(c, static_cast<int>(width * 1000 + 0.5));
}

struct Layer {
  std::string name;  // e.g. "224_w1.0/pw_112x112_16-96"
  int h, w, cin, cout, stride;
  bool depthwise, stem;
  long long macs() const {
    const long long oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
    if (depthwise) return oh * ow * cin * 9LL;
    if (stem) return oh * ow * cout * cin * 9LL;
    return oh * ow * 1LL * cin * cout;
  }
};

inline std::vector<Layer> layers() {
  std::vector<Layer> out;
  for (int input : {224, 500})
    for (double width : {1.0, 0.5}) {
      const std::string tag = std::to_string(input) + (width == 1.0 ? "_w1.0" : "_w0.5");
      const int s1 = (input + 1) / 2, s2 = (s1 + 1) / 2, s3 = (s2 + 1) / 2, s4 = (s3 + 1) / 2, s5 = (s4 + 1) / 2;
      auto c = [&](int ch) { return channels(ch, width); };
      auto add = [&](const char* kind, int hw, int cin, int cout, int stride, bool dw, bool stem) {
        out.push_back(Layer{tag + "/" + kind + "_" + std::to_string(hw) + "x" + std::to_string(hw) + "_" + std::to_string(cin) +
                                (dw ? "_s" + std::to_string(stride) : "-" + std::to_string(cout)),
                            hw, hw, cin, cout, stride, dw, stem});
      };
      add("stem", input, 3, c(32), 2, false, true);
      add("pw", s1, c(16), c(96), 1, false, false);    // block 2 expand
      add("pw", s2, c(144), c(24), 1, false, false);   // block 3 project
      add("pw", s4, c(64), c(384), 1, false, false);   // stage 4 expand
      add("pw", s5, c(960), c(160), 1, false, false);  // stage 6 project
      add("pw", s5, c(320), 1280, 1, false, false);    // last 1x1
      add("dw", s1, c(32), c(32), 1, true, false);     // block 1
      add("dw", s1, c(96), c(96), 2, true, false);     // block 2 (stride 2)
      add("dw", s2, c(144), c(144), 1, true, false);   // block 3
      add("dw", s4, c(384), c(384), 1, true, false);   // stage 4
      add("dw", s5, c(960), c(960), 1, true, false);   // stage 6
    }
  return out;
}

}  // namespace bench_shapes
