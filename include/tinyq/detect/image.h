// A non-owning view of an interleaved RGB888 image (what stb_image or a camera
// DMA buffer gives), and the integer box type the detector returns.
#pragma once
#include <stdint.h>

namespace tinyq {

// Largest image side the detector accepts (FaceDetector::kMaxImageSide). Decoded box
// coordinates are bounded relative to it (decode.h), which keeps NMS's int64 IoU exact.
constexpr int kMaxImageSide = 8192;

struct ImageView {
  const uint8_t* data;  // row-major, 3 bytes per pixel (R, G, B)
  int width;
  int height;
  int row_stride;       // bytes between rows (>= 3 * width)
};

// A box in integer pixel coordinates of the original image, [x0, x1) x [y0, y1).
struct Box {
  int32_t x0, y0, x1, y1;
};

}  // namespace tinyq
