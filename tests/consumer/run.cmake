# run.cmake: the consumer test's driver (cmake -P), registered by
# tests/consumer/CMakeLists.txt.  Installs the build into a fresh prefix
# under WORK_DIR, then builds and runs the programs of project/ against it:
#   MODE=cmake      project/CMakeLists.txt, find_package(srcu)
#   MODE=pkgconfig  the compiler driven by hand with `pkg-config --cflags --libs`
#
# Inputs (-D): MODE, BUILD_DIR, WORK_DIR, PROJECT_DIR, C_COMPILER, GENERATOR,
# PKG_CONFIG, VERSION, LIBDIR, CMAKEDIR, PKGCONFIGDIR (the last three
# relative to the prefix), SANITIZER (may be empty).

cmake_minimum_required(VERSION 3.16)

# Run a command; stop the test with its output if it fails.  The output is
# left in the variable named by OUT, when given.
function(run)
  cmake_parse_arguments(R "" "OUT;WHAT" "CMD;ENV" ${ARGN})
  if(R_ENV)
    set(R_CMD ${CMAKE_COMMAND} -E env ${R_ENV} ${R_CMD})
  endif()
  execute_process(COMMAND ${R_CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${R_CMD}")
    message(FATAL_ERROR "${R_WHAT} failed (${rc}):\n  ${cmd}\n${out}")
  endif()
  if(R_OUT)
    set(${R_OUT} "${out}" PARENT_SCOPE)
  endif()
endfunction()

# Run a program of ours; it must print "<name>: ok".
function(run_program prog name)
  run(WHAT "${name}" CMD ${prog} ${ARGN} OUT out
      ENV "LD_LIBRARY_PATH=${PREFIX}/${LIBDIR}")
  if(NOT out MATCHES "${name}: ok")
    message(FATAL_ERROR "${name}: unexpected output:\n${out}")
  endif()
  get_filename_component(base "${prog}" NAME)
  message(STATUS "${base}: ok")
endfunction()

foreach(v MODE BUILD_DIR WORK_DIR PROJECT_DIR C_COMPILER VERSION LIBDIR CMAKEDIR PKGCONFIGDIR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${v}=... missing")
  endif()
endforeach()

set(PREFIX ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
run(WHAT "install" CMD ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX})

# A sanitized build's package hands -fsanitize to its users (the CMake
# targets and srcu-*.pc): this test adds no sanitizer flag of its own, so
# that it fails if the package forgets.
set(werror -Werror)
if(SANITIZER MATCHES "thread")
  # gcc warns (-Wtsan) on every fence in the headers' TSan code path.
  set(werror "")
endif()

if(MODE STREQUAL "cmake")
  set(gen "")
  if(GENERATOR)
    set(gen -G ${GENERATOR})
  endif()
  run(WHAT "configure" CMD ${CMAKE_COMMAND} ${gen} -S ${PROJECT_DIR} -B ${WORK_DIR}/build
      -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_PREFIX_PATH=${PREFIX}
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
      -DSRCU_EXPECT_VERSION=${VERSION} -DSRCU_EXPECT_DIR=${PREFIX}/${CMAKEDIR})
  run(WHAT "build" CMD ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
  foreach(flavour tree tiny)
    run_program(${WORK_DIR}/build/hello-${flavour} hello-${flavour} ${flavour})
    run_program(${WORK_DIR}/build/hello-${flavour}-static hello-${flavour} ${flavour})
  endforeach()
  run_program(${WORK_DIR}/build/both both)
elseif(MODE STREQUAL "pkgconfig")
  if(NOT PKG_CONFIG)
    message(FATAL_ERROR "run.cmake: -DPKG_CONFIG=... missing")
  endif()
  set(pc_env "PKG_CONFIG_PATH=${PREFIX}/${PKGCONFIGDIR}")
  foreach(module srcu-tree srcu-tiny)
    run(WHAT "pkg-config" CMD ${PKG_CONFIG} --modversion ${module} ENV ${pc_env} OUT v)
    string(STRIP "${v}" v)
    if(NOT v STREQUAL VERSION)
      message(FATAL_ERROR "${module}.pc says version ${v}, not ${VERSION}")
    endif()
  endforeach()
  # name: program; modules: what it links; source.
  foreach(spec "hello-tree;srcu-tree;hello.c;tree" "hello-tiny;srcu-tiny;hello.c;tiny"
               "both;srcu-tree srcu-tiny;both.c;")
    list(GET spec 0 name)
    list(GET spec 1 modules)
    list(GET spec 2 source)
    list(GET spec 3 arg)
    separate_arguments(modules UNIX_COMMAND "${modules}")
    run(WHAT "pkg-config" CMD ${PKG_CONFIG} --cflags ${modules} ENV ${pc_env} OUT cflags)
    run(WHAT "pkg-config" CMD ${PKG_CONFIG} --libs ${modules} ENV ${pc_env} OUT libs)
    separate_arguments(cflags UNIX_COMMAND "${cflags}")
    separate_arguments(libs UNIX_COMMAND "${libs}")
    run(WHAT "compile ${name}" CMD ${C_COMPILER} -Wall -Wextra ${werror}
        ${cflags} ${PROJECT_DIR}/${source} -o ${WORK_DIR}/${name} ${libs})
    run_program(${WORK_DIR}/${name} ${name} ${arg})
  endforeach()
  # Both modules' flags and a file that includes <srcu.h>: refused, with the
  # way out named (never silently Tiny).
  run(WHAT "pkg-config" CMD ${PKG_CONFIG} --cflags srcu-tree srcu-tiny ENV ${pc_env} OUT cflags)
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  execute_process(COMMAND ${C_COMPILER} ${cflags} -fsyntax-only ${PROJECT_DIR}/hello.c
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0 OR NOT out MATCHES "<srcu/tree.h> and <srcu/tiny.h>")
    message(FATAL_ERROR "hello.c with `pkg-config --cflags srcu-tree srcu-tiny` was not "
                        "refused with the flavour message (status ${rc}):\n${out}")
  endif()
  message(STATUS "hello.c with both modules' flags: refused, as it should be")
else()
  message(FATAL_ERROR "run.cmake: MODE must be cmake or pkgconfig, not '${MODE}'")
endif()
