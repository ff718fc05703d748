#!/bin/sh
# QAT of the width-0.5 detector for the W8A8 per-channel export (docs/qat.md). Run from tools/, one stage at a time:
#   sh run_qat.sh range      # 1: score logits x 0.4 (head_range.py, ranking kept), calibrate the result
#   sh run_qat.sh qat [MIN]  # 2: QAT with the formats of that calibration (MIN minutes, default 12), export int8
#   sh run_qat.sh baseline   #    W8A8 exports without QAT: the shipped model, and the x0.4 model
#   sh run_qat.sh eval       #    C++ integer AP (wider_val, fddb_paper): int16 auto and W8A8 without QAT at the
#                            #    threshold 0.03; the x0.4 models at 0.1993 = sigmoid(0.4 logit(0.03)) (same detections)
# State (checkpoints, logs) in .cache/; `sh run_qat.sh qat MIN --resume` continues a stopped QAT run.
set -e
mkdir -p .cache
PY=/usr/bin/python3
M=../models
BASE=$M/face_mnv2_a050_outA
OUT=$M/face_mnv2_a050_outA.w8a8
S04=.cache/a050_score04.npz
DETECT=${DETECT:-../build/host/examples/detect/tinyq-detect}
W8A8="--format auto --weight-bits 8 --per-channel --activation-bits 8 --gate tinyface"
case "$1" in
  range)
    $PY -m tinyq_tools.head_range --model $BASE.npz --out $S04 --score-scale 0.4
    nice -n 10 $PY -m tinyq_tools.calibrate --model $S04 --threads 2 --json $OUT.qformats.json ;;
  qat)
    nice -n 10 $PY -m tinyq_tools.train --alpha 0.5 --mix wider_train:160,dlib:4 --init $S04 --teacher $S04 \
        --distill-weight 1.0 --lr 1e-4 --qat $OUT.qformats.json --epochs 400 --time-budget-min ${2:-12} \
        --threads ${THREADS:-2} --tag a050_qat --out $OUT.npz $3
    $PY -m tinyq_tools.weights_file export-detector $OUT.npz $OUT.tqw $W8A8 --qformats $OUT.qformats.json ;;
  baseline)
    $PY -m tinyq_tools.weights_file export-detector $BASE.npz .cache/a050_w8a8_noqat.tqw $W8A8 --qformats $BASE.qformats.json
    $PY -m tinyq_tools.weights_file export-detector $S04 .cache/a050_w8a8_score04_noqat.tqw $W8A8 --qformats $OUT.qformats.json ;;
  eval-base)  # operating point A: threshold 0.03 on the shipped logit scale (= 0.1993 on the x0.4 scale)
    for s in wider_val fddb_paper; do
      nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set $s --model $BASE.auto.tqw \
          --model .cache/a050_w8a8_noqat.tqw --json .cache/eval_base_$s.json
      nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set $s --threshold 0.1993 \
          --model .cache/a050_w8a8_score04_noqat.tqw --json .cache/eval_score04_$s.json
    done
    # operating point B: 0.03 on the x0.4 scale (= 0.000168 on the shipped one)
    nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set wider_val --threshold 0.000168 --model $BASE.auto.tqw \
        --model .cache/a050_w8a8_noqat.tqw --json .cache/eval_base_thr00017_wider_val.json
    nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set wider_val --threshold 0.03 \
        --model .cache/a050_w8a8_score04_noqat.tqw --json .cache/eval_score04_thr003_wider_val.json ;;
  eval)
    for s in wider_val fddb_paper; do
      nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set $s --threshold 0.1993 --model $OUT.tqw \
          --json .cache/eval_qat_$s.json
    done
    nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set wider_val --threshold 0.03 --model $OUT.tqw \
        --json .cache/eval_qat_thr003_wider_val.json
    for s in wider_val fddb_paper; do  # one JSON per set: every run's figures, each with its own arguments
      $PY -c "import glob,json,sys; json.dump({p: json.load(open(p)) for p in sorted(glob.glob('.cache/eval_*_' + sys.argv[2] + '.json'))}, open(sys.argv[1], 'w'), indent=1)" \
          $OUT.cpp_eval_$s.json $s
    done ;;
  *) echo "usage: sh run_qat.sh range | qat [MIN] [--resume] | baseline | eval-base | eval" >&2; exit 2 ;;
esac
