"""The 25 canonical templates of Tiny-Face `hr_res101` (Hu & Ramanan, "Finding Tiny Faces",
CVPR 2017; model file hr_res101.mat, clusters "RefBox_N25_scaled").

Source of the numbers: github.com/varunagrawal/tiny-faces-pytorch, file
`tinyfaces/datasets/templates.json` (commit 54b324aa455361d41c8830df2c61c833bd0c6c86), which
lists the 25 clusters of hr_res101 as (x1, y1, x2, y2, scale) centred boxes.  The fifth
column is the image scale at which Tiny-Face uses the template (0.5: templates 0-3, 1: 4-11,
2: 12-24).  Boxes are in pixels of the (rescaled) network input; width = x2 - x1.

tinyq uses the 25 boxes as anchors of a single stride-16 head (OutA), at every inference
scale (the scale column is kept for reference only, see docs/training.md).
"""
import numpy as np

# x1, y1, x2, y2, tiny-face scale
HR_RES101_TEMPLATES = np.array([
    [-86.3382352941177, -113.444117647059, 86.3382352941177, 113.444117647059, 0.5],
    [-48.75, -65.25, 48.75, 65.25, 0.5],
    [-33.25, -43.75, 33.25, 43.75, 0.5],
    [-25.75, -33.75, 25.75, 33.75, 0.5],
    [-40.5, -54.5, 40.5, 54.5, 1],
    [-34.5, -43.5, 34.5, 43.5, 1],
    [-28.5, -38, 28.5, 38, 1],
    [-25.658905, -31.32215, 25.658905, 31.32215, 1],
    [-21.6137, -27.59767, 21.6137, 27.59767, 1],
    [-20, -22.5, 20, 22.5, 1],
    [-17.5, -25.5, 17.5, 25.5, 1],
    [-16.3279854, -20.88555, 16.3279854, 20.88555, 1],
    [-29.4755, -34.4803, 29.4755, 34.4803, 2],
    [-25.4202, -37.10609, 25.4202, 37.10609, 2],
    [-24.2118, -30.21456, 24.2118, 30.21456, 2],
    [-22.0129, -24.7059, 22.0129, 24.7059, 2],
    [-19.3142, -28.0202, 19.3142, 28.0202, 2],
    [-17.9677, -22.7849, 17.9677, 22.7849, 2],
    [-15.6123, -19.5907, 15.6123, 19.5907, 2],
    [-13.1842, -18.3421, 13.1842, 18.3421, 2],
    [-13.50277, -15.0792, 13.50277, 15.0792, 2],
    [-11.1091, -16.4909, 11.1091, 16.4909, 2],
    [-10.97686, -14.0478, 10.97686, 14.0478, 2],
    [-9.9722, -12.4105, 9.9722, 12.4105, 2],
    [-9.6613, -10.6161, 9.6613, 10.6161, 2],
], dtype=np.float64)

NUM_TEMPLATES = 25


def templates_xyxy():
    """(25, 4) float32 centred boxes (x1, y1, x2, y2)."""
    return HR_RES101_TEMPLATES[:, :4].astype(np.float32)


def templates_wh():
    t = templates_xyxy()
    return np.stack([t[:, 2] - t[:, 0], t[:, 3] - t[:, 1]], 1)
