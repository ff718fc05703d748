#!/usr/bin/env bash
# Integer-only proof for a riscv64 ELF: fails if the binary contains any
# floating-point instruction (F/D extension) or references a soft-float helper
# from libgcc (__addsf3, __muldf3, __floatsisf, __fixdfsi, __extendsfdf2, ...).
# usage: check_integer_only.sh OBJDUMP NM ELF
set -euo pipefail
objdump=$1 nm=$2 elf=$3
[ -f "$elf" ] || { echo "no such file: $elf"; exit 2; }

# F/D instructions: loads/stores, arithmetic, conversions, moves, compares, fused ops.
fp_insn='^\s*[0-9a-f]+:\s+[0-9a-f]+\s+(c\.)?(fl[wd]|fs[wd]|fl[wd]sp|fs[wd]sp|fadd|fsub|fmul|fdiv|fsqrt|fmin|fmax|fsgnj|fcvt|fmv|feq|flt|fle|fclass|fn?m(add|sub)|frcsr|fscsr|frrm|fsrm|frflags|fsflags)[.[:space:]]'
# libgcc soft-float routines: __<op><mode>f<n> for SF/DF/TF modes.
soft_sym='__(add|sub|mul|div|neg|cmp|eq|ne|lt|le|gt|ge|unord|float(un)?[sdt]i|fix(uns)?[sdt]f|extend|trunc|pow)[a-z]*[sdt]f[0-9]?\b'

insns=$("$objdump" -d --no-show-raw-insn "$elf" 2>/dev/null | grep -E '^\s*[0-9a-f]+:' | \
        awk '{print $1, "0", $2, $3}' | grep -E "$fp_insn" || true)
syms=$("$nm" "$elf" | grep -E "$soft_sym" || true)
if [ -n "$insns" ] || [ -n "$syms" ]; then
  echo "FAIL: $elf is not integer-only"
  [ -n "$insns" ] && { echo "floating-point instructions ($(wc -l <<<"$insns")):"; head -20 <<<"$insns"; }
  [ -n "$syms" ] && { echo "soft-float helpers:"; echo "$syms"; }
  exit 1
fi
echo "OK: $elf has no floating-point instruction and no soft-float helper ($("$objdump" -d "$elf" | grep -cE '^\s*[0-9a-f]+:') instructions checked)"
