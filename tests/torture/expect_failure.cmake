# Runs PROG (a ;-list: the program, after its emulator when cross-built)
# with ARGS (a ;-list) and succeeds only if the torture test
# reported a failure the way it should: exit status 1 and
# "End of test: FAILURE" on stdout.  A crash, a hang or a pass fails.
if(NOT PROG)
  message(FATAL_ERROR "expect_failure.cmake: PROG not set")
endif()
execute_process(COMMAND ${PROG} ${ARGS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 1 OR NOT out MATCHES "End of test: FAILURE")
  message("${err}")
  message(FATAL_ERROR "expected the torture test to detect the breakage "
                      "(exit status 1, FAILURE), got exit status '${rc}'")
endif()
string(REGEX MATCH "errors:[^\n]*" errline "${out}")
message("caught as intended: ${errline}")
