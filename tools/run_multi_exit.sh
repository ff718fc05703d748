#!/bin/sh
# The multi-exit single-pass detector face_mnv2_a050_multi (docs/training.md, its model card):
#   sh run_multi_exit.sh train   # start or resume the training run (state in .cache/, 55-min budget)
#   sh run_multi_exit.sh finish  # evaluation vs the shipped 3-scale model, calibration, integer export
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
M=../models/face_mnv2_a050_multi
REF=../models/face_mnv2_a050_outA.npz
case "$1" in
train)
    # The shipped run: started with --early-lr-mult 0.1 (the OutA default), stopped by SIGTERM after 18.0 min
    # (epoch 16, batch 19) because exit 0 lagged (AP w>=16 0.10 alone at epoch 14 vs 0.50 for the 2x pass), then
    # resumed with this command (--early-lr-mult 0.4: Conv..expanded_conv_5 feed exit 0 and learn like the late layers).
    nice -n 10 $PY -m tinyq_tools.train --multi --alpha 0.5 --init $REF --teacher $REF --distill-weight 1.0 \
        --lr 1e-3 --early-lr-mult 0.4 --epochs 400 --time-budget-min 55 --threads 2 --tag face_mnv2_a050_multi \
        --out $M.npz --resume
    ;;
finish)
    # float, one pass at 1x (multi-exit) vs the shipped model at 0.5/1/2 with Tiny-Face gating; score >= 0.03, NMS 0.3
    for s in wider_val fddb_paper; do
        nice -n 10 $PY -m tinyq_tools.eval --set $s --model $M.npz --model $REF --scales 0.5,1,2 --gate tinyface \
            --score-thr 0.03 --nms 0.3 --threads 2 --json .cache/multi_eval_$s.json
    done
    $PY -c "import json,sys; json.dump({s: json.load(open('.cache/multi_eval_%s.json' % s)) for s in ('wider_val', 'fddb_paper')}, open('$M.eval.json', 'w'), indent=1)"
    nice -n 10 $PY -m tinyq_tools.calibrate --model $M.npz --threads 2 --json $M.qformats.json \
        --plot ../docs/calibration_a050_multi.png
    for f in auto float; do
        $PY -m tinyq_tools.weights_file export-detector $M.npz $M.$f.tqw --format $f --qformats $M.qformats.json
    done
    $PY -m tinyq_tools.weights_file dump $M.auto.tqw > .cache/multi_auto_dump.txt
    head -6 .cache/multi_auto_dump.txt
    ;;
*)
    echo "usage: sh run_multi_exit.sh train|finish" >&2
    exit 2
    ;;
esac
