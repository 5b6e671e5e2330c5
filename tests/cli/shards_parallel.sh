#!/usr/bin/env bash
# Scaling out with --shard K/N as docs/cli.md ("Scaling out") writes it:
# the GNU parallel line, the Slurm array task and the Kubernetes indexed
# job, each run verbatim (and looked up in the docs), must give exactly the
# files of one unsharded run, byte for byte, each done by exactly one shard.
#   shards_parallel.sh TCONV_UPSAMPLE SAMPLES_DIR DOCS_CLI_MD
# The GNU parallel part is skipped (exit 77 when nothing else ran) without parallel.
set -uo pipefail
bin=$(realpath "$1")
samples=$(realpath "$2")
docs=$(realpath "$3")
command -v python3 >/dev/null || { echo "SKIPPED: python3 is not installed" >&2; exit 77; }
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

# A folder tree of 12 images: the samples, and again under a subfolder.
mkdir -p photos/more
cp "$samples"/*.png photos/
cp "$samples"/*.png photos/more/
for f in photos/more/*.png; do mv "$f" "${f%.png}_b.png"; done
count=$(find photos -type f | wc -l)
tconv-upsample -r photos/ -o whole/ -q || fail "the unsharded run failed"

# check NAME: big/ equals whole/ (same names, same bytes) and the reports
# report-*.json name every output exactly once, as done.
check() {
  local name=$1
  diff -r whole big >/dev/null || fail "$name: the shards' files differ from one run: $(diff -rq whole big | head -3)"
  python3 - "$count" report-*.json <<'EOF' || fail "$name: the reports do not cover every input exactly once"
import json, sys
want = int(sys.argv[1]); seen = []
for path in sys.argv[2:]:
    for f in json.load(open(path))["files"]:
        assert f["status"] == "done", f
        seen.append(f["output"])
assert len(seen) == want and len(set(seen)) == want, (len(seen), len(set(seen)), want)
print(f"{len(sys.argv) - 2} shards, {want} outputs, each once")
EOF
  echo "ok $name"
  rm -rf big report-*.json
}

# run_documented NAME LINE: LINE must appear verbatim in the docs; it is run as written.
in_docs() {
  grep -qF -- "$1" "$docs" || fail "docs/cli.md does not hold the tested line verbatim: $1"
}

ran=0
if command -v parallel >/dev/null; then
  line='parallel -j 3 tconv-upsample -r photos/ -o big/ -j 1 --skip-existing --shard {}/3 --report report-{}.json ::: 1 2 3'
  in_docs "$line"
  bash -c "$line" </dev/null >parallel.log 2>&1 || fail "GNU parallel: exit $?: $(cat parallel.log)"
  check "GNU parallel"
  ran=1
else
  echo "SKIPPED part: GNU parallel is not installed (scripts/setup.sh installs it)" >&2
fi

# The same command line as a Slurm array task and a Kubernetes indexed job:
# each task sees its index in the environment.
slurm='tconv-upsample -r photos/ -o big/ -j 1 --skip-existing --shard $((SLURM_ARRAY_TASK_ID + 1))/3 --report report-$SLURM_ARRAY_TASK_ID.json'
in_docs "$slurm"
for i in 2 0 1; do
  SLURM_ARRAY_TASK_ID=$i bash -c "$slurm" 2>>slurm.log || fail "Slurm task $i: $(cat slurm.log)"
done
check "Slurm array"
k8s='tconv-upsample -r photos/ -o big/ -j 1 --skip-existing --shard $((JOB_COMPLETION_INDEX + 1))/3 --report report-$JOB_COMPLETION_INDEX.json'
in_docs "$k8s"
for i in 1 2 0; do
  JOB_COMPLETION_INDEX=$i bash -c "$k8s" 2>>k8s.log || fail "Kubernetes index $i: $(cat k8s.log)"
done
check "Kubernetes indexed job"

[ $failures -eq 0 ] || exit 1
[ $ran -eq 1 ] || exit 77
echo "shards_parallel: every way of sharding gave the files of one run"
