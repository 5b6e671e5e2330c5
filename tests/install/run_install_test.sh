#!/usr/bin/env bash
# Installs a build tree into a temporary prefix (`cmake --install BUILD
# --prefix TMP`), then configures, builds and runs tests/install/consumer, a
# separate project that finds the package with find_package(tconv) and links
# tconv::tconv; then builds the same main.cpp with the compiler alone and
# `pkg-config --cflags --libs tconv`, as a project without CMake would. Also
# runs the installed tconv-upsample when it was installed, and checks its man
# page and bash completion are there.
#   run_install_test.sh BUILD_DIR CONSUMER_SRC [CMAKE_ARG...]
# CMAKE_ARGs configure the consumer like the build tree (generator, compiler,
# flags: a sanitizer build's library needs its runtime at link time); the
# pkg-config build takes its compiler and flags from the same arguments.
# Everything is written under one mktemp -d folder, removed on exit; the
# install_manifest.txt that `cmake --install` always writes into the build
# tree is put back as it was (removed, or the earlier one restored).
set -euo pipefail
build_dir=$1
consumer_src=$2
shift 2

work=$(mktemp -d)
# shellcheck source=keep_manifest.sh
source "$(dirname "${BASH_SOURCE[0]}")/keep_manifest.sh"
keep_install_manifest "$build_dir" "$work"

prefix="$work/prefix"
echo "+ cmake --install $build_dir --prefix $prefix"
cmake --install "$build_dir" --prefix "$prefix" > "$work/install.log" || {
  cat "$work/install.log"
  exit 1
}
for f in lib/cmake/tconv/tconvConfig.cmake lib/cmake/tconv/tconvConfigVersion.cmake \
         lib/cmake/tconv/tconvTargets.cmake include/tconv/tconv.hpp; do
  [[ -f "$prefix/$f" ]] || { echo "not installed: $f" >&2; exit 1; }
done

# Only the temporary prefix may provide the package (no package registries);
# no compiler launcher, since ccache would write to its cache.
echo "+ configure $consumer_src"
cmake -S "$consumer_src" -B "$work/build" "$@" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
found=$(sed -n 's/^tconv_DIR:PATH=//p' "$work/build/CMakeCache.txt")
if [[ "$found" != "$prefix/lib/cmake/tconv" ]]; then
  echo "find_package(tconv) found '$found', not the installed package in $prefix" >&2
  exit 1
fi
echo "+ build"
cmake --build "$work/build"
echo "+ consumer"
"$work/build/consumer"

# The pkg-config route: only the temporary prefix may provide tconv.pc
# (PKG_CONFIG_LIBDIR replaces the system folders, not only adds to them).
cxx=c++ cxx_flags='' ld_flags=''
for arg in "$@"; do
  case "$arg" in
    -DCMAKE_CXX_COMPILER=*) cxx=${arg#*=} ;;
    -DCMAKE_CXX_FLAGS=*) cxx_flags=${arg#*=} ;;
    -DCMAKE_EXE_LINKER_FLAGS=*) ld_flags=${arg#*=} ;;
  esac
done
command -v pkg-config > /dev/null || { echo "pkg-config is not installed" >&2; exit 1; }
pc_file=$(find "$prefix" -name tconv.pc -print -quit)
[[ -n "$pc_file" ]] || { echo "not installed: tconv.pc (nowhere under $prefix)" >&2; exit 1; }
pc_dir=$(dirname "$pc_file")
export PKG_CONFIG_PATH="$pc_dir" PKG_CONFIG_LIBDIR="$pc_dir"
pkg-config --validate tconv
pc_includedir=$(cd "$(pkg-config --variable=includedir tconv)" && pwd -P)
if [[ "$pc_includedir" != "$(cd "$prefix/include" && pwd -P)" ]]; then
  echo "tconv.pc includedir resolves to '$pc_includedir', not $prefix/include" >&2
  exit 1
fi
pc_flags=$(pkg-config --cflags --libs tconv)
echo "+ $cxx -std=c++20 main.cpp $pc_flags"
# Word splitting of the flag strings is intended: each holds several flags.
# shellcheck disable=SC2086
"$cxx" $cxx_flags -std=c++20 "$consumer_src/main.cpp" -o "$work/consumer_pc" $pc_flags $ld_flags
echo "+ consumer (pkg-config build)"
"$work/consumer_pc"

if [[ -x "$prefix/bin/tconv-upsample" ]]; then
  echo "+ $prefix/bin/tconv-upsample --version"
  "$prefix/bin/tconv-upsample" --version
  for f in share/man/man1/tconv-upsample.1 share/bash-completion/completions/tconv-upsample; do
    [[ -s "$prefix/$f" ]] || { echo "not installed: $f" >&2; exit 1; }
  done
fi
