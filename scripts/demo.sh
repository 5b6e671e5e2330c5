#!/usr/bin/env bash
# README quick start (1): set up, build in Release, upsample a sample image 2x.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

cmake --build "$TCONV_BUILD" --target tconv-upsample >&2
out="$TCONV_BUILD/demo/photo_x2.png"
mkdir -p "$(dirname "$out")"
"$TCONV_BUILD/app/tconv-upsample" "$TCONV_ROOT/samples/photo.png" -s 2 -o "$out" --overwrite
echo "wrote $out"
