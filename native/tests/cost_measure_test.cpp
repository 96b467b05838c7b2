// The model-free parts of `tandem bench cost` (engine/tools/cost_measure.h): request checks and
// the timing loop, with a stand-in for the forward pass.
#include <string>
#include <vector>

#include "engine/decode/inference_context.h"
#include "engine/runtime/engine_error.h"
#include "engine/speculation/cost_model.h"
#include "engine/tools/cost_measure.h"
#include "test_runner.h"

using namespace tandem;

TEST("cost measure: requests are checked before any model is loaded") {
  CostMeasureRequest ok;
  ok.path = "/nonexistent/never-loaded.gguf";
  ok.ks = {1, 2, kMaxTreeNodes};
  validateCostMeasureRequest(ok);
  ok.depth = 0;
  validateCostMeasureRequest(ok);

  auto with = [&](auto change) {
    CostMeasureRequest r = ok;
    change(r);
    return r;
  };
  CHECK_THROWS_CODE(validateCostMeasureRequest(with([](CostMeasureRequest& r) { r.ks.clear(); })), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateCostMeasureRequest(with([](CostMeasureRequest& r) { r.ks = {0}; })), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateCostMeasureRequest(with([](CostMeasureRequest& r) { r.ks = {4, kMaxTreeNodes + 1}; })),
                    ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateCostMeasureRequest(with([](CostMeasureRequest& r) { r.depth = -1; })), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateCostMeasureRequest(with([](CostMeasureRequest& r) { r.depth = kMaxCostDepth + 1; })),
                    ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateCostMeasureRequest(with([](CostMeasureRequest& r) { r.reps = 0; })), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateCostMeasureRequest(with([](CostMeasureRequest& r) { r.reps = kMaxCostReps + 1; })), ErrorCode::InvalidArgument);
  // measureCost checks first too: an empty ks never reaches the model file (nor max_element of nothing)
  CHECK_THROWS_CODE(measureCost(with([](CostMeasureRequest& r) { r.ks.clear(); })), ErrorCode::InvalidArgument);
}

TEST("cost measure: each k gets one discarded warm-up, then reps timed passes, in request order") {
  std::vector<int32_t> calls;
  int call = 0;
  const CostSamples samples = timeBatches({4, 1}, 2, [&](int32_t k) {
    calls.push_back(k);
    return 100.0 * k + (call++);  // warm-up runs are the 1st and 4th calls
  });
  CHECK_EQ(calls.size(), size_t{6});
  CHECK_EQ(samples.size(), size_t{2});
  CHECK_EQ(samples[0].first, 4);
  CHECK_EQ(samples[1].first, 1);
  CHECK(samples[0].second == (std::vector<double>{401, 402}));
  CHECK(samples[1].second == (std::vector<double>{104, 105}));
  // the curve the engine builds from them: sorted by k, medians
  const CostCurve curve = curveFromRuns(samples);
  CHECK_EQ(curve.points().size(), size_t{2});
  CHECK_EQ(curve.points()[0].first, 1);
  CHECK_EQ(curve.points()[0].second, 104.5);
  CHECK_EQ(curve.points()[1].second, 401.5);
}

TEST("cost measure: a failed pass is an INTERNAL error naming k") {
  try {
    timeBatches({1, 8}, 3, [](int32_t k) { return k == 8 ? -1.0 : 1.0; });
    CHECK(false);
  } catch (const EngineError& e) {
    CHECK(e.code() == ErrorCode::Internal);
    CHECK(std::string(e.what()).find("8 tokens") != std::string::npos);
  }
}
