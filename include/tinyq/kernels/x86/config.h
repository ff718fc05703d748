// Which x86 SIMD levels this translation unit is compiled for (from the compiler's
// -m flags; no runtime dispatch). Everything x86 sits behind these macros, so the
// headers stay freestanding for riscv64.
#pragma once

#if defined(__SSE2__) && !defined(TINYQ_NO_SIMD)
#define TINYQ_HAVE_SSE2 1
#else
#define TINYQ_HAVE_SSE2 0
#endif

#if defined(__AVX2__) && !defined(TINYQ_NO_SIMD)
#define TINYQ_HAVE_AVX2 1
#else
#define TINYQ_HAVE_AVX2 0
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && !defined(TINYQ_NO_SIMD)
#define TINYQ_HAVE_AVX512 1
#else
#define TINYQ_HAVE_AVX512 0
#endif

#if TINYQ_HAVE_AVX512 && defined(__AVX512VNNI__)
#define TINYQ_HAVE_AVX512_VNNI 1
#else
#define TINYQ_HAVE_AVX512_VNNI 0
#endif
