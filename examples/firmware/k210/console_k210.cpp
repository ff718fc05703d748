// The K210's console: the UARTHS at the CPU clock the boot ROM left (read from SYSCTL),
// transmitting on pin IO5 (the ISP pins IO4/IO5, wired to the USB serial bridge on Sipeed's
// Maix boards). Addresses and register fields from Canaan's kendryte-standalone-sdk
// (docs/k210.md): lib/bsp/include/platform.h (bases), lib/drivers/include/uarths.h
// (UARTHS registers), lib/drivers/uarths.c (divisor), lib/drivers/include/sysctl.h and
// lib/drivers/sysctl.c (PLL0, clk_sel0, clock enables and the CPU clock formula),
// lib/drivers/include/fpioa.h and lib/drivers/fpioa.c (pad registers, UARTHS_TX setting).
#include <stdint.h>

#include "console.h"

extern "C" [[noreturn]] void k210_park();

namespace {

constexpr uintptr_t kUarthsBase = 0x38000000;   // UARTHS_BASE_ADDR
constexpr uintptr_t kUarthsTxdata = 0x00;       // bits 7:0 data, bit 31 "FIFO full"
constexpr uintptr_t kUarthsTxctrl = 0x08;       // bit 0 txen, bit 1 nstop, bits 18:16 txcnt
constexpr uintptr_t kUarthsDiv = 0x18;          // bits 15:0: baud = f_cpu / (div + 1)
constexpr uintptr_t kSysctlBase = 0x50440000;   // SYSCTL_BASE_ADDR
constexpr uintptr_t kSysctlPll0 = 0x08;         // clkr0 3:0, clkf0 9:4, clkod0 13:10
constexpr uintptr_t kSysctlClkSel0 = 0x20;      // aclk_sel bit 0, aclk_divider_sel bits 2:1
constexpr uintptr_t kSysctlClkEnCent = 0x28;    // bit 3 apb0_clk_en (the FPIOA's bus)
constexpr uintptr_t kSysctlClkEnPeri = 0x2C;    // bit 20 fpioa_clk_en
constexpr uintptr_t kFpioaBase = 0x502B0000;    // FPIOA_BASE_ADDR: pad n's config at + 4 n
constexpr unsigned kConsoleTxPin = 5;
// FUNC_UARTHS_TX (19) with the SDK's pad setting for it: ds = 0xf (bits 11:8), oe_en (bit 12).
constexpr uint32_t kPadUarthsTx = 19 | (0xFu << 8) | (1u << 12);

constexpr uint64_t kIn0Hz = 26000000;           // the 26 MHz oscillator (SYSCTRL_CLOCK_FREQ_IN0)
constexpr uint32_t kBaud = 115200;              // the SDK's console rate (uarths_init)
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

}  // namespace

namespace console {

const char* name() { return "k210"; }

uint64_t init() {
  // The pad: FPIOA clocks on (as the SDK's fpioa_init), IO5 = UARTHS_TX (fpioa_set_function).
  reg(kSysctlBase, kSysctlClkEnCent) |= 1u << 3;
  reg(kSysctlBase, kSysctlClkEnPeri) |= 1u << 20;
  reg(kFpioaBase, 4 * kConsoleTxPin) = kPadUarthsTx;
  const uint64_t hz = cpu_hz();
  reg(kUarthsBase, kUarthsDiv) = uint32_t(hz / kBaud - 1) & 0xFFFF;  // as the SDK's uarths_init
  reg(kUarthsBase, kUarthsTxctrl) = 1;                                // txen, one stop bit
  return hz;
}

void put(char c) {
  while (reg(kUarthsBase, kUarthsTxdata) & 0x80000000u) {
  }
  reg(kUarthsBase, kUarthsTxdata) = uint8_t(c);
}

void finish(int) { k210_park(); }  // nothing to return to: the hart sleeps

}  // namespace console
