#!/usr/bin/env bash
# README quick start (2): set up, build everything in Release (warnings are
# errors), run the whole test suite. .ci/run calls this verbatim.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

cmake --build "$TCONV_BUILD"
ctest --test-dir "$TCONV_BUILD" --output-on-failure -j 2
