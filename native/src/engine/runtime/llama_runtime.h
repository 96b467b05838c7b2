// Process-wide llama.cpp state: backend initialisation, log routing and level, and the
// thread-local capture that lets an error message quote llama's own reason.
#pragma once

#include <string>
#include <vector>

#include "ggml-backend.h"
#include "ggml.h"

namespace tandem {

// Initialises llama.cpp's backends and installs the log router once per process. Cheap to call.
void ensureLlamaRuntime();

// 'none' | 'error' | 'warn' | 'info' | 'debug'; throws InvalidArgument for anything else.
void setLogLevel(const std::string& level);

// Called by an abort callback that stops a computation on purpose (a cancelled request): llama's
// error lines about that computation on this thread are then captured but not printed, until the
// next ScopedLogCapture starts — cancelling is normal and must not fill the log.
void noteDeliberateAbort();

// While alive, llama/ggml log lines (warn and error) emitted on this thread are recorded, so an
// error raised after a failed llama call can include llama's reason.
class ScopedLogCapture {
 public:
  ScopedLogCapture();
  ~ScopedLogCapture();
  ScopedLogCapture(const ScopedLogCapture&) = delete;
  ScopedLogCapture& operator=(const ScopedLogCapture&) = delete;

  // Captured lines, trimmed, joined with "; " (error lines first).
  std::string summary() const;
  bool contains(const std::string& needle) const;

 private:
  ScopedLogCapture* previous_;

 public:
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

struct VersionInfo {
  std::string tandem;
  std::string llamaCpp;
  std::string systemInfo;
};
VersionInfo versionInfo();

struct DeviceInfo {
  std::string name;
  std::string description;
  std::string type;  // cpu | gpu | igpu | accel
  std::string backend;
  uint64_t memoryFreeBytes = 0;
  uint64_t memoryTotalBytes = 0;
  // The backend implements offload_op for big batches of host-resident weights (asked of the
  // device with a probe matmul of 512 tokens): what llama.cpp's op_offload needs.
  bool hostWeightOffload = false;
  // OpenVINO only: the device its runtime targets (GGML_OPENVINO_DEVICE: CPU, GPU or NPU).
  std::string openvinoTarget;
};
std::vector<DeviceInfo> listDevices();
// The ggml device handle of listDevices()[index].
ggml_backend_dev_t deviceHandle(size_t index);

}  // namespace tandem
