#!/usr/bin/env python3
"""One tinyq-detect ctest case: runs the CLI and checks exit code, output and JSON.

  cli_case.py CASE TINYQ_DETECT DATA_DIR WORK_DIR

Cases (each fails before the reliability fixes it covers, docs/detector.md):
  repro_side2049   ../shared/repro/cli_segv_side2049.png at the default scales: rc 0
  repro_4100x16    ../shared/repro/cli_heap_overflow_silent_4100x16.png --scales 1: rc 0
  phone_4032x3024  a 4032x3024 mosaic of face_mask_853 photos at the defaults: rc 0, faces
  json_paths       names with a tab, a newline, a quote and invalid UTF-8: valid JSON, exact names
  model_guards     a 2 GiB sparse file, a wrong magic and an empty file as --model: rc 1, fast
  directory_input  a directory as input: its pictures (by extension, sorted), nothing else; -o DIR
  default_threshold  --help states the documented default threshold (0.26, docs/detector.md); a run at the
                   defaults equals one at --threshold 0.26 and keeps boxes the old 0.5 default dropped
  large_face       a face_mask_853 portrait upscaled 3x and 6x (faces ~860 and ~1730 px, past the ~680 px the
                   default 0.5x/1x/2x reach): at the defaults the face is found (IoU >= 0.5) by the large-face octaves
Exit 77 = skipped (data not found), with the reason on stdout.
"""
import json
import os
import struct
import subprocess
import sys
import time
import zlib

SKIP = 77


def png_bytes(w, h, pixel):
    """A w x h RGB PNG of one colour (pure Python: no image library needed)."""
    raw = b"".join(b"\x00" + bytes(pixel) * w for _ in range(h))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def run(cmd, **kw):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, **kw)
    return p, time.monotonic() - t0


def need(path):
    if not os.path.exists(path):
        print(f"SKIPPED: {path} not found (the shared data is not beside this checkout)")
        sys.exit(SKIP)


def expect(cond, what, p=None):
    if not cond:
        print("FAILED:", what)
        if p is not None:
            print("rc", p.returncode, "\nstdout:", p.stdout.decode(errors="replace")[-2000:],
                  "\nstderr:", p.stderr.decode(errors="replace")[-2000:])
        sys.exit(1)


def main():
    case, exe, data, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    repro = os.path.join(os.path.dirname(data.rstrip("/")), "repro")
    if case == "repro_side2049":
        f = os.path.join(repro, "cli_segv_side2049.png")
        need(f)
        p, _ = run([exe, f])
        expect(p.returncode == 0, "rc 0 on a 2049-px side at the default scales", p)
        expect(b"tiles" in p.stderr, "the user is told the scale is tiled", p)
    elif case == "repro_4100x16":
        f = os.path.join(repro, "cli_heap_overflow_silent_4100x16.png")
        need(f)
        p, _ = run([exe, "--scales", "1", f])
        expect(p.returncode == 0, "rc 0 on 4100x16 at --scales 1", p)
    elif case == "phone_4032x3024":
        src = os.path.join(data, "face_mask_853")
        need(src)
        import cv2  # python3-opencv (the test command installs it)
        import numpy as np
        names = sorted(n for n in os.listdir(src) if n.endswith((".png", ".jpg")))[:9]
        tiles = [cv2.resize(cv2.imread(os.path.join(src, n)), (1344, 1008)) for n in names]
        img = np.vstack([np.hstack(tiles[3 * r:3 * r + 3]) for r in range(3)])
        out = os.path.join(work, "phone_4032x3024.jpg")
        cv2.imwrite(out, img, [cv2.IMWRITE_JPEG_QUALITY, 92])
        p, secs = run([exe, "--json", out])
        expect(p.returncode == 0, "rc 0 on a 4032x3024 photo at the defaults", p)
        faces = json.loads(p.stdout.decode().splitlines()[0])["faces"]
        print(f"4032x3024 at the defaults: {len(faces)} faces in {secs:.1f} s (wall, whole CLI)")
        expect(len(faces) >= 5, "finds faces in a mosaic of nine face photos", p)
    elif case == "large_face":
        src = os.path.join(data, "face_mask_853")
        need(os.path.join(src, "annotations.txt"))
        import cv2
        name = "maksssksksss446.jpg"  # 500x500, one face of 239x288 px (annotations.txt: x y w h class)
        lines = open(os.path.join(src, "annotations.txt")).read().split("\n")
        k = lines.index(name)
        expect(int(lines[k + 1]) == 1, f"{name} has one labelled face")
        x, y, w, h = (float(v) for v in lines[k + 2].split()[:4])
        img = cv2.imread(os.path.join(src, name))

        def best_iou(path, factor):
            p, secs = run([exe, "--json", path])
            expect(p.returncode == 0, f"rc 0 at {factor}x", p)
            faces = json.loads(p.stdout.decode().splitlines()[0])["faces"]
            gt = (x * factor, y * factor, (x + w) * factor, (y + h) * factor)
            best = 0.0
            for f in faces:
                b = (f["x0"], f["y0"], f["x1"], f["y1"])
                iw = max(0.0, min(b[2], gt[2]) - max(b[0], gt[0]))
                ih = max(0.0, min(b[3], gt[3]) - max(b[1], gt[1]))
                inter = iw * ih
                best = max(best, inter / ((b[2] - b[0]) * (b[3] - b[1]) + (gt[2] - gt[0]) * (gt[3] - gt[1]) - inter))
            print(f"{factor}x ({img.shape[1] * factor}x{img.shape[0] * factor}, face {h * factor:.0f} px tall): "
                  f"{len(faces)} boxes, best IoU {best:.3f}, {secs:.1f} s; stderr: {p.stderr.decode().strip()}")
            return best, p

        for factor in (1, 3, 6):
            path = os.path.join(work, f"large_face_{factor}x.png")
            big = img if factor == 1 else cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
            cv2.imwrite(path, big)
            best, p = best_iou(path, factor)
            expect(best >= 0.5, f"the face is found at {factor}x (IoU {best:.3f} >= 0.5)", p)
            if factor > 1:
                expect(b"large-face scales" in p.stderr, "stderr names the large-face scales", p)
    elif case == "json_paths":
        names = ["tab\there.png", "new\nline.png", 'quote"and\\slash.png', "bad\xff\xfeutf8.png".encode("latin-1"),
                 "caf\u00e9.png"]
        paths = []
        for n in names:
            nb = n if isinstance(n, bytes) else n.encode("utf-8")
            path = os.path.join(work.encode(), nb)
            with open(path, "wb") as f:
                f.write(png_bytes(48, 40, (90, 120, 200)))
            paths.append(path)
        p, _ = run([exe, "--json", *paths])
        expect(p.returncode == 0, "rc 0 on odd file names", p)
        lines = p.stdout.decode("utf-8").splitlines()  # must be valid UTF-8
        expect(len(lines) == len(paths), "one JSON object per image", p)
        for path, line in zip(paths, lines):
            rec = json.loads(line)  # must be valid JSON
            want = path.decode("utf-8", errors="replace")
            expect(rec["image"] == want, f"image field {rec['image']!r} == {want!r}", p)
            expect(rec["width"] == 48 and rec["height"] == 40, "size fields", p)
    elif case == "model_guards":
        img = os.path.join(work, "img.png")
        with open(img, "wb") as f:
            f.write(png_bytes(48, 40, (10, 20, 30)))
        huge = os.path.join(work, "huge.tqw")
        with open(huge, "wb") as f:
            f.write(b"TQWF")
            f.truncate(2 << 30)  # sparse: no disk, no memory
        wrong = os.path.join(work, "wrong.tqw")
        with open(wrong, "wb") as f:
            f.write(b"NOPE" + b"\0" * 200)
        empty = os.path.join(work, "empty.tqw")
        open(empty, "wb").close()
        for model, msg in ((huge, b"256 MiB"), (wrong, b"magic"), (empty, b"header")):
            p, secs = run([exe, "--model", model, img])
            expect(p.returncode == 1, f"rc 1 for --model {os.path.basename(model)}", p)
            expect(msg in p.stderr, f"a clear message mentioning {msg!r}", p)
            expect(secs < 5, f"refused before reading it ({secs:.1f} s)", p)
    elif case == "directory_input":
        d = os.path.join(work, "photos")
        out = os.path.join(work, "annotated")
        os.makedirs(d, exist_ok=True)
        os.makedirs(out, exist_ok=True)
        for name, colour in (("b.PNG", (1, 2, 3)), ("a.png", (40, 50, 60))):
            with open(os.path.join(d, name), "wb") as f:
                f.write(png_bytes(40, 32, colour))
        with open(os.path.join(d, "notes.txt"), "w") as f:
            f.write("not a picture")
        os.makedirs(os.path.join(d, "sub.png"), exist_ok=True)  # a directory with a picture name
        p, _ = run([exe, "--json", d, "-o", out])
        expect(p.returncode == 0, "rc 0 on a directory of pictures", p)
        images = [json.loads(line)["image"] for line in p.stdout.decode().splitlines()]
        expect(images == [os.path.join(d, "a.png"), os.path.join(d, "b.PNG")], f"its two pictures, sorted: {images}", p)
        expect(sorted(os.listdir(out)) == ["a.png", "b.png"], "one annotated PNG per picture in -o DIR", p)
        p, _ = run([exe, d, "-o", os.path.join(work, "single.png")])
        expect(p.returncode == 2, "a directory input needs -o DIR", p)
    elif case == "default_threshold":
        src = os.path.join(data, "face_mask_853")
        need(src)
        documented = 0.26  # docs/detector.md: the best-F1 threshold of the default model (validation sets pooled)
        p, _ = run([exe, "--help"])
        line = [l for l in p.stdout.decode().splitlines() if l.strip().startswith("--threshold")]
        expect(len(line) == 1 and f"default {documented:.2f}" in line[0], f"--help states default {documented:.2f}", p)
        names = sorted(n for n in os.listdir(src) if n.endswith((".png", ".jpg")))[:4]
        paths = [os.path.join(src, n) for n in names]
        scores = lambda q: [f["score"] for line in q.stdout.decode().splitlines() for f in json.loads(line)["faces"]]
        p_default, _ = run([exe, "--json", *paths])
        p_given, _ = run([exe, "--json", "--threshold", f"{documented:.2f}", *paths])
        expect(p_default.returncode == 0 and p_given.returncode == 0, "rc 0 on four face photos", p_default)
        expect(p_default.stdout == p_given.stdout, f"the defaults give the boxes of --threshold {documented:.2f}", p_default)
        s = scores(p_default)
        expect(min(s) >= documented, f"no box below the default threshold: {min(s)}", p_default)
        expect(any(v < 0.5 for v in s), f"boxes between {documented:.2f} and the old default 0.5 are kept", p_default)
    else:
        print("unknown case", case)
        return 2
    print("PASSED:", case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
