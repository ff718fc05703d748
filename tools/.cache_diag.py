# diagnostic on TRAINING images only: how much of the A8 loss is the head's output format?
import numpy as np, torch, torch.nn as nn
from tinyq_tools.detector import load_npz
from tinyq_tools.data import load_items, load_rgb
from tinyq_tools.eval import detect, report
from tinyq_tools.qat import FakeQuantDetector
torch.set_num_threads(1)
m=load_npz("../models/face_mnv2_a050_outA.npz").eval()
q=FakeQuantDetector.from_qformats(m,"../models/face_mnv2_a050_outA.qformats.json",exact=False).eval()
class HeadQ(nn.Module):
    def __init__(s,f): super().__init__(); s.f=f
    def forward(s,x): return torch.clamp(torch.floor(m(x)*2**s.f+0.5),-128,127)/2**s.f
its=load_items("wider_train")[:40]
imgs=[load_rgb(i["path"]) for i in its]; gts=[(i["boxes"],i["invalid"]) for i in its]
for name,mod in [("float",m),("float, head 8-bit frac 2",HeadQ(2)),("float, head 8-bit frac 4",HeadQ(4)),("A8 fake quant (head frac 2)",q)]:
    report(name,[detect(mod,im,(0.5,1,2),gate="tinyface") for im in imgs],gts)
