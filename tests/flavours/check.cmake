# check.cmake: the flavour-choice test's driver (cmake -P), registered by
# tests/flavours/CMakeLists.txt.  What <srcu.h> does with the flavour
# definitions a build hands it (SRCU_TREE from srcu-tree / srcu::tree,
# SRCU_TINY from srcu-tiny / srcu::tiny), and DECLARE_SRCU()'s link-time
# check:
#   - both defined and a plain #include <srcu.h>: refused, and the message
#     names <srcu/tree.h> and <srcu/tiny.h> (never silently Tiny);
#   - both defined, one #undef'd first: the other flavour; none: Tree;
#   - define.c and use.c of one flavour link; a Tree srcu_struct declared
#     by a Tiny file (and the reverse) does not, and ld names the marker.
# Every case is reported, then the test fails if any did not behave.
#
# Inputs (-D): COMPILER, INCLUDE_DIR, FLAGS ('|'-separated, liburcu's
# cflags), LIB_tree, LIB_tiny (the shared libraries), SOURCE_DIR (this
# directory), WORK_DIR.

cmake_minimum_required(VERSION 3.16)
include(${CMAKE_CURRENT_LIST_DIR}/../compile_check.cmake)

require_inputs(check.cmake COMPILER INCLUDE_DIR LIB_tree LIB_tiny SOURCE_DIR WORK_DIR)
string(REPLACE "|" ";" FLAGS "${FLAGS}")
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(cc ${COMPILER} -std=gnu11 -Wall -Wextra -Werror -I${INCLUDE_DIR} ${FLAGS})
set(both -DSRCU_TREE=1 -DSRCU_TINY=1)

# expect_failure(label regex... -- command...): the command must fail, and
# its output match every regex.
function(expect_failure label)
  list(FIND ARGN "--" sep)
  list(SUBLIST ARGN 0 ${sep} patterns)
  math(EXPR start "${sep} + 1")
  list(SUBLIST ARGN ${start} -1 cmd)
  execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  math(EXPR n "${compile_count} + 1")
  set(compile_count ${n} PARENT_SCOPE)
  set(why "")
  if(rc EQUAL 0)
    set(why "succeeded")
  endif()
  foreach(p ${patterns})
    if(NOT out MATCHES "${p}")
      string(APPEND why " output lacks '${p}'")
    endif()
  endforeach()
  if(why)
    string(REPLACE ";" " " cmd_string "${cmd}")
    message("FAIL ${label}: ${why}:\n  ${cmd_string}\n${out}")
    set(compile_failed ${compile_failed} "${label}" PARENT_SCOPE)
  endif()
endfunction()

# Both flavours' definitions, a plain <srcu.h>: an #error that tells what to do.
expect_failure("both defined, plain <srcu.h>" "srcu/tree\\.h" "srcu/tiny\\.h" "#undef"
  -- ${cc} ${both} -fsyntax-only ${SOURCE_DIR}/which.c)
compile_one("both defined, SRCU_TINY undefined: Tree"
  ${cc} ${both} -DUNDEF_TINY -fsyntax-only ${SOURCE_DIR}/which.c)
compile_one("both defined, SRCU_TREE undefined: Tiny"
  ${cc} ${both} -DUNDEF_TREE -DEXPECT_TINY -fsyntax-only ${SOURCE_DIR}/which.c)
compile_one("none defined: Tree" ${cc} -fsyntax-only ${SOURCE_DIR}/which.c)
compile_one("SRCU_TINY alone: Tiny" ${cc} -DSRCU_TINY=1 -DEXPECT_TINY -fsyntax-only ${SOURCE_DIR}/which.c)
# The Tiny-only build's check fails if <srcu.h> chose Tree: which.c can fail.
expect_failure("which.c tells Tree from Tiny" "did not choose Tiny"
  -- ${cc} -DSRCU_TREE=1 -DEXPECT_TINY -fsyntax-only ${SOURCE_DIR}/which.c)

# DECLARE_SRCU(): the same flavour links, another does not.
foreach(f tree tiny)
  string(TOUPPER ${f} F)
  foreach(unit define use)
    compile_one("${unit}.c (${f})" ${cc} -DSRCU_${F}=1 -c ${SOURCE_DIR}/${unit}.c
                -o ${WORK_DIR}/${unit}-${f}.o)
  endforeach()
endforeach()
foreach(pair "tree;tree" "tiny;tiny" "tree;tiny" "tiny;tree")
  list(GET pair 0 def)
  list(GET pair 1 use)
  set(link ${COMPILER} ${WORK_DIR}/define-${def}.o ${WORK_DIR}/use-${use}.o
      ${LIB_tree} ${LIB_tiny} -lpthread -o ${WORK_DIR}/shared-${def}-${use})
  if(def STREQUAL use)
    compile_one("a ${def} srcu_struct used by a ${use} file links" ${link})
  else()
    expect_failure("a ${def} srcu_struct used by a ${use} file fails to link"
      "srcu_${use}_defined_shared_srcu" -- ${link})
  endif()
endforeach()

compile_summary("flavour choice")
