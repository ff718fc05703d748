// The detector options of the firmware example, shared by the firmware (every board) and
// by tinyq-embed, which sizes the firmware's static arena with them at build time.
#pragma once
#include "tinyq/detect/face_detector.h"

//
// The K210 image (TINYQ_FIRMWARE_LAYER_BY_LAYER=1) runs layer by layer: every layer is cut
// into bands of rows for its two harts (board::parallel_for), while fused row-streamed
// blocks would stream on one hart; its 224x224 arena (1.5 MiB at width 0.5) fits the
// 6 MiB SRAM. The QEMU virt firmware keeps the row-streamed schedule (least arena).
#ifndef TINYQ_FIRMWARE_LAYER_BY_LAYER
#define TINYQ_FIRMWARE_LAYER_BY_LAYER 0
#endif

inline tinyq::DetectOptions firmware_detect_options(bool layer_by_layer = TINYQ_FIRMWARE_LAYER_BY_LAYER) {
  tinyq::DetectOptions options;
  options.num_scales = 1;  // one scale: the frame cost the tables in docs/ report
  options.scales_q8[0] = 256;
  options.schedule = layer_by_layer ? tinyq::model::Schedule::layer_by_layer : tinyq::model::Schedule::row_streamed;
  return options;
}
