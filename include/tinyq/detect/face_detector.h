// tinyq::FaceDetector: the whole detector, integer only, on the caller's arena.
//
//   FaceDetector det;                                   // keep it where it is: it views the weights
//   Status s = FaceDetector::open(weights, size, &det); // validates the file and the graph
//   size_t need = 0;
//   s = det.arena_bytes(w, h, options, &need);          // exact, or an error: never "0 = nothing"
//   std::vector<uint8_t> arena(need);                   // or a static buffer (16-byte aligned)
//   det.detect(image, options, arena.data(), arena.size(), boxes, capacity, &count);
//
// Optionally, once after open (before detect is shared between threads): pack the pointwise
// weights for this CPU into a buffer the caller keeps, so no call packs them again
// (model/prepared_weights.h; the boxes are bit-identical either way):
//   std::vector<uint8_t> packed(det.prepared_bytes());   // 0 where nothing packs (no AVX-512)
//   det.prepare(packed.data(), packed.size());
//
// For every scale s: the image is resized (integer bilinear) to round(s W) x round(s H),
// padded to a multiple of the head stride, cut into overlapping tiles when a side exceeds
// options.max_tile_side (detect/tiling.h: the arena is bounded by the tile, whatever the
// photo), and each tile runs through the integer executor; head cells whose score logit
// reaches the threshold are decoded (fixed-point exp) into a bounded candidate heap shared
// by all tiles and scales. Then the candidates are sorted by logit and suppressed greedily
// with integer IoU comparisons. No heap, no float, no exceptions, no mutable static state:
// one FaceDetector may serve any number of threads, each with its own arena.
#pragma once
#include "../model/executor.h"
#include "../model/memory_plan.h"
#include "../model/mobilenet_v2.h"
#include "../model/weights_file.h"
#include "decode.h"
#include "image.h"
#include "nms.h"
#include "resize.h"
#include "tiling.h"

namespace tinyq {

struct DetectOptions {
  static constexpr int kMaxScales = 8;
  // Image scales, Q8 (256 = 1x). Default 0.5x, 1x, 2x: Tiny-Face's scales, the ones
  // the shipped models bind their templates to (head/template_scales).
  int32_t scales_q8[kMaxScales] = {128, 256, 512};
  int num_scales = 3;
  int32_t threshold_q30 = 1 << 29;              // face probability, Q30 (0.5)
  int32_t nms_iou_q16 = 19661;                  // suppress above IoU 0.3, Q16
  int max_candidates = 4096;                    // best decoded boxes kept before NMS
  model::Schedule schedule = model::Schedule::row_streamed;  // fused inverted residuals: least arena
  // Multi-exit models: bit k decodes exit k (choose_exits_for_faces picks them by face size);
  // single-head models have exit 0 only. 1..15, and must name at least one exit the model has.
  uint8_t exit_mask = 0x0F;
  // Largest network input side of one tile, in network pixels (64..4096; rounded down to
  // a multiple of the head stride). Larger network inputs are tiled (detect/tiling.h).
  int max_tile_side = 2048;
};

// What detect() did at each scale: the tile grid it ran, and whether the candidate heap
// overflowed (then the weakest candidates were dropped: raise max_candidates or threshold).
struct DetectReport {
  int num_scales;
  TileGrid scale[DetectOptions::kMaxScales];
  int candidates;          // kept for NMS
  bool candidates_dropped;
};

struct Detection {
  Box box;            // original-image pixels, clipped to the image
  int32_t score_q30;  // logistic(logit), Q30 (2^30 = probability 1)
  int32_t logit;      // raw head logit
};

// The decode layout of every exit of a face model (one for the paper's single-head
// models), and the multiple every network input is padded to (the largest exit stride).
struct ExitLayouts {
  int count;
  int pad_stride;
  HeadLayout exit[model::kMaxExits];
};

// Reads the head description of a face model: planar 5-value Tiny-Face heads and their
// templates (x1, y1, x2, y2 with `frac` bits) turned into widths/heights in Q8 pixels,
// exit after exit into template_wh_q8 (at most kMaxHeadTemplates in all).
inline model::Status parse_head_layout(const model::Graph& g, int32_t* template_wh_q8 /* [2 * 64] */,
                                       ExitLayouts* layouts) {
  using model::Error;
  using model::make_error;
  const model::ModelInfo& m = g.info();
  if (!m.has_head || g.exit_count() < 1 || m.head_values_per_template != 5 || m.head_layout != 0)
    return make_error(Error::bad_metadata, "not a face detector: needs a planar 5-value Tiny-Face head");
  if (m.head_templates < 1 || m.head_templates > kMaxHeadTemplates)
    return make_error(Error::bad_metadata, "face detector: 1..64 head templates supported");
  layouts->count = g.exit_count();
  layouts->pad_stride = m.head_stride;
  int32_t* wh = template_wh_q8;
  for (int k = 0; k < g.exit_count(); ++k) {
    const model::HeadExit& x = g.exit(k);
    if (x.stride < 1 || m.head_stride % x.stride != 0)
      return make_error(Error::bad_metadata, "every exit stride must divide head_stride");
    const model::TensorView& t = x.template_boxes;
    const int32_t* box = t.as<int32_t>();
    for (int i = 0; i < x.templates; ++i) {
      const int64_t w = int64_t(box[4 * i + 2]) - box[4 * i], h = int64_t(box[4 * i + 3]) - box[4 * i + 1];
      const int64_t w_q8 = shift_round_saturate(w, t.frac - 8, 32), h_q8 = shift_round_saturate(h, t.frac - 8, 32);
      if (w_q8 <= 0 || h_q8 <= 0 || w_q8 > (int64_t(1) << 24) || h_q8 > (int64_t(1) << 24))
        return make_error(Error::bad_metadata, "head template with a non-positive or absurd size", t.index);
      wh[2 * i] = static_cast<int32_t>(w_q8);
      wh[2 * i + 1] = static_cast<int32_t>(h_q8);
    }
    // Anchor centre of cell (0, 0): each stride-2 layer under TF SAME on even sizes pads
    // only after, so the centre tap moves by 1, 2, 4, 8 px: stride - 1 + 0.5; symmetric
    // padding keeps it at 0.5 px. (Inputs are multiples of pad_stride, so of every stride.)
    const model::TensorView& scales = g.template_scales();  // single-head models only
    layouts->exit[k] = HeadLayout{x.templates, x.stride,
                                  m.padding == model::PaddingMode::tf_same ? x.stride * 256 - 128 : 128, wh,
                                  scales.valid() ? scales.as<int32_t>() : nullptr};
    wh += 2 * x.templates;
  }
  return model::ok_status();
}

// Sorts the candidates of all scales, suppresses overlaps and writes at most `capacity`
// detections clipped to the image. Returns how many were written.
inline int finish_detections(CandidateHeap& heap, const DetectOptions& o, int image_w, int image_h, int head_frac,
                             Detection* out, int capacity) {
  auto clip = [](int32_t q8, int size) {
    const int32_t v = static_cast<int32_t>(rounding_shift_right(q8, 8));
    return v < 0 ? 0 : (v > size ? size : v);
  };
  heap.sort_descending();
  Candidate* c = heap.data();
  const int kept = non_max_suppression(c, heap.size(), o.nms_iou_q16);
  const int n = kept < capacity ? kept : capacity;
  for (int i = 0; i < n; ++i) {
    out[i].box = Box{clip(c[i].x0, image_w), clip(c[i].y0, image_h), clip(c[i].x1, image_w), clip(c[i].y1, image_h)};
    out[i].logit = c[i].logit;
    out[i].score_q30 = fixed_logistic_q30(c[i].logit, head_frac);
  }
  return n;
}

// Resized pixels neighbouring tiles share at this scale: twice the largest template side
// used there, so a face up to about twice its template's size lies whole in one tile.
inline int head_tile_overlap(const HeadLayout& layout, int32_t scale_q8) {
  int32_t side_q8 = 0;
  for (int t = 0; t < layout.num_templates; ++t) {
    if (!template_used_at(layout, t, scale_q8)) continue;
    const int32_t w = layout.template_wh_q8[2 * t], h = layout.template_wh_q8[2 * t + 1];
    if (w > side_q8) side_q8 = w;
    if (h > side_q8) side_q8 = h;
  }
  const int64_t px = (int64_t(side_q8) + 255) >> 8;
  return static_cast<int>(2 * px > model::kMaxInputSize ? model::kMaxInputSize : 2 * px);
}

// The tile grid of scale k (detect/tiling.h) for a model's heads and valid options: the
// overlap of the exit with the largest templates.
inline TileGrid detection_tiles(const ExitLayouts& layouts, int image_w, int image_h, const DetectOptions& o, int k) {
  int overlap = 0;
  for (int e = 0; e < layouts.count; ++e) {
    const int v = head_tile_overlap(layouts.exit[e], o.scales_q8[k]);
    if (v > overlap) overlap = v;
  }
  return tile_grid(image_w, image_h, o.scales_q8[k], layouts.pad_stride, o.max_tile_side, overlap);
}

// Size-driven scales: the inference scales whose templates can find faces between min_px
// and max_px (face height, image pixels). Tiny-Face's rule: at scale s, a template of
// height h_t (network pixels) matches faces of about h_t / s image pixels; we accept
// [2/3, 3/2] of that. A model that binds templates to scales (head/template_scales) offers
// its bound scales and the octaves below the smallest of them down to 1/16x (where that
// scale's templates find the large faces, template_used_at); an unbound one the octaves
// 1/16x .. 4x. Writes the chosen scales, ascending, into o->scales_q8 / o->num_scales and
// returns how many (0: none covers the range; o is then left unchanged). Integer only:
// 2 h_t <= 3 s max, 3 h_t >= 2 s min.
inline int choose_scales_for_faces(const HeadLayout& layout, int32_t min_px, int32_t max_px, DetectOptions* o) {
  if (min_px < 1 || max_px < min_px) return 0;
  int32_t candidates[DetectOptions::kMaxScales];
  int nc = 0;
  auto add_candidate = [&](int32_t s) {
    for (int k = 0; k < nc; ++k)
      if (candidates[k] == s) return;
    if (s >= 16 && s <= 2048 && nc < DetectOptions::kMaxScales) candidates[nc++] = s;  // valid option scales
  };
  bool any_unbound = layout.template_scale_q8 == nullptr;
  for (int t = 0; t < layout.num_templates && !any_unbound; ++t) {
    if (layout.template_scale_q8[t] == 0) any_unbound = true;
    else add_candidate(layout.template_scale_q8[t]);
  }
  if (any_unbound) {
    for (int32_t s = 16; s <= 1024; s *= 2) add_candidate(s);  // 1/16x .. 4x
  } else {
    for (int32_t s = smallest_bound_scale_q8(layout) / 2; s >= 16; s /= 2) add_candidate(s);  // large faces
  }
  int32_t chosen[DetectOptions::kMaxScales];
  int n = 0;
  for (int k = 0; k < nc; ++k) {
    const int64_t s = candidates[k];
    bool covers = false;
    for (int t = 0; t < layout.num_templates && !covers; ++t) {
      const int64_t h = layout.template_wh_q8[2 * t + 1];  // Q8 px; h / s = image px
      covers = template_used_at(layout, t, static_cast<int32_t>(s)) && 2 * h <= 3 * s * max_px && 3 * h >= 2 * s * min_px;
    }
    if (covers) chosen[n++] = static_cast<int32_t>(s);
  }
  if (n == 0) return 0;
  for (int i = 1; i < n; ++i)  // ascending (insertion sort: at most 8)
    for (int j = i; j > 0 && chosen[j] < chosen[j - 1]; --j) {
      const int32_t t = chosen[j];
      chosen[j] = chosen[j - 1];
      chosen[j - 1] = t;
    }
  for (int i = 0; i < n; ++i) o->scales_q8[i] = chosen[i];
  o->num_scales = n;
  return n;
}

// The tallest face (image px) the scales and exits of o can find: the upper end, 3/2 h_t / s,
// of the window of choose_scales_for_faces, over the templates used at each scale.
inline int64_t largest_face_covered(const ExitLayouts& layouts, const DetectOptions& o) {
  int64_t largest = 0;
  for (int k = 0; k < o.num_scales; ++k)
    for (int e = 0; e < layouts.count; ++e) {
      if ((o.exit_mask & (1u << e)) == 0) continue;
      const HeadLayout& l = layouts.exit[e];
      for (int t = 0; t < l.num_templates; ++t) {
        if (!template_used_at(l, t, o.scales_q8[k])) continue;
        const int64_t px = 3 * int64_t(l.template_wh_q8[2 * t + 1]) / (2 * int64_t(o.scales_q8[k]));
        if (px > largest) largest = px;
      }
    }
  return largest;
}

// The large-face octaves: while the faces o can find stop short of max_face_px (for a whole
// photo: its height, the tallest a face in it can be), puts half the smallest scale of o in
// front of its list (ascending lists stay ascending), down to 1/16x and up to kMaxScales
// scales. At 2^-k times a scale the same templates find faces 2^k times taller, for
// 1/4^k of that scale's pixels: a 4032x3024 photo gains 1/4x, 1/8x and 1/16x, 2% of the
// network MACs of the default 0.5x + 1x + 2x (measured 7-15% more time: each octave also
// resizes the whole photo, docs/detector.md). Returns how many scales it added (o valid,
// options of detect).
inline int add_large_face_scales(const ExitLayouts& layouts, int32_t max_face_px, DetectOptions* o) {
  int added = 0;
  int64_t covered = largest_face_covered(layouts, *o);
  while (covered < max_face_px && o->num_scales < DetectOptions::kMaxScales) {
    int32_t smallest = o->scales_q8[0];
    for (int k = 1; k < o->num_scales; ++k)
      if (o->scales_q8[k] < smallest) smallest = o->scales_q8[k];
    if (smallest / 2 < 16) break;  // 1/16x: the smallest scale detect accepts
    DetectOptions trial = *o;  // the scales with the next octave in front
    for (int k = trial.num_scales; k > 0; --k) trial.scales_q8[k] = trial.scales_q8[k - 1];
    trial.scales_q8[0] = smallest / 2;
    ++trial.num_scales;
    const int64_t now = largest_face_covered(layouts, trial);
    if (now <= covered) break;  // this model's templates do not serve the smaller scale
    *o = trial;
    covered = now;
    ++added;
  }
  return added;
}

// Size-driven exits (multi-exit models): one pass at 1x, decoding only the exits with a
// template that matches faces between min_px and max_px (face height, image pixels), by
// the rule of choose_scales_for_faces at s = 1: 2 h_t <= 3 max, 3 h_t >= 2 min, plus the
// large-face octaves (add_large_face_scales) when max_px is taller than the exits reach at
// 1x. Single-head models get choose_scales_for_faces. Returns the scales chosen (0: nothing
// covers the range; o unchanged).
inline int choose_exits_for_faces(const ExitLayouts& layouts, int32_t min_px, int32_t max_px, DetectOptions* o) {
  if (layouts.count <= 1) return choose_scales_for_faces(layouts.exit[0], min_px, max_px, o);
  if (min_px < 1 || max_px < min_px) return 0;
  uint8_t mask = 0;
  for (int e = 0; e < layouts.count; ++e) {
    const HeadLayout& l = layouts.exit[e];
    for (int t = 0; t < l.num_templates; ++t) {
      const int64_t h = l.template_wh_q8[2 * t + 1];  // Q8 px at 1x
      if (2 * h <= 3 * 256 * int64_t(max_px) && 3 * h >= 2 * 256 * int64_t(min_px)) mask = uint8_t(mask | (1u << e));
    }
  }
  if (mask == 0) {  // only faces taller than every exit reaches at 1x: all exits, smaller scales
    for (int e = 0; e < layouts.count; ++e) mask = uint8_t(mask | (1u << e));
    DetectOptions at1x = *o;
    at1x.scales_q8[0] = 256;
    at1x.num_scales = 1;
    at1x.exit_mask = mask;
    if (largest_face_covered(layouts, at1x) >= min_px) return 0;  // a gap between the exits' windows
  }
  o->scales_q8[0] = 256;
  o->num_scales = 1;
  o->exit_mask = mask;
  add_large_face_scales(layouts, max_px, o);
  return o->num_scales;
}

class FaceDetector {
 public:
  static constexpr int kMaxTemplates = kMaxHeadTemplates;
  static constexpr int kMaxImageSide = tinyq::kMaxImageSide;

  FaceDetector() = default;
  FaceDetector(const FaceDetector&) = delete;  // the graph points into this object
  FaceDetector& operator=(const FaceDetector&) = delete;

  static model::Status open(const uint8_t* data, size_t size, FaceDetector* out) {
    using model::Error;
    using model::make_error;
    out->ready_ = false;
    out->prepared_ = model::PreparedWeights{};
    out->use_prepared_ = false;
    model::Status s = model::WeightsFile::open(data, size, &out->file_);
    if (!s.ok()) return s;
    s = model::Graph::build(out->file_, &out->graph_);
    if (!s.ok()) return s;
    if (!out->graph_.is_integer())
      return make_error(Error::not_integer_model, "FaceDetector runs integer models (float32 models: host tools)");
    s = parse_head_layout(out->graph_, out->template_wh_q8_, &out->layouts_);
    if (!s.ok()) return s;
    out->ready_ = true;
    return model::ok_status();
  }

  // Bytes prepare() needs on this CPU (0: nothing to pack, prepare is then a no-op).
  size_t prepared_bytes() const { return ready_ ? model::prepared_weights_bytes(graph_) : 0; }

  // Packs the pointwise weights into buffer (>= prepared_bytes(), kept by the caller for as
  // long as the detector runs); detect() uses them from then on.
  model::Status prepare(void* buffer, size_t bytes) {
    if (!ready_) return model::make_error(model::Error::not_open, "FaceDetector::prepare before a successful open");
    use_prepared_ = false;
    const model::Status s = model::prepare_weights(graph_, buffer, bytes, &prepared_);
    if (!s.ok()) return s;
    use_prepared_ = true;
    return s;
  }

  const model::ModelInfo& info() const { return graph_.info(); }
  const model::Graph& graph() const { return graph_; }
  const HeadLayout& head_layout() const { return layouts_.exit[0]; }  // exit 0 (the only one of A/B/C models)
  const ExitLayouts& exit_layouts() const { return layouts_; }
  bool multi_exit() const { return layouts_.count > 1; }

  // What a model runs by default: one pass at 1x for multi-exit models (the exits cover
  // the face sizes); Tiny-Face's 0.5x, 1x, 2x for the single-head ones.
  DetectOptions default_options() const {
    DetectOptions o;
    if (multi_exit()) {
      o.scales_q8[0] = 256;
      o.num_scales = 1;
    }
    return o;
  }

  // default_options() for a photo image_h pixels tall: plus the large-face octaves
  // (add_large_face_scales) that let a face as tall as the photo be found.
  DetectOptions default_options(int image_h) const {
    DetectOptions o = default_options();
    if (ready_) add_large_face_scales(layouts_, image_h, &o);
    return o;
  }

  NetworkInput network_input_for(int image_w, int image_h, int32_t scale_q8) const {
    return network_input(image_w, image_h, scale_q8, layouts_.pad_stride);
  }

  // The tiles detect() runs at scale k of `o` for this image size (options valid).
  TileGrid tiles_for(int image_w, int image_h, const DetectOptions& o, int k) const {
    return detection_tiles(layouts_, image_w, image_h, o, k);
  }

  // Exact arena bytes detect() needs for this image size and these options, or why there
  // is no such number (not opened, bad options, bad image size, a tile the planner rejects).
  model::Status arena_bytes(int image_w, int image_h, const DetectOptions& o, size_t* bytes) const {
    *bytes = 0;
    model::Status s = check_call(image_w, image_h, o);
    if (!s.ok()) return s;
    uint64_t per_scale_max = 0;
    model::MemoryPlan plan;  // sized here, laid out again inside the arena by detect()
    for (int k = 0; k < o.num_scales; ++k) {
      const TileGrid grid = tiles_for(image_w, image_h, o, k);
      s = model::MemoryPlan::make(graph_, grid.y.length, grid.x.length, o.schedule, &plan);
      if (!s.ok()) return s;
      const uint64_t need = tile_bytes(grid) + plan.arena_bytes;
      if (need > per_scale_max) per_scale_max = need;
    }
    const uint64_t total = fixed_bytes(o) + per_scale_max;
    if (total > uint64_t(SIZE_MAX)) return model::make_error(model::Error::bad_input_size, "arena larger than size_t");
    *bytes = static_cast<size_t>(total);
    return model::ok_status();
  }

  // Detects faces; writes at most `capacity` detections, best first, and their number to
  // *count. `report` (optional) receives the tile grid of every scale; `parallel`
  // (optional) runs the resize and the network's layers as bands of rows on the caller's
  // workers, with bit-identical results for any number of them (core/parallel.h).
  model::Status detect(const ImageView& image, const DetectOptions& o, uint8_t* arena, size_t arena_size,
                       Detection* out, int capacity, int* count, DetectReport* report = nullptr,
                       const ParallelFor* parallel = nullptr) const {
    using model::Error;
    using model::make_error;
    *count = 0;
    if (image.data == nullptr) return make_error(Error::bad_image, "image data is null");
    size_t need = 0;
    model::Status s = arena_bytes(image.width, image.height, o, &need);
    if (!s.ok()) return s;
    if (image.row_stride < 3 * image.width) return make_error(Error::bad_image, "row_stride < 3 * width");
    if (capacity < 0 || (capacity > 0 && out == nullptr))
      return make_error(Error::null_buffer, "detections buffer is null or capacity negative");
    if (arena == nullptr) return make_error(Error::null_buffer, "the arena is null");
    if ((reinterpret_cast<uintptr_t>(arena) & (model::kArenaAlignment - 1)) != 0)
      return make_error(Error::misaligned_buffer, "the arena must be 16-byte aligned");
    if (arena_size < need) return make_error(Error::arena_too_small, "arena smaller than FaceDetector::arena_bytes");

    // Arena: [candidates][MemoryPlan][tile RGB][executor arena], 16-byte aligned parts.
    // Every part is checked against arena_size before it is written.
    Candidate* candidates = reinterpret_cast<Candidate*>(arena);
    model::MemoryPlan* plan = reinterpret_cast<model::MemoryPlan*>(arena + candidates_bytes(o));
    uint8_t* rgb = arena + fixed_bytes(o);
    CandidateHeap heap(candidates, o.max_candidates);
    int head_frac = 0;  // the same model at every scale: the same head format
    if (report != nullptr) report->num_scales = o.num_scales;

    for (int k = 0; k < o.num_scales; ++k) {
      const TileGrid grid = tiles_for(image.width, image.height, o, k);
      if (report != nullptr) report->scale[k] = grid;
      const int tw = grid.x.length, th = grid.y.length;
      s = model::MemoryPlan::make(graph_, th, tw, o.schedule, plan);
      if (!s.ok()) return s;
      const uint64_t exec_offset = fixed_bytes(o) + tile_bytes(grid);
      if (exec_offset + plan->arena_bytes > arena_size)
        return make_error(Error::arena_too_small, "a tile's plan does not fit the arena (arena_bytes changed?)");
      uint8_t* exec_arena = arena + exec_offset;
      const size_t exec_size = static_cast<size_t>(arena_size - exec_offset);
      for (int iy = 0; iy < grid.y.tiles; ++iy) {
        for (int ix = 0; ix < grid.x.tiles; ++ix) {
          const DecodeFrame frame{grid.scale_q8, grid.x.origin(ix), grid.y.origin(iy), grid.input.resized_w,
                                  grid.input.resized_h, image.width, image.height};
          resize_tile(image, frame, rgb, tw, th, parallel);
          model::IntegerOutput last;
          s = model::run_integer(graph_, *plan, exec_arena, exec_size, rgb, &last, parallel,
                                 use_prepared_ ? &prepared_ : nullptr);
          if (!s.ok()) return s;
          for (int e = 0; e < layouts_.count; ++e) {  // every exit's head has one frac (Graph::build)
            if ((o.exit_mask & (1u << e)) == 0) continue;
            const model::IntegerOutput head = model::integer_value(graph_, *plan, exec_arena, graph_.exit(e).value);
            const int32_t logit_min = logit_threshold(o.threshold_q30, head.frac);
            if (head.dtype == model::DType::int16) {
              decode_head(Tensor<const int16_t>{head.as<int16_t>(), head.shape.height, head.shape.width, head.shape.channels},
                          head.frac, layouts_.exit[e], logit_min, frame, heap);
            } else {
              decode_head(Tensor<const int8_t>{head.as<int8_t>(), head.shape.height, head.shape.width, head.shape.channels},
                          head.frac, layouts_.exit[e], logit_min, frame, heap);
            }
            head_frac = head.frac;
          }
        }
      }
    }

    if (report != nullptr) {
      report->candidates = heap.size();
      report->candidates_dropped = heap.dropped_any();
    }
    *count = finish_detections(heap, o, image.width, image.height, head_frac, out, capacity);
    return model::ok_status();
  }

  // Validates a call's arguments (the checks arena_bytes and detect share).
  model::Status check_call(int image_w, int image_h, const DetectOptions& o) const {
    using model::Error;
    using model::make_error;
    if (!ready_) return make_error(Error::not_open, "FaceDetector::open has not succeeded");
    if (!valid_options(o))
      return make_error(Error::bad_options, "invalid DetectOptions (scales, threshold, IoU, capacities, tile side)");
    if ((o.exit_mask & ((1u << layouts_.count) - 1)) == 0)
      return make_error(Error::bad_options, "DetectOptions::exit_mask names no exit of this model");
    if (!valid_image_size(image_w, image_h))
      return make_error(Error::bad_image, "image must be 1..8192 px per side");
    return model::ok_status();
  }

  static bool valid_options(const DetectOptions& o) {
    if (o.num_scales < 1 || o.num_scales > DetectOptions::kMaxScales) return false;
    for (int k = 0; k < o.num_scales; ++k)
      if (o.scales_q8[k] < 16 || o.scales_q8[k] > 2048) return false;  // 1/16x .. 8x
    return o.threshold_q30 >= 0 && o.threshold_q30 <= (1 << 30) && o.nms_iou_q16 >= 0 && o.nms_iou_q16 <= 65536 &&
           o.max_candidates >= 1 && o.max_candidates <= (1 << 20) &&
           (o.schedule == model::Schedule::layer_by_layer || o.schedule == model::Schedule::row_streamed) &&
           o.max_tile_side >= 64 && o.max_tile_side <= model::kMaxInputSize && o.exit_mask >= 1 && o.exit_mask <= 15;
  }

 private:
  // The tile's window of the resized picture into rgb (tw x th), in bands of rows when a
  // ParallelFor is given (each band is the same window call on its rows).
  struct ResizeBands {
    const ImageView* image;
    const DecodeFrame* frame;
    uint8_t* rgb;
    int tw, th, parts;
    uint8_t pad;
    static void task(void* ctx, int i) {
      const ResizeBands& b = *static_cast<const ResizeBands*>(ctx);
      const RangePart r = range_part(b.th, b.parts, i);
      resize_bilinear_rgb_window(*b.image, b.frame->resized_w, b.frame->resized_h, b.frame->origin_x,
                                 b.frame->origin_y + r.begin, b.rgb + int64_t(r.begin) * b.tw * 3, b.tw, r.end - r.begin,
                                 b.pad);
    }
  };
  void resize_tile(const ImageView& image, const DecodeFrame& f, uint8_t* rgb, int tw, int th,
                   const ParallelFor* parallel) const {
    const uint8_t pad = static_cast<uint8_t>(graph_.info().input_offset);
    if (parallel == nullptr || !parallel->parallel()) {
      resize_bilinear_rgb_window(image, f.resized_w, f.resized_h, f.origin_x, f.origin_y, rgb, tw, th, pad);
      return;
    }
    const int parts = parallel->parts_for(th);
    const ResizeBands bands{&image, &f, rgb, tw, th, parts, pad};
    parallel->run(parallel->pool, parts, &ResizeBands::task, const_cast<ResizeBands*>(&bands));
  }

  static constexpr uint64_t align(uint64_t x) { return (x + model::kArenaAlignment - 1) / model::kArenaAlignment * model::kArenaAlignment; }
  static bool valid_image_size(int w, int h) { return w >= 1 && h >= 1 && w <= kMaxImageSide && h <= kMaxImageSide; }
  static uint64_t candidates_bytes(const DetectOptions& o) { return align(uint64_t(o.max_candidates) * sizeof(Candidate)); }
  static uint64_t fixed_bytes(const DetectOptions& o) { return candidates_bytes(o) + align(sizeof(model::MemoryPlan)); }
  static uint64_t tile_bytes(const TileGrid& g) { return align(uint64_t(g.x.length) * g.y.length * 3); }

  model::WeightsFile file_;
  model::Graph graph_;
  int32_t template_wh_q8_[2 * kMaxTemplates] = {};
  ExitLayouts layouts_{};
  model::PreparedWeights prepared_{};  // views into the caller's prepare() buffer
  bool use_prepared_ = false;
  bool ready_ = false;
};

}  // namespace tinyq
