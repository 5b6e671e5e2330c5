# Sourced by the tests that install a build tree (run_install_test.sh,
# install_models.sh, packaging/check_deb.sh): `cmake --install` and cpack
# always write install_manifest.txt into the build tree, so the file is put
# back as it was (restored, or removed if there was none) when the test
# exits, and the test's mktemp -d folder is removed.
#   keep_install_manifest BUILD_DIR WORK_DIR   (installs the EXIT trap)
keep_install_manifest() {
  _tconv_manifest="$1/install_manifest.txt"
  _tconv_work=$2
  _tconv_had_manifest=0
  if [[ -e "$_tconv_manifest" ]]; then
    cp -p "$_tconv_manifest" "$_tconv_work/install_manifest.txt.saved"
    _tconv_had_manifest=1
  fi
  trap _tconv_restore_manifest EXIT
}

_tconv_restore_manifest() {
  if ((_tconv_had_manifest)); then
    cp -p "$_tconv_work/install_manifest.txt.saved" "$_tconv_manifest"
  else
    rm -f "$_tconv_manifest"
  fi
  rm -rf "$_tconv_work"
}
