# toolchain-debian-cross.cmake: cross-compile for a Debian multiarch target
# with Debian's cross compiler, and run the target's programs (the tests)
# under qemu-user.  Not used directly: toolchain-aarch64-linux-gnu.cmake and
# toolchain-powerpc64le-linux-gnu.cmake set SRCU_CROSS_TRIPLE,
# SRCU_CROSS_PROCESSOR and SRCU_CROSS_QEMU, then include this file.
# scripts/cross.sh installs what it needs (the compiler gcc-TRIPLE,
# qemu-user, and liburcu-dev:ARCH, libcmocka-dev:ARCH by multiarch).
#
#   cmake -S . -B build/cross-arm64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${SRCU_CROSS_PROCESSOR})
set(CMAKE_C_COMPILER ${SRCU_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${SRCU_CROSS_TRIPLE}-g++)

# The target's libraries: the cross compiler's own sysroot (libc, from
# libc6-dev-ARCH-cross) and the multiarch directory (liburcu, CMocka).
set(CMAKE_FIND_ROOT_PATH /usr/${SRCU_CROSS_TRIPLE})
set(CMAKE_LIBRARY_PATH /usr/lib/${SRCU_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config reads the target's .pc files only.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${SRCU_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# ctest runs every test program through qemu-user.  With no -L, the
# program's loader and libc are the multiarch ones (libc6:ARCH, which
# liburcu-dev:ARCH pulls in), the same glibc build as each other.  Not the
# cross sysroot above (-L /usr/TRIPLE): its loader comes from
# libc6-ARCH-cross, another build of glibc, which would load the multiarch
# libc.so.6 beside itself; on bookworm (2.36-8cross1 beside 2.36-9+deb12u14)
# that pair spins for ever in the first pthread_create(): a loader and a
# libc from different glibc builds are not meant to be mixed.
# The tests learn that they are emulated from SRCU_TEST_EMULATOR (qemu's -E
# sets it for the program only): a test re-executes itself through it, and
# skips what qemu-user cannot do (tests/unit/test_util.h).
find_program(SRCU_CROSS_QEMU_PROGRAM ${SRCU_CROSS_QEMU} REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR
    ${SRCU_CROSS_QEMU_PROGRAM} -E SRCU_TEST_EMULATOR=${SRCU_CROSS_QEMU_PROGRAM})
