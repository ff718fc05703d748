// AVX-512 (F+BW+VL+DQ) variants: pointwise_conv_avx512 (+ the _dot and _packed forms),
// depthwise_conv3x3_row_avx512, depthwise_conv3x3_avx512 (simd/depthwise3x3.h over
// simd/avx512.h); and the same with AVX512-VNNI: *_avx512vnni. Same exactness argument as avx2.h: 32 int16 per vector, vpmaddwd + vpaddd,
// or one vpdpwssd with VNNI (wrapping int32 adds, equal to vpmaddwd + vpaddd where nothing
// overflows, which the bounds guarantee); with VNNI, int8 x int8 pointwise also runs
// vpdpbusd on bytes (offset activations, avx512_variant.h). Channel tails use masked loads/stores (no scalar
// tail). The code is written once (avx512_variant.h) and compiled for both targets.
#pragma once
#include "config.h"
#if TINYQ_HAVE_AVX512
#include <immintrin.h>

#include "../reference.h"
#include "../simd/avx512.h"
#include "avx2.h"
#include "../simd/common.h"
#include "sse2.h"

// GCC 12 reports its own _mm512_undefined_* placeholders as uninitialized once the
// intrinsics are inlined here (GCC bug 105593); nothing in this file is.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// Below this many pixels, packing the weights per call costs more than the dot-product
// form's horizontal reductions (tunable; both forms are exact).
#ifndef TINYQ_AVX512_PACKED_MIN_PIXELS
#define TINYQ_AVX512_PACKED_MIN_PIXELS 128
#endif
// From this many pixels on, int8 x int8 pointwise runs the vpdpbusd form (VNNI variant),
// which packs its weights per call (with gathers: about 6 ns per 64 bytes of weights here);
// measured faster than the dot form from 4 pixels on (docs/benchmarks.md; tunable, every
// form is exact).
#ifndef TINYQ_AVX512_QUAD_MIN_PIXELS
#define TINYQ_AVX512_QUAD_MIN_PIXELS 4
#endif
namespace tinyq {
constexpr size_t kPackedMinPixels = TINYQ_AVX512_PACKED_MIN_PIXELS;
constexpr size_t kQuadMinPixels = TINYQ_AVX512_QUAD_MIN_PIXELS;
}  // namespace tinyq

#define TINYQ_AVX512_FN(name) TINYQ_CAT(name, TINYQ_CAT(_, TINYQ_AVX512_NS))

// Depthwise (simd/depthwise3x3.h): 16 channels would leave half of every vector
// masked off; the AVX2 kernel runs them.
#define TINYQ_DW_NARROWER avx2
#define TINYQ_DW_USE_NARROWER(channels) ((channels) == 16)

#define TINYQ_AVX512_NS avx512
#define TINYQ_AVX512_SIMD simd::Avx512
#define TINYQ_AVX512_WITH_VNNI 0
TINYQ_TARGET_BEGIN(TINYQ_TARGET_AVX512)
#include "avx512_variant.h"
#define TINYQ_DW_NS avx512
#define TINYQ_DW_SIMD simd::Avx512
#include "../simd/depthwise3x3.h"
#undef TINYQ_DW_NS
#undef TINYQ_DW_SIMD
TINYQ_TARGET_END
#undef TINYQ_AVX512_NS
#undef TINYQ_AVX512_SIMD
#undef TINYQ_AVX512_WITH_VNNI

#if TINYQ_HAVE_AVX512_VNNI
#define TINYQ_AVX512_NS avx512vnni
#define TINYQ_AVX512_SIMD simd::Avx512Vnni
#define TINYQ_AVX512_WITH_VNNI 1
TINYQ_TARGET_BEGIN(TINYQ_TARGET_AVX512_VNNI)
#include "avx512_variant.h"
#define TINYQ_DW_NS avx512vnni
#define TINYQ_DW_SIMD simd::Avx512Vnni
#include "../simd/depthwise3x3.h"
#undef TINYQ_DW_NS
#undef TINYQ_DW_SIMD
TINYQ_TARGET_END
#undef TINYQ_AVX512_NS
#undef TINYQ_AVX512_SIMD
#undef TINYQ_AVX512_WITH_VNNI
#endif
#undef TINYQ_DW_NARROWER
#undef TINYQ_DW_USE_NARROWER

#undef TINYQ_AVX512_FN

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif  // TINYQ_HAVE_AVX512
