#!/bin/sh
# The paper-side evaluation of docs/results.md ("Paper tables side by side"): FDDB-283 with the paper's square
# boxes (boxes_paper.txt; AP IoU 0.5, VOC all-point, detections down to score 0.05, images at native size,
# scales 0.5/1/2 with Tiny-Face template gating) and face_mask_853 val, for the shipped width-1.0 and width-0.5
# detectors: C++ integer (tinyq-detect), PyTorch float, OpenCV Viola-Jones, weights-only FP16/Q9..Q6 (PyTorch
# simulation, width 1.0). Run from tools/ after `cmake --preset host && cmake --build --preset host --target tinyq-detect`:
#   sh run_eval_paper.sh [SUFFIX] [FIRST_STEP]   (SUFFIX names the JSON/PNG outputs, default "before";
#                                                 FIRST_STEP 1..5 skips the steps before it)
# On the shared 2 cores (load ~6): a C++ integer run over FDDB-283 takes ~2-3 min, a PyTorch run ~10 min.
# (The C++ float reference executor is left out: over 10 min per run on FDDB-283 on the shared cores.)
set -e
SUF=${1:-before}
FIRST=${2:-1}
PY="nice -n 10 /usr/bin/python3"
DET=../build/host/examples/detect/tinyq-detect
A1=../models/face_mnv2_a100_outA
A5=../models/face_mnv2_a050_outA
B=../build/models
EV="-m tinyq_tools.eval --scales 0.5,1,2 --gate tinyface --score-thr 0.05 --threads 1"
CPP="-m tinyq_tools.eval_cpp --detect $DET --threshold 0.05"
mkdir -p $B
if [ $FIRST -le 1 ]; then  # 1: C++ integer on FDDB-283, every format of Table II (width 1.0) + width 0.5
  # integer files not committed (as in docs/results.md): Q6 with per-tensor weights, uniform weights+activations
  $PY -m tinyq_tools.weights_file export-detector $A1.npz $B/face_mnv2_a100_outA.q6.tqw --format q6 --gate tinyface
  for f in q9 q8 q7 q6; do
    $PY -m tinyq_tools.weights_file export-detector $A1.npz $B/face_mnv2_a100_outA.$f-uniform.tqw --format $f \
        --uniform-weights --gate tinyface
  done
  $PY $CPP --set fddb_paper --model $A1.auto.tqw --model $A1.q9.tqw --model $A1.q8.tqw \
      --model $A1.q7.tqw --model $B/face_mnv2_a100_outA.q6.tqw --model $B/face_mnv2_a100_outA.q9-uniform.tqw \
      --model $B/face_mnv2_a100_outA.q8-uniform.tqw --model $B/face_mnv2_a100_outA.q7-uniform.tqw \
      --model $B/face_mnv2_a100_outA.q6-uniform.tqw \
      --model $A5.auto.tqw --model $A5.q9.tqw --json ../models/eval_fddb_paper_cpp_${SUF}.json
fi
if [ $FIRST -le 2 ]; then  # 2: PyTorch float (both widths) and Viola-Jones on FDDB-283, PR curves
  $PY $EV --set fddb_paper --model $A1.npz --model $A5.npz --haar --haar-variants paper,eq1x,eq2x \
      --plot ../docs/pr_fddb_paper_${SUF}.png --plot-subset all --json ../models/eval_fddb_paper_float_${SUF}.json
fi
if [ $FIRST -le 3 ]; then  # 3: weights-only FP16 / Q9..Q6, float activations (the paper's simulation), width 1.0
  $PY $EV --set fddb_paper --model $A1.npz --no-float --wq FP16,Q9,Q8,Q7,Q6 \
      --json ../models/eval_fddb_paper_wq_${SUF}.json
fi
if [ $FIRST -le 4 ]; then  # 4: face_mask_853 val, C++ integer (auto) for both widths
  $PY $CPP --set face_mask_val --model $A1.auto.tqw --model $A5.auto.tqw --json ../models/eval_face_mask_val_cpp_${SUF}.json
fi
if [ $FIRST -le 5 ]; then  # 5: face_mask_853 val, PyTorch float and Viola-Jones
  $PY $EV --set face_mask_val --model $A1.npz --haar --haar-variants paper \
      --plot ../docs/pr_face_mask_val_${SUF}.png --plot-subset all --json ../models/eval_face_mask_val_float_${SUF}.json
fi
echo "run_eval_paper.sh $SUF: done"
