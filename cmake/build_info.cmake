# Writes build_info.hpp with the version and the git id of the source tree at build time
# (not configure time), touching it only when the text changes so nothing rebuilds needlessly.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
  OUTPUT_VARIABLE git_id OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT git_id)
  set(git_id "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD -- src WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE dirty)
  if(NOT dirty EQUAL 0)
    set(git_id "${git_id}-modified")
  endif()
endif()
set(text "#pragma once\n#define TSBATCH_VERSION \"${VERSION}\"\n#define TSBATCH_GIT_ID \"${git_id}\"\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUTPUT} "${text}")
endif()
