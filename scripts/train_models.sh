#!/usr/bin/env bash
# Trains the shipped FSRCNN models (models/fsrcnn_y_xS.safetensors) from the
# shared training images, as docs/cli.md#shipped-networks records them:
#   scripts/train_models.sh [SCALE...]        (default: 2 3 4)
# Each training checkpoints into build/train/ and resumes from there when the
# script is run again (a killed run continues where it stopped); a finished
# model is copied into models/ (replacing the shipped one). Uses all cores.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${TCONV_UPSAMPLE:-$root/build/release/app/tconv-upsample}
train=${TCONV_TRAIN_DATA:-$root/../shared/data/sr/train}
work=$root/build/train
[ -x "$bin" ] || { echo "train_models: build first (cmake --build build/release): $bin" >&2; exit 2; }
for d in T91 BSDS200; do
  [ -d "$train/$d" ] || { echo "train_models: $train/$d is absent (../shared beside the checkout)" >&2; exit 2; }
done
mkdir -p "$work"
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(2 3 4)
for s in "${scales[@]}"; do
  name=fsrcnn_y_x$s
  out=$work/$name.safetensors
  # x2 trains 150000 steps (validation every 5000), x3 and x4 60000 (every 2000).
  if [ "$s" = 2 ]; then steps=(--steps 150000 --val-every 5000); else steps=(--steps 60000 --val-every 2000); fi
  args=(train --arch fsrcnn --images "$train/T91" --images "$train/BSDS200" -s "$s" "${steps[@]}"
        -o "$out" --log "$work/$name.jsonl")
  if [ -e "$out.ckpt" ]; then
    "$bin" "${args[@]}" --resume
  else
    "$bin" "${args[@]}" --overwrite
  fi
  cp "$out" "$root/models/$name.safetensors"
  echo "train_models: models/$name.safetensors"
done
