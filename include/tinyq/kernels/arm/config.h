// Whether this translation unit is compiled for aarch64 with NEON (Advanced SIMD is part
// of the armv8-a baseline, so every aarch64 compiler defines __ARM_NEON). TINYQ_NO_SIMD
// turns it off, as on x86-64, leaving the portable scalar kernels.
#pragma once

#if defined(__aarch64__) && defined(__ARM_NEON) && !defined(TINYQ_NO_SIMD)
#define TINYQ_HAVE_NEON 1
#else
#define TINYQ_HAVE_NEON 0
#endif
