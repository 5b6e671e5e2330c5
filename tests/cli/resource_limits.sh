#!/usr/bin/env bash
# Resource limits proven under an address-space cap: inputs that declare
# huge sizes are refused with a one-line reason before anything large is
# allocated. The tool runs under `prlimit --as` (virtual memory) well below
# what any of these declarations would need, so an allocation from the
# header's word would fail with "out of memory" instead of the expected rule.
#   resource_limits.sh TCONV_UPSAMPLE SAMPLES_DIR
set -uo pipefail
bin=$1
samples=$2
cap=$((1536 * 1024 * 1024))  # 1.5 GiB: enough for the tool's code, far below the declarations
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect NAME EXIT_CODE STDERR_PATTERN -- ARGS...
expect() {
  local name=$1 code=$2 pattern=$3
  shift 4
  local err rc
  err=$(prlimit --as=$cap "$bin" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ $rc -ne "$code" ] || ! grep -qE "$pattern" <<<"$err"; then
    echo "FAILED $name: exit $rc (want $code), stderr: $err" >&2
    failures=$((failures + 1))
  else
    echo "ok $name: $err"
  fi
}

npy_header() {  # npy_header SHAPE_TEXT -> a v1.0 float32 header with no data
  /usr/bin/env printf '%s' "{'descr': '<f4', 'fortran_order': False, 'shape': $1, }" >"$work/h"
  local len=$(( $(wc -c <"$work/h") + 1 ))
  local pad=$(( (64 - (10 + len) % 64) % 64 ))
  { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $(((len + pad) & 255)))\\x$(printf %02x $(((len + pad) >> 8)))";
    cat "$work/h"; printf "%${pad}s\n" ""; }
}

# A weight file declaring 2^34 floats (64 GiB) in 128 bytes.
npy_header "(65536, 65536, 2, 2)" >"$work/huge_w.npy"
expect weights_huge 1 "huge_w.npy" -- "$samples/photo.png" -s 2 --weights "$work/huge_w.npy" -o "$work/o1.png"
# An input array declaring 2^32 floats.
npy_header "(1, 65536, 65536)" >"$work/huge_x.npy"
npy_header "(1, 1, 2, 2)" >"$work/w.npy"
printf '\0\0\x80\x3f%.0s' 1 2 3 4 >>"$work/w.npy"
expect input_huge 1 "huge_x.npy" -- "$work/huge_x.npy" --weights "$work/w.npy" -s 2 -o "$work/o2.npy"
# An output larger than the limit: 512x384 x 1024 per axis (2^37 samples).
expect output_huge 1 "more than" -- "$samples/photo.png" -s 1024 -o "$work/o3.png"
# Output-size arithmetic that would overflow 32 bits: 40000 columns x 65536.
npy_header "(1, 1, 40000)" >"$work/wide_x.npy"
head -c 160000 /dev/zero >>"$work/wide_x.npy"
expect output_overflow 1 "2\^31|exceed|more than" -- "$work/wide_x.npy" --weights "$work/w.npy" -s 65536 -o "$work/o4.npy"
# A PNG header declaring 100000 x 100000 pixels in 33 bytes.
printf '\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\x01\x86\xa0\0\x01\x86\xa0\x08\x02\0\0\0\0\0\0\0' >"$work/forged.png"
expect png_forged 1 "forged.png" -- "$work/forged.png" -s 2 -o "$work/o5.png"

ls "$work"/o* >/dev/null 2>&1 && { echo "FAILED: an output was written" >&2; failures=$((failures + 1)); }
[ $failures -eq 0 ] || exit 1
echo "resource_limits: all refused under prlimit --as=$cap"
