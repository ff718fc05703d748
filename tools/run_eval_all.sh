#!/bin/sh
# Full evaluation of one trained detector (numbers for docs/results.md). Run from tools/:
#   sh run_eval_all.sh a100            (model ../models/face_mnv2_a100_outA.npz)
# Writes results JSON to ../models/face_mnv2_<tag>_outA.eval.json, plots into ../docs/.
set -e
TAG=${1:-a100}
M=../models/face_mnv2_${TAG}_outA.npz
PY="nice -n 10 /usr/bin/python3"
$PY -m tinyq_tools.calibrate --model $M --plot ../docs/calibration_${TAG}.png --json ../models/face_mnv2_${TAG}_outA.qformats.json > .cache/calib_${TAG}.txt
$PY -m tinyq_tools.eval --model $M --scales 0.5,1,2 --gate tinyface --haar --plot ../docs/pr_curve_${TAG}.png \
    --json ../models/face_mnv2_${TAG}_outA.eval.json
$PY -m tinyq_tools.eval --model $M --scales 0.5,1,2 --gate tinyface --wq Q9,Q8,Q7,Q6,auto16,auto8 \
    --aq Q9,Q8,Q7,Q6,auto16,auto8 --qformats ../models/face_mnv2_${TAG}_outA.qformats.json \
    --json ../models/face_mnv2_${TAG}_outA.quant.json
