#!/bin/sh
# The long "Models v2" run: width 1.0, paper-mode OutA (3-scale Tiny-Face inference), ImageNet init, every layer
# trained, on the new mix (sampling.DEFAULT_MIX). Start or continue it (run from tools/):
#   sh train_a100_v2.sh            # resumes from ../models/train_state/face_mnv2_a100_outA_v2.ckpt.pt if present
# Stop it cleanly with `kill -TERM <pid>` (it finishes the current batch, writes the checkpoint, exits).
# 1 thread under nice 15: the machine's other core belongs to other jobs. Options after the script name override
# (argparse: the last wins): the shipped run ended with `sh train_a100_v2.sh --epochs 270 --threads 2` (2 threads
# on an idle machine: ~19 s per epoch, ~6x one thread beside other jobs). Ship it with finish_a100_v2.sh.
exec nice -n 15 /usr/bin/python3 -m tinyq_tools.train --alpha 1.0 --epochs 300 --iters-per-epoch 21 --batch 8 \
    --size 320 --lr 1e-3 --threads 1 --seed 0 \
    --mix wider_train:0.30,face_mask_train:0.30,mosaic:0.25,lfw:0.10,dlib:0.05 \
    --state-dir ../models/train_state --tag face_mnv2_a100_outA_v2 \
    --out ../models/train_state/face_mnv2_a100_outA_v2.final.npz --resume "$@"
