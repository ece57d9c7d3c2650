# compile_examples.cmake: compile the code examples of the documentation
# (cmake -P; registered by tests/docs/CMakeLists.txt, label "docs").
#
# An example is a ```c (or ```cpp) block right after a line
# `<!-- example: NAME -->` (at the start of the line) in a Markdown file;
# other code blocks (synopses, fragments) are not examples.  Each example
# is a complete translation unit.  It is compiled (-Wall -Wextra -Werror)
# once per flavour (Tree, and Tiny with SRCU_TINY), C as gnu11, C++ as
# C++17 with CXX_COMPILER (C++ examples are skipped without one), and
# linked into a shared object with --no-undefined against both libraries
# (an example may use both flavours' prefixed names) and liburcu's (for
# rcu_assign_pointer() and friends), so the docs can drift neither from
# the headers nor from what the libraries export.  Every failure is
# reported, then the test fails (compile_check.cmake).
#
# Inputs (-D): DOCS ('|'-separated Markdown files), COMPILER, CXX_COMPILER
# (may be empty), INCLUDE_DIR, FLAGS ('|'-separated extra flags, e.g.
# liburcu's cflags), LIBS ('|'-separated link flags: liburcu's), LIB_tree,
# LIB_tiny (the shared libraries), SANITIZER (may be empty), WORK_DIR.

cmake_minimum_required(VERSION 3.16)
include(${CMAKE_CURRENT_LIST_DIR}/../compile_check.cmake)

require_inputs(compile_examples.cmake DOCS COMPILER INCLUDE_DIR LIB_tree LIB_tiny WORK_DIR)
string(REPLACE "|" ";" DOCS "${DOCS}")
string(REPLACE "|" ";" FLAGS "${FLAGS}")
string(REPLACE "|" ";" LIBS "${LIBS}")
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(san_flags "")
set(werror -Werror)
if(SANITIZER)
  set(san_flags -fsanitize=${SANITIZER})
endif()
if(SANITIZER MATCHES "thread")
  # gcc warns (-Wtsan) on every fence in the headers' TSan code path: the
  # examples are held to -Werror in the other builds.
  set(werror "")
endif()

# split_at(text_var sep before_var found_var): if ${text_var} holds sep,
# what precedes its first occurrence goes to before_var, what follows it
# back to text_var, and found_var is true; else found_var is false.
function(split_at text_var sep before_var found_var)
  string(FIND "${${text_var}}" "${sep}" at)
  if(at EQUAL -1)
    set(${found_var} FALSE PARENT_SCOPE)
    return()
  endif()
  string(SUBSTRING "${${text_var}}" 0 ${at} before)
  string(LENGTH "${sep}" len)
  math(EXPR at "${at} + ${len}")
  string(SUBSTRING "${${text_var}}" ${at} -1 rest)
  set(${before_var} "${before}" PARENT_SCOPE)
  set(${text_var} "${rest}" PARENT_SCOPE)
  set(${found_var} TRUE PARENT_SCOPE)
endfunction()

set(names "")
foreach(doc ${DOCS})
  file(READ ${doc} text)
  get_filename_component(docname ${doc} NAME_WE)
  set(found 0)
  while(TRUE)
    split_at(text "\n<!-- example: " prose more)
    if(NOT more)
      break()
    endif()
    # The name, up to " -->", then the fence on the next line: C or C++.
    split_at(text " -->\n```" name ok)
    if(ok)
      split_at(text "\n" lang ok)
    endif()
    if(NOT ok OR NOT lang MATCHES "^(c|cpp)$")
      message(FATAL_ERROR "${doc}: an example marker not followed by a ```c or ```cpp block")
    endif()
    if(NOT name MATCHES "^[A-Za-z0-9_]+$")
      message(FATAL_ERROR "${doc}: bad example name '${name}'")
    endif()
    if("${docname}_${name}" IN_LIST names)
      message(FATAL_ERROR "${doc}: example name '${name}' used twice")
    endif()
    list(APPEND names "${docname}_${name}")
    # The code, up to the closing fence; the fence line's end stays in text,
    # where it may start the next marker's line.
    split_at(text "\n```" code ok)
    if(NOT ok)
      message(FATAL_ERROR "${doc}: example '${name}' has no closing fence")
    endif()
    set(src ${WORK_DIR}/${docname}_${name}.${lang})
    file(WRITE ${src} "${code}\n")
    math(EXPR found "${found} + 1")
    if(lang STREQUAL "cpp")
      if(NOT CXX_COMPILER)
        message(STATUS "${doc}: ${name}: no C++ compiler, C++ example skipped")
        continue()
      endif()
      set(cc ${CXX_COMPILER} -std=c++17)
    else()
      set(cc ${COMPILER} -std=gnu11)
    endif()
    foreach(flavour tree tiny)
      set(defs "")
      if(flavour STREQUAL "tiny")
        set(defs -DSRCU_TINY=1)
      endif()
      # One compiler run compiles and links.
      compile_one("${docname}:${name} (${flavour})"
                  ${cc} -shared -fPIC -Wall -Wextra ${werror} ${san_flags}
                  ${defs} -I${INCLUDE_DIR} ${FLAGS} ${src} -Wl,--no-undefined
                  ${LIB_tree} ${LIB_tiny} ${LIBS} -lpthread
                  -o ${WORK_DIR}/${docname}_${name}-${flavour}.so)
    endforeach()
  endwhile()
  if(found EQUAL 0)
    message(FATAL_ERROR "${doc}: no examples found (no line '<!-- example: NAME -->')")
  endif()
  message(STATUS "${doc}: ${found} examples")
endforeach()

compile_summary("documentation examples")
