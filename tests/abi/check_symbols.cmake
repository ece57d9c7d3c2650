# check_symbols.cmake: the ABI test's driver (cmake -P), registered by
# tests/abi/CMakeLists.txt.  Reads a flavour library's dynamic symbol
# table (readelf --dyn-syms) and checks that it exports something, that
# every symbol it defines carries the flavour's prefix and the version
# node of src/exports.map.in, and that nothing else is exported.
#
# Inputs (-D): READELF, LIB (the shared library), FLAVOUR (tree or tiny),
# NODE (the version node, e.g. SRCU_TREE_0).

cmake_minimum_required(VERSION 3.16)
include(${CMAKE_CURRENT_LIST_DIR}/../compile_check.cmake)	# require_inputs(), read_elf()
require_inputs(check_symbols.cmake READELF LIB FLAVOUR NODE)
read_elf(out --dyn-syms -W)

string(REPLACE "\n" ";" lines "${out}")
set(count 0)
set(bad "")
foreach(line ${lines})
  # Num: Value Size Type Bind Vis Ndx Name; undefined ones are imports.
  if(NOT line MATCHES "^ *[0-9]+: +[0-9a-f]+ +[0-9]+ +[A-Z]+ +([A-Z]+) +[A-Z]+ +([A-Z0-9]+) +(.+)$")
    continue()
  endif()
  set(bind ${CMAKE_MATCH_1})
  set(ndx ${CMAKE_MATCH_2})
  set(name ${CMAKE_MATCH_3})
  if(ndx STREQUAL "UND" OR bind STREQUAL "LOCAL")
    continue()
  endif()
  if(name STREQUAL NODE)
    continue()	# the version node's own symbol
  endif()
  if(name MATCHES "^srcu_${FLAVOUR}_[A-Za-z0-9_]+@@${NODE}$")
    math(EXPR count "${count} + 1")
  else()
    list(APPEND bad "${name}")
  endif()
endforeach()

if(bad)
  list(JOIN bad "\n  " bad)
  message(FATAL_ERROR "${LIB}: exported symbols outside srcu_${FLAVOUR}_*@@${NODE}:\n  ${bad}")
endif()
if(count LESS 10)
  message(FATAL_ERROR "${LIB}: only ${count} versioned symbols found:\n${out}")
endif()
message(STATUS "${LIB}: ${count} symbols, all srcu_${FLAVOUR}_*@@${NODE}")
