#!/usr/bin/env bash
# Network training end to end (train --arch):
#  1. smoke: a linear upsampler started from bilinear interpolation and a
#     small FSRCNN each end above their starting validation PSNR;
#  2. resume: a run killed with SIGKILL after a checkpoint and resumed with
#     --resume writes the same model bytes as an uninterrupted run, and
#     one stopped by SIGINT exits 130 and resumes the same way;
#  3. files: an existing output, checkpoint or log is never replaced
#     without --overwrite / --resume, and a checkpoint of another run is
#     refused.
#   train_network.sh TCONV_UPSAMPLE TRAIN_IMAGES_DIR
# Exit 77 (CTest: skipped) when the training images are absent.
set -uo pipefail
bin=$1
images=$2
[ -d "$images" ] || { echo "train_network: $images absent (../shared not beside the checkout): SKIPPED" >&2; exit 77; }

work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "train_network: FAILED: $*" >&2; exit 1; }

# The validation PSNR at step 0 and the best one, from a JSON-lines log.
first_val() { grep -o '"val_psnr":[-0-9.e]*' "$1" | head -1 | cut -d: -f2; }
best_val() { grep -o '"val_psnr":[-0-9.e]*' "$1" | cut -d: -f2 | sort -g | tail -1; }
above() { awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN { exit !(a > b + m) }'; }

# 1. Smoke trainings.
"$bin" train --arch linear --init bilinear --images "$images" -s 2 --steps 300 --val-every 100 \
  --lr 1e-4 -o "$work/linear.safetensors" --log "$work/linear.jsonl" -j 2 || fail "linear training exited $?"
start=$(first_val "$work/linear.jsonl"); best=$(best_val "$work/linear.jsonl")
echo "linear x2 from bilinear: validation $start -> $best dB"
above "$best" "$start" 0.05 || fail "linear training did not beat its bilinear start ($start -> $best dB)"
"$bin" train --arch fsrcnn-s --images "$images" -s 2 --steps 400 --val-every 100 \
  -o "$work/small.safetensors" --log "$work/small.jsonl" -j 2 || fail "fsrcnn-s training exited $?"
start=$(first_val "$work/small.jsonl"); best=$(best_val "$work/small.jsonl")
echo "fsrcnn-s x2: validation $start -> $best dB"
above "$best" "$start" 1.0 || fail "fsrcnn-s training did not improve ($start -> $best dB)"
"$bin" "$images/t1.png" --model "$work/small.safetensors" -o "$work/t1_x2.png" || fail "the trained model does not run"

# 2. Resume after SIGKILL and after SIGINT.
common=(train --arch fsrcnn-s --images "$images" -s 2 --steps 600 --val-every 100 --batch 8 -j 2)
"$bin" "${common[@]}" -o "$work/whole.safetensors" || fail "uninterrupted run exited $?"
for signal in KILL INT; do
  out="$work/cut_$signal.safetensors"
  "$bin" "${common[@]}" -o "$out" --checkpoint-every 1 --log "$work/cut_$signal.jsonl" &
  pid=$!
  for _ in $(seq 600); do [ -s "$out.ckpt" ] && break; sleep 0.05; done
  [ -s "$out.ckpt" ] || fail "no checkpoint appeared"
  kill -s "$signal" "$pid"
  wait "$pid"; rc=$?
  if [ "$signal" = INT ]; then [ "$rc" = 130 ] || fail "SIGINT: exit $rc, expected 130"; fi
  [ -e "$out" ] && fail "a $signal-stopped run wrote its model before finishing"
  "$bin" "${common[@]}" -o "$out" --resume --log "$work/cut_$signal.jsonl" || fail "resume after $signal exited $?"
  grep -q '"event":"resume","step":[1-9]' "$work/cut_$signal.jsonl" || fail "the $signal run did not resume from a later step"
  cmp -s "$work/whole.safetensors" "$out" || fail "resumed after $signal: model differs from the uninterrupted run"
done
echo "resume after SIGKILL and SIGINT: same model bytes as the uninterrupted run"

# 3. Files are kept.
echo keep > "$work/taken.safetensors"
"$bin" "${common[@]}" --steps 2 -o "$work/taken.safetensors" 2>/dev/null && fail "an existing output was replaced"
[ "$(cat "$work/taken.safetensors")" = keep ] || fail "an existing output was touched"
echo keep > "$work/fresh.safetensors.ckpt"
"$bin" "${common[@]}" --steps 2 -o "$work/fresh.safetensors" 2>/dev/null && fail "an existing checkpoint was replaced"
[ "$(cat "$work/fresh.safetensors.ckpt")" = keep ] || fail "an existing checkpoint was touched"
"$bin" "${common[@]}" --seed 9 -o "$work/whole.safetensors" --resume 2>"$work/err.txt" && fail "a checkpoint of another run was taken"
grep -q "seed" "$work/err.txt" || fail "refusing another run's checkpoint does not name the setting: $(cat "$work/err.txt")"
echo "existing output, checkpoint and another run's checkpoint: refused"

# 4. compare takes trained models on both sides.
"$bin" compare "$images/t1.png" --model "$work/small.safetensors" --against "$work/linear.safetensors" \
  -o "$work" >"$work/compare.txt" || fail "compare --against exited $?"
grep -q "other side: the model" "$work/compare.txt" || fail "compare --against: $(cat "$work/compare.txt")"
[ -s "$work/t1_compare.png" ] || fail "compare --against wrote no picture"
"$bin" compare "$images/t1.png" --against "$work/linear.safetensors" 2>/dev/null
[ $? = 2 ] || fail "--against without --model was not a usage error"
echo "compare --model A --against B: both sides trained models"
