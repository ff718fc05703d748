#!/bin/sh
# The "Models v2" width-0.5 detector: pruned from the v2 width-1.0 detector (models/face_mnv2_a100_outA.npz after
# finish_a100_v2.sh), then distilled from it on the v2 mix (sampling.DEFAULT_MIX weights, as train_a100_v2.sh),
# on a 45-min time budget (cosine schedule by wall time), 2 threads. Run from tools/; the same command resumes.
#   sh train_a050_v2.sh
set -e
T=../models/face_mnv2_a100_outA.npz
P=../models/train_state/face_mnv2_a050_outA_v2.pruned.npz
[ -f $P ] || nice -n 5 /usr/bin/python3 -m tinyq_tools.prune --teacher $T --alpha 0.5 --out $P
exec nice -n 5 /usr/bin/python3 -m tinyq_tools.train --alpha 0.5 --epochs 400 --iters-per-epoch 21 --batch 8 \
    --size 320 --lr 5e-4 --threads 2 --seed 0 --init $P --teacher $T --distill-weight 1.0 --hint-weight 1.0 \
    --mix wider_train:0.30,face_mask_train:0.30,mosaic:0.25,lfw:0.10,dlib:0.05 --time-budget-min 45 \
    --state-dir ../models/train_state --tag face_mnv2_a050_outA_v2 \
    --out ../models/train_state/face_mnv2_a050_outA_v2.final.npz --resume "$@"
