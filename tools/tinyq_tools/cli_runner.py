"""Run the built tinyq-detect CLI over a list of images and read back its boxes and per-image times.

Boxes and scores come from `--json` on stdout (one object per image); the time of each image from the
progress line on stderr, `[k/n] PATH: WxH, N faces, T ms`, where T is the CLI's own timer around
`detect()` only (resize, network, decode, NMS; image decoding and arena allocation are outside it).
Only the options given here are passed, so anything not given runs at the CLI's default.
"""
import json
import re
import subprocess

import numpy as np

PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] (.*): (\d+)x(\d+), (\d+) faces?, ([0-9.]+) ms$")


def parse_progress(stderr_text, n):
    """Per-image times (ms) from the CLI's stderr, indexed by image position (0-based); missing: nan."""
    ms = np.full(n, np.nan)
    for line in stderr_text.splitlines():
        m = PROGRESS.match(line.strip())
        if m and int(m.group(2)) == n:
            ms[int(m.group(1)) - 1] = float(m.group(7))
    return ms


def parse_json(stdout_text):
    """image path -> (boxes (N,4) float32 x0 y0 x1 y1, scores (N,) float32) from the --json lines."""
    by_image = {}
    for line in stdout_text.splitlines():
        r = json.loads(line)
        f = r["faces"]
        boxes = np.array([[d["x0"], d["y0"], d["x1"], d["y1"]] for d in f], np.float32).reshape(-1, 4)
        scores = np.array([d["score_q30"] / float(1 << 30) for d in f], np.float32)
        by_image[r["image"]] = (boxes, scores)
    return by_image


def run_tinyq(binary, model, paths, threshold=None, threads=None, extra=()):
    """[(boxes, scores)] per path and the per-image ms array. Raises SystemExit if the CLI fails."""
    cmd = [binary, "--model", model, "--json"]
    if threshold is not None:
        cmd += ["--threshold", repr(float(threshold))]
    if threads is not None:
        cmd += ["--threads", str(int(threads))]
    cmd += list(extra)
    r = subprocess.run(cmd + list(paths), capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed (exit %d): %s" % (" ".join(cmd), r.returncode, r.stderr.strip()[-2000:]))
    by_image = parse_json(r.stdout)
    missing = [p for p in paths if p not in by_image]
    if missing:
        raise SystemExit("tinyq-detect gave no result for %d image(s), e.g. %s" % (len(missing), missing[0]))
    return [by_image[p] for p in paths], parse_progress(r.stderr, len(paths)), cmd
