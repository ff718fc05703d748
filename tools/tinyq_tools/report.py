"""Print markdown AP tables from eval.py --json outputs (used to write docs/results.md).

  /usr/bin/python3 -m tinyq_tools.report ../models/face_mnv2_a100_outA.eval.json ../models/face_mnv2_a100_outA.cpp_eval.json
"""
import argparse
import json

SUBS = ("all", "w>=10", "w>=16")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="+", help="eval.py / eval_cpp.py --json files")
    args = ap.parse_args(argv)
    rows = []
    for p in args.json:
        with open(p) as f:
            d = json.load(f)
        for name, r in d.items():
            if name.startswith("_") or not isinstance(r, dict) or not all(s in r for s in SUBS):
                continue
            rows.append((name, r))
    if not rows:
        ap.error("no AP entries (all / w>=10 / w>=16) in the given files")
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
