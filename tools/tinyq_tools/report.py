"""Print markdown AP tables from eval.py --json outputs (used to write docs/results.md).

  /usr/bin/python3 -m tinyq_tools.report ../models/face_mnv2_a100_outA.eval.json ../models/face_mnv2_a100_outA.quant.json
"""
import json
import sys

SUBS = ("all", "w>=10", "w>=16")


def main(argv=None):
    argv = argv if argv is not None else sys.argv[1:]
    rows = []
    for p in argv:
        with open(p) as f:
            d = json.load(f)
        for name, r in d.items():
            if name.startswith("_"):
                continue
            rows.append((name, r))
    n = rows[0][1] if rows else {}
    print("| detector / mode | " + " | ".join("AP %s (n=%d)" % (s, n[s]["npos"]) for s in SUBS) + " |")
    print("|---|" + "---|" * len(SUBS))
    seen = set()
    for name, r in rows:
        if name in seen:
            continue
        seen.add(name)
        print("| %s | " % name + " | ".join("%.3f" % r[s]["ap"] for s in SUBS) + " |")


if __name__ == "__main__":
    main()
