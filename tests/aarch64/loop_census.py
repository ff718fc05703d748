#!/usr/bin/env python3
"""Instructions in the innermost loops of the functions whose names contain a pattern.

Reads `objdump -d --no-show-raw-insn` output (not demangled) on stdin. A loop is a
backward branch and the instructions from its target up to it, all inside one function;
a loop containing another loop is skipped. With a MNEMONIC, instead the smallest loop of
each function that holds that instruction (nested or not: a loop with two back edges to one
head counts as containing the shorter one). Prints the function, the loop's instruction
count and its instruction mix. Used for docs/aarch64.md:
  aarch64-linux-gnu-objdump -d --no-show-raw-insn PROGRAM | python3 tests/aarch64/loop_census.py PATTERN [MNEMONIC]
"""
import re
import sys
from collections import Counter

BRANCH = re.compile(r"^(b\.\w+|cbn?z|tbn?z)$")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: objdump -d --no-show-raw-insn PROGRAM | loop_census.py PATTERN [MNEMONIC]")
    pattern = sys.argv[1]
    holding = sys.argv[2] if len(sys.argv) == 3 else None
    insns = []  # (function, address, mnemonic, operands)
    function = None
    for line in sys.stdin:
        m = re.match(r"^([0-9a-f]+) <(.*)>:$", line)
        if m:
            function = m.group(2)
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if m and function is not None:
            insns.append((function, int(m.group(1), 16), m.group(2), m.group(3)))
    index = {address: i for i, (_, address, _, _) in enumerate(insns)}
    loops = []
    for i, (function, address, mnemonic, operands) in enumerate(insns):
        if pattern not in function or not BRANCH.match(mnemonic):
            continue
        m = re.search(r"\b([0-9a-f]+) <", operands)
        target = int(m.group(1), 16) if m else None
        if target is None or target >= address or target not in index:
            continue
        start = index[target]
        if any(f != function for f, _, _, _ in insns[start:i + 1]):
            continue
        loops.append((function, start, i))
    if holding is not None:
        smallest = {}
        for function, start, end in loops:
            if any(mnemonic == holding for _, _, mnemonic, _ in insns[start:end + 1]):
                if function not in smallest or end - start < smallest[function][1] - smallest[function][0]:
                    smallest[function] = (start, end)
        loops = [(function, start, end) for function, (start, end) in smallest.items()]
    for function, start, end in loops:
        inner = holding is None and any(s > start and e <= end or s >= start and e < end for f, s, e in loops if (s, e) != (start, end))
        if inner:
            continue
        mix = Counter(mnemonic for _, _, mnemonic, _ in insns[start:end + 1])
        print(f"{function} {insns[start][1]:x}: {end - start + 1} instructions {dict(mix)}")


if __name__ == "__main__":
    main()
