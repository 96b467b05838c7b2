# Cross toolchain: Windows on Arm (win32-arm64 VSIX: Snapdragon X), built on Linux with zig 0.11's
# clang and mingw-w64 (native/scripts/cross-build.js passes the zig wrappers as CMAKE_C/CXX_COMPILER).
# llama.cpp wants clang, not MSVC, for Windows on Arm.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR ARM64)
# CPU baseline: Armv8.2-A with dot product, FP16 arithmetic and int8 matrix multiply (i8mm), which
# turns on ggml's dotprod and i8mm kernels. Every Snapdragon X (Oryon) has them; older Windows on
# Arm chips without i8mm (Snapdragon 8cx Gen 1-3, SQ1-SQ3) are not served by this build
# (docs/platforms.md). zig takes the CPU as -mcpu=<model>+<features> (it rejects -march=armv8.2-a),
# so ggml's GGML_CPU_ARM_ARCH (which adds -march) stays empty and the flags apply to all code.
set(TANDEM_CPU_FLAGS "-mcpu=generic+v8_2a+dotprod+fullfp16+i8mm")
# C sources also get the power-throttling definitions zig 0.11's mingw headers lack (see the header).
set(CMAKE_C_FLAGS_INIT "${TANDEM_CPU_FLAGS} -include ${CMAKE_CURRENT_LIST_DIR}/mingw-compat.h")
set(CMAKE_CXX_FLAGS_INIT "${TANDEM_CPU_FLAGS}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
