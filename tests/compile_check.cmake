# compile_check.cmake: what the compile-only tests' drivers share (cmake -P
# scripts that include it: tests/hygiene/check.cmake and
# tests/docs/compile_examples.cmake; the ELF checks of tests/abi and
# tests/usdt use its require_inputs() and read_elf(), bench/plot_test.cmake
# its require_inputs()).  Their inputs are checked; each
# compiler run is counted, and a failing one is reported with its command
# and output; the test fails at the end if any did, so that one run shows
# every failure.

# require_inputs(script var...): each var was given (-Dvar=...), not empty.
function(require_inputs script)
  foreach(v ${ARGN})
    if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
      message(FATAL_ERROR "${script}: -D${v}=... missing")
    endif()
  endforeach()
endfunction()

# read_elf(var option...): ${READELF} option... ${LIB}'s output, into var;
# a failure of readelf fails the test.
function(read_elf var)
  execute_process(COMMAND ${READELF} ${ARGN} ${LIB}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${READELF} ${ARGN} ${LIB} failed: ${err}")
  endif()
  set(${var} "${out}" PARENT_SCOPE)
endfunction()

set(compile_count 0)
set(compile_failed "")

# compile_one(label command...): run one compiler command; if it fails,
# print label, the command and its output, and remember label.
function(compile_one label)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  math(EXPR n "${compile_count} + 1")
  set(compile_count ${n} PARENT_SCOPE)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd_string "${ARGN}")
    message("FAIL ${label}:\n  ${cmd_string}\n${out}")
    set(compile_failed ${compile_failed} "${label}" PARENT_SCOPE)
  endif()
endfunction()

# compile_summary(what): fail if any compile_one() failed, naming them all;
# else say how many ran.
function(compile_summary what)
  list(LENGTH compile_failed nfailed)
  if(nfailed)
    list(JOIN compile_failed ", " failed)
    message(FATAL_ERROR "${what}: ${nfailed} of ${compile_count} compilations failed: ${failed}")
  endif()
  message(STATUS "${what}: ${compile_count} compilations, all clean")
endfunction()
