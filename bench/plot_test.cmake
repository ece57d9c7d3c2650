# plot_test.cmake: the bench-plot test (cmake -P; registered by
# bench/CMakeLists.txt where gnuplot is installed).  Runs every scenario
# small (`all --quick`, one hz, one reader count) with --csv and --raw, then
# plot.sh on both files, which must exit 0 and make each plot it draws,
# not empty.  Never looks at a figure.
#
# Inputs (-D): BENCH, PLOT, WORK_DIR.

cmake_minimum_required(VERSION 3.16)
include(${CMAKE_CURRENT_LIST_DIR}/../tests/compile_check.cmake)	# require_inputs()
require_inputs(plot_test.cmake BENCH PLOT WORK_DIR)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${BENCH} all --quick --quiet --csv --hz 1000 --readers 1
                        --iterations 5 --raw ${WORK_DIR}/raw.csv
                OUTPUT_FILE ${WORK_DIR}/all.csv RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "srcu-bench all: exit status ${rc}\n${err}")
endif()
execute_process(COMMAND ${PLOT} -o ${WORK_DIR}/plots ${WORK_DIR}/all.csv ${WORK_DIR}/raw.csv
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "plot.sh: exit status ${rc}\n${out}${err}")
endif()
foreach(png seed-cdf-hz1000-r1 seed-median gp-median cb-latency cb-throughput read-cost)
  set(f ${WORK_DIR}/plots/${png}.png)
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "plot.sh made no ${png}.png:\n${out}${err}")
  endif()
  file(SIZE ${f} size)
  if(size LESS 1000)
    message(FATAL_ERROR "${png}.png is ${size} bytes")
  endif()
endforeach()
message(STATUS "plot.sh drew every plot:\n${out}")
