#!/bin/bash
# Detection time of tinyq-detect on real photos: the 40 WIDER val-40 photos + the first 20
# face_mask_853 photos; sums the per-image detection times the CLI prints (decode excluded).
#   bench/cli_photos.sh BIN THREADS [tinyq-detect options...]     (data: $TINYQ_DATA or ../shared/data)
set -euo pipefail
bin=$1; threads=$2; shift 2
data=${TINYQ_DATA:-$(cd "$(dirname "$0")/.." && pwd)/../shared/data}
[ -d "$data/wider_val_200" ] || { echo "no $data/wider_val_200 (set TINYQ_DATA)" >&2; exit 1; }
mapfile -t imgs < <(awk -v d="$data/wider_val_200/" '$2 == "val" {print d $1}' "$data/wider_val_200/split.txt";
                    ls "$data"/face_mask_853/*.jpg | head -20)
"$bin" "${imgs[@]}" --threads "$threads" "$@" 2>&1 >/dev/null | grep -oE "faces?, [0-9.]+ ms" |
  awk '{s += $2; n++} END {printf "%d images, total %.1f ms, mean %.2f ms\n", n, s, s / n}'
