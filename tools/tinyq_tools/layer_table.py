"""The MobileNetV2 layer table: the one Python source of every conv layer's name, kind, channels, stride, ReLU6,
residual flag and block index, at any width. mobilenet_v2.py (PyTorch) and weights_file.py (export) build on
it; the C++ twin is `for_each_backbone_layer` in include/tinyq/model/mobilenet_v2.h, and
tests/test_layer_table.py checks that the two list the same layers (via tests/model/layer_table_dump.cpp).

Table (Sandler et al. 2018, Table 2): per stage (expansion t, output channels c, repeats n, first stride s).
Channels at width alpha follow Keras: the stem has make_divisible(32 alpha), stage outputs
make_divisible(int(c alpha)), with make_divisible(v) = max(8, floor(v + 4) // 8 * 8), plus 8 when that is
below 0.9 v. Conv_1 keeps 1280 channels for alpha <= 1.
Output A stops after expanded_conv_13/expand (stride 16); output B runs to Conv_1 (stride 32).
"""

BLOCK_TABLE = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
               (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
WIDTHS_PER_MILLE = (350, 500, 750, 1000)


def make_divisible(v, divisor=8, min_value=None):
    """Keras/TF `_make_divisible`."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def block_name(i):
    return "expanded_conv" if i == 0 else "expanded_conv_%d" % i


def layers(alpha=1.0, output="B"):
    """Conv layers in execution order: dicts with name, kind ('conv3x3' | 'dw' | 'pw'), cin, cout, k, stride,
    relu6, residual (a project whose block ends with an add), block (-1 outside the inverted residuals)."""
    if output not in ("A", "B"):
        raise ValueError("output must be 'A' or 'B' (C = A + B), got %r" % (output,))
    out = []
    c0 = make_divisible(32 * alpha)
    out.append(dict(name="Conv", kind="conv3x3", cin=3, cout=c0, k=3, stride=2, relu6=True, residual=False, block=-1))
    cin, bi = c0, 0
    for t, c, n, s in BLOCK_TABLE:
        cout = make_divisible(int(c * alpha))
        for r in range(n):
            stride = s if r == 0 else 1
            name = block_name(bi)
            mid = cin * t
            if t != 1:
                out.append(dict(name=name + "/expand", kind="pw", cin=cin, cout=mid, k=1, stride=1, relu6=True,
                                residual=False, block=bi))
                if output == "A" and bi == 13:
                    return out
            out.append(dict(name=name + "/depthwise", kind="dw", cin=mid, cout=mid, k=3, stride=stride, relu6=True,
                            residual=False, block=bi))
            out.append(dict(name=name + "/project", kind="pw", cin=mid, cout=cout, k=1, stride=1, relu6=False,
                            residual=(stride == 1 and cin == cout), block=bi))
            cin, bi = cout, bi + 1
    last = 1280 if alpha <= 1.0 else make_divisible(1280 * alpha)
    out.append(dict(name="Conv_1", kind="pw", cin=cin, cout=last, k=1, stride=1, relu6=True, residual=False,
                    block=-1))
    return out
