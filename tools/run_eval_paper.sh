#!/bin/sh
# The paper-side evaluation of docs/results.md ("Paper tables side by side"): FDDB-283 with the paper's square
# boxes (boxes_paper.txt; AP IoU 0.5, VOC all-point, detections down to score 0.05, images at native size,
# scales 0.5/1/2 with Tiny-Face template gating) and face_mask_853 val, for the shipped width-1.0 and width-0.5
# detectors: PyTorch float, weights-only FP16/Q9..Q6 (PyTorch simulation), C++ integer (tinyq-detect), OpenCV
# Viola-Jones. Run from tools/ after `cmake --preset host && cmake --build --preset host --target tinyq-detect`:
#   sh run_eval_paper.sh [SUFFIX]       (SUFFIX names the JSON/PNG outputs; default "before")
# ~1.6 s per image per PyTorch run on one shared core (283 images: ~8 min); the C++ integer runs take ~35 s each.
# (The C++ float reference executor is left out here: over 10 min per run on FDDB-283 on the shared cores.)
set -e
SUF=${1:-before}
PY="nice -n 10 /usr/bin/python3"
DET=../build/host/examples/detect/tinyq-detect
A1=../models/face_mnv2_a100_outA
A5=../models/face_mnv2_a050_outA
B=../build/models
EV="-m tinyq_tools.eval --scales 0.5,1,2 --gate tinyface --score-thr 0.05 --threads 1"
CPP="-m tinyq_tools.eval_cpp --detect $DET --threshold 0.05"
mkdir -p $B
# integer files not committed (as in docs/results.md): Q6 with per-tensor weights, and uniform weights+activations
$PY -m tinyq_tools.weights_file export-detector $A1.npz $B/face_mnv2_a100_outA.q6.tqw --format q6 --gate tinyface
[ -f $B/face_mnv2_a100_outA.q6-uniform.tqw ] || for f in q9 q8 q7 q6; do
  $PY -m tinyq_tools.weights_file export-detector $A1.npz $B/face_mnv2_a100_outA.$f-uniform.tqw --format $f \
      --uniform-weights --gate tinyface
done
for S in fddb_paper face_mask_val; do
  $PY $CPP --set $S --model $A1.auto.tqw --model $A1.q9.tqw --model $A1.q8.tqw \
      --model $A1.q7.tqw --model $B/face_mnv2_a100_outA.q6.tqw --model $B/face_mnv2_a100_outA.q9-uniform.tqw \
      --model $B/face_mnv2_a100_outA.q8-uniform.tqw --model $B/face_mnv2_a100_outA.q7-uniform.tqw \
      --model $B/face_mnv2_a100_outA.q6-uniform.tqw \
      --model $A5.auto.tqw --model $A5.q9.tqw --json ../models/eval_${S}_cpp_${SUF}.json
  $PY $EV --set $S --model $A1.npz --model $A5.npz --haar --haar-variants paper,eq1x,eq2x \
      --plot ../docs/pr_${S}_${SUF}.png --plot-subset all --json ../models/eval_${S}_float_${SUF}.json
done
$PY $EV --set fddb_paper --model $A1.npz --no-float --wq FP16,Q9,Q8,Q7,Q6 --json ../models/eval_fddb_paper_wq_a100_${SUF}.json
$PY $EV --set fddb_paper --model $A5.npz --no-float --wq FP16,Q9,Q8,Q7,Q6 --json ../models/eval_fddb_paper_wq_a050_${SUF}.json
echo "run_eval_paper.sh $SUF: done"
