#!/usr/bin/env bash
# Checks a K210 board image against the K210's memory map and prints its size table.
# usage: check_k210_image.sh READELF NM OBJDUMP ELF BIN DATA_DIR FRAME_SIDE
#   ELF         the linked image (examples/firmware/k210/k210.ld)
#   BIN         its raw binary (objcopy -O binary), what kflash writes
#   DATA_DIR    the headers it embeds (tinyq-embed): firmware_image.h (frame width, height)
#               and firmware_arena.h (the arena detect() needs for that frame)
#   FRAME_SIDE  the longer side the embedded frame must have (224)
# Fails unless: the entry is 0x80000000; every allocated section lies in the 6 MiB general
# SRAM (0x80000000..0x805fffff) or the 2 MiB AI SRAM (0x80600000..0x807fffff); the binary is
# exactly the memory image from 0x80000000 to the end of the last section with contents;
# the arena holds what detect() needs; the frame has FRAME_SIDE as its longer side; both
# hart stacks exist; and nothing uses semihosting (ebreak) or libc I/O.
set -euo pipefail
readelf=$1 nm=$2 objdump=$3 elf=$4 bin=$5 data_dir=$6 frame_side=$7
arena_header=$data_dir/firmware_arena.h image_header=$data_dir/firmware_image.h
for f in "$elf" "$bin" "$arena_header" "$image_header"; do [ -f "$f" ] || { echo "FAIL: no such file: $f"; exit 2; }; done

sram=$((0x80000000)) sram_end=$((0x80600000)) ai_end=$((0x80800000))
fail=0
bad() { echo "FAIL: $*"; fail=1; }

entry=$("$readelf" -h "$elf" | awk '/Entry point address/ {print $4}')
[ $((entry)) -eq $sram ] || bad "entry point $entry, the boot ROM jumps to 0x80000000"

# Allocated sections: name, address, size, type (readelf -SW columns).
sections=$("$readelf" -SW "$elf" | sed 's/^ *\[ *[0-9]*\] *//' | \
           awk '$1 ~ /^\./ && $7 ~ /A/ {print $1, $3, $5, $2}')
[ -n "$sections" ] || bad "no allocated section in $elf"
image_end=$sram used_sram=0 used_ai=0
table=""
while read -r name addr size type; do
  a=$((16#$addr)) s=$((16#$size))
  [ $s -gt 0 ] || continue
  e=$((a + s))
  if [ $a -ge $sram ] && [ $e -le $sram_end ]; then region="general SRAM"; used_sram=$((used_sram + s))
  elif [ $a -ge $sram_end ] && [ $e -le $ai_end ]; then region="AI SRAM"; used_ai=$((used_ai + s))
  else region="OUTSIDE"; bad "section $name [0x$addr, +$s) is outside the K210's SRAM"; fi
  [ "$type" = NOBITS ] || { [ $e -gt $image_end ] && image_end=$e; }
  table+=$(printf '| %s | 0x%x | %d | %s |' "$name" $a $s "$region")$'\n'
done <<< "$sections"

bin_size=$(stat -c %s "$bin")
[ "$bin_size" -eq $((image_end - sram)) ] || bad "binary is $bin_size bytes, the image from 0x80000000 to its last loaded byte is $((image_end - sram))"

# Symbols: arena, frame, model (anonymous-namespace or static names, matched by their tail).
hex() { [ -n "$1" ] && echo $((16#$1)) || true; }
sym_size() { hex "$("$nm" -S "$elf" | awk -v pat="$1" '$4 ~ pat {print $2; exit}')"; }
sym_addr() { hex "$("$nm" "$elf" | awk -v s="$1" '$3 == s {print $1; exit}')"; }
arena=$(sym_size '5arenaE$') frame=$(sym_size 'firmware_imageE?$') model=$(sym_size 'firmware_modelE?$')
need=$(sed -n 's/.*firmware_arena_bytes = \([0-9]*\);.*/\1/p' "$arena_header")
[ -n "$arena" ] && [ -n "$need" ] || bad "arena symbol or firmware_arena_bytes not found"
[ -n "$arena" ] && [ -n "$need" ] && [ "$arena" -lt "$need" ] && bad "arena $arena bytes < $need that detect() needs"
[ -n "$frame" ] || bad "no firmware_image symbol"
width=$(sed -n 's/.*firmware_image_width = \([0-9]*\);.*/\1/p' "$image_header")
height=$(sed -n 's/.*firmware_image_height = \([0-9]*\);.*/\1/p' "$image_header")
if [ -n "$frame" ] && [ -n "$width" ] && [ -n "$height" ]; then
  [ "$frame" -eq $((width * height * 3)) ] || bad "frame of $frame bytes is not the ${width}x${height} RGB image of $image_header"
  longer=$((width > height ? width : height))
  [ "$longer" -eq "$frame_side" ] || bad "frame of $frame bytes is ${width}x${height}: its longer side is not $frame_side"
else
  bad "frame size or its width/height not found"
fi
for h in 0 1; do
  lo=$(sym_addr "__k210_stack${h}_bottom") hi=$(sym_addr "__k210_stack${h}_top")
  { [ -n "$lo" ] && [ -n "$hi" ] && [ $((hi - lo)) -gt 0 ]; } || bad "no stack for hart $h"
  eval "stack$h=$(( ${hi:-0} - ${lo:-0} ))"
done

# No semihosting trap sequence (ebreak) and no libc stdio / system-call layer.
ebreaks=$("$objdump" -d "$elf" | grep -cE '\sc?\.?ebreak' || true)
[ "$ebreaks" -eq 0 ] || bad "$ebreaks ebreak instructions (semihosting) in $elf"
io=$("$nm" "$elf" | awk '{print $NF}' | grep -xE '(f?puts|f?printf|v?s?n?printf|putchar|fputc|fwrite|write|_write|sys_semihost.*|__semihost.*|stdout|exit)' || true)
[ -z "$io" ] || bad "libc I/O or semihosting symbols: $(echo $io)"

echo "| section | address | bytes | region |"
echo "|---|---|---|---|"
printf '%s' "$table"
echo
echo "| item | bytes | of |"
echo "|---|---|---|"
echo "| raw binary (.bin, what kflash writes) | $bin_size | 6291456 general SRAM |"
echo "| model (firmware_model, in .rodata) | ${model:-?} | |"
echo "| frame (firmware_image, in .rodata, ${width:-?}x${height:-?} RGB) | ${frame:-?} | |"
echo "| arena (in .bss; detect() needs $need) | ${arena:-?} | |"
echo "| stack hart 0 (.stacks) | ${stack0:-?} | |"
echo "| stack hart 1 (.stacks) | ${stack1:-?} | |"
echo "| general SRAM used | $used_sram | 6291456 ($(( (used_sram * 1000 + 3145728) / 6291456 / 10 )).$(( (used_sram * 1000 + 3145728) / 6291456 % 10 )) %) |"
echo "| AI SRAM used | $used_ai | 2097152 |"
if [ $fail -ne 0 ]; then echo "FAIL: $elf does not fit the K210 image rules"; exit 1; fi
echo "OK: $elf fits the K210's memory map"
