#include "engine/placement/device_selection.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "engine/runtime/engine_error.h"

namespace tandem {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ACCEL devices that are CPU helpers (extra buffer types next to the CPU backend), not NPUs.
bool isCpuHelperBackend(const std::string& backend) {
  const std::string b = lower(backend);
  return b == "blas" || b == "amx" || b == "zdnn" || b == "zendnn" || b == "cpu";
}

std::string describeDevices(const std::vector<DeviceInfo>& devices) {
  std::string out;
  for (const auto& d : devices) {
    if (!out.empty()) out += ", ";
    out += d.name + " (" + deviceKind(d) + ", " + d.backend + ")";
  }
  return out.empty() ? "none" : out;
}

int32_t firstWhere(const std::vector<DeviceInfo>& devices, bool (*pred)(const DeviceInfo&)) {
  for (size_t i = 0; i < devices.size(); ++i)
    if (pred(devices[i])) return static_cast<int32_t>(i);
  return -1;
}

}  // namespace

const char* placementStrategyName(PlacementStrategy strategy) {
  switch (strategy) {
    case PlacementStrategy::Auto:
      return "auto";
    case PlacementStrategy::Single:
      return "single";
    case PlacementStrategy::OpOffload:
      return "op-offload";
    case PlacementStrategy::Handover:
      return "handover";
  }
  return "auto";
}

std::optional<PlacementStrategy> parsePlacementStrategy(const std::string& name) {
  if (name == "auto") return PlacementStrategy::Auto;
  if (name == "single") return PlacementStrategy::Single;
  if (name == "op-offload") return PlacementStrategy::OpOffload;
  if (name == "handover") return PlacementStrategy::Handover;
  return std::nullopt;
}

void validateDeviceChoice(const std::string& choice, const char* what) {
  if (choice.empty() || choice.find_first_not_of(" \t") == std::string::npos) {
    throw EngineError(ErrorCode::InvalidArgument,
                      std::string(what) + " must be auto, cpu, gpu, npu or a device name from devices(); got an empty string");
  }
}

bool isCpu(const DeviceInfo& d) { return d.type == "cpu"; }

bool isNpu(const DeviceInfo& d) {
  const std::string backend = lower(d.backend);
  if (backend == "htp" || backend == "hexagon") return true;  // ggml-hexagon's registry is "HTP"
  if (backend == "openvino") return lower(d.openvinoTarget) == "npu";
  return d.type == "accel" && !isCpuHelperBackend(d.backend);
}

bool isGpu(const DeviceInfo& d) { return (d.type == "gpu" || d.type == "igpu") && !isNpu(d); }

std::string deviceKind(const DeviceInfo& d) {
  if (isCpu(d)) return "cpu";
  if (isNpu(d)) return "npu";
  if (isGpu(d)) return "gpu";
  return "accel";
}

ResolvedDevice resolveDevice(const std::string& rawChoice, const std::vector<DeviceInfo>& devices, const char* phase,
                             std::vector<std::string>& warnings) {
  validateDeviceChoice(rawChoice, phase);
  const std::string choice = lower(rawChoice);
  const int32_t cpu = firstWhere(devices, isCpu);
  if (cpu < 0) throw EngineError(ErrorCode::Internal, "ggml lists no CPU device (devices: " + describeDevices(devices) + ")");
  ResolvedDevice out;
  if (choice == "cpu") {
    out.index = cpu;
    out.reason = "requested";
  } else if (choice == "gpu" || choice == "npu") {
    const int32_t found = firstWhere(devices, choice == "gpu" ? isGpu : isNpu);
    if (found >= 0) {
      out.index = found;
      out.reason = "requested";
    } else {
      out.index = cpu;
      out.reason = "no " + choice + " device; fell back to the CPU";
      warnings.push_back(std::string(phase) + ": no " + (choice == "gpu" ? "GPU" : "NPU") +
                         " device is available in this build/machine (devices: " + describeDevices(devices) + "); running on the CPU");
    }
  } else if (choice == "auto") {
    out.index = cpu;
    const bool accelerated = firstWhere(devices, isGpu) >= 0 || firstWhere(devices, isNpu) >= 0;
    out.reason = accelerated ? "auto: to be measured" : "auto: the CPU is the only device";
  } else {
    for (size_t i = 0; i < devices.size(); ++i) {
      if (lower(devices[i].name) == choice) {
        out.index = static_cast<int32_t>(i);
        out.reason = "requested";
        return out;
      }
    }
    throw EngineError(ErrorCode::InvalidArgument, std::string(phase) + " device '" + rawChoice +
                                                      "' does not exist; use auto, cpu, gpu, npu or one of: " + describeDevices(devices));
  }
  return out;
}

PlacementStrategy decideStrategy(const DeviceInfo& prefill, const DeviceInfo& decode, PlacementStrategy forced) {
  const bool same = prefill.name == decode.name;
  switch (forced) {
    case PlacementStrategy::Handover:
      return PlacementStrategy::Handover;  // any pair, even CPU + CPU
    case PlacementStrategy::Single:
      if (!same) {
        throw EngineError(ErrorCode::InvalidArgument, "strategy 'single' needs one device for both phases; got prefill on " + prefill.name +
                                                          " and decode on " + decode.name);
      }
      return PlacementStrategy::Single;
    case PlacementStrategy::OpOffload:
      if (!isCpu(decode) || isCpu(prefill) || !prefill.hostWeightOffload) {
        throw EngineError(ErrorCode::InvalidArgument,
                          "strategy 'op-offload' needs decode on the CPU and prefill on a device whose backend offloads host-resident "
                          "weights (CUDA, Vulkan, Metal); got prefill on " +
                              prefill.name + " (" + prefill.backend + ") and decode on " + decode.name);
      }
      return PlacementStrategy::OpOffload;
    case PlacementStrategy::Auto:
      break;
  }
  if (same) return PlacementStrategy::Single;
  if (isCpu(decode) && prefill.hostWeightOffload) return PlacementStrategy::OpOffload;
  return PlacementStrategy::Handover;
}

MeasuredChoice chooseMeasuredPlacement(const std::vector<PhaseMeasurement>& measured, const std::vector<DeviceInfo>& devices) {
  MeasuredChoice out;
  const PhaseMeasurement* bestDecode = nullptr;
  for (const auto& m : measured) {
    if (m.decodeStepMs <= 0) continue;
    if (!bestDecode || m.decodeStepMs < bestDecode->decodeStepMs) bestDecode = &m;
  }
  if (!bestDecode) return out;
  out.decode = bestDecode->device;
  auto name = [&](int32_t i) { return i >= 0 && static_cast<size_t>(i) < devices.size() ? devices[i].name : std::string("?"); };
  char buf[160];
  std::snprintf(buf, sizeof buf, "auto: lowest measured decode step, %.1f ms", bestDecode->decodeStepMs);
  out.decodeReason = buf;

  // Prefill: the decode device's own rate is the baseline; another device must beat it in the
  // configuration it would actually run in (cross: op-offload or handover to this decode device).
  out.prefill = bestDecode->device;
  double bestRate = bestDecode->prefillTokensPerSecond;
  for (const auto& m : measured) {
    if (m.device == bestDecode->device) continue;
    const bool decodeOnCpu =
        bestDecode->device >= 0 && static_cast<size_t>(bestDecode->device) < devices.size() && isCpu(devices[bestDecode->device]);
    const double rate = decodeOnCpu ? m.crossPrefillTokensPerSecond : 0;  // cross figures are measured towards the CPU only
    if (rate > bestRate) {
      bestRate = rate;
      out.prefill = m.device;
    }
  }
  std::snprintf(
      buf, sizeof buf, "auto: highest measured prefill, %.0f tokens/s%s", bestRate,
      out.prefill == out.decode
          ? ""
          : (" (vs " + std::to_string(static_cast<int>(bestDecode->prefillTokensPerSecond)) + " on " + name(out.decode) + ")").c_str());
  out.prefillReason = buf;
  return out;
}

int32_t staticPrefillChunk(const DeviceInfo& device) {
  if (lower(device.backend) != "openvino" || lower(device.openvinoTarget) != "npu") return 0;
  // The backend compiles its NPU prefill graph for this many tokens (ggml-openvino utils.cpp).
  if (const char* env = std::getenv("GGML_OPENVINO_PREFILL_CHUNK_SIZE")) {
    const int v = std::atoi(env);
    if (v > 0) return v;
  }
  return 256;
}

}  // namespace tandem
