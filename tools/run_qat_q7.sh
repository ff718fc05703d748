#!/bin/sh
# QAT of the width-1.0 v2 detector for the paper's uniform 16-bit export (docs/qat.md "Uniform Q7 (16-bit) QAT,
# width 1.0"). Run from tools/, one stage at a time; FMT=q6 for Q6 (default q7):
#   sh run_qat_q7.sh qat [MIN] [--resume]  # QAT (MIN minutes of training, default 35; 1 thread, nice 10), export
#   sh run_qat_q7.sh baseline              # the uniform export of the shipped npz without QAT (build/models/)
#   sh run_qat_q7.sh eval                  # C++ integer AP, one eval_cpp run per set: no QAT, QAT, .auto.tqw
# State (checkpoints, log) in .cache/ (tag a100_${FMT}qat); `--resume` continues a stopped run.
set -e
mkdir -p .cache ../build/models
PY=/usr/bin/python3
M=../models
FMT=${FMT:-q7}
BASE=$M/face_mnv2_a100_outA
OUT=$M/face_mnv2_a100_outA.${FMT}qat
NOQAT=../build/models/face_mnv2_a100_outA.$FMT-uniform.tqw
DETECT=${DETECT:-../build/host/examples/detect/tinyq-detect}
UNI="--format $FMT --uniform-weights --gate tinyface"
case "$1" in
  qat)
    nice -n 10 $PY -m tinyq_tools.train --alpha 1.0 --init $BASE.npz --teacher $BASE.npz --distill-weight 1.0 \
        --lr 1e-4 --qat-format $FMT --epochs 400 --time-budget-min ${2:-35} --threads ${THREADS:-1} \
        --tag a100_${FMT}qat --out $OUT.npz $3
    cp .cache/a100_${FMT}qat.log.txt $OUT.train_log.txt
    $PY -m tinyq_tools.weights_file export-detector $OUT.npz $OUT.tqw $UNI ;;
  baseline)
    $PY -m tinyq_tools.weights_file export-detector $BASE.npz $NOQAT $UNI ;;
  eval)  # FDDB-283 at Table II's threshold 0.05, WIDER val-40 at 0.03
    nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set fddb_paper --threshold 0.05 --threads 1 --model $NOQAT \
        --model $OUT.tqw --model $BASE.auto.tqw --json $M/eval_${FMT}qat_fddb_paper.json
    nice -n 10 $PY -m tinyq_tools.eval_cpp --detect $DETECT --set wider_val --threshold 0.03 --threads 1 --model $NOQAT \
        --model $OUT.tqw --model $BASE.auto.tqw --json $M/eval_${FMT}qat_wider_val.json ;;
  *) echo "usage: [FMT=q6] sh run_qat_q7.sh qat [MIN] [--resume] | baseline | eval" >&2; exit 2 ;;
esac
