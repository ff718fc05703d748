#!/bin/sh
# Ship the multi-exit v2 run (train_multi_v2.sh) as models/face_mnv2_a050_multi: the v1 companions move to
# models/v1/, then the final npz is copied, calibrated (wider_val_200 train + dlib, as every shipped model),
# exported (.auto / .w8 / .float .tqw) and scored: PyTorch float (one 1x pass) and C++ integer (tinyq-detect at its
# defaults for a multi-exit file: one pass, every exit) on WIDER val-40, FDDB-283 (paper boxes; evaluation only)
# and face_mask_853 val. Run from tools/ after
# `cmake --preset host && cmake --build --preset host --target tinyq-detect`:
#   sh finish_multi_v2.sh [NPZ] [FIRST_STEP]   NPZ: default the run's final npz; FIRST_STEP 1..4 skips earlier steps
set -e
NPZ=${1:-../models/train_state/face_mnv2_a050_multi_v2.final.npz}
FIRST=${2:-1}
PY="nice -n 5 /usr/bin/python3"
DET=../build/host/examples/detect/tinyq-detect
M=../models/face_mnv2_a050_multi
C=.cache/multi_v2; mkdir -p $C ../models/v1
merge() {  # merge OUT SET... : {set: .cache/multi_v2/PREFIX_set.json}
  out=$1; pre=$2; shift 2
  /usr/bin/python3 -c "import json,sys; json.dump({s: json.load(open('$C/${pre}_%s.json' % s)) for s in sys.argv[1:]}, open('$out', 'w'), indent=1)" "$@"
}
if [ $FIRST -le 1 ]; then  # 1: keep v1's figures, then the npz + calibration
  for f in npz eval.json cpp_eval.json exit_ap.json aq_auto16.json train_log.txt; do
    [ -f ../models/v1/face_mnv2_a050_multi.$f ] || git mv $M.$f ../models/v1/face_mnv2_a050_multi.$f
  done
  cp "$NPZ" $M.npz
  cp ../models/train_state/face_mnv2_a050_multi_v2.log.txt $M.train_log.txt
  $PY -m tinyq_tools.calibrate --model $M.npz --threads 2 --json $M.qformats.json \
      --plot ../docs/calibration_a050_multi.png > /dev/null
fi
if [ $FIRST -le 2 ]; then  # 2: the shipped formats
  X="-m tinyq_tools.weights_file export-detector $M.npz"
  $PY $X $M.auto.tqw --format auto --qformats $M.qformats.json
  $PY $X $M.w8.tqw --format auto --qformats $M.qformats.json --weight-bits 8 --per-channel
  $PY $X $M.float.tqw --format float
fi
if [ $FIRST -le 3 ]; then  # 3: C++ integer, every eval set
  for s in wider_val fddb_paper face_mask_val; do
    t=0.03; [ $s = fddb_paper ] && t=0.05
    $PY -m tinyq_tools.eval_cpp --detect $DET --set $s --threshold $t --model $M.auto.tqw --model $M.w8.tqw \
        --json $C/cpp_$s.json
  done
  merge $M.cpp_eval.json cpp wider_val fddb_paper face_mask_val
fi
if [ $FIRST -le 4 ]; then  # 4: PyTorch float (one pass at 1x), v2 beside v1 in the same run, and per exit
  cp ../models/v1/face_mnv2_a050_multi.npz $C/face_mnv2_a050_multi_v1.npz  # eval.py names models by file stem
  for s in wider_val fddb_paper face_mask_val; do
    t=0.03; [ $s = fddb_paper ] && t=0.05
    $PY -m tinyq_tools.eval --set $s --model $M.npz --model $C/face_mnv2_a050_multi_v1.npz \
        --score-thr $t --nms 0.3 --threads 2 --json $C/float_$s.json
  done
  merge $M.eval.json float wider_val fddb_paper face_mask_val
  $PY -m tinyq_tools.exit_ap --model $M.npz --ref ../models/face_mnv2_a050_outA.npz --json $M.exit_ap.json
fi
echo "finish_multi_v2.sh: done"
