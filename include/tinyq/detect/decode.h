// Tiny-Face head decoding, integer only.
//
// The head is a stride-16 map with 5 channels per template t (T templates):
//   channel t          score logit        channel 2T + t   ty
//   channel T + t      tx                 channel 3T + t   tw = log(w / w_t)
//                                         channel 4T + t   th = log(h / h_t)
// Cell (i, j) has its anchor centre at (stride*j + offset, stride*i + offset) in
// network-input pixels; template t has size (w_t, h_t). A box decodes as
//   cx = ax + tx w_t,  cy = ay + ty h_t,  w = w_t e^tw,  h = h_t e^th
// (tw, th clamped to [-6, 6], as the Python decoder does). A model may bind each
// template to one inference scale (Tiny-Face's gating, `head/template_scales`):
// template_used_at says which templates are decoded at a scale. Coordinates are carried
// in Q8 pixels; e^tw comes from core/exp.h's fixed_exp. The score threshold is applied to
// the raw logit, so no logistic is needed per cell.
#pragma once
#include "../core/exp.h"
#include "../tensor/tensor.h"
#include "image.h"

namespace tinyq {

struct HeadLayout {
  int num_templates;             // T
  int stride;                    // 16 for OutA
  int32_t anchor_offset_q8;      // centre of cell 0 in Q8 pixels (15.5 px -> 3968)
  const int32_t* template_wh_q8; // T pairs (w_t, h_t), Q8 pixels
  const int32_t* template_scale_q8;  // T inference scales (Q8) a template is used at, 0 = any; nullptr = all
};

constexpr int kMaxHeadTemplates = 64;  // per model, all exits together (parse_head_layout)

// The smallest scale any template is bound to (Q8), or 0 when none is bound.
inline int32_t smallest_bound_scale_q8(const HeadLayout& l) {
  int32_t smallest = 0;
  for (int t = 0; l.template_scale_q8 != nullptr && t < l.num_templates; ++t) {
    const int32_t b = l.template_scale_q8[t];
    if (b != 0 && (smallest == 0 || b < smallest)) smallest = b;
  }
  return smallest;
}

// Tiny-Face's binding of templates to scales. A template bound to scale b is decoded at
// b; the templates bound to the smallest bound scale also at every scale below it (the
// large-face octaves: at 2^-k times that scale a face 2^k times larger fills the network
// input as the faces those templates were trained on did, so they need no templates of
// their own). Unbound templates (0, or no table) are decoded at every scale.
inline bool template_used_at(const HeadLayout& l, int t, int32_t scale_q8) {
  if (l.template_scale_q8 == nullptr || l.template_scale_q8[t] == 0 || l.template_scale_q8[t] == scale_q8)
    return true;
  return l.template_scale_q8[t] == smallest_bound_scale_q8(l) && scale_q8 < l.template_scale_q8[t];
}

// A decoded box in Q8 pixels of the original image, with its raw head logit.
struct Candidate {
  int32_t x0, y0, x1, y1;  // Q8 pixels
  int32_t logit;           // raw head value (head format's fractional bits)
  uint32_t order;          // decode order: ties in logit go to the earlier box (a total order)
};

// a ranks below b: lower logit, or the same logit decoded later.
inline bool ranks_below(const Candidate& a, const Candidate& b) {
  return a.logit != b.logit ? a.logit < b.logit : a.order > b.order;
}

// Bounded min-heap that keeps the `capacity` best-ranked candidates seen so far: a
// full heap replaces its worst entry, so memory stays fixed. Ranking is a total
// order (logit, then decode order), so the result does not depend on how the
// heap happens to break ties: sorting gives what a stable sort by logit would.
class CandidateHeap {
 public:
  CandidateHeap(Candidate* storage, int capacity) : items_(storage), capacity_(capacity) {}
  int size() const { return size_; }
  Candidate* data() const { return items_; }
  bool dropped_any() const { return dropped_; }

  void push(Candidate c) {
    c.order = pushed_++;
    if (capacity_ <= 0) { dropped_ = true; return; }
    if (size_ < capacity_) {
      items_[size_] = c;
      sift_up(size_++);
    } else {
      dropped_ = true;
      if (!ranks_below(items_[0], c)) return;
      items_[0] = c;
      sift_down(0, size_);
    }
  }

  // Heap sort in place: afterwards items are ordered best first.
  void sort_descending() {
    for (int end = size_ - 1; end > 0; --end) {
      swap(0, end);
      sift_down(0, end);
    }
  }

 private:
  void swap(int a, int b) { const Candidate t = items_[a]; items_[a] = items_[b]; items_[b] = t; }
  void sift_up(int i) {
    while (i > 0 && ranks_below(items_[i], items_[(i - 1) / 2])) { swap(i, (i - 1) / 2); i = (i - 1) / 2; }
  }
  void sift_down(int i, int n) {
    for (;;) {
      int smallest = i;
      const int l = 2 * i + 1, r = l + 1;
      if (l < n && ranks_below(items_[l], items_[smallest])) smallest = l;
      if (r < n && ranks_below(items_[r], items_[smallest])) smallest = r;
      if (smallest == i) return;
      swap(i, smallest);
      i = smallest;
    }
  }
  Candidate* items_;
  int capacity_;
  int size_ = 0;
  uint32_t pushed_ = 0;
  bool dropped_ = false;
};

// Smallest raw logit whose logistic reaches `probability_q30` (binary search over
// the monotonic fixed_logistic_q30): the threshold in the logit domain.
inline int32_t logit_threshold(int32_t probability_q30, int head_frac) {
  int64_t lo = INT32_MIN, hi = int64_t(INT32_MAX) + 1;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (fixed_logistic_q30(static_cast<int32_t>(mid), head_frac) >= probability_q30) hi = mid; else lo = mid + 1;
  }
  return lo > INT32_MAX ? INT32_MAX : static_cast<int32_t>(lo);
}

// Where one head map sits: the inference scale (template gating), the tile's origin in
// the resized image (detect/tiling.h; 0, 0 when untiled), the resized and original sizes.
struct DecodeFrame {
  int32_t scale_q8;
  int origin_x, origin_y;
  int resized_w, resized_h;
  int image_w, image_h;
};

// Candidate coordinates are kept in [-S, 2 S] Q8 pixels, S = kMaxImageSide px: one image
// side beyond every edge (boxes are clipped to the image at the end anyway). Every
// decode step before this clamp is int64 (|value| < 2^54: anchors < 2^25, tx w_t < 2^40,
// w_t e^6 < 2^33, times image_w <= 2^13), so nothing narrows or overflows; and NMS's
// widths stay < 3 S 2^8 < 2^23, areas < 2^46, IoU products < 2^62 (nms.h).
constexpr int64_t kCandidateMinQ8 = -(int64_t(kMaxImageSide) << 8);
constexpr int64_t kCandidateMaxQ8 = int64_t(2 * kMaxImageSide) << 8;
inline int32_t clamp_candidate_q8(int64_t v) {
  return static_cast<int32_t>(v < kCandidateMinQ8 ? kCandidateMinQ8 : (v > kCandidateMaxQ8 ? kCandidateMaxQ8 : v));
}

// Decodes every cell/template whose logit >= threshold into `heap`. The network input
// was the tile at (origin_x, origin_y) of the original image resized to
// resized_w x resized_h; boxes are mapped back to the original image_w x image_h pixels.
// Preconditions (parse_head_layout, FaceDetector): T <= kMaxHeadTemplates, template sizes in (0, 2^24] Q8,
// head_frac <= 16, image sides <= kMaxImageSide, resized sides >= 1.
template <typename T>
void decode_head(const Tensor<const T>& head, int head_frac, const HeadLayout& layout, int32_t logit_min,
                 const DecodeFrame& f, CandidateHeap& heap) {
  const int nt = layout.num_templates;  // <= kMaxHeadTemplates
  uint64_t used = 0;                     // bit t: template t is decoded at this scale
  for (int t = 0; t < nt; ++t)
    if (template_used_at(layout, t, f.scale_q8)) used |= uint64_t(1) << t;
  const int32_t clamp = 6 << head_frac;  // |tw|, |th| <= 6
  const int64_t ox = int64_t(f.origin_x) * 256, oy = int64_t(f.origin_y) * 256;
  for (int i = 0; i < head.height; ++i) {
    for (int j = 0; j < head.width; ++j) {
      const T* cell = head.data + (int64_t(i) * head.width + j) * head.channels;
      const int64_t ax = ox + int64_t(layout.stride) * j * 256 + layout.anchor_offset_q8;
      const int64_t ay = oy + int64_t(layout.stride) * i * 256 + layout.anchor_offset_q8;
      for (int t = 0; t < nt; ++t) {
        const int32_t logit = cell[t];
        if (logit < logit_min || ((used >> t) & 1) == 0) continue;
        const int64_t wt = layout.template_wh_q8[2 * t], ht = layout.template_wh_q8[2 * t + 1];
        const int32_t tw = cell[3 * nt + t] < -clamp ? -clamp : (cell[3 * nt + t] > clamp ? clamp : cell[3 * nt + t]);
        const int32_t th = cell[4 * nt + t] < -clamp ? -clamp : (cell[4 * nt + t] > clamp ? clamp : cell[4 * nt + t]);
        const int64_t cx = ax + rounding_shift_right(int64_t(cell[nt + t]) * wt, head_frac);
        const int64_t cy = ay + rounding_shift_right(int64_t(cell[2 * nt + t]) * ht, head_frac);
        const int64_t w = rounding_shift_right(wt * fixed_exp(tw, head_frac, 16), 16);  // <= 2^24 * e^6 * 2^16: fits
        const int64_t h = rounding_shift_right(ht * fixed_exp(th, head_frac, 16), 16);
        // Resized pixels -> original pixels: multiply by image / resized per axis.
        Candidate c{};
        c.x0 = clamp_candidate_q8((cx - w / 2) * f.image_w / f.resized_w);
        c.x1 = clamp_candidate_q8((cx + w / 2) * f.image_w / f.resized_w);
        c.y0 = clamp_candidate_q8((cy - h / 2) * f.image_h / f.resized_h);
        c.y1 = clamp_candidate_q8((cy + h / 2) * f.image_h / f.resized_h);
        c.logit = logit;
        heap.push(c);
      }
    }
  }
}

}  // namespace tinyq
