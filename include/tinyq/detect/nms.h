// Greedy non-maximum suppression with integer IoU comparisons.
//
// IoU(a, b) > threshold is decided without division:
//   inter / union > thr_q16 / 2^16   <=>   inter * 2^16 > thr_q16 * union
// Coordinates are Q8 pixels inside [kCandidateMinQ8, kCandidateMaxQ8] (decode.h), so
// every difference is formed in int64 from int32 values (< 2^23), areas < 2^46 and both
// products < 2^62: exact in int64.
#pragma once
#include "decode.h"

namespace tinyq {

inline bool iou_exceeds(const Candidate& a, const Candidate& b, int32_t threshold_q16) {
  const int64_t ix0 = a.x0 > b.x0 ? a.x0 : b.x0, iy0 = a.y0 > b.y0 ? a.y0 : b.y0;
  const int64_t ix1 = a.x1 < b.x1 ? a.x1 : b.x1, iy1 = a.y1 < b.y1 ? a.y1 : b.y1;
  const int64_t inter = (ix1 > ix0 && iy1 > iy0) ? (ix1 - ix0) * (iy1 - iy0) : 0;
  const int64_t area_a = (int64_t(a.x1) - a.x0) * (int64_t(a.y1) - a.y0);
  const int64_t area_b = (int64_t(b.x1) - b.x0) * (int64_t(b.y1) - b.y0);
  const int64_t uni = area_a + area_b - inter;
  if (uni <= 0) return false;
  return inter * 65536 > int64_t(threshold_q16) * uni;
}

// `items` sorted by decreasing logit (CandidateHeap::sort_descending). Keeps a
// box unless it overlaps an already kept one by more than the threshold; the
// kept boxes are compacted to the front. Returns how many were kept.
inline int non_max_suppression(Candidate* items, int count, int32_t iou_threshold_q16) {
  int kept = 0;
  for (int i = 0; i < count; ++i) {
    bool suppressed = false;
    for (int k = 0; k < kept && !suppressed; ++k) suppressed = iou_exceeds(items[k], items[i], iou_threshold_q16);
    if (!suppressed) items[kept++] = items[i];
  }
  return kept;
}

}  // namespace tinyq
