// The K210's second hart, parked by the start-up code (start.cpp) until hart 0 hands it a
// task: the bare-metal half of a parallel-for. Protocol, per secondary hart, in a mailbox
// that the image itself initialises (.data: the start-up never clears it, so a hart that
// arrives before hart 0 has zeroed .bss sees a valid mailbox):
//   hart 0:  busy if posted != finished; else writes task and context, then posted + 1
//            (release), then raises the hart's machine software interrupt (CLINT msip).
//   hart h:  clears its msip, reads posted (acquire); if it differs from finished it runs
//            the task and stores finished = posted (release); otherwise it sleeps in wfi
//            until the next msip. Clearing msip before the check means a post that lands
//            after the check leaves msip pending, so the wfi returns at once: no lost wake-up.
// Interrupts stay globally disabled (mstatus.MIE = 0): msip only ends the wfi, no trap is
// taken. A task runs on the hart's own stack (k210.ld: __k210_stack1_*).
#pragma once
#include <stdint.h>

namespace board {

constexpr unsigned kHarts = 2;  // the K210 has two RV64GC harts: 0 runs main, 1 waits for tasks
using HartTask = void (*)(void* context);

// Hands task(context) to hart `hart` (1 on the K210). False if it is not a secondary hart,
// or its previous task has not finished.
bool start_on_hart(unsigned hart, HartTask task, void* context);
// True once every task handed to `hart` has returned.
bool hart_idle(unsigned hart);
// Waits until hart_idle(hart) or max_cycles (mcycle) have passed; returns hart_idle(hart).
bool wait_for_hart(unsigned hart, uint64_t max_cycles);
// True once `hart` has entered its wait loop (it has run the start-up code).
bool hart_parked(unsigned hart);

}  // namespace board
