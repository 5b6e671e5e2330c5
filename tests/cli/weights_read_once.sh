#!/usr/bin/env bash
# A batch reads its layer files once: a folder of images upsampled with
# --weights W.npy --bias B.npy opens each file exactly once, whatever the
# number of images and jobs (strace counts the opens). Exit 77 (skipped)
# when strace cannot trace here.
#   weights_read_once.sh TCONV_UPSAMPLE SAMPLES_DIR
set -euo pipefail
bin=$1
samples=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# LeakSanitizer cannot run under ptrace: an ASan build checks leaks elsewhere.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
if ! strace -f -qq -e trace=openat -o "$work/probe" true 2>/dev/null; then
  echo "strace cannot trace in this environment: skipped" >&2
  exit 77
fi
mkdir "$work/in" "$work/out"
for i in 1 2 3 4 5; do cp "$samples/photo.png" "$work/in/p$i.png"; done
cp "$samples/photo.png" "$work/in/p6.png"
# (in, out/groups, kh, kw) = (3, 3, 4, 4) and (3,): float32 .npy v1.0 files.
python3 - "$work" <<'PY'
import struct, sys
def npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(values), *values))
npy(sys.argv[1] + "/w.npy", (3, 3, 4, 4), [1.0 / 48] * 144)
npy(sys.argv[1] + "/b.npy", (3,), [0.0] * 3)
PY
strace -f -qq -e trace=openat,open -o "$work/trace" \
  "$bin" "$work/in" -o "$work/out/" -s 2 --padding 1 --weights "$work/w.npy" --bias "$work/b.npy" \
  -j 2 --progress none
written=$(find "$work/out" -name '*.png' | wc -l)
weights=$(grep -c '/w\.npy"' "$work/trace" || true)
bias=$(grep -c '/b\.npy"' "$work/trace" || true)
echo "$written images written; w.npy opened $weights time(s), b.npy $bias time(s)"
if [ "$written" -ne 6 ] || [ "$weights" -ne 1 ] || [ "$bias" -ne 1 ]; then
  echo "FAILED: want 6 images and each layer file opened once" >&2
  exit 1
fi
