// riscv64 kernel cost: retired instructions per MAC of each kernel, read from the
// minstret CSR around the call (deterministic under qemu-system-riscv64 -icount shift=0).
// Each kernel's output is checked against the reference first; the run prints "FAIL"
// (and ctest fails) on a wrong output or when instructions/MAC exceed the bound given
// per kernel. Integer-only output (hundredths), no printf float code.
#include <stdio.h>

#include "../common/rng.h"
#include "tinyq/kernels/kernels.h"
#include "tinyq/kernels/packed.h"
#include "tinyq/blocks/inverted_residual.h"

using namespace tinyq;

namespace {

inline uint64_t instret() {
#if defined(__riscv)
  uint64_t v;
  // Zicsr is not in -march (rv64imac): enable it for this one instruction only.
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstret\n.option pop" : "=r"(v));
  return v;
#else
  return 0;  // host build: checks only
#endif
}

void put_u64(uint64_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) putchar(buf[--n]);
}

bool g_ok = true;

// The quantization parameters as the firmware passes them: values the compiler cannot see
// (a constant ConvQuant let GCC specialise the kernels for it, 0.2 - 0.5 instructions per MAC
// below what a model's layers cost).
ConvQuant opaque_quant(const ConvQuant& q) {
  ConvQuant v = q;
  __asm__ volatile("" : : "r"(&v) : "memory");
  return v;
}

// "prefix<a>sep<b>suffix" without printf (keeps its float formatting out of the binary).
char* append(char* p, const char* s) {
  while (*s != '\0') *p++ = *s++;
  *p = '\0';
  return p;
}
char* append(char* p, int v) {
  char buf[12];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *p++ = buf[--n];
  *p = '\0';
  return p;
}

// Prints "<name> macs <n> instructions <n> instr/MAC <x.yy>" and checks the bound (hundredths).
void report(const char* name, uint64_t macs, uint64_t instructions, uint64_t bound_x100, bool output_ok) {
  const uint64_t x100 = (instructions * 100 + macs / 2) / macs;
  fputs(name, stdout);
  fputs(" macs ", stdout);
  put_u64(macs);
  fputs(" instructions ", stdout);
  put_u64(instructions);
  fputs(" instr/MAC ", stdout);
  put_u64(x100 / 100);
  putchar('.');
  putchar(static_cast<char>('0' + (x100 / 10) % 10));
  putchar(static_cast<char>('0' + x100 % 10));
#if defined(__riscv)
  const bool within = x100 <= bound_x100;
#else
  const bool within = true;
  (void)bound_x100;
#endif
  if (!output_ok) fputs("  FAIL: output differs from the reference", stdout);
  if (!within) fputs("  FAIL: above the bound", stdout);
  putchar('\n');
  g_ok = g_ok && output_ok && within;
}

template <typename T>
void fill(tinyq_test::Rng& rng, T* v, int n, int64_t lo, int64_t hi) {
  for (int i = 0; i < n; ++i) v[i] = static_cast<T>(rng.uniform(lo, hi));
}

template <typename T>
bool equal(const T* a, const T* b, int n) {
  for (int i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

constexpr int kMaxAct = 112 * 112 * 48;  // the largest map of the width-0.5 224x224 network
constexpr int kMaxW = 320 * 1280;
int16_t x[kMaxAct], y[kMaxAct], want[kMaxAct], w16[kMaxW];
int8_t w8[kMaxW], x8[kMaxAct], y8[kMaxAct], want8[kMaxAct];
int32_t bias[1280];

// The reference on x, then the dispatched kernel timed by minstret; reports and checks.
template <typename TA, typename TW>
void measure_pointwise(const char* name_in, int hw, int cin, int cout, const TA* xs, const TW* w, const ConvQuant& q,
                       TA* out, TA* expect, uint64_t bound_x100) {
  // the path the scalar kernel takes: int64, SWAR with 2 or 3 lanes per word (kernels/swar.h)
  char name[96];
  char* p = append(name, name_in);
  if (detail::swar_applies<TA, TW>(q, cin, static_cast<size_t>(hw) * hw))
    append(p, detail::swar_lanes<TA, TW>(q, cin, cout) == 3 ? " [swar3]" : " [swar2]");
  const Tensor<const TA> in{xs, hw, hw, cin};
  pointwise_conv_reference(in, w, bias, q, Tensor<TA>{expect, hw, hw, cout});
  const uint64_t t0 = instret();
  pointwise_conv(in, w, bias, opaque_quant(q), Tensor<TA>{out, hw, hw, cout});
  const uint64_t t1 = instret();
  report(name, static_cast<uint64_t>(hw) * hw * cin * cout, t1 - t0, bound_x100, equal(out, expect, hw * hw * cout));
}

// Pointwise weights packed once, as prepare_weights does at model open (kernels/packed.h:
// the SWAR words for the lanes the layer takes, blocks of 4 words for every K).
constexpr int kPreparedCin = 960, kPreparedCout = 160;
alignas(8) unsigned char prepared[(detail::swar_prepacked_words(kPreparedCin, kPreparedCout) + 2) * 8];

// measure_pointwise with the weights packed first (not timed: once per model), `rows` calls
// of 1 x hw pixels (the row-streamed schedule) or, with rows = 0, one call of hw x hw.
template <typename TA, typename TW>
void measure_pointwise_prepared(const char* name_in, int hw, int rows, int cin, int cout, const TA* xs, const TW* w,
                                const ConvQuant& q, TA* out, TA* expect, uint64_t bound_x100) {
  char name[96];
  append(append(name, name_in), detail::swar_lanes<TA, TW>(q, cin, cout) == 3 ? " [swar3]" : " [swar2]");
  const size_t need = pointwise_packed_bytes(cin, cout, sizeof(TW));
  const PackedPointwiseWeights<TW> pw =
      need <= sizeof(prepared) ? pack_pointwise_weights<TA>(w, q, cin, cout, prepared, sizeof(prepared))
                               : PackedPointwiseWeights<TW>{w, nullptr, cin, cout, 0};
  if (pw.packed == nullptr) {  // the build packs nothing, or the buffer is too small: a failure here
    fputs(name, stdout);
    fputs("  FAIL: not packed\n", stdout);
    g_ok = false;
    return;
  }
  const int h = rows == 0 ? hw : rows;
  pointwise_conv_reference(Tensor<const TA>{xs, h, hw, cin}, w, bias, q, Tensor<TA>{expect, h, hw, cout});
  const uint64_t t0 = instret();
  if (rows == 0)
    pointwise_conv(Tensor<const TA>{xs, hw, hw, cin}, pw, bias, opaque_quant(q), Tensor<TA>{out, hw, hw, cout});
  else
    for (int r = 0; r < rows; ++r)
      pointwise_conv(Tensor<const TA>{xs + r * hw * cin, 1, hw, cin}, pw, bias, opaque_quant(q),
                     Tensor<TA>{out + r * hw * cout, 1, hw, cout});
  const uint64_t t1 = instret();
  report(name, static_cast<uint64_t>(h) * hw * cin * cout, t1 - t0, bound_x100, equal(out, expect, h * hw * cout));
}

template <typename TW>
void pointwise_case(const char* name, int hw, int cin, int cout, const TW* w, uint64_t bound_x100) {
  tinyq_test::Rng rng(7);
  fill(rng, x, hw * hw * cin, -1536, 3072);
  ConvQuant q{9, 9, sizeof(TW) == 2 ? 14 : 6, nullptr, 23, true};
  q.weight_l1_bound = weight_l1_bound(w, cout, cin);  // as Graph::build gives it
  measure_pointwise(name, hw, cin, cout, x, w, q, y, want, bound_x100);
}

// 8-bit activations (Q4: ReLU6 range 0..96) and 8-bit weights: the SWAR path (scalar.h).
void pointwise_case_a8(const char* name, int hw, int cin, int cout, uint64_t bound_x100) {
  tinyq_test::Rng rng(9);
  fill(rng, x8, hw * hw * cin, -48, 96);
  ConvQuant q{4, 4, 6, nullptr, 10, true};
  q.weight_l1_bound = weight_l1_bound(w8, cout, cin);
  measure_pointwise(name, hw, cin, cout, x8, w8, q, y8, want8, bound_x100);
}

// 16-bit activations (the range of the shipped models' calibrated formats) and 8-bit weights:
// SWAR with runs of 508 input channels (swar.h).
void pointwise_case_a16w8(const char* name, int hw, int cin, int cout, uint64_t bound_x100) {
  tinyq_test::Rng rng(10);
  fill(rng, x, hw * hw * cin, -32768, 32767);
  ConvQuant q{12, 12, 6, nullptr, 18, false};
  q.weight_l1_bound = weight_l1_bound(w8, cout, cin);
  measure_pointwise(name, hw, cin, cout, x, w8, q, y, want, bound_x100);
}

// The exactness bound at its edge: every product the largest one (x = -2^(b-1), w = -128), so
// every lane sum of a run is the largest the bound allows (int16 x int8: 508 x 2^22 < 2^31).
template <typename TA>
void pointwise_extreme(const char* name, TA* xs, TA* out, TA* expect, int cin) {
  const int hw = 4, cout = 36;
  for (int i = 0; i < hw * hw * cin; ++i) xs[i] = int_limits<TA>::min;
  static int8_t w_min[960 * 36];
  for (auto& v : w_min) v = -128;
  ConvQuant q{0, 0, 0, nullptr, 0, false};
  q.weight_l1_bound = weight_l1_bound(w_min, cout, cin);
  q.output_frac = -(sizeof(TA) == 1 ? 16 : 32);  // shift the sums (~2^24 / ~2^32) into range
  measure_pointwise(name, hw, cin, cout, xs, w_min, q, out, expect, 100000);
}

// How the depthwise kernel is called: the whole tensor in one call (as the layer-by-layer
// bands do: one setup per channel for all rows); one depthwise_conv3x3_row call per output
// row (each call sets every channel up again); or as the row-streamed fused block calls it:
// at stride 2 G output rows per call (depthwise_conv3x3_row_group; G = block_rows_per_step:
// 4 at 28x28, 3 at 56x56, 2 at 112x112) over 2G + 1 input rows one slot apart, a padding row a
// row of zeros (here: the input copied between zero rows, not timed); at stride 1 row by row.
enum class DwCalls { tensor, rows, block };

// The shipped models' padding (every models/*.tqw: TF "SAME": at stride 2 on an even map
// none above and left, one row and column below and right).
constexpr Padding kDwPadding = Padding::tf_same;

constexpr int kPadRows = 2;  // zero rows above and below the copy
int16_t padded16[(112 + 2 * kPadRows) * 112 * 48];
int8_t padded8[(112 + 2 * kPadRows) * 112 * 48];
inline int16_t* padded_copy_buffer(const int16_t*) { return padded16; }
inline int8_t* padded_copy_buffer(const int8_t*) { return padded8; }

template <typename TA, typename TW>
void depthwise_measure(const char* name, int hw, int c, int stride, const TA* xs, const TW* w, const ConvQuant& q,
                       TA* out, TA* expect, uint64_t bound_x100, DwCalls calls = DwCalls::tensor) {
  const int o = conv_output_size(hw, stride);
  const Tensor<const TA> in{xs, hw, hw, c};
  const Tensor<TA> got{out, o, o, c};
  depthwise_conv3x3_reference(in, w, bias, q, stride, kDwPadding, Tensor<TA>{expect, o, o, c});
  for (int i = 0; i < o * o * c; ++i) out[i] = TA(0x55);
  const ConvQuant qo = opaque_quant(q);
  const int pad = padding_before(hw, stride, kDwPadding);
  const ptrdiff_t row_values = static_cast<ptrdiff_t>(hw) * c;
  TA* const padded = padded_copy_buffer(xs);
  for (ptrdiff_t i = 0; i < (hw + 2 * kPadRows) * row_values; ++i) padded[i] = TA(0);
  for (int iy = 0; iy < hw; ++iy)
    for (int i = 0; i < hw * c; ++i) padded[(kPadRows + iy) * row_values + i] = xs[iy * row_values + i];
  const uint64_t t0 = instret();
  if (calls != DwCalls::tensor) {
    const int group = calls == DwCalls::block ? detail::block_rows_per_step(stride, o) : 1;
    for (int oy = 0; oy < o; oy += group) {
      const int iy0 = oy * stride - pad;
      if (group > 1) {
        depthwise_conv3x3_row_group(padded + (iy0 + kPadRows) * row_values, row_values, o - oy < group ? o - oy : group, hw, c, w, bias, qo, stride,
                                    pad, got.row(oy), static_cast<ptrdiff_t>(o) * c, o);
        continue;
      }
      for (int y = oy; y < oy + group && y < o; ++y) {
        const TA* rows[3];
        depthwise_input_rows(in, y, stride, pad, rows);
        depthwise_conv3x3_row(rows, hw, c, w, bias, qo, stride, pad, got.row(y), o);
      }
    }
  } else {
    depthwise_conv3x3(in, w, bias, qo, stride, kDwPadding, got);
  }
  const uint64_t t1 = instret();
  report(name, static_cast<uint64_t>(o) * o * c * 9, t1 - t0, bound_x100, equal(out, expect, o * o * c));
}

void depthwise_case(const char* name, int hw, int c, int stride, uint64_t bound_x100, DwCalls calls = DwCalls::tensor) {
  tinyq_test::Rng rng(8);
  fill(rng, x, hw * hw * c, 0, 3072);
  const ConvQuant q{9, 9, 14, nullptr, 23, true};
  depthwise_measure(name, hw, c, stride, x, w16, q, y, want, bound_x100, calls);
}

// 8-bit activations and weights (two outputs per multiply: scalar.h's SWAR spans).
void depthwise_case_a8(const char* name, int hw, int c, int stride, uint64_t bound_x100, DwCalls calls = DwCalls::tensor) {
  tinyq_test::Rng rng(11);
  fill(rng, x8, hw * hw * c, -128, 127);
  const ConvQuant q{4, 4, 6, nullptr, 10, true};
  depthwise_measure(name, hw, c, stride, x8, w8, q, y8, want8, bound_x100, calls);
}

// 16-bit activations, 8-bit weights (SWAR too: 9 products of 2^22 fit a lane).
void depthwise_case_a16w8(const char* name, int hw, int c, int stride, uint64_t bound_x100, DwCalls calls = DwCalls::tensor) {
  tinyq_test::Rng rng(12);
  fill(rng, x, hw * hw * c, -32768, 32767);
  const ConvQuant q{12, 12, 6, nullptr, 18, false};
  depthwise_measure(name, hw, c, stride, x, w8, q, y, want, bound_x100, calls);
}

}  // namespace

int main() {
  tinyq_test::Rng rng(1);
  fill(rng, w16, kMaxW, -8191, 8191);
  fill(rng, w8, kMaxW, -63, 63);
  fill(rng, bias, 1280, -100000, 100000);

  // Pointwise: the channel counts of the MobileNetV2 layers in docs/benchmarks.md (width 1.0
  // and 0.5) on an 8x8 tile (the cost per MAC hardly depends on the tile size). Bounds
  // (hundredths of an instruction per MAC) are generous regression guards, not targets.
  static const int kPointwise[][3] = {
      {16, 96, 700},  {144, 24, 350}, {64, 384, 400}, {960, 160, 350}, {320, 1280, 350},
      {8, 48, 1000},   {72, 16, 400},  {32, 192, 450}, {480, 80, 350},  {160, 1280, 350}};
  char name[64];
  for (const auto& pw : kPointwise) {
    append(append(append(append(append(name, "pointwise 8x8 "), pw[0]), "->"), pw[1]), " w16");
    pointwise_case(name, 8, pw[0], pw[1], w16, static_cast<uint64_t>(pw[2]));
  }
  pointwise_case("pointwise 8x8 144->24 w8", 8, 144, 24, w8, 350);
  pointwise_case("pointwise 8x8 960->160 w8", 8, 960, 160, w8, 350);
  // 8-bit activations: every layer with K <= 512 by SWAR (two pixels per multiply); 12x12
  // pixels. K = 960 is past the 4-word stack buffer: blocks of 2 words (the "prepared" rows
  // below: 4 words, the weights packed once).
  static const int kPointwise8[][3] = {{16, 96, 450}, {144, 24, 225}, {64, 384, 235}, {320, 1280, 175},
                                       {32, 192, 310}, {480, 80, 180}, {160, 1280, 190}, {960, 160, 320}};
  for (const auto& pw : kPointwise8) {
    append(append(append(append(append(name, "pointwise 12x12 "), pw[0]), "->"), pw[1]), " a8w8");
    pointwise_case_a8(name, 12, pw[0], pw[1], static_cast<uint64_t>(pw[2]));
  }

  // The pointwise layers of the width-0.5 network at 224x224 (expand K < 64, project and
  // head-side K >= 64), at their real map sizes: 8-bit activations and weights (the W8A8
  // model) and 16-bit activations with 8-bit weights (the W8A16 model), both by SWAR.
  static const int kNet[][4] = {{112, 16, 8, 300},  {112, 8, 48, 400},  {56, 48, 16, 200},  {56, 16, 96, 250},
                                {56, 96, 16, 150},  {28, 16, 96, 250},  {28, 96, 16, 150},  {14, 96, 32, 150},
                                {14, 32, 192, 200}, {14, 192, 32, 150}, {14, 192, 48, 150}, {14, 48, 288, 200},
                                {14, 288, 48, 150}};
  for (const auto& l : kNet) {
    char* p = append(append(append(append(append(append(append(name, "pointwise "), l[0]), "x"), l[0]), " "), l[1]), "->");
    append(append(p, l[2]), " a8w8");
    pointwise_case_a8(name, l[0], l[1], l[2], static_cast<uint64_t>(l[3]));
  }
  for (const auto& l : kNet) {
    char* p = append(append(append(append(append(append(append(name, "pointwise "), l[0]), "x"), l[0]), " "), l[1]), "->");
    append(append(p, l[2]), " a16w8");
    // K >= 64 (bound 150): the same 1.50 as for 8-bit activations; the rest 0.20 above theirs
    pointwise_case_a16w8(name, l[0], l[1], l[2], static_cast<uint64_t>(l[3]) + (l[1] >= 64 ? 0 : 20));
  }
  // The row-streamed schedule (the firmware's default) calls each pointwise layer once per
  // output row: the 14x14 layers as 14 calls of 1x14 pixels (the weights packed per call).
  static const int kRows[][3] = {{96, 32, 200}, {32, 192, 250}, {192, 48, 200}, {48, 288, 200}, {288, 48, 200}};
  for (const auto& l : kRows) {
    char* p = append(append(append(append(name, "pointwise 14 rows of 1x14 "), l[0]), "->"), l[1]);
    append(p, " a8w8");
    tinyq_test::Rng rng(13);
    fill(rng, x8, 14 * 14 * l[0], -48, 96);
    ConvQuant q{4, 4, 6, nullptr, 10, true};
    q.weight_l1_bound = weight_l1_bound(w8, l[1], l[0]);
    pointwise_conv_reference(Tensor<const int8_t>{x8, 14, 14, l[0]}, w8, bias, q, Tensor<int8_t>{want8, 14, 14, l[1]});
    const uint64_t t0 = instret();
    for (int r = 0; r < 14; ++r)
      pointwise_conv(Tensor<const int8_t>{x8 + r * 14 * l[0], 1, 14, l[0]}, w8, bias, opaque_quant(q),
                     Tensor<int8_t>{y8 + r * 14 * l[1], 1, 14, l[1]});
    const uint64_t t1 = instret();
    report(name, 196ull * l[0] * l[1], t1 - t0, static_cast<uint64_t>(l[2]), equal(y8, want8, 196 * l[1]));
  }
  // The same with the weights packed once at model open (prepare_weights): the row-streamed
  // calls pack nothing per row, and K = 960 takes blocks of 4 words. K >= 64: bound 1.50.
  for (const auto& l : kRows) {
    char* p = append(append(append(append(name, "pointwise 14 rows of 1x14 "), l[0]), "->"), l[1]);
    append(p, " a8w8 prepared");
    tinyq_test::Rng rng(13);
    fill(rng, x8, 14 * 14 * l[0], -48, 96);
    ConvQuant q{4, 4, 6, nullptr, 10, true};
    q.weight_l1_bound = weight_l1_bound(w8, l[1], l[0]);
    measure_pointwise_prepared(name, 14, 14, l[0], l[1], x8, w8, q, y8, want8, l[0] >= 64 ? 150 : static_cast<uint64_t>(l[2]));
  }
  {
    tinyq_test::Rng r9(9);
    fill(r9, x8, 12 * 12 * 960, -48, 96);
    ConvQuant q{4, 4, 6, nullptr, 10, true};
    q.weight_l1_bound = weight_l1_bound(w8, 160, 960);
    measure_pointwise_prepared("pointwise 12x12 960->160 a8w8 prepared", 12, 0, 960, 160, x8, w8, q, y8, want8, 150);
    tinyq_test::Rng r7(7);
    fill(r7, x, 8 * 8 * 960, -1536, 3072);
    ConvQuant q16{9, 9, 6, nullptr, 23, true};
    q16.weight_l1_bound = weight_l1_bound(w8, 160, 960);
    measure_pointwise_prepared("pointwise 8x8 960->160 a16w8 prepared", 8, 0, 960, 160, x, w8, q16, y, want, 150);
  }
  pointwise_extreme("pointwise 4x4 960->36 a8w8 extreme", x8, y8, want8, 960);
  pointwise_extreme("pointwise 4x4 960->36 a16w8 extreme", x, y, want, 960);
  // three lanes at their edge: 63 products of 2^14 = 1032192 < 2^20 in every lane
  pointwise_extreme("pointwise 4x4 63->36 a8w8 extreme", x8, y8, want8, 63);

  // Depthwise 3x3 (portable scalar kernel on riscv64), stride 1 and 2, 16x16 tiles.
  static const int kDepthwise[][2] = {{32, 1}, {96, 2}, {144, 1}, {384, 1}, {960, 1}, {16, 1}, {48, 2}, {72, 1}};
  for (const auto& dw : kDepthwise) {
    append(append(append(append(name, "depthwise 16x16x"), dw[0]), " s"), dw[1]);
    depthwise_case(name, 16, dw[0], dw[1], 450);
  }

  // The depthwise layers of the width-0.5 network at 224x224 (input map, channels, stride):
  // the whole tensor in one call (the layer-by-layer bands; bound 4.00 per MAC), one call per
  // output row ("rows"; bound 4.20), and as the row-streamed fused block calls the kernel
  // ("block": row pairs at stride 2; bound 4.00).
  static const int kNetDw[][3] = {{112, 16, 1}, {112, 48, 2}, {56, 96, 1}, {56, 96, 2}, {28, 96, 1},
                                  {28, 96, 2},  {14, 192, 1}, {14, 288, 1}};
  static const DwCalls kCalls[] = {DwCalls::tensor, DwCalls::rows, DwCalls::block};
  for (const DwCalls calls : kCalls)
    for (const auto& dw : kNetDw) {
      if (calls == DwCalls::block && dw[2] != 2) continue;  // stride 1: the block's calls are "rows"
      char* p = append(append(append(append(append(append(name, "depthwise "), dw[0]), "x"), dw[0]), "x"), dw[1]);
      const char* how = calls == DwCalls::rows ? " rows" : calls == DwCalls::block ? " block" : "";
      const uint64_t bound = calls == DwCalls::rows ? 420 : 400;
      append(append(append(append(p, " s"), dw[2]), " w16"), how);
      depthwise_case(name, dw[0], dw[1], dw[2], bound, calls);
      append(append(append(append(p, " s"), dw[2]), " a8w8"), how);
      depthwise_case_a8(name, dw[0], dw[1], dw[2], bound, calls);
      append(append(append(append(p, " s"), dw[2]), " a16w8"), how);
      depthwise_case_a16w8(name, dw[0], dw[1], dw[2], bound, calls);
    }

  {  // Stem: 3x3, 3 -> 32 channels, stride 2.
    fill(rng, x, 32 * 32 * 3, -1536, 3072);
    const ConvQuant q{9, 9, 14, nullptr, 23, true};
    const Tensor<const int16_t> in{x, 32, 32, 3};
    conv3x3_reference(in, w16, bias, q, 2, Padding::tf_same, Tensor<int16_t>{want, 16, 16, 32});
    const uint64_t t0 = instret();
    conv3x3(in, w16, bias, opaque_quant(q), 2, Padding::tf_same, Tensor<int16_t>{y, 16, 16, 32});
    const uint64_t t1 = instret();
    report("conv3x3 stem 32x32x3->32 s2", 16ull * 16 * 32 * 27, t1 - t0, 900, equal(y, want, 16 * 16 * 32));
  }
  {  // The width-0.5 stem at 224x224 with 8-bit data (the W8A8 model): im2col + SWAR.
    fill(rng, x8, 224 * 224 * 3, -128, 127);
    const ConvQuant q{7, 4, 6, nullptr, 10, true};
    const Tensor<const int8_t> in{x8, 224, 224, 3};
    conv3x3_reference(in, w8, bias, q, 2, Padding::tf_same, Tensor<int8_t>{want8, 112, 112, 16});
    const uint64_t t0 = instret();
    conv3x3(in, w8, bias, opaque_quant(q), 2, Padding::tf_same, Tensor<int8_t>{y8, 112, 112, 16});
    const uint64_t t1 = instret();
    report("conv3x3 stem 224x224x3->16 s2 a8w8", 112ull * 112 * 16 * 27, t1 - t0, 300, equal(y8, want8, 112 * 112 * 16));
  }
  fputs(g_ok ? "kernel cost OK\n" : "kernel cost FAIL\n", stdout);
  return g_ok ? 0 : 1;
}
