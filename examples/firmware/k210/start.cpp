// Start-up of the K210 image, for both harts. The boot ROM (or `kflash -s`) copies the raw
// binary to 0x80000000 and jumps there (docs/k210.md); k210.ld puts .text.start first, so
// _start is the first instruction of the image. Each hart:
//   - masks interrupts (mie = 0, mstatus.MIE = 0) and points mtvec at k210_trap, which
//     reports the cause on the UARTHS and parks the hart;
//   - loads gp (__global_pointer$, for linker relaxation), tp = 0 (k210.ld asserts there is
//     no thread-local data);
//   - picks its own stack from mhartid (k210.ld: 16-byte aligned, one region per hart).
// Hart 0 zeroes .bss and calls k210_primary_hart (constructors, main, exit); hart 1 calls
// k210_secondary_hart, the task loop of harts.h; any other hart id parks in a wfi loop.
// Written as file-scope assembly so that the project needs no ASM language in CMake.
__asm__(R"(
    .section .text.start, "ax", @progbits
    .option push
    .option arch, +zicsr
    .globl _start
    .type _start, @function
_start:
    csrw  mie, zero
    csrci mstatus, 8
    la    t0, k210_trap
    csrw  mtvec, t0
    .option push
    .option norelax
    la    gp, __global_pointer$
    .option pop
    mv    tp, zero
    csrr  a0, mhartid
    beqz  a0, 1f
    li    t1, 1
    bne   a0, t1, k210_park
    la    sp, __k210_stack1_top
    call  k210_secondary_hart
    j     k210_park
1:  la    sp, __k210_stack0_top
    la    t0, __bss_start
    la    t1, __bss_end
2:  bgeu  t0, t1, 3f
    sd    zero, 0(t0)
    addi  t0, t0, 8
    j     2b
3:  call  k210_primary_hart
    .globl k210_park
k210_park:
    wfi
    j     k210_park

    .align 2
    .globl k210_trap
k210_trap:
    csrr  a0, mcause
    csrr  a1, mepc
    csrr  a2, 0x343          # mtval (mbadaddr in the privileged spec 1.9.1 the K210 follows)
    call  k210_trap_report
    j     k210_park
    .option pop
    .text
)");
