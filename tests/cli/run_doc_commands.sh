#!/usr/bin/env bash
# Runs the commands of a Markdown page as smoke tests, with the freshly built
# binary first on PATH (the conventions are documented in docs/testing.md):
#   run_doc_commands.sh [--fixtures] PAGE.md BINDIR FOLDER
# - A block fenced ```sh runs: each line is one command (a trailing \
#   continues it; blank lines and # comments are left out), and each must
#   call tconv-upsample (also inside a pipeline: `cat a.png | tconv-upsample -`).
# - A block fenced ```sh skip is documentation only and is not run; nor are
#   ```text, ```console or any other block.
# - A command must exit 0, or N when it ends with the comment `# exit N`.
# Each command runs in a fresh copy of FOLDER, so commands are independent
# and may write the same output name. With --fixtures, the copy also holds
# the inputs the README and docs/ name: tests/cli/docs_data/*.npy, the
# shipped models/, and a.png, b.jpg, logo.png, scan.tif, scans/, photos/,
# Set5/, T91/ and m.safetensors made from the samples (see make_fixtures).
# Every command runs even after a failure; any failure fails the page.
set -euo pipefail
fixtures=0
if [[ "${1:-}" == --fixtures ]]; then
  fixtures=1
  shift
fi
page=$1
bindir=$2
folder=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="$bindir:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- parse: commands, their line numbers and expected exit codes ----------
cmds=()
linenos=()
expects=()
skipped=0
block=none  # none | run | skip | other
pending=""
pending_lineno=0
lineno=0
fence='^[[:space:]]*```[[:space:]]*(.*)$'
calls_tool='(^|[|;&(`[:space:]])tconv-upsample([[:space:]]|$)'
exit_comment='#[[:space:]]*exit[[:space:]]+([0-9]{1,3})([[:space:]:;,].*)?$'
while IFS= read -r line || [[ -n "$line" ]]; do
  lineno=$((lineno + 1))
  if [[ "$line" =~ $fence ]]; then
    info=${BASH_REMATCH[1]}
    info=${info%"${info##*[![:space:]]}"}
    if [[ "$block" == none ]]; then
      case "$info" in
        sh) block=run ;;
        'sh skip' | 'sh skip '*) block=skip ;;
        *) block=other ;;
      esac
    else
      if [[ -n "$pending" ]]; then
        echo "$page:$pending_lineno: the block ends inside a continued (\\) command" >&2
        exit 1
      fi
      block=none
    fi
    continue
  fi
  [[ "$block" == run || "$block" == skip ]] || continue
  if [[ -n "$pending" ]]; then
    line="$pending"$'\n'"$line"
  else
    pending_lineno=$lineno
  fi
  if [[ "$line" == *\\ ]]; then
    pending=$line
    continue
  fi
  pending=""
  trimmed=${line#"${line%%[![:space:]]*}"}
  [[ -z "$trimmed" || "$trimmed" == \#* ]] && continue
  if [[ "$block" == skip ]]; then
    skipped=$((skipped + 1))
    continue
  fi
  if ! [[ "$line" =~ $calls_tool ]]; then
    echo "$page:$pending_lineno: not a tconv-upsample command; fence its block \`\`\`sh skip" \
         "if it is not meant to run: $line" >&2
    exit 1
  fi
  expect=0
  if [[ "$line" =~ $exit_comment ]]; then
    expect=${BASH_REMATCH[1]}
  fi
  cmds+=("$line")
  linenos+=("$pending_lineno")
  expects+=("$expect")
done < "$page"
if ((${#cmds[@]} == 0)); then
  echo "no commands found in $page" >&2
  exit 1
fi

# --- the folder every command starts from ---------------------------------
template="$work/template"
mkdir "$template"
cp -r "$folder"/. "$template"/

# Inputs named by the README and docs/: copies of the samples under the
# names the pages use, a real JPEG and 16-bit TIFF (converted by the tool at
# -s 1), folders for batches, eval and train, the shipped models.
make_fixtures() {
  local d=$1
  cp "$here"/docs_data/*.npy "$d"/
  cp -r "$here/../../models" "$d"/models
  cp "$d"/models/linear_rgb_x2.safetensors "$d"/m.safetensors
  cp "$d"/photo.png "$d"/a.png
  cp "$d"/logo_rgba.png "$d"/logo.png
  tconv-upsample -q "$d"/photo.png -s 1 -o "$d"/b.jpg
  tconv-upsample -q "$d"/gradient16.png -s 1 -o "$d"/scan.tif
  mkdir -p "$d"/scans "$d"/photos/x "$d"/Set5 "$d"/T91
  cp "$d"/scan.tif "$d"/scans/page1.tif
  cp "$d"/lineart.png "$d"/scans/page2.png
  cp "$d"/photo.png "$d"/photos/beach.png
  cp "$d"/b.jpg "$d"/photos/x/y.jpg
  cp "$d"/photo.png "$d"/zoneplate.png "$d"/Set5/
  cp "$d"/photo.png "$d"/lineart.png "$d"/T91/
}
if ((fixtures)); then
  echo "+ make_fixtures (the inputs the pages name)"
  make_fixtures "$template"
fi

# --- run -------------------------------------------------------------------
failed=0
for i in "${!cmds[@]}"; do
  rm -rf "$work/run"
  cp -a "$template" "$work/run"
  echo "+ $page:${linenos[$i]}: ${cmds[$i]}"
  set +e
  (cd "$work/run" && bash -e -o pipefail -c "${cmds[$i]}" < /dev/null)
  rc=$?
  set -e
  if ((rc != expects[i])); then
    echo "FAILED: $page:${linenos[$i]}: exit $rc, expected ${expects[$i]}" >&2
    failed=$((failed + 1))
  fi
done
rm -rf "$work/run"
echo "${#cmds[@]} commands ran, $failed failed; $skipped in \`\`\`sh skip blocks not run"
((failed == 0))
