# Cross toolchain: Linux arm64 (linux-arm64 VSIX), built on Debian/Ubuntu x64 with the distribution's
# cross g++ (apt: g++-aarch64-linux-gnu), whose sysroot /usr/aarch64-linux-gnu also lets
# qemu-aarch64 run the result here.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# CPU baseline: Armv8.2-A with dot product and FP16 arithmetic (ggml's armv8.2_2 variant): Raspberry
# Pi 5, AWS Graviton2+, Ampere Altra, NVIDIA Grace, Snapdragon X. Not i8mm (Graviton2, Pi 5 and
# Altra lack it) and not Armv8.0 cores (Raspberry Pi 4, Cortex-A72): docs/platforms.md.
set(GGML_CPU_ARM_ARCH "armv8.2-a+dotprod+fp16" CACHE STRING "" FORCE)
