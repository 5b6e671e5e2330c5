#!/usr/bin/env bash
# End to end: tconv-upsample photo.png -s 2 against `vips resize ... --kernel
# linear` on the same 1920x1080 RGB PNG (made from samples/photo.png), each
# run REPS times; prints the median wall time and the peak RSS of each.
# Needs /usr/bin/time (package time) and vips (package libvips-tools).
# Usage: bench/e2e_vs_vips.sh [path/to/tconv-upsample] [REPS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-$root/build/release/app/tconv-upsample}
reps=${2:-5}
for tool in vips /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "e2e_vs_vips: needs $tool (apt-get install libvips-tools time)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 256x192 sample -> 1920x1440 (lanczos3) -> centre crop 1920x1080.
vips resize "$root/samples/photo.png" "$work/tall.png" 7.5 --kernel lanczos3
vips crop "$work/tall.png" "$work/photo1080.png" 0 180 1920 1080

measure() {  # name, command...: median seconds and max RSS over the runs
  local name=$1; shift
  local times=() rss=0
  for _ in $(seq "$reps"); do
    rm -f "$work/out_$name.png"
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>&1
    read -r t m < "$work/t"
    times+=("$t")
    ((m > rss)) && rss=$m
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
  printf '%-16s median %6.3f s   peak RSS %6.1f MiB   (%s runs: %s)\n' "$name" "$median" \
    "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$reps" "${times[*]}"
}

echo "input: 1920x1080 RGB 8-bit PNG -> 3840x2160 PNG, $(nproc) cores," \
  "$(lscpu | sed -n 's/^Model name: *//p'), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure tconv "$bin" "$work/photo1080.png" -s 2 -o "$work/out_tconv.png" -q
measure vips vips resize "$work/photo1080.png" "$work/out_vips.png" 2 --kernel linear
echo "output sizes: tconv $(stat -c %s "$work/out_tconv.png") bytes (Paeth filter, zlib Z_RLE)," \
  "vips $(stat -c %s "$work/out_vips.png") bytes (vips default); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# The output must be a valid PNG: pngcheck (package pngcheck) where present,
# and vips must read it back at the expected size.
if command -v pngcheck >/dev/null; then pngcheck -q "$work/out_tconv.png" && echo "pngcheck: ok"; fi
[ "$(vipsheader -f width "$work/out_tconv.png")x$(vipsheader -f height "$work/out_tconv.png")" = 3840x2160 ]
echo "vips reads the tconv output: ok"
