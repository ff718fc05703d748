#!/bin/sh
# Ship the "Models v2" width-1.0 run (train_a100_v2.sh) as the paper-mode width-1.0 detector: copy its final npz
# over models/face_mnv2_a100_outA.npz, calibrate, export every shipped format, and evaluate C++ integer and
# PyTorch float on WIDER val-40, FDDB-283 (paper boxes; evaluation only) and face_mask_853 val.
# Run from tools/ after `cmake --preset host && cmake --build --preset host --target tinyq-detect`:
#   sh finish_a100_v2.sh [NPZ] [FIRST_STEP]   NPZ: default the run's final npz; FIRST_STEP 1..5 skips earlier steps
# Outputs: models/face_mnv2_a100_outA.{npz,qformats.json,*.tqw}, models/eval_*_v2.json, docs/calibration_a100.png.
# The "before" numbers of the replaced model are in models/eval_*_before.json and its model card's git history.
set -e
NPZ=${1:-../models/train_state/face_mnv2_a100_outA_v2.final.npz}
FIRST=${2:-1}
PY="nice -n 5 /usr/bin/python3"
DET=../build/host/examples/detect/tinyq-detect
M=../models/face_mnv2_a100_outA
EV="-m tinyq_tools.eval --scales 0.5,1,2 --gate tinyface --threads 2 --model $M.npz"
CPP="-m tinyq_tools.eval_cpp --detect $DET"
X="-m tinyq_tools.weights_file export-detector $M.npz"
if [ $FIRST -le 1 ]; then  # 1: the npz + calibration (wider_val_200 train + dlib, as every shipped model)
  cp "$NPZ" $M.npz
  $PY -m tinyq_tools.calibrate --model $M.npz --plot ../docs/calibration_a100.png --json $M.qformats.json > /dev/null
fi
if [ $FIRST -le 2 ]; then  # 2: the shipped formats (docs/model-card-face_mnv2_a100_outA.md, docs/frame-cost.md)
  $PY $X $M.auto.tqw --format auto --gate tinyface --qformats $M.qformats.json
  for f in q9 q8 q7; do $PY $X $M.$f.tqw --format $f --gate tinyface; done
  $PY $X $M.float.tqw --format float --gate tinyface
  $PY $X $M.w12d8.tqw --format auto --gate tinyface --per-channel --weight-bits 12 --depthwise-weight-bits 8 \
      --qformats $M.qformats.json
  $PY $X $M.w8.tqw --format auto --gate tinyface --per-channel --weight-bits 8 --qformats $M.qformats.json
fi
if [ $FIRST -le 3 ]; then  # 3: C++ integer (tinyq-detect), every eval set
  $PY $CPP --set wider_val --threshold 0.03 --model $M.w12d8.tqw --model $M.auto.tqw --model $M.q9.tqw \
      --model $M.w8.tqw --json ../models/eval_wider_val_cpp_v2.json
  $PY $CPP --set fddb_paper --threshold 0.05 --model $M.w12d8.tqw --model $M.auto.tqw --model $M.q9.tqw \
      --model $M.q8.tqw --model $M.q7.tqw --model $M.w8.tqw --json ../models/eval_fddb_paper_cpp_v2.json
  $PY $CPP --set face_mask_val --threshold 0.03 --model $M.w12d8.tqw --model $M.auto.tqw \
      --json ../models/eval_face_mask_val_cpp_v2.json
  $PY -m tinyq_tools.threshold --detect $DET --set wider_val --model $M.w12d8.tqw --json ../models/threshold_wider_val_v2.json
fi
if [ $FIRST -le 4 ]; then  # 4: PyTorch float on WIDER val-40 and face_mask_853 val
  $PY $EV --set wider_val --score-thr 0.03 --nms 0.3 --json ../models/eval_wider_val_float_v2.json
  $PY $EV --set face_mask_val --score-thr 0.03 --nms 0.3 --json ../models/eval_face_mask_val_float_v2.json
fi
if [ $FIRST -le 5 ]; then  # 5: PyTorch float on FDDB-283 (the slow one: ~8 min on 2 cores)
  $PY $EV --set fddb_paper --score-thr 0.05 --plot ../docs/pr_fddb_paper_v2.png --plot-subset all \
      --json ../models/eval_fddb_paper_float_v2.json
fi
echo "finish_a100_v2.sh: done"
