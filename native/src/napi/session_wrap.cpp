#include "napi/session_wrap.h"

#include <memory>

#include "engine/runtime/engine_error.h"
#include "engine/session/session.h"
#include "napi/addon_data.h"
#include "napi/cancel_flag_wrap.h"
#include "napi/js_convert.h"
#include "napi/js_dispatcher.h"
#include "napi/js_errors.h"
#include "napi/promise_worker.h"

namespace tandem::napi {
namespace {

// JS-side state of one complete()/prefill() call. Created and deleted on the JS thread only (JS
// references must not be touched elsewhere). startRequest owns it until the request is queued on
// the session thread; from then on jobs posted from that thread carry a raw pointer to it, and the
// last job (settle) deletes it.
struct RequestCall {
  explicit RequestCall(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
  Napi::FunctionReference onText;
  Napi::ObjectReference owner;          // keeps the SessionWrap alive while the call runs
  Napi::ObjectReference callbackError;  // first exception thrown by onText
};

CancelFlag cancelFlagArgument(const Napi::CallbackInfo& info, size_t index) {
  CancelFlag cancel = CancelFlagWrap::fromJs(info.Length() > index ? info[index] : info.Env().Undefined());
  return cancel ? cancel : makeCancelFlag();
}

}  // namespace

Napi::Function SessionWrap::defineClass(Napi::Env env) {
  return DefineClass(env, "Session",
                     {InstanceMethod<&SessionWrap::complete>("complete"), InstanceMethod<&SessionWrap::prefill>("prefill"),
                      InstanceMethod<&SessionWrap::cachedTokens>("cachedTokens"), InstanceMethod<&SessionWrap::reset>("reset"),
                      InstanceMethod<&SessionWrap::dispose>("dispose")});
}

Napi::Object SessionWrap::create(Napi::Env env, std::shared_ptr<Session> session) {
  Napi::Object object = addonData(env).sessionClass.New({});
  Unwrap(object)->session_ = std::move(session);
  return object;
}

SessionWrap::SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {}

SessionWrap::~SessionWrap() {
  // Garbage-collected without dispose(): no call is running (each holds a reference to us), so
  // stopping the thread is quick.
  if (session_) session_->shutdown();
}

Session& SessionWrap::liveSession() const {
  if (!session_) throw EngineError(ErrorCode::Disposed, "the session was disposed");
  return *session_;
}

Session& SessionWrap::idleSession() const {
  Session& session = liveSession();
  if (busy_) throw EngineError(ErrorCode::Busy, "the session is already running a request; wait for it or cancel it");
  return session;
}

template <typename Result, typename Work, typename ToJs>
Napi::Value SessionWrap::startRequest(Napi::Env env, Session& session, const char* name, CancelFlag cancel, Napi::Value onText, Work work,
                                      ToJs toJs) {
  // Owned here until the request is queued: anything below that throws (a JS reference, the
  // dispatcher, copying the work into the task) frees it.
  auto callOwner = std::make_unique<RequestCall>(env);
  RequestCall* call = callOwner.get();
  const bool streaming = onText.IsFunction();
  if (streaming) call->onText = Napi::Persistent(onText.As<Napi::Function>());
  call->owner = Napi::Persistent(Value());
  Napi::Promise promise = call->deferred.Promise();
  std::shared_ptr<JsDispatcher> dispatcher = JsDispatcher::create(env, name);

  auto settle = [call, toJs](Napi::Env env, std::shared_ptr<Result> result, std::shared_ptr<ErrorInfo> error) {
    SessionWrap* self = Unwrap(call->owner.Value());
    self->busy_ = false;
    if (!call->callbackError.IsEmpty())
      call->deferred.Reject(call->callbackError.Value());
    else if (error)
      call->deferred.Reject(makeJsError(env, *error).Value());
    else
      call->deferred.Resolve(toJs(env, *result));
    delete call;
  };

  Session* engineSession = &session;
  const bool queued = session.post([engineSession, work, cancel, dispatcher, call, streaming, settle]() {
    std::shared_ptr<Result> result;
    std::shared_ptr<ErrorInfo> error;
    try {
      TextSink sink;
      if (streaming) {
        sink = [dispatcher, call](const std::string& piece) {
          dispatcher->post([call, piece](Napi::Env env) {
            if (!call->callbackError.IsEmpty()) return;
            try {
              call->onText.Call({Napi::String::New(env, piece)});
            } catch (const Napi::Error& e) {
              call->callbackError = Napi::Persistent(e.Value());
            }
          });
        };
      }
      result = std::make_shared<Result>(work(*engineSession, cancel, sink));
    } catch (...) {
      error = std::make_shared<ErrorInfo>(describeException(std::current_exception()));
    }
    dispatcher->post([settle, result, error](Napi::Env env) { settle(env, result, error); });
    dispatcher->release();
  });
  if (!queued) {
    dispatcher->release();
    throw EngineError(ErrorCode::Disposed, "the session is shutting down");  // callOwner frees the call
  }
  callOwner.release();  // queued: settle deletes it
  busy_ = true;
  return promise;
}

Napi::Value SessionWrap::complete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    Session& session = idleSession();
    if (info.Length() < 1 || !info[0].IsObject()) throw EngineError(ErrorCode::InvalidArgument, "complete(request) needs a request object");
    Napi::Object req = info[0].As<Napi::Object>();

    CompletionRequest request;
    request.receivedAt = Clock::now();
    prefillRequestFromJs(req, request);
    Napi::Value maxTokens = req.Get("maxTokens");
    if (!maxTokens.IsNumber()) throw EngineError(ErrorCode::InvalidArgument, "maxTokens must be a number (1 to the context size)");
    request.maxTokens = maxTokens.As<Napi::Number>().DoubleValue();
    Napi::Value stop = req.Get("stop");
    if (!stop.IsUndefined() && !stop.IsNull()) {
      if (!stop.IsArray()) throw EngineError(ErrorCode::InvalidArgument, "stop must be an array of strings");
      auto array = stop.As<Napi::Array>();
      for (uint32_t i = 0; i < array.Length(); ++i) request.stop.push_back(utf8FromJsString(array.Get(i), "stop string"));
    }
    request.timeBudgetMs = optionalNumber(req, "timeBudgetMs").value_or(0);
    Napi::Value alternatives = req.Get("alternatives");
    if (!alternatives.IsUndefined() && !alternatives.IsNull()) {
      // the range is checked with the other numbers, by the engine
      if (!alternatives.IsNumber()) throw EngineError(ErrorCode::InvalidArgument, "alternatives must be a whole number from 0 to 2");
      request.alternatives = alternatives.As<Napi::Number>().DoubleValue();
    }
    Napi::Value carried = req.Get("carriedBytes");
    if (!carried.IsUndefined() && !carried.IsNull()) {
      // at most the first 3 bytes of one UTF-8 character (a previous result's pendingBytes)
      if (!carried.IsArray() || carried.As<Napi::Array>().Length() > 3) {
        throw EngineError(ErrorCode::InvalidArgument, "carriedBytes must be an array of at most 3 bytes (a result's pendingBytes)");
      }
      auto bytes = carried.As<Napi::Array>();
      for (uint32_t i = 0; i < bytes.Length(); ++i) {
        Napi::Value b = bytes.Get(i);
        const double v = b.IsNumber() ? b.As<Napi::Number>().DoubleValue() : -1;
        if (!(v >= 0 && v <= 255 && v == static_cast<int>(v)))
          throw EngineError(ErrorCode::InvalidArgument, "carriedBytes must hold integers 0..255");
        request.carriedBytes.push_back(static_cast<char>(static_cast<int>(v)));
      }
    }
    if (auto mode = optionalString(req, "speculation")) {
      auto parsed = parseSpeculationMode(*mode);
      if (!parsed) {
        throw EngineError(ErrorCode::InvalidArgument,
                          "speculation must be one of off, pld, sam, ngram-simple, ngram-map-k, ngram-mod, "
                          "ngram-cache, auto; got '" +
                              *mode + "'");
      }
      request.speculation = *parsed;
      if (request.speculation != SpeculationMode::Off) makeDrafter(request.speculation);  // unbuilt modes fail here, in JS
    }
    Napi::Value onText = req.Get("onText");
    if (!onText.IsUndefined() && !onText.IsNull() && !onText.IsFunction())
      throw EngineError(ErrorCode::InvalidArgument, "onText must be a function");
    CancelFlag cancel = cancelFlagArgument(info, 1);
    auto work = [request = std::move(request)](Session& s, const CancelFlag& c, const TextSink& sink) {
      return s.complete(request, c, sink);
    };
    return startRequest<CompletionResult>(env, session, "tandem.complete", cancel, onText, std::move(work), completionResultToJs);
  });
}

Napi::Value SessionWrap::prefill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    Session& session = idleSession();
    if (info.Length() < 1 || !info[0].IsObject()) throw EngineError(ErrorCode::InvalidArgument, "prefill(request) needs a request object");
    PrefillRequest request;
    prefillRequestFromJs(info[0].As<Napi::Object>(), request);
    request.keepCached = optionalBool(info[0].As<Napi::Object>(), "keepCached").value_or(false);
    CancelFlag cancel = cancelFlagArgument(info, 1);
    auto work = [request = std::move(request)](Session& s, const CancelFlag& c, const TextSink&) { return s.prefill(request, c); };
    return startRequest<PrefillResult>(env, session, "tandem.prefill", cancel, env.Undefined(), std::move(work), prefillResultToJs);
  });
}

Napi::Value SessionWrap::cachedTokens(const Napi::CallbackInfo& info) {
  if (!session_) return Napi::Array::New(info.Env());
  return tokensToJs(info.Env(), session_->cachedTokens());
}

Napi::Value SessionWrap::reset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    Session& session = liveSession();
    auto deferred = std::make_shared<Napi::Promise::Deferred>(Napi::Promise::Deferred::New(env));
    Napi::Promise promise = deferred->Promise();
    std::shared_ptr<JsDispatcher> toJs = JsDispatcher::create(env, "tandem.reset");
    // The deferred is a JS handle: it travels to the session thread only inside a heap box that
    // is released on the JS thread.
    auto boxOwner = std::make_unique<std::shared_ptr<Napi::Promise::Deferred>>(std::move(deferred));  // until queued
    auto* box = boxOwner.get();
    Session* engineSession = &session;
    const bool queued = engineSession->post([engineSession, toJs, box]() {
      std::shared_ptr<ErrorInfo> error;
      try {
        engineSession->reset();
      } catch (...) {
        error = std::make_shared<ErrorInfo>(describeException(std::current_exception()));
      }
      toJs->post([box, error](Napi::Env env) {
        if (error)
          (*box)->Reject(makeJsError(env, *error).Value());
        else
          (*box)->Resolve(env.Undefined());
        delete box;
      });
      toJs->release();
    });
    if (!queued) {
      toJs->release();
      throw EngineError(ErrorCode::Disposed, "the session is shutting down");  // boxOwner frees the box
    }
    boxOwner.release();  // queued: the last job deletes it
    return promise;
  });
}

Napi::Value SessionWrap::dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!disposePromise_.IsEmpty()) return disposePromise_.Value();
  std::shared_ptr<Session> session = std::move(session_);
  session_.reset();
  Napi::Promise promise = [&] {
    if (!session) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    // A running request is aborted (it resolves as 'cancelled'); joining the thread and freeing
    // the context happen on the thread pool.
    return PromiseWorker::start(env, [session]() mutable -> PromiseWorker::ToJs {
      session->shutdown();
      session.reset();
      return nullptr;
    });
  }();
  disposePromise_ = Napi::Persistent(promise.As<Napi::Object>());
  return promise;
}

}  // namespace tandem::napi
