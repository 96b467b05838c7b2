# Cross toolchain: Windows x64 (win32-x64 VSIX), built on Linux with zig 0.11's clang and mingw-w64
# (native/scripts/cross-build.js passes the zig wrappers as CMAKE_C/CXX_COMPILER).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
# CPU baseline: the same as the linux-x64 build. ggml turns its x86 instruction-set options off
# when cross-compiling, so they are named here: SSE4.2, AVX, AVX2, BMI2, FMA, F16C (ggml's
# "haswell" level; every x64 CPU since 2013-2015, Intel Core Ultra included).
foreach(feature SSE42 AVX AVX2 BMI2 FMA F16C)
  set(GGML_${feature} ON CACHE BOOL "" FORCE)
endforeach()
# C sources get the power-throttling definitions zig 0.11's mingw headers lack (see the header).
set(CMAKE_C_FLAGS_INIT "-include ${CMAKE_CURRENT_LIST_DIR}/mingw-compat.h")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
