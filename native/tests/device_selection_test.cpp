#include <stdexcept>

#include "engine/placement/auto_placement.h"
#include "engine/placement/device_selection.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/measurement_cache.h"
#include "test_runner.h"

using namespace tandem;

namespace {

DeviceInfo device(const char* name, const char* type, const char* backend, bool offload = false, const char* openvino = "") {
  DeviceInfo d;
  d.name = name;
  d.type = type;
  d.backend = backend;
  d.hostWeightOffload = offload;
  d.openvinoTarget = openvino;
  return d;
}

const std::vector<DeviceInfo> cpuOnly = {device("CPU", "cpu", "CPU")};
const std::vector<DeviceInfo> laptop = {device("CPU", "cpu", "CPU"), device("CUDA0", "gpu", "CUDA", true), device("HTP0", "gpu", "HTP"),
                                        device("BLAS", "accel", "BLAS")};

bool throwsInvalid(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
  } catch (const EngineError& e) {
    return e.code() == ErrorCode::InvalidArgument && std::string(e.what()).find(needle) != std::string::npos;
  }
  return false;
}

}  // namespace

TEST("devices: kinds (Hexagon and OpenVINO-on-NPU are NPUs though ggml calls them GPUs; BLAS is a CPU helper)") {
  CHECK_EQ(deviceKind(laptop[0]), std::string("cpu"));
  CHECK_EQ(deviceKind(laptop[1]), std::string("gpu"));
  CHECK_EQ(deviceKind(laptop[2]), std::string("npu"));
  CHECK_EQ(deviceKind(laptop[3]), std::string("accel"));
  CHECK_EQ(deviceKind(device("OPENVINO0", "gpu", "OPENVINO", false, "NPU")), std::string("npu"));
  CHECK_EQ(deviceKind(device("OPENVINO0", "gpu", "OPENVINO", false, "GPU")), std::string("gpu"));
}

TEST("devices: resolution by kind and by name (case-insensitive)") {
  std::vector<std::string> warnings;
  CHECK_EQ(resolveDevice("cpu", laptop, "decode", warnings).index, 0);
  CHECK_EQ(resolveDevice("gpu", laptop, "prefill", warnings).index, 1);
  CHECK_EQ(resolveDevice("npu", laptop, "prefill", warnings).index, 2);
  CHECK_EQ(resolveDevice("htp0", laptop, "prefill", warnings).index, 2);
  CHECK_EQ(resolveDevice("CUDA0", laptop, "prefill", warnings).index, 1);
  CHECK(warnings.empty());
  CHECK_EQ(resolveDevice("auto", laptop, "prefill", warnings).reason, std::string("auto: to be measured"));
  CHECK_EQ(resolveDevice("auto", cpuOnly, "prefill", warnings).reason, std::string("auto: the CPU is the only device"));
  CHECK(warnings.empty());
}

TEST("devices: gpu/npu that are not there fall back to the CPU with a warning; unknown names are errors listing the devices") {
  std::vector<std::string> warnings;
  const ResolvedDevice r = resolveDevice("npu", cpuOnly, "prefill", warnings);
  CHECK_EQ(r.index, 0);
  CHECK_EQ(warnings.size(), size_t(1));
  CHECK(warnings[0].find("no NPU") != std::string::npos);
  CHECK(throwsInvalid([&] { resolveDevice("Vulkan7", laptop, "decode", warnings); }, "CPU (cpu, CPU), CUDA0 (gpu, CUDA)"));
  CHECK(throwsInvalid([&] { resolveDevice("", laptop, "decode", warnings); }, "empty"));
}

TEST("devices: strategy from the pair of devices, forced strategies checked") {
  CHECK(decideStrategy(laptop[0], laptop[0], PlacementStrategy::Auto) == PlacementStrategy::Single);
  CHECK(decideStrategy(laptop[1], laptop[1], PlacementStrategy::Auto) == PlacementStrategy::Single);
  CHECK(decideStrategy(laptop[1], laptop[0], PlacementStrategy::Auto) == PlacementStrategy::OpOffload);  // CUDA prefill, CPU decode
  CHECK(decideStrategy(laptop[2], laptop[0], PlacementStrategy::Auto) == PlacementStrategy::Handover);   // HTP: no offload_op
  CHECK(decideStrategy(laptop[0], laptop[0], PlacementStrategy::Handover) == PlacementStrategy::Handover);
  CHECK(throwsInvalid([&] { decideStrategy(laptop[2], laptop[0], PlacementStrategy::OpOffload); }, "op-offload"));
  CHECK(throwsInvalid([&] { decideStrategy(laptop[1], laptop[0], PlacementStrategy::Single); }, "single"));
  CHECK(parsePlacementStrategy("op-offload") == PlacementStrategy::OpOffload);
  CHECK(!parsePlacementStrategy("fast"));
}

TEST("devices: auto from measurements never picks a device that measured slower") {
  // GPU decodes faster and prefills faster: all on the GPU.
  MeasuredChoice c = chooseMeasuredPlacement({{0, 100, 30, 0}, {1, 5000, 5, 2000}}, laptop);
  CHECK_EQ(c.decode, 1);
  CHECK_EQ(c.prefill, 1);
  // NPU: slower decode step, faster prefill even with the hand-over: prefill NPU, decode CPU.
  c = chooseMeasuredPlacement({{0, 100, 30, 0}, {2, 900, 45, 700}}, laptop);
  CHECK_EQ(c.decode, 0);
  CHECK_EQ(c.prefill, 2);
  // An accelerator whose cross-device prefill (with the KV move) is slower than the CPU's own: CPU.
  c = chooseMeasuredPlacement({{0, 100, 30, 0}, {2, 900, 45, 80}}, laptop);
  CHECK_EQ(c.prefill, 0);
  // Tie on the decode step: the CPU (first) keeps it.
  c = chooseMeasuredPlacement({{0, 100, 30, 0}, {1, 100, 30, 90}}, laptop);
  CHECK_EQ(c.decode, 0);
  CHECK_EQ(c.prefill, 0);
}

TEST("cost cache: the key changes with the model file, the device and the threads") {
  CostCacheIdentity a;
  a.modelPath = "/m/a.gguf";
  a.fileSizeBytes = 1000;
  a.mtime = 5;
  a.threads = 2;
  a.device = "CPU";
  CostCacheIdentity b = a;
  CHECK_EQ(costCacheKey(a), costCacheKey(b));
  b.device = "CUDA0";
  CHECK(costCacheKey(a) != costCacheKey(b));
  b = a;
  b.device = "CPU+op-offload:CUDA0";
  CHECK(costCacheKey(a) != costCacheKey(b));
  b = a;
  b.mtime = 6;  // the file was replaced
  CHECK(costCacheKey(a) != costCacheKey(b));
  b = a;
  b.modelPath = "/m/b.gguf";
  CHECK(costCacheKey(a) != costCacheKey(b));
  b = a;
  b.threads = 4;
  CHECK(costCacheKey(a) != costCacheKey(b));
}

TEST("auto placement cache lines round-trip; malformed ones are rejected") {
  PhaseMeasurement m;
  m.prefillTokensPerSecond = 812.5;
  m.decodeStepMs = 31.25;
  m.crossPrefillTokensPerSecond = 640;
  PhaseMeasurement back;
  CHECK(parsePhaseMeasurement(formatPhaseMeasurement(m), back));
  CHECK_EQ(back.prefillTokensPerSecond, 812.5);
  CHECK_EQ(back.decodeStepMs, 31.25);
  CHECK_EQ(back.crossPrefillTokensPerSecond, 640.0);
  CHECK(!parsePhaseMeasurement("prefill=0,step=1,cross=0", back));
  CHECK(!parsePhaseMeasurement("garbage", back));
}
