"""Regenerates the image fuzzer's seed corpus (tests/fuzz/image_corpus/) and the CLI's WebP
test picture (tests/data/tiny.webp). Run from the repository root with /usr/bin/python3.

Every file is made here from a generated picture (gradients and a disc, no photos): valid
files of each format and variant the decoder handles (encoded by OpenCV or by the small
PNG/BMP writers below), and hostile files with the same shapes as the reproducers in
../shared/repro (built by editing a valid file): a DHT whose counts sum past 256, a scan that
uses a Huffman table no DHT defined (whole, and cut short like the reproducer), an IDAT length
of 2^31 - 1, and a few more the structure checks refuse (docs/images.md lists them).

  --large DIR SIDE: instead, big files of each format in DIR for the memory measurement."""
import os
import struct
import zlib

import cv2
import numpy as np

root = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(root, "image_corpus")
data_dir = os.path.join(root, "..", "data")
os.makedirs(corpus, exist_ok=True)
os.makedirs(data_dir, exist_ok=True)


def save(name, b, folder=corpus):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(b)


def picture(w, h, channels=3):
    """BGR (or gray) uint8: two gradients and a bright disc, deterministic."""
    y, x = np.mgrid[0:h, 0:w]
    disc = ((x - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (min(w, h) * 0.3) ** 2) * 120
    b = (x * 255 // max(w - 1, 1))
    g = (y * 255 // max(h - 1, 1))
    r = np.clip(disc + 60, 0, 255)
    img = np.stack([b, g, r], axis=-1).astype(np.uint8)
    if channels == 1:
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if channels == 4:
        alpha = (x * 7 + y * 3).astype(np.uint8)[..., None]
        return np.concatenate([img, alpha], axis=-1)
    return img


def encode(ext, img, params=()):
    ok, buf = cv2.imencode(ext, img, list(params))
    assert ok
    return buf.tobytes()


# ---- small PNG writer: any colour type / depth, optional Adam7 ---------------------------
def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_rows(samples, depth):
    """samples: h x (w * channels) ints -> filter-0 rows packed at `depth` bits."""
    if depth in (8, 16):  # whole rows at once
        body = np.asarray(samples, ">u2" if depth == 16 else np.uint8).reshape(len(samples), -1)
        return np.concatenate([np.zeros((len(body), 1), np.uint8),
                               body.view(np.uint8)], axis=1).tobytes()
    out = b""
    for row in samples:
        if depth == 16:
            packed = b"".join(struct.pack(">H", int(v)) for v in row)
        elif depth == 8:
            packed = bytes(int(v) for v in row)
        else:
            bits = "".join(format(int(v), "0%db" % depth) for v in row)
            bits += "0" * (-len(bits) % 8)
            packed = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
        out += b"\x00" + packed
    return out


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_file(samples, depth, color, interlace=False, extra=(), level=9):
    """samples: h x w x channels ints."""
    h, w, c = samples.shape
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.size:
                raw += png_rows(sub.reshape(sub.shape[0], -1), depth)
    else:
        raw = png_rows(samples.reshape(h, -1), depth)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 1 if interlace else 0)
    body = png_chunk(b"IHDR", ihdr)
    for kind, b in extra:
        body += png_chunk(kind, b)
    body += png_chunk(b"IDAT", zlib.compress(raw, level)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


# ---- small BMP writer ---------------------------------------------------------------------
def bmp_file(indices_or_pixels, bpp, palette=None, header=40, top_down=False, masks=None):
    h, w = indices_or_pixels.shape[:2]
    rows = []
    for y in range(h):
        src = indices_or_pixels[y]
        if bpp <= 8:
            bits = "".join(format(int(v), "0%db" % bpp) for v in src)
            bits += "0" * (-len(bits) % 8)
            row = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
        elif bpp == 24:
            row = bytes(np.asarray(src, np.uint8).reshape(-1))
        elif bpp == 16:
            row = b"".join(struct.pack("<H", int(v)) for v in src)
        else:
            row = b"".join(struct.pack("<I", int(v)) for v in src)
        rows.append(row + b"\x00" * (-len(row) % 4))
    if not top_down:
        rows = rows[::-1]
    pixels = b"".join(rows)
    pal = b""
    if palette is not None:
        entry = 3 if header == 12 else 4
        pal = b"".join(bytes(p[:entry]) + (b"\x00" if entry == 4 else b"") for p in palette) if entry == 4 else \
            b"".join(bytes(p[:3]) for p in palette)
    compression = 3 if masks else 0
    if header == 12:
        info = struct.pack("<IHHHH", 12, w, h, 1, bpp)
    else:
        info = struct.pack("<IiiHHIIiiII", header, w, -h if top_down else h, 1, bpp, compression, len(pixels), 2835,
                           2835, len(palette) if palette is not None else 0, 0)
        info += b"\x00" * (header - len(info))
        if masks and header >= 56:
            info = info[:40] + struct.pack("<IIII", *masks) + info[56:]
    extra = struct.pack("<III", *masks[:3]) if masks and header == 40 else b""
    offset = 14 + len(info) + len(extra) + len(pal)
    file_header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    return file_header + info + extra + pal + pixels


def jpeg_segments(b):
    """[(marker, start, end)] of the marker segments before the first scan's data."""
    out, i = [], 2
    while i < len(b):
        m = b[i + 1]
        length = b[i + 2] << 8 | b[i + 3]
        out.append((m, i, i + 2 + length))
        if m == 0xDA:
            break
        i += 2 + length
    return out


def main():
    img = picture(24, 16)
    gray = picture(16, 12, 1)
    rgba = picture(12, 10, 4)

    # JPEG: baseline 4:2:0 colour, grey, progressive, restart markers, 4:4:4 via a SOF edit
    jpg = encode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 60])
    save("jpeg_baseline_420.jpg", jpg)
    save("jpeg_gray.jpg", encode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, 50]))
    save("jpeg_progressive.jpg", encode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_QUALITY, 50]))
    save("jpeg_progressive_gray.jpg", encode(".jpg", gray, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]))
    save("jpeg_restart.jpg", encode(".jpg", picture(40, 24), [cv2.IMWRITE_JPEG_RST_INTERVAL, 1,
                                                                cv2.IMWRITE_JPEG_QUALITY, 40]))
    seg = {m: (s, e) for m, s, e in reversed(jpeg_segments(jpg))}
    sof = bytearray(jpg)
    s, _ = seg[0xC0]
    sof[s + 4 + 6 + 1] = 0x11  # luma 2x2 -> 1x1: a 4:4:4 frame header (scan data now mismatched)
    save("jpeg_sof_444_edit.jpg", bytes(sof))

    # PNG: OpenCV's 8/16-bit grey, RGB, RGBA; own writer for palette, low depths, grey+alpha, Adam7
    save("png_rgb8.png", encode(".png", img))
    save("png_gray8.png", encode(".png", gray))
    save("png_rgba8.png", encode(".png", rgba))
    save("png_rgb16.png", encode(".png", img.astype(np.uint16) * 257))
    rgb = img[..., ::-1].astype(int)
    pal_idx = (rgb[..., 1] // 64).astype(int)  # 4 colours
    palette = bytes([0, 0, 0, 90, 30, 200, 170, 220, 10, 255, 255, 255])
    save("png_palette2_trns.png", png_file(pal_idx[..., None], 2, 3, extra=[(b"PLTE", palette), (b"tRNS", b"\x00\x80")]))
    save("png_palette8.png", png_file(pal_idx[..., None], 8, 3, extra=[(b"PLTE", palette)]))
    # pixel (x 3, y 2) uses colour 200 of a 4-colour palette: decoded black (PLTE padded to 256)
    past = pal_idx.copy()
    past[2, 3] = 200
    save("png_palette_index_past_plte.png", png_file(past[..., None], 8, 3, extra=[(b"PLTE", palette)]))
    save("png_gray1.png", png_file((gray[..., None] > 128).astype(int), 1, 0))
    save("png_gray4.png", png_file((gray[..., None] // 16).astype(int), 4, 0))
    save("png_gray_alpha8.png", png_file(np.stack([gray, 255 - gray], -1).astype(int), 8, 4))
    save("png_rgb8_adam7.png", png_file(rgb, 8, 2, interlace=True))
    save("png_rgba16_adam7.png", png_file(np.concatenate([rgb * 257, rgb[..., :1] * 100], -1), 16, 6, interlace=True))

    # BMP: OpenCV's 24-bit and 8-bit grey; own writer for 1/4-bit, 16/32-bit bitfields, OS/2, top-down
    save("bmp_rgb24.bmp", encode(".bmp", img))
    save("bmp_gray8.bmp", encode(".bmp", gray))
    two = [(0, 0, 0), (255, 255, 255)]
    sixteen = [(i * 16, 255 - i * 16, i * 8) for i in range(16)]
    save("bmp_1bit.bmp", bmp_file((gray > 128).astype(int), 1, two))
    save("bmp_4bit_topdown.bmp", bmp_file((gray // 16).astype(int), 4, sixteen, top_down=True))
    # stb reads (offset - 38) / 3 colours of an OS/2 palette, 4 fewer than there are: use 12
    save("bmp_os2_8bit.bmp", bmp_file((gray // 22).astype(int), 8, sixteen, header=12))
    px16 = ((rgb[..., 0] >> 3) << 10 | (rgb[..., 1] >> 3) << 5 | (rgb[..., 2] >> 3))
    save("bmp_16bit_555.bmp", bmp_file(px16, 16))
    px32 = (rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2] | 0x7F000000)
    save("bmp_32bit_bitfields_v5.bmp", bmp_file(px32, 32, header=124, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)))

    # WebP: lossy and lossless (OpenCV/libwebp); the CLI test picture
    save("webp_lossy.webp", encode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, 50]))
    save("webp_lossless.webp", encode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, 101]))
    save("tiny.webp", encode(".webp", picture(32, 24), [cv2.IMWRITE_WEBP_QUALITY, 80]), folder=data_dir)

    # ---- hostile files (names start with "bad_"; the CLI must refuse each with a message) --
    # DHT counts summing to 300 (stbi__build_huffman writes past size[257])
    s, e = seg[0xC4]
    body = bytes([0x11]) + bytes([0] * 8 + [255, 45] + [0] * 6) + bytes(range(256)) + bytes(range(44))
    dht = b"\xFF\xC4" + struct.pack(">H", 2 + len(body)) + body
    save("bad_jpeg_dht_300_codes.jpg", jpg[:s] + dht + jpg[s:])
    # A scan naming AC table 1, which no DHT defines (stb would decode with an uninitialised table)
    s, e = seg[0xDA]
    sos = bytearray(jpg[s:e])
    ns = sos[4]
    sos[4 + 1 + 1] = (sos[4 + 1 + 1] & 0xF0) | 0x2  # first component: AC table 2
    undefined = jpg[:s] + bytes(sos) + jpg[e:]
    save("bad_jpeg_scan_undefined_ac_table.jpg", undefined)
    # ... and cut inside the scan header, like the reproducer (stb reads zeros past the end)
    save("bad_jpeg_scan_header_cut.jpg", undefined[:s + 4 + 1 + 2 * ns - 1])
    # A frame component whose quantisation table no DQT defines
    s, _ = seg[0xC0]
    noq = bytearray(jpg)
    noq[s + 4 + 6 + 2] = 3
    save("bad_jpeg_undefined_quant_table.jpg", bytes(noq))
    # A scan that names 2 of the frame's 3 components, and no other scan: component 3's
    # pixels would never be written
    s, e = seg[0xDA]
    two = bytes([0xFF, 0xDA, 0, 10, 2]) + jpg[s + 5:s + 9] + jpg[e - 3:e]
    save("bad_jpeg_component_never_scanned.jpg", jpg[:s] + two + jpg[e:])
    # Progressive: the first scan turned into an AC band (Ss 1), before any DC pass
    prog = encode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_QUALITY, 50])
    s, e = dict((m, (a, b)) for m, a, b in reversed(jpeg_segments(prog)))[0xDA]
    ac_first = bytearray(prog)
    ac_first[e - 3] = 1
    save("bad_jpeg_progressive_ac_before_dc.jpg", bytes(ac_first))
    # A segment whose length runs past the end of the file
    s, _ = seg[0xC4]
    long_seg = bytearray(jpg[:s + 40])
    long_seg[s + 2:s + 4] = b"\xFF\xF0"
    save("bad_jpeg_segment_past_end.jpg", bytes(long_seg))

    png = encode(".png", img)
    # IDAT length 2^31 - 1 in a 57-byte file (stb reallocates 2 GiB)
    ihdr = png[8:8 + 25]
    save("bad_png_idat_length_2g.png", png[:8] + ihdr + struct.pack(">I", 0x7FFFFFFF) + b"IDAT" + b"\x78\x9c\x00\x00" +
         struct.pack(">I", 0) + b"\x00" * 4)
    # No IEND (cut short)
    save("bad_png_no_iend.png", png[:-12])
    # Bit depth 3
    bad_depth = bytearray(png)
    bad_depth[8 + 8 + 8] = 3
    save("bad_png_bit_depth_3.png", bytes(bad_depth))
    # A 16x16 image whose IDAT inflates to 8 MiB (zlib bomb: the memory budget stops it)
    bomb_rows = zlib.compress(b"\x00" * (8 << 20), 9)
    save("bad_png_zlib_bomb.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
         + png_chunk(b"IDAT", bomb_rows) + png_chunk(b"IEND", b""))

    # BMP: a pixel indexing colour 9 of a 4-colour palette (stb copies uninitialised stack bytes)
    idx = (gray // 64).astype(int)
    idx[3, 5] = 9
    save("bad_bmp_palette_index.bmp", bmp_file(idx, 4, sixteen[:4]))
    # OS/2 header: a pixel using one of the 4 colours stb does not read
    save("bad_bmp_os2_palette_tail.bmp", bmp_file((gray // 16).astype(int), 8, sixteen, header=12))
    # Height INT32_MIN (stb's abs() overflows)
    bmp = bytearray(encode(".bmp", img))
    bmp[22:26] = struct.pack("<i", -2 ** 31)
    save("bad_bmp_height_int_min.bmp", bytes(bmp))

    # Not an image / unsupported: GIF header, WebP cut short, a WebP named .jpg is a *good* file
    save("bad_gif.gif", b"GIF89a" + bytes(20))
    webp = encode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, 50])
    save("bad_webp_cut.webp", webp[:len(webp) // 2])
    save("webp_named_jpeg.jpg", webp)


def large(folder, side):
    """Worst legitimate files of each format at side x side, for the memory table in
    docs/images.md (not committed): what each decoder holds at its peak."""
    os.makedirs(folder, exist_ok=True)
    img = picture(side, side) if side <= 2048 else np.tile(picture(2048, 2048), (side // 2048, side // 2048, 1))
    rgb = img[..., ::-1].astype(np.uint16)
    rgba16 = np.concatenate([rgb * 257, rgb[..., :1] * 100], -1)
    files = {
        "jpeg_baseline_420.jpg": encode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90]),
        "jpeg_progressive_420.jpg": encode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
        "jpeg_gray_progressive.jpg": encode(".jpg", img[..., 0], [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
        "png_rgb8.png": encode(".png", img),
        "png_rgba16.png": png_file(rgba16, 16, 6, level=1),
        "png_rgba16_adam7.png": png_file(rgba16, 16, 6, interlace=True, level=1),
        "bmp_rgb24.bmp": encode(".bmp", img),
        "webp_lossy.webp": encode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, 80]),
        "webp_lossless.webp": encode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, 101]),
    }
    for name, b in files.items():
        save("%d_%s" % (side, name), b, folder)


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 4 and sys.argv[1] == "--large":
        large(sys.argv[2], int(sys.argv[3]))
    else:
        main()
