// Board layer on stdio: the host build, and QEMU `virt` where picolibc's semihosting
// crt0 and stdio carry the output to the host terminal.
#include <stdio.h>
#include <stdlib.h>

#include "board.h"
#if defined(__riscv)
#include "riscv_csr.h"
#endif

namespace board {

void put(const char* text) { fputs(text, stdout); }
void exit(int code) { ::exit(code); }

#if defined(__riscv)
unsigned hart_id() { return unsigned(csr_mhartid()); }
const tinyq::ParallelFor* parallel_for() { return nullptr; }
bool second_hart_running() { return false; }
uint64_t helper_hart_instructions() { return 0; }
uint64_t cycles() { return csr_mcycle(); }
uint64_t instructions() { return csr_minstret(); }

// picolibc.ld puts the stack at the top of RAM (__stack) above the heap (from __end).
// The paint covers at most 1 MiB below the caller's frame: far more than detect() needs.
extern "C" char __stack[], __end[];
namespace {
constexpr uint64_t kPaint = 0x5AC4C0DE5AC4C0DEull;
constexpr uintptr_t kWindow = 1u << 20, kGuard = 1024;
uintptr_t painted_bottom = 0;
}  // namespace
void paint_stack() {
  const uintptr_t sp = stack_pointer() & ~uintptr_t(7);
  uintptr_t bottom = sp - kWindow;
  if (bottom < uintptr_t(__end)) bottom = (uintptr_t(__end) + 7) & ~uintptr_t(7);
  for (volatile uint64_t* p = reinterpret_cast<volatile uint64_t*>(bottom); uintptr_t(p) < sp - kGuard; ++p) *p = kPaint;
  painted_bottom = bottom;
}
size_t stack_used() {
  if (!painted_bottom) return 0;
  const volatile uint64_t* p = reinterpret_cast<const volatile uint64_t*>(painted_bottom);
  while (*p == kPaint) ++p;
  return size_t(uintptr_t(__stack) - uintptr_t(p));
}
#else
unsigned hart_id() { return 0; }
const tinyq::ParallelFor* parallel_for() { return nullptr; }
bool second_hart_running() { return false; }
uint64_t helper_hart_instructions() { return 0; }
uint64_t cycles() { return 0; }
uint64_t instructions() { return 0; }
void paint_stack() {}
size_t stack_used() { return 0; }
#endif

}  // namespace board
