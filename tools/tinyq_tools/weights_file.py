"""Writer and reader of the tinyq weights file (spec: docs/weights-format.md).

Export a model::

    from tinyq_tools.weights_file import write_weights_file, activation_points
    meta = dict(width=500, output="A", padding="tf_same", activation_dtype="int16",
                head_templates=25, input_size=(320, 320), input_offset=128, input_shift=7)
    tensors = [
        ("Conv/weights", w_ohwi_int16, 12),        # integer: raw values + fractional bits
        ("Conv/biases", b_int32, 21),
        ("expanded_conv/depthwise/weights", w_1hwc_int8, [7, 6, 8, ...]),  # per output channel
        ...
        ("head/templates", np.round(templates_xyxy * 16).astype(np.int32), 4),
        ("activation_frac_bits", np.array([7, 11, ...], np.int8), 0),  # one per activation_points()
    ]
    write_weights_file("model.tqw", meta, tensors)

``tensors`` is a list of ``(name, array, frac_bits)``:

* float32 arrays: ``frac_bits`` must be ``None`` (stored as the float model).
* int8 / int16 / int32 arrays: ``frac_bits`` an int (real = raw * 2**-frac) or, for weights, a
  sequence with one entry per output channel (axis 0 of OHWI, the last axis of 1HWC depthwise);
  the writer then stores the list as the extra int8 tensor ``<name>.frac`` and marks ``<name>``
  per-channel.

Layouts are those of the TF-slim / TFLite ImageNet npz: conv weights OHWI (the 3x3 ``Conv``
``[C0,3,3,3]``, 1x1 convs ``[Cout,1,1,Cin]``), depthwise ``[1,3,3,C]``, biases ``[Cout]``.
``activation_points(...)`` lists, in order, the activations whose fractional bits an integer
model stores in ``activation_frac_bits`` (int8, shape ``[len(points)]``).

metadata keys (defaults in brackets): ``width`` per mille (350/500/750/1000; a float alpha
such as 0.5 is accepted too), ``output`` "A"/"B"/"C", ``padding`` ["tf_same"] or "symmetric",
``activation_dtype`` ["float32"], "int16" or "int8", ``head_templates`` [0 = no head],
``classifier`` [False] (ImageNet Logits on output B), ``input_size`` [(0, 0) = any],
``input_offset`` [128], ``input_shift`` [7] (real input = (pixel - offset) / 2**shift).

Multi-exit detectors (multi_exit.py): ``output`` "exits" (header byte 32 = 4), ``head_exits`` E (byte 50),
``head_stride`` the largest exit stride (the input padding multiple), ``head_templates`` the total over the
exits, version 1.1 (other files stay 1.0, byte 50 = 0). Per exit k: ``head_<k>/weights`` (OHWI
[5 T_k, 1, 1, C_tap]), ``head_<k>/biases``, ``head_<k>/templates`` (int32 frac 4), and ``head/exits`` (int32 frac 0,
[E, 3] rows (tap, stride, T_k), tap = index in layer_table.layers()). The backbone runs Conv .. the deepest tap.
"""
import struct
import zlib

import numpy as np

from . import layer_table

MAGIC = b"TQWF"
VERSION = (1, 0)
VERSION_EXITS = (1, 1)  # the multi-exit variant
HEADER_BYTES = 64
ENTRY_BYTES = 96
NAME_BYTES = 60
DTYPES = {np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.int32): 3, np.dtype(np.float32): 4}
DTYPE_FROM_CODE = {v: k for k, v in DTYPES.items()}
ACT_DTYPES = {"int8": 1, "int16": 2, "float32": 4}
OUTPUTS = {"A": 1, "B": 2, "C": 3, "exits": 4}
PADDINGS = {"tf_same": 0, "same": 0, "symmetric": 1}
BLOCK_TABLE = layer_table.BLOCK_TABLE
make_divisible = layer_table.make_divisible


def _width_per_mille(w):
    if isinstance(w, float) and w <= 1.0:
        w = int(round(w * 1000))
    w = int(w)
    if w not in (350, 500, 750, 1000):
        raise ValueError("width must be 350, 500, 750 or 1000 per mille")
    return w


def conv_layers(width, output, exit_taps=None):
    """(name, kind, cin, cout, stride, relu6, residual) in execution order; kind 'conv3x3'|'dw'|'pw'.
    Stops after expanded_conv_13/expand for output 'A' (layer_table.py), after the deepest of `exit_taps`
    (layer indices) for output 'exits'."""
    alpha = _width_per_mille(width) / 1000.0
    ls = [(l["name"], l["kind"], l["cin"], l["cout"], l["stride"], l["relu6"], l["residual"])
          for l in layer_table.layers(alpha, "A" if output == "A" else "B")]
    if output == "exits":
        if not exit_taps:
            raise ValueError("output 'exits' needs the exit taps")
        ls = ls[:max(exit_taps) + 1]
    return ls


def activation_points(width, output, head=False, classifier=False, exit_taps=None):
    """Names of the activations, in the order of the int8 tensor `activation_frac_bits`. For output 'exits':
    each tapped layer (after its add if residual) is followed by its `head_<k>`."""
    pts = ["input"]
    taps = list(exit_taps or [])
    for i, (name, kind, cin, cout, stride, relu6, residual) in enumerate(conv_layers(width, output, taps)):
        pts.append(name)
        if residual:
            pts.append(name.rsplit("/", 1)[0] + "/add")
        if output == "exits" and i in taps:
            pts.append("head_%d" % taps.index(i))
    if output == "C":
        pts += ["upsample", "concat"]
    if head:
        pts.append("head")
    if classifier:
        pts += ["avgpool", "Logits/Conv2d_1c_1x1"]
    return pts


def _align(x, a):
    return (x + a - 1) // a * a


def weights_file_bytes(metadata, tensors, alignment=64):
    """Returns the file as bytes (see module docstring for the arguments)."""
    md = dict(metadata)
    width = _width_per_mille(md.get("width", 1000))
    output = md.get("output", "A")
    head_t = int(md.get("head_templates", 0))
    classifier = bool(md.get("classifier", False))
    ih, iw = md.get("input_size", (0, 0))
    flags = (1 if head_t else 0) | (2 if classifier else 0)
    head_stride = 0 if not head_t else (32 if output == "B" else 16)
    head_exits = 0
    version = VERSION
    if output == "exits":
        head_exits = int(md.get("head_exits", 0))
        head_stride = int(md.get("head_stride", 0))
        if not 1 <= head_exits <= 4 or head_t <= 0 or head_stride <= 0:
            raise ValueError("output 'exits' needs head_exits 1..4, head_templates > 0 and head_stride")
        version = VERSION_EXITS
    entries = []  # name, array, quant, frac
    for item in tensors:
        name, arr, frac = item
        arr = np.ascontiguousarray(arr)
        if arr.dtype not in DTYPES:
            raise ValueError("%s: dtype %s not one of int8/int16/int32/float32" % (name, arr.dtype))
        if arr.dtype == np.float32:
            if frac is not None:
                raise ValueError("%s: float32 tensors take frac_bits None" % name)
            entries.append((name, arr, 0, 0))
        elif np.ndim(frac) == 0:
            if frac is None:
                raise ValueError("%s: integer tensors need frac_bits" % name)
            entries.append((name, arr, 1, int(frac)))
        else:
            fr = np.asarray(frac, np.int8).reshape(-1)
            channels = arr.shape[-1] if (arr.ndim == 4 and arr.shape[0] == 1) else arr.shape[0]  # 1HWC depthwise
            if fr.shape[0] != channels:
                raise ValueError("%s: per-channel frac list needs one entry per output channel" % name)
            entries.append((name, arr, 2, 0))
            entries.append((name + ".frac", fr, 1, 0))
    n = len(entries)
    table_end = HEADER_BYTES + n * ENTRY_BYTES
    offset = _align(table_end, alignment)
    table = bytearray()
    payload = []
    for name, arr, quant, frac in entries:
        nb = name.encode("ascii")
        if not nb or len(nb) >= NAME_BYTES:
            raise ValueError("tensor name must be 1..59 ASCII bytes: %r" % name)
        if arr.ndim < 1 or arr.ndim > 4:
            raise ValueError("%s: 1 to 4 dimensions" % name)
        shape = list(arr.shape) + [0] * (4 - arr.ndim)
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        table += nb.ljust(NAME_BYTES, b"\0")
        table += struct.pack("<BBBb4IIIII", DTYPES[arr.dtype], arr.ndim, quant, frac, *shape,
                             offset, len(data), zlib.crc32(data) & 0xFFFFFFFF, 0)
        payload.append((offset, data))
        offset = _align(offset + len(data), alignment)
    file_size = payload[-1][0] + len(payload[-1][1]) if payload else table_end
    header = bytearray(HEADER_BYTES)
    header[0:4] = MAGIC
    struct.pack_into("<HHIIIII", header, 4, version[0], version[1], file_size, 0, n, HEADER_BYTES, alignment)
    struct.pack_into("<HHBBBBHHhBBHBBH", header, 28, 1, width, OUTPUTS[output],
                     PADDINGS[md.get("padding", "tf_same")], ACT_DTYPES[md.get("activation_dtype", "float32")],
                     flags, ih, iw, int(md.get("input_offset", 128)), int(md.get("input_shift", 7)), 3,
                     head_t, 5 if head_t else 0, 0, head_stride)
    header[50] = head_exits
    buf = bytearray(file_size)
    buf[:HEADER_BYTES] = header
    buf[HEADER_BYTES:table_end] = table
    for off, data in payload:
        buf[off:off + len(data)] = data
    struct.pack_into("<I", buf, 12, zlib.crc32(bytes(buf[:table_end])) & 0xFFFFFFFF)
    return bytes(buf)


def write_weights_file(path, metadata, tensors, alignment=64):
    """Writes `tensors` (list of (name, np.ndarray, frac_bits or None)) with `metadata` (dict) to
    `path` in the tinyq weights format; returns the number of bytes written."""
    b = weights_file_bytes(metadata, tensors, alignment)
    with open(path, "wb") as f:
        f.write(b)
    return len(b)


def read_weights_file(path_or_bytes):
    """Parses a file (checks magic, version and CRCs) -> (metadata dict, {name: (array, quant, frac)})."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        b = bytes(path_or_bytes)
    else:
        with open(path_or_bytes, "rb") as f:
            b = f.read()
    if b[:4] != MAGIC:
        raise ValueError("bad magic")
    major, minor, file_size, hcrc, n, table_off, alignment = struct.unpack_from("<HHIIIII", b, 4)
    if major != 1:
        raise ValueError("unsupported version")
    table_end = table_off + n * ENTRY_BYTES
    if zlib.crc32(b[:12] + b"\0\0\0\0" + b[16:table_end]) & 0xFFFFFFFF != hcrc:
        raise ValueError("header CRC mismatch")
    (arch, width, output, padding, act, flags, ih, iw, ioff, ishift, ich, ht, hv, hl,
     hs) = struct.unpack_from("<HHBBBBHHhBBHBBH", b, 28)
    inv = lambda d, v: [k for k, x in d.items() if x == v][0]
    meta = dict(architecture=arch, width=width, output=inv(OUTPUTS, output),
                padding="symmetric" if padding else "tf_same", activation_dtype=inv(ACT_DTYPES, act),
                head_templates=ht, classifier=bool(flags & 2), input_size=(ih, iw), input_offset=ioff,
                input_shift=ishift, alignment=alignment, version=(major, minor), head_stride=hs,
                head_exits=b[50], flags=flags)
    tensors = {}
    for i in range(n):
        e = table_off + i * ENTRY_BYTES
        name = b[e:e + NAME_BYTES].rstrip(b"\0").decode("ascii")
        dt, ndim, quant, frac, s0, s1, s2, s3, off, size, crc, _ = struct.unpack_from("<BBBb4IIIII", b, e + NAME_BYTES)
        data = b[off:off + size]
        if zlib.crc32(data) & 0xFFFFFFFF != crc:
            raise ValueError("CRC mismatch in tensor %s" % name)
        arr = np.frombuffer(data, DTYPE_FROM_CODE[dt].newbyteorder("<")).reshape([s0, s1, s2, s3][:ndim])
        tensors[name] = (arr, quant, frac)
    return meta, tensors


def imagenet_npz_to_tensors(npz):
    """The shared ImageNet MobileNetV2 1.0 npz (TF-slim names, OHWI / 1HWC) as a float32 tensor list."""
    out = []
    for name, kind, cin, cout, stride, relu6, residual in conv_layers(1000, "B") + [
            ("Logits/Conv2d_1c_1x1", "pw", 1280, 1001, 1, False, False)]:
        out.append((name + "/weights", np.asarray(npz[name + "/weights"], np.float32), None))
        out.append((name + "/biases", np.asarray(npz[name + "/biases"], np.float32), None))
    return out


def frac_for_range(max_abs, bits, lo=0, hi=31):
    """Most fractional bits n with max_abs * 2**n < 2**(bits-1) (clipped to [lo, hi]); the C++
    quantizer's rule (include/tinyq/model/host/quantize.h)."""
    if not max_abs > 0:
        return hi
    n = (bits - 1) - int(np.ceil(np.log2(max_abs * (1 + 1e-9)) + 1e-12))
    if max_abs * 2.0 ** n >= 2.0 ** (bits - 1):
        n -= 1
    return int(min(max(n, lo), hi))


def quantize_conv(name, w, b, in_frac, weight_bits=16, uniform_frac=None, per_channel=False):
    """One conv layer as integer tensors: weights int16/int8 with fractional bits from their range (per
    tensor, or per output channel: axis 0 of OHWI, the last axis of a 1HWC depthwise), or uniform_frac;
    the int32 bias with as many fractional bits as the accumulator can use (input frac + the largest
    weight frac), fewer if its range needs it. Returns the (name, array, frac) entries."""
    w = np.asarray(w, np.float64)
    b = np.asarray(b, np.float64)
    wdt = np.int16 if weight_bits > 8 else np.int8  # 9..16 bits: int16 words holding a weight_bits range
    if uniform_frac is not None:
        wf = int(uniform_frac)
        qw, top = _quantize(w, wf, wdt), wf
    elif per_channel:
        depthwise = w.ndim == 4 and w.shape[0] == 1
        axis_max = np.abs(w).max(axis=(0, 1, 2)) if depthwise else np.abs(w).reshape(w.shape[0], -1).max(axis=1)
        wf = [frac_for_range(float(m), weight_bits) for m in axis_max]
        # A channel whose weights are all near zero would get up to 31 fractional bits, and its
        # accumulator (in_frac + wf) a bias shifted left past int32: one such channel takes the
        # whole layer off the SIMD int32 paths (docs/frame-cost.md). So no channel gets more
        # fractional bits than the bias can carry (in_frac + wf <= the bias frac its range
        # allows), nor fewer than the layer's largest channel needs.
        cap = max(frac_for_range(float(np.abs(b).max()), 32) - in_frac, min(wf))
        wf = [min(f, cap) for f in wf]
        scale = np.asarray([2.0 ** f for f in wf])
        scale = scale.reshape(1, 1, 1, -1) if depthwise else scale.reshape(-1, 1, 1, 1)
        info = np.iinfo(wdt)
        qw = np.clip(np.floor(w * scale + 0.5), info.min, info.max).astype(wdt)
        top = max(wf)
    else:
        wf = frac_for_range(float(np.abs(w).max()), weight_bits)
        qw, top = _quantize(w, wf, wdt), wf
    bf = min(in_frac + top, 31, frac_for_range(float(np.abs(b).max()), 32))
    return [(name + "/weights", qw, wf), (name + "/biases", _quantize(b, bf, np.int32), bf)]


def _quantize(x, frac, dtype):
    info = np.iinfo(dtype)
    return np.clip(np.floor(np.asarray(x, np.float64) * 2.0 ** frac + 0.5), info.min, info.max).astype(dtype)


UNIFORM_FORMATS = ("q9", "q8", "q7", "q6")  # the paper's 16-bit Q<6,9>, Q<7,8>, Q<8,7>, Q<9,6>


def _activation_fracs(pts, fmt, qformats, bits, point_fracs):
    """One frac per activation point of `pts`: uniform q9..q6, or 'auto': point_fracs(frac_of) -> {point: frac}
    with frac_of(point) the most fractional bits (<= 15) that hold the range calibrate.py's --json recorded."""
    if fmt in UNIFORM_FORMATS:
        return [int(fmt[1])] * len(pts)
    if fmt != "auto" or qformats is None:
        raise ValueError("format auto needs the calibrate.py --json file (qformats)")
    import json
    with open(qformats) if isinstance(qformats, str) else qformats as f:
        acts = json.load(f)["activations"]

    def frac_of(tap):
        if tap not in acts:
            raise ValueError("qformats has no activation range for %r (calibrate this model)" % tap)
        return frac_for_range(float(acts[tap]["maxabs"]), bits, 0, 15)

    fr = point_fracs(frac_of)
    return [fr[p] for p in pts]


def detector_activation_fracs(width, fmt, qformats=None, bits=16):
    """Activation fracs (one per activation_points(width, 'A', head=True)) for a format:
    'q9'/'q8'/'q7'/'q6' uniform; 'auto' from a calibrate.py --json file (its `activations` ranges;
    a residual block's pre-add project output gets min(frac(add), frac(block input)) - 1)."""
    def point_fracs(frac_of):
        fr = _residual_fracs(conv_layers(width, "A"), frac_of, bits)
        fr["head"] = frac_of("head")
        return fr

    return _activation_fracs(activation_points(width, "A", head=True), fmt, qformats, bits, point_fracs)


def _residual_fracs(layers, frac_of, bits=16):
    """Activation fracs of the backbone points from calibrated ranges: a residual block's add gets its own
    range's frac and the project output before it min(frac(add), frac(block input)) - 1 (the OutA rule)."""
    fr = {"input": frac_for_range(1.0, bits, 0, 15)}
    prev = "input"
    block_input = {}
    for name, kind, cin, cout, stride, relu6, residual in layers:
        block = name.rsplit("/", 1)[0]
        block_input.setdefault(block, prev)
        if residual:  # calibrate.py records the sum as "<block>/project/add"
            fr[block + "/add"] = frac_of(name + "/add")
            fr[name] = max(0, min(fr[block + "/add"], fr[block_input[block]]) - 1)
            prev = block + "/add"
        else:
            fr[name] = frac_of(name)
            prev = name
    return fr


def multi_exit_activation_fracs(width, exit_taps, fmt, qformats=None, bits=16):
    """Activation fracs (one per activation_points(width, 'exits', exit_taps=...)): uniform q9..q6, or 'auto'
    from calibrate.py's --json; every head_<k> gets the same frac, the smallest of the calibrated ones, so
    the logits of all exits are comparable in the integer domain."""
    def point_fracs(frac_of):
        fr = _residual_fracs(conv_layers(width, "exits", exit_taps), frac_of, bits)
        head = min(frac_of("head_%d" % k) for k in range(len(exit_taps)))
        for k in range(len(exit_taps)):
            fr["head_%d" % k] = head
        return fr

    return _activation_fracs(activation_points(width, "exits", exit_taps=exit_taps), fmt, qformats, bits,
                             point_fracs)


def _layer_weight_bits(name, weight_bits, depthwise_weight_bits):
    """The weight bits of one layer: depthwise layers may differ from the rest (--depthwise-weight-bits)."""
    return depthwise_weight_bits if depthwise_weight_bits and name.endswith("depthwise") else weight_bits


def export_multi_exit(npz, out_path, fmt="auto", qformats=None, weight_bits=16, uniform_weights=False,
                      per_channel=False, activation_bits=16, depthwise_weight_bits=None):
    """Multi-exit detector npz (multi_exit.py layout) -> weights file variant 'exits' (module doc). Tensor
    order: each backbone layer's weights/biases, each head_<k>'s right after its tap layer, then the
    templates, head/exits, activation_frac_bits."""
    width = int(round(float(np.asarray(npz["meta/alpha"])) * 1000))
    exits = np.asarray(npz["meta/exits"], np.int64)
    taps = [int(t) for t in exits[:, 0]]
    if any(b <= a for a, b in zip(taps, taps[1:])):
        raise ValueError("exit taps must be strictly increasing: %s" % taps)
    layers = conv_layers(width, "exits", taps)
    alpha = width / 1000.0
    for k, (tap, stride, t) in enumerate(exits):
        st = 1
        for l in layer_table.layers(alpha, "B")[:tap + 1]:
            st *= l["stride"]
        if st != stride:
            raise ValueError("exit %d: stride %d but layers 0..%d give %d" % (k, stride, tap, st))
        if npz["head_%d/weights" % k].shape != (5 * t, 1, 1, layers[tap][3]):
            raise ValueError("head_%d/weights has shape %s" % (k, npz["head_%d/weights" % k].shape))
        if npz["head_%d/templates" % k].shape != (t, 4):
            raise ValueError("head_%d/templates has shape %s" % (k, npz["head_%d/templates" % k].shape))
    meta = dict(width=width, output="exits", padding="tf_same", head_templates=int(exits[:, 2].sum()),
                head_exits=len(exits), head_stride=int(exits[:, 1].max()), input_offset=128, input_shift=7,
                activation_dtype="float32" if fmt == "float" else "int%d" % activation_bits)
    order = []  # (tensor prefix, point its input is at) in file order
    prev = "input"
    for i, (name, kind, cin, cout, stride, relu6, residual) in enumerate(layers):
        order.append((name, prev))
        prev = name.rsplit("/", 1)[0] + "/add" if residual else name
        if i in taps:
            order.append(("head_%d" % taps.index(i), prev))
    tensors = []
    if fmt == "float":
        for name, _ in order:
            tensors.append((name + "/weights", np.asarray(npz[name + "/weights"], np.float32), None))
            tensors.append((name + "/biases", np.asarray(npz[name + "/biases"], np.float32), None))
    else:
        afr = multi_exit_activation_fracs(width, taps, fmt, qformats, activation_bits)
        point_frac = dict(zip(activation_points(width, "exits", exit_taps=taps), afr))
        for name, src in order:
            tensors += quantize_conv(name, npz[name + "/weights"], npz[name + "/biases"], point_frac[src],
                                     _layer_weight_bits(name, weight_bits, depthwise_weight_bits),
                                     int(fmt[1]) if uniform_weights else None, per_channel)
    for k in range(len(exits)):
        tensors.append(("head_%d/templates" % k, _quantize(np.asarray(npz["head_%d/templates" % k], np.float64),
                                                            4, np.int32), 4))
    tensors.append(("head/exits", exits.astype(np.int32), 0))
    if fmt != "float":
        tensors.append(("activation_frac_bits", np.asarray(afr, np.int8), 0))
    return write_weights_file(out_path, meta, tensors)


def export_detector(npz_path, out_path, fmt="auto", qformats=None, weight_bits=16, gate="none",
                    uniform_weights=False, per_channel=False, activation_bits=16, depthwise_weight_bits=None):
    """Face detector npz (tools/tinyq_tools/detector.py layout: float32 `<layer>/weights` OHWI /
    1HWC, `<layer>/biases`, `head/*`, `templates` (T, 4), `meta/alpha`) -> tinyq weights file.
    fmt: 'float' (float32 tensors), 'q9'/'q8'/'q7'/'q6' (int16 activations at that uniform format),
    'auto' (int16 activations at calibrated per-layer formats from `qformats`, calibrate.py's
    --json). Integer weights: int16 (or int8 with weight_bits=8), fractional bits per tensor from
    its range, or with uniform_weights (a uniform format only) the format's own frac, as the
    paper quantizes; biases int32 at input frac + weight frac. gate 'tinyface' also writes
    `head/template_scales` (the Tiny-Face scale of each template, Q8) so the C++ detector
    decodes template t only at that inference scale, as eval.py --gate tinyface does.
    Returns the bytes written."""
    if uniform_weights and fmt not in UNIFORM_FORMATS:
        raise ValueError("uniform_weights needs a uniform format (q9, q8, q7, q6)")
    npz = np.load(npz_path)
    if "meta/exits" in npz.files:
        if gate != "none":
            raise ValueError("a multi-exit detector has no template gating (its exits replace the scales)")
        return export_multi_exit(npz, out_path, fmt, qformats, weight_bits, uniform_weights, per_channel,
                                 activation_bits, depthwise_weight_bits)
    width = int(round(float(np.asarray(npz["meta/alpha"])) * 1000)) if "meta/alpha" in npz.files else 1000
    templates = np.asarray(npz["templates"], np.float64)
    t = templates.shape[0]
    layers = [(n, res) for n, k, ci, co, st, r6, res in conv_layers(width, "A")] + [("head", False)]
    meta = dict(width=width, output="A", padding="tf_same", head_templates=t, input_offset=128, input_shift=7,
                activation_dtype="float32" if fmt == "float" else "int%d" % activation_bits)
    tensors = []
    if fmt == "float":
        for name, _ in layers:
            tensors.append((name + "/weights", np.asarray(npz[name + "/weights"], np.float32), None))
            tensors.append((name + "/biases", np.asarray(npz[name + "/biases"], np.float32), None))
    else:
        afr = detector_activation_fracs(width, fmt, qformats, activation_bits)
        pts = activation_points(width, "A", head=True)
        point_frac = dict(zip(pts, afr))
        prev = "input"
        for name, residual in layers:
            tensors += quantize_conv(name, npz[name + "/weights"], npz[name + "/biases"], point_frac[prev],
                                     _layer_weight_bits(name, weight_bits, depthwise_weight_bits),
                                     int(fmt[1]) if uniform_weights else None, per_channel)
            prev = name.rsplit("/", 1)[0] + "/add" if residual else name
        tensors.append(("activation_frac_bits", np.asarray(afr, np.int8), 0))
    tensors.append(("head/templates", _quantize(templates, 4, np.int32), 4))
    if gate == "tinyface":
        from .templates import HR_RES101_TEMPLATES
        if t != len(HR_RES101_TEMPLATES):
            raise ValueError("--gate tinyface needs the 25 hr_res101 templates")
        tensors.append(("head/template_scales", _quantize(HR_RES101_TEMPLATES[:, 4], 8, np.int32), 8))
    return write_weights_file(out_path, meta, tensors)


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(description="tinyq weights file tools")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("from-imagenet-npz", help="shared ImageNet weights.npz -> float32 classifier weights file")
    c.add_argument("npz")
    c.add_argument("out")
    e = sub.add_parser("export-detector", help="face detector npz -> weights file (float, q9, q8, q7, auto)")
    e.add_argument("npz")
    e.add_argument("out")
    e.add_argument("--format", default="auto", choices=["float", "q9", "q8", "q7", "q6", "auto"])
    e.add_argument("--uniform-weights", action="store_true",
                   help="with q9..q6: weights in that format too (the paper's uniform quantization)")
    e.add_argument("--qformats", default=None, help="calibrate.py --json output (needed by --format auto)")
    e.add_argument("--weight-bits", type=int, default=16, choices=range(8, 17), metavar="{8..16}",
                   help="8: int8 weights; 9..16: int16 weights holding a range of that many bits (fewer bits leave "
                        "the int32 headroom the fast kernel paths need: docs/kernels.md)")
    e.add_argument("--depthwise-weight-bits", type=int, default=None, choices=range(8, 17), metavar="{8..16}",
                   help="the depthwise layers' weight bits (default: --weight-bits)")
    e.add_argument("--per-channel", action="store_true",
                   help="weight fractional bits per output channel (the epilogue stays a shift per channel)")
    e.add_argument("--activation-bits", type=int, default=16, choices=[8, 16],
                   help="8: int8 activations (auto: fracs from the calibrated ranges for 8 bits)")
    e.add_argument("--gate", default="none", choices=["none", "tinyface"],
                   help="tinyface: use each template only at its Tiny-Face inference scale (head/template_scales)")
    d = sub.add_parser("dump", help="print metadata and the tensor table")
    d.add_argument("file")
    a = p.parse_args(argv)
    if a.cmd == "from-imagenet-npz":
        npz = np.load(a.npz)
        meta = dict(width=1000, output="B", classifier=True, activation_dtype="float32", input_size=(224, 224))
        print(write_weights_file(a.out, meta, imagenet_npz_to_tensors(npz)), "bytes ->", a.out)
    elif a.cmd == "export-detector":
        print(export_detector(a.npz, a.out, a.format, a.qformats, a.weight_bits, a.gate,
                              a.uniform_weights, a.per_channel, a.activation_bits, a.depthwise_weight_bits),
              "bytes ->", a.out)
    else:
        meta, tensors = read_weights_file(a.file)
        print(meta)
        if meta["output"] == "exits" and "head/exits" in tensors:
            ex = tensors["head/exits"][0]
            alpha = meta["width"] / 1000.0
            names = [l["name"] for l in layer_table.layers(alpha, "B")]
            for k, (tap, stride, t) in enumerate(ex):
                print("exit %d: tap %d (%s) stride %d, %d templates" % (k, tap, names[tap] if 0 <= tap < len(names)
                                                                       else "?", stride, t))
            if "activation_frac_bits" in tensors:
                pts = activation_points(meta["width"], "exits", exit_taps=[int(v) for v in ex[:, 0]])
                fr = tensors["activation_frac_bits"][0]
                print("activation points (%d, %d fracs): %s" % (len(pts), len(fr), " ".join(
                    "%s=%d" % pf for pf in zip(pts, fr))))
        for k, (arr, quant, frac) in tensors.items():
            print("%-48s %-8s %-20s quant=%d frac=%d" % (k, arr.dtype, arr.shape, quant, frac))


if __name__ == "__main__":
    main()
