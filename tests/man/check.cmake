# check.cmake: the man-page test's driver (cmake -P), registered by
# tests/man/CMakeLists.txt.
#   1. install the build's documentation component into WORK_DIR/prefix;
#   2. every name #defined by <srcu/map.h> (the kernel names, bar the
#      SRCU_* and _* helpers) has a page in MANDIR/man3, and so does srcu(3);
#   3. `man --warnings -l` renders every page there (link pages through
#      their .so, from MANDIR as man does) with status 0, nothing on
#      stderr, and a NAME section that names the page;
#   4. DOCDIR holds README.md, doc/api.md and the examples' sources.
# Every failure is reported, then the test fails.
#
# Inputs (-D): BUILD_DIR, WORK_DIR, MAN, MAP_H, MANDIR and DOCDIR (relative
# to the prefix).

cmake_minimum_required(VERSION 3.16)
include(${CMAKE_CURRENT_LIST_DIR}/../compile_check.cmake)
require_inputs(check.cmake BUILD_DIR WORK_DIR MAN MAP_H MANDIR DOCDIR)

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                        --component srcu_Documentation
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}")
endif()
set(mandir ${prefix}/${MANDIR})
set(failed "")

# 2. A page for every kernel name.
# (file(READ), not file(STRINGS): a line ending in a backslash would join
# the next one in a CMake list.)
file(READ ${MAP_H} map_text)
string(REGEX MATCHALL "\n#define [A-Za-z_0-9]+" defines "${map_text}")
set(names srcu)
foreach(d ${defines})
  string(REGEX REPLACE "^\n#define " "" name "${d}")
  if(NOT name MATCHES "^(SRCU_|_)")
    list(APPEND names ${name})
  endif()
endforeach()
list(LENGTH names nnames)
if(nnames LESS 30)
  message(FATAL_ERROR "only ${nnames} names found in ${MAP_H}")
endif()
foreach(name ${names})
  if(NOT EXISTS ${mandir}/man3/${name}.3)
    list(APPEND failed "no page for ${name}")
  endif()
endforeach()

# 3. Each page renders, quietly, and names itself.
file(GLOB pages RELATIVE ${mandir} ${mandir}/man3/*.3)
foreach(page ${pages})
  get_filename_component(name ${page} NAME_WE)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env MANPAGER=cat MANWIDTH=80 LC_ALL=C.UTF-8
                          ${MAN} --warnings -l ${page}
                  WORKING_DIRECTORY ${mandir}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
    list(APPEND failed "man -l ${page}: status ${rc}: ${err}")
  elseif(NOT out MATCHES "\nNAME\n(([^\n]+\n)+)")
    list(APPEND failed "man -l ${page}: no NAME section:\n${out}")
  else()
    string(REPLACE "\n" " " name_section " ${CMAKE_MATCH_1}")
    if(NOT name_section MATCHES "[ ,]${name}[ ,]")
      list(APPEND failed "man -l ${page}: its NAME section does not name ${name}:${name_section}")
    endif()
  endif()
endforeach()
list(LENGTH pages npages)

# 4. The documents and the examples.
foreach(f README.md doc/api.md doc/design.md examples/vmm.c examples/config_reload.c)
  if(NOT EXISTS ${prefix}/${DOCDIR}/${f})
    list(APPEND failed "${DOCDIR}/${f} not installed")
  endif()
endforeach()

if(failed)
  list(JOIN failed "\n" failed)
  message(FATAL_ERROR "man pages:\n${failed}")
endif()
message(STATUS "man pages: ${npages} pages, every one of ${nnames} names, all render cleanly")
