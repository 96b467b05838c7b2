/* Force-included into the C sources of the Windows cross builds (native/cmake/windows-*.cmake).
 * zig 0.11's mingw-w64 headers declare SetThreadInformation and ThreadPowerThrottling but not the
 * thread power-throttling state that ggml-cpu.c passes to it (Windows SDK 10.0.17763+,
 * processthreadsapi.h); these are the SDK's definitions. Pinned toolchain, so no newer header can
 * define them twice. */
#ifndef TANDEM_MINGW_COMPAT_H
#define TANDEM_MINGW_COMPAT_H
#define THREAD_POWER_THROTTLING_CURRENT_VERSION 1
#define THREAD_POWER_THROTTLING_EXECUTION_SPEED 0x1
#define THREAD_POWER_THROTTLING_VALID_FLAGS (THREAD_POWER_THROTTLING_EXECUTION_SPEED)
typedef struct _THREAD_POWER_THROTTLING_STATE {
  unsigned long Version;
  unsigned long ControlMask;
  unsigned long StateMask;
} THREAD_POWER_THROTTLING_STATE;
#endif
