// tinyq-layer-table: prints the C++ MobileNetV2 layer table (for_each_backbone_layer) for every width
// and for outputs A and B, one line per conv layer:
//   WIDTH_PER_MILLE OUTPUT NAME KIND CIN COUT STRIDE RELU6 RESIDUAL BLOCK      (KIND: conv3x3 | dw | pw)
// tools/tests/test_layer_table.py compares it with tools/tinyq_tools/layer_table.py (the Python table).
#include <cstdio>

#include "tinyq/model/mobilenet_v2.h"

int main() {
  using namespace tinyq::model;
  const int widths[] = {350, 500, 750, 1000};
  const struct {
    OutputVariant v;
    char c;
  } outputs[] = {{OutputVariant::A, 'A'}, {OutputVariant::B, 'B'}};
  for (int w : widths)
    for (const auto& o : outputs)
      for_each_backbone_layer(w, o.v, [&](const ConvLayerSpec& s) {
        const char* kind = s.kind == OpKind::conv3x3 ? "conv3x3" : s.kind == OpKind::depthwise3x3 ? "dw" : "pw";
        std::printf("%d %c %s %s %d %d %d %d %d %d\n", w, o.c, s.name, kind, static_cast<int>(s.cin),
                    static_cast<int>(s.cout), s.stride, s.relu6 ? 1 : 0, s.residual ? 1 : 0, static_cast<int>(s.block));
      });
  return 0;
}
