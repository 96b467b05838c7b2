#include "engine/runtime/llama_runtime.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#if defined(TANDEM_BACKEND_DL)
#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif
#endif

#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_handles.h"
#include "ggml-backend.h"
#include "llama.h"

#ifndef TANDEM_VERSION
#define TANDEM_VERSION "0.0.0"
#endif
#ifndef TANDEM_LLAMA_CPP_VERSION
#define TANDEM_LLAMA_CPP_VERSION "unknown"
#endif

namespace tandem {
namespace {

// Lines at or above this level go to stderr. ggml's levels: DEBUG=1 INFO=2 WARN=3 ERROR=4 (NONE=0
// and CONT=5 are special); 99 silences everything.
std::atomic<int> stderrThreshold{GGML_LOG_LEVEL_ERROR};
thread_local ScopedLogCapture* activeCapture = nullptr;
// ggml continues a line with GGML_LOG_LEVEL_CONT; remember the level it continues.
thread_local int lastLevel = GGML_LOG_LEVEL_INFO;
// This thread's abort callback stopped the current computation on purpose (noteDeliberateAbort).
thread_local bool deliberateAbort = false;

std::string trimmed(const char* text) {
  std::string s(text ? text : "");
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void routeLog(ggml_log_level level, const char* text, void*) {
  int effective = level == GGML_LOG_LEVEL_CONT ? lastLevel : level;
  if (level != GGML_LOG_LEVEL_CONT) lastLevel = level;
  const bool worthKeeping = effective == GGML_LOG_LEVEL_ERROR || effective == GGML_LOG_LEVEL_WARN;
  if (activeCapture && text && worthKeeping) {
    auto& into = effective == GGML_LOG_LEVEL_ERROR ? activeCapture->errors : activeCapture->warnings;
    if (level == GGML_LOG_LEVEL_CONT && !into.empty())
      into.back() += trimmed(text);
    else
      into.push_back(trimmed(text));
  }
  // the "failed to compute graph / failed to decode" lines that follow an abort we asked for
  const bool quiet = deliberateAbort && effective == GGML_LOG_LEVEL_ERROR;
  if (!quiet && effective >= stderrThreshold.load(std::memory_order_relaxed) && text) std::fputs(text, stderr);
}

// Asks the device whether it would take a 512-token matmul whose weights live in host memory:
// exactly the question llama.cpp's op_offload asks at run time. Backends without offload_op
// (Hexagon, OpenVINO, CPU) say no. The tensors only describe shapes (no_alloc).
bool probeHostWeightOffload(ggml_backend_dev_t dev) {
  ggml_init_params params{};
  params.mem_size = 4 * ggml_tensor_overhead() + 1024;
  params.no_alloc = true;
  GgmlContextPtr ctx(ggml_init(params));
  if (!ctx) return false;
  ggml_tensor* weights = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F16, 1024, 1024);
  ggml_tensor* batch = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F32, 1024, 512);
  ggml_tensor* product = ggml_mul_mat(ctx.get(), weights, batch);
  return ggml_backend_dev_offload_op(dev, product);
}

#if defined(TANDEM_BACKEND_DL)
// The folder of the library this code is in (tandem.node): the backend libraries sit beside it.
std::string ownFolder() {
#if defined(_WIN32)
  HMODULE module = nullptr;
  char path[MAX_PATH] = {0};
  if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          reinterpret_cast<LPCSTR>(&ownFolder), &module) ||
      !GetModuleFileNameA(module, path, MAX_PATH)) {
    return "";
  }
  std::string file(path);
  const size_t slash = file.find_last_of("\\/");
#else
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&ownFolder), &info) || !info.dli_fname) return "";
  std::string file(info.dli_fname);
  const size_t slash = file.find_last_of('/');
#endif
  return slash == std::string::npos ? std::string(".") : file.substr(0, slash);
}
#endif

}  // namespace

void ensureLlamaRuntime() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(routeLog, nullptr);
#if defined(TANDEM_BACKEND_DL)
    // Each backend library present beside tandem.node is loaded (a missing driver just means that
    // backend registers no device); the best CPU variant for this processor is picked.
    const std::string folder = ownFolder();
    ggml_backend_load_all_from_path(folder.empty() ? nullptr : folder.c_str());
#endif
    llama_backend_init();
  });
}

void setLogLevel(const std::string& level) {
  int threshold;
  if (level == "none")
    threshold = 99;
  else if (level == "error")
    threshold = GGML_LOG_LEVEL_ERROR;
  else if (level == "warn")
    threshold = GGML_LOG_LEVEL_WARN;
  else if (level == "info")
    threshold = GGML_LOG_LEVEL_INFO;
  else if (level == "debug")
    threshold = GGML_LOG_LEVEL_DEBUG;
  else
    throw EngineError(ErrorCode::InvalidArgument, "log level must be one of none, error, warn, info, debug; got '" + level + "'");
  ensureLlamaRuntime();
  stderrThreshold.store(threshold);
}

void noteDeliberateAbort() { deliberateAbort = true; }

ScopedLogCapture::ScopedLogCapture() : previous_(activeCapture) {
  activeCapture = this;
  deliberateAbort = false;
}
ScopedLogCapture::~ScopedLogCapture() {
  activeCapture = previous_;
  deliberateAbort = false;
}

std::string ScopedLogCapture::summary() const {
  std::string out;
  for (const auto* lines : {&errors, &warnings}) {
    for (const auto& line : *lines) {
      if (line.empty()) continue;
      if (!out.empty()) out += "; ";
      out += line;
    }
  }
  return out;
}

bool ScopedLogCapture::contains(const std::string& needle) const {
  for (const auto* lines : {&errors, &warnings})
    for (const auto& line : *lines)
      if (line.find(needle) != std::string::npos) return true;
  return false;
}

VersionInfo versionInfo() {
  ensureLlamaRuntime();
  VersionInfo v;
  v.tandem = TANDEM_VERSION;
  v.llamaCpp = std::string("llama.cpp ") + TANDEM_LLAMA_CPP_VERSION + " (ggml " + ggml_version() + ", commit " + ggml_commit() + ")";
  v.systemInfo = llama_print_system_info();
  return v;
}

std::vector<DeviceInfo> listDevices() {
  ensureLlamaRuntime();
  std::vector<DeviceInfo> out;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    ggml_backend_dev_props props{};
    ggml_backend_dev_get_props(dev, &props);
    DeviceInfo d;
    d.name = props.name ? props.name : "";
    d.description = props.description ? props.description : "";
    switch (props.type) {
      case GGML_BACKEND_DEVICE_TYPE_CPU:
        d.type = "cpu";
        break;
      case GGML_BACKEND_DEVICE_TYPE_GPU:
        d.type = "gpu";
        break;
      case GGML_BACKEND_DEVICE_TYPE_IGPU:
        d.type = "igpu";
        break;
      default:
        d.type = "accel";
        break;
    }
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    d.backend = reg ? ggml_backend_reg_name(reg) : "";
    d.memoryFreeBytes = props.memory_free;
    d.memoryTotalBytes = props.memory_total;
    d.hostWeightOffload = props.type != GGML_BACKEND_DEVICE_TYPE_CPU && probeHostWeightOffload(dev);
    if (d.backend == "OPENVINO") {
      const char* target = std::getenv("GGML_OPENVINO_DEVICE");
      d.openvinoTarget = target && *target ? target : "CPU";  // the backend's own default
    }
    out.push_back(std::move(d));
  }
  return out;
}

ggml_backend_dev_t deviceHandle(size_t index) {
  ensureLlamaRuntime();
  return index < ggml_backend_dev_count() ? ggml_backend_dev_get(index) : nullptr;
}

}  // namespace tandem
