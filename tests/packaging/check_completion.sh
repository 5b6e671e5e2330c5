#!/usr/bin/env bash
# Sources the generated bash completion of tconv-upsample and completes a few
# command lines as bash would (COMP_WORDS, COMP_CWORD, then COMPREPLY):
# subcommands, flags per subcommand, --kernel and --border values, file names.
#   check_completion.sh COMPLETION_FILE
# File names are completed in a mktemp -d folder, removed on exit.
set -uo pipefail
completion=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=/dev/null
source "$completion" || { echo "cannot source $completion" >&2; exit 1; }
complete -p tconv-upsample > /dev/null || { echo "$completion registers no completion" >&2; exit 1; }

failures=0
# expect "WORDS..." -- WANT... : the completions of the last word must hold every WANT;
# "!X" in WANT means X must not be offered. An empty last word is written ''.
expect() {
  local words=() want=()
  while [[ $1 != -- ]]; do words+=("$1"); shift; done
  shift
  want=("$@")
  COMP_WORDS=(tconv-upsample "${words[@]}")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="${COMP_WORDS[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _tconv_upsample
  local got=" ${COMPREPLY[*]} " w
  for w in "${want[@]}"; do
    if [[ $w == !* ]]; then
      [[ $got == *" ${w#!} "* ]] || continue
      echo "FAIL: 'tconv-upsample ${words[*]}' offers ${w#!}; got:${got}" >&2
    else
      [[ $got == *" $w "* ]] && continue
      echo "FAIL: 'tconv-upsample ${words[*]}' does not offer $w; got:${got}" >&2
    fi
    failures=$((failures + 1))
  done
}

cd "$work" || exit 1
touch photo.png photo_x2.png notes.txt
mkdir photos

expect com -- compare '!eval'
expect '' -- eval compare inspect train impls photo.png photos
expect --sc -- --scale
expect --ker -- --kernel
expect -k '' -- bilinear nearest bicubic lanczos3 linear box cubic catrom lanczos '!photo.png'
expect --kernel lan -- lanczos3 lanczos '!bilinear'
expect --kernel = c -- cubic catrom
expect --border '' -- replicate zero reflect normalize
expect eval --border r -- replicate reflect
expect train --border '' -- replicate reflect zero '!normalize'
expect compare --fail -- --fail-above --fail-fast
expect eval --fail -- '!--fail-above' '!--fail-fast'
expect train --ar -- --arch
expect --ar -- '!--arch'
expect -o pho -- photo.png photo_x2.png photos '!notes.txt'
expect pho -- photo.png photos '!compare'
expect -k bilinear pho -- photo.png
expect -s 2 com -- compare
expect compare photo.png --re -- --resize --reference --report '!--recursive'
expect compare --resize '' -- bilinear nearest

if ((failures)); then
  echo "$failures completion check(s) failed ($completion)" >&2
  exit 1
fi
echo "completion: all checks passed ($completion)"
