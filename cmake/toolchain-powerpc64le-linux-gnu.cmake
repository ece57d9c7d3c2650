# Cross-build for ppc64el (POWER, little-endian) and run the tests under
# qemu-ppc64le: scripts/cross.sh ppc64el.  See toolchain-debian-cross.cmake.
set(SRCU_CROSS_TRIPLE powerpc64le-linux-gnu)
set(SRCU_CROSS_PROCESSOR ppc64le)
set(SRCU_CROSS_QEMU qemu-ppc64le)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-debian-cross.cmake)
