#!/usr/bin/env bash
# Crash consistency of output writes: the tool is killed (SIGKILL, injected
# by strace) at the N-th call of each syscall that touches files, for every N
# until a run completes. After every kill the output must be absent or
# complete (byte-identical to an uninterrupted run), and with --overwrite the
# old file must be intact or fully replaced; the input is never touched. An
# uninterrupted run leaves no temporary file behind. A batch killed the same
# way, or failed by a full disk (ENOSPC injected at the N-th write), leaves
# each output absent or complete and no temporary file, and a rerun with
# --skip-existing completes it.
#   crash_consistency.sh TCONV_UPSAMPLE SAMPLES_DIR
# Exit 77 (CTest: skipped) when strace is missing or ptrace is not allowed.
set -uo pipefail
bin=$1
samples=$2
command -v strace >/dev/null || { echo "crash_consistency: strace not installed: SKIPPED" >&2; exit 77; }
strace -f -qq -o /dev/null true 2>/dev/null || { echo "crash_consistency: ptrace not permitted: SKIPPED" >&2; exit 77; }

# LeakSanitizer stops the world with ptrace at exit, which fails under strace
# (one tracer per process): in sanitizer builds, leak checking is off here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$samples/photo.png" "$work/in.png"
cp "$samples/zoneplate.png" "$work/old.png" 2>/dev/null || cp "$samples/photo.png" "$work/old.png"
sha_in=$(sha256sum <"$work/in.png")

fail() { echo "crash_consistency: FAILED: $*" >&2; exit 1; }
temp_files() { find "$work" -name '.*.tmp-*' | wc -l; }
# killed_at SYSCALL N CMD...: runs CMD with SIGKILL injected at the N-th
# SYSCALL (exit status 137 when it struck). Through sh -c so the shell's
# "Killed" notice goes to /dev/null.
killed_at() {
  sh -c 's=$0 n=$1; shift; strace -f -qq -o /dev/null -e trace="$s" -e inject="$s":signal=KILL:when="$n" "$@"' \
    "$@" 2>/dev/null
}

# Uninterrupted runs give the reference bytes and must leave no temp file.
"$bin" "$work/in.png" -s 2 -o "$work/ref.png" -q || fail "reference run failed"
[ "$(temp_files)" -eq 0 ] || fail "an uninterrupted run left a temporary file"

kills=0
# openat is left out: a kill there equals a kill before the next write, and
# the loader's many openat calls would only slow the loop down.
for syscall in write fsync link rename renameat2 unlink; do
  for mode in new overwrite; do
    n=1
    while :; do
      rm -f "$work/out.png"
      flags=()
      if [ "$mode" = overwrite ]; then cp "$work/old.png" "$work/out.png"; flags=(--overwrite); fi
      killed_at "$syscall" "$n" "$bin" "$work/in.png" -s 2 -o "$work/out.png" -q "${flags[@]}"
      rc=$?
      [ "$(sha256sum <"$work/in.png")" = "$sha_in" ] || fail "input changed ($syscall #$n, $mode)"
      if [ -e "$work/out.png" ]; then
        if ! cmp -s "$work/out.png" "$work/ref.png"; then
          { [ "$mode" = overwrite ] && cmp -s "$work/out.png" "$work/old.png"; } ||
            fail "output is neither complete nor the old file after a kill at $syscall #$n ($mode)"
        fi
      elif [ "$mode" = overwrite ]; then
        fail "the old output vanished after a kill at $syscall #$n"
      fi
      if [ $rc -ne 137 ]; then
        [ $rc -eq 0 ] || fail "run without a kill exited $rc ($syscall, $mode)"
        cmp -s "$work/out.png" "$work/ref.png" || fail "a completed run wrote different bytes"
        break
      fi
      kills=$((kills + 1))
      n=$((n + 1))
      [ $n -le 200 ] || fail "more than 200 $syscall calls: the loop would not end"
    done
  done
done
# A batch: three inputs into a folder, killed at every N-th write, fsync and
# link. Each output is absent or complete; a rerun with --skip-existing
# finishes the batch and removes the killed run's temporary file.
mkdir -p "$work/in" "$work/refs"
# batch_outputs_whole WHEN: each batch output is absent or complete.
batch_outputs_whole() {
  for name in a b c; do
    out="$work/out/${name}_x2.png"
    [ ! -e "$out" ] || cmp -s "$out" "$work/refs/${name}_x2.png" ||
      fail "batch output $name is incomplete after $1"
  done
}
# rerun_completes WHEN: a rerun with --skip-existing finishes the batch and
# leaves no temporary file.
rerun_completes() {
  "$bin" "$work/in" -s 2 -o "$work/out/" -q -j 1 --skip-existing 2>/dev/null ||
    fail "rerun with --skip-existing after $1 failed"
  for name in a b c; do
    cmp -s "$work/out/${name}_x2.png" "$work/refs/${name}_x2.png" ||
      fail "rerun after $1 left $name incomplete"
  done
  [ "$(find "$work/out" -name '.*.tmp-*' | wc -l)" -eq 0 ] ||
    fail "a temporary file survived the rerun after $1"
}
for name in a b c; do cp "$work/in.png" "$work/in/$name.png"; done
"$bin" "$work/in" -s 2 -o "$work/refs/" -q -j 1 || fail "reference batch failed"
for syscall in write fsync link; do
  n=1
  while :; do
    rm -rf "$work/out"
    killed_at "$syscall" "$n" "$bin" "$work/in" -s 2 -o "$work/out/" -q -j 1
    rc=$?
    batch_outputs_whole "a kill at $syscall #$n"
    if [ $rc -ne 137 ]; then
      [ $rc -eq 0 ] || fail "batch run without a kill exited $rc ($syscall)"
      break
    fi
    rerun_completes "a kill at $syscall #$n"
    kills=$((kills + 1))
    n=$((n + 1))
    [ $n -le 200 ] || fail "more than 200 $syscall calls in the batch"
  done
done

# A full disk: the N-th write fails with ENOSPC, for every N until a batch
# completes. The file being written fails with exit 1 and is absent, the
# others are complete, no temporary file is left, and a rerun with
# --skip-existing completes the batch.
full=0
n=1
while :; do
  rm -rf "$work/out"
  sh -c 'n=$0; strace -f -qq -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when="$n" "$@"' \
    "$n" "$bin" "$work/in" -s 2 -o "$work/out/" -q -j 1 2>/dev/null
  rc=$?
  batch_outputs_whole "ENOSPC at write #$n"
  [ "$(find "$work/out" -name '.*.tmp-*' 2>/dev/null | wc -l)" -eq 0 ] ||
    fail "a temporary file was left after ENOSPC at write #$n"
  [ "$(sha256sum <"$work/in.png")" = "$sha_in" ] || fail "input changed (ENOSPC at write #$n)"
  [ $rc -eq 0 ] && break
  [ $rc -eq 1 ] || fail "ENOSPC at write #$n exited $rc, not 1"
  rerun_completes "ENOSPC at write #$n"
  full=$((full + 1))
  n=$((n + 1))
  [ $n -le 200 ] || fail "more than 200 writes in the batch"
done

find "$work" -name '.*.tmp-*' -delete
echo "crash_consistency: $kills kills and $full full-disk failures, every output absent, old or complete"
