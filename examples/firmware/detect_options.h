// The detector options of the firmware example, shared by the firmware (every board) and
// by tinyq-embed, which sizes the firmware's static arena with them at build time.
#pragma once
#include "tinyq/detect/face_detector.h"

inline tinyq::DetectOptions firmware_detect_options() {
  tinyq::DetectOptions options;
  options.num_scales = 1;  // one scale: the frame cost the tables in docs/ report
  options.scales_q8[0] = 256;
  return options;
}
