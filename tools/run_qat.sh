#!/bin/sh
# QAT of the width-0.5 detector for the W8A8 per-channel export (docs/qat.md). Run from tools/, one stage at a time:
#   sh run_qat.sh range      # 1: refit the head into +-6.5 (head_range.py, backbone unchanged), calibrate the result
#   sh run_qat.sh qat [MIN]  # 2: QAT with the formats of that calibration (MIN minutes, default 15), export int8
#   sh run_qat.sh baseline   #    W8A8 exports without QAT: the shipped model, and the head-refit model
#   sh run_qat.sh eval       #    C++ integer AP of int16 auto and the three W8A8 files (wider_val, fddb_paper)
# State (checkpoints, logs) in .cache/; `sh run_qat.sh qat MIN --resume` continues a stopped QAT run.
set -e
mkdir -p .cache
PY=/usr/bin/python3
M=../models
BASE=$M/face_mnv2_a050_outA
OUT=$M/face_mnv2_a050_outA.w8a8
DETECT=${DETECT:-../build/host/examples/detect/tinyq-detect}
W8A8="--format auto --weight-bits 8 --per-channel --activation-bits 8 --gate tinyface"
case "$1" in
  range)
    nice -n 10 $PY -m tinyq_tools.head_range --model $BASE.npz --out .cache/a050_head_range.npz --limit 6.5
    nice -n 10 $PY -m tinyq_tools.calibrate --model .cache/a050_head_range.npz --threads 2 --json $OUT.qformats.json ;;
  qat)
    nice -n 10 $PY -m tinyq_tools.train --alpha 0.5 --mix wider_train:160,dlib:4 --init .cache/a050_head_range.npz \
        --teacher $BASE.npz --distill-weight 1.0 --lr 1e-4 --qat $OUT.qformats.json --epochs 400 \
        --time-budget-min ${2:-15} --threads 2 --tag a050_qat --out $OUT.npz $3
    $PY -m tinyq_tools.weights_file export-detector $OUT.npz $OUT.tqw $W8A8 --qformats $OUT.qformats.json ;;
  baseline)
    $PY -m tinyq_tools.weights_file export-detector $BASE.npz .cache/a050_w8a8_noqat.tqw $W8A8 --qformats $BASE.qformats.json
    $PY -m tinyq_tools.weights_file export-detector .cache/a050_head_range.npz .cache/a050_w8a8_head_range.tqw $W8A8 \
        --qformats $OUT.qformats.json ;;
  eval)
    for s in wider_val fddb_paper; do
      nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set $s --model $BASE.auto.tqw \
          --model .cache/a050_w8a8_noqat.tqw --model .cache/a050_w8a8_head_range.tqw --model $OUT.tqw \
          --json $OUT.cpp_eval_$s.json
    done ;;
  *) echo "usage: sh run_qat.sh range | qat [MIN] [--resume] | baseline | eval" >&2; exit 2 ;;
esac
