// `tandem bench cost`: T(k), the time of one forward pass of k tokens with logits for all of them
// (the shape of a verification batch), for the k values the caller asks for, on the decode device
// of the model as loadModel would place it. The session's own calibration (engine/cost_model.*) is
// quick and stops early; this one measures every k asked, on a model and context of its own, owned
// by one pool thread from creation to release. Each k gets one discarded warm-up pass (graph
// allocation for a new batch shape), then `reps` timed passes.
#include "napi/cost_bench.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/cost_model.h"
#include "engine/elapsed.h"
#include "engine/engine_error.h"
#include "engine/inference_context.h"
#include "engine/model.h"
#include "engine/request_validation.h"
#include "napi/js_convert.h"
#include "napi/promise_worker.h"

namespace tandem::napi {
namespace {

struct CostBenchRequest {
  std::string path;
  ModelLoadOptions load;  // gpuLayers, device choice and threads (0: the default), as loadModel takes them
  std::vector<int32_t> ks;
  int32_t depth = 1000;
  int32_t reps = 3;
};

struct CostBenchResult {
  ModelInfo model;
  int32_t threads = 0;
  int32_t depth = 0;
  double loadMs = 0;
  double prefillMs = 0;
  std::vector<std::pair<int32_t, std::vector<double>>> samples;  // k → timed passes in ms
};

CostBenchResult runCostBench(const CostBenchRequest& request) {
  CostBenchResult result;
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

  for (int32_t k : request.ks) {
    std::vector<double> runs;
    for (int32_t r = -1; r < request.reps; ++r) {
      const double ms = context.timeForwardPass(k);
      if (ms < 0) throw EngineError(ErrorCode::Internal, "the forward pass of " + std::to_string(k) + " tokens failed");
      if (r >= 0) runs.push_back(ms);  // r = -1: warm-up
    }
    result.samples.emplace_back(k, std::move(runs));
  }
  return result;
}

}  // namespace

Napi::Value measureCostJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    CostBenchRequest request;
    request.path = utf8FromJsString(info.Length() ? info[0] : env.Undefined(), "model path");
    Napi::Object options = optionsObject(info, 1, "measureCost options");
    Napi::Value ks = options.Get("ks");
    if (!ks.IsArray() || ks.As<Napi::Array>().Length() == 0) {
      throw EngineError(ErrorCode::InvalidArgument, "measureCost needs ks: a non-empty array of batch sizes");
    }
    auto list = ks.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Napi::Value v = list.Get(i);
      if (!v.IsNumber()) throw EngineError(ErrorCode::InvalidArgument, "ks must hold numbers");
      request.ks.push_back(validateCount("k", v.As<Napi::Number>().DoubleValue(), 1, kMaxTreeNodes));
    }
    if (auto v = optionalNumber(options, "gpuLayers")) request.load.gpuLayers = validateCount("gpuLayers", *v, -1, 100000);
    deviceRequestFromJs(options, request.load);  // device, placementStrategy, threads: as loadModel
    if (auto v = optionalNumber(options, "depth")) request.depth = validateCount("depth", *v, 0, 1 << 20);
    if (auto v = optionalNumber(options, "reps")) request.reps = validateCount("reps", *v, 1, 1000);
    return PromiseWorker::start(env, [request]() -> PromiseWorker::ToJs {
      CostBenchResult r = runCostBench(request);
      return [r](Napi::Env env) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("model", modelInfoToJs(env, r.model));
        out.Set("threads", Napi::Number::New(env, r.threads));
        out.Set("depth", Napi::Number::New(env, r.depth));
        out.Set("loadMs", Napi::Number::New(env, r.loadMs));
        out.Set("prefillMs", Napi::Number::New(env, r.prefillMs));
        auto points = Napi::Array::New(env, r.samples.size());
        for (size_t i = 0; i < r.samples.size(); ++i) {
          auto point = Napi::Object::New(env);
          point.Set("k", Napi::Number::New(env, r.samples[i].first));
          auto runs = Napi::Array::New(env, r.samples[i].second.size());
          for (size_t j = 0; j < r.samples[i].second.size(); ++j) runs.Set(static_cast<uint32_t>(j), Napi::Number::New(env, r.samples[i].second[j]));
          point.Set("ms", runs);
          points.Set(static_cast<uint32_t>(i), point);
        }
        out.Set("points", points);
        // The curve the engine would use from these runs (cost_model.h: medians, real dips kept).
        const CostCurve curve = curveFromRuns(r.samples);
        auto curveJs = Napi::Array::New(env, curve.points().size());
        for (size_t i = 0; i < curve.points().size(); ++i) {
          auto pair = Napi::Array::New(env, 2);
          pair.Set(0u, Napi::Number::New(env, curve.points()[i].first));
          pair.Set(1u, Napi::Number::New(env, curve.points()[i].second));
          curveJs.Set(static_cast<uint32_t>(i), pair);
        }
        out.Set("curve", curveJs);
        return out;
      };
    });
  });
}

}  // namespace tandem::napi
