#include "napi/model_wrap.h"

#include "engine/model/chat_template.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/request_validation.h"
#include "engine/session/session.h"
#include "napi/addon_data.h"
#include "napi/js_convert.h"
#include "napi/js_errors.h"
#include "napi/promise_worker.h"
#include "napi/session_wrap.h"

namespace tandem::napi {

Napi::Function ModelWrap::defineClass(Napi::Env env) {
  return DefineClass(
      env, "Model",
      {InstanceMethod<&ModelWrap::info>("info"), InstanceMethod<&ModelWrap::tokenize>("tokenize"),
       InstanceMethod<&ModelWrap::detokenize>("detokenize"), InstanceMethod<&ModelWrap::applyChatTemplate>("applyChatTemplate"),
       InstanceMethod<&ModelWrap::createSession>("createSession"), InstanceMethod<&ModelWrap::dispose>("dispose")});
}

Napi::Object ModelWrap::create(Napi::Env env, std::shared_ptr<Model> model) {
  Napi::Object object = addonData(env).modelClass.New({});
  Unwrap(object)->model_ = std::move(model);
  return object;
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {}

std::shared_ptr<Model> ModelWrap::liveModel() const {
  if (!model_) throw EngineError(ErrorCode::Disposed, "the model was disposed");
  return model_;
}

Napi::Value ModelWrap::info(const Napi::CallbackInfo& info) {
  return withJsErrors(info.Env(), [&]() -> Napi::Value { return modelInfoToJs(info.Env(), liveModel()->info()); });
}

Napi::Value ModelWrap::tokenize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    auto model = liveModel();
    if (info.Length() < 1) throw EngineError(ErrorCode::InvalidArgument, "tokenize(text) needs the text");
    std::string text = textOrBytes(info[0], "text");
    Napi::Object options = optionsObject(info, 1, "options");
    const bool addSpecial = optionalBool(options, "addSpecial").value_or(false);
    const bool parseSpecial = optionalBool(options, "parseSpecial").value_or(false);
    return PromiseWorker::start(env, [model, text = std::move(text), addSpecial, parseSpecial]() -> PromiseWorker::ToJs {
      auto tokens = std::make_shared<std::vector<llama_token>>(model->tokenize(text, addSpecial, parseSpecial));
      return [tokens](Napi::Env env) -> Napi::Value { return tokensToJs(env, *tokens); };
    });
  });
}

Napi::Value ModelWrap::detokenize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    auto model = liveModel();
    if (info.Length() < 1) throw EngineError(ErrorCode::InvalidArgument, "detokenize(tokens) needs the tokens");
    std::vector<llama_token> tokens = tokensFromJs(info[0]);
    Napi::Object options = optionsObject(info, 1, "options");
    const bool renderSpecial = optionalBool(options, "renderSpecial").value_or(false);
    return PromiseWorker::start(env, [model, tokens = std::move(tokens), renderSpecial]() -> PromiseWorker::ToJs {
      auto text = std::make_shared<std::string>(model->detokenize(tokens, renderSpecial));
      return [text](Napi::Env env) -> Napi::Value { return Napi::String::New(env, *text); };
    });
  });
}

// Sync: formatting a conversation is string work, no model computation.
Napi::Value ModelWrap::applyChatTemplate(const Napi::CallbackInfo& info) {
  return withJsErrors(info.Env(), [&]() -> Napi::Value {
    auto model = liveModel();
    if (info.Length() < 1 || !info[0].IsArray()) {
      throw EngineError(ErrorCode::InvalidArgument, "applyChatTemplate(messages) needs an array of {role, content}");
    }
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<ChatMessage> messages;
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Napi::Value item = list.Get(i);
      if (!item.IsObject()) throw EngineError(ErrorCode::InvalidArgument, "each message must be {role, content}");
      Napi::Object m = item.As<Napi::Object>();
      messages.push_back({utf8FromJsString(m.Get("role"), "message role"), utf8FromJsString(m.Get("content"), "message content")});
    }
    Napi::Object options = optionsObject(info, 1, "options");
    const bool addAssistant = optionalBool(options, "addAssistantTurn").value_or(true);
    return Napi::String::New(info.Env(), tandem::applyChatTemplate(*model, messages, addAssistant));
  });
}

Napi::Value ModelWrap::createSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    auto model = liveModel();
    Napi::Object options = optionsObject(info, 0, "session options");
    ContextOptions context;
    if (auto v = optionalNumber(options, "contextSize")) context.contextSize = validateCount("contextSize", *v, kSequenceCount, 1 << 20);
    if (auto v = optionalNumber(options, "threads")) context.threads = validateCount("threads", *v, 1, 512);
    if (auto v = optionalNumber(options, "batchSize")) context.batchSize = validateCount("batchSize", *v, 1, 1 << 16);
    DocumentKvLimits documentKv;
    if (auto v = optionalNumber(options, "documentKvBytes")) documentKv.maxBytes = validateByteCount("documentKvBytes", *v);
    if (auto v = optionalNumber(options, "documentKvDocuments"))
      documentKv.maxDocuments = validateCount("documentKvDocuments", *v, 0, 1 << 16);
    return PromiseWorker::start(env, [model, context, documentKv]() -> PromiseWorker::ToJs {
      std::shared_ptr<Session> session = std::make_shared<Session>(model, context, documentKv);
      return [session](Napi::Env env) -> Napi::Value { return SessionWrap::create(env, session); };
    });
  });
}

Napi::Value ModelWrap::dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<Model> released = std::move(model_);
  model_.reset();
  if (!released) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }
  // The last hold (when no session is alive) is dropped on the thread pool: freeing weights may
  // take a while (munmap, backend buffers).
  return PromiseWorker::start(env, [released]() mutable -> PromiseWorker::ToJs {
    released.reset();
    return nullptr;
  });
}

}  // namespace tandem::napi
