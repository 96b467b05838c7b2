// JS Session: queues completions and prefills on the engine session's own thread and streams
// results back through a per-call JsDispatcher. One request at a time (BUSY otherwise).
#pragma once

#include <memory>

#include <napi.h>

#include "engine/session/session.h"

namespace tandem::napi {

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env);
  static Napi::Object create(Napi::Env env, std::shared_ptr<Session> session);

  explicit SessionWrap(const Napi::CallbackInfo& info);
  ~SessionWrap() override;

 private:
  Napi::Value complete(const Napi::CallbackInfo& info);
  Napi::Value prefill(const Napi::CallbackInfo& info);
  Napi::Value cachedTokens(const Napi::CallbackInfo& info);
  Napi::Value reset(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);

  Session& liveSession() const;  // throws DISPOSED
  Session& idleSession() const;  // throws DISPOSED, BUSY
  // Runs work(session, cancel, onText sink) on the session thread as its one request (busy_ until
  // it settles) and resolves the returned promise with toJs(result); session_wrap.cpp.
  template <typename Result, typename Work, typename ToJs>
  Napi::Value startRequest(Napi::Env env, Session& session, const char* name, CancelFlag cancel, Napi::Value onText, Work work, ToJs toJs);

  // Shared with the thread-pool job that shuts it down; tasks on the session thread use a raw
  // pointer (the session outlives its thread's tasks: shutdown() drains them first).
  std::shared_ptr<Session> session_;
  bool busy_ = false;  // JS thread only
  Napi::ObjectReference disposePromise_;
};

}  // namespace tandem::napi
