# Cross-build for arm64 (aarch64) and run the tests under qemu-aarch64:
# scripts/cross.sh arm64.  See toolchain-debian-cross.cmake.
set(SRCU_CROSS_TRIPLE aarch64-linux-gnu)
set(SRCU_CROSS_PROCESSOR aarch64)
set(SRCU_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-debian-cross.cmake)
