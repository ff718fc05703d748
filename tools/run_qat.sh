#!/bin/sh
# QAT of the width-0.5 detector for the W8A8 per-channel export (docs/qat.md). Run from tools/, one stage at a time:
#   sh run_qat.sh range      # 1: float fine-tune with the head-range penalty (8 min), then calibrate it
#   sh run_qat.sh qat        # 2: QAT with the formats of that calibration (15 min), export the int8 file
#   sh run_qat.sh baseline   #    the W8A8 export of the shipped model without QAT (the comparison)
#   sh run_qat.sh eval       #    C++ integer AP: int16 auto, W8A8 without QAT, W8A8 with QAT (wider_val, fddb_paper)
# State (checkpoints, logs) in .cache/; --resume continues a stopped stage.
set -e
mkdir -p .cache
PY=/usr/bin/python3
M=../models
BASE=$M/face_mnv2_a050_outA
OUT=$M/face_mnv2_a050_outA.w8a8
DETECT=${DETECT:-../build/host/examples/detect/tinyq-detect}
W8A8="--format auto --weight-bits 8 --per-channel --activation-bits 8 --gate tinyface"
TRAIN="--alpha 0.5 --mix wider_train:160,dlib:4 --teacher $BASE.npz --distill-weight 1.0 --epochs 400 --threads 2"
case "$1" in
  range)
    nice -n 10 $PY -m tinyq_tools.train $TRAIN --init $BASE.npz --lr 2e-4 --head-range 6 --head-range-weight 0.1 \
        --time-budget-min 8 --tag a050_qat_range --out .cache/a050_qat_range.npz $2
    nice -n 10 $PY -m tinyq_tools.calibrate --model .cache/a050_qat_range.npz --threads 2 --json $OUT.qformats.json ;;
  qat)
    nice -n 10 $PY -m tinyq_tools.train $TRAIN --init .cache/a050_qat_range.npz --lr 1e-4 --qat $OUT.qformats.json \
        --time-budget-min 15 --tag a050_qat --out $OUT.npz $2
    $PY -m tinyq_tools.weights_file export-detector $OUT.npz $OUT.tqw $W8A8 --qformats $OUT.qformats.json ;;
  baseline)
    $PY -m tinyq_tools.weights_file export-detector $BASE.npz .cache/a050_w8a8_noqat.tqw $W8A8 --qformats $BASE.qformats.json
    $PY -m tinyq_tools.weights_file export-detector .cache/a050_qat_range.npz .cache/a050_w8a8_range_noqat.tqw $W8A8 \
        --qformats $OUT.qformats.json ;;
  eval)
    for s in wider_val fddb_paper; do
      nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set $s --model $BASE.auto.tqw \
          --model .cache/a050_w8a8_noqat.tqw --model .cache/a050_w8a8_range_noqat.tqw --model $OUT.tqw \
          --json $OUT.cpp_eval_$s.json
    done ;;
  *) echo "usage: sh run_qat.sh range|qat|baseline|eval [--resume]" >&2; exit 2 ;;
esac
