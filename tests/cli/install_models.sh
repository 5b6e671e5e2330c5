#!/usr/bin/env bash
# `cmake --install` puts the shipped models in share/tconv-upsample/models,
# and the installed binary finds them there by name (relative to itself,
# not through the build tree's models/): `models` lists all nine from the
# install folder and `--model fsrcnn_y_x2` runs. Installs into a temporary
# prefix; HOME, XDG_DATA_HOME and TCONV_MODEL_PATH point to empty folders.
#   install_models.sh BUILD_DIR SOURCE_MODELS_DIR SAMPLES_DIR
set -euo pipefail
build=$1
models=$2
samples=$3
work=$(mktemp -d)
# shellcheck source=../install/keep_manifest.sh
source "$(dirname "${BASH_SOURCE[0]}")/../install/keep_manifest.sh"
keep_install_manifest "$build" "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
share=$work/prefix/share/tconv-upsample/models
for f in "$models"/*.safetensors; do
  cmp "$f" "$share/$(basename "$f")" || { echo "not installed: $share/$(basename "$f")" >&2; exit 1; }
done
mkdir -p "$work/home" "$work/empty"
run() { env HOME="$work/home" XDG_DATA_HOME="$work/home/data" TCONV_MODEL_PATH="$work/empty" \
          "$work/prefix/bin/tconv-upsample" "$@"; }
listing=$(run models)
echo "$listing"
want=$(ls "$models"/*.safetensors | wc -l)
got=$(echo "$listing" | grep -c " $share\$" || true)
[ "$got" = "$want" ] || { echo "listed $got models from $share, want $want" >&2; exit 1; }
if echo "$listing" | grep -q "$models"; then echo "the installed binary read the source tree" >&2; exit 1; fi
run "$samples/photo.png" --model fsrcnn_y_x2 -o "$work/out.png"
[ -s "$work/out.png" ] || { echo "no output from --model fsrcnn_y_x2" >&2; exit 1; }
echo "install_models: ok"
