// HOST ONLY (<vector>, float): the face detector over the float reference executor.
// Same resize, same decode, same NMS as tinyq::FaceDetector; only the network runs in
// float. Opening an integer model here gives the paper's simulation mode ("weights
// quantized, activations float"); opening a float32 model gives the float reference.
// The float head is rounded to Q16 and decoded by the integer decoder, so every
// difference from FaceDetector comes from the network, not from post-processing.
#pragma once
#if defined(__STDC_HOSTED__) && !__STDC_HOSTED__
#error "tinyq/detect/host/float_face_detector.h is host-only"
#endif
#include <math.h>

#include <memory>
#include <vector>

#include "../../model/host/float_executor.h"
#include "../face_detector.h"

namespace tinyq {

class FloatFaceDetector {
 public:
  static constexpr int kHeadFrac = 16;  // the float head is decoded as Q16

  FloatFaceDetector() = default;
  FloatFaceDetector(const FloatFaceDetector&) = delete;
  FloatFaceDetector& operator=(const FloatFaceDetector&) = delete;

  static model::Status open(const uint8_t* data, size_t size, FloatFaceDetector* out) {
    model::Status s = model::WeightsFile::open(data, size, &out->file_);
    if (!s.ok()) return s;
    s = model::Graph::build(out->file_, &out->graph_);
    if (!s.ok()) return s;
    s = parse_head_layout(out->graph_, out->template_wh_q8_, &out->layouts_);
    if (!s.ok()) return s;
    out->executor_.reset(new model::FloatExecutor(out->graph_));
    return s;
  }

  const model::Graph& graph() const { return graph_; }
  const HeadLayout& head_layout() const { return layouts_.exit[0]; }
  const ExitLayouts& exit_layouts() const { return layouts_; }

  // The head of one network input (uint8 RGB, net_h x net_w), as float (the last exit's).
  model::Status run_head(const uint8_t* rgb, int net_h, int net_w, model::FloatTensor* head) const {
    return executor_->run(model::normalise_input(graph_.info(), rgb, net_h, net_w), head);
  }

  // Every exit's head of one network input.
  model::Status run_heads(const uint8_t* rgb, int net_h, int net_w, std::vector<model::FloatTensor>* heads) const {
    model::FloatTensor last;
    std::vector<model::FloatTensor> values;
    model::Status s = executor_->run(model::normalise_input(graph_.info(), rgb, net_h, net_w), &last, &values);
    if (!s.ok()) return s;
    heads->clear();
    for (int e = 0; e < layouts_.count; ++e) heads->push_back(values[static_cast<size_t>(graph_.exit(e).value)]);
    return s;
  }

  // Same tiles, decode and NMS as FaceDetector::detect.
  model::Status detect(const ImageView& image, const DetectOptions& o, std::vector<Detection>* out) const {
    out->clear();
    if (image.data == nullptr || image.row_stride < 3 * image.width)
      return model::make_error(model::Error::bad_image, "image data null or row_stride < 3 * width");
    if (!FaceDetector::valid_options(o) || (o.exit_mask & ((1u << layouts_.count) - 1)) == 0)
      return model::make_error(model::Error::bad_options, "invalid DetectOptions");
    if (image.width < 1 || image.height < 1 || image.width > kMaxImageSide || image.height > kMaxImageSide)
      return model::make_error(model::Error::bad_image, "image must be 1..8192 px per side");
    std::vector<Candidate> storage(static_cast<size_t>(o.max_candidates));
    CandidateHeap heap(storage.data(), o.max_candidates);
    const int32_t logit_min = logit_threshold(o.threshold_q30, kHeadFrac);
    for (int k = 0; k < o.num_scales; ++k) {
      const TileGrid grid = detection_tiles(layouts_, image.width, image.height, o, k);
      const int tw = grid.x.length, th = grid.y.length;
      std::vector<uint8_t> rgb(static_cast<size_t>(tw) * th * 3);
      for (int iy = 0; iy < grid.y.tiles; ++iy) {
        for (int ix = 0; ix < grid.x.tiles; ++ix) {
          const DecodeFrame frame{grid.scale_q8, grid.x.origin(ix), grid.y.origin(iy), grid.input.resized_w,
                                  grid.input.resized_h, image.width, image.height};
          resize_bilinear_rgb_window(image, frame.resized_w, frame.resized_h, frame.origin_x, frame.origin_y,
                                     rgb.data(), tw, th, static_cast<uint8_t>(graph_.info().input_offset));
          std::vector<model::FloatTensor> heads;
          model::Status s = run_heads(rgb.data(), th, tw, &heads);
          if (!s.ok()) return s;
          for (int e = 0; e < layouts_.count; ++e) {
            if ((o.exit_mask & (1u << e)) == 0) continue;
            const model::FloatTensor& head = heads[static_cast<size_t>(e)];
            std::vector<int32_t> q(head.data.size());
            for (size_t i = 0; i < q.size(); ++i) {
              const double v = floor(static_cast<double>(head.data[i]) * (1 << kHeadFrac) + 0.5);
              q[i] = static_cast<int32_t>(v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v));
            }
            decode_head(Tensor<const int32_t>{q.data(), head.shape.height, head.shape.width, head.shape.channels},
                        kHeadFrac, layouts_.exit[e], logit_min, frame, heap);
          }
        }
      }
    }
    out->resize(static_cast<size_t>(heap.size()));
    out->resize(static_cast<size_t>(
        finish_detections(heap, o, image.width, image.height, kHeadFrac, out->data(), static_cast<int>(out->size()))));
    return model::ok_status();
  }

 private:
  model::WeightsFile file_;
  model::Graph graph_;
  int32_t template_wh_q8_[2 * kMaxHeadTemplates] = {};
  ExitLayouts layouts_{};
  std::unique_ptr<model::FloatExecutor> executor_;
};

}  // namespace tinyq
