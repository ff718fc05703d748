#!/bin/sh
# Evaluate (and optionally ship) the width-0.5 v2 candidate of train_a050_v2.sh beside the shipped width-0.5 model:
# calibrate and export the candidate into a scratch folder, score both with the C++ detector on WIDER val-40 and
# FDDB-283 (paper boxes; evaluation only) and face_mask_853 val. With `ship` as the first argument the candidate's
# npz, calibration and every shipped format replace models/face_mnv2_a050_outA.* (do that only when it is better).
# Run from tools/ after `cmake --preset host && cmake --build --preset host --target tinyq-detect`:
#   sh finish_a050_v2.sh [ship] [NPZ]      NPZ: default the run's final npz
set -e
SHIP=0
if [ "$1" = ship ]; then SHIP=1; shift; fi
NPZ=${1:-../models/train_state/face_mnv2_a050_outA_v2.final.npz}
PY="nice -n 5 /usr/bin/python3"
DET=../build/host/examples/detect/tinyq-detect
OLD=../models/face_mnv2_a050_outA
if [ $SHIP -eq 1 ]; then M=$OLD; else mkdir -p ../build/a050_v2; M=../build/a050_v2/face_mnv2_a050_outA; fi
X="-m tinyq_tools.weights_file export-detector $M.npz"
CPP="-m tinyq_tools.eval_cpp --detect $DET"
[ $SHIP -eq 1 ] && [ ! -f ../models/v1/face_mnv2_a050_outA.eval.json ] && mkdir -p ../models/v1 && \
  for f in eval.json cpp_eval.json quant_wq.json train_log.txt; do git mv $OLD.$f ../models/v1/face_mnv2_a050_outA.$f; done
cp "$NPZ" $M.npz
PLOT=../build/a050_v2/calibration_a050.png; [ $SHIP -eq 1 ] && PLOT=../docs/calibration_a050.png
$PY -m tinyq_tools.calibrate --model $M.npz --plot $PLOT --json $M.qformats.json > /dev/null
$PY $X $M.auto.tqw --format auto --gate tinyface --qformats $M.qformats.json
$PY $X $M.q9.tqw --format q9 --gate tinyface
$PY $X $M.float.tqw --format float --gate tinyface
$PY $X $M.w12d8.tqw --format auto --gate tinyface --per-channel --weight-bits 12 --depthwise-weight-bits 8 \
    --qformats $M.qformats.json
$PY $X $M.w8.tqw --format auto --gate tinyface --per-channel --weight-bits 8 --qformats $M.qformats.json
if [ $SHIP -eq 1 ]; then MODELS="--model $M.auto.tqw --model $M.q9.tqw --model $M.w12d8.tqw --model $M.w8.tqw"
else MODELS="--model $OLD.auto.tqw --model $M.auto.tqw --model $M.q9.tqw --model $M.w12d8.tqw --model $M.w8.tqw"; fi
J=../build/a050_v2; [ $SHIP -eq 1 ] && J=../models
$PY $CPP --set wider_val --threshold 0.03 $MODELS --json $J/eval_wider_val_cpp_a050_v2.json
$PY $CPP --set fddb_paper --threshold 0.05 $MODELS --json $J/eval_fddb_paper_cpp_a050_v2.json
$PY $CPP --set face_mask_val --threshold 0.03 $MODELS --json $J/eval_face_mask_val_cpp_a050_v2.json
echo "finish_a050_v2.sh: done"
