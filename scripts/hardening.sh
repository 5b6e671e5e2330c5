#!/usr/bin/env bash
# Hardening stages, run by .ci/run after the quick test command and runnable
# alone: the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (GCC), the threaded tests under ThreadSanitizer (GCC), and every libFuzzer
# target for TCONV_FUZZ_SECONDS each (clang, ASan + UBSan). Warnings are
# errors in every build. A fuzzer crash is copied into
# tests/fuzz/regressions/<target>/ (commit it: the normal suite replays it)
# and fails the run.
#   scripts/hardening.sh [asan] [tsan] [fuzz]     (default: all three)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$TCONV_ROOT"

stages=("$@")
((${#stages[@]})) || stages=(asan tsan fuzz)
fuzz_seconds=${TCONV_FUZZ_SECONDS:-60}
# A fixed seed makes a CI run repeatable (the same mutations in the same
# order, as far as the time allows); TCONV_FUZZ_SEED=0 picks a random one.
fuzz_seed=${TCONV_FUZZ_SEED:-1}

for stage in "${stages[@]}"; do
  case "$stage" in
    asan)
      echo "== hardening: ASan + UBSan, whole suite" >&2
      [ -f build/asan/build.ninja ] || cmake --preset asan >&2
      cmake --build build/asan
      # Left out here: the tests that cap the address space with prlimit --as
      # (ASan reserves terabytes of shadow memory, so any cap fails at start);
      # they run in the normal suite.
      ctest --preset asan -E "^(forged headers declaring|a decoder that runs out of memory|batch jobs beyond the thread limit|cli memory: a small model whose layers need gigabytes|cli memory: an image whose planar buffers exceed|cli_resource_limits)"
      ;;
    tsan)
      echo "== hardening: ThreadSanitizer, threaded tests" >&2
      [ -f build/tsan/build.ninja ] || cmake --preset tsan >&2
      cmake --build build/tsan --target tconv_tests tconv_cli_tests tconv-upsample
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$TCONV_ROOT/tests/tsan.supp"
      # Left out: the fork test (ThreadSanitizer does not support starting
      # threads in the child of a multi-threaded fork); it runs in the normal suite.
      build/tsan/tests/tconv_tests '[threads]~"a child process after fork still runs on several threads"'
      build/tsan/tests/tconv_cli_tests "[threads]"
      ;;
    fuzz)
      echo "== hardening: libFuzzer, ${fuzz_seconds} s per target, seed ${fuzz_seed}" >&2
      [ -f build/fuzz/build.ninja ] || cmake --preset fuzz >&2
      targets=$(sed -n 's/^set(TCONV_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)
      for t in $targets; do cmake --build build/fuzz --target "fuzz_$t"; done
      work=$(mktemp -d)
      trap 'rm -rf "$work"' EXIT
      for t in $targets; do
        mkdir -p "$work/$t"
        cp tests/fuzz/corpus/"$t"/* "$work/$t/"
        echo "-- fuzz_$t" >&2
        if ! build/fuzz/tests/fuzz/fuzz_"$t" "$work/$t" -max_total_time="$fuzz_seconds" -seed="$fuzz_seed" \
             -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 -print_final_stats=1 \
             -artifact_prefix="$work/$t-" 2>"$work/$t.log"; then
          tail -n 40 "$work/$t.log" >&2
          for a in "$work/$t"-*; do
            [ -f "$a" ] || continue
            cp "$a" "tests/fuzz/regressions/$t/$(basename "$a" | sed "s/^$t-//")"
            echo "hardening: fuzz_$t found $(basename "$a"); copied to tests/fuzz/regressions/$t/" >&2
          done
          exit 1
        fi
        grep -E "^stat::number_of_executed_units|^Done" "$work/$t.log" >&2 || true
      done
      ;;
    *) echo "hardening: unknown stage '$stage' (asan, tsan, fuzz)" >&2; exit 2 ;;
  esac
done
echo "hardening: ${stages[*]} passed" >&2
