// addon.measureCost: argument conversion and the async worker around the engine's T(k)
// measurement (engine/tools/cost_measure.h), which loads the model and runs the timing loop.
#include "napi/cost_bench.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/decode/inference_context.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/request_validation.h"
#include "engine/tools/cost_measure.h"
#include "napi/js_convert.h"
#include "napi/promise_worker.h"

namespace tandem::napi {
namespace {

Napi::Object costMeasurementToJs(Napi::Env env, const CostMeasurement& r) {
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
    for (size_t j = 0; j < r.samples[i].second.size(); ++j)
      runs.Set(static_cast<uint32_t>(j), Napi::Number::New(env, r.samples[i].second[j]));
    point.Set("ms", runs);
    points.Set(static_cast<uint32_t>(i), point);
  }
  out.Set("points", points);
  auto curve = Napi::Array::New(env, r.curve.points().size());
  for (size_t i = 0; i < r.curve.points().size(); ++i) {
    auto pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::Number::New(env, r.curve.points()[i].first));
    pair.Set(1u, Napi::Number::New(env, r.curve.points()[i].second));
    curve.Set(static_cast<uint32_t>(i), pair);
  }
  out.Set("curve", curve);
  return out;
}

}  // namespace

Napi::Value measureCostJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    CostMeasureRequest request;
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
    if (auto v = optionalNumber(options, "depth")) request.depth = validateCount("depth", *v, 0, kMaxCostDepth);
    if (auto v = optionalNumber(options, "reps")) request.reps = validateCount("reps", *v, 1, kMaxCostReps);
    validateCostMeasureRequest(request);  // before the worker: a bad request rejects at once
    return PromiseWorker::start(env, [request = std::move(request)]() -> PromiseWorker::ToJs {
      auto measured = std::make_shared<CostMeasurement>(measureCost(request));
      return [measured](Napi::Env env) -> Napi::Value { return costMeasurementToJs(env, *measured); };
    });
  });
}

}  // namespace tandem::napi
