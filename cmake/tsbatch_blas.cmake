# Dense products (correlation's tiles of pairs) go through CBLAS in Debian's OpenBLAS, serial
# build (libopenblas-serial-dev): one BLAS thread per rank, the ranks being the parallelism.
# Debian installs the OpenBLAS variants side by side and lets the alternatives system pick
# libopenblas.so.0 at run time (the threaded one when both are there), so tsbatch links the
# serial library by its path and keeps that directory in its run path, in the build tree and
# installed. The kernels OpenBLAS picks still depend on the CPU (README: determinism).
set(TSBATCH_OPENBLAS_DIR /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-serial)
find_path(TSBATCH_CBLAS_INCLUDE_DIR cblas.h
  PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-serial NO_DEFAULT_PATH)
find_library(TSBATCH_OPENBLAS_LIBRARY NAMES openblas PATHS ${TSBATCH_OPENBLAS_DIR} NO_DEFAULT_PATH)
if(NOT TSBATCH_CBLAS_INCLUDE_DIR OR NOT TSBATCH_OPENBLAS_LIBRARY)
  message(FATAL_ERROR
    "tsbatch needs the serial OpenBLAS (cblas.h and libopenblas under ${TSBATCH_OPENBLAS_DIR}). "
    "On Debian install libopenblas-serial-dev (scripts/setup does this).")
endif()
add_library(tsbatch_blas INTERFACE)
target_include_directories(tsbatch_blas SYSTEM INTERFACE ${TSBATCH_CBLAS_INCLUDE_DIR})
target_link_libraries(tsbatch_blas INTERFACE ${TSBATCH_OPENBLAS_LIBRARY})
# Installed binaries look there first too (the build tree gets it from CMake's build RPATH).
list(APPEND CMAKE_INSTALL_RPATH ${TSBATCH_OPENBLAS_DIR})
