#!/usr/bin/env bash
# Image streams through a pipe, with Debian's ffmpeg on both ends: the
# video pipeline of docs/cli.md ("Video through a pipe") run verbatim, its
# frames checked for count, size and order against tconv-upsample run on
# each extracted frame; a damaged, a truncated and a junk-ended stream
# (exit 1, one line naming the frame, the frames before it written); the
# refusals (a stream to a file, --format jpg; exit 2, nothing written); and
# memory that does not grow with the stream's length.
#   image_stream.sh TCONV_UPSAMPLE DOCS_CLI_MD README_MD
# Skipped (exit 77) when ffmpeg or python3 is missing.
set -uo pipefail
bin=$(realpath "$1")
docs=$(realpath "$2")
readme=$(realpath "$3")
for tool in ffmpeg ffprobe python3; do
  if ! command -v $tool >/dev/null; then
    echo "SKIPPED: $tool is not installed (scripts/setup.sh installs ffmpeg)" >&2
    exit 77
  fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
ln -s "$bin" "$work/bin/tconv-upsample"
export PATH="$work/bin:$PATH"
cd "$work" || exit 1
failures=0
fail() {
  echo "FAILED: $*" >&2
  failures=$((failures + 1))
}
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

# A 12-frame video that differs in every frame (testsrc moves and counts).
ff -f lavfi -i testsrc=size=64x48:rate=10 -frames:v 12 -pix_fmt yuv420p in.mp4 || exit 1

# 1. The documented pipeline, verbatim (the line is also looked up in the docs).
pipeline='ffmpeg -i in.mp4 -f image2pipe -c:v png - | tconv-upsample - -s 2 -o - | ffmpeg -f image2pipe -framerate 25 -i - -c:v libx264 -pix_fmt yuv420p out.mp4'
grep -qxF "$pipeline" "$docs" || fail "docs/cli.md does not hold the tested pipeline verbatim: $pipeline"
grep -qxF "$pipeline" "$readme" || fail "README.md does not hold the tested pipeline verbatim: $pipeline"
bash -c "set -o pipefail; $pipeline" </dev/null >pipeline.log 2>&1 || {
  cat pipeline.log >&2
  fail "the documented pipeline exited non-zero"
}
IFS=, read -r w h n < <(ffprobe -v error -count_frames -select_streams v:0 \
  -show_entries stream=width,height,nb_read_frames -of csv=p=0 out.mp4)
[ "${w:-}x${h:-}" = 128x96 ] || fail "out.mp4 is ${w:-?}x${h:-?}, want 128x96"
[ "${n:-}" = 12 ] || fail "out.mp4 has ${n:-?} frames, want 12"

# 2. Order, losslessly: the stream's frames equal tconv-upsample run on each
# frame extracted to a file, frame k to frame k, compared as raw RGB.
ff -i in.mp4 -f image2pipe -c:v png - </dev/null >in.pngs || exit 1
mkdir frames ref
ff -i in.mp4 frames/f%02d.png </dev/null || exit 1
tconv-upsample frames -s 2 -o ref/ -q || fail "the per-frame reference run failed"
ff -i ref/f%02d_x2.png -f rawvideo -pix_fmt rgb24 ref.rgb </dev/null || exit 1
tconv-upsample - -s 2 -o - <in.pngs >out.pngs 2>stream.err || fail "the stream run failed: $(cat stream.err)"
ff -f image2pipe -i - -f rawvideo -pix_fmt rgb24 out.rgb <out.pngs || exit 1
frame_bytes=$((128 * 96 * 3))
[ "$(stat -c %s out.rgb)" -eq $((12 * frame_bytes)) ] ||
  fail "the stream gave $(($(stat -c %s out.rgb) / frame_bytes)) frames of 128x96, want 12"
cmp -s out.rgb ref.rgb || fail "the stream's frames differ from the per-frame runs (order or content)"
distinct=$(python3 -c "
import sys
d = open('ref.rgb', 'rb').read(); n = $frame_bytes
print(len({d[i:i + n] for i in range(0, len(d), n)}))")
[ "$distinct" = 12 ] || fail "the reference frames are not all different ($distinct of 12), so order is untested"
grep -q "stdin: 12 frames (PNG stream) -> stdout" stream.err || fail "no stream summary line: $(cat stream.err)"

# The stream split into its PNG files, for the damage tests: frame k is
# bytes [starts[k], starts[k+1]) of out.pngs, found by an independent walk.
split_frames() {  # split_frames FILE -> one "start end" line per PNG
  python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read(); i = 0
while i < len(d):
    start = i; i += 8
    while True:
        n, t = struct.unpack('>I4s', d[i:i + 8]); i += 12 + n
        if t == b'IEND': break
    print(start, i)
EOF
}
mapfile -t in_frames < <(split_frames in.pngs)
mapfile -t out_frames < <(split_frames out.pngs)
[ ${#in_frames[@]} -eq 12 ] || fail "ffmpeg wrote ${#in_frames[@]} PNGs, want 12"
[ ${#out_frames[@]} -eq 12 ] || fail "tconv-upsample wrote ${#out_frames[@]} PNGs, want 12"
read -r _ out_end6 <<<"${out_frames[5]}"
read -r _ out_end4 <<<"${out_frames[3]}"
head -c "$out_end6" out.pngs >first6.pngs
head -c "$out_end4" out.pngs >first4.pngs

# expect_damage NAME INPUT EXIT PATTERN WRITTEN: stdin INPUT exits EXIT with
# exactly one error line matching PATTERN, and stdout holds WRITTEN's bytes.
expect_damage() {
  local name=$1 input=$2 code=$3 pattern=$4 written=$5 rc
  tconv-upsample - -s 2 -o - <"$input" >"$name.out" 2>"$name.err"
  rc=$?
  [ $rc -eq "$code" ] || fail "$name: exit $rc, want $code ($(cat "$name.err"))"
  [ "$(grep -c 'error:' "$name.err")" -eq 1 ] || fail "$name: want one error line, got: $(cat "$name.err")"
  grep -qE "$pattern" "$name.err" || fail "$name: stderr does not match '$pattern': $(cat "$name.err")"
  cmp -s "$name.out" "$written" || fail "$name: stdout is $(stat -c %s "$name.out") bytes, not the frames before the damage"
  echo "ok $name: $(grep 'error:' "$name.err")"
}

# 3. One byte flipped inside frame 7's IDAT data: frames 1-6 are written.
read -r s7 e7 <<<"${in_frames[6]}"
python3 - "$s7" <<'EOF'
import sys
d = bytearray(open('in.pngs', 'rb').read()); s = int(sys.argv[1])
i = d.index(b'IDAT', s) + 4 + 10
d[i] ^= 0x55
open('damaged.pngs', 'wb').write(d)
EOF
expect_damage damaged damaged.pngs 1 '^tconv-upsample: error: stdin: frame 7: damaged: chunk IDAT .* CRC' first6.pngs

# 4. The stream cut in the middle of frame 5: frames 1-4 are written.
read -r s5 e5 <<<"${in_frames[4]}"
head -c $(((s5 + e5) / 2)) in.pngs >truncated.pngs
expect_damage truncated truncated.pngs 1 '^tconv-upsample: error: stdin: frame 5: truncated' first4.pngs

# 5. Bytes that are no PNG after frame 6: frames 1-6 are written, frame 7 named.
read -r _ e6 <<<"${in_frames[5]}"
{ head -c "$e6" in.pngs; printf 'this is not a png file'; } >junk.pngs
expect_damage junk junk.pngs 1 '^tconv-upsample: error: stdin: frame 7: not a PNG' first6.pngs

# 6. Refusals before anything is written (exit 2): a stream to a file, a
# stream in another format than PNG.
tconv-upsample - -s 2 -o file.png <in.pngs 2>tofile.err
rc=$?
[ $rc -eq 2 ] || fail "a stream to -o file.png: exit $rc, want 2"
grep -q "stream is written to -o -" tofile.err || fail "a stream to a file: $(cat tofile.err)"
[ ! -e file.png ] || fail "a stream to -o file.png wrote file.png"
tconv-upsample - -s 2 -o - --format jpg <in.pngs >jpg.out 2>jpg.err
rc=$?
[ $rc -eq 2 ] || fail "a stream with --format jpg: exit $rc, want 2"
grep -q "written as PNG" jpg.err || fail "--format jpg on a stream: $(cat jpg.err)"
[ ! -s jpg.out ] || fail "--format jpg on a stream wrote to stdout"
# One PNG on stdin is one image, in any format, as before.
head -c "${in_frames[0]#* }" in.pngs >one.png
tconv-upsample - -s 2 -o - --format jpg <one.png >one.jpg 2>/dev/null || fail "one PNG on stdin with --format jpg failed"
[ "$(head -c 2 one.jpg | od -An -tx1 | tr -d ' ')" = ffd8 ] || fail "one PNG on stdin with --format jpg did not write a JPEG"

# 7. Constant memory: 150 noisy 320x240 frames (about 230 KB each, 35 MB in
# all) need no more memory than 5 of them. Not in sanitizer builds: their
# allocators hold freed memory back on purpose (ASan's quarantine keeps up
# to 256 MB), so the resident size grows with any long run there.
if ldd "$bin" 2>/dev/null | grep -Eq 'lib(asan|tsan|msan)'; then
  echo "SKIPPED part: a sanitizer build, memory not measured (the Release suite measures it)" >&2
elif [ -x /usr/bin/time ]; then
  ff -f lavfi -i "testsrc=size=320x240:rate=25,noise=alls=100:allf=t" -frames:v 150 \
    -f image2pipe -c:v png - </dev/null >long.pngs || exit 1
  ff -f lavfi -i "testsrc=size=320x240:rate=25,noise=alls=100:allf=t" -frames:v 5 \
    -f image2pipe -c:v png - </dev/null >short.pngs || exit 1
  rss() {
    /usr/bin/time -f %M -o "$2.rss" tconv-upsample - -s 2 -o - -t 1 <"$1" >"$2.out" 2>/dev/null ||
      fail "$1: the stream run failed"
    cat "$2.rss"
  }
  short_kb=$(rss short.pngs short)
  long_kb=$(rss long.pngs long)
  long_mb=$(($(stat -c %s long.pngs) >> 20))
  echo "max RSS: 5 frames ${short_kb} KiB, 150 frames ${long_kb} KiB (input ${long_mb} MiB)"
  [ $((long_kb - short_kb)) -lt 8192 ] ||
    fail "memory grows with the stream: ${short_kb} KiB for 5 frames, ${long_kb} KiB for 150"
  [ "$(split_frames long.out | wc -l)" -eq 150 ] || fail "the long stream did not give 150 frames"
else
  echo "SKIPPED part: /usr/bin/time is not installed, memory not measured" >&2
fi

[ $failures -eq 0 ] || exit 1
echo "image_stream: all checks passed"
