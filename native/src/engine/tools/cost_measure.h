// `tandem bench cost` (addon.measureCost): T(k), the time of one forward pass of k tokens with
// logits for all of them (the shape of a verification batch), for the k values the caller asks
// for, on the decode device of the model as loadModel would place it. The session's own
// calibration (speculation/cost_model.h) is quick and stops early; this one measures every k
// asked, on a model and context of its own, owned by the calling thread from creation to release.
// Each k gets one discarded warm-up pass (graph allocation for a new batch shape), then `reps`
// timed passes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/model/model.h"
#include "engine/speculation/cost_curve.h"

namespace tandem {

// Limits of a request (k: 1..kMaxTreeNodes, a verification batch).
constexpr int32_t kMaxCostDepth = 1 << 20;
constexpr int32_t kMaxCostReps = 1000;

struct CostMeasureRequest {
  std::string path;
  ModelLoadOptions load;  // gpuLayers, device choice and threads (0: the default), as loadModel takes them
  std::vector<int32_t> ks;
  int32_t depth = 1000;  // tokens in the context before the timed passes
  int32_t reps = 3;
};

using CostSamples = std::vector<std::pair<int32_t, std::vector<double>>>;  // k → timed passes in ms, in request order

struct CostMeasurement {
  ModelInfo model;
  int32_t threads = 0;
  int32_t depth = 0;
  double loadMs = 0;
  double prefillMs = 0;  // evaluating the depth tokens
  CostSamples samples;
  CostCurve curve;  // the curve the engine would use from these runs (curveFromRuns: medians, real dips kept)
};

// ks non-empty, each k 1..kMaxTreeNodes, depth 0..kMaxCostDepth, reps 1..kMaxCostReps; throws
// InvalidArgument. No model is touched.
void validateCostMeasureRequest(const CostMeasureRequest& request);

// The timing loop: for each k, one discarded warm-up call of timePass(k), then `reps` timed calls
// (ms; a negative value is a failed pass → Internal naming k). The curve is built from the result
// with curveFromRuns.
CostSamples timeBatches(const std::vector<int32_t>& ks, int32_t reps, const std::function<double(int32_t)>& timePass);

// Validates, loads the model, fills a context to `depth` and times the passes. Blocking: run it
// off the JS thread.
CostMeasurement measureCost(const CostMeasureRequest& request);

}  // namespace tandem
