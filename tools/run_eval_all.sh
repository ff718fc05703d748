#!/bin/sh
# Full evaluation of one trained detector (the numbers of docs/results.md). Run from tools/:
#   sh run_eval_all.sh a100            (model ../models/face_mnv2_a100_outA.npz)
# Writes ../models/face_mnv2_<tag>_outA.{qformats,eval,quant_wq,quant_more}.json and plots into ../docs/.
# (The three steps are independent after calibration; they were run as parallel jobs.)
set -e
TAG=${1:-a100}
M=../models/face_mnv2_${TAG}_outA.npz
PY="nice -n 10 /usr/bin/python3"
EV="-m tinyq_tools.eval --model $M --scales 0.5,1,2 --gate tinyface --threads 1"
$PY $EV --haar --plot ../docs/pr_curve_${TAG}.png --json ../models/face_mnv2_${TAG}_outA.eval.json
$PY -m tinyq_tools.calibrate --model $M --threads 1 --plot ../docs/calibration_${TAG}.png \
    --json ../models/face_mnv2_${TAG}_outA.qformats.json
$PY $EV --no-float --wq Q9,Q8,Q7,Q6 --json ../models/face_mnv2_${TAG}_outA.quant_wq.json
$PY $EV --no-float --wq auto16,auto8 --aq Q9,auto16,auto8 --qformats ../models/face_mnv2_${TAG}_outA.qformats.json \
    --json ../models/face_mnv2_${TAG}_outA.quant_more.json
