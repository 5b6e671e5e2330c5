#!/usr/bin/env bash
# Runs every command of a README as a smoke test: each line of a ```sh block
# that starts with "tconv-upsample" runs from a copy of the samples folder,
# with the freshly built binary first on PATH. Any non-zero exit fails.
set -euo pipefail
readme=$1
bindir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$(dirname "$readme")"/. "$work"/
cd "$work"
export PATH="$bindir:$PATH"
count=0
in_block=0
while IFS= read -r line; do
  case "$line" in
    '```sh'*) in_block=1; continue ;;
    '```'*) in_block=0; continue ;;
  esac
  if ((in_block)) && [[ "$line" == tconv-upsample* ]]; then
    echo "+ $line"
    bash -c "$line"
    count=$((count + 1))
  fi
done < "$readme"
if ((count == 0)); then
  echo "no commands found in $readme" >&2
  exit 1
fi
echo "$count commands ran"
