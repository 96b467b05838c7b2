// Where the session's T(k) curve comes from: measured once per model file + size + mtime +
// threads + device on first speculative use (a few forward passes in a scratch sequence), then
// cached on disk so later sessions start with it. TANDEM_COST_CURVE="1:10,2:17,4:25" overrides
// (tests, benchmarks); TANDEM_COST_CACHE_DIR moves the cache ("off" disables it).
#pragma once

#include <optional>
#include <string>

#include "engine/cost_curve.h"
#include "engine/inference_context.h"

namespace tandem {

// "1:10,2:17.5,..." → curve; nullopt when malformed.
std::optional<CostCurve> parseCostCurve(const std::string& text);
std::string formatCostCurve(const CostCurve& curve);

// Measures T(k) for k = 1, 2, 3, 4, 6, 8, 12, 16, … up to maxK, stopping early once T(k) passes
// stopRatio·T(1) (beyond that no draft can pay on this device). Median of `reps` runs.
CostCurve measureCostCurve(InferenceContext& context, int32_t maxK = 64, int reps = 3, double stopRatio = 16.0);

struct CostCurveSource {
  CostCurve curve;
  std::string origin;  // "env", "cache", "measured", "measured (not cached)"
  double measureMs = 0;
  std::string cacheFile;
};

// The curve for this context: env override, disk cache, or a fresh measurement (then cached).
CostCurveSource costCurveFor(InferenceContext& context);

}  // namespace tandem
