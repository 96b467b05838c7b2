// Module entry: registers the wrapped classes and the top-level functions of NativeAddon
// (extension/engine/native.ts).
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <napi.h>

#include "engine/model/model.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_runtime.h"
#include "engine/runtime/request_validation.h"
#include "engine/tools/draft_simulator.h"
#include "engine/tools/test_model_writer.h"
#include "napi/addon_data.h"
#include "napi/cancel_flag_wrap.h"
#include "napi/cost_bench.h"
#include "napi/js_convert.h"
#include "napi/js_dispatcher.h"
#include "napi/js_errors.h"
#include "napi/model_wrap.h"
#include "napi/promise_worker.h"
#include "napi/session_wrap.h"

namespace tandem::napi {
namespace {

Napi::Value version(const Napi::CallbackInfo& info) {
  return withJsErrors(info.Env(), [&]() -> Napi::Value {
    const VersionInfo v = versionInfo();
    auto o = Napi::Object::New(info.Env());
    o.Set("tandem", v.tandem);
    o.Set("llamaCpp", v.llamaCpp);
    o.Set("systemInfo", v.systemInfo);
    return o;
  });
}

Napi::Value devices(const Napi::CallbackInfo& info) {
  return withJsErrors(info.Env(), [&]() -> Napi::Value { return devicesToJs(info.Env(), listDevices()); });
}

Napi::Value setLogLevelJs(const Napi::CallbackInfo& info) {
  return withJsErrors(info.Env(), [&]() -> Napi::Value {
    setLogLevel(utf8FromJsString(info.Length() ? info[0] : info.Env().Undefined(), "log level"));
    return info.Env().Undefined();
  });
}

Napi::Value createCancelFlag(const Napi::CallbackInfo& info) { return addonData(info.Env()).cancelFlagClass.New({}); }

// A file path from JS. The C file APIs stop at a NUL character, so "a.gguf\0b" would silently
// open a.gguf: refused instead.
std::string pathFromJs(const Napi::Value& value, const char* what) {
  std::string path = utf8FromJsString(value, what);
  if (const size_t nul = path.find('\0'); nul != std::string::npos) {
    throw EngineError(ErrorCode::InvalidArgument, std::string(what) + " contains a NUL character (at byte " + std::to_string(nul) +
                                                      "), which no file name can contain");
  }
  return path;
}

// Progress reports travel to JS through a dispatcher; the JS callback lives in a holder that is
// deleted on the JS thread by the last job.
struct ProgressCallback {
  Napi::FunctionReference function;
};

Napi::Value loadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    const std::string path = pathFromJs(info.Length() ? info[0] : env.Undefined(), "model path");
    Napi::Object options = optionsObject(info, 1, "load options");
    ModelLoadOptions load;
    if (auto v = optionalNumber(options, "gpuLayers")) load.gpuLayers = validateCount("gpuLayers", *v, -1, 100000);
    if (auto v = optionalBool(options, "useMmap")) load.useMmap = *v;
    if (auto v = optionalBool(options, "vocabOnly")) load.vocabOnly = *v;
    deviceRequestFromJs(options, load);
    load.cancel = CancelFlagWrap::fromJs(options.Get("cancel"));
    Napi::Value onProgress = options.Get("onProgress");
    if (!onProgress.IsUndefined() && !onProgress.IsNull() && !onProgress.IsFunction()) {
      throw EngineError(ErrorCode::InvalidArgument, "onProgress must be a function");
    }

    std::shared_ptr<JsDispatcher> toJs;
    // Owned here until the worker is queued; from then on the worker's last job deletes it.
    std::unique_ptr<ProgressCallback> progressOwner;
    ProgressCallback* progress = nullptr;
    if (onProgress.IsFunction()) {
      toJs = JsDispatcher::create(env, "tandem.loadProgress");
      progressOwner = std::make_unique<ProgressCallback>(ProgressCallback{Napi::Persistent(onProgress.As<Napi::Function>())});
      progress = progressOwner.get();
      auto lastSent = std::make_shared<float>(-1.0f);
      load.onProgress = [toJs, progress, lastSent](float fraction) {
        if (fraction < 1.0f && fraction - *lastSent < 0.01f) return;  // at most ~100 reports
        *lastSent = fraction;
        toJs->post([progress, fraction](Napi::Env env) { progress->function.Call({Napi::Number::New(env, fraction)}); });
      };
    }
    Napi::Promise promise = PromiseWorker::start(env, [path, load, toJs, progress]() -> PromiseWorker::ToJs {
      // Whatever happens, the progress holder is deleted by a last job on the JS thread.
      struct Finally {
        std::shared_ptr<JsDispatcher> toJs;
        ProgressCallback* progress;
        ~Finally() {
          if (!toJs) return;
          ProgressCallback* p = progress;
          toJs->post([p](Napi::Env) { delete p; });
          toJs->release();
        }
      } finally{toJs, progress};
      std::shared_ptr<Model> model = Model::load(path, load);
      return [model](Napi::Env env) -> Napi::Value { return ModelWrap::create(env, model); };
    });
    progressOwner.release();  // queued: the worker's Finally deletes it
    return promise;
  });
}

Napi::Value makeTestModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsObject())
      throw EngineError(ErrorCode::InvalidArgument, "makeTestModel(options) needs an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    TestModelSpec spec;
    auto requirePath = [&](const char* key) {
      if (!o.Has(key) || o.Get(key).IsUndefined() || o.Get(key).IsNull()) {
        throw EngineError(ErrorCode::InvalidArgument, std::string(key) + " is required");
      }
      return pathFromJs(o.Get(key), key);
    };
    spec.vocabPath = requirePath("vocabPath");
    spec.out = requirePath("out");
    if (auto v = optionalString(o, "arch")) spec.arch = *v;
    if (auto v = optionalString(o, "type")) spec.type = *v;
    if (auto v = optionalNumber(o, "layers")) spec.layers = validateCount("layers", *v, 1, 1024);
    if (auto v = optionalNumber(o, "embd")) spec.embd = validateCount("embd", *v, 2, 1 << 16);
    if (auto v = optionalNumber(o, "heads")) spec.heads = validateCount("heads", *v, 1, 1024);
    if (auto v = optionalNumber(o, "kvHeads")) spec.kvHeads = validateCount("kvHeads", *v, 1, 1024);
    if (auto v = optionalNumber(o, "ffn")) spec.ffn = validateCount("ffn", *v, 1, 1 << 18);
    if (auto v = optionalNumber(o, "contextLength")) spec.contextLength = validateCount("contextLength", *v, 8, 1 << 24);
    if (auto v = optionalNumber(o, "seed")) {
      if (!std::isfinite(*v) || *v < 0) throw EngineError(ErrorCode::InvalidArgument, "seed must be a non-negative number");
      spec.seed = static_cast<uint64_t>(*v);
    }
    return PromiseWorker::start(env, [spec]() -> PromiseWorker::ToJs {
      const TestModelResult r = writeTestModel(spec);
      return [r](Napi::Env env) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("path", r.path);
        out.Set("bytes", Napi::Number::New(env, static_cast<double>(r.bytes)));
        out.Set("parameters", Napi::Number::New(env, static_cast<double>(r.parameters)));
        return out;
      };
    });
  });
}

// [[k, ms], …]: k a whole number of tokens from 1, ms a finite non-negative time.
std::vector<std::pair<int32_t, double>> costCurveFromJs(const Napi::Value& value) {
  if (!value.IsArray()) throw EngineError(ErrorCode::InvalidArgument, "simulateDrafting: costCurve must be an array of [k, ms] pairs");
  auto list = value.As<Napi::Array>();
  std::vector<std::pair<int32_t, double>> points;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const std::string what = "costCurve[" + std::to_string(i) + "]";
    Napi::Value item = list.Get(i);
    if (!item.IsArray() || item.As<Napi::Array>().Length() != 2) {
      throw EngineError(ErrorCode::InvalidArgument, "simulateDrafting: " + what + " must be a [k, ms] pair");
    }
    auto pair = item.As<Napi::Array>();
    Napi::Value k = pair.Get(0u), ms = pair.Get(1u);
    if (!k.IsNumber() || !ms.IsNumber())
      throw EngineError(ErrorCode::InvalidArgument, "simulateDrafting: " + what + " must hold two numbers [k, ms]");
    const int32_t tokens = validateCount((what + " k").c_str(), k.As<Napi::Number>().DoubleValue(), 1, 1 << 20);
    const double time = ms.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(time) || time < 0) {
      throw EngineError(ErrorCode::InvalidArgument, "simulateDrafting: " + what + " ms must be a finite time of at least 0");
    }
    points.emplace_back(tokens, time);
  }
  return points;
}

// Model-free drafting benchmark (engine/tools/draft_simulator.h). Synchronous: a benchmark tool, not
// something the editor calls.
Napi::Value simulateDraftingJs(const Napi::CallbackInfo& info) {
  return withJsErrors(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsObject()) {
      throw EngineError(ErrorCode::InvalidArgument, "simulateDrafting(traces, {modes, costCurve}) needs an array and an options object");
    }
    auto list = info[0].As<Napi::Array>();
    std::vector<SimTrace> traces;
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Napi::Value item = list.Get(i);
      if (!item.IsObject()) {
        throw EngineError(ErrorCode::InvalidArgument,
                          "simulateDrafting: traces[" + std::to_string(i) + "] must be an object {prompt, reference, kind?, documents?}");
      }
      auto o = item.As<Napi::Object>();
      SimTrace t;
      t.kind = optionalString(o, "kind").value_or("all");
      t.prompt = tokensFromJs(o.Get("prompt"));
      t.reference = tokensFromJs(o.Get("reference"));
      if (o.Has("documents")) t.documents = documentsFromJs(o.Get("documents"), true);
      traces.push_back(std::move(t));
    }
    auto options = info[1].As<Napi::Object>();
    std::vector<SpeculationMode> modes;
    Napi::Value modeValue = options.Get("modes");
    if (!modeValue.IsArray())
      throw EngineError(ErrorCode::InvalidArgument, "simulateDrafting: modes must be an array of speculation mode names");
    auto modeList = modeValue.As<Napi::Array>();
    for (uint32_t i = 0; i < modeList.Length(); ++i) {
      const std::string name = utf8FromJsString(modeList.Get(i), "mode");
      auto m = parseSpeculationMode(name);
      if (!m) throw EngineError(ErrorCode::InvalidArgument, "unknown mode " + name);
      modes.push_back(*m);
    }
    const std::vector<std::pair<int32_t, double>> points = costCurveFromJs(options.Get("costCurve"));
    PromptLayout layout;  // optional fim: { suffix, middle } token ids of the traces' FIM prompts
    if (options.Has("fim") && options.Get("fim").IsObject()) {
      auto fim = options.Get("fim").As<Napi::Object>();
      if (!fim.Get("suffix").IsNumber() || !fim.Get("middle").IsNumber()) {
        throw EngineError(ErrorCode::InvalidArgument, "simulateDrafting: fim must be { suffix: token id, middle: token id }");
      }
      layout.fimSuffix = fim.Get("suffix").As<Napi::Number>().Int32Value();
      layout.fimMiddle = fim.Get("middle").As<Napi::Number>().Int32Value();
    }
    const auto results = simulateDrafting(traces, modes, CostCurve(points), layout);
    auto out = Napi::Object::New(env);
    for (const auto& r : results) {
      auto byKind = Napi::Object::New(env);
      for (const auto& [kind, t] : r.byKind) {
        auto k = Napi::Object::New(env);
        k.Set("steps", Napi::Number::New(env, static_cast<double>(t.steps)));
        k.Set("tokens", Napi::Number::New(env, static_cast<double>(t.tokens)));
        k.Set("drafted", Napi::Number::New(env, static_cast<double>(t.drafted)));
        k.Set("accepted", Napi::Number::New(env, static_cast<double>(t.accepted)));
        k.Set("draftSteps", Napi::Number::New(env, static_cast<double>(t.draftSteps)));
        k.Set("hitSteps", Napi::Number::New(env, static_cast<double>(t.hitSteps)));
        k.Set("cost", t.cost);
        k.Set("drafterUs", t.drafterUs);
        k.Set("beginUs", t.beginUs);
        k.Set("budgets", countsToJs(env, t.budgets));
        byKind.Set(kind, k);
      }
      out.Set(r.mode, byKind);
    }
    return out;
  });
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  ensureLlamaRuntime();
  auto data = std::make_unique<AddonData>();
  data->modelClass = Napi::Persistent(ModelWrap::defineClass(env));
  data->sessionClass = Napi::Persistent(SessionWrap::defineClass(env));
  data->cancelFlagClass = Napi::Persistent(CancelFlagWrap::defineClass(env));
  env.SetInstanceData(data.release());  // the environment deletes it at teardown
  exports.Set("version", Napi::Function::New<version>(env, "version"));
  exports.Set("devices", Napi::Function::New<devices>(env, "devices"));
  exports.Set("setLogLevel", Napi::Function::New<setLogLevelJs>(env, "setLogLevel"));
  exports.Set("createCancelFlag", Napi::Function::New<createCancelFlag>(env, "createCancelFlag"));
  exports.Set("loadModel", Napi::Function::New<loadModel>(env, "loadModel"));
  exports.Set("makeTestModel", Napi::Function::New<makeTestModel>(env, "makeTestModel"));
  exports.Set("simulateDrafting", Napi::Function::New<simulateDraftingJs>(env, "simulateDrafting"));
  exports.Set("measureCost", Napi::Function::New<measureCostJs>(env, "measureCost"));
  return exports;
}

}  // namespace
}  // namespace tandem::napi

static Napi::Object initTandem(Napi::Env env, Napi::Object exports) { return tandem::napi::init(env, exports); }

NODE_API_MODULE(tandem, initTandem)
