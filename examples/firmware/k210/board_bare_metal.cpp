// Bare-metal board layer of the K210 image (board.h, harts.h): output through the console
// (console.h: the K210's UARTHS, or QEMU virt's UART in the image's QEMU twin), counters
// from the machine CSRs, the second hart's task loop, exit and trap reports. No semihosting
// and no libc I/O. The CLINT address is from Canaan's kendryte-standalone-sdk
// (lib/bsp/include/platform.h, lib/drivers/include/clint.h; docs/k210.md).
#include <stddef.h>
#include <stdint.h>

#include "../board.h"
#include "../riscv_csr.h"
#include "console.h"
#include "harts.h"

namespace {

constexpr uintptr_t kClintMsip = 0x02000000;  // CLINT_BASE_ADDR: msip of hart h at + 4 h

void put_hex(uint64_t v) {
  board::put("0x");
  char hex[17];
  for (int i = 0; i < 16; ++i) hex[i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xF];
  hex[16] = 0;
  board::put(hex);
}

void put_dec(uint64_t v) {
  char buf[21];
  int n = 0;
  do { buf[n++] = char('0' + v % 10); v /= 10; } while (v);
  char out[21];
  for (int i = 0; i < n; ++i) out[i] = buf[n - 1 - i];
  out[n] = 0;
  board::put(out);
}

// ---- the secondary harts' mailboxes (harts.h). In .data, so the image initialises them.
struct HartMailbox {
  board::HartTask task;
  void* context;
  uint64_t posted;    // tasks handed over (written by hart 0)
  uint64_t finished;  // tasks done (written by the secondary hart)
  uint64_t parked;    // 1 once the secondary hart is in its loop
};
__attribute__((section(".data.hart_mailbox"))) HartMailbox mailboxes[board::kHarts];

void clear_msip(unsigned hart) { *reinterpret_cast<volatile uint32_t*>(kClintMsip + 4 * hart) = 0; }
void raise_msip(unsigned hart) { *reinterpret_cast<volatile uint32_t*>(kClintMsip + 4 * hart) = 1; }

// Hart 0's self-test of the mailbox: hart 1 writes its mhartid here.
volatile uint64_t hart1_probe = ~uint64_t(0);
void probe_task(void*) { hart1_probe = board::hart_id(); }

}  // namespace

// ---- k210.ld symbols
extern "C" char __k210_stack0_bottom[], __k210_stack0_top[], __k210_stack1_bottom[], __k210_stack1_top[];
extern "C" void (*__init_array_start[])(), (*__init_array_end[])();
int main();

namespace board {

void put(const char* text) {
  for (; *text; ++text) {
    if (*text == '\n') console::put('\r');
    console::put(*text);
  }
}

void exit(int code) {
  put("exit ");
  put_dec(uint64_t(code < 0 ? -int64_t(code) : code));
  put(code < 0 ? " (negative)\n" : "\n");
  console::finish(code);
}

unsigned hart_id() { return unsigned(csr_mhartid()); }
uint64_t cycles() { return csr_mcycle(); }
uint64_t instructions() { return csr_minstret(); }

namespace {
constexpr uint64_t kPaint = 0x5AC4C0DE5AC4C0DEull;
// The calling hart's stack region (k210.ld), [bottom, top).
void own_stack(uintptr_t* bottom, uintptr_t* top) {
  const bool first = hart_id() == 0;
  *bottom = uintptr_t(first ? __k210_stack0_bottom : __k210_stack1_bottom);
  *top = uintptr_t(first ? __k210_stack0_top : __k210_stack1_top);
}
}  // namespace
// Paints the calling hart's stack region below the caller's frame (256 bytes spare).
void paint_stack() {
  uintptr_t bottom = 0, top = 0;
  own_stack(&bottom, &top);
  const uintptr_t sp = stack_pointer() & ~uintptr_t(7);
  for (volatile uint64_t* p = reinterpret_cast<volatile uint64_t*>(bottom); uintptr_t(p) + 256 < sp; ++p) *p = kPaint;
}
size_t stack_used() {
  uintptr_t bottom = 0, top = 0;
  own_stack(&bottom, &top);
  const volatile uint64_t* p = reinterpret_cast<const volatile uint64_t*>(bottom);
  while (uintptr_t(p) < top && *p == kPaint) ++p;
  return size_t(top - uintptr_t(p));
}

bool start_on_hart(unsigned hart, HartTask task, void* context) {
  if (hart == 0 || hart >= kHarts || !task || !hart_idle(hart)) return false;
  HartMailbox& m = mailboxes[hart];
  m.task = task;
  m.context = context;
  __atomic_store_n(&m.posted, m.posted + 1, __ATOMIC_RELEASE);
  raise_msip(hart);
  return true;
}

bool hart_idle(unsigned hart) {
  if (hart == 0 || hart >= kHarts) return false;
  HartMailbox& m = mailboxes[hart];
  return __atomic_load_n(&m.finished, __ATOMIC_ACQUIRE) == __atomic_load_n(&m.posted, __ATOMIC_RELAXED);
}

bool wait_for_hart(unsigned hart, uint64_t max_cycles) {
  const uint64_t start = cycles();
  while (!hart_idle(hart) && cycles() - start < max_cycles) {
  }
  return hart_idle(hart);
}

// ---- the two-hart parallel-for: hart 1 runs parts [n/2, n), hart 0 parts [0, n/2). Each
// part is independent (core/parallel.h), so the split decides only which hart computes it.
namespace {
bool hart1_answers = false;     // set by the start-up probe (k210_primary_hart)
uint64_t hart1_instructions = 0;  // written by hart 1, read by hart 0 after wait (acquire)
struct HartJob {
  void (*task)(void*, int);
  void* ctx;
  int begin, end;
};
HartJob hart1_job;
void run_hart1_parts(void* p) {
  const HartJob& j = *static_cast<const HartJob*>(p);
  const uint64_t start = instructions();
  for (int i = j.begin; i < j.end; ++i) j.task(j.ctx, i);
  hart1_instructions += instructions() - start;
}
// Hart 0 waits in wfi, woken by the msip hart 1 raises when it finishes (clearing msip
// before the check, so a late wake-up stays pending: no lost wake-up). Sleeping instead of
// spinning also lets QEMU's round-robin switch to hart 1 at once.
void two_harts_run(void*, int n, void (*task)(void*, int), void* ctx) {
  const int half = n / 2;
  hart1_job = HartJob{task, ctx, half, n};
  const bool on_hart1 = half < n && start_on_hart(1, run_hart1_parts, &hart1_job);
  const int mine = on_hart1 ? half : n;
  for (int i = 0; i < mine; ++i) task(ctx, i);
  if (!on_hart1) return;
  for (;;) {
    clear_msip(0);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (hart_idle(1)) return;
    __asm__ volatile("wfi");
  }
}
// One part per hart (a static split over two equal harts needs no more to balance; each
// kernel call sets its channels up once per part, so fewer parts cost fewer instructions).
const tinyq::ParallelFor two_harts{two_harts_run, nullptr, 2, 1};

// Without hart 1 (QEMU -smp 1): the same split run on hart 0, hart 1's parts counted
// apart. QEMU's icount gives one global minstret for all harts, so this one-hart run is
// where the instructions of each hart's share are measured.
void split_on_one_hart(void*, int n, void (*task)(void*, int), void* ctx) {
  const int half = n / 2;
  for (int i = 0; i < half; ++i) task(ctx, i);
  const uint64_t start = instructions();
  for (int i = half; i < n; ++i) task(ctx, i);
  hart1_instructions += instructions() - start;
}
const tinyq::ParallelFor one_hart_split{split_on_one_hart, nullptr, 2, 1};
}  // namespace

const tinyq::ParallelFor* parallel_for() { return hart1_answers ? &two_harts : &one_hart_split; }
uint64_t helper_hart_instructions() { return hart1_instructions; }
bool second_hart_running() { return hart1_answers; }

bool hart_parked(unsigned hart) {
  return hart > 0 && hart < kHarts && __atomic_load_n(&mailboxes[hart].parked, __ATOMIC_ACQUIRE) != 0;
}

}  // namespace board

// Hart 1 (start.cpp): the task loop of harts.h. mie.MSIE lets msip end the wfi; with
// mstatus.MIE = 0 no trap is taken.
extern "C" [[noreturn]] void k210_secondary_hart() {
  const unsigned hart = board::hart_id();
  HartMailbox& m = mailboxes[hart];
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrs mie, %0\n.option pop" ::"r"(uint64_t(8)));
  __atomic_store_n(&m.parked, uint64_t(1), __ATOMIC_RELEASE);
  for (;;) {
    clear_msip(hart);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    const uint64_t posted = __atomic_load_n(&m.posted, __ATOMIC_ACQUIRE);
    if (posted != m.finished) {
      m.task(m.context);
      __atomic_store_n(&m.finished, posted, __ATOMIC_RELEASE);
      raise_msip(0);  // wakes hart 0 if it sleeps in two_harts_run
      continue;
    }
    __asm__ volatile("wfi");
  }
}

// Hart 0 (start.cpp): console, constructors, the hart-1 probe, main, exit.
extern "C" [[noreturn]] void k210_primary_hart() {
  const uint64_t hz = console::init();
  board::put("tinyq firmware on ");
  board::put(console::name());
  board::put(": cpu clock ");
  if (hz) {
    put_dec(hz);
    board::put(" Hz\n");
  } else {
    board::put("not known\n");
  }
  for (void (**ctor)() = __init_array_start; ctor < __init_array_end; ++ctor) (*ctor)();
  // Release hart 1 if the boot ROM holds it until a software interrupt, then check that it
  // runs a task (at most ~1 s at 390 MHz; the result is only reported).
  raise_msip(1);
  const bool ran = board::start_on_hart(1, probe_task, nullptr) && board::wait_for_hart(1, 400000000);
  board::put(ran && hart1_probe == 1 ? "hart 1: parked, ran a task\n" : "hart 1: did not answer\n");
  board::hart1_answers = ran && hart1_probe == 1;
  // mie.MSIE on hart 0 too: its msip (raised by hart 1 after each task) ends its wfi in
  // two_harts_run; mstatus.MIE stays 0, so no trap is taken.
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrs mie, %0\n.option pop" ::"r"(uint64_t(8)));
  board::exit(main());
}

// A trap (start.cpp's mtvec): its cause on the console, then exit 127.
extern "C" [[noreturn]] void k210_trap_report(uint64_t mcause, uint64_t mepc, uint64_t mtval) {
  board::put("\ntrap on hart ");
  put_dec(board::hart_id());
  board::put(": mcause ");
  put_hex(mcause);
  board::put(" mepc ");
  put_hex(mepc);
  board::put(" mtval ");
  put_hex(mtval);
  board::put("\n");
  board::exit(127);
}
