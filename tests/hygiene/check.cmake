# check.cmake: the header-hygiene test's driver (cmake -P), registered by
# tests/hygiene/CMakeLists.txt.  Compiles (-fsyntax-only, -Wall -Wextra
# -Wconversion -Wsign-conversion -Werror: users build with such warnings,
# and the inline readers are compiled in their code) one translation unit
# per case, in one language:
#   - each public header alone, included twice (include guards);
#   - <srcu.h> with SRCU_TINY and with SRCU_NO_INLINE;
#   - every header in one unit (both flavours' prefixed names side by side);
#   - a liburcu flavour header before and after <srcu.h>, its call_rcu()
#     family called (declared in either order);
#   - usage.c: every macro and kernel name used, for each flavour, and
#     with SRCU_NO_INLINE and SRCU_DEBUG (readers mapped to the library).
# Every failing case is reported, then the test fails (compile_check.cmake).
#
# Inputs (-D): LANG (c or c++), COMPILER, STDS (standards, '|'-separated),
# INCLUDE_DIR (the source tree's include/), FLAGS ('|'-separated extra
# flags, e.g. liburcu's cflags), USAGE (path of usage.c), WORK_DIR.

cmake_minimum_required(VERSION 3.16)
include(${CMAKE_CURRENT_LIST_DIR}/../compile_check.cmake)

require_inputs(check.cmake LANG COMPILER STDS INCLUDE_DIR USAGE WORK_DIR)
string(REPLACE "|" ";" STDS "${STDS}")
string(REPLACE "|" ";" FLAGS "${FLAGS}")

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

file(GLOB headers RELATIVE ${INCLUDE_DIR} ${INCLUDE_DIR}/srcu.h ${INCLUDE_DIR}/srcu/*.h)
list(SORT headers)
if(NOT headers MATCHES "srcu.h")
  message(FATAL_ERROR "check.cmake: no headers found in ${INCLUDE_DIR}")
endif()

# Cases: name, defines ('|'-separated), source text (or @usage).
set(case_names "")
function(add_case name defines text)
  set(case_names ${case_names} ${name} PARENT_SCOPE)
  set(case_${name}_defines "${defines}" PARENT_SCOPE)
  set(case_${name}_text "${text}" PARENT_SCOPE)
endfunction()

# Something after the includes, so that no unit is empty.
set(tail "typedef int srcu_hygiene_unused_t;\n")
foreach(h ${headers})
  string(MAKE_C_IDENTIFIER "${h}" id)
  add_case(${id} "" "#include <${h}>\n#include <${h}>\n${tail}")
endforeach()
add_case(srcu_h_tiny "-DSRCU_TINY" "#include <srcu.h>\n${tail}")
add_case(srcu_h_noinline "-DSRCU_NO_INLINE" "#include <srcu.h>\n${tail}")
set(all "")
foreach(h ${headers})
  string(APPEND all "#include <${h}>\n")
endforeach()
add_case(all_headers "" "${all}${tail}")
# liburcu's call_rcu() family is declared whichever header comes first.
set(urcu_calls "static void srcu_hygiene_cb(struct rcu_head *h) { (void)h; }
void srcu_hygiene_calls(struct rcu_head *h);
void srcu_hygiene_calls(struct rcu_head *h)
{
	urcu_memb_call_rcu(h, srcu_hygiene_cb);
	urcu_memb_barrier();
	(void)urcu_memb_get_default_call_rcu_data();
}
")
add_case(urcu_first "" "#include <urcu/urcu-memb.h>\n#include <srcu.h>\n${urcu_calls}")
add_case(srcu_first "" "#include <srcu.h>\n#include <urcu/urcu-memb.h>\n${urcu_calls}")
add_case(usage_tree "" "@usage")
add_case(usage_tiny "-DSRCU_TINY" "@usage")
add_case(usage_noinline "-DSRCU_NO_INLINE" "@usage")
add_case(usage_debug "-DSRCU_DEBUG=1" "@usage")

if(LANG STREQUAL "c")
  set(ext c)
  set(lang_flags -x c)
else()
  set(ext cpp)
  set(lang_flags -x c++)
endif()

foreach(std ${STDS})
  foreach(name ${case_names})
    if(case_${name}_text STREQUAL "@usage")
      set(src ${USAGE})
    else()
      set(src ${WORK_DIR}/${name}.${ext})
      file(WRITE ${src} "${case_${name}_text}")
    endif()
    string(REPLACE "|" ";" defines "${case_${name}_defines}")
    compile_one("${name} (${std})" ${COMPILER} ${lang_flags} -std=${std} -fsyntax-only
                -Wall -Wextra -Wconversion -Wsign-conversion -Werror
                ${defines} -I${INCLUDE_DIR} ${FLAGS} ${src})
  endforeach()
endforeach()
compile_summary("header hygiene (${LANG})")
