# Writes OUT (src/engine/build_info.cpp.in filled in) with the commit the
# sources are at and when this build of it was made: what `husk version`
# shows. Run by the husk_build_info target on every build, as a commit does
# not re-run CMake; OUT is rewritten only when the commit changes, so an
# unchanged tree rebuilds and relinks nothing. Built honours
# SOURCE_DATE_EPOCH (reproducible builds).
#   cmake -DSRC=<source dir> -DOUT=<file> -DVERSION=<x.y.z> -P build_info.cmake
execute_process(COMMAND git -C "${SRC}" rev-parse --short=7 HEAD
                OUTPUT_VARIABLE HUSK_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE git_failed)
if(git_failed OR HUSK_GIT_COMMIT STREQUAL "")
  set(HUSK_GIT_COMMIT "unknown")  # a source tarball: no repository
else()
  execute_process(COMMAND git -C "${SRC}" status --porcelain --untracked-files=no
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT changes STREQUAL "")
    string(APPEND HUSK_GIT_COMMIT "-dirty")
  endif()
endif()

set(HUSK_VERSION "${VERSION}")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old MATCHES "kGitCommit = \"${HUSK_GIT_COMMIT}\";" AND old MATCHES "kVersion = \"${HUSK_VERSION}\";")
    return()
  endif()
endif()
# Go's time.ANSIC, as docker's Built: "Mon Jan  2 15:04:05 2006" (day padded with a space).
string(TIMESTAMP day "%d" UTC)
string(REGEX REPLACE "^0" " " day "${day}")
string(TIMESTAMP head "%a %b " UTC)
string(TIMESTAMP tail " %H:%M:%S %Y" UTC)
set(HUSK_BUILT "${head}${day}${tail}")
configure_file("${SRC}/src/engine/build_info.cpp.in" "${OUT}" @ONLY)
