# Compiles through ccache when it is installed (TSBATCH_CCACHE, on by default) and no compiler
# launcher was chosen. Its cache stays where ccache keeps it (~/.cache/ccache, or $CCACHE_DIR),
# outside the source tree, so a fresh clone on the same machine compiles from the cache.
#
# CCACHE_BASEDIR makes the absolute paths under the source tree (include directories, source
# files, the build directory inside it) relative before hashing, and CCACHE_NOHASHDIR leaves
# the working directory out of the hash, so two clones in different directories share entries.
# The price is that debug information found in the cache names the directory it was first
# compiled in; only sanitizer builds carry line tables, and their reports name functions too.
if(NOT TSBATCH_CCACHE OR CMAKE_CXX_COMPILER_LAUNCHER)
  return()
endif()
find_program(TSBATCH_CCACHE_PROGRAM ccache)
if(NOT TSBATCH_CCACHE_PROGRAM)
  return()
endif()
set(launcher ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1
  ${TSBATCH_CCACHE_PROGRAM})
set(CMAKE_C_COMPILER_LAUNCHER ${launcher})
set(CMAKE_CXX_COMPILER_LAUNCHER ${launcher})
message(STATUS "Compiling through ${TSBATCH_CCACHE_PROGRAM}")
