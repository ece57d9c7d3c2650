# smoke.cmake: one bench-smoke test (cmake -P; registered by
# bench/CMakeLists.txt).  Runs BENCH with ARGS ('|'-separated) and passes
# if it exits 0 (no correctness check failed), printed every table named
# in TABLES ('|'-separated) with at least one row, and printed nothing
# matching REJECT (a regex; optional).  Never looks at a timing.
#
# A table, as report.c prints it: a blank line, "NAME: title", the column
# names, then rows (each starts with its first cell, a string in every
# table here; the column help lines after them are indented).

cmake_minimum_required(VERSION 3.16)

string(REPLACE "|" ";" ARGS "${ARGS}")
string(REPLACE "|" ";" TABLES "${TABLES}")

execute_process(COMMAND ${BENCH} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
message("${out}${err}")
string(REPLACE ";" " " cmd "${ARGS}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "srcu-bench ${cmd}: exit status ${rc}")
endif()
foreach(t ${TABLES})
  if(NOT out MATCHES "\n\n${t}: [^\n]*\n[^\n]+\n[^ \n][^\n]*\n")
    message(FATAL_ERROR "srcu-bench ${cmd}: no table '${t}' with a row")
  endif()
endforeach()
if(REJECT AND out MATCHES "${REJECT}")
  message(FATAL_ERROR "srcu-bench ${cmd}: printed '${CMAKE_MATCH_0}'")
endif()
