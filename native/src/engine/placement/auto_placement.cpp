#include "engine/placement/auto_placement.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include "engine/decode/inference_context.h"
#include "engine/placement/kv_handover.h"
#include "engine/runtime/elapsed.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/measurement_cache.h"

namespace tandem {
namespace {

constexpr int32_t kProbeTokens = 256;

std::vector<llama_token> probeTokens(const Model& model) {
  std::vector<llama_token> tokens(kProbeTokens);
  for (int32_t i = 0; i < kProbeTokens; ++i) tokens[static_cast<size_t>(i)] = (i * 7919 + 13) % std::max(1, model.vocabSize());
  return tokens;
}

std::shared_ptr<Model> loadOn(const std::string& path, const ModelLoadOptions& base, const std::string& prefill,
                              const std::string& decode) {
  ModelLoadOptions o;
  o.useMmap = base.useMmap;
  o.cancel = base.cancel;
  o.prefillDevice = prefill;
  o.decodeDevice = decode;
  return Model::load(path, o);
}

ContextOptions probeContext(const ModelLoadOptions& base) {
  ContextOptions c;
  c.contextSize = 2 * kProbeTokens + 64;
  c.batchSize = kProbeTokens;
  c.threads = base.threads;
  return c;
}

// Throughput of one prompt batch, after a warm-up run (graph allocation, compilation).
double prefillRate(InferenceContext& context, const std::vector<llama_token>& tokens) {
  context.append(tokens.data(), tokens.size());
  context.clear();
  const auto start = std::chrono::steady_clock::now();
  context.append(tokens.data(), tokens.size());
  const double ms = msSince(start);
  return ms > 0 ? tokens.size() * 1000.0 / ms : 0;
}

double decodeStep(InferenceContext& context) {
  std::vector<double> runs;
  for (int i = 0; i < 3; ++i) {
    const double ms = context.timeForwardPass(1);
    if (ms > 0) runs.push_back(ms);
  }
  if (runs.empty()) return 0;
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

std::string cacheFileFor(const std::string& path, const ModelLoadOptions& options, const DeviceInfo& device) {
  const std::string dir = costCacheDir();
  if (dir.empty() || dir == "off") return "";
  CostCacheIdentity id;
  struct stat st{};
  if (stat(path.c_str(), &st) == 0) {
    id.mtime = static_cast<long long>(st.st_mtime);
    id.fileSizeBytes = static_cast<uint64_t>(st.st_size);
  }
  id.modelPath = path;
  id.threads = options.threads;
  id.device = "phases:" + device.name + ":" + device.backend;
  return dir + "/" + costCacheKey(id) + ".phases.txt";
}

}  // namespace

std::string formatPhaseMeasurement(const PhaseMeasurement& m) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "prefill=%.3f,step=%.4f,cross=%.3f", m.prefillTokensPerSecond, m.decodeStepMs,
                m.crossPrefillTokensPerSecond);
  return buf;
}

bool parsePhaseMeasurement(const std::string& line, PhaseMeasurement& m) {
  double p = 0, s = 0, c = 0;
  if (std::sscanf(line.c_str(), "prefill=%lf,step=%lf,cross=%lf", &p, &s, &c) != 3 || !(p > 0) || !(s > 0) || c < 0) return false;
  m.prefillTokensPerSecond = p;
  m.decodeStepMs = s;
  m.crossPrefillTokensPerSecond = c;
  return true;
}

MeasuredChoice measureAutoPlacement(const std::string& path, const std::vector<DeviceInfo>& devices, const ModelLoadOptions& options) {
  std::vector<PhaseMeasurement> measured;
  // The CPU instance and context stay alive while accelerators are measured: hand-over targets.
  std::shared_ptr<Model> cpuModel;
  std::unique_ptr<InferenceContext> cpuContext;
  auto cpuTarget = [&]() -> InferenceContext& {
    if (!cpuContext) {
      cpuModel = loadOn(path, options, "cpu", "cpu");
      cpuContext = std::make_unique<InferenceContext>(cpuModel, probeContext(options));
    }
    return *cpuContext;
  };
  // CPU first: ties go to it.
  std::vector<int32_t> order;
  for (size_t i = 0; i < devices.size(); ++i)
    if (isCpu(devices[i]))
      order.insert(order.begin(), static_cast<int32_t>(i));
    else if (isGpu(devices[i]) || isNpu(devices[i]))
      order.push_back(static_cast<int32_t>(i));

  for (int32_t index : order) {
    const DeviceInfo& device = devices[static_cast<size_t>(index)];
    PhaseMeasurement m;
    m.device = index;
    const std::string cacheFile = cacheFileFor(path, options, device);
    if (!cacheFile.empty()) {
      std::ifstream in(cacheFile);
      std::string line;
      if (in && std::getline(in, line) && parsePhaseMeasurement(line, m)) {
        measured.push_back(m);
        continue;
      }
    }
    try {
      if (isCpu(device)) {
        InferenceContext& cpu = cpuTarget();
        const auto tokens = probeTokens(cpu.model());
        m.prefillTokensPerSecond = prefillRate(cpu, tokens);
        m.decodeStepMs = decodeStep(cpu);
        cpu.clear();
      } else {
        auto model = loadOn(path, options, device.name, device.name);
        InferenceContext own(model, probeContext(options));
        const auto tokens = probeTokens(*model);
        m.prefillTokensPerSecond = prefillRate(own, tokens);
        m.decodeStepMs = decodeStep(own);
        own.clear();
        if (device.hostWeightOffload) {
          // op-offload: host weights + this device in one context; the batch runs on the device.
          auto offload = loadOn(path, options, device.name, "cpu");
          InferenceContext context(offload, probeContext(options));
          m.crossPrefillTokensPerSecond = prefillRate(context, tokens);
        } else {
          // Hand-over: prefill here, move the KV to a CPU context; the rate includes the move.
          auto handover = loadOn(path, options, device.name, "cpu");  // strategy handover: two instances
          InferenceContext prefill(handover, probeContext(options), ContextRole::Prefill);
          InferenceContext& cpu = cpuTarget();
          prefillRate(prefill, tokens);  // warm-up (compiles static shapes)
          prefill.clear();
          cpu.clear();
          const auto start = std::chrono::steady_clock::now();
          prefillWithHandover(prefill, cpu, tokens, 0, kProbeTokens, options.cancel);
          const double ms = msSince(start);
          cpu.clear();
          m.crossPrefillTokensPerSecond = ms > 0 ? kProbeTokens * 1000.0 / ms : 0;
        }
      }
    } catch (const EngineError& e) {
      if (e.code() == ErrorCode::Aborted) throw;
      continue;  // a device that cannot run this model is not a candidate
    } catch (const std::exception&) {
      continue;
    }
    if (!cacheFile.empty() && m.decodeStepMs > 0) {
      makeCacheDirs(costCacheDir());
      std::ofstream(cacheFile) << formatPhaseMeasurement(m) << '\n';
    }
    measured.push_back(m);
  }
  return chooseMeasuredPlacement(measured, devices);
}

}  // namespace tandem
