// Board layer of the Kendryte K210 (board.h, harts.h): output on the UARTHS, counters from
// the machine CSRs, the second hart's task loop, exit and trap reports. No semihosting and
// no libc I/O. Every address and register field below is taken from Canaan's
// kendryte-standalone-sdk; docs/k210.md cites the file for each.
#include <stddef.h>
#include <stdint.h>

#include "../board.h"
#include "../riscv_csr.h"
#include "harts.h"

namespace {

// ---- memory-mapped registers (all 32-bit)
constexpr uintptr_t kUarthsBase = 0x38000000;   // UARTHS_BASE_ADDR
constexpr uintptr_t kUarthsTxdata = 0x00;       // bits 7:0 data, bit 31 "FIFO full"
constexpr uintptr_t kUarthsTxctrl = 0x08;       // bit 0 txen, bit 1 nstop, bits 18:16 txcnt
constexpr uintptr_t kUarthsDiv = 0x18;          // bits 15:0: baud = f_cpu / (div + 1)
constexpr uintptr_t kSysctlBase = 0x50440000;   // SYSCTL_BASE_ADDR
constexpr uintptr_t kSysctlPll0 = 0x08;         // clkr0 3:0, clkf0 9:4, clkod0 13:10
constexpr uintptr_t kSysctlClkSel0 = 0x20;      // aclk_sel bit 0, aclk_divider_sel bits 2:1
constexpr uintptr_t kClintMsip = 0x02000000;    // CLINT_BASE_ADDR: msip of hart h at + 4 h

constexpr uint64_t kIn0Hz = 26000000;           // the 26 MHz oscillator (SYSCTRL_CLOCK_FREQ_IN0)
constexpr uint32_t kBaud = 115200;              // the SDK's default console rate
// If the SYSCTL registers give an implausible clock, assume the 390 MHz that the first
// K210 device tree in Linux states for the CPU (clock-frequency = <390000000>).
constexpr uint64_t kAssumedCpuHz = 390000000;

volatile uint32_t& reg(uintptr_t base, uintptr_t offset) {
  return *reinterpret_cast<volatile uint32_t*>(base + offset);
}

// The CPU clock as the SDK's sysctl_clock_get_freq(SYSCTL_CLOCK_CPU) computes it:
// aclk_sel = 0: IN0; aclk_sel = 1: PLL0 / (2 << aclk_divider_sel), with
// PLL0 = IN0 / (clkr0 + 1) * (clkf0 + 1) / (clkod0 + 1). The image leaves the PLLs as the
// boot ROM set them.
uint64_t cpu_hz() {
  const uint32_t sel = reg(kSysctlBase, kSysctlClkSel0), pll0 = reg(kSysctlBase, kSysctlPll0);
  uint64_t hz = kIn0Hz;
  if (sel & 1) {
    const uint64_t nr = (pll0 & 0xF) + 1, nf = ((pll0 >> 4) & 0x3F) + 1, od = ((pll0 >> 10) & 0xF) + 1;
    hz = kIn0Hz / nr * nf / od / (uint64_t(2) << ((sel >> 1) & 3));
  }
  return hz < kIn0Hz || hz > 800000000 ? kAssumedCpuHz : hz;
}

void uart_init(uint64_t hz) {
  reg(kUarthsBase, kUarthsDiv) = uint32_t(hz / kBaud - 1) & 0xFFFF;  // as the SDK's uarths_init
  reg(kUarthsBase, kUarthsTxctrl) = 1;                                // txen, one stop bit
}

void uart_put(char c) {
  while (reg(kUarthsBase, kUarthsTxdata) & 0x80000000u) {
  }
  reg(kUarthsBase, kUarthsTxdata) = uint8_t(c);
}

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
extern "C" char __k210_stack0_bottom[], __k210_stack0_top[];
extern "C" void (*__init_array_start[])(), (*__init_array_end[])();
extern "C" [[noreturn]] void k210_park();
int main();

namespace board {

void put(const char* text) {
  for (; *text; ++text) {
    if (*text == '\n') uart_put('\r');
    uart_put(*text);
  }
}

void exit(int code) {
  put("exit ");
  put_dec(uint64_t(code < 0 ? -int64_t(code) : code));
  put(code < 0 ? " (negative)\n" : "\n");
  k210_park();
}

unsigned hart_id() { return unsigned(csr_mhartid()); }
uint64_t cycles() { return csr_mcycle(); }
uint64_t instructions() { return csr_minstret(); }

namespace {
constexpr uint64_t kPaint = 0x5AC4C0DE5AC4C0DEull;
}
// Hart 0's stack is the region k210.ld reserves: paint all of it below the caller's frame.
void paint_stack() {
  const uintptr_t sp = stack_pointer() & ~uintptr_t(7);
  for (volatile uint64_t* p = reinterpret_cast<volatile uint64_t*>(__k210_stack0_bottom); uintptr_t(p) < sp - 256; ++p)
    *p = kPaint;
}
size_t stack_used() {
  const volatile uint64_t* p = reinterpret_cast<const volatile uint64_t*>(__k210_stack0_bottom);
  while (uintptr_t(p) < uintptr_t(__k210_stack0_top) && *p == kPaint) ++p;
  return size_t(uintptr_t(__k210_stack0_top) - uintptr_t(p));
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
      continue;
    }
    __asm__ volatile("wfi");
  }
}

// Hart 0 (start.cpp): UARTHS, constructors, the hart-1 probe, main, exit.
extern "C" [[noreturn]] void k210_primary_hart() {
  const uint64_t hz = cpu_hz();
  uart_init(hz);
  board::put("tinyq k210: cpu ");
  put_dec(hz);
  board::put(" Hz, UARTHS 115200 baud\n");
  for (void (**ctor)() = __init_array_start; ctor < __init_array_end; ++ctor) (*ctor)();
  // Release hart 1 if the boot ROM holds it until a software interrupt, then check that it
  // runs a task (~0.1 s at 390 MHz at most; the result is only reported).
  raise_msip(1);
  const bool ran = board::start_on_hart(1, probe_task, nullptr) && board::wait_for_hart(1, 40000000);
  board::put(ran && hart1_probe == 1 ? "hart 1: parked, ran a task\n" : "hart 1: did not answer\n");
  board::exit(main());
}

extern "C" void k210_trap_report(uint64_t mcause, uint64_t mepc, uint64_t mtval) {
  board::put("\ntrap on hart ");
  put_dec(board::hart_id());
  board::put(": mcause ");
  put_hex(mcause);
  board::put(" mepc ");
  put_hex(mepc);
  board::put(" mtval ");
  put_hex(mtval);
  board::put("\n");
}
