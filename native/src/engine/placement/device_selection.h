// Which ggml device runs each phase (prefill, decode/verify) and how the two cooperate. Pure
// functions over a device list (llama_runtime's listDevices()), so the rules are unit-tested
// without hardware; model.cpp applies the result when it loads weights.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/llama_runtime.h"

namespace tandem {

// How the phases share work when they run on different devices:
//   Single    one model instance, one context; both phases on one device.
//   OpOffload one instance with its weights in host memory and one context with llama.cpp's
//             op_offload: batches of ≥ 32 tokens (prefill) run on the accelerator, small ones
//             (decode, verification) on the CPU. Needs a backend that implements offload_op
//             (CUDA, Vulkan, Metal, SYCL…).
//   Handover  two instances (prefill device, decode device), two contexts; the prefill context
//             evaluates the prompt and hands the sequence's KV over in chunks
//             (llama_state_seq_get_data / set_data). For backends without offload_op (Hexagon,
//             OpenVINO NPU). Forcing it with both phases on the CPU is the test/diagnostic knob.
enum class PlacementStrategy { Auto, Single, OpOffload, Handover };
const char* placementStrategyName(PlacementStrategy strategy);  // 'auto' | 'single' | 'op-offload' | 'handover'
std::optional<PlacementStrategy> parsePlacementStrategy(const std::string& name);

// What the user asked for, per phase: 'auto' | 'cpu' | 'gpu' | 'npu' | a device name from
// devices() (case-insensitive).
struct DeviceRequest {
  std::string prefill = "auto";
  std::string decode = "auto";
  PlacementStrategy strategy = PlacementStrategy::Auto;
};

// Throws InvalidArgument unless `choice` is auto/cpu/gpu/npu or non-empty (a name is checked
// against the devices later, in resolveDevice).
void validateDeviceChoice(const std::string& choice, const char* what);

// gpu: GPU or IGPU devices that are not NPUs. npu: Hexagon (HTP), OpenVINO running on an NPU
// (GGML_OPENVINO_DEVICE=NPU) and ACCEL devices other than the CPU helpers (BLAS, AMX, zDNN, ZenDNN).
bool isNpu(const DeviceInfo& device);
bool isGpu(const DeviceInfo& device);
bool isCpu(const DeviceInfo& device);
// 'cpu' | 'gpu' | 'npu' | 'accel' (a CPU helper such as BLAS: never chosen on its own)
std::string deviceKind(const DeviceInfo& device);

struct ResolvedDevice {
  int32_t index = -1;  // into the device list
  std::string reason;  // why this device (shown in ModelInfo.placement)
};

// Resolves one phase's choice. A named device that is not there → InvalidArgument listing the
// devices there are. gpu/npu/auto without such a device → the CPU, with a warning for gpu/npu
// appended to `warnings` (auto records its reason instead: no accelerator is normal). For 'auto'
// with accelerators present this returns the CPU; model.cpp then compares measured costs
// (chooseMeasuredPlacement).
ResolvedDevice resolveDevice(const std::string& choice, const std::vector<DeviceInfo>& devices, const char* phase,
                             std::vector<std::string>& warnings);

// The strategy for a pair of resolved devices. Throws InvalidArgument when a forced strategy is
// impossible (single with two devices, op-offload without a backend that supports it).
PlacementStrategy decideStrategy(const DeviceInfo& prefill, const DeviceInfo& decode, PlacementStrategy forced);

// Measured at load per candidate device (cached by model identity + device + threads):
// prefill throughput of a 256-token batch and T(1), one decode step.
struct PhaseMeasurement {
  int32_t device = -1;
  double prefillTokensPerSecond = 0;
  double decodeStepMs = 0;
  // Prefill throughput when this device prefills for a CPU decode context (op-offload from host
  // weights, or handover including the KV transfer); 0 when not measured.
  double crossPrefillTokensPerSecond = 0;
};

struct MeasuredChoice {
  int32_t prefill = -1, decode = -1;
  std::string prefillReason, decodeReason;
};

// 'auto' from measurements: decode on the device with the lowest T(1) (ties → the first, i.e.
// the CPU); prefill on the device with the highest throughput *in the configuration it would run
// in* (same device as decode: its own figure; else its cross figure). Never a device that
// measured slower than the one it replaces.
MeasuredChoice chooseMeasuredPlacement(const std::vector<PhaseMeasurement>& measured, const std::vector<DeviceInfo>& devices);

struct PhaseDevice {
  std::string name;     // ggml device name, e.g. "CPU", "CUDA0", "HTP0", "OPENVINO0"
  std::string kind;     // cpu | gpu | npu | accel
  std::string backend;  // ggml backend, e.g. "CPU", "CUDA"
  std::string reason;
};

struct Placement {
  PhaseDevice prefill, decode;
  PlacementStrategy strategy = PlacementStrategy::Single;
  std::vector<std::string> warnings;
  // Static-shape accelerator (OpenVINO NPU): prefill in chunks of exactly this many tokens
  // (GGML_OPENVINO_PREFILL_CHUNK_SIZE, default 256); 0 = any shape.
  int32_t staticPrefillChunk = 0;
};

// The prefill chunk a static-shape device compiles for; 0 for devices that take any shape.
int32_t staticPrefillChunk(const DeviceInfo& device);

}  // namespace tandem
