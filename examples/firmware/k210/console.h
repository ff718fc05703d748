// The console under the bare-metal board layer (board_bare_metal.cpp): the only part that
// differs between the K210 board image and its QEMU twin.
//   console_k210.cpp       the K210: UARTHS, clock from SYSCTL; finish() parks the hart
//   console_qemu_virt.cpp  QEMU `virt`: its ns16550 UART; finish() ends QEMU (test device)
// The twin runs the K210 image's start-up, stacks, linker script and hart-1 mailbox under
// `qemu-system-riscv64 -M virt -smp 2` (its RAM also starts at 0x80000000, its CLINT is
// also at 0x02000000); no QEMU machine models the K210's UARTHS or SYSCTL.
#pragma once
#include <stdint.h>

namespace console {

const char* name();          // the board, for the banner
uint64_t init();             // sets up the output; returns the CPU clock it runs at (0: unknown)
void put(char c);
[[noreturn]] void finish(int code);  // after "exit N" has been printed

}  // namespace console
