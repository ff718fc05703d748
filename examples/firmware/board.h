// The board layer of the firmware example: the few things the application needs from the
// machine it runs on. One implementation per board:
//   board_stdio.cpp      host, and QEMU `virt` through picolibc semihosting
//   k210/board_k210.cpp  the Kendryte K210 (UARTHS output, both harts, no libc I/O)
// The application (main.cpp) is the same on every board.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "tinyq/core/parallel.h"

namespace board {

void put(const char* text);  // text output (stdout, or the K210's UARTHS)
[[noreturn]] void exit(int code);
unsigned hart_id();          // mhartid on riscv, 0 on the host
uint64_t cycles();           // mcycle on riscv (0 on the host)
uint64_t instructions();     // minstret on riscv (0 on the host)

// Stack high-water mark of the calling hart: paint_stack() fills the unused part of the
// stack with a pattern, stack_used() returns the deepest byte written since, counted from
// the stack top (0 where the board cannot measure: the host).
void paint_stack();
size_t stack_used();

// The detector's parallel-for on this board (tinyq/core/parallel.h), nullptr on the host
// and the QEMU virt firmware. On the K210 image hart 1 takes the upper half of every job's
// parts while hart 0 runs the lower half; when hart 1 did not answer at start-up the same
// split runs on hart 0, with hart 1's share counted apart.
const tinyq::ParallelFor* parallel_for();
bool second_hart_running();
// minstret around hart 1's share of the parts (0 without parallel_for). Under QEMU's
// -icount, minstret is one global count over all harts: only the one-hart split run
// measures the share exactly.
uint64_t helper_hart_instructions();

}  // namespace board
