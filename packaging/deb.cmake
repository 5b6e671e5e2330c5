# `cpack -G DEB` in a build tree: one package, tconv-upsample_<version>_<arch>.deb,
# holding everything `cmake --install` installs (the tool, its man page and bash
# completion, the library's headers, archive, CMake package and pkg-config file)
# under /usr. tests/packaging/check_deb.sh builds it and unpacks it into a scratch root.
set(CPACK_PACKAGE_NAME tconv-upsample)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "Upsamples images with a transposed convolution (PyTorch ConvTranspose2d semantics): "
    "interpolation kernels (bilinear, nearest, bicubic, lanczos3), learned weights or "
    "trained models, batches and pipelines; with the C++20 library behind it.")
set(TCONV_PACKAGE_CONTACT "tconv-upsample maintainers <maintainers@tconv.invalid>"
    CACHE STRING "Maintainer field of the .deb: Name <email>")
set(CPACK_PACKAGE_CONTACT "${TCONV_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TCONV_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

# The runtime libraries: read from the binary by dpkg-shlibdeps when it is there
# (versions included); otherwise the Debian 12 packages the tool links, written out.
# Neither sees OpenCV's image codecs, which the tool loads with dlopen()
# (app/image/image_io.cpp), so app/CMakeLists.txt names their package itself.
get_property(tconv_dlopen_depends GLOBAL PROPERTY TCONV_DEB_DLOPEN_DEPENDS)
find_program(TCONV_DPKG_SHLIBDEPS dpkg-shlibdeps)
mark_as_advanced(TCONV_DPKG_SHLIBDEPS)
if(TCONV_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(tconv_depends ${tconv_dlopen_depends})
else()
  set(tconv_depends libc6 libstdc++6 libgcc-s1 libspdlog1.10 libfmt9 libopencv-core406
      libopencv-imgproc406 libexiv2-27 libjpeg62-turbo libpng16-16 zlib1g libtiff6
      ${tconv_dlopen_depends})
  list(REMOVE_DUPLICATES tconv_depends)
endif()
list(JOIN tconv_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)

include(CPack)
