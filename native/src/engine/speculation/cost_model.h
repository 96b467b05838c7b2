// Where the session's T(k) curve comes from: measured once per model file + size + mtime +
// threads + device on first speculative use (a few forward passes in a scratch sequence), then
// cached on disk so later sessions start with it. TANDEM_COST_CURVE="1:10,2:17,4:25" overrides
// (tests, benchmarks); TANDEM_COST_CACHE_DIR moves the cache ("off" disables it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/decode/inference_context.h"
#include "engine/runtime/measurement_cache.h"
#include "engine/speculation/cost_curve.h"

namespace tandem {

// "1:10,2:17.5,..." → curve; nullopt when malformed.
std::optional<CostCurve> parseCostCurve(const std::string& text);
std::string formatCostCurve(const CostCurve& curve);

// (k, timed runs in ms), any order → the curve: the median per k (mean of the middle two for an
// even count). A k whose median is below the smaller k's point is kept only when it beats every
// run of that smaller k (a real kernel step), else it is raised to the smaller k's point (noise).
CostCurve curveFromRuns(std::vector<std::pair<int32_t, std::vector<double>>> runsPerK);

// Measures T(k) for k = 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, … up to maxK, stopping early once T(k)
// passes stopRatio·T(1) (beyond that no draft can pay on this device). `reps` runs per k.
CostCurve measureCostCurve(InferenceContext& context, int32_t maxK = 64, int reps = 3, double stopRatio = 16.0);

struct CostCurveSource {
  CostCurve curve;
  std::string origin;  // "env", "cache", "measured", "measured (not cached)"
  double measureMs = 0;
  std::string cacheFile;
};

// The curve for this context: env override, disk cache, or a fresh measurement (then cached).
CostCurveSource costCurveFor(InferenceContext& context);

// The cache identity (runtime/measurement_cache.h) of a model's measurement with these threads on
// this device.
CostCacheIdentity costCacheIdentity(const Model& model, int32_t threads, const std::string& device);
// The device string of a context's decode phase for costCacheIdentity.
std::string decodeDeviceKey(const Model& model);

}  // namespace tandem
