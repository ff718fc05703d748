"""Minimum real time per benchmark over Google Benchmark JSON files (--benchmark_out).

On a shared machine the minimum of repeated runs is the figure least disturbed by
neighbours. Usage: python3 bench/min_real_time.py run1.json run2.json ... -> name<TAB>microseconds
"""
import collections
import json
import sys

UNIT_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


def main(paths):
    best = collections.OrderedDict()
    for path in paths:
        with open(path) as f:
            for b in json.load(f)["benchmarks"]:
                if b.get("run_type") == "aggregate" or b.get("error_occurred"):
                    continue
                name = b.get("run_name", b["name"])
                t = b["real_time"] * UNIT_US[b["time_unit"]]
                best[name] = min(best.get(name, float("inf")), t)
    for name, t in best.items():
        print(f"{name}\t{t:.1f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: min_real_time.py FILE.json...")
    main(sys.argv[1:])
