// Which x86-64 SIMD variants a translation unit compiles, and which one runs.
//
// Run-time dispatch (the default on x86-64 with GCC or Clang): every variant is compiled in
// every translation unit, whatever its -m flags: the SSE2 code needs nothing beyond the
// x86-64 baseline, and the AVX2 / AVX-512 / AVX-512 VNNI code sits between
// TINYQ_TARGET_BEGIN_* / TINYQ_TARGET_END, which give each of those functions its own
// target attribute. The dispatchers (kernels.h, packed.h) ask cpu_has_*() at every call
// (a read of the compiler runtime's CPU model, filled in before main; tinyq itself keeps
// no state) and run the best variant the CPU has. Because no function's body depends on
// the translation unit's -m flags, translation units built with different flags cannot get
// different bodies of one inline function (no ODR hazard), and a baseline x86-64 binary
// runs AVX-512 code where the CPU has it.
//
// Compile-time pin (-DTINYQ_SIMD_PIN): only the levels the compiler flags enable are
// compiled, the best of them always runs, and no CPU query is made (firmware-style builds,
// and the per-level test builds, which must run the level they were built for).
// TINYQ_NO_SIMD: no x86 SIMD at all (the portable scalar kernels).
//
// Everything x86 sits behind these macros, so the headers stay freestanding for riscv64.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TINYQ_NO_SIMD)
#define TINYQ_X86_SIMD 1
#else
#define TINYQ_X86_SIMD 0
#endif

#if TINYQ_X86_SIMD && !defined(TINYQ_SIMD_PIN)
#define TINYQ_RUNTIME_DISPATCH 1
#else
#define TINYQ_RUNTIME_DISPATCH 0
#endif

// Compiled in: run-time dispatch compiles every level; a pin only the flags' levels.
#if TINYQ_RUNTIME_DISPATCH || (TINYQ_X86_SIMD && defined(__SSE2__))
#define TINYQ_HAVE_SSE2 1
#else
#define TINYQ_HAVE_SSE2 0
#endif
#if TINYQ_RUNTIME_DISPATCH || (TINYQ_X86_SIMD && defined(__AVX2__))
#define TINYQ_HAVE_AVX2 1
#else
#define TINYQ_HAVE_AVX2 0
#endif
#if TINYQ_RUNTIME_DISPATCH || \
    (TINYQ_X86_SIMD && defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__))
#define TINYQ_HAVE_AVX512 1
#else
#define TINYQ_HAVE_AVX512 0
#endif
#if TINYQ_RUNTIME_DISPATCH || (TINYQ_HAVE_AVX512 && defined(__AVX512VNNI__))
#define TINYQ_HAVE_AVX512_VNNI 1
#else
#define TINYQ_HAVE_AVX512_VNNI 0
#endif

// Target regions. The target strings name instruction sets only (no arch=/tune=), so the
// baseline helpers of quant.h and scalar.h still inline into the SIMD code.
#define TINYQ_TARGET_AVX2 "avx2"
#define TINYQ_TARGET_AVX512 "avx512f,avx512bw,avx512vl,avx512dq"
#define TINYQ_TARGET_AVX512_VNNI "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"
#if defined(__clang__)
#define TINYQ_PRAGMA(x) _Pragma(#x)
#define TINYQ_TARGET_BEGIN(isa) TINYQ_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define TINYQ_TARGET_END _Pragma("clang attribute pop")
#elif defined(__GNUC__)
#define TINYQ_PRAGMA(x) _Pragma(#x)
#define TINYQ_TARGET_BEGIN(isa) _Pragma("GCC push_options") TINYQ_PRAGMA(GCC target(isa))
#define TINYQ_TARGET_END _Pragma("GCC pop_options")
#endif

namespace tinyq {

// Whether this CPU runs a level. Under a pin the answer is the compile-time one.
#if TINYQ_RUNTIME_DISPATCH
inline bool cpu_has_avx2() { return __builtin_cpu_supports("avx2"); }
inline bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
inline bool cpu_has_avx512_vnni() { return cpu_has_avx512() && __builtin_cpu_supports("avx512vnni"); }
#else
constexpr bool cpu_has_avx2() { return TINYQ_HAVE_AVX2; }
constexpr bool cpu_has_avx512() { return TINYQ_HAVE_AVX512; }
constexpr bool cpu_has_avx512_vnni() { return TINYQ_HAVE_AVX512_VNNI; }
#endif

// The level the dispatchers run on this CPU: "avx512_vnni", "avx512", "avx2", "sse2", or
// "portable" (no x86 SIMD compiled).
inline const char* x86_simd_level() {
  if (TINYQ_HAVE_AVX512_VNNI && cpu_has_avx512_vnni()) return "avx512_vnni";
  if (TINYQ_HAVE_AVX512 && cpu_has_avx512()) return "avx512";
  if (TINYQ_HAVE_AVX2 && cpu_has_avx2()) return "avx2";
  if (TINYQ_HAVE_SSE2) return "sse2";
  return "portable";
}

}  // namespace tinyq
