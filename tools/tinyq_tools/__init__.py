"""tinyq_tools: Python training / evaluation / calibration side of tinyq.

Run with Debian's interpreter (/usr/bin/python3: torch 1.13, numpy, cv2) from the
`tools/` directory, e.g. `/usr/bin/python3 -m tinyq_tools.train --help`.
"""
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "data"))
