# srcu-install.cmake: what `cmake --install` puts where.  Included by the
# top-level CMakeLists.txt once the libraries exist (src/).
#
#   include/srcu.h, include/srcu/*.h     the public headers
#   lib/libsrcu-{tree,tiny}.so.*, .a     shared (VERSION/SOVERSION) and static
#   lib/pkgconfig/srcu-{tree,tiny}.pc    pkg-config modules
#   lib/cmake/srcu/                      find_package(srcu): srcu::tree,
#                                        srcu::tiny, srcu::{tree,tiny}-static
#   share/man/man3/                      the man pages (doc/CMakeLists.txt)
#   share/doc/libsrcu/                   README.md, doc/, bench/README.md
#                                        and the examples' sources
#
# Every installed file that names a path names it relative to itself, so an
# installed tree still works after `cmake --install --prefix` elsewhere or a
# move (the consumer test installs into the build directory).

include(CMakePackageConfigHelpers)

set(SRCU_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/srcu
    CACHE STRING "Where srcuConfig.cmake goes, relative to the prefix")
set(SRCU_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig
    CACHE STRING "Where srcu-tree.pc and srcu-tiny.pc go, relative to the prefix")

# Headers.  srcu/testing.h holds the library's own test hooks, not API: it
# stays in the source tree.
install(FILES ${PROJECT_SOURCE_DIR}/include/srcu.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT srcu_Development)
file(GLOB SRCU_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/srcu/*.h)
list(FILTER SRCU_PUBLIC_HEADERS EXCLUDE REGEX "/testing\\.h$")
install(FILES ${SRCU_PUBLIC_HEADERS}
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/srcu COMPONENT srcu_Development)

# Libraries, exported as srcu::tree, srcu::tiny and their -static twins
# (EXPORT_NAME, set in src/CMakeLists.txt).
install(TARGETS srcu-tree srcu-tiny srcu-tree-static srcu-tiny-static
  EXPORT srcuTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT srcu_Runtime
          NAMELINK_COMPONENT srcu_Development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT srcu_Development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT srcu_Runtime)
install(EXPORT srcuTargets NAMESPACE srcu:: FILE srcuTargets.cmake
        DESTINATION ${SRCU_INSTALL_CMAKEDIR} COMPONENT srcu_Development)

# The CMake package: config (re-finds Threads and liburcu) and version file.
# Before 1.0 a minor release may break the API, so only the same minor
# version is compatible; from 1.0 on, the same major version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(SRCU_VERSION_COMPAT SameMinorVersion)
else()
  set(SRCU_VERSION_COMPAT SameMajorVersion)
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/srcuConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/srcuConfig.cmake
  INSTALL_DESTINATION ${SRCU_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/srcuConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${SRCU_VERSION_COMPAT})
install(FILES ${PROJECT_BINARY_DIR}/cmake/srcuConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/srcuConfigVersion.cmake
        DESTINATION ${SRCU_INSTALL_CMAKEDIR} COMPONENT srcu_Development)

# pkg-config modules.  prefix is found from the .pc file's own directory
# (${pcfiledir}), unless the install directories are absolute paths.
if(IS_ABSOLUTE "${SRCU_INSTALL_PKGCONFIGDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}"
   OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SRCU_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH SRCU_PC_UP "/p/${SRCU_INSTALL_PKGCONFIGDIR}" "/p")
  string(REGEX REPLACE "/$" "" SRCU_PC_UP "${SRCU_PC_UP}")
  set(SRCU_PC_PREFIX "\${pcfiledir}/${SRCU_PC_UP}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(SRCU_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(SRCU_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
foreach(flavour tree tiny)
  set(SRCU_PC_FLAVOUR ${flavour})
  string(TOUPPER ${flavour} FLAVOUR)
  set(SRCU_PC_CFLAGS " -DSRCU_${FLAVOUR}=1")
  if(flavour STREQUAL "tiny")
    set(SRCU_PC_DESCRIPTION "Tiny SRCU: the smallest srcu_struct")
  else()
    set(SRCU_PC_DESCRIPTION "Tree SRCU: scalable readers")
  endif()
  set(SRCU_PC_LIBS "")
  if(SRCU_DEBUG)
    string(APPEND SRCU_PC_CFLAGS " -DSRCU_DEBUG=1")
  endif()
  if(SRCU_SANITIZER)
    string(APPEND SRCU_PC_CFLAGS " -fsanitize=${SRCU_SANITIZER}")
    string(APPEND SRCU_PC_LIBS " -fsanitize=${SRCU_SANITIZER}")
  endif()
  configure_file(${CMAKE_CURRENT_LIST_DIR}/srcu.pc.in
                 ${PROJECT_BINARY_DIR}/pkgconfig/srcu-${flavour}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/srcu-${flavour}.pc
          DESTINATION ${SRCU_INSTALL_PKGCONFIGDIR} COMPONENT srcu_Development)
endforeach()

# Man pages, if perl made them (doc/CMakeLists.txt).
if(SRCU_MAN_DIR)
  install(DIRECTORY ${SRCU_MAN_DIR}/man3 DESTINATION ${CMAKE_INSTALL_MANDIR}
          COMPONENT srcu_Documentation)
endif()

# The documents, in the source tree's layout so that their links still
# work, and the example programs (build one with
# cc vmm.c $(pkg-config --cflags --libs srcu-tree) -o vmm).
set(SRCU_INSTALL_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/libsrcu
    CACHE STRING "Where the documents and examples go, relative to the prefix")
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${SRCU_INSTALL_DOCDIR}
        COMPONENT srcu_Documentation)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/doc/ DESTINATION ${SRCU_INSTALL_DOCDIR}/doc
        COMPONENT srcu_Documentation FILES_MATCHING PATTERN "*.md" PATTERN "*.png")
install(FILES ${PROJECT_SOURCE_DIR}/bench/README.md DESTINATION ${SRCU_INSTALL_DOCDIR}/bench
        COMPONENT srcu_Documentation)
install(FILES ${PROJECT_SOURCE_DIR}/examples/vmm.c ${PROJECT_SOURCE_DIR}/examples/config_reload.c
        DESTINATION ${SRCU_INSTALL_DOCDIR}/examples COMPONENT srcu_Documentation)
