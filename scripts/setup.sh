#!/usr/bin/env bash
# Shared set-up for scripts/demo.sh and scripts/test.sh: install the Debian 12
# packages that are missing (with apt-get when root; otherwise print the exact
# command and stop), then configure the Release build once. Idempotent: when
# everything is present and configured it does nothing.
set -euo pipefail

TCONV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TCONV_BUILD="$TCONV_ROOT/build/release"

packages=(cmake ninja-build g++ pkg-config libopencv-dev libcli11-dev libspdlog-dev catch2
          nlohmann-json3-dev libdnnl-dev libexiv2-dev zlib1g-dev libjpeg62-turbo-dev libpng-dev
          libtiff-dev clang libclang-rt-14-dev strace python3 python3-numpy python3-torch ffmpeg parallel)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "setup: missing Debian packages; run this, then try again:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -f "$TCONV_BUILD/build.ninja" ]; then
  cmake --preset release -S "$TCONV_ROOT" >&2
fi
