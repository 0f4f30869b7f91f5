# Warnings and sanitizer flags as INTERFACE targets, so they apply per target and
# never leak into third-party code through global CMAKE_CXX_FLAGS.
add_library(tsbatch_warnings INTERFACE)
target_compile_options(tsbatch_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  # GCC 12 reports impossible std::string memcpy overlaps at -O2 (GCC bug 105329).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)

add_library(tsbatch_options INTERFACE)
target_link_libraries(tsbatch_options INTERFACE tsbatch_warnings)
# No fused multiply-add contraction: kernels promise the same bits for one pair however it is
# tiled (correlation's blocked dot products), which contraction decided per loop would break
# on machines with FMA (-march=native).
target_compile_options(tsbatch_options INTERFACE -ffp-contract=off)
if(TSBATCH_SANITIZE)
  target_compile_options(tsbatch_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(tsbatch_options INTERFACE -fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    # Sanitizer reports need file:line, not variables and types: line tables alone compile
    # faster and make far smaller objects than the -g of RelWithDebInfo.
    target_compile_options(tsbatch_options INTERFACE -gline-tables-only)
  endif()
endif()
if(TSBATCH_FUZZ)
  # libFuzzer needs coverage instrumentation in every library the fuzz targets call, not only
  # in the targets, so it goes on tsbatch_options like the sanitizers (TSBATCH_FUZZ implies
  # TSBATCH_SANITIZE). tests/fuzz/ adds -fsanitize=fuzzer (libFuzzer's main) to the fuzz
  # executables alone, so the same build also runs the whole test suite under the sanitizers.
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TSBATCH_FUZZ needs Clang with libFuzzer, not ${CMAKE_CXX_COMPILER_ID}: configure a fresh "
      "build directory with CC=clang CXX=clang++ (scripts/test and scripts/fuzz do this)")
  endif()
  target_compile_options(tsbatch_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
if(TSBATCH_NATIVE)
  target_compile_options(tsbatch_options INTERFACE -march=native)
endif()

# Code whose speed does not matter, compiled at -O1 in optimised builds: the tests (they call
# the libraries, which keep full optimisation, and only check what comes back) and the
# command-line layer (it parses argv once per process). Their compile time is mostly the
# code generation of header-only GoogleTest and CLI11 functions at -O3: -O1 takes about a
# third off each of those files (measured with GCC 12: a test file 5.7 s -> 4.0 s, a
# subcommand file 5.9 s -> 4.2 s).
set(TSBATCH_LIGHT_OPTIMISATION $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-O1>)
add_library(tsbatch_light_optimisation INTERFACE)
target_compile_options(tsbatch_light_optimisation INTERFACE ${TSBATCH_LIGHT_OPTIMISATION})
