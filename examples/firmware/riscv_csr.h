// Machine-mode CSR reads shared by the riscv boards. Zicsr is implied by Debian's
// picolibc multilibs but not named in -march (adding _zicsr breaks the multilib
// selection), so it is enabled for the one instruction.
#pragma once
#include <stdint.h>

#define TINYQ_CSR_READ(name, out) \
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, " #name "\n.option pop" : "=r"(out))

namespace board {
inline uint64_t csr_mhartid() { uint64_t v; TINYQ_CSR_READ(mhartid, v); return v; }
inline uint64_t csr_mcycle() { uint64_t v; TINYQ_CSR_READ(mcycle, v); return v; }
inline uint64_t csr_minstret() { uint64_t v; TINYQ_CSR_READ(minstret, v); return v; }
inline uintptr_t stack_pointer() { uintptr_t v; __asm__ volatile("mv %0, sp" : "=r"(v)); return v; }
}  // namespace board
