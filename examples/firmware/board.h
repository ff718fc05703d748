// The board layer of the firmware example: the few things the application needs from the
// machine it runs on. One implementation per board:
//   board_stdio.cpp      host, and QEMU `virt` through picolibc semihosting
//   k210/board_k210.cpp  the Kendryte K210 (UARTHS output, both harts, no libc I/O)
// The application (main.cpp) is the same on every board.
#pragma once
#include <stddef.h>
#include <stdint.h>

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

}  // namespace board
