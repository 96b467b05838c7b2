#include "engine/tools/cost_measure.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "engine/decode/inference_context.h"
#include "engine/runtime/elapsed.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/request_validation.h"
#include "engine/speculation/cost_model.h"

namespace tandem {

void validateCostMeasureRequest(const CostMeasureRequest& request) {
  if (request.ks.empty()) throw EngineError(ErrorCode::InvalidArgument, "measureCost needs ks: a non-empty array of batch sizes");
  for (int32_t k : request.ks) validateCount("k", k, 1, kMaxTreeNodes);
  validateCount("depth", request.depth, 0, kMaxCostDepth);
  validateCount("reps", request.reps, 1, kMaxCostReps);
}

CostSamples timeBatches(const std::vector<int32_t>& ks, int32_t reps, const std::function<double(int32_t)>& timePass) {
  CostSamples samples;
  for (int32_t k : ks) {
    std::vector<double> runs;
    for (int32_t r = -1; r < reps; ++r) {
      const double ms = timePass(k);
      if (ms < 0) throw EngineError(ErrorCode::Internal, "the forward pass of " + std::to_string(k) + " tokens failed");
      if (r >= 0) runs.push_back(ms);  // r = -1: warm-up
    }
    samples.emplace_back(k, std::move(runs));
  }
  return samples;
}

CostMeasurement measureCost(const CostMeasureRequest& request) {
  validateCostMeasureRequest(request);
  CostMeasurement result;
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<Model> model = Model::load(request.path, request.load);
  result.loadMs = msSince(start);
  result.model = model->info();

  const int32_t maxK = *std::max_element(request.ks.begin(), request.ks.end());
  ContextOptions options;
  options.contextSize = std::max(kSequenceCount, request.depth + maxK + 8);
  options.threads = request.load.threads;
  InferenceContext context(model, options);
  result.threads = context.threads();
  result.depth = request.depth;

  // The depth: any valid token ids will do, a forward pass costs the same for every id.
  std::vector<llama_token> filler(static_cast<size_t>(request.depth));
  const int32_t vocab = std::max(1, model->vocabSize());
  for (size_t i = 0; i < filler.size(); ++i) filler[i] = static_cast<llama_token>((i * 7919 + 13) % static_cast<size_t>(vocab));
  start = std::chrono::steady_clock::now();
  if (!filler.empty() && context.append(filler.data(), filler.size()) != DecodeStatus::Ok) {
    throw EngineError(ErrorCode::Internal, "evaluating the " + std::to_string(request.depth) + " depth tokens was aborted");
  }
  result.prefillMs = msSince(start);

  result.samples = timeBatches(request.ks, request.reps, [&context](int32_t k) { return context.timeForwardPass(k); });
  result.curve = curveFromRuns(result.samples);
  return result;
}

}  // namespace tandem
