// Freestanding digest runner: runs the shared test vectors through tinyq and
// prints one FNV-1a digest per section. Built for the host and for riscv64
// (rv64imac and rv64imafc, under QEMU); ctest requires all digests to be equal,
// which is tinyq's bit-exactness promise across platforms.
// Uses only <stdint.h>/<stdio.h>-level C headers (no libstdc++ on riscv64-unknown-elf).
#include <stdio.h>

#include "digest_core.h"
#include "digest_detect.h"
#include "digest_kernels.h"
#include "digest_model.h"

namespace {

void print_digest(const char* section, uint64_t value) {
  // Hand-rolled hex: keeps printf (and its float formatting code) out of the binary.
  char hex[17];
  for (int i = 0; i < 16; ++i) hex[i] = "0123456789abcdef"[(value >> (60 - 4 * i)) & 0xF];
  hex[16] = '\0';
  fputs("digest ", stdout);
  fputs(section, stdout);
  fputs(" ", stdout);
  fputs(hex, stdout);
  fputs("\n", stdout);
}

template <typename Section>
uint64_t run_section(const char* name, Section section, tinyq_test::Digest& all) {
  tinyq_test::Digest d;
  section(d);
  print_digest(name, d.value());
  all.add(static_cast<int64_t>(d.value()));
  return d.value();
}

}  // namespace

int main() {
  tinyq_test::Digest all;
  run_section("core", digest_core, all);
  run_section("kernels", digest_kernels, all);
  run_section("model", digest_model, all);
  run_section("detect", digest_detect, all);
  print_digest("all", all.value());
  return 0;
}
