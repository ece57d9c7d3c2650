# check_probes.cmake: the USDT test's driver (cmake -P), registered by
# tests/usdt/CMakeLists.txt.  Reads the notes of a flavour library
# (readelf -n) and checks that each probe of PROBES is there under the
# provider srcu, and that every srcu probe there is one of them; or, when
# the build has no probes (ACTIVE false), that there is no probe note at
# all: compiled out cleanly.
#
# Inputs (-D): READELF, LIB (the shared library), PROBES ('|'-separated
# probe names), ACTIVE (ON or OFF).

cmake_minimum_required(VERSION 3.16)
include(${CMAKE_CURRENT_LIST_DIR}/../compile_check.cmake)	# require_inputs(), read_elf()
require_inputs(check_probes.cmake READELF LIB PROBES ACTIVE)
string(REPLACE "|" ";" PROBES "${PROBES}")
read_elf(out -n)

if(NOT ACTIVE)
  if(out MATCHES "stapsdt")
    message(FATAL_ERROR "${LIB}: probe notes in a build without USDT probes:\n${out}")
  endif()
  message(STATUS "${LIB}: no probe notes, as built")
  return()
endif()

# Each probe note reads "Provider: P" then "Name: N" on the next line.
string(REGEX MATCHALL "Provider: [^\n]+\n[ \t]+Name: [^\n]+" notes "${out}")
set(found "")
foreach(note ${notes})
  if(NOT note MATCHES "Provider: ([^\n]+)\n[ \t]+Name: (.+)$")
    continue()
  endif()
  set(provider ${CMAKE_MATCH_1})
  set(name ${CMAKE_MATCH_2})
  if(NOT provider STREQUAL "srcu")
    message(FATAL_ERROR "${LIB}: probe ${provider}:${name} has not the provider srcu")
  endif()
  if(NOT name IN_LIST PROBES)
    message(FATAL_ERROR "${LIB}: probe srcu:${name} is not among the expected: ${PROBES}")
  endif()
  list(APPEND found ${name})
endforeach()
foreach(p ${PROBES})
  if(NOT p IN_LIST found)
    message(FATAL_ERROR "${LIB}: probe srcu:${p} missing; readelf -n says:\n${out}")
  endif()
endforeach()
list(LENGTH notes n)
message(STATUS "${LIB}: probes ${PROBES} present (${n} sites)")
