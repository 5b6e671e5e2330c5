#!/usr/bin/env bash
# Builds the .deb of a build tree with `cpack -G DEB` into a temporary folder,
# unpacks it with `dpkg-deb -x` into a scratch root and checks it: the files a
# user needs are there, the unpacked tool upsamples samples/photo.png, and the
# control fields name the package, its version, architecture, maintainer,
# description and dependencies.
#   check_deb.sh BUILD_DIR SOURCE_DIR VERSION
# Everything is written under one mktemp -d folder, removed on exit; cpack's
# staging goes there too (-B). The install_manifest.txt that cpack's install
# step writes into the build tree is put back as it was (removed, or the
# earlier one restored), as tests/install/run_install_test.sh does.
set -euo pipefail
build_dir=$1
source_dir=$2
version=$3
samples="$source_dir/samples"

# Without Debian's tools there is no .deb to build: skipped (77), loudly.
for tool in cpack dpkg-deb dpkg; do
  command -v "$tool" > /dev/null || { echo "check_deb: SKIPPED: $tool is not installed" >&2; exit 77; }
done
work=$(mktemp -d)
# shellcheck source=../install/keep_manifest.sh
source "$(dirname "${BASH_SOURCE[0]}")/../install/keep_manifest.sh"
keep_install_manifest "$build_dir" "$work"

echo "+ cpack -G DEB --config $build_dir/CPackConfig.cmake -B $work/out"
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/out" > "$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"
  echo "check_deb: cpack failed" >&2
  exit 1
}
arch=$(dpkg --print-architecture)
deb="$work/out/tconv-upsample_${version}_${arch}.deb"
[[ -f "$deb" ]] || {
  echo "check_deb: no $(basename "$deb") in the cpack output:" >&2
  ls "$work/out" >&2
  exit 1
}

root="$work/root"
dpkg-deb -x "$deb" "$root"
failures=0
fail() {
  echo "check_deb: $*" >&2
  failures=$((failures + 1))
}
for f in usr/bin/tconv-upsample usr/share/man/man1/tconv-upsample.1 \
         usr/share/bash-completion/completions/tconv-upsample usr/include/tconv/tconv.hpp; do
  [[ -s "$root/$f" ]] || fail "$f is not in the package"
done
[[ -x "$root/usr/bin/tconv-upsample" ]] || fail "usr/bin/tconv-upsample is not executable"
for name in tconvConfig.cmake tconvConfigVersion.cmake tconvTargets.cmake tconv.pc libtconv.a; do
  [[ -n $(find "$root/usr/lib" -name "$name" -print -quit) ]] || fail "$name is not under usr/lib"
done
# The shipped models are packaged once app/CMakeLists.txt installs them; until
# then their absence is expected, and their presence is checked file by file.
if grep -qs "share/tconv-upsample/models" "$build_dir/app/cmake_install.cmake"; then
  for m in "$source_dir"/models/*.safetensors; do
    [[ -s "$root/usr/share/tconv-upsample/models/$(basename "$m")" ]] ||
      fail "model $(basename "$m") is not in usr/share/tconv-upsample/models"
  done
else
  echo "check_deb: models are not installed by this tree; not checked"
fi

echo "+ $root/usr/bin/tconv-upsample $samples/photo.png -s 2 -o $work/photo_x2.png"
if "$root/usr/bin/tconv-upsample" "$samples/photo.png" -s 2 -o "$work/photo_x2.png"; then
  [[ -s "$work/photo_x2.png" ]] || fail "the unpacked tool exited 0 but wrote no photo_x2.png"
else
  fail "the unpacked tool failed on samples/photo.png (exit $?)"
fi
"$root/usr/bin/tconv-upsample" --version | grep -qx "tconv-upsample $version" ||
  fail "the unpacked tool's --version is not 'tconv-upsample $version'"

field() { dpkg-deb --field "$deb" "$1"; }
[[ $(field Package) == tconv-upsample ]] || fail "Package is '$(field Package)', not tconv-upsample"
[[ $(field Version) == "$version" ]] || fail "Version is '$(field Version)', not $version"
[[ $(field Architecture) == "$arch" ]] || fail "Architecture is '$(field Architecture)', not $arch"
[[ $(field Maintainer) == *@* ]] || fail "Maintainer '$(field Maintainer)' has no e-mail address"
[[ -n $(field Description) ]] || fail "Description is empty"
depends=$(field Depends)
# libc6 comes from dpkg-shlibdeps (or the written list); the image codecs are
# loaded with dlopen(), which only the explicit entry covers.
for pkg in libc6 libopencv-imgcodecs; do
  [[ $depends == *"$pkg"* ]] || fail "Depends '$depends' does not name $pkg"
done
echo "+ dpkg-deb --field $(basename "$deb")"
dpkg-deb --field "$deb"

if ((failures)); then
  echo "check_deb: $failures check(s) failed for $(basename "$deb")" >&2
  exit 1
fi
echo "check_deb: $(basename "$deb") holds the tool, man page, completion and library, and runs"
