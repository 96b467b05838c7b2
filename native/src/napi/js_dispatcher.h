// Runs closures on the JS thread from any thread (a thread-safe function underneath). One per
// asynchronous operation; release() it after the last post so it does not keep Node alive.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include <napi.h>

namespace tandem::napi {

class JsDispatcher {
 public:
  using Job = std::function<void(Napi::Env)>;

  static std::shared_ptr<JsDispatcher> create(Napi::Env env, const char* name);
  ~JsDispatcher() { release(); }

  // Any thread. False once released (the job is dropped).
  bool post(Job job);
  // Any thread; idempotent. Jobs already posted still run.
  void release();

 private:
  static void callJs(Napi::Env env, Napi::Function, void*, Job* job);
  using Tsfn = Napi::TypedThreadSafeFunction<void, Job, &JsDispatcher::callJs>;

  std::mutex mutex_;
  Tsfn tsfn_;
  bool released_ = false;
};

}  // namespace tandem::napi
