#!/bin/sh
# The multi-exit single-pass detector on the v2 mix (issues "Detector v2" / "Models v2"): width 0.5, heads on the
# stride-8/16/32 exits, initialised from and distilled from the v2 width-0.5 3-scale model
# (models/face_mnv2_a050_outA.npz), every layer trained (--early-lr-mult 0.4 as the v1 multi-exit run), on the
# default v2 mix, cosine over a 120-min budget, 2 threads. Checkpointed in ../models/train_state/ (tag
# face_mnv2_a050_multi_v2): the same command resumes it; stop it with `kill -TERM <pid>`. Run from tools/:
#   sh train_multi_v2.sh
set -e
REF=../models/face_mnv2_a050_outA.npz
exec nice -n 5 /usr/bin/python3 -m tinyq_tools.train --multi --alpha 0.5 --init $REF --teacher $REF \
    --distill-weight 1.0 --lr 1e-3 --early-lr-mult 0.4 --epochs 600 --iters-per-epoch 21 --batch 8 --size 320 \
    --time-budget-min 120 --threads 2 --seed 0 --state-dir ../models/train_state --tag face_mnv2_a050_multi_v2 \
    --out ../models/train_state/face_mnv2_a050_multi_v2.final.npz --resume "$@"
